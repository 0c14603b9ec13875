"""Interpreting a trained TransportClassifier (the experiments of Bustard and Wu 2024, Sect. 4).

* :func:`saliency_maps`: input gradients of a class score, Gaussian-smoothed (sigma = 4 px) and
  normalised per map (Simonyan et al. 2014);
* :func:`gaussian_filter_experiment`: class probabilities of test images blurred by Gaussians
  of growing width (the paper: blurring drives predictions to the smooth
  ``CR_Diff_Fiducial`` class);
* :func:`projection_depth_experiment`: accuracy of a slice-trained model on images averaged
  over ``d`` cells along the line of sight;
* :func:`leakage_experiment`: test accuracy with buffered regions versus a random slice split
  (adjacent slices share structures, so the random split overstates accuracy).

Each returns plain arrays in a small dataclass; :mod:`crsbi.maps.plotting` draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import ndimage
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval
from crsbi.maps.classifier import classification_table
from crsbi.maps.images import buffered_split, cube_to_tiles, open_cube

__all__ = [
    "DepthExperiment",
    "FilterExperiment",
    "LeakageExperiment",
    "gaussian_filter_experiment",
    "leakage_experiment",
    "projection_depth_experiment",
    "saliency_in_extremes",
    "saliency_maps",
]


def _network(estimator: Any) -> torch.nn.Module:
    check_is_fitted(estimator, "module_")
    return getattr(estimator, "network_", estimator.module_)


def saliency_maps(
    estimator: Any,
    X: Any,
    *,
    target: Any = None,
    sigma: float = 4.0,
    normalize: bool = True,
    batch_size: int = 256,
) -> np.ndarray:
    """Smoothed input-gradient saliency of a fitted image classifier.

    For each image, the absolute gradient of one class logit with respect to the input
    pixels, smoothed with a Gaussian of width ``sigma`` pixels and divided by its maximum.

    Parameters
    ----------
    estimator : TransportClassifier
        A fitted classifier.
    X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
        Images, preprocessed like the training images.
    target : None, label or array-like of shape (n_samples,)
        Class whose logit is differentiated: ``None`` the predicted class of each image, one
        label for all images, or one label per image (e.g. the true classes).
    sigma : float, default=4.0
        Gaussian smoothing width in pixels (0 disables smoothing).
    normalize : bool, default=True
        Divide each map by its maximum, so maps lie in [0, 1].
    batch_size : int, default=256
        Images per backward pass.

    Returns
    -------
    ndarray of shape (n_samples, H, W)
        Saliency maps.

    Examples
    --------
    >>> from crsbi.maps.classifier import TransportClassifier, make_spectral_images
    >>> from crsbi.maps.interpretation import saliency_maps
    >>> X, y = make_spectral_images(20, size=16, random_state=0)
    >>> clf = TransportClassifier(module_kwargs={"channels": (4, 8)}, max_epochs=2,
    ...                           random_state=0, verbose=0).fit(X, y)
    >>> maps = saliency_maps(clf, X[:3])
    >>> maps.shape, float(maps.max())
    ((3, 16, 16), 1.0)
    """
    check_interval(sigma, "sigma", "saliency_maps", low=0)
    check_interval(batch_size, "batch_size", "saliency_maps", kind=int, low=1)
    network = _network(estimator)
    data = estimator._prepare_predict(X)
    n = len(data)
    classes = estimator.classes_
    if target is None:
        index = np.argmax(estimator.predict_log_proba(data), axis=1)
    else:
        labels = np.asarray(target)
        labels = np.full(n, labels.item(), dtype=labels.dtype) if labels.ndim == 0 else labels
        if labels.shape != (n,):
            raise ValueError(
                f"target must be None, one label or one label per image ({n}); got shape "
                f"{labels.shape}."
            )
        unknown = np.setdiff1d(np.unique(labels), classes)
        if len(unknown):
            raise ValueError(
                f"target holds labels {unknown.tolist()} not in classes_ {classes.tolist()}."
            )
        index = np.searchsorted(classes, labels)
    inputs = estimator._encode_input(data)
    device = torch.device(getattr(estimator, "device_", "cpu"))
    network.eval()
    maps = np.empty((n, *inputs.shape[2:]))
    for start in range(0, n, batch_size):
        batch = inputs[start : start + batch_size].to(device).requires_grad_(True)
        logits = network(batch)
        chosen = torch.as_tensor(index[start : start + batch_size], device=device)
        score = logits.gather(1, chosen[:, None]).sum()
        (grad,) = torch.autograd.grad(score, batch)
        maps[start : start + batch_size] = grad.abs().sum(1).cpu().numpy()
    if sigma > 0:
        maps = ndimage.gaussian_filter(maps, sigma=(0, sigma, sigma), mode="reflect")
    if normalize:
        peak = maps.reshape(n, -1).max(1)
        maps = maps / np.where(peak > 0, peak, 1.0)[:, None, None]
    return maps


@dataclass
class FilterExperiment:
    """Result of :func:`gaussian_filter_experiment`.

    Attributes
    ----------
    sigmas : ndarray of shape (n_sigmas,)
        Gaussian widths in pixels.
    classes : ndarray of shape (n_classes,)
        The classifier's classes.
    mean_proba : ndarray of shape (n_sigmas, n_classes)
        Class probabilities averaged over the images.
    predicted_fraction : ndarray of shape (n_sigmas, n_classes)
        Fraction of the images predicted as each class.
    """

    sigmas: np.ndarray
    classes: np.ndarray
    mean_proba: np.ndarray
    predicted_fraction: np.ndarray


def saliency_in_extremes(
    saliency: Any, images: Any, *, fraction: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each saliency map on the densest and on the most rarefied pixels of its image.

    The paper reads its saliency maps as "the network looks at the dense clumps" (or at the
    voids); this turns that into numbers. With saliency spread evenly, both shares equal
    ``fraction``.

    Parameters
    ----------
    saliency : array-like of shape (n, H, W)
        Non-negative saliency maps (e.g. :func:`saliency_maps`).
    images : array-like of shape (n, H, W)
        The images they explain, in any monotonic transform of density (``log10``,
        equalised): only the ranking of the pixels is used.
    fraction : float in (0, 0.5], default=0.1
        Fraction of the pixels counted as densest (and as most rarefied).

    Returns
    -------
    dense, rarefied : ndarray of shape (n,)
        Share of the total saliency of each map on its densest / most rarefied pixels.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(100.0).reshape(1, 10, 10)
    >>> dense, rare = saliency_in_extremes(np.ones((1, 10, 10)), image)
    >>> float(dense[0]), float(rare[0])
    (0.1, 0.1)
    """
    sal = np.asarray(saliency, dtype=float)
    img = np.asarray(images, dtype=float)
    if sal.ndim != 3 or sal.shape != img.shape:
        raise ValueError(
            "saliency_in_extremes: saliency and images must both have shape (n, H, W); got "
            f"{sal.shape} and {img.shape}."
        )
    if not 0.0 < fraction <= 0.5:
        raise ValueError(f"saliency_in_extremes: fraction must be in (0, 0.5]; got {fraction!r}.")
    if np.any(sal < 0) or not np.all(np.isfinite(sal)) or not np.all(np.isfinite(img)):
        raise ValueError("saliency_in_extremes: saliency must be finite and >= 0, images finite.")
    n, h, w = sal.shape
    k = max(1, round(fraction * h * w))
    order = np.argsort(img.reshape(n, -1), axis=1, kind="stable")
    flat = sal.reshape(n, -1)
    total = flat.sum(axis=1)
    total = np.where(total > 0, total, np.nan)
    dense = np.take_along_axis(flat, order[:, -k:], axis=1).sum(axis=1) / total
    rare = np.take_along_axis(flat, order[:, :k], axis=1).sum(axis=1) / total
    return dense, rare


