"""PropagationInverter: Galactic propagation parameters from Li-O spectra (Tsai et al. 2022).

A 1D CNN reads the eight ratio spectra (Li/C, Li/O, Be/C, Be/O, B/C, B/O, C/C(110 GeV),
O/C(110 GeV)) computed from the fluxes of Li, Be, B, C, O on 84 energy bins and returns
the ten propagation parameters (``D0, delta, eta, v_A, z_h, nu1, nu2, nu3, log10_Rbr1,
log10_Rbr2``), learned in whitened form ([0, 1] over the prior box) with a log-cosh loss.
``model="break"`` adds the high-rigidity diffusion break (``break_rigidity``,
``break_delta``: 12 parameters, :func:`crsbi.propagation.param_names`).
``noise=0`` is the paper's Machine A (clean spectra), ``noise=0.05`` its Machine B
(every training batch fluctuated afresh by up to 5 % per bin). ``posterior=True``
trains an sbi NPE with the same CNN as embedding net instead, giving calibrated
posteriors (``sample``, ``log_prob``, ``to_inference_data``). :meth:`refit_feedback`
runs the paper's feedback loop with a simulator; :meth:`refine` polishes predictions
into least-squares best fits on the simulator (hundreds of simulator calls each).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from crsbi.core.base import BaseNeuralEstimator
from crsbi.core.validation import check_interval, check_option
from crsbi.propagation._feedback import (
    FeedbackMixin,
    learning_systematics,
    relative_shift,
    sigma_fractions,
)
from crsbi.propagation._refine import RefineMixin
from crsbi.propagation.cnn1d import CNN1D
from crsbi.propagation.galactic import MODELS, param_names, prior_bounds
from crsbi.propagation.preprocessing import ParameterWhitener, _log_ratio_features, _pivot_weights

__all__ = [
    "PropagationInverter",
    "learning_systematics",
    "logcosh_loss",
    "relative_shift",
    "sigma_fractions",
]

_FLOATS = [np.float64, np.float32]
_LOSSES = ("logcosh", "mse", "l1")
_FEATURES = ("ratios", "identity")
_LN10 = float(np.log(10.0))


def logcosh_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean ``log(cosh(output - target))``, computed without overflow.

    Quadratic for small residuals, linear (robust) for large ones.

    Parameters
    ----------
    output, target : torch.Tensor
        Same shape.

    Returns
    -------
    torch.Tensor
        Scalar mean loss.

    Examples
    --------
    >>> import torch
    >>> from crsbi.propagation.inverter import logcosh_loss
    >>> round(float(logcosh_loss(torch.tensor([0.1]), torch.tensor([0.0]))), 6)
    0.004992
    """
    r = output - target
    return (r + nn.functional.softplus(-2.0 * r) - np.log(2.0)).mean()


class _InverterNetwork(nn.Module):
    """Noise (training only) -> features -> standardisation -> CNN."""

    def __init__(
        self,
        cnn: nn.Module,
        *,
        features: str,
        noise: float,
        pivot: tuple[int, int, float] | None,
        mean: np.ndarray,
        scale: np.ndarray,
    ) -> None:
        super().__init__()
        self.cnn = cnn
        self.features = features
        self.noise = float(noise)
        self.pivot = pivot
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def featurize(self, x: torch.Tensor) -> torch.Tensor:
        """Standardised features of clean inputs."""
        if self.features == "ratios":
            x = _log_ratio_features(x, *self.pivot)
        return (x - self.mean) / self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.noise > 0:
            u = self.noise * (2.0 * torch.rand_like(x) - 1.0)
            # ratios see log10 fluxes: log10(F (1 + u)) = log10 F + log10(1 + u)
            x = x + torch.log1p(u) / _LN10 if self.features == "ratios" else x * (1.0 + u)
        return self.cnn(self.featurize(x))


