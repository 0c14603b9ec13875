"""Small shared helpers: random states, devices, validation and persistence."""

from crsbi.utils._device import resolve_device
from crsbi.utils._persistence import load, save
from crsbi.utils._random import check_random_state, seeded_torch, spawn_seeds, torch_seed
from crsbi.utils._validation import check_finite, check_interval, check_option, check_shape

__all__ = [
    "check_finite",
    "check_interval",
    "check_option",
    "check_random_state",
    "check_shape",
    "load",
    "resolve_device",
    "save",
    "seeded_torch",
    "spawn_seeds",
    "torch_seed",
]
