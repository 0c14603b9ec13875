"""Gaussian linear model: a reference simulator whose posterior is known in closed form.

``x = A theta + noise``, ``noise ~ N(0, Sigma)``. With a flat prior (a uniform box
much wider than the posterior) the posterior is Gaussian with covariance
``(A^T Sigma^-1 A)^-1`` and mean ``cov A^T Sigma^-1 x``. It is the yardstick for
the inference machinery (NPE, MCMC, calibration), never a physical model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.core.random import check_random_state

__all__ = ["gaussian_linear_posterior", "simulate_gaussian_linear"]


def _design(matrix: Any, n_params: int) -> np.ndarray:
    if matrix is None:
        return np.eye(n_params)
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != n_params:
        raise ValueError(
            f"matrix must have shape (n_observables, {n_params}); got {matrix.shape} instead."
        )
    return matrix


def simulate_gaussian_linear(
    theta: Any,
    *,
    matrix: Any = None,
    noise_std: float = 0.1,
    random_state: Any = None,
) -> np.ndarray:
    """Simulate ``x = A theta + N(0, noise_std^2 I)``.

    Parameters
    ----------
    theta : array-like of shape (n_params,) or (n_samples, n_params)
        Parameters (dimensionless).
    matrix : array-like of shape (n_observables, n_params) or None
        Design matrix ``A``; identity when ``None``.
    noise_std : float, default=0.1
        Standard deviation of the independent Gaussian noise, > 0.
    random_state : None, int or numpy.random.Generator
        Source of the noise.

    Returns
    -------
    ndarray of shape (n_observables,) or (n_samples, n_observables)
        Simulated observations, matching the leading shape of ``theta``.

    Examples
    --------
    >>> from crsbi.inference.gaussian_linear import simulate_gaussian_linear
    >>> simulate_gaussian_linear([0.0, 1.0], noise_std=1e-9, random_state=0).round(6)
    array([0., 1.])
    """
    theta = np.asarray(theta, dtype=float)
    if theta.ndim not in (1, 2):
        raise ValueError(
            f"theta must have shape (n_params,) or (n_samples, n_params); got {theta.shape}."
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta contains NaN or infinity; expected finite parameters.")
    if not noise_std > 0:
        raise ValueError(f"noise_std must be > 0. Got {noise_std!r} instead.")
    rng = check_random_state(random_state)
    A = _design(matrix, theta.shape[-1])
    mean = theta @ A.T
    return mean + noise_std * rng.standard_normal(mean.shape)


def gaussian_linear_posterior(
    x: Any, *, matrix: Any = None, noise_std: float = 0.1, n_params: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Analytic posterior mean and covariance under a flat prior.

    Valid when the prior box contains the posterior mass (several standard
    deviations away from every edge); truncation is then negligible.

    Parameters
    ----------
    x : array-like of shape (n_observables,)
        One observation.
    matrix : array-like of shape (n_observables, n_params) or None
        Design matrix; identity when ``None``.
    noise_std : float, default=0.1
        Noise standard deviation used by the simulator.
    n_params : int or None
        Number of parameters, used only when ``matrix`` is ``None`` (then it
        defaults to ``len(x)``); with a matrix it is ``matrix.shape[1]``.

    Returns
    -------
    mean : ndarray of shape (n_params,)
        Posterior mean.
    cov : ndarray of shape (n_params, n_params)
        Posterior covariance.

    Examples
    --------
    >>> from crsbi.inference.gaussian_linear import gaussian_linear_posterior
    >>> mean, cov = gaussian_linear_posterior([0.5, -0.2], noise_std=0.1)
    >>> mean.tolist(), cov.round(4).tolist()
    ([0.5, -0.2], [[0.01, 0.0], [0.0, 0.01]])
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be one observation of shape (n_observables,); got {x.shape}.")
    if matrix is not None:
        n_params = np.shape(matrix)[-1]
    A = _design(matrix, n_params if n_params is not None else len(x))
    if A.shape[0] != len(x):
        raise ValueError(f"x has {len(x)} observables but matrix has {A.shape[0]} rows.")
    precision = A.T @ A / noise_std**2
    cov = np.linalg.inv(precision)
    mean = cov @ (A.T @ x) / noise_std**2
    return mean, cov
