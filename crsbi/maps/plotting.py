"""Plots of density maps: CR-fluid runs and the transport classifier.

CR-fluid maps, compensated spectra and Mach number; confusion matrix, saliency, class spectra,
filter and projection-depth experiments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from crsbi.maps.power import radial_power_spectrum
from crsbi.maps.statistics import density_spectrum

__all__ = [
    "plot_class_power_spectra",
    "plot_confusion_matrix",
    "plot_crfluid_maps",
    "plot_crfluid_spectra",
    "plot_mach_history",
    "plot_probability_vs_sigma",
    "plot_projection_depth",
    "plot_saliency_maps",
]


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence[Any] | None = None,
    normalize: bool = True,
    ax: Any = None,
) -> Any:
    """Confusion matrix as an annotated image (rows: true class, columns: predicted).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : sequence or None
        Class order; default the sorted union of both.
    normalize : bool, default=True
        Show row fractions (recall on the diagonal) instead of counts.
    ax : matplotlib.axes.Axes or None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from crsbi.maps.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    """
    import matplotlib.pyplot as plt

    from crsbi.maps.classifier import classification_table

    table = classification_table(y_true, y_pred, labels=labels)
    matrix = table.confusion.astype(float)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    if ax is None:
        size = 1.2 + 0.9 * len(table.labels)
        _, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    names = [str(v) for v in table.labels]
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    threshold = 0.5 * (matrix.max() if matrix.size else 1)
    for i in range(len(names)):
        for j in range(len(names)):
            text = f"{matrix[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
            color = "white" if matrix[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize="small")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_saliency_maps(
    images: Any,
    saliency: Any,
    *,
    titles: Sequence[str] | None = None,
    axes: Any = None,
    alpha: float = 0.5,
) -> np.ndarray:
    """Images (grey) with their saliency maps overlaid, one column per image.

    Parameters
    ----------
    images : array-like of shape (n, H, W)
        The images.
    saliency : array-like of shape (n, H, W)
        Maps from :func:`crsbi.maps.interpretation.saliency_maps`.
    titles : sequence of str or None
        Column titles (e.g. the class names).
    axes : ndarray of Axes of shape (2, n) or None
        Axes to draw on: images on the top row, overlays on the bottom row.
    alpha : float, default=0.5
        Opacity of the saliency overlay.

    Returns
    -------
    ndarray of matplotlib.axes.Axes of shape (2, n)
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.plotting import plot_saliency_maps
    >>> axes = plot_saliency_maps(np.zeros((2, 8, 8)), np.ones((2, 8, 8)), titles=["a", "b"])
    >>> axes.shape
    (2, 2)
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images, dtype=float)
    saliency = np.asarray(saliency, dtype=float)
    if images.ndim != 3 or images.shape != saliency.shape:
        raise ValueError(
            "images and saliency must both have shape (n, H, W); got "
            f"{images.shape} and {saliency.shape}."
        )
    n = len(images)
    if axes is None:
        _, axes = plt.subplots(2, n, figsize=(2.2 * n, 4.6), squeeze=False)
    axes = np.asarray(axes).reshape(2, n)
    for j in range(n):
        axes[0, j].imshow(images[j], cmap="gray", origin="lower")
        axes[1, j].imshow(images[j], cmap="gray", origin="lower")
        axes[1, j].imshow(saliency[j], cmap="inferno", alpha=alpha, origin="lower", vmin=0)
        if titles is not None:
            axes[0, j].set_title(str(titles[j]), fontsize="small")
        for ax in axes[:, j]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("image")
    axes[1, 0].set_ylabel("saliency")
    return axes