def gaussian_filter_experiment(
    estimator: Any,
    images: Any,
    *,
    sigmas: Sequence[float] = (0.0, 1.0, 2.0, 4.0, 8.0),
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
) -> FilterExperiment:
    """Class probabilities of images blurred by Gaussians of increasing width.

    Blurring removes small-scale structure; a classifier that learned "smooth means strong
    diffusion" should move its predictions to the smoothest class as ``sigma`` grows.

    Parameters
    ----------
    estimator : TransportClassifier
        A fitted classifier.
    images : array-like of shape (n_samples, H, W)
        Images to blur, e.g. ``log10`` density tiles of one class.
    sigmas : sequence of float, default=(0, 1, 2, 4, 8)
        Gaussian widths in pixels (0 = unchanged).
    preprocess : callable or None
        Applied to the blurred stack before classification, e.g.
        :func:`crsbi.maps.images.equalize_histogram` when ``images`` are ``log10``
        densities and the model was trained on equalised tiles (blurring equalised tiles
        directly would also change their one-point distribution).

    Returns
    -------
    FilterExperiment
        Mean probabilities and predicted fractions per ``sigma``.

    Examples
    --------
    >>> from crsbi.maps.classifier import TransportClassifier, make_spectral_images
    >>> from crsbi.maps.interpretation import gaussian_filter_experiment
    >>> X, y = make_spectral_images(20, size=16, random_state=0)
    >>> clf = TransportClassifier(module_kwargs={"channels": (4, 8)}, max_epochs=2,
    ...                           random_state=0, verbose=0).fit(X, y)
    >>> gaussian_filter_experiment(clf, X[:5], sigmas=[0, 2]).mean_proba.shape
    (2, 3)
    """
    array = np.asarray(images, dtype=np.float64)
    if array.ndim != 3:
        raise ValueError(f"images must have shape (n_samples, H, W); got {array.shape}.")
    sigmas = np.asarray(sigmas, dtype=float)
    if sigmas.ndim != 1 or len(sigmas) == 0 or (sigmas < 0).any():
        raise ValueError(f"sigmas must be a non-empty list of widths >= 0; got {sigmas}.")
    classes = estimator.classes_
    mean_proba, fraction = [], []
    for sigma in sigmas:
        blurred = ndimage.gaussian_filter(array, sigma=(0, sigma, sigma), mode="wrap")
        if preprocess is not None:
            blurred = preprocess(blurred)
        proba = estimator.predict_proba(blurred)
        mean_proba.append(proba.mean(0))
        fraction.append(np.bincount(proba.argmax(1), minlength=len(classes)) / len(proba))
    return FilterExperiment(sigmas, classes, np.array(mean_proba), np.array(fraction))


