"""The torch training base shared by every crsbi neural estimator.

A subclass declares its own keyword-only ``__init__`` (scikit-learn reads the
parameters from its signature) and implements a few hooks:

``_validate_fit_data(X, y)``
    validate and convert the training data, set ``n_features_in_`` and friends;
``_validate_predict_data(X)``
    validate data at prediction time (``reset=False``);
``_module_shape(X, y)``
    the keyword arguments that fix the network's input and output sizes;
``_default_module``
    the network class (a ``torch.nn.Module`` of the estimator's domain) used when ``module=None``;
``_encode_target(y)`` and ``_loss(output, target)``
    turn targets into a tensor and score outputs against them;
``_metrics(output, target)`` (optional)
    extra validation metrics recorded in ``history_``.

Everything else (seeding, device, splitting, the training loop with early stopping,
progress, persistence) is here, once.
"""

from __future__ import annotations

import collections
import copy
import itertools
import math
import warnings
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import nn

from crsbi.core.device import resolve_device
from crsbi.core.persistence import PersistenceMixin
from crsbi.core.random import check_random_state, seeded_torch, torch_seed
from crsbi.core.training import LR_SCHEDULES, build_optimizer, build_scheduler, train_module
from crsbi.core.validation import check_interval, check_option

__all__ = ["BaseNeuralEstimator", "prediction_network"]

#: Number of samples pushed through the network at once at prediction time.
PREDICT_BATCH_SIZE = 4096

#: The same for ``precision="float32"`` (larger blocks amortise the per-call overhead).
FAST_PREDICT_BATCH_SIZE = 32768

#: float32 twins for ``precision="float32"`` (same keys and values as the float64 ones).
_FLOAT32_TWINS: weakref.WeakKeyDictionary[nn.Module, tuple[tuple, nn.Module]] = (
    weakref.WeakKeyDictionary()
)

#: Precisions a network can be evaluated in at prediction time.
PRECISIONS = ("float64", "float32")

#: float64 twins of trained networks, keyed by the trained network itself (weakly, so an
#: entry dies with its network and nothing of it is pickled with an estimator). Each value
#: is ``(fingerprint, twin)``; ``twin`` is ``None`` for a network that cannot run in float64.
_FLOAT64_TWINS: weakref.WeakKeyDictionary[nn.Module, tuple[tuple, nn.Module | None]] = (
    weakref.WeakKeyDictionary()
)


def _fingerprint(module: nn.Module) -> tuple:
    """Identify the current weights of ``module`` without reading them.

    Every parameter and buffer enters with its name, identity, storage address, dtype,
    device and in-place version counter: an optimizer step, ``load_state_dict``,
    ``.to(...)`` or a replaced submodule changes the fingerprint.
    """
    return tuple(
        (name, id(t), t.data_ptr(), t._version, t.dtype, t.device)
        for name, t in itertools.chain(module.named_parameters(), module.named_buffers())
    )


