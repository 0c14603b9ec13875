"""Sky coordinates and directional exposure of UHECR observatories.

Ground arrays follow Sommers (2001, Astropart. Phys. 14, 271): a detector at geographic
latitude ``a0`` that accepts showers up to zenith angle ``theta_m``, running uniformly in
sidereal time, has a relative exposure per solid angle depending on declination only,

    omega(delta) = cos(a0) cos(delta) sin(alpha_m) + alpha_m sin(a0) sin(delta),

with ``alpha_m = 0`` if ``xi > 1``, ``pi`` if ``xi < -1`` and ``arccos(xi)`` otherwise,
``xi = (cos(theta_m) - sin(a0) sin(delta)) / (cos(a0) cos(delta))``. It is the integral of
the projected area ``cos(theta)`` over the hour angles in which the direction is seen; it
vanishes for ``delta > a0 + theta_m`` (and below ``a0 - theta_m``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AUGER",
    "AUGER_PHASE1_EXPOSURE",
    "AUGER_TA",
    "EXPOSURES",
    "TA_EXPOSURE",
    "TELESCOPE_ARRAY",
    "CombinedExposure",
    "GroundArray",
    "combined_exposure",
    "equatorial_to_galactic",
    "exposure_map",
    "from_skycoord",
    "galactic_to_equatorial",
    "relative_exposure",
    "sommers_exposure",
    "to_skycoord",
]

#: Rotation from ICRS unit vectors to Galactic ones, ``galactic = _ICRS_TO_GALACTIC @ icrs``.
#:
#: Taken from astropy 8.0.2 once, so that the fast NumPy path agrees with
#: ``SkyCoord(ra, dec, frame="icrs").galactic`` (tested to < 1e-6 deg, about 1e-12 deg in
#: practice, by tests/uhecr/test_coordinates.py)::
#:
#:     from astropy.coordinates import SkyCoord
#:     e = np.eye(3)
#:     SkyCoord(x=e[0], y=e[1], z=e[2], frame="icrs",
#:              representation_type="cartesian").galactic.cartesian.xyz.value
#:
#: (column ``j`` is the image of the ICRS axis ``j``). astropy defines the Galactic frame
#: from FK4-B1950 (north Galactic pole RA 192.25, Dec 27.4 deg, l of the B1950 pole 123
#: deg), carried to FK5-J2000 (pole 192.8594812065348, 27.12825118085622 deg, l of the
#: celestial pole 122.9319185680026 deg), and reaches ICRS through the ICRS -> FK5 frame bias
#: (~0.03 arcsec). The Hipparcos matrix (ESA 1997, vol. 1, sect. 1.5.3) used before treats
#: ICRS as FK5-J2000 and rounds the pole: it differs from astropy by a rotation of
#: 7.2e-6 deg (26 mas), of which the frame bias makes up most.
_ICRS_TO_GALACTIC = np.array(
    [
        [-0.05487565771259167, -0.873437051955616, -0.48383507361671546],
        [+0.49410943719272715, -0.4448297212232953, +0.7469821839866676],
        [-0.8676661375596582, -0.19807633727300056, +0.4559838136873017],
    ]
)


def check_nside(nside: object, name: str = "nside", owner: str = "simulate_sky_maps") -> int:
    """Return ``nside`` as an int after checking it is a power of two in [1, 2**29].

    (The same check as :func:`crsbi.uhecr.healpix.check_nside`, kept here so the simulators
    do not import torch.)
    """
    if isinstance(nside, bool) or not isinstance(nside, int | np.integer):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be an int power of two (1, 2, 4, ...). "
            f"Got {nside!r} of type {type(nside).__name__} instead."
        )
    value = int(nside)
    if value < 1 or value > 2**29 or value & (value - 1):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a power of two in [1, 2**29]. "
            f"Got {value} instead."
        )
    return value


def _unit_vectors(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    lon, lat = np.broadcast_arrays(np.radians(lon_deg), np.radians(lat_deg))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def _angles(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    lon = np.degrees(np.arctan2(y, x)) % 360.0
    lon = np.where(lon >= 360.0, 0.0, lon)  # -1e-17 % 360 rounds to 360.0
    # arctan2 rather than arcsin(z): arcsin loses half the digits near the poles (an error
    # of 1e-16 in z moves the latitude by up to 1e-6 deg there)
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return lon[()], lat[()]


def _check_directions(
    lon_deg: object, lat_deg: object, names: tuple[str, str], owner: str
) -> tuple[np.ndarray, np.ndarray]:
    """Broadcast float arrays of finite longitudes and latitudes in [-90, 90] deg."""
    try:
        lon = np.asarray(lon_deg, dtype=float)
        lat = np.asarray(lat_deg, dtype=float)
        lon, lat = np.broadcast_arrays(lon, lat)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"The {names[0]!r} and {names[1]!r} parameters of {owner} must be broadcastable "
            f"arrays of angles [deg]. Got {lon_deg!r} and {lat_deg!r} ({error})."
        ) from None
    bad = ~np.isfinite(lon)
    if bad.any():
        raise ValueError(
            f"The {names[0]!r} parameter of {owner} must hold finite angles [deg] (any value, "
            f"taken modulo 360). Got {int(bad.sum())} NaN/inf values."
        )
    bad = ~np.isfinite(lat) | (np.abs(lat) > 90.0)
    if bad.any():
        raise ValueError(
            f"The {names[1]!r} parameter of {owner} must hold finite angles in [-90, 90] deg. "
            f"Got {int(bad.sum())} invalid values, e.g. {float(lat[bad][0])!r}."
        )
    return lon, lat


def _to_galactic(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _angles(_unit_vectors(ra_deg, dec_deg) @ _ICRS_TO_GALACTIC.T)


def _to_equatorial(l_deg: np.ndarray, b_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _angles(_unit_vectors(l_deg, b_deg) @ _ICRS_TO_GALACTIC)


def equatorial_to_galactic(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[np.ndarray, ...]:
    """Convert ICRS (J2000 equatorial) coordinates to Galactic ones.

    A fixed rotation taken from astropy: the result agrees with
    ``SkyCoord(ra_deg, dec_deg, unit="deg", frame="icrs").galactic`` to better than 1e-6
    deg (about 1e-12 deg), without importing astropy. Use :func:`to_skycoord` and
    :func:`from_skycoord` to exchange directions with astropy.

    Parameters
    ----------
    ra_deg, dec_deg : array_like
        Right ascension (any finite value, taken modulo 360) and declination in [-90, 90]
        [deg], broadcastable.

    Returns
    -------
    l_deg, b_deg : numpy.ndarray
        Galactic longitude in [0, 360) [deg] and latitude in [-90, 90] [deg], of the
        broadcast shape of the inputs (NumPy scalars for scalar inputs).

    Raises
    ------
    ValueError
        When the inputs do not broadcast, on NaN/inf, or a declination outside [-90, 90].

    Examples
    --------
    >>> from crsbi.uhecr.sky import equatorial_to_galactic
    >>> l, b = equatorial_to_galactic(201.365063, -43.019112)  # Centaurus A (NGC 5128)
    >>> round(float(l), 3), round(float(b), 3)
    (309.516, 19.417)
    """
    ra, dec = _check_directions(ra_deg, dec_deg, ("ra_deg", "dec_deg"), "equatorial_to_galactic")
    return _to_galactic(ra, dec)


def galactic_to_equatorial(l_deg: np.ndarray, b_deg: np.ndarray) -> tuple[np.ndarray, ...]:
    """Convert Galactic coordinates to ICRS (J2000 equatorial) ones.

    The inverse of :func:`equatorial_to_galactic`; agrees with
    ``SkyCoord(l_deg, b_deg, unit="deg", frame="galactic").icrs`` to better than 1e-6 deg.

    Parameters
    ----------
    l_deg, b_deg : array_like
        Galactic longitude (any finite value, taken modulo 360) and latitude in [-90, 90]
        [deg], broadcastable.

    Returns
    -------
    ra_deg, dec_deg : numpy.ndarray
        Right ascension in [0, 360) [deg] and declination in [-90, 90] [deg], of the
        broadcast shape of the inputs (NumPy scalars for scalar inputs).

    Raises
    ------
    ValueError
        When the inputs do not broadcast, on NaN/inf, or a latitude outside [-90, 90].

    Examples
    --------
    >>> from crsbi.uhecr.sky import galactic_to_equatorial
    >>> ra, dec = galactic_to_equatorial(0.0, 90.0)  # north Galactic pole
    >>> round(float(ra), 2), round(float(dec), 2)
    (192.86, 27.13)
    """
    lon, lat = _check_directions(l_deg, b_deg, ("l_deg", "b_deg"), "galactic_to_equatorial")
    return _to_equatorial(lon, lat)


_FRAMES = ("galactic", "icrs")


def _check_frame(frame: object, owner: str) -> str:
    if not isinstance(frame, str) or frame.lower() not in _FRAMES:
        raise ValueError(
            f"The 'frame' parameter of {owner} must be 'galactic' or 'icrs'. Got {frame!r}."
        )
    return frame.lower()


def to_skycoord(lon_deg: np.ndarray, lat_deg: np.ndarray, frame: str = "galactic") -> object:
    """Directions as an :class:`astropy.coordinates.SkyCoord` (astropy imported lazily).

    Parameters
    ----------
    lon_deg, lat_deg : array_like
        Longitude and latitude [deg], broadcastable: Galactic ``l, b`` for
        ``frame="galactic"``, right ascension and declination for ``frame="icrs"``. The
        latitude must lie in [-90, 90] deg.
    frame : {"galactic", "icrs"}, default="galactic"
        Frame of the coordinates (the maps and sources of :mod:`crsbi.uhecr` are Galactic).

    Returns
    -------
    astropy.coordinates.SkyCoord
        The directions, of the broadcast shape of the inputs; e.g. ``.icrs`` converts them
        and ``.separation(other)`` measures angles [deg via ``.deg``].

    Raises
    ------
    ValueError
        On an unknown ``frame``, NaN/inf or a latitude outside [-90, 90] deg.

    Examples
    --------
    >>> from crsbi.uhecr.sky import SOURCES, to_skycoord
    >>> cen_a = to_skycoord(SOURCES["CenA"].l_deg, SOURCES["CenA"].b_deg)
    >>> round(float(cen_a.icrs.ra.deg), 2), round(float(cen_a.icrs.dec.deg), 2)
    (201.37, -43.02)
    """
    from astropy.coordinates import SkyCoord

    frame = _check_frame(frame, "to_skycoord")
    names = ("l_deg", "b_deg") if frame == "galactic" else ("ra_deg", "dec_deg")
    lon, lat = _check_directions(lon_deg, lat_deg, names, "to_skycoord")
    return SkyCoord(lon, lat, unit="deg", frame=frame)


def from_skycoord(coord: object, frame: str = "galactic") -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude [deg] of a :class:`astropy.coordinates.SkyCoord` in ``frame``.

    The coordinates are converted by astropy itself, so any frame it knows (FK5, FK4,
    AltAz with an obstime and location, ...) is accepted.

    Parameters
    ----------
    coord : astropy.coordinates.SkyCoord or astropy coordinate frame
        Directions in any celestial frame.
    frame : {"galactic", "icrs"}, default="galactic"
        Frame of the returned angles.

    Returns
    -------
    lon_deg, lat_deg : numpy.ndarray of float64
        Galactic ``l`` in [0, 360) and ``b`` in [-90, 90] [deg] (``frame="galactic"``), or
        right ascension and declination [deg] (``frame="icrs"``); shape of ``coord``.

    Raises
    ------
    TypeError
        When ``coord`` is not an astropy coordinate.
    ValueError
        On an unknown ``frame``.

    Examples
    --------
    >>> from astropy.coordinates import SkyCoord
    >>> from crsbi.uhecr.sky import from_skycoord
    >>> l, b = from_skycoord(SkyCoord(201.365063, -43.019112, unit="deg"))  # Cen A, ICRS
    >>> round(float(l), 2), round(float(b), 2)
    (309.52, 19.42)
    """
    from astropy.coordinates import BaseCoordinateFrame, SkyCoord

    frame = _check_frame(frame, "from_skycoord")
    if not isinstance(coord, SkyCoord | BaseCoordinateFrame):
        raise TypeError(
            "The 'coord' parameter of from_skycoord must be an astropy SkyCoord or coordinate "
            f"frame. Got {type(coord).__name__} instead."
        )
    moved = coord.transform_to(frame)
    spherical = moved.spherical
    lon = np.asarray(spherical.lon.to_value("deg"), dtype=float) % 360.0
    lat = np.asarray(spherical.lat.to_value("deg"), dtype=float)
    return np.where(lon >= 360.0, 0.0, lon)[()], lat[()]


