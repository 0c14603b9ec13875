"""Minimal detectable source fraction of a calibrated anisotropy test, with its error.

:func:`find_minimal_fraction` searches the smallest source fraction ``eta`` whose maps are
rejected with probability ``>= 1 - beta`` (Kalashev et al. 2020, Table 1) from a function
that simulates maps and counts rejections; :class:`MinimalFraction` holds the answer, its
statistical error and the measured power curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval

__all__ = ["MinimalFraction", "find_minimal_fraction"]


@dataclass
class MinimalFraction:
    """Smallest source fraction detected with probability ``1 - beta`` at level ``alpha``.

    Attributes
    ----------
    eta : float
        Minimal source fraction (``nan`` when even the largest fraction tried is not
        detected often enough).
    eta_err : float
        Its 1-sigma statistical error from the finite number of simulated maps
        (parametric bootstrap of the binomial rejection counts through the probit fit).
    fractions : ndarray of shape (n_points,)
        Source fractions at which the power was measured.
    power : ndarray of shape (n_points,)
        Measured rejection rate at each fraction.
    n_maps : ndarray of shape (n_points,)
        Number of simulated maps behind each power value.
    alpha, beta : float
        Level and type-II error rate.
    probit : tuple of float
        ``(a, b)`` of the fit ``power(eta) = Phi(a + b eta)`` near the crossing.
    n_events : int or None
        Events per map.
    source : str or None
        Name of the source hypothesis.
    """

    eta: float
    eta_err: float
    fractions: np.ndarray
    power: np.ndarray
    n_maps: np.ndarray
    alpha: float
    beta: float
    probit: tuple[float, float] = (math.nan, math.nan)
    n_events: int | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def power_err(self) -> np.ndarray:
        """Binomial standard error of each power value."""
        p = self.power
        return np.sqrt(np.maximum(p * (1 - p), 1e-12) / self.n_maps)

    def power_curve(self, eta: Any) -> np.ndarray:
        """Fitted power ``Phi(a + b eta)`` at source fractions ``eta``."""
        a, b = self.probit
        return special.ndtr(a + b * np.asarray(eta, dtype=float))


def _fit_probit(x: np.ndarray, k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood ``(a, b)`` of ``P(reject) = Phi(a + b x)`` from binomial counts."""
    scale = max(float(np.max(x)), 1e-12)
    u = x / scale

    def nll(params: np.ndarray) -> float:
        z = params[0] + params[1] * u
        return -float(np.sum(k * special.log_ndtr(z) + (n - k) * special.log_ndtr(-z)))

    p = np.clip((k + 0.5) / (n + 1.0), 1e-3, 1 - 1e-3)
    slope, intercept = np.polyfit(u, special.ndtri(p), 1) if len(u) > 1 else (1.0, 0.0)
    result = optimize.minimize(nll, np.array([intercept, max(slope, 1e-3)]), method="Nelder-Mead")
    a, b = result.x
    return float(a), float(b / scale)


#: Fine-stage fractions, in units of the bisection's bracket.
FINE = (0.7, 0.85, 1.0, 1.15, 1.3)


def _extend_to_crossing(
    fine: dict[float, float],
    evaluate: Callable[[float, int], float],
    n_maps: int,
    target: float,
    floor: float,
    max_steps: int = 8,
) -> float:
    """Add fine fractions until the power straddles ``target``; return the crossing's bracket.

    ``fine`` maps the fractions evaluated so far to their power and is updated in place.
    """
    for _ in range(max_steps):
        lowest, highest = min(fine), max(fine)
        if fine[lowest] >= target and lowest * 0.7 >= floor:
            new = lowest * 0.7
        elif fine[highest] < target and highest < 1.0:
            new = min(highest / 0.7, 1.0)
        else:
            break
        fine[new] = evaluate(new, n_maps)
    etas = sorted(fine)
    above = [eta for eta in etas if fine[eta] >= target]
    if not above:
        return etas[-1]
    below = [eta for eta in etas if eta < above[0]]
    return math.sqrt(below[-1] * above[0]) if below else above[0]


