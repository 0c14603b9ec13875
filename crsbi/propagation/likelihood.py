"""Chi-square and Gaussian likelihood of the Galactic propagation model against measured spectra.

A model (:class:`~crsbi.propagation.galactic.GalacticSpectra`) is evaluated at each
measured point on the measurement's own axis (rigidity [GV] or kinetic energy per
nucleon [GeV/n]), force-field modulated with ``phi`` unless the measurement is
interstellar (Voyager 1), and compared with independent Gaussian errors
``sigma = sqrt(stat^2 + sys^2)`` (no bin-to-bin correlation of systematics):

``chi2 = sum_i ((y_i - m_i) / sigma_i)^2``,
``log L = -chi2 / 2 - sum_i log(sqrt(2 pi) sigma_i)``.

Systematic errors of a spectrometer are correlated between neighbouring bins (acceptance,
rigidity scale, cross sections of the detector material). With
``sys_correlation_length=l`` (decades of the measurement's axis) :class:`SpectraLikelihood`
uses the covariance ``C_ij = stat_i^2 delta_ij + sys_i sys_j exp(-(log10 x_i - log10 x_j)^2
/ (2 l^2))`` within each measurement (measurements stay independent of each other), in the
spirit of Derome et al. (2019) and Heisig, Korsmeier & Winkler (2020):
``chi2 = r^T C^-1 r``, ``log L = -chi2 / 2 - log det(2 pi C) / 2``.

:class:`SpectraLikelihood` wraps the simulator into ``log_likelihood(theta, x)`` for
:class:`crsbi.inference.mcmc.MCMCPosterior` and for optimisers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.linalg import block_diag, solve_triangular

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval
from crsbi.propagation import _solver
from crsbi.propagation.data import Measurement
from crsbi.propagation.galactic import (
    BREAK_BOUNDS,
    GalacticSpectra,
    energy_grid,
    param_names,
    prior_bounds,
    simulate_galactic,
)

__all__ = [
    "NUISANCE_BOUNDS",
    "SpectraLikelihood",
    "check_observable_range",
    "chi2",
    "gaussian_log_likelihood",
    "predict_measurement",
    "predict_observable",
]

#: Allowed free nuisance parameters of :class:`SpectraLikelihood` and their boxes.
NUISANCE_BOUNDS: dict[str, tuple[float, float]] = {
    "phi": (0.0, 1.5),
    "q_C": (0.3, 3.0),
    "q_O": (0.3, 3.0),
    "xi_Li": (0.5, 2.0),
    "xi_Be": (0.5, 2.0),
    # high-rigidity diffusion break (simulate_galactic's break_* keywords; the boxes of
    # model="break"); the smoothness is fixed (0.05) unless freed here
    **BREAK_BOUNDS,
    "break_smoothness": (0.01, 0.5),
    # low-rigidity break (simulate_galactic's low_break_* keywords): R_l around the few-GV
    # hint of Genolini et al. (2019), delta_l the slope of D_xx below it
    "low_break_rigidity": (1.0, 30.0),
    "low_break_slope": (-2.0, 1.0),
    "low_break_smoothness": (0.01, 0.5),
}


def _check_energy_range(measurement: Measurement, phi_max: float) -> None:
    """Raise if a measurement needs the model outside the simulator's energy grid."""
    check_observable_range(
        measurement.quantity,
        measurement.x,
        measurement.axis,
        modulated=measurement.modulated,
        phi_max=phi_max,
        label=f"measurement {measurement.quantity!r} ({measurement.experiment})",
    )


