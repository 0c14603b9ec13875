"""Reference outputs of a shipped model: recomputed from its card, compared with tolerances.

A card's ``reference`` entry names a method of the model, its arguments (JSON lists become
arrays), an optional reduction of the output, the recorded ``outputs`` and the tolerances
``rtol`` / ``atol`` within which a loaded model must reproduce them (on any x86-64 CPU: the
tolerances cover the floating-point differences between code paths, not a retraining).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_reference", "reference_outputs"]

_REDUCTIONS = {
    None: lambda out: out,
    "mean_std": lambda out: np.concatenate([out.mean(axis=0), out.std(axis=0)]),
}


def _as_argument(value: Any) -> Any:
    return np.asarray(value, dtype=float) if isinstance(value, list) else value


def reference_outputs(model: Any, reference: dict[str, Any]) -> np.ndarray:
    """Run the card's reference call on ``model`` and return its (reduced) output, flat."""
    method = getattr(model, reference["method"])
    args = [_as_argument(a) for a in reference.get("args", [])]
    kwargs = {k: _as_argument(v) for k, v in reference.get("kwargs", {}).items()}
    reduce = reference.get("reduce")
    if reduce not in _REDUCTIONS:
        raise ValueError(f"Unknown reduction {reduce!r}; known: {sorted(map(str, _REDUCTIONS))}.")
    out = np.asarray(method(*args, **kwargs), dtype=float)
    return np.ravel(_REDUCTIONS[reduce](out))


def check_reference(model: Any, reference: dict[str, Any]) -> tuple[bool, float]:
    """Whether ``model`` reproduces the card's reference outputs, and the largest excess.

    Returns
    -------
    ok : bool
        All outputs within ``atol + rtol * |recorded|``.
    worst : float
        Largest ``|found - recorded| / (atol + rtol * |recorded|)`` (<= 1 when ``ok``).
    """
    found = reference_outputs(model, reference)
    recorded = np.asarray(reference["outputs"], dtype=float)
    if found.shape != recorded.shape:
        return False, float("inf")
    atol = np.asarray(reference.get("atol", 0.0), dtype=float)  # a number or one per output
    allowed = atol + float(reference.get("rtol", 0.0)) * np.abs(recorded)
    worst = float(np.max(np.abs(found - recorded) / np.maximum(allowed, 1e-300)))
    return worst <= 1.0, worst
