"""Private numba kernels of the test-particle simulator (arrays in, arrays out).

The turbulent field of particle ``i`` is a sum of plane waves stored as a
structure of arrays ``waves[i]`` of shape ``(n_rows, n_waves)``, rows
``kx, ky, kz, alpha`` *in turns* (wave vector and phase divided by ``2 pi``) and
``ex, ey`` (and ``ez`` when ``n_rows == 7``) in units of ``B0``. The inner loop over
waves is branch-free and contiguous, and its cosine is a polynomial (below) rather
than a call to libm, so LLVM vectorises it with AVX2 / AVX-512 without SVML (numba
0.62+ ships no SVML support).

Reproducibility across CPUs. The default kernels are compiled with :data:`EXACT` flags:
no reassociation and no contraction into fused multiply-adds, so every sum is evaluated
in the order written here and the results are bit-identical on any x86-64 CPU (and under
``NUMBA_CPU_NAME=generic``) for one numba/LLVM version. The wave sum keeps its speed
through an explicit order: the cosines are computed in a vectorised pass into a scratch
row, then summed in :data:`LANES` interleaved partial sums combined pairwise, an order
that does not depend on the vector width. ``fast=True`` selects wave sums compiled with
``fastmath=True`` instead (LLVM reassociates them by vector width and fuses
multiply-adds per CPU): about 2x faster on AVX-512 machines, but the last bits then
differ between CPUs, and chaotic orbits amplify them to differences of the trajectories
themselves (statistically equivalent, not identical).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "BLOCK",
    "CASCADE_TAG",
    "EXACT",
    "FINAL_COLUMNS_32",
    "LANES",
    "RECENTRE",
    "cascade_normals",
    "cos_turns",
    "cos_turns32",
    "draw_waves_kernel",
    "field_kernel",
    "next_uint64",
    "seed_state",
    "trace_kernel",
    "trace_kernel32",
]

# sin(2 pi v) = v * P(v^2) on |v| <= 1/4: a least-squares fit on Chebyshev nodes in 40-digit
# arithmetic. Max abs error of cos_turns over a period: 4.4e-16 (about 2 ulp).
_C0 = 6.28318530717958
_C1 = -41.34170224039508
_C2 = 81.60524927502529
_C3 = -76.70585964739314
_C4 = 42.05868830240238
_C5 = -15.094471554054136
_C6 = 3.8169967608105932
_C7 = -0.6909330342703184


#: fastmath flags of the reproducible kernels: no ``reassoc`` and no ``contract`` (FMA).
EXACT = {"nnan", "ninf", "nsz"}
#: partial sums of the reproducible wave sum (summed as ``(s0 + s1) + (s2 + s3)``).
LANES = 4


@njit(fastmath=EXACT, cache=True, inline="always")
def cos_turns(p: float) -> float:  # pragma: no cover - compiled
    """Return ``cos(2 pi p)`` for any finite ``p`` (branch-free, vectorisable)."""
    r = p - np.floor(p + 0.5)  # exact, in [-1/2, 1/2]
    v = 0.25 - abs(r)  # cos(2 pi r) = sin(2 pi (1/4 - |r|)), |v| <= 1/4
    w = v * v
    s = _C7
    s = s * w + _C6
    s = s * w + _C5
    s = s * w + _C4
    s = s * w + _C3
    s = s * w + _C2
    s = s * w + _C1
    s = s * w + _C0
    return s * v


@njit(fastmath=EXACT, cache=True)
def _cosines(x, y, z, kx, ky, kz, alpha, c):  # pragma: no cover - compiled
    """``c[j] = cos(2 pi (k_j . x + alpha_j))``: element-wise, so vectorised exactly."""
    for j in range(kx.shape[0]):
        c[j] = cos_turns(kx[j] * x + ky[j] * y + kz[j] * z + alpha[j])


@njit(fastmath=EXACT, cache=True)
def _dot(e, c):  # pragma: no cover - compiled
    """``sum_j e[j] c[j]`` in LANES interleaved partial sums: one order on every CPU."""
    n = e.shape[0]
    m = n - n % LANES
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    for j in range(0, m, LANES):
        s0 += e[j] * c[j]
        s1 += e[j + 1] * c[j + 1]
        s2 += e[j + 2] * c[j + 2]
        s3 += e[j + 3] * c[j + 3]
    total = (s0 + s1) + (s2 + s3)
    for j in range(m, n):
        total += e[j] * c[j]
    return total


@njit(fastmath=True, cache=True)
def _field_fast(x, y, z, kx, ky, kz, alpha, ex, ey, ez, three):  # pragma: no cover - compiled
    """Sum the waves with reassociation and FMA allowed: fastest, CPU-dependent last bits."""
    bx = 0.0
    by = 0.0
    bz = 0.0
    if three:
        for j in range(kx.shape[0]):
            c = cos_turns(kx[j] * x + ky[j] * y + kz[j] * z + alpha[j])
            bx += ex[j] * c
            by += ey[j] * c
            bz += ez[j] * c
    else:
        for j in range(kx.shape[0]):
            c = cos_turns(kx[j] * x + ky[j] * y + kz[j] * z + alpha[j])
            bx += ex[j] * c
            by += ey[j] * c
    return bx, by, bz


@njit(fastmath=EXACT, cache=True)
def _field(x, y, z, kx, ky, kz, alpha, ex, ey, ez, three, fast, c):  # pragma: no cover
    """Turbulent field at one point: exact order (scratch row ``c``) unless ``fast``."""
    if fast:
        return _field_fast(x, y, z, kx, ky, kz, alpha, ex, ey, ez, three)
    _cosines(x, y, z, kx, ky, kz, alpha, c)
    bz = _dot(ez, c) if three else 0.0
    return _dot(ex, c), _dot(ey, c), bz


@njit(parallel=True, fastmath=EXACT, cache=True)
def field_kernel(waves, points, out, fast=False):  # pragma: no cover - compiled
    """Field of each particle's own realisation at its points, as the pusher sees it.

    Parameters
    ----------
    waves : float64 (n_particles, 6 or 7, n_waves), C-contiguous
        Packed waves (see module docstring).
    points : float64 (n_particles, n_points, 3)
        Positions in ``rho_L0``.
    out : float64 (n_particles, n_points, 3)
        Receives the turbulent field ``b`` in ``B0`` (``B0 z`` not included).
    fast : bool, default=False
        Wave sums with ``fastmath=True`` (CPU-dependent last bits), see module docstring.
    """
    n_points = points.shape[1]
    n_rows = waves.shape[1]
    three = n_rows == 7
    for i in prange(points.shape[0]):
        c = np.empty(waves.shape[2])
        for p in range(n_points):
            bx, by, bz = _field(
                points[i, p, 0], points[i, p, 1], points[i, p, 2], waves[i, 0], waves[i, 1],
                waves[i, 2], waves[i, 3], waves[i, 4], waves[i, 5], waves[i, n_rows - 1],
                three, fast, c,
            )  # fmt: skip
            out[i, p, 0] = bx
            out[i, p, 1] = by
            out[i, p, 2] = bz


@njit(parallel=True, fastmath=EXACT, cache=True)
def trace_kernel(
    waves, positions, momenta, dt, sample_steps, guiding_centre, out_positions, out_momenta,
    fast, final_state, gammas,
):  # pragma: no cover - compiled  # fmt: skip
    """Advance particles with the relativistic Boris pusher (no electric field).

    Units: time in ``1/omega_c``, lengths in ``rho_L0``, momenta in ``m c``, field in
    ``B0``; ``dp/dt = v x B`` with ``B = z + b(r)`` and ``v = p / gamma``.

    Parameters
    ----------
    waves : float64 (n_particles, 6 or 7, n_waves), C-contiguous
        Packed waves of each particle's own field realisation (see module docstring).
    positions, momenta : float64 (n_particles, 3)
        Initial positions ``x_0`` and momenta (taken as ``p_{-1/2}``).
    dt : float
        Time step.
    sample_steps : int64 (n_samples,), increasing, >= 0
        Steps at which the state is written (0: initial state); the last one is the number
        of steps.
    guiding_centre : bool
        Write guiding centres in ``B0 z`` instead of positions (see below).
    out_positions : float64 (n_particles, n_samples, 3)
        Receives ``x_n`` at the sample steps, or the guiding centre
        ``x_n + (1 + a^2) pbar_n x z`` with ``pbar_n = (p_{n-1/2} + p_{n+1/2}) / 2`` and
        ``a = dt / (2 gamma)``: for the Boris map in a uniform field this is exactly the
        centre of the circle on which the ``x_n`` lie.
    out_momenta : float64 (n_particles, n_samples or 0, 3)
        Receives ``p_{n-1/2}`` (the momentum that moved the particle to ``x_n``) when its
        second axis is not empty.
    fast : bool
        Wave sums with ``fastmath=True`` (CPU-dependent last bits), see module docstring.
    final_state : float64 (n_particles, 7) or (0, 7)
        When not empty, receives ``(x_N, p_{N-1/2}, gamma)`` at the last sample step ``N``:
        passed back as ``positions``, ``momenta`` and ``gammas`` it continues the run bit
        for bit.
    gammas : float64 (n_particles,) or (0,)
        Lorentz factors to use instead of ``sqrt(1 + p^2)`` of ``momenta`` (which the
        pusher conserves only to round-off): the ones of the run being continued.
    """
    n_particles = positions.shape[0]
    keep_final = final_state.shape[0] > 0
    given_gamma = gammas.shape[0] > 0
    n_rows = waves.shape[1]
    n_samples = sample_steps.shape[0]
    n_steps = sample_steps[n_samples - 1]
    keep_momenta = out_momenta.shape[1] > 0
    three = n_rows == 7
    for i in prange(n_particles):
        kx = waves[i, 0]
        ky = waves[i, 1]
        kz = waves[i, 2]
        alpha = waves[i, 3]
        ex = waves[i, 4]
        ey = waves[i, 5]
        ez = waves[i, n_rows - 1]
        c = np.empty(kx.shape[0])
        x = positions[i, 0]
        y = positions[i, 1]
        z = positions[i, 2]
        ux = momenta[i, 0]
        uy = momenta[i, 1]
        uz = momenta[i, 2]
        gamma = np.sqrt(1.0 + ux * ux + uy * uy + uz * uz)  # constant: B does no work
        if given_gamma:
            gamma = gammas[i]
        half = 0.5 * dt / gamma
        step_x = dt / gamma
        centre = 0.5 * (1.0 + half * half)
        k = 0
        # iteration n rotates p_{n-1/2} -> p_{n+1/2} with B(x_n), writes the samples of step
        # n, then moves x_n -> x_{n+1}; the last iteration (n = n_steps) does not move.
        for n in range(n_steps + 1):
            bx, by, bz = _field(x, y, z, kx, ky, kz, alpha, ex, ey, ez, three, fast, c)
            tx = bx * half
            ty = by * half
            tz = (1.0 + bz) * half
            f = 2.0 / (1.0 + tx * tx + ty * ty + tz * tz)
            sx = f * tx
            sy = f * ty
            sz = f * tz
            px = ux + (uy * tz - uz * ty)
            py = uy + (uz * tx - ux * tz)
            pz = uz + (ux * ty - uy * tx)
            vx = ux + (py * sz - pz * sy)
            vy = uy + (pz * sx - px * sz)
            vz = uz + (px * sy - py * sx)
            if n == sample_steps[k]:
                if guiding_centre:
                    out_positions[i, k, 0] = x + centre * (uy + vy)
                    out_positions[i, k, 1] = y - centre * (ux + vx)
                else:
                    out_positions[i, k, 0] = x
                    out_positions[i, k, 1] = y
                out_positions[i, k, 2] = z
                if keep_momenta:
                    out_momenta[i, k, 0] = ux
                    out_momenta[i, k, 1] = uy
                    out_momenta[i, k, 2] = uz
                k += 1
                if k == n_samples:
                    break
            ux = vx
            uy = vy
            uz = vz
            x += ux * step_x
            y += uy * step_x
            z += uz * step_x
        if keep_final:  # the loop broke at n = N before moving: x_N and p_{N-1/2}
            final_state[i, 0] = x
            final_state[i, 1] = y
            final_state[i, 2] = z
            final_state[i, 3] = ux
            final_state[i, 4] = uy
            final_state[i, 5] = uz
            final_state[i, 6] = gamma


# --------------------------------------------------------------------------- single precision
# ``trace_kernel32`` pushes particles in blocks of BLOCK, vectorised *across* the particles of a
# block: the loop over the block's particles is innermost, so each particle's wave sum runs in
# plain sequential order (one order on every CPU, whatever the vector width) while LLVM's loop
# vectoriser fills every SIMD lane. Phases and field sums are float32; positions, momenta and
# the pusher stay float64. A float32 phase k.x would lose the turns far from the origin, so
# the phase is split: every RECENTRE steps each wave's phase at the particle's position is
# reduced to [-1/2, 1/2] turns in float64 and stored as float32 (psi), and in between only the
# short displacement from that reference is float32: k.(x - x_ref) + psi.

#: particles per SIMD block of :func:`trace_kernel32`
BLOCK = 64
#: steps between the float64 re-centrings of the float32 phases (absolute step numbers)
RECENTRE = 32
#: extra columns of ``final_state`` for :func:`trace_kernel32`: the reference position
FINAL_COLUMNS_32 = 10

# sin(2 pi v) = v * Q(v^2) on |v| <= 1/4, degree 7, minimax (iteratively reweighted least
# squares): max abs error 5.9e-7 in exact arithmetic, 7.3e-7 evaluated in float32 (about 10
# float32 ulps of 1; degree 9 would reach the rounding level, 6e-8, for ~10 % more time).
_S0 = np.float32(6.28316404)
_S1 = np.float32(-41.33714236)
_S2 = np.float32(81.34076862)
_S3 = np.float32(-70.99343043)
_HALF32 = np.float32(0.5)
_QUARTER32 = np.float32(0.25)


@njit(fastmath=EXACT, cache=True, inline="always")
def cos_turns32(q):  # pragma: no cover - compiled
    """Return ``cos(2 pi q)`` in float32 for a float32 ``q`` (branch-free, vectorisable)."""
    r = q - np.floor(q + _HALF32)
    v = _QUARTER32 - abs(r)
    w = v * v
    s = _S3
    s = s * w + _S2
    s = s * w + _S1
    s = s * w + _S0
    return s * v


@njit(cache=True)
def _load_block(waves, i0, n_valid, k64, w32):  # pragma: no cover - compiled
    """Copy the waves of particles ``i0 .. i0 + n_valid - 1`` into the block layouts.

    ``k64[r, j, p]`` (float64 rows kx, ky, kz, alpha) feeds the re-centring and
    ``w32[r, j, p]`` (float32 rows kx, ky, kz, ex, ey[, ez]) the wave sums; lanes of missing
    particles stay zero waves.
    """
    n_rows = waves.shape[1]
    for p in range(n_valid):
        for r in range(n_rows):
            for j in range(waves.shape[2]):
                value = waves[i0 + p, r, j]
                if r < 4:
                    k64[r, j, p] = value
                if r != 3:
                    w32[r if r < 3 else r - 1, j, p] = np.float32(value)


@njit(fastmath=EXACT, cache=True)
def _recentre32(k64, x, y, z, psi):  # pragma: no cover - compiled
    """``psi[j, p] = k_j . x_p + alpha_j`` reduced to [-1/2, 1/2] turns, in float64, as float32."""
    kx, ky, kz, alpha = k64[0], k64[1], k64[2], k64[3]
    for j in range(kx.shape[0]):
        for p in range(kx.shape[1]):
            q = kx[j, p] * x[p] + ky[j, p] * y[p] + kz[j, p] * z[p] + alpha[j, p]
            psi[j, p] = np.float32(q - np.floor(q + 0.5))


@njit(fastmath=EXACT, cache=True, inline="always")
def _wave32(kx, ky, kz, psi, dx, dy, dz, j, p):  # pragma: no cover - compiled
    """``cos(2 pi (k_j . dx_p + psi_jp))`` of wave ``j`` for particle ``p`` of a block."""
    return cos_turns32(kx[j, p] * dx[p] + ky[j, p] * dy[p] + kz[j, p] * dz[p] + psi[j, p])


@njit(fastmath=EXACT, cache=True)
def _field32(w, psi, dx, dy, dz, bx, by, bz):  # pragma: no cover - compiled
    """Wave sums of one block in float32, each particle's sum in sequential wave order.

    ``w`` is one block of waves (float32 rows kx, ky, kz, ex, ey[, ez]), ``psi`` the
    re-centred phases and ``dx, dy, dz`` the float32 displacements from the reference.
    Two waves per pass (added in order) halve the loads and stores of the accumulators.
    """
    n_waves = w.shape[1]
    block = w.shape[2]
    kx, ky, kz, ex, ey = w[0], w[1], w[2], w[3], w[4]
    for p in range(block):
        bx[p] = 0.0
        by[p] = 0.0
        bz[p] = 0.0
    m = n_waves - n_waves % 2
    # two copies of the loops on purpose: with the bz branch inside one loop the 2D case
    # ran ~15 % slower (measured); the sums are the same bits either way
    if w.shape[0] == 6:  # isotropic waves have a z amplitude
        ez = w[5]
        for j in range(0, m, 2):
            for p in range(block):
                c0 = _wave32(kx, ky, kz, psi, dx, dy, dz, j, p)
                c1 = _wave32(kx, ky, kz, psi, dx, dy, dz, j + 1, p)
                bx[p] = (bx[p] + ex[j, p] * c0) + ex[j + 1, p] * c1
                by[p] = (by[p] + ey[j, p] * c0) + ey[j + 1, p] * c1
                bz[p] = (bz[p] + ez[j, p] * c0) + ez[j + 1, p] * c1
        for j in range(m, n_waves):
            for p in range(block):
                c0 = _wave32(kx, ky, kz, psi, dx, dy, dz, j, p)
                bx[p] += ex[j, p] * c0
                by[p] += ey[j, p] * c0
                bz[p] += ez[j, p] * c0
        return
    for j in range(0, m, 2):
        for p in range(block):
            c0 = _wave32(kx, ky, kz, psi, dx, dy, dz, j, p)
            c1 = _wave32(kx, ky, kz, psi, dx, dy, dz, j + 1, p)
            bx[p] = (bx[p] + ex[j, p] * c0) + ex[j + 1, p] * c1
            by[p] = (by[p] + ey[j, p] * c0) + ey[j + 1, p] * c1
    for j in range(m, n_waves):
        for p in range(block):
            c0 = _wave32(kx, ky, kz, psi, dx, dy, dz, j, p)
            bx[p] += ex[j, p] * c0
            by[p] += ey[j, p] * c0


@njit(parallel=True, fastmath=EXACT, cache=True)
def trace_kernel32(
    waves, positions, momenta, dt, sample_steps, step0, guiding_centre, out_positions,
    out_momenta, final_state, gammas, references, block,
):  # pragma: no cover - compiled  # fmt: skip
    """:func:`trace_kernel` with float32 phases and wave sums, vectorised across particles.

    Same pusher, units and outputs as :func:`trace_kernel`; the extra arguments are
    ``block`` (particles per SIMD block, e.g. :data:`BLOCK`), ``step0`` (the absolute step number of
    ``positions``: phases are re-centred at the absolute steps that are multiples of
    :data:`RECENTRE`) and ``references`` (float64 (n_particles, 3) or (0, 3): the reference
    positions of the run being continued, needed when ``step0`` is not a multiple of
    :data:`RECENTRE`). ``final_state`` has :data:`FINAL_COLUMNS_32` columns when not empty:
    ``(x_N, p_{N-1/2}, gamma, x_ref)``, which passed back continues the run bit for bit.
    """
    n_particles = positions.shape[0]
    n_waves = waves.shape[2]
    n_blocks = -(-n_particles // block)
    keep_final = final_state.shape[0] > 0
    given_gamma = gammas.shape[0] > 0
    given_reference = references.shape[0] > 0
    keep_momenta = out_momenta.shape[1] > 0
    n_samples = sample_steps.shape[0]
    n_steps = sample_steps[n_samples - 1]
    for b in prange(n_blocks):
        i0 = b * block
        n_valid = min(block, n_particles - i0)
        k64 = np.zeros((4, n_waves, block))
        w32 = np.zeros((waves.shape[1] - 1, n_waves, block), dtype=np.float32)
        _load_block(waves, i0, n_valid, k64, w32)
        x = np.zeros(block)
        y = np.zeros(block)
        z = np.zeros(block)
        ux = np.zeros(block)
        uy = np.zeros(block)
        uz = np.zeros(block)
        half = np.zeros(block)
        step_x = np.zeros(block)
        centre = np.zeros(block)
        xr = np.zeros(block)
        yr = np.zeros(block)
        zr = np.zeros(block)
        gamma = np.ones(block)
        for p in range(n_valid):
            x[p] = positions[i0 + p, 0]
            y[p] = positions[i0 + p, 1]
            z[p] = positions[i0 + p, 2]
            ux[p] = momenta[i0 + p, 0]
            uy[p] = momenta[i0 + p, 1]
            uz[p] = momenta[i0 + p, 2]
            gamma[p] = np.sqrt(1.0 + ux[p] * ux[p] + uy[p] * uy[p] + uz[p] * uz[p])
            if given_gamma:
                gamma[p] = gammas[i0 + p]
            half[p] = 0.5 * dt / gamma[p]
            step_x[p] = dt / gamma[p]
            centre[p] = 0.5 * (1.0 + half[p] * half[p])
        psi = np.zeros((n_waves, block), dtype=np.float32)
        dx = np.zeros(block, dtype=np.float32)
        dy = np.zeros(block, dtype=np.float32)
        dz = np.zeros(block, dtype=np.float32)
        bx = np.zeros(block, dtype=np.float32)
        by = np.zeros(block, dtype=np.float32)
        bz = np.zeros(block, dtype=np.float32)
        vx = np.zeros(block)
        vy = np.zeros(block)
        vz = np.zeros(block)
        if (step0 % RECENTRE != 0) and given_reference:
            for p in range(n_valid):
                xr[p] = references[i0 + p, 0]
                yr[p] = references[i0 + p, 1]
                zr[p] = references[i0 + p, 2]
            _recentre32(k64, xr, yr, zr, psi)
        k = 0
        for n in range(n_steps + 1):
            if (step0 + n) % RECENTRE == 0 or (n == 0 and not given_reference):
                for p in range(block):
                    xr[p] = x[p]
                    yr[p] = y[p]
                    zr[p] = z[p]
                _recentre32(k64, xr, yr, zr, psi)
            for p in range(block):
                dx[p] = np.float32(x[p] - xr[p])
                dy[p] = np.float32(y[p] - yr[p])
                dz[p] = np.float32(z[p] - zr[p])
            _field32(w32, psi, dx, dy, dz, bx, by, bz)
            for p in range(block):
                tx = np.float64(bx[p]) * half[p]
                ty = np.float64(by[p]) * half[p]
                tz = (1.0 + np.float64(bz[p])) * half[p]
                f = 2.0 / (1.0 + tx * tx + ty * ty + tz * tz)
                sx = f * tx
                sy = f * ty
                sz = f * tz
                px = ux[p] + (uy[p] * tz - uz[p] * ty)
                py = uy[p] + (uz[p] * tx - ux[p] * tz)
                pz = uz[p] + (ux[p] * ty - uy[p] * tx)
                vx[p] = ux[p] + (py * sz - pz * sy)
                vy[p] = uy[p] + (pz * sx - px * sz)
                vz[p] = uz[p] + (px * sy - py * sx)
            if n == sample_steps[k]:
                for p in range(n_valid):
                    if guiding_centre:
                        out_positions[i0 + p, k, 0] = x[p] + centre[p] * (uy[p] + vy[p])
                        out_positions[i0 + p, k, 1] = y[p] - centre[p] * (ux[p] + vx[p])
                    else:
                        out_positions[i0 + p, k, 0] = x[p]
                        out_positions[i0 + p, k, 1] = y[p]
                    out_positions[i0 + p, k, 2] = z[p]
                    if keep_momenta:
                        out_momenta[i0 + p, k, 0] = ux[p]
                        out_momenta[i0 + p, k, 1] = uy[p]
                        out_momenta[i0 + p, k, 2] = uz[p]
                k += 1
                if k == n_samples:
                    break
            for p in range(block):
                ux[p] = vx[p]
                uy[p] = vy[p]
                uz[p] = vz[p]
                x[p] += ux[p] * step_x[p]
                y[p] += uy[p] * step_x[p]
                z[p] += uz[p] * step_x[p]
        if keep_final:
            for p in range(n_valid):
                final_state[i0 + p, 0] = x[p]
                final_state[i0 + p, 1] = y[p]
                final_state[i0 + p, 2] = z[p]
                final_state[i0 + p, 3] = ux[p]
                final_state[i0 + p, 4] = uy[p]
                final_state[i0 + p, 5] = uz[p]
                final_state[i0 + p, 6] = gamma[p]
                final_state[i0 + p, 7] = xr[p]
                final_state[i0 + p, 8] = yr[p]
                final_state[i0 + p, 9] = zr[p]


# --------------------------------------------------------------------------- random waves
# Each realisation has its own xoshiro256** generator, seeded through splitmix64 from one
# 64-bit seed, so a realisation depends only on its seed (not on threads or batching).

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TWO_PI = 2.0 * np.pi


@njit(cache=True, inline="always")
def _rotl(x, k):  # pragma: no cover - compiled
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def seed_state(seed):  # pragma: no cover - compiled
    """xoshiro256** state (uint64[4]) from a 64-bit seed, via splitmix64."""
    state = np.empty(4, dtype=np.uint64)
    z = np.uint64(seed)
    for i in range(4):
        z = z + _GOLDEN
        w = z
        w = (w ^ (w >> np.uint64(30))) * _MIX1
        w = (w ^ (w >> np.uint64(27))) * _MIX2
        state[i] = w ^ (w >> np.uint64(31))
    return state


@njit(cache=True, inline="always")
def next_uint64(state):  # pragma: no cover - compiled
    """Next output of xoshiro256** (advances ``state`` in place)."""
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return result


@njit(cache=True, inline="always")
def _uniform(state):  # pragma: no cover - compiled
    """Uniform double in [0, 1) with 53 random bits."""
    return np.float64(next_uint64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def _power(x, p):  # pragma: no cover - compiled
    """Return ``x ** p``, with fast paths for the exponents of q = 3 and s = 5/3.

    The fast paths differ from ``pow`` by ~1e-16 relative.
    """
    if abs(p - 0.25) < 1e-12:
        return np.sqrt(np.sqrt(x))
    if abs(p + 1.5) < 1e-12:
        return 1.0 / (x * np.sqrt(x))
    if p == 1.0:
        return x
    return x**p


@njit(cache=True)
def _bendover(state, q, s, low_top, p_low, tail):  # pragma: no cover - compiled
    """One draw of x ∝ x^q (1+x^2)^(-(s+q)/2) on [0, upper] by acceptance-rejection.

    Envelope min(x^q, x^-s): power law on [0, low_top], Pareto law on [1, upper] (tail =
    1 - upper^(1-s)), both sampled by inversion. The acceptance probability
    (1+t)^-a with t = x^2, resp. x^-2, and a = (s+q)/2 = m + f (m integer, 0 <= f < 1) is
    bounded below by (1+t)^-m / (1 + f t) (concavity: (1+t)^f <= 1 + f t) and by 1 - a t
    (Bernoulli); these squeezes decide almost every proposal without a power, and they
    decide exactly as the power would, so the draws do not depend on them.
    """
    a = 0.5 * (s + q)
    m = int(np.floor(a))
    f = a - m
    p_low_exponent = 1.0 / (q + 1.0)
    p_high_exponent = -1.0 / (s - 1.0)
    while True:
        u0 = _uniform(state)
        u1 = _uniform(state)
        if u0 < p_low:
            x = low_top * _power(u0 / p_low, p_low_exponent)
            t = x * x
        else:
            x = _power(1.0 - (u0 - p_low) / (1.0 - p_low) * tail, p_high_exponent)
            t = 1.0 / (x * x)
        squeeze = 1.0 + f * t
        for _ in range(m):
            squeeze *= 1.0 + t
        if u1 * squeeze < 1.0 or u1 < 1.0 - a * t or u1 < (1.0 + t) ** (-a):
            return x


@njit(cache=True)
def _fill_2d(
    state, out, r, j0, j1, b, lambda_perp, lambda_par, q, s, env_perp, env_par, turns,
    equal_field,
):  # pragma: no cover - compiled  # fmt: skip
    """Palade's 2D waves: e = A (-k_y, k_x, 0), A fixed by the sampled sum of k_perp^2.

    With ``equal_field`` every wave has the same field amplitude ``b sqrt(2 / n)`` along
    ``(-sin phi, cos phi, 0)`` instead, so the magnetic energy spectrum is the sampled one.
    """
    sum_k2 = 0.0
    unit = b * np.sqrt(2.0 / (j1 - j0))
    for j in range(j0, j1):
        x = _bendover(state, q, s, env_perp[0], env_perp[1], env_perp[2])
        k_perp = x / lambda_perp
        azimuth = _TWO_PI * _uniform(state)
        kx = k_perp * np.cos(azimuth)
        ky = k_perp * np.sin(azimuth)
        kz = 0.0
        if lambda_par < np.inf:
            y = _bendover(state, 0.0, s, env_par[0], env_par[1], env_par[2])
            kz = y / lambda_par if _uniform(state) >= 0.5 else -y / lambda_par
        out[r, 0, j] = kx * turns
        out[r, 1, j] = ky * turns
        out[r, 2, j] = kz * turns
        out[r, 3, j] = _TWO_PI * _uniform(state) * turns
        if equal_field:
            out[r, 4, j] = -unit * np.sin(azimuth)
            out[r, 5, j] = unit * np.cos(azimuth)
        else:
            out[r, 4, j] = -ky
            out[r, 5, j] = kx
        sum_k2 += k_perp * k_perp
    scale = 1.0
    if not equal_field:
        scale = b * np.sqrt(2.0 / sum_k2) if sum_k2 > 0.0 else 0.0
    for j in range(j0, j1):
        out[r, 4, j] *= scale
        out[r, 5, j] *= scale
        if out.shape[1] == 7:
            out[r, 6, j] = 0.0


@njit(cache=True)
def _fill_slab(state, out, r, j0, j1, b, lambda_par, s, env_par, turns):  # pragma: no cover
    """Slab waves: k along z, polarisation uniform in the x-y plane, equal amplitudes."""
    amplitude = b * np.sqrt(2.0 / (j1 - j0))
    for j in range(j0, j1):
        y = _bendover(state, 0.0, s, env_par[0], env_par[1], env_par[2])
        kz = y / lambda_par if _uniform(state) >= 0.5 else -y / lambda_par
        psi = _TWO_PI * _uniform(state)
        out[r, 0, j] = 0.0
        out[r, 1, j] = 0.0
        out[r, 2, j] = kz * turns
        out[r, 3, j] = _TWO_PI * _uniform(state) * turns
        out[r, 4, j] = amplitude * np.cos(psi)
        out[r, 5, j] = amplitude * np.sin(psi)
        if out.shape[1] == 7:
            out[r, 6, j] = 0.0


@njit(cache=True)
def _fill_isotropic(state, out, r, k_mag, amplitude, turns):  # pragma: no cover - compiled
    """Giacalone-Jokipii waves: given |k_n| and |e_n|, random directions and polarisations."""
    for j in range(k_mag.shape[0]):
        cos_theta = 2.0 * _uniform(state) - 1.0
        sin_theta = np.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
        phi = _TWO_PI * _uniform(state)
        psi = _TWO_PI * _uniform(state)
        cphi = np.cos(phi)
        sphi = np.sin(phi)
        cpsi = amplitude[j] * np.cos(psi)
        spsi = amplitude[j] * np.sin(psi)
        out[r, 0, j] = k_mag[j] * sin_theta * cphi * turns
        out[r, 1, j] = k_mag[j] * sin_theta * sphi * turns
        out[r, 2, j] = k_mag[j] * cos_theta * turns
        out[r, 3, j] = _TWO_PI * _uniform(state) * turns
        # e = cos(psi) e_theta + sin(psi) e_phi, both perpendicular to k
        out[r, 4, j] = cpsi * cos_theta * cphi - spsi * sphi
        out[r, 5, j] = cpsi * cos_theta * sphi + spsi * cphi
        out[r, 6, j] = -cpsi * sin_theta


#: mixed into a realisation's seed for its cascade weights (independent of its waves)
CASCADE_TAG = np.uint64(0xCA5CADE5EED0F00D)


@njit(parallel=True, cache=True)
def cascade_normals(seeds, out):  # pragma: no cover - compiled
    """Fill ``out[r, :]`` with standard normals of realisation ``r``, from ``seeds[r]`` alone.

    Its own xoshiro256** stream (the seed mixed with :data:`CASCADE_TAG`), Box-Muller
    pairs; a realisation's waves are drawn from the untagged seed, so they do not change.
    """
    n_levels = out.shape[1]
    for r in prange(seeds.shape[0]):
        state = seed_state(seeds[r] ^ CASCADE_TAG)
        for j in range(0, n_levels, 2):
            u1 = 1.0 - _uniform(state)  # (0, 1]
            u2 = _uniform(state)
            radius = np.sqrt(-2.0 * np.log(u1))
            out[r, j] = radius * np.cos(_TWO_PI * u2)
            if j + 1 < n_levels:
                out[r, j + 1] = radius * np.sin(_TWO_PI * u2)


@njit(parallel=True, cache=True)
def draw_waves_kernel(
    seeds,
    model,
    n_slab,
    b_slab,
    b_2d,
    lambda_perp,
    lambda_par,
    q,
    s,
    env_perp,
    env_par,
    k_mag,
    amplitude,
    turns,
    out,
    equal_field=False,
):  # pragma: no cover - compiled
    """Fill ``out`` (n_realisations, 6 or 7, n_waves) with the waves of each realisation.

    Rows: kx, ky, kz, alpha (multiplied by ``turns``: 1 for radians, 1/(2 pi) for the
    kernel's turns), ex, ey[, ez]. ``model``: 0 palade2d, 1 slab, 2 isotropic, 3 composite
    (``n_slab`` slab waves first). Realisation ``r`` uses only ``seeds[r]``. ``equal_field``:
    equal field (not potential) amplitudes of the 2D waves.
    """
    n_waves = out.shape[2]
    for r in prange(seeds.shape[0]):
        state = seed_state(seeds[r])
        if model == 0:
            _fill_2d(
                state, out, r, 0, n_waves, b_2d, lambda_perp, lambda_par, q, s,
                env_perp, env_par, turns, equal_field,
            )  # fmt: skip
        elif model == 1:
            _fill_slab(state, out, r, 0, n_waves, b_slab, lambda_par, s, env_par, turns)
        elif model == 2:
            _fill_isotropic(state, out, r, k_mag, amplitude, turns)
        else:
            _fill_slab(state, out, r, 0, n_slab, b_slab, lambda_par, s, env_par, turns)
            _fill_2d(
                state, out, r, n_slab, n_waves, b_2d, lambda_perp, lambda_par, q, s,
                env_perp, env_par, turns, equal_field,
            )  # fmt: skip
