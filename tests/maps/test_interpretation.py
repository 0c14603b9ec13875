"""Tests of crsbi.maps.interpretation: saliency, Gaussian-filter, projection-depth experiments."""

import numpy as np
import pytest
import torch
from torch import nn

from crsbi.maps.classifier import TransportClassifier, make_spectral_cubes, make_spectral_images
from crsbi.maps.images import buffered_split, cube_to_tiles, equalize_histogram
from crsbi.maps.interpretation import (
    gaussian_filter_experiment,
    projection_depth_experiment,
    saliency_in_extremes,
    saliency_maps,
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
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def slope_model(one_torch_thread):
    X, y = make_spectral_images(100, slopes=SLOPES, size=32, random_state=1)
    return TransportClassifier(**FAST).fit(X, y)


class _CornerNet(nn.Module):
    """Logits that depend only on the 8 x 8 corner of the image."""

    def forward(self, x):
        corner = (x[:, 0, :8, :8] ** 2).sum((1, 2))
        return torch.stack([corner, -corner], 1)


def test_saliency_concentrated_where_the_model_looks(rng):
    X, y = make_spectral_images(3, slopes={"a": -3.0, "b": -2.0}, size=32, random_state=0)
    model = TransportClassifier(**{**FAST, "max_epochs": 1}).fit(X, y)
    model.module_ = _CornerNet()  # a network that provably ignores everything but the corner
    raw = saliency_maps(model, X, sigma=0, normalize=False)
    # exact gradient of sum(x^2) over the corner is 2|x| there and 0 elsewhere
    expected = np.zeros_like(X)
    expected[:, :8, :8] = 2 * np.abs(X[:, :8, :8])
    assert np.allclose(raw, expected, rtol=1e-5, atol=1e-6)
    smooth = saliency_maps(model, X, target="a")  # sigma = 4 px, normalised
    assert np.allclose(smooth.max(axis=(1, 2)), 1.0)
    inside = smooth[:, :12, :12].sum((1, 2))  # corner plus ~one sigma of smoothing
    assert np.all(inside / smooth.sum((1, 2)) > 0.85)
    assert np.all(smooth[:, 24:, 24:] < 1e-3)  # 4 sigma away: nothing
    with pytest.raises(ValueError, match="not in classes_"):
        saliency_maps(model, X, target="zzz")
    with pytest.raises(ValueError, match="one label per image"):
        saliency_maps(model, X, target=["a", "b"])


def test_trained_saliency_follows_the_informative_half(rng):
    # class information only in the left half (slope); the right half is the same noise
    n, size = 80, 32
    X, y = make_spectral_images(
        n, slopes={"smooth": -4.0, "rough": -2.0}, size=size, random_state=3
    )
    noise, _ = make_spectral_images(n, slopes={"x": -3.0, "y": -3.0}, size=size, random_state=4)
    X[:, :, size // 2 :] = noise[:, :, size // 2 :]
    params = {**FAST, "flip_augmentation": False}  # flips would move the information
    model = TransportClassifier(**params).fit(X, y)
    assert model.score(X, y) > 0.8  # 30 seeds (data and network): 1.0 but once 0.994
    maps = saliency_maps(model, X[:40], sigma=2.0)
    left = maps[:, :, : size // 2 - 4].mean()
    right = maps[:, :, size // 2 + 4 :].mean()
    # 30 seeds: left / right = 3.6, from 2.3 to 6.4; ln(left / right) = 1.25 +- 0.26, so
    # 1.2 is 4 sd below (the former 1.5 was 3.1 sd)
    assert left > 1.2 * right


def test_blurring_pushes_predictions_to_the_smooth_class(slope_model):
    # Gaussian blurring multiplies P(k) by exp(-k^2 sigma^2): the field gets steeper, so the
    # shallow-spectrum (MHD-like) images should migrate to the steep CR_Diff_Fiducial class
    log_images, _ = make_spectral_images(
        40, slopes={"MHD": -2.0}, size=32, equalize=False, random_state=9
    )
    result = gaussian_filter_experiment(
        slope_model, log_images, sigmas=[0, 1, 2, 4], preprocess=equalize_histogram
    )
    smooth = list(result.classes).index("CR_Diff_Fiducial")
    mhd = list(result.classes).index("MHD")
    # 12 seeds (data and network): 0.99 +- 0.03 (min 0.9), 1.0 every time, and the
    # smallest step of the rise 0.018 +- 0.016 (min 0.001)
    assert result.predicted_fraction[0, mhd] > 0.7  # unblurred: recognised
    assert result.predicted_fraction[-1, smooth] > 0.7  # blurred: "diffusive"
    assert np.all(np.diff(result.mean_proba[:, smooth]) > -0.05)  # (nearly) monotone rise
    assert np.allclose(result.mean_proba.sum(1), 1)
    with pytest.raises(ValueError, match="sigmas"):
        gaussian_filter_experiment(slope_model, log_images, sigmas=[-1])


def test_projection_depth_degrades_slice_trained_model():
    # Paper's finding: a model trained on one-cell slices loses accuracy on images averaged
    # over d cells (a plane cut and a thick projection of a 3-D field have different 2-D
    # statistics: for a Gaussian field the slice spectrum is one power of k shallower).
    # A near-Gaussian field (sigma_ln = 0.3; the default 1.0 is strongly log-normal) shows
    # the effect clearly. Spreads below: 24 network seeds on these cubes. With the former
    # sigma_ln = 1 cubes a network's drop was 0.13 +- 0.06 (40 seeds: from -0.05 to 0.24),
    # and the bound (a drop > 0.1) held at 0.5 sd
    cubes, labels = make_spectral_cubes(
        slopes={"steep": -4.5, "shallow": -3.0}, size=48, sigma_ln=0.3, random_state=1
    )
    regions = buffered_split(48, widths=(0.25, 0.5), buffer=0.125, names=("train", "test"))
    train_X, train_y = [], []
    for cube, label in zip(cubes, labels, strict=True):
        tiles = cube_to_tiles(cube, regions=regions, tile_size=16, keep_fraction=1.0)["train"]
        train_X.append(tiles)
        train_y += [label] * len(tiles)
    model = TransportClassifier(**{**FAST, "module_kwargs": {"channels": (8, 16)}}).fit(
        np.concatenate(train_X), train_y
    )
    result = projection_depth_experiment(
        model, cubes, labels, depths=[1, 16], regions=regions, tile_size=16, random_state=0
    )
    # 24 test cells: 24 slices, or 24 - 16 + 1 = 9 windows of depth 16; 9 tiles; 2 cubes
    assert result.n_images.tolist() == [24 * 9 * 2, 9 * 9 * 2]
    assert result.accuracy[0] > 0.84  # 0.947 +- 0.025 (min 0.889)
    assert result.accuracy[1] < result.accuracy[0] - 0.15  # drop 0.331 +- 0.040 (min 0.234)
    with pytest.raises(KeyError, match="region"):
        projection_depth_experiment(model, cubes, labels, region="nope", tile_size=16)


def test_saliency_in_extremes_counts_the_right_pixels(rng):
    images = rng.normal(size=(3, 20, 20))
    # saliency only on the 10 % densest pixels of each image -> all of it is "dense"
    threshold = np.quantile(images.reshape(3, -1), 0.9, axis=1)[:, None, None]
    on_clumps = (images >= threshold).astype(float)
    dense, rare = saliency_in_extremes(on_clumps, images, fraction=0.1)
    np.testing.assert_allclose(dense, 1.0)
    np.testing.assert_allclose(rare, 0.0)
    # evenly spread saliency -> shares equal the fraction; a monotonic transform of the
    # images (log of a positive density) changes nothing
    dense, rare = saliency_in_extremes(np.ones_like(images), np.exp(images), fraction=0.25)
    np.testing.assert_allclose(dense, 0.25)
    np.testing.assert_allclose(rare, 0.25)
    with pytest.raises(ValueError, match=r"shape \(n, H, W\)"):
        saliency_in_extremes(np.ones((3, 20, 20)), images[:2])
    with pytest.raises(ValueError, match="fraction"):
        saliency_in_extremes(np.ones_like(images), images, fraction=0.6)
    with pytest.raises(ValueError, match=">= 0"):
        saliency_in_extremes(-np.ones_like(images), images)
