"""CR-fluid turbulence simulator: speed, and saturated density spectra of the five classes.

- Speed: cell-updates per second (one and two numba threads, with and without the implicit
  CR transport), measured on short runs; minutes for one 2-D 256^2 run to 10 eddy times,
  extrapolated from the measured seconds per step and the step count of the short run.
- Physics: density maps and compensated spectra k^2 P(k) of the five transport classes
  (Bustard and Oh 2023, Fig. 2) after saturation, averaged over the snapshots in
  [saturation, t_end], with the rms Mach number of each class.

Run: ``python benchmarks/maps/bench_crfluid.py [--resolution 64] [--t-end 10]
[--speed-sizes 128 256] [--baseline-rev REV] [--speed-only]``. ``--baseline-rev`` times the solver
of another commit in the same run (a temporary ``git worktree`` imported first on the path) and
reports the speed ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _report import CACHE_DIR, results_dir, write_report

from crsbi.maps import (
    CRFLUID_CLASSES,
    density_spectrum,
    energy_budget,
    plot_crfluid_maps,
    plot_crfluid_spectra,
    plot_mach_history,
    simulate_crfluid,
)

CACHE = CACHE_DIR / "crfluid"
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/


def speed(resolution: int, preset: str, n_threads: int, t_end_eddy: float) -> dict:
    simulate_crfluid(
        preset=preset,
        resolution=16,
        t_end_eddy=0.01,
        snapshot_every=0.01,
        random_state=0,
        verbose=0,
        n_threads=n_threads,
    )  # compile / load cache
    start, cpu_start = time.perf_counter(), time.process_time()
    res = simulate_crfluid(
        preset=preset,
        resolution=resolution,
        t_end_eddy=t_end_eddy,
        snapshot_every=t_end_eddy,
        random_state=0,
        verbose=0,
        n_threads=n_threads,
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    steps = res.params["n_steps"]
    # steps to 10 eddy times scale with the time simulated (dt is set by the CFL condition)
    scale = 10.0 / t_end_eddy / 60.0
    return {
        "resolution": resolution,
        "preset": preset,
        "threads": n_threads,
        "t_end_eddy": t_end_eddy,
        "steps": steps,
        "wall_s": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "cell_updates_per_wall_s": resolution**2 * steps / seconds,
        "cell_updates_per_cpu_s": resolution**2 * steps / cpu,
        "minutes_to_10_eddy_wall (extrapolated)": round(seconds * scale, 1),
        "minutes_to_10_eddy_cpu (extrapolated)": round(cpu * scale, 1),
    }


def speed_rows(sizes, t_end_eddy) -> list[dict]:
    rows = []
    for n in sizes:
        for preset, threads in (("MHD", 1), ("CR_Diff_Fiducial", 1), ("CR_withStreaming", 1)):
            row = speed(n, preset, threads, t_end_eddy)
            print(row, flush=True)
            rows.append({"table": "speed", **row})
    return rows


def baseline_speed_rows(rev: str, sizes, t_end_eddy) -> list[dict]:
    """Speed rows of the solver at commit ``rev``, measured by this script in a subprocess."""
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(  # noqa: S603 - our own git command
            ["git", "-C", str(root), "worktree", "add", "--detach", str(tree), rev],  # noqa: S607
            check=True,
            capture_output=True,
        )
        try:
            out = Path(tmp) / "rows.json"
            command = [sys.executable, __file__, "--speed-only", "--speed-json", str(out)]
            command += ["--speed-t-end", str(t_end_eddy), "--speed-sizes", *map(str, sizes)]
            env = {**os.environ, "PYTHONPATH": str(tree)}
            subprocess.run(command, check=True, env=env)  # noqa: S603 - this script
            rows = json.loads(out.read_text())
        finally:
            subprocess.run(  # noqa: S603 - our own git command
                ["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],  # noqa: S607
                check=False,
                capture_output=True,
            )
    return [{**row, "table": f"speed at {rev}"} for row in rows]


def run_class(preset: str, resolution: int, t_end: float, seed: int):
    CACHE.mkdir(parents=True, exist_ok=True)
    file = CACHE / f"{preset}_{resolution}_{t_end:g}_{seed}.pkl"
    if file.exists():
        return pickle.loads(file.read_bytes())  # noqa: S301 - our own cache
    start = time.perf_counter()
    res = simulate_crfluid(
        preset=preset,
        resolution=resolution,
        t_end_eddy=t_end,
        snapshot_every=1.0,
        saturation_eddy=3.0,
        random_state=seed,
        verbose=0,
        return_fields=("density", "cr_energy"),
    )
    res.params["wall_s"] = time.perf_counter() - start
    file.write_bytes(pickle.dumps(res))
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--t-end", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed-sizes", type=int, nargs="*", default=[128, 256])
    parser.add_argument("--speed-t-end", type=float, default=0.05)
    parser.add_argument("--report-name", default="crfluid")
    parser.add_argument("--baseline-rev", default=None, help="also time this commit's solver")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--speed-json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import crsbi

    print("crsbi from", Path(crsbi.__file__).parent, flush=True)
    rows = speed_rows(args.speed_sizes, args.speed_t_end)
    if args.speed_json:
        Path(args.speed_json).write_text(json.dumps(rows))
    if args.baseline_rev:
        base = baseline_speed_rows(args.baseline_rev, args.speed_sizes, args.speed_t_end)
        for new, old in zip(list(rows), base, strict=True):
            rows.append(
                {
                    "table": "speed ratio (this / baseline)",
                    "resolution": new["resolution"],
                    "preset": new["preset"],
                    "cell_updates_per_cpu_s": new["cell_updates_per_cpu_s"]
                    / old["cell_updates_per_cpu_s"],
                    "minutes_to_10_eddy_cpu (extrapolated)": new[
                        "minutes_to_10_eddy_cpu (extrapolated)"
                    ]
                    / old["minutes_to_10_eddy_cpu (extrapolated)"],
                }
            )
        rows[len(base) : len(base)] = base
    if args.speed_only:
        if not args.speed_json:
            columns = list(dict.fromkeys(key for row in rows for key in row))
            write_report(
                args.report_name + "_speed",
                [{c: row.get(c, "") for c in columns} for row in rows],
                results=RESULTS,
                notes="One numba thread per run; CPU-time figures; 10 eddy times extrapolated "
                "linearly from the short runs. Baseline rows: the same script importing crsbi "
                "from a git worktree of the baseline commit, in the same run.",
            )
        return

    results = {}
    for preset in CRFLUID_CLASSES:
        results[preset] = run_class(preset, args.resolution, args.t_end, args.seed)
        print(preset, "done", round(results[preset].params["wall_s"], 1), "s", flush=True)
    spectra = {}
    for preset, res in results.items():
        _, power = density_spectrum(res.snapshots["density"], box_size=2.0)
        spectra[preset] = power
        d = res.diagnostics
        late = d["time"] >= res.params["saturation_eddy"]
        budget = energy_budget({key: value[late] for key, value in d.items()})
        rows.append(
            {
                "table": "physics",
                "preset": preset,
                "resolution": args.resolution,
                "mach_saturated": float(d["mach"][late].mean()),
                "rho_std": float(res.snapshots["density"].std(axis=(1, 2)).mean()),
                "k2P_k=pi (n=1)": float(power[0]),
                "k2P_k=2pi (n=2)": float(power[1]),
                "k2P_k=4pi (n=4)": float(power[3]),
                "k2P_k=8pi (n=8)": float(power[7]),
                "k2P_k=16pi (n=16)": float(power[15]) if power.shape[0] > 15 else float("nan"),
                "cr_gain/injected": budget["cr_gain"] / budget["injected"],
                "streaming_heating/injected": budget["streaming_heating"] / budget["injected"],
                "gas_dissipation/injected": budget["gas_dissipation"] / budget["injected"],
                "wall_s": round(res.params["wall_s"], 1),
            }
        )

    fig = plt.figure(figsize=(15, 7.5))
    grid = fig.add_gridspec(2, 5)
    map_axes = [fig.add_subplot(grid[0, i]) for i in range(5)]
    plot_crfluid_maps(results, axes=map_axes)
    plot_crfluid_spectra(results, ax=fig.add_subplot(grid[1, :3]))
    plot_mach_history(results, ax=fig.add_subplot(grid[1, 3:]))
    fig.suptitle(
        f"CR-fluid turbulence, 2-D {args.resolution}^2, M=0.15, beta=10, eta=1; "
        f"spectra averaged over t = 3..{args.t_end:g} eddy times"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS / f"{args.report_name}_classes.png", dpi=110)
    ratio = spectra["CR_Diff_Fiducial"] / spectra["MHD"]
    notes = (
        f"Spectra: 2-D {args.resolution}^2, one seed per class, density snapshots every eddy "
        f"time from 3 to {args.t_end:g} eddy times. Fiducial/MHD ratio of k^2 P at n = 1, 2, 4, 8: "
        + ", ".join(f"{ratio[i]:.2f}" for i in (0, 1, 3, 7))
        + ". Speed rows: short runs (one numba thread) on a 2-core machine shared with other "
        "jobs (load average ~15), so wall-clock figures are several times pessimistic; the "
        "process CPU time gives the speed on an unloaded core. 'minutes_to_10_eddy' is "
        "extrapolated linearly from the short run (steps scale with simulated time). Two "
        "threads were slower than one under this load and are not reported. "
        "Departures from Bustard and Oh (2023): 2-D instead "
        "of 3-D, guide field fixed (no magnetic pressure, tension or field-line wandering, so "
        "diffusion and streaming act only along x and modes with k perpendicular to x never "
        "feel them), isothermal gas (streaming heat removed at once), one-moment CRs, "
        "regularised streaming (ell_st = 10 L), far lower resolution."
    )
    columns = list(dict.fromkeys(key for row in rows for key in row))
    write_report(
        args.report_name,
        [{c: row.get(c, "") for c in columns} for row in rows],
        notes=notes,
        results=RESULTS,
    )


if __name__ == "__main__":
    main()
