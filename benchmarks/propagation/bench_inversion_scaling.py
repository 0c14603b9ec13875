"""Machine A's learning systematics against training-set size and epochs (Tsai et al. 2022).

Table 3 of the paper reports 68 % half-widths of the relative error of Machine A (trained
on ~2e5 clean GALPROP spectra): D0 -0.25 +- 0.75 %, delta 0.04 +0.27/-0.18 %,
z_h -0.5 +1.25/-1.5 %. This benchmark trains the same Machine A as
``bench_inversion.py`` (same network, rate schedule and seed; networks and simulations
shared through ``benchmarks/.cache``) for several training-set sizes and epoch counts and
measures its widths on one fixed hold-out set of clean spectra, so the rows differ only by
data and training length.

Run: ``python benchmarks/propagation/bench_inversion_scaling.py``
(default ``--runs 120000:40 120000:80 200000:80 200000:160``; about 20 minutes per
100 000 spectra x 80 epochs on two threads; cached runs are free).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import results_dir, write_report
from bench_inversion import HIGH, LOW, cached_fit, cached_simulations, machine_params

from crsbi import PropagationInverter
from crsbi.propagation import PARAM_NAMES
from crsbi.propagation._feedback import learning_systematics

RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/

PAPER = {"D0": (0.75, 0.75), "delta": (0.18, 0.27), "z_h": (1.5, 1.25)}  # (minus, plus) %
PAPER_MEDIAN = {"D0": -0.25, "delta": 0.04, "z_h": -0.5}  # %


def run_spec(text: str) -> tuple[int, int]:
    """``"N:EPOCHS"`` as a pair of positive integers."""
    try:
        n, epochs = (int(part) for part in text.split(":"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected N:EPOCHS, got {text!r}") from exc
    if n < 2 or epochs < 1:
        raise argparse.ArgumentTypeError(f"expected N >= 2 and EPOCHS >= 1, got {text!r}")
    return n, epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=run_spec, nargs="+",
        default=[(120000, 40), (120000, 80), (200000, 80), (200000, 160)],
        help="training-set size and epochs of each Machine A, as N:EPOCHS",
    )  # fmt: skip
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2, help="simulation workers")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    # one hold-out set for every run (bench_inversion's depends on its training size)
    theta_test = np.random.default_rng(args.seed + 1000).uniform(LOW, HIGH, (args.n_test, 10))
    X_test, _ = cached_simulations(theta_test, f"scaling_test_seed{args.seed}", args.n_jobs)
    rows = []
    for n_train, epochs in args.runs:
        # the same draws as bench_inversion.py: its training set of this size
        theta = np.random.default_rng(args.seed).uniform(LOW, HIGH, (n_train, 10))
        X, _ = cached_simulations(theta, f"train_seed{args.seed}", args.n_jobs)
        model, seconds = cached_fit(
            PropagationInverter(noise=0.0, **machine_params(epochs, args.seed)),
            X,
            theta,
            "machineA",
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (model.predict(X_test) - theta_test) / theta_test
        widths = {
            row["parameter"]: (row["minus_%"], row["plus_%"], row["median_%"])
            for row in learning_systematics(rel, PARAM_NAMES)
        }
        row = {"training spectra": n_train, "epochs": epochs, "train [s]": seconds}
        for name in PARAM_NAMES:
            minus, plus, median = widths[name]
            row[f"{name} -/+ %"] = f"{minus:.2f}/{plus:.2f}"
            if name in PAPER:
                row[f"{name} median %"] = median
        row["final val loss"] = model.history_[-1].get("val_loss", float("nan"))
        rows.append(row)
        print(row, flush=True)
    paper = {key: "" for key in rows[0]}
    paper.update({"training spectra": "paper (GALPROP)", "epochs": "", "train [s]": ""})
    for name, (minus, plus) in PAPER.items():
        paper[f"{name} -/+ %"] = f"{minus:.2f}/{plus:.2f}"
        paper[f"{name} median %"] = PAPER_MEDIAN[name]
    rows.append(paper)
    write_report(
        "inversion_scaling",
        rows,
        notes=(
            "Machine A (noise = 0) of bench_inversion.py: CNN channels (32, 64, 128), hidden "
            "256, AdamW lr 3e-3 with cosine annealing over the epochs, batch 256, seed "
            f"{args.seed}; 68 % half-widths (below/above the median) of (pred - true) / true "
            f"in % on {args.n_test} fixed clean hold-out spectra from the prior. Paper row: "
            "Tsai et al. (2022) Table 3, Machine A, ~2e5 GALPROP spectra (their other "
            "parameters are not quoted here). Training times are those of the run that "
            "trained the network (cached runs report them unchanged)."
        ),
        results=RESULTS,
    )


if __name__ == "__main__":
    main()
