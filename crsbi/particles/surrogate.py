"""DiffusionSurrogate: a neural emulator of test-particle diffusion coefficients (Palade 2023).

A network maps particle and turbulence parameters, e.g. ``(T, b, lambda_perp)``
(kinetic energy in mc^2, turbulence level in B0, perpendicular correlation length in
bare Larmor radii), to diffusion coefficients (D_perp, optionally D_par, in
rho_L0^2 omega_c) learned from simulations. Coefficients span decades, so the target
is learned in log space (``asinh`` when exact zeros, the analytic ``b = 0`` points,
are in the data). ``n_estimators > 1`` trains a deep ensemble whose spread is
returned by ``predict(X, return_std=True)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from crsbi.core.neural import NeuralRegressor
from crsbi.core.persistence import PersistenceMixin
from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval, check_option

__all__ = ["DiffusionSurrogate", "ExtrapolationWarning", "SurrogateSimulator", "relative_error"]


class ExtrapolationWarning(UserWarning):
    """A surrogate was asked for inputs outside the box it was trained on.

    Raised (as a warning) by :meth:`DiffusionSurrogate.predict` when
    ``extrapolate=True``; with ``extrapolate=False`` the same rows raise a
    :class:`ValueError` instead. Filter it like any other warning.

    Examples
    --------
    >>> import warnings
    >>> from crsbi.particles import ExtrapolationWarning
    >>> issubclass(ExtrapolationWarning, UserWarning)
    True
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ExtrapolationWarning)
    ...     try:
    ...         warnings.warn("outside the box", ExtrapolationWarning)
    ...     except ExtrapolationWarning as err:
    ...         print(err)
    outside the box
    """


_FLOATS = [np.float64, np.float32]
_TRANSFORMS = ("auto", "log", "asinh", "none")
#: Fraction of the training box's width (in the input scale, log for ``log_features``)
#: beyond each edge within which :meth:`DiffusionSurrogate.predict` does not warn.
BOX_MARGIN = 0.02


def relative_error(y_true: Any, y_pred: Any) -> float:
    """Root second moment of the relative error, ``sqrt(mean(((pred - true) / true)^2))``.

    This is the figure Palade (2023) quotes (~5 %): the width of the histogram of
    relative errors on a hold-out set. Samples with ``y_true == 0`` (exact analytic
    points) have no relative error and are left out.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True and predicted coefficients.

    Returns
    -------
    float
        The relative error (0.05 means 5 %), pooled over outputs.

    Examples
    --------
    >>> from crsbi.particles.surrogate import relative_error
    >>> round(relative_error([1.0, 2.0, 0.0], [1.1, 1.8, 0.3]), 4)
    0.1
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and {y_pred.shape}."
        )
    keep = y_true != 0
    if not keep.any():
        raise ValueError("relative_error needs at least one non-zero y_true.")
    ratio = (y_pred[keep] - y_true[keep]) / y_true[keep]
    return float(np.sqrt(np.mean(ratio**2)))


