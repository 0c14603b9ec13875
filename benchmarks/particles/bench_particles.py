"""Cost of one diffusion coefficient with the test-particle simulator (Palade 2023 settings).

Times ``simulate_diffusion`` at the paper's settings (N_p = 1e4 particles, N_c = 500 waves,
dt = 2 pi / 10, 2000 steps; wave drawing included) and reports the rate in wave
evaluations per second (N_p N_c n_steps / seconds). The plain-NumPy implementation of the
same pusher and field runs in the same process on a reduced size and is scaled linearly
(its cost is exactly linear in N_p N_c n_steps). A last row runs the kernel with AVX-512
enabled through ``NUMBA_CPU_FEATURES`` in a subprocess (LLVM prefers 256-bit vectors on
this CPU by default; numba 0.68 has no SVML). The reproducible default kernel is timed
against ``backend="numba-fast"`` (fastmath wave sums, CPU-dependent last bits) in
alternated runs, giving the cost of bit-identical results across CPUs as a ratio.
Run: ``python benchmarks/particles/bench_particles.py`` (``--quick`` for a 2000-particle main run,
scaled).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numba
from _report import results_dir, write_report

from crsbi.particles import initial_momenta, simulate_diffusion, trace_particles
from crsbi.particles.turbulence import _realisation_seeds, _wave_arrays, draw_waves

PAPER = {"n_particles": 10_000, "n_waves": 500, "n_steps": 2000}
THETA = (1.0, 0.5, 1.0)  # T [mc^2], b [B0], lambda_perp [rho_L0]
EVALS = PAPER["n_particles"] * PAPER["n_waves"] * PAPER["n_steps"]
RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/

_AVX512_CHILD = """
import json, sys, time
from crsbi.particles import simulate_diffusion
n = int(sys.argv[1])
simulate_diffusion(1.0, 0.5, 1.0, n_particles=8, n_waves=16, n_steps=16, random_state=0)
start = time.perf_counter()
simulate_diffusion(1.0, 0.5, 1.0, n_particles=n, n_waves=500, n_steps=2000, random_state=0)
print(json.dumps(time.perf_counter() - start))
"""


def time_numba(n_particles: int, n_threads: int | None = None, backend: str = "numba") -> float:
    start = time.perf_counter()
    simulate_diffusion(
        *THETA,
        n_particles=n_particles,
        n_waves=PAPER["n_waves"],
        n_steps=PAPER["n_steps"],
        n_threads=n_threads,
        backend=backend,
        random_state=0,
    )
    return time.perf_counter() - start


def time_wave_drawing(n_particles: int) -> float:
    seeds = _realisation_seeds(0, n_particles)
    start = time.perf_counter()
    for i in range(0, n_particles, 2048):
        _wave_arrays(
            seeds[i : i + 2048],
            PAPER["n_waves"],
            model="palade2d",
            b=THETA[1],
            lambda_perp=THETA[2],
            lambda_par=10 * THETA[2],
            turns=True,
            n_rows=6,
        )
    return time.perf_counter() - start


def time_numpy(n_particles: int, n_steps: int) -> float:
    waves = draw_waves(n_particles, PAPER["n_waves"], b=THETA[1], random_state=0)
    momenta = initial_momenta(n_particles, THETA[0], random_state=0)
    start = time.perf_counter()
    trace_particles(waves, momenta, n_steps=n_steps, backend="numpy")
    return time.perf_counter() - start


def time_avx512(n_particles: int) -> float | None:
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" not in features:
        return None
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "NUMBA_CPU_FEATURES": features + ",-prefer-256-bit",
            "NUMBA_CACHE_DIR": cache,
        }
        out = subprocess.run(  # noqa: S603 - our interpreter and our own code
            [sys.executable, "-c", _AVX512_CHILD, str(n_particles)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2000-particle main run, scaled")
    quick = parser.parse_args().quick
    n_main = 2000 if quick else PAPER["n_particles"]
    time_numba(8)  # compile (or load the cache)
    time_numba(8, backend="numba-fast")
    load_before = os.getloadavg()[0]
    seconds = time_numba(n_main)
    # the reproducible kernel against the fastmath one, alternated to share the load
    n_pair = n_main // 5
    exact, fast = [], []
    for _ in range(3):
        exact.append(time_numba(n_pair))
        fast.append(time_numba(n_pair, backend="numba-fast"))
    fast_per_coefficient = min(fast) * PAPER["n_particles"] / n_pair
    fast_cost = min(exact) / min(fast)
    per_coefficient = seconds * PAPER["n_particles"] / n_main
    drawing = time_wave_drawing(n_main) * PAPER["n_particles"] / n_main
    n_single = 1000
    single = time_numba(n_single, n_threads=1) * PAPER["n_particles"] / n_single
    n_np, steps_np = 100, 40
    time_numpy(2, 2)
    numpy_seconds = time_numpy(n_np, steps_np)
    numpy_per_coefficient = numpy_seconds * EVALS / (n_np * PAPER["n_waves"] * steps_np)
    avx = time_avx512(2000)
    avx_per_coefficient = None if avx is None else avx * PAPER["n_particles"] / 2000
    load_after = os.getloadavg()[0]

    def row(name, measured, per_coef, threads):
        return {
            "implementation": name,
            "threads": threads,
            "measured": measured,
            "s_per_coefficient": per_coef,
            "wave_evals_per_s": EVALS / per_coef,
            "speedup_vs_numpy": numpy_per_coefficient / per_coef,
        }

    threads = numba.get_num_threads()
    rows = [
        row("numba (simulate_diffusion)", f"N_p={n_main}", per_coefficient, threads),
        row(
            "numba-fast (fastmath sums)",
            f"N_p={n_pair}, best of 3, scaled",
            fast_per_coefficient,
            threads,
        ),
        row("numba, 1 thread", f"N_p={n_single}, scaled", single, 1),
        row("numpy reference", f"N_p={n_np}, {steps_np} steps, scaled", numpy_per_coefficient, 1),
    ]
    if avx_per_coefficient is not None:
        rows.append(
            row("numba + AVX-512 (NUMBA_CPU_FEATURES)", "N_p=2000, scaled", avx_per_coefficient, 2)
        )
    notes = (
        f"One coefficient = N_p={PAPER['n_particles']}, N_c={PAPER['n_waves']}, "
        f"dt=2pi/10, {PAPER['n_steps']} steps ({EVALS:.1e} wave evaluations), theta=(T, b, "
        f"lambda_perp)={THETA}, palade2d turbulence. 'numba' includes drawing the waves "
        f"({drawing:.2f} s per coefficient of it, parallel) and the analysis. "
        f"'numba' is the reproducible kernel (no reassociation, no FMA: bit-identical on "
        f"every x86-64 CPU); 'numba-fast' (backend='numba-fast') lets LLVM reassociate and "
        f"fuse the wave sums per CPU. Cost of reproducibility, alternated runs of "
        f"N_p={n_pair}: numba / numba-fast = {fast_cost:.2f} (best of 3 each). "
        f"Rows marked 'scaled' ran a smaller N_p (or fewer steps) and are scaled linearly. "
        f"Shared machine with {os.cpu_count()} cores: load average {load_before:.1f} before "
        f"and {load_after:.1f} after, so compare ratios within this run. "
        "SVML: numba 0.68 / llvmlite 0.50 (LLVM 22) has no SVML support, and installing "
        "intel-cmplr-lib-rt loads libsvml but does not make it operational; the kernel's "
        "cosine is a branch-free polynomial that LLVM vectorises instead."
    )
    write_report("bench_particles", rows, notes=notes, results=RESULTS)


if __name__ == "__main__":
    main()
