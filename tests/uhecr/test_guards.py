"""Guards for real UHECR event lists and maps: bad coordinates, energies, counts, N, exposure."""

import warnings

import healpy as hp
import numpy as np
import pytest
from conftest import P_4SIGMA
from scipy import stats

from crsbi.uhecr.anisotropy import AnisotropyTest
from crsbi.uhecr.data import load_auger2022
from crsbi.uhecr.sky import LG_E_MIN, events_to_maps, exposure_map, simulate_sky_maps
from crsbi.uhecr.statistics import (
    LikelihoodRatioTest,
    PowerSpectrumTest,
    TopHatCountingTest,
    relative_intensity,
)

NSIDE = 8
NPIX = 12 * NSIDE**2
E_MIN_EEV = 10 ** (LG_E_MIN - 18)  # 56 EeV
AUGER = {"nside": NSIDE, "n_channels": 1, "exposure": "auger"}
UNIFORM = {"nside": NSIDE, "n_channels": 1, "exposure": "uniform"}


def isotropic(n_maps, n_events, sim, seed):
    return simulate_sky_maps(n_maps, n_events=n_events, random_state=seed, **sim)


@pytest.fixture(scope="module")
def no_fov_pixel():
    """A NESTED nside-8 pixel with zero Auger exposure and its (l, b) centre."""
    pixel = int(np.flatnonzero(exposure_map("auger", NSIDE) == 0)[0])
    l_deg, b_deg = hp.pix2ang(NSIDE, pixel, nest=True, lonlat=True)
    return pixel, float(l_deg), float(b_deg)


# ----------------------------------------------------------------------- events_to_maps
@pytest.mark.parametrize(
    ("l_deg", "b_deg", "match"),
    [
        (np.nan, 10.0, r"l_deg of events_to_maps must hold finite longitudes in \[0, 360\]"),
        (361.0, 10.0, r"l_deg .* \[0, 360\] deg\. Got 1 of 2 values, e\.g\. 361\.0"),
        (-1.0, 10.0, r"l_deg .* \[0, 360\]"),
        (np.inf, 10.0, r"l_deg .* finite"),
        (10.0, 90.5, r"b_deg of events_to_maps must hold finite latitudes in \[-90, 90\]"),
        (10.0, -91.0, r"b_deg .* \[-90, 90\]"),
        (10.0, np.nan, r"b_deg .* e\.g\. nan"),
    ],
)
def test_events_to_maps_rejects_bad_coordinates(l_deg, b_deg, match):
    with pytest.raises(ValueError, match=match):
        events_to_maps([100.0, l_deg], [0.0, b_deg], [60.0, 70.0], nside=2, n_channels=1)


def test_events_to_maps_accepts_the_coordinate_bounds():
    m = events_to_maps([0.0, 360.0], [-90.0, 90.0], [60.0, 70.0], nside=2, n_channels=1)
    assert m.sum() == pytest.approx(2.0)


@pytest.mark.parametrize("energy", [np.nan, np.inf, 0.0, -60.0])
def test_events_to_maps_rejects_bad_energies(energy):
    with pytest.raises(ValueError, match=r"energy_eev of events_to_maps must hold finite positive"):
        events_to_maps([10.0, 20.0], [0.0, 0.0], [60.0, energy], nside=2, n_channels=1)


def test_events_to_maps_rejects_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        events_to_maps([10.0, 20.0], [0.0], [60.0, 70.0], nside=2)
    with pytest.raises(ValueError, match="same length"):
        events_to_maps([10.0, 20.0], [0.0, 1.0], [60.0], nside=2)


def test_events_below_the_energy_cut_are_dropped_with_a_warning():
    # the simulator's maps hold only events above E_min: binning data must do the same
    l_deg, b_deg = [10.0, 20.0, 30.0, 40.0], [0.0, 10.0, 20.0, 30.0]
    energy = [40.0, 60.0, 55.0, 100.0]
    with pytest.warns(UserWarning, match=r"dropped 2 of 4 events below the energy cut .* kept 2"):
        m = events_to_maps(l_deg, b_deg, energy, nside=2, n_channels=3)
    assert m.sum() == pytest.approx(2.0)
    expected = events_to_maps(l_deg[1::2], b_deg[1::2], energy[1::2], nside=2, n_channels=3)
    np.testing.assert_array_equal(m, expected)
    # with map_index the dropped events leave their maps
    with pytest.warns(UserWarning, match="dropped 2 of 4"):
        maps = events_to_maps(
            l_deg, b_deg, energy, map_index=[0, 0, 1, 1], n_maps=2, nside=2, n_channels=1
        )
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), [1.0, 1.0])


