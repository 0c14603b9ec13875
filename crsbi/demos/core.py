"""Demo step for the training core: a noisy regression whose best possible score is known."""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.core.verdict import Target
from crsbi.demos import DemoContext, register

#: A working training loop gets within this of the analytic noise ceiling of R^2.
CEILING_GAP = 0.02


@register(
    "training-core",
    description="NeuralRegressor on y = sin(pi x1) x2 + noise; compare R^2 with its noise ceiling",
    order=0,
    targets={
        "test R^2": lambda figures: Target.at_least(
            figures["noise ceiling R^2"] - CEILING_GAP,
            f"within {CEILING_GAP} of the noise ceiling",
        )
    },
)
def training_core(context: DemoContext) -> dict[str, Any]:
    """Fit a small network and compare its held-out R^2 with the analytic ceiling.

    With Gaussian noise of standard deviation ``sigma`` the best achievable R^2 is
    ``1 - sigma^2 / Var(y)``; a working training loop gets close to it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.core.neural import NeuralRegressor
    from crsbi.core.plotting import plot_history

    rng = np.random.default_rng(context.random_state)
    sigma = 0.1
    X = rng.uniform(-1.0, 1.0, size=(3000, 2))
    signal = np.sin(np.pi * X[:, 0]) * X[:, 1]
    y = signal + sigma * rng.normal(size=len(X))
    X_train, X_test, y_train, y_test = X[:2000], X[2000:], y[:2000], y[2000:]
    model = NeuralRegressor(
        module_kwargs={"hidden_sizes": (64, 64)},
        lr=3e-3,
        batch_size=64,
        max_epochs=150,
        patience=15,
        random_state=context.random_state,
        verbose=context.verbose,
        device="cpu",
    ).fit(X_train, y_train)
    ceiling = 1.0 - sigma**2 / np.var(y_test)
    ax = plot_history(model, metrics=["val_r2"])
    ax.set_title("crsbi training core: learning curve")
    path = context.output_dir / "training_core_history.png"
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    return {
        "test R^2": float(model.score(X_test, y_test)),
        "noise ceiling R^2": float(ceiling),
        "epochs run": model.n_iter_,
        "restored epoch": model.best_epoch_,
        "plot": str(path),
    }
