r"""TrajectoryGenerator: a diffusion model of charged-particle velocity series.

After Martin, Lübke et al.: a DDPM (:class:`crsbi.particles.ddpm.DDPM`, 1000 steps, linear
:math:`\beta` from :math:`10^{-4}` to 0.02, :math:`\epsilon`-prediction, MSE loss) with a 1D
U-Net (:class:`crsbi.particles.unet1d.UNet1d`) learns the distribution of unit velocity series
:math:`\mathbf V(t)`, and samples are normalised, so :math:`|\mathbf V| = 1` holds exactly by
construction.

Differences from the paper: by default the network sees the three velocity components
(``representation="cartesian"``) instead of the angles :math:`\theta = \arccos V_z`,
:math:`\phi = \operatorname{atan2}(V_y, V_x)`; the angles remain available as channels
:math:`(\theta, \cos\phi, \sin\phi)` (the azimuth as a unit pair since :math:`\phi` jumps by
:math:`2\pi` once per gyration), mapped back with :math:`(\sin\theta\cos\phi,
\sin\theta\sin\phi, \cos\theta)`. Sampling uses an exponential moving average of the
weights, and ``stride`` models every ``stride``-th sample with a cubic spline for the rest.

With labels ``y`` (the coupling :math:`\alpha = \ell_0/r_g` of each series) the U-Net is
conditioned on :math:`\log\alpha` and trained with condition dropout, so sampling can use
classifier-free guidance and interpolate to couplings not seen in training.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from scipy.interpolate import CubicSpline
from sklearn.utils.validation import check_is_fitted
from torch import nn

from crsbi.core.base import BaseNeuralEstimator
from crsbi.core.device import resolve_device
from crsbi.core.random import check_random_state, seeded_torch, torch_seed
from crsbi.core.training import build_optimizer, build_scheduler, train_module
from crsbi.core.validation import check_interval, check_option
from crsbi.particles.ddpm import DDPM
from crsbi.particles.statistics import (
    angles_to_velocity,
    integrate_positions,
    trajectory_distance,
    velocity_to_angles,
)
from crsbi.particles.unet1d import UNet1d

__all__ = ["TrajectoryGenerator"]

_SAMPLE_BATCH = 256
_UNIT_TOLERANCE = 1e-3


class _DiffusionObjective(nn.Module):
    """Training wrapper: draws steps and noise, returns (prediction, noise) stacked.

    Its input packs the condition as a fourth channel (NaN when unconditional), so the
    shared training loop, which calls ``module(inputs)``, can train a denoiser.
    """

    def __init__(self, denoiser: nn.Module, ddpm: DDPM, cond_drop_prob: float) -> None:
        super().__init__()
        self.denoiser = denoiser
        self.ddpm = ddpm
        self.cond_drop_prob = cond_drop_prob

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x0, cond = inputs[:, :-1], inputs[:, -1, 0]
        conditional = bool(getattr(self.denoiser, "conditional", False))
        batch = x0.shape[0]
        t = torch.randint(0, self.ddpm.n_steps, (batch,)).to(x0.device)
        noise = torch.randn(x0.shape).to(x0.device)
        if conditional and self.training and self.cond_drop_prob > 0:
            drop = (torch.rand(batch) < self.cond_drop_prob).to(x0.device)
            cond = torch.where(drop, torch.full_like(cond, float("nan")), cond)
        xt = self.ddpm.q_sample(x0, t, noise)
        prediction = self.denoiser(xt, t, cond) if conditional else self.denoiser(xt, t)
        return torch.stack([prediction, noise], dim=1)


def _spline_restore(channels: np.ndarray, stride: int, length: int) -> np.ndarray:
    """Cubic-spline series sampled every ``stride`` steps back to ``length`` samples.

    ``channels`` has time on its last axis, sample ``i`` at step ``i * stride``; the last
    ``stride - 1`` samples are extrapolated. ``stride == 1`` returns the input.
    """
    if stride == 1:
        return channels
    knots = np.arange(channels.shape[-1]) * stride
    return CubicSpline(knots, channels, axis=-1)(np.arange(length))


def _attach_ema(module: nn.Module, optimizer: Any, decay: float) -> nn.Module | None:
    """Keep an exponential moving average of ``module``'s weights after every optimiser step.

    Returns the averaged copy (``None`` when ``decay == 0``). The effective decay ramps
    up as ``min(decay, (1 + n) / (10 + n))`` after ``n`` steps, so early weights fade fast.
    """
    if decay <= 0:
        return None
    average = copy.deepcopy(module).requires_grad_(False)
    count = [0]

    def update(*_: Any) -> None:
        count[0] += 1
        rate = min(decay, (1.0 + count[0]) / (10.0 + count[0]))
        with torch.no_grad():
            for mine, theirs in zip(average.parameters(), module.parameters(), strict=True):
                mine.mul_(rate).add_(theirs.detach(), alpha=1.0 - rate)
            for mine, theirs in zip(average.buffers(), module.buffers(), strict=True):
                mine.copy_(theirs)

    optimizer.register_step_post_hook(update)
    return average


class TrajectoryGenerator(BaseNeuralEstimator):
    r"""Denoising-diffusion generator of unit velocity series (Martin, Lübke et al.).

    Parameters
    ----------
    validation_fraction, patience, tol, gradient_clip, device, random_state, callbacks, verbose
        Training parameters as for every crsbi neural estimator.
    module, module_kwargs, optimizer, lr, lr_schedule, weight_decay, batch_size, max_epochs
        Training parameters, see :class:`crsbi.core.base.BaseNeuralEstimator`. The default
        network is :class:`crsbi.particles.unet1d.UNet1d` (``module_kwargs`` sets its
        ``base_channels``, ``n_levels``, ``attention_levels``...). Defaults follow the
        paper: AdamW, ``lr=1e-4``, batch 64; the validation loss is itself noisy (random
        diffusion steps), so early stopping is off (``patience=None``).
    n_diffusion_steps : int, default=1000
        DDPM steps :math:`T`.
    beta_start, beta_end : float, default=1e-4, 0.02
        Linear :math:`\beta` schedule.
    schedule : {"linear", "cosine"}, default="linear"
        Variance schedule of :class:`crsbi.particles.ddpm.DDPM` (the paper's linear one, or cosine).
    prediction : {"epsilon", "v"}, default="epsilon"
        What the network predicts: the noise (the paper) or the velocity :math:`v`.
    cond_drop_prob : float, default=0.1
        Probability of dropping the :math:`\alpha` condition in training (conditional
        models), for classifier-free guidance.
    steps_per_gyration : float, default=100
        Samples per gyro-period (dimensionless), used by :meth:`score` (gyro-centre filter).
    representation : {"cartesian", "angles"}, default="cartesian"
        Channels the network sees: the velocity components (normalised after sampling) or
        the paper's angles as :math:`(\theta, \cos\phi, \sin\phi)`. The Cartesian
        channels gave a much smaller flatness error in the CPU benchmark (no jumps at the
        poles or where a generated :math:`(\cos\phi, \sin\phi)` pair nears zero).
    stride : int, default=1
        Model every ``stride``-th sample; :meth:`sample` restores the others with a cubic
        spline, so series ``stride`` times longer cost the same (keep >= 20 samples per
        gyro-period).
    ema_decay : float, default=0.999
        Decay of the exponential moving average of the weights used for sampling (ramped up
        as :math:`\min(d, (1+n)/(10+n))` after :math:`n` steps); 0 uses the last weights.

    Attributes
    ----------
    n_timesteps_ : int
        Length of the training series.
    channel_mean_, channel_scale_ : ndarray of shape (3,)
        Standardisation of the three channels (see ``representation``).
    conditional_ : bool
        Whether the model was trained with :math:`\alpha` labels.
    alpha_range_ : tuple of float or None
        Smallest and largest training :math:`\alpha`.
    cond_mean_, cond_scale_ : float
        Standardisation of :math:`\log\alpha`.
    ddpm_ : crsbi.particles.ddpm.DDPM
        The diffusion schedule.
    module_, history_, n_iter_, best_epoch_, device_
        See :class:`crsbi.core.base.BaseNeuralEstimator` (``module_`` is the U-Net, with the
        averaged weights when ``ema_decay > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.generator import TrajectoryGenerator
    >>> t = np.arange(32) * 2 * np.pi / 16
    >>> phase = np.random.default_rng(0).uniform(0, 2 * np.pi, (64, 1))
    >>> V = np.stack([0.8 * np.cos(t + phase), 0.8 * np.sin(t + phase),
    ...               np.full((64, 32), 0.6)], axis=2)
    >>> gen = TrajectoryGenerator(module_kwargs={"base_channels": 8, "n_levels": 2},
    ...                           max_epochs=2, device="cpu", random_state=0, verbose=0)
    >>> V_new = gen.fit(V).sample(4, sampler="ddim", n_steps=5, random_state=0)
    >>> V_new.shape, bool(np.allclose(np.linalg.norm(V_new, axis=2), 1.0))
    ((4, 32, 3), True)
    """

    _default_module = UNet1d

    def __init__(
        self,
        *,
        module: Any = None,
        module_kwargs: dict | None = None,
        n_diffusion_steps: int = 1000,
        beta_start: float = 1e-4,
        beta_end: float = 0.02,
        schedule: str = "linear",
        prediction: str = "epsilon",
        cond_drop_prob: float = 0.1,
        steps_per_gyration: float = 100.0,
        representation: str = "cartesian",
        stride: int = 1,
        ema_decay: float = 0.999,
        optimizer: Any = "adamw",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        batch_size: int = 64,
        max_epochs: int = 200,
        validation_fraction: float = 0.0,
        patience: int | None = None,
        tol: float = 0.0,
        gradient_clip: float | None = 1.0,
        lr_schedule: str | None = None,
        device: str = "auto",
        random_state: Any = None,
        callbacks: list | None = None,
        verbose: int = 1,
    ) -> None:
        self.module = module
        self.module_kwargs = module_kwargs
        self.n_diffusion_steps = n_diffusion_steps
        self.beta_start = beta_start
        self.beta_end = beta_end
        self.schedule = schedule
        self.prediction = prediction
        self.cond_drop_prob = cond_drop_prob
        self.steps_per_gyration = steps_per_gyration
        self.representation = representation
        self.stride = stride
        self.ema_decay = ema_decay
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
        self.lr_schedule = lr_schedule
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _velocities(self, X: Any, name: str = "X", length: int | None = None) -> np.ndarray:
        """Validate unit velocity series; accept (n, T, 3) or the flattened (n, 3 T)."""
        owner = type(self).__name__
        if hasattr(X, "toarray") or hasattr(X, "tocsr"):
            raise TypeError(f"{owner} does not support sparse input; pass a dense array.")
        if np.iscomplexobj(X):
            raise ValueError(f"Complex data not supported by {owner}; {name} must be real.")
        try:
            V = np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} of {owner} must be a numeric array: {exc}") from exc
        if V.ndim == 2 and V.shape[1] % 3 == 0 and V.shape[1] > 0:
            V = V.reshape(V.shape[0], -1, 3)
        if V.ndim != 3 or V.shape[2] != 3:
            raise ValueError(
                f"{name} of {owner} must have shape (n_series, n_times, 3) or the flattened "
                f"(n_series, 3 * n_times); got an array of shape {np.shape(X)} instead."
            )
        if length is not None and V.shape[1] != length:
            raise ValueError(f"{name} must have n_times = {length}; got {V.shape[1]}.")
        if V.shape[0] < 2 or V.shape[1] < 2:
            raise ValueError(f"{name} needs at least 2 series of >= 2 times; got {V.shape}.")
        if not np.all(np.isfinite(V)):
            raise ValueError(f"{name} contains NaN or infinity.")
        speed = np.linalg.norm(V, axis=2)
        worst = float(np.max(np.abs(speed - 1.0)))
        if worst > _UNIT_TOLERANCE:
            raise ValueError(
                f"{name} must hold unit velocity vectors (|V| = 1 within {_UNIT_TOLERANCE}); "
                f"the largest deviation is {worst:.3g}. Divide by the speed first."
            )
        return V / speed[..., None]

    def _alphas(self, y: Any, n: int) -> np.ndarray:
        alpha = np.asarray(y, dtype=float).reshape(-1)
        if alpha.size == 1:
            alpha = np.full(n, float(alpha[0]))
        if alpha.shape != (n,) or not np.all(np.isfinite(alpha) & (alpha > 0)):
            raise ValueError(
                f"alpha (y) must be a float > 0 or an array of shape ({n},) of floats > 0; "
                f"got {y!r}."
            )
        return alpha

    def __setstate__(self, state: dict[str, Any]) -> None:
        # models saved before ``schedule`` and ``prediction`` existed used the paper's DDPM
        state = {"schedule": "linear", "prediction": "epsilon", **state}
        super().__setstate__(state)

    def _check_params(self) -> None:
        owner = type(self).__name__
        self._check_training_params()
        check_interval(self.n_diffusion_steps, "n_diffusion_steps", owner, kind=int, low=2)
        check_interval(self.beta_start, "beta_start", owner, low=0, high=1, closed="neither")
        check_interval(self.beta_end, "beta_end", owner, low=0, high=1, closed="neither")
        if self.beta_start > self.beta_end:
            raise ValueError(
                f"{owner} needs beta_start <= beta_end; got {self.beta_start} > {self.beta_end}."
            )
        check_option(self.schedule, "schedule", owner, ("linear", "cosine"))
        check_option(self.prediction, "prediction", owner, ("epsilon", "v"))
        check_interval(self.cond_drop_prob, "cond_drop_prob", owner, low=0, high=1, closed="left")
        check_interval(
            self.steps_per_gyration, "steps_per_gyration", owner, low=0, closed="neither"
        )
        check_option(self.representation, "representation", owner, ["cartesian", "angles"])
        check_interval(self.stride, "stride", owner, kind=int, low=1)
        check_interval(self.ema_decay, "ema_decay", owner, low=0, high=1, closed="left")

    # ------------------------------------------------------------- base hooks
    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        V = self._velocities(X)
        if y is None:
            return V, np.full(len(V), np.nan)
        alpha = self._alphas(y, len(V))
        return V, np.log(alpha)

    def _validate_predict_data(self, X: Any) -> np.ndarray:
        return self._velocities(X, length=None)

    def _module_shape(self, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return {"n_channels": 3, "conditional": bool(np.all(np.isfinite(y)))}

    def _encode_target(self, y: np.ndarray) -> torch.Tensor:
        return torch.zeros(len(y))

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(output[:, 0], output[:, 1])

    def _expected_failed_checks(self) -> dict[str, str]:
        shape = (
            "fit needs unit velocity series (n, n_times, 3) or (n, 3 * n_times) with |V| = 1; "
            "the check's generic tabular X is rejected with a shape/unit-speed error"
        )
        checks = [
            "check_fit_score_takes_y",
            "check_estimators_overwrite_params",
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
            "check_estimators_dtypes",
            "check_dtype_object",
            "check_estimators_empty_data_messages",
            "check_pipeline_consistency",
            "check_estimators_nan_inf",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit2d_1sample",
            "check_fit2d_1feature",
            "check_dict_unchanged",
            "check_fit_idempotent",
            "check_fit_check_is_fitted",
            "check_n_features_in",
            "check_fit2d_predict1d",
        ]
        return dict.fromkeys(checks, shape)

    # ---------------------------------------------------------------- encoding
    def _channels(self, V: np.ndarray) -> np.ndarray:
        if self.representation == "cartesian":
            return np.ascontiguousarray(np.transpose(V, (0, 2, 1)))  # (n, 3, T)
        theta, phi = velocity_to_angles(V)
        return np.stack([theta, np.cos(phi), np.sin(phi)], axis=1)  # (n, 3, T)

    def _decode(self, Z: np.ndarray, smooth: bool, length: int) -> np.ndarray:
        channels = Z * self.channel_scale_[None, :, None] + self.channel_mean_[None, :, None]
        if smooth:
            padded = np.concatenate([channels[..., :1], channels, channels[..., -1:]], axis=2)
            channels = (padded[..., :-2] + padded[..., 1:-1] + padded[..., 2:]) / 3.0
        channels = _spline_restore(channels, int(self.stride), length)
        if self.representation == "cartesian":
            V = np.transpose(channels, (0, 2, 1))
            norm = np.linalg.norm(V, axis=2, keepdims=True)
            return V / np.maximum(norm, np.finfo(float).tiny)
        phi = np.arctan2(channels[:, 2], channels[:, 1])
        return angles_to_velocity(np.clip(channels[:, 0], 0.0, np.pi), phi)

    # ---------------------------------------------------------------- training
    def fit(self, X: Any, y: Any = None) -> TrajectoryGenerator:
        r"""Train the diffusion model on velocity series.

        Parameters
        ----------
        X : array-like of shape (n_series, n_times, 3) or (n_series, 3 * n_times)
            Unit velocity vectors; ``n_times`` a multiple of ``2 ** (n_levels - 1)``.
        y : array-like of shape (n_series,) or None
            Coupling :math:`\alpha > 0` of each series: trains a model conditioned on
            :math:`\log\alpha`. ``None`` trains an unconditional model.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._check_params()
        rng = check_random_state(self.random_state)
        V, log_alpha = self._validate_fit_data(X, y)
        self.conditional_ = y is not None
        if self.conditional_:
            self.cond_mean_ = float(log_alpha.mean())
            spread = float(log_alpha.std())
            self.cond_scale_ = spread if spread > 0 else 1.0
            alpha = self._alphas(y, len(V))
            self.alpha_range_ = (float(alpha.min()), float(alpha.max()))
            cond = (log_alpha - self.cond_mean_) / self.cond_scale_
        else:
            self.cond_mean_, self.cond_scale_, self.alpha_range_ = 0.0, 1.0, None
            cond = np.full(len(V), np.nan)
        self.n_timesteps_ = int(V.shape[1])
        self.n_features_in_ = 3 * self.n_timesteps_
        if self.n_timesteps_ % self.stride:
            raise ValueError(
                f"n_times = {self.n_timesteps_} must be a multiple of stride = {self.stride}."
            )
        channels = self._channels(V[:, :: self.stride])
        self.channel_mean_ = channels.mean(axis=(0, 2))
        scale = channels.std(axis=(0, 2))
        self.channel_scale_ = np.where(scale > 1e-8, scale, 1.0)
        Z = (channels - self.channel_mean_[None, :, None]) / self.channel_scale_[None, :, None]
        self.ddpm_ = DDPM(
            int(self.n_diffusion_steps),
            self.beta_start,
            self.beta_end,
            schedule=self.schedule,
            prediction=self.prediction,
        )
        self.device_ = resolve_device(self.device)
        seed = torch_seed(rng)
        train_index, val_index = self._split(len(V), rng)
        device = torch.device(self.device_)
        inputs = np.concatenate([Z, np.repeat(cond[:, None, None], Z.shape[2], axis=2)], axis=1)
        with seeded_torch(seed, self.device_):
            denoiser = self._build_module(Z, log_alpha if self.conditional_ else cond)
            multiple = getattr(denoiser, "length_multiple", 1)
            if Z.shape[2] % multiple:
                raise ValueError(
                    f"n_times / stride = {Z.shape[2]} must be a multiple of {multiple} "
                    "(2 ** (n_levels - 1) of the U-Net); crop the series or use fewer levels."
                )
            objective = _DiffusionObjective(denoiser, self.ddpm_, float(self.cond_drop_prob))
            objective = objective.to(device)
            tensor = torch.from_numpy(inputs.astype(np.float32)).to(device)
            dummy = torch.zeros(len(V), device=device)
            optimizer = build_optimizer(
                self.optimizer, objective.parameters(), lr=self.lr, weight_decay=self.weight_decay
            )
            average = _attach_ema(denoiser, optimizer, float(self.ema_decay))
            scheduler = build_scheduler(
                self.lr_schedule, optimizer, max_epochs=self.max_epochs, patience=self.patience
            )
            result = train_module(
                objective,
                self._loss,
                (tensor[train_index], dummy[train_index]),
                (tensor[val_index], dummy[val_index]) if len(val_index) else None,
                optimizer=optimizer,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                patience=self.patience,
                tol=self.tol,
                gradient_clip=self.gradient_clip,
                generator=torch.Generator().manual_seed(seed),
                callbacks=list(self.callbacks or ()),
                verbose=self.verbose,
                description=type(self).__name__,
                scheduler=scheduler,
            )
        self.module_ = (average or denoiser).eval()
        self.history_ = result.history
        self.n_iter_ = len(result.history)
        self.best_epoch_ = result.best_epoch
        return self

    # ---------------------------------------------------------------- sampling
    def sample(
        self,
        n: int,
        alpha: Any = None,
        length: int | None = None,
        *,
        sampler: str = "ancestral",
        n_steps: int | None = None,
        eta: float = 0.0,
        guidance_scale: float = 1.0,
        smooth: bool = False,
        clip: bool = True,
        return_positions: bool = False,
        dt: float | None = None,
        random_state: Any = None,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        r"""Generate velocity series (and positions) with :math:`|\mathbf V| = 1` exactly.

        Parameters
        ----------
        n : int
            Number of series, >= 1.
        alpha : float, array-like of shape (n,) or None
            Coupling(s) :math:`\alpha` for a conditional model (required there); must be
            ``None`` for an unconditional one.
        length : int or None
            Samples per series (a multiple of the U-Net's ``2 ** (n_levels - 1)``); the
            training length when ``None``. Other lengths work (the U-Net is
            convolutional) but were not trained on.
        sampler : {"ancestral", "ddim"}, default="ancestral"
            The full DDPM chain (``n_diffusion_steps`` network calls, the paper's
            sampler) or the fast deterministic DDIM (``n_steps`` steps). In the CPU
            benchmark (a small, briefly trained network) DDIM-50 was 20 times faster but
            biased: flatness errors of 15 % and an MSD 61 % too large, against 3 % and
            16 % for the full chain (``bench_generative_samplers.md``).
        n_steps : int or None, default=None
            DDIM steps (50 when ``None``); only with ``sampler="ddim"``.
        eta : float, default=0.0
            DDIM stochasticity.
        guidance_scale : float, default=1.0
            Classifier-free guidance weight (conditional models).
        smooth : bool, default=False
            Apply the paper's 3-point moving average (to the generated channels, before
            the normalisation, so :math:`|\mathbf V| = 1` still holds).
        clip : bool, default=True
            Clamp each step's prediction of the clean series to the range of the channels
            (:math:`V_i \in [-1, 1]`; for angles :math:`\theta \in [0, \pi]`,
            :math:`\cos\phi, \sin\phi \in [-1, 1]`), see
            :meth:`crsbi.particles.ddpm.DDPM.sample`. It stops a briefly trained network from
            drifting out of range: in the CPU benchmark (Cartesian channels) it halved the
            F4 error (31 % to 15 %); with angle channels it made the statistics worse.
        return_positions : bool, default=False
            Also return positions integrated from the velocities.
        dt : float or None
            Sample spacing for the positions [:math:`\ell_0/v`, code units];
            :math:`2\pi/(N_g\alpha)` (the
            :mod:`crsbi.particles.trajectory_dataset` convention, lengths in :math:`\ell_0`) for a
            conditional model, 1 otherwise, when ``None``.
        random_state : None, int or numpy.random.Generator
            Seed of the noise: the same seed gives the same samples.

        Returns
        -------
        V : ndarray of shape (n, length, 3)
            Unit velocity vectors (dimensionless, in units of the speed).
        X : ndarray of shape (n, length, 3)
            Positions (only with ``return_positions=True``), starting at the origin.
        """
        check_is_fitted(self, "module_")
        owner = "TrajectoryGenerator.sample"
        check_interval(n, "n", owner, kind=int, low=1)
        check_option(sampler, "sampler", owner, ["ancestral", "ddim"])
        if sampler == "ancestral" and n_steps is not None:
            raise ValueError(
                f"{owner}: n_steps sets the DDIM steps; the ancestral sampler runs the full "
                f"chain of n_diffusion_steps = {self.n_diffusion_steps}. Pass "
                "sampler='ddim' with n_steps, or leave n_steps=None."
            )
        length = self.n_timesteps_ if length is None else length
        check_interval(length, "length", owner, kind=int, low=2)
        multiple = getattr(self.module_, "length_multiple", 1)
        stride = int(self.stride)
        if length % (multiple * stride):
            raise ValueError(
                f"length must be a multiple of {multiple * stride} (2 ** (n_levels - 1) "
                f"times stride = {stride}); got {length}."
            )
        if self.conditional_:
            if alpha is None:
                raise ValueError(
                    "This TrajectoryGenerator was fitted with alpha labels: pass alpha=... "
                    f"(trained on alpha in {self.alpha_range_})."
                )
            alphas = self._alphas(alpha, int(n))
            cond_all = (np.log(alphas) - self.cond_mean_) / self.cond_scale_
        else:
            if alpha is not None:
                raise ValueError("alpha was given, but the model was fitted without alpha labels.")
            alphas, cond_all = None, None
        rng = check_random_state(random_state)
        generator = torch.Generator().manual_seed(torch_seed(rng))
        module = self.module_.eval()
        conditional = bool(getattr(module, "conditional", False))

        def model(x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
            return module(x, t, cond) if conditional else module(x, t)

        if self.representation == "angles":
            low, high = np.array([0.0, -1.0, -1.0]), np.array([np.pi, 1.0, 1.0])
        else:
            low, high = -np.ones(3), np.ones(3)
        low = (low - self.channel_mean_) / self.channel_scale_
        high = (high - self.channel_mean_) / self.channel_scale_
        bounds = tuple(torch.tensor(b[None, :, None], dtype=torch.float32) for b in (low, high))
        chunks = []
        for start in range(0, int(n), _SAMPLE_BATCH):
            size = min(_SAMPLE_BATCH, int(n) - start)
            cond = None
            if cond_all is not None:
                cond = torch.as_tensor(cond_all[start : start + size], dtype=torch.float32)
            out = self.ddpm_.sample(
                model,
                (size, 3, int(length) // stride),
                sampler=sampler,
                n_steps=(50 if n_steps is None else n_steps) if sampler == "ddim" else None,
                eta=eta,
                cond=cond,
                guidance_scale=guidance_scale,
                clip_x0=bounds if clip else None,
                generator=generator,
                device=self.device_,
                verbose=self.verbose,
            )
            chunks.append(out.cpu().numpy().astype(np.float64))
        V = self._decode(np.concatenate(chunks), smooth, int(length))
        if not return_positions:
            return V
        if dt is not None:
            return V, integrate_positions(V, dt)
        if alphas is None:
            return V, integrate_positions(V, 1.0)
        spacing = 2.0 * math.pi / (float(self.steps_per_gyration) * alphas)
        X = integrate_positions(V, 1.0) * spacing[:, None, None]
        return V, X

    def score(self, X: Any, y: Any = None) -> float:
        r"""Minus the statistics distance between generated and given series.

        ``len(X)`` series (at the given ``alpha`` labels ``y`` for a conditional model)
        are generated with the full ancestral chain (the default of :meth:`sample`;
        ``n_diffusion_steps`` network calls per batch) and compared with ``X`` by
        :func:`crsbi.particles.statistics.trajectory_distance` (0 is a perfect match;
        higher is better).

        Parameters
        ----------
        X : array-like of shape (n_series, n_times, 3) or (n_series, 3 * n_times)
            Reference unit velocity series (``n_times`` a valid U-Net length).
        y : array-like of shape (n_series,) or None
            Their couplings :math:`\alpha` (conditional models).

        Returns
        -------
        float
            ``-trajectory_distance(generated, X)``.
        """
        check_is_fitted(self, "module_")
        V_ref = self._velocities(X, "X")
        V_gen = self.sample(
            len(V_ref),
            alpha=y,
            length=V_ref.shape[1],
            random_state=check_random_state(self.random_state).integers(2**31),
        )
        distance = trajectory_distance(V_gen, V_ref, steps_per_gyration=self.steps_per_gyration)
        return -float(distance)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.target_tags.required = False
        return tags
