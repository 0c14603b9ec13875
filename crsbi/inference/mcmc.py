"""MCMC reference posteriors with emcee, and a like-for-like posterior comparison.

:class:`MCMCPosterior` samples ``p(theta | x) ∝ L(x | theta) U(theta; low, high)`` for
an explicit log-likelihood and a uniform box prior with the affine-invariant ensemble
sampler of emcee. It runs in blocks until the chain is many integrated autocorrelation
times long and the autocorrelation-time estimates are stable, discards a burn-in of a
few autocorrelation times and thins by about half of one. It speaks the small crsbi
posterior protocol (``sample(x, n_samples)``, ``log_prob(theta, x)``), so a neural
posterior and this reference are compared like for like with
:func:`compare_posteriors`.

This is the only crsbi module that imports ``emcee``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import emcee
import numpy as np
from scipy.optimize import Bounds, minimize
from sklearn.exceptions import ConvergenceWarning
from tqdm.auto import tqdm

from crsbi.core.imports import import_arviz
from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval, check_option
from crsbi.inference._common import check_param_names as _check_param_names

__all__ = [
    "MCMCPosterior",
    "sample_posterior_mcmc",
]

_OWNER = "MCMCPosterior"
_INITS = ("optimum", "uniform")
# Half-width of the initial walker ball around the optimum, as a fraction of the box width.
_BALL_FRACTION = 1e-3


class _LogPosterior:
    """Log posterior on a batch: log-likelihood + log uniform prior, ``-inf`` outside the box.

    A class rather than a closure so the emcee sampler stays picklable whenever the
    user's log-likelihood is.
    """

    def __init__(
        self,
        log_likelihood: Callable[..., Any],
        x: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
        vectorize: bool,
    ) -> None:
        self.log_likelihood = log_likelihood
        self.x = x
        self.low = low
        self.high = high
        self.vectorize = vectorize
        self.log_prior = -float(np.sum(np.log(high - low)))

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        out = np.full(theta.shape[0], -np.inf)
        inside = np.all((theta >= self.low) & (theta <= self.high), axis=1)
        if inside.any():
            out[inside] = self.evaluate(theta[inside]) + self.log_prior
        return out

    def evaluate(self, theta: np.ndarray) -> np.ndarray:
        """Log-likelihood at the rows of ``theta`` (n_points, n_params), checked."""
        if self.vectorize:
            values = _as_float_array(self.log_likelihood(theta, self.x))
            if values.shape != (theta.shape[0],):
                raise ValueError(
                    f"log_likelihood was called with vectorize=True on theta of shape "
                    f"{theta.shape} and must return an array of shape ({theta.shape[0]},); "
                    f"got shape {values.shape} instead."
                )
        else:
            values = np.empty(theta.shape[0])
            for i, row in enumerate(theta):
                value = _as_float_array(self.log_likelihood(row, self.x))
                if value.shape != ():
                    raise ValueError(
                        f"log_likelihood was called on theta of shape {row.shape} and must "
                        f"return a scalar (shape ()); got shape {value.shape} instead. Pass "
                        "vectorize=True if it evaluates a batch of shape (n_points, n_params)."
                    )
                values[i] = value
        bad = np.isnan(values) | (values == np.inf)
        if bad.any():
            first = int(np.argmax(bad))
            raise ValueError(
                f"log_likelihood returned {values[first]} at theta={theta[first].tolist()}; "
                "expected a finite log-likelihood, or -inf where the likelihood vanishes."
            )
        return values


def _as_float_array(value: Any) -> np.ndarray:
    message = (
        "log_likelihood must return a real number (or an array of them with "
        f"vectorize=True); got {value!r} of type {type(value).__name__}."
    )
    if value is None:  # numpy would turn None into NaN
        raise TypeError(message)
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(message) from exc


def _check_bounds(low: Any, high: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate the prior box; return ``low`` and ``high`` as float arrays (n_params,)."""
    arrays = []
    for name, value in (("low", low), ("high", high)):
        try:
            array = np.atleast_1d(np.asarray(value, dtype=float))
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"The {name!r} parameter of {_OWNER} must be an array of shape (n_params,) "
                f"of real numbers. Got {value!r} instead."
            ) from exc
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"The {name!r} parameter of {_OWNER} must have shape (n_params,); got an "
                f"array of shape {np.shape(value)} instead."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"The {name!r} parameter of {_OWNER} must be finite (a uniform prior needs a "
                f"bounded box). Got {array.tolist()} instead."
            )
        arrays.append(array)
    low, high = arrays
    if low.shape != high.shape:
        raise ValueError(
            f"low and high must have the same shape (n_params,); got {low.shape} and "
            f"{high.shape} instead."
        )
    if not np.all(low < high):
        bad = int(np.argmax(~(low < high)))
        raise ValueError(
            f"low must be strictly below high in every parameter; got low[{bad}] = "
            f"{low[bad]} >= high[{bad}] = {high[bad]}."
        )
    return low, high


