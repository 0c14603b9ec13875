"""Prediction throughput of the shipped diffusion surrogate, float64 against float32.

Loads ``crsbi.pretrained.load("diffusion-surrogate")`` (the 5-member ensemble of
MLP(3 -> 64 -> 64 -> 1, tanh) of ``bench_surrogate_fixed8x``, the paper's network size) and
times ``predict`` on one batch of 1e6 parameter vectors drawn uniformly in its training box,
alternating ``precision="float64"`` (the default: results independent of the batch) and
``precision="float32"`` (the throughput path), so that both see the same machine load; the
ratio is the figure to compare between machines. It also measures how far the float32
predictions move from the float64 ones (and with the batch), against the surrogate's ~5 %
error. Issue target: >= 1e6 predictions per second on 2 cores.

Run: ``python benchmarks/particles/bench_surrogate_speed.py`` (``--repeats``, ``--n``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import results_dir, write_report

from crsbi import pretrained

RESULTS = results_dir(__file__)
TARGET = 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows per predict call")
    parser.add_argument("--repeats", type=int, default=7, help="alternated calls per precision")
    args = parser.parse_args()

    model = pretrained.load("diffusion-surrogate")
    rng = np.random.default_rng(0)
    X = model.data_min_ + (model.data_max_ - model.data_min_) * rng.random((args.n, 3))
    single = pretrained.load("diffusion-surrogate")
    single.estimators_ = single.estimators_[:1]

    times: dict[tuple[str, str], list[float]] = {}
    for precision in ("float64", "float32"):  # warm-up: builds the cached twins
        model.predict(X[:1000], precision=precision)
        single.predict(X[:1000], precision=precision)
    for _ in range(args.repeats):
        for label, estimator in (("ensemble", model), ("one member", single)):
            for precision in ("float64", "float32"):
                start = time.perf_counter()
                estimator.predict(X, precision=precision)
                times.setdefault((label, precision), []).append(time.perf_counter() - start)

    reference = model.predict(X[:200_000])
    fast = model.predict(X[:200_000], precision="float32")
    fast_small = model.predict(X[:1000], precision="float32")
    deviation = float(np.max(np.abs(fast / reference - 1)))
    batch = float(np.max(np.abs(fast_small / fast[:1000] - 1)))

    rows = []
    for (label, precision), values in times.items():
        rate = args.n / np.array(values)
        ratio = np.median(times[(label, "float64")]) / np.median(values)
        verdict = ""
        if label == "ensemble":
            verdict = "PASS" if np.median(rate) >= TARGET else "FAIL"
        rows.append(
            {
                "network": f"{label} ({len(model.estimators_) if label == 'ensemble' else 1})",
                "precision": precision,
                "predictions/s median": f"{np.median(rate):.3g}",
                "min - max": f"{rate.min():.3g} - {rate.max():.3g}",
                "speed vs float64": f"{ratio:.2f}x",
                "target >= 1e6/s (ensemble)": verdict,
            }
        )
    notes = (
        f"Batch of {args.n:.0e} rows, {args.repeats} alternated calls per precision, "
        f"{torch.get_num_threads()} torch threads. float32 against float64: max relative "
        f"difference {deviation:.1e} over 2e5 rows; float32 on 1000 rows against the same rows "
        f"in the big batch: {batch:.1e} (float64: independent of the batch to ~1e-16). The "
        "surrogate's own error is ~5 % (bench_surrogate_fixed8x). Both paths evaluate tanh as "
        "2 sigmoid(2x) - 1 with the factor 2 folded into the preceding layer (exact)."
    )
    write_report("bench_surrogate_speed", rows, results=RESULTS, notes=notes)


if __name__ == "__main__":
    main()
