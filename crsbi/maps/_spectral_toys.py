"""Labelled toy density maps whose classes differ only in their power-spectrum slope.

Log-normal fields ``exp(sigma_ln * g)`` from Gaussian random fields ``g``: a stand-in for
simulation data in tests, demos and benchmarks (steeper spectrum = smoother field, as strong
cosmic-ray diffusion smooths small-scale density structure). Re-exported by
:mod:`crsbi.maps.classifier`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval

__all__ = ["make_spectral_cubes", "make_spectral_images"]

_DEFAULT_SLOPES = {"steep": -4.0, "medium": -3.0, "shallow": -2.0}


def make_spectral_images(
    n_per_class: int,
    *,
    slopes: dict[Any, float] | None = None,
    size: int = 64,
    sigma_ln: float = 1.0,
    log: bool = True,
    equalize: bool = True,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Labelled log-normal toy density images whose classes differ only in spectral slope.

    Each image is ``rho = exp(sigma_ln * g)`` with ``g`` a unit-variance periodic Gaussian
    random field of power spectrum ``P(k) \propto k^slope`` (shell-summed power
    ``~ k^(slope + 1)`` in 2-D). Steeper slopes mean smoother fields, a stand-in for strong CR
    diffusion smoothing small-scale density structure. Optionally ``log10`` and histogram
    equalisation are applied, as in the paper's pipeline: the one-point distribution then
    carries no information, only the spatial structure does.

    Parameters
    ----------
    n_per_class : int
        Images per class.
    slopes : dict of label to float, optional
        Spectral slope per class; default ``{"steep": -4.0, "medium": -3.0, "shallow": -2.0}``.
        Slopes below -2 give fields dominated by large scales.
    size : int, default=64
        Image side in pixels.
    sigma_ln : float, default=1.0
        Standard deviation of ``ln rho`` (dimensionless).
    log, equalize : bool, default=True
        Apply ``log10`` and then histogram equalisation.
    random_state : None, int or numpy.random.Generator
        Seeds the fields and the shuffling.

    Returns
    -------
    X : ndarray of shape (n_classes * n_per_class, size, size)
        Images, shuffled.
    y : ndarray of shape (n_classes * n_per_class,)
        Labels.

    Examples
    --------
    >>> from crsbi.maps.classifier import make_spectral_images
    >>> X, y = make_spectral_images(4, size=16, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((12, 16, 16), ['medium', 'shallow', 'steep'])
    """
    from crsbi.maps.images import equalize_histogram, log_images

    check_interval(n_per_class, "n_per_class", "make_spectral_images", kind=int, low=1)
    check_interval(size, "size", "make_spectral_images", kind=int, low=4)
    check_interval(sigma_ln, "sigma_ln", "make_spectral_images", low=0, closed="neither")
    slopes = _DEFAULT_SLOPES if slopes is None else slopes
    rng = check_random_state(random_state)
    images, labels = [], []
    for label, slope in slopes.items():
        images.append(_lognormal_fields((n_per_class, size, size), slope, sigma_ln, rng))
        labels += [label] * n_per_class
    X = np.concatenate(images)
    if log:
        X = log_images(X)
    if equalize:
        X = equalize_histogram(X)
    y = np.asarray(labels)
    order = rng.permutation(len(X))
    return X[order], y[order]


def _lognormal_fields(
    shape: tuple[int, ...], slope: float, sigma_ln: float, rng: np.random.Generator
) -> np.ndarray:
    """``exp(sigma_ln * g)`` for unit-variance periodic GRFs ``g`` over the trailing axes.

    ``shape[0]`` counts independent fields; the other axes are spatial with equal sides.
    The modal power is ``|k|^slope`` (mean mode removed).
    """
    spatial = shape[1:]
    freq = [np.fft.fftfreq(n) * n for n in spatial]
    grids = np.meshgrid(*freq, indexing="ij")
    k = np.sqrt(sum(g**2 for g in grids))
    k.flat[0] = np.inf
    axes = tuple(range(1, len(shape)))
    noise = rng.normal(size=shape)
    field_ = np.fft.ifftn(np.fft.fftn(noise, axes=axes) * k ** (slope / 2.0), axes=axes).real
    field_ /= field_.std(axis=axes, keepdims=True)
    return np.exp(sigma_ln * field_)


def make_spectral_cubes(
    *,
    slopes: dict[Any, float] | None = None,
    size: int = 64,
    sigma_ln: float = 1.0,
    random_state: Any = None,
) -> tuple[list[np.ndarray], list[Any]]:
    r"""One log-normal toy density cube per class, classes differing in spectral slope.

    The 3-D analogue of :func:`make_spectral_images`: ``rho = exp(sigma_ln * g)`` with ``g`` a
    periodic Gaussian random field of modal power ``|k|^slope``. A plane cut through such a
    cube has a 2-D spectrum one power of ``k`` shallower than a thick projection, which is
    why a slice-trained classifier degrades on projections.

    Parameters
    ----------
    slopes : dict of label to float, optional
        Slope per class; default ``{"steep": -4.0, "medium": -3.0, "shallow": -2.0}``.
    size : int, default=64
        Cube side in cells.
    sigma_ln : float, default=1.0
        Standard deviation of ``ln rho`` (dimensionless).
    random_state : None, int or numpy.random.Generator
        Seeds the fields.

    Returns
    -------
    cubes : list of ndarray of shape (size, size, size)
        Positive densities [arbitrary unit; mean about 1].
    labels : list
        Class of each cube.

    Examples
    --------
    >>> from crsbi.maps.classifier import make_spectral_cubes
    >>> cubes, labels = make_spectral_cubes(size=8, random_state=0)
    >>> cubes[0].shape, labels
    ((8, 8, 8), ['steep', 'medium', 'shallow'])
    """
    check_interval(size, "size", "make_spectral_cubes", kind=int, low=4)
    check_interval(sigma_ln, "sigma_ln", "make_spectral_cubes", low=0, closed="neither")
    slopes = _DEFAULT_SLOPES if slopes is None else slopes
    rng = check_random_state(random_state)
    cubes = [_lognormal_fields((1, size, size, size), s, sigma_ln, rng)[0] for s in slopes.values()]
    return cubes, list(slopes)
