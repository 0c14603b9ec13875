"""Calibration of amortized posteriors: SBC ranks, TARP and highest-density coverage.

A posterior ``q(theta | x)`` is calibrated when its credible regions contain the
true parameter as often as they claim, on average over the prior and the
simulator. :func:`run_calibration` checks it on held-out simulations
``(theta_i, x_i)``, ``theta_i`` drawn from the prior, with three diagnostics:

- simulation-based calibration (SBC, Talts et al. 2018): the rank of each true
  parameter among posterior draws is uniform, per parameter;
- TARP (Lemos et al. 2023): expected coverage of random-reference balls, which sees
  joint (not only marginal) miscalibration;
- coverage of highest-posterior-density (HPD) regions: the fraction of draws denser
  than the true parameter is uniform, and the HPD region of credibility ``a``
  contains the truth in a fraction ``a`` of the rounds.

The posterior can be a fitted :class:`~crsbi.inference.PosteriorEstimator` (or a
pipeline ending in one), an sbi posterior, or any object with the crsbi posterior
protocol ``sample(x, n_samples)`` / ``log_prob(theta, x)`` for one observation ``x``
(e.g. an MCMC posterior).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import stats

from crsbi.core.random import check_random_state, seeded_torch, torch_seed
from crsbi.core.validation import check_finite, check_interval
from crsbi.inference._common import check_param_names
from crsbi.inference._sampling import (
    SBI_REMEDIES,
    SamplingBudget,
    has_bounded_sampler,
    sample_in_support,
)

__all__ = ["CalibrationReport", "run_calibration"]

#: Upper bound on (observations x samples) handled in one call to an sbi posterior.
_MAX_BATCH = 100_000


@dataclass
class CalibrationReport:
    """Results of :func:`run_calibration`.

    Attributes
    ----------
    param_names : list of str
        Parameter names.
    n_rounds : int
        Number of calibration simulations ``(theta_i, x_i)``.
    n_posterior_samples : int
        Posterior draws per simulation.
    sbc_ranks : ndarray of shape (n_rounds, n_params)
        SBC ranks: number of posterior draws below the true parameter, in
        ``[0, n_posterior_samples]``; uniform for a calibrated posterior.
    sbc_ks_pvalues : ndarray of shape (n_params,)
        Kolmogorov-Smirnov p-values of the uniformity of the ranks.
    sbc_c2st_ranks : ndarray of shape (n_params,) or None
        Classifier two-sample test accuracy between the ranks and uniform draws
        (0.5 when indistinguishable); ``None`` when ``c2st=False``.
    dap_c2st : ndarray of shape (n_params,) or None
        C2ST accuracy between the true parameters (prior draws) and one posterior
        draw per simulation (the data-averaged posterior); 0.5 when they match.
    tarp_alpha, tarp_ecp : ndarray of shape (n_bins + 1,)
        TARP credibility levels and expected coverage probabilities.
    tarp_atc : float
        TARP area between the coverage curve and the diagonal above level 0.5:
        > 0 underconfident (too wide), < 0 overconfident (too narrow) or biased.
    tarp_ks_pvalue : float
        sbi's KS p-value comparing the TARP coverage curve to the diagonal (a weak
        test: it compares the two curves' values as samples).
    hpd_credibility : ndarray of shape (n_rounds,)
        Credibility of the smallest HPD region that contains the true parameter:
        the fraction of posterior draws denser than it. Uniform when calibrated.
    levels : ndarray of shape (n_levels,)
        Credibility levels at which HPD coverage is reported.
    hpd_coverage : ndarray of shape (n_levels,)
        Fraction of rounds whose true parameter lies in the HPD region of each level.
    hpd_ks_pvalue : float
        KS p-value of the uniformity of ``hpd_credibility``.

    Examples
    --------
    A report is what :func:`run_calibration` returns; its ``passed`` check and the
    ``plot_*`` helpers read these fields:

    >>> from crsbi.inference import CalibrationReport
    >>> "sbc_ks_pvalues" in CalibrationReport.__dataclass_fields__
    True
    """

    param_names: list[str]
    n_rounds: int
    n_posterior_samples: int
    sbc_ranks: np.ndarray
    sbc_ks_pvalues: np.ndarray
    sbc_c2st_ranks: np.ndarray | None
    dap_c2st: np.ndarray | None
    tarp_alpha: np.ndarray
    tarp_ecp: np.ndarray
    tarp_atc: float
    tarp_ks_pvalue: float
    hpd_credibility: np.ndarray
    levels: np.ndarray
    hpd_coverage: np.ndarray
    hpd_ks_pvalue: float

    @property
    def hpd_coverage_stderr(self) -> np.ndarray:
        """Binomial standard error of ``hpd_coverage`` for a calibrated posterior."""
        return np.sqrt(self.levels * (1 - self.levels) / self.n_rounds)

    def coverage_curve(self, levels: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Empirical HPD coverage as a function of the credibility level.

        Parameters
        ----------
        levels : array-like or None
            Credibility levels in [0, 1]; ``None`` uses 101 levels from 0 to 1.

        Returns
        -------
        levels, coverage : ndarray
            The levels and the fraction of rounds covered at each.
        """
        levels = np.linspace(0, 1, 101) if levels is None else np.asarray(levels, float)
        coverage = (self.hpd_credibility[None, :] <= levels[:, None]).mean(axis=1)
        return levels, coverage

    @property
    def p_values(self) -> dict[str, float]:
        """The p-values behind the verdict, by test name."""
        values = {
            f"SBC {name}": float(p)
            for name, p in zip(self.param_names, self.sbc_ks_pvalues, strict=True)
        }
        values["HPD coverage"] = float(self.hpd_ks_pvalue)
        values["TARP"] = float(self.tarp_ks_pvalue)
        return values

    def failed_tests(self, alpha: float = 0.01) -> list[str]:
        """Names of the tests rejected at family-wise level ``alpha`` (Bonferroni)."""
        check_interval(alpha, "alpha", "CalibrationReport", low=0, high=1, closed="neither")
        threshold = alpha / len(self.p_values)
        return [name for name, p in self.p_values.items() if not p > threshold]

    def is_calibrated(self, alpha: float = 0.01) -> bool:
        """Whether no calibration test is rejected.

        Every p-value (SBC per parameter, HPD coverage, TARP) is compared with
        ``alpha / n_tests`` (Bonferroni), so a calibrated posterior is wrongly
        flagged with probability at most ``alpha``.

        Parameters
        ----------
        alpha : float, default=0.01
            Family-wise false-alarm probability, in (0, 1).

        Returns
        -------
        bool
            ``True`` when no test is rejected.
        """
        return not self.failed_tests(alpha)

    @property
    def passed(self) -> bool:
        """``is_calibrated()`` at the default level ``alpha=0.01``."""
        return self.is_calibrated()

    def to_markdown(self, alpha: float = 0.01) -> str:
        """Markdown summary: per-parameter SBC, HPD coverage, TARP and the verdict.

        Parameters
        ----------
        alpha : float, default=0.01
            Family-wise level of the verdict.

        Returns
        -------
        str
            The summary.
        """
        lines = [
            f"## Calibration: {self.n_rounds} simulations, "
            f"{self.n_posterior_samples} posterior draws each",
            "",
            "| parameter | SBC KS p-value | C2ST ranks vs uniform | C2ST prior vs DAP |",
            "|---|---|---|---|",
        ]
        for i, name in enumerate(self.param_names):
            c2st_ranks = "-" if self.sbc_c2st_ranks is None else f"{self.sbc_c2st_ranks[i]:.3f}"
            dap = "-" if self.dap_c2st is None else f"{self.dap_c2st[i]:.3f}"
            lines.append(f"| {name} | {self.sbc_ks_pvalues[i]:.3g} | {c2st_ranks} | {dap} |")
        lines += ["", "| credibility level | HPD coverage | expected ± 1 s.e. |", "|---|---|---|"]
        for level, cov, err in zip(
            self.levels, self.hpd_coverage, self.hpd_coverage_stderr, strict=True
        ):
            lines.append(f"| {level:.3g} | {cov:.3f} | {level:.3g} ± {err:.3f} |")
        lines += [
            "",
            f"HPD coverage KS p-value: {self.hpd_ks_pvalue:.3g}",
            f"TARP: ATC = {self.tarp_atc:+.3f} (> 0 underconfident, < 0 overconfident), "
            f"KS p-value = {self.tarp_ks_pvalue:.3g}",
        ]
        failed = self.failed_tests(alpha)
        n_tests = len(self.p_values)
        if failed:
            verdict = f"**not calibrated**: rejected by {', '.join(failed)}"
        else:
            verdict = "**calibrated**: no test rejected"
        lines.append(f"Verdict (alpha = {alpha:g}, Bonferroni over {n_tests} tests): {verdict}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()


# ------------------------------------------------------------------- adapters
class _Posterior:
    """What the diagnostics need from a posterior, on NumPy arrays.

    ``sample(x, n)`` -> (n_rounds, n, n_params); ``log_prob(theta, x)`` with theta of
    shape (n_rounds, m, n_params) -> (n_rounds, m), up to a constant per observation.
    """

    param_names: list[str] | None = None

    def sample(self, x: np.ndarray, n: int, seed: int) -> np.ndarray:
        raise NotImplementedError

    def log_prob(self, theta: np.ndarray, x: np.ndarray, seed: int) -> np.ndarray:
        raise NotImplementedError


class _EstimatorPosterior(_Posterior):
    def __init__(self, estimator: Any, transform: Any = None) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator, "posterior_")
        self.estimator = estimator
        self.transform = transform
        self.param_names = list(estimator.param_names_)

    def _x(self, x: np.ndarray) -> np.ndarray:
        if self.transform is not None:
            x = self.transform.transform(x)
        return self.estimator._validate_observations(x)[0]

    def sample(self, x: np.ndarray, n: int, seed: int) -> np.ndarray:
        return self.estimator._sample_array(self._x(x), n, seed)

    def log_prob(self, theta: np.ndarray, x: np.ndarray, seed: int) -> np.ndarray:
        return self.estimator._log_prob_array(theta, self._x(x), normalize=False, seed=seed)


