#!/usr/bin/env bash
# Test-particle simulator on a CUDA GPU (issue 28, item 3): backend="torch" against the numba
# kernels of the same machine, in one run of bench_particles.py (docs/surrogate.md, Speed).
#
# Usage: benchmarks/particles/run_particles_gpu.sh [--quick]
# Results: benchmarks/results/particles/bench_particles.* (copied to $OUT when the device
# tool sets it). On the device machine the numba rows time its own CPU, so read the
# torch row against them, not against another machine's table.
set -euo pipefail
cd "$(dirname "$0")/../.."
python benchmarks/particles/bench_particles.py --torch-device cuda "$@"
if [ -n "${OUT:-}" ]; then
    cp benchmarks/results/particles/bench_particles.* "$OUT"/
fi
