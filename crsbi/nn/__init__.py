"""Plain torch networks used by the crsbi estimators (and usable as sbi embedding nets).

Nothing here imports scikit-learn: these are ordinary :class:`torch.nn.Module` classes.
"""

from crsbi.nn.healpix import HealpixCNN, HealpixConv, HealpixPool, healpix_neighbours
from crsbi.nn.mlp import MLP, activation_layer

__all__ = [
    "MLP",
    "HealpixCNN",
    "HealpixConv",
    "HealpixPool",
    "activation_layer",
    "healpix_neighbours",
]
