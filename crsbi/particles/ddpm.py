r"""Denoising diffusion probabilistic model (Ho et al. 2020) with DDIM sampling.

Forward process: with a variance schedule :math:`\beta_1..\beta_T` (linear from
``beta_start`` to ``beta_end``, :math:`T = 1000` by default, the paper's choice; or the
cosine schedule of Nichol & Dhariwal 2021, :math:`\bar\alpha_t = f(t)/f(0)`,
:math:`f(t) = \cos^2(\frac{t/T + s}{1 + s}\frac{\pi}{2})`, :math:`s = 0.008`, with
:math:`\beta_t \le 0.999`), :math:`\alpha_t = 1 - \beta_t` and
:math:`\bar\alpha_t = \prod_{s\le t}\alpha_s`,

.. math::

    q(x_t | x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1 - \bar\alpha_t)\,I\big).

A network :math:`\epsilon_\theta(x_t, t[, c])` is trained to predict the noise with the
MSE loss :math:`\|\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}
\epsilon, t)\|^2`, :math:`t` uniform (``prediction="epsilon"``), or the velocity
:math:`v = \sqrt{\bar\alpha_t}\epsilon - \sqrt{1-\bar\alpha_t}x_0` (``prediction="v"``,
Salimans & Ho 2022; the samplers convert it back with :math:`\epsilon = \sqrt{\bar\alpha_t}
v + \sqrt{1-\bar\alpha_t}x_t`). Sampling runs the reverse chain:

- ``"ancestral"``: all :math:`T` steps, :math:`x_{t-1} = \alpha_t^{-1/2}(x_t -
  \beta_t(1-\bar\alpha_t)^{-1/2}\epsilon_\theta) + \tilde\beta_t^{1/2} z` with the
  posterior variance :math:`\tilde\beta_t = \beta_t(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)`;
- ``"ddim"`` (Song et al. 2021): a sub-sequence of ``n_steps`` steps,
  deterministic for ``eta = 0`` (then the result depends on the initial noise only).

Classifier-free guidance (Ho & Salimans 2022): with a condition and ``guidance_scale``
:math:`w`, :math:`\hat\epsilon = \epsilon_\theta(x, t, \varnothing) + w\,(\epsilon_\theta(x,
t, c) - \epsilon_\theta(x, t, \varnothing))`; the network marks the missing condition
:math:`\varnothing` by NaN (see :class:`crsbi.particles.unet1d.UNet1d`).

Time steps are indexed :math:`0..T-1` in code (step :math:`t` of the text is index
:math:`t-1`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

__all__ = ["DDPM"]

Denoiser = Callable[..., torch.Tensor]


class DDPM:
    r"""DDPM: forward process, training loss and samplers.

    Parameters
    ----------
    n_steps : int, default=1000
        Number of diffusion steps :math:`T`, >= 2.
    beta_start, beta_end : float, default=1e-4, 0.02
        First and last :math:`\beta` of the linear schedule, with
        ``0 < beta_start <= beta_end < 1`` (unused by the cosine schedule).
    schedule : {"linear", "cosine"}, default="linear"
        Variance schedule (see the module docstring).
    prediction : {"epsilon", "v"}, default="epsilon"
        What the network predicts: the noise or the velocity :math:`v`.

    Attributes
    ----------
    betas, alphas, alpha_bars : torch.Tensor of shape (n_steps,), float64
        :math:`\beta_t`, :math:`\alpha_t = 1 - \beta_t`, :math:`\bar\alpha_t`.

    Examples
    --------
    >>> import torch
    >>> from crsbi.particles.ddpm import DDPM
    >>> ddpm = DDPM()
    >>> round(float(ddpm.alpha_bars[-1]), 5)  # almost pure noise at t = T
    4e-05
    >>> exact = lambda x, t, cond=None: x * torch.sqrt(1 - ddpm.alpha_bars[t]).float()[:, None]
    >>> x = ddpm.sample(exact, (2000, 1), sampler="ddim", n_steps=50,
    ...                 generator=torch.Generator().manual_seed(0))
    >>> bool(abs(float(x.std()) - 1) < 0.05)  # the exact denoiser of N(0, 1) data
    True
    """

    def __init__(
        self,
        n_steps: int = 1000,
        beta_start: float = 1e-4,
        beta_end: float = 0.02,
        *,
        schedule: str = "linear",
        prediction: str = "epsilon",
    ):
        if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 2:
            raise ValueError(
                f"The 'n_steps' parameter of DDPM must be an int >= 2. Got {n_steps!r}."
            )
        if not 0.0 < float(beta_start) <= float(beta_end) < 1.0:
            raise ValueError(
                "DDPM needs 0 < beta_start <= beta_end < 1. "
                f"Got beta_start={beta_start!r}, beta_end={beta_end!r}."
            )
        if schedule not in ("linear", "cosine"):
            raise ValueError(f"schedule must be 'linear' or 'cosine'. Got {schedule!r} instead.")
        if prediction not in ("epsilon", "v"):
            raise ValueError(f"prediction must be 'epsilon' or 'v'. Got {prediction!r} instead.")
        self.n_steps = int(n_steps)
        self.beta_start = float(beta_start)
        self.beta_end = float(beta_end)
        self.schedule = schedule
        self.prediction = prediction
        if schedule == "linear":
            self.betas = torch.linspace(
                self.beta_start, self.beta_end, self.n_steps, dtype=torch.float64
            )
        else:
            f = torch.cos(
                (torch.arange(self.n_steps + 1, dtype=torch.float64) / self.n_steps + 0.008)
                / 1.008
                * (torch.pi / 2)
            ).square()
            self.betas = torch.clamp(1.0 - f[1:] / f[:-1], max=0.999)
        self.alphas = 1.0 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # pickles from before the cosine schedule and v-prediction: the paper's DDPM
        self.__dict__.update({"schedule": "linear", "prediction": "epsilon", **state})

    def __repr__(self) -> str:
        return (
            f"DDPM(n_steps={self.n_steps}, beta_start={self.beta_start}, beta_end={self.beta_end}, "
            f"schedule={self.schedule!r}, prediction={self.prediction!r})"
        )

    # ----------------------------------------------------------------- forward process
    def _gather(self, values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        out = values.to(like.device)[t.long()].to(like.dtype)
        return out.reshape(-1, *([1] * (like.ndim - 1)))

    def _check_t(self, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t)
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= self.n_steps):
            raise ValueError(
                f"t must hold step indices in [0, n_steps - 1] = [0, {self.n_steps - 1}]; got "
                f"values from {int(t.min())} to {int(t.max())}."
            )
        return t.long()

    def q_mean_variance(self, x0: torch.Tensor, t: Any) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Mean and variance of :math:`q(x_t | x_0)`.

        Parameters
        ----------
        x0 : torch.Tensor of shape (batch, ...)
            Clean data.
        t : torch.Tensor of shape (batch,)
            Step indices in ``[0, n_steps - 1]``.

        Returns
        -------
        mean, variance : torch.Tensor
            :math:`\sqrt{\bar\alpha_t}x_0` and :math:`1-\bar\alpha_t` (broadcastable to ``x0``).
        """
        t = self._check_t(t)
        ab = self._gather(self.alpha_bars, t, x0)
        return ab.sqrt() * x0, 1.0 - ab

    def q_sample(self, x0: torch.Tensor, t: Any, noise: torch.Tensor) -> torch.Tensor:
        r"""Draw :math:`x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon`.

        Parameters
        ----------
        x0 : torch.Tensor of shape (batch, ...)
            Clean data.
        t : torch.Tensor of shape (batch,)
            Step indices.
        noise : torch.Tensor of the shape of ``x0``
            Standard normal noise :math:`\epsilon`.

        Returns
        -------
        torch.Tensor
            The noisy data :math:`x_t`.
        """
        mean, var = self.q_mean_variance(x0, t)
        return mean + var.sqrt() * noise

    def training_loss(
        self,
        model: Denoiser,
        x0: torch.Tensor,
        cond: torch.Tensor | None = None,
        *,
        cond_drop_prob: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        r"""MSE loss of the noise (or velocity) prediction at uniformly drawn steps.

        Parameters
        ----------
        model : callable
            ``model(x_t, t, cond)`` returning the predicted noise (or velocity :math:`v`).
        x0 : torch.Tensor of shape (batch, ...)
            Clean data.
        cond : torch.Tensor of shape (batch,) or None
            Condition per sample.
        cond_drop_prob : float, default=0.0
            Probability of replacing the condition by NaN ("none"), for guidance.
        generator : torch.Generator or None
            CPU generator of the steps, noise and dropped conditions (the global torch
            generator when ``None``).

        Returns
        -------
        torch.Tensor
            Scalar mean squared error.
        """
        batch = x0.shape[0]
        t = torch.randint(0, self.n_steps, (batch,), generator=generator).to(x0.device)
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        if cond is not None and cond_drop_prob > 0:
            drop = (torch.rand(batch, generator=generator) < cond_drop_prob).to(x0.device)
            cond = torch.where(drop, torch.full_like(cond, float("nan")), cond)
        prediction = model(self.q_sample(x0, t, noise), t, cond)
        target = noise
        if self.prediction == "v":
            ab = self._gather(self.alpha_bars, t, x0)
            target = ab.sqrt() * noise - (1.0 - ab).sqrt() * x0
        return torch.nn.functional.mse_loss(prediction, target)

    # ----------------------------------------------------------------- sampling
    def _epsilon(
        self, model: Denoiser, x: torch.Tensor, t: int, cond: torch.Tensor | None, scale: float
    ) -> torch.Tensor:
        steps = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        if cond is None or scale == 1.0:
            out = model(x, steps, cond)
        else:
            both = model(
                torch.cat([x, x]),
                torch.cat([steps, steps]),
                torch.cat([cond, torch.full_like(cond, float("nan"))]),
            )
            out_cond, out_uncond = both.chunk(2)
            out = out_uncond + scale * (out_cond - out_uncond)
        if self.prediction == "v":  # eps = sqrt(ab) v + sqrt(1 - ab) x_t
            a_bar = float(self.alpha_bars[t])
            out = np.sqrt(a_bar) * out + np.sqrt(1.0 - a_bar) * x
        return out

    def ddim_steps(self, n_steps: int) -> np.ndarray:
        """Decreasing step indices of a DDIM run with ``n_steps`` steps (evenly spaced).

        Parameters
        ----------
        n_steps : int
            Number of steps, in ``[1, self.n_steps]``.

        Returns
        -------
        ndarray of int
            Indices from ``n_steps - 1`` (or close) down to 0.
        """
        if (
            isinstance(n_steps, bool)
            or not isinstance(n_steps, (int, np.integer))
            or not (1 <= n_steps <= self.n_steps)
        ):
            raise ValueError(
                f"n_steps must be an int in [1, {self.n_steps}] for DDIM. Got {n_steps!r}."
            )
        return np.unique(np.round(np.linspace(0, self.n_steps - 1, int(n_steps))).astype(int))[::-1]

    @torch.no_grad()
    def sample(
        self,
        model: Denoiser,
        shape: tuple[int, ...],
        *,
        sampler: str = "ancestral",
        n_steps: int | None = None,
        eta: float = 0.0,
        cond: torch.Tensor | None = None,
        guidance_scale: float = 1.0,
        clip_x0: tuple[Any, Any] | None = None,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        device: str | torch.device = "cpu",
        verbose: int = 0,
    ) -> torch.Tensor:
        """Run the reverse chain from pure noise.

        Parameters
        ----------
        model : callable
            ``model(x_t, t, cond)`` returning the predicted noise (called in ``no_grad``).
        shape : tuple of int
            Shape of the batch to generate, ``(batch, ...)``.
        sampler : {"ancestral", "ddim"}, default="ancestral"
            Full stochastic DDPM chain (``n_steps`` must be ``None`` or ``T``) or DDIM.
        n_steps : int or None
            DDIM steps (default 50).
        eta : float, default=0.0
            DDIM stochasticity in [0, 1] (0: deterministic; 1: DDPM-like).
        cond : torch.Tensor of shape (batch,) or None
            Condition per sample (NaN for none).
        guidance_scale : float, default=1.0
            Classifier-free guidance weight (1: plain conditional model).
        clip_x0 : tuple (low, high) or None
            Clamp each step's prediction of :math:`x_0` to ``[low, high]`` (floats or
            tensors broadcastable to ``shape``), the known range of the data, and use the
            noise consistent with the clamped value (Ho et al.'s ``clip_denoised``). It keeps
            an imperfect network from drifting out of the data range; ``None`` disables it.
        noise : torch.Tensor of shape ``shape`` or None
            Initial noise :math:`x_T` (drawn from ``generator`` when ``None``).
        generator : torch.Generator or None
            CPU generator of the initial and per-step noise.
        device : str or torch.device, default="cpu"
            Device the model lives on.
        verbose : int, default=0
            ``0`` silences the progress bar.

        Returns
        -------
        torch.Tensor of shape ``shape`` (float32, on ``device``)
            Samples :math:`x_0`.
        """
        if sampler not in ("ancestral", "ddim"):
            raise ValueError(f"sampler must be 'ancestral' or 'ddim'. Got {sampler!r} instead.")
        if not 0.0 <= float(eta) <= 1.0:
            raise ValueError(f"eta must lie in [0, 1]. Got {eta!r} instead.")
        device = torch.device(device)

        def gaussian() -> torch.Tensor:
            return torch.randn(shape, generator=generator).to(device)

        if noise is None:
            x = gaussian()
        else:
            if tuple(noise.shape) != tuple(shape):
                raise ValueError(f"noise must have shape {tuple(shape)}; got {tuple(noise.shape)}.")
            x = noise.to(device=device, dtype=torch.float32).clone()
        if cond is not None:
            cond = torch.as_tensor(cond, dtype=torch.float32).to(device).reshape(-1)
            if cond.shape[0] != shape[0]:
                raise ValueError(
                    f"cond must have shape (batch,) = ({shape[0]},); got {tuple(cond.shape)}."
                )
        ab = self.alpha_bars
        if clip_x0 is not None:
            bounds = [torch.as_tensor(b, dtype=torch.float32).to(device) for b in clip_x0]
        if sampler == "ancestral":
            if n_steps not in (None, self.n_steps):
                raise ValueError(
                    f"The ancestral sampler runs all n_steps = {self.n_steps} steps; got "
                    f"n_steps={n_steps!r}. Use sampler='ddim' for fewer steps."
                )
            steps = np.arange(self.n_steps)[::-1]
        else:
            steps = self.ddim_steps(50 if n_steps is None else n_steps)
        for i, t in enumerate(tqdm(steps, desc="sampling", disable=verbose == 0, leave=False)):
            t = int(t)
            eps = self._epsilon(model, x, t, cond, float(guidance_scale))
            a_bar = float(ab[t])
            x0 = (x - np.sqrt(1.0 - a_bar) * eps) / np.sqrt(a_bar)
            if clip_x0 is not None:
                x0 = torch.clamp(x0, *bounds)
                eps = (x - np.sqrt(a_bar) * x0) / np.sqrt(1.0 - a_bar)
            if sampler == "ancestral":  # posterior mean of q(x_{t-1} | x_t, x0)
                beta, alpha = float(self.betas[t]), float(self.alphas[t])
                a_prev = float(ab[t - 1]) if t > 0 else 1.0
                mean = (np.sqrt(a_prev) * beta * x0 + np.sqrt(alpha) * (1.0 - a_prev) * x) / (
                    1.0 - a_bar
                )
                if t > 0:
                    var = beta * (1.0 - a_prev) / (1.0 - a_bar)
                    x = mean + np.sqrt(var) * gaussian()
                else:
                    x = mean
            else:
                a_prev = float(ab[steps[i + 1]]) if i + 1 < len(steps) else 1.0
                sigma = eta * np.sqrt((1.0 - a_prev) / (1.0 - a_bar) * (1.0 - a_bar / a_prev))
                x = np.sqrt(a_prev) * x0 + np.sqrt(max(1.0 - a_prev - sigma**2, 0.0)) * eps
                if sigma > 0:
                    x = x + sigma * gaussian()
        return x
