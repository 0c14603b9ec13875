#!/usr/bin/env bash
# TrajectoryGenerator at the paper's network size on a CUDA GPU (docs/generative.md).
#
# Usage: benchmarks/particles/run_generative_gpu.sh SECONDS RUN [RUN ...]
#   SECONDS  training budget per run (the session-9 figures: 90 s; 60 s for alpha = 32)
#   RUN      a coupling (32, 128, 512) or "conditional" (trained on alpha = 16 and 64,
#            tested at the unseen alpha = 32)
# Each run: U-Net with 64 base channels and 6 levels (12.5 M parameters), 2048-step series
# (MSD at 10.24 gyro-periods), every 4th sample modelled, x4 rotations, batch 128, lr 1e-3,
# then DDIM-50, DDIM-200, stochastic DDIM-200 and the ancestral chain against 256 fresh
# series. Results: benchmarks/results/particles/*_L2048_gpu_samplers.*; with $OUT set (the device
# tool) they are also packed into $OUT/generative_gpu.tgz after every run, so a run cut
# short keeps the finished ones. On an H100 one run takes about SECONDS + 2 minutes.
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -lt 2 ]; then
    echo "usage: $0 SECONDS RUN [RUN ...]   (RUN: 32, 128, 512 or conditional)" >&2
    exit 2
fi
seconds=$1
shift
common=(--device cuda --length 2048 --n-ref 256 --base-channels 64 --n-levels 6
    --train-seconds "$seconds" --lr 1e-3 --batch-size 128 --rotations 4 --sampler-study 256)
for run in "$@"; do
    case $run in
        conditional) python3 bench_generative.py "${common[@]}" --alpha 32 --train-alphas 16 64 \
            --n-train 1024 ;;
        *[!0-9.]* | "") echo "RUN must be a coupling or 'conditional', got '$run'" >&2; exit 2 ;;
        *) python3 bench_generative.py "${common[@]}" --alpha "$run" --n-train 2048 ;;
    esac
    if [ -n "${OUT:-}" ]; then
        (cd .. && tar czf "$OUT/generative_gpu.tgz" results/particles/*_gpu*)
    fi
done
