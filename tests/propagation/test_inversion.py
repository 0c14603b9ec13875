"""PropagationInverter: recovery on a toy simulator, noise, feedback loop, NPE route, errors."""

import functools

import numpy as np
import pytest
import torch

from crsbi.propagation._feedback import learning_systematics, relative_shift, sigma_fractions
from crsbi.propagation._toy import simulate_toy_spectra
from crsbi.propagation.galactic import PARAM_NAMES, PRIOR_BOUNDS
from crsbi.propagation.inverter import PropagationInverter, logcosh_loss

LOW, HIGH = np.array(list(PRIOR_BOUNDS.values())).T
MID = np.tile((LOW + HIGH) / 2, (10, 1))
SMALL = {
    "module_kwargs": {"channels": (8, 16), "hidden_size": 32},
    "lr": 3e-3,
    "max_epochs": 20,
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
}


def _draw(n, seed):
    theta = np.random.default_rng(seed).uniform(LOW, HIGH, size=(n, 10))
    return simulate_toy_spectra(theta), theta


@pytest.fixture(scope="module")
def data():
    return _draw(1000, 0)


@pytest.fixture(scope="module")
def machine_a(data):
    X, theta = data
    return PropagationInverter(**SMALL).fit(X, theta)


def test_recovers_parameters_within_reported_uncertainty(machine_a):
    X_test, theta_test = _draw(300, 1)
    pred, std = machine_a.predict(X_test, return_std=True)
    assert pred.shape == std.shape == (300, 10)
    assert np.all((pred >= LOW) & (pred <= HIGH))
    # the reported uncertainty (validation rms error) covers ~95 % at 2 sigma for Gaussian
    # errors; 300 fresh test points: require >= 84 % per parameter. 16 seeds (data and
    # network): lowest of the 10 fractions 0.910 +- 0.015 (min 0.880; 0.85 was 4.0 sd)
    inside = np.mean(np.abs(pred - theta_test) <= 2 * std, axis=0)
    assert np.all(inside >= 0.84), dict(zip(PARAM_NAMES, inside.round(2), strict=True))
    # informative, well beyond the prior: the prior's rms error is width / sqrt(6)
    # (16 seeds: largest std / that 0.68 +- 0.03; score 0.615 +- 0.013; R^2 0.976 +- 0.005)
    assert np.all(std < (HIGH - LOW) / np.sqrt(6))
    assert machine_a.score(X_test, theta_test) > 0.5
    # the spectral index above the break and delta are the best measured (R^2 > 0.9)
    w_true = machine_a.whitener_.transform(theta_test)
    w_pred = machine_a.whitener_.transform(pred)
    r2 = 1 - ((w_pred - w_true) ** 2).sum(0) / ((w_true - w_true.mean(0)) ** 2).sum(0)
    assert r2[PARAM_NAMES.index("delta")] > 0.9


def test_flat_and_3d_inputs_agree(machine_a, data):
    X, _ = data
    np.testing.assert_array_equal(machine_a.predict(X[:5]), machine_a.predict(X[:5].reshape(5, -1)))
    assert machine_a.n_features_in_ == 420 and machine_a.input_shape_ == (5, 84)


def test_noise_is_seeded_and_used(data):
    X, theta = data[0][:200], data[1][:200]
    kwargs = {**SMALL, "max_epochs": 3}
    b1 = PropagationInverter(noise=0.05, **kwargs).fit(X, theta)
    b2 = PropagationInverter(noise=0.05, **kwargs).fit(X, theta)
    a = PropagationInverter(noise=0.0, **kwargs).fit(X, theta)
    b3 = PropagationInverter(noise=0.05, **{**kwargs, "random_state": 1}).fit(X, theta)
    np.testing.assert_array_equal(b1.predict(X[:10]), b2.predict(X[:10]))
    assert not np.allclose(b1.predict(X[:10]), a.predict(X[:10]))
    assert not np.allclose(b1.predict(X[:10]), b3.predict(X[:10]))
    # fresh fluctuations in training mode only; prediction (eval mode) is deterministic
    inputs = torch.as_tensor(np.log10(X[:4]), dtype=torch.float32)
    b1.module_.train()
    assert not torch.equal(b1.module_(inputs), b1.module_(inputs))
    b1.module_.eval()
    assert torch.equal(b1.module_(inputs), b1.module_(inputs))


