r"""Test-particle simulator of cosmic-ray diffusion coefficients (Palade 2023 method).

Charged particles obey the relativistic Newton-Lorentz equation without electric field in
:math:`\mathbf B = B_0\hat{\mathbf z} + \mathbf b(\mathbf r)`, with :math:`\mathbf b` a
synthetic turbulent field (:mod:`crsbi.particles.turbulence`). Every particle moves in its
**own** random field realisation, so the ensemble of particles is an ensemble of fields and
the running diffusion coefficients

.. math::

    D_{ii}(t) = \frac{\langle (x_i(t) - x_i(0))^2 \rangle}{2t}

converge to :math:`D_\perp` (:math:`i = x, y`) and :math:`D_\parallel` (:math:`i = z`).

Units
-----
Field in :math:`B_0`; time in :math:`1/\omega_c` with :math:`\omega_c = |q|B_0/(mc)` the
non-relativistic gyro-frequency; lengths in the bare Larmor radius
:math:`\rho_{L0} = mc^2/(|q|B_0) = c/\omega_c`; velocity in :math:`c`; momentum in
:math:`mc`; kinetic energy :math:`T` in :math:`mc^2`, so :math:`\gamma = 1 + T` and
:math:`|\mathbf p| = \sqrt{\gamma^2 - 1}`. The equation of motion is then
:math:`d\mathbf p/dt = \mathbf v \times \mathbf B` (positive charge) and diffusion
coefficients come out in :math:`\rho_{L0}^2\omega_c = \rho_{L0} c`. A particle gyrates in
:math:`B_0` with radius :math:`p_\perp` and period :math:`2\pi\gamma`.

Integrator
----------
The relativistic Boris pusher (magnetic part), staggered leapfrog with one field evaluation
per step: :math:`\mathbf t = \mathbf B(\mathbf x_n)\,\Delta t/(2\gamma)`,
:math:`\mathbf s = 2\mathbf t/(1 + t^2)`, :math:`\mathbf p' = \mathbf p + \mathbf p \times
\mathbf t`, :math:`\mathbf p^+ = \mathbf p + \mathbf p' \times \mathbf s`, then
:math:`\mathbf x_{n+1} = \mathbf x_n + \mathbf p^+\Delta t/\gamma`. It conserves
:math:`|\mathbf p|` to round-off; the initial momentum is taken as :math:`\mathbf p_{-1/2}`.
Its gyro-phase error is :math:`2\arctan(\Delta t/2\gamma)` per step instead of
:math:`\Delta t/\gamma` (3 % at Palade's :math:`\Delta t = 2\pi/10`, :math:`\gamma = 1`),
harmless for diffusion coefficients.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state, spawn_seeds
from crsbi.core.validation import check_interval, check_option
from crsbi.particles.turbulence import (
    AMPLITUDES,
    MAX_INTERMITTENCY,
    TURBULENCE_MODELS,
    WaveSet,
    _realisation_seeds,
    _wave_arrays,
)

__all__ = [
    "MAX_B",
    "MAX_DT_FRACTION",
    "PALADE_BOUNDS",
    "DiffusionResult",
    "Trajectories",
    "field_along",
    "initial_momenta",
    "simulate_d_perp",
    "simulate_diffusion",
    "trace_particles",
]

#: Parameter box of Palade (2023), used by :func:`simulate_d_perp`: kinetic energy ``T``
#: in :math:`mc^2`, rms turbulence ``b`` in :math:`B_0`, ``lambda_perp`` in
#: :math:`\rho_{L0}`. Upper ends and the lower end of ``lambda_perp`` are included.
PALADE_BOUNDS = {"T": (0.0, 10.0), "b": (0.0, 1.0), "lambda_perp": (0.2, 20.0)}

#: Largest rms turbulence :func:`simulate_diffusion` accepts, in :math:`B_0`: beyond it the
#: mean field holds < 1 % of the magnetic energy and the units (:math:`B_0`,
#: :math:`\rho_{L0}`) stop describing the particles' motion.
MAX_B = 10.0
#: Largest time step of :func:`simulate_diffusion` as a fraction of the gyro-period in the
#: rms field, :math:`2\pi\gamma/\sqrt{1 + b^2}`. At 1/4 the Boris gyro-phase is already
#: 15 % short per step (Palade's :math:`2\pi/10` at :math:`\gamma = 1`, b = 1: 0.14).
MAX_DT_FRACTION = 0.25

_CHUNK = 2048  # particles per kernel call (bounds memory: ~60 MB at 500 waves)
#: kernels of :func:`trace_particles`: reproducible, fastmath, single precision, NumPy reference
BACKENDS = ["numba", "numba-fast", "numba-f32", "torch", "numpy"]
#: the compiled numba kernels
COMPILED_BACKENDS = BACKENDS[:3]
#: the backends of :func:`simulate_diffusion` (the numba kernels and torch)
SIMULATION_BACKENDS = BACKENDS[:4]


@dataclass(frozen=True)
class Trajectories:
    r"""Particle states at the sample steps, as returned by :func:`trace_particles`.

    Attributes
    ----------
    steps : ndarray of shape (n_samples,)
        Step numbers :math:`n` of the samples (int).
    time : ndarray of shape (n_samples,)
        :math:`n\,\Delta t` [:math:`1/\omega_c`].
    positions : ndarray of shape (n_particles, n_samples, 3)
        :math:`\mathbf x_n` (or the guiding centres) [:math:`\rho_{L0}`].
    momenta : ndarray of shape (n_particles, n_samples, 3)
        :math:`\mathbf p_{n-1/2}` (the momentum that carried the particle to
        :math:`\mathbf x_n`) [:math:`mc`].

    Examples
    --------
    >>> from crsbi.particles.tracing import trace_particles
    >>> tracks = trace_particles(None, [[0.0, 0.0, 1.0]], dt=0.5, sample_steps=[2, 4])
    >>> tracks.time.tolist(), tracks.positions[0, :, 2].round(4).tolist()  # v_z = 1/sqrt(2)
    ([1.0, 2.0], [0.7071, 1.4142])
    """

    steps: np.ndarray
    time: np.ndarray
    positions: np.ndarray
    momenta: np.ndarray


@dataclass(frozen=True)
class DiffusionResult:
    r"""Running and asymptotic diffusion coefficients of one simulation.

    Units: time in :math:`1/\omega_c`, lengths in :math:`\rho_{L0}`, diffusion
    coefficients in :math:`\rho_{L0}^2\omega_c`.

    Attributes
    ----------
    time : ndarray of shape (n_samples,)
        Sample times :math:`t` [:math:`1/\omega_c`].
    msd : ndarray of shape (n_samples, 3)
        Mean squared displacements :math:`\langle\Delta x^2\rangle, \langle\Delta
        y^2\rangle, \langle\Delta z^2\rangle`.
    running_diffusion : ndarray of shape (n_samples, 3)
        :math:`D_{xx}(t), D_{yy}(t), D_{zz}(t) = \mathrm{msd}/(2t)`.
    diffusion, diffusion_err : ndarray of shape (3,)
        Plateau of :math:`D_{xx}, D_{yy}, D_{zz}`: the mean of :math:`D_{ii}(t)` over the
        samples with :math:`t \ge (1 - f)\,t_{\max}` (``plateau_fraction`` :math:`f`), and
        its standard error over the particle ensemble (each particle's time average counts
        once, so correlations in time are accounted for).
    d_perp, d_perp_err : float
        :math:`D_\perp = (D_{xx} + D_{yy})/2` and its standard error [:math:`\rho_{L0}^2\omega_c`].
    d_par, d_par_err : float
        :math:`D_\parallel = D_{zz}` and its standard error [:math:`\rho_{L0}^2\omega_c`].
    exponent_perp, exponent_par : float
        Slope :math:`\alpha` of :math:`\log\langle\Delta r^2\rangle` against
        :math:`\log t` over the plateau window (1 for diffusion, 2 ballistic, 0 bounded).
    regime_perp, regime_par : str
        ``"diffusive"`` when :math:`|\alpha - 1|` is within ``diffusive_tolerance``, else
        ``"subdiffusive"``, ``"superdiffusive"`` or ``"ballistic"`` (:math:`\alpha \ge 1.8`).
        Only a ``"diffusive"`` plateau is a diffusion coefficient.
    change_perp, change_par : float
        Relative change of the plateau when the run was doubled: the plateau above minus
        the same plateau measured at half the run, over the latter (same particles).
    change_perp_err, change_par_err : float
        Standard errors of these changes over the particle ensemble.
    converged_perp, converged_par : bool
        ``|change| <= convergence_tol + 2 change_err`` (``convergence_test="consistent"``,
        doubling the run changed the coefficient by at most the tolerance, beyond Monte
        Carlo noise) or ``|change| + 2 change_err <= convergence_tol`` (``"bound"``).
    config : dict
        The parameters of the run (including ``gamma`` and ``speed``).

    Examples
    --------
    >>> from crsbi.particles.tracing import simulate_diffusion
    >>> res = simulate_diffusion(1.0, 0.0, 1.0, n_particles=8, n_steps=50, random_state=0)
    >>> res.regime_par, res.running_diffusion.shape[1]
    ('ballistic', 3)
    """

    time: np.ndarray
    msd: np.ndarray
    running_diffusion: np.ndarray
    diffusion: np.ndarray
    diffusion_err: np.ndarray
    d_perp: float
    d_perp_err: float
    d_par: float
    d_par_err: float
    exponent_perp: float
    exponent_par: float
    regime_perp: str
    regime_par: str
    change_perp: float = np.nan
    change_perp_err: float = np.nan
    change_par: float = np.nan
    change_par_err: float = np.nan
    converged_perp: bool = False
    converged_par: bool = False
    config: dict = field(default_factory=dict)

    @property
    def is_diffusive(self) -> bool:
        """Whether both the perpendicular and the parallel transport are diffusive."""
        return self.regime_perp == "diffusive" and self.regime_par == "diffusive"

    @property
    def converged(self) -> bool:
        """Whether both coefficients changed by at most ``convergence_tol`` on doubling."""
        return self.converged_perp and self.converged_par


def initial_momenta(
    n_particles: int, energy: float, *, mu: float | str = 0.5, random_state: Any = None
) -> np.ndarray:
    r"""Draw initial momenta of given kinetic energy and pitch.

    Parameters
    ----------
    n_particles : int
        Number of particles, >= 1.
    energy : float
        Kinetic energy :math:`T` [:math:`mc^2`], > 0; :math:`|\mathbf p| =
        \sqrt{(1+T)^2 - 1}`.
    mu : float in [-1, 1] or "isotropic", default=0.5
        Pitch-angle cosine :math:`p_z/|\mathbf p|` with a uniform random gyro-phase, or
        ``"isotropic"`` for uniformly distributed directions.
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Source of the gyro-phases and directions.

    Returns
    -------
    ndarray of shape (n_particles, 3)
        Momenta [:math:`mc`].

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.tracing import initial_momenta
    >>> p = initial_momenta(4, 1.0, mu=0.5, random_state=0)
    >>> np.allclose(np.linalg.norm(p, axis=1), np.sqrt(3)), np.allclose(p[:, 2], np.sqrt(3) / 2)
    (True, True)
    """
    owner = "initial_momenta"
    check_interval(n_particles, "n_particles", owner, kind=int, low=1)
    check_interval(energy, "energy", owner, low=0.0, high=np.inf, closed="neither")
    _check_mu(mu, owner)
    rng = check_random_state(random_state)
    p = math.sqrt((1.0 + energy) ** 2 - 1.0)
    n = int(n_particles)
    isotropic = mu == "isotropic"
    cos_pitch = 2.0 * rng.random(n) - 1.0 if isotropic else np.full(n, float(mu))
    phase = 2.0 * np.pi * rng.random(n)
    sin_pitch = np.sqrt(np.maximum(0.0, 1.0 - cos_pitch**2))
    return p * np.stack([sin_pitch * np.cos(phase), sin_pitch * np.sin(phase), cos_pitch], axis=1)


def trace_particles(
    waves: WaveSet | None,
    momenta: Any,
    *,
    positions: Any = None,
    dt: float = 2.0 * np.pi / 10.0,
    n_steps: int = 2000,
    sample_steps: Any = None,
    guiding_centre: bool = False,
    backend: str = "numba",
    device: str = "auto",
) -> Trajectories:
    r"""Integrate particles, each in its own field realisation, with the Boris pusher.

    Parameters
    ----------
    waves : WaveSet or None
        One realisation per particle (``waves.n_realisations == n_particles``); ``None``
        for the uniform field :math:`B_0\hat{\mathbf z}` alone.
    momenta : array-like of shape (n_particles, 3)
        Initial momenta [:math:`mc`] (taken as :math:`\mathbf p_{-1/2}`).
    positions : array-like of shape (n_particles, 3) or None
        Initial positions [:math:`\rho_{L0}`]; the origin when ``None``.
    dt : float, default=2*pi/10
        Time step [:math:`1/\omega_c`], > 0.
    n_steps : int, default=2000
        Number of steps, >= 1 (ignored when ``sample_steps`` is given).
    sample_steps : array-like of int or None
        Increasing steps in ``[0, n_steps]`` at which the state is recorded (0 is the
        initial state); steps 1 to ``n_steps`` when ``None``.
    guiding_centre : bool, default=False
        Record guiding centres in :math:`B_0\hat{\mathbf z}` instead of positions:
        :math:`\mathbf x_n + (1 + a^2)\,\bar{\mathbf p}_n \times \hat{\mathbf z}` with
        :math:`\bar{\mathbf p}_n = (\mathbf p_{n-1/2} + \mathbf p_{n+1/2})/2` and
        :math:`a = \Delta t/2\gamma`, exactly the centre of the Boris orbit in a uniform
        field (so the gyration drops out of displacements).
    backend : {"numba", "numba-fast", "numba-f32", "torch", "numpy"}, default="numba"
        The compiled parallel kernel, bit-identical on every x86-64 CPU for a given numba
        version (no reassociation, no fused multiply-adds); ``"numba-fast"``, the same
        kernel with ``fastmath`` wave sums (about 2x faster on AVX-512 CPUs, last bits
        CPU-dependent, so chaotic orbits agree only statistically between CPUs, see
        ``docs/reproducibility.md``); ``"numba-f32"``, phases and wave sums in float32
        (pusher in float64), vectorised across particles: about 3x faster than
        ``"numba"`` and still bit-identical on every x86-64 CPU, with a field accurate to
        ~1e-6 of ``b`` (see :func:`simulate_diffusion`); ``"torch"``, the same pusher as
        batched float64 tensor operations on ``device`` (a GPU path; on the CPU the numba
        kernels are faster; results statistically identical to ``"numba"``); or the
        plain-NumPy reference implementation of the same pusher and field (slow; for
        checks and benchmarks).
    device : str, default="auto"
        Torch device of ``backend="torch"`` (``"auto"``: CUDA when available, else the
        CPU); ignored by the other backends.

    Returns
    -------
    Trajectories
        Positions and momenta at the sample steps.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.tracing import trace_particles
    >>> tr = trace_particles(None, [[1.0, 0.0, 0.0]], dt=0.01, n_steps=200, backend="numpy")
    >>> tr.positions.shape, bool(np.allclose(np.linalg.norm(tr.momenta, axis=2), 1.0))
    ((1, 200, 3), True)
    """
    owner = "trace_particles"
    check_option(backend, "backend", owner, BACKENDS)
    check_interval(dt, "dt", owner, low=0.0, high=np.inf, closed="neither")
    momenta = np.ascontiguousarray(momenta, dtype=float)
    if momenta.ndim != 2 or momenta.shape[1] != 3:
        raise ValueError(
            f"momenta must have shape (n_particles, 3); got an array of shape {momenta.shape}."
        )
    n = momenta.shape[0]
    if positions is None:
        positions = np.zeros((n, 3))
    positions = np.ascontiguousarray(positions, dtype=float)
    if positions.shape != (n, 3):
        raise ValueError(
            f"positions must have shape (n_particles, 3) = ({n}, 3); got {positions.shape}."
        )
    if not (np.all(np.isfinite(momenta)) and np.all(np.isfinite(positions))):
        raise ValueError("momenta and positions must be finite.")
    if waves is not None:
        if not isinstance(waves, WaveSet):
            raise TypeError(f"waves must be a WaveSet or None. Got {type(waves).__name__}.")
        if waves.n_realisations != n:
            raise ValueError(
                f"waves must hold one realisation per particle ({n}); "
                f"it holds {waves.n_realisations}."
            )
    if sample_steps is None:
        check_interval(n_steps, "n_steps", owner, kind=int, low=1)
        steps = np.arange(1, int(n_steps) + 1, dtype=np.int64)
    else:
        steps = np.asarray(sample_steps)
        if (
            steps.ndim != 1
            or steps.size == 0
            or not np.issubdtype(steps.dtype, np.integer)
            or steps[0] < 0
            or np.any(np.diff(steps) <= 0)
        ):
            raise ValueError(
                "sample_steps must be a non-empty, strictly increasing 1-D array of "
                f"integers >= 0; got {sample_steps!r}."
            )
        steps = steps.astype(np.int64)
    if backend == "numpy":
        pos, mom = _trace_numpy(waves, positions, momenta, float(dt), steps, guiding_centre)
    else:
        pos = np.empty((n, steps.size, 3))
        mom = np.empty((n, steps.size, 3))
        _run_kernel(
            _pack_waves(waves, n),
            positions,
            momenta,
            float(dt),
            steps,
            guiding_centre,
            pos,
            mom,
            backend=backend,
            device=_torch_device(backend, device),
        )
    return Trajectories(steps, steps * float(dt), pos, mom)


def simulate_diffusion(
    T: float,
    b: float,
    lambda_perp: float,
    *,
    mu: float | str = 0.5,
    lambda_par_ratio: float = 10.0,
    n_particles: int = 10_000,
    n_waves: int = 500,
    dt: float = 2.0 * np.pi / 10.0,
    n_steps: int = 2000,
    n_samples: int = 64,
    sampling: str = "log",
    turbulence: str = "palade2d",
    k_cutoff: float = 10.0,
    amplitudes: str = "potential",
    intermittency: float = 0.0,
    plateau_fraction: float = 0.5,
    diffusive_tolerance: float = 0.2,
    displacement: str = "particle",
    convergence_tol: float = 0.03,
    convergence_test: str = "consistent",
    max_steps: int | None = None,
    converge_on: str = "both",
    n_threads: int | None = None,
    backend: str = "numba",
    device: str = "auto",
    random_state: Any = None,
) -> DiffusionResult:
    r"""Simulate the running diffusion coefficients of particles in synthetic turbulence.

    ``n_particles`` particles start at the origin, each in its own field realisation drawn
    by :func:`~crsbi.particles.turbulence.draw_waves`, and are pushed with the relativistic
    Boris scheme (see the module docstring for units and the integrator).

    Parameters
    ----------
    T : float
        Kinetic energy [:math:`mc^2`], > 0 (Palade: (0, 10)).
    b : float
        Rms turbulent field [:math:`B_0`], in [0, :data:`MAX_B` = 10] (Palade: (0, 1));
        0 means no turbulence.
    lambda_perp : float
        Perpendicular bend-over scale :math:`\lambda_\perp` [:math:`\rho_{L0}`], > 0
        (Palade: (0.2, 20)); for ``turbulence="isotropic"`` the bend-over scale :math:`L`.
    mu : float in [-1, 1] or "isotropic", default=0.5
        Initial pitch-angle cosine (with random gyro-phases) or isotropic directions.
    lambda_par_ratio : float, default=10.0
        :math:`\lambda_\parallel/\lambda_\perp`, > 0 (``inf``: pure 2D for ``"palade2d"``).
    n_particles : int, default=10_000
        Particles (= field realisations) :math:`N_p`, >= 2.
    n_waves : int, default=500
        Plane waves per realisation :math:`N_c`, >= 1.
    dt : float, default=2*pi/10
        Time step [:math:`1/\omega_c`], > 0 and at most :data:`MAX_DT_FRACTION` = 1/4 of
        the gyro-period in the rms field, :math:`2\pi\gamma/\sqrt{1 + b^2}`.
    n_steps : int, default=2000
        Number of steps, >= 3; the run lasts :math:`t_{\max} = n_{steps}\Delta t`.
    n_samples : int, default=64
        Number of sample times per spacing, >= 3 (fewer where rounding to whole steps
        makes some coincide).
    sampling : {"log", "linear"}, default="log"
        ``"log"``: ``n_samples`` log-spaced steps over the run *plus* ``n_samples`` evenly
        spaced steps over the plateau window, so that the plateau and the MSD exponent
        average over many gyro-periods; ``"linear"``: ``n_samples`` evenly spaced steps.
    turbulence : {"palade2d", "slab", "isotropic", "composite"}, default="palade2d"
        Turbulence model (:mod:`crsbi.particles.turbulence`).
    k_cutoff : float, default=10.0
        Dimensionless wave-number cut-off of the spectra, > 0.
    amplitudes : {"potential", "field"}, default="potential"
        Amplitudes of the 2D waves: Palade's equal potential amplitudes (his setup; the
        magnetic energy spectrum then rises up to ``k_cutoff`` and so does the transport)
        or equal field amplitudes (a Kolmogorov magnetic energy spectrum), see
        :func:`~crsbi.particles.turbulence.draw_waves`.
    intermittency : float, default=0.0
        Log-normal width per octave of the random cascade of the wave amplitudes over the
        realisations (:func:`~crsbi.particles.turbulence.draw_waves`), in [0, 2]; 0: the
        Gaussian fields of before.
    plateau_fraction : float, default=0.5
        Final fraction of the run (in time) over which plateaus and MSD exponents are
        measured, in (0, 1].
    diffusive_tolerance : float, default=0.2
        Largest :math:`|\alpha - 1|` of the MSD exponent still called diffusive, > 0.
    displacement : {"particle", "guiding_centre"}, default="particle"
        Displacements of the particles (Palade's definition) or of their guiding centres
        in :math:`B_0` (see :func:`trace_particles`). Both give the same coefficients
        asymptotically; the guiding centres remove the bounded gyration term
        :math:`\sim r_L^2/2t` that dominates the running :math:`D_\perp(t)` when
        :math:`D_\perp t \lesssim r_L^2` (weak turbulence, high energy).
    convergence_tol : float, default=0.03
        A plateau counts as converged when doubling the run changed it by at most this
        fraction: the plateau over the run's second half is compared with the plateau
        measured the same way at half the run (same particles; the change is allowed two
        of its own standard errors on top, so that Monte Carlo noise alone does not flag a
        run, see ``convergence_test``). The changes and flags are in the result
        (``change_perp``, ``converged``...).
    convergence_test : {"consistent", "bound"}, default="consistent"
        ``"consistent"``: converged when ``|change| <= convergence_tol + 2 err`` (the data
        do not exclude a change within the tolerance); ``"bound"``: converged when
        ``|change| + 2 err <= convergence_tol`` (the data show the change is within the
        tolerance, at ~2 sigma; this needs ``err < tol / 2``, i.e. many particles). At
        the database's settings (2000 particles, 1000 steps) ``"consistent"`` stopped 92 %
        of the runs before 8x with a median drift of 4.7 % still to come (90th percentile
        13 %), ``python benchmarks/particles/bench_convergence.py``.
    max_steps : int or None, default=None
        ``None``: run ``n_steps`` and only report convergence. Otherwise the run is
        **extended**, doubling its length (exactly, bit for bit, as a longer run would have
        gone) until the coefficients named by ``converge_on`` are converged or the next
        doubling would pass ``max_steps`` (>= ``n_steps``). ``config["n_steps"]`` is the
        length actually run.
    converge_on : {"both", "perp", "par"}, default="both"
        Which coefficients must converge for an extended run to stop.
    n_threads : int or None, default=None
        numba threads for this call (results do not depend on it); numba's default if
        ``None``.
    backend : {"numba", "numba-fast", "numba-f32", "torch"}, default="numba"
        Kernel flavour (see :func:`trace_particles`): ``"numba"`` gives bit-identical
        results on every x86-64 CPU, ``"numba-fast"`` is about 2x faster on AVX-512 CPUs
        with CPU-dependent last bits, ``"numba-f32"`` (float32 phases and wave sums,
        float64 pusher) is about 3x faster and bit-identical on every x86-64 CPU. Its
        field differs from the float64 one by ~1e-6 of ``b``; chaotic orbits amplify
        that, so its coefficients agree with ``"numba"`` statistically (within their
        errors, ``benchmarks/particles/bench_particles.py``), not bit for bit.
        ``"torch"`` runs the pusher as float64 tensor operations on ``device`` (the GPU
        path), statistically identical to ``"numba"``.
    device : str, default="auto"
        Torch device of ``backend="torch"``; ignored by the numba backends.
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Seed. Each particle's field realisation is drawn by its own generator from a 64-bit
        seed taken from this stream (then the initial momenta), so a seed gives the same
        result whatever the number of threads (and, with ``backend="numba"``, the CPU).

    Returns
    -------
    DiffusionResult
        Running coefficients, plateaus with standard errors, MSD exponents and regimes.

    Raises
    ------
    ValueError, TypeError
        For parameters out of range, naming the accepted range.

    Examples
    --------
    >>> from crsbi.particles.tracing import simulate_diffusion
    >>> res = simulate_diffusion(1.0, 0.5, 1.0, n_particles=16, n_waves=32, n_steps=100,
    ...                          random_state=0)
    >>> res.time.shape == res.running_diffusion[:, 0].shape, res.d_perp > 0
    (True, True)
    """
    owner = "simulate_diffusion"
    check_interval(T, "T", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(b, "b", owner, low=0.0, high=MAX_B, closed="both")
    check_interval(lambda_perp, "lambda_perp", owner, low=0.0, high=np.inf, closed="neither")
    _check_mu(mu, owner)
    check_interval(lambda_par_ratio, "lambda_par_ratio", owner, low=0.0, closed="neither")
    check_interval(n_particles, "n_particles", owner, kind=int, low=2)
    check_interval(n_waves, "n_waves", owner, kind=int, low=1)
    check_interval(dt, "dt", owner, low=0.0, high=np.inf, closed="neither")
    check_interval(n_steps, "n_steps", owner, kind=int, low=3)
    check_interval(n_samples, "n_samples", owner, kind=int, low=3)
    check_option(sampling, "sampling", owner, ["log", "linear"])
    check_option(turbulence, "turbulence", owner, TURBULENCE_MODELS)
    check_interval(k_cutoff, "k_cutoff", owner, low=0.0, high=np.inf, closed="neither")
    check_option(amplitudes, "amplitudes", owner, AMPLITUDES)
    check_interval(intermittency, "intermittency", owner, low=0.0, high=MAX_INTERMITTENCY)
    check_interval(plateau_fraction, "plateau_fraction", owner, low=0.0, high=1.0, closed="right")
    check_interval(diffusive_tolerance, "diffusive_tolerance", owner, low=0.0, closed="neither")
    check_option(displacement, "displacement", owner, ["particle", "guiding_centre"])
    check_interval(convergence_tol, "convergence_tol", owner, low=0.0, closed="neither")
    check_option(convergence_test, "convergence_test", owner, ["consistent", "bound"])
    check_interval(max_steps, "max_steps", owner, kind=int, low=int(n_steps), allow_none=True)
    check_option(converge_on, "converge_on", owner, ["both", "perp", "par"])
    check_interval(n_threads, "n_threads", owner, kind=int, low=1, allow_none=True)
    check_option(backend, "backend", owner, SIMULATION_BACKENDS)
    torch_device = _torch_device(backend, device)
    gyro_period = 2.0 * np.pi * (1.0 + float(T)) / math.sqrt(1.0 + float(b) ** 2)
    if dt > MAX_DT_FRACTION * gyro_period:
        raise ValueError(
            f"The 'dt' parameter of {owner} must be at most {MAX_DT_FRACTION:g} of the "
            f"gyro-period 2 pi gamma / sqrt(1 + b^2) = {gyro_period:.4g} (1/omega_c) at "
            f"T = {T:g}, b = {b:g}, i.e. <= {MAX_DT_FRACTION * gyro_period:.4g}; got {dt!r}. "
            "Larger steps do not resolve the gyration (Palade: 2 pi / 10)."
        )
    lambda_par = lambda_par_ratio * lambda_perp
    if turbulence in ("slab", "composite") and np.isinf(lambda_par):
        raise ValueError(
            f"The 'lambda_par_ratio' parameter of {owner} must be finite for "
            f"turbulence={turbulence!r}. Got {lambda_par_ratio!r} instead."
        )
    if turbulence == "composite" and n_waves < 2:
        raise ValueError(
            f"The 'n_waves' parameter of {owner} must be >= 2 for the composite model. "
            f"Got {n_waves} instead."
        )
    steps = _sample_steps(int(n_steps), int(n_samples), sampling, float(plateau_fraction))
    n = int(n_particles)
    rng = check_random_state(random_state)
    seeds = _realisation_seeds(rng, n)
    momenta = initial_momenta(n, float(T), mu=mu, random_state=rng)
    wave_config = {
        "n_waves": int(n_waves),
        "model": turbulence,
        "b": float(b),
        "lambda_perp": float(lambda_perp),
        "lambda_par": float(lambda_par),
        "k_cutoff": float(k_cutoff),
        "amplitudes": amplitudes,
        "intermittency": float(intermittency),
        "turns": True,
        "n_rows": 7 if turbulence == "isotropic" else 6,
    }
    push = {
        "seeds": seeds,
        "wave_config": wave_config if b > 0 else None,
        "dt": float(dt),
        "guiding_centre": displacement == "guiding_centre",
        "backend": backend,
        "device": torch_device,
    }
    # (x, p_{n-1/2}, gamma, x_ref): gamma = 0 until the kernel sets it; x_ref is the
    # float32 kernel's reference position
    state = np.concatenate([np.zeros((n, 3)), momenta, np.zeros((n, 4))], axis=1)
    gamma = 1.0 + float(T)
    config = {
        "T": float(T),
        "b": float(b),
        "lambda_perp": float(lambda_perp),
        "lambda_par": float(lambda_par),
        "mu": mu,
        "gamma": gamma,
        "speed": math.sqrt(1.0 - 1.0 / gamma**2),
        "n_particles": n,
        "n_waves": int(n_waves),
        "dt": float(dt),
        "n_steps": int(n_steps),
        "turbulence": turbulence,
        "k_cutoff": float(k_cutoff),
        "amplitudes": amplitudes,
        "intermittency": float(intermittency),
        "plateau_fraction": float(plateau_fraction),
        "diffusive_tolerance": float(diffusive_tolerance),
        "displacement": displacement,
        "convergence_tol": float(convergence_tol),
        "convergence_test": convergence_test,
        "max_steps": None if max_steps is None else int(max_steps),
        "converge_on": converge_on,
    }
    with _threads(n_threads):
        # the first segment also records step 0: the reference (guiding-centre) position
        pos = _push_segment(state, np.concatenate([[0], steps]), step0=0, **push)
        origin = pos[:, 0]
        sq = (pos[:, 1:] - origin[:, None]) ** 2
        done = int(n_steps)
        result = _summarise(steps * float(dt), sq, config)
        while max_steps is not None and not _is_converged(result, converge_on):
            if 2 * done > max_steps:
                break
            extra = _extension_steps(done, int(n_samples))
            pos = _push_segment(state, extra - done, step0=done, **push)
            steps = np.concatenate([steps, extra])
            sq = np.concatenate([sq, (pos - origin[:, None]) ** 2], axis=1)
            done *= 2
            config["n_steps"] = done
            result = _summarise(steps * float(dt), sq, config)
    return result


def _push_segment(
    state, steps, *, step0, seeds, wave_config, dt, guiding_centre, backend, device
) -> np.ndarray:  # fmt: skip
    """Push all particles over ``steps[-1]`` steps from ``state`` (updated in place).

    ``state`` rows are ``(x, p_{n-1/2}, gamma, x_ref)``; ``gamma = 0`` before the first
    segment (the kernel computes it), then the kernel's own, so a continuation is
    bit-exact; ``step0`` is the absolute step of ``state`` (for the float32 kernel's
    re-centring schedule, with ``x_ref`` its reference positions).

    Returns the (guiding-centre) positions at ``steps`` (relative to the segment start),
    shape ``(n, steps.size, 3)``. Waves are redrawn from ``seeds`` chunk by chunk (the same
    realisations every time), so no segment holds more than one chunk of waves.
    """
    n = state.shape[0]
    pos = np.empty((n, steps.size, 3))
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        if wave_config is None:
            waves = np.zeros((stop - start, 6, 0))
        else:
            waves = _wave_arrays(seeds[start:stop], **wave_config)
        final = np.zeros((stop - start, 10))
        gammas = state[start:stop, 6]
        _run_kernel(
            waves,
            np.ascontiguousarray(state[start:stop, :3]),
            np.ascontiguousarray(state[start:stop, 3:6]),
            dt,
            steps,
            guiding_centre,
            pos[start:stop],
            np.empty((stop - start, 0, 3)),
            backend=backend,
            device=device,
            final_state=final,
            gammas=np.ascontiguousarray(gammas) if np.all(gammas > 0) else None,
            step0=step0,
            references=np.ascontiguousarray(state[start:stop, 7:10]) if step0 > 0 else None,
        )
        state[start:stop] = final
    return pos


def _extension_steps(done: int, n_samples: int) -> np.ndarray:
    """Absolute sample steps of the doubling from ``done`` to ``2 done`` (evenly spaced)."""
    extra = np.round(np.linspace(done, 2 * done, n_samples + 1)[1:]).astype(np.int64)
    return np.unique(np.clip(extra, done + 1, 2 * done))


def _is_converged(result: DiffusionResult, converge_on: str) -> bool:
    if converge_on == "perp":
        return result.converged_perp
    if converge_on == "par":
        return result.converged_par
    return result.converged_perp and result.converged_par


def simulate_d_perp(theta: Any, *, random_state: Any = None, log10: bool = True, **config: Any):
    r"""Campaign/sbi simulator: ``theta = (T, b, lambda_perp)`` -> diffusion coefficients.

    A thin wrapper of :func:`simulate_diffusion` with Palade's defaults (``mu=0.5``,
    ``lambda_par = 10 lambda_perp``, :math:`N_p = 10^4`, :math:`N_c = 500`,
    :math:`\Delta t = 2\pi/10`, 2000 steps), which ``config`` overrides.

    Parameters
    ----------
    theta : array-like of shape (3,) or (n_sims, 3)
        Kinetic energy :math:`T \in (0, 10]` [:math:`mc^2`], rms turbulence
        :math:`b \in (0, 1]` [:math:`B_0`] and :math:`\lambda_\perp \in [0.2, 20]` in
        :math:`\rho_{L0}` (:data:`PALADE_BOUNDS`).
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Seed; for a batch, simulation ``i`` uses the ``i``-th
        :class:`~numpy.random.SeedSequence` child.
    log10 : bool, default=True
        Return :math:`\log_{10}` of the coefficients (the natural scale for inference).
    **config
        Keyword arguments of :func:`simulate_diffusion`.

    Returns
    -------
    ndarray of shape (2,) or (n_sims, 2)
        ``[D_perp, D_par]`` (or their base-10 logarithms) [:math:`\rho_{L0}^2\omega_c`]:
        the plateau values of :func:`simulate_diffusion`, whatever the regime.

    Examples
    --------
    >>> from crsbi.particles.tracing import simulate_d_perp
    >>> x = simulate_d_perp([1.0, 0.5, 2.0], n_particles=8, n_waves=16, n_steps=64,
    ...                     random_state=0)
    >>> x.shape
    (2,)
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim not in (1, 2) or theta.shape[-1] != 3:
        raise ValueError(
            "theta must have shape (3,) or (n_sims, 3) holding (T, b, lambda_perp); "
            f"got an array of shape {theta.shape} instead."
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta contains NaN or infinity; expected finite (T, b, lambda_perp).")
    rows = np.atleast_2d(theta)
    for name, column in zip(PALADE_BOUNDS, rows.T, strict=True):
        low, high = PALADE_BOUNDS[name]
        closed_low = name == "lambda_perp"
        bad = (column < low) | (column > high) | ((column == low) & (not closed_low))
        if np.any(bad):
            left = "[" if closed_low else "("
            raise ValueError(
                f"theta's {name!r} entry must lie in {left}{low:g}, {high:g}] "
                f"(T in mc^2, b in B0, lambda_perp in rho_L0). Got {column[bad][0]!r} instead."
            )
    seeds = [random_state] if theta.ndim == 1 else spawn_seeds(random_state, rows.shape[0])
    out = np.empty((rows.shape[0], 2))
    for i, (row, seed) in enumerate(zip(rows, seeds, strict=True)):
        res = simulate_diffusion(*map(float, row), random_state=seed, **config)
        out[i] = (res.d_perp, res.d_par)
    if log10:
        out = np.log10(out)
    return out[0] if theta.ndim == 1 else out


# --------------------------------------------------------------------------- helpers


def _check_mu(mu: Any, owner: str) -> None:
    if isinstance(mu, str):
        if mu != "isotropic":
            raise ValueError(
                f"The 'mu' parameter of {owner} must be a float in [-1, 1] or 'isotropic'. "
                f"Got {mu!r} instead."
            )
        return
    if isinstance(mu, bool) or not isinstance(mu, numbers.Real) or not -1.0 <= mu <= 1.0:
        raise ValueError(
            f"The 'mu' parameter of {owner} must be a float in [-1, 1] or 'isotropic'. "
            f"Got {mu!r} instead."
        )


@contextlib.contextmanager
def _threads(n_threads: int | None) -> Iterator[None]:
    import numba

    if n_threads is None:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(int(n_threads), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _torch_device(backend: str, device: str) -> str | None:
    """Resolve the torch device of ``backend="torch"`` (``None`` for the other backends)."""
    if backend != "torch":
        return None
    from crsbi.core.device import resolve_device

    return resolve_device(device)


def _run_kernel(
    waves, positions, momenta, dt, steps, guiding_centre, out_positions, out_momenta, backend,
    final_state=None, gammas=None, step0=0, references=None, device=None,
) -> None:  # fmt: skip
    """Run the compiled kernel named by ``backend`` (see :data:`COMPILED_BACKENDS`).

    ``final_state`` has 10 columns ``(x, p, gamma, x_ref)`` (the float64 kernels leave
    ``x_ref`` untouched); ``step0`` and ``references`` matter only to ``"numba-f32"``.
    """
    from crsbi.particles import _kernels

    n = positions.shape[0]
    keep = final_state is not None
    final = final_state if keep else np.empty((0, 10))
    gammas = np.empty(0) if gammas is None else gammas
    if backend == "torch":
        from crsbi.particles._torch_kernel import trace_torch

        trace_torch(
            waves, positions, momenta, dt, steps, bool(guiding_centre), out_positions,
            out_momenta, final, gammas, device or "cpu",
        )  # fmt: skip
        return
    if backend == "numba-f32":
        _kernels.trace_kernel32(
            waves,
            positions,
            momenta,
            dt,
            steps,
            int(step0),
            bool(guiding_centre),
            out_positions,
            out_momenta,
            final,
            gammas,
            np.empty((0, 3)) if references is None else references,
            _kernels.BLOCK,
        )
        return
    final64 = np.empty((n, 7)) if keep else np.empty((0, 7))
    _kernels.trace_kernel(
        waves,
        positions,
        momenta,
        dt,
        steps,
        bool(guiding_centre),
        out_positions,
        out_momenta,
        backend == "numba-fast",
        final64,
        gammas,
    )
    if keep:
        final[:, :7] = final64


def field_along(waves: WaveSet | None, positions: Any) -> np.ndarray:
    r"""Turbulent field of each particle's own realisation along its positions (compiled).

    The same sum of plane waves as :func:`trace_particles` evaluates while pushing
    (parallel over all points), so it returns the field each particle felt; the slower
    NumPy :func:`~crsbi.particles.turbulence.evaluate_field` is its reference.

    Parameters
    ----------
    waves : WaveSet or None
        ``n_particles`` realisations, one per particle; ``None`` means no turbulence.
    positions : array-like of shape (n_particles, n_points, 3)
        Positions [:math:`\rho_{L0}`] (e.g. ``Trajectories.positions``).

    Returns
    -------
    ndarray of shape (n_particles, n_points, 3)
        :math:`\mathbf b` [:math:`B_0`] (the mean field :math:`B_0\hat{\mathbf z}` is not
        included).

    Raises
    ------
    ValueError
        If ``positions`` is not a finite (n_particles, n_points, 3) array matching ``waves``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.tracing import field_along
    >>> from crsbi.particles.turbulence import draw_waves, evaluate_field
    >>> waves = draw_waves(2, 16, model="isotropic", b=1.0, random_state=0)
    >>> x = np.random.default_rng(1).normal(size=(2, 5, 3))
    >>> bool(np.allclose(field_along(waves, x), evaluate_field(waves, x), atol=1e-12))
    True
    """
    from crsbi.particles._kernels import field_kernel

    x = np.asarray(positions, dtype=float)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(
            "positions must have shape (n_particles, n_points, 3); "
            f"got an array of shape {x.shape} instead."
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("positions must be finite; got NaN or infinite values.")
    out = np.zeros(x.shape)
    if waves is None:
        return out
    if not isinstance(waves, WaveSet):
        raise TypeError(f"waves must be a WaveSet or None. Got {type(waves).__name__} instead.")
    if waves.n_realisations != x.shape[0]:
        raise ValueError(
            f"positions has {x.shape[0]} particles but waves has {waves.n_realisations} "
            "realisations; one realisation per particle is expected."
        )
    field_kernel(_pack_waves(waves, x.shape[0]), np.ascontiguousarray(x), out)
    return out


def _pack_waves(waves: WaveSet | None, n: int) -> np.ndarray:
    """Structure-of-arrays layout of the kernel: (n, 6 or 7, n_waves), phases in turns."""
    if waves is None:
        return np.zeros((n, 6, 0))
    n_rows = 7 if np.any(waves.amplitude[..., 2] != 0.0) else 6
    packed = np.empty((n, n_rows, waves.n_waves))
    packed[:, 0:3] = np.swapaxes(waves.wavevector, 1, 2) / (2.0 * np.pi)
    packed[:, 3] = waves.phase / (2.0 * np.pi)
    packed[:, 4:] = np.swapaxes(waves.amplitude[..., : n_rows - 4], 1, 2)
    return packed


def _trace_numpy(waves, positions, momenta, dt, steps, guiding_centre=False):
    """Plain-NumPy reference of the kernel: same pusher, field evaluated with np.cos."""
    n = positions.shape[0]
    x = positions.copy()
    u = momenta.copy()
    gamma = np.sqrt(1.0 + np.sum(u * u, axis=1))
    half = (0.5 * dt / gamma)[:, None]
    out_x = np.empty((n, steps.size, 3))
    out_u = np.empty((n, steps.size, 3))
    k = 0
    for step in range(int(steps[-1]) + 1):  # rotate with B(x_n), write, move to x_{n+1}
        field = np.zeros((n, 3))
        if waves is not None:
            phase = np.einsum("pwc,pc->pw", waves.wavevector, x) + waves.phase
            field = np.einsum("pw,pwc->pc", np.cos(phase), waves.amplitude)
        field[:, 2] += 1.0
        t = field * half
        s = 2.0 * t / (1.0 + np.sum(t * t, axis=1, keepdims=True))
        u_new = u + np.cross(u + np.cross(u, t), s)
        if step == steps[k]:
            out_x[:, k] = x
            if guiding_centre:  # x + (1 + a^2) pbar x z, pbar = (p_{n-1/2} + p_{n+1/2}) / 2
                centre = 0.5 * (1.0 + half[:, 0] ** 2)
                out_x[:, k, 0] += centre * (u[:, 1] + u_new[:, 1])
                out_x[:, k, 1] -= centre * (u[:, 0] + u_new[:, 0])
            out_u[:, k] = u
            k += 1
            if k == steps.size:
                break
        u = u_new
        x = x + u * (dt / gamma)[:, None]
    return out_x, out_u


def _sample_steps(n_steps: int, n_samples: int, sampling: str, window: float) -> np.ndarray:
    """Increasing sample steps in [1, n_steps], ending at n_steps.

    ``"log"`` sampling adds evenly spaced steps over the plateau window of the whole run
    and over the same window at half the run (for the convergence check); every
    sampling contains ``n_steps // 2``.
    """
    steps = np.linspace(n_steps / n_samples, n_steps, n_samples)
    if sampling == "log":
        half = n_steps / 2.0
        late = np.linspace(max(1.0, (1.0 - window) * n_steps), n_steps, n_samples)
        late_half = np.linspace(max(1.0, (1.0 - window) * half), half, n_samples)
        steps = np.concatenate([np.geomspace(1, n_steps, n_samples), late, late_half])
    steps = np.unique(np.clip(np.round(steps), 1, n_steps).astype(np.int64))
    return np.unique(np.append(steps, [max(1, n_steps // 2), n_steps]))


def _regime(exponent: float, tolerance: float) -> str:
    if abs(exponent - 1.0) <= tolerance:
        return "diffusive"
    if exponent < 1.0:
        return "subdiffusive"
    return "ballistic" if exponent >= 1.8 else "superdiffusive"


def _plateaus(sq: np.ndarray, time: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Each particle's time average of ``sq / 2t`` over ``window``: shape (n, 3)."""
    return (sq[:, window] / (2.0 * time[window, None])).mean(axis=1)


def _window(time: np.ndarray, end: int, fraction: float) -> np.ndarray:
    """Select samples ``i <= end`` with ``t_i >= (1 - fraction) t_end`` (at least three)."""
    window = np.zeros(time.size, dtype=bool)
    window[: end + 1] = time[: end + 1] >= (1.0 - fraction) * time[end]
    if window.sum() < 3:
        window[:] = False
        window[max(0, end - 2) : end + 1] = True
    return window


def _summarise(time: np.ndarray, sq: np.ndarray, config: dict) -> DiffusionResult:
    """Compute running coefficients, plateaus, errors, MSD exponents and convergence.

    ``sq`` has shape (n_particles, n_samples, 3).
    """
    n = sq.shape[0]
    msd = sq.mean(axis=0)
    running = msd / (2.0 * time[:, None])
    fraction = config["plateau_fraction"]
    window = _window(time, time.size - 1, fraction)
    per_particle = _plateaus(sq, time, window)  # (n, 3)
    diffusion = per_particle.mean(axis=0)
    diffusion_err = per_particle.std(axis=0, ddof=1) / math.sqrt(n)
    perp = per_particle[:, :2].mean(axis=1)
    tiny = np.finfo(float).tiny
    log_t = np.log(time[window])

    def slope(values: np.ndarray) -> float:
        return float(np.polyfit(log_t, np.log(np.maximum(values[window], tiny)), 1)[0])

    # the same plateau at half the run, from the same particles: a paired difference
    half = int(np.searchsorted(time, 0.5 * time[-1] * (1.0 - 1e-12)))
    earlier = _plateaus(sq, time, _window(time, half, fraction))
    tol = config["convergence_tol"]
    bound = config.get("convergence_test", "consistent") == "bound"

    def change(now: np.ndarray, before: np.ndarray) -> tuple[float, float, bool]:
        mean_before = before.mean()
        if mean_before <= 0.0:
            return 0.0, 0.0, bool(now.mean() == 0.0)
        rel = (now - before) / mean_before
        value, error = float(rel.mean()), float(rel.std(ddof=1) / math.sqrt(n))
        if bound:
            return value, error, abs(value) + 2.0 * error <= tol
        return value, error, abs(value) <= tol + 2.0 * error

    change_perp = change(perp, earlier[:, :2].mean(axis=1))
    change_par = change(per_particle[:, 2], earlier[:, 2])
    exponent_perp = slope(msd[:, 0] + msd[:, 1])
    exponent_par = slope(msd[:, 2])
    regime_tol = config["diffusive_tolerance"]
    return DiffusionResult(
        time=time,
        msd=msd,
        running_diffusion=running,
        diffusion=diffusion,
        diffusion_err=diffusion_err,
        d_perp=float(perp.mean()),
        d_perp_err=float(perp.std(ddof=1) / math.sqrt(n)),
        d_par=float(diffusion[2]),
        d_par_err=float(diffusion_err[2]),
        exponent_perp=exponent_perp,
        exponent_par=exponent_par,
        regime_perp=_regime(exponent_perp, regime_tol),
        regime_par=_regime(exponent_par, regime_tol),
        change_perp=change_perp[0],
        change_perp_err=change_perp[1],
        change_par=change_par[0],
        change_par_err=change_par[1],
        converged_perp=change_perp[2],
        converged_par=change_par[2],
        config=config,
    )
