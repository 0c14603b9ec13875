"""Spectra of Li, Be, B, C, O into network inputs, and parameters into [0, 1].

Tsai, Chung, Yuan & Cheung (2022) feed their CNN eight ratio spectra computed from the
fluxes of Li, Be, B, C and O on 84 log-spaced kinetic energies per nucleon:

    Li/C, Li/O, Be/C, Be/O, B/C, B/O, C/C(110 GeV), O/C(110 GeV)

with the nuisance normalisations (source abundances ``q_C``, ``q_O``, cross-section
scales ``xi_Li``, ``xi_Be``) divided out, and learn the ten propagation parameters
whitened to [0, 1] (log for the break rigidities). This module provides both as
functions and as scikit-learn transformers, plus the relative-noise augmentation of
their "Machine B".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval

__all__ = [
    "FEATURE_NAMES",
    "ParameterWhitener",
    "SpectralRatioFeatures",
    "add_relative_noise",
    "as_spectra",
    "ratio_features",
]

#: The eight ratio channels, in order.
FEATURE_NAMES: tuple[str, ...] = (
    "Li/C",
    "Li/O",
    "Be/C",
    "Be/O",
    "B/C",
    "B/O",
    "C/C(110 GeV)",
    "O/C(110 GeV)",
)
#: (numerator, denominator) element indices in (Li, Be, B, C, O) of the first six channels.
_PAIRS = ((0, 3), (0, 4), (1, 3), (1, 4), (2, 3), (2, 4))
_N_ELEMENTS = 5
_PIVOT_GEV = 110.0


def as_spectra(X: Any, n_bins: int | None = None, name: str = "X") -> np.ndarray:
    """Validate fluxes as an array of shape (n, 5, n_bins), accepting the flat (n, 5 n_bins).

    Parameters
    ----------
    X : array-like of shape (n, 5, n_bins) or (n, 5 * n_bins)
        Fluxes of Li, Be, B, C, O (any common unit), > 0 and finite.
    n_bins : int or None
        Expected number of energy bins; ``None`` accepts any.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    ndarray of shape (n, 5, n_bins), float64

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.preprocessing import as_spectra
    >>> as_spectra(np.ones((2, 420))).shape
    (2, 5, 84)
    """
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a numeric array of fluxes; got {type(X).__name__}."
        ) from exc
    expected = f"(n, 5, {n_bins or 'n_bins'}) or (n, {5 * n_bins if n_bins else '5 * n_bins'})"
    shape = array.shape
    if array.ndim == 2 and array.shape[1] % _N_ELEMENTS == 0 and array.shape[1] > 0:
        array = array.reshape(len(array), _N_ELEMENTS, -1)
    if array.ndim != 3 or array.shape[1] != _N_ELEMENTS or (n_bins and array.shape[2] != n_bins):
        features = f" (n_features = {shape[1]})" if len(shape) == 2 else ""
        raise ValueError(
            f"{name} must hold the fluxes of (Li, Be, B, C, O) with shape {expected}; got an "
            f"array of shape {shape}{features} instead."
        )
    check_finite(array, name)
    if np.any(array <= 0):
        raise ValueError(
            f"{name} must hold fluxes > 0 (ratios and logarithms are taken); found "
            f"{int(np.sum(array <= 0))} entries <= 0."
        )
    return array


def _pivot_weights(energy: np.ndarray, pivot: float) -> tuple[int, int, float]:
    """Return indices and weight of the log-log interpolation of a spectrum at ``pivot``."""
    log_e = np.log(energy)
    if not energy[0] <= pivot <= energy[-1]:
        raise ValueError(
            f"pivot_energy = {pivot} GeV/n lies outside the energy grid "
            f"[{energy[0]:g}, {energy[-1]:g}] GeV/n."
        )
    if len(energy) == 1:  # a one-point grid: the pivot is that point
        return 0, 0, 0.0
    hi = int(np.clip(np.searchsorted(energy, pivot), 1, len(energy) - 1))
    lo = hi - 1
    weight = (np.log(pivot) - log_e[lo]) / (log_e[hi] - log_e[lo])
    return lo, hi, float(weight)


def ratio_features(
    fluxes: Any,
    energy: Any = None,
    *,
    pivot_energy: float = _PIVOT_GEV,
    normalizations: Any = None,
    log: bool = False,
) -> np.ndarray:
    """Compute the eight ratio spectra of Tsai et al. (2022).

    Channels (:data:`FEATURE_NAMES`): Li/C, Li/O, Be/C, Be/O, B/C, B/O bin by bin;
    C/C(E_p) and O/C(E_p): carbon and oxygen divided by the carbon flux at the pivot
    energy ``E_p`` (log-log interpolated).

    Parameters
    ----------
    fluxes : array-like of shape (n, 5, n_E) or (n, 5 n_E)
        Fluxes of Li, Be, B, C, O on ``energy`` (any common unit), > 0.
    energy : array-like of shape (n_E,) or None
        Kinetic energies per nucleon [GeV/n], increasing; default the 84-point grid of
        :func:`crsbi.propagation.galactic.energy_grid`.
    pivot_energy : float, default=110.0
        Pivot ``E_p`` [GeV/n] of the last two channels.
    normalizations : array-like of shape (n, 4) or (4,) or None
        Nuisance normalisations ``(q_C, q_O, xi_Li, xi_Be)`` the fluxes were made with,
        divided out: Li ratios by ``xi_Li``, Be ratios by ``xi_Be``, O/C(E_p) by
        ``q_O / q_C`` (C/C(E_p) is free of ``q_C`` already). ``None`` means all one.
    log : bool, default=False
        Return ``log10`` of the ratios.

    Returns
    -------
    ndarray of shape (n, 8, n_E)
        The ratio spectra (dimensionless).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.preprocessing import ratio_features
    >>> flux = np.ones((1, 5, 84)); flux[:, 2] = 0.3                # B = 0.3 C
    >>> ratio_features(flux)[0, 4, :3]                                # B/C
    array([0.3, 0.3, 0.3])
    """
    from crsbi.propagation.galactic import energy_grid

    flux = as_spectra(fluxes, name="fluxes")
    e = energy_grid(flux.shape[2]) if energy is None else np.asarray(energy, dtype=np.float64)
    if e.shape != (flux.shape[2],) or np.any(np.diff(e) <= 0) or np.any(e <= 0):
        raise ValueError(
            f"energy must be an increasing array of shape (n_E,) = ({flux.shape[2]},) of "
            f"kinetic energies > 0 (GeV/n); got shape {e.shape}."
        )
    check_interval(pivot_energy, "pivot_energy", "ratio_features", low=0, closed="neither")
    log_flux = np.log10(flux)
    out = _log_ratio_features(log_flux, *_pivot_weights(e, pivot_energy))
    if normalizations is not None:
        norm = np.asarray(normalizations, dtype=np.float64)
        norm = np.broadcast_to(norm, (len(flux), 4)) if norm.ndim == 1 else norm
        if norm.shape != (len(flux), 4) or np.any(~np.isfinite(norm)) or np.any(norm <= 0):
            raise ValueError(
                "normalizations must be positive finite (q_C, q_O, xi_Li, xi_Be) of shape (4,) "
                f"or (n, 4) = ({len(flux)}, 4); got {np.shape(normalizations)}."
            )
        log_norm = np.log10(norm)
        out[:, 0:2] -= log_norm[:, 2, None, None]
        out[:, 2:4] -= log_norm[:, 3, None, None]
        out[:, 7] -= (log_norm[:, 1] - log_norm[:, 0])[:, None]
    return out if log else 10.0**out


def _log_ratio_features(log_flux: Any, lo: int, hi: int, weight: float) -> Any:
    """log10 ratios from log10 fluxes (n, 5, n_E); works on NumPy arrays and torch tensors."""
    pivot = (1 - weight) * log_flux[:, 3, lo] + weight * log_flux[:, 3, hi]
    channels = [log_flux[:, a] - log_flux[:, b] for a, b in _PAIRS]
    channels += [log_flux[:, 3] - pivot[:, None], log_flux[:, 4] - pivot[:, None]]
    if isinstance(log_flux, np.ndarray):
        return np.stack(channels, axis=1)
    import torch

    return torch.stack(channels, dim=1)


def add_relative_noise(fluxes: Any, noise: float, random_state: Any = None) -> np.ndarray:
    """Multiply every flux value by ``1 + u`` with ``u ~ Uniform(-noise, noise)``.

    The paper's pseudo-data fluctuations ("up to 5 %" for Machine B), independent in
    every element and energy bin.

    Parameters
    ----------
    fluxes : array-like
        Fluxes, any shape.
    noise : float
        Largest relative fluctuation, in [0, 1).
    random_state : None, int or numpy.random.Generator
        Seed of the fluctuations.

    Returns
    -------
    ndarray
        Fluctuated fluxes, same shape.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.preprocessing import add_relative_noise
    >>> noisy = add_relative_noise(np.ones(1000), 0.05, random_state=0)
    >>> bool(abs(noisy - 1).max() <= 0.05)
    True
    """
    check_interval(noise, "noise", "add_relative_noise", low=0, high=1, closed="left")
    rng = check_random_state(random_state)
    flux = np.asarray(fluxes, dtype=np.float64)
    return flux * (1.0 + noise * rng.uniform(-1.0, 1.0, size=flux.shape))


#: Scikit-learn common checks whose tabular X has no multiple of 5 features.
_SHAPE_CHECKS: tuple[str, ...] = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)
#: Scikit-learn common checks with 5 or 10 features whose positive data (X - X.min()) hold a 0.
_ZERO_CHECKS: tuple[str, ...] = (
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_fit2d_1sample",
)


class SpectralRatioFeatures(TransformerMixin, BaseEstimator):
    """Scikit-learn transformer: fluxes (n, 5 n_E) -> flattened ratio spectra (n, 8 n_E).

    Stateless apart from the shape check (``fit`` only records ``n_features_in_``);
    see :func:`ratio_features` for the channels.

    Parameters
    ----------
    energy : array-like of shape (n_E,) or None
        Energy grid [GeV/n]; default the paper's 84 points.
    pivot_energy : float, default=110.0
        Pivot [GeV/n] of the C and O channels.
    log : bool, default=True
        Output ``log10`` of the ratios (what networks see best).

    Attributes
    ----------
    n_features_in_ : int
        ``5 n_E``.
    n_bins_ : int
        Number of energy bins ``n_E``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.preprocessing import SpectralRatioFeatures
    >>> SpectralRatioFeatures().fit_transform(np.ones((3, 420))).shape
    (3, 672)
    """

    def __init__(self, *, energy: Any = None, pivot_energy: float = _PIVOT_GEV, log: bool = True):
        self.energy = energy
        self.pivot_energy = pivot_energy
        self.log = log

    def fit(self, X: Any, y: Any = None) -> SpectralRatioFeatures:
        """Record the input size.

        Parameters
        ----------
        X : array-like of shape (n, 5, n_E) or (n, 5 n_E)
            Fluxes.
        y : ignored

        Returns
        -------
        self
        """
        flux = as_spectra(self._check_input(X, fitting=True))
        self.n_bins_ = flux.shape[2]
        self.n_features_in_ = 5 * self.n_bins_
        return self

    def _check_input(self, X: Any, *, fitting: bool = False) -> np.ndarray:
        """Check X the scikit-learn way (sparse, complex, empty, NaN, negative input)."""
        array = check_array(X, allow_nd=True, dtype=np.float64)
        if fitting and np.any(array < 0):
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: fluxes must be > 0."
            )
        return array

    def transform(self, X: Any) -> np.ndarray:
        """Ratio spectra, flattened channel by channel.

        Parameters
        ----------
        X : array-like of shape (n, 5, n_E) or (n, 5 n_E)
            Fluxes.

        Returns
        -------
        ndarray of shape (n, 8 n_E)
        """
        check_is_fitted(self, "n_bins_")
        flux = as_spectra(self._check_input(X), self.n_bins_)
        out = ratio_features(flux, self.energy, pivot_energy=self.pivot_energy, log=self.log)
        return out.reshape(len(out), -1)

    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this transformer fails by design, with reasons."""
        shape = (
            "needs fluxes of 5 elements (Li, Be, B, C, O), X of shape (n, 5 n_E) (the paper's "
            "5 x 84): the check's X of 2 to 4 features is rejected"
        )
        zero = (
            "fluxes must be > 0 (log ratios are taken); the check's positive data "
            "X - X.min() hold a 0, which is rejected"
        )
        return {**dict.fromkeys(_SHAPE_CHECKS, shape), **dict.fromkeys(_ZERO_CHECKS, zero)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # fluxes
        tags.input_tags.three_d_array = True
        return tags


class ParameterWhitener(TransformerMixin, BaseEstimator):
    """Map parameters to [0, 1] over their prior box, with log for chosen columns.

    ``w = (g(theta) - g(low)) / (g(high) - g(low))`` with ``g = log10`` for the columns in
    ``log_columns`` and the identity otherwise; :meth:`inverse_transform` undoes it.
    With the galactic conventions the break rigidities are already ``log10(R/MV)``, so
    their linear whitening *is* the paper's log whitening; pass ``log_columns`` when the
    columns hold rigidities in MV.

    Parameters
    ----------
    bounds : array-like of shape (n_params, 2), dict or None, default=None
        ``(low, high)`` per parameter in physical units (for log columns, in linear
        units, > 0). A dict maps names to bounds (ordered as given). ``None`` uses
        :data:`crsbi.propagation.galactic.PRIOR_BOUNDS` when ``y`` has 10 columns, and
        otherwise the range of the fitted data padded by 10 % on each side.
    log_columns : sequence of int or None, default=None
        Columns whitened in ``log10``.
    clip : bool, default=False
        Clip whitened values into [0, 1] (and inverse-transformed ones into the box).

    Attributes
    ----------
    low_, high_ : ndarray of shape (n_params,)
        The box in physical units.
    log_columns_ : ndarray of bool, shape (n_params,)
        Which columns are whitened in log.
    n_features_in_ : int
        Number of parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation.preprocessing import ParameterWhitener
    >>> w = ParameterWhitener(bounds=[[1, 15], [100, 1e4]], log_columns=[1])
    >>> w.fit_transform([[8.0, 1000.0]])
    array([[0.5, 0.5]])
    """

    def __init__(self, *, bounds: Any = None, log_columns: Sequence[int] | None = None,
                 clip: bool = False):  # fmt: skip
        self.bounds = bounds
        self.log_columns = log_columns
        self.clip = clip

    def _check_y(self, y: Any, reset: bool) -> np.ndarray:
        array = check_array(y, dtype=np.float64, ensure_min_samples=1 if reset else 0)
        n = None if reset else self.n_features_in_
        if n is not None and array.shape[1] != n:
            raise ValueError(
                f"X has {array.shape[1]} features, but {type(self).__name__} is expecting {n} "
                f"features as input: parameters must have shape (n_samples, {n})."
            )
        return array

    def fit(self, X: Any, y: Any = None) -> ParameterWhitener:
        """Resolve the box.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_params)
            Parameters in physical units.
        y : ignored

        Returns
        -------
        self
        """
        theta = self._check_y(X, reset=True)
        n_params = theta.shape[1]
        bounds = self.bounds
        if isinstance(bounds, dict):
            bounds = list(bounds.values())
        if bounds is None and n_params == 10:
            from crsbi.propagation.galactic import PRIOR_BOUNDS

            bounds = list(PRIOR_BOUNDS.values())
        log_mask = np.zeros(n_params, dtype=bool)
        if self.log_columns is not None:
            columns = np.asarray(list(self.log_columns), dtype=int)
            if np.any((columns < -n_params) | (columns >= n_params)):
                raise ValueError(
                    f"log_columns must index the {n_params} parameters; got "
                    f"{list(self.log_columns)}."
                )
            log_mask[columns] = True
        self.log_columns_ = log_mask
        if bounds is None:
            g = self._g(theta)
            lo, hi = g.min(axis=0), g.max(axis=0)
            pad = np.where(hi > lo, 0.1 * (hi - lo), 0.1 * np.maximum(1.0, np.abs(lo)))
            lo, hi = lo - pad, hi + pad
            lo[log_mask], hi[log_mask] = 10.0 ** lo[log_mask], 10.0 ** hi[log_mask]
            self.low_, self.high_ = lo, hi
        else:
            box = np.asarray(bounds, dtype=np.float64)
            if box.shape != (n_params, 2) or not np.all(np.isfinite(box)):
                raise ValueError(
                    f"bounds must be finite (low, high) pairs of shape (n_params, 2) = "
                    f"({n_params}, 2); got shape {box.shape}."
                )
            if not np.all(box[:, 0] < box[:, 1]) or np.any(box[log_mask] <= 0):
                raise ValueError(
                    "bounds need low < high for every parameter, and low > 0 for log columns; "
                    f"got {box.tolist()}."
                )
            self.low_, self.high_ = box[:, 0].copy(), box[:, 1].copy()
        self.n_features_in_ = n_params
        return self

    def _g(self, theta: np.ndarray) -> np.ndarray:
        out = theta.copy()
        if self.log_columns_.any():
            logged = theta[:, self.log_columns_]
            if np.any(logged <= 0):
                raise ValueError("Parameters whitened in log (log_columns) must be > 0.")
            out[:, self.log_columns_] = np.log10(logged)
        return out

    def _box(self) -> tuple[np.ndarray, np.ndarray]:
        lo = self._g(self.low_[None])[0]
        hi = self._g(self.high_[None])[0]
        return lo, hi

    def transform(self, X: Any) -> np.ndarray:
        """Whiten parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_params)
            Physical parameters.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            Whitened values, in [0, 1] inside the box.
        """
        check_is_fitted(self, "low_")
        theta = self._check_y(X, reset=False)
        lo, hi = self._box()
        out = (self._g(theta) - lo) / (hi - lo)
        return np.clip(out, 0.0, 1.0) if self.clip else out

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Physical parameters from whitened ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_params)
            Whitened values.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            Parameters in physical units.
        """
        check_is_fitted(self, "low_")
        w = self._check_y(X, reset=False)
        if self.clip:
            w = np.clip(w, 0.0, 1.0)
        lo, hi = self._box()
        g = lo + w * (hi - lo)
        x = np.where(self.log_columns_, 10.0**g, g)
        # whitened values inside [0, 1] map inside the box (10**log10(high) can round past it)
        inside = (w >= 0.0) & (w <= 1.0)
        return np.where(inside, np.clip(x, self.low_, self.high_), x)
