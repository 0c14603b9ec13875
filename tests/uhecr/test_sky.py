"""Tests of the UHECR sky simulator against analytic exposure, statistics and geometry."""

import healpy as hp
import numpy as np
import pytest
from conftest import P_4SIGMA
from scipy import stats

from crsbi.uhecr.sky import (
    AUGER,
    LG_E_MIN,
    SOURCES,
    TELESCOPE_ARRAY,
    Deflection,
    GroundArray,
    PowerLawComposition,
    Source,
    charge_of_mass,
    equatorial_to_galactic,
    events_to_maps,
    exposure_map,
    galactic_to_equatorial,
    sample_von_mises_fisher,
    simulate_events,
    simulate_sky_maps,
    sommers_exposure,
)

PROTONS = PowerLawComposition(species=((1, 1, 1.0),))
# p-value threshold of the goodness-of-fit tests below (true nulls: false failure rate
# 6.3e-5 each); 20 seeds: their p-values look uniform, smallest 0.005
ALPHA = P_4SIGMA


def _angle_deg(l1, b1, l2, b2):
    v1 = hp.ang2vec(l1, b1, lonlat=True)
    v2 = hp.ang2vec(l2, b2, lonlat=True)
    return np.degrees(np.arccos(np.clip(np.sum(v1 * v2, axis=-1), -1, 1)))


# ------------------------------------------------------------------------- coordinates


def test_coordinates_of_known_objects():
    # Centaurus A (NED): RA 201.365, Dec -43.019 -> l 309.516, b 19.417
    l_deg, b_deg = equatorial_to_galactic(201.365, -43.019)
    assert abs(l_deg - 309.516) < 0.01 and abs(b_deg - 19.417) < 0.01
    # Galactic centre at RA 266.405, Dec -28.936
    ra, dec = galactic_to_equatorial(0.0, 0.0)
    assert abs(ra - 266.405) < 0.01 and abs(dec + 28.936) < 0.01


def test_coordinate_round_trip(rng):
    l_deg, b_deg = 360 * rng.random(100), rng.uniform(-89, 89, 100)
    back = equatorial_to_galactic(*galactic_to_equatorial(l_deg, b_deg))
    chord = hp.ang2vec(l_deg, b_deg, lonlat=True) - hp.ang2vec(*back, lonlat=True)
    assert np.max(np.abs(chord)) < 1e-12


# ---------------------------------------------------------------------------- exposure


def test_uniform_exposure_is_constant():
    m = exposure_map("uniform", 8)
    np.testing.assert_allclose(m, 1 / 768)
    assert exposure_map("uniform", 8, normalize="max").max() == 1.0


@pytest.mark.parametrize("array", [AUGER, TELESCOPE_ARRAY])
def test_sommers_formula_against_monte_carlo(array, rng):
    """Isotropic showers on a flat array (rate ~ cos(theta)), zenith cut, uniform sidereal time."""
    n = 200_000
    a0, theta_m = np.radians(array.latitude_deg), np.radians(array.max_zenith_deg)
    sin2 = rng.random(n) * np.sin(theta_m) ** 2  # dN ~ cos(t) sin(t) dt: sin^2 uniform
    theta, azimuth = np.arcsin(np.sqrt(sin2)), 2 * np.pi * rng.random(n)
    sin_dec = np.sin(a0) * np.cos(theta) + np.cos(a0) * np.sin(theta) * np.cos(azimuth)
    edges = np.linspace(-1, 1, 41)
    observed = np.histogram(sin_dec, edges)[0]
    # expected counts: integral of omega(delta) over d(sin delta) in each bin
    fine = np.linspace(-1, 1, 40 * 200 + 1)
    omega = sommers_exposure(np.degrees(np.arcsin(fine)), array.latitude_deg, theta_m * 180 / np.pi)
    cumulative = np.concatenate([[0], np.cumsum((omega[1:] + omega[:-1]) / 2)])
    expected = np.diff(cumulative[::200])
    expected *= n / expected.sum()
    seen = expected > 5
    assert observed[expected == 0].sum() == 0
    chi2 = np.sum((observed[seen] - expected[seen]) ** 2 / expected[seen])
    assert stats.chi2.sf(chi2, seen.sum() - 1) > ALPHA


