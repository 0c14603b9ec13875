"""PropagationInverter benchmark: Tables 3 and 4 of Tsai et al. (2022), NPE against emcee.

On the crsbi Galactic propagation simulator (``simulate_galactic_batch``, 84-bin LIS
fluxes of Li, Be, B, C, O):

1. learning systematics (Table 3 form): median and 68 % interval of the relative error
   per parameter on a hold-out set, for Machine A (noise=0, clean test spectra) and
   Machine B (noise=0.05, test spectra fluctuated by up to 5 %);
2. one mock data set (fluxes at a true theta with log-normal 10 % noise, ``sigma``) and
   its likelihood on the information the ratio features keep (a common flux scale is
   free: chi^2 = sum (r - mean r)^2 / sigma^2, r = ln x - ln f(theta));
3. efficiency table (Table 4 form): fractions of parameter sets within 3, 4, 6 sigma of
   the best chi^2 for Machine A and B (predictions on 200 noisy realisations of the
   mock), the same predictions polished by local least-squares fits on the simulator
   (``PropagationInverter.refine``, a step beyond the paper), NPE (posterior draws),
   emcee (its own draws) and re-weighted MCMC (a chain on an older, 20 %-error
   realisation of the mock, importance-weighted to the new data);
4. NPE (``posterior=True``, trained on log-normal-noise simulations) against emcee run
   directly on the simulator: C2ST, marginals, wall times; corner, Delta-chi^2 profile,
   tau histogram and spectra figures.

Usage::

    python benchmarks/propagation/bench_inversion.py         # quick sizes (a few minutes)
    python benchmarks/propagation/bench_inversion.py --full  # larger sizes
    python benchmarks/propagation/bench_inversion.py --n-train 30000 --epochs 30 --npe-epochs 300
    python benchmarks/propagation/bench_inversion.py ... --npe-ensemble 3  # 3 flows per round

Simulations and fitted networks are cached in ``benchmarks/.cache/`` (git-ignored): a
rerun with the same sizes and seed skips the training.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import CACHE_DIR, results_dir, write_report

from crsbi import MCMCPosterior, PropagationInverter
from crsbi.inference import compare_posteriors, edge_fraction, posterior_box
from crsbi.propagation import (
    PARAM_NAMES,
    PRIOR_BOUNDS,
    add_relative_noise,
    energy_grid,
    simulate_galactic_batch,
)
from crsbi.propagation._feedback import learning_systematics, sigma_fractions

LOW, HIGH = np.array(list(PRIOR_BOUNDS.values())).T
THETA_TRUE = np.array([4.0, 0.45, 1.0, 20.0, 5.0, 1.2, 2.35, 2.25, 3.5, 5.5])
SIGMA = 0.1
SIGMA_OLD = 0.2  # the "old" data set behind the re-weighted MCMC row
CACHE = CACHE_DIR
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/


def simulate(theta: np.ndarray) -> np.ndarray:
    return simulate_galactic_batch(theta, verbose=0)


def chi2_marginal(log_model: np.ndarray, log_obs: np.ndarray, sigma: float = SIGMA) -> np.ndarray:
    """chi^2 of models (n, 420) against the mock, with a free common flux scale."""
    r = log_obs[None] - log_model
    r = r - r.mean(axis=1, keepdims=True)
    return np.sum(r**2, axis=1) / sigma**2


class MockLikelihood:
    """Vectorised log-likelihood of theta (n, 10) for the mock (log-normal noise)."""

    def __init__(self, sigma: float = SIGMA) -> None:
        self.calls = 0
        self.sigma = sigma

    def __call__(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        self.calls += len(theta)
        log_model = np.log(simulate(np.atleast_2d(theta)).reshape(len(theta), -1))
        return -0.5 * chi2_marginal(log_model, x, self.sigma)


def machine_params(epochs: int, seed: int) -> dict:
    """PropagationInverter parameters shared by Machines A and B and the NPE's CNN."""
    return {
        "module_kwargs": {"channels": (32, 64, 128), "hidden_size": 256},
        "lr": 3e-3,
        "lr_schedule": "cosine",
        "batch_size": 256,
        "max_epochs": epochs,
        "patience": None,  # the cosine schedule runs to its end; the best epoch is kept
        "device": "cpu",
        "random_state": seed,
        "verbose": 0,
    }


