"""Tests of the emcee reference posterior.

Statistical tolerances are stated where they are used; they are set from the effective
sample size (ESS) reported by arviz, so they do not depend on the chain length the
convergence loop happens to choose.
"""

import numpy as np
import pytest
from conftest import P_4SIGMA
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from crsbi.core.imports import import_arviz
from crsbi.inference.gaussian_linear import gaussian_linear_posterior, simulate_gaussian_linear
from crsbi.inference.mcmc import MCMCPosterior, sample_posterior_mcmc

az = import_arviz()

NOISE = 0.1


def gaussian_log_likelihood(matrix):
    """log N(x; A theta, NOISE^2 I) up to a constant, for theta (d,) or (n, d)."""

    def log_likelihood(theta, x):
        residual = x - theta @ matrix.T
        return -0.5 * np.sum(residual**2, axis=-1) / NOISE**2

    return log_likelihood


def identity_log_likelihood(theta, x):
    return -0.5 * np.sum((x - theta) ** 2, axis=-1) / NOISE**2


# ------------------------------------------------------------------ accuracy
def test_gaussian_linear_recovers_analytic_posterior(rng):
    n_params = 3
    matrix = rng.normal(size=(5, n_params))  # correlated posterior (|rho| up to ~0.6)
    theta_true = np.array([0.5, -1.0, 1.0])
    x = simulate_gaussian_linear(theta_true, matrix=matrix, noise_std=NOISE, random_state=rng)
    mean, cov = gaussian_linear_posterior(x, matrix=matrix, noise_std=NOISE, n_params=n_params)
    std = np.sqrt(np.diag(cov))
    # box [-3, 3]^3: every edge is > 10 posterior standard deviations from the mean
    assert np.all((3 - np.abs(mean)) / std > 10)

    posterior = MCMCPosterior(
        gaussian_log_likelihood(matrix),
        -3 * np.ones(n_params),
        3 * np.ones(n_params),
        param_names=["a", "b", "c"],
        vectorize=True,
        random_state=0,
        verbose=0,
    )
    idata = posterior.run(x)
    assert posterior.converged_
    assert posterior.n_steps_ > 50 * posterior.autocorr_time_.max()
    assert posterior.burn_in_ >= 3 * posterior.autocorr_time_.max()
    assert posterior.thin_ >= 1
    assert posterior.acceptance_fraction_.shape == (32,)
    assert 0.2 < posterior.acceptance_fraction_.mean() < 0.9

    # InferenceData: chains are walkers, named parameters, log posterior and likelihood
    assert list(idata.posterior.data_vars) == ["a", "b", "c"]
    assert idata.posterior.sizes["chain"] == 32
    n_draws = idata.posterior.sizes["draw"]
    assert posterior.samples_.shape == (32 * n_draws, n_params)
    lp = idata.sample_stats["lp"].values
    np.testing.assert_allclose(
        idata.log_likelihood["x"].values - lp, np.full_like(lp, n_params * np.log(6))
    )
    draws = np.stack([idata.posterior[name].values for name in "abc"], axis=-1)
    np.testing.assert_allclose(lp, posterior.log_prob(draws.reshape(-1, 3), x).reshape(lp.shape))

    # Split R-hat over 32 short walker chains (~50 tau each) has noise of order 0.01.
    # Spreads quoted in this test: 12 seeds (matrix, data and sampler); largest R-hat
    # 1.015 +- 0.003, smallest ESS 1790 +- 240, largest mean |error| / s.e. of the 3
    # parameters 1.1 +- 0.5 (max 2.2), of the 6 covariances 1.6 +- 0.6 (max 2.7)
    rhat = az.rhat(idata).to_array().values
    assert np.all(rhat < 1.05), rhat
    summary = az.summary(idata)
    assert list(summary.index) == ["a", "b", "c"]

    samples = posterior.samples_
    # Mean: standard error sigma / sqrt(ESS); allow 4 standard errors.
    ess_mean = az.ess(idata).to_array().values
    assert ess_mean.min() > 500
    np.testing.assert_array_less(np.abs(samples.mean(axis=0) - mean), 4 * std / np.sqrt(ess_mean))
    # Covariance: Var(sample cov_ij) = (cov_ii cov_jj + cov_ij^2) / n for Gaussian draws;
    # n is the smallest ESS of the centred squares (second moments mix more slowly).
    centred = draws - mean
    ess_second = min(float(az.ess(centred[..., i] ** 2)) for i in range(n_params))
    tolerance = 4 * np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / ess_second)
    np.testing.assert_array_less(np.abs(np.cov(samples.T) - cov), tolerance)


