"""Where crsbi finds the public reference data (measured spectra, UHECR events, cross sections).

The directory named by the ``CRSBI_DATA_DIR`` environment variable is used, and only it,
when that variable is set; otherwise the first existing of ``../shared/data`` beside the
repository and ``../shared/data`` beside the working directory. :func:`locate_data_dir`
says which directory was chosen and why; :func:`data_file` resolves one file and logs
(``logging.getLogger("crsbi.core.data")``, level INFO) where it is read from.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DATA_ENV_VAR", "DataLocation", "data_dir", "data_file", "locate_data_dir"]

logger = logging.getLogger(__name__)

#: Environment variable naming the data directory; when set, it is the only place searched.
DATA_ENV_VAR = "CRSBI_DATA_DIR"

_REPO_ROOT = Path(__file__).resolve().parents[2]

DataSource = Literal["env", "repository", "cwd"]


@dataclass(frozen=True)
class DataLocation:
    """The resolved data directory and how it was found.

    Attributes
    ----------
    path : pathlib.Path
        Absolute path of the data directory.
    source : {"env", "repository", "cwd"}
        ``"env"``: named by ``CRSBI_DATA_DIR``; ``"repository"``: ``../shared/data``
        beside the repository (source checkout or editable install); ``"cwd"``:
        ``../shared/data`` beside the working directory.
    tried : tuple of pathlib.Path
        Every directory considered, in order (only the ``CRSBI_DATA_DIR`` one when the
        variable is set).

    Examples
    --------
    >>> from crsbi.core import locate_data_dir
    >>> location = locate_data_dir()  # doctest: +SKIP
    >>> location.source, location.path  # doctest: +SKIP
    ('repository', PosixPath('/work/shared/data'))
    """

    path: Path
    source: DataSource
    tried: tuple[Path, ...]

    def describe(self) -> str:
        """Say in words where the directory is and how it was found.

        Returns
        -------
        str
            E.g. ``"/data (from CRSBI_DATA_DIR)"``.

        Examples
        --------
        >>> from pathlib import Path
        >>> from crsbi.core import DataLocation
        >>> DataLocation(Path("/data"), "env", (Path("/data"),)).describe()
        '/data (from CRSBI_DATA_DIR)'
        """
        how = {
            "env": f"from {DATA_ENV_VAR}",
            "repository": "../shared/data beside the repository",
            "cwd": "../shared/data beside the working directory",
        }[self.source]
        return f"{self.path} ({how})"


def _candidates() -> list[tuple[Path, DataSource]]:
    """Default locations: ``../shared/data`` beside the repository, then beside the cwd."""
    paths: list[tuple[Path, DataSource]] = [
        (_REPO_ROOT.parent / "shared" / "data", "repository"),
        (Path.cwd().resolve().parent / "shared" / "data", "cwd"),
    ]
    unique: list[tuple[Path, DataSource]] = []
    for path, source in paths:
        if all(path != seen for seen, _ in unique):
            unique.append((path, source))
    return unique


def locate_data_dir() -> DataLocation:
    """Find crsbi's reference data directory and say how it was found.

    When the ``CRSBI_DATA_DIR`` environment variable is set (to a non-empty value), the
    directory it names is the only one considered: if it does not exist an error is
    raised, with no fall-back to the default locations. Otherwise the first existing of
    ``../shared/data`` beside the repository and ``../shared/data`` beside the working
    directory is used.

    Returns
    -------
    DataLocation
        The directory, its source (``"env"``, ``"repository"`` or ``"cwd"``) and the
        places tried.

    Raises
    ------
    FileNotFoundError
        When ``CRSBI_DATA_DIR`` names no directory (the message gives the variable and its
        value), or, without the variable, when no default location exists (the message
        lists every place tried).

    See Also
    --------
    data_dir : The directory (or a sub-directory) alone.
    data_file : One file of the data directory, with a log record of where it was read.

    Examples
    --------
    >>> from crsbi.core import locate_data_dir
    >>> print(locate_data_dir().describe())  # doctest: +SKIP
    /work/shared/data (../shared/data beside the repository)
    """
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        root = Path(env).expanduser().resolve()
        if not root.is_dir():
            raise FileNotFoundError(
                f"{DATA_ENV_VAR} is set to {env!r} ({root}), which is not a directory. Point it "
                "at the crsbi data directory (the one holding spectra/, uhecr/, "
                f"cross_sections/), or unset {DATA_ENV_VAR} to use ../shared/data beside the "
                "repository; the default locations are not searched while it is set."
            )
        return DataLocation(root, "env", (root,))
    candidates = _candidates()
    tried = tuple(path for path, _ in candidates)
    for path, source in candidates:
        if path.is_dir():
            return DataLocation(path, source, tried)
    places = "; ".join(f"{path} ({source})" for path, source in candidates)
    raise FileNotFoundError(
        f"crsbi data directory not found: set {DATA_ENV_VAR} to its path, or place it at "
        f"../shared/data beside the repository or the working directory. {DATA_ENV_VAR} is "
        f"not set; tried {places}."
    )


def _missing(location: DataLocation, relative: str, what: str) -> FileNotFoundError:
    """Build the error for a file or sub-directory absent from the resolved data directory."""
    if location.source == "env":
        hint = (
            f"{DATA_ENV_VAR} is set, so only {location.path} is searched: add the file there "
            f"or point {DATA_ENV_VAR} at a complete data directory"
        )
    else:
        hint = f"set {DATA_ENV_VAR} to a complete data directory to use another one"
    return FileNotFoundError(
        f"{what} {relative!r} does not exist in the crsbi data directory "
        f"{location.describe()}: {hint}."
    )


def data_dir(subdir: str | None = None) -> Path:
    """Return the directory holding crsbi's reference data.

    The directory named by the ``CRSBI_DATA_DIR`` environment variable is used, and only
    it, when that variable is set; otherwise ``../shared/data`` relative to the repository
    (for an editable install or a source checkout) or to the working directory. Use
    :func:`locate_data_dir` to learn which of these was chosen.

    Parameters
    ----------
    subdir : str or None
        Optional sub-directory, e.g. ``"spectra/ams02"``, which must exist too.

    Returns
    -------
    pathlib.Path
        Absolute path of the data (sub-)directory.

    Raises
    ------
    FileNotFoundError
        When ``CRSBI_DATA_DIR`` names no directory, when no default location exists (the
        message lists every place tried), or when ``subdir`` is missing (the message names
        the data directory, how it was found and the missing sub-directory).

    See Also
    --------
    locate_data_dir : The directory together with how it was found.
    data_file : One file of the data directory.

    Examples
    --------
    >>> from crsbi.core import data_dir
    >>> data_dir().is_dir()  # doctest: +SKIP
    True
    """
    location = locate_data_dir()
    if subdir is None:
        return location.path
    path = location.path / subdir
    if not path.is_dir():
        raise _missing(location, subdir, "Sub-directory")
    return path


def data_file(*parts: str) -> Path:
    """Return the path of one file of the reference data, checking that it exists.

    The data directory is resolved as in :func:`locate_data_dir` (``CRSBI_DATA_DIR``
    exclusively when set), and the file read is logged at level INFO with the directory and
    how it was found.

    Parameters
    ----------
    *parts : str
        Path of the file relative to the data directory, in one or more pieces, e.g.
        ``"uhecr", "AugerApJS2022_Yr_JD_UTC_Th_Ph_RA_Dec_E_Expo.dat"``.

    Returns
    -------
    pathlib.Path
        Absolute path of the file.

    Raises
    ------
    FileNotFoundError
        When no data directory is found (see :func:`locate_data_dir`), or when it lacks the
        file: the message names the file, the directory, how the directory was found and,
        when it came from ``CRSBI_DATA_DIR``, that variable.
    ValueError
        When no path is given.

    Examples
    --------
    >>> from crsbi.core import data_file
    >>> data_file("spectra", "ams02", "AMS-02_B_C_rigidity.txt").is_file()  # doctest: +SKIP
    True
    """
    if not parts:
        raise ValueError("data_file needs the path of a file relative to the data directory.")
    location = locate_data_dir()
    path = location.path.joinpath(*parts)
    relative = "/".join(parts)
    if not path.is_file():
        raise _missing(location, relative, "File")
    logger.info("Reading %s from the crsbi data directory %s", relative, location.describe())
    return path