def find_minimal_fraction(
    rejections: Callable[[float, int, np.random.Generator], int],
    *,
    alpha: float,
    beta: float = 0.05,
    n_maps: int = 200,
    fractions: Any = None,
    bounds: tuple[float, float] = (1e-3, 1.0),
    n_bisect: int = 6,
    n_bootstrap: int = 300,
    random_state: Any = None,
    verbose: int = 0,
) -> MinimalFraction:
    """Smallest source fraction whose maps are rejected with probability ``>= 1 - beta``.

    With ``fractions=None`` the search is adaptive: a bisection in ``log eta`` with
    ``n_maps // 4`` maps per step brackets the crossing (when the upper bound is not
    detected, e.g. a learned statistic shown maps far from its training range, the upper
    bound is divided by 4 until it is or the lower bound is reached; below that upper
    bound the power is assumed to grow with ``eta``), then five fractions around it
    (0.7 to 1.3 times the bracket) get ``n_maps`` maps each; when all five are on one
    side of ``1 - beta`` (a bisection step misled by its few maps), fractions further
    out are added (x 0.7 or / 0.7, at most 8) until the crossing is straddled, and five
    fractions around the new crossing get ``n_maps`` maps each. A probit curve
    ``power = Phi(a + b eta)`` fitted by maximum likelihood to the rejection counts
    near the crossing gives ``eta = (Phi^-1(1 - beta) - a) / b``; its error comes from
    a parametric bootstrap of the counts.

    Parameters
    ----------
    rejections : callable
        ``rejections(fraction, n_maps, rng) -> int``: simulate ``n_maps`` maps with
        source fraction ``fraction`` and count those rejected at level ``alpha``.
    alpha : float
        Level of the test (only recorded: ``rejections`` applies it).
    beta : float, default=0.05
        Allowed type-II error rate; the target power is ``1 - beta``.
    n_maps : int, default=200
        Maps per fraction in the fine stage (the error on ``eta`` scales as
        ``1 / sqrt(n_maps)``).
    fractions : array-like or None
        Fixed fractions to evaluate (each with ``n_maps`` maps) instead of the adaptive search.
    bounds : tuple of float, default=(1e-3, 1.0)
        Search range of the bisection.
    n_bisect : int, default=6
        Bisection steps.
    n_bootstrap : int, default=300
        Bootstrap replicas for ``eta_err``.
    random_state : None, int or numpy.random.Generator
        Seeds the simulations and the bootstrap.
    verbose : int, default=0
        ``> 0`` prints each evaluated fraction.

    Returns
    -------
    MinimalFraction
        The minimal fraction, its error and the measured power curve.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from crsbi.uhecr._minimal_fraction import find_minimal_fraction
    >>> # a z-test whose mean shifts by 40 eta: power = Phi(40 eta - 2.326)
    >>> def rejections(eta, n, rng):
    ...     return int(np.sum(rng.normal(40 * eta, 1, n) > stats.norm.isf(0.01)))
    >>> result = find_minimal_fraction(rejections, alpha=0.01, n_maps=400, random_state=0)
    >>> exact = (stats.norm.isf(0.01) + stats.norm.isf(0.05)) / 40
    >>> bool(abs(result.eta - exact) < 4 * result.eta_err + 1e-3)
    True
    """
    check_interval(alpha, "alpha", "find_minimal_fraction", low=0, high=1, closed="neither")
    check_interval(beta, "beta", "find_minimal_fraction", low=0, high=1, closed="neither")
    check_interval(n_maps, "n_maps", "find_minimal_fraction", kind=int, low=10)
    check_interval(n_bisect, "n_bisect", "find_minimal_fraction", kind=int, low=0)
    low, high = (float(b) for b in bounds)
    if not 0 < low < high <= 1:
        raise ValueError(f"bounds must satisfy 0 < low < high <= 1; got {bounds!r}.")
    rng = check_random_state(random_state)
    target = 1.0 - beta
    points: dict[float, list[int]] = {}

    def evaluate(eta: float, n: int) -> float:
        k = int(rejections(float(eta), int(n), rng))
        old = points.setdefault(float(eta), [0, 0])
        old[0] += k
        old[1] += n
        if verbose:
            print(f"  eta = {eta:.4g}: power {k / n:.3f} ({k}/{n})")
        return k / n

    if fractions is not None:
        grid = np.asarray(fractions, dtype=float).ravel()
        if grid.size == 0 or np.any((grid < 0) | (grid > 1)):
            raise ValueError(f"fractions must be a non-empty array in [0, 1]; got {fractions!r}.")
        for eta in grid:
            evaluate(eta, n_maps)
        centre = None
    else:
        n_coarse = max(n_maps // 4, 20)
        passed = evaluate(high, n_coarse) >= target
        # a learned statistic can lose power far outside its training range (e.g. a CNN
        # trained at eta ~ 0.1 shown eta = 1), so step down before declaring no detection
        while not passed and high / 4 > low:
            high /= 4
            passed = evaluate(high, n_coarse) >= target
        if not passed:
            centre = math.nan
        else:
            for _ in range(n_bisect):
                middle = math.sqrt(low * high)
                if evaluate(middle, n_coarse) >= target:
                    high = middle
                else:
                    low = middle
            centre = math.sqrt(low * high)
            fine = {min(centre * f, 1.0): evaluate(min(centre * f, 1.0), n_maps) for f in FINE}
            crossing = _extend_to_crossing(fine, evaluate, n_maps, target, float(bounds[0]))
            if len(fine) > len(FINE):  # the crossing moved: a fine grid around it too
                for factor in FINE:
                    evaluate(min(crossing * factor, 1.0), n_maps)
            centre = crossing
    etas = np.array(sorted(points))
    k = np.array([points[e][0] for e in etas], dtype=float)
    n = np.array([points[e][1] for e in etas], dtype=float)
    power = k / n
    result = MinimalFraction(
        eta=math.nan,
        eta_err=math.nan,
        fractions=etas,
        power=power,
        n_maps=n.astype(int),
        alpha=float(alpha),
        beta=float(beta),
    )
    if centre is not None and math.isnan(centre):
        return result
    if centre is None:
        above = np.nonzero(power >= target)[0]
        if len(above) == 0:
            return result
        centre = float(etas[above[0]])
    use = (etas >= 0.5 * centre) & (etas <= 2.0 * centre)
    if use.sum() < 2:
        use = np.ones_like(etas, dtype=bool)
    x, k_use, n_use = etas[use], k[use], n[use]
    z_target = special.ndtri(target)
    a, b = _fit_probit(x, k_use, n_use)
    if b <= 0:
        return result
    eta = (z_target - a) / b
    fitted = special.ndtr(a + b * x)
    replicas = []
    for _ in range(int(n_bootstrap)):
        k_star = rng.binomial(n_use.astype(int), fitted)
        a_star, b_star = _fit_probit(x, k_star.astype(float), n_use)
        if b_star > 0:
            replicas.append((z_target - a_star) / b_star)
    result.eta = float(eta)
    result.eta_err = float(np.std(replicas)) if len(replicas) > 1 else math.nan
    result.probit = (a, b)
    return result
