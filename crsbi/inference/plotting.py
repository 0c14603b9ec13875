"""Plots of posterior calibration: SBC rank histograms and expected coverage."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from crsbi.core.validation import check_interval

__all__ = [
    "plot_coverage",
    "plot_sbc_ranks",
]


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
    >>> from crsbi.inference import plot_sbc_ranks
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
