"""Matplotlib helpers for looking at crsbi results.

One private module per topic (``_core`` for training and inference); every public
plot function is re-exported here, so ``from crsbi.plotting import plot_x`` works
for all of them.
"""

from crsbi.plotting._anisotropy import plot_power_curves, plot_test_statistic
from crsbi.plotting._classification import (
    plot_class_power_spectra,
    plot_confusion_matrix,
    plot_probability_vs_sigma,
    plot_projection_depth,
    plot_saliency_maps,
)
from crsbi.plotting._core import (
    plot_coverage,
    plot_history,
    plot_predicted_vs_simulated,
    plot_sbc_ranks,
    plot_surrogate_slice,
)
from crsbi.plotting._crfluid import (
    plot_crfluid_maps,
    plot_crfluid_spectra,
    plot_mach_history,
)
from crsbi.plotting._inversion import (
    plot_chi2_profiles,
    plot_corner,
    plot_predicted_spectra,
    plot_tau_histogram,
)
from crsbi.plotting._sky import plot_sky_map
from crsbi.plotting._spectra import plot_spectra, plot_spectrum
from crsbi.plotting._trajectories import plot_trajectory_statistics

__all__ = [
    "plot_chi2_profiles",
    "plot_class_power_spectra",
    "plot_confusion_matrix",
    "plot_corner",
    "plot_coverage",
    "plot_crfluid_maps",
    "plot_crfluid_spectra",
    "plot_history",
    "plot_mach_history",
    "plot_power_curves",
    "plot_predicted_spectra",
    "plot_predicted_vs_simulated",
    "plot_probability_vs_sigma",
    "plot_projection_depth",
    "plot_saliency_maps",
    "plot_sbc_ranks",
    "plot_sky_map",
    "plot_spectra",
    "plot_spectrum",
    "plot_surrogate_slice",
    "plot_tau_histogram",
    "plot_test_statistic",
    "plot_trajectory_statistics",
]