class MCMCPosterior:
    """Reference posterior for an explicit likelihood and a uniform box prior (emcee).

    The unnormalized log posterior is ``log_likelihood(theta, x) - sum(log(high - low))``
    inside the box ``low <= theta <= high`` and ``-inf`` outside. :meth:`run` samples it
    with ``n_walkers`` affine-invariant ensemble walkers, in blocks of ``check_every``
    steps, until the chain is longer than ``length_factor`` times the largest
    integrated autocorrelation time ``tau`` (in steps) and every ``tau`` changed by less
    than ``tau_tolerance`` (relative) since the previous block, or until ``max_steps``.
    Then ``burn_in_factor * max(tau)`` steps are discarded and the chain is thinned by
    ``thin_factor * min(tau)`` steps. A :class:`~sklearn.exceptions.ConvergenceWarning`
    says so when the criteria were not met.

    Walkers start, with ``init="optimum"``, in a small ball (a Gaussian of standard
    deviation ``1e-3 (high - low)``, reflected into the box) around the maximum
    likelihood found by a bounded Powell search from the best of ``n_walkers`` uniform
    prior draws; the ensemble then spreads over the posterior within a few ``tau``.
    For multimodal likelihoods use ``init="uniform"`` (walkers drawn from the prior) so
    that every mode is visited.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(theta, x)``: natural log of the likelihood of the observation
        ``x`` at the parameters ``theta``, in the units of ``low`` and ``high``. ``theta``
        has shape (n_params,) and the return value is a scalar; with ``vectorize=True``
        ``theta`` has shape (n_points, n_params) and the return value shape (n_points,).
        Return ``-inf`` where the likelihood vanishes; NaN and ``+inf`` are errors. It is
        only called inside the box.
    low, high : array-like of shape (n_params,)
        Edges of the uniform prior box, finite, ``low < high``, in the units of ``theta``.
    param_names : sequence of str or None
        Names of the parameters in the ``InferenceData``; ``theta_0, theta_1, ...`` when
        ``None``.
    n_walkers : int, default=32
        Number of ensemble walkers, at least ``2 * n_params``. Each walker is one
        ``chain`` of the ``InferenceData``.
    max_steps : int, default=20000
        Most steps per walker spent on reaching convergence.
    check_every : int, default=100
        Steps between autocorrelation-time checks.
    length_factor : float, default=50.0
        Convergence needs a chain longer than ``length_factor * max(tau)`` steps.
    tau_tolerance : float, default=0.01
        Convergence needs every ``tau`` to change by less than this relative amount
        between consecutive checks.
    burn_in_factor : float, default=3.0
        Burn-in, in units of ``max(tau)``.
    thin_factor : float, default=0.5
        Thinning, in units of ``min(tau)`` (at least 1 step).
    init : {"optimum", "uniform"} or array-like of shape (n_walkers, n_params), \
default="optimum"
        Initial walker positions: a ball around the likelihood optimum, uniform prior
        draws, or explicit positions inside the box.
    random_state : None, int or numpy.random.Generator
        Seeds the prior draws, emcee's own ``numpy.random.RandomState`` and the
        subsampling in :meth:`sample`. The same seed gives identical samples.
    verbose : int, default=1
        0 silences the tqdm progress bar.
    vectorize : bool, default=False
        Whether ``log_likelihood`` evaluates a batch of parameters at once.

    Attributes
    ----------
    x_ : ndarray
        The observation of the last run.
    autocorr_time_ : ndarray of shape (n_params,)
        Integrated autocorrelation time of each parameter, in steps, estimated on the
        whole chain at the end of the convergence loop.
    burn_in_ : int
        Steps discarded at the start of every walker.
    thin_ : int
        Thinning interval, in steps.
    n_steps_ : int
        Steps per walker run so far (more than the convergence loop when :meth:`sample`
        asked for more samples than the run gave).
    converged_ : bool
        Whether the length and stability criteria were met within ``max_steps``.
    acceptance_fraction_ : ndarray of shape (n_walkers,)
        Fraction of accepted proposals of each walker.
    samples_ : ndarray of shape (n_kept, n_params)
        Post-burn-in, thinned samples of all walkers.
    inference_data_ : arviz.InferenceData
        ``posterior`` (one variable per parameter, chain = walker, draw = thinned step),
        ``sample_stats.lp`` (log posterior) and ``log_likelihood.x``.
    sampler_ : emcee.EnsembleSampler
        The underlying sampler, with the full chain.

    See Also
    --------
    compare_posteriors : Compare samples of two posteriors (e.g. NPE against MCMC).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference.mcmc import MCMCPosterior
    >>> def log_likelihood(theta, x):
    ...     return -0.5 * np.sum((x - theta) ** 2, axis=-1) / 0.1**2
    >>> posterior = MCMCPosterior(
    ...     log_likelihood, low=[-3, -3], high=[3, 3], vectorize=True, random_state=0, verbose=0
    ... )
    >>> samples = posterior.sample(np.array([0.5, -1.0]), 1000)
    >>> samples.shape
    (1000, 2)
    >>> bool(np.all(np.abs(samples.mean(axis=0) - [0.5, -1.0]) < 0.03))
    True
    >>> posterior.converged_
    True
    >>> posterior.log_prob(np.array([[0.5, -1.0], [4.0, 0.0]]), np.array([0.5, -1.0])).round(3)
    array([-3.584,   -inf])
    """

    def __init__(
        self,
        log_likelihood: Callable[..., Any],
        low: Any,
        high: Any,
        *,
        param_names: Sequence[str] | None = None,
        n_walkers: int = 32,
        max_steps: int = 20000,
        check_every: int = 100,
        length_factor: float = 50.0,
        tau_tolerance: float = 0.01,
        burn_in_factor: float = 3.0,
        thin_factor: float = 0.5,
        init: str | Any = "optimum",
        random_state: Any = None,
        verbose: int = 1,
        vectorize: bool = False,
    ) -> None:
        self.log_likelihood = log_likelihood
        self.low = low
        self.high = high
        self.param_names = param_names
        self.n_walkers = n_walkers
        self.max_steps = max_steps
        self.check_every = check_every
        self.length_factor = length_factor
        self.tau_tolerance = tau_tolerance
        self.burn_in_factor = burn_in_factor
        self.thin_factor = thin_factor
        self.init = init
        self.random_state = random_state
        self.verbose = verbose
        self.vectorize = vectorize

    # ------------------------------------------------------------ validation
    def _validate_model(self) -> tuple[np.ndarray, np.ndarray]:
        """Check what ``log_prob`` needs; return the bounds as arrays."""
        if not callable(self.log_likelihood):
            raise TypeError(
                f"The 'log_likelihood' parameter of {_OWNER} must be a callable "
                f"log_likelihood(theta, x). Got {self.log_likelihood!r} instead."
            )
        if not isinstance(self.vectorize, (bool, np.bool_)):
            raise TypeError(
                f"The 'vectorize' parameter of {_OWNER} must be a bool. "
                f"Got {self.vectorize!r} instead."
            )
        return _check_bounds(self.low, self.high)

    def _validate_sampler(self, n_params: int) -> None:
        check_interval(self.n_walkers, "n_walkers", _OWNER, kind=int, low=2 * n_params)
        check_interval(self.max_steps, "max_steps", _OWNER, kind=int, low=1)
        check_interval(self.check_every, "check_every", _OWNER, kind=int, low=1)
        check_interval(self.length_factor, "length_factor", _OWNER, low=0)
        check_interval(self.tau_tolerance, "tau_tolerance", _OWNER, low=0, closed="neither")
        check_interval(self.burn_in_factor, "burn_in_factor", _OWNER, low=0)
        check_interval(self.thin_factor, "thin_factor", _OWNER, low=0)
        check_interval(self.verbose, "verbose", _OWNER, kind=int, low=0)
        if isinstance(self.init, str):
            check_option(self.init, "init", _OWNER, _INITS)

    @staticmethod
    def _check_x(x: Any) -> np.ndarray:
        try:
            x = np.array(x, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"x must be an array of real numbers; got {x!r} instead.") from exc
        if x.size == 0:
            raise ValueError(f"x must hold one non-empty observation; got shape {x.shape}.")
        check_finite(x, "x")
        x.setflags(write=False)
        return x

    @staticmethod
    def _check_theta(theta: Any, n_params: int) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        if theta.ndim == 1:
            theta = theta[None, :]
        if theta.ndim != 2 or theta.shape[1] != n_params:
            raise ValueError(
                f"theta must have shape (n_params,) = ({n_params},) or (n_points, {n_params}); "
                f"got an array of shape {np.shape(theta)} instead."
            )
        return theta

    # ---------------------------------------------------------------- public
    def log_prob(self, theta: Any, x: Any) -> np.ndarray:
        """Unnormalized log posterior: log-likelihood plus log uniform prior.

        Parameters
        ----------
        theta : array-like of shape (n_params,) or (n_points, n_params)
            Parameters, in the units of ``low`` and ``high``.
        x : array-like
            One observation, passed to ``log_likelihood``.

        Returns
        -------
        ndarray of shape (n_points,)
            ``log_likelihood(theta, x) - sum(log(high - low))`` inside the box, ``-inf``
            outside (shape (1,) for a single ``theta``). The evidence is not included.
        """
        low, high = self._validate_model()
        theta = self._check_theta(theta, low.size)
        if np.isnan(theta).any():
            raise ValueError("theta contains NaN; expected real parameters.")
        log_posterior = _LogPosterior(
            self.log_likelihood, self._check_x(x), low, high, bool(self.vectorize)
        )
        return log_posterior(theta)

    def run(self, x: Any) -> Any:
        """Sample the posterior for the observation ``x`` until convergence.

        Parameters
        ----------
        x : array-like
            One observation, finite, passed unchanged (as a read-only float array) to
            ``log_likelihood``.

        Returns
        -------
        arviz.InferenceData
            Post-burn-in, thinned draws (also stored as ``inference_data_``), so
            ``arviz.rhat``, ``arviz.ess`` and ``arviz.summary`` apply directly.

        Warns
        -----
        sklearn.exceptions.ConvergenceWarning
            When the chain did not reach ``length_factor * tau`` steps with stable
            ``tau`` within ``max_steps``, or the mean acceptance fraction is below 0.1.
        """
        low, high = self._validate_model()
        n_params = low.size
        self._validate_sampler(n_params)
        names = _check_param_names(self.param_names, n_params, _OWNER)
        x = self._check_x(x)
        rng = check_random_state(self.random_state)
        log_posterior = _LogPosterior(self.log_likelihood, x, low, high, bool(self.vectorize))
        initial = self._initial_positions(log_posterior, rng)

        sampler = emcee.EnsembleSampler(self.n_walkers, n_params, log_posterior, vectorize=True)
        # emcee's own generator, seeded from ours: never the global NumPy RNG
        emcee_seed = int(rng.integers(0, 2**32 - 1))
        sampler.random_state = np.random.RandomState(emcee_seed).get_state()

        state: Any = initial
        tau_previous = np.full(n_params, np.inf)
        tau = np.full(n_params, np.nan)
        converged = False
        change = np.inf
        with tqdm(total=self.max_steps, desc="MCMC", disable=self.verbose == 0, leave=False) as bar:
            while sampler.iteration < self.max_steps:
                n = min(self.check_every, self.max_steps - sampler.iteration)
                for _ in sampler.sample(state, iterations=n):
                    bar.update(1)
                state = sampler.get_last_sample()
                tau = sampler.get_autocorr_time(tol=0)
                change = float(np.max(np.abs(tau - tau_previous) / tau))
                bar.set_postfix(tau=f"{np.max(tau):.1f}", change=f"{change:.3f}")
                long_enough = sampler.iteration > self.length_factor * np.max(tau)
                if np.all(np.isfinite(tau)) and long_enough and change < self.tau_tolerance:
                    converged = True
                    break
                tau_previous = tau

        n_steps = sampler.iteration
        if np.all(np.isfinite(tau)):
            burn_in = math.ceil(self.burn_in_factor * float(np.max(tau)))
            thin = max(1, int(self.thin_factor * float(np.min(tau))))
        else:
            burn_in, thin = n_steps // 2, 1
        if not converged:
            burn_in = min(burn_in, n_steps // 2)
            warnings.warn(
                f"{_OWNER} did not converge within max_steps={self.max_steps}: the chain is "
                f"{n_steps} steps long, {n_steps / np.max(tau):.1f} times the largest "
                f"integrated autocorrelation time (tau = {np.max(tau):.1f} steps; "
                f"{self.length_factor:g} needed), and tau changed by {100 * change:.1f}% in "
                f"the last block ({100 * self.tau_tolerance:g}% allowed). Samples may be "
                "biased and too few; increase max_steps or check the likelihood.",
                ConvergenceWarning,
                stacklevel=2,
            )
        acceptance = np.asarray(sampler.acceptance_fraction, dtype=float)
        if acceptance.mean() < 0.1:
            warnings.warn(
                f"The mean acceptance fraction of {_OWNER} is {acceptance.mean():.3f} "
                "(< 0.1): walkers are stuck, so the samples are unreliable. Check the "
                "likelihood and the initial positions.",
                ConvergenceWarning,
                stacklevel=2,
            )

        self.x_ = x
        self.rng_ = rng
        self.sampler_ = sampler
        self.param_names_ = names
        self.autocorr_time_ = np.asarray(tau, dtype=float)
        self.burn_in_ = int(burn_in)
        self.thin_ = int(thin)
        self.converged_ = bool(converged)
        self._log_prior = log_posterior.log_prior
        self._collect()
        return self.inference_data_

    def sample(self, x: Any, n_samples: int) -> np.ndarray:
        """Draw posterior samples for the observation ``x``.

        Runs :meth:`run` first unless the last run was for the same ``x``; extends the
        chain when it holds fewer than ``n_samples`` thinned draws. The draws are a
        random subset, without replacement, of ``samples_``, so repeated calls for the
        same ``x`` give different subsets of the same chain.

        Parameters
        ----------
        x : array-like
            One observation.
        n_samples : int
            Number of samples, >= 1.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            Posterior samples, in the units of ``low`` and ``high``.
        """
        check_interval(n_samples, "n_samples", _OWNER, kind=int, low=1)
        x_checked = self._check_x(x)
        if not (
            hasattr(self, "x_")
            and self.x_.shape == x_checked.shape
            and np.array_equal(self.x_, x_checked)
        ):
            self.run(x_checked)
        available = self.samples_.shape[0]
        if available < n_samples:
            per_step = self.n_walkers / self.thin_
            extra_steps = math.ceil((n_samples - available) / per_step) + self.thin_
            with tqdm(
                total=extra_steps, desc="MCMC", disable=self.verbose == 0, leave=False
            ) as bar:
                last = self.sampler_.get_last_sample()
                for _ in self.sampler_.sample(last, iterations=extra_steps):
                    bar.update(1)
            self._collect()
        chosen = self.rng_.choice(self.samples_.shape[0], size=n_samples, replace=False)
        return self.samples_[chosen]

    # --------------------------------------------------------------- helpers
    def _initial_positions(self, log_posterior: _LogPosterior, rng: np.random.Generator) -> Any:
        low, high = log_posterior.low, log_posterior.high
        shape = (self.n_walkers, low.size)
        if not isinstance(self.init, str):
            positions = np.array(self.init, dtype=float)
            if positions.shape != shape:
                raise ValueError(
                    f"init positions must have shape (n_walkers, n_params) = {shape}; got "
                    f"an array of shape {positions.shape} instead."
                )
            if not np.all((positions >= low) & (positions <= high)):
                raise ValueError("init positions must lie inside the box [low, high].")
            return positions
        draws = rng.uniform(low, high, size=shape)
        if self.init == "uniform":
            return draws
        values = log_posterior(draws)
        if not np.any(np.isfinite(values)):
            raise ValueError(
                f"log_likelihood is -inf at all {self.n_walkers} uniform prior draws used to "
                "find a starting point; pass init='uniform' or explicit init positions."
            )
        start = draws[np.argmax(values)]

        def negative(theta: np.ndarray) -> float:
            value = log_posterior(theta[None, :])[0]
            return -value if np.isfinite(value) else 1e300

        result = minimize(
            negative,
            start,
            method="Powell",
            bounds=Bounds(low, high),
            options={"maxfev": 200 * low.size, "xtol": 1e-6, "ftol": 1e-10},
        )
        centre = np.clip(result.x if result.fun < negative(start) else start, low, high)
        ball = centre + _BALL_FRACTION * (high - low) * rng.standard_normal(shape)
        ball = np.where(ball < low, 2 * low - ball, ball)
        ball = np.where(ball > high, 2 * high - ball, ball)
        return np.clip(ball, low, high)

    def _collect(self) -> None:
        """Update the post-burn-in state from ``sampler_`` (after a run or an extension)."""
        sampler = self.sampler_
        chain = sampler.get_chain(discard=self.burn_in_, thin=self.thin_)  # (draw, walker, d)
        log_posterior = sampler.get_log_prob(discard=self.burn_in_, thin=self.thin_)
        self.n_steps_ = int(sampler.iteration)
        self.acceptance_fraction_ = np.asarray(sampler.acceptance_fraction, dtype=float)
        self.samples_ = chain.reshape(-1, chain.shape[-1])
        attrs = {
            "sampler": f"emcee {emcee.__version__} EnsembleSampler",
            "n_walkers": int(self.n_walkers),
            "n_steps": self.n_steps_,
            "burn_in": self.burn_in_,
            "thin": self.thin_,
            "autocorr_time": self.autocorr_time_.tolist(),
            "converged": int(self.converged_),
        }
        arviz = import_arviz()
        with warnings.catch_warnings():
            # arviz guesses a transposed array when there are more chains than draws;
            # here the layout is (walker, draw) by construction
            warnings.filterwarnings("ignore", message="More chains", category=UserWarning)
            self.inference_data_ = arviz.from_dict(
                posterior={
                    name: np.ascontiguousarray(chain[:, :, i].T)
                    for i, name in enumerate(self.param_names_)
                },
                sample_stats={"lp": log_posterior.T},
                log_likelihood={"x": (log_posterior - self._log_prior).T},
                attrs=attrs,
            )


def sample_posterior_mcmc(
    log_likelihood: Callable[..., Any],
    x: Any,
    low: Any,
    high: Any,
    n_samples: int,
    **kwargs: Any,
) -> np.ndarray:
    """Draw ``n_samples`` reference posterior samples with :class:`MCMCPosterior`.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(theta, x)``, as in :class:`MCMCPosterior`.
    x : array-like
        One observation.
    low, high : array-like of shape (n_params,)
        Edges of the uniform prior box.
    n_samples : int
        Number of samples.
    **kwargs
        Further keyword arguments of :class:`MCMCPosterior`.

    Returns
    -------
    ndarray of shape (n_samples, n_params)
        Posterior samples.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference.mcmc import sample_posterior_mcmc
    >>> def log_likelihood(theta, x):
    ...     return -0.5 * np.sum((x - theta) ** 2, axis=-1) / 0.1**2
    >>> sample_posterior_mcmc(
    ...     log_likelihood, np.zeros(2), [-1, -1], [1, 1], 200,
    ...     vectorize=True, random_state=0, verbose=0,
    ... ).shape
    (200, 2)
    """
    return MCMCPosterior(log_likelihood, low, high, **kwargs).sample(x, n_samples)
