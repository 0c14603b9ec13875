"""Image preprocessing for density-map classifiers (Bustard and Wu 2024).

The paper's pipeline for one simulation cube: slices perpendicular to the guide field
(:func:`slice_images`) inside buffered train / validation / test regions
(:func:`buffered_split`), 128 x 128 tiles with half of them kept (:func:`tile_images`), then per
tile ``log10`` (:func:`log_images`), optionally a flat power spectrum
(:func:`flatten_power_spectrum`), and histogram equalisation (:func:`equalize_histogram`).
:func:`cube_to_tiles` runs all of it; the per-image steps are also scikit-learn transformers
(:class:`LogTransformer`, :class:`PowerSpectrumFlattener`, :class:`HistogramEqualizer`) for
pipelines. :func:`random_flips` is the training-set augmentation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval
from crsbi.maps._cubes import (
    LazyCube,
    buffered_split,
    load_athena_density,
    open_cube,
    slice_images,
    tile_images,
)

__all__ = [
    "HistogramEqualizer",
    "LazyCube",
    "LogTransformer",
    "PowerSpectrumFlattener",
    "buffered_split",
    "cube_to_tiles",
    "equalize_histogram",
    "flatten_power_spectrum",
    "load_athena_density",
    "log_images",
    "open_cube",
    "random_flips",
    "slice_images",
    "tile_images",
]


def _as_images(images: Any, name: str = "images") -> tuple[np.ndarray, bool]:
    """Float64 stack of shape (n, H, W) and whether the input was a single image."""
    array = np.asarray(images, dtype=np.float64)
    single = array.ndim == 2
    if single:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(f"{name} must have shape (n_images, H, W) or (H, W); got {array.shape}.")
    check_finite(array, name)
    return array, single


def log_images(images: Any) -> np.ndarray:
    """Base-10 logarithm of positive images (densities).

    Parameters
    ----------
    images : array_like
        Strictly positive values, any shape.

    Returns
    -------
    ndarray
        ``log10(images)``, same shape.

    Examples
    --------
    >>> from crsbi.maps.images import log_images
    >>> log_images([1.0, 100.0]).tolist()
    [0.0, 2.0]
    """
    array = check_finite(np.asarray(images, dtype=np.float64), "images")
    if (array <= 0).any():
        raise ValueError(
            f"log_images needs strictly positive values (densities); got minimum "
            f"{array.min():g} ({int((array <= 0).sum())} values <= 0)."
        )
    return np.log10(array)


def equalize_histogram(images: Any, *, n_bins: int = 256) -> np.ndarray:
    """Histogram equalisation of each image, as ``skimage.exposure.equalize_hist``.

    For every image separately: a histogram of ``n_bins`` equal bins between its minimum and
    maximum, its normalised cumulative sum (the empirical CDF at the bin edges' right ends),
    and each pixel mapped to that CDF linearly interpolated at the bin centres. The output is
    a monotone function of the input, approximately uniform on [0, 1].

    Parameters
    ----------
    images : array_like of shape (n_images, H, W) or (H, W)
        Finite images.
    n_bins : int, default=256
        Number of histogram bins (skimage's default).

    Returns
    -------
    ndarray of the input's shape
        Equalised images in (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import equalize_histogram
    >>> image = np.random.default_rng(0).normal(size=(64, 64))
    >>> out = equalize_histogram(image)
    >>> round(float(out.mean()), 2), float(out.max())
    (0.5, 1.0)
    """
    array, single = _as_images(images)
    check_interval(n_bins, "n_bins", "equalize_histogram", kind=int, low=2)
    out = np.empty_like(array)
    for m, image in enumerate(array):
        low, high = float(image.min()), float(image.max())
        hist, edges = np.histogram(image, bins=n_bins, range=(low, high))
        centers = 0.5 * (edges[:-1] + edges[1:])
        cdf = np.cumsum(hist) / image.size
        out[m] = np.interp(image, centers, cdf)
    return out[0] if single else out


def flatten_power_spectrum(images: Any) -> np.ndarray:
    """Set every Fourier amplitude of each image to one, keeping the phases.

    ``ifft2(F / |F|)`` with ``F = fft2(image)``: the result is real (``F / |F|`` keeps the
    Hermitian symmetry of a real image), its power spectrum is flat and by Parseval its
    squared values sum to 1. Modes with ``F = 0`` have no phase and get amplitude one with
    phase zero. This removes all two-point information, so a classifier working on the
    result relies on phases only (Bustard and Wu's "flattened power" runs).

    Parameters
    ----------
    images : array_like of shape (n_images, H, W) or (H, W)
        Finite images (the paper flattens ``log10`` of the density).

    Returns
    -------
    ndarray of the input's shape
        Flattened images.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import flatten_power_spectrum
    >>> flat = flatten_power_spectrum(np.random.default_rng(0).normal(size=(16, 16)))
    >>> bool(np.allclose(np.abs(np.fft.fft2(flat)), 1.0)), round(float((flat**2).sum()), 6)
    (True, 1.0)
    """
    array, single = _as_images(images)
    spectrum = np.fft.fft2(array, axes=(-2, -1))
    amplitude = np.abs(spectrum)
    unit = np.where(amplitude > 0, spectrum / np.where(amplitude > 0, amplitude, 1.0), 1.0)
    out = np.fft.ifft2(unit, axes=(-2, -1)).real
    return out[0] if single else out


def random_flips(images: Any, *, p: float = 0.5, random_state: Any = None) -> np.ndarray:
    """Flip each image horizontally and (independently) vertically with probability ``p``.

    The training-set augmentation of Bustard and Wu; the turbulence statistics are invariant
    under both reflections of a plane perpendicular to the guide field. (Inside
    :class:`crsbi.maps.classifier.TransportClassifier` the same augmentation runs on the fly,
    per mini-batch, with ``flip_augmentation=True``.)

    Parameters
    ----------
    images : array_like of shape (n_images, H, W)
        Images.
    p : float, default=0.5
        Flip probability per axis.
    random_state : None, int or numpy.random.Generator
        Seeds the flips.

    Returns
    -------
    ndarray of shape (n_images, H, W)
        Flipped copies.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import random_flips
    >>> random_flips(np.arange(4.0).reshape(1, 2, 2), p=1.0)[0].tolist()
    [[3.0, 2.0], [1.0, 0.0]]
    """
    array, single = _as_images(images)
    check_interval(p, "p", "random_flips", low=0, high=1)
    rng = check_random_state(random_state)
    flip_w = rng.random(len(array)) < p
    flip_h = rng.random(len(array)) < p
    out = array.copy()
    out[flip_w] = out[flip_w, :, ::-1]
    out[flip_h] = out[flip_h, ::-1, :]
    return out[0] if single else out


def cube_to_tiles(
    cube: Any,
    *,
    axis: int = 0,
    regions: dict[str, np.ndarray] | None = None,
    tile_size: int = 128,
    keep_fraction: float = 0.5,
    depth: int = 1,
    stride: int = 1,
    log: bool = True,
    flatten: bool = False,
    equalize: bool = True,
    random_state: Any = None,
) -> dict[str, np.ndarray]:
    """Run the paper's pipeline on one cube: split, slice, tile, log, flatten, equalise.

    Parameters
    ----------
    cube : array_like of shape (N0, N1, N2) or path
        Density cube, or anything :func:`open_cube` reads.
    axis : int, default=0
        Axis perpendicular to the images (the guide field).
    regions : dict of str to ndarray of int, optional
        Cells along ``axis`` of each set; default :func:`buffered_split` of the axis. With
        ``depth > 1`` only cells whose whole ``depth`` window stays inside the region are
        used as image starts.
    tile_size : int, default=128
        Tile side in pixels.
    keep_fraction : float, default=0.5
        Fraction of each slice's tiles kept (the paper keeps half).
    depth : int, default=1
        Projection depth in cells (see :func:`slice_images`).
    stride : int, default=1
        Use every ``stride``-th start cell of each region (subsampling correlated slices).
    log, flatten, equalize : bool
        Which per-tile steps to apply, in the order log10 -> flatten -> equalise.
    random_state : None, int or numpy.random.Generator
        Seeds the kept tiles.

    Returns
    -------
    dict of str to ndarray of shape (n_tiles, tile_size, tile_size)
        Preprocessed tiles per region.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import cube_to_tiles
    >>> cube = np.random.default_rng(0).lognormal(size=(12, 16, 16))
    >>> {k: v.shape for k, v in cube_to_tiles(cube, tile_size=8, random_state=0).items()}
    {'train': (4, 8, 8), 'validation': (4, 8, 8), 'test': (4, 8, 8)}
    """
    data = open_cube(cube)
    try:
        return _cube_to_tiles(
            data,
            axis,
            regions,
            tile_size,
            keep_fraction,
            depth,
            stride,
            log,
            flatten,
            equalize,
            random_state,
        )
    finally:
        if isinstance(data, LazyCube) and data is not cube:
            data.close()


def _cube_to_tiles(
    data: Any,
    axis: int,
    regions: dict[str, np.ndarray] | None,
    tile_size: int,
    keep_fraction: float,
    depth: int,
    stride: int,
    log: bool,
    flatten: bool,
    equalize: bool,
    random_state: Any,
) -> dict[str, np.ndarray]:
    if len(data.shape) != 3:
        raise ValueError(f"cube must have shape (N0, N1, N2); got shape {tuple(data.shape)}.")
    check_interval(stride, "stride", "cube_to_tiles", kind=int, low=1)
    if regions is None:
        regions = buffered_split(int(data.shape[axis % 3]))
    rng = check_random_state(random_state)
    out = {}
    for name, cells in regions.items():
        cells = np.asarray(cells, dtype=int)
        inside = set(cells.tolist())
        starts = [c for c in cells if all(c + o in inside for o in range(depth))][::stride]
        if not starts:
            raise ValueError(f"Region {name!r} has no room for depth={depth} projections.")
        tiles = tile_images(
            slice_images(data, starts, axis=axis, depth=depth),
            tile_size,
            keep_fraction=keep_fraction,
            random_state=rng,
        )
        if log:
            tiles = log_images(tiles)
        if flatten:
            tiles = flatten_power_spectrum(tiles)
        if equalize:
            tiles = equalize_histogram(tiles)
        out[name] = tiles
    return out


#: Scikit-learn common checks whose data hold the pixel value 0, which log10 rejects.
_ZERO_DATA_CHECKS: tuple[str, ...] = (
    "check_dict_unchanged",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_pipeline_consistency",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
    "check_transformers_unfitted_stateless",
)
#: Scikit-learn common checks whose X has a number of features that is not a square.
_SQUARE_DATA_CHECKS: tuple[str, ...] = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
    "check_transformers_unfitted_stateless",
)


class _ImageTransformer(TransformerMixin, BaseEstimator):
    """Stateless per-image transformer accepting (n, H, W) or flattened (n, H*W) input."""

    def _image_fn(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _needs_2d(self) -> bool:
        return False

    def _check_values(self, array: np.ndarray) -> None:
        """Reject inputs the transformation is not defined for (at ``fit``)."""

    def fit(self, X: Any, y: Any = None) -> _ImageTransformer:
        """Check the input and record its shape (nothing is learned).

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Images.
        y : None
            Ignored.

        Returns
        -------
        self
            The fitted transformer.
        """
        array = check_array(X, allow_nd=True, dtype=np.float64)
        self._check_values(array)
        self.n_features_in_ = int(np.prod(array.shape[1:]))
        self.image_shape_ = self._resolve_shape(array)
        return self

    def _resolve_shape(self, array: np.ndarray) -> tuple[int, int]:
        owner = type(self).__name__
        if array.ndim == 3:
            return tuple(array.shape[1:])
        if array.ndim != 2:
            raise ValueError(
                f"{owner} expects X of shape (n_samples, H, W) or (n_samples, H * W); "
                f"got {array.shape}."
            )
        shape = getattr(self, "image_shape", None)
        if shape is not None:
            shape = tuple(int(s) for s in shape)
            if len(shape) != 2 or shape[0] * shape[1] != array.shape[1]:
                raise ValueError(
                    f"The 'image_shape' parameter of {owner} is {shape} but X has "
                    f"{array.shape[1]} features per sample."
                )
            return shape
        side = math.isqrt(array.shape[1])
        if self._needs_2d():
            if side * side != array.shape[1]:
                raise ValueError(
                    f"{owner} needs 2-D images: X has {array.shape[1]} features, not a square "
                    "number; pass image_shape=(H, W)."
                )
            return (side, side)
        return (1, array.shape[1])

    def transform(self, X: Any) -> np.ndarray:
        """Apply the transformation image by image.

        Nothing is learned, so an unfitted transformer works too; a fitted one checks
        that ``X`` has the number of features seen in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Images.

        Returns
        -------
        ndarray of the input's shape
            Transformed images.
        """
        array = check_array(X, allow_nd=True, dtype=np.float64)
        n_features = int(np.prod(array.shape[1:]))
        if hasattr(self, "n_features_in_") and n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        shape = self._resolve_shape(array)
        images = array.reshape(len(array), *shape)
        return self._image_fn(images).reshape(array.shape)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        return tags


class LogTransformer(_ImageTransformer):
    """Transformer form of :func:`log_images` (``log10`` of positive densities).

    Parameters
    ----------
    image_shape : tuple of int or None, default=None
        Accepted for symmetry with the other image transformers; ``log10`` is pixel-wise.

    Examples
    --------
    >>> from crsbi.maps.images import LogTransformer
    >>> LogTransformer().fit_transform([[1.0, 10.0]]).tolist()
    [[0.0, 1.0]]
    """

    def __init__(self, *, image_shape: tuple[int, int] | None = None) -> None:
        self.image_shape = image_shape

    def _image_fn(self, images: np.ndarray) -> np.ndarray:
        return log_images(images)

    def _check_values(self, array: np.ndarray) -> None:
        if np.any(array < 0):
            raise ValueError(
                "Negative values in data passed to LogTransformer: log10 needs densities > 0."
            )

    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this transformer fails by design, with reasons."""
        return dict.fromkeys(
            _ZERO_DATA_CHECKS,
            "log10 needs densities > 0; the check's positive data X - X.min() hold a 0, "
            "which transform rejects",
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class HistogramEqualizer(_ImageTransformer):
    """Transformer form of :func:`equalize_histogram` (per image, 256 bins by default).

    Parameters
    ----------
    n_bins : int, default=256
        Histogram bins.
    image_shape : tuple of int or None, default=None
        Only used to check flattened input; the equalisation ignores the pixel layout.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import HistogramEqualizer
    >>> out = HistogramEqualizer().fit_transform(np.random.default_rng(0).normal(size=(2, 8, 8)))
    >>> out.shape, float(out.max())
    ((2, 8, 8), 1.0)
    """

    def __init__(self, *, n_bins: int = 256, image_shape: tuple[int, int] | None = None) -> None:
        self.n_bins = n_bins
        self.image_shape = image_shape

    def _image_fn(self, images: np.ndarray) -> np.ndarray:
        return equalize_histogram(images, n_bins=self.n_bins)


class PowerSpectrumFlattener(_ImageTransformer):
    """Transformer form of :func:`flatten_power_spectrum` (unit Fourier amplitudes).

    Parameters
    ----------
    image_shape : tuple of int or None, default=None
        ``(H, W)`` of flattened input ``(n, H * W)``; ``None`` infers square images.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import PowerSpectrumFlattener
    >>> X = np.random.default_rng(0).normal(size=(3, 64))
    >>> out = PowerSpectrumFlattener(image_shape=(8, 8)).fit_transform(X)
    >>> bool(np.allclose(np.abs(np.fft.fft2(out.reshape(3, 8, 8))), 1))
    True
    """

    def __init__(self, *, image_shape: tuple[int, int] | None = None) -> None:
        self.image_shape = image_shape

    def _needs_2d(self) -> bool:
        return True

    def _image_fn(self, images: np.ndarray) -> np.ndarray:
        return flatten_power_spectrum(images)

    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this transformer fails by design, with reasons."""
        return dict.fromkeys(
            _SQUARE_DATA_CHECKS,
            "needs 2-D images: flattened X must have a square number of features (or "
            "image_shape); the check's X of 2, 3, 5 or 10 features is rejected",
        )
