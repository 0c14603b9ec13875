"""crsbi: machine learning and simulation-based inference on cosmic-ray transport.

Scikit-learn-style estimators, simulators and inference tools.

``import crsbi`` is light: estimators (which need torch) load on first access.
"""

from __future__ import annotations

from crsbi._lazy import lazy_exports
from crsbi._version import __version__

__all__ = [
    "AnisotropyTest",
    "BoxPrior",
    "Campaign",
    "DiffusionSurrogate",
    "MCMCPosterior",
    "NeuralClassifier",
    "NeuralRegressor",
    "PosteriorEstimator",
    "PropagationInverter",
    "TrajectoryGenerator",
    "TransportClassifier",
    "__version__",
    "load",
    "run_calibration",
    "save",
]

# public name -> module that defines it (imported lazily)
_LAZY = {
    "TrajectoryGenerator": "crsbi.generative",
    "PropagationInverter": "crsbi.inversion",
    "TransportClassifier": "crsbi.classification",
    "AnisotropyTest": "crsbi.anisotropy",
    "BoxPrior": "crsbi.campaign",
    "Campaign": "crsbi.campaign",
    "DiffusionSurrogate": "crsbi.surrogate",
    "MCMCPosterior": "crsbi.inference.mcmc",
    "PosteriorEstimator": "crsbi.inference.posterior",
    "run_calibration": "crsbi.inference.calibration",
    "NeuralClassifier": "crsbi.neural",
    "NeuralRegressor": "crsbi.neural",
    "load": "crsbi.utils",
    "save": "crsbi.utils",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
