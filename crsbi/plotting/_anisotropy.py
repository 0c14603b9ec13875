"""Plots of anisotropy tests: null and alternative test statistics, power curves versus eta."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["plot_power_curves", "plot_test_statistic"]


def plot_test_statistic(
    null: Any,
    alternative: Any,
    *,
    threshold: float | None = None,
    bins: int = 40,
    labels: tuple[str, str] = ("isotropic", "with source"),
    ax: Any = None,
) -> Any:
    """Histograms of the test statistic on isotropic and source maps, with the threshold.

    Parameters
    ----------
    null : array-like of shape (n_null,) or a calibrated test
        Statistics of isotropic maps; a calibrated test (with ``null_statistics_``) gives
        them and its ``threshold_``.
    alternative : array-like of shape (n_alternative,)
        Statistics of maps with a source.
    threshold : float or None
        Rejection threshold (vertical line); taken from the test when ``null`` is one.
    bins : int, default=40
        Number of common bins.
    labels : tuple of str, default=("isotropic", "with source")
        Legend labels.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; the legend states the power (fraction of source maps above
        the threshold).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.plotting._anisotropy import plot_test_statistic
    >>> rng = np.random.default_rng(0)
    >>> ax = plot_test_statistic(rng.normal(size=500), rng.normal(3, 1, 500), threshold=2.33)
    """
    import matplotlib.pyplot as plt

    if hasattr(null, "null_statistics_"):
        threshold = null.threshold_ if threshold is None else threshold
        null = null.null_statistics_
    null = np.asarray(null, dtype=float).ravel()
    alternative = np.asarray(alternative, dtype=float).ravel()
    if null.size == 0 or alternative.size == 0:
        raise ValueError("null and alternative must hold at least one statistic each.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    values = np.concatenate([null, alternative])
    finite = values[np.isfinite(values)]
    edges = np.histogram_bin_edges(finite, bins=bins)
    ax.hist(null, bins=edges, density=True, alpha=0.6, label=f"{labels[0]} ({null.size})")
    ax.hist(
        alternative, bins=edges, density=True, alpha=0.6, label=f"{labels[1]} ({alternative.size})"
    )
    if threshold is not None and np.isfinite(threshold):
        power = float(np.mean(alternative > threshold))
        size = float(np.mean(null > threshold))
        ax.axvline(
            threshold,
            color="k",
            ls="--",
            lw=1,
            label=f"threshold (FPR {size:.3f}, power {power:.2f})",
        )
    ax.set_xlabel("test statistic")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax


def plot_power_curves(
    results: Any,
    *,
    ax: Any = None,
    show_fit: bool = True,
) -> Any:
    """Power versus source fraction eta, with the minimal fraction and its error.

    Parameters
    ----------
    results : MinimalFraction or mapping of str to MinimalFraction
        Output(s) of ``minimal_fraction`` (e.g. ``{"CNN": ..., "power spectrum": ...}``).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.
    show_fit : bool, default=True
        Draw the fitted probit curve near the crossing.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: measured power with binomial error bars, the target
        ``1 - beta`` and the minimal fraction +- its error.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi._minimal_fraction import MinimalFraction
    >>> from crsbi.plotting._anisotropy import plot_power_curves
    >>> r = MinimalFraction(eta=0.1, eta_err=0.01, fractions=np.array([0.05, 0.1, 0.15]),
    ...                     power=np.array([0.4, 0.95, 1.0]), n_maps=np.array([100] * 3),
    ...                     alpha=0.01, beta=0.05, probit=(-3.0, 46.0))
    >>> ax = plot_power_curves({"toy": r})
    """
    import matplotlib.pyplot as plt

    if not isinstance(results, Mapping):
        results = {getattr(results, "source", None) or "test": results}
    if not results:
        raise ValueError("results is empty.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    beta = None
    for i, (name, result) in enumerate(results.items()):
        color = f"C{i}"
        order = np.argsort(result.fractions)
        eta_values = np.asarray(result.fractions)[order]
        ax.errorbar(
            eta_values,
            np.asarray(result.power)[order],
            yerr=np.asarray(result.power_err)[order],
            fmt="o",
            ms=3,
            color=color,
            label=f"{name}: eta = {result.eta:.3g} +- {result.eta_err:.2g}",
        )
        if show_fit and np.all(np.isfinite(result.probit)) and np.isfinite(result.eta):
            grid = np.linspace(0.5 * result.eta, min(1.6 * result.eta, 1.0), 100)
            ax.plot(grid, result.power_curve(grid), color=color, lw=1)
        if np.isfinite(result.eta):
            ax.axvspan(
                result.eta - result.eta_err, result.eta + result.eta_err, color=color, alpha=0.15
            )
        beta = result.beta
    if beta is not None:
        ax.axhline(1 - beta, color="0.4", ls=":", lw=1, label=f"power {1 - beta:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("source fraction eta")
    ax.set_ylabel("power")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small")
    return ax
