"""Matplotlib helpers for looking at crsbi results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["plot_history"]


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
    >>> from crsbi.plotting import plot_history
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