class PropagationInverter(RefineMixin, FeedbackMixin, RegressorMixin, BaseNeuralEstimator):
    """CNN regression (or NPE) of propagation parameters from cosmic-ray spectra.

    Parameters
    ----------
    model : {"paper", "break"} or None, default="paper"
        Galactic model of the targets: ``y`` must hold its parameters in
        :func:`crsbi.propagation.param_names` order (10 for ``"paper"``, 12 with the
        diffusion break for ``"break"``; a target of another width raises), whitened over
        :func:`crsbi.propagation.prior_bounds` unless ``param_bounds`` is given, with the
        break rigidity in ``log10``. ``None``: targets of any width (other simulators,
        ``features="identity"``).
    noise : float, default=0.0
        Largest relative fluctuation ``u ~ Uniform(-noise, noise)`` applied to every
        flux value of every training batch, drawn afresh each time (seeded);
        0 is Machine A, 0.05 Machine B. In [0, 1).
    posterior : bool, default=False
        Train an sbi NPE (:class:`crsbi.inference.PosteriorEstimator`) on the whitened
        parameters with the CNN as embedding net (its output size ``embedding_size``)
        instead of the point regression. With ``noise > 0`` every training simulation
        is seen once with one seeded fluctuation.
    loss : {"logcosh", "mse", "l1"}, default="logcosh"
        Regression loss on whitened parameters.
    features : {"ratios", "identity"}, default="ratios"
        ``"ratios"``: ``X`` holds fluxes of Li, Be, B, C, O and the network sees
        ``log10`` of the eight ratio spectra; ``"identity"``: ``X`` is used as it is
        (channels x bins), for other inputs and the scikit-learn common checks.
    input_shape : tuple (n_channels, n_bins) or None, default=None
        Layout of flattened 2-D ``X``. ``None``: ``(5, n_features / 5)`` for
        ``"ratios"``, ``(1, n_features)`` for ``"identity"``; a 3-D ``X`` gives it directly.
    param_bounds : array-like of shape (n_params, 2), dict or None, default=None
        Prior box of the parameters (physical units), used for whitening and clipping;
        ``None``: the ``model``'s prior box, or with ``model=None``
        :data:`crsbi.propagation.galactic.PRIOR_BOUNDS` for 10 parameters and otherwise
        the training range padded by 10 %.
    log_columns : sequence of int or None, default=None
        Parameters whitened in ``log10`` (see :class:`ParameterWhitener`); the galactic
        source breaks are already ``log10(R/MV)``. ``None`` with ``model="break"`` whitens
        ``break_rigidity`` in ``log10``.
    energy : array-like of shape (n_bins,) or None, default=None
        Energy grid [GeV/n] of the fluxes; default the paper's grid.
    pivot_energy : float, default=110.0
        Pivot [GeV/n] of the C/C and O/C channels.
    embedding_size : int, default=32
        CNN output size in the NPE route when ``pretrain_embedding=False``.
    pretrain_embedding : bool or "frozen", default=True
        In the NPE route, first train the CNN as a regression of the whitened
        parameters (the paper's machine, with ``noise``) and use it, outputs = the
        ``n_params`` point estimates, as the starting embedding net, fine-tuned with the
        flow. ``"frozen"`` pre-trains the CNN on one half of the simulations, keeps it
        fixed and trains only the flow, on its point estimates for the other half (a
        fixed summary that was not fitted to the flow's training data, so the posterior
        given it stays calibrated, if wider); the summaries are computed once, so the
        flow can train to convergence at the cost of a flow on 10 numbers (set
        ``npe_kwargs={"learning_rate": 5e-4, "max_epochs": None}`` for that: a flow
        stopped early at a high rate is miscalibrated). ``False`` trains a fresh
        CNN with ``embedding_size`` outputs jointly with the flow (slower to become
        informative).
    npe_kwargs : dict or None, default=None
        Extra arguments of :class:`~crsbi.inference.PosteriorEstimator` (e.g.
        ``hidden_features``, ``num_transforms``, ``n_posterior_samples``); its
        ``learning_rate``, ``batch_size``, ``max_epochs``, ``validation_fraction`` and
        ``patience`` here override those taken from the training parameters below.
    module, module_kwargs, optimizer, lr, weight_decay, batch_size, max_epochs, \
validation_fraction, patience, tol, gradient_clip, lr_schedule, device, random_state, \
callbacks, verbose
        Training parameters, see :class:`crsbi.core.base.BaseNeuralEstimator`; the
        default network is :class:`crsbi.propagation.cnn1d.CNN1D` (``module`` replaces the CNN
        only; noise and features stay in front of it). In the NPE route ``lr``,
        ``batch_size``, ``max_epochs``, ``validation_fraction`` and ``patience`` go to
        the NPE training (and to the pre-trained regression); ``lr_schedule`` acts on the
        regression only, the flow trains at a constant rate.

    Attributes
    ----------
    whitener_ : ParameterWhitener
        The fitted parameter whitening.
    input_shape_ : tuple of int
        ``(n_channels, n_bins)`` of the inputs.
    n_features_in_ : int
        ``n_channels * n_bins``.
    n_outputs_ : int
        Number of parameters.
    validation_std_ : ndarray of shape (n_outputs,)
        Standard deviation of the prediction error on the validation split (with the
        training noise applied), physical units: the regression's reported
        uncertainty (training residuals when ``validation_fraction=0``).
    validation_relative_error_ : ndarray of shape (n_validation, n_outputs)
        ``(predicted - true) / true`` on the validation split (learning systematics).
    posterior_estimator_ : PosteriorEstimator or None
        The NPE (``posterior=True`` only).
    summary_net_ : torch.nn.Module or None
        The frozen CNN whose outputs the flow is conditioned on
        (``pretrain_embedding="frozen"``); ``None`` otherwise (the CNN is then the
        flow's embedding net).
    npe_history_ : list of dict
        Per-epoch NPE losses (``posterior=True`` only); ``history_`` and ``module_``
        then describe the pre-trained regression (or the NPE without pre-training).
    X_fit_, y_fit_ : ndarray
        The training data (kept for :meth:`refit_feedback`; :meth:`drop_training_data`
        removes them before saving).
    feedback_history_ : list of dict
        Set by :meth:`refit_feedback`.
    module_, history_, n_iter_, best_epoch_, device_
        See :class:`crsbi.core.base.BaseNeuralEstimator` (regression route).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation._toy import simulate_toy_spectra
    >>> from crsbi.propagation.inverter import PropagationInverter
    >>> from crsbi.propagation.galactic import PRIOR_BOUNDS
    >>> low, high = np.array(list(PRIOR_BOUNDS.values())).T
    >>> theta = np.random.default_rng(0).uniform(low, high, size=(300, 10))
    >>> X = simulate_toy_spectra(theta)
    >>> model = PropagationInverter(max_epochs=5, module_kwargs={"channels": (8,)},
    ...                             random_state=0, verbose=0).fit(X, theta)
    >>> model.predict(X[:2]).shape
    (2, 10)
    """

    _default_module = CNN1D

    def __init__(
        self,
        *,
        model: str | None = "paper",
        noise: float = 0.0,
        posterior: bool = False,
        loss: str = "logcosh",
        features: str = "ratios",
        input_shape: tuple[int, int] | None = None,
        param_bounds: Any = None,
        log_columns: Any = None,
        energy: Any = None,
        pivot_energy: float = 110.0,
        embedding_size: int = 32,
        pretrain_embedding: bool = True,
        npe_kwargs: dict | None = None,
        module: Any = None,
        module_kwargs: dict | None = None,
        optimizer: Any = "adamw",
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 64,
        max_epochs: int = 200,
        validation_fraction: float = 0.1,
        patience: int | None = 10,
        tol: float = 0.0,
        gradient_clip: float | None = None,
        lr_schedule: str | None = None,
        device: str = "auto",
        random_state: Any = None,
        callbacks: list | None = None,
        verbose: int = 1,
    ) -> None:
        self.model = model
        self.noise = noise
        self.posterior = posterior
        self.loss = loss
        self.features = features
        self.input_shape = input_shape
        self.param_bounds = param_bounds
        self.log_columns = log_columns
        self.energy = energy
        self.pivot_energy = pivot_energy
        self.embedding_size = embedding_size
        self.pretrain_embedding = pretrain_embedding
        self.npe_kwargs = npe_kwargs
        self.module = module
        self.module_kwargs = module_kwargs
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.gradient_clip = gradient_clip
        self.lr_schedule = lr_schedule
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.verbose = verbose

    # ------------------------------------------------------------ validation
    def _check_params(self) -> None:
        owner = type(self).__name__
        if self.model is not None:
            check_option(self.model, "model", owner, MODELS)
        check_interval(self.noise, "noise", owner, low=0, high=1, closed="left")
        check_option(self.loss, "loss", owner, _LOSSES)
        check_option(self.features, "features", owner, _FEATURES)
        check_interval(self.embedding_size, "embedding_size", owner, kind=int, low=1)
        if not isinstance(self.posterior, (bool, np.bool_)):
            raise TypeError(
                f"The 'posterior' parameter of {owner} must be a bool. "
                f"Got {self.posterior!r} instead."
            )
        if not (
            isinstance(self.pretrain_embedding, (bool, np.bool_))
            or (isinstance(self.pretrain_embedding, str) and self.pretrain_embedding == "frozen")
        ):
            raise TypeError(
                f"The 'pretrain_embedding' parameter of {owner} must be a bool or 'frozen'. "
                f"Got {self.pretrain_embedding!r} instead."
            )
        if self.npe_kwargs is not None and not isinstance(self.npe_kwargs, dict):
            raise TypeError(
                f"The 'npe_kwargs' parameter of {owner} must be a dict or None. "
                f"Got {self.npe_kwargs!r} instead."
            )

    def _resolve_shape(self, X: Any) -> tuple[np.ndarray, tuple[int, int]]:
        """Return X flattened to 2-D and its (n_channels, n_bins) layout."""
        array = X if hasattr(X, "shape") and not hasattr(X, "columns") else np.asarray(X)
        if np.ndim(array) == 3:
            shape = (int(array.shape[1]), int(array.shape[2]))
            return np.reshape(array, (array.shape[0], -1)), shape
        if self.input_shape is not None:
            try:
                shape = tuple(int(s) for s in self.input_shape)
            except (TypeError, ValueError):
                shape = ()
            if len(shape) != 2 or min(shape) < 1:
                raise ValueError(
                    "input_shape must be None or a pair (n_channels, n_bins) of ints >= 1; "
                    f"got {self.input_shape!r}."
                )
            return X, shape
        n_features = np.shape(array)[1] if np.ndim(array) == 2 else 0
        if self.features == "ratios":
            if n_features == 0 or n_features % 5:
                raise ValueError(
                    "With features='ratios', X must hold the fluxes of (Li, Be, B, C, O) with "
                    f"shape (n, 5, n_bins) or (n, 5 * n_bins); got shape {np.shape(array)}."
                )
            return X, (5, n_features // 5)
        return X, (1, max(n_features, 1))

    def _inputs(self, X2: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Network inputs (n, C, L): log10 fluxes for ratios, X itself otherwise."""
        X3 = X2.reshape(len(X2), *shape)
        if self.features == "ratios":
            if shape[0] != 5:
                raise ValueError(
                    f"With features='ratios', X must have 5 channels (Li, Be, B, C, O); the "
                    f"layout is {shape}."
                )
            if np.any(X3 <= 0):
                raise ValueError(
                    f"X must hold fluxes > 0 with features='ratios'; found "
                    f"{int(np.sum(X3 <= 0))} entries <= 0."
                )
            return np.log10(X3)
        return X3

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "fit(X, y) needs the parameters of shape (n_samples, n_params)."
            )
        X2, shape = self._resolve_shape(X)
        X2, y = validate_data(
            self, X2, y, dtype=_FLOATS, multi_output=True, y_numeric=True, ensure_min_samples=2
        )
        if X2.shape[1] != shape[0] * shape[1]:
            raise ValueError(
                f"X has {X2.shape[1]} features per sample but input_shape={shape} needs "
                f"{shape[0] * shape[1]}."
            )
        self.input_shape_ = shape
        y = np.asarray(y, dtype=np.float64)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        bounds, log_columns = self.param_bounds, self.log_columns
        if self.model is not None:
            names = param_names(self.model)
            if y2.shape[1] != len(names):
                raise ValueError(
                    f"y has {y2.shape[1]} columns but model={self.model!r} has "
                    f"{len(names)} parameters {names}; pass the model's parameters in this "
                    "order (or model=None for targets of another simulator)."
                )
            if bounds is None:
                bounds = list(prior_bounds(self.model).values())
            if log_columns is None and "break_rigidity" in names:
                log_columns = [names.index("break_rigidity")]
        self.n_outputs_ = y2.shape[1]
        self.whitener_ = ParameterWhitener(bounds=bounds, log_columns=log_columns).fit(y2)
        w = self.whitener_.transform(y2)
        outside = np.any((w < -1e-9) | (w > 1 + 1e-9), axis=1)
        if outside.any():
            first = int(np.argmax(outside))
            raise ValueError(
                f"{int(outside.sum())} rows of y lie outside param_bounds (first at row "
                f"{first}: {y2[first].tolist()}, box low={self.whitener_.low_.tolist()}, "
                f"high={self.whitener_.high_.tolist()})."
            )
        self.X_fit_, self.y_fit_ = X2, y2
        inputs = self._inputs(X2, shape)
        if self.features == "ratios":
            from crsbi.propagation.galactic import energy_grid

            e = energy_grid(shape[1]) if self.energy is None else np.asarray(self.energy, float)
            if e.shape != (shape[1],):
                raise ValueError(
                    f"energy must have shape (n_bins,) = ({shape[1]},); got {e.shape}."
                )
            self._pivot = _pivot_weights(e, float(self.pivot_energy))
            feats = _log_ratio_features(inputs, *self._pivot)
        else:
            self._pivot = None
            feats = inputs
        self.feature_mean_ = feats.mean(axis=0)
        scale = feats.std(axis=0)
        self.feature_scale_ = np.where(scale > 1e-12, scale, 1.0)
        return inputs, w

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "whitener_")
        X2, _ = self._resolve_shape(X)
        X2 = validate_data(self, X2, dtype=_FLOATS, reset=False)
        return self._inputs(X2, self.input_shape_)

    # ---------------------------------------------------------------- hooks
    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        n_channels = 8 if self.features == "ratios" else X.shape[1]
        fresh_embedding = self.posterior and not self.pretrain_embedding
        n_out = self.embedding_size if fresh_embedding else y.shape[1]
        return {"n_channels": n_channels, "n_bins": X.shape[2], "n_outputs": n_out}

    def _build_module(self, X: np.ndarray, y: np.ndarray) -> nn.Module:
        return _InverterNetwork(
            super()._build_module(X, y),
            features=self.features,
            noise=self.noise,
            pivot=self._pivot,
            mean=self.feature_mean_,
            scale=self.feature_scale_,
        )

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(y, dtype=torch.float32)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.loss == "logcosh":
            return logcosh_loss(output, target)
        if self.loss == "l1":
            return nn.functional.l1_loss(output, target)
        return nn.functional.mse_loss(output, target)

    def _metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        residual = ((output - target) ** 2).sum(0)
        total = ((target - target.mean(0)) ** 2).sum(0).clamp_min(1e-12)
        return {"r2": float((1 - residual / total).mean())}

    def _split(self, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        train, val = super()._split(n_samples, rng)
        self._validation_index = val if len(val) else train
        return train, val

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> PropagationInverter:
        """Train on simulated spectra and the parameters that made them.

        Parameters
        ----------
        X : array-like of shape (n_samples, 5, n_bins) or (n_samples, 5 * n_bins)
            Fluxes of Li, Be, B, C, O (``features="ratios"``), > 0.
        y : array-like of shape (n_samples, n_params) or (n_samples,)
            Parameters in physical units, inside ``param_bounds``.

        Returns
        -------
        self
            The fitted inverter.
        """
        self._check_params()
        self.feedback_history_ = []
        if self.posterior:
            from crsbi.propagation._feedback import fit_posterior

            return fit_posterior(self, X, y)
        self.posterior_estimator_ = None
        super().fit(X, y)
        self._record_validation_errors()
        return self

    def _record_validation_errors(self) -> None:
        index = self._validation_index
        X2 = self.X_fit_[index]
        if self.noise > 0:  # a fixed seed: the same noise draw for every fit
            rng = np.random.default_rng(0)
            X2 = X2 * (1.0 + self.noise * rng.uniform(-1.0, 1.0, size=X2.shape))
        pred = self._predict_physical(self._inputs(X2, self.input_shape_))
        true = self.y_fit_[index]
        self.validation_std_ = np.sqrt(np.mean((pred - true) ** 2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.validation_relative_error_ = (pred - true) / true

    def drop_training_data(self) -> PropagationInverter:
        """Forget the stored training data, so that a saved model is small.

        ``fit`` keeps ``X_fit_`` and ``y_fit_`` for :meth:`refit_feedback`, which
        retrains on them: a Machine fitted on 120 000 spectra of 420 values pickles to
        about 400 MB, nearly all of it training data. Afterwards ``predict``,
        ``refine``, ``score`` and the posterior methods work as before, and
        :meth:`refit_feedback` only with ``max_rounds=0`` (the tau check alone).

        Returns
        -------
        self

        Examples
        --------
        >>> import pickle
        >>> from crsbi.propagation._toy import simulate_toy_spectra
        >>> from crsbi.propagation.inverter import PropagationInverter
        >>> from crsbi.propagation.galactic import PRIOR_BOUNDS
        >>> low, high = np.array(list(PRIOR_BOUNDS.values())).T
        >>> theta = np.random.default_rng(0).uniform(low, high, (200, 10))
        >>> model = PropagationInverter(max_epochs=1, device="cpu", random_state=0,
        ...                             verbose=0).fit(simulate_toy_spectra(theta), theta)
        >>> before = len(pickle.dumps(model))
        >>> small = model.drop_training_data()
        >>> hasattr(small, "X_fit_"), len(pickle.dumps(small)) < before - 200 * 420 * 8
        (False, True)
        """
        check_is_fitted(self, "whitener_")
        for name in ("X_fit_", "y_fit_"):
            self.__dict__.pop(name, None)
        return self

    # -------------------------------------------------------------- predict
    def _predict_physical(self, inputs: np.ndarray) -> np.ndarray:
        w = self._forward(inputs).numpy().astype(np.float64)
        return self.whitener_.inverse_transform(np.clip(w, 0.0, 1.0))

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Predict the parameters of each spectrum set.

        Parameters
        ----------
        X : array-like of shape (n_samples, 5, n_bins) or (n_samples, 5 * n_bins)
            Fluxes, as in ``fit``.
        return_std : bool, default=False
            Also return the reported uncertainty: ``validation_std_`` for the
            regression, the posterior standard deviation for ``posterior=True``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_params) or (n_samples,)
            Parameters in physical units, inside ``param_bounds`` (predictions are
            clipped to the box); the posterior mean for ``posterior=True``.
        y_std : ndarray, same shape
            Only with ``return_std``.
        """
        check_is_fitted(self, "whitener_")
        if self.posterior_estimator_ is not None:
            X2, _ = self._resolve_shape(X)
            draws = self.sample(np.asarray(X2), self.posterior_estimator_.n_posterior_samples)
            mean, std = draws.mean(axis=1), draws.std(axis=1)
        else:
            mean = self._predict_physical(self._prepare_predict(X))
            std = np.broadcast_to(self.validation_std_, mean.shape).copy()
        if self._y_1d:
            mean, std = mean[:, 0], std[:, 0]
        return (mean, std) if return_std else mean

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean R^2 over the whitened parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, 5, n_bins) or (n_samples, 5 * n_bins)
            Fluxes.
        y : array-like of shape (n_samples, n_params) or (n_samples,)
            True parameters, physical units.
        sample_weight : array-like of shape (n_samples,) or None
            Sample weights.

        Returns
        -------
        float
            R^2 averaged uniformly over parameters (1 is perfect).
        """
        pred = np.asarray(self.predict(X)).reshape(len(np.asarray(y)), -1)
        true = np.asarray(y, dtype=np.float64).reshape(len(pred), -1)
        return float(
            r2_score(
                self.whitener_.transform(true),
                self.whitener_.transform(pred),
                sample_weight=sample_weight,
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.required = True
        return tags