def test_an_event_at_exactly_the_energy_cut_is_kept_silently():
    # lg(56 EeV) computed from the energy can land 1 ulp below LG_E_MIN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = events_to_maps([10.0], [0.0], [E_MIN_EEV], nside=2, n_channels=1)
        m56 = events_to_maps([10.0], [0.0], [56.0], nside=2, n_channels=1)
    assert m.sum() == m56.sum() == pytest.approx(1.0)


def test_events_outside_the_exposure_warn(no_fov_pixel):
    pixel, l_deg, b_deg = no_fov_pixel
    # Cen A is in the Auger field of view
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events_to_maps([309.52], [19.42], [60.0], nside=NSIDE, n_channels=1, exposure="auger")
    with pytest.warns(
        UserWarning, match=r"1 of 2 events fall in pixels where the exposure 'auger'"
    ):
        m = events_to_maps(
            [309.52, l_deg],
            [19.42, b_deg],
            [60.0, 70.0],
            nside=NSIDE,
            n_channels=1,
            exposure="auger",
        )
    assert m[0, pixel] == 1.0  # kept
    custom = exposure_map("auger", NSIDE)
    with pytest.warns(UserWarning, match="exposure map is zero"):
        events_to_maps([l_deg], [b_deg], [60.0], nside=NSIDE, n_channels=1, exposure=custom)


# ------------------------------------------------------------------------ load_auger2022
def _write_list(path, rows):
    header = "# Yr JD UTC Th Ph RA Dec E Expo\n"
    path.write_text(header + "\n".join(" ".join(str(v) for v in row) for row in rows) + "\n")
    return path


GOOD_ROW = [2010, 100, 1262304000, 40.0, 120.0, 201.4, -43.0, 70.0, 1000.0]


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        (5, "nan", r"RA of load_auger2022 \(list\.dat\) must hold finite longitudes in \[0, 360\]"),
        (5, 400.0, r"RA .* \[0, 360\]"),
        (6, -95.0, r"Dec of load_auger2022 .* latitudes in \[-90, 90\]"),
        (7, -3.0, r"energy_eev of load_auger2022 .* finite positive"),
        (7, "nan", r"energy_eev .* finite positive"),
        (3, 120.0, r"zenith column .* \[0, 90\]"),
        (4, "inf", r"azimuth column .* finite"),
        (8, -1.0, r"cumulative exposure column .* >= 0"),
    ],
)
def test_corrupt_auger_list_raises(tmp_path, column, value, match):
    bad = list(GOOD_ROW)
    bad[column] = value
    path = _write_list(tmp_path / "list.dat", [GOOD_ROW, bad])
    with pytest.raises(ValueError, match=match):
        load_auger2022(path=path)


def test_auger_list_guards_pass_on_a_good_file(tmp_path):
    path = _write_list(tmp_path / "list.dat", [GOOD_ROW, GOOD_ROW])
    events = load_auger2022(path=path)
    assert len(events) == 2 and events.total_exposure == 1000.0


def test_auger_energy_cut_below_the_list_threshold_warns():
    with pytest.warns(UserWarning, match="below the smallest energy of the list"):
        events = load_auger2022(20.0)
    assert len(events) == 2635
    for bad in (np.nan, "56", True):
        with pytest.raises(ValueError, match="min_energy_eev"):
            load_auger2022(bad)


# ----------------------------------------------------------------------- counts and N
def _fitted_tests(n_events=100, seed=0):
    rng = np.random.default_rng(seed)

    def draw(n, hot=False):
        p = np.full(NPIX, 1.0 / NPIX)
        maps = rng.multinomial(n_events, p, size=n)[:, None, :].astype(float)
        if hot:  # move 10 events into pixel 0, keeping N
            maps[:, 0, 1:11] = np.maximum(maps[:, 0, 1:11] - 1, 0)
            maps[:, 0, 0] += n_events - maps[:, 0, :].sum(axis=1)
        return maps

    train = np.concatenate([draw(60), draw(60, hot=True)])
    y = np.repeat([0, 1], 60)
    tests = {
        "power": PowerSpectrumTest(lmax=8, alpha=0.1).fit(train),
        "tophat": TopHatCountingTest(center=(0.0, 0.0), radius_deg=20.0, alpha=0.1).fit(train),
        "lr": LikelihoodRatioTest(alpha=0.1).fit(train, y),
    }
    null = draw(99)
    for test in tests.values():
        test.calibrate(null)
    return tests, draw


