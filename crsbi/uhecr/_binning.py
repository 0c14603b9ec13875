"""Validation helpers and the binning of events into energy-channel HEALPix maps."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from crsbi.uhecr._exposure import check_nside

__all__ = ["LG_E_MIN", "events_to_maps"]

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
) -> np.ndarray:
    """Bin events into energy-channel HEALPix maps (Galactic, NESTED), as the simulator does.

    Parameters
    ----------
    l_deg, b_deg : array_like, shape (n_events,)
        Galactic arrival directions [deg].
    energy_eev : array_like, shape (n_events,)
        Reconstructed energies [EeV]; events below ``10**lg_e_min`` eV still count
        (in the first channel): apply the energy cut first.
    map_index : array_like of int, shape (n_events,), optional
        Map of each event, in ``0 .. n_maps - 1``; all events go to one map when omitted.
    n_maps : int, optional
        Number of maps (required with ``map_index``).
    nside, n_channels, lg_e_min, channel_width, energy_resolution
        As in :func:`simulate_sky_maps`.

    Returns
    -------
    numpy.ndarray of float32
        ``(n_channels, 12 * nside**2)`` without ``map_index``, else
        ``(n_maps, n_channels, 12 * nside**2)``. Each event contributes 1 in total.

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
    l_deg, b_deg, energy = (np.asarray(a, float).ravel() for a in (l_deg, b_deg, energy_eev))
    if not l_deg.shape == b_deg.shape == energy.shape:
        raise ValueError(
            "l_deg, b_deg and energy_eev must have the same length. Got "
            f"{l_deg.size}, {b_deg.size} and {energy.size}."
        )
    if energy.size and (not np.all(np.isfinite(energy)) or energy.min() <= 0):
        raise ValueError("energy_eev must hold finite positive energies [EeV].")
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
    pixels = healpy.ang2pix(nside, l_deg, b_deg, nest=True, lonlat=True)
    lg_e = np.log10(energy) + 18.0
    maps = _accumulate(
        index, pixels, lg_e, count, nside, n_channels, lg_e_min, channel_width, sigma_lg
    )
    return maps if map_index is not None else maps[0]
