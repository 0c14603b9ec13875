r"""NPE against emcee on the AMS-02 B/C ratio: the same likelihood, two routes to a posterior.

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

With ``--model break`` the diffusion coefficient has the high-rigidity break of
``simulate_galactic`` (``D_xx ~ R^(delta - break_delta)`` above ``break_rigidity``), and
both break parameters are free too (8 in all): ``SpectraLikelihood`` with the break
parameters freed as nuisances after ``phi`` (the same fit as ``model="break"``, see its
docstring). Both routes see ``log10_break_rigidity``: the prior of both is uniform in
``log10 R_b`` over ``BREAK_BOUNDS`` (50 - 2000 GV) and in ``break_delta``, so the C2ST
compares two answers to one question. Results go to ``inversion_ams02_break.*``.

``--features pca`` feeds the NPE a linear compression of the data instead of the raw
B/C: the data whitened by the error covariance and projected on the principal
components of the noise-free model outputs of the training set, keeping the components
until the variance left out is below ``--pca-tol`` (in chi^2 units). With a Gaussian
likelihood that projection is a sufficient statistic as long as the model stays in the
kept subspace; and it drops the directions in which the AMS-02 B/C is far less noisy
than the error model says (the best fit has chi^2 ~ 16 - 26 for 67 points, a
realisation the raw-data NPE hardly ever sees in training).

emcee convergence is reported with the rank-normalised split R-hat (largest over the
parameters) and the bulk ESS (smallest) of ``arviz``; with ``--mcmc-max-steps`` above
``--mcmc-steps`` the chain is extended in blocks until R-hat < 1.01 and ESS > 400.

Reported: C2ST between the sample sets, marginals, wall times of both routes (the NPE
time includes simulating its training set). Simulations and the emcee chain are cached
in ``benchmarks/.cache/`` (git-ignored).

Usage::

    python benchmarks/propagation/bench_inversion_ams02.py                # 20000 simulations
    python benchmarks/propagation/bench_inversion_ams02.py --n-train 50000 --mcmc-steps 3000
    python benchmarks/propagation/bench_inversion_ams02.py --n-train 30000 --n-round2 20000
    # broken diffusion, 8 free parameters; the emcee chain (cached) on one core, the NPE
    # run side by side on the other (it waits for the chain at the end; alone it runs it)
    python benchmarks/propagation/bench_inversion_ams02.py --model break --mcmc-only \
        --mcmc-walkers 24 --mcmc-steps 8000 --mcmc-max-steps 30000
    python benchmarks/propagation/bench_inversion_ams02.py --model break --features pca \
        --n-train 30000 --n-round2 50000 --npe-ensemble 3 --npe-ensemble2 5 \
        --npe-epochs 300 --patience 20 --n-jobs 2 --mcmc-walkers 24 --mcmc-steps 8000 \
        --mcmc-max-steps 30000
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
from scipy.linalg import solve_triangular

from crsbi import MCMCPosterior, PosteriorEstimator, run_calibration
from crsbi.inference import compare_posteriors, edge_fraction, posterior_box
from crsbi.propagation import (
    BREAK_BOUNDS,
    PARAM_NAMES,
    PRIOR_BOUNDS,
    SpectraLikelihood,
    load_ams02,
)

CACHE = CACHE_DIR
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/
PHI_BOUNDS = (0.2, 1.2)
PROPAGATION = ("D0", "delta", "eta", "v_A", "z_h")
RHAT_MAX, ESS_MIN = 1.01, 400


def free_parameters(model: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Names and prior box of the free parameters (uniform in these units, both routes)."""
    bounds = {**{n: PRIOR_BOUNDS[n] for n in PROPAGATION}, "phi": PHI_BOUNDS}
    if model == "break":
        bounds["log10_break_rigidity"] = tuple(np.log10(BREAK_BOUNDS["break_rigidity"]))
        bounds["break_delta"] = BREAK_BOUNDS["break_delta"]
    low, high = np.array(list(bounds.values())).T
    return tuple(bounds), low, high


