"""Torch implementation of the particle pusher (``backend="torch"``): CPU or GPU.

The same relativistic Boris pusher, field and outputs as
:func:`crsbi.particles._kernels.trace_kernel`, written as batched tensor operations over all
particles of a chunk, in float64, so that it runs on a CUDA device (or on the CPU, where the
compiled numba kernels are faster). Phases are kept in turns and reduced to [-1/2, 1/2]
before the cosine, as in the numba kernels. The wave sums are matrix products whose
summation order is the BLAS library's: results agree with the numba kernels to round-off
at first and then statistically (chaotic orbits), and are reproducible on one device.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["trace_torch"]


def trace_torch(
    waves: np.ndarray,
    positions: np.ndarray,
    momenta: np.ndarray,
    dt: float,
    sample_steps: np.ndarray,
    guiding_centre: bool,
    out_positions: np.ndarray,
    out_momenta: np.ndarray,
    final_state: np.ndarray,
    gammas: np.ndarray,
    device: str,
) -> None:
    """Fill the outputs like :func:`crsbi.particles._kernels.trace_kernel`, with torch.

    Parameters
    ----------
    waves : float64 (n_particles, 6 or 7, n_waves)
        Packed waves in turns (rows kx, ky, kz, alpha, ex, ey[, ez]).
    positions, momenta : float64 (n_particles, 3)
        ``x_0`` [rho_L0] and ``p_{-1/2}`` [m c] (code units).
    dt : float
        Time step [1/omega_c] (code units).
    sample_steps : int64 (n_samples,)
        Increasing steps at which the state is written; the last is the number of steps.
    guiding_centre : bool
        Write guiding centres instead of positions (see ``trace_kernel``).
    out_positions : float64 (n_particles, n_samples, 3)
        Receives the positions (or guiding centres).
    out_momenta : float64 (n_particles, n_samples or 0, 3)
        Receives ``p_{n-1/2}`` when its second axis is not empty.
    final_state : float64 (n_particles, >= 7) or (0, 7)
        Receives ``(x_N, p_{N-1/2}, gamma)`` in its first 7 columns when not empty.
    gammas : float64 (n_particles,) or (0,)
        Lorentz factors of a run being continued.
    device : str
        Torch device, e.g. ``"cpu"`` or ``"cuda"``.
    """
    import torch

    dev = torch.device(device)
    f64 = torch.float64
    n_rows = waves.shape[1]
    w = torch.as_tensor(np.ascontiguousarray(waves), dtype=f64, device=dev)
    k = w[:, 0:3]  # (n, 3, N), turns per rho_L0
    alpha = w[:, 3]  # (n, N), turns
    e = w[:, 4:n_rows].transpose(1, 2)  # (n, N, 2 or 3)
    x = torch.as_tensor(positions, dtype=f64, device=dev).clone()
    u = torch.as_tensor(momenta, dtype=f64, device=dev).clone()
    if gammas.shape[0] > 0:
        gamma = torch.as_tensor(gammas, dtype=f64, device=dev)
    else:
        gamma = torch.sqrt(1.0 + torch.sum(u * u, dim=1))
    half = (0.5 * dt / gamma)[:, None]
    step_x = (dt / gamma)[:, None]
    centre = 0.5 * (1.0 + half[:, 0] ** 2)
    n = x.shape[0]
    n_samples = sample_steps.shape[0]
    keep_momenta = out_momenta.shape[1] > 0
    rec_x = torch.empty((n, n_samples, 3), dtype=f64, device=dev)
    rec_u = torch.empty((n, n_samples if keep_momenta else 0, 3), dtype=f64, device=dev)
    targets = {int(s): i for i, s in enumerate(sample_steps)}
    two_pi = 2.0 * math.pi
    field = torch.zeros((n, 3), dtype=f64, device=dev)
    for step in range(int(sample_steps[-1]) + 1):
        if e.shape[1] > 0:
            phase = torch.bmm(x[:, None, :], k)[:, 0] + alpha  # (n, N), turns
            phase = phase - torch.round(phase)
            summed = torch.bmm(torch.cos(two_pi * phase)[:, None, :], e)[:, 0]
            field[:, : summed.shape[1]] = summed
        t = field * half
        t[:, 2] += half[:, 0]  # the mean field B0 z
        s = 2.0 * t / (1.0 + torch.sum(t * t, dim=1, keepdim=True))
        prime = u + torch.linalg.cross(u, t, dim=1)
        u_new = u + torch.linalg.cross(prime, s, dim=1)
        index = targets.get(step)
        if index is not None:
            if guiding_centre:
                rec_x[:, index, 0] = x[:, 0] + centre * (u[:, 1] + u_new[:, 1])
                rec_x[:, index, 1] = x[:, 1] - centre * (u[:, 0] + u_new[:, 0])
                rec_x[:, index, 2] = x[:, 2]
            else:
                rec_x[:, index] = x
            if keep_momenta:
                rec_u[:, index] = u
            if index == n_samples - 1:
                break
        u = u_new
        x = x + u * step_x
    out_positions[...] = rec_x.cpu().numpy()
    if keep_momenta:
        out_momenta[...] = rec_u.cpu().numpy()
    if final_state.shape[0] > 0:
        final_state[:, 0:3] = x.cpu().numpy()
        final_state[:, 3:6] = u.cpu().numpy()
        final_state[:, 6] = gamma.cpu().numpy()
