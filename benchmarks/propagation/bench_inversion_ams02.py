"""NPE against emcee on the AMS-02 B/C ratio: the same likelihood, two routes to a posterior.

Both routes answer one question: the posterior of the five propagation parameters
``D0, delta, eta, v_A, z_h`` and the force-field potential ``phi`` given the AMS-02 B/C
ratio (67 rigidity points), with the source parameters (``nu1..3``, breaks) fixed at the
B/C best fit of ``benchmarks/results/propagation/bench_galactic.json`` and Gaussian errors
(:class:`crsbi.propagation.likelihood.SpectraLikelihood`): independent
``sigma = sqrt(stat^2 + sys^2)``, or with ``--sys-corr L`` systematics correlated over ``L``
decades of rigidity.

- **emcee** (:class:`crsbi.inference.MCMCPosterior`) on ``SpectraLikelihood`` directly:
  every step runs the simulator.
- **NPE** (:class:`crsbi.inference.PosteriorEstimator`, MAF, no embedding): trained on
  ``n_train`` simulations ``theta ~ prior``, ``x = B/C_model(theta) + noise``
  (``SpectraLikelihood.sample_noise``) at the data points (exactly the generative model
  behind the Gaussian likelihood), then conditioned on the measured B/C. Its calibration
  is checked by SBC/TARP/HPD coverage on held-out simulations
  (:func:`crsbi.inference.run_calibration`).

A second, truncated NPE round (TSNPE, Deistler et al. 2022; ``--n-round2``, 0 skips it)
simulates from the prior restricted to a box around the first-round posterior of the data
(:func:`crsbi.inference.truncation.posterior_box`) and trains a new estimator there: its
posterior of the data is exact within the box, and the simulations are spent where the
likelihood is large.

Reported: C2ST between the sample sets, marginals, wall times of both routes (the NPE
time includes simulating its training set). Simulations are cached in
``benchmarks/.cache/`` (git-ignored).

Usage::

    python benchmarks/propagation/bench_inversion_ams02.py                # 20000 simulations
    python benchmarks/propagation/bench_inversion_ams02.py --n-train 50000 --mcmc-steps 3000
    python benchmarks/propagation/bench_inversion_ams02.py --n-train 30000 --n-round2 20000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import CACHE_DIR, results_dir, write_report
from joblib import Parallel, delayed

from crsbi import MCMCPosterior, PosteriorEstimator, run_calibration
from crsbi.inference import compare_posteriors, edge_fraction, posterior_box
from crsbi.propagation import PARAM_NAMES, PRIOR_BOUNDS, SpectraLikelihood, load_ams02

CACHE = CACHE_DIR
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/
FREE = ("D0", "delta", "eta", "v_A", "z_h", "phi")
PHI_BOUNDS = (0.2, 1.2)
BOUNDS = {**{n: PRIOR_BOUNDS[n] for n in FREE[:5]}, "phi": PHI_BOUNDS}
LOW, HIGH = np.array(list(BOUNDS.values())).T


def _best_fit_sources() -> np.ndarray:
    """The 10 galactic parameters of the B/C best fit (bench_galactic.json)."""
    path = RESULTS / "bench_galactic.json"
    notes = json.loads(path.read_text())["notes"]
    text = notes.split("Best-fit parameters: ")[1].split("\n")[0]
    import ast

    best = ast.literal_eval(text)["B/C"]
    return np.array([best[n] for n in PARAM_NAMES])


class BCLikelihood:
    """Gaussian log-likelihood of the 6 free parameters given B/C (counts simulator calls)."""

    def __init__(self, like: SpectraLikelihood, base: np.ndarray) -> None:
        self.like = like
        self.base = base
        self.calls = 0
        self.index = [PARAM_NAMES.index(n) for n in FREE[:5]]

    def full(self, theta6: np.ndarray) -> np.ndarray:
        full = np.append(self.base.copy(), theta6[5])
        full[self.index] = theta6[:5]
        return full

    def predict(self, theta6: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.like.predict(self.full(np.asarray(theta6, dtype=float)))

    def __call__(self, theta6: np.ndarray, x: np.ndarray) -> float:
        self.calls += 1
        return self.like(self.full(np.asarray(theta6, dtype=float)), x)


def _predict_chunk(like: BCLikelihood, thetas: np.ndarray) -> np.ndarray:
    return np.array([like.predict(t) for t in thetas])


def simulate(like: BCLikelihood, thetas: np.ndarray, n_jobs: int) -> np.ndarray:
    """Noise-free B/C at the data points, shape (n, n_points)."""
    chunks = np.array_split(thetas, max(1, len(thetas) // 500))
    parts = Parallel(n_jobs=n_jobs)(delayed(_predict_chunk)(like, c) for c in chunks)
    return np.concatenate(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-cal", type=int, default=300)
    parser.add_argument("--mcmc-steps", type=int, default=1500)
    parser.add_argument("--npe-epochs", type=int, default=300)
    parser.add_argument("--patience", type=int, default=10, help="NPE early stopping")
    parser.add_argument("--lr", type=float, default=1e-3, help="NPE learning rate")
    parser.add_argument("--n-round2", type=int, default=20000, help="truncated round (0: none)")
    parser.add_argument(
        "--sys-corr", type=float, default=None,
        help="correlation length of the systematics [decades of rigidity]; none: independent",
    )  # fmt: skip
    parser.add_argument(
        "--npe-ensemble", type=int, default=1,
        help="flows per NPE round, trained with different seeds; the posterior is their mixture",
    )  # fmt: skip
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    bc = load_ams02("B/C")
    base = _best_fit_sources()
    like = BCLikelihood(
        SpectraLikelihood([bc], free=("phi",), sys_correlation_length=args.sys_corr), base
    )
    rows = {}
    name = "inversion_ams02" + ("" if args.sys_corr is None else f"_corr{args.sys_corr:g}")

    # --------------------------------------------------------------- simulations
    n_total = args.n_train + args.n_cal
    CACHE.mkdir(exist_ok=True)
    cache = CACHE / f"inversion_ams02_bc_{n_total}_seed{args.seed}.npz"
    start = time.perf_counter()
    if cache.exists():
        data = np.load(cache)
        theta, clean, sim_time = data["theta"], data["clean"], float(data["seconds"])
    else:
        theta = rng.uniform(LOW, HIGH, size=(n_total, len(FREE)))
        clean = simulate(like, theta, args.n_jobs)
        sim_time = time.perf_counter() - start
        np.savez(cache, theta=theta, clean=clean, seconds=sim_time)
    noise_rng = np.random.default_rng(args.seed + 1)
    x = clean + like.like.sample_noise(len(clean), noise_rng)
    finite = np.all(np.isfinite(x), axis=1)
    theta, x = theta[finite], x[finite]
    rows["simulate NPE set (n_jobs CPU workers) [s]"] = sim_time
    rows["simulations (train + calibration)"] = len(theta)

    # ----------------------------------------------------------------------- NPE
    scale = bc.y  # features: B/C in units of the measured value (sbi z-scores further)
    theta_cal, x_cal = theta[-args.n_cal :], x[-args.n_cal :] / scale
    theta_train, x_train = theta[: -args.n_cal], x[: -args.n_cal] / scale
    start = time.perf_counter()
    npe = PosteriorEstimator(
        prior_low=LOW, prior_high=HIGH, hidden_features=64, num_transforms=5,
        learning_rate=args.lr, batch_size=256, patience=args.patience,
        max_epochs=args.npe_epochs, n_ensemble=args.npe_ensemble,
        param_names=list(FREE), random_state=args.seed, verbose=0,
    ).fit(x_train, theta_train)  # fmt: skip
    rows["train NPE [s]"] = time.perf_counter() - start
    rows["NPE flows (mixture members) per round"] = args.npe_ensemble
    rows["NPE epochs (best), first flow"] = f"{npe.n_iter_} ({npe.best_epoch_})"
    start = time.perf_counter()
    npe_draws = npe.sample(bc.y / scale, 4000, random_state=1)
    rows["NPE sampling 4000 draws [s]"] = time.perf_counter() - start
    rows["NPE wall time to a posterior incl. simulations [s]"] = (
        sim_time + rows["train NPE [s]"] + rows["NPE sampling 4000 draws [s]"]
    )
    calibration = run_calibration(
        npe, theta_cal, x_cal, n_posterior_samples=500, c2st=False, param_names=list(FREE),
        random_state=0,
    )  # fmt: skip
    rows["NPE calibrated (SBC/TARP/HPD, alpha=0.01)"] = bool(calibration.is_calibrated(0.01))
    rows["NPE TARP ATC"] = float(calibration.tarp_atc)

    # ------------------------------------------------- truncated second round
    npe2, npe2_draws = None, None
    if args.n_round2:
        box_low, box_high = posterior_box(npe_draws, LOW, HIGH, margin=0.5)
        rows["round 2: box volume / prior volume"] = float(
            np.prod((box_high - box_low) / (HIGH - LOW))
        )
        rng2 = np.random.default_rng(args.seed + 100)
        theta2 = rng2.uniform(box_low, box_high, size=(args.n_round2 + args.n_cal, len(FREE)))
        cache2 = CACHE / f"inversion_ams02_bc_round2_{len(theta2)}_seed{args.seed}.npz"
        start = time.perf_counter()
        data = np.load(cache2) if cache2.exists() else None
        if data is not None and np.array_equal(data["theta"], theta2):
            clean2, sim2 = data["clean"], float(data["seconds"])
        else:
            clean2 = simulate(like, theta2, args.n_jobs)
            sim2 = time.perf_counter() - start
            np.savez(cache2, theta=theta2, clean=clean2, seconds=sim2)
        x2 = (clean2 + like.like.sample_noise(len(clean2), rng2)) / scale
        finite = np.all(np.isfinite(x2), axis=1)
        theta2, x2 = theta2[finite], x2[finite]
        start = time.perf_counter()
        npe2 = PosteriorEstimator(
            prior_low=box_low, prior_high=box_high, hidden_features=64, num_transforms=5,
            learning_rate=args.lr, batch_size=256, patience=args.patience,
            max_epochs=args.npe_epochs, n_ensemble=args.npe_ensemble, param_names=list(FREE),
            random_state=args.seed, verbose=0,
        ).fit(x2[args.n_cal :], theta2[args.n_cal :])  # fmt: skip
        rows["round 2: simulate [s]"] = sim2
        rows["round 2: train NPE [s]"] = time.perf_counter() - start
        npe2_draws = npe2.sample(bc.y / scale, 4000, random_state=1)
        rows["round 2: NPE wall time to a posterior, both rounds [s]"] = (
            rows["NPE wall time to a posterior incl. simulations [s]"]
            + sim2 + rows["round 2: train NPE [s]"]
        )  # fmt: skip
        edge = edge_fraction(npe2_draws, box_low, box_high, prior_low=LOW, prior_high=HIGH)
        rows["round 2: largest edge fraction (2 % layer)"] = float(edge.max())
        calibration2 = run_calibration(
            npe2, theta2[: args.n_cal], x2[: args.n_cal], n_posterior_samples=500, c2st=False,
            param_names=list(FREE), random_state=0,
        )  # fmt: skip
        rows["round 2: NPE calibrated in the box (alpha=0.01)"] = bool(
            calibration2.is_calibrated(0.01)
        )
        rows["round 2: NPE TARP ATC"] = float(calibration2.tarp_atc)

    # --------------------------------------------------------------------- emcee
    like.calls = 0
    start = time.perf_counter()
    mcmc = MCMCPosterior(
        like, LOW, HIGH, param_names=list(FREE), n_walkers=24, max_steps=args.mcmc_steps,
        check_every=100, init="optimum", random_state=args.seed, verbose=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mcmc.run(bc.y)
    rows["emcee wall time (1 core, optimum search included) [s]"] = time.perf_counter() - start
    rows["emcee simulator calls"] = like.calls
    rows["emcee steps x walkers"] = f"{mcmc.n_steps_} x 24"
    rows["emcee converged (50 tau)"] = bool(mcmc.converged_)
    rows["emcee max autocorrelation time [steps]"] = float(np.max(mcmc.autocorr_time_))
    rows["emcee independent samples (~)"] = int(
        24 * (mcmc.n_steps_ - mcmc.burn_in_) / np.max(mcmc.autocorr_time_)
    )
    mcmc_draws = mcmc.samples_
    chi2_best = like.like.chi2(like.full(mcmc_draws[np.argmax(mcmc.log_prob(mcmc_draws, bc.y))]))
    rows["chi2 at best emcee draw / points"] = f"{chi2_best:.1f} / {len(bc)}"

    comparison = compare_posteriors(
        mcmc_draws, npe_draws, param_names=list(FREE), labels=("emcee", "NPE"), random_state=0
    )
    rows["C2ST NPE vs emcee (0.5 = identical)"] = float(comparison.c2st)
    comparison2 = None
    if npe2_draws is not None:
        comparison2 = compare_posteriors(
            mcmc_draws, npe2_draws, param_names=list(FREE), labels=("emcee", "NPE round 2"),
            random_state=0,
        )  # fmt: skip
        rows["C2ST NPE round 2 vs emcee"] = float(comparison2.c2st)

    # an arbiter that needs neither route to be right: NPE draws re-weighted by the exact
    # likelihood (importance sampling, proposal = the NPE posterior) estimate the true
    # posterior; its means say which route is off, its ESS how far the NPE is from it
    for label, estimator in (("round 1", npe), ("round 2", npe2)):
        if estimator is None:
            continue
        proposal = estimator.sample(bc.y / scale, 4000, random_state=7)
        log_w = np.array([like(t, bc.y) for t in proposal])
        log_w -= estimator.log_prob(proposal, bc.y / scale)
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        rows[f"{label}: importance-sampling ESS of 4000 NPE draws"] = float(1 / np.sum(w**2))
        means = dict(zip(FREE, (w @ proposal).round(3).tolist(), strict=True))
        rows[f"{label}: importance-weighted means"] = str(means)
    rows["emcee means"] = str(dict(zip(FREE, mcmc_draws.mean(0).round(3).tolist(), strict=True)))

    # ------------------------------------------------------------------- figure
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.propagation import plot_corner

    draws = {"emcee": mcmc_draws, "NPE": npe_draws}
    if npe2_draws is not None:
        draws["NPE round 2"] = npe2_draws
    fig = plot_corner(draws, param_names=list(FREE))
    fig.savefig(RESULTS / f"{name}_corner.png", dpi=80)
    plt.close(fig)

    table = [{"quantity": k, "value": v} for k, v in rows.items()]
    errors = (
        "stat and sys in quadrature"
        if args.sys_corr is None
        else f"stat, and sys correlated over {args.sys_corr:g} decades of rigidity"
    )
    notes = [
        f"AMS-02 B/C ({len(bc)} rigidity points, {errors}), free: {FREE} "
        f"(prior box: galactic PRIOR_BOUNDS, phi in {PHI_BOUNDS} GV); source parameters fixed "
        "at the bench_galactic B/C best fit "
        f"({dict(zip(PARAM_NAMES[5:], base[5:].round(4).tolist(), strict=True))}). "
        "Command: `python benchmarks/propagation/bench_inversion_ams02.py "
        f"--n-train {args.n_train} --mcmc-steps {args.mcmc_steps} --npe-epochs {args.npe_epochs} "
        f"--patience {args.patience} --lr {args.lr} --n-round2 {args.n_round2} "
        f"--npe-ensemble {args.npe_ensemble} --sys-corr {args.sys_corr}`; shared 2-core "
        "machine, torch 1 thread, "
        f"{args.n_jobs} simulation workers for the NPE set, emcee serial.",
        "",
        comparison.to_markdown(),
        "",
        *([] if comparison2 is None else [comparison2.to_markdown(), ""]),
        f"## NPE calibration on {args.n_cal} held-out simulations",
        "",
        calibration.to_markdown(),
        "",
        *(
            []
            if npe2_draws is None
            else [
                f"## Round-2 NPE calibration on {args.n_cal} held-out simulations in the box",
                "",
                calibration2.to_markdown(),
                "",
            ]
        ),
        f"Figure: {name}_corner.png.",
    ]
    write_report(name, table, notes="\n".join(notes), results=RESULTS)
    print("\n".join(notes))


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    main()
