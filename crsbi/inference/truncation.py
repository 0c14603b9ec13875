"""Truncated priors: a second, local round of neural posterior estimation.

An amortized posterior trained on the whole prior spends its simulations everywhere;
for one observation ``x_o`` most of them are far from the posterior, which is then
wider (and less accurate) than the likelihood allows. Truncated sequential NPE
(Deistler et al. 2022, "Truncated proposals for scalable and hassle-free simulation-based
inference") draws a second round of simulations from the prior restricted to a region
that holds the posterior of ``x_o`` and trains a new estimator on them. Because the
restricted prior is the prior times an indicator that is 1 wherever the posterior
lives, the new estimator's posterior of ``x_o`` is the true posterior: no importance
correction is needed, unlike other sequential schemes.

Here the region is a box around first-round posterior draws, widened by a margin and
clipped to the prior. :func:`edge_fraction` checks afterwards that the second-round
posterior does not pile up against a cut edge (which would mean the box was too
tight).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.core.validation import check_interval

__all__ = ["edge_fraction", "posterior_box"]


def _bounds(low: Any, high: Any, n_params: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    low = np.broadcast_to(np.asarray(low, dtype=float), (n_params,)).copy()
    high = np.broadcast_to(np.asarray(high, dtype=float), (n_params,)).copy()
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise ValueError(f"The {what} bounds must be finite; got {low} and {high}.")
    if np.any(low >= high):
        raise ValueError(
            f"The {what} bounds need low < high in every parameter; got {low}, {high}."
        )
    return low, high


def _samples(samples: Any) -> np.ndarray:
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 2 or len(samples) < 2:
        raise ValueError(
            f"samples must have shape (n_samples >= 2, n_params); got {samples.shape}."
        )
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples contain NaN or infinity; expected finite posterior draws.")
    return samples


def posterior_box(
    samples: Any,
    prior_low: Any,
    prior_high: Any,
    *,
    quantile: float = 1e-3,
    margin: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Box around posterior draws, widened by ``margin`` of its width, within the prior.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_params)
        Posterior draws for one observation (first round), inside the prior box.
    prior_low, prior_high : float or array-like of shape (n_params,)
        The prior box (uniform priors; for others use their support or a wide box).
    quantile : float, default=1e-3
        The box starts from the ``quantile`` and ``1 - quantile`` marginal quantiles of
        the draws, in [0, 0.5); 0 uses their minimum and maximum, which a few stray
        draws from the tails of a rough flow can stretch over the whole prior.
    margin : float, default=0.5
        Each side of that box moves out by ``margin`` times its width, >= 0. The
        first-round posterior is an approximation: a margin protects against one that
        is too narrow or shifted.

    Returns
    -------
    low, high : ndarray of shape (n_params,)
        The truncated prior box, a subset of the prior box.

    Raises
    ------
    ValueError
        For non-finite or badly shaped draws, bounds with ``low >= high``, a negative
        margin, or draws outside the prior box.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference.truncation import posterior_box
    >>> draws = np.array([[0.4, 2.0], [0.6, 3.0]])
    >>> posterior_box(draws, [0.0, 0.0], [1.0, 10.0], quantile=0.0, margin=1.0)
    (array([0.2, 1. ]), array([0.8, 4. ]))
    >>> posterior_box(draws, [0.0, 0.0], [1.0, 3.5], quantile=0.0, margin=1.0)[1]  # clipped
    array([0.8, 3.5])
    """
    samples = _samples(samples)
    low, high = _bounds(prior_low, prior_high, samples.shape[1], "prior")
    check_interval(quantile, "quantile", "posterior_box", low=0, high=0.5, closed="left")
    check_interval(margin, "margin", "posterior_box", low=0)
    if np.any(samples < low) or np.any(samples > high):
        raise ValueError("Some posterior draws lie outside the prior box; expected draws inside.")
    lo, hi = np.quantile(samples, [quantile, 1.0 - quantile], axis=0)
    width = hi - lo
    # a parameter the draws do not resolve at all keeps a sliver of the prior
    width = np.maximum(width, 1e-6 * (high - low))
    return np.maximum(lo - margin * width, low), np.minimum(hi + margin * width, high)


def edge_fraction(
    samples: Any,
    low: Any,
    high: Any,
    *,
    prior_low: Any = None,
    prior_high: Any = None,
    width: float = 0.02,
) -> np.ndarray:
    """Per parameter, the fraction of draws near an edge where the box cut the prior.

    A posterior computed under a truncated prior is exact only if the truncation holds
    all of its mass; draws crowding against a cut edge say that it does not (widen
    the box and simulate again). Edges that coincide with the prior's own edges do not
    count: a posterior may rightly pile up there.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_params)
        Draws from the posterior computed under the truncated prior.
    low, high : float or array-like of shape (n_params,)
        The truncated prior box.
    prior_low, prior_high : float, array-like of shape (n_params,) or None
        The original prior box; ``None`` counts every edge of ``[low, high]`` as cut.
    width : float, default=0.02
        Thickness of the edge layer, as a fraction of the box width, in (0, 0.5).

    Returns
    -------
    ndarray of shape (n_params,)
        Fraction of draws within ``width`` of a cut edge: about 0 for a posterior well
        inside the box, about ``width`` per cut edge for one spread uniformly over it.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference.truncation import edge_fraction
    >>> draws = np.random.default_rng(0).uniform(0.0, 1.0, size=(10000, 2))
    >>> edge_fraction(draws, 0.0, 1.0, prior_low=[0.0, -1.0], prior_high=[1.0, 2.0]).round(2)
    array([0.  , 0.04])
    """
    samples = _samples(samples)
    n_params = samples.shape[1]
    low, high = _bounds(low, high, n_params, "truncated")
    check_interval(width, "width", "edge_fraction", low=0, high=0.5, closed="neither")
    if (prior_low is None) != (prior_high is None):
        raise ValueError("Give both prior_low and prior_high, or neither.")
    if prior_low is None:
        cut_low = cut_high = np.ones(n_params, dtype=bool)
    else:
        p_low, p_high = _bounds(prior_low, prior_high, n_params, "prior")
        span = p_high - p_low
        cut_low = low > p_low + 1e-9 * span
        cut_high = high < p_high - 1e-9 * span
    layer = width * (high - low)
    near = (cut_low & (samples < low + layer)) | (cut_high & (samples > high - layer))
    return near.mean(axis=0)
