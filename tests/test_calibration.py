"""Calibration diagnostics against posteriors whose calibration is known analytically.

The model is ``x = theta + N(0, s^2 I)`` in two dimensions with a wide prior, so the
exact posterior is ``N(x, s^2 I)``. A posterior that shifts, shrinks or widens it
has coverages that follow from the chi-square distribution; the tests compare the
report with those numbers, not with earlier output.
"""

import dataclasses

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy import stats
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crsbi.inference import CalibrationReport, PosteriorEstimator, run_calibration
from crsbi.plotting import plot_coverage, plot_sbc_ranks
from crsbi.simulators import simulate_gaussian_linear

NOISE = 0.1
N_ROUNDS = 400
N_DRAWS = 500

pytestmark = pytest.mark.filterwarnings("ignore:Maximum number of epochs:UserWarning")


class GaussianPosterior:
    """``N(x + shift * s, (scale * s)^2 I)``: exact for shift=0, scale=1."""

    def __init__(self, shift=0.0, scale=1.0, seed=0):
        self.shift = np.asarray(shift, dtype=float)
        self.scale = scale
        self.rng = np.random.default_rng(seed)

    def sample(self, x, n_samples):
        noise = self.rng.normal(size=(n_samples, len(x)))
        return x + self.shift * NOISE + self.scale * NOISE * noise

    def log_prob(self, theta, x):
        center = x + self.shift * NOISE
        return stats.norm.logpdf(theta, center, self.scale * NOISE).sum(axis=-1)


@pytest.fixture(scope="module")
def simulations():
    rng = np.random.default_rng(2024)
    theta = rng.uniform(-1, 1, size=(N_ROUNDS, 2))
    return theta, simulate_gaussian_linear(theta, noise_std=NOISE, random_state=rng)


def report_for(posterior, simulations, **kwargs):
    theta, x = simulations
    kwargs = {"n_posterior_samples": N_DRAWS, "c2st": False, "random_state": 0, **kwargs}
    return run_calibration(posterior, theta, x, **kwargs)


def chi2_coverage(levels, scale):
    """Coverage of HPD regions of N(m, (scale s)^2 I) for truths from N(m, s^2 I), 2-D."""
    radius2 = stats.chi2.ppf(levels, df=2) * scale**2
    return stats.chi2.cdf(radius2, df=2)


# --------------------------------------------------------------- statistics
def test_exact_posterior_is_calibrated(simulations):
    report = report_for(GaussianPosterior(), simulations)
    assert report.passed and report.is_calibrated(alpha=0.05)
    assert np.all(report.sbc_ks_pvalues > 0.01)
    # 400 rounds: s.e. of a coverage <= 0.025; 3 s.e. + 1/N_DRAWS discreteness
    tolerance = 3 * report.hpd_coverage_stderr + 1 / N_DRAWS
    assert np.all(np.abs(report.hpd_coverage - report.levels) < tolerance)
    assert abs(report.tarp_atc) < 0.05
    # uniform ranks: mean rank / n_draws = 0.5 within 3 s.e. (1 / sqrt(12 N))
    assert np.all(np.abs(report.sbc_ranks.mean(0) / N_DRAWS - 0.5) < 3 / np.sqrt(12 * N_ROUNDS))


def test_shifted_posterior_is_flagged(simulations):
    report = report_for(GaussianPosterior(shift=[1.0, 0.0]), simulations)
    assert not report.passed
    assert "SBC theta_0" in report.failed_tests()
    assert report.sbc_ks_pvalues[0] < 1e-6
    # rank / n = P(draw < truth) with draw ~ N(truth' + s, s^2): mean Phi(-1/sqrt(2))
    expected = stats.norm.cdf(-1 / np.sqrt(2))
    assert abs(report.sbc_ranks[:, 0].mean() / N_DRAWS - expected) < 0.04
    # the unshifted parameter stays calibrated
    assert report.sbc_ks_pvalues[1] > 0.01