def test_truncated_posterior_matches_truncnorm():
    # theta_0 is centred on the upper edge of the box: a half-normal truncated at 3
    low, high = np.array([-3.0, -3.0]), np.array([3.0, 3.0])
    x = np.array([3.0, 0.2])
    posterior = MCMCPosterior(
        identity_log_likelihood, low, high, vectorize=True, random_state=1, verbose=0
    )
    idata = posterior.run(x)
    samples = posterior.samples_
    assert np.all((samples >= low) & (samples <= high))
    assert samples[:, 0].max() > 3 - 0.01  # the edge itself is reached

    truncated = stats.truncnorm(a=(low[0] - x[0]) / NOISE, b=0.0, loc=x[0], scale=NOISE)
    free = stats.norm(loc=x[1], scale=NOISE)
    ess = az.ess(idata).to_array().values
    # KS statistic against the analytic marginal; the samples are autocorrelated, so the
    # asymptotic critical value at P_4SIGMA, 2.28 / sqrt(n), is taken with n = ESS (it was
    # the 0.1 % value 1.95). 30 seeds: sqrt(ESS) D = 0.75 +- 0.26 and 0.79 +- 0.27 (max 1.43)
    critical = stats.kstwobign.isf(P_4SIGMA)
    for column, reference, n_eff in ((0, truncated, ess[0]), (1, free, ess[1])):
        statistic = stats.kstest(samples[:, column], reference.cdf).statistic
        assert statistic < critical / np.sqrt(n_eff), (column, statistic, n_eff)
    # half-normal mean 3 - sigma sqrt(2 / pi), within 5 standard errors sigma / sqrt(ESS):
    # 30 seeds: error / s.e. = 0.3 +- 1.2 (the ESS runs ~40 % high for this mean)
    half_normal_std = NOISE * np.sqrt(1 - 2 / np.pi)
    assert abs(samples[:, 0].mean() - truncated.mean()) < 5 * half_normal_std / np.sqrt(ess[0])


# --------------------------------------------------------------- determinism
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_same_seed_same_samples_and_different_seed_different():
    x = np.array([0.3, -0.4])

    def draw(random_state, vectorize=False):
        posterior = MCMCPosterior(
            identity_log_likelihood,
            [-3, -3],
            [3, 3],
            n_walkers=8,
            max_steps=300,
            vectorize=vectorize,
            random_state=random_state,
            verbose=0,
        )
        return posterior.sample(x, 200)

    first = draw(7)
    np.testing.assert_array_equal(first, draw(7))
    # the batch and per-point paths see the same random numbers
    np.testing.assert_array_equal(first, draw(7, vectorize=True))
    assert not np.array_equal(first, draw(8))
    # a Generator is accepted, and its stream decides the result
    np.testing.assert_array_equal(draw(np.random.default_rng(3)), draw(np.random.default_rng(3)))


def test_global_numpy_rng_untouched():
    state = np.random.get_state()  # noqa: NPY002
    MCMCPosterior(
        identity_log_likelihood, [-3], [3], n_walkers=4, random_state=0, verbose=0
    ).sample(np.array([0.1]), 10)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(state, np.random.get_state(), strict=True)  # noqa: NPY002
    )


# ------------------------------------------------------------ behaviour
def test_not_converged_warns_and_still_samples():
    posterior = MCMCPosterior(
        identity_log_likelihood, [-3, -3], [3, 3], max_steps=150, random_state=0, verbose=0
    )
    with pytest.warns(ConvergenceWarning, match="did not converge within max_steps=150"):
        posterior.run(np.array([0.0, 0.0]))
    assert not posterior.converged_
    assert posterior.burn_in_ <= 150 // 2
    assert posterior.sample(np.array([0.0, 0.0]), 50).shape == (50, 2)


def test_sample_reuses_run_and_extends_chain():
    posterior = MCMCPosterior(
        identity_log_likelihood, [-3], [3], n_walkers=8, vectorize=True, random_state=0, verbose=0
    )
    x = np.array([0.1])
    first = posterior.sample(x, 100)
    steps, available = posterior.n_steps_, posterior.samples_.shape[0]
    second = posterior.sample(x, 100)
    assert posterior.n_steps_ == steps  # same x: no new run
    assert not np.array_equal(first, second)  # but a fresh subset
    many = posterior.sample(x, available + 500)
    assert many.shape == (available + 500, 1)
    assert posterior.n_steps_ > steps
    assert posterior.inference_data_.posterior.sizes["draw"] * 8 == posterior.samples_.shape[0]
    assert len(np.unique(many)) == len(many)  # without replacement


@pytest.mark.parametrize("init", ["uniform", "explicit"])
def test_other_initialisations_recover_mean(init):
    x = np.array([0.4])
    start = np.linspace(-2.5, 2.5, 8)[:, None] if init == "explicit" else init
    posterior = MCMCPosterior(
        identity_log_likelihood,
        [-3],
        [3],
        n_walkers=8,
        init=start,
        vectorize=True,
        random_state=0,
        verbose=0,
    )
    idata = posterior.run(x)
    ess = float(az.ess(idata)["theta_0"])
    # 5 standard errors sigma / sqrt(ESS); 20 seeds: error / s.e. = -0.2 +- 1.0 (uniform) and
    # 0.3 +- 1.3 (explicit: 8 walkers, and the ESS runs high)
    assert abs(posterior.samples_.mean() - 0.4) < 5 * NOISE / np.sqrt(ess)


