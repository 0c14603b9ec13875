"""Scikit-learn conformity of every crsbi estimator.

Each estimator enters with a tiny configuration; checks that fail by design are
declared by the estimator's ``_expected_failed_checks`` with a written reason (an
estimator without that method is expected to pass every check).
"""

from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import validate_data

from crsbi.core.neural import NeuralClassifier, NeuralRegressor
from crsbi.core.nn import MLP
from crsbi.inference import PosteriorEstimator
from crsbi.maps import HistogramEqualizer, LogTransformer, PowerSpectrumFlattener
from crsbi.maps.classifier import TransportClassifier
from crsbi.particles.generator import TrajectoryGenerator
from crsbi.particles.surrogate import DiffusionSurrogate
from crsbi.propagation import ParameterWhitener, SpectralRatioFeatures
from crsbi.propagation.inverter import PropagationInverter
from crsbi.uhecr.anisotropy import AnisotropyTest
from crsbi.uhecr.statistics import LikelihoodRatioTest, PowerSpectrumTest, TopHatCountingTest

TINY = {
    "max_epochs": 60,
    "lr": 1e-2,
    "batch_size": 32,
    "validation_fraction": 0.1,
    "patience": 10,
    "module_kwargs": {"hidden_sizes": (32,)},
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
}

# a one-transform MAF trained for a few epochs: the checks test the contract, not accuracy
TINY_NPE = {
    "hidden_features": 8,
    "num_transforms": 1,
    "max_epochs": 3,
    "batch_size": 32,
    "n_posterior_samples": 20,
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
}

TINY_SURROGATE = {
    "hidden_sizes": (32,),
    "n_estimators": 2,
    "max_epochs": 60,
    "lr": 1e-2,
    "batch_size": 32,
    "patience": 10,
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
}

# the common checks use arbitrary feature counts, not HEALPix pixel counts: a module class
# without an ``nside`` argument receives the flattened maps
TINY_ANISOTROPY = {**TINY, "module": MLP}

# flattened 2-D input without image_shape must hold square images: the checks' tabular X of 3, 5
# or 10 features is rejected (declared failures). The same classifier behind a transformer that
# makes each row a 1 x n_features image runs every check; flips would scramble tabular features
TINY_CLASSIFIER = {
    **TINY,
    "flip_augmentation": False,
    "module_kwargs": {"channels": (8, 16), "pool_size": 1, "dropout": 0.0},
}


class AsProfiles(TransformerMixin, BaseEstimator):
    """Rows of tabular X as one-row images (n, 1, n_features)."""

    def fit(self, X, y=None):
        validate_data(self, X)
        return self

    def transform(self, X):
        return validate_data(self, X, reset=False)[:, np.newaxis, :]


# features="identity" reads 2-D X as one channel of n_features (the default expects 5 x 84 fluxes)
TINY_INVERTER = {
    **TINY,
    "model": None,
    "features": "identity",
    "loss": "mse",
    "module_kwargs": {"channels": (8,), "hidden_size": 32},
}

# fit takes unit-velocity series (n, T, 3) or (n, 3T) only: the checks' generic tabular data is
# rejected, and those checks are declared as expected failures
TINY_GENERATOR = {
    "module_kwargs": {"base_channels": 4, "n_levels": 1, "attention_levels": 0},
    "n_diffusion_steps": 10,
    "max_epochs": 1,
    "device": "cpu",
    "random_state": 0,
    "verbose": 0,
}

# the default pivot, 110 GeV/n, needs >= 53 bins of the default energy grid; its first point
# (1e-3 GeV/n) lies on every grid, also on the 1 or 2 bins of the checks' 5 or 10 features
TINY_RATIOS = {"pivot_energy": 1e-3}

# a given disc needs no source maps in fit (center=None or radius_deg=None fit them)
TINY_TOPHAT = {"center": (0.0, 90.0), "radius_deg": 15.0}

ESTIMATORS = [
    NeuralRegressor(**TINY),
    NeuralClassifier(**TINY),
    PosteriorEstimator(**TINY_NPE),
    DiffusionSurrogate(**TINY_SURROGATE),
    AnisotropyTest(**TINY_ANISOTROPY),
    TransportClassifier(**TINY_CLASSIFIER),
    make_pipeline(AsProfiles(), TransportClassifier(**TINY_CLASSIFIER)),
    PropagationInverter(**TINY_INVERTER),
    TrajectoryGenerator(**TINY_GENERATOR),
    SpectralRatioFeatures(**TINY_RATIOS),
    ParameterWhitener(),
    LogTransformer(),
    HistogramEqualizer(),
    PowerSpectrumFlattener(),
    PowerSpectrumTest(),
    TopHatCountingTest(**TINY_TOPHAT),
    LikelihoodRatioTest(),
]


# a Pipeline fits the estimators in its ``steps`` parameter in place (scikit-learn's own)
PIPELINE_FAILURES = dict.fromkeys(
    ("check_estimators_overwrite_params", "check_dont_overwrite_parameters"),
    "a Pipeline fits the estimators of its 'steps' parameter in place",
)


def expected_failed_checks(estimator: object) -> dict[str, str]:
    """The checks ``estimator`` declares as failing by design, with their reasons."""
    if isinstance(estimator, Pipeline):
        return PIPELINE_FAILURES
    declared = getattr(estimator, "_expected_failed_checks", None)
    return {} if declared is None else declared()


def check_name(check: object) -> str:
    """Name of a check yielded by ``parametrize_with_checks`` (a partial, maybe wrapped)."""
    while hasattr(check, "__wrapped__"):
        check = check.__wrapped__
    return check.func.__name__ if isinstance(check, partial) else check.__name__


class ExpectedCheckFailure(Exception):
    """A declared check failed; carries its error without the check's traceback."""


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    try:
        check(estimator)
    except Exception as exc:
        if check_name(check) not in expected_failed_checks(estimator):
            raise
        # an xfail report renders the traceback of the exception: through scikit-learn's
        # 5000-line estimator_checks.py that costs ~0.2 s per declared failure
        raise ExpectedCheckFailure(f"{type(exc).__name__}: {exc}") from None
