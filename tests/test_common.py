"""Scikit-learn conformity of every crsbi estimator.

Each estimator enters with a tiny configuration; checks that fail by design are
declared by the estimator's ``_expected_failed_checks`` with a written reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from crsbi.neural import NeuralClassifier, NeuralRegressor

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

ESTIMATORS = [NeuralRegressor(**TINY), NeuralClassifier(**TINY)]


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=lambda est: est._expected_failed_checks()
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
