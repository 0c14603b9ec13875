"""AnisotropyTest: a HEALPix CNN test of UHECR anisotropy (Kalashev, Pshirkov & Zotov 2020).

A convolutional network on the sphere (:class:`crsbi.uhecr.healpix.HealpixCNN`) learns to
separate isotropic UHECR count maps from maps where a fraction ``eta`` of the events
comes from one source. Its logit is the test statistic; the rejection threshold is its
``1 - alpha`` quantile on fresh isotropic maps (:meth:`~AnisotropyTest.calibrate`),
p-values come from the same null sample, and
:meth:`~AnisotropyTest.minimal_fraction` finds the smallest ``eta`` detected with
probability ``1 - beta``. The same calibration machinery serves the classical baselines
of :mod:`crsbi.uhecr.statistics`, so their minimal fractions compare like for like.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data
from torch import nn

from crsbi.core.base import BaseNeuralEstimator
from crsbi.core.validation import check_interval
from crsbi.uhecr._power import (
    MinimalFraction,
    NullCalibratedTest,
    check_sky_maps,
    find_minimal_fraction,
)

__all__ = ["AnisotropyTest", "MinimalFraction", "find_minimal_fraction"]

_FLOATS = [np.float32, np.float64]


def _is_sphere_module(module: Any) -> bool:
    """Whether a module (class or instance) works on maps: it knows its ``nside``."""
    if module is None:
        return True
    if isinstance(module, nn.Module):
        return hasattr(module, "nside")
    if isinstance(module, type):
        try:
            return "nside" in inspect.signature(module).parameters
        except (TypeError, ValueError):
            return False
    return False


class AnisotropyTest(NullCalibratedTest, ClassifierMixin, BaseNeuralEstimator):
    """Neural test of isotropy for HEALPix count maps (binary classifier on the torch core).

    Train with :meth:`fit` on labelled maps (label 0: isotropic, 1: with a source; any
    two labels work, the first in sorted order being isotropic) or with
    :meth:`fit_simulated` on maps simulated on the fly; then :meth:`calibrate` on fresh
    isotropic maps (``fit_simulated`` does it) sets ``threshold_`` at level ``alpha``.

    The network's logit is the test statistic (:meth:`statistic`);
    :meth:`decision_function` is the statistic minus the threshold (positive: reject
    isotropy), :meth:`predict` returns ``classes_[1]`` where isotropy is rejected,
    :meth:`predict_proba` is the logistic function of the decision (the network's own
    probability before calibration), :meth:`p_value` is the calibrated p-value, and
    :meth:`score` the power at ``alpha`` on labelled maps.

    Parameters
    ----------
    n_channels : int or None, default=None
        Energy channels of flattened input ``(n_maps, n_channels * npix)`` (1 when ``None``);
        3-D input ``(n_maps, n_channels, npix)`` carries its own.
    alpha : float, default=0.01
        Default significance level of :meth:`calibrate`.
    module, module_kwargs, optimizer, lr, weight_decay, batch_size, max_epochs, \
