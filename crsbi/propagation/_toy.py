"""A leaky-box toy of the Li, Be, B, C, O spectra, for tests, demos and quick benchmarks.

It is *not* the Galactic propagation simulator (:mod:`crsbi.propagation.galactic`): it
has the same ten parameters, grid and output layout, and the same qualitative
dependences (secondary/primary ratios falling as ``R^-delta``, the ``D0``/``z_h``
degeneracy broken only by a 10Be-like clock, source breaks, low-energy terms), but it is
a closed-form equilibrium solution evaluated in microseconds, so an inverter can be
trained on it inside a unit test.

Model, per element on kinetic energy per nucleon ``E`` (GeV/n):

- rigidity ``R = (A/Z) sqrt(E (E + 2 m_p))`` [GV], velocity ``beta``;
- diffusion ``D = D0 beta^eta (R / 4 GV)^delta`` [1e28 cm^2/s] and escape grammage
  ``X = 10 g/cm^2 (z_h / 4 kpc) (3 / D) beta`` (grammage ~ h z_h / D in a thin disc);
- source ``q(R)``: smoothly broken power law with indices ``nu1, nu2, nu3`` and breaks
  ``R_br1, R_br2`` (MV);
- primaries ``N_p = q X / (1 + X / lambda_p)``; secondaries
  ``N_s = sum_p N_p X / lambda_ps / (1 + X / lambda_s)`` with interaction lengths from
  typical total and partial cross sections (70 mb C -> B, ...);
- reacceleration: a low-rigidity boost ``1 + 0.3 (v_A / 30 km/s)^2 (3 / D0) / R`` of the
  secondaries; a radioactive-clock suppression of Be ``1 / (1 + 0.05 z_h^2 / (D0 gamma))``;
- fluxes ``J = beta N`` (arbitrary common unit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["simulate_toy_spectra"]

_PROTON_MASS = 0.9383  # GeV
#: (A, Z) of Li, Be, B, C, O (dominant isotopes 7Li, 9Be, 11B, 12C, 16O).
_MASS_CHARGE = np.array([[7, 3], [9, 4], [11, 5], [12, 6], [16, 8]], dtype=float)
#: Total inelastic interaction lengths [g/cm^2] of Li, Be, B, C, O in the ISM.
_LAMBDA_TOTAL = np.array([10.5, 9.0, 7.8, 6.4, 5.6])
#: Partial production cross sections [mb] from (C, O) into (Li, Be, B).
_SIGMA_PARTIAL = np.array([[30.0, 30.0], [20.0, 15.0], [70.0, 35.0]])
_MEAN_MASS_G = 2.34e-24  # g per ISM particle (90 % H, 10 % He by number)
_O_TO_C = 1.1  # source abundance ratio


def _smooth_broken(
    rigidity_mv: np.ndarray, indices: np.ndarray, breaks_mv: np.ndarray
) -> np.ndarray:
    """Source spectrum with two smooth breaks, unit value at 1 GV."""
    nu1, nu2, nu3 = (indices[:, k, None, None] for k in range(3))
    b1, b2 = (breaks_mv[:, k, None, None] for k in range(2))
    s = 0.5  # smoothness in decades
    log_r = np.log10(rigidity_mv)
    log_q = -nu1 * log_r
    log_q += -(nu2 - nu1) * s * np.logaddexp(0.0, (log_r - np.log10(b1)) / s)
    log_q += -(nu3 - nu2) * s * np.logaddexp(0.0, (log_r - np.log10(b2)) / s)
    return np.exp(np.log(10) * (log_q + nu1 * 3.0))  # rescale: q(1 GV) ~ 1


def simulate_toy_spectra(theta: Any, energy: Any = None) -> np.ndarray:
    """Leaky-box toy fluxes of Li, Be, B, C, O for a batch of the ten parameters.

    Parameters
    ----------
    theta : array-like of shape (n, 10) or (10,)
        ``D0`` [1e28 cm^2/s], ``delta``, ``eta``, ``v_A`` [km/s], ``z_h`` [kpc], ``nu1``,
        ``nu2``, ``nu3``, ``log10_Rbr1``, ``log10_Rbr2`` [log10 MV], as in
        :data:`crsbi.propagation.galactic.PARAM_NAMES`.
    energy : array-like of shape (n_E,) or None
        Kinetic energies per nucleon [GeV/n]; default the paper's 84-point grid.

    Returns
    -------
    ndarray of shape (n, 5, n_E) or (5, n_E)
        Positive fluxes (arbitrary common unit) in the order Li, Be, B, C, O.

    Examples
    --------
    >>> from crsbi.propagation._toy import simulate_toy_spectra
    >>> flux = simulate_toy_spectra([4, 0.45, 1, 20, 5, 1, 2.3, 2.4, 3.5, 5.5])
    >>> flux.shape, bool((flux > 0).all())
    ((5, 84), True)
    """
    from crsbi.propagation.galactic import energy_grid

    theta = np.asarray(theta, dtype=float)
    single = theta.ndim == 1
    theta = np.atleast_2d(theta)
    if theta.ndim != 2 or theta.shape[1] != 10:
        raise ValueError(
            f"theta must have shape (10,) or (n, 10) (the ten propagation parameters); got "
            f"{np.shape(theta)}."
        )
    if not np.all(np.isfinite(theta)) or np.any(theta[:, [0, 4]] <= 0):
        raise ValueError("theta must be finite with D0 > 0 and z_h > 0.")
    e = energy_grid() if energy is None else np.asarray(energy, dtype=float)
    d0, delta, eta, v_a, z_h = (theta[:, k, None, None] for k in range(5))
    a, z = _MASS_CHARGE[:, 0, None], _MASS_CHARGE[:, 1, None]
    momentum = np.sqrt(e * (e + 2 * _PROTON_MASS))  # GeV/c per nucleon
    beta = momentum / (e + _PROTON_MASS)
    gamma = (e + _PROTON_MASS) / _PROTON_MASS
    rigidity = (a / z) * momentum  # GV, shape (5, n_E)
    diffusion = d0 * beta**eta * (rigidity / 4.0) ** delta
    grammage = 10.0 * (z_h / 4.0) * (3.0 / diffusion) * beta
    source = _smooth_broken(1e3 * rigidity[3:], theta[:, 5:8], 10.0 ** theta[:, 8:10])
    source = source * np.array([1.0, _O_TO_C])[:, None]
    primary = source * grammage[:, 3:] / (1 + grammage[:, 3:] / _LAMBDA_TOTAL[3:, None])
    lambda_partial = _MEAN_MASS_G / (_SIGMA_PARTIAL * 1e-27)  # (3, 2) g/cm^2
    production = np.einsum("npe,sp->nse", primary, 1.0 / lambda_partial)
    secondary = production * grammage[:, :3] / (1 + grammage[:, :3] / _LAMBDA_TOTAL[:3, None])
    boost = 1.0 + 0.3 * (v_a / 30.0) ** 2 * (3.0 / d0) / rigidity[:3]
    secondary = secondary * boost
    clock = 1.0 / (1.0 + 0.05 * z_h**2 / (d0 * gamma))
    secondary[:, 1] *= clock[:, 0]
    flux = np.concatenate([secondary, primary], axis=1) * beta
    return flux[0] if single else flux