def check_observable_range(
    quantity: str,
    x: Any,
    axis: str,
    *,
    modulated: bool = True,
    phi_max: float = 0.0,
    label: str | None = None,
) -> np.ndarray:
    """Validate an observable of the simulator and the points it is asked at.

    Parameters
    ----------
    quantity : str
        Element flux (``"B"``) or ratio of two elements (``"B/C"``) of the elements the
        simulator follows (Li, Be, B, C, N, O).
    x : array-like of shape (n,)
        Rigidities [GV] or kinetic energies per nucleon [GeV/n], finite and > 0.
    axis : {"rigidity", "energy"}
        Meaning of ``x``.
    modulated : bool, default=True
        Whether the points are seen through solar modulation (shifted up by ``Z phi / A``).
    phi_max : float, default=0.0
        Largest force-field potential [GV] the points will be modulated with.
    label : str or None
        Name of the observable in the error message.

    Returns
    -------
    ndarray of shape (n,)
        ``x`` as a float array.

    Raises
    ------
    ValueError
        If the quantity names other elements, the axis is unknown, ``x`` is not a finite
        positive 1-D array, or the interstellar energies the points need lie outside the
        simulator's grid (1e-3 - 1.1e5 GeV/n).

    Examples
    --------
    >>> check_observable_range("B/C", [10.0, 1000.0], "rigidity", phi_max=1.5).shape
    (2,)
    """
    label = label or f"observable {quantity!r}"
    if axis not in ("rigidity", "energy"):
        raise ValueError(f"axis must be 'rigidity' or 'energy'; got {axis!r}.")
    names = str(quantity).split("/")
    unknown = [el for el in names if el not in _solver.ELEMENT_Z]
    if unknown or len(names) > 2:
        raise ValueError(
            f"{label} names elements {unknown or names} the simulator does not follow; "
            f"expected a flux or a ratio of two of {tuple(_solver.ELEMENT_Z)}."
        )
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError(
            f"{label}: x must be a non-empty 1-D array of finite values > 0 "
            f"({'GV' if axis == 'rigidity' else 'GeV/n'}); got shape {x.shape}."
        )
    grid = energy_grid()
    low, high = float(grid[0]), float(grid[-1])
    t_min, t_max = np.inf, -np.inf
    for _, z, a in _solver.ISOTOPES:
        if z not in [_solver.ELEMENT_Z[el] for el in names]:
            continue
        if axis == "rigidity":
            t = np.sqrt((x * z / a) ** 2 + _solver.M_NUCLEON**2) - _solver.M_NUCLEON
        else:
            t = x
        shift = z * phi_max / a if modulated else 0.0
        t_min, t_max = min(t_min, float(t.min())), max(t_max, float(t.max()) + shift)
    if t_min < low or t_max > high:
        unit = "GV" if axis == "rigidity" else "GeV/n"
        raise ValueError(
            f"{label} spans {float(x.min()):.4g}-{float(x.max()):.4g} {unit}, i.e. "
            f"interstellar kinetic energies {t_min:.4g}-{t_max:.4g} GeV/n, outside the "
            f"simulator's grid {low:.4g}-{high:.4g} GeV/n; drop the points outside it."
        )
    return x


def predict_observable(
    spectra: GalacticSpectra,
    quantity: str,
    x: Any,
    axis: str = "rigidity",
    phi: float | None = None,
) -> np.ndarray:
    """Model flux or ratio of simulated spectra at any rigidities or energies.

    Parameters
    ----------
    spectra : GalacticSpectra
        Simulated spectra (the local interstellar spectra are used).
    quantity : str
        Element (``"B"``, flux [per (m^2 s sr GV)] on the rigidity axis, [per (m^2 s sr
        GeV/n)] on the energy axis) or ratio (``"B/C"``, ``"Li/C"``).
    x : array-like of shape (n,)
        Rigidities [GV] or kinetic energies per nucleon [GeV/n] where it is observed.
    axis : {"rigidity", "energy"}, default="rigidity"
        Meaning of ``x``.
    phi : float or None
        Force-field potential [GV]; ``None`` uses ``spectra.phi``, 0 gives the local
        interstellar value.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> from crsbi.propagation.galactic import simulate_galactic
    >>> s = simulate_galactic([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
    >>> predict_observable(s, "Li/C", [10.0, 100.0], phi=0.0).shape
    (2,)
    """
    phi = spectra.phi if phi is None else float(phi)
    if axis == "rigidity":

        def flux(el: str) -> np.ndarray:
            return spectra.flux_at_rigidity(x, el, phi)

    elif axis == "energy":

        def flux(el: str) -> np.ndarray:
            return spectra.flux_at(x, el, phi)

    else:
        raise ValueError(f"axis must be 'rigidity' or 'energy'; got {axis!r}.")
    if "/" in quantity:
        num, den = quantity.split("/")
        with np.errstate(divide="ignore", invalid="ignore"):
            return flux(num) / flux(den)
    return flux(quantity)