@dataclass(frozen=True)
class GroundArray:
    """A ground array of flat detectors seen through the Sommers (2001) exposure.

    Parameters
    ----------
    latitude_deg : float
        Geographic latitude of the site [deg], in [-90, 90].
    max_zenith_deg : float
        Largest accepted zenith angle [deg], in (0, 90].
    name : str, default="ground array"
        Label used in plots and messages.

    Examples
    --------
    >>> from crsbi.uhecr.sky import GroundArray
    >>> GroundArray(-35.2, 80.0, "Auger").max_declination_deg
    44.8
    """

    latitude_deg: float
    max_zenith_deg: float
    name: str = "ground array"

    def __post_init__(self) -> None:
        if not -90.0 <= float(self.latitude_deg) <= 90.0:
            raise ValueError(
                f"GroundArray latitude_deg must be in [-90, 90] deg. Got {self.latitude_deg!r}."
            )
        if not 0.0 < float(self.max_zenith_deg) <= 90.0:
            raise ValueError(
                f"GroundArray max_zenith_deg must be in (0, 90] deg. Got {self.max_zenith_deg!r}."
            )

    @property
    def max_declination_deg(self) -> float:
        """Northernmost declination in the field of view [deg]."""
        return round(min(90.0, self.latitude_deg + self.max_zenith_deg), 10)

    @property
    def min_declination_deg(self) -> float:
        """Southernmost declination in the field of view [deg]."""
        return round(max(-90.0, self.latitude_deg - self.max_zenith_deg), 10)


