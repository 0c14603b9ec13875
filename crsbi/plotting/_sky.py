"""Mollweide sky maps of HEALPix count maps (Galactic, NESTED), sources and events."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["plot_sky_map"]


def _projected_lon(l_deg: np.ndarray) -> np.ndarray:
    """Galactic longitude -> matplotlib Mollweide x [rad], l = 0 at the centre, increasing left."""
    return -np.radians((np.asarray(l_deg, dtype=float) + 180.0) % 360.0 - 180.0)


def _as_map(maps: Any, channel: int | None) -> np.ndarray:
    values = np.asarray(maps, dtype=float)
    if values.ndim == 1:
        if channel not in (None, 0):
            raise ValueError(
                f"channel={channel!r} given for a single-channel map of shape {values.shape}."
            )
        sky = values
    elif values.ndim == 2:
        if channel is None:
            sky = values.sum(axis=0)
        elif (
            isinstance(channel, int | np.integer) and -values.shape[0] <= channel < values.shape[0]
        ):
            sky = values[channel]
        else:
            raise ValueError(
                f"channel must be None (energy-summed) or an int in [0, {values.shape[0]}). "
                f"Got {channel!r}."
            )
    else:
        raise ValueError(
            "maps must have shape (npix,) or (n_channels, npix) with npix = 12 * nside**2. "
            f"Got shape {values.shape}."
        )
    nside = math.isqrt(sky.size // 12)
    if 12 * nside**2 != sky.size:
        raise ValueError(f"The last axis of maps must hold 12 * nside**2 pixels. Got {sky.size}.")
    return sky


def plot_sky_map(
    maps: Any,
    *,
    channel: int | None = None,
    sources: bool | Iterable[Any] = True,
    events: Any = None,
    ax: Any = None,
    cmap: str = "viridis",
    smooth_deg: float | None = None,
    title: str | None = None,
    resolution: int = 360,
    colorbar: bool = True,
    label: str | None = None,
) -> Any:
    """Draw a NESTED Galactic HEALPix map in the Mollweide projection.

    Galactic longitude increases to the left with l = 0 at the centre, as in astronomical
    sky maps.

    Parameters
    ----------
    maps : array_like, shape (npix,) or (n_channels, npix)
        Count map(s) in Galactic coordinates, NESTED order, ``npix = 12 * nside**2``.
    channel : int or None, default=None
        Energy channel to draw; ``None`` sums over channels.
    sources : bool or iterable of str / Source, default=True
        Sources to mark (star and label): ``True`` marks the five catalogue sources,
        ``False`` none.
    events : SkyEvents, AugerEvents, tuple (l_deg, b_deg) or None
        Events to overplot as open circles (any object with ``l_deg`` and ``b_deg``).
    ax : matplotlib.axes.Axes or None
        An axes with ``projection="mollweide"``; a new figure is made when ``None``.
    cmap : str, default="viridis"
        Colour map.
    smooth_deg : float or None
        Top-hat smoothing radius [deg]: each pixel shows the sum of the map within this
        angle (the usual way of showing UHECR excesses); ``None`` draws raw pixels.
    title : str or None
        Axes title.
    resolution : int, default=360
        Longitude samples of the raster (latitude uses half as many).
    colorbar : bool, default=True
        Add a horizontal colour bar.
    label : str or None
        Colour-bar label; by default "events" (or "events within R°" when smoothed).

    Returns
    -------
    matplotlib.axes.Axes
        The Mollweide axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.plotting._sky import plot_sky_map
    >>> ax = plot_sky_map(np.arange(48.0), resolution=60, events=([0.0], [10.0]))
    """
    import healpy
    import matplotlib.pyplot as plt

    from crsbi.simulators._sky_sources import SOURCES, check_source

    sky = _as_map(maps, channel)
    nside = healpy.npix2nside(sky.size)
    if smooth_deg is not None:
        if not np.isfinite(smooth_deg) or smooth_deg <= 0:
            raise ValueError(f"smooth_deg must be a positive angle [deg]. Got {smooth_deg!r}.")
        vectors = np.stack(healpy.pix2vec(nside, np.arange(sky.size), nest=True), axis=1)
        smoothed = np.empty_like(sky)
        for pixel, vector in enumerate(vectors):
            disc = healpy.query_disc(nside, vector, np.radians(smooth_deg), nest=True)
            smoothed[pixel] = sky[disc].sum()
        sky = smoothed
    if ax is None:
        fig = plt.figure(figsize=(8, 4.6))
        ax = fig.add_subplot(111, projection="mollweide")
    lon = np.linspace(-np.pi, np.pi, int(resolution) + 1)
    lat = np.linspace(-np.pi / 2, np.pi / 2, int(resolution) // 2 + 1)
    lon_c, lat_c = (lon[1:] + lon[:-1]) / 2, (lat[1:] + lat[:-1]) / 2
    grid_lon, grid_lat = np.meshgrid(lon_c, lat_c)
    l_grid = np.degrees(-grid_lon) % 360.0
    pixels = healpy.ang2pix(nside, l_grid, np.degrees(grid_lat), nest=True, lonlat=True)
    mesh = ax.pcolormesh(lon, lat, sky[pixels], cmap=cmap, shading="flat", rasterized=True)
    ticks = np.radians([-150, -120, -90, -60, -30, 0, 30, 60, 90, 120, 150])
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{round(-np.degrees(t)) % 360}°" for t in ticks], fontsize=7)
    ax.grid(True, alpha=0.3)
    if colorbar:
        if label is None:
            label = "events" if smooth_deg is None else f"events within {smooth_deg:g}°"
        plt.colorbar(mesh, ax=ax, orientation="horizontal", pad=0.06, shrink=0.6, label=label)
    if events is not None:
        l_ev, b_ev = (events.l_deg, events.b_deg) if hasattr(events, "l_deg") else events
        ax.scatter(
            _projected_lon(l_ev),
            np.radians(b_ev),
            s=8,
            facecolors="none",
            edgecolors="white",
            linewidths=0.6,
            label="events",
        )
    if sources is not False:
        chosen = SOURCES.values() if sources is True else [check_source(s) for s in sources]
        for source in chosen:
            x, y = _projected_lon(source.l_deg), np.radians(source.b_deg)
            ax.scatter(
                [x],
                [y],
                marker="*",
                s=90,
                color="red",
                edgecolors="black",
                linewidths=0.5,
                zorder=5,
            )
            ax.annotate(
                source.name,
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
                color="red",
            )
    if title is not None:
        ax.set_title(title, fontsize=10)
    return ax