@dataclass
class DepthExperiment:
    """Result of :func:`projection_depth_experiment`.

    Attributes
    ----------
    depths : ndarray of shape (n_depths,)
        Projection depths in cells.
    classes : ndarray of shape (n_classes,)
        Class labels.
    accuracy : ndarray of shape (n_depths,)
        Overall test accuracy at each depth.
    class_recall : ndarray of shape (n_depths, n_classes)
        Fraction of each class's images classified correctly.
    n_images : ndarray of shape (n_depths,)
        Test images at each depth.
    """

    depths: np.ndarray
    classes: np.ndarray
    accuracy: np.ndarray
    class_recall: np.ndarray
    n_images: np.ndarray


def _check_cubes(cubes: Sequence[Any], labels: Sequence[Any]) -> list[Any]:
    if len(cubes) != len(labels) or not len(cubes):
        raise ValueError(
            f"cubes and labels must be non-empty and of equal length; got {len(cubes)} cubes "
            f"and {len(labels)} labels."
        )
    return [open_cube(c) for c in cubes]


def projection_depth_experiment(
    estimator: Any,
    cubes: Sequence[Any],
    labels: Sequence[Any],
    *,
    depths: Sequence[int] = (1, 8, 32),
    axis: int = 0,
    region: str = "test",
    regions: dict[str, np.ndarray] | None = None,
    tile_size: int = 128,
    keep_fraction: float = 1.0,
    stride: int = 1,
    flatten: bool = False,
    random_state: Any = None,
) -> DepthExperiment:
    """Accuracy of a classifier on test images projected over ``d`` cells.

    Images are means of ``d`` consecutive planes (a line-of-sight integration through a
    slab of depth ``d``), taken inside the held-out region of each cube and preprocessed like
    the training tiles (``log10``, optional flattening, equalisation).

    Parameters
    ----------
    estimator : TransportClassifier
        Classifier fitted on single slices (``d = 1``).
    cubes : sequence of array_like of shape (N0, N1, N2) or paths
        One density cube per entry.
    labels : sequence
        Class label of each cube (in ``estimator.classes_``).
    depths : sequence of int, default=(1, 8, 32)
        Projection depths in cells.
    axis : int, default=0
        Line-of-sight axis.
    region : str, default="test"
        Which region of ``regions`` to image.
    regions : dict of str to ndarray of int, optional
        Default :func:`crsbi.maps.images.buffered_split` of the axis.
    tile_size, keep_fraction, stride, flatten
        As in :func:`crsbi.maps.images.cube_to_tiles`.
    random_state : None, int or numpy.random.Generator
        Seeds the tile choice.

    Returns
    -------
    DepthExperiment
        Accuracy per depth.
    """
    data = _check_cubes(cubes, labels)
    rng = check_random_state(random_state)
    classes = estimator.classes_
    depths = np.asarray(depths, dtype=int)
    accuracy, recall, counts = [], [], []
    for depth in depths:
        tiles, truth = [], []
        for cube, label in zip(data, labels, strict=True):
            parts = regions or buffered_split(int(cube.shape[axis]))
            if region not in parts:
                raise KeyError(f"region {region!r} is not one of {sorted(parts)}.")
            out = cube_to_tiles(
                cube,
                axis=axis,
                regions={region: parts[region]},
                tile_size=tile_size,
                keep_fraction=keep_fraction,
                depth=int(depth),
                stride=stride,
                flatten=flatten,
                random_state=rng,
            )[region]
            tiles.append(out)
            truth += [label] * len(out)
        X = np.concatenate(tiles)
        truth = np.asarray(truth)
        table = classification_table(truth, estimator.predict(X), labels=classes)
        accuracy.append(table.overall_accuracy)
        recall.append(table.recall)
        counts.append(len(X))
    return DepthExperiment(depths, classes, np.array(accuracy), np.array(recall), np.array(counts))


