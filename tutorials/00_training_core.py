# %% [markdown]
# # The crsbi training core
#
# Every crsbi neural estimator shares one training loop. This tutorial fits the generic
# `NeuralRegressor` on a problem whose best achievable score is known, looks at the learning curve,
# and shows that early stopping restores the best weights.

# %%
import numpy as np
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crsbi import NeuralRegressor
from crsbi.core import plot_history

rng = np.random.default_rng(0)
sigma = 0.1
X = rng.uniform(-1, 1, size=(1500, 2))
y = np.sin(np.pi * X[:, 0]) * X[:, 1] + sigma * rng.normal(size=len(X))

# %% [markdown]
# With Gaussian noise of standard deviation sigma, no model can do better than
# R^2 = 1 - sigma^2 / Var(y).

# %%
model = NeuralRegressor(lr=3e-3, max_epochs=80, patience=15, random_state=0, verbose=0)
pipe = make_pipeline(StandardScaler(), model)
scores = cross_val_score(pipe, X, y, cv=3)
print("cross-validated R^2:", scores.round(3), " ceiling:", round(1 - sigma**2 / np.var(y), 3))

# %%
pipe.fit(X, y)
fitted = pipe[-1]
print(f"{fitted.n_iter_} epochs run, weights of epoch {fitted.best_epoch_} restored")
ax = plot_history(fitted, metrics=["val_r2"])
ax.figure.savefig("training_core_history.png", dpi=100)
