"""Fully connected networks."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP", "activation_layer"]

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
}


def activation_layer(name: str) -> nn.Module:
    """Return a fresh activation module by name.

    Parameters
    ----------
    name : {"relu", "gelu", "silu", "tanh", "elu", "leaky_relu"}
        Activation function.

    Returns
    -------
    torch.nn.Module
        A new activation layer.

    Examples
    --------
    >>> from crsbi.core import activation_layer
    >>> activation_layer("relu")
    ReLU()
    """
    try:
        return _ACTIVATIONS[name]()
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be one of {sorted(_ACTIVATIONS)}. Got {name!r} instead."
        ) from None


class MLP(nn.Module):
    """Multi-layer perceptron ``n_inputs -> hidden_sizes -> n_outputs``.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    n_outputs : int
        Number of outputs (no activation on the output layer).
    hidden_sizes : sequence of int, default=(64, 64)
        Width of each hidden layer.
    activation : str, default="gelu"
        Hidden activation, see :func:`activation_layer`.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.

    Examples
    --------
    >>> import torch
    >>> from crsbi.core import MLP
    >>> MLP(3, 2, hidden_sizes=(8,))(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        *,
        hidden_sizes: Sequence[int] = (64, 64),
        activation: str = "gelu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if int(n_inputs) < 1 or int(n_outputs) < 1:
            raise ValueError(
                f"MLP needs n_inputs >= 1 and n_outputs >= 1. Got {n_inputs} and {n_outputs}."
            )
        if any(int(h) < 1 for h in hidden_sizes):
            raise ValueError(f"hidden_sizes must be positive integers. Got {hidden_sizes!r}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be a float in [0, 1). Got {dropout!r}.")
        layers: list[nn.Module] = []
        width = int(n_inputs)
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, int(hidden)), activation_layer(activation)]
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
            width = int(hidden)
        layers.append(nn.Linear(width, int(n_outputs)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` of shape ``(batch, n_inputs)`` to ``(batch, n_outputs)``."""
        return self.net(x)
