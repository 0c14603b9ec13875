# %% [markdown]
# # crsbi in scikit-learn pipelines and cross-validation
#
# Every crsbi estimator follows the scikit-learn contract: `__init__` only stores its arguments,
# `fit` returns `self`, learned state ends in `_`. So the usual tools just work: `Pipeline`,
# `clone`, `cross_val_score`, `GridSearchCV`, persistence. We use the generic `NeuralRegressor`
# and `NeuralClassifier` here; the five physics estimators behave the same way.
#
# Quick mode (default) runs in well under a minute; `CRSBI_TUTORIAL_MODE=full` uses more data
# and a larger grid.

# %%
import os
import tempfile

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crsbi import NeuralClassifier, NeuralRegressor

FULL = os.environ.get("CRSBI_TUTORIAL_MODE", "quick") == "full"
n_samples = 6000 if FULL else 800
rng = np.random.default_rng(0)

# %% [markdown]
# A regression problem with a known noise floor: with Gaussian noise of standard deviation
# `sigma`, no model can reach an R² above `1 - sigma² / Var(y)`. Raw inputs span very
# different scales, which is what a `StandardScaler` in front of the network is for.

# %%
sigma = 0.1
X = np.column_stack([rng.uniform(-1, 1, n_samples), rng.uniform(0, 1000, n_samples)])
y = np.sin(np.pi * X[:, 0]) * (X[:, 1] / 1000) + sigma * rng.normal(size=n_samples)
ceiling = 1 - sigma**2 / np.var(y)

model = NeuralRegressor(lr=3e-3, max_epochs=100 if FULL else 25, patience=10, verbose=0)
pipe = make_pipeline(StandardScaler(), model)
scores = cross_val_score(pipe, X, y, cv=KFold(3, shuffle=True, random_state=0))
print("3-fold R^2:", scores.round(3), " ceiling:", round(ceiling, 3))

# %% [markdown]
# `clone` gives an unfitted copy with the same parameters, so the estimator passed in is
# never touched by cross-validation:

# %%
print("original untouched:", not hasattr(model, "module_"))
print("clone keeps parameters:", clone(pipe).get_params()["neuralregressor__lr"])

# %% [markdown]
# Hyper-parameters are searched like any scikit-learn parameter, including the network's
# own keyword arguments through `module_kwargs`.

# %%
grid = {
    "neuralregressor__lr": [1e-3, 3e-3] if FULL else [3e-3],
    "neuralregressor__module_kwargs": [{"hidden_sizes": (16,)}, {"hidden_sizes": (64, 64)}]
    if FULL
    else [{"hidden_sizes": (64, 64)}],
}
search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
print("best:", search.best_params_, "R^2", round(search.best_score_, 3))

# %% [markdown]
# Classification works the same way, with `predict_proba` and string class labels.

# %%
labels = np.where(X[:, 0] * (X[:, 1] - 500) > 0, "diffusion", "streaming")
clf = make_pipeline(
    StandardScaler(), NeuralClassifier(max_epochs=30 if FULL else 15, verbose=0, random_state=0)
)
acc = cross_val_score(clf, X, labels, cv=3)
print("3-fold accuracy:", acc.round(3))
clf.fit(X, labels)
print("classes:", clf[-1].classes_, "P(first two):", clf.predict_proba(X[:2]).round(2))

# %% [markdown]
# Fitted estimators (and whole pipelines) save and load; networks are moved to the CPU first.

# %%
from crsbi.core import load, save

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "pipeline.joblib")
    save(search.best_estimator_, path)
    restored = load(path)
print("same predictions after reload:", np.allclose(restored.predict(X[:5]), search.predict(X[:5])))
