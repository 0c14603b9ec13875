"""Bounded rejection sampling of sbi direct posteriors inside the prior support.

An NPE posterior is the density estimator restricted to the prior support: sbi draws
from the flow and rejects the draws outside the prior until enough are left. For an
observation outside the range of the training simulations the flow can put all of
its mass outside the prior, and sbi's loop (``rejection.accept_reject_sample``) then
never ends: it only logs a warning, and its ``max_sampling_time`` raises a bare
``RuntimeError`` that names neither the observation nor the acceptance rate.

:func:`sample_in_support` is that loop with a budget: it draws the same batches as sbi
0.27 (same proposal calls, same batch sizes, so seeded draws are unchanged) and stops
with a :class:`PosteriorSamplingError` when an observation's acceptance rate falls
below a floor, or when a wall-clock limit is exceeded.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = [
    "DEFAULT_MIN_ACCEPTANCE_RATE",
    "PosteriorSamplingError",
    "SamplingBudget",
    "has_bounded_sampler",
    "sample_in_support",
]

#: Default floor on the fraction of flow draws inside the prior support.
DEFAULT_MIN_ACCEPTANCE_RATE = 1e-3
#: An acceptance rate is judged once ``_EVIDENCE / min_acceptance_rate`` draws were made
#: (ten expected acceptances at the floor), so a posterior just above it rarely fails.
_EVIDENCE = 10
#: Indices of further failing observations listed in the error message.
_MAX_LISTED = 10

_MCMC = (
    "sample the posterior with MCMC (crsbi.inference.MCMCPosterior, given a likelihood), "
    "which needs no rejection"
)
_WIDEN = "widen the prior, or add simulations whose observations cover x, and retrain"
#: Remedies when a PosteriorEstimator's posterior cannot be sampled.
ESTIMATOR_REMEDIES = (
    "draw from the density estimator directly, without rejecting draws outside the "
    "prior: reject_outside_prior=False (a PosteriorEstimator parameter, or a keyword of "
    "sample); the draws may then lie outside the prior support",
    _MCMC,
    _WIDEN,
)
#: Remedies when a PosteriorEstimator cannot normalise log_prob.
LOG_PROB_REMEDIES = (
    "pass normalize=False: the density estimator's density, -inf outside the prior, not "
    "divided by its mass inside the prior (enough to compare parameters at one "
    "observation)",
    _WIDEN,
)
#: Remedies when a bare sbi posterior cannot be sampled (run_calibration).
SBI_REMEDIES = (
    "draw from the density estimator directly, without rejecting draws outside the "
    "prior: posterior.sample_batched(..., reject_outside_prior=False); the draws may then "
    "lie outside the prior support",
    _MCMC,
    _WIDEN,
)
#: Where a PosteriorEstimator's budget is set, appended to its errors.
ESTIMATOR_NOTE = "The estimator's min_acceptance_rate and max_sampling_time set this budget."


class PosteriorSamplingError(RuntimeError):
    """A posterior could not be sampled inside the prior support within its budget.

    Raised by :class:`~crsbi.inference.PosteriorEstimator` (``sample``, ``predict``,
    ``log_prob``, ``to_inference_data``) and :func:`~crsbi.inference.run_calibration`
    instead of rejection sampling forever. NPE draws from the density estimator and
    rejects the draws outside the prior support; for an observation outside the range
    of the training simulations the estimator may put (almost) all of its mass outside
    the prior. The message names the observation, reports the measured acceptance rate
    and lists remedies.

    Parameters
    ----------
    message : str
        The explanation.
    index : int or None, default=None
        Index of the observation in the array passed (0 for a single observation).
    x : ndarray or None, default=None
        The observation, as passed to the density estimator.
    acceptance_rate : float or None, default=None
        Fraction of the draws from the density estimator inside the prior support.
    n_draws : int or None, default=None
        Number of draws behind ``acceptance_rate``.

    Attributes
    ----------
    index, x, acceptance_rate, n_draws
        The parameters of the same names.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference import PosteriorSamplingError
    >>> error = PosteriorSamplingError("no draws inside the prior", index=3,
    ...                                x=np.array([5.0, 5.0]), acceptance_rate=0.0,
    ...                                n_draws=10_000)
    >>> isinstance(error, RuntimeError), error.index, error.acceptance_rate
    (True, 3, 0.0)
    """

    def __init__(
        self,
        message: str,
        index: int | None = None,
        x: np.ndarray | None = None,
        acceptance_rate: float | None = None,
        n_draws: int | None = None,
    ) -> None:
        super().__init__(message)
        self.index = index
        self.x = x
        self.acceptance_rate = acceptance_rate
        self.n_draws = n_draws

    def __reduce__(self) -> tuple[Any, ...]:
        # keep the attributes through pickling (joblib and Dask workers)
        return (
            type(self),
            (str(self), self.index, self.x, self.acceptance_rate, self.n_draws),
        )


@dataclass(frozen=True)
class SamplingBudget:
    """How long rejection sampling may go on, for one public call.

    Parameters
    ----------
    min_acceptance_rate : float
        Floor on the fraction of draws inside the prior support, in [0, 1); judged
        per observation once ``10 / min_acceptance_rate`` draws were made. 0 disables.
    max_sampling_time : float or None
        Wall-clock limit in seconds for the whole call, checked after every batch of
        draws; ``None`` disables.
    remedies : tuple of str
        Remedies listed, numbered, in the error message.
    note : str
        Last sentence of the error message (e.g. where the budget is set).
    purpose : str
        What the draws are for, first words of the error message.
    started : float
        ``time.monotonic()`` at the start of the call.
    """

    min_acceptance_rate: float = DEFAULT_MIN_ACCEPTANCE_RATE
    max_sampling_time: float | None = None
    remedies: tuple[str, ...] = SBI_REMEDIES
    note: str = ""
    purpose: str = "Posterior sampling"
    started: float = field(default_factory=time.monotonic)

    @property
    def min_draws(self) -> float:
        """Draws per observation before its acceptance rate is judged."""
        if self.min_acceptance_rate <= 0:
            return math.inf
        return _EVIDENCE / self.min_acceptance_rate


def has_bounded_sampler(posterior: Any) -> bool:
    """Whether ``posterior`` is an sbi direct posterior (a density estimator and a prior).

    Parameters
    ----------
    posterior : object
        An sbi posterior.

    Returns
    -------
    bool
        ``True`` when :func:`sample_in_support` can sample it.
    """
    return hasattr(posterior, "posterior_estimator") and hasattr(posterior, "prior")


def _format_x(x: np.ndarray) -> str:
    return np.array2string(
        np.asarray(x, dtype=np.float64), precision=4, threshold=8, edgeitems=3, separator=", "
    )


def _error(
    budget: SamplingBudget,
    reason: str,
    failing: np.ndarray,
    n_accepted: np.ndarray,
    n_drawn: int,
    n_samples: int,
    observations: np.ndarray,
    first_index: int,
) -> PosteriorSamplingError:
    """Build the error for the worst of the ``failing`` observations (local indices)."""
    rates = n_accepted / n_drawn
    worst = int(failing[np.argmin(rates[failing])])
    rate, index = float(rates[worst]), first_index + worst
    others = [first_index + int(i) for i in failing if i != worst]
    also = ""
    if others:
        listed = ", ".join(map(str, others[:_MAX_LISTED]))
        more = ", ..." if len(others) > _MAX_LISTED else ""
        also = f" The same holds for {len(others)} more observation(s): {listed}{more}."
    needed = (
        f"collecting {n_samples} draws inside the prior would take about "
        f"{n_samples / rate:.3g} draws from the density estimator"
        if rate > 0
        else "rejection sampling would never finish"
    )
    remedies = "; ".join(f"({i}) {text}" for i, text in enumerate(budget.remedies, 1))
    note = f" {budget.note}" if budget.note else ""
    message = (
        f"{budget.purpose} stopped at observation {index} (x = "
        f"{_format_x(observations[worst])}): {reason}; only {int(n_accepted[worst])} of "
        f"{n_drawn} draws from the density estimator fell inside the prior support "
        f"(acceptance rate {rate:.3g}), so {needed}.{also} The density estimator puts its "
        "mass outside the prior, which usually means that x lies outside the range of the "
        f"training simulations. Remedies: {remedies}.{note}"
    )
    return PosteriorSamplingError(
        message,
        index=index,
        x=np.array(observations[worst], dtype=np.float64),
        acceptance_rate=rate,
        n_draws=n_drawn,
    )


def sample_in_support(
    posterior: Any,
    x: torch.Tensor,
    n_samples: int,
    *,
    max_batch_size: int,
    budget: SamplingBudget,
    observations: np.ndarray | None = None,
    first_index: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw from an sbi direct posterior, keeping draws inside the prior support.

    Draws the same batches as sbi's ``accept_reject_sample`` (so that seeded results
    equal ``posterior.sample_batched``), but after each batch checks ``budget``.

    Parameters
    ----------
    posterior : sbi.inference.DirectPosterior
        A posterior with ``posterior_estimator`` and ``prior``.
    x : torch.Tensor of shape (n_observations, n_features)
        Observations, on the estimator's device.
    n_samples : int
        Draws wanted per observation, >= 1.
    max_batch_size : int
        Most draws per observation in one call of the density estimator.
    budget : SamplingBudget
        When to give up.
    observations : ndarray of shape (n_observations, n_features) or None
        The observations as shown in an error; ``None`` shows ``x``.
    first_index : int, default=0
        Index of ``x[0]`` in the caller's array, for the error message.

    Returns
    -------
    samples : torch.Tensor of shape (n_samples, n_observations, n_params)
        Draws inside the prior support.
    acceptance_rate : torch.Tensor of shape (n_observations,)
        Fraction of the draws inside the support (sbi's leakage correction factor).

    Raises
    ------
    PosteriorSamplingError
        When an observation's acceptance rate is below ``budget.min_acceptance_rate``
        after ``budget.min_draws`` draws, or ``budget.max_sampling_time`` is exceeded.
    """
    from crsbi.inference._sbi import within_support

    estimator, prior = posterior.posterior_estimator, posterior.prior
    num_xos = len(x)
    if observations is None:
        observations = x.detach().cpu().numpy()
    accepted: list[list[torch.Tensor]] = [[] for _ in range(num_xos)]
    num_accepted_total = torch.zeros(num_xos)
    num_remaining = n_samples
    num_drawn = 0
    batch_size = min(n_samples, max_batch_size)
    candidates = None
    while num_remaining > 0:
        candidates = estimator.sample(torch.Size((batch_size,)), condition=x)
        are_accepted = within_support(prior, candidates).reshape(batch_size, num_xos)
        per_x = candidates.reshape(batch_size, num_xos, *candidates.shape[candidates.ndim - 1 :])
        for i in range(num_xos):
            accepted[i].append(per_x[are_accepted[:, i], i])
        num_accepted = are_accepted.sum(dim=0)
        num_accepted_total += num_accepted.to(num_accepted_total.device)
        num_drawn += batch_size
        # sbi counts the observation that gained least in each batch
        num_remaining -= int(num_accepted.min().item())
        acceptance_rate = num_accepted_total / num_drawn
        min_rate = acceptance_rate.min().item()
        batch_size = min(max_batch_size, max(int(1.5 * num_remaining / max(min_rate, 1e-12)), 100))
        if num_remaining > 0:
            _check_budget(
                budget, num_accepted_total, num_drawn, n_samples, observations, first_index
            )
    samples = torch.stack([torch.cat(accepted[i], dim=0)[:n_samples] for i in range(num_xos)], 1)
    assert candidates is not None  # noqa: S101 (n_samples >= 1: the loop ran)
    samples = samples.reshape(n_samples, *candidates.shape[1:])
    return samples, acceptance_rate.to(samples.device)


