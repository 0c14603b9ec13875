"""The shared training loop: early stopping, weight restoration, seeding, clipping."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from crsbi._training import EarlyStopping, build_optimizer, train_module
from crsbi.neural import NeuralClassifier, NeuralRegressor


def _noise_problem(seed, n=200, n_features=5):
    """Pure-noise regression: a big network overfits it, so validation loss rises."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_features, generator=g)
    y = torch.randn(n, 1, generator=g)
    return (x[:150], y[:150]), (x[150:], y[150:])


def test_early_stopping_keeps_a_copy_not_a_view():
    module = nn.Linear(3, 1)
    stopper = EarlyStopping(patience=2)
    stopper.update(1.0, 1, module)
    saved = {k: v.clone() for k, v in module.state_dict().items()}
    with torch.no_grad():  # what an optimizer step does: in-place updates
        module.weight.add_(10.0)
        module.bias.add_(10.0)
    assert not stopper.update(2.0, 2, module)  # worse, wait 1 of 2
    assert stopper.update(3.0, 3, module)  # worse again: stop
    stopper.restore(module)
    for name, value in module.state_dict().items():
        assert torch.equal(value, saved[name])
    assert stopper.best_epoch == 1
    assert stopper.best_loss == 1.0


def test_early_stopping_tolerance():
    module = nn.Linear(1, 1)
    stopper = EarlyStopping(patience=1, tol=0.1)
    stopper.update(1.0, 1, module)
    # an improvement smaller than tol does not count
    assert stopper.update(0.95, 2, module)
    assert stopper.best_epoch == 1


def test_training_stops_early_and_restores_best_weights():
    torch.manual_seed(0)
    train, val = _noise_problem(0)
    module = nn.Sequential(nn.Linear(5, 256), nn.ReLU(), nn.Linear(256, 1))
    snapshots = {}

    def snapshot(record, mod):
        snapshots[record["epoch"]] = {k: v.clone() for k, v in mod.state_dict().items()}

    result = train_module(
        module,
        nn.functional.mse_loss,
        train,
        val,
        optimizer=torch.optim.Adam(module.parameters(), lr=3e-3),
        batch_size=16,
        max_epochs=300,
        patience=5,
        generator=torch.Generator().manual_seed(0),
        callbacks=[snapshot],
        verbose=0,
    )
    val_losses = [r["val_loss"] for r in result.history]
    # it really stopped: patience epochs after the best one, well before max_epochs
    assert result.stopped_early
    assert len(result.history) == result.best_epoch + 5 < 300
    assert result.best_epoch == int(np.argmin(val_losses)) + 1
    # the final epochs were worse than the best one
    assert min(val_losses[result.best_epoch :]) > result.best_loss
    # and the module now holds exactly the best epoch's weights
    for name, value in module.state_dict().items():
        assert torch.equal(value, snapshots[result.best_epoch][name])
    with torch.no_grad():
        restored = nn.functional.mse_loss(module(val[0]), val[1]).item()
    assert restored == pytest.approx(result.best_loss, rel=1e-6)


