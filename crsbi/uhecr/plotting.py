"""Plots of UHECR skies and anisotropy tests.

Mollweide HEALPix maps with sources and events, null and alternative test statistics, power
curves versus the source fraction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "plot_power_curves",
    "plot_sky_map",
    "plot_test_statistic",
]


def plot_test_statistic(
    null: Any,
    alternative: Any,
    *,
    threshold: float | None = None,
    bins: int = 40,
    labels: tuple[str, str] = ("isotropic", "with source"),
    ax: Any = None,
) -> Any:
    """Histograms of the test statistic on isotropic and source maps, with the threshold.

    Parameters
    ----------
    null : array-like of shape (n_null,) or a calibrated test
        Statistics of isotropic maps; a calibrated test (with ``null_statistics_``) gives
        them and its ``threshold_``.
    alternative : array-like of shape (n_alternative,)
        Statistics of maps with a source.
    threshold : float or None
        Rejection threshold (vertical line); taken from the test when ``null`` is one.
    bins : int, default=40
        Number of common bins.
    labels : tuple of str, default=("isotropic", "with source")
        Legend labels.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; the legend states the power (fraction of source maps above
        the threshold).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.plotting import plot_test_statistic
    >>> rng = np.random.default_rng(0)
    >>> ax = plot_test_statistic(rng.normal(size=500), rng.normal(3, 1, 500), threshold=2.33)
    """
    import matplotlib.pyplot as plt

    if hasattr(null, "null_statistics_"):
        threshold = null.threshold_ if threshold is None else threshold
        null = null.null_statistics_
    null = np.asarray(null, dtype=float).ravel()
    alternative = np.asarray(alternative, dtype=float).ravel()
    if null.size == 0 or alternative.size == 0:
        raise ValueError("null and alternative must hold at least one statistic each.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    values = np.concatenate([null, alternative])
    finite = values[np.isfinite(values)]
    edges = np.histogram_bin_edges(finite, bins=bins)
    ax.hist(null, bins=edges, density=True, alpha=0.6, label=f"{labels[0]} ({null.size})")
    ax.hist(
        alternative, bins=edges, density=True, alpha=0.6, label=f"{labels[1]} ({alternative.size})"
    )
    if threshold is not None and np.isfinite(threshold):
        power = float(np.mean(alternative > threshold))
        size = float(np.mean(null > threshold))
        ax.axvline(
            threshold,
            color="k",
            ls="--",
            lw=1,
            label=f"threshold (FPR {size:.3f}, power {power:.2f})",
        )
    ax.set_xlabel("test statistic")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax


def plot_power_curves(
    results: Any,
    *,
    ax: Any = None,
    show_fit: bool = True,
) -> Any:
    """Power versus source fraction eta, with the minimal fraction and its error.

    Parameters
    ----------
    results : MinimalFraction or mapping of str to MinimalFraction
        Output(s) of ``minimal_fraction`` (e.g. ``{"CNN": ..., "power spectrum": ...}``).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.
    show_fit : bool, default=True
        Draw the fitted probit curve near the crossing.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: measured power with binomial error bars, the target
        ``1 - beta`` and the minimal fraction +- its error.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr._minimal_fraction import MinimalFraction
    >>> from crsbi.uhecr.plotting import plot_power_curves
    >>> r = MinimalFraction(eta=0.1, eta_err=0.01, fractions=np.array([0.05, 0.1, 0.15]),
    ...                     power=np.array([0.4, 0.95, 1.0]), n_maps=np.array([100] * 3),
    ...                     alpha=0.01, beta=0.05, probit=(-3.0, 46.0))
    >>> ax = plot_power_curves({"toy": r})
    """
    import matplotlib.pyplot as plt

    if not isinstance(results, Mapping):
        results = {getattr(results, "source", None) or "test": results}
    if not results:
        raise ValueError("results is empty.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    beta = None
    for i, (name, result) in enumerate(results.items()):
        color = f"C{i}"
        order = np.argsort(result.fractions)
        eta_values = np.asarray(result.fractions)[order]
        ax.errorbar(
            eta_values,
            np.asarray(result.power)[order],
            yerr=np.asarray(result.power_err)[order],
            fmt="o",
            ms=3,
            color=color,
            label=f"{name}: eta = {result.eta:.3g} +- {result.eta_err:.2g}",
        )
        if show_fit and np.all(np.isfinite(result.probit)) and np.isfinite(result.eta):
            grid = np.linspace(0.5 * result.eta, min(1.6 * result.eta, 1.0), 100)
            ax.plot(grid, result.power_curve(grid), color=color, lw=1)
        if np.isfinite(result.eta):
            ax.axvspan(
                result.eta - result.eta_err, result.eta + result.eta_err, color=color, alpha=0.15
            )
        beta = result.beta
    if beta is not None:
        ax.axhline(1 - beta, color="0.4", ls=":", lw=1, label=f"power {1 - beta:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("source fraction eta")
    ax.set_ylabel("power")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small")
    return ax


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
    >>> from crsbi.uhecr.plotting import plot_sky_map
    >>> ax = plot_sky_map(np.arange(48.0), resolution=60, events=([0.0], [10.0]))
    """
    import healpy
    import matplotlib.pyplot as plt

    from crsbi.uhecr._sources import SOURCES, check_source

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
