"""A 1D convolutional network over spectra (channels x energy bins)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from crsbi.core.nn import activation_layer

__all__ = ["CNN1D"]


class CNN1D(nn.Module):
    """1D CNN: convolution blocks along the energy axis, then a fully connected head.

    Each block is ``Conv1d(kernel_size, padding="same") -> activation -> MaxPool1d(2)``
    (no pooling once the length is 1); the flattened result goes through
    ``Linear(hidden_size) -> activation -> dropout -> Linear(n_outputs)``. This is the
    shape of the network of Tsai et al. (2022), scaled by ``channels``. Inputs may be
    ``(n, n_channels, n_bins)`` or flattened ``(n, n_channels * n_bins)``, so the
    network also serves as an sbi embedding net on flat observations.

    Parameters
    ----------
    n_channels : int
        Input channels (8 ratio spectra for the propagation inverter).
    n_bins : int
        Length of each channel (84 energy bins).
    n_outputs : int
        Number of outputs (10 parameters, or the embedding size).
    channels : sequence of int, default=(32, 64, 64)
        Output channels of the convolution blocks.
    kernel_size : int, default=5
        Convolution kernel size (odd).
    hidden_size : int, default=128
        Width of the hidden fully connected layer.
    activation : str, default="gelu"
        Activation, see :func:`crsbi.core.nn.activation_layer`.
    dropout : float, default=0.0
        Dropout before the output layer.

    Examples
    --------
    >>> import torch
    >>> from crsbi.propagation.cnn1d import CNN1D
    >>> net = CNN1D(8, 84, 10, channels=(4, 8), hidden_size=16)
    >>> net(torch.zeros(3, 8, 84)).shape, net(torch.zeros(3, 8 * 84)).shape
    (torch.Size([3, 10]), torch.Size([3, 10]))
    """

    def __init__(
        self,
        n_channels: int,
        n_bins: int,
        n_outputs: int,
        *,
        channels: Sequence[int] = (32, 64, 64),
        kernel_size: int = 5,
        hidden_size: int = 128,
        activation: str = "gelu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (("n_channels", n_channels), ("n_bins", n_bins),
                            ("n_outputs", n_outputs), ("kernel_size", kernel_size),
                            ("hidden_size", hidden_size)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CNN1D: {name} must be an int >= 1; got {value!r}.")
        if kernel_size % 2 == 0:
            raise ValueError(f"CNN1D: kernel_size must be odd; got {kernel_size}.")
        if not 0 <= dropout < 1:
            raise ValueError(f"CNN1D: dropout must be in [0, 1); got {dropout!r}.")
        self.n_channels = n_channels
        self.n_bins = n_bins
        layers: list[nn.Module] = []
        width, length = n_channels, n_bins
        for out in channels:
            layers += [
                nn.Conv1d(width, int(out), kernel_size, padding="same"),
                activation_layer(activation),
            ]
            if length >= 2:
                layers.append(nn.MaxPool1d(2))
                length //= 2
            width = int(out)
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(width * length, hidden_size),
            activation_layer(activation),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, n_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(n, n_channels, n_bins)`` or ``(n, n_channels * n_bins)`` to ``(n, n_outputs)``."""
        if x.dim() == 2 and x.shape[1] == self.n_channels * self.n_bins:
            x = x.reshape(x.shape[0], self.n_channels, self.n_bins)
        if x.dim() != 3 or x.shape[1:] != (self.n_channels, self.n_bins):
            raise ValueError(
                f"CNN1D expects inputs of shape (n, {self.n_channels}, {self.n_bins}) or "
                f"(n, {self.n_channels * self.n_bins}); got {tuple(x.shape)}."
            )
        return self.head(self.features(x))