def predict_measurement(
    spectra: GalacticSpectra, measurement: Measurement, phi: float | None = None
) -> np.ndarray:
    """Model values at the measured points.

    Parameters
    ----------
    spectra : GalacticSpectra
        Simulated spectra (the local interstellar spectra are used).
    measurement : Measurement
        Data: element flux or ratio versus rigidity or kinetic energy per nucleon.
    phi : float or None
        Force-field potential [GV]; ``None`` uses ``spectra.phi``. Ignored (0) when
        ``measurement.modulated`` is False.

    Returns
    -------
    ndarray of shape (n,)
        Model flux [same units as ``measurement.y``] or ratio.

    Examples
    --------
    >>> from crsbi.propagation.galactic import simulate_galactic
    >>> from crsbi.propagation.data import Measurement
    >>> s = simulate_galactic([5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5])
    >>> m = Measurement("B/C", "rigidity", np.array([10.0]), np.array([0.2]),
    ...                 np.array([0.01]), np.array([0.0]), "toy", "")
    >>> predict_measurement(s, m, phi=0.7).shape
    (1,)
    """
    phi = spectra.phi if phi is None else float(phi)
    if not measurement.modulated:
        phi = 0.0
    return predict_observable(spectra, measurement.quantity, measurement.x, measurement.axis, phi)


def _check_pair(model: Any, measurement: Measurement) -> np.ndarray:
    model = np.asarray(model, dtype=float)
    if model.shape != measurement.y.shape:
        raise ValueError(
            f"model must have the shape of measurement.y {measurement.y.shape}; got {model.shape}."
        )
    if np.any(measurement.error <= 0):
        raise ValueError("measurement errors must be > 0 at every point.")
    return model


def chi2(model: Any, measurement: Measurement) -> float:
    """Chi-square ``sum((y - model)^2 / (stat^2 + sys^2))``.

    Parameters
    ----------
    model : array-like of shape (n,)
        Model values at the measured points.
    measurement : Measurement
        Data with errors.

    Returns
    -------
    float
        Chi-square (``inf`` when the model is not finite).

    Examples
    --------
    >>> from crsbi.propagation.data import Measurement
    >>> m = Measurement("C", "energy", np.array([1.0, 2.0]), np.array([1.0, 2.0]),
    ...                 np.array([0.1, 0.3]), np.array([0.0, 0.4]), "toy", "")
    >>> round(chi2([1.1, 2.5], m), 9)
    2.0
    """
    model = _check_pair(model, measurement)
    if not np.all(np.isfinite(model)):
        return float("inf")
    return float(np.sum(((measurement.y - model) / measurement.error) ** 2))


def gaussian_log_likelihood(model: Any, measurement: Measurement) -> float:
    """Gaussian log-likelihood ``-chi2/2 - sum(log(sqrt(2 pi) sigma))``.

    Parameters
    ----------
    model : array-like of shape (n,)
        Model values at the measured points.
    measurement : Measurement
        Data with errors.

    Returns
    -------
    float

    Examples
    --------
    >>> from crsbi.propagation.data import Measurement
    >>> m = Measurement("C", "energy", np.array([1.0]), np.array([1.0]),
    ...                 np.array([1.0]), np.array([0.0]), "toy", "")
    >>> round(gaussian_log_likelihood([1.0], m), 6)
    -0.918939
    """
    value = chi2(model, measurement)
    return -0.5 * value - float(np.sum(np.log(np.sqrt(2 * np.pi) * measurement.error)))