class DiffusionSurrogate(PersistenceMixin, RegressorMixin, BaseEstimator):
    """Neural surrogate of diffusion coefficients, optionally a deep ensemble.

    Inputs are standardised internally (after ``log10`` of the columns named in
    ``log_features``); targets are transformed by ``target_transform``; each member
    of the ensemble is a :class:`crsbi.core.neural.NeuralRegressor` trained with its own
    seed on the shared training core.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(64, 64)
        Hidden layer widths (Palade 2023 used two hidden layers).
    activation : str, default="tanh"
        Hidden activation (the paper's choice).
    n_estimators : int, default=1
        Ensemble size; > 1 enables ``predict(X, return_std=True)``.
    target_transform : {"auto", "log", "asinh", "none"}, default="auto"
        ``"log"`` learns ``log(y)`` (all targets must be > 0); ``"asinh"`` learns
        ``asinh(y / s)`` with ``s`` the median non-zero ``|y|`` (log-like for large
        ``|y|``, linear through 0, so exact zeros are allowed); ``"auto"`` picks
        ``"log"`` when every target is positive and ``"asinh"`` otherwise.
    log_features : sequence of int or None, default=None
        Input columns that are positive and span decades (e.g. ``lambda_perp``),
        taken as ``log10`` before standardisation.
    target_prefactor : tuple (int, float) or None, default=None
        ``(column, power)``: learn ``y / X[:, column] ** power`` and multiply it back,
        e.g. ``(1, 2)`` for the quasi-linear ``D_perp ~ b^2`` scaling. Rows where the
        prefactor vanishes (exact ``b = 0`` points) must have ``y = 0``; they are then
        reproduced exactly and need no fitting, so the log transform stays usable.
    extrapolate : bool, default=True
        What :meth:`predict` does with inputs outside the training box (the per-column
        minimum and maximum of ``X`` in ``fit``, stored as ``data_min_`` and
        ``data_max_``, widened by 2 % of its width, :data:`BOX_MARGIN`, on each side
        in the input scale): ``True`` predicts them with an :class:`ExtrapolationWarning`
        naming the columns and the box, ``False`` raises a ``ValueError``. A network
        extrapolates without any guarantee; outside the box its error is unknown.
    lr, weight_decay, batch_size, max_epochs, validation_fraction, patience, \
device, verbose
        Training parameters of every member, see :class:`crsbi.core.base.BaseNeuralEstimator`.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the members (each gets its own derived seed).

    Attributes
    ----------
    estimators_ : list of NeuralRegressor
        The trained members.
    n_features_in_ : int
        Number of input parameters.
    n_outputs_ : int
        Number of predicted coefficients.
    target_transform_ : str
        The transform used (``"auto"`` resolved).
    target_scale_ : float
        ``s`` of the ``asinh`` transform (1.0 otherwise).
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        Input standardisation (after the log of ``log_features``).
    data_min_, data_max_ : ndarray of shape (n_features,)
        The training box: per-column minimum and maximum of ``X`` seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.surrogate import DiffusionSurrogate
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform([0.1, 0.1, 0.2], [10, 1, 20], size=(500, 3))  # T, b, lambda_perp
    >>> y = X[:, 1] ** 2 * X[:, 2] * np.sqrt(X[:, 0])                  # a toy D_perp
    >>> model = DiffusionSurrogate(log_features=[0, 1, 2], max_epochs=200, lr=3e-3,
    ...                            random_state=0, verbose=0).fit(X, y)
    >>> bool(model.relative_error(X, y) < 0.1)
    True
    """

    def __init__(
        self,
        *,
        hidden_sizes: tuple[int, ...] = (64, 64),
        activation: str = "tanh",
        n_estimators: int = 1,
        target_transform: str = "auto",
        log_features: Sequence[int] | None = None,
        target_prefactor: tuple[int, float] | None = None,
        extrapolate: bool = True,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 64,
        max_epochs: int = 500,
        validation_fraction: float = 0.1,
        patience: int | None = 30,
        device: str = "auto",
        random_state: Any = None,
        verbose: int = 1,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.n_estimators = n_estimators
        self.target_transform = target_transform
        self.log_features = log_features
        self.target_prefactor = target_prefactor
        self.extrapolate = extrapolate
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ transforms
    def _log_columns(self, n_features: int) -> list[int]:
        if self.log_features is None:
            return []
        columns = [int(c) for c in self.log_features]
        bad = [c for c in columns if not -n_features <= c < n_features]
        if bad:
            raise ValueError(f"log_features must index the {n_features} input columns; got {bad}.")
        return sorted({c % n_features for c in columns})

    def _features(self, X: np.ndarray) -> np.ndarray:
        Z = np.array(X, dtype=np.float64)
        if self._log_columns_:
            logged = Z[:, self._log_columns_]
            if np.any(logged <= 0):
                raise ValueError(
                    f"Columns {self._log_columns_} of X are in log_features and must be > 0; "
                    f"found min {logged.min():g}."
                )
            Z[:, self._log_columns_] = np.log10(logged)
        return Z

    def _prefactor(self, X: np.ndarray) -> np.ndarray:
        if self.target_prefactor is None:
            return np.ones(len(X))
        try:
            column, power = self.target_prefactor
            column, power = int(column), float(power)
        except (TypeError, ValueError):
            raise ValueError(
                "target_prefactor must be None or a (column, power) pair. "
                f"Got {self.target_prefactor!r} instead."
            ) from None
        if not -X.shape[1] <= column < X.shape[1]:
            raise ValueError(
                f"target_prefactor's column must index the {X.shape[1]} inputs; got {column}."
            )
        values = X[:, column]
        if np.any(values < 0):
            raise ValueError(f"Column {column} of X (target_prefactor) must be >= 0.")
        return values**power

    def _forward_target(self, y: np.ndarray) -> np.ndarray:
        if self.target_transform_ == "log":
            return np.log(y)
        if self.target_transform_ == "asinh":
            return np.arcsinh(y / self.target_scale_)
        return y

    def _inverse_target(self, z: np.ndarray) -> np.ndarray:
        if self.target_transform_ == "log":
            return np.exp(z)
        if self.target_transform_ == "asinh":
            return np.sinh(z) * self.target_scale_
        return z

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> DiffusionSurrogate:
        """Train the surrogate on simulated coefficients.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Simulation parameters, e.g. columns ``(T, b, lambda_perp)``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Diffusion coefficients (e.g. D_perp, or D_perp and D_par), >= 0 for the
            log-type transforms.

        Returns
        -------
        self
            The fitted surrogate.
        """
        owner = type(self).__name__
        check_interval(self.n_estimators, "n_estimators", owner, kind=int, low=1)
        check_option(self.target_transform, "target_transform", owner, _TRANSFORMS)
        if not isinstance(self.extrapolate, (bool, np.bool_)):
            raise ValueError(
                f"The 'extrapolate' parameter of {owner} must be True (warn) or False (raise). "
                f"Got {self.extrapolate!r} instead."
            )
        X, y = validate_data(
            self, X, y, dtype=_FLOATS, multi_output=True, y_numeric=True, ensure_min_samples=2
        )
        self.data_min_ = X.min(axis=0).astype(np.float64)
        self.data_max_ = X.max(axis=0).astype(np.float64)
        y = np.asarray(y, dtype=np.float64)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        prefactor = self._prefactor(X)
        vanishing = prefactor == 0
        if np.any(y2[vanishing] != 0):
            raise ValueError(
                f"target_prefactor={self.target_prefactor} vanishes on {int(vanishing.sum())} "
                "rows, where y must then be 0; found non-zero targets there."
            )
        X, y2 = X[~vanishing], y2[~vanishing] / prefactor[~vanishing, None]
        if len(X) < 2:
            raise ValueError("Fewer than 2 rows remain where target_prefactor is non-zero.")
        transform = self.target_transform
        if transform == "auto":
            transform = "log" if np.all(y2 > 0) else "asinh"
        if transform == "log" and np.any(y2 <= 0):
            raise ValueError(
                "target_transform='log' needs every target > 0; found "
                f"{int(np.sum(y2 <= 0))} targets <= 0. Use 'asinh' for data with exact zeros."
            )
        self.target_transform_ = transform
        nonzero = np.abs(y2[y2 != 0])
        use_scale = transform == "asinh" and len(nonzero) > 0
        self.target_scale_ = float(np.median(nonzero)) if use_scale else 1.0
        self._log_columns_ = self._log_columns(X.shape[1])
        Z = self._features(X)
        self.feature_mean_ = Z.mean(axis=0)
        scale = Z.std(axis=0)
        self.feature_scale_ = np.where(scale > 0, scale, 1.0)
        Z = (Z - self.feature_mean_) / self.feature_scale_
        target = self._forward_target(y2)
        rng = check_random_state(self.random_state)
        seeds = rng.integers(0, 2**31 - 1, size=self.n_estimators)
        self.estimators_ = [
            NeuralRegressor(
                module_kwargs={
                    "hidden_sizes": tuple(self.hidden_sizes),
                    "activation": self.activation,
                },
                lr=self.lr,
                weight_decay=self.weight_decay,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                validation_fraction=self.validation_fraction,
                patience=self.patience,
                device=self.device,
                random_state=int(seed),
                verbose=self.verbose,
            ).fit(Z, target)
            for seed in seeds
        ]
        return self

    # -------------------------------------------------------------- predict
    def predict(self, X: Any, return_std: bool = False, *, precision: str = "float64") -> Any:
        """Predict diffusion coefficients.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Parameters, same columns as in ``fit``.
        return_std : bool, default=False
            Also return the standard deviation across the ensemble members
            (zeros for ``n_estimators=1``), in the units of ``y``.
        precision : {"float64", "float32"}, default="float64"
            Arithmetic of the networks. ``"float32"`` is the throughput path (about twice
            as fast on the CPU: >= 1e6 predictions/s for the 5-member ensemble of the
            paper's size on 2 cores, ``benchmarks/particles/bench_surrogate.py``); its
            results move by ~1e-6 relative with the batch and the CPU, far below the
            surrogate's ~5 % error. ``"float64"`` results do not depend on the batch.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Ensemble mean of the members' predictions, in the units of ``y``.
        y_std : ndarray, same shape
            Only when ``return_std`` is true.
        """
        check_is_fitted(self, "estimators_")
        check_option(precision, "precision", type(self).__name__, ("float64", "float32"))
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        self._check_box(X)
        Z = (self._features(X) - self.feature_mean_) / self.feature_scale_
        prefactor = self._prefactor(X)[None, :, None]
        members = prefactor * np.stack(
            [
                self._inverse_target(est.predict(Z, precision=precision).reshape(len(Z), -1))
                for est in self.estimators_
            ]
        )
        mean = members.mean(axis=0)
        std = members.std(axis=0)
        if self._y_1d:
            mean, std = mean[:, 0], std[:, 0]
        return (mean, std) if return_std else mean

    def _check_box(self, X: np.ndarray) -> None:
        """Warn (or raise, ``extrapolate=False``) on rows outside the training box.

        The box is compared in the network's input scale (``log10`` of ``log_features``)
        and widened by :data:`BOX_MARGIN` of its width on each side, so that hold-out
        rows drawn from the same prior as the training rows do not warn at the edges.
        """
        edges = self._features(np.array([self.data_min_, self.data_max_]))
        slack = BOX_MARGIN * (edges[1] - edges[0]) + 1e-12 * (1.0 + np.abs(edges[1]))
        Z = self._features(X)
        low, high = edges[0] - slack, edges[1] + slack
        outside = (low > Z) | (high < Z)
        if not outside.any():
            return
        columns = np.flatnonzero(outside.any(axis=0))
        box = ", ".join(
            f"column {c}: [{self.data_min_[c]:.4g}, {self.data_max_[c]:.4g}] "
            f"(got {X[outside[:, c], c].min():.4g} to {X[outside[:, c], c].max():.4g})"
            for c in columns
        )
        message = (
            f"{int(outside.any(axis=1).sum())} of {len(X)} rows lie outside the training box "
            f"of {type(self).__name__} ({box}); the network extrapolates there with an "
            "unknown error."
        )
        if not self.extrapolate:
            raise ValueError(message + " Pass extrapolate=True to predict them with a warning.")
        warnings.warn(message, ExtrapolationWarning, stacklevel=3)

    def relative_error(self, X: Any, y: Any) -> float:
        """Palade's accuracy figure on ``(X, y)``: see :func:`relative_error`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Parameters.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True coefficients.

        Returns
        -------
        float
            Root second moment of the relative error.
        """
        return relative_error(y, self.predict(X))

    def _expected_failed_checks(self) -> dict[str, str]:
        return {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        return tags


class SurrogateSimulator:
    """Noisy measurements of ``log10 D`` at several energies, simulated by a surrogate.

    Turns a fitted :class:`DiffusionSurrogate` of ``D(T, b, lambda_perp)`` into a
    simulator of what an observer would measure: ``x_k = log10 D(T_k, b, lambda_perp)
    + N(0, noise_dex^2)`` at energies ``T_k``. Its parameters are
    ``theta = (b, log10 lambda_perp)``. It follows the campaign/sbi simulator protocol
    ``simulator(theta, *, random_state)`` and also takes batches of parameters, so
    training an amortized posterior costs network evaluations, not particle pushes.

    Parameters
    ----------
    surrogate : DiffusionSurrogate
        Fitted surrogate with inputs ``(T, b, lambda_perp)``.
    energies : array-like of shape (n_energies,)
        Kinetic energies ``T_k`` in mc^2 at which D is "measured".
    noise_dex : float, default=0.05
        Standard deviation of the Gaussian measurement error on ``log10 D``.
    floor : float, default=1e-12
        Lower bound applied to D before the logarithm (the surrogate may return ~0).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.surrogate import DiffusionSurrogate, SurrogateSimulator
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform([0.1, 0.1, 0.2], [10, 1, 20], size=(200, 3))
    >>> model = DiffusionSurrogate(max_epochs=5, random_state=0, verbose=0).fit(
    ...     X, X[:, 1] ** 2 * X[:, 2])
    >>> simulator = SurrogateSimulator(model, energies=[0.1, 1.0, 10.0])
    >>> simulator([0.5, 0.0], random_state=0).shape
    (3,)
    """

    def __init__(
        self, surrogate: Any, energies: Any, *, noise_dex: float = 0.05, floor: float = 1e-12
    ) -> None:
        check_is_fitted(surrogate)
        energies = np.asarray(energies, dtype=float)
        if energies.ndim != 1 or energies.size == 0 or np.any(energies <= 0):
            raise ValueError(
                f"energies must be a non-empty 1-D array of kinetic energies > 0 (mc^2); got "
                f"{energies!r}."
            )
        check_interval(noise_dex, "noise_dex", "SurrogateSimulator", low=0)
        self.surrogate = surrogate
        self.energies = energies
        self.noise_dex = noise_dex
        self.floor = floor

    def log10_d(self, theta: Any) -> np.ndarray:
        """Noise-free ``log10 D`` at each energy, shape ``(n, n_energies)``.

        Parameters
        ----------
        theta : array-like of shape (2,) or (n, 2)
            ``(b, log10 lambda_perp)`` per row.

        Returns
        -------
        ndarray of shape (n, n_energies)
            Logarithm of the surrogate's coefficient at every energy.
        """
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if theta.ndim != 2 or theta.shape[1] != 2:
            raise ValueError(
                f"theta must have shape (2,) or (n, 2) holding (b, log10 lambda_perp); got "
                f"{np.shape(theta)}."
            )
        n, m = len(theta), len(self.energies)
        X = np.empty((n * m, 3))
        X[:, 0] = np.tile(self.energies, n)
        X[:, 1] = np.repeat(theta[:, 0], m)
        X[:, 2] = np.repeat(10.0 ** theta[:, 1], m)
        d = np.asarray(self.surrogate.predict(X), dtype=float).reshape(n, m)
        return np.log10(np.maximum(d, self.floor))

    def __call__(self, theta: Any, *, random_state: Any = None) -> np.ndarray:
        """Simulate noisy measurements for one ``theta`` (shape (2,)) or a batch (n, 2)."""
        rng = check_random_state(random_state)
        clean = self.log10_d(theta)
        noisy = clean + self.noise_dex * rng.standard_normal(clean.shape)
        return noisy[0] if np.ndim(theta) == 1 else noisy
