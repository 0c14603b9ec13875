import numpy as np
import pytest

from crsbi.propagation.data import load_ams02
from crsbi.propagation.likelihood import SpectraLikelihood
from crsbi.propagation.predictive import posterior_predictive

THETA = np.array([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])


def test_coverage_is_calibrated_when_model_and_errors_are_right():
    # Data drawn from the model at the true parameters with the likelihood's own noise: each
    # independent point lies in the central replicated-data band with probability = level.
    # Over 20 data sets x n points the coverage is binomial; asserted at 4.5 sd.
    like = SpectraLikelihood([load_ams02("B/C").select(5, 1000)], phi=0.6)
    samples = np.repeat(THETA[None], 400, axis=0)  # a posterior that is the truth
    truth = like.predict(THETA)
    rng = np.random.default_rng(1)
    inside = {0.68: [], 0.95: []}
    for data in truth + like.sample_noise(20, random_state=rng):
        like.observed = data
        check = posterior_predictive(like, samples, n_draws=400, random_state=rng)
        for level in inside:
            low, high = check.data_bands[level]
            inside[level].append((data >= low) & (data <= high))
    for level, hits in inside.items():
        hits = np.concatenate(hits)
        sd = np.sqrt(level * (1 - level) / hits.size)
        assert abs(hits.mean() - level) < 4.5 * sd + 400**-1  # + quantile error of 400 draws
    # a point posterior gives a zero-width model band and chi2/point ~ 1 against noisy data
    assert np.allclose(check.model_bands[0.95][0], check.model_bands[0.95][1])
    assert check.chi2_per_point == pytest.approx(
        np.mean(((check.observed - truth) / check.error) ** 2)
    )


def test_wrong_model_is_seen_in_coverage_and_chi2():
    bc = load_ams02("B/C").select(5, 1000)
    like = SpectraLikelihood([bc], phi=0.6)
    like.observed = like.predict(THETA) * 1.3  # 30 % off, far beyond the ~3-5 % errors
    check = posterior_predictive(like, THETA[None], random_state=0)
    assert check.coverage[0.95] < 0.2
    assert check.chi2_per_point > 10


def test_bad_samples_raise():
    like = SpectraLikelihood([load_ams02("B/C").select(5, 100)], phi=0.6, free=("q_C",))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 11\)"):
        posterior_predictive(like, THETA[None])
    with pytest.raises(ValueError, match="outside the likelihood's prior box"):
        posterior_predictive(like, np.r_[THETA, 50.0][None])
    with pytest.raises(ValueError, match=r"NaN|finite"):
        posterior_predictive(like, np.r_[THETA, np.nan][None])
    with pytest.raises(ValueError, match="levels"):
        posterior_predictive(like, np.r_[THETA, 1.0][None], levels=(1.2,))
    with pytest.raises(TypeError, match="SpectraLikelihood"):
        posterior_predictive(object(), THETA[None])


def test_plot_predictive_draws_bands_and_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.propagation.plotting import plot_predictive

    bc = load_ams02("B/C").select(5, 100)
    like = SpectraLikelihood([bc], phi=0.6)
    check = posterior_predictive(like, THETA[None], random_state=0)
    ax = plot_predictive(check, like)
    assert len(ax.collections) >= 2  # two bands (+ error bars)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), check.median)  # a ratio: unscaled
    with pytest.raises(ValueError, match="index"):
        plot_predictive(check, like, 1)
    plt.close("all")
