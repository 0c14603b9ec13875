"""Demo step for the inference core: campaign -> NPE -> calibration -> MCMC cross-check.

Uses the Gaussian linear model, whose posterior is known in closed form, so every
figure printed can be judged against the truth.
"""

from __future__ import annotations

import tempfile
from functools import partial
from typing import Any

import numpy as np

from crsbi.core.verdict import Target
from crsbi.demos import DemoContext, register

NOISE = 0.1
LOW, HIGH = [-2.0, -2.0], [2.0, 2.0]


def _log_likelihood(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return -0.5 * np.sum((x - theta) ** 2, axis=-1) / NOISE**2


@register(
    "inference",
    description="Gaussian linear model: campaign, NPE posterior, calibration, emcee check",
    order=10,
    targets={
        # the exact posterior is known: a trained NPE's mean lands well inside one posterior sigma
        "NPE mean error [post. sigma]": Target.at_most(0.5, "half a posterior sigma"),
        # 4000 emcee draws: the mean is known to a small fraction of a posterior sigma
        "emcee mean error [post. sigma]": Target.at_most(0.2, "MCMC sampling error"),
        "NPE vs emcee C2ST (0.5 = same)": Target.at_most(0.6, "hard to tell apart"),
        # 200 test simulations: binomial sd of a 90 % coverage is 0.021; +-2.4 sd
        "90% HPD coverage (nominal 0.9)": Target.between(0.85, 0.95, "0.9 within 2.4 sd"),
        "calibrated (alpha=0.01)": Target.equal(True, "SBC, TARP and HPD tests pass"),
    },
)
def inference(context: DemoContext) -> dict[str, Any]:
    """Train NPE on a stored campaign and check it three independent ways."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.core.campaign import BoxPrior, Campaign
    from crsbi.inference import (
        MCMCPosterior,
        PosteriorEstimator,
        compare_posteriors,
        run_calibration,
    )
    from crsbi.inference.gaussian_linear import gaussian_linear_posterior, simulate_gaussian_linear
    from crsbi.inference.plotting import plot_coverage

    simulator = partial(simulate_gaussian_linear, noise_std=NOISE)
    with tempfile.TemporaryDirectory() as store:
        campaign = Campaign(
            simulator,
            store,
            prior=BoxPrior(LOW, HIGH),
            n_simulations=3200,
            chunk_size=400,
            n_jobs=1,
            random_state=context.random_state,
            verbose=context.verbose,
        )
        summary = campaign.run()
        data = campaign.load()
    train, test = slice(0, 3000), slice(3000, None)
    npe = PosteriorEstimator(
        prior_low=LOW,
        prior_high=HIGH,
        hidden_features=32,
        num_transforms=3,
        learning_rate=7e-4,
        random_state=context.random_state,
        verbose=context.verbose,
    ).fit(data.x[train], data.theta[train])
    report = run_calibration(
        npe,
        data.theta[test],
        data.x[test],
        n_posterior_samples=500,
        random_state=context.random_state,
        c2st=False,
    )
    ax = plot_coverage(report)
    path = context.output_dir / "inference_coverage.png"
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(ax.figure)

    x_obs = data.x[3000]
    mean, cov = gaussian_linear_posterior(x_obs, noise_std=NOISE)
    npe_samples = npe.sample(x_obs, 4000)
    mcmc = MCMCPosterior(
        _log_likelihood,
        LOW,
        HIGH,
        vectorize=True,
        random_state=context.random_state,
        verbose=context.verbose,
    )
    mcmc_samples = mcmc.sample(x_obs, 4000)
    comparison = compare_posteriors(mcmc_samples, npe_samples, labels=("emcee", "NPE"))
    sigma = np.sqrt(np.diag(cov))
    return {
        "campaign simulations/s": summary.throughput,
        "NPE mean error [post. sigma]": float(np.max(np.abs(npe_samples.mean(0) - mean) / sigma)),
        "emcee mean error [post. sigma]": float(
            np.max(np.abs(mcmc_samples.mean(0) - mean) / sigma)
        ),
        "NPE vs emcee C2ST (0.5 = same)": comparison.c2st,
        "90% HPD coverage (nominal 0.9)": float(report.hpd_coverage[report.levels == 0.9][0]),
        "calibrated (alpha=0.01)": report.is_calibrated(0.01),
        "plot": str(path),
    }
