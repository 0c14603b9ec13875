"""Tests of the CR-fluid dataset builder (campaign store, labels, layout, resume)."""

from __future__ import annotations

import numpy as np
import pytest

from crsbi.core.campaign import consolidate_campaign, load_campaign
from crsbi.maps.crfluid import simulate_crfluid
from crsbi.maps.crfluid_dataset import (
    load_crfluid_dataset,
    make_crfluid_dataset,
    simulate_crfluid_class,
)

SMALL = {
    "resolution": 8,
    "t_end_eddy": 0.1,
    "snapshot_every": 0.05,
    "saturation_eddy": 0.05,
    "verbose": 0,
}


def test_dataset_shapes_labels_and_mass(tmp_path):
    data = make_crfluid_dataset(
        tmp_path / "store",
        classes=("CR_Diff100", "MHD"),
        n_runs_per_class=2,
        random_state=0,
        **SMALL,
    )
    # 2 classes x 2 runs x 2 snapshots (t = 0.05, 0.1 eddy times)
    assert data.images.shape == (8, 8, 8)
    assert data.classes == ("MHD", "CR_Diff100")
    np.testing.assert_array_equal(data.labels, [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(data.time, [0.05, 0.1] * 4)
    np.testing.assert_array_equal(data.run, [0, 0, 1, 1, 2, 2, 3, 3])
    # every map conserves mass: mean density rho_0 = 1 to round-off
    np.testing.assert_allclose(data.images.mean(axis=(1, 2)), 1.0, rtol=1e-13)
    # each stored run is reproduced from its stored seed alone
    stored = load_campaign(tmp_path / "store")
    again = simulate_crfluid_class(
        stored.theta[3],
        random_state=int(stored.seed[3]),
        resolution=8,
        t_end_eddy=0.1,
        snapshot_every=0.05,
        saturation_eddy=0.05,
    )
    np.testing.assert_array_equal(again.reshape(2, 8, 8), data.images[6:8])


def test_resume_and_consolidated_file_give_the_same_data(tmp_path):
    store = tmp_path / "store"
    first = make_crfluid_dataset(
        store, classes=("CR_Advect",), n_runs_per_class=1, random_state=1, **SMALL
    )
    # a second call resumes: nothing is simulated again, the data are identical
    mtimes = sorted(p.stat().st_mtime_ns for p in store.rglob("*.h5"))
    second = make_crfluid_dataset(
        store, classes=("CR_Advect",), n_runs_per_class=1, random_state=1, **SMALL
    )
    assert sorted(p.stat().st_mtime_ns for p in store.rglob("*.h5")) == mtimes
    np.testing.assert_array_equal(first.images, second.images)
    file = consolidate_campaign(store, tmp_path / "all.h5")
    np.testing.assert_array_equal(load_crfluid_dataset(file).images, first.images)


def test_3d_cube_layout_matches_the_simulator(tmp_path):
    data = make_crfluid_dataset(
        tmp_path / "cube",
        classes=("MHD",),
        n_runs_per_class=1,
        ndim=3,
        random_state=2,
        resolution=8,
        t_end_eddy=0.05,
        snapshot_every=0.05,
        verbose=0,
    )
    assert data.images.shape == (1, 8, 8, 8)
    seed = int(load_campaign(tmp_path / "cube").seed[0])
    direct = simulate_crfluid(
        preset="MHD",
        resolution=8,
        ndim=3,
        t_end_eddy=0.05,
        snapshot_every=0.05,
        random_state=seed,
        verbose=0,
    )
    np.testing.assert_array_equal(direct.snapshots["density"], data.images)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"classes": ("CR_Slow",)}, "classes"),
        ({"classes": "MHD"}, "classes"),
        ({"n_runs_per_class": 0}, "n_runs_per_class"),
        ({"ndim": 1}, "ndim"),
    ],
)
def test_bad_inputs(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_crfluid_dataset(tmp_path, **{"verbose": 0, **kwargs})


def test_simulator_rejects_unknown_class():
    with pytest.raises(ValueError, match="class index"):
        simulate_crfluid_class([7], random_state=0, resolution=8, t_end_eddy=0.05)
