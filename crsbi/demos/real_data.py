"""Demo step on real data: the AMS-02 B/C ratio through the shipped posterior (no training)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from crsbi.core.verdict import Target
from crsbi.demos import DemoContext, register

#: emcee reference posterior of the same question (likelihood, prior, data): mean and std per
#: parameter of ``bench_inversion_ams02.py --model break`` (25000 x 24 steps, R-hat 1.01),
#: independent of the neural posterior.
EMCEE = {
    "D0": (6.333, 1.951),
    "delta": (0.5442, 0.0216),
    "eta": (-1.291, 0.5064),
    "v_A": (25.11, 16.34),
    "z_h": (14.12, 4.288),
    "phi": (0.7674, 0.2819),
    "log10_break_rigidity": (1.991, 0.1384),
    "break_delta": (0.1592, 0.02751),
}


@register(
    "real-data",
    description="AMS-02 B/C -> shipped posterior (crsbi.pretrained), corner plot, predictive B/C",
    order=100,
    targets={
        "time to a posterior [s]": Target.at_most(60.0, "the README's promise, on a CPU"),
        "largest |corrected - emcee| mean [emcee sd]": Target.at_most(
            0.25, "a quarter of the emcee chain's standard deviation (same likelihood)"
        ),
        "B/C points inside the 68 % predictive band": Target.at_least(
            0.68, "the model describes the data within their errors"
        ),
        "chi^2 / point of the posterior median model": Target.at_most(
            1.35, "1 + 2 sd of chi^2/67 for a model that fits"
        ),
    },
)
def real_data(context: DemoContext) -> dict[str, Any]:
    """Load AMS-02 B/C and the pretrained posterior, sample, plot, check the prediction.

    The network's draws are corrected with the exact likelihood (``importance_sample``):
    the raw amortised posterior is shown beside them, both against the emcee chain.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi import pretrained
    from crsbi.propagation import load_ams02, plot_corner, plot_predictive

    start = time.perf_counter()
    bc = load_ams02("B/C")
    posterior = pretrained.load("ams02-bc-break")
    draws, ess = posterior.importance_sample(
        2000, bc, n_proposals=4000, n_jobs=2, random_state=context.random_state
    )
    seconds = time.perf_counter() - start
    raw = posterior.sample(4000, bc, random_state=context.random_state)
    check = posterior.predictive(draws, n_draws=200, random_state=context.random_state)
    fig = plot_corner(draws, param_names=posterior.param_names_)
    corner = context.output_dir / "real_data_corner.png"
    fig.savefig(corner, dpi=80, bbox_inches="tight")
    plt.close(fig)
    ax = plot_predictive(check, posterior.likelihood_)
    predictive = context.output_dir / "real_data_bc_predictive.png"
    ax.figure.savefig(predictive, dpi=90, bbox_inches="tight")
    plt.close(ax.figure)
    names = posterior.param_names_

    def largest_offset(sample: np.ndarray) -> float:
        return max(
            abs(sample[:, i].mean() - EMCEE[name][0]) / EMCEE[name][1]
            for i, name in enumerate(names)
        )

    delta = names.index("delta")
    rigidity = names.index("log10_break_rigidity")
    return {
        "data": f"{bc.experiment} {bc.quantity}, {len(bc)} rigidities",
        "time to a posterior [s]": seconds,
        "delta (mean +- sd)": f"{draws[:, delta].mean():.3f} +- {draws[:, delta].std():.3f}",
        "break rigidity [GV] (median)": float(10 ** np.median(draws[:, rigidity])),
        "importance-sampling ESS (of 4000 network draws)": ess,
        "largest |network - emcee| mean [emcee sd]": float(largest_offset(raw)),
        "largest |corrected - emcee| mean [emcee sd]": float(largest_offset(draws)),
        "B/C points inside the 68 % predictive band": float(check.coverage[0.68]),
        "chi^2 / point of the posterior median model": float(check.chi2_per_point),
        "plots": f"{corner.name}, {predictive.name}",
    }
