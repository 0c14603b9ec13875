"""TransportClassifier: cosmic-ray transport regimes from gas density maps (Bustard and Wu 2024).

A small CNN (:class:`crsbi.maps.cnn.TransportCNN`, 29,749 parameters for five classes) maps a
preprocessed density tile (``log10``, histogram equalised; see
:mod:`crsbi.maps.images`) to the transport class of the simulation it came from.
:func:`classification_table` gives the paper's Table 2 (per-class one-vs-rest accuracy,
precision, recall and F1); :func:`make_spectral_images` makes
labelled log-normal toy images whose classes differ only in their power-spectrum slope, for
tests and demos (:func:`make_spectral_cubes` the matching 3-D cubes).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from torch import nn

from crsbi.core.base import BaseNeuralEstimator
from crsbi.maps._spectral_toys import make_spectral_cubes, make_spectral_images
from crsbi.maps.cnn import RandomFlip2d, RandomRoll2d, TransportCNN

__all__ = [
    "ClassificationTable",
    "TransportClassifier",
    "classification_table",
    "make_spectral_cubes",
    "make_spectral_images",
]

_FLOATS = [np.float64, np.float32]

#: Augmentation modules put in front of the network in training (identities at prediction).
_AUGMENTATIONS = (RandomFlip2d, RandomRoll2d)

_TABULAR_CHECKS: tuple[str, ...] = (
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_train",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_supervised_y_2d",
)

OUT_OF_RANGE_FRACTION = 0.05
"""Warn when more than this fraction of the pixel values passed to a fitted classifier lie
outside the 0.1-99.9 percentile range of its training pixels (in-distribution: ~0.2 %)."""


class TransportClassifier(ClassifierMixin, BaseNeuralEstimator):
    """CNN classifier of density images into cosmic-ray transport classes.

    Accepts images ``(n_samples, H, W)`` or their flattened form ``(n_samples, H * W)`` with
    ``image_shape=(H, W)``. Flattened input without ``image_shape`` must hold square images
    (``n_features = H^2``); anything else raises, and 1-D profiles (flattened power spectra)
    need ``image_shape=(1, n_features)``. Images need at least 2 pixels. A fitted classifier
    warns when the images it is given look unlike its training images (more than
    ``OUT_OF_RANGE_FRACTION`` of the pixel values outside the training range: raw density
    given to a model trained on equalised maps, say). Training defaults follow the paper:
    AdamW, learning rate 1e-3 (5e-4 for flattened power spectra), weight decay 1e-4, batch 64,
    cross-entropy, random horizontal and vertical flips of each training batch.

    Parameters
    ----------
    image_shape : tuple (H, W) or None, default=None
        Shape of each image when ``X`` is 2-D; ``None`` reads 2-D ``X`` as square images.
    flip_augmentation : bool, default=True
        Flip each training image at random (p = 1/2 per axis, redrawn every batch); off at
        prediction time.
    roll_augmentation : bool, default=False
        Shift each training image cyclically by random offsets along both axes (redrawn every
        batch, :class:`~crsbi.maps.cnn.RandomRoll2d`); off at prediction time. A symmetry of
        maps of a whole periodic box only: leave it off for tiles cut from a map.
    temperature_scaling : bool, default=False
        After training, fit a softmax temperature on the validation split (Guo et al. 2017;
        the paper's footnote 4). Needs ``validation_fraction > 0``. Calibrating on a separate
        set with :meth:`calibrate_temperature` is cleaner (the split also drove early stopping).
    module, module_kwargs, optimizer, lr, weight_decay, batch_size, max_epochs, \
validation_fraction, patience, tol, gradient_clip, lr_schedule, device, random_state, \
callbacks, verbose
        Training parameters, see :class:`crsbi.core.base.BaseNeuralEstimator`. The default network
        is :class:`crsbi.maps.cnn.TransportCNN` (set widths with
        ``module_kwargs={"channels": (...)}``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (e.g. the simulation names), sorted.
    image_shape_ : tuple of int
        ``(H, W)`` of the training images.
    n_features_in_ : int
        ``H * W``.
    temperature_ : float
        Softmax temperature (1.0 unless calibrated).
    input_range_ : tuple of float
        0.1 and 99.9 percentiles of the training pixel values (for the out-of-range warning).
    module_, history_, n_iter_, best_epoch_, device_
        See :class:`crsbi.core.base.BaseNeuralEstimator`; ``module_`` is
        ``Sequential(RandomRoll2d, RandomFlip2d, network)`` with the augmentations on (each
        present only when its option is).

    Examples
    --------
    >>> from crsbi.maps.classifier import TransportClassifier, make_spectral_images
    >>> X, y = make_spectral_images(60, slopes={"smooth": -4.0, "rough": -2.0}, size=16,
    ...                             random_state=0)
    >>> clf = TransportClassifier(module_kwargs={"channels": (8, 16)}, max_epochs=15, lr=1e-2,
    ...                           random_state=0, verbose=0).fit(X, y)
    >>> clf.classes_.tolist(), clf.predict_proba(X[:2]).shape
    (['rough', 'smooth'], (2, 2))
    """

    _default_module = TransportCNN

    def __init__(
        self,
        *,
        image_shape: tuple[int, int] | None = None,
        flip_augmentation: bool = True,
        roll_augmentation: bool = False,
        temperature_scaling: bool = False,
        module: Any = None,
        module_kwargs: dict | None = None,
        optimizer: Any = "adamw",
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 64,
        max_epochs: int = 30,
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
        self.image_shape = image_shape
        self.flip_augmentation = flip_augmentation
        self.roll_augmentation = roll_augmentation
        self.temperature_scaling = temperature_scaling
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
    def _resolve_image_shape(self, X: np.ndarray) -> tuple[int, int]:
        owner = type(self).__name__
        if X.ndim == 3:
            shape = (int(X.shape[1]), int(X.shape[2]))
        elif self.image_shape is None:
            n = int(X.shape[1])
            side = math.isqrt(n)
            if side * side != n or side < 2:
                raise ValueError(
                    f"{owner} reads 2-D X as flattened square images (n_samples, H * H); X has "
                    f"{n} features, not the square of an integer >= 2. Pass "
                    f"image_shape=(H, W), e.g. image_shape=(1, {n}) for 1-D profiles such as "
                    "flattened power spectra, or X of shape (n_samples, H, W)."
                )
            shape = (side, side)
        else:
            shape = self.image_shape
            if (
                not isinstance(shape, (tuple, list))
                or len(shape) != 2
                or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shape)
                or math.prod(shape) != X.shape[1]
            ):
                raise ValueError(
                    f"The 'image_shape' parameter of {owner} must be a pair (H, W) with H * W "
                    f"equal to the {X.shape[1]} features of X. Got {shape!r} instead."
                )
            shape = (int(shape[0]), int(shape[1]))
        if shape[0] * shape[1] < 2:
            raise ValueError(
                f"{owner} needs images of at least 2 pixels; got images of shape {shape} "
                "(n_features = 1)."
            )
        return shape

    def _check_X(self, X: Any, *, reset: bool, y: Any = None) -> Any:
        owner = type(self).__name__
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            ndim = np.asarray(X).ndim
        if ndim == 3:
            X = check_array(X, allow_nd=True, dtype=_FLOATS, ensure_min_samples=1 + reset)
            if reset:
                self.n_features_in_ = int(X.shape[1] * X.shape[2])
            elif tuple(X.shape[1:]) != tuple(self.image_shape_):
                raise ValueError(
                    f"{owner} was fitted on images of shape {tuple(self.image_shape_)}; "
                    f"got X of shape {X.shape}, expected (n_samples, "
                    f"{self.image_shape_[0]}, {self.image_shape_[1]})."
                )
            if y is not None:
                y = np.asarray(y)
                check_consistent_length(X, y)
                return X, y
            return X
        if ndim not in (1, 2):
            raise ValueError(
                f"{owner} expects X of shape (n_samples, H, W) or (n_samples, H * W); got an "
                f"array with {ndim} dimensions."
            )
        if y is not None:
            return validate_data(self, X, y, dtype=_FLOATS, ensure_min_samples=2, reset=reset)
        if not reset and ndim == 2 and hasattr(self, "image_shape_"):
            shape = tuple(np.shape(X))
            expected = self.n_features_in_
            if shape[1] != expected:
                single = shape == tuple(self.image_shape_)
                raise ValueError(
                    f"X has {shape[1]} features, but {owner} is expecting {expected} features "
                    f"as input: it was fitted on images of shape {tuple(self.image_shape_)}, so "
                    f"X must be (n_samples, {self.image_shape_[0]}, {self.image_shape_[1]}) or "
                    f"(n_samples, {expected}); got X of shape {shape}."
                    + (" A single image? Pass X[np.newaxis]." if single else "")
                )
        return validate_data(self, X, dtype=_FLOATS, reset=reset)

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X, y = self._check_X(X, reset=True, y=y)
        check_classification_targets(y)
        self.image_shape_ = self._resolve_image_shape(X)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                f"({self.classes_[0]!r})."
            )
        encoded = encoder.transform(y)
        values = np.asarray(X, dtype=float).ravel()
        if values.size > 1_000_000:  # percentiles of a fixed subsample: same range every fit
            values = values[:: values.size // 1_000_000 + 1]
        low, high = np.percentile(values, [0.1, 99.9])
        self.input_range_ = (float(low), float(high))
        self._fit_cache = (X, encoded)
        return X, encoded

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        X = self._check_X(X, reset=False)
        self._warn_out_of_range(X)
        return X

    def _warn_out_of_range(self, X: np.ndarray) -> None:
        bounds = getattr(self, "input_range_", None)
        if bounds is None or X.size == 0:
            return
        low, high = bounds
        width = high - low
        values = np.asarray(X)
        outside = float(np.mean((values < low - 0.01 * width) | (values > high + 0.01 * width)))
        if outside > OUT_OF_RANGE_FRACTION:
            warnings.warn(
                f"{type(self).__name__}: {100 * outside:.0f} % of the pixel values of X lie "
                f"outside the range of the training images [{low:.3g}, {high:.3g}] (0.1-99.9 "
                "percentiles); were they preprocessed as in fit (e.g. log10 and histogram "
                "equalisation)? Predictions on such images are extrapolations.",
                UserWarning,
                stacklevel=4,
            )

    def _check_known_labels(self, y: np.ndarray) -> None:
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y holds labels {unknown.tolist()} not seen in fit; classes_ are "
                f"{self.classes_.tolist()}."
            )

    # ------------------------------------------------------------- network
    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return {"n_classes": len(self.classes_)}

    def _build_module(self, X: np.ndarray, y: np.ndarray) -> nn.Module:
        network = super()._build_module(X, y)
        augment = [RandomRoll2d()] if self.roll_augmentation else []
        augment += [RandomFlip2d(0.5)] if self.flip_augmentation else []
        return nn.Sequential(*augment, network) if augment else network

    def _encode_input(self, X: np.ndarray) -> torch.Tensor:
        images = np.require(X, dtype=np.float32, requirements=["C"])
        images = images.reshape(len(images), 1, *self.image_shape_)
        return torch.from_numpy(np.array(images, copy=True))

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(y, dtype=torch.long)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(output, target)

    def _metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        return {"accuracy": float((output.argmax(1) == target).float().mean())}

    def _split(self, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        train, val = super()._split(n_samples, rng)
        self._val_index = val
        return train, val

    # ------------------------------------------------------------- training
    def fit(self, X: Any, y: Any) -> TransportClassifier:
        """Train the CNN on labelled images.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Preprocessed images (e.g. equalised ``log10`` density tiles).
        y : array-like of shape (n_samples,)
            Class labels (strings such as ``"CR_Diff_Fiducial"`` or integers).

        Returns
        -------
        self
            The fitted classifier.
        """
        for name in ("flip_augmentation", "roll_augmentation"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(
                    f"The '{name}' parameter of TransportClassifier must be a bool. "
                    f"Got {getattr(self, name)!r} instead."
                )
        if self.temperature_scaling and not self.validation_fraction:
            raise ValueError(
                "temperature_scaling=True fits the temperature on the validation split; set "
                "validation_fraction > 0 or call calibrate_temperature(X_val, y_val) instead."
            )
        self.temperature_ = 1.0
        try:
            super().fit(X, y)
            if self.temperature_scaling:
                X_fit, y_fit = self._fit_cache
                index = self._val_index
                self.temperature_ = _fit_temperature(self._logits(X_fit[index]), y_fit[index])
        finally:
            self.__dict__.pop("_fit_cache", None)
            self.__dict__.pop("_val_index", None)
        return self

    def _logits(self, X: np.ndarray) -> torch.Tensor:
        return self._forward(X).double()

    def calibrate_temperature(self, X: Any, y: Any) -> TransportClassifier:
        """Fit the softmax temperature on held-out data by minimising the negative log-likelihood.

        Temperature scaling divides the logits by one scalar ``T > 0``: predictions
        (argmax) do not change, only their confidence.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Validation images not used for training.
        y : array-like of shape (n_samples,)
            Their labels, all in ``classes_``.

        Returns
        -------
        self
            With ``temperature_`` set.
        """
        X = self._prepare_predict(X)
        y = np.asarray(y)
        check_consistent_length(X, y)
        self._check_known_labels(y)
        index = np.searchsorted(self.classes_, y)
        self.temperature_ = _fit_temperature(self._logits(X), index)
        return self

    # ----------------------------------------------------------- prediction
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities (temperature-scaled).

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Images.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``log p`` in the order of ``classes_``.
        """
        X = self._prepare_predict(X)
        logits = self._logits(X) / getattr(self, "temperature_", 1.0)
        return torch.log_softmax(logits, dim=1).numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (temperature-scaled).

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Images.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class of each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Images.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on ``(X, y)``; labels not seen in fit raise.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, H * W)
            Images.
        y : array-like of shape (n_samples,)
            True labels, all in ``classes_``.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples.

        Returns
        -------
        float
            Fraction of correct predictions (weighted).
        """
        check_is_fitted(self, "module_")
        y = np.asarray(y)
        self._check_known_labels(y)
        return super().score(X, y, sample_weight=sample_weight)

    @property
    def network_(self) -> nn.Module:
        """The trained CNN without the augmentation wrapper."""
        module = self.module_
        if isinstance(module, nn.Sequential) and isinstance(module[0], _AUGMENTATIONS):
            return module[-1]
        return module

    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this classifier fails by design, with reasons."""
        return dict.fromkeys(
            _TABULAR_CHECKS,
            "reads 2-D X as flattened square images: the check's X of 3, 5 or 10 features "
            "(not a square number) is rejected; tests/test_common.py runs every check on the "
            "classifier behind a transformer that makes rows one-row images",
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _fit_temperature(logits: torch.Tensor, target: np.ndarray) -> float:
    """Temperature minimising the mean cross-entropy of ``logits / T`` (T in [1e-2, 1e2])."""
    from scipy.optimize import minimize_scalar

    target_t = torch.as_tensor(np.asarray(target), dtype=torch.long)
    logits = logits.detach().double()

    def nll(log_t: float) -> float:
        return float(nn.functional.cross_entropy(logits / math.exp(log_t), target_t))

    low, high = math.log(1e-2), math.log(1e2)
    result = minimize_scalar(nll, bounds=(low, high), method="bounded")
    if min(result.x - low, high - result.x) < 0.01:
        warnings.warn(
            f"The fitted softmax temperature {math.exp(result.x):.3g} sits at its bound "
            "[0.01, 100]: the confidence of these logits could not be calibrated (too few "
            "held-out samples, or a model no better than chance on them).",
            UserWarning,
            stacklevel=3,
        )
    return float(math.exp(result.x))


@dataclass
class ClassificationTable:
    """Per-class one-vs-rest scores (Table 2 of Bustard and Wu 2024).

    Attributes
    ----------
    labels : ndarray of shape (n_classes,)
        Class labels.
    accuracy : ndarray of shape (n_classes,)
        One-vs-rest accuracy ``(TP + TN) / N`` of each class.
    precision, recall, f1 : ndarray of shape (n_classes,)
        ``TP / (TP + FP)``, ``TP / (TP + FN)`` and their harmonic mean (NaN when undefined).
    support : ndarray of shape (n_classes,)
        Number of true samples of each class.
    confusion : ndarray of shape (n_classes, n_classes)
        Counts, rows true class, columns predicted class.
    overall_accuracy : float
        Fraction of all samples classified correctly.
    """

    labels: np.ndarray
    accuracy: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray
    overall_accuracy: float = field(default=float("nan"))

    def as_dict(self) -> dict[str, list]:
        """Columns as plain lists (JSON-friendly)."""
        return {
            "label": [str(v) for v in self.labels],
            "accuracy": self.accuracy.tolist(),
            "precision": self.precision.tolist(),
            "recall": self.recall.tolist(),
            "f1": self.f1.tolist(),
            "support": self.support.tolist(),
        }

    def to_markdown(self, *, digits: int = 1) -> str:
        """Format the table in Markdown, scores in per cent.

        Parameters
        ----------
        digits : int, default=1
            Decimals of the percentages.

        Returns
        -------
        str
            A Markdown table, one row per class.
        """

        def pct(value: float) -> str:
            return "-" if not np.isfinite(value) else f"{100 * value:.{digits}f}"

        lines = [
            "| class | accuracy % | precision % | recall % | F1 % | support |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for i, label in enumerate(self.labels):
            lines.append(
                f"| {label} | {pct(self.accuracy[i])} | {pct(self.precision[i])} | "
                f"{pct(self.recall[i])} | {pct(self.f1[i])} | {int(self.support[i])} |"
            )
        return "\n".join(lines)


def classification_table(y_true: Any, y_pred: Any, *, labels: Any = None) -> ClassificationTable:
    """Per-class one-vs-rest accuracy, precision, recall and F1 (the paper's Table 2).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like or None
        Classes to report, in this order; default the sorted union of both.

    Returns
    -------
    ClassificationTable
        Scores per class, the confusion matrix and the overall accuracy.

    Examples
    --------
    >>> from crsbi.maps.classifier import classification_table
    >>> table = classification_table(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> table.accuracy.tolist(), table.precision.tolist(), table.recall.tolist()
    ([0.75, 0.75], [1.0, 0.6666666666666666], [0.5, 1.0])
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError(
            "y_true and y_pred must be non-empty 1-D arrays of the same length; got shapes "
            f"{y_true.shape} and {y_pred.shape}."
        )
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    missing = set(np.unique(np.concatenate([y_true, y_pred])).tolist()) - set(index)
    if missing:
        raise ValueError(f"labels does not list the classes {sorted(missing)} found in y.")
    n = len(labels)
    confusion = np.zeros((n, n), dtype=int)
    np.add.at(
        confusion,
        (
            np.array([index[v] for v in y_true.tolist()]),
            np.array([index[v] for v in y_pred.tolist()]),
        ),
        1,
    )
    total = confusion.sum()
    tp = np.diag(confusion).astype(float)
    fp = confusion.sum(0) - tp
    fn = confusion.sum(1) - tp
    tn = total - tp - fp - fn
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), np.nan)
    return ClassificationTable(
        labels=labels,
        accuracy=(tp + tn) / total,
        precision=precision,
        recall=recall,
        f1=f1,
        support=confusion.sum(1),
        confusion=confusion,
        overall_accuracy=float(tp.sum() / total),
    )
