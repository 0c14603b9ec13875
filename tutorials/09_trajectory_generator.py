# %% [markdown]
# # A diffusion model of charged-particle trajectories
#
# Martin, Lübke et al. trained a denoising diffusion model (DDPM with a 1D U-Net) on
# test-particle velocity series and compared generated and simulated Lagrangian statistics.
# This tutorial runs the same workflow with crsbi:
#
# 1. simulate trajectories at coupling alpha = l0 / r_g (isotropic turbulence, 100 steps per
#    gyration) with the crsbi test-particle simulator;
# 2. look at their statistics (structure functions, flatness, MSD, curvature) and check the
#    statistics code on a helix, where everything is known analytically;
# 3. train a `TrajectoryGenerator`, sample with DDIM and compare.
#
# Quick mode (default) uses tiny sizes so it runs in about a minute on one CPU core; the
# generated statistics are then far from the simulated ones. `CRSBI_TUTORIAL_MODE=full`
# trains longer on more data (still far below the paper's GPU scale).

# %%
import os

import matplotlib

matplotlib.use("Agg")
import numpy as np

from crsbi import TrajectoryGenerator
from crsbi.particles import plot_trajectory_statistics, simulate_trajectories
from crsbi.particles import statistics as st

FULL = os.environ.get("CRSBI_TUTORIAL_MODE") == "full"
alpha = 32.0
n, length = (512, 512) if FULL else (48, 128)

# %% [markdown]
# ## Statistics of a helix
# Without turbulence a particle gyrates with angular frequency alpha (time in l0 / v), so the
# curvature of its path is alpha sin(pitch) and its mean over isotropic pitch angles is
# pi alpha / 4.

# %%
helices = simulate_trajectories(alpha, 400, 64, b=0.0, random_state=0)
kappa = st.curvature(helices.velocities, helices.dt[0])[:, 2:-2]
print(f"mean curvature {kappa.mean():.2f}  vs  pi alpha / 4 = {np.pi * alpha / 4:.2f}")

# %% [markdown]
# ## Turbulent trajectories
# With b = dB/B0 = 1 the particles follow wandering field lines and scatter.

# %%
data = simulate_trajectories(alpha, 2 * n, length, b=1.0, n_waves=128, random_state=1)
train, reference = data.velocities[:n], data.velocities[n:]
lags = np.array([1, 10, 25, 50])
print(
    "F4 at 0.01, 0.1, 0.25, 0.5 gyro-periods:", st.flatness(reference, lags, average=True).round(2)
)

# %% [markdown]
# ## Train and sample
# The network sees the three velocity components (every `stride`-th sample; a cubic spline
# restores the rest) and samples are normalised, so |V| = 1 holds exactly. The weights used for
# sampling are an exponential moving average over training steps (`ema_decay`).

# %%
model = TrajectoryGenerator(
    module_kwargs={"base_channels": 16 if FULL else 8, "n_levels": 4 if FULL else 3},
    stride=4 if FULL else 2,
    lr=2e-3,
    batch_size=32,
    max_epochs=60 if FULL else 3,
    device="cpu",
    random_state=0,
    verbose=0,
).fit(train)
generated, positions = model.sample(
    len(reference),
    sampler="ddim",
    n_steps=50 if FULL else 10,
    return_positions=True,
    dt=float(data.dt[0]),
    random_state=0,
)
print("max | |V| - 1 |:", np.abs(np.linalg.norm(generated, axis=2) - 1).max())
print("distance generated vs simulated:", round(st.trajectory_distance(generated, reference), 3))
print("distance simulated vs simulated:", round(st.trajectory_distance(train, reference), 3))

# %%
axes = plot_trajectory_statistics(
    generated, reference, dt=float(data.dt[0]), steps_per_gyration=100
)
axes[0].figure.savefig("trajectory_generator_statistics.png", dpi=90, bbox_inches="tight")
