"""Fit AMS-02 B/C alone, with and without a diffusion break; predict ratios it never saw.

Issue 25's out-of-sample test. Each model is fitted with emcee (``MCMCPosterior`` on
``SpectraLikelihood``) to the AMS-02 B/C ratio only; the source spectrum is held at the
B/C best fit of ``bench_galactic.json`` (B/C barely depends on it). Free: D0, delta, eta,
v_A, z_h, phi, plus the break rigidity and slope change for the broken model (smoothness
fixed at 0.05). Then ``posterior_predictive`` predicts AMS-02 B/O, Be/B, Li/B, Be/C and Li/C
(held out: not fitted) from the posterior draws, and reports chi^2 per point and the
fraction of points inside the 68 % and 95 % replicated-data bands, next to the same numbers
for the fitted B/C. Also the model B/C slope between 200 GV and 2 TV (the hardening).

Usage: python benchmarks/propagation/bench_predictive.py [--steps 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report import results_dir, write_report

from crsbi import MCMCPosterior
from crsbi.propagation import (
    NUISANCE_BOUNDS,
    PARAM_NAMES,
    PRIOR_BOUNDS,
    SpectraLikelihood,
    load_ams02,
    plot_predictive,
    posterior_predictive,
    simulate_galactic,
)

RESULTS = results_dir(__file__)
HELD_OUT = ("B/O", "Be/B", "Li/B", "Be/C", "Li/C")
FIT = ("D0", "delta", "eta", "v_A", "z_h")
MODELS = {
    "single power law": ("phi",),
    "broken (R_b, Delta free)": ("phi", "break_rigidity", "break_delta"),
}
PHI_BOUNDS = (0.2, 1.2)


def _sources() -> np.ndarray:
    notes = json.loads((RESULTS / "bench_galactic.json").read_text())["notes"]
    import ast

    best = ast.literal_eval(notes.split("Best-fit parameters: ")[1].split("\n")[0])["B/C"]
    return np.array([best[n] for n in PARAM_NAMES])


class Reduced:
    """Log-likelihood over the free parameters; the rest held at ``base``."""

    def __init__(self, like: SpectraLikelihood, base: np.ndarray) -> None:
        self.like, self.base = like, base
        self.index = [PARAM_NAMES.index(n) for n in FIT]
        names = (*FIT, *like.free)
        bounds = [PRIOR_BOUNDS[n] for n in FIT] + [
            PHI_BOUNDS if n == "phi" else NUISANCE_BOUNDS[n] for n in like.free
        ]
        self.names = names
        self.low, self.high = np.array(bounds, dtype=float).T

    def full(self, theta: np.ndarray) -> np.ndarray:
        full = self.base.copy()
        full[self.index] = theta[: len(FIT)]
        return np.r_[full, theta[len(FIT) :]]

    def __call__(self, theta: np.ndarray, x: np.ndarray) -> float:
        return self.like(self.full(np.asarray(theta, dtype=float)), x)


def _bc_slope(full: np.ndarray, free: tuple[str, ...]) -> float:
    extra = dict(zip(free, full[len(PARAM_NAMES) :], strict=True))
    phi = extra.pop("phi")
    spectra = simulate_galactic(full[: len(PARAM_NAMES)], phi=phi, **extra)
    r = np.geomspace(200.0, 2000.0, 8)
    ratio = spectra.flux_at_rigidity(r, "B") / spectra.flux_at_rigidity(r, "C")
    return float(np.polyfit(np.log(r), np.log(ratio), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="emcee steps at most")
    parser.add_argument("--walkers", type=int, default=32)
    parser.add_argument("--draws", type=int, default=300, help="posterior draws predicted")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = _sources()
    bc = load_ams02("B/C")
    held = [load_ams02(q) for q in HELD_OUT]
    rows = []
    fig, axes = plt.subplots(len(MODELS), 3, figsize=(13, 3.6 * len(MODELS)), squeeze=False)
    for row_axes, (model, free) in zip(axes, MODELS.items(), strict=True):
        config = {"break_smoothness": 0.05} if "break_rigidity" in free else {}
        fit_like = SpectraLikelihood([bc], free=free, **config)
        reduced = Reduced(fit_like, base)
        start = time.perf_counter()
        mcmc = MCMCPosterior(
            reduced, reduced.low, reduced.high, param_names=list(reduced.names),
            n_walkers=args.walkers, max_steps=args.steps, check_every=100, init="optimum",
            random_state=args.seed, verbose=0,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mcmc.run(bc.y)
        seconds = time.perf_counter() - start
        draws = np.array([reduced.full(t) for t in mcmc.samples_])
        median = dict(zip(reduced.names, np.median(mcmc.samples_, axis=0), strict=True))
        rng = np.random.default_rng(args.seed)
        fitted = posterior_predictive(fit_like, draws, n_draws=args.draws, random_state=rng)
        out = SpectraLikelihood(held, free=free, **config)
        check = posterior_predictive(out, draws, n_draws=args.draws, random_state=rng)
        slopes = [_bc_slope(d, free) for d in draws[rng.choice(len(draws), 50)]]
        row = {
            "model": model,
            "emcee converged": bool(mcmc.converged_),
            "steps x walkers": f"{mcmc.n_steps_} x {args.walkers}",
            "max tau": float(np.max(mcmc.autocorr_time_)),
            "wall [s]": seconds,
            "B/C chi2/pt (fit)": fitted.chi2_per_point,
            "B/C in 68/95 %": f"{fitted.coverage[0.68]:.2f} / {fitted.coverage[0.95]:.2f}",
            "held-out chi2/pt": check.chi2_per_point,
            "held-out in 68/95 %": f"{check.coverage[0.68]:.2f} / {check.coverage[0.95]:.2f}",
            "B/C slope 0.2-2 TV": f"{np.mean(slopes):.3f} +- {np.std(slopes):.3f}",
        }
        for name, part in zip(HELD_OUT, check.slices, strict=True):
            pull = (check.observed[part] - check.median[part]) / check.error[part]
            row[f"{name} chi2/pt"] = float(np.mean(pull**2))
        row["posterior median"] = ", ".join(f"{k}={v:.3g}" for k, v in median.items())
        rows.append(row)
        plot_predictive(fitted, fit_like, ax=row_axes[0])
        plot_predictive(check, out, HELD_OUT.index("Be/B"), ax=row_axes[1])
        plot_predictive(check, out, HELD_OUT.index("Li/C"), ax=row_axes[2])
        row_axes[0].set_title(f"{model}: fitted B/C", fontsize=9)
        row_axes[1].set_title("held out: Be/B", fontsize=9)
        row_axes[2].set_title("held out: Li/C", fontsize=9)
    fig.tight_layout()
    fig.savefig(RESULTS / "predictive.png", dpi=110)
    notes = (
        "emcee on AMS-02 B/C only (67 points, stat and sys in quadrature, no correlations); "
        "sources held at the B/C best fit of bench_galactic.json. Held out: AMS-02 "
        f"{', '.join(HELD_OUT)} ratios, predicted from the posterior draws. Coverage = fraction "
        "of observed points inside the central replicated-data band (model + measurement "
        "noise); about the level itself when model and errors are right. Cross sections "
        "are not refitted (Li is known to need ~10-20 % more production in most analyses). "
        "Figure: `predictive.png`.\n\n"
        "Compare: AMS-02 B/C above 65 GV ~ R^(-0.333 +- 0.015); CALET B/C hardening "
        "0.09 +- 0.05 near 200 GeV/n; DAMPE B/C and B/O harden near 100 GeV/n (4.4-6.9 sigma); "
        "Genolini et al. 2019: high-rigidity break Delta_h ~ 0.2."
    )
    write_report("predictive", rows, results=RESULTS, notes=notes)


if __name__ == "__main__":
    main()