def _best_fit_sources() -> np.ndarray:
    """The 10 galactic parameters of the B/C best fit (bench_galactic.json)."""
    path = RESULTS / "bench_galactic.json"
    notes = json.loads(path.read_text())["notes"]
    text = notes.split("Best-fit parameters: ")[1].split("\n")[0]
    import ast

    best = ast.literal_eval(text)["B/C"]
    return np.array([best[n] for n in PARAM_NAMES])


class BCLikelihood:
    """Gaussian log-likelihood of the free parameters given B/C (counts simulator calls).

    ``like`` has the 10 paper parameters followed by its nuisances (``phi``, and with the
    break model ``break_rigidity``, ``break_delta``): theta holds the five propagation
    parameters and the nuisances, ``log10_break_rigidity`` in place of the rigidity.
    """

    def __init__(self, like: SpectraLikelihood, base: np.ndarray, names: tuple[str, ...]):
        self.like = like
        self.base = base
        self.names = names
        self.calls = 0
        self.index = [PARAM_NAMES.index(n) for n in PROPAGATION]
        self.log_rigidity = (
            names.index("log10_break_rigidity") if "log10_break_rigidity" in names else None
        )

    def full(self, theta: np.ndarray) -> np.ndarray:
        head = self.base.copy()
        head[self.index] = theta[: len(PROPAGATION)]
        extra = np.array(theta[len(PROPAGATION) :], dtype=float)
        if self.log_rigidity is not None:
            i = self.log_rigidity - len(PROPAGATION)
            extra[i] = np.clip(10 ** extra[i], *BREAK_BOUNDS["break_rigidity"])
        return np.concatenate([head, extra])

    def predict(self, theta: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.like.predict(self.full(np.asarray(theta, dtype=float)))

    def __call__(self, theta: np.ndarray, x: np.ndarray) -> float:
        self.calls += 1
        return self.like(self.full(np.asarray(theta, dtype=float)), x)


class Features:
    """Map B/C data (n, n_points) to the NPE input.

    ``raw``: B/C in units of the measured value (sbi z-scores further). ``pca``: the data
    whitened by the error covariance, projected on the leading principal components of
    the noise-free model outputs ``clean`` (fitted once, on the training set); the
    components are kept until the variance left out is below ``tol`` (chi^2 units).
    """

    def __init__(
        self, kind: str, like: SpectraLikelihood, scale: np.ndarray, clean=None, tol: float = 0.01
    ) -> None:
        self.kind, self.like, self.scale = kind, like, scale
        self.n_components, self.left_out = len(scale), 0.0
        if kind == "pca":
            white = self._whiten(clean)
            self.mean = white.mean(axis=0)
            _, s, vt = np.linalg.svd(white - self.mean, full_matrices=False)
            variance = s**2 / len(white)
            tail = np.cumsum(variance[::-1])[::-1]  # variance left out from component k on
            self.n_components = int(np.argmax(np.append(tail, 0.0) < tol))
            self.left_out = float(np.append(tail, 0.0)[self.n_components])
            self.components = vt[: self.n_components]

    def _whiten(self, x: np.ndarray) -> np.ndarray:
        chol = self.like._cholesky
        if chol is None:
            return x / self.like.error
        return solve_triangular(chol, np.asarray(x).T, lower=True).T

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "raw":
            return x / self.scale
        return (self._whiten(x) - self.mean) @ self.components.T


def _predict_chunk(like: BCLikelihood, thetas: np.ndarray) -> np.ndarray:
    return np.array([like.predict(t) for t in thetas])


def simulate(like: BCLikelihood, thetas: np.ndarray, n_jobs: int) -> np.ndarray:
    """Noise-free B/C at the data points, shape (n, n_points)."""
    chunks = np.array_split(thetas, max(1, len(thetas) // 500))
    parts = Parallel(n_jobs=n_jobs)(delayed(_predict_chunk)(like, c) for c in chunks)
    return np.concatenate(parts)


def emcee_diagnostics(mcmc: MCMCPosterior) -> tuple[float, float]:
    """Largest rank-normalised split R-hat and smallest bulk ESS over the parameters."""
    import arviz

    idata = mcmc.inference_data_
    rhat = arviz.rhat(idata)
    ess = arviz.ess(idata, method="bulk")
    return (
        float(max(float(rhat[v]) for v in rhat.data_vars)),
        float(min(float(ess[v]) for v in ess.data_vars)),
    )


def reference_posterior(
    like: BCLikelihood, low: np.ndarray, high: np.ndarray, bc, args, tag: str
) -> tuple[np.ndarray, dict]:
    """emcee draws and their table rows, cached: every NPE run is compared to one chain.

    A run with ``--mcmc-only`` computes the chain alone (e.g. side by side with the NPE
    run, on the other core); a run that finds it under way waits for its cache.
    """
    walkers, names = args.mcmc_walkers, list(like.names)
    corr = "" if args.sys_corr is None else f"_corr{args.sys_corr:g}"
    cache = CACHE / (
        f"inversion_ams02_emcee{tag}{corr}_{walkers}x{args.mcmc_steps}-{args.mcmc_max_steps}"
        f"_seed{args.seed}.npz"
    )
    CACHE.mkdir(exist_ok=True)
    marker = cache.with_suffix(".running")
    while marker.exists() and not cache.exists() and not args.mcmc_only:
        time.sleep(30)  # the chain is being computed by a --mcmc-only run
    if cache.exists():
        data = np.load(cache)
        rows = json.loads(str(data["rows"]))
        return data["draws"], rows
    marker.write_text("running")
    rows = {}
    like.calls = 0
    start = time.perf_counter()
    mcmc = MCMCPosterior(
        like, low, high, param_names=names, n_walkers=walkers, max_steps=args.mcmc_steps,
        check_every=100, init="optimum", random_state=args.seed, verbose=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mcmc.run(bc.y)
    rhat, ess = emcee_diagnostics(mcmc)
    # extend in blocks of 1000 steps until R-hat and ESS pass, or --mcmc-max-steps
    while (rhat >= RHAT_MAX or ess <= ESS_MIN) and mcmc.n_steps_ + 1000 <= args.mcmc_max_steps:
        print(
            f"emcee {mcmc.n_steps_} steps: R-hat {rhat:.4f}, ESS {ess:.0f}; extending", flush=True
        )
        per_step = walkers / mcmc.thin_
        mcmc.sample(bc.y, len(mcmc.samples_) + int(per_step * (1000 - mcmc.thin_)))
        rhat, ess = emcee_diagnostics(mcmc)
    tau = mcmc.sampler_.get_autocorr_time(tol=0)  # on the whole chain, extension included
    rows["emcee wall time (1 core, optimum search included) [s]"] = time.perf_counter() - start
    rows["emcee simulator calls"] = like.calls
    rows["emcee steps x walkers (burn-in, thin)"] = (
        f"{mcmc.n_steps_} x {walkers} ({mcmc.burn_in_}, {mcmc.thin_})"
    )
    rows["emcee converged (50 tau, tau stable to 1 %)"] = bool(mcmc.converged_)
    rows["emcee max autocorrelation time [steps]"] = float(np.max(tau))
    rows["emcee steps / max tau"] = float(mcmc.n_steps_ / np.max(tau))
    rows["emcee independent samples (~ walkers x kept steps / tau)"] = int(
        walkers * (mcmc.n_steps_ - mcmc.burn_in_) / np.max(tau)
    )
    rows["emcee split R-hat (rank-normalised, max over parameters)"] = rhat
    rows["emcee bulk ESS (arviz, min over parameters)"] = ess
    rows[f"emcee R-hat < {RHAT_MAX} and ESS > {ESS_MIN}"] = (
        "yes" if rhat < RHAT_MAX and ess > ESS_MIN else "no"
    )
    draws = mcmc.samples_
    chi2_best = like.like.chi2(like.full(draws[np.argmax(mcmc.log_prob(draws, bc.y))]))
    rows["chi2 at best emcee draw / points"] = f"{chi2_best:.1f} / {len(bc)}"
    np.savez(cache, draws=draws, rows=json.dumps(rows))
    marker.unlink()
    return draws, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        choices=("paper", "break"),
        default="paper",
        help="diffusion model: one power law, or with the high-rigidity break",
    )
    parser.add_argument(
        "--features",
        choices=("raw", "pca"),
        default="raw",
        help="NPE input: B/C / measured, or the whitened PCA compression",
    )
    parser.add_argument(
        "--pca-tol",
        type=float,
        default=0.01,
        help="variance [chi^2 units] the PCA compression may leave out",
    )
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-cal", type=int, default=300)
    parser.add_argument("--mcmc-steps", type=int, default=1500)
    parser.add_argument("--mcmc-walkers", type=int, default=24)
    parser.add_argument(
        "--mcmc-max-steps", type=int, default=0,
        help="extend the chain up to this many steps until R-hat < 1.01 and ESS > 400",
    )  # fmt: skip
    parser.add_argument(
        "--mcmc-only", action="store_true", help="compute (and cache) the emcee chain only"
    )
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
    parser.add_argument(
        "--npe-ensemble2", type=int, default=None,
        help="flows of the truncated round (default: --npe-ensemble)",
    )  # fmt: skip
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    free, low, high = free_parameters(args.model)
    n_free, names = len(free), list(free)
    bc = load_ams02("B/C")
    base = _best_fit_sources()
    nuisances = ("phi",) + (("break_rigidity", "break_delta") if args.model == "break" else ())
    like = BCLikelihood(
        SpectraLikelihood([bc], free=nuisances, sys_correlation_length=args.sys_corr),
        base,
        free,
    )
    rows = {}
    tag = "" if args.model == "paper" else f"_{args.model}"
    if args.mcmc_only:
        _, emcee_rows = reference_posterior(like, low, high, bc, args, tag)
        print(json.dumps(emcee_rows, indent=1))
        return
    name = (
        "inversion_ams02"
        + tag
        + ("" if args.features == "raw" or args.model == "break" else f"_{args.features}")
        + ("" if args.sys_corr is None else f"_corr{args.sys_corr:g}")
    )

    # --------------------------------------------------------------- simulations
    n_total = args.n_train + args.n_cal
    CACHE.mkdir(exist_ok=True)
    cache = CACHE / f"inversion_ams02_bc{tag}_{n_total}_seed{args.seed}.npz"
    start = time.perf_counter()
    if cache.exists():
        data = np.load(cache)
        theta, clean, sim_time = data["theta"], data["clean"], float(data["seconds"])
    else:
        theta = rng.uniform(low, high, size=(n_total, n_free))
        clean = simulate(like, theta, args.n_jobs)
        sim_time = time.perf_counter() - start
        np.savez(cache, theta=theta, clean=clean, seconds=sim_time)
    noise_rng = np.random.default_rng(args.seed + 1)
    x = clean + like.like.sample_noise(len(clean), noise_rng)
    finite = np.all(np.isfinite(x), axis=1)
    theta, x, clean = theta[finite], x[finite], clean[finite]
    rows["simulate NPE set (n_jobs CPU workers) [s]"] = sim_time
    rows["simulations (train + calibration)"] = len(theta)

    # ----------------------------------------------------------------------- NPE
    scale = bc.y
    features = Features(args.features, like.like, scale, clean[: -args.n_cal], args.pca_tol)
    if args.features == "pca":
        rows["round 1: PCA components kept (variance left out, chi^2)"] = (
            f"{features.n_components} ({features.left_out:.3g})"
        )
    theta_cal, x_cal = theta[-args.n_cal :], features(x[-args.n_cal :])
    theta_train, x_train = theta[: -args.n_cal], features(x[: -args.n_cal])
    x_obs = features(bc.y[None, :])[0]
    start = time.perf_counter()
    npe = PosteriorEstimator(
        prior_low=low, prior_high=high, hidden_features=64, num_transforms=5,
        learning_rate=args.lr, batch_size=256, patience=args.patience,
        max_epochs=args.npe_epochs, n_ensemble=args.npe_ensemble,
        param_names=names, random_state=args.seed, verbose=0,
    ).fit(x_train, theta_train)  # fmt: skip
    rows["train NPE [s]"] = time.perf_counter() - start
    rows["NPE flows (mixture members) per round"] = args.npe_ensemble
    rows["NPE epochs (best), first flow"] = f"{npe.n_iter_} ({npe.best_epoch_})"
    start = time.perf_counter()
    npe_draws = npe.sample(x_obs, 4000, random_state=1)
    rows["NPE sampling 4000 draws [s]"] = time.perf_counter() - start
    rows["NPE wall time to a posterior incl. simulations [s]"] = (
        sim_time + rows["train NPE [s]"] + rows["NPE sampling 4000 draws [s]"]
    )
    calibration = run_calibration(
        npe, theta_cal, x_cal, n_posterior_samples=500, c2st=False, param_names=names,
        random_state=0,
    )  # fmt: skip
    rows["NPE calibrated (SBC/TARP/HPD, alpha=0.01)"] = bool(calibration.is_calibrated(0.01))
    rows["NPE TARP ATC"] = float(calibration.tarp_atc)
    estimators = [("round 1", npe, features)]

    # ------------------------------------------------- truncated second round
    npe2, npe2_draws = None, None
    if args.n_round2:
        box_low, box_high = posterior_box(npe_draws, low, high, margin=0.5)
        rows["round 2: box volume / prior volume"] = float(
            np.prod((box_high - box_low) / (high - low))
        )
        rows["round 2: box"] = str(
            {
                n: (round(a, 3), round(b, 3))
                for n, a, b in zip(names, box_low, box_high, strict=True)
            }
        )
        rng2 = np.random.default_rng(args.seed + 100)
        theta2 = rng2.uniform(box_low, box_high, size=(args.n_round2 + args.n_cal, n_free))
        cache2 = CACHE / f"inversion_ams02_bc{tag}_round2_{len(theta2)}_seed{args.seed}.npz"
        start = time.perf_counter()
        data = np.load(cache2) if cache2.exists() else None
        if data is not None and np.array_equal(data["theta"], theta2):
            clean2, sim2 = data["clean"], float(data["seconds"])
        else:
            clean2 = simulate(like, theta2, args.n_jobs)
            sim2 = time.perf_counter() - start
            np.savez(cache2, theta=theta2, clean=clean2, seconds=sim2)
        raw2 = clean2 + like.like.sample_noise(len(clean2), rng2)
        finite = np.all(np.isfinite(raw2), axis=1)
        theta2, raw2, clean2 = theta2[finite], raw2[finite], clean2[finite]
        features2 = Features(args.features, like.like, scale, clean2[args.n_cal :], args.pca_tol)
        if args.features == "pca":
            rows["round 2: PCA components kept (variance left out, chi^2)"] = (
                f"{features2.n_components} ({features2.left_out:.3g})"
            )
        x2 = features2(raw2)
        ensemble2 = args.npe_ensemble if args.npe_ensemble2 is None else args.npe_ensemble2
        rows["round 2: NPE flows (mixture members)"] = ensemble2
        start = time.perf_counter()
        npe2 = PosteriorEstimator(
            prior_low=box_low, prior_high=box_high, hidden_features=64, num_transforms=5,
            learning_rate=args.lr, batch_size=256, patience=args.patience,
            max_epochs=args.npe_epochs, n_ensemble=ensemble2, param_names=names,
            random_state=args.seed, verbose=0,
        ).fit(x2[args.n_cal :], theta2[args.n_cal :])  # fmt: skip
        rows["round 2: simulate [s]"] = sim2
        rows["round 2: train NPE [s]"] = time.perf_counter() - start
        rows["round 2: NPE epochs (best), first flow"] = f"{npe2.n_iter_} ({npe2.best_epoch_})"
        x2_obs = features2(bc.y[None, :])[0]
        npe2_draws = npe2.sample(x2_obs, 4000, random_state=1)
        rows["round 2: NPE wall time to a posterior, both rounds [s]"] = (
            rows["NPE wall time to a posterior incl. simulations [s]"]
            + sim2 + rows["round 2: train NPE [s]"]
        )  # fmt: skip
        edge = edge_fraction(npe2_draws, box_low, box_high, prior_low=low, prior_high=high)
        rows["round 2: largest edge fraction (2 % layer)"] = float(edge.max())
        calibration2 = run_calibration(
            npe2, theta2[: args.n_cal], x2[: args.n_cal], n_posterior_samples=500, c2st=False,
            param_names=names, random_state=0,
        )  # fmt: skip
        rows["round 2: NPE calibrated in the box (alpha=0.01)"] = bool(
            calibration2.is_calibrated(0.01)
        )
        rows["round 2: NPE TARP ATC"] = float(calibration2.tarp_atc)
        estimators.append(("round 2", npe2, features2))

    # --------------------------------------------------------------------- emcee
    mcmc_draws, emcee_rows = reference_posterior(like, low, high, bc, args, tag)
    rows.update(emcee_rows)

    comparison = compare_posteriors(
        mcmc_draws, npe_draws, param_names=names, labels=("emcee", "NPE"), random_state=0
    )
    rows["C2ST NPE vs emcee (0.5 = identical)"] = float(comparison.c2st)
    comparison2 = None
    if npe2_draws is not None:
        comparison2 = compare_posteriors(
            mcmc_draws, npe2_draws, param_names=names, labels=("emcee", "NPE round 2"),
            random_state=0,
        )  # fmt: skip
        rows["C2ST NPE round 2 vs emcee"] = float(comparison2.c2st)
    best_c2st = min(comparison.c2st, np.inf if comparison2 is None else comparison2.c2st)
    rows["C2ST <= 0.65 (best round)"] = "yes" if best_c2st <= 0.65 else "no"

    # an arbiter that needs neither route to be right: NPE draws re-weighted by the exact
    # likelihood (importance sampling, proposal = the NPE posterior) estimate the true
    # posterior; its means say which route is off, its ESS how far the NPE is from it
    for label, estimator, feats in estimators:
        obs = feats(bc.y[None, :])[0]
        proposal = estimator.sample(obs, 4000, random_state=7)
        log_w = np.array([like(t, bc.y) for t in proposal])
        log_w -= estimator.log_prob(proposal, obs)
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        rows[f"{label}: importance-sampling ESS of 4000 NPE draws"] = float(1 / np.sum(w**2))
        means = dict(zip(names, (w @ proposal).round(3).tolist(), strict=True))
        rows[f"{label}: importance-weighted means"] = str(means)
    rows["emcee means"] = str(dict(zip(names, mcmc_draws.mean(0).round(3).tolist(), strict=True)))

    # ------------------------------------------------------------------- figure
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crsbi.propagation import plot_corner

    draws = {"emcee": mcmc_draws, "NPE": npe_draws}
    if npe2_draws is not None:
        draws["NPE round 2"] = npe2_draws
    fig = plot_corner(draws, param_names=names)
    fig.savefig(RESULTS / f"{name}_corner.png", dpi=80)
    plt.close(fig)

    table = [{"quantity": k, "value": v} for k, v in rows.items()]
    errors = (
        "stat and sys in quadrature"
        if args.sys_corr is None
        else f"stat, and sys correlated over {args.sys_corr:g} decades of rigidity"
    )
    command = " ".join(["python benchmarks/propagation/bench_inversion_ams02.py", *sys.argv[1:]])
    model = (
        "one power-law diffusion coefficient (model 'paper')"
        if args.model == "paper"
        else "diffusion coefficient with a high-rigidity break (model 'break', break "
        "smoothness 0.05; prior uniform in log10 R_b over "
        f"{BREAK_BOUNDS['break_rigidity']} GV and in break_delta over "
        f"{BREAK_BOUNDS['break_delta']}, for NPE and emcee alike)"
    )
    notes = [
        f"AMS-02 B/C ({len(bc)} rigidity points, {errors}), {model}, free: {free} "
        f"(prior box: galactic PRIOR_BOUNDS, phi in {PHI_BOUNDS} GV); source parameters fixed "
        "at the bench_galactic B/C best fit "
        f"({dict(zip(PARAM_NAMES[5:], base[5:].round(4).tolist(), strict=True))}). "
        f"NPE input: {args.features}"
        + (
            f" (whitened, projected on the principal components of the noise-free training "
            f"outputs, variance left out < {args.pca_tol:g} chi^2)"
            if args.features == "pca"
            else " (B/C / measured)"
        )
        + f". Command: `{command}`; shared 2-core machine, torch 1 thread, "
        f"{args.n_jobs} simulation workers for the NPE sets, emcee serial. emcee R-hat is "
        "arviz's rank-normalised split R-hat over the walkers (each walker one chain), ESS "
        "its bulk ESS, both on the post-burn-in thinned chain.",
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
