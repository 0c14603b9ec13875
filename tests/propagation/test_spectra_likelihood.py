"""Tests of the chi-square / Gaussian likelihood of the galactic model against spectra."""

import numpy as np
import pytest

from crsbi.propagation.data import Measurement, load_ams02, load_voyager1
from crsbi.propagation.galactic import force_field, simulate_galactic
from crsbi.propagation.likelihood import (
    SpectraLikelihood,
    chi2,
    gaussian_log_likelihood,
    predict_measurement,
)

THETA = np.array([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])


def _toy(quantity="C", axis="energy", modulated=True):
    return Measurement(
        quantity,
        axis,
        np.array([1.0, 10.0, 100.0]),
        np.array([2.0, 1.0, 0.5]),
        np.array([0.1, 0.2, 0.05]),
        np.array([0.0, 0.15, 0.12]),
        "toy",
        "",
        modulated=modulated,
    )


def test_chi2_and_log_likelihood_by_hand():
    m = _toy()
    model = np.array([2.2, 0.9, 0.5 + 0.13])
    # sigma = (0.1, 0.25, 0.13): residuals/sigma = (2, 0.4, 1).
    assert chi2(model, m) == pytest.approx(4 + 0.16 + 1)
    expected = -0.5 * 5.16 - np.log(np.sqrt(2 * np.pi) * np.array([0.1, 0.25, 0.13])).sum()
    assert gaussian_log_likelihood(model, m) == pytest.approx(expected)
    assert chi2([np.nan, 1, 1], m) == np.inf
    with pytest.raises(ValueError, match="shape"):
        chi2([1.0, 2.0], m)


def test_prediction_energy_axis_applies_force_field():
    s = simulate_galactic(THETA)
    m = _toy("C", "energy")
    pred = predict_measurement(s, m, phi=0.5)
    by_hand = sum(
        force_field(m.x, s.energy_lis, s.isotope_lis[i], 0.5, z, a)
        for i, (z, a) in enumerate(zip(s.charges, s.mass_numbers, strict=True))
        if z == 6
    )
    np.testing.assert_allclose(pred, by_hand, rtol=1e-12)
    # An interstellar measurement ignores phi.
    lis = predict_measurement(s, _toy("C", "energy", modulated=False), phi=0.5)
    np.testing.assert_allclose(lis, predict_measurement(s, m, phi=0.0), rtol=1e-12)


def test_prediction_rigidity_axis_is_jacobian_of_energy_axis():
    # For a single-isotope element (O is 16O only) J(R) = J(T) dT/dR, dT/dR = (Z/A) beta.
    s = simulate_galactic(THETA)
    r = np.array([3.0, 30.0, 300.0])
    m_r = Measurement("O", "rigidity", r, np.ones(3), np.ones(3), np.zeros(3), "toy", "")
    p = r / 2.0
    t = np.sqrt(p**2 + 0.9315**2) - 0.9315
    beta = p / (t + 0.9315)
    m_t = Measurement("O", "energy", t, np.ones(3), np.ones(3), np.zeros(3), "toy", "")
    np.testing.assert_allclose(
        predict_measurement(s, m_r, 0.6), predict_measurement(s, m_t, 0.6) * beta / 2, rtol=1e-10
    )
    ratio = Measurement("B/C", "rigidity", r, np.ones(3), np.ones(3), np.zeros(3), "toy", "")
    np.testing.assert_allclose(
        predict_measurement(s, ratio, 0.6),
        s.flux_at_rigidity(r, "B", 0.6) / s.flux_at_rigidity(r, "C", 0.6),
        rtol=1e-12,
    )


def test_spectra_likelihood_on_real_data():
    bc = load_ams02("B/C").select(5, 500)
    voy = load_voyager1("B")
    like = SpectraLikelihood([bc, voy], phi=0.6, free=("q_C",))
    theta = np.r_[THETA, 1.0]
    model = like.predict(theta)
    assert model.shape == like.observed.shape
    # chi2 against its own prediction is zero; against the data it is the explicit sum.
    assert like.chi2(theta, model) == pytest.approx(0.0, abs=1e-20)
    assert like.chi2(theta) == pytest.approx(np.sum(((like.observed - model) / like.error) ** 2))
    assert like(theta) == pytest.approx(
        -0.5 * like.chi2(theta) - np.log(np.sqrt(2 * np.pi) * like.error).sum()
    )
    # Outside the prior box the log-likelihood is -inf; a wrong length is an error.
    bad = theta.copy()
    bad[0] = 100.0
    assert like(bad) == -np.inf
    with pytest.raises(ValueError, match="shape"):
        like(THETA)
    with pytest.raises(ValueError, match="free"):
        SpectraLikelihood([bc], free=("foo",))


