"""Plots of test-particle results.

Generated versus reference trajectory statistics; surrogate slices of diffusion coefficients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.particles.statistics import (
    curvature,
    default_lags,
    flatness,
    gyro_centre_velocity,
    increment_pdf,
    integrate_positions,
    mean_squared_displacement,
    structure_function,
)

__all__ = [
    "plot_surrogate_slice",
    "plot_trajectory_statistics",
]


def plot_trajectory_statistics(
    V_gen: Any,
    V_ref: Any,
    *,
    dt: float = 1.0,
    steps_per_gyration: float = 100.0,
    lags: Any = None,
    pdf_lags: Any = None,
    labels: tuple[str, str] = ("generated", "simulated"),
    axes: Any = None,
) -> Any:
    r"""Compare S2, F4, increment PDFs, MSD and gyro-centre curvature of two trajectory sets.

    Parameters
    ----------
    V_gen, V_ref : array-like of shape (n, n_times, 3)
        Generated and reference unit velocity series with the same sample spacing.
    dt : float, default=1.0
        Sample spacing [any time unit, e.g. :math:`\ell_0/v` for
        :math:`2\pi/(100\alpha)`]; sets the units of the MSD and curvature axes.
    steps_per_gyration : float, default=100
        Gyro-period [samples]: lags are shown in gyro-periods.
    lags : array-like of int or None
        Lags in samples (log-spaced up to half the shorter series when ``None``).
    pdf_lags : array-like of int or None
        Lags of the increment PDFs (default: 0.1, 0.5 and 2 gyro-periods, when shorter
        than the series).
    labels : tuple of str, default=("generated", "simulated")
        Legend entries.
    axes : array of 5 matplotlib.axes.Axes or None
        Axes to draw on; a new 1 x 5 figure when ``None``.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        The five axes (S2, F4, increment PDFs, MSD, curvature PDF).

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from crsbi.particles.plotting import plot_trajectory_statistics
    >>> V = np.random.default_rng(0).normal(size=(4, 64, 3))
    >>> V /= np.linalg.norm(V, axis=2, keepdims=True)
    >>> plot_trajectory_statistics(V, V, steps_per_gyration=10).shape
    (5,)
    """
    import matplotlib.pyplot as plt

    V_gen = np.asarray(V_gen, dtype=float)
    V_ref = np.asarray(V_ref, dtype=float)
    n_times = min(V_gen.shape[1], V_ref.shape[1])
    lags = default_lags(n_times) if lags is None else np.asarray(lags)
    if pdf_lags is None:
        pdf_lags = [
            round(f * steps_per_gyration)
            for f in (0.1, 0.5, 2.0)
            if 1 <= round(f * steps_per_gyration) < n_times
        ] or [1]
    if axes is None:
        _, axes = plt.subplots(1, 5, figsize=(20, 3.6))
    axes = np.asarray(axes).ravel()
    tau = lags / steps_per_gyration
    styles = [("C1", "-"), ("k", "--")]
    for V, label, (color, line) in zip((V_gen, V_ref), labels, styles, strict=True):
        axes[0].loglog(tau, structure_function(V, lags).sum(1), line, color=color, label=label)
        axes[1].semilogx(tau, flatness(V, lags, average=True), line, color=color, label=label)
        for k, lag in enumerate(pdf_lags):
            x, p = increment_pdf(V, lag)
            shown = p > 0
            axes[2].semilogy(
                x[shown],
                p[shown] * 10.0**k,
                line,
                color=color,
                label=label if k == 0 else None,
            )
        msd = mean_squared_displacement(integrate_positions(V, dt), lags).sum(1)
        axes[3].loglog(tau, msd, line, color=color, label=label)
        kappa = curvature(gyro_centre_velocity(V, steps_per_gyration), dt).ravel()
        kappa = kappa[np.isfinite(kappa) & (kappa > 0)]
        if kappa.size:
            edges = np.geomspace(kappa.min(), kappa.max(), 41)
            density, edges = np.histogram(kappa, bins=edges, density=True)
            centres = np.sqrt(edges[1:] * edges[:-1])
            shown = density > 0
            axes[4].loglog(centres[shown], density[shown], line, color=color, label=label)
    axes[0].set(xlabel=r"$\tau$ [gyro-periods]", ylabel=r"$S_2(\tau)$")
    axes[1].axhline(3.0, color="0.7", lw=0.8)
    axes[1].set(xlabel=r"$\tau$ [gyro-periods]", ylabel=r"$F_4 = S_4/S_2^2$")
    axes[2].set(
        xlabel=r"$\delta_\tau V_i/\sigma$",
        ylabel="PDF (shifted by 10x per lag)",
        title="lags " + ", ".join(f"{lag / steps_per_gyration:g}" for lag in pdf_lags) + " T_g",
    )
    axes[3].set(xlabel=r"$\tau$ [gyro-periods]", ylabel=r"MSD $\langle|\Delta X|^2\rangle$")
    axes[4].set(xlabel=r"gyro-centre curvature $\kappa$", ylabel=r"$p(\kappa)$")
    for ax in axes:
        ax.legend(fontsize=8)
    return axes


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
