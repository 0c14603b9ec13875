"""Comparing two posterior sample sets: moments, quantiles and C2ST."""

import numpy as np
import pytest

from crsbi.inference.compare import PosteriorComparison, compare_posteriors


def _gaussian(rng, n, shift=0.0, correlation=0.6):
    """Two parameters with standard deviations 1 and sqrt(2), shifted by ``shift`` stds."""
    off_diagonal = correlation * np.sqrt(2.0)
    cov = np.array([[1.0, off_diagonal], [off_diagonal, 2.0]])
    return rng.multivariate_normal(np.zeros(2), cov, size=n) + shift * np.sqrt(np.diag(cov))


def test_compare_same_distribution_is_indistinguishable(rng):
    result = compare_posteriors(_gaussian(rng, 3000), _gaussian(rng, 2500), random_state=0)
    assert isinstance(result, PosteriorComparison)
    assert result.n_samples == 2000  # max_samples caps the common size
    assert result.quantiles_a.shape == result.quantile_difference.shape == (3, 2)
    # C2ST of two equal distributions: 0.5 with standard error ~0.01 at n = 2000
    assert result.c2st < 0.6
    # standard errors: mean sqrt(2 / n) = 0.03, 5%/95% quantiles ~0.07, std ~0.02 (units of std)
    assert np.all(np.abs(result.mean_difference) < 0.15)
    assert np.all(np.abs(result.std_difference) < 0.1)
    assert np.all(np.abs(result.quantile_difference) < 0.3)


def test_compare_flags_a_one_sigma_shift(rng):
    reference = _gaussian(rng, 2000, correlation=0.0)
    shifted = _gaussian(rng, 2000, shift=1.0, correlation=0.0)  # 1 std in every parameter
    result = compare_posteriors(reference, shifted, labels=("MCMC", "NPE"), random_state=0)
    # The Bayes-optimal classifier reaches Phi(Mahalanobis / 2) = Phi(sqrt(2) / 2) = 0.76;
    # the random forest of c2st gets ~0.73, ~0.01 standard error. (With a correlation of
    # 0.6 the optimum drops to 0.72 and the forest to ~0.67, too close to the threshold.)
    assert result.c2st > 0.65
    np.testing.assert_allclose(result.mean_difference, 1.0, atol=0.15)
    np.testing.assert_allclose(result.quantile_difference, 1.0, atol=0.3)
    assert result.max_difference > 0.7


def test_comparison_table(rng):
    result = compare_posteriors(
        rng.normal(size=(200, 2)),
        rng.normal(size=(100, 2)),
        quantiles=(0.1, 0.9),
        param_names=["D0", "delta"],
        labels=("MCMC", "NPE"),
        random_state=0,
    )
    assert result.n_samples == 100
    table = str(result)
    assert table == result.to_markdown()
    lines = table.splitlines()
    assert lines[0] == "| parameter | statistic | MCMC | NPE | (NPE - MCMC) / std |"
    assert len([line for line in lines if line.startswith("| D0 |")]) == 4  # mean, std, 2 q
    assert "| delta | q90% |" in table
    assert f"C2ST accuracy: {result.c2st:.3f}" in table


def test_compare_is_deterministic(rng):
    a, b = rng.normal(size=(300, 2)), rng.normal(size=(400, 2))
    assert (
        compare_posteriors(a, b, random_state=3).c2st
        == compare_posteriors(a, b, random_state=3).c2st
    )


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "match"),
    [
        (np.zeros((20, 2, 2)), np.zeros((20, 2)), {}, r"samples_a must have shape \(n_samples"),
        (np.ones((20, 2)), np.ones((20, 3)), {}, r"shapes \(20, 2\) and \(20, 3\)"),
        (np.ones((5, 2)), np.ones((20, 2)), {}, "at least 10 samples"),
        (np.ones((20, 2)), np.full((20, 2), np.nan), {}, "samples_b contains NaN"),
        (None, None, {"quantiles": (0.5, 1.0)}, r"probabilities in \(0, 1\)"),
        (None, None, {"param_names": ["a"]}, "2 distinct names"),
        (np.ones((20, 2)), None, {}, "zero spread"),
    ],
)
def test_compare_input_errors(rng, a, b, kwargs, match):
    a = rng.normal(size=(20, 2)) if a is None else a
    b = rng.normal(size=(20, 2)) if b is None else b
    with pytest.raises(ValueError, match=match):
        compare_posteriors(a, b, **kwargs)