@pytest.mark.parametrize("array", [AUGER, TELESCOPE_ARRAY])
def test_exposure_vanishes_outside_field_of_view(array):
    nside = 16
    m = exposure_map(array, nside)
    l_deg, b_deg = hp.pix2ang(nside, np.arange(12 * nside**2), nest=True, lonlat=True)
    dec = galactic_to_equatorial(l_deg, b_deg)[1]
    # the map is the exposure averaged over each pixel: a pixel whose centre lies beyond the
    # edge but which the field of view partly covers keeps some exposure; one whose every
    # point is beyond (centre more than a pixel diagonal away) has none
    margin = 2 * np.degrees(hp.nside2resol(nside))
    assert np.all(m[dec > array.latitude_deg + array.max_zenith_deg + margin] == 0)
    assert np.all(m[dec < array.latitude_deg - array.max_zenith_deg - margin] == 0)
    inside = (dec < array.max_declination_deg - 1) & (dec > array.min_declination_deg + 1)
    assert np.all(m[inside] > 0)
    # sky fraction in view: (sin dec_max - sin dec_min) / 2, up to pixelisation
    frac = (
        np.sin(np.radians(array.max_declination_deg))
        - np.sin(np.radians(array.min_declination_deg))
    ) / 2
    # pixels the field of view covers partly count too: at most a ring one pixel wide more
    ring = np.sqrt(4 * np.pi / m.size) / 2
    assert frac - 0.005 < np.mean(m > 0) < frac + ring
    assert m.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("array", [AUGER, TELESCOPE_ARRAY])
def test_events_of_the_continuous_exposure_land_where_the_map_is_positive(array):
    """Null maps (drawn from the pixel map) and events drawn from the continuous exposure
    (source events, real data) have the same support."""
    nside = 8
    m = exposure_map(array, nside)
    events = simulate_events(20000, exposure=array, random_state=0)
    pix = hp.ang2pix(nside, events.l_deg, events.b_deg, nest=True, lonlat=True)
    assert np.all(m[pix] > 0)


def test_sommers_limits():
    # at the pole with a 90 deg zenith cut, cos(theta) = sin(dec) all day: omega = pi sin(dec)
    # (Sommers' normalisation is half the hour-angle integral)
    dec = np.array([-30.0, 10.0, 60.0])
    np.testing.assert_allclose(
        sommers_exposure(dec, 90.0, 90.0),
        np.clip(np.pi * np.sin(np.radians(dec)), 0, None),
        atol=1e-12,
    )
    assert GroundArray(-35.2, 80.0).max_declination_deg == pytest.approx(44.8)


# ------------------------------------------------------------------------ simulator


@pytest.mark.parametrize("exposure", ["uniform", "auger"])
def test_isotropic_counts_follow_exposure(exposure):
    nside, n_maps, n_events = 4, 100, 200
    maps = simulate_sky_maps(
        n_maps, n_events=n_events, nside=nside, n_channels=1, exposure=exposure, random_state=1
    )
    assert maps.shape == (n_maps, 1, 192) and maps.dtype == np.float32
    np.testing.assert_array_equal(maps.sum(axis=(1, 2)), n_events)
    counts = maps.sum(axis=(0, 1))
    expected = n_maps * n_events * exposure_map(exposure, nside)
    assert counts[expected == 0].sum() == 0
    seen = expected > 0
    chi2 = np.sum((counts[seen] - expected[seen]) ** 2 / expected[seen])
    assert stats.chi2.sf(chi2, seen.sum() - 1) > ALPHA


def test_isotropic_energy_channels_follow_power_law():
    width, n_channels, index = 0.05, 6, 5.1
    maps = simulate_sky_maps(
        50,
        n_events=400,
        nside=1,
        n_channels=n_channels,
        channel_width=width,
        energy_resolution=0.0,
        random_state=2,
    )
    observed = maps.sum(axis=(0, 2))
    edges = width * np.arange(n_channels + 1)
    tail = 10.0 ** (-(index - 1) * edges)  # P(lg E - lg E_min > x) of E^-index
    tail[-1] = 0.0  # the last channel is open-ended
    expected = 50 * 400 * -np.diff(tail)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, n_channels - 1) > ALPHA