class SpectraLikelihood:
    """Log-likelihood of the galactic parameters (plus optional nuisances) given data.

    Parameters
    ----------
    measurements : sequence of Measurement
        Data sets, combined as independent. Every point must lie inside the simulator's
        energy grid (1e-3 - 1.1e5 GeV/n after modulation).
    model : {"paper", "break"}, default="paper"
        Parameters at the head of theta (:func:`~crsbi.propagation.param_names`): the 10
        of the paper, or 12 with the high-rigidity diffusion break (``break_rigidity``,
        ``break_delta``) and its prior box.
    phi : float, default=0.7
        Force-field potential [GV] when ``"phi"`` is not free.
    free : sequence of str, default=()
        Nuisance parameters appended to theta after the model's parameters, from
        :data:`NUISANCE_BOUNDS` (``phi``, ``q_C``, ``q_O``, ``xi_Li``, ``xi_Be``, and the
        diffusion break ``break_rigidity``, ``break_delta``, ``break_smoothness``, the
        low-rigidity break ``low_break_rigidity``, ``low_break_slope``,
        ``low_break_smoothness``; with
        ``model="paper"`` freeing ``break_rigidity`` and ``break_delta`` here is the same
        fit with the parameters in a different order).
    sys_correlation_length : float or None, default=None
        Correlation length [decades of rigidity or energy] of the systematic errors
        within a measurement (Gaussian kernel in ``log10 x``), > 0; ``None`` treats
        every point as independent with ``sigma = sqrt(stat^2 + sys^2)``.
    **config
        Fixed simulator configuration (see :func:`simulate_galactic`).

    Attributes
    ----------
    names : tuple of str
        Parameter names of theta.
    low, high : ndarray of shape (n_params,)
        Prior box.
    observed : ndarray of shape (n_points,)
        All measured values, concatenated (the ``x`` for :class:`MCMCPosterior`).
    error : ndarray of shape (n_points,)
        ``sqrt(stat^2 + sys^2)`` of every point.
    covariance : ndarray of shape (n_points, n_points)
        The error covariance (diagonal ``error^2`` without a correlation length).

    Examples
    --------
    >>> from crsbi.propagation.data import Measurement
    >>> m = Measurement("B/C", "rigidity", np.array([10.0, 100.0]), np.array([0.2, 0.08]),
    ...                 np.array([0.01, 0.005]), np.array([0.0, 0.0]), "toy", "")
    >>> like = SpectraLikelihood([m], phi=0.7)
    >>> theta = [5.0, 0.45, 1.0, 20.0, 5.0, 1.5, 2.35, 2.2, 3.5, 5.5]
    >>> bool(np.isfinite(like(theta, like.observed)))
    True
    """

    def __init__(
        self,
        measurements: Sequence[Measurement],
        *,
        model: str = "paper",
        phi: float = 0.7,
        free: Sequence[str] = (),
        sys_correlation_length: float | None = None,
        **config: Any,
    ) -> None:
        measurements = list(measurements)
        if not measurements or not all(isinstance(m, Measurement) for m in measurements):
            raise TypeError("measurements must be a non-empty sequence of Measurement objects.")
        base = param_names(model)
        unknown = [name for name in free if name not in NUISANCE_BOUNDS]
        if unknown:
            raise ValueError(
                f"free must contain names from {tuple(NUISANCE_BOUNDS)}; got {unknown}."
            )
        twice = [name for name in free if name in base]
        if twice:
            raise ValueError(
                f"{twice} are already parameters of model={model!r}; remove them from free."
            )
        shape = [n for n in ("break_delta", "break_smoothness") if n in free]
        has_break = "break_rigidity" in free or "break_rigidity" in base
        if shape and not has_break and config.get("break_rigidity") is None:
            raise ValueError(
                f"{shape} free needs a diffusion break: free 'break_rigidity' too or fix it "
                "in config (break_rigidity=... [GV])."
            )
        low_shape = [n for n in ("low_break_slope", "low_break_smoothness") if n in free]
        if (
            low_shape
            and "low_break_rigidity" not in free
            and config.get("low_break_rigidity") is None
        ):
            raise ValueError(
                f"{low_shape} free needs a low-rigidity break: free 'low_break_rigidity' too or "
                "fix it in config (low_break_rigidity=... [GV])."
            )
        overlap = [name for name in (*free, *base) if name in config]
        if overlap:
            raise ValueError(f"{overlap} cannot be both parameters and fixed in config.")
        if not np.isfinite(phi) or phi < 0:
            raise ValueError(f"phi must be a finite potential >= 0 [GV]; got {phi!r}.")
        phi_max = NUISANCE_BOUNDS["phi"][1] if "phi" in free else float(phi)
        for m in measurements:
            _check_energy_range(m, phi_max)
        self.measurements = measurements
        self.model = model
        self.phi = float(phi)
        self.free = tuple(free)
        self.config = dict(config)
        self.names = base + self.free
        box = prior_bounds(model)
        bounds = [box[n] for n in base] + [NUISANCE_BOUNDS[n] for n in free]
        self.low = np.array([b[0] for b in bounds])
        self.high = np.array([b[1] for b in bounds])
        self.observed = np.concatenate([m.y for m in measurements])
        self.error = np.concatenate([m.error for m in measurements])
        if np.any(self.error <= 0):
            raise ValueError("every measurement error must be > 0.")
        length = sys_correlation_length
        if length is not None and not (np.isfinite(length) and length > 0):
            raise ValueError(
                f"sys_correlation_length must be None or a finite length > 0 [decades]; "
                f"got {length!r}."
            )
        self.sys_correlation_length = length
        self.covariance = self._covariance()
        # a tiny ridge keeps the factorisation stable where stat << sys over long lengths
        ridge = 1e-10 * np.diag(self.error**2)
        self._cholesky = np.linalg.cholesky(self.covariance + ridge) if length else None
        self._log_det = (
            2.0 * float(np.sum(np.log(np.diag(self._cholesky))))
            if length
            else 2.0 * float(np.sum(np.log(self.error)))
        )

    def _covariance(self) -> np.ndarray:
        if self.sys_correlation_length is None:
            return np.diag(self.error**2)
        blocks = []
        for m in self.measurements:
            lx = np.log10(m.x)
            kernel = np.exp(-0.5 * ((lx[:, None] - lx[None, :]) / self.sys_correlation_length) ** 2)
            blocks.append(np.diag(m.stat**2) + np.outer(m.sys, m.sys) * kernel)
        return block_diag(*blocks)

    def sample_noise(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        """Draws of the measurement error, shape (n_samples, n_points), from ``covariance``.

        ``model + sample_noise(n)`` simulates data sets exactly as the likelihood
        describes them (e.g. the training set of a neural posterior).

        Parameters
        ----------
        n_samples : int
            Number of draws, >= 1.
        random_state : None, int or numpy.random.Generator
            Source of the draws.

        Returns
        -------
        ndarray of shape (n_samples, n_points)
        """
        check_interval(n_samples, "n_samples", "sample_noise", kind=int, low=1)
        z = check_random_state(random_state).standard_normal((n_samples, len(self.error)))
        if self._cholesky is None:
            return z * self.error
        return z @ self._cholesky.T

    def _split(self, theta: Any) -> tuple[np.ndarray, float, dict[str, float]]:
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (len(self.names),):
            raise ValueError(
                f"theta must have shape ({len(self.names)},) for parameters {self.names}; "
                f"got {theta.shape}."
            )
        n_base = len(self.names) - len(self.free)
        extra = dict(zip(self.free, theta[n_base:], strict=True))
        phi = extra.pop("phi", self.phi)
        return theta[:n_base], phi, extra

    def simulate(self, theta: Any) -> GalacticSpectra:
        """Simulate the spectra at theta (fixed configuration and nuisances applied).

        Parameters
        ----------
        theta : array-like of shape (n_params,)
            Parameters in :attr:`names` order.

        Returns
        -------
        GalacticSpectra
            With ``phi`` the draw's force-field potential (free or fixed).
        """
        params, phi, extra = self._split(theta)
        return simulate_galactic(params, model=self.model, phi=phi, **self.config, **extra)

    def predict(self, theta: Any) -> np.ndarray:
        """Model values at all measured points, concatenated, shape (n_points,)."""
        spectra = self.simulate(theta)
        return np.concatenate([predict_measurement(spectra, m) for m in self.measurements])

    def chi2(self, theta: Any, x: Any = None) -> float:
        """Chi-square of theta against ``x`` (default: the measured values); inf outside the box."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape == (len(self.names),) and not np.all(
            (theta >= self.low) & (theta <= self.high)
        ):
            return float("inf")
        observed = self.observed if x is None else np.asarray(x, dtype=float)
        if observed.shape != self.observed.shape:
            raise ValueError(
                f"x must have shape {self.observed.shape} (the concatenated measurements); "
                f"got {observed.shape}."
            )
        model = self.predict(theta)
        if not np.all(np.isfinite(model)):
            return float("inf")
        if self._cholesky is None:
            return float(np.sum(((observed - model) / self.error) ** 2))
        z = solve_triangular(self._cholesky, observed - model, lower=True)
        return float(z @ z)

    def __call__(self, theta: Any, x: Any = None) -> float:
        """Gaussian log-likelihood ``log L(x | theta)``; ``-inf`` outside the prior box."""
        value = self.chi2(theta, x)
        return -0.5 * (value + self._log_det + len(self.error) * np.log(2 * np.pi))
