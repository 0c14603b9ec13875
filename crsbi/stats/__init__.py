"""Statistics of fields, maps and trajectories (numpy, vectorised, usable on user data)."""

from crsbi.stats.anisotropy import (
    LikelihoodRatioTest,
    PowerSpectrumTest,
    TopHatCountingTest,
    angular_power_spectra,
    relative_intensity,
    resolve_exposure,
    tophat_zscores,
)
from crsbi.stats.power import radial_power_spectrum
from crsbi.stats.trajectories import (
    angles_to_velocity,
    curvature,
    default_lags,
    flatness,
    gyro_centre_velocity,
    increment_pdf,
    integrate_positions,
    mean_squared_displacement,
    running_diffusion,
    structure_function,
    torsion,
    trajectory_distance,
    velocity_to_angles,
)
from crsbi.stats.turbulence import (
    density_pdf,
    density_spectrum,
    energy_budget,
    kinetic_energy_spectrum,
    rms_mach,
)

__all__ = [
    "LikelihoodRatioTest",
    "PowerSpectrumTest",
    "TopHatCountingTest",
    "angles_to_velocity",
    "angular_power_spectra",
    "curvature",
    "default_lags",
    "density_pdf",
    "density_spectrum",
    "energy_budget",
    "flatness",
    "gyro_centre_velocity",
    "increment_pdf",
    "integrate_positions",
    "kinetic_energy_spectrum",
    "mean_squared_displacement",
    "radial_power_spectrum",
    "relative_intensity",
    "resolve_exposure",
    "rms_mach",
    "running_diffusion",
    "structure_function",
    "tophat_zscores",
    "torsion",
    "trajectory_distance",
    "velocity_to_angles",
]
