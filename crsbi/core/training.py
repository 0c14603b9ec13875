"""The mini-batch training loop shared by every neural estimator.

Kept free of scikit-learn: it takes a module, tensors and a loss, and returns the
per-epoch history and the weights of the best epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = [
    "EarlyStopping",
    "TrainingResult",
    "build_optimizer",
    "build_scheduler",
    "train_module",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MetricsFn = Callable[[torch.Tensor, torch.Tensor], dict[str, float]]
Callback = Callable[[dict[str, Any], nn.Module], bool | None]

_OPTIMIZERS = {
    "adamw": torch.optim.AdamW,
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
}


def build_optimizer(
    name_or_class: str | type[torch.optim.Optimizer],
    parameters: Any,
    *,
    lr: float,
    weight_decay: float,
) -> torch.optim.Optimizer:
    """Create the optimizer named by an estimator's ``optimizer`` parameter.

    Parameters
    ----------
    name_or_class : {"adamw", "adam", "sgd"} or torch.optim.Optimizer subclass
        Which optimizer; ``"sgd"`` uses Nesterov momentum 0.9.
    parameters : iterable of torch.nn.Parameter
        Parameters to optimise.
    lr, weight_decay : float
        Learning rate and (decoupled for AdamW) weight decay.

    Returns
    -------
    torch.optim.Optimizer
        The optimizer.
    """
    if isinstance(name_or_class, str):
        if name_or_class not in _OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch.optim.Optimizer "
                f"subclass. Got {name_or_class!r} instead."
            )
        cls = _OPTIMIZERS[name_or_class]
        if cls is torch.optim.SGD:
            return cls(parameters, lr=lr, weight_decay=weight_decay, momentum=0.9, nesterov=True)
        return cls(parameters, lr=lr, weight_decay=weight_decay)
    if isinstance(name_or_class, type) and issubclass(name_or_class, torch.optim.Optimizer):
        return name_or_class(parameters, lr=lr, weight_decay=weight_decay)
    raise TypeError(
        f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch.optim.Optimizer subclass. "
        f"Got {name_or_class!r} instead."
    )


LR_SCHEDULES = ("cosine", "plateau")


def build_scheduler(
    name: str | None, optimizer: torch.optim.Optimizer, *, max_epochs: int, patience: int | None
) -> Any:
    """Create the per-epoch learning-rate schedule named by ``lr_schedule``.

    Parameters
    ----------
    name : {None, "cosine", "plateau"}
        ``None``: constant learning rate. ``"cosine"``: cosine annealing over
        ``max_epochs`` down to 1e-3 of the initial rate (a regression's last digits come
        from the small steps at the end; with early stopping the run may stop before the
        rate is small). ``"plateau"``: the rate is divided by 3 after
        ``max(1, patience // 3)`` epochs without improvement of the monitored loss
        (5 when ``patience`` is None), so it drops a few times before early stopping.
    optimizer : torch.optim.Optimizer
        The optimizer whose rate is scheduled.
    max_epochs : int
        Length of the cosine period.
    patience : int or None
        Early-stopping patience of the run.

    Returns
    -------
    torch.optim.lr_scheduler.LRScheduler or ReduceLROnPlateau or None
        Stepped once per epoch by :func:`train_module`.
    """
    if name is None:
        return None
    if name == "cosine":
        base = optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=max_epochs, eta_min=1e-3 * base
        )
    if name == "plateau":
        wait = 5 if patience is None else max(1, patience // 3)
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=1 / 3, patience=wait)
    raise ValueError(f"lr_schedule must be None or one of {LR_SCHEDULES}; got {name!r}.")


@dataclass
class EarlyStopping:
    """Track a monitored loss, keep a copy of the best weights, say when to stop.

    Parameters
    ----------
    patience : int or None
        Stop after this many consecutive epochs without improvement; ``None`` never stops.
    tol : float, default=0.0
        An epoch improves when ``loss < best_loss - tol``.

    Attributes
    ----------
    best_loss : float
        Lowest monitored loss seen so far.
    best_epoch : int
        1-based epoch of ``best_loss`` (0 before the first update).
    best_state : dict
        Detached *copies* of the module's ``state_dict`` at ``best_epoch``, so that
        later optimizer steps cannot change them.
    """

    patience: int | None
    tol: float = 0.0
    best_loss: float = math.inf
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] = field(default_factory=dict)
    wait: int = 0

    def update(self, loss: float, epoch: int, module: nn.Module) -> bool:
        """Record the loss of ``epoch``; return ``True`` when training should stop."""
        if loss < self.best_loss - self.tol or self.best_epoch == 0:
            self.best_loss = float(loss)
            self.best_epoch = int(epoch)
            # clone: state_dict() returns views that the next optimizer step overwrites
            self.best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            self.wait = 0
            return False
        self.wait += 1
        return self.patience is not None and self.wait >= self.patience

    def restore(self, module: nn.Module) -> None:
        """Load the best weights back into ``module``."""
        if self.best_state:
            module.load_state_dict(self.best_state)


@dataclass
class TrainingResult:
    """What :func:`train_module` returns.

    Attributes
    ----------
    history : list of dict
        One record per epoch: ``epoch``, ``train_loss``, ``val_loss`` (NaN without a
        validation set), metric values prefixed ``val_``, ``duration`` in seconds.
    best_epoch : int
        Epoch whose weights were restored.
    best_loss : float
        Monitored loss at ``best_epoch``.
    stopped_early : bool
        Whether training ended before ``max_epochs``.
    """

    history: list[dict[str, Any]]
    best_epoch: int
    best_loss: float
    stopped_early: bool


def _batched_loss(
    module: nn.Module,
    loss_fn: LossFn,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    batch_size: int,
) -> tuple[float, torch.Tensor]:
    """Mean loss over a data set in evaluation mode, and the concatenated outputs."""
    module.eval()
    total, outputs = 0.0, []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            out = module(inputs[start : start + batch_size])
            target = targets[start : start + batch_size]
            total += float(loss_fn(out, target)) * len(target)
            outputs.append(out)
    return total / len(inputs), torch.cat(outputs)


def train_module(
    module: nn.Module,
    loss_fn: LossFn,
    train: tuple[torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor] | None,
    *,
    optimizer: torch.optim.Optimizer,
    batch_size: int,
    max_epochs: int,
    patience: int | None,
    tol: float = 0.0,
    gradient_clip: float | None = None,
    generator: torch.Generator | None = None,
    metrics_fn: MetricsFn | None = None,
    callbacks: Sequence[Callback] = (),
    verbose: int = 1,
    description: str = "training",
    resample: Callable[[int], tuple[torch.Tensor, torch.Tensor]] | None = None,
    scheduler: Any = None,
) -> TrainingResult:
    """Train ``module`` with mini-batches and early stopping; restore the best weights.

    The monitored loss is the validation loss when ``validation`` is given, otherwise
    the training loss. The weights of the epoch with the lowest monitored loss are
    restored at the end, whether training stopped early or ran to ``max_epochs``.

    Parameters
    ----------
    module : torch.nn.Module
        Network, already on the device of the tensors.
    loss_fn : callable
        ``loss_fn(output, target)`` returning a scalar mean loss over the batch.
    train : tuple of torch.Tensor
        ``(inputs, targets)`` for training; first axis indexes samples.
    validation : tuple of torch.Tensor or None
        ``(inputs, targets)`` held out for early stopping.
    optimizer : torch.optim.Optimizer
        Optimizer over ``module.parameters()``.
    batch_size : int
        Mini-batch size (the last batch of an epoch may be smaller).
    max_epochs : int
        Upper bound on the number of passes over the training set.
    patience : int or None
        Epochs without improvement before stopping; ``None`` disables early stopping.
    tol : float, default=0.0
        Minimum decrease of the monitored loss that counts as an improvement.
    gradient_clip : float or None
        Clip the global gradient 2-norm to this value.
    generator : torch.Generator or None
        CPU generator for the shuffling order (seed it for reproducible runs).
    metrics_fn : callable or None
        ``metrics_fn(val_output, val_target) -> dict`` of extra validation metrics.
    callbacks : sequence of callable
        Each called as ``callback(record, module)`` after every epoch; returning
        ``True`` stops training.
    verbose : int, default=1
        ``0`` silences the progress bar.
    description : str
        Label of the progress bar.
    resample : callable or None
        ``resample(epoch) -> (inputs, targets)`` called before every epoch after the
        first; its tensors replace the training set for that epoch (fresh simulations:
        an unlimited training set). The validation set stays fixed.
    scheduler : torch.optim.lr_scheduler object or None
        Stepped after every epoch (``ReduceLROnPlateau`` with the monitored loss); see
        :func:`build_scheduler`. The rate used in each epoch is recorded as ``lr``.

    Returns
    -------
    TrainingResult
        History and best epoch.
    """
    x_train, y_train = train
    n_train = len(x_train)
    if n_train == 0:
        raise ValueError("The training set is empty; need at least one training sample.")
    stopper = EarlyStopping(patience=patience, tol=tol)
    history: list[dict[str, Any]] = []
    stopped_early = False
    bar = tqdm(range(1, max_epochs + 1), desc=description, disable=verbose == 0, leave=False)
    for epoch in bar:
        start_time = time.perf_counter()
        if resample is not None and epoch > 1:
            x_train, y_train = resample(epoch)
            n_train = len(x_train)
            if n_train == 0 or len(y_train) != n_train:
                raise ValueError(
                    f"resample({epoch}) returned {n_train} inputs and {len(y_train)} targets; "
                    "expected the same non-zero number of each."
                )
        module.train()
        order = torch.randperm(n_train, generator=generator).to(x_train.device)
        running = 0.0
        for start in range(0, n_train, batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(module(x_train[index]), y_train[index])
            if not torch.isfinite(loss.detach()):
                raise FloatingPointError(
                    f"The training loss became {loss.detach().item()} at epoch {epoch}. "
                    "Lower the learning rate, scale the inputs or set gradient_clip."
                )
            loss.backward()
            if gradient_clip is not None:
                nn.utils.clip_grad_norm_(module.parameters(), gradient_clip)
            optimizer.step()
            running += float(loss.detach()) * len(index)
        record: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": running / n_train,
            "lr": optimizer.param_groups[0]["lr"],
        }
        if validation is not None:
            val_loss, val_out = _batched_loss(module, loss_fn, *validation, batch_size)
            record["val_loss"] = val_loss
            if metrics_fn is not None:
                record.update(
                    {f"val_{k}": v for k, v in metrics_fn(val_out, validation[1]).items()}
                )
            monitored = val_loss
        else:
            record["val_loss"] = math.nan
            monitored = record["train_loss"]
        record["duration"] = time.perf_counter() - start_time
        history.append(record)
        bar.set_postfix(train=f"{record['train_loss']:.4g}", val=f"{record['val_loss']:.4g}")
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(monitored)
        elif scheduler is not None:
            scheduler.step()
        stop = stopper.update(monitored, epoch, module)
        for callback in callbacks:
            stop = bool(callback(record, module)) or stop
        if stop:
            stopped_early = epoch < max_epochs
            break
    bar.close()
    stopper.restore(module)
    module.eval()
    return TrainingResult(history, stopper.best_epoch, stopper.best_loss, stopped_early)