def prediction_network(
    module: nn.Module, device: str | torch.device, precision: str = "float64"
) -> nn.Module:
    """Return the network to evaluate at prediction time: a float64 twin of ``module``.

    Float32 results of a network depend on the batch it is evaluated in: BLAS and
    convolution kernels choose their blocking (and so the order of the sums) by the
    number of rows and by the CPU, which moves outputs by ~1e-7 relative between a
    batch and its subsets. In float64 the same reassociation moves them by ~1e-16, so
    predictions do not depend on which other samples share the call (scikit-learn's
    subset- and order-invariance). The twin is a float64 copy of ``module`` in
    evaluation mode without gradients (its ``nn.Tanh`` layers computed as
    ``2 sigmoid(2x) - 1``, equal to 4e-16 and ~3x faster in float64 on the CPU), kept
    while ``module`` lives and its weights are unchanged (an optimizer step,
    ``load_state_dict`` or ``.to(...)`` makes a new one); it is never pickled. MPS has
    no float64: there ``module`` itself is returned.

    Parameters
    ----------
    module : torch.nn.Module
        The trained network.
    device : str or torch.device
        Device ``module`` lives on.
    precision : {"float64", "float32"}, default="float64"
        ``"float32"`` returns a float32 twin instead (same fast activations, cached the
        same way): 2-3x faster on the CPU, with outputs that depend on the batch at the
        1e-7 relative level.

    Returns
    -------
    torch.nn.Module
        The float64 (or float32) twin, or ``module`` itself on MPS and for networks that
        failed to run in float64 before (see :meth:`BaseNeuralEstimator._forward`).

    Examples
    --------
    >>> import torch
    >>> from crsbi.core.base import prediction_network
    >>> net = torch.nn.Linear(3, 1)
    >>> twin = prediction_network(net, "cpu")
    >>> twin.weight.dtype, twin is prediction_network(net, "cpu")
    (torch.float64, True)
    >>> with torch.no_grad():
    ...     _ = net.weight.zero_()  # new weights: a new twin
    >>> prediction_network(net, "cpu") is twin
    False
    """
    check_option(precision, "precision", "prediction_network", PRECISIONS)
    fingerprint = _fingerprint(module)
    if precision == "float32":
        cached32 = _FLOAT32_TWINS.get(module)
        if cached32 is not None and cached32[0] == fingerprint:
            return cached32[1]
        twin = copy.deepcopy(module).to(torch.float32).eval().requires_grad_(False)
        _fast_activations(twin)
        _FLOAT32_TWINS[module] = (fingerprint, twin)
        return twin
    if torch.device(device).type == "mps":
        return module
    cached = _FLOAT64_TWINS.get(module)
    if cached is not None and cached[0] == fingerprint:
        return module if cached[1] is None else cached[1]
    twin = copy.deepcopy(module).to(torch.float64).eval().requires_grad_(False)
    _fast_activations(twin)
    _FLOAT64_TWINS[module] = (fingerprint, twin)
    return twin


class _SigmoidTanh(nn.Module):
    """``tanh(x) = 2 sigmoid(2x) - 1``: within 4e-16 of ``torch.tanh`` in float64.

    The float64 twins use it because PyTorch's float64 ``tanh`` on the CPU is ~3x slower
    than its vectorised ``sigmoid`` (the ensemble surrogates spend most of a prediction
    there); the absolute error stays at the float64 rounding level, so predictions still
    do not depend on the batch.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x * 2.0).mul_(2.0).sub_(1.0)


class _PrescaledSigmoidTanh(nn.Module):
    """``2 sigmoid(y) - 1`` computed in place, for ``y = 2 x`` made by the layer before.

    Used in an ``nn.Sequential`` right after an ``nn.Linear`` whose weights and bias were
    doubled: doubling is exact in binary floating point, so ``(2 W) x + 2 b`` equals
    ``2 (W x + b)`` bit for bit and the twin's outputs do not change, while one pass over
    the activations (and its allocation) is saved. The input is the fresh output of that
    linear layer, which nothing else reads, so it is overwritten.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid_(x).mul_(2.0).sub_(1.0)


def _fast_activations(module: nn.Module, uses: collections.Counter | None = None) -> None:
    """Replace every ``nn.Tanh`` of ``module`` by a sigmoid form, in place.

    In an ``nn.Sequential``, a ``Tanh`` right after an ``nn.Linear`` becomes
    :class:`_PrescaledSigmoidTanh` with that layer's weights doubled; any other ``Tanh``
    becomes :class:`_SigmoidTanh`.
    """
    if uses is None:  # how often each layer is called: a shared layer is not rescaled
        uses = collections.Counter(id(m) for _, m in module.named_modules(remove_duplicate=False))
    children = list(module.named_children())
    for i, (name, child) in enumerate(children):
        if type(child) is nn.Tanh:
            before = children[i - 1][1] if i else None
            if (
                isinstance(module, nn.Sequential)
                and type(before) is nn.Linear
                and uses[id(before)] == 1
            ):
                with torch.no_grad():
                    before.weight.mul_(2.0)
                    if before.bias is not None:
                        before.bias.mul_(2.0)
                setattr(module, name, _PrescaledSigmoidTanh())
            else:
                setattr(module, name, _SigmoidTanh())
        else:
            _fast_activations(child, uses)


