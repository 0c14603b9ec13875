"""Plots of training histories, calibration and surrogate results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from crsbi.utils._validation import check_interval

__all__ = [
    "plot_coverage",
    "plot_history",
    "plot_predicted_vs_simulated",
    "plot_sbc_ranks",
    "plot_surrogate_slice",
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


def plot_sbc_ranks(
    report: Any, *, bins: int | None = None, band: float = 0.99, axes: Any = None
) -> np.ndarray:
    """Histogram of the SBC ranks of each parameter, with the band of a uniform one.

    Parameters
    ----------
    report : CalibrationReport
        Output of :func:`run_calibration`.
    bins : int or None
        Number of bins; ``None`` aims at about 20 simulations per bin (4 to 50 bins).
    band : float, default=0.99
        Probability content of the grey band: where each bin count falls with this
        probability for uniform ranks (binomial quantiles).
    axes : sequence of matplotlib.axes.Axes or None
        One axes per parameter; a new figure is made when ``None``.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        The axes drawn on, one per parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference.calibration import CalibrationReport
    >>> from crsbi.plotting import plot_sbc_ranks
    >>> rng = np.random.default_rng(0)
    >>> report = CalibrationReport(
    ...     param_names=["a", "b"], n_rounds=200, n_posterior_samples=100,
    ...     sbc_ranks=rng.integers(0, 101, size=(200, 2)).astype(float),
    ...     sbc_ks_pvalues=np.array([0.5, 0.5]), sbc_c2st_ranks=None, dap_c2st=None,
    ...     tarp_alpha=np.linspace(0, 1, 21), tarp_ecp=np.linspace(0, 1, 21),
    ...     tarp_atc=0.0, tarp_ks_pvalue=1.0, hpd_credibility=rng.uniform(size=200),
    ...     levels=np.array([0.5, 0.9]), hpd_coverage=np.array([0.5, 0.9]),
    ...     hpd_ks_pvalue=0.5)
    >>> plot_sbc_ranks(report).shape
    (2,)
    """
    import matplotlib.pyplot as plt

    check_interval(band, "band", "plot_sbc_ranks", low=0, high=1, closed="neither")
    n_params = len(report.param_names)
    if bins is None:
        bins = int(np.clip(report.n_rounds // 20, 4, 50))
    check_interval(bins, "bins", "plot_sbc_ranks", kind=int, low=1)
    if axes is None:
        _, axes = plt.subplots(1, n_params, figsize=(3.2 * n_params, 3), squeeze=False)
    axes = np.asarray(axes, dtype=object).ravel()
    if len(axes) != n_params:
        raise ValueError(f"axes must hold one axes per parameter ({n_params}); got {len(axes)}.")
    edges = np.linspace(-0.5, report.n_posterior_samples + 0.5, bins + 1)
    low, high = stats.binom.ppf([(1 - band) / 2, (1 + band) / 2], report.n_rounds, 1 / bins)
    for i, ax in enumerate(axes):
        ax.fill_between(
            [edges[0], edges[-1]], low, high, color="0.85", label=f"uniform, {band:.0%} band"
        )
        ax.axhline(report.n_rounds / bins, color="0.5", lw=1)
        ax.hist(report.sbc_ranks[:, i], bins=edges, histtype="step", lw=1.5, color="C0")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel(f"rank of {report.param_names[i]}")
        ax.set_title(f"KS p = {report.sbc_ks_pvalues[i]:.3g}", fontsize="small")
    axes[0].set_ylabel("simulations per bin")
    axes[0].legend(loc="lower center", fontsize="small")
    return axes


def plot_coverage(report: Any, *, band: float = 0.95, ax: Any = None) -> Any:
    """Empirical against expected coverage: HPD regions and TARP.

    A calibrated posterior follows the diagonal; curves below it are overconfident
    (regions too small), above it underconfident.

    Parameters
    ----------
    report : CalibrationReport
        Output of :func:`run_calibration`.
    band : float, default=0.95
        Probability content of the grey binomial band around the diagonal for
        ``report.n_rounds`` simulations.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    With a :class:`crsbi.inference.CalibrationReport` from :func:`crsbi.run_calibration`::

        report = run_calibration(npe, theta_test, x_test)
        ax = plot_coverage(report)
        ax.figure.savefig("coverage.png")
    """
    import matplotlib.pyplot as plt

    check_interval(band, "band", "plot_coverage", low=0, high=1, closed="neither")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    grid, curve = report.coverage_curve()
    z = stats.norm.ppf((1 + band) / 2)
    half = z * np.sqrt(grid * (1 - grid) / report.n_rounds)
    ax.fill_between(grid, grid - half, grid + half, color="0.85", label=f"{band:.0%} band")
    ax.plot([0, 1], [0, 1], color="0.4", lw=1, ls="--")
    ax.plot(grid, curve, color="C0", label="HPD regions")
    ax.errorbar(
        report.levels,
        report.hpd_coverage,
        yerr=report.hpd_coverage_stderr,
        fmt="o",
        color="C0",
        ms=4,
    )
    ax.plot(report.tarp_alpha, report.tarp_ecp, color="C1", label="TARP")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("credibility level")
    ax.set_ylabel("empirical coverage")
    ax.set_title(
        f"TARP ATC = {report.tarp_atc:+.3f}, HPD KS p = {report.hpd_ks_pvalue:.3g}",
        fontsize="small",
    )
    ax.legend(loc="upper left", fontsize="small")
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
    >>> from crsbi.plotting import plot_predicted_vs_simulated
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


def plot_surrogate_slice(
    surrogate: Any,
    base: Any,
    *,
    vary: int,
    values: Any,
    curves: tuple[int, Any] | None = None,
    feature_names: Any = None,
    ax: Any = None,
    log: bool = True,
) -> Any:
    """Surrogate prediction along one parameter, other parameters fixed (Palade 2023, Figs. 7-8).

    Parameters
    ----------
    surrogate : fitted estimator
        Anything with ``predict(X, return_std=True)`` (e.g. :class:`crsbi.DiffusionSurrogate`).
    base : array-like of shape (n_features,)
        Values of the parameters held fixed.
    vary : int
        Column varied along the x axis.
    values : array-like of shape (n_points,)
        Values of that column.
    curves : tuple (int, array-like) or None
        Optionally a second column and its values: one curve per value.
    feature_names : sequence of str or None
        Axis and legend labels.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.
    log : bool, default=True
        Logarithmic axes.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; shaded bands show the ensemble spread (+- 1 std).

    Examples
    --------
    With a fitted :class:`crsbi.DiffusionSurrogate` over (log10 T, b, log10 lambda_perp)::

        ax = plot_surrogate_slice(model, base=[0.0, 0.5, 0.0], vary=1,
                                  values=np.linspace(0.05, 1, 50), curves=(2, [-1, 0, 1]))
    """
    import matplotlib.pyplot as plt

    base = np.asarray(base, dtype=float)
    values = np.asarray(values, dtype=float)
    names = (
        list(feature_names) if feature_names is not None else [f"x{i}" for i in range(len(base))]
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    series = [(None, None)] if curves is None else [(curves[0], v) for v in curves[1]]
    for column, value in series:
        X = np.tile(base, (len(values), 1))
        X[:, vary] = values
        label = None
        if column is not None:
            X[:, column] = value
            label = f"{names[column]} = {value:g}"
        mean, std = surrogate.predict(X, return_std=True)
        line = ax.plot(values, mean, label=label)[0]
        ax.fill_between(values, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(names[vary])
    ax.set_ylabel("predicted coefficient")
    if curves is not None:
        ax.legend(fontsize="small")
    return ax
