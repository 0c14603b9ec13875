"""Generic plots: training histories and predicted-versus-simulated scatter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "plot_history",
    "plot_predicted_vs_simulated",
]


def plot_history(
    history: Sequence[dict[str, Any]] | Any,
    *,
    metrics: Sequence[str] = (),
    ax: Any = None,
    log_y: bool = True,
) -> Any:
    """Plot training and validation loss per epoch, marking the restored epoch.

    Parameters
    ----------
    history : list of dict or fitted estimator
        An estimator's ``history_`` (or the estimator itself).
    metrics : sequence of str
        Extra validation metrics to draw on a twin axis (e.g. ``["val_r2"]``).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.
    log_y : bool, default=True
        Logarithmic loss axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from crsbi.core import plot_history
    >>> ax = plot_history([{"epoch": 1, "train_loss": 1.0, "val_loss": 1.2},
    ...                    {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7}])
    """
    import matplotlib.pyplot as plt

    best_epoch = getattr(history, "best_epoch_", None)
    if hasattr(history, "history_"):
        history = history.history_
    if not history:
        raise ValueError("history is empty: fit the estimator first.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    epochs = [r["epoch"] for r in history]
    ax.plot(epochs, [r["train_loss"] for r in history], label="train loss")
    val = [r.get("val_loss", math.nan) for r in history]
    if not all(math.isnan(v) for v in val):
        ax.plot(epochs, val, label="validation loss")
    if best_epoch:
        ax.axvline(best_epoch, color="0.5", ls="--", lw=1, label=f"restored epoch {best_epoch}")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    handles, labels = ax.get_legend_handles_labels()
    if metrics:
        twin = ax.twinx()
        for i, name in enumerate(metrics):
            values = [r.get(name, math.nan) for r in history]
            twin.plot(epochs, values, ls=":", color=f"C{i + 2}", label=name)
        twin.set_ylabel(", ".join(metrics))
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(handles, labels, loc="center right", fontsize="small")
    return ax


def plot_predicted_vs_simulated(
    y_true: Any,
    y_pred: Any,
    *,
    ax: Any = None,
    log: bool = True,
    label: str = "D",
) -> Any:
    """Scatter of surrogate predictions against simulated values, with the identity line.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Simulated and predicted coefficients (e.g. D_perp in rho_L0^2 omega_c).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.
    log : bool, default=True
        Logarithmic axes (zeros are left out).
    label : str, default="D"
        Name of the quantity for the axis labels.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; the title gives the relative error (root second moment).

    Examples
    --------
    >>> from crsbi.core import plot_predicted_vs_simulated
    >>> ax = plot_predicted_vs_simulated([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
    """
    import matplotlib.pyplot as plt

    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length; got {y_true.size} and {y_pred.size}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    keep = (y_true > 0) & (y_pred > 0) if log else np.ones_like(y_true, dtype=bool)
    ax.scatter(y_true[keep], y_pred[keep], s=6, alpha=0.5)
    lo = min(y_true[keep].min(), y_pred[keep].min())
    hi = max(y_true[keep].max(), y_pred[keep].max())
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    nonzero = y_true != 0
    rel = np.sqrt(np.mean(((y_pred[nonzero] - y_true[nonzero]) / y_true[nonzero]) ** 2))
    ax.set_title(f"relative error {100 * rel:.1f} %", fontsize="small")
    ax.set_xlabel(f"simulated {label}")
    ax.set_ylabel(f"predicted {label}")
    return ax