validation_fraction, patience, tol, gradient_clip, lr_schedule, device, random_state, \
callbacks, verbose
        Training parameters, see :class:`crsbi.core.base.BaseNeuralEstimator`. The default
        network is :class:`crsbi.uhecr.healpix.HealpixCNN` (built with ``in_channels``,
        ``n_outputs=1`` and ``nside``); a module class without an ``nside`` argument
        (e.g. :class:`crsbi.core.nn.MLP`) gets the flattened maps (``n_inputs``).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Labels (isotropic, anisotropic).
    n_features_in_ : int
        ``n_channels * npix``.
    n_channels_, npix_ : int
        Map shape seen in ``fit``.
    null_statistics_ : ndarray of shape (n_null,)
        Sorted statistics of the calibration maps (after :meth:`calibrate`).
    threshold_ : float
        Rejection threshold on the statistic (after :meth:`calibrate`; 0 before, the
        network's 0.5 probability).
    alpha_ : float
        Level of the calibration.
    n_events_ : int, float or None
        Event count of the calibration maps; maps of another count are refused by
        :meth:`p_value`, :meth:`predict` and the other calibrated methods (``None``: not
        checked, see :meth:`calibrate`).
    simulation_ : dict
        Source, event count and simulator settings of :meth:`fit_simulated`.
    module_, history_, n_iter_, best_epoch_, device_
        See :class:`crsbi.core.base.BaseNeuralEstimator`; ``history_`` records ``val_accuracy``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.anisotropy import AnisotropyTest
    >>> rng = np.random.default_rng(0)
    >>> iso = rng.poisson(1.0, size=(400, 1, 48)).astype(np.float32)   # nside = 2
    >>> hot = rng.poisson(1.0, size=(200, 1, 48)).astype(np.float32)
    >>> hot[:, 0, 0] += 6                                                # a hot pixel
    >>> X = np.concatenate([iso[:200], hot]); y = np.repeat([0, 1], 200)
    >>> test = AnisotropyTest(module_kwargs={"channels": 4, "head_hidden": (8,)},
    ...                       lr=1e-2, max_epochs=10, random_state=0, verbose=0)
    >>> test = test.fit(X, y).calibrate(iso[200:], alpha=0.05)
    >>> bool(test.score(X[200:], y[200:]) > 0.9)    # power at alpha = 0.05
    True
    """

    @property
    def _default_module(self) -> type[nn.Module]:  # type: ignore[override]
        from crsbi.uhecr.healpix import HealpixCNN

        return HealpixCNN

    def __init__(
        self,
        *,
        n_channels: int | None = None,
        alpha: float = 0.01,
        module: Any = None,
        module_kwargs: dict | None = None,
        optimizer: Any = "adamw",
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 32,
        max_epochs: int = 50,
        validation_fraction: float = 0.2,
        patience: int | None = 10,
        tol: float = 0.0,
        gradient_clip: float | None = None,
        lr_schedule: str | None = None,
        device: str = "auto",
        random_state: Any = None,
        callbacks: list | None = None,
        verbose: int = 1,
    ) -> None:
        self.n_channels = n_channels
        self.alpha = alpha
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
    def _flatten(self, X: Any, *, reset: bool) -> Any:
        """3-D maps -> 2-D (recording the channels), other inputs unchanged."""
        ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim
        if ndim == 3:
            maps = np.asarray(X)
            if maps.dtype.kind not in "biuf":
                raise TypeError(f"X must hold real numbers (counts); got dtype {maps.dtype}.")
            if reset:
                self._input_channels = maps.shape[1]
            elif maps.shape[1:] != (self.n_channels_, self.npix_):
                raise ValueError(
                    f"X must hold maps of shape ({self.n_channels_}, {self.npix_}) as in fit; "
                    f"got maps of shape {maps.shape[1:]}."
                )
            return maps.reshape(len(maps), -1)
        if ndim > 3:
            raise ValueError(
                "X must have shape (n_maps, n_channels, npix) or (n_maps, n_channels * npix); "
                f"got {ndim} dimensions."
            )
        if reset:
            self._input_channels = 1 if self.n_channels is None else int(self.n_channels)
        return X

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        owner = type(self).__name__
        check_interval(self.n_channels, "n_channels", owner, kind=int, low=1, allow_none=True)
        check_interval(self.alpha, "alpha", owner, low=0, high=1, closed="neither")
        X = self._flatten(X, reset=True)
        X, y = validate_data(self, X, y, dtype=_FLOATS, ensure_min_samples=2)
        channels = self._input_channels
        if np.ndim(X) == 2 and X.shape[1] % channels:
            raise ValueError(
                f"X has {X.shape[1]} features per map, not a multiple of n_channels={channels}; "
                "expected (n_maps, n_channels * npix)."
            )
        self.n_channels_ = channels
        self.npix_ = X.shape[1] // channels
        self._sphere_ = _is_sphere_module(self.module)
        if self._sphere_:  # the HEALPix network needs npix = 12 nside^2
            check_sky_maps(X[:1], n_channels=channels, name="X")
            self._check_counts(X)
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y")
        if target_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{target_type}: {owner} separates isotropic maps from maps with a source."
            )
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) != 2:
            raise ValueError(
                f"{owner} is a binary test (isotropic vs source maps): y must hold exactly 2 "
                f"classes; got {len(self.classes_)} class(es) {list(self.classes_)}."
            )
        return X, encoder.transform(y)

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        X = self._flatten(X, reset=False)
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        if self._sphere_:
            self._check_counts(X)
        return X

    def _check_counts(self, X: np.ndarray) -> None:
        """Refuse negative values in HEALPix count maps (NaN/inf are caught by sklearn).

        Only the HEALPix network reads counts; a module on flattened features (e.g. an MLP)
        accepts any real input.
        """
        negative = X < 0
        if negative.any():
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: maps hold event "
                f"counts >= 0. Got {int(negative.sum())} negative values, e.g. "
                f"{float(X[negative][0])!r}."
            )

    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        if self._sphere_:
            nside = math.isqrt(self.npix_ // 12)
            return {"in_channels": self.n_channels_, "n_outputs": 1, "nside": nside}
        return {"n_inputs": X.shape[1], "n_outputs": 1}

    def _encode_input(self, X: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.require(X, dtype=np.float32, requirements=["C", "W"]))
        if self._sphere_:
            return tensor.reshape(len(tensor), self.n_channels_, self.npix_)
        return tensor

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.binary_cross_entropy_with_logits(output, target)

    def _metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        return {"accuracy": float(((output > 0).float() == target).float().mean())}

    def _fit_simulated_maps(
        self,
        X: np.ndarray,
        y: np.ndarray,
        resample: Callable[[int], tuple[np.ndarray, np.ndarray]] | None,
    ) -> None:
        if resample is None:
            self.fit(X, y)
            return

        def flat(epoch: int) -> tuple[np.ndarray, np.ndarray]:
            maps, labels = resample(epoch)
            return maps.reshape(len(maps), -1), labels

        self._fit(X, y, resample=flat)

    # ------------------------------------------------------------ statistic
    def statistic(self, X: Any) -> np.ndarray:
        """Test statistic of each map: the network's logit (larger = less isotropic).

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or (n_maps, n_channels * npix)
            Count maps (NESTED), as in ``fit``.

        Returns
        -------
        ndarray of shape (n_maps,)
            Logits of "this map has a source".
        """
        X = self._prepare_predict(X)
        return self._forward(X).numpy()[:, 0].astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Logistic function of :meth:`decision_function` for (isotropic, anisotropic).

        Before :meth:`calibrate` this is the network's own probability; afterwards the
        0.5 point sits at the calibrated threshold, so ``argmax`` agrees with
        :meth:`predict`. Use :meth:`p_value` for calibrated significance.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Count maps.

        Returns
        -------
        ndarray of shape (n_maps, 2)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        p = 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(X), -700, 700)))
        return np.stack([1.0 - p, p], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
