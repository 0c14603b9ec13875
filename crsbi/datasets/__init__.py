"""Data access: the reference data directory, loaders and synthetic data-set builders."""

from crsbi.datasets._paths import (
    DATA_ENV_VAR,
    DataLocation,
    data_dir,
    data_file,
    locate_data_dir,
)
from crsbi.datasets.crfluid import (
    CRFluidDataset,
    load_crfluid_dataset,
    make_crfluid_dataset,
    simulate_crfluid_class,
)
from crsbi.datasets.cross_sections import (
    CrossSections,
    get_cross_sections,
    load_fragmentation_table,
    load_inelastic_table,
)
from crsbi.datasets.spectra import Measurement, load_ams02, load_voyager1
from crsbi.datasets.trajectories import (
    TrajectoryData,
    load_trajectory_dataset,
    make_trajectory_dataset,
    simulate_trajectories,
    simulate_trajectory_row,
)
from crsbi.datasets.transport import TransportDataset, make_transport_dataset, preprocess_tiles
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
    "CRFluidDataset",
    "CrossSections",
    "DataLocation",
    "KalashevSpectra",
    "Measurement",
    "TrajectoryData",
    "TransportDataset",
    "data_dir",
    "data_file",
    "get_cross_sections",
    "kalashev2019_distances",
    "load_ams02",
    "load_auger2022",
    "load_crfluid_dataset",
    "load_fragmentation_table",
    "load_inelastic_table",
    "load_kalashev2019_spectra",
    "load_trajectory_dataset",
    "load_voyager1",
    "locate_data_dir",
    "make_crfluid_dataset",
    "make_trajectory_dataset",
    "make_transport_dataset",
    "preprocess_tiles",
    "simulate_crfluid_class",
    "simulate_trajectories",
    "simulate_trajectory_row",
]
