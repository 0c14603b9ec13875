import numpy as np
import pytest

from crsbi.propagation.data import load_ams02
from crsbi.propagation.likelihood import SpectraLikelihood
from crsbi.propagation.predictive import posterior_predictive

THETA = np.array([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])


@pytest.mark.slow
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


def test_bands_at_measured_points_are_the_predictive_check_model():
    from crsbi.propagation.predictive import predictive_bands

    bc = load_ams02("B/C").select(5, 1000)
    like = SpectraLikelihood([bc], free=("phi",))
    rng = np.random.default_rng(3)
    samples = np.c_[np.repeat(THETA[None], 5, axis=0), rng.uniform(0.3, 0.9, 5)]
    samples[:, 1] = rng.uniform(0.4, 0.5, 5)  # delta varies: a band of non-zero width
    bands = predictive_bands(like, samples, "B/C", bc.x, n_draws=5)
    check = posterior_predictive(like, samples, n_draws=5, random_state=0)
    np.testing.assert_allclose(bands.model, check.model, rtol=1e-12)  # same draws, same order
    low, high = bands.bands[0.95]
    assert np.all(low <= bands.median) and np.all(bands.median <= high)
    assert np.all(high - low > 0)


def test_high_rigidity_bc_slope_is_minus_delta_and_hardens_by_the_break():
    # Pure diffusion (v_A = 0) far above the spallation regime: B/C ~ X_esc ~ 1/D ~ R^-delta,
    # and above a diffusion break D ~ R^(delta - Delta). Spallation losses (X_esc sigma/m ~ 3 %
    # at 10 TV) make the slope a few hundredths shallower; they cancel in the difference.
    from crsbi.propagation.predictive import predictive_bands

    x = np.geomspace(3e3, 3e4, 12)
    delta, jump = 0.45, 0.15
    theta = np.r_[THETA[:3], 0.0, THETA[4:]]
    power = predictive_bands(SpectraLikelihood([load_ams02("B/C")]), theta[None], "B/C", x)
    broken = predictive_bands(
        SpectraLikelihood([load_ams02("B/C")], model="break"),
        np.r_[theta, 200.0, jump][None],
        "B/C",
        x,
    )
    s_power, _ = power.slope(3e3, 3e4)
    s_broken, _ = broken.slope(3e3, 3e4)
    assert s_power == pytest.approx(-delta, abs=0.02)
    assert s_broken == pytest.approx(-(delta - jump), abs=0.02)
    assert s_broken - s_power == pytest.approx(jump, abs=0.005)
    with pytest.raises(ValueError, match="two points"):
        power.slope(1e5, 1e6)


def test_interstellar_bands_are_unmodulated_and_modulation_lowers_low_energy_flux():
    from crsbi.propagation.galactic import simulate_galactic
    from crsbi.propagation.likelihood import predict_observable
    from crsbi.propagation.predictive import predictive_bands

    like = SpectraLikelihood([load_ams02("B/C")], phi=0.7)
    e = np.geomspace(0.01, 0.3, 6)
    lis = predictive_bands(like, THETA[None], "C", e, axis="energy", modulated=False)
    near = predictive_bands(like, THETA[None], "C", e, axis="energy")
    expected = predict_observable(simulate_galactic(THETA), "C", e, "energy", phi=0.0)
    np.testing.assert_allclose(lis.median, expected, rtol=1e-12)
    assert not lis.modulated and near.modulated
    assert np.all(near.median < 0.5 * lis.median)  # phi = 0.7 GV at <= 300 MeV/n


def test_bad_observables_raise():
    from crsbi.propagation.predictive import predictive_bands

    like = SpectraLikelihood([load_ams02("B/C").select(5, 100)], phi=0.6)
    with pytest.raises(ValueError, match="does not follow"):
        predictive_bands(like, THETA[None], "He/C", [10.0])
    with pytest.raises(ValueError, match="outside the simulator's grid"):
        predictive_bands(like, THETA[None], "B/C", [10.0, 1e7])
    with pytest.raises(ValueError, match="finite values > 0"):
        predictive_bands(like, THETA[None], "B/C", [10.0, np.nan])
    with pytest.raises(ValueError, match="axis"):
        predictive_bands(like, THETA[None], "B/C", [10.0], axis="momentum")
    with pytest.raises(ValueError, match=r"shape \(n_samples, 10\)"):
        predictive_bands(like, THETA[None, :9], "B/C", [10.0])


def test_plot_predictive_bands_with_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.propagation.data import load_voyager1
    from crsbi.propagation.plotting import plot_predictive_bands
    from crsbi.propagation.predictive import predictive_bands

    like = SpectraLikelihood([load_ams02("B/C")], phi=0.6)
    voyager = load_voyager1("B")
    bands = predictive_bands(like, THETA[None], "B", voyager.x, axis="energy", modulated=False)
    ax = plot_predictive_bands(bands, voyager, power=0.0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), bands.median)
    with pytest.raises(ValueError, match="the bands are"):
        plot_predictive_bands(bands, load_ams02("B/C"))
    plt.close("all")