def plot_probability_vs_sigma(result: Any, *, ax: Any = None, fraction: bool = False) -> Any:
    """Mean class probability (or predicted fraction) against the Gaussian blur width.

    Parameters
    ----------
    result : FilterExperiment
        Output of :func:`crsbi.maps.interpretation.gaussian_filter_experiment`.
    ax : matplotlib.axes.Axes or None
        Axes to draw on.
    fraction : bool, default=False
        Plot the fraction of images predicted as each class instead.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.interpretation import FilterExperiment
    >>> from crsbi.maps.plotting import plot_probability_vs_sigma
    >>> res = FilterExperiment(np.array([0, 2.0]), np.array(["a", "b"]),
    ...                        np.array([[0.8, 0.2], [0.3, 0.7]]), np.array([[1, 0], [0, 1]]))
    >>> ax = plot_probability_vs_sigma(res)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    values = result.predicted_fraction if fraction else result.mean_proba
    for i, label in enumerate(result.classes):
        ax.plot(result.sigmas, values[:, i], marker="o", label=str(label))
    ax.set_xlabel(r"Gaussian filter width $\sigma$ [px]")
    ax.set_ylabel("fraction predicted" if fraction else "mean class probability")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small")
    return ax


def plot_projection_depth(result: Any, *, ax: Any = None) -> Any:
    """Accuracy (overall and per-class recall) against the projection depth.

    Parameters
    ----------
    result : DepthExperiment
        Output of :func:`crsbi.maps.interpretation.projection_depth_experiment`.
    ax : matplotlib.axes.Axes or None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.interpretation import DepthExperiment
    >>> from crsbi.maps.plotting import plot_projection_depth
    >>> res = DepthExperiment(np.array([1, 8]), np.array(["a", "b"]), np.array([0.9, 0.6]),
    ...                       np.array([[0.9, 0.9], [0.7, 0.5]]), np.array([10, 10]))
    >>> ax = plot_projection_depth(res)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(result.depths, result.accuracy, "k-o", lw=2, label="overall accuracy")
    for i, label in enumerate(result.classes):
        ax.plot(result.depths, result.class_recall[:, i], ls="--", marker=".", label=str(label))
    ax.axhline(1 / len(result.classes), color="0.6", lw=1, ls=":", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("projection depth d [cells]")
    ax.set_ylabel("accuracy / recall")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small")
    return ax


def plot_class_power_spectra(
    images: Any,
    y: Any,
    *,
    compensate: bool = True,
    box_size: float | None = None,
    ax: Any = None,
) -> Any:
    r"""Average (compensated) power spectrum of the images of each class.

    Uses :func:`crsbi.maps.power.radial_power_spectrum` (shell-summed power, mean removed) on
    each class's stack and plots :math:`k^2 P(k)` as in Bustard and Oh (2023) and Bustard and
    Wu (2024).

    Parameters
    ----------
    images : array-like of shape (n, N, N)
        Square images (e.g. ``log10`` density tiles).
    y : array-like of shape (n,)
        Class of each image.
    compensate : bool, default=True
        Multiply by ``k**2``.
    box_size : float or None
        Image side [any length unit] (default: ``N`` pixels, so ``k`` is in rad/px).
    ax : matplotlib.axes.Axes or None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.plotting import plot_class_power_spectra
    >>> images = np.random.default_rng(0).normal(size=(4, 16, 16))
    >>> ax = plot_class_power_spectra(images, ["a", "a", "b", "b"])
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images, dtype=float)
    y = np.asarray(y)
    if images.ndim != 3 or images.shape[1] != images.shape[2] or len(y) != len(images):
        raise ValueError(
            f"images must have shape (n, N, N) and y shape (n,); got {images.shape} and {y.shape}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    size = float(images.shape[1]) if box_size is None else float(box_size)
    for label in np.unique(y):
        k, power = radial_power_spectrum(images[y == label], ndim=2, box_size=size)
        k, power = k[1:], power[1:]
        ax.loglog(k, power * k**2 if compensate else power, label=str(label))
    ax.set_xlabel("k [rad / px]" if box_size is None else "k")
    ax.set_ylabel(r"$k^2 P(k)$" if compensate else r"$P(k)$")
    ax.legend(fontsize="small")
    return ax


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
        Box side [``L``, code units] (wavenumbers in ``1/L``).
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
