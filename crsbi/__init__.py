"""crsbi: machine learning and simulation-based inference on cosmic-ray transport.

Scikit-learn-style estimators, simulators and inference tools.

``import crsbi`` is light: estimators (which need torch) load on first access.
"""

from __future__ import annotations

from crsbi._version import __version__
from crsbi.core.lazy import lazy_exports

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
    "TrajectoryGenerator": "crsbi.particles.generator",
    "PropagationInverter": "crsbi.propagation.inverter",
    "TransportClassifier": "crsbi.maps.classifier",
    "AnisotropyTest": "crsbi.uhecr.anisotropy",
    "BoxPrior": "crsbi.core.campaign",
    "Campaign": "crsbi.core.campaign",
    "DiffusionSurrogate": "crsbi.particles.surrogate",
    "MCMCPosterior": "crsbi.inference.mcmc",
    "PosteriorEstimator": "crsbi.inference.posterior",
    "run_calibration": "crsbi.inference.calibration",
    "NeuralClassifier": "crsbi.core.neural",
    "NeuralRegressor": "crsbi.core.neural",
    "load": "crsbi.core.persistence",
    "save": "crsbi.core.persistence",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
