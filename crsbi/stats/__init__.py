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

__all__ = [
    "PowerSpectrumTest",
    "TopHatCountingTest",
    "angular_power_spectra",
    "radial_power_spectrum",
    "relative_intensity",
    "resolve_exposure",
    "tophat_zscores",
]