#: Pierre Auger Observatory (Malargue, Argentina), zenith angles up to 80 deg.
AUGER = GroundArray(latitude_deg=-35.2, max_zenith_deg=80.0, name="Auger")
#: Telescope Array (Utah), zenith angles up to 55 deg.
TELESCOPE_ARRAY = GroundArray(latitude_deg=39.3, max_zenith_deg=55.0, name="TA")
#: Named exposure models; ``"uniform"`` is a full-sky (orbital) detector.
EXPOSURES: dict[str, GroundArray | None] = {
    "uniform": None,
    "auger": AUGER,
    "ta": TELESCOPE_ARRAY,
}


def sommers_exposure(dec_deg: np.ndarray, latitude_deg: float, max_zenith_deg: float) -> np.ndarray:
    """Relative directional exposure of a ground array (Sommers 2001).

    Parameters
    ----------
    dec_deg : array_like
        Declinations [deg].
    latitude_deg : float
        Site latitude [deg].
    max_zenith_deg : float
        Maximum zenith angle [deg].

    Returns
    -------
    numpy.ndarray
        ``omega(delta)`` (dimensionless, radians of hour angle times ``cos(theta)``),
        shape of ``dec_deg``; zero outside the field of view.

    Examples
    --------
    >>> from crsbi.uhecr.sky import sommers_exposure
    >>> float(sommers_exposure(60.0, -35.2, 80.0))
    0.0
    """
    dec = np.radians(np.asarray(dec_deg, dtype=float))
    a0, theta_m = np.radians(latitude_deg), np.radians(max_zenith_deg)
    cos_product = np.cos(a0) * np.cos(dec)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = (np.cos(theta_m) - np.sin(a0) * np.sin(dec)) / cos_product
    xi = np.where(
        cos_product == 0.0, np.where(np.cos(theta_m) > np.sin(a0) * np.sin(dec), 2, -2), xi
    )
    alpha_m = np.arccos(np.clip(xi, -1.0, 1.0))
    omega = cos_product * np.sin(alpha_m) + alpha_m * np.sin(a0) * np.sin(dec)
    return np.clip(omega, 0.0, None)


