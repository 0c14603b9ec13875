"""Tests of make_transport_dataset: run-wise splits, tiles, preprocessing, shifts, resume."""

from __future__ import annotations

import numpy as np
import pytest

from crsbi.maps.crfluid_dataset import load_crfluid_dataset
from crsbi.maps.transport_dataset import make_transport_dataset, preprocess_tiles

SMALL = {
    "resolution": 8,
    "tile_size": 4,
    "t_end_eddy": 0.1,
    "snapshot_every": 0.05,
    "saturation_eddy": 0.05,
    "verbose": 0,
}
CLASSES = ("CR_Diff100", "MHD")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("transport")
    data = make_transport_dataset(
        path, CLASSES, n_runs_per_class=4, n_validation_runs=1, variant="density", **SMALL
    )
    return path, data


def test_split_by_independent_runs_and_tiles_partition_the_maps(store):
    path, data = store
    assert data.classes == ("MHD", "CR_Diff100")
    # runs 0-1 train, 2 validation, 3 test, for every class; never shared between sets
    assert set(data.run_train) == {0, 1}
    assert set(data.run_val) == {2}
    assert set(data.run_test) == {3}
    # 2 classes x runs x 2 snapshots (0.05, 0.1 eddy times) x 4 tiles of 4^2 per 8^2 map
    assert data.X_train.shape == (2 * 2 * 2 * 4, 4, 4)
    assert data.X_val.shape == data.X_test.shape == (2 * 1 * 2 * 4, 4, 4)
    assert data.X_train.dtype == np.float32
    for name in data.classes:
        raw = load_crfluid_dataset(path / name)
        maps = raw.images[raw.run == 3]
        tiles = data.X_test[data.y_test == name]
        # the four tiles of a map are its quadrants, read directly from the stored snapshot
        quadrants = [maps[0][:4, :4], maps[0][:4, 4:], maps[0][4:, :4], maps[0][4:, 4:]]
        np.testing.assert_allclose(tiles[:4], np.stack(quadrants), rtol=1e-6)
        # mass conservation: the tiles of each snapshot average to rho_0 = 1
        np.testing.assert_allclose(tiles.reshape(-1, 4 * 16).mean(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(
            data.time_test[data.y_test == name], np.repeat([0.05, 0.1], 4), atol=1e-12
        )


def test_resume_does_not_simulate_again_and_preprocessing_is_monotone(store):
    path, density = store
    mtimes = sorted(p.stat().st_mtime_ns for p in path.rglob("*.h5"))
    full = make_transport_dataset(path, CLASSES, n_runs_per_class=4, n_validation_runs=1, **SMALL)
    assert sorted(p.stat().st_mtime_ns for p in path.rglob("*.h5")) == mtimes
    np.testing.assert_array_equal(full.y_train, density.y_train)
    # equalised tiles lie in [0, 1] and keep the order of the densities (a monotone map)
    assert full.X_train.min() >= 0.0 and full.X_train.max() <= 1.0
    rho = density.X_train.reshape(len(density.X_train), -1).astype(np.float64)
    eq = full.X_train.reshape(len(full.X_train), -1)
    order = np.argsort(rho, axis=1)
    assert np.all(np.diff(np.take_along_axis(eq, order, axis=1), axis=1) >= 0)
    assert np.all(eq.max(axis=1) == 1.0)
    # flattened: equalisation of ifft2(F/|F|) of log10 density, computed here with numpy
    flat = make_transport_dataset(
        path, CLASSES, n_runs_per_class=4, n_validation_runs=1, variant="flattened", **SMALL
    )
    spectrum = np.fft.fft2(np.log10(density.X_test.astype(np.float64)))
    reference = np.fft.ifft2(spectrum / np.abs(spectrum)).real.reshape(len(spectrum), -1)
    values = flat.X_test.reshape(len(flat.X_test), -1)
    order = np.argsort(reference, axis=1)
    assert np.all(np.diff(np.take_along_axis(values, order, axis=1), axis=1) >= 0)
    # the flat spectrum changes the images: the order is not that of the densities
    rho_test = density.X_test.reshape(len(density.X_test), -1)
    assert not np.array_equal(np.argsort(rho_test, axis=1), order)
    log = make_transport_dataset(
        path, CLASSES, n_runs_per_class=4, n_validation_runs=1, variant="log", **SMALL
    )
    np.testing.assert_allclose(log.X_val, np.log10(density.X_val), atol=1e-6)


def test_train_shifts_add_every_periodic_window(store):
    path, density = store
    shifted = make_transport_dataset(
        path,
        CLASSES,
        n_runs_per_class=4,
        n_validation_runs=1,
        variant="density",
        train_shifts=2,
        **SMALL,
    )
    assert len(shifted.X_train) == 4 * len(density.X_train)
    np.testing.assert_array_equal(shifted.X_test, density.X_test)
    raw = load_crfluid_dataset(path / "MHD")
    got = {tile.tobytes() for tile in shifted.X_train[shifted.y_train == "MHD"]}
    for image in raw.images[raw.run < 2]:
        wrapped = np.pad(image, ((0, 4), (0, 4)), mode="wrap").astype(np.float32)
        for i in (0, 2, 4, 6):
            for j in (0, 2, 4, 6):
                assert wrapped[i : i + 4, j : j + 4].tobytes() in got


def test_keep_fraction_is_seeded_and_classifier_ready(store):
    from crsbi.maps.classifier import TransportClassifier

    path, density = store
    kwargs = {"n_runs_per_class": 4, "n_validation_runs": 1, "keep_fraction": 0.5, **SMALL}
    half = make_transport_dataset(path, CLASSES, **kwargs)
    again = make_transport_dataset(path, CLASSES, **kwargs)
    assert len(half.X_train) == len(density.X_train) // 2
    np.testing.assert_array_equal(half.X_train, again.X_train)
    clf = TransportClassifier(max_epochs=1, validation_fraction=0.0, random_state=0, verbose=0)
    clf.fit(half.X_train, half.y_train)
    assert set(clf.predict(half.X_test)) <= set(CLASSES)
    assert list(clf.classes_) == sorted(CLASSES)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_runs_per_class": 2, "n_validation_runs": 1}, "n_test_runs"),
        ({"n_runs_per_class": 1}, "n_runs_per_class"),
        ({"tile_size": 16}, "tile_size"),
        ({"variant": "sharp"}, "variant"),
        ({"classes": "MHD"}, "classes"),
        ({"classes": ("MHD", "Alfven")}, "classes"),
        ({"train_shifts": 0}, "train_shifts"),
    ],
)
def test_bad_input_is_named(tmp_path, kwargs, match):
    arguments = {"classes": CLASSES, **SMALL, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        make_transport_dataset(tmp_path / "x", **arguments)
    assert not (tmp_path / "x").exists()


def test_preprocess_tiles_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(n, H, W\)"):
        preprocess_tiles(np.ones((4, 4)))