@dataclass
class LeakageExperiment:
    """Result of :func:`leakage_experiment`.

    Attributes
    ----------
    buffered_accuracy : float
        Test accuracy with buffered train / test regions.
    random_accuracy : float
        Test accuracy when the same numbers of slices are assigned to train and test at
        random over the whole axis (neighbouring slices may fall on both sides).
    n_train, n_test : int
        Training and test tiles (equal in both runs).
    """

    buffered_accuracy: float
    random_accuracy: float
    n_train: int
    n_test: int


def leakage_experiment(
    estimator: Any,
    cubes: Sequence[Any],
    labels: Sequence[Any],
    *,
    axis: int = 0,
    tile_size: int = 128,
    keep_fraction: float = 0.5,
    flatten: bool = False,
    random_state: Any = None,
) -> LeakageExperiment:
    """Compare a buffered spatial split with a random slice split (information leakage).

    Two clones of ``estimator`` are trained: one on the ``train`` region of
    :func:`~crsbi.maps.images.buffered_split` and tested on its ``test`` region; one
    on the same number of slices drawn at random along the whole axis and tested on other
    random slices, many of them adjacent to training slices. A higher accuracy for the
    random split is the leakage the buffers prevent.

    Parameters
    ----------
    estimator : TransportClassifier
        Unfitted template (cloned twice).
    cubes : sequence of array_like of shape (N0, N1, N2) or paths
        One density cube per entry.
    labels : sequence
        Class label of each cube.
    axis : int, default=0
        Slicing axis.
    tile_size, keep_fraction, flatten
        As in :func:`crsbi.maps.images.cube_to_tiles`.
    random_state : None, int or numpy.random.Generator
        Seeds the random split and the tile choice.

    Returns
    -------
    LeakageExperiment
        Both test accuracies.
    """
    data = _check_cubes(cubes, labels)
    rng = check_random_state(random_state)
    sets: dict[str, dict[str, list]] = {
        "buffered": {"train": [], "test": [], "y_train": [], "y_test": []},
        "random": {"train": [], "test": [], "y_train": [], "y_test": []},
    }
    for cube, label in zip(data, labels, strict=True):
        n_cells = int(cube.shape[axis])
        parts = buffered_split(n_cells)
        order = rng.permutation(n_cells)
        n_tr, n_te = len(parts["train"]), len(parts["test"])
        layouts = {
            "buffered": {"train": parts["train"], "test": parts["test"]},
            "random": {
                "train": np.sort(order[:n_tr]),
                "test": np.sort(order[n_tr : n_tr + n_te]),
            },
        }
        for name, layout in layouts.items():
            tiles = cube_to_tiles(
                cube,
                axis=axis,
                regions=layout,
                tile_size=tile_size,
                keep_fraction=keep_fraction,
                flatten=flatten,
                random_state=rng,
            )
            for part in ("train", "test"):
                sets[name][part].append(tiles[part])
                sets[name][f"y_{part}"] += [label] * len(tiles[part])
    scores = {}
    for name, parts_ in sets.items():
        model = clone(estimator).fit(np.concatenate(parts_["train"]), parts_["y_train"])
        scores[name] = float(model.score(np.concatenate(parts_["test"]), parts_["y_test"]))
    return LeakageExperiment(
        buffered_accuracy=scores["buffered"],
        random_accuracy=scores["random"],
        n_train=len(sets["buffered"]["y_train"]),
        n_test=len(sets["buffered"]["y_test"]),
    )