def _check_kind(kind: object) -> GroundArray | np.ndarray | None:
    if isinstance(kind, GroundArray):
        return kind
    if isinstance(kind, str):
        key = kind.lower()
        if key in EXPOSURES:
            return EXPOSURES[key]
    if isinstance(kind, np.ndarray):
        return kind
    raise ValueError(
        "The 'exposure' parameter must be one of 'uniform', 'auger', 'ta', a GroundArray or a "
        f"NESTED Galactic HEALPix map (numpy array of 12 * nside**2 values). Got {kind!r} instead."
    )


def _check_user_map(values: np.ndarray, nside: int | None = None) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    npix = values.shape[-1] if values.ndim == 1 else -1
    map_nside = math.isqrt(max(npix, 0) // 12)
    if values.ndim != 1 or 12 * map_nside**2 != npix or map_nside & (map_nside - 1):
        raise ValueError(
            "An exposure map must be a 1-D array of 12 * nside**2 values (nside a power of two). "
            f"Got shape {values.shape}."
        )
    if nside is not None and map_nside != nside:
        raise ValueError(
            f"The exposure map has nside={map_nside} but nside={nside} was asked for; regrade it "
            "with healpy.ud_grade(map, nside, order_in='NESTED', order_out='NESTED')."
        )
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() <= 0:
        raise ValueError(
            "An exposure map must hold finite, non-negative values with a positive maximum."
        )
    return values


def relative_exposure(kind: object, l_deg: np.ndarray, b_deg: np.ndarray) -> np.ndarray:
    """Exposure towards Galactic directions relative to its maximum, in [0, 1].

    Parameters
    ----------
    kind : {"uniform", "auger", "ta"}, GroundArray or numpy.ndarray
        Exposure model; an array is a NESTED Galactic HEALPix map (any power-of-two nside).
    l_deg, b_deg : array_like
        Galactic longitude and latitude [deg].

    Returns
    -------
    numpy.ndarray
        Relative exposure in [0, 1], broadcast shape of ``l_deg`` and ``b_deg``.

    Examples
    --------
    >>> from crsbi.uhecr.sky import relative_exposure
    >>> float(relative_exposure("uniform", 10.0, 20.0))
    1.0
    """
    model = _check_kind(kind)
    l_deg, b_deg = np.broadcast_arrays(np.asarray(l_deg, float), np.asarray(b_deg, float))
    if model is None:
        return np.ones(l_deg.shape)
    if isinstance(model, np.ndarray):
        import healpy

        values = _check_user_map(model)
        nside = healpy.npix2nside(values.size)
        pix = healpy.ang2pix(nside, l_deg, b_deg, nest=True, lonlat=True)
        return values[pix] / values.max()
    _, dec = _to_equatorial(l_deg, b_deg)
    omega = sommers_exposure(dec, model.latitude_deg, model.max_zenith_deg)
    return omega / _sommers_max(model)


@functools.lru_cache(maxsize=32)
def _sommers_max(model: GroundArray) -> float:
    grid = np.linspace(-90.0, 90.0, 20001)
    return float(sommers_exposure(grid, model.latitude_deg, model.max_zenith_deg).max())


#: Sub-pixels per axis over which :func:`exposure_map` averages a model exposure.
_SUBPIXELS = 4


@functools.lru_cache(maxsize=32)
def _model_map_cached(model: GroundArray | None, nside: int, nest: bool) -> np.ndarray:
    import healpy

    # the mean over 4 x 4 sub-pixels: the share of the pixel's solid angle weighted by the
    # exposure, so a pixel the field of view only partly covers keeps a non-zero exposure
    # (events there are possible) instead of taking its centre's value
    fine = nside * _SUBPIXELS
    l_deg, b_deg = healpy.pix2ang(fine, np.arange(12 * fine**2), nest=True, lonlat=True)
    values = relative_exposure(model if model is not None else "uniform", l_deg, b_deg)
    values = values.reshape(12 * nside**2, _SUBPIXELS**2).mean(axis=1)
    if not nest:
        values = healpy.reorder(values, n2r=True)
    values.setflags(write=False)
    return values


def _model_map(model: GroundArray | None, nside: int, nest: bool) -> np.ndarray:
    return _model_map_cached(model, nside, bool(nest))


def exposure_map(
    kind: object = "uniform", nside: int = 32, *, nest: bool = True, normalize: str = "sum"
) -> np.ndarray:
    """HEALPix map of the directional exposure in Galactic coordinates.

    Parameters
    ----------
    kind : {"uniform", "auger", "ta"}, GroundArray or numpy.ndarray, default="uniform"
        Exposure model: full sky, Auger (lat -35.2 deg, zenith <= 80 deg), Telescope Array
        (lat +39.3 deg, zenith <= 55 deg), any ground array, or a user NESTED map of the
        same ``nside``.
    nside : int, default=32
        HEALPix resolution (a power of two).
    nest : bool, default=True
        NESTED pixel order (RING when False).
    normalize : {"sum", "max"}, default="sum"
        ``"sum"``: the pixels sum to 1, i.e. the probability that an isotropic event lands
        in each pixel (expected isotropic counts = ``n_events * map``); ``"max"``: the largest
        pixel is 1.

    Returns
    -------
    numpy.ndarray of float64, shape (12 * nside**2,)
        Exposure averaged over each pixel (4 x 4 sub-pixels), so pixels on the edge of the
        field of view keep the share of exposure they have.

    Examples
    --------
    >>> from crsbi.uhecr.sky import exposure_map
    >>> m = exposure_map("auger", nside=8)
    >>> m.shape, round(float(m.sum()), 6)
    ((768,), 1.0)
    """
    import healpy

    nside = check_nside(nside, owner="exposure_map")
    if normalize not in ("sum", "max"):
        raise ValueError(f"normalize must be 'sum' or 'max'. Got {normalize!r} instead.")
    model = _check_kind(kind)
    if isinstance(model, np.ndarray):
        values = _check_user_map(model, nside)
        if not nest:
            values = healpy.reorder(values, n2r=True)
    else:
        values = _model_map(model, nside, nest)
    total = values.sum() if normalize == "sum" else values.max()
    return values / total


#: Integrated exposure of Auger phase one, 1 Jan 2004 - 31 Dec 2020 [km^2 sr yr]
#: (Abreu et al. 2022, ApJ 935, 170: "122,000 km^2 sr yr"; the event list's last column
#: ends at 121 420 for E >= 32 EeV, vertical + inclined).
AUGER_PHASE1_EXPOSURE = 122_000.0
#: Effective exposure of the Telescope Array surface-detector data set, May 2008 - May 2024
#: [km^2 sr yr], as used in the joint Auger-TA full-sky analysis (ICRC 2025).
TA_EXPOSURE = 19_500.0


def _sommers_integral(model: GroundArray) -> float:
    """Integral of the Sommers ``omega`` over the sphere, ``2 pi int omega(delta) d sin(delta)``."""
    return _sommers_integral_cached(model.latitude_deg, model.max_zenith_deg)


@functools.lru_cache(maxsize=32)
def _sommers_integral_cached(latitude_deg: float, max_zenith_deg: float) -> float:
    n = 200_000
    z = -1.0 + (np.arange(n) + 0.5) * (2.0 / n)
    omega = sommers_exposure(np.degrees(np.arcsin(z)), latitude_deg, max_zenith_deg)
    return float(2.0 * np.pi * omega.sum() * (2.0 / n))


@dataclass(frozen=True)
class CombinedExposure:
    """Directional exposure of several ground arrays added together (e.g. Auger + TA).

    Each array's Sommers (2001) exposure is normalised to unit integral over the sphere and
    weighted by the array's integrated exposure, so that the sum is the exposure per
    steradian [km^2 yr] of the joint data set.

    Parameters
    ----------
    arrays : tuple of GroundArray
        The arrays (at least one).
    integrated_exposures : tuple of float
        Integrated exposure of each array [km^2 sr yr], positive, one per array.
    name : str, default="combined"
        Label used in plots and messages.

    Examples
    --------
    >>> from crsbi.uhecr._exposure import AUGER_TA
    >>> bool(AUGER_TA.directional_exposure(-90.0) > 0), AUGER_TA.max_declination_deg
    (True, 90.0)
    """

    arrays: tuple[GroundArray, ...]
    integrated_exposures: tuple[float, ...]
    name: str = "combined"

    def __post_init__(self) -> None:
        arrays, weights = tuple(self.arrays), tuple(self.integrated_exposures)
        if not arrays or not all(isinstance(a, GroundArray) for a in arrays):
            raise ValueError(
                f"CombinedExposure arrays must be a non-empty tuple of GroundArray. Got {arrays!r}."
            )
        if len(weights) != len(arrays) or not all(
            np.isfinite(float(w)) and float(w) > 0 for w in weights
        ):
            raise ValueError(
                "CombinedExposure integrated_exposures must hold one positive finite value "
                f"[km^2 sr yr] per array ({len(arrays)}). Got {weights!r}."
            )
        object.__setattr__(self, "arrays", arrays)
        object.__setattr__(self, "integrated_exposures", tuple(float(w) for w in weights))

    @property
    def total_exposure(self) -> float:
        """Sum of the integrated exposures [km^2 sr yr]."""
        return float(sum(self.integrated_exposures))

    @property
    def max_declination_deg(self) -> float:
        """Northernmost declination seen by any array [deg]."""
        return max(a.max_declination_deg for a in self.arrays)

    @property
    def min_declination_deg(self) -> float:
        """Southernmost declination seen by any array [deg]."""
        return min(a.min_declination_deg for a in self.arrays)

    def directional_exposure(self, dec_deg: np.ndarray) -> np.ndarray:
        """Exposure per steradian towards declinations ``dec_deg`` [km^2 yr].

        Parameters
        ----------
        dec_deg : array_like
            Declinations [deg].

        Returns
        -------
        numpy.ndarray
            Shape of ``dec_deg``; its integral over the sphere is :attr:`total_exposure`.
        """
        dec_deg = np.asarray(dec_deg, dtype=float)
        total = np.zeros(dec_deg.shape)
        for array, weight in zip(self.arrays, self.integrated_exposures, strict=True):
            omega = sommers_exposure(dec_deg, array.latitude_deg, array.max_zenith_deg)
            total = total + weight * omega / _sommers_integral(array)
        return total

    def fractions(self, dec_deg: np.ndarray) -> np.ndarray:
        """Share of each array in the exposure towards ``dec_deg``.

        Returns
        -------
        numpy.ndarray of shape ``(n_arrays, *dec_deg.shape)``
            Non-negative, summing to 1 where the exposure is positive (0 elsewhere).
        """
        dec_deg = np.asarray(dec_deg, dtype=float)
        parts = np.stack(
            [
                weight
                * sommers_exposure(dec_deg, array.latitude_deg, array.max_zenith_deg)
                / _sommers_integral(array)
                for array, weight in zip(self.arrays, self.integrated_exposures, strict=True)
            ]
        )
        total = parts.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, parts / np.where(total > 0, total, 1.0), 0.0)


