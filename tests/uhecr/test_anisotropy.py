"""AnisotropyTest (HEALPix CNN): calibrated level, limits of the power, p-values, validation."""

import pickle

import numpy as np
import pytest
from conftest import P_4SIGMA
from scipy import stats

from crsbi.uhecr.anisotropy import AnisotropyTest
from crsbi.uhecr.sky import simulate_sky_maps

NSIDE = 4
N_EVENTS = 100
SIM = {"nside": NSIDE, "n_channels": 2, "channel_width": 0.2, "composition": "mixed"}
TINY_CNN = {"channels": (4, 8), "head_hidden": (8,)}


def make_test(**overrides):
    params = {
        "module_kwargs": TINY_CNN,
        "lr": 1e-2,
        "max_epochs": 10,
        "batch_size": 64,
        "patience": 5,
        "device": "cpu",
        "random_state": 0,
        "verbose": 0,
    }
    params.update(overrides)
    return AnisotropyTest(**params)


@pytest.fixture(scope="module")
def fitted():
    """A small CNN trained on CenA maps with N = 100 events, calibrated on 999 null maps."""
    return make_test().fit_simulated(
        "CenA", N_EVENTS, (0.3, 0.5), n_maps=200, n_calibration=999, simulator_kwargs=SIM
    )


def maps(n, fraction, seed):
    return simulate_sky_maps(
        n, n_events=N_EVENTS, source="CenA", fraction=fraction, random_state=seed, **SIM
    )


def test_false_positive_rate_and_p_values_on_fresh_null_maps(fitted):
    """Threshold from 999 null maps at alpha = 0.01: the conditional FPR is Beta(10, 990), so
    the number of rejections among fresh null maps is beta-binomial; p-values are uniform."""
    fresh = maps(3000, 0.0, seed=101)
    n_reject = int(np.sum(fitted.predict(fresh) == 1))
    law = stats.betabinom(len(fresh), 10, 990)
    assert 2 * min(law.cdf(n_reject), law.sf(n_reject - 1)) > P_4SIGMA
    p = fitted.p_value(fresh)
    # The p-values of fresh maps are uniform only on average over calibrations: given the
    # 999 null maps they follow the empirical null CDF, so a one-sample KS of p against
    # U(0, 1) over-rejects (numpy model of 999 + 3000 normal statistics: KS p < 1e-3 in 28 %
    # of 2000 calibrations). The exact statement is a two-sample one: the fresh statistics
    # and the calibration statistics come from the same null law.
    ks = stats.ks_2samp(fitted.statistic(fresh), fitted.null_statistics_)
    assert ks.pvalue > P_4SIGMA
    assert p.min() >= 1 / 1000
    np.testing.assert_array_equal(p <= 0.01, fitted.predict(fresh) == 1)


def test_power_limits(fitted):
    # eta = 1: every event from the source, the map is nothing like isotropy
    assert fitted.power(maps(100, 1.0, seed=102)) >= 0.99
    # eta = 0: source maps are isotropic maps, power = alpha within binomial error, the
    # calibration's own randomness included (beta-binomial law, as above)
    k = round(fitted.power(maps(2000, 0.0, seed=103)) * 2000)
    law = stats.betabinom(2000, 10, 990)
    assert 2 * min(law.cdf(k), law.sf(k - 1)) > P_4SIGMA


def test_score_is_power_and_proba_consistent(fitted):
    X = np.concatenate([maps(100, 0.0, seed=104), maps(100, 1.0, seed=105)])
    y = np.repeat([0, 1], 100)
    assert fitted.score(X, y) == pytest.approx(fitted.power(X[100:]))
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(proba.argmax(axis=1), fitted.predict(X))
    np.testing.assert_allclose(fitted.decision_function(X), fitted.statistic(X) - fitted.threshold_)


def test_minimal_fraction_result(fitted):
    result = fitted.minimal_fraction(n_maps=60, random_state=0)
    assert result.source == "CenA" and result.n_events == N_EVENTS
    assert 0 < result.eta < 1 and 0 < result.eta_err < result.eta
    assert np.all(np.diff(result.fractions) > 0)
    # measured power at the largest fraction tried is high, at the smallest low
    assert result.power[-1] > result.power[0]
    assert result.power_curve(result.eta) == pytest.approx(0.95, abs=1e-6)


def test_flat_form_same_as_maps_and_pickle(fitted):
    X = maps(20, 0.3, seed=106)
    np.testing.assert_allclose(fitted.statistic(X), fitted.statistic(X.reshape(20, -1)), rtol=1e-6)
    clone = pickle.loads(pickle.dumps(fitted))  # noqa: S301 - our own object
    np.testing.assert_array_equal(clone.statistic(X), fitted.statistic(X))


