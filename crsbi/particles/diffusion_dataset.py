"""Training databases of test-particle diffusion coefficients (Palade 2023 setup).

:func:`make_diffusion_database` runs the test-particle simulator over the paper's
parameter box through a resumable :class:`~crsbi.core.campaign.Campaign` and adds exact
analytic points (``b = 0``: no turbulence, no perpendicular diffusion).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from crsbi.core.validation import check_interval

__all__ = [
    "DiffusionDatabase",
    "LogBoxPrior",
    "make_diffusion_database",
    "simulate_transport_summary",
]

#: Columns of ``DiffusionDatabase.X``.
FEATURES = ("T", "b", "lambda_perp")
#: Columns of the simulator output stored by the campaign.
OUTPUTS = ("d_perp", "d_par", "d_perp_err", "exponent_perp", "change_perp", "n_steps_run")
#: Longest run of a database simulation, as a multiple of ``n_steps``: runs are doubled
#: until D_perp is converged (:func:`~crsbi.particles.simulate_diffusion`) or this is hit.
MAX_STEPS_FACTOR = 8
#: Default box: T in mc^2, b in B0, lambda_perp in rho_L0 (Palade 2023).
PALADE_BOX = (np.array([1e-2, 1e-2, 0.2]), np.array([10.0, 1.0, 20.0]))


class LogBoxPrior:
    """Box prior, log-uniform in some columns and uniform in the others.

    Parameters that span decades (``T``, ``lambda_perp``) are best sampled
    log-uniformly: a linear draw over ``lambda_perp in [0.2, 20]`` puts only 2 % of
    the points below 0.6, where ``D_perp`` changes fastest.

    Parameters
    ----------
    low, high : array-like of shape (n_params,)
        Bounds, ``0 < low < high`` in the log columns.
    log_columns : sequence of int
        Columns drawn log-uniformly.

    Examples
    --------
    >>> from crsbi.particles.diffusion_dataset import LogBoxPrior
    >>> LogBoxPrior([0.01, 0.0, 0.2], [10, 1, 20], log_columns=[0, 2]).sample(4, 0).shape
    (4, 3)
    """

    def __init__(self, low: Any, high: Any, log_columns: Any = ()) -> None:
        self.low = np.asarray(low, dtype=float)
        self.high = np.asarray(high, dtype=float)
        self.log_columns = tuple(int(c) for c in log_columns)
        if self.low.shape != self.high.shape or self.low.ndim != 1:
            raise ValueError("low and high must be 1-D arrays of the same shape (n_params,).")
        if not np.all(self.low < self.high):
            raise ValueError("low must be < high in every column.")
        if any(self.low[c] <= 0 for c in self.log_columns):
            raise ValueError(f"log_columns {self.log_columns} need low > 0.")

    def __repr__(self) -> str:
        return (
            f"LogBoxPrior(low={self.low.tolist()}, high={self.high.tolist()}, "
            f"log_columns={list(self.log_columns)})"
        )

    def sample(self, n: int, random_state: Any = None) -> np.ndarray:
        """Draw ``n`` points, shape ``(n, n_params)``."""
        from crsbi.core.random import check_random_state

        rng = check_random_state(random_state)
        low, high = self.low.copy(), self.high.copy()
        cols = list(self.log_columns)
        low[cols], high[cols] = np.log(low[cols]), np.log(high[cols])
        draws = rng.uniform(low, high, size=(int(n), len(low)))
        draws[:, cols] = np.exp(draws[:, cols])
        return draws


def simulate_transport_summary(
    theta: Any, *, random_state: Any = None, **config: Any
) -> np.ndarray:
    """Campaign simulator: ``(T, b, lambda_perp)`` -> the :data:`OUTPUTS` of one run.

    Parameters
    ----------
    theta : array-like of shape (3,)
        Kinetic energy (mc^2), turbulence level (B0), perpendicular correlation length (rho_L0).
    random_state : None, int or numpy.random.Generator
        Seed of the simulation.
    **config
        Keyword arguments of :func:`crsbi.particles.simulate_diffusion`.

    Returns
    -------
    ndarray of shape (6,)
        Plateau D_perp and D_par (rho_L0^2 omega_c), the standard error of D_perp, the
        late-time MSD exponent of the perpendicular motion (1 for diffusion), the relative
        change of D_perp over the last doubling of the run (``change_perp``) and the number
        of steps actually run (more than ``n_steps`` when ``max_steps`` extended it).
    """
    from crsbi.particles.tracing import simulate_diffusion

    T, b, lambda_perp = (float(v) for v in np.asarray(theta, dtype=float))
    result = simulate_diffusion(T, b, lambda_perp, random_state=random_state, **config)
    return np.array(
        [
            result.d_perp,
            result.d_par,
            result.d_perp_err,
            result.exponent_perp,
            result.change_perp,
            result.config["n_steps"],
        ]
    )


@dataclass
class DiffusionDatabase:
    """Simulated (and analytic) diffusion coefficients.

    Attributes
    ----------
    X : ndarray of shape (n, 3)
        ``(T, b, lambda_perp)`` per row.
    d_perp, d_par, d_perp_err, exponent_perp : ndarray of shape (n,)
        Simulator outputs (zeros, and exponent NaN, for analytic ``b = 0`` rows).
    change_perp : ndarray of shape (n,)
        Relative change of D_perp over the last doubling of each run (0 for analytic rows):
        the label's remaining drift with run length.
    n_steps_run : ndarray of shape (n,)
        Steps each simulation ran (0 for analytic rows).
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
    change_perp: np.ndarray | None = None
    n_steps_run: np.ndarray | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def converged(self, tolerance: float = 0.03) -> np.ndarray:
        """Rows whose D_perp changed by at most ``tolerance`` on the last doubling.

        Analytic rows are exact, hence converged; without ``change_perp`` (a database
        built before convergence was recorded) nothing is known and all rows are False
        but the analytic ones.
        """
        if self.change_perp is None:
            return self.analytic.copy()
        return self.analytic | (np.abs(self.change_perp) <= tolerance)

    def diffusive(self, tolerance: float = 0.2) -> np.ndarray:
        """Rows whose perpendicular MSD exponent is within ``tolerance`` of 1 (or analytic)."""
        return self.analytic | (np.abs(self.exponent_perp - 1.0) <= tolerance)