@pytest.mark.parametrize(("scale", "sign"), [(0.5, -1), (2.0, 1)])
def test_wrong_width_is_flagged_with_the_chi2_coverage(simulations, scale, sign):
    report = report_for(GaussianPosterior(scale=scale), simulations)
    assert not report.passed
    assert report.hpd_ks_pvalue < 1e-6
    # coverage of the wrong-width HPD regions follows from the chi-square law
    expected = chi2_coverage(report.levels, scale)
    np.testing.assert_allclose(report.hpd_coverage, expected, atol=0.07)
    # overconfident (too narrow): ATC < 0; underconfident (too wide): ATC > 0
    assert np.sign(report.tarp_atc) == sign and abs(report.tarp_atc) > 0.02
    # SBC sees it too: U-shaped (narrow) or peaked (wide) ranks
    assert np.all(report.sbc_ks_pvalues < 1e-3)


def test_c2st_near_chance_for_the_exact_posterior(simulations):
    report = report_for(GaussianPosterior(), simulations, c2st=True)
    # random-forest accuracy on 2 x 400 indistinguishable samples: 0.5 +- ~0.03
    assert np.all(np.abs(report.sbc_c2st_ranks - 0.5) < 0.1)
    assert np.all(np.abs(report.dap_c2st - 0.5) < 0.1)


# ---------------------------------------- estimators, pipelines, sbi posteriors
@pytest.fixture(scope="module")
def small_npe():
    rng = np.random.default_rng(0)
    theta = rng.uniform(-2, 2, size=(600, 2))
    x = simulate_gaussian_linear(theta, noise_std=NOISE, random_state=rng)
    params = dict(
        prior_low=-2,
        prior_high=2,
        hidden_features=16,
        num_transforms=2,
        max_epochs=10,
        random_state=0,
        verbose=0,
    )
    return PosteriorEstimator(**params).fit(x, theta), params, (x, theta)


def test_estimator_and_its_sbi_posterior_agree(small_npe):
    estimator, _, _ = small_npe
    rng = np.random.default_rng(5)
    theta = rng.uniform(-2, 2, size=(120, 2))
    x = simulate_gaussian_linear(theta, noise_std=NOISE, random_state=rng)
    a = run_calibration(estimator, theta, x, n_posterior_samples=200, c2st=False, random_state=3)
    b = run_calibration(
        estimator.posterior_, theta, x, n_posterior_samples=200, c2st=False, random_state=3
    )
    # same seed, same batched draws: the same ranks
    np.testing.assert_array_equal(a.sbc_ranks, b.sbc_ranks)
    np.testing.assert_allclose(a.hpd_credibility, b.hpd_credibility, atol=1e-6)
    assert a.param_names == ["theta_0", "theta_1"]
    assert a.sbc_ranks.shape == (120, 2) and a.hpd_credibility.shape == (120,)
    # same random_state, same report
    again = run_calibration(
        estimator, theta, x, n_posterior_samples=200, c2st=False, random_state=3
    )
    np.testing.assert_array_equal(again.sbc_ranks, a.sbc_ranks)


def test_pipeline_transforms_observations(small_npe):
    _, params, (x, theta) = small_npe
    pipe = make_pipeline(StandardScaler(), PosteriorEstimator(**params)).fit(x, theta)
    report = run_calibration(pipe, theta[:100], x[:100], n_posterior_samples=100, c2st=False)
    assert report.sbc_ranks.shape == (100, 2)
    assert np.all(np.isfinite(report.hpd_credibility))