def test_logcosh_limits():
    small = torch.tensor([1e-3, -2e-3])
    torch.testing.assert_close(logcosh_loss(small, torch.zeros(2)), (small**2 / 2).mean())
    large = torch.tensor([50.0, -80.0])
    expected = (large.abs() - np.log(2.0)).mean()
    torch.testing.assert_close(logcosh_loss(large, torch.zeros(2)), expected)


def test_feedback_stops_by_its_rule(data):
    X, theta = data[0][:300], data[1][:300]
    model = PropagationInverter(**{**SMALL, "max_epochs": 5}).fit(X, theta)
    pseudo, _ = _draw(40, 2)
    # a tolerance everyone meets: stops at round 0 without retraining
    model.refit_feedback(pseudo, simulate_toy_spectra, tolerance=1e6)
    assert len(model.feedback_history_) == 1
    assert model.feedback_history_[0]["converged"] and len(model.X_fit_) == 300
    # a tolerance nobody meets: retrains max_rounds times, appending the re-simulations
    model.refit_feedback(pseudo, simulate_toy_spectra, tolerance=1e-12, max_rounds=2)
    history = model.feedback_history_
    assert [h["round"] for h in history] == [0, 1, 2]
    assert [h["n_train"] for h in history] == [300, 340, 380]
    assert not any(h["converged"] for h in history) and len(model.X_fit_) == 380
    # the recorded fraction is the rule applied to the recorded tau
    tau = history[-1]["tau"]
    assert history[-1]["fraction"] == np.mean(np.abs(tau).mean(axis=1) < 1e-12)
    with pytest.raises(ValueError, match="simulator"):
        model.refit_feedback(pseudo, lambda t: np.ones((len(t), 7)))
    # without its training data the model predicts the same and checks tau, but cannot retrain
    before = model.predict(pseudo)
    model.drop_training_data()
    assert not hasattr(model, "X_fit_") and not hasattr(model, "y_fit_")
    np.testing.assert_array_equal(model.predict(pseudo), before)
    model.refit_feedback(pseudo, simulate_toy_spectra, tolerance=1e-12, max_rounds=0)
    np.testing.assert_array_equal(model.feedback_history_[0]["tau"], tau)
    with pytest.raises(ValueError, match="drop_training_data"):
        model.refit_feedback(pseudo, simulate_toy_spectra, max_rounds=1)


def test_feedback_tau_definition():
    tau = relative_shift([[2.0, 4.0]], [[2.5, 3.0]])
    np.testing.assert_allclose(tau, [[0.25, -0.25]])


def test_statistics_tables():
    rng = np.random.default_rng(0)
    # 40 seeds: median_% - 1 = 0.000 +- 0.014, plus_% - 2 = 0.001 +- 0.015 (0.05 was 3.4 sd)
    rows = learning_systematics(rng.normal(0.01, 0.02, size=(40000, 2)), ["a", "b"])
    assert abs(rows[0]["median_%"] - 1.0) < 0.065 and abs(rows[1]["plus_%"] - 2.0) < 0.065
    # chi2 of the true parameters follows chi2(n_params): 3 sigma holds 99.73 %. Binomial
    # sd of 1e5 draws: 0.0015 and 0.00016 (40 seeds: 0.0016 and 0.00015; 0.005 was 3.1 sd)
    fractions = sigma_fractions(rng.chisquare(10, size=100000), 0.0, 10, levels=(1, 3))
    assert abs(fractions["1 sigma"] - 0.6827) < 0.007
    assert abs(fractions["3 sigma"] - 0.9973) < 0.001


def _log_normal(theta, sigma, seed):
    clean = simulate_toy_spectra(theta).reshape(len(theta), -1)
    return clean * np.exp(sigma * np.random.default_rng(seed).standard_normal(clean.shape))


def test_refine_reaches_the_best_fit_wilks(machine_a):
    # log-normal 1 % errors around parameters inside the box: the least-squares fit
    # must beat the true parameters (chi2_min <= chi2_true, a global property), by
    # Delta chi2 ~ chi2(10) on average (Wilks' theorem: mean 10, s.e. of 20 fits 1)
    rng = np.random.default_rng(5)
    theta = LOW + (HIGH - LOW) * rng.uniform(0.2, 0.8, size=(20, 10))
    X = _log_normal(theta, 0.01, 6)
    fit, chi2, calls = machine_a.refine(
        X, simulate_toy_spectra, sigma=0.01, max_nfev=100, return_chi2=True
    )
    chi2_true = np.sum((np.log(X / simulate_toy_spectra(theta).reshape(20, -1)) / 0.01) ** 2, 1)
    delta = chi2_true - chi2
    assert np.all(delta > -1e-6 * chi2_true), delta
    assert 6.0 < delta.mean() < 14.0, delta
    assert np.all((fit >= LOW) & (fit <= HIGH)) and np.all(calls >= 11)
    # the fits are far better than the network's own predictions
    start = machine_a.predict(X)
    chi2_start = np.sum((np.log(X / simulate_toy_spectra(start).reshape(20, -1)) / 0.01) ** 2, 1)
    assert np.median(chi2_start - chi2) > 100 * np.median(delta)


