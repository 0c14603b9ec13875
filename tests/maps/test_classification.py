"""Tests of crsbi.maps.classifier: TransportClassifier and the Table 2 report."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from crsbi.maps.classifier import (
    TransportClassifier,
    _fit_temperature,
    classification_table,
    make_spectral_images,
)

SLOPES = {"CR_Diff_Fiducial": -4.0, "CR_Advect": -3.0, "MHD": -2.0}
FAST = {
    "module_kwargs": {"channels": (8, 16, 32)},
    "lr": 3e-3,
    "batch_size": 32,
    "max_epochs": 20,
    "patience": None,
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # tiny networks: threads only add contention on shared CI machines
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def spectral_task(one_torch_thread):
    X, y = make_spectral_images(100, slopes=SLOPES, size=32, random_state=1)
    X_test, y_test = make_spectral_images(40, slopes=SLOPES, size=32, random_state=2)
    model = TransportClassifier(**FAST).fit(X, y)
    return model, X, y, X_test, y_test


def test_learns_spectral_slope_well_above_chance(spectral_task):
    model, _, _, X_test, y_test = spectral_task
    # the classes differ only in the slope of P(k); after log + equalisation the one-point
    # distribution is identical, so this needs spatial structure. Chance is 1/3.
    accuracy = model.score(X_test, y_test)
    assert accuracy > 0.85  # 10 seeds (data and network): 0.955 +- 0.015, min 0.933
    assert set(model.classes_) == set(SLOPES)
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    assert np.allclose(proba.sum(1), 1)


def test_label_shuffled_data_stays_at_chance():
    X, y = make_spectral_images(60, slopes={"a": -4.0, "b": -2.0}, size=32, random_state=3)
    # balanced shuffle: each true class gets exactly half "a" and half "b" labels. A plain
    # permutation leaves a chance correlation between labels and slopes that the network
    # learns, so its fresh-image accuracy scatters far beyond the binomial law (16 seeds:
    # 100 +- 12 correct of 200, binomial sd 7.1; one seed at binomial p = 5e-5)
    rng = np.random.default_rng(0)
    y_shuffled = y.copy()
    for label in ("a", "b"):
        index = np.flatnonzero(y == label)
        y_shuffled[index] = rng.permutation(np.resize(["a", "b"], len(index)))
    model = TransportClassifier(**FAST).fit(X, y_shuffled)
    X_test, y_test = make_spectral_images(
        100, slopes={"a": -4.0, "b": -2.0}, size=32, random_state=4
    )
    correct = int((model.predict(X_test) == y_test).sum())
    # 40 seeds (data, shuffle and network): 98.6 +- 8.5 correct of 200, still a little wider
    # than the binomial sd 7.1 (the network's random function of the slope), so the bound is
    # 4 measured sd, not a binomial test; a network that learnt the slopes scores ~200
    assert abs(correct - len(y_test) / 2) <= 36


def test_flat_input_with_image_shape_matches_images(spectral_task):
    model, X, y, X_test, _ = spectral_task
    flat = TransportClassifier(image_shape=(32, 32), **FAST).fit(X.reshape(len(X), -1), y)
    assert np.allclose(
        flat.predict_proba(X_test.reshape(len(X_test), -1)), model.predict_proba(X_test)
    )
    assert flat.n_features_in_ == 32 * 32 and flat.image_shape_ == (32, 32)


def test_same_seed_same_model_and_pickle_round_trip(spectral_task):
    model, X, y, X_test, _ = spectral_task
    again = TransportClassifier(**FAST).fit(X, y)
    assert np.array_equal(again.predict_proba(X_test), model.predict_proba(X_test))
    restored = pickle.loads(pickle.dumps(model))  # noqa: S301 - our own object
    assert np.array_equal(restored.predict_proba(X_test), model.predict_proba(X_test))


def test_flip_augmentation_only_in_training(spectral_task):
    model, *_ = spectral_task
    assert isinstance(model.module_, torch.nn.Sequential)
    x = torch.randn(2, 1, 32, 32)
    model.module_.eval()
    assert torch.equal(model.module_(x), model.network_(x))


def test_roll_augmentation_sits_in_front_and_is_off_at_prediction(one_torch_thread):
    X, y = make_spectral_images(40, slopes=SLOPES, size=16, random_state=1)
    params = {**FAST, "max_epochs": 2, "module_kwargs": {"channels": (4,)}}
    model = TransportClassifier(roll_augmentation=True, **params).fit(X, y)
    names = [type(m).__name__ for m in model.module_]
    assert names == ["RandomRoll2d", "RandomFlip2d", "TransportCNN"]
    x = torch.randn(3, 1, 16, 16)
    model.module_.eval()
    assert torch.equal(model.module_(x), model.network_(x))


def _nll(proba, y, classes):
    index = np.searchsorted(classes, y)
    return -np.mean(np.log(proba[np.arange(len(y)), index]))


def test_temperature_scaling_lowers_held_out_nll():
    # no signal at all (equal slopes): whatever the net learns is noise, so it is always
    # overconfident. 12 seeds: ln T = 4.2 +- 0.7 (T from 13 to the bound 100), held-out NLL
    # 1.8 +- 0.2 -> 0.69 (drop 1.12 +- 0.21, >= 5 sd). The former hard task (slopes -3.2 and
    # -2.8) is partly learnt, and the margins shrank to 3.4 sd (ln T) and 2.7 sd (NLL drop)
    slopes = {"a": -3.0, "b": -3.0}
    X, y = make_spectral_images(30, slopes=slopes, size=32, random_state=5)
    X_val, y_val = make_spectral_images(60, slopes=slopes, size=32, random_state=6)
    X_test, y_test = make_spectral_images(100, slopes=slopes, size=32, random_state=7)
    params = {**FAST, "lr": 1e-2, "max_epochs": 40, "flip_augmentation": False}
    model = TransportClassifier(**params, validation_fraction=0.0).fit(X, y)
    before = model.predict_proba(X_test)
    labels_before = model.predict(X_test)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.calibrate_temperature(X_val, y_val)
    after = model.predict_proba(X_test)
    assert model.temperature_ > 1.0  # overconfident network cooled down
    # T reaches the bound 100 for some seeds (no signal at all), and then says so
    at_bound = model.temperature_ > 99.0
    assert at_bound == any("sits at its bound" in str(w.message) for w in caught)
    assert np.array_equal(model.predict(X_test), labels_before)  # argmax unchanged
    assert _nll(after, y_test, model.classes_) < _nll(before, y_test, model.classes_)
    with pytest.raises(ValueError, match="not seen in fit"):
        model.calibrate_temperature(X_val, np.full(len(X_val), "zzz"))


def test_temperature_scaling_parameter_needs_validation():
    X, y = make_spectral_images(10, slopes={"a": -4.0, "b": -2.0}, size=16, random_state=0)
    with pytest.raises(ValueError, match="validation_fraction"):
        TransportClassifier(temperature_scaling=True, validation_fraction=0.0).fit(X, y)
    params = {**FAST, "max_epochs": 2}
    model = TransportClassifier(temperature_scaling=True, validation_fraction=0.3, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The fitted softmax temperature")  # 3 validation maps
        assert model.fit(X, y).temperature_ > 0


def test_temperature_at_its_bound_warns():
    target = np.zeros(20, dtype=int)
    right = torch.tensor([[0.05, -0.05]] * 20)  # always right: sharper is always better
    with pytest.warns(UserWarning, match="sits at its bound"):
        assert _fit_temperature(right, target) == pytest.approx(0.01, rel=0.02)
    wrong = torch.tensor([[-3.0, 3.0]] * 20)  # always wrong: flatter is always better
    with pytest.warns(UserWarning, match="sits at its bound"):
        assert _fit_temperature(wrong, target) == pytest.approx(100.0, rel=0.02)
    mixed = torch.tensor([[1.0, -1.0]] * 15 + [[-1.0, 1.0]] * 5)  # 75 % right: interior optimum
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 0.1 < _fit_temperature(mixed, target) < 10.0


def test_bad_inputs_raise_clear_errors(spectral_task):
    model, X, y, *_ = spectral_task
    bad = X[:10].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TransportClassifier(**FAST).fit(bad, y[:10])
    with pytest.raises(ValueError, match=r"image_shape"):
        TransportClassifier(image_shape=(5, 5), **FAST).fit(X.reshape(len(X), -1), y)
    with pytest.raises(ValueError, match=r"shape \(32, 32\)"):
        model.predict(np.zeros((2, 16, 16)))
    with pytest.raises(ValueError, match="dimensions"):
        TransportClassifier(**FAST).fit(np.zeros((4, 1, 8, 8)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        TransportClassifier(**FAST).fit(X[:5], ["a"] * 5)
    with pytest.raises(TypeError, match="flip_augmentation"):
        TransportClassifier(flip_augmentation="yes").fit(X[:6], y[:6])
    with pytest.raises(TypeError, match="roll_augmentation"):
        TransportClassifier(roll_augmentation=1).fit(X[:6], y[:6])


def test_shape_guards_name_the_expected_images(spectral_task):
    model, X, y, X_test, _ = spectral_task
    # a single image: the error names the image shape and the fix
    with pytest.raises(ValueError, match=r"images of shape \(32, 32\).*X\[np.newaxis\]"):
        model.predict(X_test[0])
    with pytest.raises(ValueError, match=r"\(n_samples, 32, 32\) or \(n_samples, 1024\)"):
        model.predict(X_test[:3].reshape(3, -1)[:, :100])
    assert model.predict(X_test[:1]).shape == (1,)
    # flattened input: square images are inferred, anything else needs image_shape
    flat = TransportClassifier(**{**FAST, "max_epochs": 1}).fit(X.reshape(len(X), -1), y)
    assert flat.image_shape_ == (32, 32)
    with pytest.raises(ValueError, match=r"not the square.*image_shape=\(1, 1000\)"):
        TransportClassifier(**FAST).fit(X.reshape(len(X), -1)[:, :1000], y)
    profile = TransportClassifier(
        image_shape=(1, 1000), **{**FAST, "max_epochs": 1, "module_kwargs": {"channels": (4,)}}
    ).fit(X.reshape(len(X), -1)[:, :1000], y)
    assert profile.image_shape_ == (1, 1000)
    # 1 x 1 images
    for bad in (np.zeros((4, 1, 1)), np.zeros((4, 1))):
        with pytest.raises(ValueError, match=r"at least 2 pixels|not the square"):
            TransportClassifier(**FAST).fit(bad, [0, 1, 0, 1])


def test_score_rejects_labels_unseen_in_fit(spectral_task):
    model, _, _, X_test, y_test = spectral_task
    assert 0.0 <= model.score(X_test, y_test) <= 1.0
    with pytest.raises(ValueError, match=r"not seen in fit.*classes_"):
        model.score(X_test, np.where(y_test == "MHD", "MHD_typo", y_test))


def test_out_of_distribution_maps_warn(spectral_task):
    model, _, _, X_test, _ = spectral_task
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # held-out maps of the training distribution: silent
        model.predict(X_test)
    low, high = model.input_range_
    assert 0.0 <= low < high <= 1.0  # equalised training maps
    raw = 10.0 ** (2 * X_test - 1)  # like un-equalised density: values up to 10
    with pytest.warns(UserWarning, match=r"outside the range of the training images"):
        model.predict(raw)
    with pytest.warns(UserWarning, match="preprocessed as in fit"):
        model.predict_proba(X_test - 0.5)


def test_table_matches_sklearn_metrics(rng):
    labels = np.array(["CR_Advect", "CR_Diff_Fiducial", "MHD"])
    y_true = rng.choice(labels, 300)
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.choice(labels, 300))
    table = classification_table(y_true, y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels)
    assert np.allclose(table.precision, p) and np.allclose(table.recall, r)
    assert np.allclose(table.f1, f) and np.array_equal(table.support, s)
    assert table.overall_accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    for i, label in enumerate(labels):  # one-vs-rest accuracy by hand
        ovr = np.mean((y_true == label) == (y_pred == label))
        assert table.accuracy[i] == pytest.approx(ovr)
    text = table.to_markdown()
    assert text.count("\n") == 1 + len(labels) and "CR_Diff_Fiducial" in text
    assert table.as_dict()["label"] == labels.tolist()


def test_table_undefined_precision_and_errors():
    table = classification_table(["a", "b"], ["a", "a"])
    assert np.isnan(table.precision[1]) and table.recall[1] == 0
    assert "| b | 50.0 | - |" in table.to_markdown()
    with pytest.raises(ValueError, match="same length"):
        classification_table(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="does not list"):
        classification_table(["a", "b"], ["a", "b"], labels=["a"])