class _SbiPosterior(_Posterior):
    def __init__(self, posterior: Any) -> None:
        self.posterior = posterior

    def sample(self, x: np.ndarray, n: int, seed: int) -> np.ndarray:
        xt = torch.as_tensor(x, dtype=torch.float32)
        chunk = max(1, min(len(xt), _MAX_BATCH // n))
        budget = SamplingBudget(remedies=SBI_REMEDIES, purpose="run_calibration's sampling")
        draws = []
        with seeded_torch(seed), torch.no_grad():
            for start in range(0, len(xt), chunk):
                batch = _draw_sbi(self.posterior, xt[start : start + chunk], n, budget, x, start)
                draws.append(batch.transpose(0, 1).cpu())
        return torch.cat(draws).numpy().astype(np.float64)

    def log_prob(self, theta: np.ndarray, x: np.ndarray, seed: int) -> np.ndarray:
        xt = torch.as_tensor(x, dtype=torch.float32)
        tt = torch.as_tensor(theta, dtype=torch.float32)
        chunk = max(1, min(len(xt), _MAX_BATCH // theta.shape[1]))
        out = []
        with seeded_torch(seed), torch.no_grad():
            for start in range(0, len(xt), chunk):
                values = self.posterior.log_prob_batched(
                    tt[start : start + chunk].transpose(0, 1),
                    x=xt[start : start + chunk],
                    norm_posterior=False,
                )
                out.append(values.transpose(0, 1).cpu())
        return torch.cat(out).numpy().astype(np.float64)


def _draw_sbi(
    posterior: Any,
    xs: torch.Tensor,
    n: int,
    budget: SamplingBudget,
    x: np.ndarray,
    start: int,
) -> torch.Tensor:
    """``n`` draws of an sbi posterior at ``xs`` = ``x[start:start + len(xs)]``: (n, len(xs), p).

    A direct posterior is rejection-sampled under ``budget``, with the same draws as
    its own ``sample_batched``; any other posterior with its own ``sample_batched``.
    """
    batch_size = max(1, _MAX_BATCH // len(xs))
    if has_bounded_sampler(posterior):
        return sample_in_support(
            posterior,
            xs,
            n,
            max_batch_size=batch_size,
            budget=budget,
            observations=x[start : start + len(xs)],
            first_index=start,
        )[0]
    return posterior.sample_batched(
        (n,), x=xs, max_sampling_batch_size=batch_size, show_progress_bars=False
    )


class _ProtocolPosterior(_Posterior):
    """Any object with ``sample(x, n_samples)`` and ``log_prob(theta, x)`` for one ``x``.

    This is the crsbi posterior protocol (MCMC posteriors, wrappers, analytic
    references); it is called once per observation.
    """

    def __init__(self, posterior: Any) -> None:
        self.posterior = posterior
        names = getattr(posterior, "param_names_", None)
        if names is None:
            names = getattr(posterior, "param_names", None)
        self.param_names = list(names) if names is not None else None

    def sample(self, x: np.ndarray, n: int, seed: int) -> np.ndarray:
        with seeded_torch(seed):
            return np.stack(
                [np.asarray(self.posterior.sample(x_i, n), dtype=np.float64) for x_i in x]
            )

    def log_prob(self, theta: np.ndarray, x: np.ndarray, seed: int) -> np.ndarray:
        with seeded_torch(seed):
            values = [
                np.asarray(self.posterior.log_prob(theta_i, x_i), dtype=np.float64)
                for theta_i, x_i in zip(theta, x, strict=True)
            ]
        return np.stack([v.reshape(theta.shape[1]) for v in values])


def _resolve_posterior(posterior: Any) -> _Posterior:
    from sklearn.pipeline import Pipeline

    from crsbi.inference.posterior import PosteriorEstimator

    if isinstance(posterior, PosteriorEstimator):
        return _EstimatorPosterior(posterior)
    if isinstance(posterior, Pipeline) and isinstance(posterior[-1], PosteriorEstimator):
        return _EstimatorPosterior(posterior[-1], transform=posterior[:-1])
    if hasattr(posterior, "sample_batched") and hasattr(posterior, "log_prob_batched"):
        return _SbiPosterior(posterior)
    if callable(getattr(posterior, "sample", None)) and callable(
        getattr(posterior, "log_prob", None)
    ):
        return _ProtocolPosterior(posterior)
    raise TypeError(
        "posterior must be a fitted PosteriorEstimator (or a Pipeline ending in one), an sbi "
        "posterior with sample_batched/log_prob_batched, or an object with "
        f"sample(x, n_samples) and log_prob(theta, x). Got {type(posterior).__name__}."
    )


class _DrawnSamples:
    """Stand-in for an sbi posterior that hands sbi's diagnostics draws made once.

    SBC, TARP and the HPD coverage then judge the very same posterior samples, and an
    expensive posterior (MCMC) is sampled only once.
    """

    def __init__(self, samples: torch.Tensor) -> None:
        self.samples = samples  # (n_samples, n_rounds, n_params)

    def sample_batched(self, sample_shape: Any, x: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        if tuple(sample_shape) != (self.samples.shape[0],) or len(x) != self.samples.shape[1]:
            raise RuntimeError(
                f"Expected a request for {self.samples.shape[0]} draws at "
                f"{self.samples.shape[1]} observations; got {tuple(sample_shape)} at {len(x)}."
            )
        return self.samples


# ---------------------------------------------------------------- validation
def _validate_inputs(theta: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim == 1:
        theta = theta[:, None]
    x = np.asarray(x, dtype=np.float64)
    if theta.ndim != 2:
        raise ValueError(
            f"theta must have shape (n_rounds, n_params) or (n_rounds,); got {theta.shape}."
        )
    if x.ndim != 2:
        raise ValueError(
            f"x must have shape (n_rounds, n_features), one observation per row of theta; "
            f"got {x.shape}."
        )
    if len(theta) != len(x):
        raise ValueError(
            f"theta and x must have the same number of rows (one simulation each); "
            f"got {len(theta)} and {len(x)}."
        )
    if len(theta) < 2:
        raise ValueError(f"Calibration needs at least 2 simulations; got {len(theta)}.")
    return check_finite(theta, "theta"), check_finite(x, "x")


def _validate_levels(levels: Any) -> np.ndarray:
    levels = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    if levels.ndim != 1 or len(levels) == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(
            f"levels must be a non-empty sequence of credibility levels in (0, 1). "
            f"Got {levels!r} instead."
        )
    return levels


def _names(given: Any, from_posterior: list[str] | None, n_params: int) -> list[str]:
    names = given if given is not None else from_posterior
    return list(check_param_names(names, n_params, "run_calibration"))


# ------------------------------------------------------------------------ run
MIN_CALIBRATION_ROUNDS = 10
"""Fewest held-out simulations :func:`run_calibration` accepts (TARP needs n // 10 >= 1 bins)."""


def run_calibration(
    posterior: Any,
    theta: Any,
    x: Any,
    *,
    n_posterior_samples: int = 1000,
    levels: Sequence[float] = (0.5, 0.68, 0.9, 0.95),
    param_names: Sequence[str] | None = None,
    c2st: bool = True,
    random_state: Any = None,
    verbose: int = 0,
) -> CalibrationReport:
    """Check that a posterior's credible regions cover the truth as often as claimed.

    Draws ``n_posterior_samples`` from the posterior of every ``x_i`` once; SBC
    (sbi ``run_sbc``/``check_sbc``), TARP (sbi ``run_tarp``/``check_tarp``) and the
    HPD coverage all judge those same draws. The HPD coverage ranks
    ``log q(theta_i | x_i)`` among ``log q(draws | x_i)``, so the posterior density
    only needs to be known up to a constant per observation.

    Parameters
    ----------
    posterior : PosteriorEstimator, Pipeline, sbi posterior or posterior-like
        A fitted :class:`~crsbi.inference.PosteriorEstimator`; a
        :class:`~sklearn.pipeline.Pipeline` ending in one (``x`` goes through the
        earlier steps); an sbi posterior with ``sample_batched`` and
        ``log_prob_batched``; or any object with the crsbi posterior protocol, called
        once per observation ``x`` of shape (n_features,): ``sample(x, n_samples)``
        returning shape (n_samples, n_params) and ``log_prob(theta, x)`` returning
        the log density (up to a constant) of the rows of ``theta`` (m, n_params) as
        shape (m,), e.g. an MCMC posterior.
    theta : array-like of shape (n_rounds, n_params) or (n_rounds,)
        True parameters, drawn from the prior the posterior was trained with (and
        not used for training); at least ``MIN_CALIBRATION_ROUNDS`` (10), a few
        hundred give meaningful tests.
    x : array-like of shape (n_rounds, n_features)
        Observations simulated from ``theta``.
    n_posterior_samples : int, default=1000
        Posterior draws per simulation, >= 2.
    levels : sequence of float, default=(0.5, 0.68, 0.9, 0.95)
        Credibility levels in (0, 1) at which HPD coverage is reported.
    param_names : sequence of str or None
        Parameter names; defaults to the estimator's ``param_names_`` or
        ``theta_0, theta_1, ...``.
    c2st : bool, default=True
        Also run sbi's classifier two-sample tests (random forests; about a second
        per parameter). ``False`` computes only the KS p-values of the SBC ranks.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the posterior draws and TARP's reference points.
    verbose : int, default=0
        ``1`` shows sbi's progress bars.

    Returns
    -------
    CalibrationReport
        Ranks, coverages, p-values and a verdict (:meth:`CalibrationReport.is_calibrated`).

    Raises
    ------
    PosteriorSamplingError
        When the posterior of some ``x_i`` cannot be sampled inside the prior support
        within the budget (the message names ``i``, the acceptance rate and remedies):
        a :class:`~crsbi.inference.PosteriorEstimator`'s own ``min_acceptance_rate``
        and ``max_sampling_time``; for an sbi direct posterior, an acceptance-rate
        floor of 1e-3. For simulations drawn from the prior this signals a badly
        trained posterior.

    Examples
    --------
    A posterior that knows the answer: the exact Gaussian posterior of
    ``x = theta + N(0, 0.1^2)`` under a wide prior.

    >>> import numpy as np
    >>> from crsbi.inference import run_calibration
    >>> class Exact:
    ...     rng = np.random.default_rng(0)
    ...     def sample(self, x, n_samples):
    ...         return x + 0.1 * self.rng.normal(size=(n_samples, len(x)))
    ...     def log_prob(self, theta, x):
    ...         return -0.5 * (((theta - x) / 0.1) ** 2).sum(axis=-1)
    >>> rng = np.random.default_rng(1)
    >>> theta = rng.uniform(-1, 1, size=(200, 2))
    >>> x = theta + 0.1 * rng.normal(size=theta.shape)
    >>> report = run_calibration(Exact(), theta, x, n_posterior_samples=500,
    ...                          c2st=False, random_state=0)
    >>> report.passed
    True
    >>> bool(np.all(np.abs(report.hpd_coverage - report.levels) < 0.1))
    True
    """
    from crsbi.inference._sbi import (
        check_sbc,
        check_tarp,
        check_uniformity_frequentist,
        run_sbc,
        run_tarp,
    )

    check_interval(n_posterior_samples, "n_posterior_samples", "run_calibration", kind=int, low=2)
    check_interval(verbose, "verbose", "run_calibration", kind=int, low=0)
    theta, x = _validate_inputs(theta, x)
    levels = _validate_levels(levels)
    adapter = _resolve_posterior(posterior)
    names = _names(param_names, adapter.param_names, theta.shape[1])
    rng = check_random_state(random_state)
    seed = torch_seed(rng)
    n_rounds, n_params = theta.shape
    n = int(n_posterior_samples)
    if n_rounds < MIN_CALIBRATION_ROUNDS:
        raise ValueError(
            f"run_calibration needs at least {MIN_CALIBRATION_ROUNDS} held-out simulations "
            f"(theta, x); got {n_rounds}. TARP bins its coverage curve in n_rounds // 10 "
            "bins and the SBC rank tests have no power below that; a few hundred give "
            "meaningful tests."
        )

    draws = adapter.sample(x, n, seed)
    if draws.shape != (n_rounds, n, n_params):
        raise ValueError(
            f"The posterior returned draws of shape {draws.shape}; expected "
            f"(n_rounds, n_posterior_samples, n_params) = ({n_rounds}, {n}, {n_params})."
        )
    check_finite(draws, "posterior draws")
    theta_t = torch.as_tensor(theta, dtype=torch.float32)
    x_t = torch.as_tensor(x, dtype=torch.float32)
    stand_in = _DrawnSamples(torch.as_tensor(draws, dtype=torch.float32).transpose(0, 1))
    progress = verbose > 0

    with seeded_torch(seed):
        ranks, dap = run_sbc(
            theta_t, x_t, stand_in, num_posterior_samples=n, show_progress_bar=progress
        )
        if c2st:
            sbc = check_sbc(ranks, theta_t, dap, num_posterior_samples=n)
            ks = sbc["ks_pvals"]
            c2st_ranks = np.asarray(sbc["c2st_ranks"], dtype=float)
            dap_c2st = np.asarray(sbc["c2st_dap"], dtype=float)
        else:
            ks = check_uniformity_frequentist(ranks, n)
            c2st_ranks = dap_c2st = None
        ecp, alpha = run_tarp(
            theta_t, x_t, stand_in, num_posterior_samples=n, show_progress_bar=progress
        )
        with warnings.catch_warnings():
            # scipy falls back to the asymptotic KS distribution for tied curve values
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
            atc, tarp_ks = check_tarp(ecp, alpha)

    log_q_draws = adapter.log_prob(draws, x, seed)
    log_q_true = adapter.log_prob(theta[:, None, :], x, seed)[:, 0]
    # fraction of draws denser than the truth = credibility of the smallest HPD region
    # that contains it; ties (measure zero for a continuous posterior) count half
    denser = (log_q_draws > log_q_true[:, None]).sum(axis=1)
    ties = (log_q_draws == log_q_true[:, None]).sum(axis=1)
    credibility = (denser + 0.5 * ties) / n
    coverage = (credibility[None, :] <= levels[:, None]).mean(axis=1)

    return CalibrationReport(
        param_names=names,
        n_rounds=n_rounds,
        n_posterior_samples=n,
        sbc_ranks=np.asarray(ranks, dtype=float),
        sbc_ks_pvalues=np.asarray(ks, dtype=float),
        sbc_c2st_ranks=c2st_ranks,
        dap_c2st=dap_c2st,
        tarp_alpha=np.asarray(alpha, dtype=float),
        tarp_ecp=np.asarray(ecp, dtype=float),
        tarp_atc=float(atc),
        tarp_ks_pvalue=float(tarp_ks),
        hpd_credibility=credibility,
        levels=levels,
        hpd_coverage=coverage,
        hpd_ks_pvalue=float(stats.kstest(credibility, "uniform").pvalue),
    )
