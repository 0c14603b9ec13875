"""Matplotlib helpers for looking at crsbi results.

One private module per topic (``_core`` for training and inference); every public
plot function is re-exported here, so ``from crsbi.plotting import plot_x`` works
for all of them.
"""

from crsbi.plotting._anisotropy import plot_power_curves, plot_test_statistic
from crsbi.plotting._core import (
    plot_coverage,
    plot_history,
    plot_predicted_vs_simulated,
    plot_sbc_ranks,
    plot_surrogate_slice,
)
from crsbi.plotting._sky import plot_sky_map
from crsbi.plotting._spectra import plot_spectra, plot_spectrum

__all__ = [
    "plot_coverage",
    "plot_history",
    "plot_power_curves",
    "plot_predicted_vs_simulated",
    "plot_sbc_ranks",
    "plot_sky_map",
    "plot_spectra",
    "plot_spectrum",
    "plot_surrogate_slice",
    "plot_test_statistic",
]
