r"""Diagnostics of (CR-fluid) turbulence: spectra, density PDFs, Mach number, energy budget.

All functions take plain arrays on periodic cubic grids (the last ``ndim`` axes spatial), so
they apply to :func:`~crsbi.maps.crfluid.simulate_crfluid` output and to user maps or
cubes alike. Spectra reuse :func:`crsbi.maps.power.radial_power_spectrum` (shell sums, Parseval
normalised); the compensated form :math:`k^2 P(k)` is the one of Bustard and Oh (2023, Fig. 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from crsbi.core.validation import check_finite, check_interval
from crsbi.maps.power import radial_power_spectrum

__all__ = [
    "density_pdf",
    "density_spectrum",
    "energy_budget",
    "kinetic_energy_spectrum",
    "rms_mach",
]


def density_spectrum(
    density: Any, *, ndim: int = 2, box_size: float = 2.0, compensated: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    r"""Shell-summed power spectrum of density fluctuations, optionally times :math:`k^2`.

    Parameters
    ----------
    density : array-like of shape (..., N, N) or (..., N, N, N)
        Density maps [any unit, e.g. ``rho_0``]; leading axes (snapshots, runs) are averaged.
    ndim : {1, 2, 3}, default=2
        Spatial dimensions (the last ``ndim`` axes).
    box_size : float, default=2.0
        Box side [any length unit] (``2L`` for :func:`~crsbi.maps.crfluid.simulate_crfluid`);
        ``k`` comes
        in its inverse unit.
    compensated : bool, default=True
        Return :math:`k^2 P(k)` instead of :math:`P(k)`.

    Returns
    -------
    k : ndarray of shape (N // 2,)
        Shell wavenumbers :math:`2\pi n/\text{box\_size}`, ``n = 1 .. N // 2``.
    power : ndarray of shape (N // 2,)
        :math:`P(k)` (sums to the density variance) or :math:`k^2 P(k)`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(32) / 32
    >>> rho = 1 + 0.1 * np.cos(2 * np.pi * 3 * x)[:, None] * np.ones(32)
    >>> k, p = density_spectrum(rho, compensated=False)
    >>> int(np.argmax(p)) + 1, round(float(p.sum()), 6)  # shell 3 holds the variance 0.005
    (3, 0.005)
    """
    k, power = radial_power_spectrum(density, ndim=ndim, box_size=box_size, subtract_mean=True)
    k, power = k[1:], power[1:]
    return k, (k**2 * power if compensated else power)


def kinetic_energy_spectrum(
    density: Any, velocity: Any, *, box_size: float = 2.0, compensated: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""Kinetic-energy spectrum of :math:`\mathbf w = \sqrt\rho\,\mathbf v`.

    :math:`E(k) = \tfrac12\sum_i P_{w_i}(k)`, so :math:`\sum_k E(k)` is the mean kinetic energy
    density :math:`\langle\tfrac12\rho v^2\rangle` minus the bulk flow part.

    Parameters
    ----------
    density : array-like of shape (N, N) or (N, N, N)
        Gas density [any unit, e.g. ``rho_0``].
    velocity : array-like of shape (ndim, N, N) or (ndim, N, N, N)
        Velocity components [any velocity unit, e.g. ``c_s``].
    box_size : float, default=2.0
        Box side [any length unit; ``k`` comes in its inverse].
    compensated : bool, default=False
        Return :math:`k^2 E(k)`.

    Returns
    -------
    k, energy : ndarray of shape (N // 2,)
        Wavenumbers [1 / length unit of ``box_size``] (``n >= 1``) and the shell-summed
        kinetic energy [density unit x velocity unit^2].

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16) / 16
    >>> v = np.stack([0.2 * np.sin(2 * np.pi * x)[:, None] * np.ones(16), np.zeros((16, 16))])
    >>> k, e = kinetic_energy_spectrum(np.ones((16, 16)), v)
    >>> round(float(e.sum()), 6)  # <rho v^2 / 2> = 0.01
    0.01
    """
    rho = check_finite(np.asarray(density, dtype=float), "density")
    vel = check_finite(np.asarray(velocity, dtype=float), "velocity")
    if vel.shape != (rho.ndim, *rho.shape):
        raise ValueError(
            f"kinetic_energy_spectrum: velocity must have shape {(rho.ndim, *rho.shape)} for "
            f"density of shape {rho.shape}; got {vel.shape}."
        )
    if np.any(rho < 0):
        raise ValueError("kinetic_energy_spectrum: density must be non-negative.")
    w = np.sqrt(rho) * vel
    k, power = radial_power_spectrum(w, ndim=rho.ndim, box_size=box_size, subtract_mean=True)
    energy = 0.5 * power[1:] * w.shape[0]  # power is averaged over components: sum them
    k = k[1:]
    return k, (k**2 * energy if compensated else energy)


def density_pdf(
    density: Any, *, bins: int = 50, value_range: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Probability density of :math:`s = \ln(\rho/\bar\rho)` over all cells.

    Parameters
    ----------
    density : array-like of any shape
        Positive densities [any unit] (maps, cubes or stacks); :math:`\bar\rho` is the
        overall mean.
    bins : int, default=50
        Number of histogram bins.
    value_range : (float, float) or None
        Range of ``s``; default: the data range.

    Returns
    -------
    centres : ndarray of shape (bins,)
        Bin centres in ``s``.
    pdf : ndarray of shape (bins,)
        Normalised so that ``sum(pdf * bin_width) = 1``.

    Examples
    --------
    >>> import numpy as np
    >>> rho = np.exp(np.random.default_rng(0).normal(0, 0.1, 10000))
    >>> s, p = density_pdf(rho, bins=40)
    >>> round(float(np.sum(p) * (s[1] - s[0])), 6)
    1.0
    """
    rho = check_finite(np.asarray(density, dtype=float), "density")
    if rho.size == 0 or np.any(rho <= 0):
        raise ValueError("density_pdf: density must be non-empty and positive everywhere.")
    check_interval(bins, "bins", "density_pdf", kind=int, low=1)
    s = np.log(rho / rho.mean()).ravel()
    pdf, edges = np.histogram(s, bins=bins, range=value_range, density=True)
    return 0.5 * (edges[1:] + edges[:-1]), pdf


def rms_mach(velocity: Any, *, sound_speed: float = 1.0) -> np.ndarray | float:
    """Volume-weighted rms sonic Mach number ``sqrt(<|v|^2>) / c_s``.

    Parameters
    ----------
    velocity : array-like of shape (ndim, N, ...) or (n, ndim, N, ...)
        Velocity components [any velocity unit] (one field or a stack of snapshots,
        components on axis -ndim-1).
    sound_speed : float, default=1.0
        Isothermal sound speed [velocity unit of ``velocity``].

    Returns
    -------
    float or ndarray of shape (n,)
        The rms Mach number of each field.

    Examples
    --------
    >>> import numpy as np
    >>> rms_mach(np.stack([np.full((4, 4), 0.3), np.full((4, 4), 0.4)]))
    0.5
    """
    vel = check_finite(np.asarray(velocity, dtype=float), "velocity")
    check_interval(sound_speed, "sound_speed", "rms_mach", low=0.0, closed="neither")
    if vel.ndim < 2:
        raise ValueError(f"rms_mach: velocity must have shape (ndim, N, ...); got {vel.shape}.")
    single = vel.shape[0] == vel.ndim - 1
    ndim = vel.ndim - 1 if single else vel.ndim - 2
    if single:
        vel = vel[None]
    if vel.shape[1] != ndim:
        raise ValueError(
            f"rms_mach: expected {ndim} velocity components for {ndim}-D fields; got shape "
            f"{vel.shape}."
        )
    value = np.sqrt(np.mean(np.sum(vel**2, axis=1), axis=tuple(range(1, ndim + 1))))
    value = value / sound_speed
    return float(value[0]) if single else value


def energy_budget(diagnostics: Mapping[str, Any]) -> dict[str, float]:
    r"""Energy budget of a CR-fluid run between its first and last diagnostic times.

    With :math:`K` the kinetic energy, :math:`\Phi = c_s^2\int\rho\ln\rho\,dV` the isothermal
    free energy and :math:`E_c` the CR energy, the model's budget is

    .. math::

        \Delta(K + \Phi) &= \text{injected} - \text{cr\_gain} - D_{\rm gas},\\
        \Delta E_c &= \text{cr\_gain} - \text{streaming\_heating},

    and the isothermal sink (energy the gas radiates to stay isothermal) is
    :math:`D_{\rm gas} + \text{streaming\_heating}`.

    Parameters
    ----------
    diagnostics : mapping
        ``CRFluidResult.diagnostics`` (keys ``time``, ``kinetic_energy``,
        ``isothermal_energy``, ``cr_energy``, ``injected``, ``cr_gain``,
        ``streaming_heating``, ``gas_dissipation``).

    Returns
    -------
    dict of str to float
        Changes over the interval: ``injected``, ``cr_gain``, ``streaming_heating``,
        ``gas_dissipation``, ``isothermal_sink``, ``delta_gas`` (:math:`\Delta(K + \Phi)`),
        ``delta_cr``, ``cr_closure`` (:math:`\Delta E_c` minus its sources, round-off),
        ``duration`` (in the time unit of ``time``) and the mean ``injection_rate``.

    Examples
    --------
    >>> from crsbi.maps.crfluid import simulate_crfluid
    >>> res = simulate_crfluid(preset="CR_withStreaming", resolution=16, t_end_eddy=0.1,
    ...                        snapshot_every=0.1, random_state=0, verbose=0)
    >>> abs(energy_budget(res.diagnostics)["cr_closure"]) < 1e-10
    True
    """
    keys = (
        "time",
        "kinetic_energy",
        "isothermal_energy",
        "cr_energy",
        "injected",
        "cr_gain",
        "streaming_heating",
        "gas_dissipation",
    )
    missing = [key for key in keys if key not in diagnostics]
    if missing:
        raise ValueError(f"energy_budget: the diagnostics lack the keys {missing}.")
    d = {key: np.asarray(diagnostics[key], dtype=float) for key in keys}
    if d["time"].ndim != 1 or d["time"].shape[0] < 2:
        raise ValueError("energy_budget: needs time series with at least two entries.")

    def change(key: str) -> float:
        return float(d[key][-1] - d[key][0])

    delta_gas = change("kinetic_energy") + change("isothermal_energy")
    out = {
        name: change(name)
        for name in ("injected", "cr_gain", "streaming_heating", "gas_dissipation")
    }
    duration = change("time")
    out.update(
        isothermal_sink=out["gas_dissipation"] + out["streaming_heating"],
        delta_gas=delta_gas,
        delta_cr=change("cr_energy"),
        cr_closure=change("cr_energy") - out["cr_gain"] + out["streaming_heating"],
        duration=duration,
        injection_rate=out["injected"] / duration if duration > 0 else float("nan"),
    )
    return out