@pytest.fixture(scope="module")
def calibrated():
    return _fitted_tests()


@pytest.mark.parametrize("name", ["power", "tophat", "lr"])
@pytest.mark.parametrize("method", ["statistic", "p_value", "predict", "decision_function"])
def test_negative_or_nan_counts_raise(calibrated, name, method):
    tests, draw = calibrated
    maps = draw(3)
    negative = maps.copy()
    negative[1, 0, 5] = -1.0
    with pytest.raises(ValueError, match=r"Negative values .* event counts >= 0"):
        getattr(tests[name], method)(negative)
    nan = maps.copy()
    nan[0, 0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        getattr(tests[name], method)(nan)


@pytest.mark.parametrize("name", ["power", "tophat", "lr"])
def test_maps_of_another_n_raise(calibrated, name):
    tests, draw = calibrated
    test = tests[name]
    assert test.n_events_ == 100
    maps = draw(4)
    maps[2, 0, 7] += 1  # map 2 holds 101 events
    match = r"calibrated on null maps of N = 100 events but got N = 101 \(map 2\).*Recalibrate"
    for method in ("p_value", "predict", "decision_function", "power"):
        with pytest.raises(ValueError, match=match):
            getattr(test, method)(maps)
    with pytest.raises(ValueError, match=match):
        test.score(maps, np.ones(4))
    # flattened maps are checked the same way
    with pytest.raises(ValueError, match="N = 101"):
        test.p_value(maps.reshape(4, -1))
    # the raw statistic is not calibrated and is not checked
    assert test.statistic(maps).shape == (4,)
    # maps with the calibrated N pass
    assert test.p_value(draw(3)).shape == (3,)


def test_recalibration_and_the_explicit_opt_out():
    tests, draw = _fitted_tests(seed=1)
    test = tests["power"]
    rng = np.random.default_rng(2)
    null_150 = rng.multinomial(150, np.full(NPIX, 1 / NPIX), size=99)[:, None, :].astype(float)
    data_150 = rng.multinomial(150, np.full(NPIX, 1 / NPIX), size=5)[:, None, :].astype(float)
    with pytest.raises(ValueError, match="N = 100 events but got N = 150"):
        test.p_value(data_150)
    test.calibrate(null_150)  # recalibrating for N = 150 resets the check
    assert test.n_events_ == 150
    assert test.p_value(data_150).shape == (5,)
    with pytest.raises(ValueError, match="N = 150 events but got N = 100"):
        test.p_value(draw(2))
    test.calibrate(null_150, check_n_events=False)
    assert test.n_events_ is None
    assert test.p_value(draw(2)).shape == (2,)
    # null maps of varying N record no single N
    mixed = np.concatenate([null_150[:50], draw(49)])
    assert test.calibrate(mixed).n_events_ is None


def test_channel_spread_float32_maps_keep_their_integer_n():
    # Gaussian channel weights in float32 do not sum to N exactly
    sim = {"nside": 4, "n_channels": 5, "channel_width": 0.1, "energy_resolution": 0.2}
    null = simulate_sky_maps(99, n_events=60, random_state=0, **sim)
    assert not np.all(null.sum(axis=(1, 2), dtype=np.float64) == 60)
    test = TopHatCountingTest(center=(0.0, 0.0), radius_deg=30.0, alpha=0.1)
    test.fit(null[:10]).calibrate(null)
    assert test.n_events_ == 60 and isinstance(test.n_events_, int)
    fresh = simulate_sky_maps(20, n_events=60, random_state=1, **sim)
    assert test.p_value(fresh).shape == (20,)
    with pytest.raises(ValueError, match="N = 61"):
        test.p_value(simulate_sky_maps(2, n_events=61, random_state=2, **sim))


def test_minimal_fraction_refuses_another_n():
    kwargs = {"nside": 4, "n_channels": 1, "composition": "mixed"}
    test = TopHatCountingTest(center="CenA", radius_deg=30.0, alpha=0.1).fit_simulated(
        "CenA", 50, 0.5, n_maps=4, n_calibration=19, simulator_kwargs=kwargs, random_state=0
    )
    assert test.n_events_ == 50
    with pytest.raises(ValueError, match="N = 50 events but got N = 80"):
        test.minimal_fraction(n_events=80, fractions=[0.5], n_maps=10)


def test_anisotropy_test_guards():
    rng = np.random.default_rng(0)
    iso = rng.multinomial(40, np.full(48, 1 / 48), size=60)[:, None, :].astype(np.float32)
    hot = iso.copy()
    hot[:, 0, 0] += 5
    hot[:, 0, 1:6] -= np.minimum(hot[:, 0, 1:6], 1)
    hot[:, 0, 0] += 40 - hot.sum(axis=(1, 2))
    X, y = np.concatenate([iso[:30], hot[:30]]), np.repeat([0, 1], 30)
    test = AnisotropyTest(
        module_kwargs={"channels": (2,), "head_hidden": (4,)},
        max_epochs=1,
        device="cpu",
        random_state=0,
        verbose=0,
    )
    bad = X.copy()
    bad[3, 0, 4] = -1
    with pytest.raises(ValueError, match=r"Negative values .* AnisotropyTest"):
        test.fit(bad, y)
    test.fit(X, y).calibrate(iso[30:], alpha=0.1)
    assert test.n_events_ == 40
    with pytest.raises(ValueError, match=r"Negative values .* AnisotropyTest"):
        test.statistic(bad[:5])
    with pytest.raises(ValueError, match=r"AnisotropyTest was calibrated on null maps of N = 40"):
        test.p_value(iso[:3] * 2)
    with pytest.raises(ValueError, match="N = 80"):
        test.predict_proba(iso[:3] * 2)
    assert test.p_value(iso[:3]).shape == (3,)


# --------------------------------------------------------------------------- exposure
def test_relative_intensity_ignores_events_outside_the_exposure(no_fov_pixel):
    pixel, _, _ = no_fov_pixel
    omega = exposure_map("auger", NSIDE, normalize="max")
    counts = np.where(omega > 0, 3.0, 0.0)[None, None]
    base = relative_intensity(counts, "auger")
    counts[0, 0, pixel] = 50.0  # 50 events where the exposure is zero
    np.testing.assert_allclose(relative_intensity(counts, "auger"), base)
    assert base[0, pixel] == 0.0


def test_fit_simulated_uses_the_exposure_of_the_test():
    seen = []

    def recording(n_maps, **kwargs):
        seen.append(kwargs.get("exposure"))
        return simulate_sky_maps(n_maps, **kwargs)

    kwargs = {"nside": NSIDE, "n_channels": 1, "composition": "mixed"}
    test = PowerSpectrumTest(exposure="auger", lmax=8, alpha=0.1).fit_simulated(
        "CenA", 50, 0.5, n_maps=10, n_calibration=19, simulator_kwargs=kwargs, random_state=0
    )
    assert test.simulation_["simulator_kwargs"]["exposure"] == "auger"
    # a custom simulator receives the exposure when it is given explicitly
    test.fit_simulated(
        "CenA",
        50,
        0.5,
        n_maps=10,
        n_calibration=19,
        simulator=recording,
        simulator_kwargs={**kwargs, "exposure": "auger"},
        random_state=0,
    )
    assert set(seen) == {"auger"}


@pytest.mark.parametrize(
    ("test_exposure", "sim_exposure"), [("uniform", "auger"), ("auger", "uniform"), ("auger", "ta")]
)
def test_fit_simulated_refuses_another_exposure(test_exposure, sim_exposure):
    kwargs = {"nside": 4, "n_channels": 1, "composition": "mixed", "exposure": sim_exposure}
    for test in (
        PowerSpectrumTest(exposure=test_exposure),
        TopHatCountingTest(center="CenA", radius_deg=20.0, exposure=test_exposure),
    ):
        with pytest.raises(ValueError, match=r"weights the maps by its exposure .* simulated"):
            test.fit_simulated("CenA", 50, 0.5, n_maps=4, n_calibration=9, simulator_kwargs=kwargs)


def test_calibrate_warns_on_null_maps_of_another_exposure():
    train = isotropic(40, 100, AUGER, seed=0)
    test = PowerSpectrumTest(exposure="auger", lmax=8).fit(train)
    # uniform null maps put events where Auger sees nothing
    with pytest.warns(UserWarning, match=r"lie in pixels where the exposure of PowerSpectrumTest"):
        test.calibrate(isotropic(99, 100, UNIFORM, seed=1))
    # uniform within the field of view: no event outside it, but the wrong sky distribution
    in_fov = (exposure_map("auger", NSIDE) > 0).astype(float)
    flat_fov = {**AUGER, "exposure": in_fov}
    with pytest.warns(UserWarning, match=r"do not follow the exposure .* chi2"):
        test.calibrate(isotropic(99, 100, flat_fov, seed=2))
    # a uniform-exposure test calibrated on Auger maps
    uniform_test = PowerSpectrumTest(lmax=8).fit(isotropic(40, 100, UNIFORM, seed=3))
    with pytest.warns(UserWarning, match="do not follow the exposure"):
        uniform_test.calibrate(isotropic(99, 100, AUGER, seed=4))
    # matching null maps: silent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test.calibrate(isotropic(99, 100, AUGER, seed=5))
        uniform_test.calibrate(isotropic(99, 100, UNIFORM, seed=6))


def test_data_outside_the_exposure_warn(no_fov_pixel):
    pixel, _, _ = no_fov_pixel
    test = TopHatCountingTest(center="CenA", radius_deg=20.0, exposure="auger", alpha=0.1)
    test.fit(isotropic(10, 100, AUGER, seed=0)).calibrate(isotropic(99, 100, AUGER, seed=1))
    data = isotropic(3, 100, AUGER, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test.p_value(data)
    data[1, 0, pixel] += 1
    data[1, 0, np.argmax(data[1, 0])] -= 1  # keep N = 100
    with pytest.warns(UserWarning, match=r"1 of 3 maps hold events in pixels where the exposure"):
        test.p_value(data)


def test_power_spectrum_p_values_on_auger_isotropic_maps():
    """Isotropic Auger-exposure maps: a test calibrated with the Auger exposure gives p-values
    with the right level; calibrated on maps of another exposure it gives p ~ 1 (Auger
    weights on uniform null maps) or p ~ 0 (uniform weights and null maps): the field of
    view alone then decides the p-value."""
    n_null, alpha = 199, 0.1
    fresh = isotropic(500, 100, AUGER, seed=100)
    # fit_simulated now simulates its maps with the test's exposure (before: uniform ones)
    kwargs = {"nside": NSIDE, "n_channels": 1, "composition": "mixed"}
    test = PowerSpectrumTest(exposure="auger", lmax=12).fit_simulated(
        "CenA", 100, 0.5, n_maps=50, n_calibration=n_null, simulator_kwargs=kwargs, random_state=0
    )
    p = test.p_value(fresh)
    # p <= alpha is a rejection at level alpha: beta-binomial count (threshold's scatter);
    # 5 calibration seeds gave 0.080-0.106 of p <= 0.1
    k1 = int(np.floor(alpha * (n_null + 1) + 1e-9))
    law = stats.betabinom(len(fresh), k1, n_null + 1 - k1)
    n_low = int(np.sum(p <= alpha))
    assert 2 * min(law.cdf(n_low), law.sf(n_low - 1)) > P_4SIGMA
    # the former calibration on uniform maps: every Auger map looks too smooth (p ~ 1)
    before = PowerSpectrumTest(exposure="auger", lmax=12).fit(isotropic(100, 100, UNIFORM, 1))
    with pytest.warns(UserWarning, match="exposure"):
        before.calibrate(isotropic(n_null, 100, UNIFORM, seed=2))
    p_before = before.p_value(fresh)
    assert np.mean(p_before <= alpha) < 0.01 and np.median(p_before) > 0.9
    # uniform weights and uniform null maps: the Auger field of view is an anisotropy (p ~ 0)
    raw = PowerSpectrumTest(lmax=12).fit(isotropic(100, 100, UNIFORM, 3))
    raw.calibrate(isotropic(n_null, 100, UNIFORM, seed=4))
    assert np.mean(raw.p_value(fresh) <= alpha) > 0.99


def test_map_functions_reject_negative_counts():
    from crsbi.uhecr.statistics import angular_power_spectra, tophat_zscores

    maps = np.ones((2, 1, 48))
    maps[1, 0, 3] = -2.0
    for call in (
        lambda: relative_intensity(maps),
        lambda: angular_power_spectra(maps, lmax=2),
        lambda: tophat_zscores(maps, (0.0, 0.0), 20.0),
    ):
        with pytest.raises(ValueError, match=r"Negative values in maps: .* e\.g\. -2\.0"):
            call()