def test_refine_free_scale_and_errors(machine_a):
    theta = LOW + (HIGH - LOW) * np.random.default_rng(7).uniform(0.3, 0.7, size=(3, 10))
    X = _log_normal(theta, 0.01, 8)
    kwargs = {"sigma": 0.01, "max_nfev": 100, "return_chi2": True}
    fit, chi2, _ = machine_a.refine(X, simulate_toy_spectra, free_scale=True, **kwargs)
    # a common flux unit is irrelevant with free_scale ...
    fit7, chi27, _ = machine_a.refine(7.0 * X, simulate_toy_spectra, free_scale=True, **kwargs)
    white = machine_a.whitener_.transform
    np.testing.assert_allclose(white(fit7), white(fit), atol=1e-3)
    np.testing.assert_allclose(chi27, chi2, rtol=1e-3)
    # ... and costs about one parameter's worth of chi2 relative to the absolute fit
    _, chi2_abs, _ = machine_a.refine(X, simulate_toy_spectra, **kwargs)
    assert np.all(chi2 <= chi2_abs + 1e-6 * chi2_abs)
    # without it, the same factor 7 (ln 7 / 0.01 ~ 195 sigma per value) cannot be fitted
    _, chi2_bad, _ = machine_a.refine(7.0 * X, simulate_toy_spectra, **kwargs)
    assert np.all(chi2_bad > 10 * chi2_abs)
    with pytest.raises(ValueError, match="sigma"):
        machine_a.refine(X, simulate_toy_spectra, sigma=-0.1)
    with pytest.raises(ValueError, match=r"shape \(420,\)"):
        machine_a.refine(X, simulate_toy_spectra, sigma=np.ones(5))
    with pytest.raises(ValueError, match="start"):
        machine_a.refine(X, simulate_toy_spectra, start=theta[:2])
    with pytest.raises(ValueError, match="simulator"):
        machine_a.refine(X, lambda t: np.ones((len(t), 7)))
    with pytest.raises(TypeError, match="callable"):
        machine_a.refine(X, None)


@pytest.mark.filterwarnings("ignore:Maximum number of epochs")
def test_posterior_route_on_a_linear_gaussian_toy():
    """NPE with the CNN as embedding net: samples inside the prior, calibrated intervals."""
    rng = np.random.default_rng(0)
    grid = np.linspace(-1, 1, 16)

    def simulate(theta, seed):
        noise = np.random.default_rng(seed).normal(0, 0.3, size=(len(theta), 16))
        return theta[:, :1] + theta[:, 1:] * grid + noise

    theta = rng.uniform(0, 1, size=(1000, 2))
    X = simulate(theta, 1)
    npe = PropagationInverter(
        model=None,
        posterior=True,
        features="identity",
        param_bounds=[[0, 1], [0, 1]],
        embedding_size=8,
        npe_kwargs={"hidden_features": 16, "num_transforms": 2, "n_posterior_samples": 200},
        module_kwargs={"channels": (4,), "hidden_size": 16},
        lr=3e-3,
        batch_size=100,
        max_epochs=20,
        device="cpu",
        random_state=0,
        verbose=0,
    ).fit(X, theta)
    theta_test = rng.uniform(0, 1, size=(500, 2))
    X_test = simulate(theta_test, 2)
    draws = npe.sample(X_test, 200)
    assert draws.shape == (500, 200, 2)
    assert np.all((draws >= 0) & (draws <= 1))
    # central 68 % intervals cover the truth ~68 % of the time. The 20-epoch flow is a little
    # overconfident: 10 seeds with 500 test points: 0.626 +- 0.027 and 0.616 +- 0.019
    # (binomial sd 0.021). With the former 100 points (sd ~0.05) the bound 0.53 was < 2 sd
    lo, hi = np.percentile(draws, [16, 84], axis=1)
    coverage = np.mean((theta_test >= lo) & (theta_test <= hi), axis=0)
    assert np.all(np.abs(coverage - 0.68) < 0.17), coverage
    # and informative: the exact posterior sd is ~0.08 (intercept) and ~0.13 (slope), so its
    # 68 % intervals are far narrower than the prior's 0.68 (10 seeds: 0.14 and 0.21 wide)
    assert np.all(np.mean(hi - lo, axis=0) < 0.45)
    # log_prob in physical units; one observation, several points
    values = npe.log_prob(draws[0, :5], X_test[0])
    assert values.shape == (5,) and np.all(np.isfinite(values))
    assert npe.predict(X_test[:3]).shape == (3, 2)


