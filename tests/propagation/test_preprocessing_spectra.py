"""Ratio features, parameter whitening and noise augmentation of crsbi.propagation.preprocessing."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crsbi.propagation.galactic import PARAM_NAMES, PRIOR_BOUNDS, energy_grid
from crsbi.propagation.preprocessing import (
    FEATURE_NAMES,
    ParameterWhitener,
    SpectralRatioFeatures,
    add_relative_noise,
    as_spectra,
    ratio_features,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_features_equal_hand_computed_ratios(rng):
    flux = rng.uniform(0.1, 10.0, size=(3, 5, 84))
    li, be, b, c, o = (flux[:, k] for k in range(5))
    features = ratio_features(flux)
    assert features.shape == (3, 8, 84) and len(FEATURE_NAMES) == 8
    expected = [li / c, li / o, be / c, be / o, b / c, b / o]
    for k, ratio in enumerate(expected):
        np.testing.assert_allclose(features[:, k], ratio, rtol=1e-12)
    # on the grid, 110 GeV/n is not a grid point: the pivot is a log-log interpolation,
    # exact for power laws
    e = energy_grid()
    c_pl = 3.0 * e**-2.7
    o_pl = 2.0 * e**-2.6
    flux_pl = np.ones((1, 5, 84))
    flux_pl[0, 3], flux_pl[0, 4] = c_pl, o_pl
    pl = ratio_features(flux_pl)
    np.testing.assert_allclose(pl[0, 6], (e / 110.0) ** -2.7, rtol=1e-10)
    np.testing.assert_allclose(pl[0, 7], o_pl / (3.0 * 110.0**-2.7), rtol=1e-10)


def test_pivot_on_a_grid_point_gives_one():
    e = np.array([1.0, 10.0, 110.0, 1000.0])
    flux = np.random.default_rng(1).uniform(1, 2, size=(2, 5, 4))
    features = ratio_features(flux, e)
    np.testing.assert_allclose(features[:, 6, 2], 1.0)
    np.testing.assert_allclose(features[:, 7, 2], flux[:, 4, 2] / flux[:, 3, 2])


def test_normalisations_divided_out(rng):
    flux = rng.uniform(0.1, 10.0, size=(4, 5, 84))
    q_c, q_o, xi_li, xi_be = 1.3, 0.7, 1.2, 0.9
    # secondaries made from carbon scale with q_C, Li and Be also with their xi
    scaled = flux.copy()
    scaled[:, 0] *= xi_li * q_c
    scaled[:, 1] *= xi_be * q_c
    scaled[:, 2] *= q_c
    scaled[:, 3] *= q_c
    scaled[:, 4] *= q_o
    reference = ratio_features(flux)
    got = ratio_features(scaled, normalizations=[q_c, q_o, xi_li, xi_be])
    for k in (0, 2, 4, 6, 7):  # X/C ratios and the two shape channels are invariant
        np.testing.assert_allclose(got[:, k], reference[:, k], rtol=1e-12)
    # without dividing them out the nuisances show up
    raw = ratio_features(scaled)
    np.testing.assert_allclose(raw[:, 0], reference[:, 0] * xi_li, rtol=1e-12)
    np.testing.assert_allclose(raw[:, 7], reference[:, 7] * q_o / q_c, rtol=1e-12)


def test_log_option_and_flat_input(rng):
    flux = rng.uniform(0.1, 10.0, size=(2, 5, 84))
    np.testing.assert_allclose(
        ratio_features(flux.reshape(2, -1), log=True), np.log10(ratio_features(flux)), atol=1e-12
    )


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.ones((2, 4, 84)), r"\(Li, Be, B, C, O\)"),
        (np.ones((2, 5, 84, 1)), "shape"),
        (-np.ones((2, 5, 84)), "> 0"),
        (np.full((2, 5, 84), np.nan), "NaN"),
    ],
)
def test_bad_fluxes_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        as_spectra(bad)


def test_pivot_outside_grid_raises():
    with pytest.raises(ValueError, match="pivot_energy"):
        ratio_features(np.ones((1, 5, 10)))  # 10 bins end at 7.5e-3 GeV/n


def test_transformer_in_pipeline(rng):
    flux = rng.uniform(0.1, 10.0, size=(6, 420))
    pipe = make_pipeline(SpectralRatioFeatures(), StandardScaler()).fit(flux)
    assert pipe.transform(flux).shape == (6, 672)
    np.testing.assert_allclose(
        SpectralRatioFeatures(log=False).fit(flux).transform(flux).reshape(6, 8, 84),
        ratio_features(flux),
    )


def test_whitening_round_trip_and_prior_corners(rng):
    low, high = np.array(list(PRIOR_BOUNDS.values())).T
    theta = rng.uniform(low, high, size=(100, 10))
    whitener = ParameterWhitener().fit(theta)
    w = whitener.transform(theta)
    assert np.all((w >= 0) & (w <= 1))
    np.testing.assert_allclose(whitener.inverse_transform(w), theta, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whitener.transform(np.stack([low, high])), [[0] * 10, [1] * 10])
    # whitening is affine per parameter: midpoints go to 0.5
    np.testing.assert_allclose(whitener.transform(((low + high) / 2)[None]), 0.5)


def test_log_whitening_of_the_breaks(rng):
    """Breaks given in MV and whitened in log equal the default whitening of log10 R."""
    low, high = np.array(list(PRIOR_BOUNDS.values())).T
    theta = rng.uniform(low, high, size=(50, 10))
    linear_breaks = theta.copy()
    linear_breaks[:, 8:] = 10.0 ** theta[:, 8:]
    box = np.stack([low, high], axis=1)
    box[8:] = 10.0 ** box[8:]
    logged = ParameterWhitener(bounds=box, log_columns=[8, 9]).fit(linear_breaks)
    w = logged.transform(linear_breaks)
    np.testing.assert_allclose(w, ParameterWhitener().fit(theta).transform(theta), atol=1e-12)
    np.testing.assert_allclose(w[:, 8], (np.log10(linear_breaks[:, 8]) - 2.0) / 2.0)
    np.testing.assert_allclose(logged.inverse_transform(w), linear_breaks, rtol=1e-10)
    assert PARAM_NAMES[8] == "log10_Rbr1"


def test_whitener_data_range_and_errors(rng):
    y = rng.normal(size=(30, 2))
    whitener = ParameterWhitener().fit(y)
    w = whitener.transform(y)
    assert w.min() > 0 and w.max() < 1
    np.testing.assert_allclose(whitener.inverse_transform(w), y)
    with pytest.raises(ValueError, match="bounds"):
        ParameterWhitener(bounds=[[1, 0], [0, 1]]).fit(y)
    with pytest.raises(ValueError, match="log_columns"):
        ParameterWhitener(log_columns=[5]).fit(y)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        whitener.transform(np.ones((3, 3)))


def test_relative_noise_bounds_and_seeding(rng):
    flux = rng.uniform(1, 2, size=(2000, 5))
    noisy = add_relative_noise(flux, 0.05, random_state=3)
    ratio = noisy / flux - 1
    assert np.abs(ratio).max() <= 0.05
    # Uniform(-a, a): mean 0, variance a^2 / 3 (10^4 draws: 4 sigma tolerances)
    assert abs(ratio.mean()) < 4 * 0.05 / np.sqrt(3 * ratio.size)
    assert abs(ratio.var() / (0.05**2 / 3) - 1) < 4 * np.sqrt(0.8 / ratio.size)
    np.testing.assert_array_equal(noisy, add_relative_noise(flux, 0.05, random_state=3))
    assert not np.array_equal(noisy, add_relative_noise(flux, 0.05, random_state=4))
    np.testing.assert_array_equal(add_relative_noise(flux, 0.0, random_state=3), flux)
    with pytest.raises(ValueError, match="noise"):
        add_relative_noise(flux, 1.5)
