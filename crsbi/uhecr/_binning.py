"""Validation helpers and the binning of events into energy-channel HEALPix maps."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import ndtr

from crsbi.uhecr._exposure import check_nside

__all__ = ["LG_E_MIN", "check_coordinates", "check_energies", "events_to_maps"]

#: lg(E_min / eV) of the Kalashev et al. analysis: 56 EeV.
LG_E_MIN = math.log10(56e18)
_OWNER = "simulate_sky_maps"


def _check_real(
    value: object, name: str, low: float, high: float, closed: str = "both", owner: str = _OWNER
) -> float:
    ok_type = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
    if ok_type and np.isfinite(value):
        value = float(value)
        left = value >= low if closed in ("both", "left") else value > low
        right = value <= high if closed in ("both", "right") else value < high
        if left and right:
            return value
    lo = "[" if closed in ("both", "left") else "("
    hi = "]" if closed in ("both", "right") else ")"
    raise ValueError(
        f"The {name!r} parameter of {owner} must be a float in {lo}{low:g}, {high:g}{hi}. "
        f"Got {value!r} instead."
    )


def _check_count(value: object, name: str, low: int = 0, owner: str = _OWNER) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int >= {low}. Got {value!r} instead."
        )
    return int(value)


def _describe_bad(values: np.ndarray, bad: np.ndarray) -> str:
    """``"k of n values, e.g. x"`` for the offending entries of ``values``."""
    return f"{int(bad.sum())} of {values.size} values, e.g. {float(values[bad][0])!r}"


def check_coordinates(
    lon_deg: object,
    lat_deg: object,
    *,
    names: tuple[str, str] = ("l_deg", "b_deg"),
    owner: str = "events_to_maps",
) -> tuple[np.ndarray, np.ndarray]:
    """Validate arrival directions: finite longitudes in [0, 360] and latitudes in [-90, 90] deg.

    Parameters
    ----------
    lon_deg, lat_deg : array_like, shape (n_events,)
        Longitude (Galactic ``l`` or right ascension) and latitude (``b`` or declination)
        [deg].
    names : tuple of str, default=("l_deg", "b_deg")
        Names used in the error messages.
    owner : str, default="events_to_maps"
        Function named in the error messages.

    Returns
    -------
    lon_deg, lat_deg : numpy.ndarray of float64, shape (n_events,)
        The flattened coordinates.

    Raises
    ------
    ValueError
        On different lengths, NaN/inf, a longitude outside [0, 360] or a latitude outside
        [-90, 90] deg.

    Examples
    --------
    >>> from crsbi.uhecr._binning import check_coordinates
    >>> lon, lat = check_coordinates([309.52], [19.42])
    >>> float(lon[0]), float(lat[0])
    (309.52, 19.42)
    """
    lon = np.asarray(lon_deg, dtype=float).ravel()
    lat = np.asarray(lat_deg, dtype=float).ravel()
    if lon.shape != lat.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} of {owner} must have the same length. Got {lon.size} "
            f"and {lat.size}."
        )
    for values, name, low, high, what in (
        (lon, names[0], 0.0, 360.0, "longitudes"),
        (lat, names[1], -90.0, 90.0, "latitudes"),
    ):
        bad = ~np.isfinite(values) | (values < low) | (values > high)
        if bad.any():
            raise ValueError(
                f"{name} of {owner} must hold finite {what} in [{low:g}, {high:g}] deg. Got "
                f"{_describe_bad(values, bad)}."
            )
    return lon, lat


def check_energies(energy_eev: object, owner: str = "events_to_maps") -> np.ndarray:
    """Validate event energies: finite and > 0 [EeV]; return them flattened as float64.

    Parameters
    ----------
    energy_eev : array_like, shape (n_events,)
        Energies [EeV].
    owner : str, default="events_to_maps"
        Function named in the error message.

    Returns
    -------
    numpy.ndarray of float64, shape (n_events,)
        The energies.

    Raises
    ------
    ValueError
        On NaN/inf or energies <= 0.

    Examples
    --------
    >>> from crsbi.uhecr._binning import check_energies
    >>> check_energies([56.0, 80.0]).tolist()
    [56.0, 80.0]
    """
    energy = np.asarray(energy_eev, dtype=float).ravel()
    bad = ~np.isfinite(energy) | (energy <= 0)
    if bad.any():
        raise ValueError(
            f"energy_eev of {owner} must hold finite positive energies [EeV]. Got "
            f"{_describe_bad(energy, bad)}."
        )
    return energy


def _channel_weights(
    lg_e: np.ndarray, n_channels: int, lg_e_min: float, width: float, sigma_lg: float
) -> np.ndarray:
    """Share of each event in each channel, shape (n, n_channels), rows summing to 1."""
    if n_channels == 1:
        return np.ones((lg_e.size, 1))
    if sigma_lg == 0:
        index = np.clip(np.floor((lg_e - lg_e_min) / width), 0, n_channels - 1).astype(int)
        weights = np.zeros((lg_e.size, n_channels))
        weights[np.arange(lg_e.size), index] = 1.0
        return weights
    inner = lg_e_min + width * np.arange(1, n_channels)
    cdf = ndtr((inner[None, :] - lg_e[:, None]) / sigma_lg)
    cdf = np.concatenate([np.zeros((lg_e.size, 1)), cdf, np.ones((lg_e.size, 1))], axis=1)
    return np.diff(cdf, axis=1)


def _accumulate(
    index, pixels, lg_e, n_maps, nside, n_channels, lg_e_min, width, sigma_lg, out=None
):
    """Write the channel-weighted counts of events into ``out`` (n_maps, n_channels, npix)."""
    npix = 12 * nside**2
    if out is None:
        out = np.empty((n_maps, n_channels, npix), dtype=np.float32)
    # zero (and so page in) the output sequentially: first touching fresh memory through the
    # scattered writes below is ~10x slower
    out.fill(0.0)
    weights = _channel_weights(lg_e, n_channels, lg_e_min, width, sigma_lg)
    base = (index * n_channels)[:, None] * npix + pixels[:, None]
    flat = base + (np.arange(n_channels) * npix)[None, :]
    used = weights > 0  # Gaussian tails underflow to exactly 0 far from the event
    np.add.at(out.reshape(-1), flat[used], weights[used].astype(np.float32))
    return out


def events_to_maps(
    l_deg: np.ndarray,
    b_deg: np.ndarray,
    energy_eev: np.ndarray,
    *,
    map_index: np.ndarray | None = None,
    n_maps: int | None = None,
    nside: int = 32,
    n_channels: int = 15,
    lg_e_min: float = LG_E_MIN,
    channel_width: float = 0.05,
    energy_resolution: float = 0.2,
    exposure: object = None,
) -> np.ndarray:
    """Bin events into energy-channel HEALPix maps (Galactic, NESTED), as the simulator does.

    The simulator's maps hold only events above the energy cut ``E_min = 10**lg_e_min`` eV,
    so events below it are dropped here too (with a warning): a map of data then holds the
    same kind of events as the null maps it is compared with.

    Parameters
    ----------
    l_deg, b_deg : array_like, shape (n_events,)
        Galactic arrival directions [deg]: finite, ``l`` in [0, 360] and ``b`` in [-90, 90].
    energy_eev : array_like, shape (n_events,)
        Reconstructed energies [EeV], finite and > 0; events below ``10**lg_e_min`` eV are
        dropped with a ``UserWarning`` that says how many (apply the cut first, e.g.
        ``load_auger2022(min_energy_eev=56)``, to silence it).
    map_index : array_like of int, shape (n_events,), optional
        Map of each event, in ``0 .. n_maps - 1``; all events go to one map when omitted.
    n_maps : int, optional
        Number of maps (required with ``map_index``).
    nside, n_channels, lg_e_min, channel_width, energy_resolution
        As in :func:`simulate_sky_maps` (``lg_e_min`` is lg(E_min / eV), ``channel_width``
        in lg E [dex], ``energy_resolution`` dimensionless).
    exposure : None, {"uniform", "auger", "ta"}, GroundArray or numpy.ndarray, default=None
        Exposure of the experiment (see :func:`exposure_map`): events in pixels where it is
        zero (outside the field of view at this ``nside``, where simulated isotropic maps
        never put an event) raise a ``UserWarning``; they are kept. ``None`` checks nothing.

    Returns
    -------
    numpy.ndarray of float32
        ``(n_channels, 12 * nside**2)`` without ``map_index``, else
        ``(n_maps, n_channels, 12 * nside**2)``. Each event kept contributes 1 in total.

    Raises
    ------
    ValueError
        On NaN/inf or out-of-range coordinates, non-positive or NaN energies, arrays of
        different lengths or a bad ``map_index``.

    Warns
    -----
    UserWarning
        When events below the energy cut are dropped, or events fall where ``exposure`` is
        zero.

    Examples
    --------
    >>> from crsbi.uhecr.sky import events_to_maps
    >>> m = events_to_maps([309.52], [19.42], [80.0], nside=8, n_channels=3)
    >>> m.shape, float(m.sum())
    ((3, 768), 1.0)
    """
    import healpy

    nside = check_nside(nside, owner="events_to_maps")
    n_channels = _check_count(n_channels, "n_channels", 1, "events_to_maps")
    lg_e_min = _check_real(lg_e_min, "lg_e_min", 15.0, 23.0, owner="events_to_maps")
    channel_width = _check_real(channel_width, "channel_width", 0, 5, "right", "events_to_maps")
    sigma_lg = _check_real(
        energy_resolution, "energy_resolution", 0, 10, owner="events_to_maps"
    ) / math.log(10)
    l_deg, b_deg = check_coordinates(l_deg, b_deg)
    energy = check_energies(energy_eev)
    if energy.shape != l_deg.shape:
        raise ValueError(
            "l_deg, b_deg and energy_eev must have the same length. Got "
            f"{l_deg.size}, {b_deg.size} and {energy.size}."
        )
    if map_index is None:
        index, count = np.zeros(l_deg.size, dtype=np.int64), 1
    else:
        count = _check_count(n_maps, "n_maps", 1, "events_to_maps")
        index = np.asarray(map_index).ravel().astype(np.int64)
        bad = index.shape != l_deg.shape or (
            index.size and not 0 <= index.min() <= index.max() < count
        )
        if bad:
            raise ValueError(f"map_index must hold one map number in 0 .. {count - 1} per event.")
    lg_e = np.log10(energy) + 18.0
    # the tolerance keeps events at exactly E_min (e.g. 56.0 EeV) that lg rounding puts 1 ulp low
    below = lg_e < lg_e_min - 1e-9
    if below.any():
        warnings.warn(
            f"events_to_maps dropped {int(below.sum())} of {below.size} events below the energy "
            f"cut E_min = {10 ** (lg_e_min - 18):.4g} EeV (lg_e_min={lg_e_min:.4f}), kept "
            f"{int((~below).sum())}: simulated maps hold only events above it. Apply the cut "
            "first (e.g. load_auger2022(min_energy_eev=56)) to silence this warning.",
            UserWarning,
            stacklevel=2,
        )
        keep = ~below
        l_deg, b_deg, lg_e, index = l_deg[keep], b_deg[keep], lg_e[keep], index[keep]
    pixels = healpy.ang2pix(nside, l_deg, b_deg, nest=True, lonlat=True)
    if exposure is not None:
        from crsbi.uhecr._exposure import exposure_map

        outside = exposure_map(exposure, nside)[pixels] <= 0
        if outside.any():
            label = "map" if isinstance(exposure, np.ndarray) else repr(exposure)
            warnings.warn(
                f"events_to_maps: {int(outside.sum())} of {outside.size} events fall in pixels "
                f"where the exposure {label} is zero (nside={nside}): simulated isotropic "
                "maps never hold events there, so these events are outside the support of the "
                "null maps (kept in the maps; check the coordinates, frame and exposure).",
                UserWarning,
                stacklevel=2,
            )
    maps = _accumulate(
        index, pixels, lg_e, count, nside, n_channels, lg_e_min, channel_width, sigma_lg
    )
    return maps if map_index is not None else maps[0]