def test_gaussian_channel_spreading_of_one_event():
    lg_e = LG_E_MIN + 0.123
    m = events_to_maps(
        [10.0], [20.0], [10 ** (lg_e - 18)], nside=2, n_channels=8, energy_resolution=0.2
    )
    shares = m.sum(axis=1)
    sigma = 0.2 / np.log(10)
    edges = LG_E_MIN + 0.05 * np.arange(1, 8)
    cdf = np.concatenate([[0], stats.norm.cdf(edges, lg_e, sigma), [1]])
    np.testing.assert_allclose(shares, np.diff(cdf), rtol=1e-5, atol=1e-7)
    pix = hp.ang2pix(2, 10.0, 20.0, nest=True, lonlat=True)
    assert m[:, pix].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["CenA", "NGC253"])
def test_undeflected_source_events_land_in_source_pixel(name):
    nside = 32
    source = SOURCES[name]
    maps = simulate_sky_maps(
        3,
        n_events=50,
        source=name,
        fraction=1.0,
        nside=nside,
        n_channels=1,
        deflection=None,
        composition="mixed",
        random_state=3,
    )
    pix = hp.ang2pix(nside, source.l_deg, source.b_deg, nest=True, lonlat=True)
    np.testing.assert_array_equal(maps[:, 0, pix], 50)


def test_source_fraction_is_binomial():
    events = simulate_events(2000, source="CenA", fraction=0.3, composition="mixed", random_state=4)
    n_source = events.is_source.sum()
    assert abs(n_source - 600) < 4 * np.sqrt(2000 * 0.3 * 0.7)
    assert np.all(events.energy_eev >= 56.0 - 1e-9)
    assert np.all(events.charge[events.is_source] >= 1)


def test_coherent_shift_is_proportional_to_z_over_e():
    events = simulate_events(
        300,
        source="CenA",
        fraction=1.0,
        composition="mixed",
        deflection=Deflection(shift_deg_eev=100.0, smearing_deg_eev=0.0),
        energy_resolution=0.0,
        random_state=5,
    )
    src = SOURCES["CenA"]
    distance = _angle_deg(src.l_deg, src.b_deg, events.l_deg, events.b_deg)
    np.testing.assert_allclose(distance, 100.0 * events.charge / events.energy_true_eev, rtol=1e-6)
    # default direction: towards the Galactic plane
    assert np.all(events.b_deg < src.b_deg)


def test_smearing_scales_with_z_over_e(rng):
    deflection = Deflection(shift_deg_eev=0.0, smearing_deg_eev=50.0)
    n = 20000
    l0, b0 = np.full(n, 30.0), np.full(n, 10.0)
    means = {}
    for charge in (1, 2):
        l_deg, b_deg = deflection(l0, b0, np.full(n, charge), np.full(n, 100.0), rng)
        means[charge] = _angle_deg(30.0, 10.0, l_deg, b_deg).mean()
    # small-angle vMF: 2-D Gaussian with sigma per axis -> mean angle sigma sqrt(pi/2);
    # 20 seeds: relative errors -0.001 +- 0.004, 0.001 +- 0.003, ratio 0.002 +- 0.006
    for charge, mean in means.items():
        sigma = 50.0 * charge / 100.0
        assert mean == pytest.approx(sigma * np.sqrt(np.pi / 2), rel=0.03)
    assert means[2] / means[1] == pytest.approx(2.0, rel=0.03)


@pytest.mark.parametrize("kappa", [0.5, 3.0, 40.0])
def test_von_mises_fisher_mean_cosine(kappa, rng):
    n = 40000
    mean = np.tile([0.0, 0.6, 0.8], (n, 1))
    v = sample_von_mises_fisher(mean, np.full(n, kappa), rng)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-12)
    cos = v @ mean[0]
    expected = 1 / np.tanh(kappa) - 1 / kappa  # Langevin function
    assert abs(cos.mean() - expected) < 5 * cos.std() / np.sqrt(n)


def test_kalashev_composition_and_deflected_maps():
    maps = simulate_sky_maps(4, n_events=100, source="CenA", fraction=0.5, nside=8, random_state=6)
    assert maps.shape == (4, 15, 768)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 100, rtol=1e-5)
    events = simulate_events(100, source="M87", fraction=1.0, random_state=7)
    assert np.all((events.mass_number >= 1) & (events.mass_number <= 56))
    np.testing.assert_array_equal(events.charge, charge_of_mass(events.mass_number))


def test_user_deflection_and_source():
    def flip(l_deg, b_deg, charge, energy_eev, rng):
        return l_deg, -b_deg

    source = Source("mine", 45.0, 30.0, 5.0)
    events = simulate_events(
        20, source=source, fraction=1.0, deflection=flip, composition=PROTONS, random_state=8
    )
    np.testing.assert_allclose(events.b_deg, -30.0)


