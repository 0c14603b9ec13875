"""Posterior predictive checks of the Galactic propagation model against measured spectra.

From any posterior (emcee, NPE, refined network predictions: an array of parameter draws),
predict the measured points of a :class:`~crsbi.propagation.SpectraLikelihood`, with bands of
the model and of replicated data (model plus measurement noise drawn from the likelihood's own
error covariance), and report how many observed points fall inside each band. Built on a
likelihood of *held-out* data (not used in the fit), this is the test of whether the model
predicts what it was not fitted to.

:func:`predictive_bands` gives the same posterior bands for any observable the simulator
follows (a flux or a ratio of Li, Be, B, C, N, O) at any rigidities or energies, modulated
or interstellar: the extrapolation of a fit beyond its data (B/C at TeV, Voyager 1 local
interstellar spectra) with its uncertainty.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval
from crsbi.propagation.likelihood import (
    NUISANCE_BOUNDS,
    SpectraLikelihood,
    check_observable_range,
    predict_observable,
)

__all__ = ["PredictiveBands", "PredictiveCheck", "posterior_predictive", "predictive_bands"]


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
    samples = _check_samples(likelihood, samples)
    levels = _check_levels(levels, "posterior_predictive")
    check_interval(n_draws, "n_draws", "posterior_predictive", kind=int, low=1)
    rng = check_random_state(random_state)
    if len(samples) > n_draws:
        samples = samples[rng.choice(len(samples), n_draws, replace=False)]
    model = np.stack([likelihood.predict(theta) for theta in samples])
    replicated = model + likelihood.sample_noise(len(model), random_state=rng)
    observed = likelihood.observed
    model_bands, data_bands, coverage = {}, {}, {}
    for level in levels:
        model_bands[level] = _band(model, level)
        data_bands[level] = _band(replicated, level)
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


def _check_samples(likelihood: Any, samples: Any) -> np.ndarray:
    """Posterior draws as a (n, n_params) array inside the likelihood's prior box."""
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
    return samples


def _check_levels(levels: Any, owner: str) -> tuple[float, ...]:
    levels = tuple(float(level) for level in levels)
    if not levels:
        raise ValueError(f"levels of {owner} must name at least one level in (0, 1).")
    for level in levels:
        check_interval(level, "levels", owner, low=0.0, high=1.0, closed="neither")
    return levels


def _band(values: np.ndarray, level: float) -> np.ndarray:
    """Lower and upper edges of the central ``level`` band over axis 0, shape (2, n)."""
    return np.quantile(values, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], axis=0)


@dataclass(frozen=True)
class PredictiveBands:
    """Posterior bands of one observable at chosen rigidities or energies.

    Attributes
    ----------
    quantity : str
        Element flux (``"B"``) or ratio (``"B/C"``).
    axis : {"rigidity", "energy"}
        ``x`` is rigidity [GV] or kinetic energy per nucleon [GeV/n].
    x : ndarray of shape (n_x,)
        Where the observable is predicted.
    modulated : bool
        Whether the predictions are solar-modulated (with each draw's ``phi``) or local
        interstellar.
    levels : tuple of float
        Central credible levels of the bands.
    model : ndarray of shape (n_draws, n_x)
        The observable for each posterior draw (flux units as
        :func:`~crsbi.propagation.predict_observable`).
    median : ndarray of shape (n_x,)
        Median over the draws.
    bands : dict of float to ndarray of shape (2, n_x)
        Lower and upper edges of the central band of each level (model uncertainty only:
        no measurement noise, so bands of points never measured).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation import Measurement, SpectraLikelihood, predictive_bands
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> theta = np.array([[5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]])
    >>> bands = predictive_bands(SpectraLikelihood([m]), theta, "B/C", [1e3, 1e4])
    >>> bands.bands[0.68].shape
    (2, 2)
    """

    quantity: str
    axis: str
    x: np.ndarray
    modulated: bool
    levels: tuple[float, ...]
    model: np.ndarray
    median: np.ndarray
    bands: dict[float, np.ndarray]

    def slope(self, x_min: float, x_max: float) -> tuple[float, float]:
        """Posterior median and standard deviation of ``d log y / d log x`` over a range.

        The log-log slope of each draw is a least-squares line through its points with
        ``x_min <= x <= x_max`` (e.g. the B/C slope above 200 GV: about ``-delta`` in pure
        diffusion, less steep above a hardening break).

        Parameters
        ----------
        x_min, x_max : float
            Range [units of :attr:`axis`], holding at least two points of :attr:`x`.

        Returns
        -------
        median, std : float
        """
        keep = (self.x >= x_min) & (self.x <= x_max)
        if keep.sum() < 2:
            raise ValueError(
                f"slope needs at least two points of x in [{x_min}, {x_max}]; got "
                f"{int(keep.sum())}."
            )
        lx = np.log(self.x[keep])
        ly = np.log(self.model[:, keep])
        lx = lx - lx.mean()
        slopes = (ly - ly.mean(axis=1, keepdims=True)) @ lx / (lx @ lx)
        return float(np.median(slopes)), float(np.std(slopes))


