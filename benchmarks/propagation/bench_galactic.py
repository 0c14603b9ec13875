"""Galactic propagation simulator: speed per parameter set and best fits to AMS-02 data.

1. CPU time per parameter set (one core, random points of the prior box) against the
   issue's 50 ms floor, with a 3x finer energy grid as the in-run baseline.
2. Best fit of AMS-02 B/C (rigidity, 67 points; 10 parameters + phi free) by bounded
   Powell from a few starts: chi^2 per point (target <= 1.5).
3. Joint fit of the AMS-02 Li, Be, B, C, O fluxes (rigidity; + phi, q_C, q_O, xi_Li,
   xi_Be free): chi^2 per point.
4. Figure of the best-fit spectra and ratios with the data.

Errors are stat (+) sys in quadrature without correlations, so chi^2 per point below 1
is expected for a good model (AMS-02 systematics are largely bin-to-bin correlated).

Run: ``python benchmarks/propagation/bench_galactic.py [--restarts 3] [--max-evals 3000]
[--skip-joint] [--with-voyager]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _report import results_dir, write_report
from scipy.optimize import minimize

from crsbi.propagation import (
    PARAM_NAMES,
    PRIOR_BOUNDS,
    SpectraLikelihood,
    load_ams02,
    load_voyager1,
    plot_spectra,
    plot_spectrum,
    simulate_galactic,
)

RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/

START = np.array([4.0, 0.45, 0.0, 25.0, 5.0, 1.0, 2.35, 2.25, 3.5, 5.5])
NUISANCE_START = {"phi": 0.7, "q_C": 1.0, "q_O": 1.0, "xi_Li": 1.0, "xi_Be": 1.0}


def time_per_set(n: int, rng: np.random.Generator, **config) -> float:
    low = np.array([PRIOR_BOUNDS[p][0] for p in PARAM_NAMES])
    high = np.array([PRIOR_BOUNDS[p][1] for p in PARAM_NAMES])
    thetas = rng.uniform(low, high, size=(n, 10))
    simulate_galactic(thetas[0], **config)  # build the cached tables
    times = []
    for theta in thetas:
        start = time.process_time()
        simulate_galactic(theta, phi=0.7, **config)
        times.append(time.process_time() - start)
    return float(np.median(times))


def fit(
    like: SpectraLikelihood,
    restarts: int,
    max_evals: int,
    rng: np.random.Generator,
    first: np.ndarray = START,
):
    scale = like.high - like.low
    start = np.r_[first, [NUISANCE_START[n] for n in like.free]]

    def objective(u):
        return like.chi2(like.low + np.clip(u, 0, 1) * scale)

    best = None
    history = []
    t0 = time.perf_counter()
    for r in range(restarts):
        u0 = (start - like.low) / scale if r == 0 else rng.uniform(0.15, 0.85, start.size)
        res = minimize(
            objective,
            u0,
            method="Powell",
            bounds=[(0, 1)] * start.size,
            options={"maxfev": max_evals, "xtol": 1e-4, "ftol": 1e-7},
        )
        # One restart of Powell from its own optimum (fresh directions) escapes the
        # narrow valleys it often stalls in.
        res = minimize(
            objective,
            res.x,
            method="Powell",
            bounds=[(0, 1)] * start.size,
            options={"maxfev": max_evals, "xtol": 1e-4, "ftol": 1e-7},
        )
        history.append(float(res.fun))
        if best is None or res.fun < best.fun:
            best = res
    wall = time.perf_counter() - t0
    theta = like.low + best.x * scale
    return theta, float(best.fun), history, wall


def _spectra(theta: np.ndarray):
    extra = dict(zip(NUISANCE_NAMES, theta[10:], strict=True))
    phi = extra.pop("phi")
    return simulate_galactic(theta[:10], phi=phi, **extra), extra


NUISANCE_NAMES = ("phi", "q_C", "q_O", "xi_Li", "xi_Be")


def joint_fit(data, task, first, restarts, max_evals, rng):
    like = SpectraLikelihood(data, free=NUISANCE_NAMES)
    theta, chi2, hist, wall = fit(like, restarts, max_evals, rng, first)
    model = like.predict(theta)
    per, offset = [], 0
    for m in data:
        resid = (m.y - model[offset : offset + len(m)]) / m.error
        per.append(f"{m.experiment} {m.quantity} {np.mean(resid**2):.2f}")
        offset += len(m)
    n = like.observed.size
    row = {
        "task": task,
        "value": chi2 / n,
        "unit": "chi2/point",
        "target": "-",
        "notes": f"chi2 {chi2:.1f} / {n} points, {like.low.size} free; per data set "
        f"{', '.join(per)}; restarts {np.round(hist, 1)}; {wall:.0f} s",
        "theta": dict(zip(like.names, np.round(theta, 4).tolist(), strict=True)),
    }
    return theta, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-timing", type=int, default=50)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--max-evals", type=int, default=3000)
    parser.add_argument("--skip-joint", action="store_true")
    parser.add_argument(
        "--with-voyager", action="store_true", help="also fit AMS-02 fluxes and Voyager 1 together"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []

    t_default = time_per_set(args.n_timing, rng)
    t_fine = time_per_set(max(5, args.n_timing // 5), rng, n_sub=24, pad=96)
    rows.append(
        {
            "task": "time per parameter set (CPU, 1 core)",
            "value": t_default * 1e3,
            "unit": "ms",
            "target": "<= 50",
            "notes": "default grid (8 points per bin)",
        }
    )
    rows.append(
        {
            "task": "time per parameter set, 3x finer grid",
            "value": t_fine * 1e3,
            "unit": "ms",
            "target": "-",
            "notes": "baseline in the same run",
        }
    )

    bc = load_ams02("B/C")
    like_bc = SpectraLikelihood([bc], free=("phi",))
    theta_bc, chi2_bc, hist_bc, wall_bc = fit(like_bc, args.restarts, args.max_evals, rng)
    n_bc = len(bc)
    rows.append(
        {
            "task": "AMS-02 B/C best fit",
            "value": chi2_bc / n_bc,
            "unit": "chi2/point",
            "target": "<= 1.5",
            "notes": f"chi2 {chi2_bc:.1f} / {n_bc} points, {like_bc.low.size} free, "
            f"dof {n_bc - like_bc.low.size}; restarts {np.round(hist_bc, 1)}; "
            f"{wall_bc:.0f} s",
        }
    )
    fits = {"B/C": dict(zip(like_bc.names, np.round(theta_bc, 4).tolist(), strict=True))}

    figure_data = [bc]
    spectra = simulate_galactic(theta_bc[:10], phi=theta_bc[10])
    voyager = [load_voyager1(el) for el in ("Li", "Be", "B", "C", "O")]
    models = {}
    if not args.skip_joint:
        fluxes = [load_ams02(q) for q in ("Li", "Be", "B", "C", "O")]
        # First start: propagation parameters of the B/C fit, source parameters of START.
        first = np.r_[theta_bc[:5], START[5:]]
        theta_all, row = joint_fit(
            fluxes, "AMS-02 Li+Be+B+C+O fluxes joint fit", first, args.restarts, args.max_evals, rng
        )
        rows.append(row)
        fits["joint"] = row.pop("theta")
        spectra, extra = _spectra(theta_all)
        models["AMS-02 fit"] = spectra
        figure_data = [*fluxes, bc]
        like_check = SpectraLikelihood([bc], phi=spectra.phi, **extra)
        rows.append(
            {
                "task": "B/C chi2 at the joint best fit",
                "value": like_check.chi2(theta_all[:10]) / n_bc,
                "unit": "chi2/point",
                "target": "-",
                "notes": "not fitted to B/C directly",
            }
        )
        if args.with_voyager:
            theta_v, row = joint_fit(
                [*fluxes, *voyager],
                "AMS-02 fluxes + Voyager 1 joint fit",
                theta_all[:10],
                max(1, args.restarts - 1),
                args.max_evals,
                rng,
            )
            rows.append(row)
            fits["joint+Voyager"] = row.pop("theta")
            models["AMS-02 + Voyager fit"], _ = _spectra(theta_v)

    fig = plot_spectra(spectra, figure_data, n_cols=3)
    fig.savefig(RESULTS / "bench_galactic_spectra.png", dpi=110)
    if models:
        fig, axes = plt.subplots(1, 5, figsize=(19, 3.4))
        for ax, m in zip(axes, voyager, strict=True):
            for k, (label, model) in enumerate(models.items()):
                plot_spectrum(model, m, power=0.0, ax=ax, label=label, color=f"C{k}")
        fig.tight_layout()
        fig.savefig(RESULTS / "bench_galactic_voyager.png", dpi=90)
    notes = (
        "CPU times by `time.process_time` (median over random prior points, phi = 0.7) on the "
        "shared 2-core development machine under load from other jobs.\n\n"
        f"Best-fit parameters: {fits}\n\n"
        "Errors: stat and sys added in quadrature, no correlations. Bounded Powell in the "
        f"unit cube, {args.restarts} starts (the first at a hand-picked point), each "
        f"followed by one Powell restart from its optimum, at most {args.max_evals} "
        "evaluations per Powell run.\n\n"
        "Figures: `bench_galactic_spectra.png` (AMS-02 fluxes x R^2.7 and B/C with the joint "
        "best fit, or the B/C fit with --skip-joint), `bench_galactic_voyager.png` (Voyager 1 "
        "LIS with the unmodulated joint-fit models)."
    )
    write_report("bench_galactic", rows, notes=notes, results=RESULTS)


if __name__ == "__main__":
    main()
