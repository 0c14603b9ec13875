"""Small convolutional networks for single-channel images (Bustard and Wu 2024).

:class:`TransportCNN` is the paper's classifier of gas density slices; :class:`RandomFlip2d`
and :class:`RandomRoll2d` are the flip and periodic-shift augmentations, modules that act only
in training mode so they can sit in front of any network trained by the shared training loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from crsbi.core.nn import activation_layer

__all__ = ["RandomFlip2d", "RandomRoll2d", "TransportCNN", "count_parameters"]


def count_parameters(module: nn.Module, *, trainable_only: bool = True) -> int:
    """Count the (trainable) scalar parameters of a module.

    Parameters
    ----------
    module : torch.nn.Module
        Any network.
    trainable_only : bool, default=True
        Count only parameters with ``requires_grad``.

    Returns
    -------
    int
        Total number of parameter entries (buffers such as BatchNorm running means excluded).

    Examples
    --------
    >>> from crsbi.maps.cnn import TransportCNN, count_parameters
    >>> count_parameters(TransportCNN(n_classes=5))
    29749
    """
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only))


class _BatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d falling back to its running statistics for one value per channel.

    A training batch of a single 1 x 1 map has no batch variance; the stock layer raises.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and x.shape[0] * x.shape[2] * x.shape[3] == 1:
            return nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        return super().forward(x)


class TransportCNN(nn.Module):
    """The CNN of Bustard and Wu (2024) for classifying density images.

    ``len(channels)`` blocks of ``Conv2d(kernel 3, stride 2, padding 1) + BatchNorm2d +
    activation`` halve the image each time; adaptive average pooling to
    ``pool_size x pool_size``, dropout and one linear layer give the class logits. With the
    defaults (8, 16, 32, 64 channels, 4 x 4 pooling, 5 classes) the network has exactly
    29,749 trainable parameters, independent of the image size.

    Parameters
    ----------
    n_classes : int
        Number of outputs (logits), >= 1.
    in_channels : int, default=1
        Channels of the input images.
    channels : sequence of int, default=(8, 16, 32, 64)
        Output channels of each convolutional block.
    pool_size : int, default=4
        Side of the adaptive average pooling output.
    dropout : float, default=0.25
        Dropout probability before the linear layer.
    activation : str, default="silu"
        Activation after each BatchNorm (see :func:`crsbi.core.activation_layer`).

    Examples
    --------
    >>> import torch
    >>> from crsbi.maps.cnn import TransportCNN
    >>> net = TransportCNN(n_classes=5).eval()
    >>> net(torch.zeros(2, 1, 128, 128)).shape
    torch.Size([2, 5])
    """

    def __init__(
        self,
        n_classes: int,
        *,
        in_channels: int = 1,
        channels: Sequence[int] = (8, 16, 32, 64),
        pool_size: int = 4,
        dropout: float = 0.25,
        activation: str = "silu",
    ) -> None:
        super().__init__()
        for name, value in (("n_classes", n_classes), ("in_channels", in_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1. Got {value!r} instead.")
        channels = tuple(channels)
        if not channels or any(
            isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in channels
        ):
            raise ValueError(
                f"channels must be a non-empty sequence of ints >= 1. Got {channels!r} instead."
            )
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(f"pool_size must be an int >= 1. Got {pool_size!r} instead.")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a float in [0, 1). Got {dropout!r} instead.")
        layers: list[nn.Module] = []
        previous = in_channels
        for width in channels:
            layers += [
                nn.Conv2d(previous, width, kernel_size=3, stride=2, padding=1),
                _BatchNorm2d(width),
                activation_layer(activation),
            ]
            previous = width
        self.in_channels = in_channels
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(previous * pool_size * pool_size, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, in_channels, H, W) or (batch, H, W)
            Images (a missing channel axis is added for single-channel networks).

        Returns
        -------
        torch.Tensor of shape (batch, n_classes)
            Unnormalised log-probabilities.
        """
        if x.dim() == 3 and self.in_channels == 1:
            x = x.unsqueeze(1)
        if x.dim() != 4:
            raise ValueError(
                f"TransportCNN expects input of shape (batch, {self.in_channels}, H, W); "
                f"got {tuple(x.shape)}."
            )
        features = self.pool(self.features(x)).flatten(1)
        return self.head(self.dropout(features))


class RandomFlip2d(nn.Module):
    """Random horizontal and vertical flips of each image, in training mode only.

    Every image of a batch is flipped along its last axis with probability ``p`` and,
    independently, along its second-to-last axis with probability ``p``. In evaluation mode
    the module is the identity, so a network wrapped as ``nn.Sequential(RandomFlip2d(), net)``
    predicts exactly like ``net``. Draws come from torch's global generator (seed it, e.g. with
    :func:`crsbi.core.seeded_torch`).

    Parameters
    ----------
    p : float, default=0.5
        Flip probability per axis, in [0, 1].

    Examples
    --------
    >>> import torch
    >>> from crsbi.maps.cnn import RandomFlip2d
    >>> flip = RandomFlip2d(p=1.0).train()
    >>> x = torch.arange(4.0).reshape(1, 1, 2, 2)
    >>> flip(x).flatten().tolist()
    [3.0, 2.0, 1.0, 0.0]
    >>> flip.eval()(x).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"p must be a float in [0, 1]. Got {p!r} instead.")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Flip a batch of shape (batch, ..., H, W) at random (training mode only)."""
        if not self.training or self.p == 0:
            return x
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        flip_w = (torch.rand(shape, device=x.device) < self.p).expand_as(x)
        x = torch.where(flip_w, x.flip(-1), x)
        flip_h = (torch.rand(shape, device=x.device) < self.p).expand_as(x)
        return torch.where(flip_h, x.flip(-2), x)


class RandomRoll2d(nn.Module):
    """Random cyclic shifts of each image along both axes, in training mode only.

    Every image of a batch is rolled by its own offsets, drawn uniformly from ``0 .. H - 1``
    and ``0 .. W - 1``: an exact symmetry of maps of a whole **periodic** box (the statistics
    of homogeneous turbulence do not depend on the origin), which multiplies the distinct
    training images by ``H * W``. Tiles cut from a larger map are not periodic: rolling them
    makes seams. In evaluation mode the module is the identity. Draws come from torch's
    global generator (seed it, e.g. with :func:`crsbi.core.seeded_torch`).

    Examples
    --------
    >>> import torch
    >>> from crsbi.maps.cnn import RandomRoll2d
    >>> roll = RandomRoll2d().train()
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> sorted(roll(x).flatten().tolist()) == x.flatten().tolist()  # a permutation
    True
    >>> torch.equal(roll.eval()(x), x)
    True
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Roll a batch of shape (batch, ..., H, W) at random (training mode only)."""
        if not self.training:
            return x
        height, width = x.shape[-2], x.shape[-1]
        batch = x.shape[0]
        lead = (batch,) + (1,) * (x.dim() - 3)
        shift_h = torch.randint(height, (batch,), device=x.device)
        shift_w = torch.randint(width, (batch,), device=x.device)
        rows = (torch.arange(height, device=x.device)[None, :] - shift_h[:, None]) % height
        cols = (torch.arange(width, device=x.device)[None, :] - shift_w[:, None]) % width
        x = x.gather(-2, rows.reshape(*lead, height, 1).expand_as(x))
        return x.gather(-1, cols.reshape(*lead, 1, width).expand_as(x))