def test_same_seed_same_maps():
    kwargs = dict(
        n_events=60, source="FornaxA", fraction=0.2, nside=4, exposure="auger", composition="mixed"
    )
    a = simulate_sky_maps(3, random_state=11, **kwargs)
    b = simulate_sky_maps(3, random_state=11, **kwargs)
    c = simulate_sky_maps(3, random_state=12, **kwargs)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_per_map_event_counts_and_fractions():
    maps = simulate_sky_maps(
        3,
        n_events=np.array([10, 20, 30]),
        source="CenA",
        fraction=np.array([0.0, 0.5, 1.0]),
        nside=2,
        n_channels=1,
        composition="mixed",
        random_state=0,
    )
    np.testing.assert_array_equal(maps.sum(axis=(1, 2)), [10, 20, 30])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_events=0), "n_events"),
        (dict(n_events=10, fraction=1.5, source="CenA"), "fraction"),
        (dict(n_events=10, fraction=0.1), "source is None"),
        (dict(n_events=10, fraction=0.1, source="Vela"), "source"),
        (dict(n_events=10, nside=3), "nside"),
        (dict(n_events=10, exposure="hess"), "exposure"),
        (dict(n_events=10, energy_resolution=-0.1), "energy_resolution"),
        (dict(n_events=10, n_channels=0), "n_channels"),
        (dict(n_events=[10, 10]), r"shape \(3,\)"),
        (dict(n_events=10, source="CenA", composition="helium"), "composition"),
        (dict(n_events=10, deflection=3.0), "deflection"),
        (dict(n_events=10, isotropic_index=1.0), "isotropic_index"),
    ],
)
def test_bad_inputs(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        simulate_sky_maps(3, **kwargs)


def test_source_outside_field_of_view_raises():
    # M82 (dec +69.7) is never seen from Auger (dec <= 44.8) without deflection
    with pytest.raises(ValueError, match="no observable events"):
        simulate_sky_maps(
            1,
            n_events=10,
            source="M82",
            fraction=0.5,
            exposure="auger",
            deflection=None,
            composition=PROTONS,
            random_state=0,
        )


# ---------------------------------------------------------------------------- plotting


def test_plot_sky_map_marks_sources_and_events():
    import matplotlib

    matplotlib.use("Agg")
    from crsbi.uhecr.plotting import plot_sky_map

    maps = simulate_sky_maps(1, n_events=30, nside=4, n_channels=3, random_state=0)[0]
    ax = plot_sky_map(maps, channel=1, sources=["CenA"], events=([90.0], [45.0]), resolution=40)
    from matplotlib.collections import PathCollection

    points = np.concatenate(
        [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]
    )
    # l increases to the left: l = 90 deg -> x = -pi/2; Cen A l = 309.52 -> x = +50.48 deg
    np.testing.assert_allclose(points[0], [-np.pi / 2, np.pi / 4])
    np.testing.assert_allclose(points[1], np.radians([50.48, 19.42]))
    ax_sum = plot_sky_map(maps, smooth_deg=20.0, sources=False, resolution=40)
    mesh = ax_sum.collections[0].get_array()
    assert mesh.max() >= maps.sum(axis=0).max()  # a 20 deg disc holds at least its pixel
    with pytest.raises(ValueError, match="channel"):
        plot_sky_map(maps, channel=5)
    with pytest.raises(ValueError, match="npix"):
        plot_sky_map(np.ones((2, 3, 4)))


def test_null_maps_need_no_data_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CRSBI_DATA_DIR", str(tmp_path))  # an empty data directory
    maps = simulate_sky_maps(2, n_events=20, source="M87", fraction=0.0, nside=2, random_state=0)
    assert maps.shape == (2, 15, 48)


def test_user_exposure_map_equals_named_model():
    nside = 4
    auger = exposure_map("auger", nside, normalize="max")
    np.testing.assert_allclose(exposure_map(auger, nside), exposure_map("auger", nside))
    a = simulate_sky_maps(2, n_events=40, nside=nside, exposure=auger, random_state=3)
    b = simulate_sky_maps(2, n_events=40, nside=nside, exposure="auger", random_state=3)
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="nside=2"):
        exposure_map(auger, 2)
