"""Posterior predictive checks of the Galactic propagation model against measured spectra.

From any posterior (emcee, NPE, refined network predictions: an array of parameter draws),
predict the measured points of a :class:`~crsbi.propagation.SpectraLikelihood`, with bands of
the model and of replicated data (model plus measurement noise drawn from the likelihood's own
error covariance), and report how many observed points fall inside each band. Built on a
likelihood of *held-out* data (not used in the fit), this is the test of whether the model
predicts what it was not fitted to.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval
from crsbi.propagation.likelihood import SpectraLikelihood

__all__ = ["PredictiveCheck", "posterior_predictive"]


@dataclass(frozen=True)
class PredictiveCheck:
    """Posterior predictive of the measured points of a likelihood.

    Attributes
    ----------
    levels : tuple of float
        Central credible levels of the bands.
    observed, error : ndarray of shape (n_points,)
        The measured values and their total errors, all measurements concatenated.
    model : ndarray of shape (n_draws, n_points)
        Model predictions for each posterior draw.
    replicated : ndarray of shape (n_draws, n_points)
        ``model`` plus one draw of the measurement noise each (replicated data).
    median : ndarray of shape (n_points,)
        Median of ``model`` over the draws.
    model_bands, data_bands : dict of float to ndarray of shape (2, n_points)
        Lower and upper edges of the central bands of ``model`` and ``replicated``.
    coverage : dict of float to float
        Fraction of observed points inside the replicated-data band of each level (about
        the level itself when the model and errors are right).
    chi2_per_point : float
        ``sum(((observed - median) / error)^2) / n_points`` (diagonal errors).
    slices : tuple of slice
        The points of each measurement of the likelihood, in its order.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation import Measurement, SpectraLikelihood, posterior_predictive
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> theta = np.array([[5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]])
    >>> check = posterior_predictive(SpectraLikelihood([m]), theta, random_state=0)
    >>> sorted(check.coverage)
    [0.68, 0.95]
    """

    levels: tuple[float, ...]
    observed: np.ndarray
    error: np.ndarray
    model: np.ndarray
    replicated: np.ndarray
    median: np.ndarray
    model_bands: dict[float, np.ndarray]
    data_bands: dict[float, np.ndarray]
    coverage: dict[float, float]
    chi2_per_point: float
    slices: tuple[slice, ...]


def posterior_predictive(
    likelihood: SpectraLikelihood,
    samples: Any,
    *,
    levels: tuple[float, ...] = (0.68, 0.95),
    n_draws: int = 200,
    random_state: Any = None,
) -> PredictiveCheck:
    """Posterior predictive check of a likelihood's measurements from parameter draws.

    Parameters
    ----------
    likelihood : SpectraLikelihood
        Measurements to predict (held-out ones for an out-of-sample check) and the fixed
        simulator configuration; its ``names`` fix the columns of ``samples``.
    samples : array-like of shape (n_samples, n_params)
        Posterior draws, columns in ``likelihood.names`` order.
    levels : tuple of float, default=(0.68, 0.95)
        Central credible levels, each in (0, 1).
    n_draws : int, default=200
        Number of posterior draws simulated (a random subset when there are more samples).
    random_state : None, int or numpy.random.Generator
        Chooses the subset and draws the replicated-data noise.

    Returns
    -------
    PredictiveCheck

    Raises
    ------
    ValueError
        If ``samples`` has the wrong width, non-finite values or draws outside the
        likelihood's prior box, or a level is outside (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation import Measurement, SpectraLikelihood
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> like = SpectraLikelihood([m], phi=0.7)
    >>> theta = np.array([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
    >>> check = posterior_predictive(like, theta[None], n_draws=1, random_state=0)
    >>> check.model.shape
    (1, 2)
    """
    if not isinstance(likelihood, SpectraLikelihood):
        raise TypeError(
            f"likelihood must be a SpectraLikelihood; got {type(likelihood).__name__} instead."
        )
    samples = check_finite(np.asarray(samples, dtype=float), "samples")
    width = len(likelihood.names)
    if samples.ndim != 2 or samples.shape[1] != width or len(samples) == 0:
        raise ValueError(
            f"samples must have shape (n_samples, {width}) with columns {likelihood.names}; "
            f"got {samples.shape}."
        )
    outside = np.any((samples < likelihood.low) | (samples > likelihood.high), axis=1)
    if outside.any():
        raise ValueError(
            f"{int(outside.sum())} of {len(samples)} samples lie outside the likelihood's "
            "prior box (likelihood.low, likelihood.high)."
        )
    levels = tuple(float(level) for level in levels)
    for level in levels:
        check_interval(level, "levels", "posterior_predictive", low=0.0, high=1.0, closed="neither")
    check_interval(n_draws, "n_draws", "posterior_predictive", kind=int, low=1)
    rng = check_random_state(random_state)
    if len(samples) > n_draws:
        samples = samples[rng.choice(len(samples), n_draws, replace=False)]
    model = np.stack([likelihood.predict(theta) for theta in samples])
    replicated = model + likelihood.sample_noise(len(model), random_state=rng)
    observed = likelihood.observed
    model_bands, data_bands, coverage = {}, {}, {}
    for level in levels:
        q = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
        model_bands[level] = np.quantile(model, q, axis=0)
        data_bands[level] = np.quantile(replicated, q, axis=0)
        low, high = data_bands[level]
        coverage[level] = float(np.mean((observed >= low) & (observed <= high)))
    median = np.median(model, axis=0)
    sizes = np.cumsum([0] + [len(m.y) for m in likelihood.measurements])
    return PredictiveCheck(
        levels=levels,
        observed=observed,
        error=likelihood.error,
        model=model,
        replicated=replicated,
        median=median,
        model_bands=model_bands,
        data_bands=data_bands,
        coverage=coverage,
        chi2_per_point=float(np.mean(((observed - median) / likelihood.error) ** 2)),
        slices=tuple(slice(a, b) for a, b in itertools.pairwise(sizes)),
    )