def predictive_bands(
    likelihood: SpectraLikelihood,
    samples: Any,
    quantity: str,
    x: Any,
    *,
    axis: str = "rigidity",
    modulated: bool = True,
    levels: tuple[float, ...] = (0.68, 0.95),
    n_draws: int = 200,
    random_state: Any = None,
) -> PredictiveBands:
    """Posterior bands of any flux or ratio at any rigidities or energies.

    Each posterior draw is simulated with the likelihood's fixed configuration and its
    nuisances (a free ``phi`` modulates with the draw's value), and the observable is read
    off at ``x``: B/C far above the fitted data, Li/C or the Li, Be, B fluxes never fitted,
    local interstellar spectra for Voyager 1 (``modulated=False``).

    Parameters
    ----------
    likelihood : SpectraLikelihood
        The likelihood the posterior was drawn for: its ``names`` fix the columns of
        ``samples``, its configuration the simulator.
    samples : array-like of shape (n_samples, n_params)
        Posterior draws (emcee, NPE, refined network predictions).
    quantity : str
        Flux of one element or ratio of two, of Li, Be, B, C, N, O.
    x : array-like of shape (n_x,)
        Rigidities [GV] or kinetic energies per nucleon [GeV/n], inside the simulator's
        grid (1e-3 - 1.1e5 GeV/n after modulation).
    axis : {"rigidity", "energy"}, default="rigidity"
        Meaning of ``x``.
    modulated : bool, default=True
        Solar-modulated (near Earth) or local interstellar (``False``) predictions.
    levels : tuple of float, default=(0.68, 0.95)
        Central credible levels, each in (0, 1).
    n_draws : int, default=200
        Number of posterior draws simulated (a random subset when there are more samples).
    random_state : None, int or numpy.random.Generator
        Chooses the subset.

    Returns
    -------
    PredictiveBands

    Raises
    ------
    ValueError
        If ``samples`` has the wrong width, non-finite values or draws outside the prior box,
        the quantity names elements the simulator does not follow, or ``x`` reaches outside
        the simulator's energy grid.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation import Measurement, SpectraLikelihood
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> theta = np.array([[5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]])
    >>> lis = predictive_bands(SpectraLikelihood([m]), theta, "C", [0.1, 0.3],
    ...                        axis="energy", modulated=False)
    >>> lis.median.shape
    (2,)
    """
    samples = _check_samples(likelihood, samples)
    phi_max = NUISANCE_BOUNDS["phi"][1] if "phi" in likelihood.free else likelihood.phi
    x = check_observable_range(quantity, x, axis, modulated=bool(modulated), phi_max=phi_max)
    levels = _check_levels(levels, "predictive_bands")
    check_interval(n_draws, "n_draws", "predictive_bands", kind=int, low=1)
    rng = check_random_state(random_state)
    if len(samples) > n_draws:
        samples = samples[rng.choice(len(samples), n_draws, replace=False)]
    model = np.empty((len(samples), x.size))
    for row, theta in enumerate(samples):
        spectra = likelihood.simulate(theta)
        model[row] = predict_observable(spectra, quantity, x, axis, None if modulated else 0.0)
    return PredictiveBands(
        quantity=quantity,
        axis=axis,
        x=x,
        modulated=bool(modulated),
        levels=levels,
        model=model,
        median=np.median(model, axis=0),
        bands={level: _band(model, level) for level in levels},
    )
