"""Training databases of test-particle diffusion coefficients (Palade 2023 setup).

:func:`make_diffusion_database` runs the test-particle simulator over the paper's
parameter box through a resumable :class:`~crsbi.campaign.Campaign` and adds exact
analytic points (``b = 0``: no turbulence, no perpendicular diffusion).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from crsbi.utils._validation import check_interval

__all__ = ["DiffusionDatabase", "make_diffusion_database", "simulate_transport_summary"]

#: Columns of ``DiffusionDatabase.X``.
FEATURES = ("T", "b", "lambda_perp")
#: Columns of the simulator output stored by the campaign.
OUTPUTS = ("d_perp", "d_par", "d_perp_err", "exponent_perp")
#: Default box: T in mc^2, b in B0, lambda_perp in rho_L0 (Palade 2023).
PALADE_BOX = (np.array([1e-2, 1e-2, 0.2]), np.array([10.0, 1.0, 20.0]))


def simulate_transport_summary(
    theta: Any, *, random_state: Any = None, **config: Any
) -> np.ndarray:
    """Campaign simulator: ``(T, b, lambda_perp)`` -> ``[D_perp, D_par, D_perp_err, alpha_perp]``.

    Parameters
    ----------
    theta : array-like of shape (3,)
        Kinetic energy (mc^2), turbulence level (B0), perpendicular correlation length (rho_L0).
    random_state : None, int or numpy.random.Generator
        Seed of the simulation.
    **config
        Keyword arguments of :func:`crsbi.simulators.simulate_diffusion`.

    Returns
    -------
    ndarray of shape (4,)
        Plateau D_perp and D_par (rho_L0^2 omega_c), the standard error of D_perp, and the
        late-time MSD exponent of the perpendicular motion (1 for diffusion).
    """
    from crsbi.simulators.particles import simulate_diffusion

    T, b, lambda_perp = (float(v) for v in np.asarray(theta, dtype=float))
    result = simulate_diffusion(T, b, lambda_perp, random_state=random_state, **config)
    return np.array([result.d_perp, result.d_par, result.d_perp_err, result.exponent_perp])


@dataclass
class DiffusionDatabase:
    """Simulated (and analytic) diffusion coefficients.

    Attributes
    ----------
    X : ndarray of shape (n, 3)
        ``(T, b, lambda_perp)`` per row.
    d_perp, d_par, d_perp_err, exponent_perp : ndarray of shape (n,)
        Simulator outputs (zeros, and exponent NaN, for analytic ``b = 0`` rows).
    analytic : ndarray of bool, shape (n,)
        Rows that are exact analytic points rather than simulations.
    config : dict
        Simulator settings used.
    """

    X: np.ndarray
    d_perp: np.ndarray
    d_par: np.ndarray
    d_perp_err: np.ndarray
    exponent_perp: np.ndarray
    analytic: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)

    def diffusive(self, tolerance: float = 0.2) -> np.ndarray:
        """Rows whose perpendicular MSD exponent is within ``tolerance`` of 1 (or analytic)."""
        return self.analytic | (np.abs(self.exponent_perp - 1.0) <= tolerance)


def make_diffusion_database(
    path: str | os.PathLike,
    n_simulations: int,
    *,
    analytic_fraction: float = 0.05,
    low: Any = None,
    high: Any = None,
    chunk_size: int = 32,
    n_jobs: int | None = 1,
    random_state: int = 0,
    verbose: int = 1,
    **simulator_config: Any,
) -> DiffusionDatabase:
    """Build (or resume) a database of diffusion coefficients over a parameter box.

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory; re-running with the same arguments resumes it.
    n_simulations : int
        Number of simulated points, drawn uniformly in the box.
    analytic_fraction : float, default=0.05
        Extra exact points with ``b = 0`` (``D_perp = 0``), as a fraction of
        ``n_simulations``; their ``T`` and ``lambda_perp`` are uniform in the box.
    low, high : array-like of shape (3,) or None
        Box of ``(T, b, lambda_perp)``; Palade's box (``T`` from 0.01) by default.
    chunk_size, n_jobs : int
        Campaign chunking and parallelism.
    random_state : int, default=0
        Campaign seed (also seeds the analytic points).
    verbose : int, default=1
        ``0`` silences progress bars.
    **simulator_config
        Settings of :func:`crsbi.simulators.simulate_diffusion` (e.g. ``n_particles``,
        ``n_waves``, ``n_steps``). The default perpendicular displacement is the
        guiding centre's, which removes the bounded gyration term ``r_L^2 / 2t``
        that would otherwise dominate at high energy and weak turbulence.

    Returns
    -------
    DiffusionDatabase
        Simulated rows (successful ones) followed by the analytic rows.
    """
    from crsbi.campaign import BoxPrior, Campaign
    from crsbi.utils._random import check_random_state

    check_interval(n_simulations, "n_simulations", "make_diffusion_database", kind=int, low=1)
    check_interval(analytic_fraction, "analytic_fraction", "make_diffusion_database", low=0, high=1)
    box_low = np.asarray(PALADE_BOX[0] if low is None else low, dtype=float)
    box_high = np.asarray(PALADE_BOX[1] if high is None else high, dtype=float)
    config = {"displacement": "guiding_centre", **simulator_config}
    campaign = Campaign(
        partial(simulate_transport_summary, **config),
        path,
        prior=BoxPrior(box_low, box_high),
        n_simulations=n_simulations,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        random_state=random_state,
        verbose=verbose,
    )
    campaign.run()
    data = campaign.load()
    n_analytic = round(analytic_fraction * n_simulations)
    rng = check_random_state(random_state)
    X0 = rng.uniform(box_low, box_high, size=(n_analytic, 3))
    X0[:, 1] = 0.0
    zeros = np.zeros(n_analytic)
    return DiffusionDatabase(
        X=np.vstack([data.theta, X0]),
        d_perp=np.concatenate([data.x[:, 0], zeros]),
        d_par=np.concatenate([data.x[:, 1], zeros]),
        d_perp_err=np.concatenate([data.x[:, 2], zeros]),
        exponent_perp=np.concatenate([data.x[:, 3], np.full(n_analytic, np.nan)]),
        analytic=np.concatenate([np.zeros(len(data.theta), bool), np.ones(n_analytic, bool)]),
        config=config,
    )