def test_works_with_mcmc_posterior_log_prob():
    from crsbi.inference.mcmc import MCMCPosterior

    bc = load_ams02("B/C").select(10, 200)
    like = SpectraLikelihood([bc], phi=0.6)
    post = MCMCPosterior(like, low=like.low, high=like.high, random_state=0, verbose=0)
    lp = post.log_prob(np.vstack([THETA, THETA]), like.observed)
    assert lp.shape == (2,) and np.all(np.isfinite(lp))


def _correlated_toy():
    x = np.geomspace(2.0, 800.0, 12)
    return Measurement(
        "B/C", "rigidity", x, 0.3 * x**-0.4, 0.01 * 0.3 * x**-0.4, 0.03 * 0.3 * x**-0.4,
        "toy", "",
    )  # fmt: skip


def test_correlated_systematics_give_the_multivariate_normal_density():
    from scipy.stats import multivariate_normal

    m = _correlated_toy()
    like = SpectraLikelihood([m, _toy()], sys_correlation_length=0.5)
    # the covariance written out from its definition, measurement by measurement
    cov = np.zeros((15, 15))
    for part, meas in ((slice(0, 12), m), (slice(12, 15), _toy())):
        lx = np.log10(meas.x)
        kernel = np.exp(-0.5 * (lx[:, None] - lx[None, :]) ** 2 / 0.5**2)
        cov[part, part] = np.diag(meas.stat**2) + np.outer(meas.sys, meas.sys) * kernel
    np.testing.assert_allclose(like.covariance, cov, rtol=1e-12)
    model = like.predict(THETA)
    expected = multivariate_normal(model, cov).logpdf(like.observed)
    assert like(THETA) == pytest.approx(expected, rel=1e-6)
    r = like.observed - model
    assert like.chi2(THETA) == pytest.approx(r @ np.linalg.solve(cov, r), rel=1e-6)


def test_short_correlation_length_is_the_independent_likelihood():
    m = _correlated_toy()
    independent = SpectraLikelihood([m])
    short = SpectraLikelihood([m], sys_correlation_length=1e-4)  # bins 0.2 decades apart
    assert short(THETA) == pytest.approx(independent(THETA), rel=1e-9)
    np.testing.assert_allclose(independent.covariance, np.diag(m.error**2))


def test_noise_draws_have_the_likelihood_covariance():
    like = SpectraLikelihood([_correlated_toy()], sys_correlation_length=0.3)
    draws = like.sample_noise(40000, random_state=0)
    assert draws.shape == (40000, 12)
    scale = np.sqrt(np.diag(like.covariance))
    empirical = np.cov(draws.T) / np.outer(scale, scale)
    np.testing.assert_allclose(empirical, like.covariance / np.outer(scale, scale), atol=0.03)
    flat = SpectraLikelihood([_correlated_toy()]).sample_noise(40000, random_state=0)
    np.testing.assert_allclose(flat.std(axis=0), _correlated_toy().error, rtol=0.03)
    np.testing.assert_array_equal(like.sample_noise(3, random_state=1),
                                  like.sample_noise(3, random_state=1))  # fmt: skip


@pytest.mark.parametrize("length", [0.0, -1.0, np.nan, np.inf])
def test_bad_correlation_length_is_rejected(length):
    with pytest.raises(ValueError, match="sys_correlation_length"):
        SpectraLikelihood([_correlated_toy()], sys_correlation_length=length)


