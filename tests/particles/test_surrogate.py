"""DiffusionSurrogate and the relative-error metric."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score

from crsbi.particles.surrogate import DiffusionSurrogate, ExtrapolationWarning, relative_error

LOW, HIGH = np.array([0.1, 0.05, 0.2]), np.array([10.0, 1.0, 20.0])  # T, b, lambda_perp
FAST = dict(max_epochs=300, lr=3e-3, random_state=0, verbose=0, device="cpu")


def toy_d_perp(X):
    """A smooth stand-in spanning four decades: D = b^2 lambda sqrt(T) (quasi-linear-like)."""
    return X[:, 1] ** 2 * X[:, 2] * np.sqrt(X[:, 0])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.uniform(LOW, HIGH, size=(1200, 3))
    return X, toy_d_perp(X)


def test_relative_error_definition():
    assert relative_error([2.0, 4.0], [2.0, 4.0]) == 0.0
    # errors of +10% and -10%: root second moment 0.1; exact zeros are skipped
    assert relative_error([1.0, 1.0, 0.0], [1.1, 0.9, 5.0]) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="same shape"):
        relative_error([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="non-zero"):
        relative_error([0.0], [1.0])


def test_learns_a_four_decade_coefficient_in_log_space(data):
    X, y = data
    assert y.max() / y.min() > 1e3
    model = DiffusionSurrogate(log_features=[0, 1, 2], **FAST).fit(X[:1000], y[:1000])
    assert model.target_transform_ == "log"
    # the paper's figure on a hold-out: ~5 %; a smooth power law is easier. 10 seeds (data
    # and network): 0.021 +- 0.012 (max 0.044; the former bound 0.05 was 2.5 sd), R^2 > 0.999
    assert model.relative_error(X[1000:], y[1000:]) < 0.07
    assert model.score(X[1000:], y[1000:]) > 0.99


@pytest.mark.slow
def test_exact_zero_points_use_asinh(data):
    X, y = data
    X0 = X[:60].copy()
    X0[:, 1] = 1e-6  # b -> 0: no turbulence, no perpendicular diffusion
    Xa = np.vstack([X[:1000], X0])
    ya = np.concatenate([y[:1000], np.zeros(60)])
    with pytest.raises(ValueError, match="every target > 0"):
        DiffusionSurrogate(target_transform="log", **FAST).fit(Xa, ya)
    model = DiffusionSurrogate(log_features=[0, 2], **FAST).fit(Xa, ya)
    assert model.target_transform_ == "asinh"
    zero_pred = model.predict(X0)
    # 10 seeds: 0.0044 +- 0.0016 target scales
    assert np.median(np.abs(zero_pred)) < 0.05 * model.target_scale_


@pytest.mark.slow
def test_ensemble_spread_grows_outside_the_training_box(data):
    X, y = data
    # 100 epochs suffice: the spread ratio below is ~19 with 100 or 300 epochs
    params = {**FAST, "max_epochs": 100}
    model = DiffusionSurrogate(n_estimators=3, log_features=[0, 1, 2], **params).fit(X, y)
    assert len(model.estimators_) == 3
    mean, std = model.predict(X[:200], return_std=True)
    assert mean.shape == std.shape == (200,)
    assert np.all(std > 0)
    outside = X[:200] * np.array([1.0, 1.0, 30.0])  # lambda_perp up to 600, never seen
    with pytest.warns(ExtrapolationWarning, match="outside the training box"):
        _, std_out = model.predict(outside, return_std=True)
        outside_rel = np.median(std_out / model.predict(outside))
    inside_rel = np.median(std / mean)
    # 10 seeds: ratio 5.9 to 41 (median 31); ln(ratio) = 3.1 +- 0.7, so the bound 1.25 is
    # 4 sd below (the former 2 was 3.7 sd)
    assert outside_rel > 1.25 * inside_rel
    single = DiffusionSurrogate(**FAST).fit(X[:100], y[:100])
    assert np.all(single.predict(X[:5], return_std=True)[1] == 0)


def test_outside_the_training_box_warns_or_refuses(data):
    """Palade's box is T in (0, 10], b in (0, 1]: b = 5, T = 100 is an extrapolation."""
    X, y = data
    model = DiffusionSurrogate(log_features=[0, 1, 2], **dict(FAST, max_epochs=2)).fit(X, y)
    np.testing.assert_array_equal(model.data_min_, X.min(axis=0))
    np.testing.assert_array_equal(model.data_max_, X.max(axis=0))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(X)  # the training rows themselves, edges included: silent
        model.predict(np.array([model.data_min_, model.data_max_]))
    far = np.array([[100.0, 5.0, 1.0], [1.0, 0.5, 1.0]])
    with pytest.warns(ExtrapolationWarning, match=r"1 of 2 rows .*column 0.*column 1") as record:
        model.predict(far)
    assert "column 2" not in str(record[0].message)
    strict = DiffusionSurrogate(
        log_features=[0, 1, 2], extrapolate=False, **dict(FAST, max_epochs=2)
    )
    strict.fit(X, y)
    with pytest.raises(ValueError, match=r"outside the training box.*extrapolate=True"):
        strict.predict(far)
    assert strict.predict(far[1:]).shape == (1,)
    with pytest.raises(ValueError, match="'extrapolate' parameter"):
        DiffusionSurrogate(extrapolate="warn", **FAST).fit(X, y)


