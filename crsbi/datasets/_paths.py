"""Where crsbi finds the public reference data (measured spectra, UHECR events, cross sections)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ENV_VAR", "data_dir"]

#: Environment variable naming the data directory; it takes precedence when set.
DATA_ENV_VAR = "CRSBI_DATA_DIR"

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _candidates() -> list[Path]:
    """Default locations: ``../shared/data`` beside the repository, then beside the cwd."""
    paths = [_REPO_ROOT.parent / "shared" / "data", Path.cwd().resolve().parent / "shared" / "data"]
    unique: list[Path] = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique


def data_dir(subdir: str | None = None) -> Path:
    """Return the directory holding crsbi's reference data.

    The directory named by the ``CRSBI_DATA_DIR`` environment variable is used when
    that variable is set; otherwise ``../shared/data`` relative to the repository
    (for an editable install or a source checkout) or to the working directory.

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
        Naming ``CRSBI_DATA_DIR`` and every default location tried, when none exists.

    Examples
    --------
    >>> from crsbi.datasets import data_dir
    >>> data_dir().is_dir()  # doctest: +SKIP
    True
    """
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        root = Path(env).expanduser().resolve()
        if not root.is_dir():
            raise FileNotFoundError(
                f"{DATA_ENV_VAR} is set to {env!r}, which is not a directory. Point it at the "
                "crsbi data directory (the one holding spectra/, uhecr/, cross_sections/)."
            )
    else:
        found = [path for path in _candidates() if path.is_dir()]
        if not found:
            tried = ", ".join(str(p) for p in _candidates())
            raise FileNotFoundError(
                f"crsbi data directory not found: set {DATA_ENV_VAR} to its path, or place it at "
                f"../shared/data beside the repository (tried {tried})."
            )
        root = found[0]
    if subdir is None:
        return root
    path = root / subdir
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist in the crsbi data directory {root}.")
    return path
