"""Convolutional networks on the HEALPix sphere (NESTED pixel order).

The convolution is the 9-point stencil used by Kalashev, Pshirkov & Zotov (2020): every
output pixel is a learned linear combination of its own value and those of its 8
neighbours, as returned by :func:`healpy.get_all_neighbours` in NESTED order
(SW, W, NW, N, NE, E, SE, S). At the 8 corners of the base faces where 3 faces meet
(and at ``nside=1``) a pixel has only 7 neighbours; the missing one reads **zero**
(zero padding, as for image borders in an ordinary CNN).

Pooling uses the NESTED hierarchy: the 4 children ``4p .. 4p+3`` of pixel ``p`` at
``nside/2`` are consecutive, so pooling is a reshape to ``(..., npix/4, 4)`` and a mean
or max over the last axis.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from crsbi.core.nn import MLP, activation_layer

__all__ = ["HealpixCNN", "HealpixConv", "HealpixPool", "check_nside", "healpix_neighbours"]

#: Number of taps of the stencil: the pixel itself, then its 8 neighbours.
N_TAPS = 9


def check_nside(nside: object, name: str = "nside", owner: str = "HEALPix") -> int:
    """Return ``nside`` as an int after checking that it is a power of two >= 1.

    Parameters
    ----------
    nside : int
        HEALPix resolution parameter.
    name, owner : str
        Parameter and owner names used in the error message.

    Returns
    -------
    int
        The validated ``nside``.

    Raises
    ------
    TypeError, ValueError
        When ``nside`` is not an integer power of two (1, 2, 4, ..., 2**29).

    Examples
    --------
    >>> from crsbi.uhecr.healpix import check_nside
    >>> check_nside(32)
    32
    """
    if isinstance(nside, bool) or not isinstance(nside, int | np.integer):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be an int power of two (1, 2, 4, ...). "
            f"Got {nside!r} of type {type(nside).__name__} instead."
        )
    value = int(nside)
    if value < 1 or value > 2**29 or value & (value - 1):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a power of two in [1, 2**29]. "
            f"Got {value} instead."
        )
    return value


@functools.lru_cache(maxsize=16)
def _neighbour_table(nside: int) -> np.ndarray:
    import healpy

    npix = 12 * nside * nside
    pixels = np.arange(npix)
    table = np.empty((N_TAPS, npix), dtype=np.int64)
    table[0] = pixels
    table[1:] = healpy.get_all_neighbours(nside, pixels, nest=True)
    table.setflags(write=False)
    return table


def healpix_neighbours(nside: int) -> np.ndarray:
    """Stencil table of a HEALPix grid in NESTED order.

    Parameters
    ----------
    nside : int
        HEALPix resolution (a power of two).

    Returns
    -------
    numpy.ndarray of int64, shape (9, 12 * nside**2)
        Row 0 is the pixel itself, rows 1..8 its neighbours SW, W, NW, N, NE, E, SE, S
        (:func:`healpy.get_all_neighbours`); ``-1`` marks a missing neighbour.
        The array is cached per ``nside`` and read-only.

    Examples
    --------
    >>> from crsbi.uhecr.healpix import healpix_neighbours
    >>> healpix_neighbours(2).shape
    (9, 48)
    """
    return _neighbour_table(check_nside(nside, owner="healpix_neighbours"))


def _as_maps(x: torch.Tensor, n_channels: int, npix: int, owner: str) -> torch.Tensor:
    """Accept ``(batch, n_channels, npix)`` or the flattened ``(batch, n_channels * npix)``."""
    if x.ndim == 3 and x.shape[1] == n_channels and x.shape[2] == npix:
        return x
    if x.ndim == 2 and x.shape[1] == n_channels * npix:
        return x.reshape(x.shape[0], n_channels, npix)
    raise ValueError(
        f"{owner} expects maps of shape (batch, {n_channels}, {npix}) or the flattened "
        f"(batch, {n_channels * npix}). Got {tuple(x.shape)} instead."
    )


class HealpixConv(nn.Module):
    """9-neighbour convolution on a NESTED HEALPix map.

    ``y[b, o, p] = bias[o] + sum_{c, k} weight[o, c, k] * x[b, c, n_k(p)]`` where
    ``n_0(p) = p`` and ``n_1 .. n_8`` are the neighbours of :func:`healpix_neighbours`;
    a missing neighbour (``-1``) contributes zero.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and output maps.
    nside : int
        HEALPix resolution of the maps (a power of two); the output has the same ``nside``.
    bias : bool, default=True
        Whether to add a learned bias per output channel.

    Attributes
    ----------
    weight : torch.nn.Parameter, shape (out_channels, in_channels, 9)
        Stencil weights, tap 0 being the centre pixel.
    bias : torch.nn.Parameter or None, shape (out_channels,)
        Per-channel bias.
    neighbours : torch.Tensor of int64, shape (npix, 9)
        Stencil table, pixel-major (a non-persistent buffer that follows ``.to(device)``);
        missing neighbours point at an extra zero pixel at index ``npix``.

    Notes
    -----
    The computation runs channels-last: the input is transposed to ``(batch, npix, C)``,
    the 9 taps are gathered as rows ``(batch, npix, 9, C)`` and contracted with the weights
    in one matrix product. :meth:`forward_channels_last` skips the transposes;
    :class:`HealpixCNN` uses it between layers.

    Examples
    --------
    >>> import torch
    >>> from crsbi.uhecr.healpix import HealpixConv
    >>> conv = HealpixConv(2, 4, nside=4)
    >>> conv(torch.zeros(3, 2, 192)).shape
    torch.Size([3, 4, 192])
    """

    def __init__(self, in_channels: int, out_channels: int, nside: int, *, bias: bool = True):
        super().__init__()
        if int(in_channels) < 1 or int(out_channels) < 1:
            raise ValueError(
                "HealpixConv needs in_channels >= 1 and out_channels >= 1. "
                f"Got {in_channels} and {out_channels}."
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.nside = check_nside(nside, owner="HealpixConv")
        self.npix = 12 * self.nside**2
        table = np.array(_neighbour_table(self.nside))
        table[table < 0] = self.npix  # the zero pad pixel
        self.register_buffer("neighbours", torch.from_numpy(table.T.copy()), persistent=False)
        self.weight = nn.Parameter(torch.empty(self.out_channels, self.in_channels, N_TAPS))
        self.bias = nn.Parameter(torch.empty(self.out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weights and uniform bias, as :class:`torch.nn.Conv1d`."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_channels * N_TAPS)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve maps ``(batch, in_channels, npix)`` into ``(batch, out_channels, npix)``."""
        x = _as_maps(x, self.in_channels, self.npix, "HealpixConv")
        return self.forward_channels_last(x.transpose(1, 2)).transpose(1, 2)

    def forward_channels_last(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``(batch, npix, in_channels)`` into ``(batch, npix, out_channels)``."""
        batch = x.shape[0]
        padded = functional.pad(x, (0, 0, 0, 1))  # row npix reads zero
        gathered = padded[:, self.neighbours]  # (batch, npix, 9, C_in): row copies
        weight = self.weight.permute(2, 1, 0).reshape(N_TAPS * self.in_channels, -1)
        out = gathered.reshape(batch * self.npix, N_TAPS * self.in_channels) @ weight
        out = out.reshape(batch, self.npix, self.out_channels)
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        """Channels and resolution."""
        return f"{self.in_channels}, {self.out_channels}, nside={self.nside}"


class HealpixPool(nn.Module):
    """Pool a NESTED HEALPix map from ``nside`` to ``nside / 2``.

    The children ``4p, 4p+1, 4p+2, 4p+3`` of parent pixel ``p`` are combined by their mean
    (the same as :func:`healpy.ud_grade` with ``order_in="NESTED"``) or their maximum.

    Parameters
    ----------
    mode : {"mean", "max"}, default="mean"
        Reduction over the 4 children.

    Examples
    --------
    >>> import torch
    >>> from crsbi.uhecr.healpix import HealpixPool
    >>> HealpixPool()(torch.ones(2, 3, 192)).shape
    torch.Size([2, 3, 48])
    """

    def __init__(self, mode: str = "mean"):
        super().__init__()
        if mode not in ("mean", "max"):
            raise ValueError(
                f"The 'mode' parameter of HealpixPool must be 'mean' or 'max'. "
                f"Got {mode!r} instead."
            )
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool ``(..., npix)`` into ``(..., npix // 4)``; ``npix = 12 nside**2``, nside >= 2."""
        npix = x.shape[-1]
        nside = math.isqrt(max(npix // 12, 0))
        if npix < 48 or 12 * nside * nside != npix or nside & (nside - 1):
            raise ValueError(
                "HealpixPool expects a last axis of 12 * nside**2 pixels with nside a power of "
                f"two >= 2 (48, 192, 768, ...). Got {npix} instead."
            )
        # children 4p .. 4p+3 are consecutive: a 1-D pooling of kernel and stride 4 (whose
        # backward is much faster on CPU than that of a reshape + amax)
        flat = x.reshape(1, -1, npix)
        pool = functional.avg_pool1d if self.mode == "mean" else functional.max_pool1d
        return pool(flat, 4).reshape(*x.shape[:-1], npix // 4)

    def forward_channels_last(self, x: torch.Tensor) -> torch.Tensor:
        """Pool ``(batch, npix, C)`` into ``(batch, npix // 4, C)`` (no checks)."""
        pool = functional.avg_pool2d if self.mode == "mean" else functional.max_pool2d
        return pool(x.unsqueeze(1), (4, 1)).squeeze(1)

    def extra_repr(self) -> str:
        """Reduction mode."""
        return f"mode={self.mode!r}"


class HealpixCNN(nn.Module):
    """HEALPix CNN: (conv, activation) blocks with pooling down to ``nside = 1``, then a dense head.

    At each resolution ``nside, nside/2, ..., 2`` the network applies ``convs_per_level``
    :class:`HealpixConv` layers (each followed by optional batch normalisation and the
    activation) and a :class:`HealpixPool`; at ``nside = 1`` one more convolution block maps
    the 12 base pixels, which are flattened into an :class:`~crsbi.core.MLP` head. The output
    is raw logits of shape ``(batch, n_outputs)`` (apply a sigmoid for a probability).
    Between layers the activations are kept channels-last ``(batch, npix, C)`` (see
    :class:`HealpixConv`), so the head reads the ``12 * C`` features pixel-major.

    Parameters
    ----------
    in_channels : int
        Channels of the input maps (e.g. 15 energy channels, or 1 for count maps).
    n_outputs : int, default=1
        Number of logits.
    nside : int, default=32
        Resolution of the input maps (a power of two).
    channels : int or sequence of int, default=(16, 32, 64)
        Output channels of the convolutions at each resolution, from the finest; the last
        entry is reused for the remaining levels.
    convs_per_level : int, default=1
        Convolutions per resolution level.
    pool : {"mean", "max"}, default="max"
        Pooling mode.
    activation : str, default="relu"
        Activation after each convolution, see :func:`crsbi.core.activation_layer`.
    batch_norm : bool, default=False
        Batch normalisation after each convolution.
    head_hidden : sequence of int, default=(64,)
        Hidden widths of the dense head.
    dropout : float, default=0.0
        Dropout in the dense head.

    Examples
    --------
    >>> import torch
    >>> from crsbi.uhecr.healpix import HealpixCNN
    >>> net = HealpixCNN(3, n_outputs=1, nside=4, channels=(4, 8))
    >>> net(torch.zeros(5, 3, 192)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        in_channels: int,
        n_outputs: int = 1,
        *,
        nside: int = 32,
        channels: int | Sequence[int] = (16, 32, 64),
        convs_per_level: int = 1,
        pool: str = "max",
        activation: str = "relu",
        batch_norm: bool = False,
        head_hidden: Sequence[int] = (64,),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels = int(in_channels)
        self.n_outputs = int(n_outputs)
        self.nside = check_nside(nside, owner="HealpixCNN")
        self.npix = 12 * self.nside**2
        if self.in_channels < 1:
            raise ValueError(f"HealpixCNN needs in_channels >= 1. Got {in_channels}.")
        widths = [int(channels)] if isinstance(channels, int | np.integer) else list(channels)
        if not widths or any(int(w) < 1 for w in widths):
            raise ValueError(
                f"The 'channels' parameter of HealpixCNN must be a positive int or a non-empty "
                f"sequence of positive ints. Got {channels!r} instead."
            )
        if int(convs_per_level) < 1:
            raise ValueError(f"convs_per_level must be >= 1. Got {convs_per_level!r}.")
        n_levels = int(math.log2(self.nside)) + 1  # nside, nside/2, ..., 1
        layers: list[nn.Module] = []
        width_in = self.in_channels
        level_nside = self.nside
        for level in range(n_levels):
            width = int(widths[min(level, len(widths) - 1)])
            for _ in range(int(convs_per_level)):
                layers.append(HealpixConv(width_in, width, level_nside, bias=not batch_norm))
                if batch_norm:
                    layers.append(nn.BatchNorm1d(width))
                layers.append(activation_layer(activation))
                width_in = width
            if level_nside > 1:
                layers.append(HealpixPool(pool))
                level_nside //= 2
        self.features = nn.ModuleList(layers)
        self.head = MLP(
            12 * width_in,
            int(n_outputs),
            hidden_sizes=tuple(head_hidden),
            activation=activation,
            dropout=dropout,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, in_channels, npix)`` (or flattened) maps to ``(batch, n_outputs)``."""
        x = _as_maps(x, self.in_channels, self.npix, "HealpixCNN")
        hidden = x.transpose(1, 2)  # channels-last (batch, npix, C) between layers
        for layer in self.features:
            if isinstance(layer, HealpixConv | HealpixPool):
                hidden = layer.forward_channels_last(hidden)
            elif isinstance(layer, nn.BatchNorm1d):
                hidden = layer(hidden.reshape(-1, hidden.shape[-1])).reshape(hidden.shape)
            else:
                hidden = layer(hidden)
        return self.head(hidden.flatten(1))
