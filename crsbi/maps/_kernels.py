r"""Private numba kernels of the CR-fluid simulator (arrays in, arrays out).

State layout: one C-contiguous array ``U`` of shape ``(n_var, nz, ny, nx)`` (``nz = 1`` in
2-D, ``ny = nz = 1`` in 1-D), variables ``rho, m_x[, m_y[, m_z]], E_c`` (``n_var = ndim + 2``).
A sweep along one axis sees the state reshaped (a free view) to ``(n_var, outer, n, inner)``:
``x`` is ``(n_var, nz * ny, nx, 1)``, ``y`` is ``(n_var, nz, ny, nx)`` and ``z`` is
``(n_var, 1, nz, ny * nx)``. The same kernels therefore serve 1-, 2- and 3-D grids.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "diffuse_rows",
    "hll_sweep",
    "max_signal_speed",
    "primitives",
    "stream_rows",
    "synthesise_2d",
]


@njit(cache=True, inline="always")
def _limited_slope(dl: float, dr: float, limiter: int) -> float:  # pragma: no cover - compiled
    """Limited slope: 0 = minmod, 1 = monotonised central (MC), 2 = none (first order)."""
    if dl * dr <= 0.0 or limiter == 2:
        return 0.0
    sign = 1.0 if dl > 0.0 else -1.0
    adl = abs(dl)
    adr = abs(dr)
    if limiter == 0:
        return sign * min(adl, adr)
    return sign * min(2.0 * adl, 2.0 * adr, 0.5 * (adl + adr))


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
def hll_sweep(W, dU, axis_var, inv_dx, cs2, limiter):  # pragma: no cover - compiled
    """Add ``-dF/dx`` of one axis, and the CR source ``v_a dP_c/dx_a``, to ``dU``.

    ``W`` and ``dU`` have shape (n_var, outer, n, inner); ``axis_var`` is the index of the
    normal velocity (1 + axis). Interface states: limited linear reconstruction of the
    primitive variables; flux: HLL with signal speeds ``v_n -+ c_eff``. The CR energy flux
    is the enthalpy flux ``(4/3) E_c v_n``, and the source ``v_n dP_c/dx`` (centred) makes
    the pair equal to ``div(E_c v) + P_c div v``. Returns the volume sum (per cell volume)
    of that source, the energy exchanged with the gas. Lines are processed in blocks of up
    to 32 along the contiguous ``inner`` axis, so strided sweeps read memory contiguously.
    """
    n_var, outer, n, inner = W.shape
    e_var = n_var - 1
    block = 32 if inner > 1 else 1
    n_blocks = (inner + block - 1) // block
    totals = np.zeros(outer * n_blocks)
    for task in prange(outer * n_blocks):
        o = task // n_blocks
        q0 = (task - o * n_blocks) * block
        q1 = min(q0 + block, inner)
        wl = np.empty(n_var)
        wr = np.empty(n_var)
        fl = np.empty(n_var)
        fr = np.empty(n_var)
        flux = np.empty(n_var)
        # slope of the cell left of the current face, carried from the previous face
        slope = np.empty((q1 - q0, n_var))
        for q in range(q0, q1):
            for v in range(n_var):
                b = W[v, o, n - 1, q]
                slope[q - q0, v] = _limited_slope(b - W[v, o, n - 2, q], W[v, o, 0, q] - b, limiter)
        total = 0.0
        for i in range(n):
            im1 = i - 1 if i > 0 else n - 1
            ip1 = i + 1 if i < n - 1 else 0
            for q in range(q0, q1):
                for v in range(n_var):
                    b = W[v, o, im1, q]
                    c = W[v, o, i, q]
                    d = W[v, o, ip1, q]
                    right_slope = _limited_slope(c - b, d - c, limiter)
                    wl[v] = b + 0.5 * slope[q - q0, v]
                    wr[v] = c - 0.5 * right_slope
                    slope[q - q0, v] = right_slope
                rl = wl[0]
                rr = wr[0]
                el = max(wl[e_var], 0.0)
                er = max(wr[e_var], 0.0)
                vnl = wl[axis_var]
                vnr = wr[axis_var]
                cl = math.sqrt(cs2 + (4.0 / 9.0) * el / rl)
                cr = math.sqrt(cs2 + (4.0 / 9.0) * er / rr)
                sl = min(vnl - cl, vnr - cr)
                sr = max(vnl + cl, vnr + cr)
                fl[0] = rl * vnl
                fr[0] = rr * vnr
                for v in range(1, e_var):
                    fl[v] = rl * vnl * wl[v]
                    fr[v] = rr * vnr * wr[v]
                fl[axis_var] += rl * cs2 + el / 3.0
                fr[axis_var] += rr * cs2 + er / 3.0
                fl[e_var] = (4.0 / 3.0) * el * vnl
                fr[e_var] = (4.0 / 3.0) * er * vnr
                if sl >= 0.0:
                    for v in range(n_var):
                        flux[v] = fl[v]
                elif sr <= 0.0:
                    for v in range(n_var):
                        flux[v] = fr[v]
                else:
                    inv = 1.0 / (sr - sl)
                    for v in range(n_var):
                        if v == 0 or v == e_var:
                            ul = wl[v]
                            ur = wr[v]
                        else:
                            ul = rl * wl[v]
                            ur = rr * wr[v]
                        flux[v] = (sr * fl[v] - sl * fr[v] + sl * sr * (ur - ul)) * inv
                for v in range(n_var):
                    dU[v, o, im1, q] -= flux[v] * inv_dx
                    dU[v, o, i, q] += flux[v] * inv_dx
                # CR source v_n dP_c/dx at cell i (centred difference)
                source = (
                    W[axis_var, o, i, q]
                    * (W[e_var, o, ip1, q] - W[e_var, o, im1, q])
                    * (inv_dx / 6.0)
                )
                dU[e_var, o, i, q] += source
                total += source
        totals[task] = total
    return totals.sum()


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
    n_rows, n = E.shape
    g = 2.0 - math.sqrt(2.0)
    c1 = 0.5 * g * dt / (dx * dx)
    c2 = (1.0 - g) / (2.0 - g) * dt / (dx * dx)
    w_star = 1.0 / (g * (2.0 - g))
    w_old = (1.0 - g) ** 2 / (g * (2.0 - g))
    for r in prange(n_rows):
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
    E, rho, dt, dx, kappa, va0, ell, tol, max_iter, heating, iterations
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
    n_rows, n = E.shape
    coef = dt / (dx * dx)
    for r in prange(n_rows):
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
                cur[i] = new[i]
            if change <= scale or it >= max_iter:
                break
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
