r"""Training trajectories for the generative model, from the test-particle simulator.

Particles of momentum :math:`p` (in :math:`mc`) are pushed with the Boris scheme of
:func:`crsbi.particles.tracing.trace_particles` through :math:`B_0\hat{\mathbf z} +
\mathbf b`, each in its own realisation of a synthetic turbulent field
(:func:`crsbi.particles.turbulence.draw_waves`, Giacalone-Jokipii ``"isotropic"``
turbulence by default), starting at the origin with isotropic directions.

Coupling :math:`\alpha`
-----------------------
Martin, Lübke et al. parameterise the trajectories by :math:`\alpha = \ell_0/r_g`, the
turbulence scale over the gyro-radius. In the simulator's units (lengths in
:math:`\rho_{L0} = mc^2/|q|B_0`, time in :math:`1/\omega_c`) the gyro-radius of a particle
of momentum :math:`p` is :math:`r_g = p\,\rho_{L0}` (for a 90 degree pitch angle in
:math:`B_0`), so we take the turbulence bend-over scale (``lambda_perp``, the :math:`L`
of the isotropic model) as :math:`\ell_0 = \alpha p`. The gyro-period is
:math:`2\pi\gamma/\omega_c` and the time step :math:`\Delta t = 2\pi\gamma/N_g` with
:math:`N_g` = ``steps_per_gyration`` (100, the paper's choice).

Stored units (those of :mod:`crsbi.particles.statistics`): velocities are unit vectors
:math:`\mathbf V = \mathbf p/|\mathbf p|`; positions in :math:`\ell_0`; time in
:math:`\ell_0/v`, so the sample spacing is ``dt`` :math:`= 2\pi/(N_g\alpha)` and a helix in
:math:`B_0` has angular frequency :math:`\alpha`; the field (including :math:`B_0`) in
:math:`B_0`. ``X[k + 1] = X[k] + V[k] * dt`` holds exactly (``V[k]`` is the Boris
momentum :math:`\mathbf p_{k+1/2}`).

Turbulence cut-off: ``k_cutoff=None`` resolves the field down to wavelengths of one
gyro-radius, :math:`k_{\max}\ell_0 = 2\pi\alpha`, so resonant scattering is included.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from crsbi.core.random import spawn_seeds
from crsbi.core.validation import check_interval, check_option

__all__ = [
    "TrajectoryData",
    "load_trajectory_dataset",
    "make_trajectory_dataset",
    "simulate_trajectories",
    "simulate_trajectory_row",
]

_MODELS = ("isotropic", "slab", "palade2d", "composite")


@dataclass
class TrajectoryData:
    r"""Simulated trajectories with their coupling and sampling.

    Attributes
    ----------
    velocities : ndarray of shape (n, length, 3)
        Unit velocity vectors.
    positions : ndarray of shape (n, length, 3)
        Positions [:math:`\ell_0`], starting at the origin.
    field : ndarray of shape (n, length, 3) or None
        Total magnetic field :math:`B_0\hat{\mathbf z} + \mathbf b` at the positions, in
        :math:`B_0`.
    alpha : ndarray of shape (n,)
        Coupling :math:`\alpha = \ell_0/r_g` of each trajectory.
    b : ndarray of shape (n,)
        Rms turbulent field [:math:`B_0`].
    dt : ndarray of shape (n,)
        Sample spacing :math:`2\pi/(N_g\alpha)` [:math:`\ell_0/v`].
    steps_per_gyration : int
        Samples per gyro-period :math:`N_g`.
    config : dict
        The simulation settings.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles import simulate_trajectories
    >>> data = simulate_trajectories(32.0, 2, 32, n_waves=8, random_state=0)
    >>> bool(np.allclose(np.linalg.norm(data.velocities, axis=2), 1.0))
    True
    """

    velocities: np.ndarray
    positions: np.ndarray
    field: np.ndarray | None
    alpha: np.ndarray
    b: np.ndarray
    dt: np.ndarray
    steps_per_gyration: int
    config: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.velocities.shape[0])

    def select(self, alpha: float) -> TrajectoryData:
        """Return the trajectories with coupling ``alpha`` only."""
        keep = np.isclose(self.alpha, alpha)
        if not keep.any():
            raise ValueError(f"No trajectories with alpha = {alpha}; have {np.unique(self.alpha)}.")
        return TrajectoryData(
            self.velocities[keep],
            self.positions[keep],
            None if self.field is None else self.field[keep],
            self.alpha[keep],
            self.b[keep],
            self.dt[keep],
            self.steps_per_gyration,
            dict(self.config),
        )


def _check_common(owner: str, alpha, length, b, model, n_waves, k_cutoff, spg, energy, burn_in):
    check_interval(alpha, "alpha", owner, low=0, high=np.inf, closed="neither")
    check_interval(length, "length", owner, kind=int, low=2)
    check_interval(b, "b", owner, low=0)
    check_option(model, "model", owner, _MODELS)
    check_interval(n_waves, "n_waves", owner, kind=int, low=1)
    check_interval(k_cutoff, "k_cutoff", owner, low=0, closed="neither", allow_none=True)
    check_interval(spg, "steps_per_gyration", owner, kind=int, low=4)
    check_interval(energy, "energy", owner, low=0, high=np.inf, closed="neither")
    check_interval(burn_in, "burn_in", owner, kind=int, low=0)


def simulate_trajectories(
    alpha: float,
    n_particles: int,
    length: int,
    *,
    b: float = 1.0,
    model: str = "isotropic",
    n_waves: int = 256,
    k_cutoff: float | None = None,
    steps_per_gyration: int = 100,
    energy: float = math.sqrt(2.0) - 1.0,
    burn_in: int = 0,
    include_field: bool = True,
    intermittency: float = 0.0,
    random_state: Any = None,
) -> TrajectoryData:
    r"""Simulate test-particle trajectories at coupling :math:`\alpha` (in memory).

    Parameters
    ----------
    alpha : float
        :math:`\alpha = \ell_0/r_g`, > 0 (the paper: 32, 128, 512).
    n_particles : int
        Number of particles (= field realisations), >= 1.
    length : int
        Samples per trajectory, >= 2.
    b : float, default=1.0
        Rms turbulent field :math:`\delta B/B_0` [:math:`B_0`], >= 0.
    model : {"isotropic", "slab", "palade2d", "composite"}, default="isotropic"
        Turbulence model of :func:`~crsbi.particles.turbulence.draw_waves`, with
        ``lambda_perp`` :math:`= \ell_0`.
    n_waves : int, default=256
        Plane waves per realisation.
    k_cutoff : float or None
        Upper cut-off of :math:`k\ell_0` (dimensionless); ``None`` means
        :math:`\max(10, 2\pi\alpha)`.
    steps_per_gyration : int, default=100
        Time steps (= samples) per gyro-period in :math:`B_0` (dimensionless), >= 4.
    energy : float, default=sqrt(2) - 1
        Kinetic energy [:math:`mc^2`] (default: :math:`p = mc`). Only sets the time step
        and :math:`\ell_0` in simulator units; the stored trajectories depend on
        :math:`\alpha` alone.
    burn_in : int, default=0
        Steps discarded before recording.
    include_field : bool, default=True
        Evaluate the field at the positions (costs ``n_particles * length * n_waves``
        cosines).
    intermittency : float, default=0.0
        Log-normal width per octave of the random cascade of the wave amplitudes over the
        realisations (:func:`~crsbi.particles.turbulence.draw_waves`): 0 gives Gaussian
        fields; ~0.2-0.3 makes the small-lag flatness and the curvature tail intermittent
        (``benchmarks/particles/bench_intermittency.py``).
    random_state : None, int or numpy.random.Generator
        Seeds the fields and the initial directions.

    Returns
    -------
    TrajectoryData
        Velocities, positions, field and sampling.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.trajectory_dataset import simulate_trajectories
    >>> data = simulate_trajectories(32.0, 3, 64, b=0.0, n_waves=8, random_state=0)
    >>> data.velocities.shape, bool(np.allclose(np.linalg.norm(data.velocities, axis=2), 1))
    ((3, 64, 3), True)
    >>> float(data.dt[0]) == 2 * np.pi / (100 * 32)
    True
    """
    from crsbi.particles.tracing import field_along, initial_momenta, trace_particles
    from crsbi.particles.turbulence import MAX_INTERMITTENCY, draw_waves

    owner = "simulate_trajectories"
    check_interval(n_particles, "n_particles", owner, kind=int, low=1)
    _check_common(
        owner, alpha, length, b, model, n_waves, k_cutoff, steps_per_gyration, energy, burn_in
    )
    check_interval(intermittency, "intermittency", owner, low=0.0, high=MAX_INTERMITTENCY)
    alpha, n, length = float(alpha), int(n_particles), int(length)
    gamma = 1.0 + float(energy)
    momentum = math.sqrt(gamma**2 - 1.0)
    scale = alpha * momentum  # l0 in rho_L0
    cutoff = max(10.0, 2.0 * math.pi * alpha) if k_cutoff is None else float(k_cutoff)
    wave_seed, momentum_seed = spawn_seeds(random_state, 2)
    waves = None
    if b > 0:
        waves = draw_waves(
            n,
            int(n_waves),
            model=model,
            b=float(b),
            lambda_perp=scale,
            k_cutoff=cutoff,
            intermittency=float(intermittency),
            random_state=np.random.default_rng(wave_seed),
        )
    momenta = initial_momenta(
        n, float(energy), mu="isotropic", random_state=np.random.default_rng(momentum_seed)
    )
    dt_sim = 2.0 * math.pi * gamma / int(steps_per_gyration)
    steps = np.arange(int(burn_in), int(burn_in) + length + 1)
    tracks = trace_particles(waves, momenta, dt=dt_sim, sample_steps=steps)
    positions = tracks.positions[:, :-1]
    velocities = tracks.momenta[:, 1:] / np.linalg.norm(
        tracks.momenta[:, 1:], axis=2, keepdims=True
    )
    field_values = None
    if include_field:
        field_values = field_along(waves, positions)  # the field the pusher used
        field_values[..., 2] += 1.0
    positions = (positions - positions[:, :1]) / scale
    dt = dt_sim * (momentum / gamma) / scale  # in l0 / v: 2 pi / (N_g alpha)
    config = {
        "alpha": alpha,
        "b": float(b),
        "model": model,
        "n_waves": int(n_waves),
        "k_cutoff": cutoff,
        "steps_per_gyration": int(steps_per_gyration),
        "energy": float(energy),
        "burn_in": int(burn_in),
        "length": length,
        "intermittency": float(intermittency),
    }
    return TrajectoryData(
        velocities,
        positions,
        field_values,
        np.full(n, alpha),
        np.full(n, float(b)),
        np.full(n, dt),
        int(steps_per_gyration),
        config,
    )


def simulate_trajectory_row(theta: Any, *, random_state: Any = None, **config: Any) -> np.ndarray:
    r"""Campaign simulator: ``theta = (alpha, b)`` -> one flattened trajectory.

    Parameters
    ----------
    theta : array-like of shape (2,)
        Coupling :math:`\alpha` and rms turbulence :math:`b` [:math:`B_0`].
    random_state : None, int or numpy.random.Generator
        Seed of the particle's field and initial direction.
    **config
        Keyword arguments of :func:`simulate_trajectories` (``length`` required).

    Returns
    -------
    ndarray of shape (9 * length,)
        Velocities, positions and field, each ``(length, 3)`` flattened, concatenated.

    Examples
    --------
    >>> from crsbi.particles.trajectory_dataset import simulate_trajectory_row
    >>> simulate_trajectory_row([32.0, 0.5], length=16, n_waves=8, random_state=0).shape
    (144,)
    """
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (2,):
        raise ValueError(f"theta must have shape (2,) = (alpha, b); got {theta.shape}.")
    data = simulate_trajectories(
        float(theta[0]),
        1,
        b=float(theta[1]),
        include_field=True,
        random_state=random_state,
        **config,
    )
    return np.concatenate([data.velocities[0], data.positions[0], data.field[0]]).ravel()


def make_trajectory_dataset(
    path: str | os.PathLike,
    alphas: Any = (32.0, 128.0, 512.0),
    *,
    n_particles: int = 256,
    length: int = 1024,
    b: float = 1.0,
    model: str = "isotropic",
    n_waves: int = 256,
    k_cutoff: float | None = None,
    steps_per_gyration: int = 100,
    burn_in: int = 0,
    chunk_size: int = 32,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    verbose: int = 1,
) -> TrajectoryData:
    r"""Simulate (or resume) a trajectory data set through a campaign and load it.

    One campaign sample is one particle; the campaign's per-sample seeds make the data set
    independent of ``n_jobs``, chunking and restarts (see :mod:`crsbi.core.campaign`).

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory; running again with the same arguments resumes or just loads.
    alphas : sequence of float, default=(32, 128, 512)
        Couplings :math:`\alpha = \ell_0/r_g`; ``n_particles`` trajectories each.
    n_particles : int, default=256
        Trajectories per coupling, >= 1.
    length : int, default=1024
        Samples per trajectory, >= 2.
    b, model, n_waves, k_cutoff, steps_per_gyration, burn_in
        See :func:`simulate_trajectories` (``b`` [:math:`B_0`]; ``k_cutoff`` and
        ``steps_per_gyration`` dimensionless).
    chunk_size : int, default=32
        Particles per stored chunk.
    n_jobs : int or None
        Parallel workers (``None``: 1, ``-1``: all cores).
    random_state : int or None, default=0
        Campaign seed.
    verbose : int, default=1
        ``0`` silences the progress bar.

    Returns
    -------
    TrajectoryData
        All trajectories (the order of ``alphas``, ``n_particles`` each).

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.particles.trajectory_dataset import make_trajectory_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_trajectory_dataset(folder, alphas=[32.0], n_particles=2,
    ...                                    length=32, n_waves=8, verbose=0)
    >>> data.velocities.shape, data.alpha.tolist()
    ((2, 32, 3), [32.0, 32.0])
    """
    from crsbi.core.campaign import Campaign

    owner = "make_trajectory_dataset"
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    if alphas.ndim != 1 or alphas.size == 0 or not np.all(np.isfinite(alphas) & (alphas > 0)):
        raise ValueError(f"alphas must be a non-empty 1-D sequence of floats > 0; got {alphas!r}.")
    check_interval(n_particles, "n_particles", owner, kind=int, low=1)
    _check_common(
        owner,
        float(alphas[0]),
        length,
        b,
        model,
        n_waves,
        k_cutoff,
        steps_per_gyration,
        1.0,
        burn_in,
    )
    theta = np.column_stack(
        [np.repeat(alphas, int(n_particles)), np.full(alphas.size * int(n_particles), float(b))]
    )
    simulator = partial(
        simulate_trajectory_row,
        length=int(length),
        model=model,
        n_waves=int(n_waves),
        k_cutoff=k_cutoff,
        steps_per_gyration=int(steps_per_gyration),
        burn_in=int(burn_in),
    )
    campaign = Campaign(
        simulator,
        path,
        theta=theta,
        chunk_size=int(chunk_size),
        n_jobs=n_jobs,
        random_state=random_state,
        verbose=verbose,
    )
    campaign.run()
    return load_trajectory_dataset(path)


def load_trajectory_dataset(path: str | os.PathLike) -> TrajectoryData:
    """Load a data set written by :func:`make_trajectory_dataset` (successful samples).

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory or consolidated file.

    Returns
    -------
    TrajectoryData
        The stored trajectories.

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.particles import load_trajectory_dataset, make_trajectory_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = make_trajectory_dataset(folder, alphas=[32.0], n_particles=2, length=32,
    ...                                 n_waves=8, verbose=0)
    ...     load_trajectory_dataset(folder).velocities.shape
    (2, 32, 3)
    """
    from crsbi.core.campaign import load_campaign

    result = load_campaign(path)
    simulator = result.manifest.get("config", {}).get("simulator", {})
    keywords = dict(simulator.get("keywords", {})) if isinstance(simulator, dict) else {}
    if not keywords or "length" not in keywords:
        raise ValueError(f"{path} does not hold a campaign of make_trajectory_dataset.")
    length = int(keywords["length"])
    spg = int(keywords.get("steps_per_gyration", 100))
    rows = result.x.reshape(len(result), 3, length, 3)
    alpha = result.theta[:, 0]
    return TrajectoryData(
        velocities=rows[:, 0],
        positions=rows[:, 1],
        field=rows[:, 2],
        alpha=alpha,
        b=result.theta[:, 1],
        dt=2.0 * np.pi / (spg * alpha),
        steps_per_gyration=spg,
        config={**keywords, "seed": result.manifest.get("seed")},
    )
