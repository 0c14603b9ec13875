"""Plain torch networks used by the crsbi estimators (and usable as sbi embedding nets).

Nothing here imports scikit-learn: these are ordinary :class:`torch.nn.Module` classes.
"""

from crsbi.nn.cnn import RandomFlip2d, TransportCNN, count_parameters
from crsbi.nn.cnn1d import CNN1D
from crsbi.nn.ddpm import DDPM
from crsbi.nn.healpix import HealpixCNN, HealpixConv, HealpixPool, healpix_neighbours
from crsbi.nn.mlp import MLP, activation_layer
from crsbi.nn.unet1d import UNet1d, timestep_embedding

__all__ = [
    "CNN1D",
    "DDPM",
    "MLP",
    "HealpixCNN",
    "HealpixConv",
    "HealpixPool",
    "RandomFlip2d",
    "TransportCNN",
    "UNet1d",
    "activation_layer",
    "count_parameters",
    "healpix_neighbours",
    "timestep_embedding",
]
