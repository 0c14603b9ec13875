"""Sky coordinates: the NumPy ICRS <-> Galactic rotation against astropy, and SkyCoord interop."""

import numpy as np
import pytest

from crsbi.uhecr.data import AugerEvents
from crsbi.uhecr.sky import (
    SOURCES,
    Source,
    equatorial_to_galactic,
    from_skycoord,
    galactic_to_equatorial,
    relative_exposure,
    to_skycoord,
)

coordinates = pytest.importorskip("astropy.coordinates")
SkyCoord = coordinates.SkyCoord

#: Largest angle [deg] allowed between our conversion and astropy's (issue 29: 1e-6 deg).
TOLERANCE_DEG = 1e-6
#: Cen A (NGC 5128), ICRS [deg].
CEN_A = (201.365063, -43.019112)


def _sphere(n, seed):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(0.0, 360.0, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return lon, lat


def _special_points():
    """Poles, Cen A, RA wrap-around and the neighbourhoods of both frames' poles."""
    ngp_ra, ngp_dec = 192.8594812065348, 27.12825118085622  # north Galactic pole, J2000
    offsets = np.array([1e-3, 1e-6, 1e-9, 0.0])
    ra = [0.0, 0.0, 123.0, 266.40499, CEN_A[0], 359.9999999, 1e-9, 360.0, -1e-12, 180.0]
    dec = [90.0, -90.0, 89.9999999, -28.93617, CEN_A[1], 10.0, -10.0, 0.0, 45.0, -89.9999999]
    ra = np.r_[ra, np.full(4, ngp_ra), np.full(4, ngp_ra - 180.0)]
    dec = np.r_[dec, ngp_dec + offsets, -ngp_dec - offsets]
    return ra, dec


def _separation_deg(lon1, lat1, lon2, lat2, frame):
    first = SkyCoord(lon1, lat1, unit="deg", frame=frame)
    return first.separation(SkyCoord(lon2, lat2, unit="deg", frame=frame)).deg


def test_equatorial_to_galactic_matches_astropy():
    lon, lat = _sphere(10_000, 0)
    special_ra, special_dec = _special_points()
    ra, dec = np.r_[lon, special_ra], np.r_[lat, special_dec]
    l_deg, b_deg = equatorial_to_galactic(ra, dec)
    truth = SkyCoord(ra, dec, unit="deg", frame="icrs").galactic
    sep = _separation_deg(l_deg, b_deg, truth.l.deg, truth.b.deg, "galactic")
    assert sep.max() < TOLERANCE_DEG, f"max separation {sep.max():.3g} deg"


def test_galactic_to_equatorial_matches_astropy():
    lon, lat = _sphere(10_000, 1)
    # the Galactic centre, both Galactic poles and wrap-around of l
    l_deg = np.r_[lon, 0.0, 0.0, 0.0, 359.9999999, 1e-9, 123.0]
    b_deg = np.r_[lat, 0.0, 90.0, -90.0, 0.0, 0.0, 89.9999999]
    ra, dec = galactic_to_equatorial(l_deg, b_deg)
    truth = SkyCoord(l_deg, b_deg, unit="deg", frame="galactic").icrs
    sep = _separation_deg(ra, dec, truth.ra.deg, truth.dec.deg, "icrs")
    assert sep.max() < TOLERANCE_DEG, f"max separation {sep.max():.3g} deg"


def test_known_objects():
    l_deg, b_deg = equatorial_to_galactic(*CEN_A)
    assert abs(l_deg - 309.5159) < 1e-3 and abs(b_deg - 19.4173) < 1e-3
    ra, dec = galactic_to_equatorial(0.0, 0.0)  # Galactic centre
    assert abs(ra - 266.40499) < 1e-4 and abs(dec + 28.93617) < 1e-4
    # the catalogue positions of SOURCES are rounded to 0.01 deg
    cen_a = SOURCES["CenA"].to_skycoord()
    assert cen_a.separation(SkyCoord(*CEN_A, unit="deg")).deg < 0.01


def test_round_trip_and_ranges():
    lon, lat = _sphere(2_000, 2)
    l_deg, b_deg = equatorial_to_galactic(lon, lat)
    assert np.all((l_deg >= 0) & (l_deg < 360)) and np.all(np.abs(b_deg) <= 90)
    ra, dec = galactic_to_equatorial(l_deg, b_deg)
    assert np.all((ra >= 0) & (ra < 360))
    sep = _separation_deg(ra, dec, lon, lat, "icrs")
    assert sep.max() < 1e-10
    # longitudes are taken modulo 360; a value that rounds to 360 comes back as 0
    assert equatorial_to_galactic(-1e-20, 0.0)[0] < 360.0
    np.testing.assert_allclose(
        galactic_to_equatorial(-10.0, 5.0), galactic_to_equatorial(350.0, 5.0), atol=1e-12
    )


def test_shapes_broadcast():
    l_scalar, b_scalar = equatorial_to_galactic(*CEN_A)
    assert np.ndim(l_scalar) == 0 and np.ndim(b_scalar) == 0
    l_deg, b_deg = equatorial_to_galactic([10.0, 20.0, 30.0], 5.0)
    assert l_deg.shape == b_deg.shape == (3,)
    grid = galactic_to_equatorial(np.zeros((4, 1)), np.linspace(-80, 80, 5))
    assert grid[0].shape == grid[1].shape == (4, 5)
    assert equatorial_to_galactic(np.empty(0), np.empty(0))[0].shape == (0,)


@pytest.mark.parametrize("func", [equatorial_to_galactic, galactic_to_equatorial])
@pytest.mark.parametrize(
    ("lon", "lat", "match"),
    [
        (np.nan, 0.0, r"finite angles \[deg\]"),
        (np.inf, 0.0, r"finite angles \[deg\]"),
        (0.0, np.nan, r"in \[-90, 90\] deg"),
        (0.0, 90.5, r"in \[-90, 90\] deg.*90.5"),
        ([0.0, 1.0], [-91.0, 0.0], r"in \[-90, 90\] deg.*-91"),
        ([0.0, 1.0], [0.0, 1.0, 2.0], "broadcastable"),
        ("north", 0.0, "broadcastable"),
    ],
)
def test_bad_input_is_rejected(func, lon, lat, match):
    with pytest.raises(ValueError, match=match) as info:
        func(lon, lat)
    assert func.__name__ in str(info.value)


def test_relative_exposure_keeps_its_nan_behaviour():
    # the internal path does not validate: blind lens directions (NaN) pass through
    assert np.isnan(relative_exposure("auger", np.nan, 0.0))


def test_to_and_from_skycoord():
    lon, lat = _sphere(100, 3)
    coord = to_skycoord(lon, lat)
    assert coord.frame.name == "galactic" and coord.shape == (100,)
    back = from_skycoord(coord.fk5)  # any astropy frame is accepted
    assert _separation_deg(*back, lon, lat, "galactic").max() < 1e-9
    ra, dec = from_skycoord(coord, frame="icrs")
    ours = galactic_to_equatorial(lon, lat)
    assert _separation_deg(ra, dec, *ours, "icrs").max() < TOLERANCE_DEG
    icrs = to_skycoord(*CEN_A, frame="ICRS")
    assert icrs.frame.name == "icrs"
    l_deg, b_deg = from_skycoord(icrs)
    assert np.ndim(l_deg) == 0 and abs(l_deg - 309.5159) < 1e-3 and abs(b_deg - 19.4173) < 1e-3
    assert 0 <= from_skycoord(to_skycoord(-1e-20, 0.0))[0] < 360


def test_skycoord_bad_input():
    with pytest.raises(ValueError, match="'galactic' or 'icrs'"):
        to_skycoord(0.0, 0.0, frame="fk4")
    with pytest.raises(ValueError, match="'galactic' or 'icrs'"):
        from_skycoord(to_skycoord(0.0, 0.0), frame=None)
    with pytest.raises(ValueError, match=r"'dec_deg' parameter of to_skycoord.*\[-90, 90\]"):
        to_skycoord(0.0, 95.0, frame="icrs")
    with pytest.raises(ValueError, match="'l_deg' parameter of to_skycoord"):
        to_skycoord(np.nan, 0.0)
    with pytest.raises(TypeError, match="SkyCoord"):
        from_skycoord((10.0, 20.0))


def test_source_from_and_to_skycoord():
    src = Source.from_skycoord("CenA", SkyCoord(*CEN_A, unit="deg"), distance_mpc=3.5)
    assert isinstance(src.l_deg, float) and src.distance_mpc == 3.5
    expected = equatorial_to_galactic(*CEN_A)
    assert _separation_deg(src.l_deg, src.b_deg, *expected, "galactic") < TOLERANCE_DEG
    icrs = src.to_skycoord("icrs")
    assert icrs.frame.name == "icrs"
    assert icrs.separation(SkyCoord(*CEN_A, unit="deg")).deg < 1e-9
    with pytest.raises(ValueError, match="single direction"):
        Source.from_skycoord("two", to_skycoord([1.0, 2.0], [0.0, 0.0]), 3.5)
    with pytest.raises(ValueError, match="'galactic' or 'icrs'"):
        src.to_skycoord("ecliptic")


def test_events_to_skycoord():
    ra, dec = np.array([CEN_A[0], 10.0]), np.array([CEN_A[1], -80.0])
    l_deg, b_deg = equatorial_to_galactic(ra, dec)
    zeros = np.zeros(2)
    events = AugerEvents(
        year=zeros.astype(int),
        day=zeros.astype(int),
        utc=zeros.astype(np.int64),
        zenith_deg=zeros,
        azimuth_deg=zeros,
        ra_deg=ra,
        dec_deg=dec,
        energy_eev=np.full(2, 60.0),
        cumulative_exposure=zeros,
        l_deg=l_deg,
        b_deg=b_deg,
        total_exposure=1.0,
    )
    icrs = events.to_skycoord()
    assert icrs.frame.name == "icrs" and icrs.shape == (2,)
    galactic = events.to_skycoord("galactic")
    assert galactic.frame.name == "galactic"
    sep = _separation_deg(galactic.l.deg, galactic.b.deg, l_deg, b_deg, "galactic")
    assert sep.max() < TOLERANCE_DEG
    with pytest.raises(ValueError, match="'galactic' or 'icrs'"):
        events.to_skycoord("altaz")
