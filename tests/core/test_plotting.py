import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from crsbi.core import plot_history
from crsbi.core.neural import NeuralRegressor


def test_plot_history_from_estimator(rng):
    X = rng.normal(size=(60, 2))
    reg = NeuralRegressor(max_epochs=4, patience=None, random_state=0, verbose=0).fit(X, X[:, 0])
    ax = plot_history(reg, metrics=["val_r2"])
    train_line = ax.get_lines()[0]
    np.testing.assert_array_equal(train_line.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(train_line.get_ydata(), [r["train_loss"] for r in reg.history_])
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"restored epoch {reg.best_epoch_}" in labels
    assert "val_r2" in labels


def test_plot_history_rejects_empty():
    with pytest.raises(ValueError, match="history is empty"):
        plot_history([])


def test_predicted_vs_simulated_reports_relative_error():
    from crsbi.core import plot_predicted_vs_simulated

    ax = plot_predicted_vs_simulated([1.0, 2.0, 4.0, 0.0], [1.1, 1.8, 4.0, 0.0])
    # zeros are dropped on log axes; relative error over non-zero truths: sqrt(0.02/3)
    assert ax.collections[0].get_offsets().shape == (3, 2)
    assert "8.2 %" in ax.get_title()
    with pytest.raises(ValueError, match="same length"):
        plot_predicted_vs_simulated([1.0], [1.0, 2.0])


def test_surrogate_slice_draws_one_curve_per_value():
    from crsbi.particles import plot_surrogate_slice

    class PowerLaw:
        def predict(self, X, return_std=False):
            mean = X[:, 1] ** 2 * X[:, 2]
            return mean, 0.1 * mean

    values = np.geomspace(0.2, 20, 9)
    ax = plot_surrogate_slice(
        PowerLaw(),
        [1.0, 0.5, 1.0],
        vary=2,
        values=values,
        curves=(1, [0.1, 0.5]),
        feature_names=["T", "b", "lambda_perp"],
    )
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_ydata(), 0.25 * values)
    assert ax.get_xlabel() == "lambda_perp"
