import os

import numpy as np
import pytest

# Threshold for the p-value of a hypothesis test whose null is true (a check of calibration,
# uniformity, a false-positive rate or chance-level accuracy): the two-sided normal tail at
# 4 sigma, 2 * scipy.stats.norm.sf(4) = 6.33e-5, so such a check fails by chance once in
# ~16 000 seeds, not once in 1 000 (p > 1e-3) or 100 (p > 0.01). A one-sided check uses
# P_4SIGMA / 2. Checks that assert a rejection (p < 1e-6, ...) are power checks and keep
# their own thresholds. Import it with ``from conftest import P_4SIGMA``.
P_4SIGMA = 6.3e-5


def pytest_configure(config):
    # Under pytest-xdist each worker gets one torch thread, so workers do not
    # oversubscribe the cores (and CPU results stay reproducible).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture
def rng():
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(12345)
