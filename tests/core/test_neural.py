"""NeuralRegressor / NeuralClassifier: learning, input validation, persistence, sklearn use."""

import copy
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from crsbi.core import MLP
from crsbi.core.base import _SigmoidTanh
from crsbi.core.neural import NeuralClassifier, NeuralRegressor

FAST = dict(max_epochs=5, random_state=0, verbose=0, device="cpu")


@pytest.fixture
def regression(rng):
    X = rng.uniform(-1, 1, size=(400, 3))
    y = 2.0 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2]
    return X, y


def test_regressor_learns_a_linear_map(regression):
    X, y = regression
    reg = NeuralRegressor(max_epochs=150, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    assert reg.score(X, y) > 0.99  # 15 seeds (data and network): R^2 > 0.9999 every time


def test_target_standardisation_keeps_units(rng):
    # diffusion coefficients are ~1e28 cm^2/s: predictions must come back in those units
    X = rng.uniform(-1, 1, size=(300, 2))
    y = 1e28 * (3.0 + X[:, 0])
    reg = NeuralRegressor(max_epochs=100, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    np.testing.assert_allclose(reg.target_mean_, y.mean())
    assert np.median(np.abs(reg.predict(X) / y - 1)) < 0.05  # 15 seeds: 2e-4 +- 1e-4


def test_multi_output_shapes(rng):
    X = rng.normal(size=(100, 3))
    Y = np.column_stack([X[:, 0], X[:, 1] * 2])
    reg = NeuralRegressor(**FAST).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == (100, 2)
    assert NeuralRegressor(**FAST).fit(X, Y[:, 0]).predict(X).shape == (100,)


def test_classifier_probabilities_and_labels(rng):
    X = rng.normal(size=(300, 2))
    labels = np.array(["advection", "diffusion", "streaming"])
    y = labels[(X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int)]
    clf = NeuralClassifier(max_epochs=80, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(clf.predict(X)) <= set(labels)
    assert list(clf.classes_) == sorted(labels)
    assert clf.score(X, y) > 0.9  # 15 seeds (data and network): 0.976 +- 0.015, min 0.94


def test_module_class_and_instance(rng, regression):
    X, y = regression
    reg = NeuralRegressor(module=MLP, module_kwargs={"hidden_sizes": (7,)}, **FAST).fit(X, y)
    assert reg.module_.net[0].out_features == 7
    template = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    before = {k: v.clone() for k, v in template.state_dict().items()}
    reg = NeuralRegressor(module=template, **FAST).fit(X, y)
    # the parameter is left untouched; the fitted network is a re-initialised copy
    for name, value in template.state_dict().items():
        assert torch.equal(value, before[name])
    assert reg.module_ is not template
    with pytest.raises(ValueError, match="module_kwargs cannot be used"):
        NeuralRegressor(module=template, module_kwargs={"a": 1}, **FAST).fit(X, y)
    with pytest.raises(TypeError, match="'module' parameter"):
        NeuralRegressor(module="mlp", **FAST).fit(X, y)
    with pytest.raises(TypeError, match="Could not build MLP"):
        NeuralRegressor(module_kwargs={"bogus": 1}, **FAST).fit(X, y)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (
            {"lr": -1},
            ValueError,
            r"The 'lr' parameter of NeuralRegressor must be a float in "
            r"\(0, inf\)\. Got -1 instead\.",
        ),
        ({"lr": "fast"}, TypeError, "'lr' parameter"),
        ({"batch_size": 0}, ValueError, "'batch_size' parameter .* an int in \\[1, inf\\]"),
        ({"batch_size": 2.5}, TypeError, "'batch_size' parameter"),
        ({"max_epochs": 0}, ValueError, "'max_epochs' parameter"),
        ({"validation_fraction": 1.0}, ValueError, r"'validation_fraction' .* \[0, 1\)"),
        ({"patience": 0}, ValueError, "'patience' parameter .* or None"),
        ({"weight_decay": -0.1}, ValueError, "'weight_decay' parameter"),
        ({"gradient_clip": 0}, ValueError, "'gradient_clip' parameter"),
        ({"optimizer": "newton"}, ValueError, "optimizer must be one of"),
        ({"device": "tpu"}, ValueError, "device must be"),
        ({"module_kwargs": [1]}, TypeError, "'module_kwargs' parameter"),
        ({"callbacks": [3]}, TypeError, "'callbacks' parameter"),
        ({"random_state": -2}, ValueError, "random_state must be a non-negative"),
        ({"random_state": np.random.RandomState(0)}, TypeError, "RandomState"),
    ],
)
def test_invalid_parameters_raise_in_fit(regression, params, error, match):
    X, y = regression
    est = NeuralRegressor(**{**FAST, **params})  # constructing never validates
    with pytest.raises(error, match=match):
        est.fit(X, y)


def test_invalid_inputs_say_what_was_expected(regression):
    X, y = regression
    reg = NeuralRegressor(**FAST)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        reg.fit(X_inf, y)
    y_nan = y.copy()
    y_nan[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(X, y_nan)
    with pytest.raises(ValueError, match="Expected 2D array"):
        reg.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        reg.fit(X, y[:-1])
    with pytest.raises(ValueError, match="1 sample"):
        reg.fit(X[:1], y[:1])
    with pytest.raises(ValueError):
        reg.fit(np.array([["a", "b", "c"]] * 10, dtype=object), y[:10])
    with pytest.raises(NotFittedError):
        reg.predict(X)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but NeuralRegressor is expecting 3"):
        reg.predict(X[:, :2])


def test_classifier_target_errors(rng):
    X = rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match="at least 2 classes"):
        NeuralClassifier(**FAST).fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="Unknown label type"):
        NeuralClassifier(**FAST).fit(X, rng.normal(size=20))