def cached_simulations(theta: np.ndarray, tag: str, n_jobs: int) -> tuple[np.ndarray, float]:
    """Simulate theta once (2 workers) and keep the fluxes in benchmarks/.cache/."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"inversion_{tag}_{len(theta)}.npz"
    if path.exists():
        data = np.load(path)
        if data["theta"].shape == theta.shape and np.array_equal(data["theta"], theta):
            return data["X"], float(data["seconds"])
    start = time.perf_counter()
    X = simulate_galactic_batch(theta, n_jobs=n_jobs, verbose=0)
    seconds = time.perf_counter() - start
    np.savez(path, theta=theta, X=X, seconds=seconds)
    return X, seconds


def cached_fit(estimator: PropagationInverter, X: np.ndarray, y: np.ndarray, tag: str):
    """Fit, or load the estimator fitted on the same parameters and data from the cache.

    The key hashes the estimator's parameters and the training arrays, so a rerun that
    changes neither skips the training (hours at the large sizes) and reports the
    training time of the run that did it.
    """
    import hashlib

    import joblib

    CACHE.mkdir(exist_ok=True)
    digest = hashlib.sha256(repr(sorted(estimator.get_params().items())).encode())
    digest.update(np.ascontiguousarray(X, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    path = CACHE / f"inversion_model_{tag}_{digest.hexdigest()[:16]}.joblib"
    if path.exists():
        return joblib.load(path)
    start = time.perf_counter()
    estimator.fit(X, y)
    fitted = (estimator, time.perf_counter() - start)
    joblib.dump(fitted, path)
    return fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="larger sizes")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, checks the script")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, help="override the training-set size")
    parser.add_argument("--epochs", type=int, help="override the Machine A/B epochs")
    parser.add_argument(
        "--npe-epochs", type=int, help="override the NPE flow's largest number of epochs"
    )
    parser.add_argument(
        "--embedding", default="frozen", choices=("frozen", "finetune"),
        help="NPE embedding: pre-trained CNN kept fixed (default) or fine-tuned with the flow",
    )  # fmt: skip
    parser.add_argument(
        "--npe-ensemble", type=int, default=1,
        help="flows per NPE round, trained with different seeds; the posterior is their mixture",
    )  # fmt: skip
    parser.add_argument("--n-jobs", type=int, default=2, help="simulation workers")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--mcmc-steps", type=int, help="override the emcee steps")
    parser.add_argument(
        "--n-round2", type=int, default=None,
        help="simulations of the truncated second NPE round (0 skips it)",
    )  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = (
        {"n_train": 300, "n_test": 50, "epochs": 2, "npe_epochs": 40, "mcmc_steps": 100,
         "n_round2": 300}
        if args.smoke
        else {"n_train": 20000, "n_test": 2000, "epochs": 80, "npe_epochs": 300,
              "mcmc_steps": 4000, "n_round2": 20000}
        if args.full
        else {"n_train": 5000, "n_test": 500, "epochs": 30, "npe_epochs": 100, "mcmc_steps": 800,
              "n_round2": 5000}
    )  # fmt: skip
    for key in ("n_train", "epochs", "npe_epochs", "n_round2", "mcmc_steps"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    rng = np.random.default_rng(args.seed)
    timings = {}

    # ------------------------------------------------------------ simulations
    theta = rng.uniform(LOW, HIGH, size=(sizes["n_train"], 10))
    X, seconds = cached_simulations(theta, f"train_seed{args.seed}", args.n_jobs)
    timings[f"simulate training set ({args.n_jobs} workers) [s]"] = seconds
    theta_test = rng.uniform(LOW, HIGH, size=(sizes["n_test"], 10))
    X_test, _ = cached_simulations(theta_test, f"test_seed{args.seed}", args.n_jobs)
    common = machine_params(sizes["epochs"], args.seed)

    # -------------------------------------------------------- Machines A and B
    machines, table3 = {}, []
    for label, noise in (("A", 0.0), ("B", 0.05)):
        machines[label], seconds_fit = cached_fit(
            PropagationInverter(noise=noise, **common), X, theta, f"machine{label}"
        )
        timings[f"train Machine {label} [s]"] = seconds_fit
        X_eval = X_test if noise == 0 else add_relative_noise(X_test, noise, random_state=1)
        pred = machines[label].predict(X_eval)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (pred - theta_test) / theta_test
        for row in learning_systematics(rel, PARAM_NAMES):
            table3.append({"machine": label, **row})
        timings[f"Machine {label} R^2 (whitened)"] = machines[label].score(X_eval, theta_test)

    # ------------------------------------------------------------------- mock
    x_clean = simulate(THETA_TRUE[None])[0].reshape(-1)
    log_obs = np.log(x_clean) + SIGMA * rng.standard_normal(x_clean.shape)
    x_obs = np.exp(log_obs)
    realisations = np.exp(log_obs[None] + SIGMA * rng.standard_normal((200, x_obs.size)))

    # -------------------------------------------------------------------- NPE
    X_noisy = np.exp(np.log(X.reshape(len(X), -1)) + SIGMA * rng.standard_normal((len(X), 420)))
    npe_params = {
        **common,
        "posterior": True,
        "pretrain_embedding": "frozen" if args.embedding == "frozen" else True,
        "embedding_size": 32,
        # the flow on the frozen CNN's summaries: a lower constant rate, trained until
        # its validation loss stalls (stopped at 40 epochs and 3e-3 it failed SBC)
        "npe_kwargs": {
            "hidden_features": 50, "num_transforms": 5, "n_posterior_samples": 1000,
            "learning_rate": 5e-4, "max_epochs": sizes["npe_epochs"], "patience": 20,
            "n_ensemble": args.npe_ensemble,
        },
    }  # fmt: skip
    npe, timings["train NPE [s]"] = cached_fit(
        PropagationInverter(**npe_params), X_noisy, theta, "npe"
    )
    timings["NPE flows (mixture members) per round"] = args.npe_ensemble
    timings["NPE epochs per flow"] = ", ".join(
        str(len(h)) for h in npe.posterior_estimator_.histories_
    )
    from crsbi import run_calibration

    n_cal = min(300, len(X_test))
    x_cal = np.exp(
        np.log(X_test[:n_cal].reshape(n_cal, -1)) + SIGMA * rng.standard_normal((n_cal, 420))
    )
    calibration = run_calibration(
        npe, theta_test[:n_cal], x_cal, n_posterior_samples=500, param_names=PARAM_NAMES,
        c2st=False, random_state=0,
    )  # fmt: skip
    timings[f"NPE calibrated (SBC/TARP/HPD, alpha=0.01, {n_cal} sims)"] = calibration.is_calibrated(
        0.01
    )
    timings["NPE TARP ATC"] = float(calibration.tarp_atc)
    start = time.perf_counter()
    npe_draws = npe.sample(x_obs, 2000)
    timings["NPE sampling 2000 draws [s]"] = time.perf_counter() - start
    timings["NPE total wall time incl. simulations [s]"] = (
        seconds + timings["train NPE [s]"]
        + timings["NPE sampling 2000 draws [s]"]
    )  # fmt: skip

    # ------------------------------------------------- truncated second round
    # TSNPE (Deistler et al. 2022): simulations from the prior restricted to a box that
    # holds the first-round posterior of x_obs; the new posterior of x_obs is exact
    # there without importance weights, as long as the box holds all its mass
    npe2, npe2_draws = None, None
    if sizes["n_round2"]:
        rng2 = np.random.default_rng(args.seed + 100)
        box_low, box_high = posterior_box(npe_draws, LOW, HIGH, margin=0.5)
        theta2 = rng2.uniform(box_low, box_high, size=(sizes["n_round2"] + n_cal, 10))
        X2, seconds2 = cached_simulations(theta2, f"round2_seed{args.seed}", args.n_jobs)
        X2 = X2.reshape(len(X2), -1)
        X2 = np.exp(np.log(X2) + SIGMA * rng2.standard_normal(X2.shape))
        timings["NPE round 2: simulations [s]"] = seconds2
        timings["NPE round 2: box volume / prior volume"] = float(
            np.prod((box_high - box_low) / (HIGH - LOW))
        )
        npe2, timings["NPE round 2: train [s]"] = cached_fit(
            PropagationInverter(**npe_params, param_bounds=np.c_[box_low, box_high]),
            X2[n_cal:], theta2[n_cal:], "npe2",
        )  # fmt: skip
        npe2_draws = npe2.sample(x_obs, 2000)
        edge = edge_fraction(npe2_draws, box_low, box_high, prior_low=LOW, prior_high=HIGH)
        timings["NPE round 2: largest edge fraction (2 % layer)"] = float(edge.max())
        calibration2 = run_calibration(
            npe2, theta2[:n_cal], X2[:n_cal], n_posterior_samples=500, param_names=PARAM_NAMES,
            c2st=False, random_state=0,
        )  # fmt: skip
        timings[f"NPE round 2 calibrated in the box (alpha=0.01, {n_cal} sims)"] = (
            calibration2.is_calibrated(0.01)
        )
        timings["NPE round 2 TARP ATC"] = float(calibration2.tarp_atc)
        timings["NPE round 2 total wall time incl. both rounds' simulations [s]"] = (
            timings["NPE total wall time incl. simulations [s]"] + seconds2
            + timings["NPE round 2: train [s]"]
        )  # fmt: skip

    # ------------------------------------------------------------------ emcee
    likelihood = MockLikelihood()
    start = time.perf_counter()
    # walkers start at NPE draws (the round-2 ones when there are: less burn-in)
    init = npe_draws[:24] if npe2_draws is None else npe2_draws[:24]
    mcmc = MCMCPosterior(
        likelihood, LOW, HIGH, param_names=PARAM_NAMES, n_walkers=24,
        max_steps=sizes["mcmc_steps"], check_every=100, init=init,
        vectorize=True, random_state=args.seed, verbose=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mcmc.run(log_obs)
    mcmc_draws = mcmc.samples_
    timings["emcee wall time [s]"] = time.perf_counter() - start
    timings["emcee simulator calls"] = likelihood.calls
    timings["emcee converged"] = bool(mcmc.converged_)
    timings["emcee max autocorrelation time [steps]"] = float(np.max(mcmc.autocorr_time_))

    # re-weighted MCMC (the paper's baseline): a chain run on an older, less precise
    # realisation of the data (errors SIGMA_OLD), importance-weighted to the new data
    log_obs_old = np.log(x_clean) + SIGMA_OLD * rng.standard_normal(x_clean.shape)
    start = time.perf_counter()
    old = MCMCPosterior(
        MockLikelihood(SIGMA_OLD), LOW, HIGH, param_names=PARAM_NAMES, n_walkers=24,
        max_steps=max(100, sizes["mcmc_steps"] // 2), check_every=100, init=npe_draws[24:48],
        vectorize=True, random_state=args.seed + 1, verbose=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old.run(log_obs_old)
    old_draws = old.samples_[rng.choice(len(old.samples_), min(1000, len(old.samples_)), False)]
    log_old = np.log(simulate(old_draws).reshape(len(old_draws), -1))
    log_w = -0.5 * chi2_marginal(log_old, log_obs) + 0.5 * chi2_marginal(
        log_old, log_obs_old, SIGMA_OLD
    )
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    reweighted = old_draws[rng.choice(len(old_draws), 200, replace=True, p=weights)]
    timings["re-weighted MCMC: old chain + re-weighting [s]"] = time.perf_counter() - start
    timings["re-weighted MCMC: effective sample size"] = float(1.0 / np.sum(weights**2))

    # --------------------------------------------------------- efficiency table
    def chi2_of(thetas: np.ndarray) -> np.ndarray:
        return chi2_marginal(np.log(simulate(thetas).reshape(len(thetas), -1)), log_obs)

    # the machines' predictions polished by local least-squares fits on the simulator
    # (PropagationInverter.refine: the same chi^2, free flux scale, up to 3 starts)
    refined = {}
    for label in ("A", "B"):
        start = time.perf_counter()
        refined[label], _, calls = machines[label].refine(
            realisations, simulate, sigma=SIGMA, free_scale=True, random_state=args.seed,
            return_chi2=True,
        )  # fmt: skip
        timings[f"Machine {label} + local fit: wall time, 200 realisations [s]"] = (
            time.perf_counter() - start
        )
        timings[f"Machine {label} + local fit: simulator calls per realisation (median, max)"] = (
            f"{int(np.median(calls))}, {int(calls.max())}"
        )
    subsets = {
        "Machine A": machines["A"].predict(realisations),
        "Machine B": machines["B"].predict(realisations),
        "Machine A + local fit": refined["A"],
        "Machine B + local fit": refined["B"],
        "NPE": npe_draws[rng.choice(len(npe_draws), 200, replace=False)],
        **(
            {}
            if npe2_draws is None
            else {"NPE round 2": npe2_draws[np.random.default_rng(1).choice(2000, 200, False)]}
        ),
        "emcee": mcmc_draws[rng.choice(len(mcmc_draws), min(200, len(mcmc_draws)), False)],
        "re-weighted MCMC": reweighted,
    }
    chi2_sets = {k: chi2_of(v) for k, v in subsets.items()}
    best = min(float(c.min()) for c in chi2_sets.values())
    table4 = [
        {"method": k, **sigma_fractions(c, best, 10), "median dchi2": float(np.median(c) - best)}
        for k, c in chi2_sets.items()
    ]

    # --------------------------------------------------------------- compare
    comparison = compare_posteriors(
        mcmc_draws, npe_draws, param_names=PARAM_NAMES, labels=("emcee", "NPE"), random_state=0
    )
    timings["C2ST NPE vs emcee"] = comparison.c2st
    comparison2 = None
    if npe2_draws is not None:
        comparison2 = compare_posteriors(
            mcmc_draws, npe2_draws, param_names=PARAM_NAMES, labels=("emcee", "NPE round 2"),
            random_state=0,
        )  # fmt: skip
        timings["C2ST NPE round 2 vs emcee"] = comparison2.c2st

    # ------------------------------------------------------------------ tau
    machines["B"].refit_feedback(realisations[:100], simulate, max_rounds=0)
    feedback = machines["B"].feedback_history_[0]
    timings["Machine B feedback fraction (mean|tau|<0.1)"] = feedback["fraction"]

    # ---------------------------------------------------------------- figures
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.propagation import (
        plot_chi2_profiles,
        plot_corner,
        plot_predicted_spectra,
        plot_tau_histogram,
    )

    draws = {"emcee": mcmc_draws, "NPE": npe_draws}
    if npe2_draws is not None:
        draws["NPE round 2"] = npe2_draws
    fig = plot_corner(draws, param_names=PARAM_NAMES, truth=THETA_TRUE)
    fig.savefig(RESULTS / "inversion_corner.png", dpi=80)
    plt.close(fig)
    axes = plot_chi2_profiles(subsets, chi2_sets, param_names=PARAM_NAMES, bins=12)
    axes[0].figure.savefig(RESULTS / "inversion_chi2_profiles.png", dpi=80)
    plt.close(axes[0].figure)
    axes = plot_tau_histogram(machines["B"].feedback_history_, param_names=PARAM_NAMES)
    axes[0].figure.savefig(RESULTS / "inversion_tau.png", dpi=80)
    plt.close(axes[0].figure)
    predicted = simulate(subsets["Machine B"][:50])
    axes = plot_predicted_spectra(energy_grid(), x_clean.reshape(5, 84), predicted)
    axes[0].figure.savefig(RESULTS / "inversion_spectra.png", dpi=80)
    plt.close(axes[0].figure)

    notes = [
        f"Sizes: {sizes} (2-core shared machine, torch {args.threads} thread(s); the paper "
        "used ~2e5 GALPROP spectra and far longer training). Simulator: crsbi Galactic "
        "propagation model, "
        "84-bin LIS fluxes (phi = 0). emcee walkers start at 24 NPE draws (a cheap way "
        "into the narrow likelihood; a short chain, see 'converged'). NPE embedding: "
        f"{args.embedding}. Re-weighted MCMC: emcee on an older realisation of the mock with "
        f"errors {SIGMA_OLD}, importance-weighted to the new data, 200 resampled draws.",
        "",
        "## Efficiency (Table 4 form)",
        "",
        _markdown(table4),
        "",
        "## NPE vs emcee on the mock",
        "",
        _markdown([{"quantity": k, "value": v} for k, v in timings.items()]),
        "",
        comparison.to_markdown(),
        "",
        *([] if comparison2 is None else [comparison2.to_markdown(), ""]),
        f"## NPE calibration on {n_cal} held-out simulations",
        "",
        calibration.to_markdown(),
        "",
        *(
            []
            if npe2 is None
            else [
                f"## NPE round 2 calibration on {n_cal} simulations from the box",
                "",
                calibration2.to_markdown(),
                "",
            ]
        ),
        "Figures: inversion_corner.png, inversion_chi2_profiles.png, inversion_tau.png, "
        "inversion_spectra.png.",
    ]
    write_report("inversion", table3, notes="\n".join(notes), results=RESULTS)
    print("\n".join(notes))


def _markdown(rows: list[dict]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    main()
