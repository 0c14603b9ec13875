r"""Isotropic (shell-averaged) power spectra of periodic fields in 1, 2 or 3 dimensions.

For a field :math:`f` on a periodic grid of side :math:`L` with :math:`N` cells per axis,
the discrete Fourier amplitudes
:math:`\hat f_{\mathbf k} = N^{-d}\sum f\,e^{-i\mathbf k\cdot\mathbf x}`
are binned in shells of integer wavenumber :math:`n = |\mathbf k| L / 2\pi`, rounded to the nearest
integer. The shell-summed power :math:`P(k) = \sum_{\text{shell}} |\hat f_{\mathbf k}|^2` obeys
Parseval: :math:`\sum_k P(k)` equals the variance of :math:`f` plus the squared mean
(the :math:`k = 0` shell holds the mean), up to the corner modes beyond the last full shell, which
are dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.core.validation import check_finite, check_interval

__all__ = ["radial_power_spectrum"]


def radial_power_spectrum(
    field: Any, *, ndim: int | None = None, box_size: float = 1.0, subtract_mean: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    r"""Shell-summed power spectrum of one periodic field or a stack of them.

    Parameters
    ----------
    field : array_like of shape (..., N, N[, N])
        Periodic field(s) on a cubic grid; the last ``ndim`` axes are spatial, leading
        axes are averaged over (e.g. a stack of snapshots or images).
    ndim : int, optional
        Number of spatial dimensions (1, 2 or 3). Default: ``field.ndim`` when it is at most
        3, else 3.
    box_size : float, default=1.0
        Side of the periodic box [any length unit]; ``k`` comes in its inverse.
    subtract_mean : bool, default=True
        Remove each field's mean first (then the ``k = 0`` shell is zero).

    Returns
    -------
    k : ndarray of shape (N // 2 + 1,)
        Shell wavenumbers :math:`2\pi n / L`, ``n = 0 .. N // 2``.
    power : ndarray of shape (N // 2 + 1,)
        Power summed over each shell, averaged over the leading axes. Multiply by ``k**2``
        for the compensated spectra of Bustard and Oh (2023).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(64) / 64
    >>> image = np.cos(2 * np.pi * 4 * x)[:, None] * np.ones(64)
    >>> k, p = radial_power_spectrum(image)
    >>> int(np.argmax(p)), round(float(p.sum()), 3)  # all power in shell 4, = variance 1/2
    (4, 0.5)
    """
    array = check_finite(np.asarray(field, dtype=float), "field")
    if ndim is None:
        ndim = min(array.ndim, 3)
    if ndim not in (1, 2, 3) or array.ndim < ndim:
        raise ValueError(
            f"radial_power_spectrum: expected a field with at least ndim={ndim} axes "
            f"(ndim in 1, 2, 3); got shape {array.shape}."
        )
    spatial = array.shape[array.ndim - ndim :]
    if len(set(spatial)) != 1 or spatial[0] < 2:
        raise ValueError(
            f"radial_power_spectrum: the last {ndim} axes must be equal and >= 2 (a cubic grid); "
            f"got shape {array.shape}."
        )
    check_interval(box_size, "box_size", "radial_power_spectrum", low=0.0, closed="neither")
    n = spatial[0]
    axes = tuple(range(array.ndim - ndim, array.ndim))
    if subtract_mean:
        array = array - array.mean(axis=axes, keepdims=True)
    amplitude = np.fft.fftn(array, axes=axes) / n**ndim
    power = np.abs(amplitude) ** 2
    if array.ndim > ndim:
        power = power.reshape(-1, *spatial).mean(axis=0)
    freq = np.fft.fftfreq(n, d=1.0 / n)
    grids = np.meshgrid(*([freq] * ndim), indexing="ij")
    shell = np.rint(np.sqrt(sum(g**2 for g in grids))).astype(int)
    n_shells = n // 2 + 1
    keep = shell < n_shells
    summed = np.bincount(shell[keep], weights=power[keep], minlength=n_shells)
    k = 2 * np.pi * np.arange(n_shells) / box_size
    return k, summed