@pytest.mark.filterwarnings("ignore:Maximum number of epochs")
def test_posterior_route_on_spectra(data):
    X, theta = data[0][:300], data[1][:300]
    npe = PropagationInverter(
        posterior=True,
        noise=0.05,
        pretrain_embedding=False,
        embedding_size=8,
        npe_kwargs={"hidden_features": 8, "num_transforms": 1, "n_posterior_samples": 50},
        **{**SMALL, "max_epochs": 2},
    ).fit(X, theta)
    draws = npe.sample(X[0], 50)
    assert draws.shape == (50, 10)
    assert np.all((draws >= LOW) & (draws <= HIGH))
    idata = npe.to_inference_data(X[0], 20)
    assert list(idata.posterior.data_vars) == list(PARAM_NAMES)
    # whitening is linear here, so the physical density is the whitened one over the box volume
    w = npe.whitener_.transform(draws[:3])
    expected = npe.posterior_estimator_.log_prob(w, npe._posterior_inputs(X[0])[0])
    np.testing.assert_allclose(
        npe.log_prob(draws[:3], X[0]), expected - np.log(HIGH - LOW).sum(), rtol=1e-10
    )


@pytest.mark.filterwarnings("ignore:Maximum number of epochs")
def test_frozen_embedding_keeps_the_pretrained_cnn(data):
    X, theta = data[0][:300], data[1][:300]
    npe = PropagationInverter(
        posterior=True,
        pretrain_embedding="frozen",
        npe_kwargs={
            "hidden_features": 8, "num_transforms": 1, "n_posterior_samples": 50,
            "max_epochs": 3,  # overrides the regression's max_epochs for the flow
            "n_ensemble": 2,  # the benchmark's mixture of flows, on the same summaries
        },
        **{**SMALL, "max_epochs": 2},
    ).fit(X, theta)  # fmt: skip
    # (sbi runs max_epochs + 1 epochs when it never stops early)
    assert npe.n_iter_ == 2 and len(npe.npe_history_) in (3, 4)
    assert [len(h) in (3, 4) for h in npe.posterior_estimator_.histories_] == [True, True]
    # the flow trained (its loss moved) while every CNN weight stayed the regression's
    losses = [h["train_loss"] for h in npe.npe_history_]
    assert losses[-1] != losses[0]
    flow = npe.posterior_estimator_.density_estimator_
    assert not any(p.requires_grad for p in flow.embedding_net.parameters())
    summary = list(npe.summary_net_.parameters())
    pretrained = list(npe.module_.cnn.parameters())
    assert len(summary) == len(pretrained) > 0
    for a, b in zip(summary, pretrained, strict=True):
        assert torch.equal(a.detach().cpu(), b.detach().cpu())
    assert npe.sample(X[0], 20).shape == (20, 10)
    # the flow is conditioned on the CNN's point estimates of the (standardised) features
    feats = npe._posterior_inputs(X[0])[0]
    with torch.no_grad():
        cnn_out = npe.module_.cnn(torch.as_tensor(feats, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(npe._flow_inputs(feats), cnn_out, rtol=1e-12)
    draws = npe.sample(X[0], 3)
    expected = npe.posterior_estimator_.log_prob(npe.whitener_.transform(draws), cnn_out)
    np.testing.assert_allclose(
        npe.log_prob(draws, X[0]), expected - np.log(HIGH - LOW).sum(), rtol=1e-10
    )
    with pytest.raises(TypeError, match="'frozen'"):
        PropagationInverter(posterior=True, pretrain_embedding="yes", **SMALL).fit(X, theta)
    with pytest.raises(ValueError, match="at least 4"):
        PropagationInverter(posterior=True, pretrain_embedding="frozen", **SMALL).fit(
            X[:3], theta[:3]
        )


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "match"),
    [
        (np.ones((10, 4, 84)), MID, {}, r"\(Li, Be, B, C, O\)"),
        (np.ones((10, 421)), MID, {}, r"5 \* n_bins"),
        (-np.ones((10, 420)), MID, {}, "> 0"),
        (np.full((10, 420), np.nan), MID, {}, "NaN"),
        (np.ones((10, 420)), MID + 100.0, {}, "outside param_bounds"),
        (np.ones((10, 420)), MID, {"noise": 1.5}, "noise"),
        (np.ones((10, 420)), MID, {"loss": "huber"}, "loss"),
        (np.ones((10, 420)), None, {}, "requires y"),
    ],
)
def test_clear_errors(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        PropagationInverter(**{**SMALL, **kwargs}).fit(X, y)


def test_predict_errors(machine_a):
    with pytest.raises(ValueError, match="420"):
        machine_a.predict(np.ones((2, 5, 80)))
    with pytest.raises(AttributeError, match="posterior=True"):
        machine_a.sample(np.ones(420), 10)
    with pytest.raises(TypeError, match="callable"):
        machine_a.refit_feedback(np.ones((2, 420)), "not a simulator")
    simulator = functools.partial(simulate_toy_spectra)
    with pytest.raises(ValueError, match="tolerance"):
        machine_a.refit_feedback(np.ones((2, 420)), simulator, tolerance=-1)


@pytest.fixture(scope="module")
def break_data():
    """Spectra of the broken-diffusion model (real simulator) and their 12 parameters."""
    from crsbi.propagation.galactic import prior_bounds, simulate_galactic_batch

    low, high = np.array(list(prior_bounds("break").values())).T
    theta = np.random.default_rng(3).uniform(low, high, size=(300, 12))
    return simulate_galactic_batch(theta, model="break", verbose=0), theta, low, high


def test_target_width_must_match_the_model(data):
    X, theta = data[0][:50], data[1][:50]
    with pytest.raises(ValueError, match=r"y has 9 columns but model='paper' has 10"):
        PropagationInverter(**SMALL).fit(X, theta[:, :9])
    with pytest.raises(ValueError, match=r"model='break' has 12"):
        PropagationInverter(model="break", **SMALL).fit(X, theta)
    with pytest.raises(ValueError, match="model"):
        PropagationInverter(model="broken", **SMALL).fit(X, theta)
    # model=None keeps the generic route: any width, box from the training range
    fitted = PropagationInverter(model=None, **{**SMALL, "max_epochs": 1}).fit(X, theta[:, :9])
    assert fitted.predict(X[:2]).shape == (2, 9)


@pytest.mark.filterwarnings("ignore:Maximum number of epochs")
def test_break_model_regression_and_posterior(break_data):
    from crsbi.propagation.galactic import param_names

    X, theta, low, high = break_data
    model = PropagationInverter(model="break", **{**SMALL, "max_epochs": 2}).fit(X, theta)
    pred = model.predict(X[:5])
    assert pred.shape == (5, 12) and np.all((pred >= low) & (pred <= high))
    # the break rigidity is whitened in log10 over its box 50-2000 GV: the geometric mean
    # of the box is the middle; every other column is linear
    w = model.whitener_.transform(np.r_[theta[0, :10], np.sqrt(50.0 * 2000.0), 0.01][None])
    assert w[0, 10] == pytest.approx(0.5, abs=1e-12) and w[0, 11] == pytest.approx(0.0)
    assert model.whitener_.log_columns_.tolist() == [False] * 10 + [True, False]

    npe = PropagationInverter(
        model="break",
        posterior=True,
        pretrain_embedding=False,
        embedding_size=8,
        npe_kwargs={"hidden_features": 8, "num_transforms": 1, "n_posterior_samples": 50},
        **{**SMALL, "max_epochs": 2},
    ).fit(X, theta)
    draws = npe.sample(X[0], 50)
    assert draws.shape == (50, 12) and np.all((draws >= low) & (draws <= high))
    idata = npe.to_inference_data(X[0], 20)
    assert list(idata.posterior.data_vars) == list(param_names("break"))
    # physical density = whitened density / |dx/dw|: dx/dw = (high - low) for the linear
    # columns and x ln(10) log10(high / low) for the log-whitened break rigidity
    wd = npe.whitener_.transform(draws[:3])
    expected = npe.posterior_estimator_.log_prob(wd, npe._posterior_inputs(X[0])[0])
    linear = np.log(np.delete(high - low, 10)).sum()
    jac = linear + np.log(draws[:3, 10] * np.log(10.0) * np.log10(high[10] / low[10]))
    np.testing.assert_allclose(npe.log_prob(draws[:3], X[0]), expected - jac, rtol=1e-10)
