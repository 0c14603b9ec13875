# %% [markdown]
# # Propagation parameters from Li, Be, B, C, O spectra
#
# Tsai, Chung, Yuan & Cheung (2022) trained 1D CNNs to read ten Galactic propagation parameters
# off the spectra of Li, Be, B, C and O. This tutorial simulates spectra with crsbi's thin-disc /
# diffusive-halo model, trains the two machines of the paper (A on clean spectra, B on spectra with
# up to 5 % fluctuations), runs the feedback loop, and (in full mode) trains a neural posterior
# with the same CNN as embedding net.
#
# Quick mode (default) uses 1500 simulations and a few epochs; set
# `CRSBI_TUTORIAL_MODE=full` for the paper-style figures (20000 simulations, NPE).

# %%
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from crsbi import PropagationInverter
from crsbi.propagation import (
    FEATURE_NAMES,
    PARAM_NAMES,
    PRIOR_BOUNDS,
    add_relative_noise,
    energy_grid,
    learning_systematics,
    plot_corner,
    plot_predicted_spectra,
    plot_tau_histogram,
    ratio_features,
    simulate_galactic_batch,
)

FULL = os.environ.get("CRSBI_TUTORIAL_MODE") == "full"
N_TRAIN, N_TEST, EPOCHS = (20000, 1000, 80) if FULL else (1500, 200, 15)
NETWORK = {"channels": (16, 32, 32), "hidden_size": 64} if FULL else {"channels": (8, 16)}

rng = np.random.default_rng(0)
low, high = np.array(list(PRIOR_BOUNDS.values())).T
theta = rng.uniform(low, high, size=(N_TRAIN + N_TEST, 10))
X = simulate_galactic_batch(theta, verbose=0)  # (n, 5, 84) fluxes of Li, Be, B, C, O
X_train, X_test = X[:N_TRAIN], X[N_TRAIN:]
theta_train, theta_test = theta[:N_TRAIN], theta[N_TRAIN:]

# %% [markdown]
# ## The network's view: eight ratio spectra
#
# Secondary-to-primary ratios carry the propagation (B/C falls as R^-delta at high energy);
# C and O normalised at 110 GeV/n carry the source spectrum.

# %%
e = energy_grid()
features = ratio_features(X_train[:3])
fig, ax = plt.subplots(figsize=(6, 4))
for k in (0, 2, 4, 6):
    ax.loglog(e, features[0, k], label=FEATURE_NAMES[k])
ax.set(xlabel="E [GeV/n]", ylabel="ratio")
ax.legend(fontsize="small")
fig.savefig("inversion_features.png", dpi=90)

# %% [markdown]
# ## Machines A and B

# %%
common = {"module_kwargs": NETWORK, "lr": 3e-3, "max_epochs": EPOCHS, "device": "cpu",
          "random_state": 0, "verbose": 0}  # fmt: skip
machine_a = PropagationInverter(noise=0.0, **common).fit(X_train, theta_train)
machine_b = PropagationInverter(noise=0.05, **common).fit(X_train, theta_train)
X_pseudo = add_relative_noise(X_test, 0.05, random_state=1)
for name, model, data in (("A", machine_a, X_test), ("B", machine_b, X_pseudo)):
    pred = model.predict(data)
    rows = learning_systematics((pred - theta_test) / theta_test, PARAM_NAMES)
    print(f"Machine {name}: R^2 = {model.score(data, theta_test):.3f}")
    for row in rows[:5]:
        print(f"  {row['parameter']:>10s} {row['median_%']:+6.2f} "
              f"+{row['plus_%']:.2f} / -{row['minus_%']:.2f} %")  # fmt: skip

# %% [markdown]
# ## Feedback loop
#
# Predict, re-simulate, predict again: `tau_i = (theta'_i - theta_i) / theta_i`. Retrain on the
# re-simulated pairs until 95 % of the pseudo-data have `mean_i |tau_i| < 0.1`.

# %%
machine_b.refit_feedback(
    X_pseudo[:100],
    lambda t: simulate_galactic_batch(t, verbose=0),
    max_rounds=2 if FULL else 1,
)
for record in machine_b.feedback_history_:
    print(record["round"], record["n_train"], f"{record['fraction']:.2f}")
axes = plot_tau_histogram(machine_b.feedback_history_, param_names=PARAM_NAMES)
axes[0].figure.savefig("inversion_tau.png", dpi=90)

# %%
pred = machine_b.predict(X_pseudo[:30])
axes = plot_predicted_spectra(e, X_test[0], simulate_galactic_batch(pred[:1], verbose=0))
axes[0].figure.savefig("inversion_spectra.png", dpi=90)

# %% [markdown]
# ## Neural posterior (full mode)
#
# `posterior=True` trains an sbi NPE with the CNN as embedding net: draws instead of a point.

# %%
if FULL:
    npe = PropagationInverter(posterior=True, noise=0.05, **{**common, "lr": 1e-3})
    npe.fit(X_train, theta_train)
    draws = npe.sample(X_pseudo[0], 5000)
    fig = plot_corner({"NPE": draws}, param_names=PARAM_NAMES, truth=theta_test[0])
    fig.savefig("inversion_corner.png", dpi=80)
