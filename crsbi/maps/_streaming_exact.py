"""Exact solutions of ideal CR streaming at constant Alfven speed (test and benchmark references).

Ideal streaming, ``dE/dt = -d/dx[(4/3) E v_st] + v_st dP/dx`` with ``v_st = -v_A sgn(dE/dx)`` and
``P = E/3``, advects every monotonic flank at ``v_A`` away from the maxima (``dE/dt + v_st dE/dx
= 0``), while each maximum turns into a plateau whose level ``h`` drops as the flux
``(4/3) v_A h`` leaves through both edges: ``width(t) dh/dt = -(8/3) v_A h`` with
``width = 2 (v_A t + X(h))``, ``X(h)`` the initial half-width of the profile at level ``h``.
Derived independently of the simulator's scheme; see ``tests/maps/test_streaming.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["bump_profile", "exact_bump", "exact_sine_half_time"]


def _plateau_rhs(va: float, half_width: Callable[[float], float]) -> Callable:
    return lambda t, h: -(4.0 / 3.0) * va * h / (va * t + half_width(h[0]))


def bump_profile(x, *, amplitude=1.0, width=0.5, floor=1e-4):
    """``floor + amplitude cos^2(pi x / 2 width)`` for ``|x| < width``, ``floor`` elsewhere."""
    x = np.asarray(x, dtype=float)
    inside = np.abs(x) < width
    return floor + amplitude * np.where(inside, np.cos(np.pi * x / (2 * width)) ** 2, 0.0)


def exact_bump(x, t, *, va=1.0, amplitude=1.0, width=0.5, floor=1e-4):
    """Exact streamed :func:`bump_profile` at time ``t``: (profile, plateau level)."""

    def half_width(h):
        ratio = np.clip((h - floor) / amplitude, 0.0, 1.0)
        return (2 * width / np.pi) * np.arccos(np.sqrt(ratio))

    sol = solve_ivp(
        _plateau_rhs(va, half_width),
        (0.0, t),
        [floor + amplitude * (1 - 1e-12)],
        rtol=1e-10,
        atol=1e-13,
    )
    level = sol.y[0, -1]
    shape = {"amplitude": amplitude, "width": width, "floor": floor}
    flanks = bump_profile(np.maximum(np.abs(np.asarray(x, float)) - va * t, 0.0), **shape)
    return np.minimum(flanks, level), level


def exact_sine_half_time(eps, *, k=np.pi, va=1.0):
    """Time for the maximum of ``1 + eps cos(k x)`` to fall by ``eps / 2`` under ideal streaming."""

    def half_width(h):
        return np.arccos(np.clip((h - 1.0) / eps, -1.0, 1.0)) / k

    def reached(_, h):
        return h[0] - (1.0 + eps / 2)

    reached.terminal = True
    sol = solve_ivp(
        _plateau_rhs(va, half_width),
        (0.0, 10.0 / (va * k)),
        [1.0 + eps * (1 - 1e-12)],
        events=reached,
        rtol=1e-10,
        atol=1e-14,
    )
    return float(sol.t_events[0][0])
