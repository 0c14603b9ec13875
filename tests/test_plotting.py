import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from crsbi.neural import NeuralRegressor
from crsbi.plotting import plot_history


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
