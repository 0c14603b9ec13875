"""Local least-squares polish of :class:`~crsbi.propagation.PropagationInverter` predictions.

The network gives an amortised starting point in milliseconds; a few trust-region
Gauss-Newton steps on the simulator itself then take it to the best fit of the
observed spectra, at a cost of hundreds of simulator calls per observation (a median
of 470-840 in ``benchmarks/propagation/bench_inversion.py``; the emcee posterior there
took 6e4). Used through :meth:`crsbi.propagation.inverter.PropagationInverter.refine`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import least_squares
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval

__all__ = ["RefineMixin"]


def _check_sigma(sigma: Any, n_features: int, owner: str) -> np.ndarray:
    s = np.asarray(sigma, dtype=float)
    if s.ndim == 0:
        s = np.full(n_features, float(s))
    if s.shape != (n_features,):
        raise ValueError(
            f"{owner}: sigma must be a float or an array of shape ({n_features},) (one "
            f"relative error per flux value); got shape {s.shape}."
        )
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"{owner}: sigma must be finite and > 0 everywhere.")
    return s


class _LogResiduals:
    """Residuals ``(ln x - ln f(theta) [- s]) / sigma`` in whitened coordinates.

    ``s`` (``free_scale``) is the weighted mean of ``ln x - ln f``: the common flux
    scale profiled out. The Jacobian is a forward difference computed in one batched
    simulator call of ``n_params`` spectra, stepping inward at the box edges.
    """

    def __init__(
        self,
        log_x: np.ndarray,
        sigma: np.ndarray,
        simulate: Callable[[np.ndarray], np.ndarray],
        free_scale: bool,
        diff_step: float,
    ) -> None:
        self.log_x, self.sigma, self.simulate = log_x, sigma, simulate
        self.free_scale, self.diff_step = free_scale, diff_step
        self.weights = sigma**-2 / np.sum(sigma**-2)
        self.calls = 0
        self._cache: tuple[bytes, np.ndarray] | None = None

    def _log_model(self, w: np.ndarray) -> np.ndarray:
        key = w.tobytes()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        out = self.simulate(w[None])[0]
        self.calls += 1
        self._cache = (key, out)
        return out

    def _project(self, d: np.ndarray) -> np.ndarray:
        return d - self.weights @ d if self.free_scale else d

    def residuals(self, w: np.ndarray) -> np.ndarray:
        return self._project(self.log_x - self._log_model(w)) / self.sigma

    def jacobian(self, w: np.ndarray) -> np.ndarray:
        base = self._log_model(w)
        step = np.where(w + self.diff_step <= 1.0, self.diff_step, -self.diff_step)
        shifted = w[None] + np.diag(step)
        models = self.simulate(shifted)
        self.calls += len(shifted)
        d_log_model = (models - base[None]) / step[:, None]  # (p, n_features)
        return -self._project(d_log_model.T) / self.sigma[:, None]


class RefineMixin:
    """:meth:`refine` for :class:`~crsbi.propagation.PropagationInverter`."""

    def refine(
        self,
        X: Any,
        simulator: Callable[[np.ndarray], Any],
        *,
        sigma: Any = 0.1,
        free_scale: bool = False,
        start: Any = None,
        n_starts: int = 3,
        max_nfev: int = 50,
        diff_step: float = 1e-4,
        return_chi2: bool = False,
        random_state: Any = None,
    ) -> Any:
        """Polish predictions into best fits of ``X`` on the simulator (least squares).

        From ``start`` (default :meth:`predict` of ``X``) every observation is fitted by
        :func:`scipy.optimize.least_squares` (trust-region reflective, inside the prior
        box of :attr:`whitener_`) minimising

        ``chi^2(theta) = sum_j ((ln x_j - ln f_j(theta) - s) / sigma_j)^2``,

        the Gaussian log-likelihood of log-normal relative errors ``sigma``; ``s = 0``,
        or with ``free_scale`` the weighted mean of ``ln x - ln f`` (a common flux
        normalisation fitted analytically). The search runs in whitened coordinates
        and the Jacobian is a forward difference of step ``diff_step`` (whitened
        units) from one batched ``simulator`` call of ``n_params`` spectra.

        A local fit can stop at a stationary point that is not the best fit (e.g. on a
        box face where the spectra depend on ``v_A`` through ``v_A^2``), so up to
        ``n_starts`` fits run per observation, the later ones from starting points
        drawn from ``N(start, validation_std_)`` (the network's reported error); the
        lowest ``chi^2`` is kept, and the restarts stop once ``chi^2`` is within
        3 sigma of its expectation at the true parameters, ``n_values + 3 sqrt(2
        n_values)``.

        Parameters
        ----------
        X : array-like of shape (n, 5, n_bins) or (n, 5 n_bins)
            Observed fluxes, > 0.
        simulator : callable
            ``simulator(theta)`` with ``theta`` of shape (m, n_params) in physical units
            returning fluxes of shape (m, 5, n_bins) or (m, 5 n_bins), > 0, as for
            :meth:`refit_feedback`.
        sigma : float or array-like of shape (5 n_bins,), default=0.1
            Relative (log) error of every flux value.
        free_scale : bool, default=False
            Fit a common flux normalisation (for data in arbitrary units).
        start : array-like of shape (n, n_params) or None, default=None
            Starting points in physical units (e.g. posterior medians); ``None`` uses
            :meth:`predict`. Clipped into the prior box.
        n_starts : int, default=3
            Largest number of local fits per observation, >= 1.
        max_nfev : int, default=50
            Largest number of residual evaluations per local fit (each Jacobian
            costs ``n_params`` more simulator calls).
        diff_step : float, default=1e-4
            Finite-difference step in whitened units (the box is [0, 1]).
        return_chi2 : bool, default=False
            Also return ``chi2`` of shape (n,) at the fits and the simulator calls
            spent per observation, shape (n,).
        random_state : None, int or numpy.random.Generator, default=None
            Seed of the restart points; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        theta : ndarray of shape (n, n_params)
            Best fits in physical units.
        chi2, calls : ndarray of shape (n,)
            Only with ``return_chi2=True``.
        """
        check_is_fitted(self, "whitener_")
        owner = f"{type(self).__name__}.refine"
        check_interval(max_nfev, "max_nfev", owner, kind=int, low=1)
        check_interval(n_starts, "n_starts", owner, kind=int, low=1)
        check_interval(diff_step, "diff_step", owner, low=0, high=0.5, closed="right")
        if not callable(simulator):
            raise TypeError(f"{owner}: simulator must be callable; got {simulator!r}.")
        self._validate_predict_data(X)  # shape, dtype and NaN errors of predict
        array = np.asarray(X, dtype=float)
        inputs = array.reshape(len(array), -1)
        if np.any(inputs <= 0):
            raise ValueError(f"{owner}: X must hold fluxes > 0 (the fit is on ln X).")
        n, p = len(inputs), self.n_outputs_
        sig = _check_sigma(sigma, self.n_features_in_, owner)
        if start is None:
            theta0 = np.asarray(self.predict(inputs), dtype=float).reshape(n, p)
        else:
            theta0 = check_finite(np.asarray(start, dtype=float), "start")
            if theta0.shape != (n, p):
                raise ValueError(
                    f"{owner}: start must have shape (n_observations, n_params) = ({n}, {p});"
                    f" got {theta0.shape}."
                )
        white = self.whitener_

        def whitened_start(theta: np.ndarray) -> np.ndarray:
            """Physical start (m, p) -> strictly inside the whitened box."""
            inside = np.clip(theta, white.low_, white.high_)
            return np.clip(white.transform(inside), 1e-9, 1 - 1e-9)

        def log_simulate(w: np.ndarray) -> np.ndarray:
            theta = white.inverse_transform(np.clip(w, 0.0, 1.0))
            flux = self._simulate(simulator, theta)
            if np.any(flux <= 0):
                raise ValueError(f"{owner}: simulator returned fluxes <= 0.")
            return np.log(flux)

        rng = check_random_state(self.random_state if random_state is None else random_state)
        std = np.asarray(getattr(self, "validation_std_", (white.high_ - white.low_) / 10))
        acceptable = len(sig) + 3.0 * np.sqrt(2.0 * len(sig))
        out, chi2, calls = np.empty((n, p)), np.full(n, np.inf), np.zeros(n, dtype=int)
        for i in tqdm(range(n), desc="refine", disable=self.verbose == 0, leave=False):
            problem = _LogResiduals(np.log(inputs[i]), sig, log_simulate, free_scale, diff_step)
            for k in range(n_starts):
                jitter = 0.0 if k == 0 else std * rng.standard_normal(p)
                w_start = whitened_start((theta0[i] + jitter)[None])[0]
                fit = least_squares(
                    problem.residuals, w_start, jac=problem.jacobian, bounds=(0.0, 1.0),
                    method="trf", x_scale="jac", max_nfev=max_nfev,
                )  # fmt: skip
                value = float(np.sum(fit.fun**2))
                if value < chi2[i]:
                    chi2[i] = value
                    out[i] = white.inverse_transform(np.clip(fit.x, 0.0, 1.0)[None])[0]
                if chi2[i] <= acceptable:
                    break
            calls[i] = problem.calls
        return (out, chi2, calls) if return_chi2 else out
