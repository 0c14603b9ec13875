# %% [markdown]
# # From simulator to calibrated posterior
#
# The simulation-based-inference workflow in crsbi, on a model whose posterior is known in
# closed form (a Gaussian linear model), so every step can be judged against the truth:
#
# 1. a simulator `simulator(theta, *, random_state)` and a prior;
# 2. a resumable **campaign** that stores the simulations;
# 3. **neural posterior estimation** (`PosteriorEstimator`, sbi's NPE);
# 4. **calibration**: SBC ranks, TARP and HPD coverage on fresh simulations;
# 5. a cross-check against **MCMC** (emcee) on the explicit likelihood.
#
# The same steps apply to the physics simulators (Galactic propagation, test particles).

# %%
import os
import tempfile
from functools import partial

import numpy as np

from crsbi import BoxPrior, Campaign, MCMCPosterior, PosteriorEstimator, run_calibration
from crsbi.inference import (
    compare_posteriors,
    gaussian_linear_posterior,
    plot_coverage,
    plot_sbc_ranks,
    simulate_gaussian_linear,
)

FULL = os.environ.get("CRSBI_TUTORIAL_MODE", "quick") == "full"
NOISE = 0.1
low, high = [-2.0, -2.0], [2.0, 2.0]
simulator = partial(simulate_gaussian_linear, noise_std=NOISE)

# %% [markdown]
# ## A campaign
# The campaign directory survives interruptions: run the same code again and only missing
# chunks are simulated. The arrays depend only on `random_state`, never on `n_jobs`.

# %%
folder = tempfile.mkdtemp()
campaign = Campaign(
    simulator,
    folder,
    prior=BoxPrior(low, high),
    n_simulations=20_000 if FULL else 3_200,
    chunk_size=400,
    random_state=1,
    verbose=0,
)
print(campaign.run())
data = campaign.load()
n_train = len(data) - (1000 if FULL else 200)

# %% [markdown]
# ## Neural posterior estimation
# `fit(X, y)` takes observations `X` and parameters `y` (scikit-learn's convention); `sample`
# and `log_prob` answer for any observation without retraining (amortised inference).

# %%
npe = PosteriorEstimator(
    prior_low=low, prior_high=high, hidden_features=32, num_transforms=3, random_state=0, verbose=0
).fit(data.x[:n_train], data.theta[:n_train])
x_obs = data.x[n_train]
samples = npe.sample(x_obs, 4000)
mean, cov = gaussian_linear_posterior(x_obs, noise_std=NOISE)
print("NPE mean", samples.mean(0).round(3), " exact", mean.round(3))
print("NPE std ", samples.std(0).round(3), " exact", np.sqrt(np.diag(cov)).round(3))

# %% [markdown]
# ## Calibration
# Simulation-based calibration: for fresh `(theta_i, x_i)` pairs, the rank of `theta_i` among
# posterior draws given `x_i` is uniform when the posterior is calibrated. TARP and the
# coverage of highest-posterior-density regions test the same from other angles.

# %%
report = run_calibration(
    npe,
    data.theta[n_train:],
    data.x[n_train:],
    n_posterior_samples=300 if FULL else 200,
    random_state=0,
)
print(report)
print("calibrated at alpha = 0.01:", report.is_calibrated(0.01))
ax = plot_coverage(report)
ax.figure.savefig("coverage.png", dpi=90)

# %%
plot_sbc_ranks(report)

# %% [markdown]
# ## Cross-check with MCMC
# With an explicit likelihood, emcee gives a reference posterior behind the same
# `sample(x, n)` protocol; the classifier two-sample test (C2ST) is 0.5 when a classifier
# cannot tell the two sample sets apart.


# %%
def log_likelihood(theta, x):
    return -0.5 * np.sum((x - theta) ** 2, axis=-1) / NOISE**2


mcmc = MCMCPosterior(log_likelihood, low, high, vectorize=True, random_state=0, verbose=0)
reference = mcmc.sample(x_obs, 4000)
print(compare_posteriors(reference, samples, labels=("emcee", "NPE"), random_state=0))

# %% [markdown]
# The fitted posterior also converts to an `arviz.InferenceData` for the usual plots:
# `npe.to_inference_data(x_obs)`.
