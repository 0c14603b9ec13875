"""Data access: the reference data directory, loaders and synthetic data-set builders."""

from crsbi.datasets._paths import DATA_ENV_VAR, data_dir
from crsbi.datasets.uhecr import (
    AugerEvents,
    KalashevSpectra,
    kalashev2019_distances,
    load_auger2022,
    load_kalashev2019_spectra,
)

__all__ = [
    "DATA_ENV_VAR",
    "AugerEvents",
    "KalashevSpectra",
    "data_dir",
    "kalashev2019_distances",
    "load_auger2022",
    "load_kalashev2019_spectra",
]
