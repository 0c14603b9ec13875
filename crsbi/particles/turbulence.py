r"""Synthetic turbulent magnetic fields as sums of random plane waves.

Every model writes the turbulent field of one realisation as

.. math::

    \mathbf b(\mathbf r) = \sum_{j=1}^{N_c} \mathbf e_j \cos(\mathbf k_j \cdot \mathbf r
    + \alpha_j), \qquad \mathbf e_j \cdot \mathbf k_j = 0,

so that :math:`\nabla \cdot \mathbf b = -\sum_j (\mathbf e_j \cdot \mathbf k_j)
\sin(\cdot) = 0` holds exactly, wave by wave. The mean field is :math:`B_0 \hat{\mathbf z}`.

Units follow the particle simulator (:mod:`crsbi.particles.tracing`): fields in
:math:`B_0`, lengths in the bare Larmor radius :math:`\rho_{L0} = mc^2/(|q|B_0)` (that is,
:math:`c/\omega_{c}`), wave numbers in :math:`1/\rho_{L0}`. Any other length unit works as
well for the field alone, since the models are scale-free up to ``lambda_perp`` and
``lambda_par``.

Models
------
``"palade2d"``
    Palade's (2023) quasi-2D turbulence :math:`\mathbf b = \hat{\mathbf z} \times
    \nabla_\perp a`, :math:`a(\mathbf r) = A \sum_j \sin(\mathbf k_j\cdot\mathbf r +
    \alpha_j)` with one amplitude :math:`A` for all waves, so
    :math:`\mathbf e_j = A(-k_{y,j}, k_{x,j}, 0)`. The wave vectors are drawn, by
    acceptance-rejection, with probability density proportional to the spectrum

    .. math::

        S(k_\perp, k_\parallel) \propto \frac{(k_\perp\lambda_\perp)^q}
        {k_\perp\,[1 + (k_\perp\lambda_\perp)^2]^{(s+q)/2}}\,
        [1 + (k_\parallel\lambda_\parallel)^2]^{-s/2}

    taken as a density in three-dimensional :math:`\mathbf k` space
    (:math:`d^3k = k_\perp\,dk_\perp\,d\varphi\,dk_\parallel`). Hence :math:`k_\perp`
    has the density :math:`\propto x^q (1+x^2)^{-(s+q)/2}`, :math:`x = k_\perp\lambda_\perp`
    (the Kolmogorov shell spectrum, :math:`\propto x^{-s}` at large :math:`x`), the azimuth
    :math:`\varphi` is uniform and :math:`y = k_\parallel\lambda_\parallel` has the density
    :math:`\propto (1+y^2)^{-s/2}`. Defaults :math:`q = 3`, :math:`s = 5/3`.

    *Cut-offs.* Because every wave has the same potential amplitude, the field energy of a
    wave grows as :math:`k_\perp^2` and the :math:`k_\perp^2`-weighted moment of the
    density diverges (as :math:`k_\perp^{4/3}`). We therefore draw
    :math:`0 < k_\perp\lambda_\perp \le K` and :math:`|k_\parallel|\lambda_\parallel \le K`
    with ``k_cutoff`` :math:`K = 10` by default, and fix :math:`A` **per realisation from its
    own sampled waves**, :math:`A = b\,\sqrt{2/\sum_j k_{\perp,j}^2}`, so that each
    realisation has exactly the requested rms field :math:`\langle|\mathbf b|^2\rangle = b^2`
    (average over space or over the phases). With these cut-offs most of the field energy sits
    at :math:`k_\perp\lambda_\perp` between about 2 and :math:`K`; the transport it produces
    depends on :math:`K`, so keep :math:`K` fixed within a study.
    ``lambda_par = inf`` gives pure 2D turbulence (:math:`k_\parallel = 0`).

``"slab"``
    :math:`\mathbf k_j = k_j\hat{\mathbf z}`, with :math:`y = k\lambda_\parallel` drawn from
    the density :math:`\propto (1+y^2)^{-s/2}` on :math:`|y| \le K`; polarisation uniformly
    distributed in the :math:`x`-:math:`y` plane; equal amplitudes
    :math:`|\mathbf e_j| = b\sqrt{2/N_c}`, so the field spectrum is the (cut-off)
    Kolmogorov slab spectrum and every realisation has rms :math:`b` exactly.

``"isotropic"``
    Giacalone & Jokipii (1999): :math:`N_c` wave numbers log-spaced over
    :math:`kL \in [10^{-2}, K]`, :math:`L` = ``lambda_perp``, isotropic random directions,
    polarisation uniformly distributed in the plane perpendicular to :math:`\mathbf k`, and
    amplitudes :math:`|\mathbf e_n|^2 \propto G(k_n)\,\Delta k_n` with the 3-D Kolmogorov
    shell spectrum :math:`G(k) = k^2/[1 + (kL)^{s+2}]`, normalised so that
    :math:`\sum_n |\mathbf e_n|^2/2 = b^2`.

``"composite"``
    Slab plus ``"palade2d"`` with the energy split ``slab_fraction : 1 - slab_fraction``
    (20:80 by default, Bieber et al. 1996); ``round(slab_fraction * n_waves)`` of the waves
    (at least one) are slab waves.

Correlation lengths
-------------------
``lambda_perp`` and ``lambda_par`` are the *bend-over scales* of the spectra above (as in
Palade 2023), not integral scales. For the slab model the integral correlation length of one
perpendicular component, :math:`\ell_c = \int_0^\infty R_{xx}(z)\,dz / R_{xx}(0) =
\pi G(0)/\int_{-K/\lambda}^{K/\lambda} G(k)\,dk`, is given by
:func:`slab_correlation_length`; without cut-off it is
:math:`\sqrt{\pi}\,\Gamma(s/2)/\Gamma((s-1)/2)\,\lambda_\parallel
\approx 0.747\,\lambda_\parallel` for :math:`s = 5/3`. The field-line diffusion coefficient
of slab turbulence is then :math:`D_{FL} = (b^2/B_0^2)\,\ell_c/2`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import integrate

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval, check_option

__all__ = [
    "AMPLITUDES",
    "MAX_INTERMITTENCY",
    "TURBULENCE_MODELS",
    "WaveSet",
    "draw_waves",
    "evaluate_field",
    "slab_correlation_length",
]

#: Names accepted by the ``model`` argument of :func:`draw_waves`.
TURBULENCE_MODELS = ("palade2d", "slab", "isotropic", "composite")
#: Amplitude conventions of the 2D waves (``amplitudes`` argument of :func:`draw_waves`).
AMPLITUDES = ("potential", "field")
#: Largest log-normal width per octave of the random cascade (``intermittency``)
MAX_INTERMITTENCY = 2.0

_ISOTROPIC_K_MIN = 1e-2  # lowest k L of the Giacalone-Jokipii grid


@dataclass(frozen=True)
class WaveSet:
    r"""Plane waves of ``n_realisations`` independent turbulent fields.

    Realisation ``r`` is :math:`\mathbf b(\mathbf x) = \sum_j \mathbf e_{rj}
    \cos(\mathbf k_{rj}\cdot\mathbf x + \alpha_{rj})`, with :math:`\mathbf e_{rj}\perp
    \mathbf k_{rj}`. Build one with :func:`draw_waves`; evaluate it with
    :func:`evaluate_field`.

    Attributes
    ----------
    wavevector : ndarray of shape (n_realisations, n_waves, 3)
        Wave vectors :math:`\mathbf k_{rj}`, in :math:`1/\rho_{L0}`.
    amplitude : ndarray of shape (n_realisations, n_waves, 3)
        Amplitude (polarisation) vectors :math:`\mathbf e_{rj}` [:math:`B_0`].
    phase : ndarray of shape (n_realisations, n_waves)
        Phases :math:`\alpha_{rj}` [rad], in :math:`[0, 2\pi)`.
    model : str
        Name of the turbulence model that drew the waves.

    Examples
    --------
    >>> from crsbi.particles.turbulence import draw_waves
    >>> waves = draw_waves(2, 16, model="slab", b=0.3, lambda_par=5.0, random_state=0)
    >>> waves.wavevector.shape, waves.n_realisations, waves.n_waves
    ((2, 16, 3), 2, 16)
    >>> waves.rms.round(12).tolist()
    [0.3, 0.3]
    """

    wavevector: np.ndarray
    amplitude: np.ndarray
    phase: np.ndarray
    model: str = "custom"

    def __post_init__(self) -> None:
        k = np.asarray(self.wavevector, dtype=float)
        e = np.asarray(self.amplitude, dtype=float)
        alpha = np.asarray(self.phase, dtype=float)
        if k.ndim != 3 or k.shape[2] != 3:
            raise ValueError(
                "wavevector must have shape (n_realisations, n_waves, 3); "
                f"got an array of shape {k.shape} instead."
            )
        if e.shape != k.shape:
            raise ValueError(
                f"amplitude must have the shape of wavevector {k.shape}; got {e.shape} instead."
            )
        if alpha.shape != k.shape[:2]:
            raise ValueError(
                f"phase must have shape (n_realisations, n_waves) = {k.shape[:2]}; "
                f"got {alpha.shape} instead."
            )
        object.__setattr__(self, "wavevector", k)
        object.__setattr__(self, "amplitude", e)
        object.__setattr__(self, "phase", alpha)

    @property
    def n_realisations(self) -> int:
        """Number of independent field realisations."""
        return self.wavevector.shape[0]

    @property
    def n_waves(self) -> int:
        """Number of plane waves per realisation."""
        return self.wavevector.shape[1]

    @property
    def rms(self) -> np.ndarray:
        r"""Rms turbulent field of each realisation, shape (n_realisations,), in :math:`B_0`.

        The space (or phase) average :math:`\sqrt{\sum_j |\mathbf e_j|^2 / 2}`.
        """
        return np.sqrt(0.5 * np.sum(self.amplitude**2, axis=(1, 2)))

    @property
    def max_divergence(self) -> float:
        r"""Largest :math:`|\mathbf e_j\cdot\mathbf k_j| / (|\mathbf e_j||\mathbf k_j|)`.

        Zero up to round-off for every model (the field is divergence-free wave by wave).
        """
        dot = np.abs(np.sum(self.amplitude * self.wavevector, axis=2))
        norm = np.linalg.norm(self.amplitude, axis=2) * np.linalg.norm(self.wavevector, axis=2)
        return float(np.max(dot / np.where(norm > 0, norm, 1.0), initial=0.0))

    def select(self, index: Any) -> WaveSet:
        """Return the realisations ``index`` (an integer array, slice or boolean mask)."""
        return WaveSet(self.wavevector[index], self.amplitude[index], self.phase[index], self.model)


@functools.lru_cache(maxsize=64)
def _bendover_envelope(q: float, s: float, upper: float) -> np.ndarray:
    """Envelope ``min(x^q, x^-s)`` of the density ``x^q (1 + x^2)^(-(s+q)/2)`` on [0, upper].

    Returns (top of the power-law piece, probability of that piece, Pareto tail factor
    ``1 - upper^(1-s)``) for the acceptance-rejection sampler of the kernels. The
    acceptance rate is about 56 % for ``q = 3, s = 5/3, upper = 10`` and 82 % for ``q = 0``.
    """
    low_top = min(1.0, upper)
    mass_low = low_top ** (q + 1.0) / (q + 1.0)
    tail = 1.0 - upper ** (1.0 - s) if upper > 1.0 else 0.0
    mass_high = tail / (s - 1.0)
    return np.array([low_top, mass_low / (mass_low + mass_high), tail])


def _check_wave_params(
    owner: str,
    *,
    model: str,
    n_waves: int,
    b: float,
    lambda_perp: float,
    lambda_par: float | None,
    k_cutoff: float,
    spectral_index: float,
    energy_range_index: float,
    slab_fraction: float,
    amplitudes: str = "potential",
    intermittency: float = 0.0,
) -> float:
    """Validate the field parameters shared by the simulators; return ``lambda_par``."""
    check_option(amplitudes, "amplitudes", owner, AMPLITUDES)
    check_interval(intermittency, "intermittency", owner, low=0.0, high=MAX_INTERMITTENCY)
    check_interval(n_waves, "n_waves", owner, kind=int, low=1)
    check_option(model, "model", owner, TURBULENCE_MODELS)
    check_interval(b, "b", owner, low=0.0, high=np.inf, closed="left")
    check_interval(lambda_perp, "lambda_perp", owner, low=0.0, high=np.inf, closed="neither")
    if lambda_par is None:
        lambda_par = 10.0 * lambda_perp
    check_interval(lambda_par, "lambda_par", owner, low=0.0, closed="neither")
    check_interval(k_cutoff, "k_cutoff", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(spectral_index, "spectral_index", owner, low=1.0, high=np.inf, closed="neither")
    check_interval(energy_range_index, "energy_range_index", owner, low=0.0, high=np.inf)
    check_interval(slab_fraction, "slab_fraction", owner, low=0.0, high=1.0, closed="neither")
    if model == "composite" and n_waves < 2:
        raise ValueError(
            f"The 'n_waves' parameter of {owner} must be >= 2 for the composite model "
            f"(slab and 2D waves). Got {n_waves} instead."
        )
    if model in ("slab", "composite") and np.isinf(lambda_par):
        raise ValueError(
            f"The 'lambda_par' parameter of {owner} must be finite for the {model} model "
            f"(it is the slab bend-over scale). Got {lambda_par!r} instead."
        )
    return float(lambda_par)


def _wave_arrays(
    seeds: np.ndarray,
    n_waves: int,
    *,
    model: str,
    b: float,
    lambda_perp: float,
    lambda_par: float,
    k_cutoff: float = 10.0,
    spectral_index: float = 5.0 / 3.0,
    energy_range_index: float = 3.0,
    slab_fraction: float = 0.2,
    amplitudes: str = "potential",
    intermittency: float = 0.0,
    turns: bool = False,
    n_rows: int = 7,
) -> np.ndarray:
    """Draw the waves of ``len(seeds)`` realisations into one (n, n_rows, n_waves) array.

    Rows kx, ky, kz, alpha, ex, ey[, ez]. Parameters are assumed valid. With ``turns`` the
    wave vectors and phases are divided by ``2 pi`` (the layout of the particle kernel).
    Realisation ``r`` depends only on ``seeds[r]``.
    """
    from crsbi.particles._kernels import draw_waves_kernel

    s, q = float(spectral_index), float(energy_range_index)
    n_slab = 0
    b_slab = b_2d = float(b)
    if model == "composite":
        n_slab = min(max(1, round(slab_fraction * n_waves)), n_waves - 1)
        b_slab, b_2d = b * np.sqrt(slab_fraction), b * np.sqrt(1.0 - slab_fraction)
    k_mag = amplitude = np.zeros(0)
    if model == "isotropic":
        if n_rows != 7:
            raise ValueError("isotropic waves have a z amplitude: n_rows must be 7.")
        x = np.geomspace(min(_ISOTROPIC_K_MIN, k_cutoff / 10.0), k_cutoff, n_waves)
        k_mag = x / lambda_perp
        # Giacalone & Jokipii (1999): |e_n|^2 ∝ G(k_n) dk_n, dk_n ∝ k_n on a log grid
        weight = x**2 / (1.0 + x ** (s + 2.0)) * x
        amplitude = b * np.sqrt(2.0 * weight / weight.sum())
    out = np.empty((len(seeds), n_rows, n_waves))
    draw_waves_kernel(
        np.asarray(seeds, dtype=np.uint64),
        TURBULENCE_MODELS.index(model),
        n_slab,
        float(b_slab),
        float(b_2d),
        float(lambda_perp),
        float(lambda_par),
        q,
        s,
        _bendover_envelope(q, s, float(k_cutoff)),
        _bendover_envelope(0.0, s, float(k_cutoff)),
        k_mag,
        amplitude,
        1.0 / (2.0 * np.pi) if turns else 1.0,
        out,
        amplitudes == "field",
    )
    if intermittency > 0.0:
        _apply_cascade(
            out, seeds, float(intermittency), model, float(lambda_perp), float(lambda_par),
            float(k_cutoff), 2.0 * np.pi if turns else 1.0,
        )  # fmt: skip
    return out


def cascade_levels(k_cutoff: float) -> int:
    """Return the number of octave levels of the random cascade up to ``k_cutoff``."""
    return int(np.floor(np.log2(max(float(k_cutoff), 1.0)))) + 1


def _apply_cascade(
    out, seeds, sigma, model, lambda_perp, lambda_par, k_cutoff, radians
) -> None:  # fmt: skip
    """Multiply each wave's amplitude by its realisation's cascade weight (in place).

    Level ``j`` = the octave of the wave's dimensionless wave number ``x`` (``floor(log2
    x)``, 0 for ``x < 2``); weight ``M_j = prod_{l <= j} W_l`` with independent
    ``W_l = exp(sigma g_l - sigma^2)``, ``g_l`` standard normal, so ``<M_j^2> = 1``.
    """
    from crsbi.particles._kernels import cascade_normals

    n_levels = cascade_levels(k_cutoff)
    g = np.empty((len(seeds), n_levels))
    cascade_normals(np.asarray(seeds, dtype=np.uint64), g)
    weights = np.cumprod(np.exp(sigma * g - sigma**2), axis=1)  # (n, n_levels)
    k = out[:, 0:3] * radians  # rad / rho_L0
    if model == "isotropic":
        x = np.sqrt(np.sum(k**2, axis=1)) * lambda_perp
    else:
        k_perp = np.hypot(k[:, 0], k[:, 1])
        x = np.where(k_perp > 0.0, k_perp * lambda_perp, np.abs(k[:, 2]) * lambda_par)
    level = np.clip(np.floor(np.log2(np.maximum(x, 1.0))), 0, n_levels - 1).astype(np.intp)
    factor = np.take_along_axis(weights, level, axis=1)  # (n, n_waves)
    out[:, 4:] *= factor[:, None, :]


def draw_waves(
    n_realisations: int,
    n_waves: int = 500,
    *,
    model: str = "palade2d",
    b: float = 0.5,
    lambda_perp: float = 1.0,
    lambda_par: float | None = None,
    k_cutoff: float = 10.0,
    spectral_index: float = 5.0 / 3.0,
    energy_range_index: float = 3.0,
    slab_fraction: float = 0.2,
    amplitudes: str = "potential",
    intermittency: float = 0.0,
    random_state: Any = None,
) -> WaveSet:
    r"""Draw the plane waves of ``n_realisations`` independent turbulent fields.

    See the module docstring for the models, the spectra, the cut-offs and the
    normalisation. Realisation ``r`` is drawn (in a compiled, parallel kernel) by its own
    xoshiro256** generator whose 64-bit seed is the ``r``-th draw from ``random_state``, so
    results do not depend on the number of threads.

    Parameters
    ----------
    n_realisations : int
        Number of independent realisations (one per particle in the simulator), >= 1.
    n_waves : int, default=500
        Plane waves per realisation :math:`N_c`, >= 1 (>= 2 for ``"composite"``).
    model : {"palade2d", "slab", "isotropic", "composite"}, default="palade2d"
        Turbulence model.
    b : float, default=0.5
        Rms turbulent field :math:`\sqrt{\langle|\mathbf b|^2\rangle}` [:math:`B_0`], >= 0.
    lambda_perp : float, default=1.0
        Perpendicular bend-over scale :math:`\lambda_\perp` (``"palade2d"``, 2D part of
        ``"composite"``) or the bend-over scale :math:`L` of ``"isotropic"``
        [:math:`\rho_{L0}`], > 0.
    lambda_par : float or None, default=None
        Parallel bend-over scale :math:`\lambda_\parallel` (``"palade2d"``, ``"slab"``,
        ``"composite"``) [:math:`\rho_{L0}`], > 0; ``inf`` gives :math:`k_\parallel = 0`
        for ``"palade2d"``. ``None`` means ``10 * lambda_perp``.
    k_cutoff : float, default=10.0
        Dimensionless upper cut-off :math:`K` of :math:`k_\perp\lambda_\perp`,
        :math:`|k_\parallel|\lambda_\parallel` and :math:`kL`, > 0.
    spectral_index : float, default=5/3
        Inertial-range index :math:`s` (dimensionless; Kolmogorov 5/3), > 1.
    energy_range_index : float, default=3.0
        Low-:math:`k_\perp` index :math:`q` of ``"palade2d"``, >= 0.
    slab_fraction : float, default=0.2
        Slab share of :math:`b^2` in ``"composite"``, in (0, 1).
    amplitudes : {"potential", "field"}, default="potential"
        Amplitudes of the 2D waves (``"palade2d"`` and the 2D part of ``"composite"``):
        Palade's equal *potential* amplitudes (field energy per wave
        :math:`\propto k_\perp^2`, so the magnetic energy spectrum rises as
        :math:`k_\perp^{2-s}` up to the cut-off and transport depends on ``k_cutoff``), or
        equal *field* amplitudes, so that the magnetic energy spectrum is the sampled
        bend-over spectrum itself, :math:`\propto k_\perp^{-s}` in the inertial range
        (the physical Kolmogorov case, insensitive to ``k_cutoff`` once it is large).
    intermittency : float, default=0.0
        Width :math:`\sigma` (per octave, in [0, :data:`MAX_INTERMITTENCY`]) of a
        log-normal random cascade over the realisations: the waves of octave :math:`j`
        of the dimensionless wave number (:math:`\lfloor\log_2 x\rfloor`, 0 below
        :math:`x = 2`; :math:`x = k_\perp\lambda_\perp`, :math:`|k_\parallel|
        \lambda_\parallel` for slab waves, :math:`kL` for ``"isotropic"``) have their
        amplitudes multiplied by :math:`M_j = \prod_{l\le j} W_l`, with independent
        :math:`W_l = e^{\sigma g_l - \sigma^2}`, :math:`g_l` standard normal, drawn per
        realisation (from its seed alone). :math:`\langle M_j^2\rangle = 1`, so the
        *mean* spectrum and :math:`\langle b^2\rangle = b^2` are kept, while the energy
        of the small scales fluctuates more and more between realisations
        (log-normal, Kolmogorov-Obukhov 1962-like): ensemble statistics such as the
        flatness of increments or the curvature of orbits become intermittent. Each
        realisation is still a Gaussian field; 0 (the default) draws exactly the waves
        of before.
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Source of the per-realisation seeds.

    Returns
    -------
    WaveSet
        Wave vectors, amplitudes and phases; every realisation has rms field ``b`` exactly
        (with ``intermittency > 0``: in the mean over realisations).

    Examples
    --------
    >>> from crsbi.particles.turbulence import draw_waves
    >>> waves = draw_waves(3, 50, b=0.5, lambda_perp=2.0, random_state=1)
    >>> waves.model, waves.amplitude.shape
    ('palade2d', (3, 50, 3))
    >>> bool(abs(waves.rms - 0.5).max() < 1e-12), waves.max_divergence < 1e-12
    (True, True)
    """
    owner = "draw_waves"
    check_interval(n_realisations, "n_realisations", owner, kind=int, low=1)
    params = {
        "model": model,
        "b": b,
        "lambda_perp": lambda_perp,
        "k_cutoff": k_cutoff,
        "spectral_index": spectral_index,
        "energy_range_index": energy_range_index,
        "slab_fraction": slab_fraction,
        "amplitudes": amplitudes,
        "intermittency": intermittency,
    }
    lambda_par = _check_wave_params(owner, n_waves=n_waves, lambda_par=lambda_par, **params)
    seeds = _realisation_seeds(random_state, int(n_realisations))
    arrays = _wave_arrays(seeds, int(n_waves), lambda_par=lambda_par, **params)
    return WaveSet(
        np.ascontiguousarray(np.swapaxes(arrays[:, 0:3], 1, 2)),
        np.ascontiguousarray(np.swapaxes(arrays[:, 4:7], 1, 2)),
        np.ascontiguousarray(arrays[:, 3]),
        model,
    )


def _realisation_seeds(random_state: Any, n: int) -> np.ndarray:
    """Draw ``n`` 64-bit seeds (uint64), one per realisation, from ``random_state``."""
    rng = check_random_state(random_state)
    return rng.integers(0, 2**64, size=int(n), dtype=np.uint64)


def evaluate_field(waves: WaveSet, positions: Any, *, chunk_size: int = 2**22) -> np.ndarray:
    r"""Evaluate the turbulent field of every realisation at given positions (NumPy).

    Parameters
    ----------
    waves : WaveSet
        The waves of ``n_realisations`` fields.
    positions : array-like of shape (n_points, 3) or (n_realisations, n_points, 3)
        Positions [:math:`\rho_{L0}`]; a 2-D array is used for every realisation.
    chunk_size : int, default=2**22
        Largest number of (point, wave) pairs evaluated at once per realisation batch, to
        bound memory.

    Returns
    -------
    ndarray of shape (n_realisations, n_points, 3)
        :math:`\mathbf b` [:math:`B_0`] (the mean field :math:`B_0\hat{\mathbf z}` is not
        included).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.turbulence import draw_waves, evaluate_field
    >>> waves = draw_waves(4, 64, model="isotropic", b=1.0, random_state=0)
    >>> evaluate_field(waves, np.zeros((5, 3))).shape
    (4, 5, 3)
    """
    if not isinstance(waves, WaveSet):
        raise TypeError(f"waves must be a WaveSet. Got {type(waves).__name__} instead.")
    x = np.asarray(positions, dtype=float)
    n_real = waves.n_realisations
    if x.ndim == 2 and x.shape[1] == 3:
        x = np.broadcast_to(x, (n_real, *x.shape))
    if x.ndim != 3 or x.shape[0] != n_real or x.shape[2] != 3:
        raise ValueError(
            f"positions must have shape (n_points, 3) or (n_realisations={n_real}, n_points, 3); "
            f"got an array of shape {x.shape} instead."
        )
    n_points = x.shape[1]
    out = np.empty((n_real, n_points, 3))
    step = max(1, chunk_size // max(1, n_points * waves.n_waves))
    for start in range(0, n_real, step):
        sl = slice(start, start + step)
        phase = np.matmul(x[sl], np.swapaxes(waves.wavevector[sl], 1, 2))
        phase += waves.phase[sl, None, :]
        np.cos(phase, out=phase)
        out[sl] = np.matmul(phase, waves.amplitude[sl])
    return out


def slab_correlation_length(
    lambda_par: float, *, k_cutoff: float = 10.0, spectral_index: float = 5.0 / 3.0
) -> float:
    r"""Integral correlation length of one perpendicular component of slab turbulence.

    :math:`\ell_c = \int_0^\infty R_{xx}(z)\,dz / R_{xx}(0) = \pi G(0) /
    \int_{-K/\lambda}^{K/\lambda} G(k)\,dk` for the spectrum
    :math:`G(k) \propto [1 + (k\lambda_\parallel)^2]^{-s/2}` used by the ``"slab"`` model,
    so that the field-line diffusion coefficient is :math:`D_{FL} = b^2 \ell_c / 2`.

    Parameters
    ----------
    lambda_par : float
        Slab bend-over scale :math:`\lambda_\parallel` [any length unit], > 0.
    k_cutoff : float, default=10.0
        Cut-off :math:`K` of :math:`|k|\lambda_\parallel` (dimensionless); ``inf`` for none.
    spectral_index : float, default=5/3
        Index :math:`s` (dimensionless), > 1.

    Returns
    -------
    float
        :math:`\ell_c`, in the unit of ``lambda_par``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.turbulence import slab_correlation_length
    >>> round(slab_correlation_length(1.0, k_cutoff=np.inf), 4)
    0.7468
    """
    owner = "slab_correlation_length"
    check_interval(lambda_par, "lambda_par", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(k_cutoff, "k_cutoff", owner, low=0.0, closed="neither")
    check_interval(spectral_index, "spectral_index", owner, low=1.0, high=np.inf, closed="neither")
    s = float(spectral_index)
    norm, _ = integrate.quad(lambda y: (1.0 + y * y) ** (-s / 2), 0.0, k_cutoff, limit=200)
    return float(np.pi / (2.0 * norm) * lambda_par)
