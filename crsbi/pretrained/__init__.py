"""Trained models shipped with crsbi, each with a model card and a checked hash.

A shipped model is two files in ``crsbi/pretrained/models/``: ``<name>.joblib`` (the fitted
estimator, saved with :func:`crsbi.core.save`) and ``<name>.json``, its *model card*: what
it was trained on, the command that rebuilds it (``benchmarks/pretrained/``), the version
of crsbi that made it, its calibration evidence, reference outputs, and the SHA-256 of the
model file. :func:`load` refuses a file whose hash differs from its card's.

The model files are pickles: loading one runs code stored in it. The hash check makes
sure that the file is the one built and documented by crsbi's maintainers; do not point
crsbi at model files from elsewhere you do not trust.

Examples
--------
>>> from crsbi import pretrained
>>> "ams02-bc-break" in pretrained.list()
True
>>> pretrained.card("ams02-bc-break")["estimator"]
'crsbi.propagation.SpectraPosterior'
"""

from __future__ import annotations

import builtins
import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["MODEL_DIR", "card", "list", "load", "model_path", "sha256"]

#: Folder of the shipped model files and their cards.
MODEL_DIR = Path(__file__).resolve().parent / "models"


def list() -> builtins.list[str]:
    """Names of the shipped models, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from crsbi import pretrained
    >>> pretrained.list()[:1]
    ['ams02-bc-break']
    """
    return sorted(path.stem for path in MODEL_DIR.glob("*.json"))


def _check_name(name: Any) -> str:
    names = list()
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"Unknown pretrained model {name!r}; shipped models: {names}.")
    return name


def card(name: str) -> dict[str, Any]:
    """Return the model card of a shipped model, as a dict.

    Parameters
    ----------
    name : str
        One of :func:`list`.

    Returns
    -------
    dict
        Keys include ``name``, ``title``, ``estimator`` (class path), ``file``,
        ``sha256``, ``size_bytes``, ``crsbi_version``, ``created``, ``command`` (rebuilds
        the model), ``training`` (configuration), ``data``, ``calibration`` (evidence)
        and ``reference`` (outputs the loaded model reproduces, with tolerances).

    Raises
    ------
    ValueError
        If ``name`` is not a shipped model.

    Examples
    --------
    >>> from crsbi import pretrained
    >>> sorted(pretrained.card("ams02-bc-break"))[:3]
    ['calibration', 'command', 'created']
    """
    name = _check_name(name)
    return json.loads((MODEL_DIR / f"{name}.json").read_text())


def model_path(name: str) -> Path:
    """Path of a shipped model's file.

    Parameters
    ----------
    name : str
        One of :func:`list`.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from crsbi import pretrained
    >>> pretrained.model_path("ams02-bc-break").suffix
    '.joblib'
    """
    return MODEL_DIR / card(name)["file"]


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    str

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from crsbi.pretrained import sha256
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = file.write_bytes(b"")
    >>> sha256(file)[:12]
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(name: str, *, verify: bool = True) -> Any:
    """Load a shipped model after checking its file against its card.

    Parameters
    ----------
    name : str
        One of :func:`list`.
    verify : bool, default=True
        Compare the file's SHA-256 with the card's and refuse a mismatch.

    Returns
    -------
    object
        The fitted estimator (its class is the card's ``estimator``).

    Raises
    ------
    ValueError
        If ``name`` is unknown, or the file's hash differs from its card's (a corrupted
        or replaced file: reinstall crsbi, or rebuild it with the card's ``command``).

    Examples
    --------
    >>> from crsbi import pretrained
    >>> posterior = pretrained.load("ams02-bc-break")
    >>> posterior.param_names_[:2]
    ['D0', 'delta']
    """
    meta = card(name)
    path = MODEL_DIR / meta["file"]
    if not path.is_file():
        raise FileNotFoundError(f"The file of pretrained model {name!r} is missing: {path}.")
    if verify:
        found = sha256(path)
        if found != meta["sha256"]:
            raise ValueError(
                f"{path} has SHA-256 {found}, but the card of {name!r} says {meta['sha256']}: "
                f"the file is corrupted or was replaced. Reinstall crsbi, or rebuild the model "
                f"with `{meta['command']}`."
            )
    from crsbi.core.persistence import load as load_estimator

    return load_estimator(path)
