r"""Lagrangian statistics of particle trajectories (NumPy, vectorised, for any trajectories).

Every function takes velocity (or position) series of shape ``(n_particles, n_times, 3)``
(a single ``(n_times, 3)`` series is accepted too) sampled at a constant time step
``dt``. Nothing assumes that they come from crsbi: simulated, generated and user data are
treated alike, and the velocities need not be unit vectors.

Conventions (Martin, Lübke et al.): with speed :math:`|\mathbf V| = 1`, lengths in the
turbulence scale :math:`\ell_0` and time in :math:`\ell_0/v`, a particle of gyro-radius
:math:`r_g = \ell_0/\alpha` gyrates with angular frequency :math:`\omega = \alpha`, so a
helix of pitch angle :math:`\vartheta` has curvature :math:`\kappa = \alpha\sin\vartheta`
and torsion :math:`\alpha\cos\vartheta` (up to the sign of the charge), and the mean
curvature over isotropic pitch angles is :math:`\pi\alpha/4`.

Statistics
----------
- structure functions :math:`S_p(\tau) = \langle|V_i(t+\tau) - V_i(t)|^p\rangle` per
  component and their flatness :math:`F_4 = S_4/S_2^2` (3 for Gaussian increments);
- normalised velocity-increment PDFs;
- positions integrated from velocities, mean squared displacement
  :math:`\langle|X_i(t+\tau) - X_i(t)|^2\rangle` and running diffusion
  :math:`\mathrm{MSD}/(2\tau)`;
- curvature :math:`\kappa = |\mathbf V\times\dot{\mathbf V}|/|\mathbf V|^3` and torsion
  :math:`(\mathbf V\times\dot{\mathbf V})\cdot\ddot{\mathbf V}/|\mathbf V\times\dot{\mathbf
  V}|^2` of the raw motion and of the gyro-centre motion (velocity low-pass filtered by a
  Gaussian kernel 1.5 gyro-periods wide at half maximum);
- the angles :math:`\theta = \arccos V_z`, :math:`\phi = \operatorname{atan2}(V_y, V_x)`;
- :func:`trajectory_distance`, one number summarising the mismatch of these statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval

__all__ = [
    "angles_to_velocity",
    "curvature",
    "default_lags",
    "flatness",
    "gyro_centre_velocity",
    "increment_pdf",
    "integrate_positions",
    "mean_squared_displacement",
    "running_diffusion",
    "structure_function",
    "torsion",
    "trajectory_distance",
    "velocity_to_angles",
]


# --------------------------------------------------------------------------- validation


def _series(V: Any, name: str = "V", min_length: int = 2) -> np.ndarray:
    """Return ``V`` as a float array of shape (n, T, 3) (a (T, 3) series gets n = 1)."""
    array = np.asarray(V, dtype=float)
    if array.ndim == 2 and array.shape[-1] == 3:
        array = array[None]
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(
            f"{name} must have shape (n_particles, n_times, 3) or (n_times, 3); got an array "
            f"of shape {array.shape} instead."
        )
    if array.shape[0] < 1 or array.shape[1] < min_length:
        raise ValueError(
            f"{name} needs at least one particle and {min_length} times; got shape {array.shape}."
        )
    check_finite(array, name)
    return array


def _lags(lags: Any, n_times: int) -> np.ndarray:
    """Validate integer lags in [1, n_times - 1]."""
    if lags is None:
        return default_lags(n_times)
    out = np.atleast_1d(np.asarray(lags))
    if out.ndim != 1 or out.size == 0 or not np.issubdtype(out.dtype, np.integer):
        raise ValueError(f"lags must be a non-empty 1-D array of integers; got {lags!r}.")
    if out.min() < 1 or out.max() >= n_times:
        raise ValueError(
            f"lags must lie in [1, n_times - 1] = [1, {n_times - 1}] (in samples); "
            f"got values from {out.min()} to {out.max()}."
        )
    return out.astype(np.int64)


def default_lags(n_times: int, n_lags: int = 24) -> np.ndarray:
    """Log-spaced integer lags from 1 to ``n_times // 2`` (in samples), without repeats.

    Parameters
    ----------
    n_times : int
        Length of the series, >= 3.
    n_lags : int, default=24
        Number of log-spaced values before rounding and removing repeats.

    Returns
    -------
    ndarray of int64
        Increasing lags.

    Examples
    --------
    >>> from crsbi.particles.statistics import default_lags
    >>> default_lags(64, 8).tolist()
    [1, 2, 3, 4, 7, 12, 20, 32]
    """
    check_interval(n_times, "n_times", "default_lags", kind=int, low=3)
    check_interval(n_lags, "n_lags", "default_lags", kind=int, low=1)
    return np.unique(np.round(np.geomspace(1, n_times // 2, n_lags)).astype(np.int64))


# --------------------------------------------------------------------------- increments


def structure_function(V: Any, lags: Any = None, *, order: float = 2.0) -> np.ndarray:
    r"""Lagrangian structure functions :math:`S_p(\tau) = \langle|V_i(t+\tau)-V_i(t)|^p\rangle`.

    The average runs over particles and start times :math:`t`.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series [any velocity unit].
    lags : array-like of int or None
        Lags :math:`\tau` in samples, in ``[1, n_times - 1]``; :func:`default_lags` when
        ``None``.
    order : float, default=2
        The order :math:`p > 0`.

    Returns
    -------
    ndarray of shape (n_lags, 3)
        :math:`S_p` per component (sum or average over the last axis for the total).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import structure_function
    >>> t = np.arange(400) * 2 * np.pi / 100  # a unit-speed circle, 100 samples per turn
    >>> V = np.stack([np.cos(t), np.sin(t), 0 * t], axis=1)
    >>> s2 = structure_function(V, [50]).sum(axis=1)  # 2 v_perp^2 (1 - cos(pi)) = 4
    >>> round(float(s2[0]), 6)
    4.0
    """
    V = _series(V)
    lags = _lags(lags, V.shape[1])
    check_interval(order, "order", "structure_function", low=0, closed="neither")
    out = np.empty((lags.size, 3))
    for i, lag in enumerate(lags):
        out[i] = np.mean(np.abs(V[:, lag:] - V[:, :-lag]) ** order, axis=(0, 1))
    return out


def flatness(V: Any, lags: Any = None, *, average: bool = False) -> np.ndarray:
    r"""Flatness :math:`F_4(\tau) = S_4(\tau)/S_2(\tau)^2` of the velocity increments.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series.
    lags : array-like of int or None
        Lags in samples (:func:`default_lags` when ``None``).
    average : bool, default=False
        Return the component-averaged flatness :math:`\bar S_4/\bar S_2^2` (bars: means
        over the three components) instead of one value per component.

    Returns
    -------
    ndarray of shape (n_lags, 3) or (n_lags,)
        Flatness (3 for Gaussian increments); NaN where :math:`S_2 = 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import flatness
    >>> V = np.cumsum(np.random.default_rng(0).normal(size=(200, 500, 3)), axis=1)
    >>> bool(abs(flatness(V, [10], average=True)[0] - 3) < 0.1)
    True
    """
    s2 = structure_function(V, lags, order=2)
    s4 = structure_function(V, lags, order=4)
    if average:
        s2, s4 = s2.mean(axis=1), s4.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s2 > 0, s4 / np.where(s2 > 0, s2, 1.0) ** 2, np.nan)


def increment_pdf(
    V: Any, lag: int, *, bins: Any = None, standardize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    r"""Probability density of velocity increments :math:`\delta_\tau V_i`, pooled over components.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series.
    lag : int
        Lag :math:`\tau` in samples, in ``[1, n_times - 1]``.
    bins : array-like or None
        Bin edges; 81 edges over ``[-8, 8]`` (standard deviations) when ``None``.
    standardize : bool, default=True
        Divide the increments by their standard deviation (all components pooled).

    Returns
    -------
    centres : ndarray of shape (n_bins,)
        Bin centres.
    density : ndarray of shape (n_bins,)
        Histogram density (integrates to the fraction of increments inside the bins).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import increment_pdf
    >>> V = np.cumsum(np.random.default_rng(0).normal(size=(50, 200, 3)), axis=1)
    >>> x, p = increment_pdf(V, 5)
    >>> bool(abs(p[x.size // 2] - 1 / np.sqrt(2 * np.pi)) < 0.03)
    True
    """
    V = _series(V)
    lag = int(_lags([lag], V.shape[1])[0])
    delta = (V[:, lag:] - V[:, :-lag]).ravel()
    if standardize:
        std = delta.std()
        delta = delta / (std if std > 0 else 1.0)
    edges = np.linspace(-8.0, 8.0, 82) if bins is None else np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"bins must be an increasing 1-D array of >= 2 edges; got {bins!r}.")
    counts, edges = np.histogram(delta, bins=edges)
    density = counts / (delta.size * np.diff(edges))
    return 0.5 * (edges[1:] + edges[:-1]), density


# --------------------------------------------------------------------------- transport


def integrate_positions(V: Any, dt: float = 1.0, *, x0: Any = None) -> np.ndarray:
    r"""Positions :math:`X_{k+1} = X_k + V_k\,\Delta t` from velocities (forward Euler).

    This is exact for the Boris pusher's position update when :math:`V_k` is the velocity
    that carries the particle from sample :math:`k` to :math:`k + 1`.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series.
    dt : float, default=1.0
        Time between samples [any time unit, e.g. :math:`\ell_0/v`], > 0.
    x0 : array-like of shape (n_particles, 3), (3,) or None
        Initial positions [velocity unit x time unit of ``V`` and ``dt``]; the origin when
        ``None``.

    Returns
    -------
    ndarray of shape (n_particles, n_times, 3)
        Positions, starting at ``x0`` (lengths in velocity x time units).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import integrate_positions
    >>> integrate_positions(np.ones((4, 3)), 0.5)[0, :, 0].tolist()
    [0.0, 0.5, 1.0, 1.5]
    """
    V = _series(V, min_length=1)
    check_interval(dt, "dt", "integrate_positions", low=0, closed="neither")
    X = np.zeros_like(V)
    np.cumsum(V[:, :-1] * dt, axis=1, out=X[:, 1:])
    if x0 is not None:
        start = np.asarray(x0, dtype=float)
        if start.shape not in ((3,), (V.shape[0], 3)):
            raise ValueError(
                f"x0 must have shape (3,) or (n_particles, 3) = ({V.shape[0]}, 3); "
                f"got {start.shape} instead."
            )
        X += start.reshape(-1, 1, 3)
    return X


def mean_squared_displacement(X: Any, lags: Any = None) -> np.ndarray:
    r"""Mean squared displacement :math:`\langle (X_i(t+\tau) - X_i(t))^2\rangle` per component.

    The average runs over particles and start times (use :func:`integrate_positions` to
    get ``X`` from velocities).

    Parameters
    ----------
    X : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Position series.
    lags : array-like of int or None
        Lags in samples (:func:`default_lags` when ``None``).

    Returns
    -------
    ndarray of shape (n_lags, 3)
        MSD per component (sum over the last axis for :math:`\langle|\Delta X|^2\rangle`).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import mean_squared_displacement
    >>> X = np.arange(10.0)[:, None] * np.array([1.0, 0.0, 0.0])  # ballistic: tau^2
    >>> mean_squared_displacement(X, [1, 2, 4])[:, 0].tolist()
    [1.0, 4.0, 16.0]
    """
    return structure_function(X, lags, order=2)


def running_diffusion(X: Any, lags: Any = None, dt: float = 1.0) -> np.ndarray:
    r"""Compute running diffusion coefficients :math:`D_{ii}(\tau) = \mathrm{MSD}_i/(2\tau)`.

    Parameters
    ----------
    X : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Position series.
    lags : array-like of int or None
        Lags in samples (:func:`default_lags` when ``None``).
    dt : float, default=1.0
        Time between samples [any time unit], > 0.

    Returns
    -------
    ndarray of shape (n_lags, 3)
        :math:`D_{xx}, D_{yy}, D_{zz}` in length^2 / time.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import running_diffusion
    >>> X = np.cumsum(np.random.default_rng(0).normal(size=(400, 300, 3)), axis=1)
    >>> bool(np.allclose(running_diffusion(X, [50]), 0.5, rtol=0.1))
    True
    """
    X = _series(X, "X")
    lags = _lags(lags, X.shape[1])
    check_interval(dt, "dt", "running_diffusion", low=0, closed="neither")
    return mean_squared_displacement(X, lags) / (2.0 * lags[:, None] * dt)


# --------------------------------------------------------------------------- geometry


def _derivatives(V: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    accel = np.gradient(V, dt, axis=1)
    jerk = np.gradient(accel, dt, axis=1)
    return accel, jerk


def curvature(V: Any, dt: float = 1.0) -> np.ndarray:
    r"""Curvature :math:`\kappa = |\mathbf V\times\dot{\mathbf V}|/|\mathbf V|^3` of the path.

    Time derivatives are second-order central differences (one-sided at the ends), so a
    helix sampled with :math:`\omega\Delta t` gets a relative error of about
    :math:`(\omega\Delta t)^2/6`.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series [any velocity unit] (any speed, not zero).
    dt : float, default=1.0
        Time between samples [any time unit], > 0.

    Returns
    -------
    ndarray of shape (n_particles, n_times)
        Curvature in 1/length (length = velocity x time units).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import curvature
    >>> t = np.arange(300) * 0.01
    >>> V = np.stack([np.cos(4 * t), np.sin(4 * t), 0 * t], axis=1)  # circle of radius 1/4
    >>> round(float(curvature(V, 0.01)[0, 150]), 2)
    4.0
    """
    V = _series(V, min_length=3)
    check_interval(dt, "dt", "curvature", low=0, closed="neither")
    accel = np.gradient(V, dt, axis=1)
    speed = np.linalg.norm(V, axis=2)
    return np.linalg.norm(np.cross(V, accel), axis=2) / np.maximum(speed, 1e-300) ** 3


def torsion(V: Any, dt: float = 1.0) -> np.ndarray:
    r"""Compute the torsion of the path traced by the velocity series.

    :math:`\tau = (\mathbf V\times\dot{\mathbf V})\cdot\ddot{\mathbf V}/|\mathbf V\times
    \dot{\mathbf V}|^2`, signed: positive for a right-handed helix. NaN where the path is straight.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series.
    dt : float, default=1.0
        Time between samples [any time unit], > 0.

    Returns
    -------
    ndarray of shape (n_particles, n_times)
        Torsion in 1/length.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import torsion
    >>> t = np.arange(300) * 0.01  # right-handed helix, omega = 2, v_par = 0.6
    >>> V = np.stack([0.8 * np.cos(2 * t), 0.8 * np.sin(2 * t), 0.6 + 0 * t], axis=1)
    >>> round(float(torsion(V, 0.01)[0, 150]), 3)  # omega v_par / |V|^2
    1.2
    """
    V = _series(V, min_length=3)
    check_interval(dt, "dt", "torsion", low=0, closed="neither")
    accel, jerk = _derivatives(V, dt)
    cross = np.cross(V, accel)
    norm2 = np.sum(cross**2, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm2 > 0, np.sum(cross * jerk, axis=2) / norm2, np.nan)


def gyro_centre_velocity(
    V: Any, steps_per_gyration: float = 100.0, *, periods: float = 1.5
) -> np.ndarray:
    r"""Low-pass filter velocities to follow the gyro-centre motion.

    Each component is convolved with a Gaussian kernel whose full width at half maximum
    is ``periods`` gyro-periods :math:`T_g` (:math:`\sigma = P\,T_g/2.355`; ends
    reflected). Its transfer function :math:`\exp(-2\pi^2\sigma^2 f^2)` damps the
    gyration at :math:`f = 1/T_g` by :math:`3\times10^{-4}` for :math:`P = 1.5` while
    keeping changes of the guiding-centre direction slower than a few gyro-periods.
    Within about :math:`2 T_g` of either end the result feels the reflection.

    Parameters
    ----------
    V : array-like of shape (n_particles, n_times, 3) or (n_times, 3)
        Velocity series.
    steps_per_gyration : float, default=100
        Gyro-period :math:`T_g` [samples], > 0.
    periods : float, default=1.5
        Kernel FWHM :math:`P` in gyro-periods, > 0.

    Returns
    -------
    ndarray of shape (n_particles, n_times, 3)
        Filtered velocities (no longer of unit length).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import gyro_centre_velocity
    >>> t = np.arange(1000) * 2 * np.pi / 100
    >>> V = np.stack([0.8 * np.cos(t), 0.8 * np.sin(t), 0.6 + 0 * t], axis=1)
    >>> U = gyro_centre_velocity(V, 100)
    >>> bool(np.abs(U[0, 200:800, :2]).max() < 1e-3), round(float(U[0, 500, 2]), 6)
    (True, 0.6)
    """
    from scipy.ndimage import gaussian_filter1d

    V = _series(V)
    owner = "gyro_centre_velocity"
    check_interval(steps_per_gyration, "steps_per_gyration", owner, low=0, closed="neither")
    check_interval(periods, "periods", owner, low=0, closed="neither")
    sigma = periods * steps_per_gyration / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    return gaussian_filter1d(V, sigma, axis=1, mode="reflect", truncate=4.0)


# --------------------------------------------------------------------------- angles


def velocity_to_angles(V: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Polar and azimuthal angles of velocity directions.

    Parameters
    ----------
    V : array-like of shape (..., 3)
        Velocities [any velocity unit] (normalised here, so any non-zero speed works).

    Returns
    -------
    theta : ndarray of shape (...)
        :math:`\arccos(V_z/|V|) \in [0, \pi]`.
    phi : ndarray of shape (...)
        :math:`\operatorname{atan2}(V_y, V_x) \in (-\pi, \pi]`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import velocity_to_angles
    >>> theta, phi = velocity_to_angles([0.0, 1.0, 0.0])
    >>> float(theta), float(phi)
    (1.5707963267948966, 1.5707963267948966)
    """
    V = np.asarray(V, dtype=float)
    if V.shape[-1:] != (3,):
        raise ValueError(f"V must have shape (..., 3); got an array of shape {V.shape} instead.")
    speed = np.linalg.norm(V, axis=-1)
    if np.any(speed == 0) or not np.all(np.isfinite(speed)):
        raise ValueError("V must hold finite, non-zero vectors to define angles.")
    theta = np.arccos(np.clip(V[..., 2] / speed, -1.0, 1.0))
    phi = np.arctan2(V[..., 1], V[..., 0])
    return theta, phi


def angles_to_velocity(theta: Any, phi: Any) -> np.ndarray:
    r"""Map angles to unit vectors :math:`(\sin\theta\cos\phi, \sin\theta\sin\phi, \cos\theta)`.

    Parameters
    ----------
    theta, phi : array-like of the same shape (...)
        Polar and azimuthal angles [rad] (any real values).

    Returns
    -------
    ndarray of shape (..., 3)
        Unit vectors: :math:`|V| = 1` to round-off for any input angles.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import angles_to_velocity
    >>> angles_to_velocity(np.pi / 2, 0.0).round(12).tolist()
    [1.0, 0.0, 0.0]
    """
    theta = np.asarray(theta, dtype=float)
    phi = np.asarray(phi, dtype=float)
    if theta.shape != phi.shape:
        raise ValueError(
            f"theta and phi must have the same shape; got {theta.shape} and {phi.shape}."
        )
    sin_theta = np.sin(theta)
    return np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), np.cos(theta)], axis=-1)


# --------------------------------------------------------------------------- distance


def _wasserstein_log(a: np.ndarray, b: np.ndarray) -> float:
    """1-Wasserstein distance between the distributions of log10(a) and log10(b)."""
    from scipy.stats import wasserstein_distance

    a = a[np.isfinite(a) & (a > 0)]
    b = b[np.isfinite(b) & (b > 0)]
    if a.size == 0 or b.size == 0:
        return float("nan")
    return float(wasserstein_distance(np.log10(a), np.log10(b)))


def trajectory_distance(
    V_gen: Any,
    V_ref: Any,
    *,
    steps_per_gyration: float = 100.0,
    lags: Any = None,
    max_points: int = 200_000,
    return_components: bool = False,
    random_state: Any = 0,
) -> float | dict[str, float]:
    r"""One number summarising how the statistics of two trajectory sets differ.

    The sum of four non-negative terms, each 0 for identical statistics:

    - ``s2``: mean over lags of :math:`|\ln(\bar S_2^{gen}/\bar S_2^{ref})|` (component means);
    - ``f4``: mean over lags of :math:`|F_4^{gen}/F_4^{ref} - 1|` (component-averaged);
    - ``msd``: mean over lags of :math:`|\ln(\mathrm{MSD}^{gen}/\mathrm{MSD}^{ref})|` with
      positions integrated from the velocities;
    - ``curvature``: 1-Wasserstein distance between the distributions of
      :math:`\log_{10}\kappa` of the gyro-centre motion (:func:`gyro_centre_velocity`).

    Both sets must share the time step; their lengths may differ (lags beyond the shorter
    series are dropped).

    Parameters
    ----------
    V_gen, V_ref : array-like of shape (n, n_times, 3) or (n_times, 3)
        Generated and reference velocity series.
    steps_per_gyration : float, default=100
        Gyro-period [samples] (for the gyro-centre filter).
    lags : array-like of int or None
        Lags in samples; :func:`default_lags` of the shorter length when ``None``.
    max_points : int, default=200_000
        Curvature values drawn (without replacement) from each set for the Wasserstein term.
    return_components : bool, default=False
        Return a dict with the four terms and their sum ``"total"`` instead of the sum.
    random_state : None, int or numpy.random.Generator, default=0
        Subsampling of curvature values.

    Returns
    -------
    float or dict
        The total distance (or its components).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.particles.statistics import trajectory_distance
    >>> rng = np.random.default_rng(0)
    >>> V = rng.normal(size=(20, 300, 3)).cumsum(axis=1)
    >>> trajectory_distance(V, V, steps_per_gyration=20)
    0.0
    """
    V_gen = _series(V_gen, "V_gen", min_length=8)
    V_ref = _series(V_ref, "V_ref", min_length=8)
    check_interval(max_points, "max_points", "trajectory_distance", kind=int, low=1)
    n_times = min(V_gen.shape[1], V_ref.shape[1])
    lags = _lags(lags, n_times)
    rng = check_random_state(random_state)

    def ratio_log(a: np.ndarray, b: np.ndarray) -> float:
        tiny = np.finfo(float).tiny
        return float(np.mean(np.abs(np.log(np.maximum(a, tiny) / np.maximum(b, tiny)))))

    s2_gen = structure_function(V_gen, lags).mean(axis=1)
    s2_ref = structure_function(V_ref, lags).mean(axis=1)
    f4_gen = flatness(V_gen, lags, average=True)
    f4_ref = flatness(V_ref, lags, average=True)
    msd_gen = mean_squared_displacement(integrate_positions(V_gen), lags).sum(axis=1)
    msd_ref = mean_squared_displacement(integrate_positions(V_ref), lags).sum(axis=1)

    def kappa(V: np.ndarray) -> np.ndarray:
        values = curvature(gyro_centre_velocity(V, steps_per_gyration)).ravel()
        if values.size > max_points:
            values = rng.choice(values, max_points, replace=False)
        return values

    with np.errstate(invalid="ignore", divide="ignore"):
        f4_term = float(np.nanmean(np.abs(f4_gen / f4_ref - 1.0)))
    parts = {
        "s2": ratio_log(s2_gen, s2_ref),
        "f4": f4_term,
        "msd": ratio_log(msd_gen, msd_ref),
        "curvature": _wasserstein_log(kappa(V_gen), kappa(V_ref)),
    }
    parts["total"] = float(sum(parts.values()))
    return parts if return_components else parts["total"]
