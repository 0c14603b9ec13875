"""Inference: amortized posteriors (sbi NPE), calibration diagnostics and MCMC references.

Names load lazily, so ``import crsbi.inference`` does not import ``sbi`` or ``emcee``.
"""

from __future__ import annotations

from crsbi._lazy import lazy_exports

__all__ = [
    "CalibrationReport",
    "MCMCPosterior",
    "PosteriorComparison",
    "PosteriorEstimator",
    "PosteriorSamplingError",
    "SpectraLikelihood",
    "compare_posteriors",
    "edge_fraction",
    "plot_coverage",
    "plot_sbc_ranks",
    "posterior_box",
    "predict_measurement",
    "run_calibration",
    "sample_posterior_mcmc",
]

_LAZY = {
    "PosteriorEstimator": "crsbi.inference.posterior",
    "PosteriorSamplingError": "crsbi.inference._sampling",
    "CalibrationReport": "crsbi.inference.calibration",
    "run_calibration": "crsbi.inference.calibration",
    "MCMCPosterior": "crsbi.inference.mcmc",
    "sample_posterior_mcmc": "crsbi.inference.mcmc",
    "PosteriorComparison": "crsbi.inference.compare",
    "compare_posteriors": "crsbi.inference.compare",
    "SpectraLikelihood": "crsbi.inference.spectra_likelihood",
    "predict_measurement": "crsbi.inference.spectra_likelihood",
    "posterior_box": "crsbi.inference.truncation",
    "edge_fraction": "crsbi.inference.truncation",
    "plot_coverage": "crsbi.plotting",
    "plot_sbc_ranks": "crsbi.plotting",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
