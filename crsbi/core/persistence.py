"""Saving and loading fitted estimators.

The files are joblib pickles: loading one runs code stored in it, so load only files from
trusted sources (see the warning in :func:`load`).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import joblib

__all__ = ["PersistenceMixin", "atomic_write_bytes", "config_fingerprint", "load", "save"]

_FORMAT = "crsbi-estimator"


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent, old, or complete.

    The bytes go to a temporary file in the same directory, are flushed to disk, and the
    file is renamed over ``path`` (the resumable caches of the simulators use it, so a kill
    never leaves a half-written result behind).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crsbi.core.persistence import atomic_write_bytes
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> atomic_write_bytes(target, b"abc")
    >>> target.read_bytes()
    b'abc'
    """
    from crsbi.core._campaign_store import _atomic_write_bytes

    _atomic_write_bytes(Path(path), data)


def config_fingerprint(config: dict[str, Any], seed: int = 0) -> str:
    """Hex SHA-256 of ``seed`` and a JSON-like ``config`` (canonical form, key order ignored).

    Examples
    --------
    >>> from crsbi.core.persistence import config_fingerprint
    >>> config_fingerprint({"a": 1, "b": 2}) == config_fingerprint({"b": 2, "a": 1})
    True
    """
    from crsbi.core._campaign_store import fingerprint

    return fingerprint(seed, config).split(":", 1)[1]


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Write a fitted (or unfitted) estimator to ``path`` with joblib.

    Networks are stored on the CPU, so the file loads on a machine without a GPU.
    The file is written to a temporary name and renamed, so an interrupted save
    never leaves a truncated file under ``path``.

    The file is a pickle (joblib format): loading it runs code it contains, so it should
    be loaded only by someone who trusts its origin; see the warning in :func:`load`.

    Parameters
    ----------
    estimator : object
        Any picklable crsbi estimator.
    path : str or os.PathLike
        Destination file.

    Examples
    --------
    >>> import tempfile, os
    >>> from crsbi.core import save, load
    >>> from crsbi.core.neural import NeuralRegressor
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> save(NeuralRegressor(lr=0.01), path)
    >>> load(path).lr
    0.01
    """
    from crsbi._version import __version__

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump({"format": _FORMAT, "crsbi_version": __version__, "estimator": estimator}, tmp)
    os.replace(tmp, path)


def load(path: str | os.PathLike, *, expected_type: type | None = None) -> Any:
    """Read an estimator written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save`.
    expected_type : type or None
        When given, raise ``TypeError`` unless the stored object is an instance of it.

    Returns
    -------
    object
        The estimator. A warning is raised when it was saved by another crsbi version.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file was not written by :func:`save`.
    TypeError
        If ``expected_type`` is given and the stored object is not an instance of it.

    Warnings
    --------
    Loading runs code from the file. The file is unpickled with :func:`joblib.load`
    (Python's :mod:`pickle`), and unpickling can execute arbitrary code chosen by
    whoever wrote the file, before any check of its content. Only load files from
    trusted sources: a file you saved yourself or one whose origin and integrity you
    have verified. Never load a file downloaded from, or sent by, an untrusted or
    unauthenticated source. The format, version and ``expected_type`` checks happen
    after unpickling, so they do not protect against a malicious file. The same holds
    for ``Estimator.load(path)`` and for ``joblib.load`` or ``pickle.load`` on any crsbi
    estimator file. See scikit-learn's model persistence guide, section "Security &
    maintainability limitations":
    https://scikit-learn.org/stable/model_persistence.html

    Examples
    --------
    >>> import tempfile, os
    >>> from crsbi.core.neural import NeuralRegressor
    >>> from crsbi.core import load, save
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.joblib")
    ...     save(NeuralRegressor(lr=0.01), path)
    ...     load(path, expected_type=NeuralRegressor).lr
    0.01
    """
    from crsbi._version import __version__

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No saved estimator at {path}.")
    payload = joblib.load(path)
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a file written by crsbi.core.save.")
    if payload["crsbi_version"] != __version__:
        warnings.warn(
            f"{path} was saved by crsbi {payload['crsbi_version']}; this is crsbi "
            f"{__version__}. Check predictions before relying on them.",
            UserWarning,
            stacklevel=2,
        )
    estimator = payload["estimator"]
    if expected_type is not None and not isinstance(estimator, expected_type):
        raise TypeError(
            f"{path} holds a {type(estimator).__name__}, not a {expected_type.__name__}."
        )
    return estimator


class PersistenceMixin:
    """``save(path)`` and ``Class.load(path)`` for crsbi estimators.

    Networks reach the file on the CPU through each estimator's ``__getstate__``.
    The file is a joblib pickle: ``Class.load`` runs code stored in it, so load only
    files from trusted sources (see :func:`crsbi.core.load`).
    """

    def save(self, path: str | os.PathLike) -> None:
        """Write the estimator to ``path`` (joblib file, networks on the CPU).

        Parameters
        ----------
        path : str or os.PathLike
            Destination file; parent directories must exist.
        """
        save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Any:
        """Read an estimator written by :meth:`save` and check that it is a ``cls``.

        Parameters
        ----------
        path : str or os.PathLike
            File written by :meth:`save` or :func:`crsbi.core.save`.

        Returns
        -------
        object
            The estimator, with its networks on the CPU.

        Warnings
        --------
        Loading runs code from the file: it is unpickled with :func:`joblib.load`, and
        unpickling can execute arbitrary code chosen by whoever wrote the file, before
        the type check. Only load files from trusted sources (a file you saved yourself,
        or one whose origin and integrity you have verified); see
        :func:`crsbi.core.load` and scikit-learn's model persistence guide.
        """
        return load(path, expected_type=cls)