def test_two_outputs(data):
    X, y = data
    Y = np.column_stack([y, 10 * y * X[:, 0]])  # D_perp and a "D_par"
    model = DiffusionSurrogate(log_features=[0, 1, 2], **FAST).fit(X[:1000], Y[:1000])
    assert model.n_outputs_ == 2
    pred = model.predict(X[1000:])
    assert pred.shape == (200, 2)
    assert relative_error(Y[1000:], pred) < 0.085  # 10 seeds: 0.024 +- 0.015 (max 0.050)


def test_reproducible_and_pickles(tmp_path, data):
    X, y = data
    params = dict(FAST, max_epochs=20, n_estimators=2)
    a = DiffusionSurrogate(**params).fit(X[:300], y[:300])
    b = DiffusionSurrogate(**params).fit(X[:300], y[:300])
    assert np.array_equal(a.predict(X), b.predict(X))
    joblib.dump(a, tmp_path / "s.joblib")
    assert np.array_equal(joblib.load(tmp_path / "s.joblib").predict(X), a.predict(X))
    a.save(tmp_path / "saved.joblib")
    assert np.array_equal(
        DiffusionSurrogate.load(tmp_path / "saved.joblib").predict(X), a.predict(X)
    )


def test_input_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="log_features must index"):
        DiffusionSurrogate(log_features=[5], **FAST).fit(X, y)
    X_bad = X.copy()
    X_bad[0, 0] = -1.0
    with pytest.raises(ValueError, match="must be > 0"):
        DiffusionSurrogate(log_features=[0], **FAST).fit(X_bad, y)
    with pytest.raises(ValueError, match="'n_estimators' parameter"):
        DiffusionSurrogate(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="'target_transform' parameter"):
        DiffusionSurrogate(target_transform="sqrt").fit(X, y)
    model = DiffusionSurrogate(**dict(FAST, max_epochs=2)).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="X has 2 features"):
        model.predict(X[:, :2])


def test_cross_validation_and_grid_search(data):
    X, y = data
    model = DiffusionSurrogate(log_features=[0, 1, 2], **dict(FAST, max_epochs=60))
    scores = cross_val_score(model, X[:600], y[:600], cv=2)
    assert np.all(scores > 0.9)  # 10 seeds: smallest 0.996 +- 0.002
    # a grid with a clear winner: in log space the target is linear, so hidden_sizes (4,)
    # and (32, 32), the former grid, fit about as well (10 seeds: R^2 gap 0.08 +- 0.17,
    # once 6e-4). 60 epochs at lr = 1e-5 barely train: gap 1.12 +- 0.12
    search = GridSearchCV(model, {"lr": [1e-5, 3e-3]}, cv=2).fit(X[:600], y[:600])
    assert search.best_params_ == {"lr": 3e-3}


def test_prefactor_keeps_relative_accuracy_down_to_tiny_b(data):
    X, y = data
    X0 = X[:60].copy()
    X0[:, 1] = 0.0  # exact analytic points: no turbulence, D_perp = 0
    Xa = np.vstack([X[:1000], X0])
    ya = np.concatenate([y[:1000], np.zeros(60)])
    model = DiffusionSurrogate(target_prefactor=(1, 2), log_features=[0, 2], **FAST).fit(Xa, ya)
    assert model.target_transform_ == "log"
    assert np.all(model.predict(X0) == 0.0)  # reproduced exactly, by construction
    tiny = X[1000:].copy()
    tiny[:, 1] = 0.011  # below every training b: D ~ 1e-4 of typical values
    # 10 seeds: 0.019 +- 0.010 (max 0.043)
    assert relative_error(toy_d_perp(tiny), model.predict(tiny)) < 0.1
    bad = ya.copy()
    bad[-1] = 1.0
    with pytest.raises(ValueError, match="y must then be 0"):
        DiffusionSurrogate(target_prefactor=(1, 2), **FAST).fit(Xa, bad)
    with pytest.raises(ValueError, match="column, power"):
        DiffusionSurrogate(target_prefactor=3, **FAST).fit(Xa, ya)


def test_float32_precision_predicts_the_same_coefficients(data):
    """The throughput path: float32 networks, results within float32 rounding of float64
    (measured 4e-7 on the shipped surrogate), far below the surrogate's ~5 % error."""
    X, y = data
    model = DiffusionSurrogate(
        log_features=[0, 1, 2],
        n_estimators=2,
        max_epochs=50,
        lr=3e-3,
        random_state=0,
        verbose=0,
        device="cpu",
    )
    model.fit(X[:1000], y[:1000])
    mean, std = model.predict(X[1000:], return_std=True)
    fast_mean, fast_std = model.predict(X[1000:], return_std=True, precision="float32")
    np.testing.assert_allclose(fast_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(fast_std, std, rtol=1e-3, atol=1e-6 * mean.max())
    with pytest.raises(ValueError, match="precision"):
        model.predict(X, precision="half")
