"""CR streaming of the CR-fluid simulator against the exact solutions of ideal streaming.

Ideal streaming at constant ``v_A`` (``dE/dt = -d/dx[(4/3) E v_st] + v_st dP/dx``,
``v_st = -v_A sgn(dE/dx)``, ``P = E/3``) advects every monotonic flank at ``v_A`` away from the
maxima (``dE/dt + v_st dE/dx = 0``), while each maximum turns into a plateau whose level ``h``
drops as the flux ``(4/3) v_A h`` leaves through both edges:
``width(t) dh/dt = -(8/3) v_A h`` with ``width = 2 (v_A t + X(h))``, ``X(h)`` the initial
half-width of the profile at level ``h``. The plateau ODE and the advected flanks
(``crsbi.maps._streaming_exact``) give the exact solution the tests compare with; it is
independent of the numerical scheme.
"""

from __future__ import annotations

import numpy as np
import pytest

from crsbi.maps._kernels import stream_rows
from crsbi.maps._streaming_exact import bump_profile, exact_bump, exact_sine_half_time

VA = 1.0
ELL = 1.0e4  # the simulator's regularisation length (L)


def _step(E, dt, dx, *, tol=1e-3, max_iter=200, kappa=0.0, rho=None):
    rho = np.ones_like(E) if rho is None else rho
    heating = np.zeros(E.shape[0])
    iterations = np.zeros(E.shape[0], dtype=np.int64)
    stream_rows(E, rho, dt, dx, kappa, VA, ELL, tol, max_iter, heating, iterations)
    return heating, iterations


# ------------------------------------------------------------------ compact bump on a floor
BUMP_A, BUMP_W, FLOOR, T_BUMP = 1.0, 0.5, 1e-4, 0.3
SHAPE = {"amplitude": BUMP_A, "width": BUMP_W, "floor": FLOOR}


def _bump(x):
    return bump_profile(x, **SHAPE)


def _exact_bump(x, t):
    return exact_bump(x, t, va=VA, **SHAPE)


def _run_bump(n, cfl=0.15):
    box = 4.0
    dx = box / n
    x = -box / 2 + (np.arange(n) + 0.5) * dx
    E = _bump(x)[None, :].copy()
    t = 0.0
    while t < T_BUMP * (1 - 1e-12):
        dt = min(cfl * dx / VA, T_BUMP - t)
        _step(E, dt, dx)
        t += dt
    return x, E[0]


@pytest.fixture(scope="module")
def bump_runs():
    return {n: _run_bump(n) for n in (64, 128, 256)}


def test_bump_plateau_matches_exact_streaming(bump_runs):
    for n, (x, E) in bump_runs.items():
        _, level = _exact_bump(x, T_BUMP)
        assert level < 0.35 * BUMP_A  # the exact plateau has dropped by > 65 %: a real test
        assert (E.max() - FLOOR) / (level - FLOOR) == pytest.approx(1.0, abs=0.05), n


def test_bump_converges_with_resolution(bump_runs):
    errors = []
    for x, E in bump_runs.values():
        exact, _ = _exact_bump(x, T_BUMP)
        errors.append(np.abs(E - exact).sum() / np.abs(exact - FLOOR).sum())
    assert errors[-1] < 0.03
    assert errors[0] / errors[-1] > 2.5  # 64 -> 256: at least ~first order


def test_bump_front_moves_at_alfven_speed(bump_runs):
    # the foot of the flank (where E first exceeds the floor by 1 % of the bump) at |x| = w + v_A t
    for x, E in bump_runs.values():
        dx = x[1] - x[0]
        threshold = FLOOR + 0.01 * BUMP_A
        exact, _ = _exact_bump(x, T_BUMP)
        front = x[threshold < E].max()
        assert front == pytest.approx(x[exact > threshold].max(), abs=2.5 * dx)
        assert front > BUMP_W + 0.85 * VA * T_BUMP  # moved by v_A t, not a diffusive spread


# ------------------------------------------------------------------ sine mode
BOX, K = 2.0, np.pi


def _exact_half_time(eps):
    return exact_sine_half_time(eps, k=K, va=VA)


def _numerical_half_time(eps, n=1024, cfl=0.15):
    dx = BOX / n
    x = (np.arange(n) + 0.5) * dx
    E = (1.0 + eps * np.cos(K * x))[None, :]
    dt = cfl * dx / VA
    t, previous = 0.0, E.max()
    while True:
        _step(E, dt, dx)
        t += dt
        if E.max() <= 1.0 + eps / 2:  # interpolate inside the last step
            return t - dt + dt * (previous - (1.0 + eps / 2)) / (previous - E.max())
        previous = E.max()


@pytest.mark.parametrize("eps", [0.01, 0.03, 0.1, 0.3])
def test_sine_flattening_rate_matches_exact_streaming(eps):
    exact, numerical = _exact_half_time(eps), _numerical_half_time(eps)
    assert numerical == pytest.approx(exact, rel=0.06)


def test_sine_flattening_rate_is_nearly_amplitude_independent():
    # ideal streaming removes the perturbation at an absolute rate ~ E v_A k whatever its
    # amplitude (a diffusion would remove it at a rate proportional to the amplitude)
    rates = np.array([eps / 2 / _numerical_half_time(eps) for eps in (0.01, 0.03, 0.1, 0.3)])
    assert rates.max() / rates.min() < 1.2
    assert rates.min() / (VA * K) > 1.5  # O(1) in units of v_A k E, not O(eps)


# ------------------------------------------------------------------ conservation and guards
def test_energy_budget_closes_and_no_new_extrema():
    rng = np.random.default_rng(1)
    n = 128
    E = 1.0 + 0.2 * rng.random((8, n))
    before = E.copy()
    heating, iterations = _step(E, 0.01, 2.0 / n, kappa=0.05)
    # the transport conserves each row; the streaming loss is what heats the gas
    np.testing.assert_allclose(
        before.sum(axis=1) - E.sum(axis=1), heating, rtol=0, atol=1e-10 * before.sum(axis=1).max()
    )  # round-off of solves with conductances up to (4/3) v_A ell = 1.3e4
    assert np.all(heating > 0)
    assert np.all(iterations < 200)
    assert E.max() <= before.max() + 1e-12 and E.min() >= before.min() - 0.5 * before.max()


def test_iteration_cap_is_reported():
    n = 256
    x = (np.arange(n) + 0.5) * (2.0 / n)
    E = (1.0 + 0.3 * np.cos(np.pi * x))[None, :]
    _, iterations = _step(E, 0.05, 2.0 / n, tol=1e-14, max_iter=3)
    assert iterations[0] == 3


def test_streaming_is_slower_where_the_alfven_speed_is_lower():
    # v_A = va0 / sqrt(rho): the same bump in gas 4x denser streams at half the speed
    n, dx = 256, 4.0 / 256
    x = -2.0 + (np.arange(n) + 0.5) * dx
    fronts = []
    for density in (1.0, 4.0):
        E = _bump(x)[None, :].copy()
        rho = np.full_like(E, density)
        for _ in range(128):  # t = 0.3
            _step(E, 0.15 * dx / VA, dx, rho=rho)
        fronts.append(x[E[0] > FLOOR + 0.01 * BUMP_A].max() - BUMP_W)
    assert fronts[1] / fronts[0] == pytest.approx(0.5, abs=0.1)
