"""NPE against emcee on the AMS-02 B/C ratio: the same likelihood, two routes to a posterior.

Both routes answer one question: the posterior of the five propagation parameters
``D0, delta, eta, v_A, z_h`` and the force-field potential ``phi`` given the AMS-02 B/C
ratio (67 rigidity points), with the source parameters (``nu1..3``, breaks) fixed at the
B/C best fit of ``benchmarks/results/bench_galactic.json`` and independent Gaussian errors
``sigma = sqrt(stat^2 + sys^2)`` (:class:`crsbi.inference.spectra_likelihood.SpectraLikelihood`).

- **emcee** (:class:`crsbi.inference.MCMCPosterior`) on ``SpectraLikelihood`` directly:
  every step runs the simulator.
- **NPE** (:class:`crsbi.inference.PosteriorEstimator`, MAF, no embedding): trained on
  ``n_train`` simulations ``theta ~ prior``, ``x = B/C_model(theta) + sigma * N(0, 1)`` at
  the data points (exactly the generative model behind the Gaussian likelihood), then
  conditioned on the measured B/C. Its calibration is checked by SBC/TARP/HPD coverage on
  held-out simulations (:func:`crsbi.inference.run_calibration`).

Reported: C2ST between the two sample sets, marginals, wall times of both routes (the NPE
time includes simulating its training set). Simulations are cached in
``benchmarks/.cache/`` (git-ignored).

Usage::

    python benchmarks/bench_inversion_ams02.py                # 20000 simulations
    python benchmarks/bench_inversion_ams02.py --n-train 50000 --mcmc-steps 3000
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _report import RESULTS, write_report
from joblib import Parallel, delayed

from crsbi.datasets.spectra import load_ams02
from crsbi.inference.calibration import run_calibration
from crsbi.inference.compare import compare_posteriors
from crsbi.inference.mcmc import MCMCPosterior
from crsbi.inference.posterior import PosteriorEstimator
from crsbi.inference.spectra_likelihood import SpectraLikelihood
from crsbi.simulators.galactic import PARAM_NAMES, PRIOR_BOUNDS

CACHE = Path(__file__).parent / ".cache"
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
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    bc = load_ams02("B/C")
    base = _best_fit_sources()
    like = BCLikelihood(SpectraLikelihood([bc], free=("phi",)), base)
    sigma = like.like.error
    rows = {}

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
    x = clean + sigma * noise_rng.standard_normal(clean.shape)
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
        max_epochs=args.npe_epochs,
        param_names=list(FREE), random_state=args.seed, verbose=0,
    ).fit(x_train, theta_train)  # fmt: skip
    rows["train NPE [s]"] = time.perf_counter() - start
    rows["NPE epochs (best)"] = f"{npe.n_iter_} ({npe.best_epoch_})"
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

    # ------------------------------------------------------------------- figure
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.plotting._inversion import plot_corner

    fig = plot_corner({"emcee": mcmc_draws, "NPE": npe_draws}, param_names=list(FREE))
    fig.savefig(RESULTS / "inversion_ams02_corner.png", dpi=80)
    plt.close(fig)

    table = [{"quantity": k, "value": v} for k, v in rows.items()]
    notes = [
        f"AMS-02 B/C ({len(bc)} rigidity points, stat and sys in quadrature), free: {FREE} "
        f"(prior box: galactic PRIOR_BOUNDS, phi in {PHI_BOUNDS} GV); source parameters fixed "
        "at the bench_galactic B/C best fit "
        f"({dict(zip(PARAM_NAMES[5:], base[5:].round(4).tolist(), strict=True))}). "
        f"Command: `python benchmarks/bench_inversion_ams02.py --n-train {args.n_train} "
        f"--mcmc-steps {args.mcmc_steps} --npe-epochs {args.npe_epochs} --patience "
        f"{args.patience} --lr {args.lr}`; shared 2-core "
        "machine, torch 1 thread, "
        f"{args.n_jobs} simulation workers for the NPE set, emcee serial.",
        "",
        comparison.to_markdown(),
        "",
        f"## NPE calibration on {args.n_cal} held-out simulations",
        "",
        calibration.to_markdown(),
        "",
        "Figure: inversion_ams02_corner.png.",
    ]
    write_report("inversion_ams02", table, notes="\n".join(notes))
    print("\n".join(notes))


if __name__ == "__main__":
    Path(RESULTS).mkdir(exist_ok=True)
    main()
