"""Statistics of fields, maps and trajectories (numpy, vectorised, usable on user data)."""

from crsbi.stats.anisotropy import (
    PowerSpectrumTest,
    TopHatCountingTest,
    angular_power_spectra,
    relative_intensity,
    resolve_exposure,
    tophat_zscores,
)
from crsbi.stats.power import radial_power_spectrum
from crsbi.stats.turbulence import (
    density_pdf,
    density_spectrum,
    energy_budget,
    kinetic_energy_spectrum,
    rms_mach,
)

__all__ = [
    "PowerSpectrumTest",
    "TopHatCountingTest",
    "angular_power_spectra",
    "density_pdf",
    "density_spectrum",
    "energy_budget",
    "kinetic_energy_spectrum",
    "radial_power_spectrum",
    "relative_intensity",
    "resolve_exposure",
    "rms_mach",
    "tophat_zscores",
]
