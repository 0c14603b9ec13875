"""Write a shipped model and its card (used by the ``build_*.py`` scripts here)."""

from __future__ import annotations

import contextlib
import datetime
import json
import platform
from importlib import metadata
from typing import Any

from crsbi._version import __version__
from crsbi.core.persistence import save
from crsbi.pretrained import MODEL_DIR, sha256
from crsbi.pretrained._reference import reference_outputs

#: The shipped models together must stay below this size (issue 29: <= 20 MB in all).
MAX_TOTAL_BYTES = 20 * 2**20


def write_model(
    estimator: Any,
    name: str,
    *,
    title: str,
    estimator_path: str,
    command: str,
    training: dict[str, Any],
    data: str,
    calibration: dict[str, Any],
    reference: dict[str, Any],
    notes: str = "",
) -> dict[str, Any]:
    """Save ``estimator`` as ``<name>.joblib`` with its card ``<name>.json``; return the card.

    ``reference`` holds ``method``, ``args``, ``kwargs``, ``reduce``, ``rtol``, ``atol`` and
    ``description``; its ``outputs`` are computed here, on the model as saved and reloaded.
    """
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    path = MODEL_DIR / f"{name}.joblib"
    save(estimator, path)
    from crsbi.core.persistence import load

    reference = dict(reference)
    reference["outputs"] = reference_outputs(load(path), reference).tolist()
    versions = {}
    for package in ("numpy", "scipy", "torch", "sbi", "scikit-learn", "healpy", "numba"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    card = {
        "name": name,
        "title": title,
        "estimator": estimator_path,
        "file": path.name,
        "sha256": sha256(path),
        "size_bytes": path.stat().st_size,
        "crsbi_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "package_versions": versions,
        "command": command,
        "training": training,
        "data": data,
        "calibration": calibration,
        "reference": reference,
        "notes": notes,
    }
    (MODEL_DIR / f"{name}.json").write_text(json.dumps(card, indent=1) + "\n")
    total = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file())
    if total > MAX_TOTAL_BYTES:
        raise RuntimeError(f"shipped models take {total / 2**20:.1f} MB > 20 MB in all")
    print(f"wrote {path} ({card['size_bytes'] / 1e6:.2f} MB) and its card")
    return card
