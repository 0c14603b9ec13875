"""Data access: the reference data directory, loaders and synthetic data-set builders."""

from crsbi.datasets._paths import DATA_ENV_VAR, data_dir

__all__ = ["DATA_ENV_VAR", "data_dir"]