def _check_budget(
    budget: SamplingBudget,
    num_accepted_total: torch.Tensor,
    num_drawn: int,
    n_samples: int,
    observations: np.ndarray,
    first_index: int,
) -> None:
    """Raise when the acceptance floor or the time limit is broken."""
    n_accepted = num_accepted_total.cpu().numpy().astype(np.float64)
    unfinished = n_accepted < n_samples
    rates = n_accepted / num_drawn
    if num_drawn >= budget.min_draws:
        failing = np.flatnonzero(unfinished & (rates < budget.min_acceptance_rate))
        if len(failing):
            reason = (
                f"its acceptance rate is below min_acceptance_rate = {budget.min_acceptance_rate:g}"
            )
            raise _error(
                budget,
                reason,
                failing,
                n_accepted,
                num_drawn,
                n_samples,
                observations,
                first_index,
            )
    elapsed = time.monotonic() - budget.started
    if budget.max_sampling_time is not None and elapsed > budget.max_sampling_time:
        failing = np.flatnonzero(unfinished)
        if not len(failing):  # every observation has its draws; sbi's count catches up
            return
        reason = (
            f"max_sampling_time = {budget.max_sampling_time:g} s was exceeded "
            f"({elapsed:.3g} s) before {n_samples} draws inside the prior support were "
            "collected"
        )
        raise _error(
            budget, reason, failing, n_accepted, num_drawn, n_samples, observations, first_index
        )
