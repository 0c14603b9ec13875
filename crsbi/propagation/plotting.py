"""Plots of Galactic cosmic-ray spectra and of the propagation inverter.

Spectra and ratios with measurements, corners, Delta-chi^2 profiles, tau histograms, predicted
spectra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "plot_chi2_profiles",
    "plot_corner",
    "plot_predicted_spectra",
    "plot_predictive",
    "plot_predictive_bands",
    "plot_spectra",
    "plot_spectrum",
    "plot_tau_histogram",
]


def _names(names: Sequence[str] | None, n: int) -> list[str]:
    if names is None:
        return [f"theta_{i}" for i in range(n)]
    names = list(names)
    if len(names) != n:
        raise ValueError(f"param_names must have {n} entries; got {len(names)}.")
    return names


def _sample_sets(samples: Any) -> dict[str, np.ndarray]:
    sets = dict(samples) if isinstance(samples, Mapping) else {"samples": samples}
    out = {}
    for label, value in sets.items():
        array = np.asarray(value, dtype=float)
        if array.ndim != 2:
            raise ValueError(
                f"samples[{label!r}] must have shape (n_samples, n_params); got {array.shape}."
            )
        out[str(label)] = array
    if len({a.shape[1] for a in out.values()}) != 1:
        raise ValueError("All sample sets must have the same number of parameters.")
    return out


def plot_corner(
    samples: Any,
    *,
    param_names: Sequence[str] | None = None,
    truth: Any = None,
    bins: int = 30,
    fig: Any = None,
) -> Any:
    """Corner plot of one or several posterior sample sets (1D histograms, 2D contours).

    Parameters
    ----------
    samples : array-like of shape (n, n_params) or dict of label -> array
        Posterior samples (physical units), several sets overlaid in colour.
    param_names : sequence of str or None
        Axis labels.
    truth : array-like of shape (n_params,) or None
        Marked with lines.
    bins : int, default=30
        Histogram bins.
    fig : matplotlib.figure.Figure or None
        Figure to draw on.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.plotting import plot_corner
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_corner({"a": rng.normal(size=(500, 3)), "b": rng.normal(size=(500, 3))})
    >>> len(fig.axes)
    9
    """
    import matplotlib.pyplot as plt

    sets = _sample_sets(samples)
    n = next(iter(sets.values())).shape[1]
    names = _names(param_names, n)
    if fig is None:
        fig = plt.figure(figsize=(1.6 * n + 1, 1.6 * n + 1))
    axes = fig.subplots(n, n, squeeze=False)
    combined = np.concatenate(list(sets.values()))
    lo, hi = np.percentile(combined, [0.5, 99.5], axis=0)
    if truth is not None:
        truth = np.asarray(truth, dtype=float)
        lo, hi = np.minimum(lo, truth), np.maximum(hi, truth)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            for k, (label, s) in enumerate(sets.items()):
                colour = colours[k % len(colours)]
                if i == j:
                    ax.hist(s[:, i], bins=bins, range=(lo[i], hi[i]), density=True,
                            histtype="step", color=colour, label=label)  # fmt: skip
                else:
                    h, xe, ye = np.histogram2d(s[:, j], s[:, i], bins=bins // 2,
                                               range=[[lo[j], hi[j]], [lo[i], hi[i]]])  # fmt: skip
                    levels = _hpd_levels(h, (0.95, 0.68))
                    if len(set(levels)) == len(levels) and h.max() > 0:
                        ax.contour(0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1]), h.T,
                                   levels=levels, colors=colour, linewidths=1)  # fmt: skip
            if truth is not None:
                ax.axvline(truth[j], color="k", lw=0.8, ls=":")
                if i != j:
                    ax.axhline(truth[i], color="k", lw=0.8, ls=":")
            ax.set_xlim(lo[j], hi[j])
            if i != j:
                ax.set_ylim(lo[i], hi[i])
            ax.tick_params(labelsize="x-small")
            if i == n - 1:
                ax.set_xlabel(names[j], fontsize="small")
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(names[i], fontsize="small")
            elif j > 0 or i == 0:
                ax.set_yticklabels([])
    if len(sets) > 1:
        axes[0, 0].legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.05, 1))
    return fig


def _hpd_levels(h: np.ndarray, masses: Sequence[float]) -> list[float]:
    """Histogram heights enclosing the given probability masses, increasing."""
    flat = np.sort(h.ravel())[::-1]
    cumulative = np.cumsum(flat) / max(flat.sum(), 1e-300)
    levels = [float(flat[min(np.searchsorted(cumulative, m), len(flat) - 1)]) for m in masses]
    return sorted(levels)


def plot_chi2_profiles(
    samples: Any,
    chi2: Any,
    *,
    param_names: Sequence[str] | None = None,
    bins: int = 20,
    chi2_min: float | None = None,
    axes: Any = None,
) -> Any:
    """Profile Delta-chi^2 curves (Tsai et al. 2022, Fig. 6) from evaluated parameter sets.

    For each parameter the range is cut into ``bins`` bins and the lowest chi^2 of the
    parameter sets falling in each bin is drawn minus ``chi2_min``: an estimate of the
    profile likelihood from samples (lower envelope), with the 1-sigma line at 1. The
    y axis is linear below 1 and logarithmic above.

    Parameters
    ----------
    samples : array-like of shape (n, n_params) or dict of label -> array
        Parameter sets (e.g. MCMC or NPE draws, inverter predictions).
    chi2 : array-like of shape (n,) or dict of label -> array
        chi^2 of each set, matching ``samples``.
    param_names : sequence of str or None
        Axis labels.
    bins : int, default=20
        Bins per parameter.
    chi2_min : float or None
        Reference minimum; default the smallest chi^2 over all sets.
    axes : array of matplotlib.axes.Axes or None
        ``n_params`` axes to draw on.

    Returns
    -------
    ndarray of matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.plotting import plot_chi2_profiles
    >>> theta = np.random.default_rng(0).normal(size=(2000, 2))
    >>> axes = plot_chi2_profiles(theta, (theta**2).sum(axis=1))
    >>> len(axes)
    2
    """
    import matplotlib.pyplot as plt

    sets = _sample_sets(samples)
    values = dict(chi2) if isinstance(chi2, Mapping) else {next(iter(sets)): chi2}
    values = {k: np.asarray(v, dtype=float).ravel() for k, v in values.items()}
    if set(values) != set(sets) or any(len(values[k]) != len(sets[k]) for k in sets):
        raise ValueError("chi2 must give one value per parameter set of every sample set.")
    n = next(iter(sets.values())).shape[1]
    names = _names(param_names, n)
    floor = min(float(np.min(v)) for v in values.values()) if chi2_min is None else chi2_min
    if axes is None:
        cols = min(n, 5)
        _, axes = plt.subplots(-(-n // cols), cols, figsize=(2.6 * cols, 2.2 * -(-n // cols)),
                               squeeze=False)  # fmt: skip
    axes = np.ravel(axes)
    combined = np.concatenate(list(sets.values()))
    for j in range(n):
        edges = np.linspace(combined[:, j].min(), combined[:, j].max(), bins + 1)
        centres = 0.5 * (edges[1:] + edges[:-1])
        for label, s in sets.items():
            which = np.clip(np.digitize(s[:, j], edges) - 1, 0, bins - 1)
            profile = np.full(bins, np.nan)
            for b in range(bins):
                inside = which == b
                if inside.any():
                    profile[b] = values[label][inside].min() - floor
            axes[j].plot(centres, profile, marker=".", label=label)
        axes[j].axhline(1.0, color="0.5", lw=0.8, ls="--")
        axes[j].set_yscale("symlog", linthresh=1.0)
        axes[j].set_xlabel(names[j], fontsize="small")
        axes[j].set_ylabel(r"$\Delta\chi^2$", fontsize="small")
        axes[j].tick_params(labelsize="x-small")
    for ax in axes[n:]:
        ax.set_visible(False)
    if len(sets) > 1:
        axes[0].legend(fontsize="x-small")
    axes[0].figure.tight_layout()
    return axes[:n]


def plot_tau_histogram(
    tau: Any,
    *,
    param_names: Sequence[str] | None = None,
    tolerance: float = 0.1,
    bins: int = 40,
    ax: Any = None,
) -> Any:
    """Histogram of the feedback statistic ``mean_i |tau_i|``, and of each ``tau_i``.

    Parameters
    ----------
    tau : array-like of shape (n, n_params) or list of dict
        ``tau`` of one round, or a ``feedback_history_`` (every round is drawn).
    param_names : sequence of str or None
        Labels of the per-parameter panel.
    tolerance : float, default=0.1
        Stop threshold, marked.
    bins : int, default=40
        Histogram bins.
    ax : sequence of two matplotlib.axes.Axes or None
        Axes for the mean and per-parameter panels.

    Returns
    -------
    ndarray of two matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.plotting import plot_tau_histogram
    >>> axes = plot_tau_histogram(np.random.default_rng(0).normal(0, 0.05, size=(200, 3)))
    """
    import matplotlib.pyplot as plt

    if isinstance(tau, list):
        rounds = {f"round {h['round']}": np.asarray(h["tau"], dtype=float) for h in tau}
    else:
        rounds = {"tau": np.asarray(tau, dtype=float)}
    if any(t.ndim != 2 for t in rounds.values()):
        raise ValueError("tau must have shape (n, n_params) (or be a feedback_history_).")
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax = np.ravel(ax)
    last = list(rounds.values())[-1]
    names = _names(param_names, last.shape[1])
    for label, t in rounds.items():
        score = np.mean(np.abs(t), axis=1)
        score = score[np.isfinite(score)]
        ax[0].hist(np.log10(np.maximum(score, 1e-6)), bins=bins, histtype="step", label=label)
    ax[0].axvline(np.log10(tolerance), color="k", ls="--", lw=1, label="tolerance")
    ax[0].set_xlabel(r"$\log_{10}$ mean$_i |\tau_i|$")
    ax[0].legend(fontsize="x-small")
    finite = np.where(np.isfinite(last), last, np.nan)
    ax[1].boxplot([c[np.isfinite(c)] for c in finite.T], showfliers=False)
    ax[1].set_xticks(range(1, len(names) + 1), names, rotation=45, fontsize="x-small")
    ax[1].axhline(0.0, color="0.5", lw=0.8)
    ax[1].set_ylabel(r"$\tau_i$ (last round)")
    ax[0].figure.tight_layout()
    return ax


def plot_predicted_spectra(
    energy: Any,
    true: Any = None,
    predicted: Any = None,
    *,
    elements: Sequence[str] = ("Li", "Be", "B", "C", "O"),
    data: Sequence[Any] = (),
    power: float = 2.7,
    axes: Any = None,
) -> Any:
    """Fluxes (times ``E^power``) and the B/C ratio: truth, predictions, measurements.

    Parameters
    ----------
    energy : array-like of shape (n_E,)
        Kinetic energy per nucleon [GeV/n].
    true : array-like of shape (5, n_E) or None
        Reference fluxes (e.g. the mock truth), solid lines.
    predicted : array-like of shape (n_sets, 5, n_E), (5, n_E) or None
        Fluxes re-simulated at predicted parameters: median line and 68 % band.
    elements : sequence of str
        Names of the five channels.
    data : sequence of Measurement
        Measurements on the energy axis (:func:`crsbi.propagation.data.load_ams02` with
        ``axis="energy"``), drawn with error bars on the panel of their quantity
        (an element, or ``"B/C"``).
    power : float, default=2.7
        Fluxes are multiplied by ``E^power``.
    axes : sequence of two matplotlib.axes.Axes or None
        Flux panel and B/C panel.

    Returns
    -------
    ndarray of two matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.plotting import plot_predicted_spectra
    >>> e = np.logspace(-1, 3, 20)
    >>> axes = plot_predicted_spectra(e, np.vstack([e**-2.7 * k for k in (1, 1, 2, 5, 5)]))
    """
    import matplotlib.pyplot as plt

    e = np.asarray(energy, dtype=float)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes = np.ravel(axes)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    b_index, c_index = list(elements).index("B"), list(elements).index("C")
    if true is not None:
        t = np.asarray(true, dtype=float)
        for k, name in enumerate(elements):
            axes[0].plot(e, t[k] * e**power, color=colours[k], label=name)
        axes[1].plot(e, t[b_index] / t[c_index], color="k", label="truth")
    if predicted is not None:
        p = np.asarray(predicted, dtype=float)
        p = p[None] if p.ndim == 2 else p
        lo, mid, hi = np.percentile(p, [16, 50, 84], axis=0)
        for k in range(len(elements)):
            axes[0].plot(e, mid[k] * e**power, color=colours[k], ls="--")
            axes[0].fill_between(e, lo[k] * e**power, hi[k] * e**power, color=colours[k],
                                 alpha=0.25, lw=0)  # fmt: skip
        ratio = p[:, b_index] / p[:, c_index]
        r_lo, r_mid, r_hi = np.percentile(ratio, [16, 50, 84], axis=0)
        axes[1].plot(e, r_mid, ls="--", color="C1", label="predicted")
        axes[1].fill_between(e, r_lo, r_hi, color="C1", alpha=0.25, lw=0)
    for m in data:
        ax = axes[1] if m.quantity == "B/C" else axes[0]
        scale = m.x**power if m.quantity != "B/C" else 1.0
        colour = colours[list(elements).index(m.quantity)] if m.quantity in elements else "k"
        ax.errorbar(m.x, m.y * scale, yerr=m.error * scale, fmt="o", ms=2, color=colour,
                    label=f"{m.experiment} {m.quantity}")  # fmt: skip
    axes[0].set(xscale="log", yscale="log", xlabel="E [GeV/n]", ylabel=f"E^{power:g} flux")
    axes[1].set(xscale="log", yscale="log", xlabel="E [GeV/n]", ylabel="B/C")
    axes[0].legend(fontsize="x-small", ncol=2)
    axes[1].legend(fontsize="x-small")
    axes[0].figure.tight_layout()
    return axes


def plot_spectrum(
    spectra: Any,
    measurement: Any,
    *,
    phi: float | None = None,
    power: float = 2.7,
    ax: Any = None,
    label: str | None = "model",
    color: str | None = None,
) -> Any:
    """Draw a measured flux or ratio with error bars and the model on the same axis.

    Parameters
    ----------
    spectra : GalacticSpectra
        Model spectra (:func:`crsbi.propagation.galactic.simulate_galactic`).
    measurement : Measurement
        Data (:mod:`crsbi.propagation.data`), rigidity [GV] or energy [GeV/n] axis.
    phi : float or None
        Force-field potential [GV]; ``None`` uses ``spectra.phi`` (ignored for
        interstellar data).
    power : float, default=2.7
        Fluxes are multiplied by ``x**power`` (ratios are not).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure when ``None``.
    label : str or None
        Legend label of the model curve.
    color : str or None
        Colour of the model curve.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.data import Measurement
    >>> from crsbi.propagation.galactic import simulate_galactic
    >>> s = simulate_galactic([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> ax = plot_spectrum(s, m, phi=0.7)
    """
    import matplotlib.pyplot as plt

    from crsbi.propagation.likelihood import predict_measurement

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    scale_power = 0.0 if measurement.is_ratio else power
    x = measurement.x
    ax.errorbar(
        x,
        measurement.y * x**scale_power,
        yerr=measurement.error * x**scale_power,
        fmt="o",
        ms=3,
        color="k",
        label=f"{measurement.experiment} {measurement.quantity}",
    )
    grid = np.geomspace(x.min() / 1.5, x.max() * 1.5, 200)
    curve = type(measurement)(
        measurement.quantity,
        measurement.axis,
        grid,
        np.ones_like(grid),
        np.ones_like(grid),
        np.zeros_like(grid),
        "",
        "",
        modulated=measurement.modulated,
    )
    model = predict_measurement(spectra, curve, phi)
    ax.plot(grid, model * grid**scale_power, color=color, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    unit = "R [GV]" if measurement.axis == "rigidity" else "T [GeV/n]"
    ax.set_xlabel(unit)
    if measurement.is_ratio:
        ax.set_ylabel(measurement.quantity)
    else:
        var = "R" if measurement.axis == "rigidity" else "T"
        ax.set_ylabel(f"{measurement.quantity} flux x {var}^{power:g}")
    ax.legend(fontsize=7)
    return ax


def plot_spectra(
    spectra: Any,
    measurements: Sequence[Any],
    *,
    phi: float | None = None,
    power: float = 2.7,
    n_cols: int = 3,
) -> Any:
    """Panel figure: one :func:`plot_spectrum` panel per measurement.

    Parameters
    ----------
    spectra : GalacticSpectra
        Model spectra.
    measurements : sequence of Measurement
        Data sets, one panel each.
    phi : float or None
        Force-field potential [GV]; ``None`` uses ``spectra.phi``.
    power : float, default=2.7
        Flux multiplier exponent.
    n_cols : int, default=3
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.data import Measurement
    >>> from crsbi.propagation.galactic import simulate_galactic
    >>> s = simulate_galactic([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
    >>> m = Measurement("C", "energy", np.array([1.0, 10.0]), np.array([3.0, 0.02]),
    ...                 np.array([0.1, 0.001]), np.array([0.0, 0.0]), "toy", "")
    >>> fig = plot_spectra(s, [m, m], phi=0.7)
    """
    import matplotlib.pyplot as plt

    if not measurements:
        raise ValueError("measurements must contain at least one Measurement.")
    n = len(measurements)
    n_cols = max(1, min(int(n_cols), n))
    n_rows = -(-n // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.3 * n_rows), squeeze=False)
    for ax, measurement in zip(axes.flat, measurements, strict=False):
        plot_spectrum(spectra, measurement, phi=phi, power=power, ax=ax)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_predictive(
    check: Any,
    likelihood: Any,
    index: int = 0,
    *,
    power: float = 2.7,
    ax: Any = None,
) -> Any:
    """Draw one measurement of a posterior predictive check with its bands.

    Parameters
    ----------
    check : PredictiveCheck
        From :func:`crsbi.propagation.posterior_predictive`.
    likelihood : SpectraLikelihood
        The likelihood the check was made with (gives the measurements).
    index : int, default=0
        Which measurement of the likelihood to draw.
    power : float, default=2.7
        Fluxes are multiplied by ``x**power`` (ratios are not).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation import Measurement, SpectraLikelihood, posterior_predictive
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> like = SpectraLikelihood([m])
    >>> theta = np.array([[5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]])
    >>> ax = plot_predictive(posterior_predictive(like, theta, random_state=0), like)
    """
    import matplotlib.pyplot as plt

    measurements = likelihood.measurements
    if not 0 <= index < len(measurements):
        raise ValueError(
            f"index must be in [0, {len(measurements)}) (one per measurement); got {index!r}."
        )
    measurement, part = measurements[index], check.slices[index]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    x = measurement.x
    scale = x ** (0.0 if measurement.is_ratio else power)
    _draw_bands(
        ax,
        x,
        {level: check.data_bands[level][:, part] for level in check.levels},
        check.median[part],
        scale,
        color="C0",
        band_label=lambda level: (
            f"{level:.0%} predictive ({check.coverage[level]:.0%} of all points)"
        ),
        median_label="median model",
    )
    _draw_data(ax, measurement, check.observed[part], check.error[part], scale)
    ax.set_xscale("log")
    ax.set_xlabel("R [GV]" if measurement.axis == "rigidity" else "E_k [GeV/n]")
    ax.set_ylabel(
        measurement.quantity
        if measurement.is_ratio
        else f"x^{power:g} flux ({measurement.quantity})"
    )
    ax.legend(fontsize=7)
    return ax


def plot_predictive_bands(
    bands: Any,
    measurement: Any = None,
    *,
    power: float = 2.7,
    color: str = "C0",
    label: str | None = None,
    ax: Any = None,
) -> Any:
    """Draw the posterior bands of one observable, optionally with a measurement.

    Parameters
    ----------
    bands : PredictiveBands
        From :func:`crsbi.propagation.predictive_bands`.
    measurement : Measurement or None
        Data of the same quantity and axis drawn on top (e.g. points never fitted).
    power : float, default=2.7
        Fluxes are multiplied by ``x**power`` (ratios are not).
    color : str, default="C0"
        Colour of the median and bands.
    label : str or None
        Legend label of the median (default: the quantity).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation import Measurement, SpectraLikelihood, predictive_bands
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> theta = np.array([[5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]])
    >>> b = predictive_bands(SpectraLikelihood([m]), theta, "B/C", np.geomspace(5, 5e3, 20))
    >>> ax = plot_predictive_bands(b, m)
    """
    import matplotlib.pyplot as plt

    if measurement is not None and (
        measurement.quantity != bands.quantity or measurement.axis != bands.axis
    ):
        raise ValueError(
            f"measurement is {measurement.quantity!r} vs {measurement.axis}; the bands are "
            f"{bands.quantity!r} vs {bands.axis}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    is_ratio = "/" in bands.quantity
    scale = bands.x ** (0.0 if is_ratio else power)
    where = "" if bands.modulated else " (LIS)"
    _draw_bands(
        ax,
        bands.x,
        bands.bands,
        bands.median,
        scale,
        color=color,
        band_label=lambda level: f"{level:.0%} posterior",
        median_label=label or f"median {bands.quantity}{where}",
    )
    if measurement is not None:
        mscale = measurement.x ** (0.0 if is_ratio else power)
        _draw_data(ax, measurement, measurement.y, measurement.error, mscale)
    ax.set_xscale("log")
    if not is_ratio:
        ax.set_yscale("log")
    ax.set_xlabel("R [GV]" if bands.axis == "rigidity" else "E_k [GeV/n]")
    ax.set_ylabel(bands.quantity if is_ratio else f"x^{power:g} flux ({bands.quantity})")
    ax.legend(fontsize=7)
    return ax


def _draw_bands(
    ax: Any,
    x: np.ndarray,
    bands: dict[float, np.ndarray],
    median: np.ndarray,
    scale: np.ndarray,
    *,
    color: str,
    band_label: Any,
    median_label: str,
) -> None:
    """Central bands (widest first, lighter) and the median line, all times ``scale``."""
    for level, alpha in zip(sorted(bands, reverse=True), (0.2, 0.35, 0.5), strict=False):
        low, high = bands[level]
        ax.fill_between(
            x, low * scale, high * scale, color=color, alpha=alpha, lw=0, label=band_label(level)
        )
    ax.plot(x, median * scale, color=color, lw=1.2, label=median_label)


def _draw_data(
    ax: Any, measurement: Any, y: np.ndarray, error: np.ndarray, scale: np.ndarray
) -> None:
    """Measured points with error bars, times ``scale``, labelled by experiment and quantity."""
    ax.errorbar(
        measurement.x,
        y * scale,
        yerr=error * scale,
        fmt="o",
        ms=3,
        color="k",
        label=f"{measurement.experiment} {measurement.quantity}",
    )
