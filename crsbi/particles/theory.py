r"""Transport theory for the test-particle simulator: quasi-linear slab and NLGC.

Independent predictions of the diffusion coefficients that
:func:`~crsbi.particles.tracing.simulate_diffusion` measures, in its units (field in
:math:`B_0`, lengths in :math:`\rho_{L0} = mc^2/|q|B_0`, time in :math:`1/\omega_c`,
diffusion coefficients in :math:`\rho_{L0}^2\omega_c`). A particle of kinetic energy
:math:`T` has :math:`\gamma = 1 + T`, momentum :math:`p = \sqrt{\gamma^2 - 1}` (its Larmor
radius in :math:`B_0` is :math:`p`), speed :math:`v = p/\gamma` and gyro-frequency
:math:`\Omega = 1/\gamma`.

Quasi-linear theory (QLT) of slab turbulence
--------------------------------------------
For magnetostatic slab turbulence :math:`\mathbf b = (b_x(z), b_y(z), 0)` with the
one-component power spectrum :math:`P(k)` (:math:`\int_{-\infty}^{\infty} P\,dk =
\langle b_x^2\rangle = b^2/2`), the unperturbed helical orbit gives the pitch-angle
Fokker-Planck coefficient (Jokipii 1966)

.. math::

    D_{\mu\mu}(\mu) = \frac{\pi\,\Omega^2 (1 - \mu^2)}{v|\mu|}\,
    P\!\left(k_{\rm res} = \frac{\Omega}{v|\mu|}\right),

derived in :func:`qlt_pitch_angle_diffusion`, and the parallel diffusion coefficient of an
isotropic distribution (Hasselmann & Wibberenz 1968)

.. math::

    D_\parallel = \frac{v^2}{8}\int_{-1}^{1}\frac{(1-\mu^2)^2}{D_{\mu\mu}}\,d\mu .

The simulator's slab spectrum is :math:`P(k) = (b^2/2)\,\lambda_\parallel
(1 + k^2\lambda_\parallel^2)^{-s/2}/Z_K` on :math:`|k|\lambda_\parallel \le K`
(:math:`Z_K = \int_{-K}^{K}(1+y^2)^{-s/2}dy`). With a sharp cut-off no wave resonates with
pitch cosines :math:`|\mu| < \Omega/(vK/\lambda_\parallel)` and QLT's :math:`D_\parallel`
diverges (the 90-degree gap); :func:`qlt_slab_d_par` therefore continues the power law
beyond :math:`K` for the resonance (``gap="continue"``, the usual textbook QLT) and keeps
the simulator's normalisation :math:`Z_K`. QLT holds for :math:`b \ll 1`; the gap, dynamical
effects and mirroring are what it leaves out.

Nonlinear guiding-centre theory (NLGC)
--------------------------------------
Matthaeus et al. (2003): the perpendicular diffusion coefficient solves

.. math::

    D_\perp = \frac{a^2 v^2}{3}\int d^3k\,
    \frac{S_{xx}(\mathbf k)}{v/\lambda_\parallel + D_\perp k_\perp^2 + D_\parallel
    k_\parallel^2},
    \qquad \lambda_\parallel = 3D_\parallel/v,\; a^2 = 1/3,

with :math:`S_{xx}` the spectrum of one perpendicular component (:math:`\int S_{xx} d^3k =
\langle b_x^2\rangle`). :func:`nlgc_d_perp` evaluates the integral on the waves of the
simulator itself (a Monte Carlo over :func:`~crsbi.particles.turbulence.draw_waves`
realisations: each wave contributes :math:`(e_x^2 + e_y^2)/4`), so theory and simulation
share one spectrum, cut-offs included; :math:`D_\parallel` is an input (simulated, as in
Matthaeus et al.).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from scipy import integrate, optimize

from crsbi.core.validation import check_interval, check_option
from crsbi.particles.turbulence import WaveSet, slab_correlation_length

__all__ = [
    "nlgc_d_perp",
    "particle_kinematics",
    "qlt_pitch_angle_diffusion",
    "qlt_pitch_angle_variance",
    "qlt_slab_d_par",
    "slab_power",
]


def particle_kinematics(T: float) -> tuple[float, float, float]:
    r"""Return ``(gamma, p, v)`` of kinetic energy ``T`` (in :math:`mc^2`).

    Parameters
    ----------
    T : float
        Kinetic energy [:math:`mc^2`], > 0.

    Returns
    -------
    tuple of float
        Lorentz factor, momentum [:math:`mc`] (the Larmor radius [:math:`\rho_{L0}`] at
        pitch 90 degrees) and speed [:math:`c`].

    Examples
    --------
    >>> from crsbi.particles.theory import particle_kinematics
    >>> [round(x, 4) for x in particle_kinematics(1.0)]
    [2.0, 1.7321, 0.866]
    """
    check_interval(T, "T", "particle_kinematics", low=0.0, high=np.inf, closed="neither")
    gamma = 1.0 + float(T)
    p = math.sqrt(gamma * gamma - 1.0)
    return gamma, p, p / gamma


def _slab_norm(k_cutoff: float, s: float) -> float:
    """Normalisation Z_K = int_{-K}^{K} (1 + y^2)^(-s/2) dy = pi / ell_c(lambda = 1)."""
    return np.pi / slab_correlation_length(1.0, k_cutoff=k_cutoff, spectral_index=s)


def slab_power(
    k: Any,
    b: float,
    lambda_par: float,
    *,
    k_cutoff: float = 10.0,
    spectral_index: float = 5.0 / 3.0,
    truncate: bool = True,
) -> np.ndarray:
    r"""One-component power spectrum :math:`P(k)` of the simulator's slab turbulence.

    Parameters
    ----------
    k : array-like
        Parallel wave numbers in :math:`1/\rho_{L0}`.
    b : float
        Rms turbulent field [:math:`B_0`], >= 0.
    lambda_par : float
        Bend-over scale :math:`\lambda_\parallel` [:math:`\rho_{L0}`], > 0.
    k_cutoff : float, default=10.0
        The simulator's cut-off :math:`K` (of :math:`|k|\lambda_\parallel`, dimensionless),
        which fixes the normalisation; may be ``inf``.
    spectral_index : float, default=5/3
        Inertial-range index :math:`s` (dimensionless), > 1.
    truncate : bool, default=True
        Zero beyond the cut-off (the simulated spectrum), or the power law continued.

    Returns
    -------
    ndarray
        :math:`P(k)` in :math:`B_0^2\rho_{L0}`, with
        :math:`\int_{-K/\lambda}^{K/\lambda} P\,dk = b^2/2`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import integrate
    >>> from crsbi.particles.theory import slab_power
    >>> total, _ = integrate.quad(lambda k: slab_power(k, 0.5, 2.0), -5.0, 5.0, limit=200)
    >>> round(total, 6)  # b^2 / 2
    0.125
    """
    s = float(spectral_index)
    y = np.abs(np.asarray(k, dtype=float)) * lambda_par
    power = 0.5 * b * b * lambda_par * (1.0 + y * y) ** (-s / 2.0) / _slab_norm(k_cutoff, s)
    if truncate:
        power = np.where(y <= k_cutoff, power, 0.0)
    return power


def qlt_pitch_angle_diffusion(
    mu: Any,
    T: float,
    b: float,
    lambda_par: float,
    *,
    k_cutoff: float = 10.0,
    spectral_index: float = 5.0 / 3.0,
    truncate: bool = True,
) -> np.ndarray:
    r"""Quasi-linear :math:`D_{\mu\mu}` of magnetostatic slab turbulence (Jokipii 1966).

    Derivation: along the unperturbed orbit (:math:`z = v\mu t`, gyro-phase
    :math:`\phi_0 - \Omega t`) the pitch changes as :math:`\dot\mu = \Omega\sqrt{1-\mu^2}
    (b_x\sin\phi - b_y\cos\phi)`; averaging over :math:`\phi_0` with :math:`R_{xx} = R_{yy} =
    R`, :math:`R_{xy} = 0` gives :math:`\langle\dot\mu(0)\dot\mu(t)\rangle = \Omega^2(1-\mu^2)
    R(v\mu t)\cos\Omega t` and :math:`D_{\mu\mu} = \int_0^\infty(\cdot)\,dt =
    \pi\Omega^2(1-\mu^2)P(\Omega/v\mu)/v|\mu|`.

    Parameters
    ----------
    mu : array-like
        Pitch-angle cosines in [-1, 1] (0 gives 0); a scalar gives shape (1,).
    T, b, lambda_par : float
        Kinetic energy [:math:`mc^2`], rms field [:math:`B_0`], bend-over scale
        [:math:`\rho_{L0}`].
    k_cutoff, spectral_index, truncate
        As in :func:`slab_power` (dimensionless).

    Returns
    -------
    ndarray
        :math:`D_{\mu\mu}` in :math:`\omega_c`.

    Examples
    --------
    >>> from crsbi.particles.theory import qlt_pitch_angle_diffusion
    >>> d = qlt_pitch_angle_diffusion([0.0, 0.5, 1.0], 1.0, 0.1, 10.0, k_cutoff=100.0)
    >>> float(d[0]), bool(d[1] > 0), float(d[2])  # no resonance at mu = 0, no force at mu = 1
    (0.0, True, 0.0)
    """
    gamma, _, v = particle_kinematics(T)
    omega = 1.0 / gamma
    mu = np.abs(np.atleast_1d(np.asarray(mu, dtype=float)))
    out = np.zeros_like(mu)
    inside = mu > 0
    k_res = omega / (v * mu[inside])
    power = slab_power(
        k_res,
        b,
        lambda_par,
        k_cutoff=k_cutoff,
        spectral_index=spectral_index,
        truncate=truncate,
    )
    out[inside] = np.pi * omega**2 * (1.0 - mu[inside] ** 2) * power / (v * mu[inside])
    return out


_SIMPSON_BLOCK = 20_000  # intervals per block of the composite Simpson rule (even)


def _f_kernel(w: np.ndarray, time: float) -> np.ndarray:
    """``(1 - cos(w t)) / w^2``, with its series ``t^2/2 - w^2 t^4/24`` where ``|w t|`` is small."""
    x = w * time
    small = np.abs(x) < 1e-3
    safe = np.where(small, 1.0, w)
    exact = 2.0 * np.sin(0.5 * x) ** 2 / (safe * safe)  # no cancellation in 1 - cos
    series = 0.5 * time * time * (1.0 - x * x / 12.0)
    return np.where(small, series, exact)


def qlt_pitch_angle_variance(
    t: Any,
    mu: float,
    T: float,
    b: float,
    lambda_par: float,
    *,
    k_cutoff: float = 10.0,
    spectral_index: float = 5.0 / 3.0,
) -> np.ndarray:
    r"""Quasi-linear :math:`\langle(\mu(t) - \mu_0)^2\rangle` at finite time in slab turbulence.

    Second order in :math:`b`, along the unperturbed helix (same derivation as
    :func:`qlt_pitch_angle_diffusion`, without the long-time limit):

    .. math::

        \langle\Delta\mu^2\rangle(t) = \Omega^2(1-\mu_0^2)\int P(k)\,
        [F(kv\mu_0 - \Omega) + F(kv\mu_0 + \Omega)]\,dk,\qquad
        F(w) = \frac{1 - \cos wt}{w^2},

    on the simulator's truncated spectrum (:func:`slab_power`); for :math:`t \to \infty` it
    tends to :math:`2D_{\mu\mu}t`. Exact in the ensemble mean for :math:`b \to 0`; the
    simulated variance falls below it by a relative :math:`O(b^2\,t\,\Omega)` once the
    orbit itself is perturbed (resonance broadening).

    Parameters
    ----------
    t : array-like
        Times [:math:`1/\omega_c`], >= 0.
    mu : float
        Initial pitch-angle cosine, in (0, 1) (gyro-phases uniform).
    T, b, lambda_par : float
        Kinetic energy [:math:`mc^2`], rms field [:math:`B_0`], bend-over scale
        [:math:`\rho_{L0}`].
    k_cutoff, spectral_index
        As in :func:`slab_power` (dimensionless).

    Returns
    -------
    ndarray
        The variance of :math:`\mu` at each time.

    Examples
    --------
    >>> from crsbi.particles.theory import qlt_pitch_angle_diffusion, qlt_pitch_angle_variance
    >>> t = 4000.0
    >>> var = qlt_pitch_angle_variance(t, 0.5, 1.0, 0.05, 10.0, k_cutoff=100.0)[0]
    >>> d_mumu = qlt_pitch_angle_diffusion(0.5, 1.0, 0.05, 10.0, k_cutoff=100.0)[0]
    >>> bool(abs(var / (2 * d_mumu * t) - 1) < 0.02)  # tends to 2 D_mumu t
    True
    """
    owner = "qlt_pitch_angle_variance"
    check_interval(mu, "mu", owner, low=0.0, high=1.0, closed="neither")
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"{owner}: t must be finite and >= 0. Got min {t.min()!r}.")
    gamma, _, v = particle_kinematics(T)
    omega = 1.0 / gamma
    k_max = k_cutoff / lambda_par
    out = np.empty_like(t)
    for i, time in enumerate(t):
        # composite Simpson on a uniform grid finer than both the spectrum's bend-over
        # (1 / lambda_par) and the resonance width 1 / (v mu t); blocks bound the memory
        step = 0.02 * min(1.0 / lambda_par, 1.0 / max(v * mu * time, 1e-300))
        n_blocks = max(1, math.ceil(2.0 * k_max / step / _SIMPSON_BLOCK))
        edges = np.linspace(-k_max, k_max, n_blocks + 1)
        total = 0.0
        for low, high in itertools.pairwise(edges):
            k = np.linspace(low, high, _SIMPSON_BLOCK + 1)
            values = slab_power(
                k, b, lambda_par, k_cutoff=k_cutoff, spectral_index=spectral_index, truncate=False
            ) * (_f_kernel(k * v * mu - omega, time) + _f_kernel(k * v * mu + omega, time))
            h = (high - low) / _SIMPSON_BLOCK
            total += (
                h
                / 3.0
                * (values[0] + values[-1] + 4.0 * values[1:-1:2].sum() + 2.0 * values[2:-1:2].sum())
            )
        out[i] = omega**2 * (1.0 - mu * mu) * total
    return out


def qlt_slab_d_par(
    T: float,
    b: float,
    lambda_par: float,
    *,
    k_cutoff: float = 10.0,
    spectral_index: float = 5.0 / 3.0,
    gap: str = "continue",
) -> float:
    r"""Quasi-linear parallel diffusion coefficient of the simulator's slab turbulence.

    Parameters
    ----------
    T : float
        Kinetic energy [:math:`mc^2`], > 0.
    b : float
        Rms turbulent field [:math:`B_0`], > 0.
    lambda_par : float
        Slab bend-over scale :math:`\lambda_\parallel` [:math:`\rho_{L0}`], > 0.
    k_cutoff : float, default=10.0
        The simulator's :math:`K` (dimensionless); it fixes the normalisation :math:`Z_K`.
    spectral_index : float, default=5/3
        Inertial-range index (dimensionless), in (1, 3) (so that the gap integral converges).
    gap : {"continue", "truncate"}, default="continue"
        ``"continue"``: resonances beyond the cut-off see the continued power law (finite
        QLT); ``"truncate"``: the simulated spectrum exactly, which returns ``inf`` (no
        scattering through 90 degrees in QLT).

    Returns
    -------
    float
        :math:`D_\parallel` [:math:`\rho_{L0}^2\omega_c`].

    Examples
    --------
    >>> from crsbi.particles.theory import qlt_slab_d_par
    >>> d1, d2 = qlt_slab_d_par(1.0, 0.1, 10.0), qlt_slab_d_par(1.0, 0.2, 10.0)
    >>> round(d1 / d2, 6)  # D_par scales as 1 / b^2
    4.0
    >>> qlt_slab_d_par(1.0, 0.1, 10.0, gap="truncate")
    inf
    """
    owner = "qlt_slab_d_par"
    check_interval(b, "b", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(lambda_par, "lambda_par", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(k_cutoff, "k_cutoff", owner, low=0.0, closed="neither")
    check_interval(spectral_index, "spectral_index", owner, low=1.0, high=3.0, closed="neither")
    check_option(gap, "gap", owner, ["continue", "truncate"])
    _, _, v = particle_kinematics(T)
    if gap == "truncate" and np.isfinite(k_cutoff):
        return math.inf
    kwargs = {"k_cutoff": k_cutoff, "spectral_index": spectral_index, "truncate": False}

    # mu = u^3 removes the integrable mu^(1-s) singularity at mu -> 0
    def integrand(u: float) -> float:
        mu = u**3
        d_mumu = qlt_pitch_angle_diffusion(np.array([mu]), T, b, lambda_par, **kwargs)[0]
        return (1.0 - mu * mu) ** 2 / d_mumu * 3.0 * u * u if mu > 0 else 0.0

    value, _ = integrate.quad(integrand, 0.0, 1.0, limit=400, epsabs=0.0, epsrel=1e-10)
    return float(v * v / 8.0 * 2.0 * value)


def nlgc_d_perp(
    waves: WaveSet,
    speed: float,
    d_par: float,
    *,
    a2: float = 1.0 / 3.0,
) -> float:
    r"""Perpendicular diffusion coefficient of the NLGC theory on a set of waves.

    Solves :math:`D_\perp = (a^2 v^2/3)\,\langle\sum_j w_j/(v/\lambda_\parallel + D_\perp
    k_{\perp j}^2 + D_\parallel k_{\parallel j}^2)\rangle` with :math:`w_j = (e_{xj}^2 +
    e_{yj}^2)/4` (the axisymmetric share of one perpendicular component),
    :math:`\lambda_\parallel = 3D_\parallel/v`, the average taken over the realisations of
    ``waves`` (draw many, e.g. 200 x 500 waves, for a converged Monte Carlo integral). The
    right-hand side decreases with :math:`D_\perp`, so the root is unique.

    Parameters
    ----------
    waves : WaveSet
        Realisations of the turbulence (:func:`~crsbi.particles.turbulence.draw_waves`).
    speed : float
        Particle speed :math:`v` [:math:`c`], > 0.
    d_par : float
        Parallel diffusion coefficient [:math:`\rho_{L0}^2\omega_c`], > 0 (simulated).
    a2 : float, default=1/3
        Matthaeus et al.'s :math:`a^2`.

    Returns
    -------
    float
        :math:`D_\perp` [:math:`\rho_{L0}^2\omega_c`].

    Examples
    --------
    >>> from crsbi.particles.theory import nlgc_d_perp
    >>> from crsbi.particles.turbulence import draw_waves
    >>> waves = draw_waves(50, 100, b=0.5, lambda_perp=1.0, random_state=0)
    >>> d_weak = nlgc_d_perp(draw_waves(50, 100, b=0.25, random_state=0), 0.866, 100.0)
    >>> bool(nlgc_d_perp(waves, 0.866, 100.0) > d_weak > 0)
    True
    """
    owner = "nlgc_d_perp"
    if not isinstance(waves, WaveSet):
        raise TypeError(f"waves must be a WaveSet. Got {type(waves).__name__} instead.")
    check_interval(speed, "speed", owner, low=0.0, high=1.0, closed="right")
    check_interval(d_par, "d_par", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(a2, "a2", owner, low=0.0, closed="neither")
    weight = (waves.amplitude[..., 0] ** 2 + waves.amplitude[..., 1] ** 2) / 4.0
    k_perp2 = waves.wavevector[..., 0] ** 2 + waves.wavevector[..., 1] ** 2
    k_par2 = waves.wavevector[..., 2] ** 2
    rate = speed * speed / (3.0 * d_par)  # v / lambda_par
    scale = a2 * speed * speed / 3.0 / waves.n_realisations

    def rhs(d_perp: float) -> float:
        return scale * float(np.sum(weight / (rate + d_perp * k_perp2 + d_par * k_par2)))

    upper = rhs(0.0)
    if upper <= 0.0:
        return 0.0
    return float(optimize.brentq(lambda d: d - rhs(d), 0.0, upper, xtol=1e-14, rtol=1e-12))
