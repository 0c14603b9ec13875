"""Private numba kernel: back-track anti-particles from the Earth out of the Galaxy.

Units: positions in kpc (Galactocentric, the Earth at ``earth``), fields in microgauss,
rigidities in EV. A nucleus of rigidity ``R`` in a field ``B`` turns on a circle of radius

    r_g = R / (c B) = 1.0810 kpc x (R / EV) / (B / microgauss)

(``R = 1e18 V``: ``1e18 / (c 1e-10 T)`` m = 3.3356e19 m = 1.0810 kpc). Along the path
length ``s`` the unit velocity obeys ``du/ds = q u x B / (R c)``. Back-tracking flips the
charge: an event observed from the direction ``n`` is launched from the Earth with
``u = +n`` and ``q = -1``; the direction of its velocity when it leaves the sphere of
radius ``r_max`` is the extragalactic direction it came from.

The step is the Boris rotation (it keeps ``|u| = 1`` exactly) about the field at the
mid-point of a leapfrog ("drift-kick-drift") step, whose length is
``min(step_max, step_angle * r_g(x))``: at most ``step_angle`` radians of gyration.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["KPC_PER_EV_UG", "backtrack_kernel", "turbulent_envelope"]

#: Gyro-radius in kpc of rigidity 1 EV in 1 microgauss (R / (c B)).
KPC_PER_EV_UG = 1e18 / (299_792_458.0 * 1e-10) / 3.0856775814913673e19


@njit(cache=True, inline="always")
def turbulent_envelope(x, y, z, env):  # pragma: no cover - compiled
    """Rms turbulent field [microgauss] at ``(x, y, z)`` kpc (see :class:`TurbulentField`).

    ``env = (b_disk, r_disk, h_disk, b_halo, r_halo, h_halo, r_max)``: a disk part
    ``b_disk min(1, r_disk / r) exp(-z^2 / 2 h_disk^2)`` plus a halo part
    ``b_halo exp(-r / r_halo) exp(-z^2 / 2 h_halo^2)``, zero beyond ``r_max`` (spherical).
    """
    r = math.sqrt(x * x + y * y)
    if r * r + z * z > env[6] * env[6]:
        return 0.0
    radial = 1.0 if r <= env[1] else env[1] / r
    disk = env[0] * radial * math.exp(-0.5 * (z / env[2]) ** 2)
    halo = env[3] * math.exp(-r / env[4]) * math.exp(-0.5 * (z / env[5]) ** 2)
    return disk + halo


@njit(cache=True, inline="always")
def _turbulent(x, y, z, k, e, alpha, env):  # pragma: no cover - compiled
    n = k.shape[0]
    if n == 0:
        return 0.0, 0.0, 0.0
    scale = turbulent_envelope(x, y, z, env)
    if scale == 0.0:
        return 0.0, 0.0, 0.0
    bx = 0.0
    by = 0.0
    bz = 0.0
    for j in range(n):
        c = math.cos(k[j, 0] * x + k[j, 1] * y + k[j, 2] * z + alpha[j])
        bx += e[j, 0] * c
        by += e[j, 1] * c
        bz += e[j, 2] * c
    return scale * bx, scale * by, scale * bz


@njit(parallel=True, cache=True)
def backtrack_kernel(
    field, params, k, e, alpha, env, directions, rigidity_ev, earth, r_max, step_max,
    step_angle, max_length, out,
):  # pragma: no cover - compiled  # fmt: skip
    """Back-track ``directions`` (n, 3) of rigidity ``rigidity_ev``; write exit directions.

    Parameters
    ----------
    field : numba function ``(x, y, z, params) -> (bx, by, bz)``
        Regular field [microgauss] at a Galactocentric position [kpc].
    params : float64 (m,)
        Its parameters.
    k, e : float64 (n_waves, 3); alpha : float64 (n_waves,)
        Turbulent plane waves of unit rms (``n_waves = 0``: none) in 1/kpc; scaled by
        ``turbulent_envelope(x, y, z, env)``.
    env : float64 (7,)
        Envelope parameters.
    directions : float64 (n, 3)
        Observed arrival directions (unit vectors pointing to the sky).
    rigidity_ev : float
        Rigidity E / Z [EV]; a negative value tracks the nucleus itself forwards (charge
        +1) instead of the anti-particle.
    earth : float64 (3,)
        Start position [kpc].
    r_max : float
        Radius of the Galactocentric sphere that ends a track [kpc].
    step_max, step_angle : float
        Largest step [kpc] and largest gyration angle per step [rad].
    max_length : float
        Path length [kpc] after which a track counts as trapped (exit direction NaN).
    out : float64 (n, 4) or (n, 10)
        Receives the exit direction (NaN if the track did not leave the sphere within
        ``max_length``) and the path length [kpc]; with 10 columns also the final position
        [kpc] and the final direction (written whether or not the track left).
    """
    n = directions.shape[0]
    inv_rg_per_b = -1.0 / (KPC_PER_EV_UG * rigidity_ev)  # q = -1: the anti-particle
    r_per_b = KPC_PER_EV_UG * abs(rigidity_ev)
    full = out.shape[1] >= 10
    r_max2 = r_max * r_max
    for i in prange(n):
        x = earth[0]
        y = earth[1]
        z = earth[2]
        ux = directions[i, 0]
        uy = directions[i, 1]
        uz = directions[i, 2]
        length = 0.0
        h = step_max
        escaped = False
        while length < max_length:
            # drift half a step, rotate with the field there, drift half a step
            xm = x + 0.5 * h * ux
            ym = y + 0.5 * h * uy
            zm = z + 0.5 * h * uz
            bx, by, bz = field(xm, ym, zm, params)
            tx, ty, tz = _turbulent(xm, ym, zm, k, e, alpha, env)
            bx += tx
            by += ty
            bz += tz
            b = math.sqrt(bx * bx + by * by + bz * bz)
            # the next step length follows the field at this mid-point
            h_next = step_max
            if b > 0.0:
                h_next = min(step_max, step_angle * r_per_b / b)
            half = 0.5 * h * inv_rg_per_b
            tx = bx * half
            ty = by * half
            tz = bz * half
            f = 2.0 / (1.0 + tx * tx + ty * ty + tz * tz)
            px = ux + (uy * tz - uz * ty)
            py = uy + (uz * tx - ux * tz)
            pz = uz + (ux * ty - uy * tx)
            ux = ux + f * (py * tz - pz * ty)
            uy = uy + f * (pz * tx - px * tz)
            uz = uz + f * (px * ty - py * tx)
            x = xm + 0.5 * h * ux
            y = ym + 0.5 * h * uy
            z = zm + 0.5 * h * uz
            length += h
            h = min(h_next, max_length - length)
            if x * x + y * y + z * z > r_max2:
                escaped = True
                break
        if escaped:
            norm = math.sqrt(ux * ux + uy * uy + uz * uz)
            out[i, 0] = ux / norm
            out[i, 1] = uy / norm
            out[i, 2] = uz / norm
        else:
            out[i, 0] = np.nan
            out[i, 1] = np.nan
            out[i, 2] = np.nan
        out[i, 3] = length
        if full:
            out[i, 4] = x
            out[i, 5] = y
            out[i, 6] = z
            out[i, 7] = ux
            out[i, 8] = uy
            out[i, 9] = uz