def test_validation_fraction_too_large_for_the_data(rng):
    X = rng.normal(size=(3, 2))
    with pytest.raises(ValueError, match="leaves no training samples"):
        NeuralRegressor(validation_fraction=0.9, **FAST).fit(X, X[:, 0])


@pytest.mark.parametrize("Estimator", [NeuralRegressor, NeuralClassifier])
def test_pickle_and_save_round_trip(tmp_path, rng, Estimator):
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] > 0).astype(int)
    est = Estimator(**FAST).fit(X, y)
    expected = est.predict(X)
    joblib.dump(est, tmp_path / "est.joblib")
    loaded = joblib.load(tmp_path / "est.joblib")
    assert np.array_equal(loaded.predict(X), expected)
    assert loaded.device_ == "cpu"
    est.save(tmp_path / "saved.joblib")
    again = Estimator.load(tmp_path / "saved.joblib")
    assert np.array_equal(again.predict(X), expected)
    assert again.history_ == est.history_
    other = NeuralClassifier if Estimator is NeuralRegressor else NeuralRegressor
    with pytest.raises(TypeError, match=f"not a {other.__name__}"):
        other.load(tmp_path / "saved.joblib")


def test_sklearn_pipeline_cross_validation_and_grid_search(regression):
    X, y = regression
    pipe = make_pipeline(
        StandardScaler(),
        NeuralRegressor(
            max_epochs=40, lr=1e-2, **{k: v for k, v in FAST.items() if k != "max_epochs"}
        ),
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9  # 15 seeds: > 0.9999 every time
    search = GridSearchCV(NeuralRegressor(**FAST), {"lr": [1e-4, 1e-2]}, cv=2).fit(X, y)
    # five epochs at lr=1e-4 barely move the weights; lr=1e-2 fits much better (15 seeds:
    # mean CV score higher by 0.94 +- 0.04)
    assert search.best_params_ == {"lr": 1e-2}
    twin = clone(search.best_estimator_)
    assert twin.get_params() == search.best_estimator_.get_params()
    assert not hasattr(twin, "module_")


def test_predictions_do_not_depend_on_the_other_rows(rng):
    """The network runs in float64 at prediction time: BLAS kernels chosen by the batch
    size move float32 outputs by ~1e-7, float64 ones by ~1e-16."""
    X = rng.normal(size=(300, 6))
    y = X @ rng.normal(size=6)
    reg = NeuralRegressor(**FAST).fit(X, y)
    full = reg.predict(X)
    rows = np.array([reg.predict(X[i : i + 1])[0] for i in range(0, 300, 7)])
    np.testing.assert_allclose(rows, full[::7], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(reg.predict(X[::-1])[::-1], full, rtol=1e-12, atol=1e-12)
    clf = NeuralClassifier(**FAST).fit(X, (X[:, 0] > 0).astype(int))
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(clf.predict_proba(X[5:6]), proba[5:6], rtol=1e-12, atol=1e-14)


def test_the_float64_network_follows_the_weights(regression):
    X, y = regression
    reg = NeuralRegressor(**FAST).fit(X, y)
    before = reg.predict(X)
    state = copy.deepcopy(reg.module_.state_dict())
    with torch.no_grad():  # in place, as an optimizer step
        for parameter in reg.module_.parameters():
            parameter.mul_(0.5)
    changed = reg.predict(X)
    assert not np.allclose(changed, before)
    np.testing.assert_array_equal(changed, copy.deepcopy(reg).predict(X))
    reg.module_.load_state_dict(state)
    np.testing.assert_array_equal(reg.predict(X), before)
    # the float64 copy lives outside the estimator: nothing more is pickled after predict
    assert len(pickle.dumps(reg)) == len(pickle.dumps(clone(reg).fit(X, y)))


def test_the_float64_network_evaluates_tanh_to_rounding(rng):
    """The twin swaps nn.Tanh for 2 sigmoid(2x) - 1 (faster on CPU): same function, to
    the float64 rounding level, deep inside a trained tanh network too."""
    from crsbi.core.base import prediction_network

    net = MLP(3, 2, hidden_sizes=(32, 32), activation="tanh").double()
    twin = prediction_network(net, "cpu")
    assert not any(isinstance(m, nn.Tanh) for m in twin.modules())
    x = torch.from_numpy(rng.normal(scale=5.0, size=(2000, 3)))
    with torch.no_grad():
        np.testing.assert_allclose(twin(x).numpy(), net(x).numpy(), rtol=0, atol=1e-14)
    grid = torch.linspace(-40.0, 40.0, 100_001, dtype=torch.float64)
    assert float((_SigmoidTanh()(grid) - torch.tanh(grid)).abs().max()) <= 5e-16


def _plain_sigmoid_twin(module: nn.Module) -> nn.Module:
    """A float64 copy with every nn.Tanh replaced by 2 sigmoid(2x) - 1, nothing rescaled."""
    twin = copy.deepcopy(module).double().eval()
    for parent in list(twin.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Tanh:
                setattr(parent, name, _SigmoidTanh())
    return twin


def test_folding_the_factor_two_into_the_linear_layer_is_exact(rng):
    """After a Linear, the twin doubles the layer's weights instead of its output (one pass
    fewer): doubling is exact in binary floating point, so outputs agree bit for bit."""
    from crsbi.core.base import prediction_network

    net = MLP(3, 2, hidden_sizes=(32, 32), activation="tanh")
    twin = prediction_network(net, "cpu")
    assert [type(m).__name__ for m in twin.modules()].count("_PrescaledSigmoidTanh") == 2
    x = torch.from_numpy(rng.normal(scale=5.0, size=(2000, 3)))
    with torch.no_grad():
        np.testing.assert_array_equal(twin(x).numpy(), _plain_sigmoid_twin(net)(x).numpy())
    # a layer called twice must not be rescaled (it also feeds a layer without tanh)
    shared = nn.Linear(4, 4)
    tied = nn.Sequential(shared, nn.Tanh(), shared)
    tied_twin = prediction_network(tied, "cpu")
    assert "_PrescaledSigmoidTanh" not in [type(m).__name__ for m in tied_twin.modules()]
    x = torch.from_numpy(rng.normal(size=(50, 4)))
    with torch.no_grad():
        np.testing.assert_allclose(
            tied_twin(x).numpy(), copy.deepcopy(tied).double()(x).numpy(), rtol=0, atol=1e-14
        )


def test_float32_precision_is_within_float32_rounding(regression):
    X, y = regression
    reg = NeuralRegressor(max_epochs=20, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    exact = reg.predict(X)
    fast = reg.predict(X, precision="float32")
    assert fast.dtype == np.float64 and fast.shape == exact.shape
    # float32 rounding (2^-24 = 6e-8 per operation) over a few hundred operations
    np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-5 * np.abs(exact).max())
    assert not np.array_equal(fast, exact)  # it did run in float32
    with pytest.raises(ValueError, match="precision"):
        reg.predict(X, precision="float16")


class Float32Only(nn.Module):
    """A network that casts its input to float32 itself (it cannot run in float64)."""

    def __init__(self, n_inputs: int, n_outputs: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.to(torch.float32))


def test_a_float32_only_network_predicts_in_float32_with_a_warning(regression):
    X, y = regression
    reg = NeuralRegressor(module=Float32Only, **FAST).fit(X, y)
    with pytest.warns(RuntimeWarning, match="float64"):
        first = reg.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the float32 fallback is remembered
        np.testing.assert_array_equal(reg.predict(X), first)
    with pytest.raises(RuntimeError):  # input errors are still raised
        reg._forward(X[:, :2])


@pytest.mark.gpu
def test_cuda_predictions_run_in_float64(regression):
    X, y = regression
    reg = NeuralRegressor(max_epochs=5, random_state=0, verbose=0, device="cuda").fit(X, y)
    assert reg._forward(X).dtype == torch.float64
    full = reg.predict(X)
    rows = np.array([reg.predict(X[i : i + 1])[0] for i in range(0, len(X), 13)])
    np.testing.assert_allclose(rows, full[::13], rtol=1e-12, atol=1e-12)


@pytest.mark.gpu
def test_cuda_training_pickles_to_cpu(tmp_path, regression):
    X, y = regression
    reg = NeuralRegressor(max_epochs=5, random_state=0, verbose=0, device="cuda").fit(X, y)
    assert reg.device_.startswith("cuda")
    expected = reg.predict(X)
    joblib.dump(reg, tmp_path / "reg.joblib")
    loaded = joblib.load(tmp_path / "reg.joblib")
    assert loaded.device_ == "cpu"
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-5, atol=1e-6)
