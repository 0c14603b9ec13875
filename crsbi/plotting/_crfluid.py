"""Plots of CR-fluid turbulence runs: density maps, compensated spectra, Mach number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from crsbi.stats.turbulence import density_spectrum

__all__ = ["plot_crfluid_maps", "plot_crfluid_spectra", "plot_mach_history"]


def _results(results: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(results, Mapping) or len(results) == 0:
        raise ValueError(
            "results must be a non-empty mapping of class name to CRFluidResult (or to a "
            f"density array of shape (n_snap, N, N)); got {type(results).__name__}."
        )
    return dict(results)


def _density(value: Any) -> np.ndarray:
    snapshots = getattr(value, "snapshots", None)
    array = np.asarray(snapshots["density"] if snapshots is not None else value, dtype=float)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(
            f"expected 2-D density maps of shape (n_snap, N, N); got shape {array.shape}."
        )
    return array


def plot_crfluid_maps(
    results: Mapping[str, Any], *, snapshot: int = -1, axes: Any = None, cmap: str = "viridis"
) -> Any:
    """Density maps, one panel per class, on a common colour scale (field along x).

    Parameters
    ----------
    results : mapping of str to CRFluidResult or ndarray of shape (n_snap, N, N)
        Runs per class name.
    snapshot : int, default=-1
        Which snapshot to show.
    axes : sequence of matplotlib.axes.Axes or None
        One axes per class; a new figure (one row) is made when ``None``.
    cmap : str, default="viridis"
        Colour map.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> axes = plot_crfluid_maps({"A": 1 + 0.1 * rng.random((2, 8, 8)),
    ...                           "B": 1 + 0.1 * rng.random((2, 8, 8))})
    >>> len(axes)
    2
    """
    import matplotlib.pyplot as plt

    runs = _results(results)
    maps = {name: _density(value)[snapshot] for name, value in runs.items()}
    if axes is None:
        _, axes = plt.subplots(1, len(maps), figsize=(3.0 * len(maps), 3.2), squeeze=False)
        axes = axes[0]
    axes = np.atleast_1d(axes)
    if len(axes) != len(maps):
        raise ValueError(f"axes must hold {len(maps)} axes (one per class); got {len(axes)}.")
    low = min(float(m.min()) for m in maps.values())
    high = max(float(m.max()) for m in maps.values())
    for ax, (name, image) in zip(axes, maps.items(), strict=True):
        # image is [x, y]: transpose so x runs horizontally (along the guide field)
        shown = ax.imshow(
            image.T, origin="lower", cmap=cmap, vmin=low, vmax=high, extent=(-1, 1, -1, 1)
        )
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("x / L (B along x)")
    axes[0].set_ylabel("y / L")
    axes[0].figure.colorbar(shown, ax=list(axes), shrink=0.8, label=r"$\rho/\rho_0$")
    return axes


def plot_crfluid_spectra(
    results: Mapping[str, Any], *, box_size: float = 2.0, ax: Any = None
) -> Any:
    r"""Compensated density spectra :math:`k^2 P(k)` per class, averaged over snapshots.

    Parameters
    ----------
    results : mapping of str to CRFluidResult or ndarray of shape (n_snap, N, N)
        Runs per class name.
    box_size : float, default=2.0
        Box side in ``L`` (wavenumbers in ``1/L``).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (log-log).

    Examples
    --------
    >>> import numpy as np
    >>> ax = plot_crfluid_spectra({"A": 1 + 0.1 * np.random.default_rng(0).random((2, 16, 16))})
    """
    import matplotlib.pyplot as plt

    runs = _results(results)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.8))
    for name, value in runs.items():
        k, power = density_spectrum(_density(value), ndim=2, box_size=box_size)
        ax.loglog(k, power, label=name)
    ax.set_xlabel(r"$k\,L$")
    ax.set_ylabel(r"$k^2 P_\rho(k)$")
    ax.legend(fontsize=8)
    return ax


def plot_mach_history(results: Mapping[str, Any], *, ax: Any = None) -> Any:
    """Rms sonic Mach number against time (eddy times) for each run.

    Parameters
    ----------
    results : mapping of str to CRFluidResult
        Runs per class name (their ``diagnostics["time"]`` and ``["mach"]`` are used).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> run = SimpleNamespace(diagnostics={"time": np.linspace(0, 1, 5), "mach": np.ones(5)})
    >>> ax = plot_mach_history({"A": run})
    """
    import matplotlib.pyplot as plt

    runs = _results(results)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for name, value in runs.items():
        diagnostics = getattr(value, "diagnostics", None)
        if diagnostics is None:
            raise ValueError(f"results[{name!r}] has no diagnostics (expected a CRFluidResult).")
        ax.plot(diagnostics["time"], diagnostics["mach"], label=name)
    ax.set_xlabel(r"$t / t_{\rm eddy}$")
    ax.set_ylabel(r"rms Mach number")
    ax.legend(fontsize=8)
    return ax
