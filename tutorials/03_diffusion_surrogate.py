# %% [markdown]
# # DiffusionSurrogate: test-particle diffusion coefficients at network speed
#
# Palade (2023) trained a neural network on test-particle simulations of cosmic rays in
# synthetic turbulence to predict the perpendicular diffusion coefficient `D_perp` from the
# particle energy `T`, the turbulence level `b` and the perpendicular correlation length
# `lambda_perp`, with ~5% error and ~1e7 times faster than simulating.
#
# This tutorial builds a small database with crsbi's numba Boris pusher, trains a deep-ensemble
# surrogate, and compares its error with the Monte Carlo noise of the simulated labels (the
# floor no surrogate can beat). Quick mode uses a few hundred small simulations;
# `CRSBI_TUTORIAL_MODE=full` uses `benchmarks/particles/bench_surrogate.py`'s settings.

# %%
import os
import tempfile
import time

import numpy as np

from crsbi.core import plot_predicted_vs_simulated
from crsbi.particles import DiffusionSurrogate, plot_surrogate_slice, relative_error
from crsbi.particles.diffusion_dataset import make_diffusion_database

FULL = os.environ.get("CRSBI_TUTORIAL_MODE", "quick") == "full"
settings = (
    {"n_particles": 2000, "n_waves": 200, "n_steps": 1000}
    if FULL
    else {"n_particles": 200, "n_waves": 48, "n_steps": 500}
)
n_simulations = 2000 if FULL else 240

# %% [markdown]
# ## A database of simulations
# `make_diffusion_database` runs a resumable campaign over Palade's parameter box (log-uniform
# in `T` and `lambda_perp`, uniform in `b`) and adds exact analytic rows at `b = 0`, where
# `D_perp = 0`.

# %%
store = tempfile.mkdtemp()
start = time.perf_counter()
db = make_diffusion_database(store, n_simulations, random_state=0, verbose=0, **settings)
seconds_per_simulation = (time.perf_counter() - start) / n_simulations
print(f"{len(db.X)} rows, {seconds_per_simulation:.3f} s per simulation")

# %% [markdown]
# ## A deep-ensemble surrogate
# `target_prefactor=(1, 2)` makes the network learn `D_perp / b^2`, so the `b = 0` rows hold
# exactly; `log_features` feeds `log10 T` and `log10 lambda_perp`.

# %%
rng = np.random.default_rng(0)
order = rng.permutation(len(db.X))
test, train = order[: len(order) // 5], order[len(order) // 5 :]
model = DiffusionSurrogate(
    n_estimators=5 if FULL else 2,
    log_features=[0, 2],
    target_prefactor=(1, 2),
    lr=3e-3,
    max_epochs=400 if FULL else 200,
    random_state=0,
    verbose=0,
).fit(db.X[train], db.d_perp[train])
prediction, spread = model.predict(db.X[test], return_std=True)
simulated = ~db.analytic[test]
label_noise = np.sqrt(np.mean((db.d_perp_err[test][simulated] / db.d_perp[test][simulated]) ** 2))
print(f"hold-out relative error {relative_error(db.d_perp[test], prediction):.3f}")
print(f"label noise (rms D_err / D) {label_noise:.3f}")

# %%
ax = plot_predicted_vs_simulated(db.d_perp[test], prediction, label="D_perp")
ax.figure.savefig("surrogate_pred_vs_sim.png", dpi=90)

# %% [markdown]
# ## Slices through parameter space
# `D_perp` against `b` for three correlation lengths, at `T = 1` (in `m c^2`).

# %%
ax = plot_surrogate_slice(
    model, base=[1.0, 0.5, 1.0], vary=1, values=np.linspace(0.05, 1.0, 40), curves=(2, [0.3, 1, 3])
)

# %% [markdown]
# ## Speed
# One network evaluation replaces one simulation.

# %%
X_many = np.tile(db.X, (200, 1))
start = time.perf_counter()
model.predict(X_many)
per_second = len(X_many) / (time.perf_counter() - start)
print(f"{per_second:.3g} predictions/s, speed-up {per_second * seconds_per_simulation:.3g}x")
