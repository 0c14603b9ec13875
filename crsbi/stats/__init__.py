"""Statistics of fields, maps and trajectories (numpy, vectorised, usable on user data)."""

from crsbi.stats.power import radial_power_spectrum

__all__ = ["radial_power_spectrum"]