def test_overconfident_npe_wrapper_is_flagged(small_npe):
    estimator, _, _ = small_npe

    class Shrunk:
        """The NPE's draws pulled halfway to their mean: the same centre, half the spread."""

        def sample(self, x, n_samples):
            draws = estimator.sample(x, n_samples)
            return 0.5 * (draws + draws.mean(axis=0))

        def log_prob(self, theta, x):
            center = estimator.sample(x, 500).mean(axis=0)
            return estimator.log_prob(center + 2 * (theta - center), x) + 2 * np.log(2)

    rng = np.random.default_rng(6)
    theta = rng.uniform(-1.5, 1.5, size=(150, 2))
    x = simulate_gaussian_linear(theta, noise_std=NOISE, random_state=rng)
    honest = run_calibration(estimator, theta, x, n_posterior_samples=300, c2st=False)
    shrunk = run_calibration(Shrunk(), theta, x, n_posterior_samples=300, c2st=False)
    assert not shrunk.passed
    assert shrunk.hpd_ks_pvalue < 1e-4
    assert shrunk.tarp_atc < honest.tarp_atc
    # shrinking the spread 2x cuts the coverage of the 90 % HPD region to ~44 %
    level = list(shrunk.levels).index(0.9)
    assert shrunk.hpd_coverage[level] < honest.hpd_coverage[level] - 0.25


# ----------------------------------------------------------- report, plots
def test_report_text_and_verdict(simulations):
    good = report_for(GaussianPosterior(), simulations)
    bad = report_for(GaussianPosterior(scale=0.5), simulations)
    assert isinstance(good, CalibrationReport)
    assert set(good.p_values) == {"SBC theta_0", "SBC theta_1", "HPD coverage", "TARP"}
    text = str(bad)
    assert "| theta_0 |" in text and "| 0.9 |" in text
    assert "**not calibrated**" in text and "HPD coverage" in bad.failed_tests()
    assert "**calibrated**" in good.to_markdown()
    # Bonferroni: every one of the 4 p-values is compared with alpha / 4
    edge = dataclasses.replace(
        good, sbc_ks_pvalues=np.array([0.004, 0.5]), hpd_ks_pvalue=0.5, tarp_ks_pvalue=1.0
    )
    assert edge.is_calibrated(alpha=0.01)  # 0.004 > 0.0025
    assert not edge.is_calibrated(alpha=0.02)  # 0.004 < 0.005
    assert edge.failed_tests(alpha=0.02) == ["SBC theta_0"]
    _, curve = good.coverage_curve([0.0, 1.0])
    np.testing.assert_array_equal(curve, [0.0, 1.0])
    with pytest.raises(ValueError, match="'alpha' parameter"):
        good.is_calibrated(alpha=1.5)


def test_plots(simulations):
    report = report_for(GaussianPosterior(), simulations)
    axes = plot_sbc_ranks(report, bins=10)
    assert len(axes) == 2
    # the histogram holds every round
    heights = [p.get_height() for p in axes[0].patches if hasattr(p, "get_height")]
    assert axes[0].get_xlabel() == "rank of theta_0" and heights is not None
    ax = plot_coverage(report)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"HPD regions", "TARP"} <= set(labels)
    hpd = next(line for line in ax.get_lines() if line.get_label() == "HPD regions")
    np.testing.assert_allclose(hpd.get_ydata(), report.coverage_curve()[1])


# ------------------------------------------------------------- validation
def test_input_errors(simulations):
    theta, x = simulations
    exact = GaussianPosterior()
    with pytest.raises(ValueError, match="same number of rows"):
        run_calibration(exact, theta[:10], x[:9])
    with pytest.raises(ValueError, match=r"x must have shape \(n_rounds, n_features\)"):
        run_calibration(exact, theta[:10], x[0])
    bad = theta[:10].copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="Input theta contains NaN"):
        run_calibration(exact, bad, x[:10])
    with pytest.raises(ValueError, match="levels must be"):
        run_calibration(exact, theta[:10], x[:10], levels=(0.5, 1.0))
    with pytest.raises(ValueError, match="'n_posterior_samples' parameter"):
        run_calibration(exact, theta[:10], x[:10], n_posterior_samples=1)
    with pytest.raises(TypeError, match="posterior must be a fitted PosteriorEstimator"):
        run_calibration(object(), theta[:10], x[:10])
    with pytest.raises(ValueError, match="returned draws of shape"):
        run_calibration(GaussianPosterior(), theta[:10, :1], x[:10], n_posterior_samples=10)
