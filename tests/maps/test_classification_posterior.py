"""Tests of the log10 kappa posterior: simulator mapping, dataset, CNN-embedded NPE, calibration."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from crsbi.inference.calibration import run_calibration
from crsbi.maps.crfluid import simulate_crfluid
from crsbi.maps.kappa_posterior import (
    ImageEmbedding,
    make_kappa_dataset,
    make_kappa_posterior,
    preprocess_flat_images,
    simulate_kappa_maps,
)

TINY = {"resolution": 8, "t_end_eddy": 0.1, "snapshot_every": 0.05, "saturation_eddy": 0.05}


def test_theta_is_log10_kappa_of_the_fiducial_preset():
    # log10 kappa = -1 with CRs at eta = 1 and no streaming is the CR_Diff_Fiducial preset
    maps = simulate_kappa_maps([-1.0], random_state=3, **TINY)
    fiducial = simulate_crfluid(preset="CR_Diff_Fiducial", random_state=3, verbose=0, **TINY)
    np.testing.assert_array_equal(maps, fiducial.snapshots["density"].ravel())
    other = simulate_kappa_maps([1.0], random_state=3, **TINY)
    assert not np.array_equal(maps, other)
    with pytest.raises(ValueError, match="log10 kappa"):
        simulate_kappa_maps([np.nan], random_state=0, **TINY)


def test_dataset_draws_log_uniform_kappa_and_conserves_mass(tmp_path):
    data = make_kappa_dataset(
        tmp_path / "k", 3, log10_kappa_range=(-1.5, 0.5), random_state=2, verbose=0, **TINY
    )
    assert data.images.shape == (6, 8, 8)
    np.testing.assert_array_equal(data.run, [0, 0, 1, 1, 2, 2])
    assert np.all((data.log10_kappa >= -1.5) & (data.log10_kappa <= 0.5))
    assert len(np.unique(data.log10_kappa)) == 3
    # every map conserves mass (mean density rho_0 = 1)
    np.testing.assert_allclose(data.images.mean(axis=(1, 2)), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="log10_kappa_range"):
        make_kappa_dataset(tmp_path / "bad", 2, log10_kappa_range=(1.0, -1.0), verbose=0)
    with pytest.raises(TypeError, match="streaming"):
        make_kappa_dataset(tmp_path / "bad", 2, streaming="yes", verbose=0)


def test_flat_preprocessing_and_embedding_shapes():
    rng = np.random.default_rng(0)
    maps = np.exp(rng.normal(size=(3, 8, 8)))
    flat = preprocess_flat_images(maps.reshape(3, -1))
    np.testing.assert_allclose(flat, np.log10(maps).reshape(3, -1), rtol=1e-6)
    with pytest.raises(ValueError, match="square"):
        preprocess_flat_images(np.ones((2, 10)))
    with pytest.raises(ValueError, match=r"\(batch, N \* N\)"):
        ImageEmbedding(2)(torch.zeros(2, 10))


def _maps(log10_sigma, rng, size=16):
    """Log-normal white-noise maps whose log-density rms is 10**log10_sigma."""
    g = rng.normal(size=(len(log10_sigma), size, size))
    return np.exp(10.0 ** log10_sigma[:, None, None] * g)


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: extra threads only add contention
    yield
    torch.set_num_threads(threads)


def test_posterior_recovers_a_known_amplitude_and_is_calibrated(one_thread):
    # a problem with a known answer: the log-density rms is 10**theta, theta ~ U(-1, 0);
    # 256 pixels measure it to ~4.4 % (0.02 dex), far inside the prior width (0.29 dex rms)
    rng = np.random.default_rng(0)
    n_test = 150  # 60 left the coverage checks below at <= 3 sd; evaluation costs ~0.3 s
    theta = rng.uniform(-1.0, 0.0, size=400)
    theta_test = rng.uniform(-1.0, 0.0, size=n_test)
    pipe = make_kappa_posterior(
        log10_kappa_range=(-1.0, 0.0),
        n_features=4,
        channels=(8, 16),
        hidden_features=16,
        num_transforms=2,
        max_epochs=60,
        random_state=0,
    )
    pipe.fit(_maps(theta, rng), theta)
    pipe[-1].set_params(n_posterior_samples=200)
    x_test = _maps(theta_test, rng).reshape(n_test, -1)
    mean = pipe.predict(x_test).ravel()
    rmse = float(np.sqrt(np.mean((mean - theta_test) ** 2)))
    prior_rmse = 1.0 / np.sqrt(12.0)  # what a posterior equal to the prior would score
    # 10 seeds (data and network): rmse / prior_rmse = 0.16 +- 0.013
    assert rmse < 0.3 * prior_rmse, rmse
    report = run_calibration(
        pipe, theta_test, x_test, n_posterior_samples=100, c2st=False, random_state=0
    )
    # HPD coverage over 150 rounds, 10 seeds: 0.893 +- 0.032 at 0.9 and 0.495 +- 0.049 at
    # 0.5 (binomial sd 0.025 and 0.041, the rest is the network's); bands >= 4 measured sd
    coverage = dict(zip(report.levels, report.hpd_coverage, strict=True))
    assert coverage[0.9] >= 0.76, coverage
    assert 0.3 <= coverage[0.5] <= 0.7, coverage
