"""Throughput of simulation campaigns (simulations/s) with one and two workers.

The simulator is the Gaussian linear model plus ``--work-ms`` milliseconds of
pure-Python CPU work per simulation (a loop whose length is calibrated at start-up),
standing in for a cheap real simulator. Plain joblib running the same work without
the campaign machinery gives the baseline: the speed-up the machine allows.

Every configuration runs ``--repeats`` times, in interleaved rounds so that a change
in the machine's load hits all of them, each time in a fresh campaign directory; the
table keeps the best throughput and the ratios are medians of per-round ratios. The
loky and Dask workers are started before timing. The overhead row runs with no
artificial work and measures what the campaign machinery costs per sample (seeding,
prior draw, HDF5 chunk write with fsync).

    python benchmarks/core/bench_campaign.py [--n-simulations 1000] [--work-ms 1.0]

Writes ``benchmarks/results/core/bench_campaign.json`` and ``bench_campaign.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import joblib
import numpy as np
from _report import results_dir

from crsbi import BoxPrior, Campaign
from crsbi._version import __version__
from crsbi.inference import simulate_gaussian_linear

RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/


def cpu_work(n_iterations):
    """A fixed amount of pure-Python CPU work (holds the GIL, like many simulators)."""
    total = 0
    for i in range(n_iterations):
        total += i * i % 7
    return total


def calibrate(work_s):
    """Iterations of :func:`cpu_work` that take ``work_s`` seconds here (best of 5)."""
    n = 20_000
    best = min(_timed(cpu_work, n) for _ in range(5))
    return max(1, round(n * work_s / best))


def _timed(function, *args):
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def busy_gaussian(theta, *, random_state=None, n_iterations=0):
    """Gaussian linear simulator after ``n_iterations`` of CPU work."""
    cpu_work(n_iterations)
    return simulate_gaussian_linear(theta, noise_std=0.1, random_state=random_state)


def plain_chunk(n_iterations, n):
    """Reference task without campaign machinery: the same CPU work, no seeding or storage."""
    for _ in range(n):
        cpu_work(n_iterations)
    return n


def time_plain_joblib(n_jobs, *, n_simulations, chunk_size, n_iterations):
    """Throughput of plain joblib on the same work: what the machine allows right now."""
    n_chunks = -(-n_simulations // chunk_size)
    started = time.perf_counter()
    joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(plain_chunk)(n_iterations, chunk_size) for _ in range(n_chunks)
    )
    elapsed = time.perf_counter() - started
    return elapsed, n_chunks * chunk_size / elapsed


def time_campaign(simulator, *, n_simulations, chunk_size, **options):
    directory = tempfile.mkdtemp(prefix="bench_campaign_")
    try:
        campaign = Campaign(
            simulator,
            directory,
            prior=BoxPrior([-1.0] * 4, [1.0] * 4),
            n_simulations=n_simulations,
            chunk_size=chunk_size,
            random_state=0,
            verbose=0,
            **options,
        )
        summary = campaign.run()
        assert summary.complete and summary.n_failed == 0
        return summary.elapsed_s, summary.throughput
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-simulations", type=int, default=1000)
    parser.add_argument("--chunk-size", type=int, default=50)
    parser.add_argument("--work-ms", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster row")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    n_iterations = calibrate(args.work_ms / 1e3)
    simulator = partial(busy_gaussian, n_iterations=n_iterations)
    sizes = {"n_simulations": args.n_simulations, "chunk_size": args.chunk_size}
    configurations = {
        "plain joblib n_jobs=1 (baseline)": partial(
            time_plain_joblib, 1, n_iterations=n_iterations, **sizes
        ),
        "plain joblib n_jobs=2 (baseline)": partial(
            time_plain_joblib, 2, n_iterations=n_iterations, **sizes
        ),
        "overhead (no work), n_jobs=1": partial(
            time_campaign, simulate_gaussian_linear, n_jobs=1, **sizes
        ),
        "loky n_jobs=1 (sequential)": partial(time_campaign, simulator, n_jobs=1, **sizes),
        "loky n_jobs=2": partial(time_campaign, simulator, n_jobs=2, **sizes),
        "threading n_jobs=2 (GIL-bound)": partial(
            time_campaign, simulator, n_jobs=2, backend="threading", **sizes
        ),
    }
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if not args.no_dask and importlib.util.find_spec("distributed") is not None:
            import distributed

            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
                )
            )
            configurations["dask LocalCluster, 2 workers"] = partial(
                time_campaign,
                simulator,
                backend="dask",
                scheduler_address=cluster.scheduler_address,
                **sizes,
            )
        # warm-up: start the loky workers and import crsbi on the Dask workers before timing
        time_campaign(simulator, n_simulations=200, chunk_size=50, n_jobs=2)
        if "dask LocalCluster, 2 workers" in configurations:
            time_campaign(
                simulator,
                n_simulations=200,
                chunk_size=50,
                backend="dask",
                scheduler_address=cluster.scheduler_address,
            )
        # interleaved rounds, so a change in the machine's load hits every configuration
        timings = {label: [] for label in configurations}
        for _ in range(args.repeats):
            for label, measure in configurations.items():
                timings[label].append(measure())

    print(f"{'configuration':<34} {'elapsed':>11} {'throughput':>19}")
    rows = []
    for label, runs in timings.items():
        elapsed, throughput = max(runs, key=lambda run: run[1])
        rows.append(
            {
                "configuration": label,
                "elapsed_s": round(elapsed, 4),
                "throughput": round(throughput, 1),
                "throughput_all_runs": [round(run[1], 1) for run in runs],
            }
        )
        print(f"{label:<34} {elapsed:>9.3f} s {throughput:>12.1f} sims/s")

    def paired_ratio(numerator, denominator):
        ratios = [
            two[1] / one[1]
            for two, one in zip(timings[numerator], timings[denominator], strict=True)
        ]
        return float(np.median(ratios))

    by_label = {row["configuration"]: row for row in rows}
    ratio = paired_ratio("loky n_jobs=2", "loky n_jobs=1 (sequential)")
    machine_ratio = paired_ratio(
        "plain joblib n_jobs=2 (baseline)", "plain joblib n_jobs=1 (baseline)"
    )
    overhead_us = 1e6 / by_label["overhead (no work), n_jobs=1"]["throughput"]
    total_s = time.perf_counter() - started
    print(f"\nspeed-up 2 workers / 1 worker (loky): {ratio:.2f}x")
    print(f"same work with plain joblib, 2 / 1 workers: {machine_ratio:.2f}x (the machine's share)")
    print(f"campaign overhead per simulation (sequential): {overhead_us:.0f} us")

    report = {
        "benchmark": "bench_campaign",
        "crsbi_version": __version__,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "joblib": joblib.__version__,
        },
        "parameters": {
            "n_simulations": args.n_simulations,
            "chunk_size": args.chunk_size,
            "work_ms_per_simulation": args.work_ms,
            "cpu_work_iterations": n_iterations,
            "repeats": args.repeats,
            "statistic": (
                "best throughput over interleaved repeats; ratios are medians of per-round "
                "ratios; workers warmed up before timing"
            ),
        },
        "rows": rows,
        "ratio_2_workers_over_1_worker": round(ratio, 3),
        "plain_joblib_ratio_2_over_1": round(machine_ratio, 3),
        "overhead_us_per_simulation": round(overhead_us, 1),
        "total_benchmark_s": round(total_s, 1),
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "bench_campaign.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Campaign throughput",
        "",
        f"crsbi {__version__}, {report['date_utc']}, {report['machine']['cpu_count']} CPUs "
        f"({report['machine']['platform']}), Python {report['machine']['python']}, "
        f"joblib {report['machine']['joblib']}.",
        "",
        f"Gaussian linear simulator (4 parameters) plus {args.work_ms:g} ms of CPU work per "
        f"simulation; {args.n_simulations} simulations in chunks of {args.chunk_size}; best of "
        f"{args.repeats} interleaved runs, workers warmed up. Ratios are medians over the "
        "rounds.",
        "",
        "| configuration | elapsed (s) | throughput (simulations/s) |",
        "|---|---:|---:|",
        *(
            f"| {row['configuration']} | {row['elapsed_s']:.3f} | {row['throughput']:.1f} |"
            for row in rows
        ),
        "",
        f"**Speed-up 2 workers / 1 worker (loky): {ratio:.2f}x**, against {machine_ratio:.2f}x "
        "for the same work with plain joblib and no campaign (what the machine allowed during "
        "the run: other processes share its cores). "
        f"Campaign overhead: about {overhead_us:.0f} us per simulation (sequential, "
        "dominated by one fsync per chunk file and per-sample seeding).",
        "",
    ]
    (args.output_dir / "bench_campaign.md").write_text("\n".join(lines))
    print(
        f"wrote {args.output_dir / 'bench_campaign.json'} and bench_campaign.md ({total_s:.0f} s)"
    )


if __name__ == "__main__":
    main()
