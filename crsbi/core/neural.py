"""General-purpose neural regressor and classifier on the shared training base.

They are what the five crsbi estimators specialise (a network, a loss, an input
shape), and useful on their own for tabular summaries of simulations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from torch import nn

from crsbi.core.base import PRECISIONS, BaseNeuralEstimator
from crsbi.core.nn import MLP
from crsbi.core.validation import check_option

__all__ = ["NeuralClassifier", "NeuralRegressor"]

_FLOATS = [np.float64, np.float32]


class NeuralRegressor(RegressorMixin, BaseNeuralEstimator):
    """Neural-network regression of one or several targets, trained with MSE.

    Targets are standardised internally (per output) when ``standardize_target`` is
    true, so the loss is on a common scale; predictions are in the original units.
    Scale the inputs yourself, e.g. in a :class:`~sklearn.pipeline.Pipeline` with a
    :class:`~sklearn.preprocessing.StandardScaler`.

    Parameters
    ----------
    module, module_kwargs, optimizer, lr, weight_decay, batch_size, max_epochs, \
validation_fraction, patience, tol, gradient_clip, lr_schedule, device, random_state, \
callbacks, verbose
        Training parameters, see :class:`crsbi.core.base.BaseNeuralEstimator`. The default
        network is :class:`crsbi.core.MLP`.
    standardize_target : bool, default=True
        Fit on ``(y - mean) / std`` and undo it when predicting.

    Attributes
    ----------
    n_features_in_ : int
        Number of input features.
    n_outputs_ : int
        Number of targets.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Target standardisation (zeros and ones when ``standardize_target=False``).
    module_, history_, n_iter_, best_epoch_, device_
        See :class:`crsbi.core.base.BaseNeuralEstimator`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.core.neural import NeuralRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(400, 2))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> model = NeuralRegressor(max_epochs=100, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.95)
    True
    """

    _default_module = MLP

    def __init__(
        self,
        *,
        module: Any = None,
        module_kwargs: dict | None = None,
        standardize_target: bool = True,
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
        self.module = module
        self.module_kwargs = module_kwargs
        self.standardize_target = standardize_target
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

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(
            self, X, y, dtype=_FLOATS, multi_output=True, y_numeric=True, ensure_min_samples=2
        )
        y = np.asarray(y, dtype=np.float64)
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        if self.standardize_target:
            self.target_mean_ = y2.mean(axis=0)
            scale = y2.std(axis=0)
            self.target_scale_ = np.where(scale > 0, scale, 1.0)
        else:
            self.target_mean_ = np.zeros(self.n_outputs_)
            self.target_scale_ = np.ones(self.n_outputs_)
        return X, y2

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        return validate_data(self, X, dtype=_FLOATS, reset=False)

    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return {"n_inputs": X.shape[1], "n_outputs": y.shape[1]}

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(((y - self.target_mean_) / self.target_scale_).astype(np.float32))

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(output, target)

    def _metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        residual = ((output - target) ** 2).sum(0)
        total = ((target - target.mean(0)) ** 2).sum(0).clamp_min(1e-12)
        return {"r2": float((1 - residual / total).mean())}

    def predict(self, X: Any, *, precision: str = "float64") -> np.ndarray:
        """Predict targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        precision : {"float64", "float32"}, default="float64"
            Arithmetic of the network. ``"float64"`` gives outputs independent of the
            batch (to ~1e-16); ``"float32"`` is 2-3x faster on the CPU, with outputs that
            move by ~1e-7 relative with the batch and the CPU.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the units of the training targets (1-D when ``y`` was 1-D).
        """
        check_option(precision, "precision", type(self).__name__, PRECISIONS)
        X = self._prepare_predict(X)
        out = self._forward(X, precision).numpy().astype(np.float64)
        out = out * self.target_scale_ + self.target_mean_
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class NeuralClassifier(ClassifierMixin, BaseNeuralEstimator):
    """Neural-network classifier trained with cross-entropy.

    Parameters
    ----------
    module, module_kwargs, optimizer, lr, weight_decay, batch_size, max_epochs, \
validation_fraction, patience, tol, gradient_clip, lr_schedule, device, random_state, \
callbacks, verbose
        Training parameters, see :class:`crsbi.core.base.BaseNeuralEstimator`. The default
        network is :class:`crsbi.core.MLP` with one output per class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_features_in_ : int
        Number of input features.
    module_, history_, n_iter_, best_epoch_, device_
        See :class:`crsbi.core.base.BaseNeuralEstimator`; ``history_`` also records
        ``val_accuracy``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.core.neural import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = np.where(X[:, 0] + X[:, 1] > 0, "diffusion", "streaming")
    >>> clf = NeuralClassifier(max_epochs=60, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _default_module = MLP

    def __init__(
        self,
        *,
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

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, dtype=_FLOATS, ensure_min_samples=2)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                f"({self.classes_[0]!r})."
            )
        return X, encoder.transform(y)

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        return validate_data(self, X, dtype=_FLOATS, reset=False)

    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return {"n_inputs": X.shape[1], "n_outputs": len(self.classes_)}

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(y, dtype=torch.long)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(output, target)

    def _metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        return {"accuracy": float((output.argmax(1) == target).float().mean())}

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        X = self._prepare_predict(X)
        logits = self._forward(X).double()
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
