"""Tests of the unbinned top-hat scans (crsbi.uhecr.scan) and the combined exposure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from crsbi.uhecr._exposure import (
    AUGER,
    AUGER_TA,
    TELESCOPE_ARRAY,
    CombinedExposure,
    combined_exposure,
)
from crsbi.uhecr.scan import (
    CEN_A_RA_DEC,
    blind_scan,
    lima_significance,
    sample_exposure_directions,
    targeted_scan,
    window_exposure_fraction,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "uhecr"
AUGER_FILE = DATA / "AugerApJS2022_Yr_JD_UTC_Th_Ph_RA_Dec_E_Expo.dat"


def _angle(ra1, dec1, ra2, dec2):
    ra1, dec1, ra2, dec2 = (np.radians(v) for v in (ra1, dec1, ra2, dec2))
    cos = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _energies(n, seed):
    return 32.0 * (1.0 + np.random.default_rng(seed).pareto(2.5, n))


# ---------------------------------------------------------------------------------------
# exposure fractions and the sampler
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("exposure", ["auger", "ta", "uniform", "auger+ta", AUGER, AUGER_TA])
def test_whole_sky_fraction_is_one(exposure):
    frac = window_exposure_fraction([-90.0, -35.0, 0.0, 44.8, 80.0], 180.0, exposure)
    np.testing.assert_allclose(frac, 1.0, atol=1e-4)


def test_uniform_fraction_is_cap_area():
    radii = np.array([1.0, 5.0, 17.0, 30.0, 90.0])
    frac = window_exposure_fraction([-50.0, 10.0], radii, "uniform")
    cap = (1 - np.cos(np.radians(radii))) / 2
    np.testing.assert_allclose(frac, np.broadcast_to(cap, frac.shape), rtol=1e-6)


@pytest.mark.parametrize("exposure", ["auger", "ta", "auger+ta"])
def test_complementary_caps_add_to_one(exposure):
    # the cap of radius R around d and that of radius 180 - R around -d tile the sphere
    for dec, radius in [(-40.0, 25.0), (10.0, 60.0), (70.0, 12.0)]:
        a = window_exposure_fraction(dec, radius, exposure)[0, 0]
        b = window_exposure_fraction(-dec, 180.0 - radius, exposure)[0, 0]
        assert a + b == pytest.approx(1.0, abs=1e-4)


def test_fraction_zero_outside_field_of_view():
    assert window_exposure_fraction(70.0, 10.0, "auger")[0, 0] == 0.0
    assert window_exposure_fraction(-80.0, 10.0, "ta")[0, 0] == 0.0


def test_sampler_follows_window_fraction():
    ra, dec = sample_exposure_directions(200_000, "auger", random_state=5)
    assert dec.max() <= AUGER.max_declination_deg + 1e-9
    assert ra.min() >= 0.0 and ra.max() < 360.0
    inside = _angle(ra, dec, *CEN_A_RA_DEC) <= 20.0
    f = window_exposure_fraction(CEN_A_RA_DEC[1], 20.0, "auger")[0, 0]
    # binomial standard error ~ 4.3e-4; 5 sigma margin
    assert inside.mean() == pytest.approx(f, abs=5 * np.sqrt(f * (1 - f) / ra.size))


def test_sampler_is_deterministic():
    a = sample_exposure_directions(100, "ta", random_state=3)
    b = sample_exposure_directions(100, "ta", random_state=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# ---------------------------------------------------------------------------------------
# Li & Ma
# ---------------------------------------------------------------------------------------
def test_lima_matches_eq17_with_alpha():
    n_on, n_total, f = 40.0, 300.0, 0.09
    alpha = f / (1 - f)
    n_off = n_total - n_on
    expected = np.sqrt(2.0) * np.sqrt(
        n_on * np.log((1 + alpha) / alpha * n_on / (n_on + n_off))
        + n_off * np.log((1 + alpha) * n_off / (n_on + n_off))
    )
    assert float(lima_significance(n_on, n_total, f)) == pytest.approx(expected, rel=1e-12)
    assert float(lima_significance(10.0, n_total, f)) < 0  # deficit is negative
    assert float(lima_significance(0.0, 10.0, 0.0)) == 0.0
    assert float(lima_significance(5.0, 10.0, 1.0)) == 0.0


@pytest.mark.parametrize("seed", [11, 12])
def test_lima_of_fixed_window_is_standard_normal(seed):
    """On isotropic Auger-like skies the Li-Ma significance of a fixed window is ~N(0, 1).

    400 skies of 2635 events, window of 20 deg around Cen A (~137 expected). Measured over
    seeds 0..9: |mean| <= 0.07, std in 0.94 .. 1.09; the tolerances below are 4 standard
    errors (0.05 on the mean, 0.035 on the std).
    """
    rng = np.random.default_rng(seed)
    n_skies, n_events = 400, 2635
    f = window_exposure_fraction(CEN_A_RA_DEC[1], 20.0, "auger")[0, 0]
    ra, dec = sample_exposure_directions(n_skies * n_events, "auger", random_state=rng)
    inside = (_angle(ra, dec, *CEN_A_RA_DEC) <= 20.0).reshape(n_skies, n_events).sum(axis=1)
    sigma = lima_significance(inside, n_events, f)
    assert abs(sigma.mean()) < 0.2
    assert abs(sigma.std(ddof=1) - 1.0) < 0.14


# ---------------------------------------------------------------------------------------
# scans
# ---------------------------------------------------------------------------------------
SMALL = dict(grid_nside=8, radii_deg=[6.0, 12.0, 20.0], energy_thresholds=[32.0, 45.0, 60.0])


@pytest.mark.slow
def test_post_trial_is_calibrated_on_isotropic_data():
    """Maxima of isotropic data sets follow the distribution of the scan's own mocks.

    Under isotropy the data's maximum is exchangeable with the mocks' maxima, so the
    post-trial p-value is uniform; here 60 independent isotropic data sets (real-energy
    shuffling: the same energies) are compared with 200 mocks by a two-sample KS test.
    Measured over seeds 0..4: KS p-values 0.12 .. 0.96, p_post 0.31 .. 0.82, smallest
    mock maximum 2.70 .. 2.87 sigma.
    """
    n = 300
    energy = _energies(n, 0)
    rng = np.random.default_rng(1)
    maxima = []
    for _ in range(60):
        ra, dec = sample_exposure_directions(n, "auger", random_state=rng)
        maxima.append(blind_scan(ra, dec, energy, **SMALL).local_sigma)
    ra, dec = sample_exposure_directions(n, "auger", random_state=rng)
    result = blind_scan(ra, dec, energy, n_mocks=200, random_state=2, **SMALL)
    assert stats.ks_2samp(maxima, result.mock_max_sigma).pvalue > 1e-3
    # the p-value of this isotropic sky is not small
    assert result.p_post > 0.01
    assert result.mock_max_sigma.min() > 0


def test_max_map_matches_brute_force():
    """The pruned kernel's per-centre maxima equal a plain Li-Ma table at every centre."""
    ra, dec = sample_exposure_directions(500, "auger", random_state=8)
    energy = _energies(500, 8)
    grid = dict(radii_deg=[3.0, 9.0, 15.0, 25.0], energy_thresholds=[32.0, 40.0, 55.0])
    result = blind_scan(ra, dec, energy, grid_nside=2, **grid)
    for c_ra, c_dec, value in zip(
        result.centres_ra, result.centres_dec, result.max_sigma_map, strict=True
    ):
        table = targeted_scan(ra, dec, energy, target=(c_ra, c_dec), n_mocks=0, **grid)
        assert value == pytest.approx(table.sigma_table.max(), abs=1e-9)