def test_diffusion_break_parameters_can_be_free():
    bc = load_ams02("B/C").select(5, 2000)
    like = SpectraLikelihood([bc], phi=0.6, free=("break_rigidity", "break_delta"))
    assert like.names[-2:] == ("break_rigidity", "break_delta")
    theta = np.r_[THETA, 250.0, 0.15]
    fixed = SpectraLikelihood([bc], phi=0.6, break_rigidity=250.0, break_delta=0.15)
    np.testing.assert_array_equal(like.predict(theta), fixed.predict(THETA))
    # above the break the model B/C lies above the unbroken one, below it hardly moves
    plain = SpectraLikelihood([bc], phi=0.6).predict(THETA)
    above, below = bc.x > 800.0, bc.x < 20.0
    assert np.all(like.predict(theta)[above] > plain[above])
    np.testing.assert_allclose(like.predict(theta)[below], plain[below], rtol=2e-3)
    with pytest.raises(ValueError, match="needs a diffusion break"):
        SpectraLikelihood([bc], free=("break_delta",))
    SpectraLikelihood([bc], free=("break_delta",), break_rigidity=300.0)  # fixed R_b is fine


def test_break_model_is_one_keyword_away():
    bc = load_ams02("B/C").select(5, 2000)
    like = SpectraLikelihood([bc], model="break", free=("phi",))
    assert like.names[-3:] == ("break_rigidity", "break_delta", "phi")
    assert (like.low[-3:].tolist(), like.high[-3:].tolist()) == (
        [50.0, 0.01, 0.0],
        [2000.0, 0.6, 1.5],
    )
    same = SpectraLikelihood([bc], free=("break_rigidity", "break_delta", "phi"))
    theta = np.r_[THETA, 250.0, 0.15, 0.6]
    assert like.chi2(theta) == same.chi2(theta)
    with pytest.raises(ValueError, match="already parameters of model='break'"):
        SpectraLikelihood([bc], model="break", free=("break_delta",))
    with pytest.raises(ValueError, match=r"shape \(13,\)"):
        like.predict(np.r_[THETA, 0.6])


@pytest.mark.parametrize(
    ("axis", "x", "match"),
    [
        ("rigidity", [10.0, 5e6], "outside the simulator's grid"),  # ~2.5e6 GeV/n
        ("energy", [5e-4, 1.0], "outside the simulator's grid"),
        ("energy", [1.0, 2e5], "outside the simulator's grid"),  # the grid ends at 1.1e5
    ],
)
def test_measurements_outside_the_energy_grid_are_rejected(axis, x, match):
    x = np.array(x)
    m = Measurement("B/C", axis, x, np.full(2, 0.1), np.full(2, 0.01), np.zeros(2), "toy", "")
    with pytest.raises(ValueError, match=match):
        SpectraLikelihood([m], phi=1.0)
    with pytest.raises(ValueError, match="elements"):
        SpectraLikelihood(
            [Measurement("Fe", "energy", x[:1] * 0 + 10, *[np.ones(1)] * 3, "toy", "")]
        )


def test_real_measurements_lie_inside_the_grid():
    # every AMS-02 and Voyager 1 data set of the package builds, with phi free
    from crsbi.propagation.data import AMS02_QUANTITIES

    simulated = ("Li", "Be", "B", "C", "N", "O")
    sets = [load_ams02(q) for q in AMS02_QUANTITIES if set(q.split("/")) <= set(simulated)]
    sets += [load_ams02(q, "energy") for q in ("Li", "Be", "B", "C", "O", "B/C")]
    sets += [load_voyager1(el) for el in ("Li", "Be", "B", "C", "N", "O")]
    assert len(SpectraLikelihood(sets, free=("phi",)).observed) > 300


def test_low_rigidity_break_can_be_free():
    bc = load_ams02("B/C").select(2, 2000)
    free = ("low_break_rigidity", "low_break_slope")
    like = SpectraLikelihood([bc], model="break", phi=0.6, free=free)
    theta = np.r_[THETA, 250.0, 0.15, 4.0, -0.3]
    fixed = SpectraLikelihood(
        [bc], phi=0.6, break_rigidity=250.0, break_delta=0.15, low_break_rigidity=4.0,
        low_break_slope=-0.3,
    )  # fmt: skip
    np.testing.assert_array_equal(like.predict(theta), fixed.predict(THETA))
    assert like.high[-2:].tolist() == [30.0, 1.0]
    with pytest.raises(ValueError, match="needs a low-rigidity break"):
        SpectraLikelihood([bc], free=("low_break_slope",))
