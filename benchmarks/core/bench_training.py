"""Overhead of crsbi's shared training loop against a plain hand-written torch loop.

Same network, data, optimizer, batch size and number of epochs; the ratio tells how
much the estimator machinery (validation, splitting, early-stopping bookkeeping,
history) costs. Run: ``python benchmarks/core/bench_training.py``.
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
from torch import nn

from crsbi import NeuralRegressor
from crsbi.core import MLP

RESULTS = results_dir(__file__)  # benchmarks/results/<domain>/

N_SAMPLES, N_FEATURES, EPOCHS, BATCH = 20000, 8, 10, 128


def plain_loop(X: np.ndarray, y: np.ndarray) -> float:
    torch.manual_seed(0)
    x_t = torch.as_tensor(X, dtype=torch.float32)
    y_t = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    module = MLP(N_FEATURES, 1)
    opt = torch.optim.AdamW(module.parameters(), lr=1e-3, weight_decay=1e-4)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x_t))
        for i in range(0, len(x_t), BATCH):
            idx = order[i : i + BATCH]
            opt.zero_grad()
            loss = nn.functional.mse_loss(module(x_t[idx]), y_t[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - start


def crsbi_loop(X: np.ndarray, y: np.ndarray) -> float:
    start = time.perf_counter()
    NeuralRegressor(
        max_epochs=EPOCHS,
        batch_size=BATCH,
        validation_fraction=0.0,  # same number of training samples as the plain loop
        patience=None,
        random_state=0,
        verbose=0,
        device="cpu",
    ).fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    y = np.sin(X).sum(axis=1)
    plain_loop(X, y)  # warm-up
    plain = min(plain_loop(X, y) for _ in range(3))
    ours = min(crsbi_loop(X, y) for _ in range(3))
    rows = [
        {
            "loop": "plain torch",
            "seconds": plain,
            "samples/s": N_SAMPLES * EPOCHS / plain,
            "ratio": 1.0,
        },
        {
            "loop": "crsbi NeuralRegressor.fit",
            "seconds": ours,
            "samples/s": N_SAMPLES * EPOCHS / ours,
            "ratio": ours / plain,
        },
    ]
    write_report(
        "bench_training",
        rows,
        notes=f"{N_SAMPLES} samples x {EPOCHS} epochs, batch {BATCH}, MLP(8->64->64->1), CPU, "
        f"{torch.get_num_threads()} torch threads; best of 3. ratio = time / plain-loop time.",
        results=RESULTS,
    )


if __name__ == "__main__":
    main()
