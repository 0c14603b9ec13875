"""Inference: amortized posteriors (sbi NPE), calibration diagnostics and MCMC references.

The only module that imports ``sbi`` is ``crsbi.inference._sbi``; the only one that imports
``emcee`` is :mod:`crsbi.inference.mcmc`. Names load lazily, so ``import crsbi.inference`` imports
neither. Inference depends on :mod:`crsbi.core` only.
"""

from __future__ import annotations

from crsbi.core.lazy import lazy_exports

__all__ = [
    "CalibrationReport",
    "MCMCPosterior",
    "PosteriorComparison",
    "PosteriorEstimator",
    "PosteriorSamplingError",
    "compare_posteriors",
    "edge_fraction",
    "gaussian_linear_posterior",
    "plot_coverage",
    "plot_sbc_ranks",
    "posterior_box",
    "run_calibration",
    "sample_posterior_mcmc",
    "simulate_gaussian_linear",
]

# public name -> module that defines it (imported on first access)
_LAZY = {
    "PosteriorSamplingError": "crsbi.inference._sampling",
    "CalibrationReport": "crsbi.inference.calibration",
    "run_calibration": "crsbi.inference.calibration",
    "PosteriorComparison": "crsbi.inference.compare",
    "compare_posteriors": "crsbi.inference.compare",
    "gaussian_linear_posterior": "crsbi.inference.gaussian_linear",
    "simulate_gaussian_linear": "crsbi.inference.gaussian_linear",
    "MCMCPosterior": "crsbi.inference.mcmc",
    "sample_posterior_mcmc": "crsbi.inference.mcmc",
    "plot_coverage": "crsbi.inference.plotting",
    "plot_sbc_ranks": "crsbi.inference.plotting",
    "PosteriorEstimator": "crsbi.inference.posterior",
    "edge_fraction": "crsbi.inference.truncation",
    "posterior_box": "crsbi.inference.truncation",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
