"""Projection depth and leakage on 3-D simulator cubes (Bustard and Wu 2024, Sec. 5; issue 27).

Data: one resumable 3-D campaign per transport class (:func:`crsbi.maps.make_crfluid_dataset`,
``ndim=3``), ``--runs`` cubes per class at ``--resolution``^3, the last snapshot of each run
(``--t-end`` eddy times). Each cube is split along the guide field (x) into a training and a
held-out slab with buffers between them (:func:`crsbi.maps.images.buffered_split`), as in the
paper.

- **Projection depth**: a :class:`~crsbi.maps.TransportClassifier` trained on single slices of the
  training slabs classifies column-density maps integrated over ``d`` slices of the held-out slabs
  (:func:`crsbi.maps.projection_depth_experiment`); the paper finds accuracy falling with depth.
- **Leakage**: two labels given to cubes of the *same* class (``CR_Diff_Fiducial``, different
  forcing seeds): only memorised structure can beat chance. A random slice split (neighbouring,
  correlated slices on both sides) against the buffered split
  (:func:`crsbi.maps.leakage_experiment`).

Run: ``python benchmarks/maps/bench_depth.py [--runs 4] [--resolution 32] [--t-end 6]``
(campaign cached in ``benchmarks/.cache/depth``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
import torch
from _report import CACHE_DIR, results_dir, write_report

from crsbi.maps import CRFLUID_CLASSES, TransportClassifier, make_crfluid_dataset
from crsbi.maps.images import buffered_split, cube_to_tiles
from crsbi.maps.interpretation import leakage_experiment, projection_depth_experiment

RESULTS = results_dir(__file__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--t-end", type=float, default=6.0)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--report-name", default="depth")
    args = parser.parse_args()
    torch.set_num_threads(2)

    cubes, labels, runs = [], [], []
    for name in CRFLUID_CLASSES:
        start = time.perf_counter()
        data = make_crfluid_dataset(
            CACHE_DIR / "depth" / f"r{args.resolution}_t{args.t_end:g}_n{args.runs}" / name,
            classes=(name,),
            n_runs_per_class=args.runs,
            resolution=args.resolution,
            ndim=3,
            t_end_eddy=args.t_end,
            snapshot_every=1.0,
            saturation_eddy=args.t_end - 1.0,
            random_state=0,
            n_jobs=args.n_jobs,
            verbose=1,
        )
        last = data.time == data.time.max()
        cubes += list(data.images[last])
        labels += [name] * int(last.sum())
        runs += list(data.run[last])
        print(f"{name}: {int(last.sum())} cubes, {time.perf_counter() - start:.0f} s", flush=True)

    n = args.resolution
    regions = buffered_split(n, widths=(0.25, 0.5), buffer=0.125, names=("train", "test"))
    X, y = [], []
    for cube, label in zip(cubes, labels, strict=True):
        slices = cube_to_tiles(cube, regions=regions, tile_size=n, keep_fraction=1.0)["train"]
        X.append(slices)
        y += [label] * len(slices)
    X = np.concatenate(X)
    model = TransportClassifier(
        max_epochs=args.epochs, patience=15, validation_fraction=0.15, random_state=0, verbose=0
    ).fit(X, y)
    depths = [d for d in (1, 2, 4, 8, 16, 32) if d <= len(regions["test"])]
    depth = projection_depth_experiment(
        model, cubes, labels, depths=depths, regions=regions, tile_size=n
    )
    rows = [
        {
            "study": "projection depth (train: single slices)",
            "depth [slices]": int(d),
            "accuracy %": 100 * float(a),
        }
        for d, a in zip(depth.depths, depth.accuracy, strict=True)
    ]
    print(rows, flush=True)

    same = [c for c, lab in zip(cubes, labels, strict=True) if lab == "CR_Diff_Fiducial"]
    half = len(same) // 2
    leak = leakage_experiment(
        TransportClassifier(
            max_epochs=args.epochs, patience=15, validation_fraction=0.15, random_state=0, verbose=0
        ),
        same,
        ["seed_a"] * half + ["seed_b"] * (len(same) - half),
        tile_size=n,
        keep_fraction=1.0,
        random_state=0,
    )
    rows += [
        {
            "study": "leakage: buffered split (chance 50 %)",
            "accuracy %": 100 * leak.buffered_accuracy,
        },
        {"study": "leakage: random slice split", "accuracy %": 100 * leak.random_accuracy},
    ]
    rows = [{c: r.get(c, "") for c in rows[0]} for r in rows]
    notes = (
        f"{args.runs} cubes per class at {n}^3 (3-D CR-fluid simulator), last snapshot at "
        f"{args.t_end:g} eddy times; split along x into a training slab (25 %) and a held-out slab "
        f"(50 %) with 12.5 % buffers; {len(X)} training slices. Classifier: TransportClassifier "
        f"defaults, {args.epochs} epochs at most, patience 15. Leakage: the CR_Diff_Fiducial cubes "
        "split into two labels by forcing seed. Command: python benchmarks/maps/bench_depth.py "
        f"--runs {args.runs} --resolution {n} --t-end {args.t_end:g}."
    )
    write_report(args.report_name, rows, results=RESULTS, notes=notes)


if __name__ == "__main__":
    main()