def test_log_prob_is_likelihood_plus_uniform_prior():
    posterior = MCMCPosterior(identity_log_likelihood, [-1, 0], [1, 4])
    x = np.array([0.2, 1.0])
    theta = np.array([[0.0, 1.0], [0.5, 3.9], [1.5, 1.0], [0.0, -0.1]])
    expected = identity_log_likelihood(theta, x) - np.log(2 * 4)
    expected[2:] = -np.inf
    np.testing.assert_allclose(posterior.log_prob(theta, x), expected)
    assert posterior.log_prob(theta[0], x).shape == (1,)


def test_log_likelihood_never_called_outside_box():
    def log_likelihood(theta, x):
        if np.any(np.abs(theta) > 1):
            raise AssertionError(f"called outside the box at {theta}")
        return -0.5 * np.sum((theta - x) ** 2) / NOISE**2

    posterior = MCMCPosterior(log_likelihood, [-1], [1], n_walkers=8, random_state=0, verbose=0)
    samples = posterior.sample(np.array([1.0]), 100)  # mass piled on the edge
    assert samples.max() <= 1


def test_sample_posterior_mcmc_matches_class():
    kwargs = {"n_walkers": 8, "vectorize": True, "random_state": 4, "verbose": 0}
    x = np.array([0.0])
    expected = MCMCPosterior(identity_log_likelihood, [-1], [1], **kwargs).sample(x, 50)
    got = sample_posterior_mcmc(identity_log_likelihood, x, [-1], [1], 50, **kwargs)
    np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------- input errors
def _posterior(**kwargs):
    defaults = {"log_likelihood": identity_log_likelihood, "low": [-1, -1], "high": [1, 1]}
    params = {**defaults, "verbose": 0, **kwargs}
    return MCMCPosterior(
        params.pop("log_likelihood"), params.pop("low"), params.pop("high"), **params
    )


@pytest.mark.parametrize(
    ("kwargs", "x", "error", "match"),
    [
        ({"low": [0, 1], "high": [1, 1]}, [0, 0], ValueError, r"low\[1\] = 1.0 >= high\[1\]"),
        ({"low": [-1, -1], "high": [1, 1, 1]}, [0, 0], ValueError, r"same shape \(n_params,\)"),
        ({"low": [[-1, -1]], "high": [[1, 1]]}, [0, 0], ValueError, r"shape \(n_params,\)"),
        ({"low": [-np.inf, -1]}, [0, 0], ValueError, "must be finite"),
        ({}, [0.0, np.nan], ValueError, "x contains NaN"),
        ({"log_likelihood": "not callable"}, [0, 0], TypeError, "must be a callable"),
        ({"n_walkers": 3}, [0, 0], ValueError, "'n_walkers' parameter of MCMCPosterior"),
        ({"max_steps": 0}, [0, 0], ValueError, "'max_steps'"),
        ({"init": "ball"}, [0, 0], ValueError, "'init' parameter"),
        ({"init": np.zeros((5, 2))}, [0, 0], ValueError, r"shape \(n_walkers, n_params\)"),
        ({"init": np.full((32, 2), 2.0)}, [0, 0], ValueError, "inside the box"),
        ({"param_names": ["a"]}, [0, 0], ValueError, "2 distinct names"),
        ({"param_names": ["a", "a"]}, [0, 0], ValueError, "2 distinct names"),
        ({"verbose": -1}, [0, 0], ValueError, "'verbose'"),
        (
            {"log_likelihood": lambda theta, x: np.zeros(2)},
            [0, 0],
            ValueError,
            r"must return a scalar \(shape \(\)\); got shape \(2,\)",
        ),
        (
            {"log_likelihood": lambda theta, x: np.zeros(1), "vectorize": True},
            [0, 0],
            ValueError,
            r"must return an array of shape \(32,\); got shape \(1,\)",
        ),
        (
            {"log_likelihood": lambda theta, x: np.nan},
            [0, 0],
            ValueError,
            "returned nan at theta=",
        ),
        ({"log_likelihood": lambda theta, x: None}, [0, 0], TypeError, "must return a real"),
        (
            {"log_likelihood": lambda theta, x: -np.inf},
            [0, 0],
            ValueError,
            "-inf at all 32 uniform prior draws",
        ),
    ],
)
def test_run_input_errors(kwargs, x, error, match):
    with pytest.raises(error, match=match):
        _posterior(**kwargs).run(np.array(x, dtype=float))


def test_log_prob_and_sample_input_errors():
    posterior = _posterior()
    with pytest.raises(ValueError, match=r"theta must have shape \(n_params,\) = \(2,\)"):
        posterior.log_prob(np.zeros((4, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="theta contains NaN"):
        posterior.log_prob(np.array([np.nan, 0.0]), np.zeros(2))
    with pytest.raises(ValueError, match="'n_samples'"):
        posterior.sample(np.zeros(2), 0)
