r"""Private numba kernels of the CR-fluid simulator (arrays in, arrays out).

State layout: one C-contiguous array ``U`` of shape ``(n_var, nz, ny, nx)`` (``nz = 1`` in
2-D, ``ny = nz = 1`` in 1-D), variables ``rho, m_x[, m_y[, m_z]], E_c`` (``n_var = ndim + 2``).
The hydro sweep :func:`hll_rows` works on contiguous lines ``(n_var, n_lines, n)``: along x
the state itself (a free reshape), along y and z a transposed copy (made by the solver). The
same kernels therefore serve 1-, 2- and 3-D grids. Per-line work sits in serial functions
called from a ``prange`` loop: numba vectorises those, not the body of a parfor.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "diffuse_rows",
    "hll_rows",
    "max_signal_speed",
    "primitives",
    "stream_rows",
    "synthesise_2d",
]


@njit(cache=True, parallel=True)
def primitives(U, W):  # pragma: no cover - compiled
    """Fill ``W`` (same shape as ``U``, flattened to (n_var, n_cells)) with rho, v, E_c."""
    n_var, n_cells = U.shape
    for c in prange(n_cells):
        rho = U[0, c]
        W[0, c] = rho
        for v in range(1, n_var - 1):
            W[v, c] = U[v, c] / rho
        W[n_var - 1, c] = U[n_var - 1, c]


@njit(cache=True, parallel=True)
def max_signal_speed(W, cs2):  # pragma: no cover - compiled
    """Largest ``|v_a| + c_eff`` over cells and axes, ``c_eff^2 = c_s^2 + (4/9) E_c / rho``."""
    n_var, n_cells = W.shape
    best = 0.0
    for c in prange(n_cells):
        rho = W[0, c]
        ceff = math.sqrt(cs2 + (4.0 / 9.0) * max(W[n_var - 1, c], 0.0) / rho)
        vmax = 0.0
        for v in range(1, n_var - 1):
            vmax = max(vmax, abs(W[v, c]))
        best = max(best, vmax + ceff)
    return best


@njit(cache=True, parallel=True)
def hll_rows(W, dU, axis_var, inv_dx, cs2, limiter):  # pragma: no cover - compiled
    """Add ``-dF/dx`` along the lines of ``W``, and the CR source ``v_n dP_c/dx``, to ``dU``.

    ``W`` and ``dU`` have shape (n_var, n_lines, n), lines contiguous; ``axis_var`` is the
    index of the normal velocity (1 + axis). Interface states: limited linear reconstruction
    (0 = minmod, 1 = monotonised central, 2 = none) of the primitive variables; flux: HLL with
    signal speeds ``v_n -+ c_eff``, ``c_eff^2 = c_s^2 + (4/9) E_c / rho``. The CR energy flux is
    the enthalpy flux ``(4/3) E_c v_n``, and the source ``v_n dP_c/dx`` (centred) makes the
    pair equal to ``div(E_c v) + P_c div v``. Organised for SIMD: each
    line is copied with two periodic ghost cells per side, and the limiter, the interface
    states, the signal speeds, the fluxes and the update are separate branch-free loops along
    the line (HLL in its clamped form ``(s_R+ F_L - s_L- F_R + s_L- s_R+ (U_R - U_L)) /
    (s_R+ - s_L-)`` with ``s_L- = min(s_L, 0)``, ``s_R+ = max(s_R, 0)``, equal to the upwind
    flux when both speeds have one sign). Sweeps along a strided axis go through a transposed
    copy of the state (see :class:`crsbi.maps._solver.Solver`). Returns the volume sum (per
    cell volume) of the CR source ``v_n dP_c/dx``.
    """
    n_lines = W.shape[1]
    totals = np.zeros(n_lines)
    for line in prange(n_lines):
        totals[line] = _hll_line(W, dU, line, axis_var, inv_dx, cs2, limiter)
    return totals.sum()


@njit(cache=True, fastmath={"nnan", "ninf", "nsz"})
def _hll_line(W, dU, line, axis_var, inv_dx, cs2, limiter):  # pragma: no cover - compiled
    """One line of :func:`hll_rows` (a serial function: numba vectorises it, not a parfor body)."""
    n_var, _, n = W.shape
    e_var = n_var - 1
    padded = n + 4
    if True:
        wp = np.empty((n_var, padded))
        slope = np.zeros((n_var, padded))
        wl = np.empty((n_var, n + 1))
        wr = np.empty((n_var, n + 1))
        lo = np.empty(n + 1)
        hi = np.empty(n + 1)
        inv = np.empty(n + 1)
        flux = np.empty(n + 1)
        for v in range(n_var):
            for k in range(n):
                wp[v, k + 2] = W[v, line, k]
            wp[v, 0] = W[v, line, n - 2 if n > 1 else 0]
            wp[v, 1] = W[v, line, n - 1]
            wp[v, n + 2] = W[v, line, 0]
            wp[v, n + 3] = W[v, line, 1 if n > 1 else 0]
            if limiter == 0:  # minmod
                for k in range(1, padded - 1):
                    dl = wp[v, k] - wp[v, k - 1]
                    dr = wp[v, k + 1] - wp[v, k]
                    sign = 0.5 * (math.copysign(1.0, dl) + math.copysign(1.0, dr))
                    slope[v, k] = sign * min(abs(dl), abs(dr))
            elif limiter == 1:  # monotonised central
                for k in range(1, padded - 1):
                    dl = wp[v, k] - wp[v, k - 1]
                    dr = wp[v, k + 1] - wp[v, k]
                    sign = 0.5 * (math.copysign(1.0, dl) + math.copysign(1.0, dr))
                    slope[v, k] = sign * min(2.0 * abs(dl), 2.0 * abs(dr), 0.5 * abs(dl + dr))
            # face f (f = 0..n) lies between padded cells f + 1 and f + 2
            for f in range(n + 1):
                wl[v, f] = wp[v, f + 1] + 0.5 * slope[v, f + 1]
                wr[v, f] = wp[v, f + 2] - 0.5 * slope[v, f + 2]
        for f in range(n + 1):
            rl = wl[0, f]
            rr = wr[0, f]
            cl = math.sqrt(cs2 + (4.0 / 9.0) * max(wl[e_var, f], 0.0) / rl)
            cr = math.sqrt(cs2 + (4.0 / 9.0) * max(wr[e_var, f], 0.0) / rr)
            sl = min(min(wl[axis_var, f] - cl, wr[axis_var, f] - cr), 0.0)
            sr = max(max(wl[axis_var, f] + cl, wr[axis_var, f] + cr), 0.0)
            lo[f] = sl
            hi[f] = sr
            inv[f] = 1.0 / (sr - sl)
        for v in range(n_var):
            if v == 0:
                for f in range(n + 1):
                    fl = wl[0, f] * wl[axis_var, f]
                    fr = wr[0, f] * wr[axis_var, f]
                    jump = wr[0, f] - wl[0, f]
                    flux[f] = (hi[f] * fl - lo[f] * fr + lo[f] * hi[f] * jump) * inv[f]
            elif v == e_var:
                for f in range(n + 1):
                    fl = (4.0 / 3.0) * max(wl[v, f], 0.0) * wl[axis_var, f]
                    fr = (4.0 / 3.0) * max(wr[v, f], 0.0) * wr[axis_var, f]
                    jump = wr[v, f] - wl[v, f]
                    flux[f] = (hi[f] * fl - lo[f] * fr + lo[f] * hi[f] * jump) * inv[f]
            else:
                normal = 1.0 if v == axis_var else 0.0
                for f in range(n + 1):
                    ml = wl[0, f] * wl[v, f]
                    mr = wr[0, f] * wr[v, f]
                    fl = ml * wl[axis_var, f] + normal * (
                        wl[0, f] * cs2 + max(wl[e_var, f], 0.0) / 3.0
                    )
                    fr = mr * wr[axis_var, f] + normal * (
                        wr[0, f] * cs2 + max(wr[e_var, f], 0.0) / 3.0
                    )
                    flux[f] = (hi[f] * fl - lo[f] * fr + lo[f] * hi[f] * (mr - ml)) * inv[f]
            for i in range(n):
                dU[v, line, i] += (flux[i] - flux[i + 1]) * inv_dx
        # CR source v_n dP_c/dx at each cell (centred difference)
        total = 0.0
        for i in range(n):
            source = W[axis_var, line, i] * (wp[e_var, i + 3] - wp[e_var, i + 1]) * (inv_dx / 6.0)
            dU[e_var, line, i] += source
            total += source
        return total


@njit(cache=True, inline="always")
def _substitute(lower, inv_beta, work, rhs, out):  # pragma: no cover - compiled
    """Forward/back substitution with a factorised tridiagonal matrix (see ``_factorise``)."""
    n = rhs.shape[0]
    out[0] = rhs[0] * inv_beta[0]
    for i in range(1, n):
        out[i] = (rhs[i] - lower[i] * out[i - 1]) * inv_beta[i]
    for i in range(n - 2, -1, -1):
        out[i] -= work[i + 1] * out[i + 1]


@njit(cache=True)
def _cyclic_solve(coef, face, rhs, out, bufs):  # pragma: no cover - compiled
    """Solve ``(I - coef * A) out = rhs`` for the periodic 1-D diffusion matrix ``A``.

    ``(A e)_i = face[i] (e_{i+1} - e_i) - face[i-1] (e_i - e_{i-1})`` (periodic), with
    ``face[i]`` the conductance ``K / dx^2`` of face ``i + 1/2`` (``coef`` carries the
    ``dt / dx^2``). Sherman-Morrison on the cyclic corner terms (Numerical Recipes
    ``cyclic``), one Thomas factorisation shared by its two substitutions; the matrix is
    symmetric and strictly diagonally dominant, so no pivoting is needed.
    """
    n = rhs.shape[0]
    lower, diag, upper, unit, z, work, inv_beta = (
        bufs[0],
        bufs[1],
        bufs[2],
        bufs[3],
        bufs[4],
        bufs[5],
        bufs[6],
    )
    if n == 1:
        out[0] = rhs[0]
        return
    for i in range(n):
        left = face[i - 1] if i > 0 else face[n - 1]
        lower[i] = -coef * left
        upper[i] = -coef * face[i]
        diag[i] = 1.0 + coef * (left + face[i])
    alpha = upper[n - 1]  # A[n-1, 0]
    beta = lower[0]  # A[0, n-1]
    gamma = -diag[0]
    diag[0] = diag[0] - gamma
    diag[n - 1] = diag[n - 1] - alpha * beta / gamma
    inv_beta[0] = 1.0 / diag[0]
    for i in range(1, n):
        work[i] = upper[i - 1] * inv_beta[i - 1]
        inv_beta[i] = 1.0 / (diag[i] - lower[i] * work[i])
    _substitute(lower, inv_beta, work, rhs, out)
    for i in range(n):
        unit[i] = 0.0
    unit[0] = gamma
    unit[n - 1] = alpha
    _substitute(lower, inv_beta, work, unit, z)
    fact = (out[0] + beta * out[n - 1] / gamma) / (1.0 + z[0] + beta * z[n - 1] / gamma)
    for i in range(n):
        out[i] -= fact * z[i]


@njit(cache=True, parallel=True)
def diffuse_rows(
    E, rho, dt, dx, kappa, va0, ell, streaming, heating
):  # pragma: no cover - compiled
    r"""Field-aligned CR transport along x for every row: implicit diffusion + streaming.

    ``E`` and ``rho`` have shape (n_rows, nx), rows along x. Face conductances are
    :math:`K = \kappa + \kappa_{st}` with the regularised streaming diffusivity
    :math:`\kappa_{st} = \tfrac43 v_A \ell \tanh(q)/q`, :math:`q = \ell\,\partial_x E_c/E_c`,
    which turns the streaming flux :math:`\tfrac43 E_c v_A \tanh(q)` (down the gradient)
    into a diffusion flux (coefficients lagged at the start of the step). The linear
    system is advanced with TR-BDF2 (second order, L-stable), each stage a cyclic
    tridiagonal solve, so any ``kappa dt / dx^2`` is stable and the row sum of ``E`` is
    conserved to round-off. The streaming loss :math:`v_A \tanh(q)|\partial_x P_c|` is
    then removed from ``E`` (limited to half of the local energy) and its volume sum per
    row written to ``heating`` (energy given to the gas, shape (n_rows,)).
    """
    for r in prange(E.shape[0]):
        _diffuse_row(E, rho, r, dt, dx, kappa, va0, ell, streaming, heating)


@njit(cache=True)
def _diffuse_row(E, rho, r, dt, dx, kappa, va0, ell, streaming, heating):  # pragma: no cover
    """Row ``r`` of :func:`diffuse_rows` (a serial function, compiled better than a parfor body)."""
    n = E.shape[1]
    g = 2.0 - math.sqrt(2.0)
    c1 = 0.5 * g * dt / (dx * dx)
    c2 = (1.0 - g) / (2.0 - g) * dt / (dx * dx)
    w_star = 1.0 / (g * (2.0 - g))
    w_old = (1.0 - g) ** 2 / (g * (2.0 - g))
    face = np.empty(n)
    loss = np.zeros(n)
    rhs = np.empty(n)
    star = np.empty(n)
    new = np.empty(n)
    bufs = np.empty((7, n))
    for i in range(n):
        ip1 = i + 1 if i < n - 1 else 0
        k = kappa
        if streaming:
            e_face = 0.5 * (E[r, i] + E[r, ip1])
            grad = (E[r, ip1] - E[r, i]) / dx
            va = va0 / math.sqrt(0.5 * (rho[r, i] + rho[r, ip1]))
            if e_face > 0.0:
                q = ell * grad / e_face
                th = math.tanh(q)
                ratio = th / q if abs(q) > 1e-8 else 1.0
                k += (4.0 / 3.0) * va * ell * ratio
                # loss |v_st dP_c/dx| at this face, shared by its two cells
                half = 0.5 * va * th * grad / 3.0
                loss[i] += half
                loss[ip1] += half
        face[i] = k
    # stage 1: trapezoidal rule over g * dt
    for i in range(n):
        im1 = i - 1 if i > 0 else n - 1
        ip1 = i + 1 if i < n - 1 else 0
        flux = face[i] * (E[r, ip1] - E[r, i]) - face[im1] * (E[r, i] - E[r, im1])
        rhs[i] = E[r, i] + c1 * flux
    _cyclic_solve(c1, face, rhs, star, bufs)
    # stage 2: BDF2 over the rest
    for i in range(n):
        rhs[i] = w_star * star[i] - w_old * E[r, i]
    _cyclic_solve(c2, face, rhs, new, bufs)
    total = 0.0
    for i in range(n):
        removed = 0.0
        if streaming:
            removed = min(dt * loss[i], 0.5 * max(new[i], 0.0))
        E[r, i] = new[i] - removed
        total += removed
    heating[r] = total


@njit(cache=True, parallel=True)
def stream_rows(
    E, rho, dt, dx, kappa, va0, ell, tol, max_iter, heating, iterations, accelerate=True
):  # pragma: no cover - compiled
    r"""Field-aligned CR streaming (+ diffusion) along x: nonlinear implicit step per row.

    Backward Euler for
    :math:`\partial_t E_c = \partial_x[(\kappa + \kappa_{st})\partial_x E_c]` with the streaming
    written as a diffusion, :math:`\kappa_{st} = \tfrac43 v_A\ell\tanh(q)/q`,
    :math:`q = \ell\,\partial_x\ln E_c` (flux :math:`\tfrac43 E_c v_A\tanh q` down the
    gradient). Unlike :func:`diffuse_rows` the coefficients are not lagged: Picard iterations
    recompute them from the new state (one cyclic tridiagonal solve each) until the largest
    change of ``E`` in the row is below ``tol`` times the row's range, or ``max_iter``
    iterations. The step is therefore the implicit solution of the nonlinear streaming
    equation, which flattens a small perturbation in a time proportional to its amplitude (as
    ideal streaming does) instead of lagging by a step; each iterate is an M-matrix solve, so
    no new extrema appear and the row sum of ``E`` is conserved to round-off. With
    ``ell >> L`` the regularisation only acts where ``|d ln E_c/dx| < 1/ell``, i.e. at the
    extrema (Sharma et al. 2010). The loss :math:`v_A\tanh(q)|\partial_x P_c|` is then
    removed (limited to half the local energy) and its volume sum per row written to
    ``heating``; ``iterations`` receives the Picard count per row (``max_iter`` means not
    converged).
    """
    n_rows = E.shape[0]
    for r in prange(n_rows):
        _stream_row(
            E, rho, r, dt, dx, kappa, va0, ell, tol, max_iter, heating, iterations, accelerate
        )


@njit(cache=True)
def _stream_row(
    E, rho, r, dt, dx, kappa, va0, ell, tol, max_iter, heating, iterations, accelerate
):  # pragma: no cover - compiled
    """Row ``r`` of :func:`stream_rows` (a serial function, compiled better than a parfor body)."""
    n = E.shape[1]
    coef = dt / (dx * dx)
    face = np.empty(n)
    va = np.empty(n)
    cur = np.empty(n)
    new = np.empty(n)
    rhs = np.empty(n)
    loss = np.zeros(n)
    bufs = np.empty((7, n))
    lo = E[r, 0]
    hi = E[r, 0]
    for i in range(n):
        ip1 = i + 1 if i < n - 1 else 0
        va[i] = va0 / math.sqrt(0.5 * (rho[r, i] + rho[r, ip1]))
        rhs[i] = E[r, i]
        cur[i] = E[r, i]
        lo = min(lo, E[r, i])
        hi = max(hi, E[r, i])
    scale = tol * max(hi - lo, 1e-12 * max(abs(hi), abs(lo)))
    # Anderson acceleration of depth 1 on the Picard map G (the same fixed point, reached in
    # fewer solves); an accelerated iterate that leaves [lo, hi] falls back to plain Picard
    previous_g = np.empty(n)
    previous_f = np.empty(n)
    it = 0
    while True:
        for i in range(n):
            ip1 = i + 1 if i < n - 1 else 0
            k = kappa
            e_face = 0.5 * (cur[i] + cur[ip1])
            if e_face > 0.0:
                q = ell * (cur[ip1] - cur[i]) / (dx * e_face)
                ratio = math.tanh(q) / q if abs(q) > 1e-8 else 1.0
                k += (4.0 / 3.0) * va[i] * ell * ratio
            face[i] = k
        _cyclic_solve(coef, face, rhs, new, bufs)
        it += 1
        change = 0.0
        for i in range(n):
            change = max(change, abs(new[i] - cur[i]))
        if change <= scale or it >= max_iter:
            for i in range(n):
                cur[i] = new[i]
            break
        gamma = 0.0
        if it > 1 and accelerate:
            num = 0.0
            den = 0.0
            for i in range(n):
                f = new[i] - cur[i]
                df = f - previous_f[i]
                num += f * df
                den += df * df
            if den > 0.0:
                gamma = num / den
        for i in range(n):
            previous_f[i] = new[i] - cur[i]
        inside = True
        if gamma != 0.0:
            for i in range(n):
                trial = new[i] - gamma * (new[i] - previous_g[i])
                if trial < lo or trial > hi:
                    inside = False
        for i in range(n):
            g = new[i]
            cur[i] = g - gamma * (g - previous_g[i]) if inside else g
            previous_g[i] = g
    iterations[r] = it
    for i in range(n):
        ip1 = i + 1 if i < n - 1 else 0
        e_face = 0.5 * (cur[i] + cur[ip1])
        if e_face > 0.0:
            grad = (cur[ip1] - cur[i]) / dx
            # loss |v_st dP_c/dx| at this face, shared by its two cells
            half = 0.5 * va[i] * math.tanh(ell * grad / e_face) * grad / 3.0
            loss[i] += half
            loss[ip1] += half
    total = 0.0
    for i in range(n):
        removed = min(dt * loss[i], 0.5 * max(cur[i], 0.0))
        E[r, i] = cur[i] - removed
        total += removed
    heating[r] = total


@njit(cache=True)
def synthesise_2d(coef_re, coef_im, phase_re, phase_im, out):  # pragma: no cover - compiled
    """``out[a, j, i] = Re sum_m coef[m, a, j] * phase[m, i]`` (a rank-M 2-D synthesis).

    ``coef`` has shape (M, ndim, N) (mode amplitude times the y phase), ``phase`` shape
    (M, N) (the x phase); no BLAS call, so no thread oversubscription.
    """
    n_modes, n_comp, n = coef_re.shape
    for a in range(n_comp):
        for j in range(n):
            for i in range(out.shape[2]):
                out[a, j, i] = 0.0
            for m in range(n_modes):
                cr = coef_re[m, a, j]
                ci = coef_im[m, a, j]
                for i in range(out.shape[2]):
                    out[a, j, i] += cr * phase_re[m, i] - ci * phase_im[m, i]
