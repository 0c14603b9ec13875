"""DiffusionSurrogate accuracy and speed on a test-particle database (Palade 2023 targets).

Builds (or resumes) a database of D_perp over Palade's box (T, b, lambda_perp) with
the numba test-particle simulator through a resumable campaign, trains a
DiffusionSurrogate ensemble on 90 % and reports on the 10 % hold-out:

- relative error (root second moment of the relative-error histogram; paper ~5 %),
  next to the label-noise floor of the simulations themselves (their standard errors);
- an error map over (b, lambda_perp), to see whether errors cluster;
- predictions per second against seconds per simulated coefficient.

Run: ``python benchmarks/particles/bench_surrogate.py [--n-simulations 2000] [--n-particles 2000]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _report import CACHE_DIR, results_dir, write_report

from crsbi.core import plot_predicted_vs_simulated
from crsbi.particles import (
    DiffusionSurrogate,
    plot_surrogate_slice,
    relative_error,
    simulate_diffusion,
)
from crsbi.particles.diffusion_dataset import DiffusionDatabase, make_diffusion_database

CACHE = CACHE_DIR
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/


#: Columns of a DiffusionDatabase concatenated over its seeded campaigns.
DATABASE_FIELDS = (
    "X",
    "d_perp",
    "d_par",
    "d_perp_err",
    "exponent_perp",
    "analytic",
    "change_perp",
    "n_steps_run",
)


def build_database(
    tag: str, n_simulations: int, seeds, *, n_jobs: int, verbose: int = 1, **config
) -> DiffusionDatabase:
    """The campaigns of ``seeds`` (built or resumed under ``CACHE / tag``), concatenated.

    Also used by ``benchmarks/pretrained/build_diffusion_surrogate.py``.
    """
    parts = [
        make_diffusion_database(
            CACHE / (tag if seed == 0 else f"{tag}_seed{seed}"),
            n_simulations,
            n_jobs=n_jobs,
            random_state=seed,
            verbose=verbose,
            **config,
        )
        for seed in seeds
    ]
    return DiffusionDatabase(
        **{
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in DATABASE_FIELDS
        },
        config=parts[0].config,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-simulations", type=int, default=2000)
    parser.add_argument("--n-particles", type=int, default=2000)
    parser.add_argument("--n-waves", type=int, default=200)
    parser.add_argument("--n-steps", type=int, default=1000)
    parser.add_argument("--n-estimators", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument(
        "--max-steps-factor",
        type=int,
        default=8,
        help="runs are doubled until D_perp converges, up to this x n_steps (1: fixed length)",
    )
    parser.add_argument("--tag", default="", help="suffix of the report name")
    parser.add_argument(
        "--backend",
        default="numba",
        choices=["numba", "numba-fast", "numba-f32"],
        help="simulate_diffusion kernel of the database (numba-f32: ~3x faster)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1],
        help="one campaign of --n-simulations per seed; the databases are concatenated",
    )
    args = parser.parse_args()
    config = {
        "n_particles": args.n_particles,
        "n_waves": args.n_waves,
        "n_steps": args.n_steps,
        "max_steps": args.max_steps_factor * args.n_steps if args.max_steps_factor > 1 else None,
        "backend": args.backend,
    }
    tag = (
        f"logdb_{args.n_simulations}_{args.n_particles}_{args.n_waves}_{args.n_steps}"
        f"_x{args.max_steps_factor}" + ("" if args.backend == "numba" else f"_{args.backend}")
    )
    start = time.perf_counter()
    db = build_database(tag, args.n_simulations, args.seeds, n_jobs=args.n_jobs, **config)
    build_s = time.perf_counter() - start

    # seconds per simulated coefficient at the database settings, measured now
    theta = (1.0, 0.5, 1.0)
    simulate_diffusion(*theta, n_particles=50, n_waves=20, n_steps=20, random_state=0)
    t0 = time.perf_counter()
    simulate_diffusion(
        *theta, random_state=1, displacement="guiding_centre", converge_on="perp", **config
    )
    sim_s = time.perf_counter() - t0
    # label convergence: how much each label still drifts per doubling of its run
    simulated_all = ~db.analytic
    drift = np.abs(db.change_perp[simulated_all])
    runs = db.n_steps_run[simulated_all]
    mean_steps = float(runs.mean())

    rng = np.random.default_rng(0)
    order = rng.permutation(len(db.X))
    n_test = len(order) // 10
    test, train = order[:n_test], order[n_test:]
    y = db.d_perp
    model = DiffusionSurrogate(
        hidden_sizes=(64, 64),
        n_estimators=args.n_estimators,
        log_features=[0, 2],
        target_prefactor=(1, 2),  # D_perp = b^2 g(T, b, lambda): exact at b = 0
        lr=2e-3,
        batch_size=64,
        max_epochs=800,
        patience=40,
        random_state=0,
        verbose=0,
        device="cpu",
    )
    t0 = time.perf_counter()
    model.fit(db.X[train], y[train])
    fit_s = time.perf_counter() - t0
    pred = model.predict(db.X[test])
    simulated = ~db.analytic[test]
    rel = relative_error(y[test], pred)
    diffusive = db.diffusive()[test] & simulated
    rel_diffusive = relative_error(y[test][diffusive], pred[diffusive])
    noise = float(np.sqrt(np.mean((db.d_perp_err[test][simulated] / y[test][simulated]) ** 2)))
    model_only = float(np.sqrt(max(rel**2 - noise**2, 0.0)))
    converged_rows = db.converged()[test] & simulated
    rel_converged = relative_error(y[test][converged_rows], pred[converged_rows])
    zero_rows = ~simulated
    zero_abs = float(np.max(np.abs(pred[zero_rows]))) if zero_rows.any() else float("nan")

    # prediction speed, large batches
    X_big = rng.uniform([0.01, 0.0, 0.2], [10, 1, 20], size=(1_000_000, 3))
    model.predict(X_big[:1000])
    t0 = time.perf_counter()
    model.predict(X_big)
    predict_s = time.perf_counter() - t0
    per_second = len(X_big) / predict_s
    single = copy.copy(model)
    single.estimators_ = model.estimators_[:1]
    t0 = time.perf_counter()
    single.predict(X_big)
    per_second_single = len(X_big) / (time.perf_counter() - t0)
    speedup = sim_s / (1.0 / per_second)
    paper_sim_s = _paper_seconds()

    # error map over (b, lambda_perp)
    ratio = (pred[simulated] - y[test][simulated]) / y[test][simulated]
    b_edges = np.linspace(0, 1, 5)
    l_edges = np.geomspace(0.2, 20, 5)
    Xs = db.X[test][simulated]
    grid = np.full((4, 4), np.inf)
    for i in range(4):
        for j in range(4):
            inside = (
                (Xs[:, 1] >= b_edges[i])
                & (Xs[:, 1] < b_edges[i + 1])
                & (Xs[:, 2] >= l_edges[j])
                & (Xs[:, 2] < l_edges[j + 1])
            )
            grid[i, j] = np.sqrt(np.mean(ratio[inside] ** 2)) if inside.sum() >= 3 else np.nan
    _figures(db, model, y[test], pred, b_edges, l_edges, grid, config, args.tag)
    inference = _inference(model, args.tag)

    rows = [
        {
            "quantity": "simulations in database (+ analytic b=0 rows)",
            "value": f"{int((~db.analytic).sum())} (+{int(db.analytic.sum())})",
        },
        {"quantity": "simulator settings", "value": json.dumps(config)},
        {
            "quantity": "campaign seeds (one database of n_simulations each)",
            "value": " ".join(map(str, args.seeds)),
        },
        {"quantity": "database build time [s] (~0 if resumed)", "value": round(build_s, 1)},
        {"quantity": "hold-out relative error (all rows)", "value": round(rel, 4)},
        {"quantity": "hold-out relative error (diffusive rows)", "value": round(rel_diffusive, 4)},
        {
            "quantity": "hold-out relative error (rows with |change per doubling| <= 3 %)",
            "value": round(rel_converged, 4),
        },
        {"quantity": "label noise of the simulations (rms D_err/D)", "value": round(noise, 4)},
        {
            "quantity": "labels converged (|change of D_perp per doubling| <= 3 %)",
            "value": f"{np.mean(drift <= 0.03):.3f}",
        },
        {
            "quantity": "label drift: median, 90th percentile |change per doubling|",
            "value": f"{np.median(drift):.3f}, {np.quantile(drift, 0.9):.3f}",
        },
        {
            "quantity": "steps per run: mean (fractions at 1x, 2x, 4x, 8x n_steps)",
            "value": f"{mean_steps:.0f} ("
            + ", ".join(f"{np.mean(runs == f * args.n_steps):.2f}" for f in (1, 2, 4, 8))
            + ")",
        },
        {"quantity": "model error with label noise removed", "value": round(model_only, 4)},
        {"quantity": "max |prediction| at b=0 (truth 0)", "value": f"{zero_abs:.2e}"},
        {"quantity": "hold-out R^2", "value": round(model.score(db.X[test], y[test]), 4)},
        {
            "quantity": "worst (b, lambda_perp) bin relative error",
            "value": round(float(np.nanmax(grid)), 4),
        },
        {
            "quantity": "best (b, lambda_perp) bin relative error",
            "value": round(float(np.nanmin(grid)), 4),
        },
        {"quantity": "training time [s]", "value": round(fit_s, 1)},
        {
            "quantity": f"predictions per second, {args.n_estimators}-member ensemble (batch 1e6)",
            "value": f"{per_second:.3g}",
        },
        {
            "quantity": "predictions per second, one member (batch 1e6)",
            "value": f"{per_second_single:.3g}",
        },
        {
            "quantity": "simulator seconds per D_perp at database settings (theta = 1, 0.5, 1)",
            "value": round(sim_s, 3),
        },
        {"quantity": "speed-up over the simulator (database settings)", "value": f"{speedup:.3g}"},
        {
            "quantity": "simulator seconds per D_perp at paper settings (bench_particles)",
            "value": paper_sim_s,
        },
        {
            "quantity": "speed-up over the simulator (paper settings)",
            "value": (
                f"{paper_sim_s * per_second:.3g}" if isinstance(paper_sim_s, float) else "n/a"
            ),
        },
    ]
    rows += inference
    write_report(
        "bench_surrogate" + args.tag,
        rows,
        notes=(
            f"DiffusionSurrogate, {args.n_estimators}-member ensemble of MLP(3->64->64->1, tanh), "
            "inputs log10(T), b, log10(lambda_perp); target log(D / b^2). 10% hold-out. "
            "The simulated labels carry their own Monte Carlo error (row 'label noise'); the "
            "relative error against them cannot fall below it. "
            + (
                "Labels are converged runs: each simulation is doubled until D_perp changes "
                "by <= 3 % (+ 2 standard errors of the change) per doubling, up to "
                f"{args.max_steps_factor} x n_steps. "
                if args.max_steps_factor > 1
                else f"Labels are fixed-length runs of {args.n_steps} steps (kernel "
                f"{args.backend}). "
            )
            + "Figures: "
            f"bench_surrogate{args.tag}_pred_vs_sim.png, bench_surrogate{args.tag}_error_map.png, "
            f"bench_surrogate{args.tag}_slices.png, bench_surrogate{args.tag}_running_d.png, "
            f"bench_surrogate{args.tag}_npe_coverage.png."
        ),
        results=RESULTS,
    )


def _inference(model, tag: str) -> list[dict]:
    """Infer (b, log10 lambda_perp) from noisy D_perp at five energies with NPE on the surrogate."""
    from crsbi.inference import PosteriorEstimator, plot_coverage, run_calibration
    from crsbi.particles import SurrogateSimulator

    low, high = np.array([0.1, np.log10(0.3)]), np.array([1.0, np.log10(3.0)])
    simulator = SurrogateSimulator(model, [0.05, 0.3, 1.0, 3.0, 10.0], noise_dex=0.05)
    rng = np.random.default_rng(1)
    theta = rng.uniform(low, high, size=(8300, 2))
    x = simulator(theta, random_state=2)
    t0 = time.perf_counter()
    npe = PosteriorEstimator(
        prior_low=low,
        prior_high=high,
        hidden_features=32,
        num_transforms=3,
        learning_rate=1e-3,
        batch_size=256,
        param_names=["b", "log10_lambda_perp"],
        random_state=0,
        verbose=0,
    ).fit(x[:8000], theta[:8000])
    fit_s = time.perf_counter() - t0
    report = run_calibration(npe, theta[8000:], x[8000:], n_posterior_samples=500, random_state=0)
    ax = plot_coverage(report)
    ax.figure.savefig(
        RESULTS / f"bench_surrogate{tag}_npe_coverage.png", dpi=100, bbox_inches="tight"
    )
    plt.close(ax.figure)
    samples = npe.sample(x[8000:8100], 500)
    width = np.median(samples.std(axis=1), axis=0) / ((high - low) / np.sqrt(12))
    return [
        {
            "quantity": "NPE on the surrogate: training simulations, fit time [s]",
            "value": f"8000, {fit_s:.1f}",
        },
        {
            "quantity": "NPE calibration (300 rounds): SBC KS p-values (b, log10 lambda)",
            "value": ", ".join(f"{p:.3g}" for p in report.sbc_ks_pvalues),
        },
        {
            "quantity": "NPE 90% HPD coverage, TARP ATC",
            "value": f"{report.hpd_coverage[report.levels == 0.9][0]:.3f}, {report.tarp_atc:+.3f}",
        },
        {"quantity": "NPE calibrated at alpha=0.01", "value": report.is_calibrated(0.01)},
        {
            "quantity": "posterior std / prior std (b, log10 lambda), median",
            "value": ", ".join(f"{w:.3f}" for w in width),
        },
    ]


def _paper_seconds() -> float | str:
    path = RESULTS / "bench_particles.json"
    if not path.is_file():
        return "n/a"
    rows = json.loads(path.read_text())["rows"]
    return float(rows[0]["s_per_coefficient"])


def _figures(db, model, y_test, pred, b_edges, l_edges, grid, config, tag) -> None:
    ax = plot_predicted_vs_simulated(y_test, pred, label="D_perp")
    ax.figure.savefig(
        RESULTS / f"bench_surrogate{tag}_pred_vs_sim.png", dpi=100, bbox_inches="tight"
    )
    plt.close(ax.figure)

    fig, ax = plt.subplots(figsize=(5, 4))
    mesh = ax.pcolormesh(l_edges, b_edges, 100 * grid, cmap="viridis")
    ax.set_xscale("log")
    ax.set_xlabel("lambda_perp [rho_L0]")
    ax.set_ylabel("b [B0]")
    fig.colorbar(mesh, label="hold-out relative error [%]")
    fig.savefig(RESULTS / f"bench_surrogate{tag}_error_map.png", dpi=100, bbox_inches="tight")
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    names = ["T", "b", "lambda_perp"]
    plot_surrogate_slice(
        model,
        [1.0, 0.5, 1.0],
        vary=2,
        values=np.geomspace(0.2, 20, 40),
        curves=(1, [0.1, 0.3, 0.6, 1.0]),
        feature_names=names,
        ax=axes[0],
    )
    plot_surrogate_slice(
        model,
        [1.0, 0.5, 1.0],
        vary=0,
        values=np.geomspace(0.01, 10, 40),
        curves=(2, [0.5, 2.0, 10.0]),
        feature_names=names,
        ax=axes[1],
    )
    fig.savefig(RESULTS / f"bench_surrogate{tag}_slices.png", dpi=100, bbox_inches="tight")
    plt.close(fig)

    result = simulate_diffusion(
        1.0,
        0.5,
        1.0,
        random_state=0,
        **{**config, "displacement": "guiding_centre", "converge_on": "perp"},
    )
    fig, ax = plt.subplots(figsize=(5, 4))
    for axis, label in enumerate(["D_xx", "D_yy", "D_zz"]):
        ax.loglog(result.time, result.running_diffusion[:, axis], label=label)
    ax.axhline(result.d_perp, color="0.4", ls="--", lw=1, label="D_perp plateau")
    ax.set_xlabel("t [1/omega_c]")
    ax.set_ylabel("running D [rho_L0^2 omega_c]")
    ax.set_title("T=1, b=0.5, lambda_perp=1", fontsize="small")
    ax.legend(fontsize="small")
    fig.savefig(RESULTS / f"bench_surrogate{tag}_running_d.png", dpi=100, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    main()
