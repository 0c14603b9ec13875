r"""A 1D U-Net for denoising diffusion models of time series.

The network maps a noisy series :math:`x_t` of shape ``(batch, channels, length)``, the
diffusion step :math:`t` and, optionally, a scalar condition :math:`c` (e.g.
:math:`\log\alpha`) to a series of the same shape (the predicted noise). Its parts, after
Ho et al. (2020) and the trajectory model of Martin, Lübke et al.:

- sinusoidal embedding of :math:`t` followed by an MLP, plus an MLP embedding of
  :math:`c` (a learned "null" vector stands for a missing condition, marked by NaN, as
  classifier-free guidance needs);
- at every level, residual blocks (GroupNorm, SiLU, convolution, with the embedding added
  in between), self-attention at the coarsest levels, and a stride-2 downsampling;
- the mirror path upsamples (nearest neighbour + convolution) and concatenates the skip
  connection of the same level.

``n_levels`` levels mean ``n_levels - 1`` halvings, so the length must be a multiple of
:math:`2^{n_\mathrm{levels}-1}`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["UNet1d", "timestep_embedding"]


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    r"""Sinusoidal embedding of diffusion steps (Vaswani et al. 2017).

    Parameters
    ----------
    t : torch.Tensor of shape (batch,)
        Steps (integer or float).
    dim : int
        Embedding size (even).
    max_period : float, default=10000
        Longest period of the sinusoids.

    Returns
    -------
    torch.Tensor of shape (batch, dim)
        :math:`[\cos(t f_k), \sin(t f_k)]` with :math:`f_k = P^{-k/(d/2)}`.

    Examples
    --------
    >>> import torch
    >>> from crsbi.particles.unet1d import timestep_embedding
    >>> timestep_embedding(torch.tensor([0, 10]), 8).shape
    torch.Size([2, 8])
    """
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    )
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def _norm(channels: int) -> nn.GroupNorm:
    groups = math.gcd(channels, 8)
    return nn.GroupNorm(groups, channels)


class _ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = _norm(c_in)
        self.conv1 = nn.Conv1d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = _norm(c_out)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv1d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        h = h + self.emb(self.act(emb))[:, :, None]
        h = self.conv2(self.dropout(self.act(self.norm2(h))))
        return self.skip(x) + h


class _Attention(nn.Module):
    def __init__(self, channels: int, n_heads: int) -> None:
        super().__init__()
        heads = n_heads if channels % n_heads == 0 else 1
        self.norm = _norm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x).transpose(1, 2)
        out, _ = self.attn(h, h, h, need_weights=False)
        return x + out.transpose(1, 2)


class UNet1d(nn.Module):
    r"""1D U-Net with time (and optional condition) embedding, attention and skips.

    Parameters
    ----------
    n_channels : int
        Channels of the input and output series, >= 1.
    base_channels : int, default=64
        Channels of the first level (the paper's 64).
    n_levels : int, default=4
        Resolution levels, >= 1 (``n_levels - 1`` halvings; the paper uses 6-10).
    channel_mults : sequence of int or None
        Channel multiplier per level; ``None`` means ``min(2**i, 4)`` at level ``i``.
    n_res_blocks : int, default=1
        Residual blocks per level and direction.
    attention_levels : int, default=2
        Self-attention in the last (coarsest) ``attention_levels`` levels and in the middle.
    n_heads : int, default=4
        Attention heads (1 when they do not divide the channels).
    conditional : bool, default=False
        Accept a scalar condition per sample (NaN for "no condition").
    dropout : float, default=0.0
        Dropout inside residual blocks.

    Examples
    --------
    >>> import torch
    >>> from crsbi.particles.unet1d import UNet1d
    >>> net = UNet1d(3, base_channels=8, n_levels=3)
    >>> net(torch.zeros(2, 3, 32), torch.tensor([1, 500])).shape
    torch.Size([2, 3, 32])
    """

    def __init__(
        self,
        n_channels: int,
        *,
        base_channels: int = 64,
        n_levels: int = 4,
        channel_mults: Sequence[int] | None = None,
        n_res_blocks: int = 1,
        attention_levels: int = 2,
        n_heads: int = 4,
        conditional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value, low in [
            ("n_channels", n_channels, 1),
            ("base_channels", base_channels, 1),
            ("n_levels", n_levels, 1),
            ("n_res_blocks", n_res_blocks, 1),
            ("attention_levels", attention_levels, 0),
        ]:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(
                    f"The '{name}' parameter of UNet1d must be an int >= {low}. Got {value!r}."
                )
        mults = [min(2**i, 4) for i in range(n_levels)] if channel_mults is None else channel_mults
        mults = [int(m) for m in mults]
        if len(mults) != n_levels or min(mults) < 1:
            raise ValueError(
                f"channel_mults must hold n_levels = {n_levels} integers >= 1; "
                f"got {channel_mults!r}."
            )
        self.n_channels = n_channels
        self.n_levels = n_levels
        self.conditional = bool(conditional)
        self.base_channels = base_channels
        emb_dim = 4 * base_channels
        self.time_mlp = nn.Sequential(
            nn.Linear(base_channels, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
        )
        if self.conditional:
            self.cond_mlp = nn.Sequential(
                nn.Linear(1, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
            )
            self.null_cond = nn.Parameter(torch.zeros(emb_dim))
        self.conv_in = nn.Conv1d(n_channels, base_channels, 3, padding=1)
        first_attn = n_levels - attention_levels
        self.down = nn.ModuleList()
        skips = [base_channels]
        ch = base_channels
        for level, mult in enumerate(mults):
            blocks = nn.ModuleList()
            for _ in range(n_res_blocks):
                blocks.append(_ResBlock(ch, base_channels * mult, emb_dim, dropout))
                ch = base_channels * mult
                skips.append(ch)
            attn = _Attention(ch, n_heads) if level >= first_attn else nn.Identity()
            down = nn.Conv1d(ch, ch, 3, stride=2, padding=1) if level < n_levels - 1 else None
            if down is not None:
                skips.append(ch)
            self.down.append(
                nn.ModuleDict(
                    {"blocks": blocks, "attn": attn, **({"down": down} if down is not None else {})}
                )
            )
        self.mid1 = _ResBlock(ch, ch, emb_dim, dropout)
        self.mid_attn = _Attention(ch, n_heads) if attention_levels > 0 else nn.Identity()
        self.mid2 = _ResBlock(ch, ch, emb_dim, dropout)
        self.up = nn.ModuleList()
        for level in reversed(range(n_levels)):
            mult = mults[level]
            blocks = nn.ModuleList()
            n_blocks = n_res_blocks + 1
            for _ in range(n_blocks):
                blocks.append(_ResBlock(ch + skips.pop(), base_channels * mult, emb_dim, dropout))
                ch = base_channels * mult
            attn = _Attention(ch, n_heads) if level >= first_attn else nn.Identity()
            upsample = nn.Conv1d(ch, ch, 3, padding=1) if level > 0 else None
            self.up.append(
                nn.ModuleDict(
                    {
                        "blocks": blocks,
                        "attn": attn,
                        **({"upsample": upsample} if upsample is not None else {}),
                    }
                )
            )
        self.norm_out = _norm(ch)
        self.conv_out = nn.Conv1d(ch, n_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    @property
    def length_multiple(self) -> int:
        """Input lengths must be multiples of this number, ``2 ** (n_levels - 1)``."""
        return 2 ** (self.n_levels - 1)

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Predict the noise in ``x``.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_channels, length)
            Noisy series; ``length`` a multiple of :attr:`length_multiple`.
        t : torch.Tensor of shape (batch,)
            Diffusion steps.
        cond : torch.Tensor of shape (batch,) or None
            Scalar condition per sample, NaN for none (conditional networks only).

        Returns
        -------
        torch.Tensor of shape (batch, n_channels, length)
            The network output.
        """
        if x.ndim != 3 or x.shape[1] != self.n_channels:
            raise ValueError(
                f"x must have shape (batch, n_channels={self.n_channels}, length); "
                f"got {tuple(x.shape)}."
            )
        if x.shape[2] % self.length_multiple:
            raise ValueError(
                f"The length of x must be a multiple of 2**(n_levels - 1) = "
                f"{self.length_multiple}; got {x.shape[2]}. Crop or pad the series."
            )
        if t.ndim != 1 or t.shape[0] != x.shape[0]:
            raise ValueError(f"t must have shape (batch,) = ({x.shape[0]},); got {tuple(t.shape)}.")
        emb = self.time_mlp(timestep_embedding(t, self.base_channels))
        if self.conditional:
            if cond is None:
                cond = torch.full((x.shape[0],), float("nan"), device=x.device)
            cond = cond.reshape(-1).to(x.dtype)
            missing = torch.isnan(cond)[:, None]
            c_emb = self.cond_mlp(torch.nan_to_num(cond)[:, None])
            emb = emb + torch.where(missing, self.null_cond[None].expand_as(c_emb), c_emb)
        elif cond is not None:
            raise ValueError("cond was given to an unconditional UNet1d (conditional=False).")
        h = self.conv_in(x)
        hs = [h]
        for level in self.down:
            for block in level["blocks"]:
                h = block(h, emb)
                hs.append(h)
            h = level["attn"](h)
            if "down" in level:
                h = level["down"](h)
                hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)
        for level in self.up:
            for block in level["blocks"]:
                h = block(torch.cat([h, hs.pop()], dim=1), emb)
            h = level["attn"](h)
            if "upsample" in level:
                h = level["upsample"](
                    nn.functional.interpolate(h, scale_factor=2.0, mode="nearest")
                )
        return self.conv_out(nn.functional.silu(self.norm_out(h)))
