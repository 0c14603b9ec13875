"""Plain torch networks used by the crsbi estimators (and usable as sbi embedding nets).

Nothing here imports scikit-learn: these are ordinary :class:`torch.nn.Module` classes.
"""

from crsbi.nn.cnn import RandomFlip2d, TransportCNN, count_parameters
from crsbi.nn.cnn1d import CNN1D
from crsbi.nn.healpix import HealpixCNN, HealpixConv, HealpixPool, healpix_neighbours
from crsbi.nn.mlp import MLP, activation_layer

__all__ = [
    "CNN1D",
    "MLP",
    "HealpixCNN",
    "HealpixConv",
    "HealpixPool",
    "RandomFlip2d",
    "TransportCNN",
    "activation_layer",
    "count_parameters",
    "healpix_neighbours",
]