def _injected_sky(seed=7):
    rng = np.random.default_rng(seed)
    ra, dec = sample_exposure_directions(1500, "auger", random_state=rng)
    energy = _energies(1500, seed)
    # 70 events of E >= 50 EeV uniformly in a cap of 8 deg around (300, -20)
    n_src = 70
    cos_r = rng.uniform(np.cos(np.radians(8.0)), 1.0, n_src)
    phi = rng.uniform(0, 2 * np.pi, n_src)
    local = np.stack(
        [cos_r, np.sqrt(1 - cos_r**2) * np.cos(phi), np.sqrt(1 - cos_r**2) * np.sin(phi)], 1
    )
    a, d = np.radians(300.0), np.radians(-20.0)
    e1 = np.array([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    e2 = np.array([-np.sin(a), np.cos(a), 0.0])
    e3 = np.cross(e1, e2)
    vec = local @ np.stack([e1, e2, e3])
    src_ra = np.degrees(np.arctan2(vec[:, 1], vec[:, 0])) % 360
    src_dec = np.degrees(np.arcsin(vec[:, 2]))
    src_e = rng.uniform(50.0, 100.0, n_src)
    return (
        np.concatenate([ra, src_ra]),
        np.concatenate([dec, src_dec]),
        np.concatenate([energy, src_e]),
    )


def test_injected_excess_is_found():
    ra, dec, energy = _injected_sky()
    result = blind_scan(
        ra,
        dec,
        energy,
        grid_nside=16,
        radii_deg=[4.0, 8.0, 12.0, 16.0],
        energy_thresholds=[32.0, 50.0, 70.0],
        n_mocks=20,
        random_state=0,
    )
    assert _angle(result.ra_deg, result.dec_deg, 300.0, -20.0) < 4.0
    assert result.radius_deg in (8.0, 12.0)
    assert result.threshold_eev == 50.0
    assert result.local_sigma > 6.0
    assert result.n_on > result.n_expected + 50
    assert result.post_sigma_is_lower_bound and result.p_post == 0.0
    assert result.max_sigma_map.shape == result.centres_ra.shape == result.best_sigma_map.shape
    assert result.sigma_table.shape == (4, 3)
    assert result.sigma_table.max() == pytest.approx(result.local_sigma)
    assert np.nanmax(result.best_sigma_map) == pytest.approx(result.local_sigma)
    # the targeted search at the injection point sees it too
    target = targeted_scan(
        ra, dec, energy, target=(300.0, -20.0), radii_deg=[4.0, 8.0, 12.0], n_mocks=50,
        energy_thresholds=[32.0, 50.0, 70.0], random_state=0,
    )  # fmt: skip
    assert target.radius_deg == 8.0 and target.threshold_eev == 50.0
    assert target.local_sigma > 6.0 and target.n_exceed == 0


def test_targeted_mocks_are_deterministic_and_resumable(tmp_path):
    ra, dec = sample_exposure_directions(400, "auger", random_state=4)
    energy = _energies(400, 4)
    kwargs = dict(n_mocks=40, random_state=9, radii_deg=[10.0, 20.0], energy_thresholds=[32, 40])
    first = targeted_scan(ra, dec, energy, **kwargs)
    second = targeted_scan(ra, dec, energy, **kwargs)
    np.testing.assert_array_equal(first.mock_max_sigma, second.mock_max_sigma)
    # mock i's seed does not depend on n_mocks, so a longer run extends a shorter one
    shorter = targeted_scan(ra, dec, energy, **{**kwargs, "n_mocks": 15})
    np.testing.assert_array_equal(shorter.mock_max_sigma, first.mock_max_sigma[:15])
    path = tmp_path / "ckpt.npz"
    full = targeted_scan(ra, dec, energy, checkpoint=path, **kwargs)
    np.testing.assert_array_equal(full.mock_max_sigma, first.mock_max_sigma)
    # forget half of the mocks, as if interrupted, and resume
    with np.load(path) as saved:
        values, settings = saved["values"].copy(), saved["settings"]
    values[20:] = np.nan
    np.savez(path, values=values, settings=settings)
    resumed = targeted_scan(ra, dec, energy, checkpoint=path, **kwargs)
    np.testing.assert_array_equal(resumed.mock_max_sigma, first.mock_max_sigma)
    with pytest.raises(ValueError, match="other settings"):
        targeted_scan(ra, dec, energy, checkpoint=path, **{**kwargs, "random_state": 10})


def test_plot_sky(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ra, dec = sample_exposure_directions(200, "auger", random_state=1)
    result = blind_scan(ra, dec, _energies(200, 1), **SMALL)
    ax = result.plot_sky("best")
    ax.figure.savefig(tmp_path / "sky.png")
    result.plot_sky("max")
    result.plot_table()
    plt.close("all")
    with pytest.raises(ValueError, match="which"):
        result.plot_sky("mean")
    summary = result.summary()
    assert summary["kind"] == "blind" and summary["grid_nside"] == 8


# ---------------------------------------------------------------------------------------
# combined exposure
# ---------------------------------------------------------------------------------------
def test_combined_exposure_covers_both_hemispheres():
    dec = np.array([-85.0, -60.0, 0.0, 30.0, 60.0, 85.0])
    shares = AUGER_TA.fractions(dec)
    np.testing.assert_allclose(shares.sum(axis=0), 1.0)
    assert shares[0, 1] == 1.0  # Dec -60: Auger only
    assert shares[1, 4] == 1.0 and shares[1, 5] == 1.0  # Dec 60, 85: TA only
    assert 0.0 < shares[0, 2] < 1.0 and 0.0 < shares[1, 2] < 1.0  # overlap at Dec 0
    values = combined_exposure(dec)
    assert np.all(values > 0)
    np.testing.assert_allclose(values, AUGER_TA.directional_exposure(dec))
    assert AUGER_TA.max_declination_deg == 90.0 and AUGER_TA.min_declination_deg == -90.0


def test_combined_exposure_integrates_to_total():
    z = -1.0 + (np.arange(100_000) + 0.5) * 2e-5
    integral = 2 * np.pi * AUGER_TA.directional_exposure(np.degrees(np.arcsin(z))).sum() * 2e-5
    assert integral == pytest.approx(AUGER_TA.total_exposure, rel=1e-6)
    single = CombinedExposure((TELESCOPE_ARRAY,), (1000.0,))
    dec = np.linspace(-10, 80, 10)  # inside TA's field of view
    ratio = single.directional_exposure(dec) / combined_exposure(dec, (TELESCOPE_ARRAY,), (1.0,))
    np.testing.assert_allclose(ratio, 1000.0)


def test_combined_scan_and_sampler_cover_the_north():
    ra, dec = sample_exposure_directions(3000, "auger+ta", random_state=2)
    assert dec.max() > 60.0 and dec.min() < -60.0
    result = blind_scan(ra, dec, _energies(3000, 2), exposure="auger+ta", **SMALL)
    assert result.centres_dec.max() > 80.0
    assert result.exposure == "Auger+TA"


@pytest.mark.parametrize(
    ("arrays", "weights"),
    [((), ()), ((AUGER,), (1.0, 2.0)), ((AUGER,), (-1.0,)), ((AUGER,), (np.nan,)), (("x",), (1,))],
)
def test_combined_exposure_bad_input(arrays, weights):
    with pytest.raises(ValueError, match="CombinedExposure"):
        CombinedExposure(arrays, weights)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
GOOD = (np.array([10.0, 200.0, 300.0]), np.array([-30.0, -10.0, 20.0]), np.array([40, 50, 60.0]))


@pytest.mark.parametrize("scan", [blind_scan, targeted_scan])
@pytest.mark.parametrize(
    ("index", "value", "match"),
    [
        (0, [np.nan, 1.0, 2.0], "ra_deg must be finite"),
        (1, [-30.0, 95.0, 0.0], r"dec_deg must be in \[-90, 90\]"),
        (0, [10.0, 400.0, 2.0], "ra_deg must be in"),
        (2, [40.0, -5.0, 60.0], "energy_eev must be positive"),
        (2, [40.0, np.inf, 60.0], "energy_eev must be finite"),
        (1, [-30.0, -10.0], "same length"),
        (2, [1.0, 2.0, 3.0], "selection is empty"),
        (0, [[1.0, 2.0, 3.0]], "1-D"),
        (0, ["a", "b", "c"], "array of numbers"),
    ],
)
def test_bad_events(scan, index, value, match):
    args = list(GOOD)
    args[index] = value
    with pytest.raises(ValueError, match=match):
        scan(*args, n_mocks=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"radii_deg": [10.0, 5.0]}, "radii_deg"),
        ({"radii_deg": [0.0, 5.0]}, "radii_deg"),
        ({"energy_thresholds": [np.nan]}, "energy_thresholds"),
        ({"energy_thresholds": []}, "energy_thresholds"),
        ({"exposure": "hires"}, "exposure"),
        ({"n_mocks": -1}, "n_mocks"),
        ({"n_mocks": 1.5}, "n_mocks"),
        ({"random_state": np.random.default_rng(0)}, "random_state"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        blind_scan(*GOOD, grid_nside=4, **{"n_mocks": 0, **kwargs})


def test_bad_grid_and_target():
    with pytest.raises(ValueError, match="grid_nside"):
        blind_scan(*GOOD, grid_nside=6)
    with pytest.raises(ValueError, match="max_centre_dec"):
        blind_scan(*GOOD, grid_nside=4, max_centre_dec=100.0)
    with pytest.raises(ValueError, match="target"):
        targeted_scan(*GOOD, target=(10.0, 95.0), n_mocks=0)
    with pytest.raises(ValueError, match="target"):
        targeted_scan(*GOOD, target=10.0, n_mocks=0)
    with pytest.raises(ValueError, match="radii"):
        window_exposure_fraction(0.0, 200.0)
    with pytest.raises(ValueError, match="n must be"):
        sample_exposure_directions(-1)


# ---------------------------------------------------------------------------------------
# the real Auger 2022 list
# ---------------------------------------------------------------------------------------
@pytest.mark.skipif(not AUGER_FILE.is_file(), reason="needs ../shared/data/uhecr")
def test_auger2022_published_windows():
    """The paper's windows: blind (196.3, -46.6), 24 deg, E >= 41 EeV, 5.4 sigma local
    (Sec. 3.1); Cen A at E >= 38 EeV, 27 deg, 215 observed vs 152 expected (Sec. 3.3)."""
    from crsbi.uhecr import load_auger2022

    events = load_auger2022(path=AUGER_FILE)
    cena = targeted_scan(events.ra_deg, events.dec_deg, events.energy_eev, n_mocks=0)
    assert (cena.threshold_eev, cena.radius_deg, cena.n_on) == (38.0, 27.0, 215)
    assert cena.n_expected == pytest.approx(152.0, abs=0.5)
    blind = blind_scan(
        events.ra_deg,
        events.dec_deg,
        events.energy_eev,
        grid_nside=64,
        radii_deg=[23.0, 24.0, 25.0],
        energy_thresholds=[40.0, 41.0, 42.0],
    )
    assert (blind.threshold_eev, blind.radius_deg) == (41.0, 24.0)
    assert _angle(blind.ra_deg, blind.dec_deg, 196.3, -46.6) < 1.0
    assert blind.local_sigma == pytest.approx(5.4, abs=0.05)