#: Auger phase one (122 000 km^2 sr yr) + Telescope Array (19 500 km^2 sr yr).
AUGER_TA = CombinedExposure(
    (AUGER, TELESCOPE_ARRAY), (AUGER_PHASE1_EXPOSURE, TA_EXPOSURE), name="Auger+TA"
)


def combined_exposure(
    dec_deg: np.ndarray,
    arrays: tuple[GroundArray, ...] = (AUGER, TELESCOPE_ARRAY),
    integrated_exposures: tuple[float, ...] = (AUGER_PHASE1_EXPOSURE, TA_EXPOSURE),
) -> np.ndarray:
    """Exposure per steradian of several ground arrays together [km^2 yr].

    The sum of the Sommers exposures of ``arrays``, each normalised to unit integral over
    the sphere and weighted by its integrated exposure (see :class:`CombinedExposure`).

    Parameters
    ----------
    dec_deg : array_like
        Declinations [deg].
    arrays : tuple of GroundArray, default=(AUGER, TELESCOPE_ARRAY)
        The arrays.
    integrated_exposures : tuple of float, default=(122000, 19500)
        Their integrated exposures [km^2 sr yr] (Auger phase one; TA May 2008 - May 2024).

    Returns
    -------
    numpy.ndarray
        Shape of ``dec_deg``.

    Examples
    --------
    >>> from crsbi.uhecr._exposure import combined_exposure
    >>> north, south = combined_exposure([70.0, -70.0])
    >>> bool(north > 0 and south > north)
    True
    """
    return CombinedExposure(tuple(arrays), tuple(integrated_exposures)).directional_exposure(
        dec_deg
    )
