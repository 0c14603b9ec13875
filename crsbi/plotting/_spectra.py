"""Plots of Galactic cosmic-ray spectra and ratios with measurements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["plot_spectra", "plot_spectrum"]


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
        Model spectra (:func:`crsbi.simulators.galactic.simulate_galactic`).
    measurement : Measurement
        Data (:mod:`crsbi.datasets.spectra`), rigidity [GV] or energy [GeV/n] axis.
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
    >>> from crsbi.datasets.spectra import Measurement
    >>> from crsbi.simulators.galactic import simulate_galactic
    >>> s = simulate_galactic([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> ax = plot_spectrum(s, m, phi=0.7)
    """
    import matplotlib.pyplot as plt

    from crsbi.inference.spectra_likelihood import predict_measurement

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
    >>> from crsbi.datasets.spectra import Measurement
    >>> from crsbi.simulators.galactic import simulate_galactic
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
