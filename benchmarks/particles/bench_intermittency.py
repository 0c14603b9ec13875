"""Intermittent trajectories: the random-cascade field option against the paper's statistics.

Martin, Lübke et al. train their generator on trajectories in MHD turbulence, whose
velocity increments are intermittent: flatness F4 ~ 5.6 at small lags (3 for a Gaussian
process), and a gyro-centre curvature PDF with a large-curvature tail ~ kappa^-2.5. The
Gaussian plane-wave fields of crsbi cannot give either, so the generator could not be tested
on them. ``draw_waves(..., intermittency=sigma)`` multiplies the wave amplitudes of octave j
by a log-normal cascade weight drawn per realisation (``<M_j^2> = 1``: the mean spectrum is
kept). This study simulates trajectories (isotropic turbulence, b = 1, 100 steps per
gyration, as ``bench_generative.py``) for several sigma and reports:

- F4(tau) of the velocity increments at tau = 0.01, 0.1 and 1 gyro-period;
- the log-log slopes of the gyro-centre curvature PDF below its 10 % and above its 90 %
  quantile (``bench_generative.curvature_slopes``; paper: 1 and -2.5);
- the ensemble mean of b^2 (should stay 1) and the flatness of b_x over the ensemble.

Run: ``python benchmarks/particles/bench_intermittency.py [--alpha 32] [--quick]`` (a few
minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for _report

import numpy as np
from _report import results_dir, write_report
from bench_generative import curvature_slopes

from crsbi.particles import flatness, simulate_trajectories

RESULTS = results_dir(__file__)
PAPER = {"F4 small lags": 5.6, "kappa slope large": -2.5, "kappa slope small": 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--sigmas", default="0,0.1,0.2,0.3,0.4")
    parser.add_argument("--quick", action="store_true", help="smoke run, not for the record")
    args = parser.parse_args()
    n_particles, length = (64, 512) if args.quick else (1024, 4096)
    spg = 100
    lags = np.array([1, 10, 100])  # 0.01, 0.1, 1 gyro-period
    rows = []
    start = time.perf_counter()
    for sigma in (float(s) for s in args.sigmas.split(",")):
        data = simulate_trajectories(
            args.alpha,
            n_particles,
            length,
            b=1.0,
            intermittency=sigma,
            steps_per_gyration=spg,
            random_state=7,
        )
        V = data.velocities
        f4 = flatness(V, lags, average=True)
        small, large = curvature_slopes(V, float(data.dt[0]), spg)
        b_turb = data.field.copy()
        b_turb[..., 2] -= 1.0  # the field along the orbits, without B0
        bx = b_turb[..., 0].ravel()
        rows.append(
            {
                "sigma": sigma,
                "F4 at 0.01 T_g": float(f4[0]),
                "F4 at 0.1 T_g": float(f4[1]),
                "F4 at 1 T_g": float(f4[2]),
                "kappa slope small": small,
                "kappa slope large": large,
                "<b^2> along orbits": float(np.mean(np.sum(b_turb**2, axis=-1))),
                "flatness of b_x": float(np.mean(bx**4) / np.mean(bx**2) ** 2),
            }
        )
        print(rows[-1], flush=True)
    rows.append(
        {
            "sigma": "paper (MHD)",
            "F4 at 0.01 T_g": PAPER["F4 small lags"],
            "F4 at 0.1 T_g": float("nan"),
            "F4 at 1 T_g": float("nan"),
            "kappa slope small": PAPER["kappa slope small"],
            "kappa slope large": PAPER["kappa slope large"],
            "<b^2> along orbits": float("nan"),
            "flatness of b_x": float("nan"),
        }
    )
    notes = (
        f"alpha = {args.alpha:g}, isotropic turbulence, b = 1, {n_particles} particles x "
        f"{length} samples ({length / spg:g} gyro-periods), 256 waves, k_cutoff = "
        f"max(10, 2 pi alpha), seed 7; {time.perf_counter() - start:.0f} s. F4 = <dV^4> / "
        "<dV^2>^2 of the velocity increments (components pooled), curvature of the "
        "gyro-centre velocity. <b^2> is sampled along the orbits (particles spend time "
        "where they are, so it need not equal the volume mean exactly). The cascade varies "
        "the small-scale energy between realisations, not within one: two-particle and "
        "spatial statistics stay Gaussian within a realisation (see draw_waves)."
    )
    name = f"bench_intermittency_alpha{args.alpha:g}" + ("_quick" if args.quick else "")
    write_report(name, rows, notes=notes, results=RESULTS)


if __name__ == "__main__":
    main()