def test_gradient_clipping_bounds_the_global_norm():
    norms = []

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):
            grads = [p.grad for group in self.param_groups for p in group["params"]]
            norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
            return super().step(closure)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * 10
    y = 50 * X[:, 0]
    NeuralRegressor(
        optimizer=RecordingSGD,
        lr=1e-3,
        gradient_clip=0.5,
        max_epochs=3,
        standardize_target=False,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert len(norms) == 9  # 3 epochs x ceil(180 / 64) batches
    assert max(norms) <= 0.5 + 1e-5
    # without clipping the same problem has much larger gradients
    norms.clear()
    NeuralRegressor(
        optimizer=RecordingSGD,
        lr=1e-3,
        max_epochs=1,
        standardize_target=False,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert max(norms) > 5


def test_same_seed_is_bit_reproducible(rng):
    X = rng.normal(size=(300, 4))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    params = dict(max_epochs=15, module_kwargs={"dropout": 0.2}, verbose=0, device="cpu")
    a = NeuralRegressor(random_state=7, **params).fit(X, y)
    b = NeuralRegressor(random_state=7, **params).fit(X, y)
    c = NeuralRegressor(random_state=8, **params).fit(X, y)
    assert np.array_equal(a.predict(X), b.predict(X))
    assert [r["train_loss"] for r in a.history_] == [r["train_loss"] for r in b.history_]
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_fit_does_not_touch_global_rng_state(rng):
    X = rng.normal(size=(50, 2))
    y = X[:, 0]
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    NeuralRegressor(max_epochs=2, random_state=0, verbose=0).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_generator_random_state_is_accepted(rng):
    X = rng.normal(size=(60, 2))
    y = X[:, 0]
    a = NeuralRegressor(max_epochs=3, random_state=np.random.default_rng(3), verbose=0).fit(X, y)
    b = NeuralRegressor(max_epochs=3, random_state=np.random.default_rng(3), verbose=0).fit(X, y)
    assert np.array_equal(a.predict(X), b.predict(X))


def test_history_records_every_epoch(rng):
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = NeuralClassifier(max_epochs=7, patience=None, random_state=0, verbose=0).fit(X, y)
    assert clf.n_iter_ == len(clf.history_) == 7
    for i, record in enumerate(clf.history_, start=1):
        assert record["epoch"] == i
        assert {"train_loss", "val_loss", "val_accuracy", "duration"} <= set(record)
        assert 0.0 <= record["val_accuracy"] <= 1.0
        assert math.isfinite(record["val_loss"])
    assert 1 <= clf.best_epoch_ <= 7


def test_without_validation_the_training_loss_is_monitored(rng):
    X = rng.normal(size=(80, 2))
    y = X @ np.array([1.0, -1.0])
    reg = NeuralRegressor(
        max_epochs=20, validation_fraction=0.0, patience=None, random_state=0, verbose=0
    ).fit(X, y)
    assert all(math.isnan(r["val_loss"]) for r in reg.history_)
    train = [r["train_loss"] for r in reg.history_]
    assert reg.best_epoch_ == int(np.argmin(train)) + 1


def test_callback_can_stop_training(rng):
    X = rng.normal(size=(80, 2))
    y = X[:, 0]
    reg = NeuralRegressor(
        max_epochs=50,
        patience=None,
        callbacks=[lambda record, module: record["epoch"] >= 4],
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert reg.n_iter_ == 4


def test_diverging_training_raises_a_clear_error(rng):
    X = rng.normal(size=(64, 2)) * 1e30
    y = rng.normal(size=64)
    with pytest.raises(FloatingPointError, match="training loss became"):
        NeuralRegressor(max_epochs=2, random_state=0, verbose=0).fit(X, y)


def test_build_optimizer_rejects_unknown_names():
    params = [nn.Parameter(torch.zeros(1))]
    assert isinstance(build_optimizer("adamw", params, lr=1e-3, weight_decay=0), torch.optim.AdamW)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        build_optimizer("lbfgs", params, lr=1e-3, weight_decay=0)
    with pytest.raises(TypeError, match="optimizer must be one of"):
        build_optimizer(3, params, lr=1e-3, weight_decay=0)


def test_progress_bar_is_silenced_by_verbose_0(rng, capsys):
    X = rng.normal(size=(40, 2))
    y = X[:, 0]
    NeuralRegressor(max_epochs=2, random_state=0, verbose=0).fit(X, y)
    assert capsys.readouterr().err == ""
    NeuralRegressor(max_epochs=2, random_state=0, verbose=1).fit(X, y)
    assert "NeuralRegressor" in capsys.readouterr().err


def test_resampled_training_set_cannot_be_memorised():
    """Fresh pure-noise targets every epoch: the loss stays at Var(y) = 1; a fixed set is learnt."""
    (x, y), validation = _noise_problem(0)
    g = torch.Generator().manual_seed(1)
    epochs_seen = []

    def resample(epoch):
        epochs_seen.append(epoch)
        return torch.randn(150, 5, generator=g), torch.randn(150, 1, generator=g)

    losses = {}
    for name, fresh in (("fixed", None), ("fresh", resample)):
        torch.manual_seed(0)
        module = nn.Sequential(nn.Linear(5, 256), nn.ReLU(), nn.Linear(256, 1))
        result = train_module(
            module,
            nn.functional.mse_loss,
            (x, y),
            validation,
            optimizer=torch.optim.Adam(module.parameters(), lr=1e-2),
            batch_size=32,
            max_epochs=40,
            patience=None,
            verbose=0,
            resample=fresh,
        )
        losses[name] = np.mean([r["train_loss"] for r in result.history[-10:]])
    assert epochs_seen == list(range(2, 41))
    assert losses["fixed"] < 0.6  # memorised
    assert 0.75 < losses["fresh"] < 1.35  # chi^2-like scatter of the mean of 1500 squares


def test_resample_must_return_matching_inputs_and_targets():
    (x, y), _ = _noise_problem(0)
    module = nn.Linear(5, 1)
    with pytest.raises(ValueError, match="resample\\(2\\) returned 150 inputs and 3 targets"):
        train_module(
            module,
            nn.functional.mse_loss,
            (x, y),
            None,
            optimizer=torch.optim.SGD(module.parameters(), lr=1e-3),
            batch_size=32,
            max_epochs=3,
            patience=None,
            verbose=0,
            resample=lambda epoch: (x, y[:3]),
        )