def test_same_seed_same_result():
    X = np.concatenate([maps(40, 0.0, seed=1), maps(40, 1.0, seed=2)])
    y = np.repeat([0, 1], 40)
    a = make_test(max_epochs=2).fit(X, y)
    b = make_test(max_epochs=2).fit(X, y)
    np.testing.assert_array_equal(a.statistic(X), b.statistic(X))


def test_fresh_maps_renew_the_training_set_every_epoch():
    simulated = []

    def counting_simulator(n_maps, **kwargs):
        simulated.append(n_maps)
        return simulate_sky_maps(n_maps, **kwargs)

    def fit(**kwargs):
        simulated.clear()
        test = make_test(max_epochs=3, patience=None).fit_simulated(
            "CenA",
            N_EVENTS,
            (0.3, 0.5),
            n_maps=40,
            n_calibration=99,
            simulator=counting_simulator,
            simulator_kwargs=SIM,
            **kwargs,
        )
        return test, sum(simulated)

    fresh, n_fresh = fit(fresh_maps=True)
    static, n_static = fit()
    assert n_static == 2 * 40 + 99
    assert n_fresh == 3 * (2 * 40) + 99  # a new training set for epochs 2 and 3
    X = maps(30, 0.5, seed=4)
    again, _ = fit(fresh_maps=True)
    np.testing.assert_array_equal(fresh.statistic(X), again.statistic(X))
    assert not np.array_equal(fresh.statistic(X), static.statistic(X))


def test_fresh_maps_need_a_test_trained_over_epochs():
    from crsbi.uhecr.statistics import PowerSpectrumTest

    with pytest.raises(ValueError, match="fitted in one pass"):
        PowerSpectrumTest().fit_simulated(
            "CenA", 50, 0.5, n_maps=4, n_calibration=9, simulator_kwargs=SIM, fresh_maps=True
        )


def test_bad_input_errors():
    X = maps(10, 0.0, seed=3)
    y = np.repeat([0, 1], 5)
    with pytest.raises(ValueError, match="HEALPix"):
        make_test().fit(X[:, :, :100], y)
    bad = X.copy()
    bad[0, 1, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make_test().fit(bad, y)
    with pytest.raises(ValueError, match="binary"):
        make_test().fit(X, np.arange(10) % 3)
    with pytest.raises(ValueError, match="n_channels"):
        make_test(n_channels=5).fit(X.reshape(10, -1), y)
    with pytest.raises(ValueError, match="alpha"):
        make_test(alpha=1.5).fit(X, y)
    fitted_test = make_test(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="as in fit"):
        fitted_test.statistic(X[:, :1])
    with pytest.raises(ValueError, match="at least"):
        fitted_test.calibrate(X, alpha=0.01)
    with pytest.raises(ValueError, match="fraction"):
        make_test().fit_simulated("CenA", 50, 1.5, n_maps=4, simulator_kwargs=SIM)


def test_plots(fitted):
    import matplotlib.pyplot as plt

    from crsbi.uhecr.plotting import plot_power_curves, plot_test_statistic

    source = fitted.statistic(maps(50, 0.5, seed=107))
    ax = plot_test_statistic(fitted, source)
    assert ax.get_lines()[0].get_xdata()[0] == pytest.approx(fitted.threshold_)
    result = fitted.minimal_fraction(fractions=[0.1, 0.3, 0.6], n_maps=30, random_state=1)
    ax = plot_power_curves({"CNN": result})
    assert len(ax.get_legend().get_texts()) == 2
    plt.close("all")
    with pytest.raises(ValueError, match="at least one"):
        plot_test_statistic([], source)


def test_minimal_fraction_search_survives_power_lost_far_from_training():
    # a z-test whose power Phi(40 eta - z_alpha) collapses to 0 above eta = 0.5, as a CNN
    # trained at small eta can do at eta = 1: the search must still find the true crossing
    from crsbi.uhecr._minimal_fraction import find_minimal_fraction

    z_alpha, z_beta = stats.norm.isf(0.01), stats.norm.isf(0.05)

    def rejections(eta, n, rng):
        shift = 40 * eta if eta <= 0.5 else -10.0
        return int(np.sum(rng.normal(shift, 1, n) > z_alpha))

    result = find_minimal_fraction(rejections, alpha=0.01, n_maps=200, random_state=0)
    exact = (z_alpha + z_beta) / 40
    # 40 seeds: (eta - exact) / eta_err = -0.14 +- 1.01, largest |.| 2.2: eta_err is honest
    assert abs(result.eta - exact) < 4 * result.eta_err + 1e-3
    # a test with no power at all is reported undetectable (nan), not a spurious eta
    never = find_minimal_fraction(lambda eta, n, rng: 0, alpha=0.01, n_maps=40, random_state=0)
    assert np.isnan(never.eta)
    assert never.fractions.min() < 0.01