def _disable_float64(module: nn.Module) -> None:
    """Remember that ``module`` cannot run in float64 (it is evaluated in float32)."""
    _FLOAT64_TWINS[module] = (_fingerprint(module), None)


class BaseNeuralEstimator(PersistenceMixin, BaseEstimator):
    """Base class of crsbi's torch estimators (not used directly).

    Subclasses accept these common parameters, documented once here:

    Parameters
    ----------
    module : None, torch.nn.Module subclass or instance
        Network to train. ``None`` uses the estimator's default network; a class is
        called with the input/output sizes and ``module_kwargs``; an instance is
        copied and its parameters re-initialised (the argument itself is never changed).
    module_kwargs : dict or None
        Extra keyword arguments for the network class.
    optimizer : {"adamw", "adam", "sgd"} or torch.optim.Optimizer subclass, default="adamw"
        Optimizer.
    lr : float, default=1e-3
        Learning rate, > 0.
    weight_decay : float, default=1e-4
        Weight decay, >= 0 (decoupled for AdamW).
    batch_size : int, default=64
        Mini-batch size, >= 1.
    max_epochs : int, default=200
        Maximum number of passes over the training set.
    validation_fraction : float, default=0.1
        Fraction of the samples held out for early stopping, in [0, 1). With 0 the
        training loss is monitored instead.
    patience : int or None, default=10
        Epochs without improvement of the monitored loss before stopping;
        ``None`` trains for ``max_epochs``. The best weights are restored either way.
    tol : float, default=0.0
        Minimum decrease of the monitored loss counted as an improvement.
    gradient_clip : float or None, default=None
        Maximum global gradient 2-norm.
    lr_schedule : {None, "cosine", "plateau"}, default=None
        Per-epoch learning-rate schedule (see :func:`crsbi.core.training.build_scheduler`):
        constant, cosine annealing over ``max_epochs``, or divided by 3 on plateaus of the
        monitored loss. A decaying rate gives a regression its last digits.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the split, the weight initialisation, dropout and the batch order; with
        an integer, CPU runs are bit-for-bit reproducible.
    callbacks : list of callable or None, default=None
        Each called as ``callback(record, module)`` after every epoch; returning
        ``True`` stops training.
    verbose : int, default=1
        ``0`` silences the progress bar.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (best epoch), in evaluation mode.
    history_ : list of dict
        Per-epoch ``train_loss``, ``val_loss``, ``val_<metric>`` and ``duration`` [s].
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch whose weights were kept.
    device_ : str
        Device the network lives on (``"cpu"`` after unpickling).
    """

    #: Network class used when ``module=None`` (set by subclasses).
    _default_module: ClassVar[type[nn.Module] | None] = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        # estimators saved before ``lr_schedule`` existed trained at a constant rate
        state = {"lr_schedule": None, **state}
        super().__setstate__(state)

    # ------------------------------------------------------------------ hooks
    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        raise NotImplementedError

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        return {}

    def _encode_input(self, X: np.ndarray) -> torch.Tensor:
        """Convert validated inputs into a float32 tensor (override for reshaping)."""
        return torch.from_numpy(np.require(X, dtype=np.float32, requirements=["C", "W"]))

    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this estimator fails by design, with reasons."""
        return {}

    # ------------------------------------------------------------ validation
    def _check_training_params(self) -> None:
        """Validate the common training parameters (called at the start of ``fit``)."""
        owner = type(self).__name__
        check_interval(self.lr, "lr", owner, low=0, closed="neither")
        check_interval(self.weight_decay, "weight_decay", owner, low=0)
        check_interval(self.batch_size, "batch_size", owner, kind=int, low=1)
        check_interval(self.max_epochs, "max_epochs", owner, kind=int, low=1)
        check_interval(
            self.validation_fraction, "validation_fraction", owner, low=0, high=1, closed="left"
        )
        check_interval(self.patience, "patience", owner, kind=int, low=1, allow_none=True)
        check_interval(self.tol, "tol", owner, low=0)
        check_interval(
            self.gradient_clip, "gradient_clip", owner, low=0, closed="neither", allow_none=True
        )
        check_interval(self.verbose, "verbose", owner, kind=int, low=0)
        check_option(self.lr_schedule, "lr_schedule", owner, (None, *LR_SCHEDULES))
        if self.module_kwargs is not None and not isinstance(self.module_kwargs, dict):
            raise TypeError(
                f"The 'module_kwargs' parameter of {owner} must be a dict or None. "
                f"Got {self.module_kwargs!r} instead."
            )
        if self.callbacks is not None and not all(callable(c) for c in self.callbacks):
            raise TypeError(
                f"The 'callbacks' parameter of {owner} must be a list of callables or None. "
                f"Got {self.callbacks!r} instead."
            )

    # -------------------------------------------------------------- building
    def _build_module(self, X: np.ndarray, y: np.ndarray) -> nn.Module:
        shape = self._module_shape(X, y)
        kwargs = dict(self.module_kwargs or {})
        module = self.module
        if module is None:
            module = self._default_module
        if isinstance(module, nn.Module):
            if kwargs:
                raise ValueError(
                    "module_kwargs cannot be used with a module instance; pass the module "
                    "class instead, or leave module_kwargs empty."
                )
            built = copy.deepcopy(module)
            for layer in built.modules():
                if hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()
            return built
        if isinstance(module, type) and issubclass(module, nn.Module):
            try:
                return module(**shape, **kwargs)
            except TypeError as exc:
                raise TypeError(
                    f"Could not build {module.__name__} with {sorted({**shape, **kwargs})}: {exc}"
                ) from exc
        raise TypeError(
            f"The 'module' parameter of {type(self).__name__} must be None, a torch.nn.Module "
            f"subclass or instance. Got {module!r} instead."
        )

    def _split(self, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Random train/validation indices according to ``validation_fraction``."""
        n_val = math.ceil(self.validation_fraction * n_samples) if self.validation_fraction else 0
        if n_val >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no training samples out "
                f"of n_samples = {n_samples}; use more samples or a smaller fraction."
            )
        order = rng.permutation(n_samples)
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    # ------------------------------------------------------------- training
    def fit(self, X: Any, y: Any) -> BaseNeuralEstimator:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like
            Training inputs; see the estimator for the expected shape.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Training targets.

        Returns
        -------
        self
            The fitted estimator.
        """
        return self._fit(X, y)

    def _fit(
        self,
        X: Any,
        y: Any,
        resample: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> BaseNeuralEstimator:
        """:meth:`fit`, optionally on a training set renewed every epoch.

        ``resample(epoch)`` returns ``(X, y)`` already validated and encoded like the
        output of :meth:`_validate_fit_data`; it replaces the training part of ``X``
        for that epoch (see :func:`crsbi.core.training.train_module`).
        """
        self._check_training_params()
        rng = check_random_state(self.random_state)
        X, y = self._validate_fit_data(X, y)
        self.device_ = resolve_device(self.device)
        seed = torch_seed(rng)
        train_index, val_index = self._split(len(X), rng)
        device = torch.device(self.device_)
        with seeded_torch(seed, self.device_):
            module = self._build_module(X, y).to(device)
            inputs = self._encode_input(X).to(device)
            targets = self._encode_target(y).to(device)
            train = (inputs[train_index], targets[train_index])
            validation = (inputs[val_index], targets[val_index]) if len(val_index) else None
            optimizer = build_optimizer(
                self.optimizer, module.parameters(), lr=self.lr, weight_decay=self.weight_decay
            )
            scheduler = build_scheduler(
                self.lr_schedule, optimizer, max_epochs=self.max_epochs, patience=self.patience
            )
            result = train_module(
                module,
                self._loss,
                train,
                validation,
                optimizer=optimizer,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                patience=self.patience,
                tol=self.tol,
                gradient_clip=self.gradient_clip,
                generator=torch.Generator().manual_seed(seed),
                metrics_fn=self._metrics,
                callbacks=list(self.callbacks or ()),
                verbose=self.verbose,
                description=type(self).__name__,
                resample=None if resample is None else self._tensor_resampler(resample, device),
                scheduler=scheduler,
            )
        self.module_ = module
        self.history_ = result.history
        self.n_iter_ = len(result.history)
        self.best_epoch_ = result.best_epoch
        return self

    def _tensor_resampler(
        self, resample: Callable[[int], tuple[np.ndarray, np.ndarray]], device: torch.device
    ) -> Callable[[int], tuple[torch.Tensor, torch.Tensor]]:
        """Wrap an array resampler as one of tensors on ``device``."""

        def tensors(epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
            X, y = resample(epoch)
            return self._encode_input(X).to(device), self._encode_target(y).to(device)

        return tensors

    def _prepare_predict(self, X: Any) -> np.ndarray:
        """Check that the estimator is fitted, then validate prediction inputs."""
        check_is_fitted(self, "module_")
        return self._validate_predict_data(X)

    def _forward(self, X: np.ndarray, precision: str = "float64") -> torch.Tensor:
        """Network outputs for validated inputs, computed in batches, returned on CPU.

        The network is evaluated in float64 (:func:`prediction_network`), so an output
        does not depend on the other rows of ``X`` beyond ~1e-16 relative: BLAS choosing
        other kernels for another batch size moves float32 outputs by ~1e-7. Inputs are
        encoded as in training (float32) and then widened exactly. A custom network that
        cannot run in float64 (one that makes float32 tensors itself) is evaluated in
        float32 with a warning; so is every network on MPS, which has no float64.

        ``precision="float32"`` evaluates a float32 twin instead, in larger batches (the
        fast path for throughput: outputs move by ~1e-7 relative with the batch).

        Returns
        -------
        torch.Tensor
            Outputs on the CPU, float64 (float32 with ``precision="float32"``, on MPS and
            for such networks).
        """
        check_is_fitted(self, "module_")
        inputs = self._encode_input(X)
        self.module_.eval()
        if precision == "float32":
            fast = prediction_network(self.module_, self.device_, "float32")
            return self._batched_outputs(fast, inputs, FAST_PREDICT_BATCH_SIZE)
        network = prediction_network(self.module_, self.device_)
        if network is self.module_:
            return self._batched_outputs(network, inputs)
        wide = inputs.to(torch.float64) if inputs.is_floating_point() else inputs
        try:
            return self._batched_outputs(network, wide)
        except (RuntimeError, TypeError) as exc:
            error = exc
        outputs = self._batched_outputs(self.module_, inputs)  # errors of the input surface here
        _disable_float64(self.module_)
        warnings.warn(
            f"The network of {type(self).__name__} failed in float64 ({error}); it is "
            "evaluated in float32, where outputs depend on the batch size at the 1e-7 level.",
            RuntimeWarning,
            stacklevel=3,
        )
        return outputs

    def _batched_outputs(
        self, network: nn.Module, inputs: torch.Tensor, batch_size: int = PREDICT_BATCH_SIZE
    ) -> torch.Tensor:
        """``network(inputs)`` in batches of ``batch_size``, on the CPU."""
        outputs = []
        with torch.no_grad():
            for start in range(0, len(inputs), batch_size):
                batch = inputs[start : start + batch_size].to(self.device_)
                outputs.append(network(batch).cpu())
        return torch.cat(outputs)

    # ----------------------------------------------------------- persistence
    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = dict(state)
        module = state.get("module_")
        if module is not None and getattr(self, "device_", "cpu") != "cpu":
            state["module_"] = copy.deepcopy(module).to("cpu")
        if "device_" in state:
            state["device_"] = "cpu"
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