def make_diffusion_database(
    path: str | os.PathLike,
    n_simulations: int,
    *,
    analytic_fraction: float = 0.05,
    log_columns: Any = (0, 2),
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
        Number of simulated points, drawn in the box (see ``log_columns``).
    analytic_fraction : float, default=0.05
        Extra exact points with ``b = 0`` (``D_perp = 0``), as a fraction of
        ``n_simulations``; their ``T`` and ``lambda_perp`` are uniform in the box.
    log_columns : sequence of int, default=(0, 2)
        Columns drawn log-uniformly (``T`` and ``lambda_perp``); the rest uniformly.
    low, high : array-like of shape (3,) or None
        Box of ``(T, b, lambda_perp)``; Palade's box (``T`` from 0.01) by default.
    chunk_size, n_jobs : int
        Campaign chunking and parallelism.
    random_state : int, default=0
        Campaign seed (also seeds the analytic points).
    verbose : int, default=1
        ``0`` silences progress bars.
    **simulator_config
        Settings of :func:`crsbi.particles.simulate_diffusion` (e.g. ``n_particles``,
        ``n_waves``, ``n_steps``). The default perpendicular displacement is the
        guiding centre's, which removes the bounded gyration term ``r_L^2 / 2t``
        that would otherwise dominate at high energy and weak turbulence. By default
        runs are **converged** in D_perp: ``max_steps = MAX_STEPS_FACTOR * n_steps``
        and ``converge_on="perp"`` (pass ``max_steps=None`` for fixed-length runs); the
        remaining change per doubling is stored in ``change_perp``.

    Returns
    -------
    DiffusionDatabase
        Simulated rows (successful ones) followed by the analytic rows.
    """
    from crsbi.core.campaign import Campaign
    from crsbi.core.random import check_random_state

    check_interval(n_simulations, "n_simulations", "make_diffusion_database", kind=int, low=1)
    check_interval(analytic_fraction, "analytic_fraction", "make_diffusion_database", low=0, high=1)
    box_low = np.asarray(PALADE_BOX[0] if low is None else low, dtype=float)
    box_high = np.asarray(PALADE_BOX[1] if high is None else high, dtype=float)
    n_steps = int(simulator_config.get("n_steps", 2000))
    config = {
        "displacement": "guiding_centre",
        "max_steps": MAX_STEPS_FACTOR * n_steps,
        "converge_on": "perp",
        **simulator_config,
    }
    campaign = Campaign(
        partial(simulate_transport_summary, **config),
        path,
        prior=LogBoxPrior(box_low, box_high, log_columns),
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
    X0 = LogBoxPrior(box_low, box_high, log_columns).sample(n_analytic, rng)
    X0[:, 1] = 0.0
    zeros = np.zeros(n_analytic)
    return DiffusionDatabase(
        X=np.vstack([data.theta, X0]),
        d_perp=np.concatenate([data.x[:, 0], zeros]),
        d_par=np.concatenate([data.x[:, 1], zeros]),
        d_perp_err=np.concatenate([data.x[:, 2], zeros]),
        exponent_perp=np.concatenate([data.x[:, 3], np.full(n_analytic, np.nan)]),
        analytic=np.concatenate([np.zeros(len(data.theta), bool), np.ones(n_analytic, bool)]),
        change_perp=np.concatenate([data.x[:, 4], zeros]),
        n_steps_run=np.concatenate([data.x[:, 5], zeros]).astype(np.int64),
        config=config,
    )
