"""Unbinned top-hat searches for localised UHECR excesses (Auger 2022, ApJ 935, 170).

The blind search of the Pierre Auger Collaboration (Abreu et al. 2022, Sec. 3.1) counts the
events with energy above a threshold ``E_th`` inside a top-hat window of radius ``Psi``
centred on every point of a sky grid, for ``E_th`` = 32 .. 80 EeV and ``Psi`` = 1 .. 30 deg
in steps of 1, compares the count ``N_on`` with the isotropic expectation
``N_exp = N(E >= E_th) * f``, where ``f`` is the exposure-weighted solid-angle fraction of
the window, and computes the local significance with Li & Ma (1983, eq. 17) using
``alpha = f / (1 - f)``. The most significant window is kept; its post-trial p-value is the
fraction of isotropic mock data sets (same exposure, same energies) whose own maximum is at
least as large. :func:`targeted_scan` does the same around one fixed direction (Centaurus A
by default), scanning threshold and radius only.

The exposure must depend on declination only (a ground array observing uniformly in
sidereal time): ``"auger"``, ``"ta"``, ``"uniform"``, ``"auger+ta"``, a
:class:`~crsbi.uhecr._exposure.GroundArray` or a
:class:`~crsbi.uhecr._exposure.CombinedExposure`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from crsbi.uhecr._exposure import (
    AUGER_TA,
    EXPOSURES,
    CombinedExposure,
    GroundArray,
    check_nside,
    sommers_exposure,
)

__all__ = [
    "CEN_A_RA_DEC",
    "DEFAULT_ENERGY_THRESHOLDS",
    "DEFAULT_RADII",
    "ScanResult",
    "blind_scan",
    "lima_significance",
    "sample_exposure_directions",
    "targeted_scan",
    "window_exposure_fraction",
]

#: Equatorial coordinates (J2000) of Centaurus A [deg].
CEN_A_RA_DEC = (201.365, -43.019)
#: Energy thresholds of the Auger 2022 scans: 32 .. 80 EeV in steps of 1 EeV.
DEFAULT_ENERGY_THRESHOLDS = np.arange(32.0, 81.0)
#: Top-hat radii of the Auger 2022 scans: 1 .. 30 deg in steps of 1 deg.
DEFAULT_RADII = np.arange(1.0, 31.0)

_N_Z = 200_000  # cells in sin(dec) for the exposure integral and the mock sampler


# --------------------------------------------------------------------------------------
# exposure as a function of declination
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _DecExposure:
    """A declination-only exposure ``omega(dec)`` (any positive scale) and its label."""

    function: Callable[[np.ndarray], np.ndarray]
    name: str
    max_declination_deg: float

    def __call__(self, dec_deg: np.ndarray) -> np.ndarray:
        return np.asarray(self.function(np.asarray(dec_deg, dtype=float)), dtype=float)

    @property
    def total(self) -> float:
        """Integral of ``omega`` over the sphere [sr times the scale of omega]."""
        z = -1.0 + (np.arange(_N_Z) + 0.5) * (2.0 / _N_Z)
        return float(2.0 * np.pi * self(np.degrees(np.arcsin(z))).sum() * (2.0 / _N_Z))


def _resolve_exposure(exposure: object) -> _DecExposure:
    if isinstance(exposure, _DecExposure):
        return exposure
    if isinstance(exposure, str) and exposure.lower() in ("auger+ta", "combined"):
        exposure = AUGER_TA
    elif isinstance(exposure, str) and exposure.lower() in EXPOSURES:
        exposure = EXPOSURES[exposure.lower()]
        if exposure is None:
            return _DecExposure(lambda dec: np.ones(np.shape(dec)), "uniform", 90.0)
    if isinstance(exposure, GroundArray):
        array = exposure
        return _DecExposure(
            lambda dec: sommers_exposure(dec, array.latitude_deg, array.max_zenith_deg),
            array.name,
            array.max_declination_deg,
        )
    if isinstance(exposure, CombinedExposure):
        combined = exposure
        return _DecExposure(
            combined.directional_exposure, combined.name, combined.max_declination_deg
        )
    raise ValueError(
        "The 'exposure' parameter must be 'auger', 'ta', 'uniform', 'auger+ta', a GroundArray "
        "or a CombinedExposure (a declination-only exposure). "
        f"Got {exposure!r} instead."
    )


def window_exposure_fraction(
    dec_deg: np.ndarray | float, radius_deg: np.ndarray | float, exposure: object = "auger"
) -> np.ndarray:
    """Exposure-weighted solid-angle fraction of top-hat windows.

    ``f = int_window omega dOmega / int_sphere omega dOmega``: the probability that an
    event of an isotropic flux seen through ``exposure`` falls in the window. It depends on
    the declination of the centre only. The window integral uses a 2-D Gauss-Legendre
    (distance from the centre) times trapezoid (position angle) quadrature, accurate to
    ~1e-6 relative.

    Parameters
    ----------
    dec_deg : array_like
        Declinations of the window centres [deg], in [-90, 90].
    radius_deg : array_like
        Window radii [deg], in (0, 180].
    exposure : str, GroundArray or CombinedExposure, default="auger"
        Declination-only exposure (see the module docstring).

    Returns
    -------
    numpy.ndarray of shape (n_centres, n_radii)
        Fractions in [0, 1] (``dec_deg`` and ``radius_deg`` flattened).

    Examples
    --------
    >>> from crsbi.uhecr.scan import window_exposure_fraction
    >>> round(float(window_exposure_fraction(-30.0, 180.0)[0, 0]), 6)
    1.0
    >>> round(float(window_exposure_fraction(60.0, 5.0)[0, 0]), 6)  # outside Auger's sky
    0.0
    """
    model = _resolve_exposure(exposure)
    dec = np.atleast_1d(np.asarray(dec_deg, dtype=float)).ravel()
    radii = np.atleast_1d(np.asarray(radius_deg, dtype=float)).ravel()
    if not np.all(np.isfinite(dec)) or np.any(np.abs(dec) > 90.0):
        raise ValueError(
            f"Window centre declinations must be finite and in [-90, 90] deg. Got {dec!r}."
        )
    if not np.all(np.isfinite(radii)) or np.any(radii <= 0.0) or np.any(radii > 180.0):
        raise ValueError(f"Window radii must be finite and in (0, 180] deg. Got {radii!r}.")
    return _window_fractions(model, dec, radii)


def _window_fractions(model: _DecExposure, dec: np.ndarray, radii: np.ndarray) -> np.ndarray:
    unique_dec, inverse = np.unique(dec, return_inverse=True)
    total = model.total
    n_phi = 256
    phi = (np.arange(n_phi) + 0.5) * (2.0 * np.pi / n_phi)
    sin_c = np.sin(np.radians(unique_dec))[:, None, None]
    cos_c = np.cos(np.radians(unique_dec))[:, None, None]
    out = np.empty((unique_dec.size, radii.size))
    for k, radius in enumerate(radii):
        n_rho = max(48, math.ceil(radius) * 2)
        x, w = np.polynomial.legendre.leggauss(n_rho)
        rho = 0.5 * np.radians(radius) * (x + 1.0)
        weight = 0.5 * np.radians(radius) * w * np.sin(rho)
        sin_dec = (
            sin_c * np.cos(rho)[None, :, None]
            + cos_c * np.sin(rho)[None, :, None] * np.cos(phi)[None, None, :]
        )
        omega = model(np.degrees(np.arcsin(np.clip(sin_dec, -1.0, 1.0))))
        integral = (omega.sum(axis=2) * (2.0 * np.pi / n_phi)) @ weight
        out[:, k] = integral / total
    return np.clip(out[inverse], 0.0, 1.0)


def sample_exposure_directions(
    n: int, exposure: object = "auger", random_state: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw isotropic arrival directions seen through a declination-only exposure.

    Parameters
    ----------
    n : int
        Number of directions (>= 0).
    exposure : str, GroundArray or CombinedExposure, default="auger"
        Declination-only exposure (see the module docstring).
    random_state : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    ra_deg, dec_deg : numpy.ndarray of shape (n,)
        Right ascension in [0, 360) and declination [deg].

    Examples
    --------
    >>> from crsbi.uhecr.scan import sample_exposure_directions
    >>> ra, dec = sample_exposure_directions(1000, "auger", random_state=0)
    >>> bool(dec.max() <= 44.8)
    True
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative int. Got {n!r}.")
    rng = np.random.default_rng(random_state)
    return _Sampler(_resolve_exposure(exposure))(int(n), rng)


class _Sampler:
    """Inverse-CDF sampler in ``sin(dec)`` (exact up to a 1e-5 cell) and uniform RA."""

    def __init__(self, model: _DecExposure, n_cells: int = _N_Z) -> None:
        edges = np.linspace(-1.0, 1.0, n_cells + 1)
        mid = 0.5 * (edges[1:] + edges[:-1])
        pdf = np.clip(model(np.degrees(np.arcsin(mid))), 0.0, None)
        if not np.any(pdf > 0):
            raise ValueError(f"The exposure {model.name!r} is zero everywhere.")
        cdf = np.concatenate([[0.0], np.cumsum(pdf)])
        self.cdf = cdf / cdf[-1]
        self.edges = edges

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        u = rng.random((2, n))
        z = np.interp(u[0], self.cdf, self.edges)
        return 360.0 * u[1], np.degrees(np.arcsin(np.clip(z, -1.0, 1.0)))


# --------------------------------------------------------------------------------------
# Li & Ma significance
# --------------------------------------------------------------------------------------
def lima_significance(
    n_on: np.ndarray | float, n_total: np.ndarray | float, fraction: np.ndarray | float
) -> np.ndarray:
    """Signed Li & Ma (1983, eq. 17) significance of ``n_on`` events in a window.

    With ``N_off = n_total - n_on`` and ``alpha = f / (1 - f)`` (the ratio of the on- and
    off-window exposures), ``S^2 = 2 [N_on ln(N_on / (f N)) + N_off ln(N_off / ((1-f) N))]``;
    the sign is that of ``N_on - f N``. Windows with ``f`` = 0 or 1 or no events give 0.

    Parameters
    ----------
    n_on : array_like
        Events in the window.
    n_total : array_like
        Events in the whole data set (same energy threshold).
    fraction : array_like
        Exposure fraction of the window, in [0, 1] (:func:`window_exposure_fraction`).

    Returns
    -------
    numpy.ndarray
        Broadcast shape of the inputs.

    Examples
    --------
    >>> from crsbi.uhecr.scan import lima_significance
    >>> round(float(lima_significance(25, 100, 0.1)), 3)
    4.297
    """
    n_on, n_total, f = np.broadcast_arrays(
        np.asarray(n_on, float), np.asarray(n_total, float), np.asarray(fraction, float)
    )
    n_off = n_total - n_on
    valid = (f > 0) & (f < 1) & (n_total > 0)
    f_safe = np.where(valid, f, 0.5)
    mu = f_safe * n_total
    with np.errstate(divide="ignore", invalid="ignore"):
        t_on = np.where(n_on > 0, n_on * np.log(n_on / mu), 0.0)
        t_off = np.where(n_off > 0, n_off * np.log(n_off / (n_total - mu)), 0.0)
    s = np.sqrt(np.clip(2.0 * (t_on + t_off), 0.0, None))
    return np.where(valid, np.where(n_on >= mu, s, -s), 0.0)


@njit(cache=True)
def _lima_scalar(n_on: float, n_total: float, f: float) -> float:  # pragma: no cover - numba
    if f <= 0.0 or f >= 1.0 or n_total <= 0.0:
        return 0.0
    mu = f * n_total
    n_off = n_total - n_on
    t = 0.0
    if n_on > 0.0:
        t += n_on * math.log(n_on / mu)
    if n_off > 0.0:
        t += n_off * math.log(n_off / (n_total - mu))
    s = math.sqrt(max(2.0 * t, 0.0))
    return s if n_on >= mu else -s


# --------------------------------------------------------------------------------------
# counting kernels
# --------------------------------------------------------------------------------------
@njit(cache=True)
def _histogram(centre, events, e_idx, cos_radii, n_thr, hist):  # pragma: no cover - numba
    """Fill ``hist[r, t]`` with events of energy bin ``t`` at distance in ring ``r``."""
    n_rad = cos_radii.shape[0]
    cos_max = cos_radii[n_rad - 1]
    cx, cy, cz = centre[0], centre[1], centre[2]
    for r in range(n_rad):
        for t in range(n_thr):
            hist[r, t] = 0
    for j in range(events.shape[0]):
        d = cx * events[j, 0] + cy * events[j, 1] + cz * events[j, 2]
        if d >= cos_max:
            r = 0
            while d < cos_radii[r]:
                r += 1
            hist[r, e_idx[j]] += 1
    # cumulate: radius ascending, energy threshold descending
    for r in range(1, n_rad):
        for t in range(n_thr):
            hist[r, t] += hist[r - 1, t]
    for r in range(n_rad):
        for t in range(n_thr - 2, -1, -1):
            hist[r, t] += hist[r, t + 1]


@njit(cache=True)
def _count_kernel(centres, events, e_idx, cos_radii, n_thr):  # pragma: no cover - numba
    n_c, n_rad = centres.shape[0], cos_radii.shape[0]
    out = np.zeros((n_c, n_rad, n_thr), dtype=np.int64)
    hist = np.zeros((n_rad, n_thr), dtype=np.int64)
    for c in range(n_c):
        _histogram(centres[c], events, e_idx, cos_radii, n_thr, hist)
        out[c] = hist
    return out


@njit(cache=True)
def _max_kernel(centres, events, e_idx, cos_radii, n_above, frac, global_only):
    # pragma: no cover - numba
    """Per centre: largest Li-Ma significance over (radius, threshold) and its indices.

    A cell is skipped when the chi-square bound ``S <= sqrt(2) (N_on - mu) /
    sqrt(mu (1 - f))`` (from KL <= chi^2) cannot beat the best value so far (that of the
    centre, or of the whole scan when ``global_only``), so the logarithms are only taken
    where they matter; the maximum is exact.
    """
    n_c, n_rad, n_thr = centres.shape[0], cos_radii.shape[0], n_above.shape[0]
    best = np.full(n_c, -np.inf)
    best_r = np.zeros(n_c, dtype=np.int64)
    best_t = np.zeros(n_c, dtype=np.int64)
    hist = np.zeros((n_rad, n_thr), dtype=np.int64)
    overall = -np.inf
    for c in range(n_c):
        _histogram(centres[c], events, e_idx, cos_radii, n_thr, hist)
        b, br, bt = -np.inf, 0, 0
        if global_only:
            b = overall
        for r in range(n_rad):
            f = frac[c, r]
            if f <= 0.0 or f >= 1.0:
                continue
            for t in range(n_thr):
                n_tot = n_above[t]
                n_on = hist[r, t]
                mu = f * n_tot
                if n_on <= mu:
                    if b < 0.0:  # no excess yet: keep the (negative) value exactly
                        s = _lima_scalar(n_on, n_tot, f)
                        if s > b:
                            b, br, bt = s, r, t
                    continue
                bound = math.sqrt(2.0) * (n_on - mu) / math.sqrt(mu * (1.0 - f))
                if bound <= b:
                    continue
                s = _lima_scalar(n_on, n_tot, f)
                if s > b:
                    b, br, bt = s, r, t
        best[c], best_r[c], best_t[c] = b, br, bt
        if b > overall:
            overall = b
    return best, best_r, best_t


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------
def _unit(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.ascontiguousarray(
        np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)
    )


def _check_events(
    ra_deg: Any, dec_deg: Any, energy_eev: Any, owner: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = []
    for name, values in (("ra_deg", ra_deg), ("dec_deg", dec_deg), ("energy_eev", energy_eev)):
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{owner}: {name} must be a 1-D array of numbers.") from err
        if arr.ndim != 1:
            raise ValueError(f"{owner}: {name} must be a 1-D array. Got shape {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"{owner}: {name} must be finite; it holds {int(np.sum(~np.isfinite(arr)))} "
                "NaN or infinite values."
            )
        arrays.append(arr)
    ra, dec, energy = arrays
    if not ra.size == dec.size == energy.size:
        raise ValueError(
            f"{owner}: ra_deg, dec_deg and energy_eev must have the same length. "
            f"Got {ra.size}, {dec.size} and {energy.size}."
        )
    if ra.size == 0:
        raise ValueError(f"{owner}: no events were given.")
    if np.any((ra < -360.0) | (ra > 360.0)):
        raise ValueError(f"{owner}: ra_deg must be in [-360, 360] deg. Got {ra.min()}..{ra.max()}.")
    if np.any(np.abs(dec) > 90.0):
        raise ValueError(
            f"{owner}: dec_deg must be in [-90, 90] deg. Got {dec.min()}..{dec.max()}."
        )
    if np.any(energy <= 0.0):
        raise ValueError(f"{owner}: energy_eev must be positive [EeV]. Got min {energy.min()}.")
    return ra % 360.0, dec, energy


def _check_grid(values: Any, name: str, low: float, high: float, owner: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if (
        arr.ndim != 1
        or arr.size == 0
        or not np.all(np.isfinite(arr))
        or np.any(arr <= low)
        or np.any(arr > high)
        or np.any(np.diff(arr) <= 0)
    ):
        raise ValueError(
            f"{owner}: {name} must be a non-empty, strictly increasing 1-D array of finite "
            f"values in ({low}, {high}]. Got {values!r}."
        )
    return arr


def _check_n_mocks(n_mocks: Any, random_state: Any, owner: str) -> int:
    if isinstance(n_mocks, bool) or not isinstance(n_mocks, int | np.integer) or n_mocks < 0:
        raise ValueError(f"{owner}: n_mocks must be a non-negative int. Got {n_mocks!r}.")
    if random_state is not None and (
        isinstance(random_state, bool)
        or not isinstance(random_state, int | np.integer)
        or random_state < 0
    ):
        raise ValueError(
            f"{owner}: random_state must be a non-negative int or None (each mock gets its own "
            f"child seed). Got {random_state!r}."
        )
    return int(n_mocks)


def _energy_bins(energy: np.ndarray, thresholds: np.ndarray, owner: str) -> np.ndarray:
    e_idx = np.searchsorted(thresholds, energy, side="right") - 1
    if not np.any(e_idx >= 0):
        raise ValueError(
            f"{owner}: no event has energy >= the lowest threshold {thresholds[0]} EeV "
            f"(largest energy {energy.max()} EeV): the selection is empty."
        )
    return e_idx


# --------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------
@dataclass
class ScanResult:
    """Outcome of :func:`blind_scan` or :func:`targeted_scan`.

    Attributes
    ----------
    kind : {"blind", "targeted"}
        Which search.
    ra_deg, dec_deg : float
        Centre of the most significant window [deg].
    radius_deg, threshold_eev : float
        Its radius [deg] and energy threshold [EeV].
    n_on : int
        Events with ``E >= threshold_eev`` in the window.
    n_expected : float
        Isotropic expectation ``n_above * fraction``.
    n_above : int
        Events with ``E >= threshold_eev`` in the whole data set.
    fraction : float
        Exposure fraction of the window.
    local_sigma : float
        Li & Ma significance of the window (before the scan penalty).
    n_mocks, n_exceed : int
        Isotropic mock data sets scanned, and those with a maximum ``>= local_sigma``.
    p_post : float
        Post-trial p-value ``n_exceed / n_mocks`` (NaN without mocks; 0 means ``< 1 /
        n_mocks``).
    post_sigma : float
        One-sided Gaussian equivalent of ``p_post``; when no mock exceeded, the lower bound
        ``isf(1 / n_mocks)`` and ``post_sigma_is_lower_bound`` is True.
    mock_max_sigma : numpy.ndarray of shape (n_mocks,)
        Maximum local significance of each mock.
    sigma_table : numpy.ndarray of shape (n_radii, n_thresholds)
        Local significance at the best centre for every radius and threshold.
    radii_deg, energy_thresholds : numpy.ndarray
        The scanned radii [deg] and thresholds [EeV].
    centres_ra, centres_dec : numpy.ndarray of shape (n_centres,)
        Scanned centres [deg] (one for a targeted search).
    max_sigma_map : numpy.ndarray of shape (n_centres,)
        Per centre, the largest significance over radii and thresholds.
    best_sigma_map : numpy.ndarray of shape (n_centres,)
        Per centre, the significance at the best radius and threshold.
    grid_nside : int or None
        HEALPix resolution of the centres (RING order, equatorial), ``None`` if targeted.
    exposure : str
        Name of the exposure.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.scan import targeted_scan, sample_exposure_directions
    >>> ra, dec = sample_exposure_directions(400, "auger", random_state=0)
    >>> result = targeted_scan(ra, dec, np.full(400, 45.0), n_mocks=0,
    ...                        radii_deg=[10, 20], energy_thresholds=[40])
    >>> result.sigma_table.shape, result.kind
    ((2, 1), 'targeted')
    """

    kind: str
    ra_deg: float
    dec_deg: float
    radius_deg: float
    threshold_eev: float
    n_on: int
    n_expected: float
    n_above: int
    fraction: float
    local_sigma: float
    n_mocks: int
    n_exceed: int
    p_post: float
    post_sigma: float
    post_sigma_is_lower_bound: bool
    mock_max_sigma: np.ndarray
    sigma_table: np.ndarray
    radii_deg: np.ndarray
    energy_thresholds: np.ndarray
    centres_ra: np.ndarray
    centres_dec: np.ndarray
    max_sigma_map: np.ndarray
    best_sigma_map: np.ndarray
    grid_nside: int | None = None
    exposure: str = "auger"
    pixels: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """Return the scalar results as a dict (JSON-friendly)."""
        return {
            "kind": self.kind,
            "ra_deg": round(self.ra_deg, 3),
            "dec_deg": round(self.dec_deg, 3),
            "radius_deg": self.radius_deg,
            "threshold_eev": self.threshold_eev,
            "n_on": self.n_on,
            "n_expected": round(self.n_expected, 2),
            "n_above": self.n_above,
            "local_sigma": round(self.local_sigma, 3),
            "n_mocks": self.n_mocks,
            "n_exceed": self.n_exceed,
            "p_post": self.p_post,
            "post_sigma": round(self.post_sigma, 3) if np.isfinite(self.post_sigma) else None,
            "post_sigma_is_lower_bound": self.post_sigma_is_lower_bound,
            "exposure": self.exposure,
            "grid_nside": self.grid_nside,
        }

    def plot_sky(
        self,
        which: str = "best",
        *,
        ax: Any = None,
        cmap: str = "RdBu_r",
        resolution: int = 360,
        vmax: float | None = None,
        mark: Sequence[tuple[str, float, float]] = (("Cen A", *CEN_A_RA_DEC),),
    ) -> Any:
        """Mollweide map of the local significance over the scanned centres.

        Right ascension increases to the left (RA = 180 deg at the centre).

        Parameters
        ----------
        which : {"best", "max"}, default="best"
            ``"best"``: significance at the best radius and threshold; ``"max"``: the
            largest over all radii and thresholds at each centre.
        ax : matplotlib.axes.Axes or None
            An axes with ``projection="mollweide"``; a new figure is made when ``None``.
        cmap : str, default="RdBu_r"
            Colour map (symmetric limits).
        resolution : int, default=360
            RA samples of the raster.
        vmax : float or None
            Colour limit; the largest ``abs(sigma)`` when ``None``.
        mark : sequence of (label, ra_deg, dec_deg)
            Directions to mark with a star.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import healpy
        import matplotlib.pyplot as plt

        if which not in ("best", "max"):
            raise ValueError(f"which must be 'best' or 'max'. Got {which!r}.")
        if self.grid_nside is None or self.pixels is None:
            raise ValueError("plot_sky needs a blind scan (a grid of centres).")
        values = self.best_sigma_map if which == "best" else self.max_sigma_map
        full = np.full(12 * self.grid_nside**2, np.nan)
        full[self.pixels] = values
        if ax is None:
            fig = plt.figure(figsize=(9, 5))
            ax = fig.add_subplot(111, projection="mollweide")
        ra = np.linspace(0.0, 360.0, resolution)
        dec = np.linspace(-90.0, 90.0, resolution // 2)
        ra_grid, dec_grid = np.meshgrid(ra, dec)
        pix = healpy.ang2pix(self.grid_nside, ra_grid, dec_grid, lonlat=True)
        image = np.ma.masked_invalid(full[pix])
        limit = vmax if vmax is not None else float(np.nanmax(np.abs(values)))
        x = np.radians(180.0 - ra)  # RA to the left, 180 deg at the centre
        mesh = ax.pcolormesh(
            x, np.radians(dec), image, cmap=cmap, vmin=-limit, vmax=limit, shading="auto"
        )
        ax.set_xticklabels(
            [f"{int(v)}°" for v in (330, 300, 270, 240, 210, 180, 150, 120, 90, 60, 30)]
        )
        for label, ra_m, dec_m in mark:
            ax.plot(np.radians(180.0 - ra_m), np.radians(dec_m), "*", color="k", ms=10)
            ax.annotate(label, (np.radians(180.0 - ra_m), np.radians(dec_m)), fontsize=8)
        circle = _circle(self.ra_deg, self.dec_deg, self.radius_deg)
        ax.plot(np.radians(180.0 - circle[0]), np.radians(circle[1]), ",", color="k")
        ax.grid(True, alpha=0.3)
        label = (
            f"local significance, E >= {self.threshold_eev:g} EeV, {self.radius_deg:g} deg"
            if which == "best"
            else "max local significance over radius and threshold"
        )
        ax.figure.colorbar(mesh, ax=ax, orientation="horizontal", shrink=0.6, pad=0.06, label=label)
        ax.set_title(
            f"{self.exposure}: best {self.local_sigma:.2f} sigma at (RA, Dec) = "
            f"({self.ra_deg:.1f}, {self.dec_deg:.1f}) deg",
            fontsize=10,
        )
        return ax

    def plot_table(self, *, ax: Any = None, cmap: str = "viridis") -> Any:
        """Local significance at the best centre versus energy threshold and radius.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None
            Axes to draw on; a new figure is made when ``None``.
        cmap : str, default="viridis"
            Colour map.

        Returns
        -------
        matplotlib.axes.Axes
            The best (threshold, radius) is marked with a red cross.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5))
        mesh = ax.pcolormesh(
            self.energy_thresholds, self.radii_deg, self.sigma_table, cmap=cmap, shading="nearest"
        )
        ax.plot(self.threshold_eev, self.radius_deg, "r+", ms=12)
        ax.set_xlabel("energy threshold [EeV]")
        ax.set_ylabel("radius [deg]")
        ax.set_title(
            f"(RA, Dec) = ({self.ra_deg:.1f}, {self.dec_deg:.1f}) deg: max {self.local_sigma:.2f}"
            " sigma",
            fontsize=10,
        )
        ax.figure.colorbar(mesh, ax=ax, label="Li & Ma local significance")
        return ax


def _circle(ra_deg: float, dec_deg: float, radius_deg: float, n: int = 400) -> np.ndarray:
    """RA, Dec [deg] of the boundary of a cap (wrapped RA in [0, 360))."""
    centre = _unit(np.array([ra_deg]), np.array([dec_deg]))[0]
    pole = np.array([0.0, 0.0, 1.0]) if abs(centre[2]) < 0.99 else np.array([1.0, 0.0, 0.0])
    u = np.cross(centre, pole)
    u /= np.linalg.norm(u)
    v = np.cross(centre, u)
    phi = np.linspace(0.0, 2.0 * np.pi, n)
    rad = np.radians(radius_deg)
    pts = np.cos(rad) * centre[None, :] + np.sin(rad) * (
        np.cos(phi)[:, None] * u[None, :] + np.sin(phi)[:, None] * v[None, :]
    )
    ra = np.degrees(np.arctan2(pts[:, 1], pts[:, 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(pts[:, 2], -1.0, 1.0)))
    return np.stack([ra, dec])


# --------------------------------------------------------------------------------------
# mocks
# --------------------------------------------------------------------------------------
def _post_trial(observed: float, mock_max: np.ndarray) -> tuple[int, float, float, bool]:
    from scipy.stats import norm

    n = mock_max.size
    if n == 0:
        return 0, math.nan, math.nan, False
    n_exceed = int(np.sum(mock_max >= observed))
    p = n_exceed / n
    if n_exceed == 0:
        return 0, 0.0, float(norm.isf(1.0 / n)), True
    return n_exceed, p, float(norm.isf(p)), False


def _run_mocks(
    one_mock: Callable[[np.random.Generator], float],
    n_mocks: int,
    random_state: int | None,
    verbose: int,
    checkpoint: str | Path | None,
    desc: str,
    settings: str,
) -> np.ndarray:
    """Maxima of ``n_mocks`` mocks; mock ``i`` uses its own child seed (resumable)."""
    from tqdm.auto import tqdm

    children = np.random.SeedSequence(random_state).spawn(n_mocks)
    values = np.full(n_mocks, np.nan)
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["settings"]) != settings:
                raise ValueError(
                    f"The checkpoint {path} was written by a scan with other settings; "
                    "delete it or pass another checkpoint path."
                )
            done = saved["values"][:n_mocks]
            values[: done.size] = done
    todo = np.flatnonzero(np.isnan(values))
    every = max(1, n_mocks // 50)
    for k, i in enumerate(tqdm(todo, desc=desc, disable=verbose == 0, leave=False)):
        values[i] = one_mock(np.random.default_rng(children[i]))
        if path is not None and ((k + 1) % every == 0 or k + 1 == todo.size):
            np.savez(path.with_suffix(".tmp.npz"), values=values, settings=np.array(settings))
            path.with_suffix(".tmp.npz").replace(path)
    return values


# --------------------------------------------------------------------------------------
# searches
# --------------------------------------------------------------------------------------
def blind_scan(
    ra_deg: Any,
    dec_deg: Any,
    energy_eev: Any,
    *,
    exposure: object = "auger",
    energy_thresholds: Any = DEFAULT_ENERGY_THRESHOLDS,
    radii_deg: Any = DEFAULT_RADII,
    grid_nside: int = 64,
    max_centre_dec: float | None = None,
    n_mocks: int = 0,
    random_state: int | None = None,
    verbose: int = 0,
    checkpoint: str | Path | None = None,
) -> ScanResult:
    """Blind top-hat search over the sky, radius and energy threshold (Auger 2022, Sec. 3.1).

    For every centre of a HEALPix grid (RING, equatorial) inside the field of view, every
    radius and every threshold, the count ``N_on`` of events with ``E >= E_th`` within the
    radius is compared with ``N_exp = N(E >= E_th) f`` (``f``: exposure fraction of the
    window, :func:`window_exposure_fraction`) by the Li & Ma significance
    (:func:`lima_significance`); the largest is reported. Its post-trial p-value is the
    fraction of ``n_mocks`` isotropic mock data sets, scanned the same way, whose largest
    significance is at least as high. A mock draws every event's direction from the
    exposure and keeps the real energies (shuffled), so the number of events above each
    threshold, and thus the threshold trials, are those of the data.

    Parameters
    ----------
    ra_deg, dec_deg : array_like of shape (n_events,)
        Equatorial arrival directions [deg] (RA in [-360, 360], Dec in [-90, 90]).
    energy_eev : array_like of shape (n_events,)
        Energies [EeV], positive.
    exposure : str, GroundArray or CombinedExposure, default="auger"
        Declination-only exposure: ``"auger"``, ``"ta"``, ``"uniform"``, ``"auger+ta"``...
    energy_thresholds : array_like, default=32, 33, ..., 80
        Increasing thresholds [EeV].
    radii_deg : array_like, default=1, 2, ..., 30
        Increasing window radii [deg], in (0, 90].
    grid_nside : int, default=64
        HEALPix resolution of the centres (64: 0.92 deg spacing).
    max_centre_dec : float or None
        Northernmost centre declination [deg]; the field of view's edge by default
        (44.8 deg for Auger; the paper uses centres up to +45 deg).
    n_mocks : int, default=0
        Isotropic mock data sets for the post-trial p-value (0: none).
    random_state : int or None
        Seed of the mocks; mock ``i`` uses child ``i`` of ``SeedSequence(random_state)``,
        so results do not depend on interruptions.
    verbose : int, default=0
        Show a tqdm progress bar over the mocks when > 0.
    checkpoint : str, pathlib.Path or None
        ``.npz`` file where the mock maxima are saved as they come; an interrupted scan
        called again with the same arguments resumes from it.

    Returns
    -------
    ScanResult

    Raises
    ------
    ValueError
        On NaN or out-of-range coordinates or energies, arrays of different lengths, no
        event above the lowest threshold, bad grids or an unknown exposure.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.scan import blind_scan, sample_exposure_directions
    >>> ra, dec = sample_exposure_directions(300, "auger", random_state=1)
    >>> energy = np.random.default_rng(2).pareto(2.0, 300) * 32 + 32
    >>> result = blind_scan(ra, dec, energy, grid_nside=8, radii_deg=[10, 20],
    ...                     energy_thresholds=[32, 40])
    >>> result.radius_deg in (10.0, 20.0)
    True
    """
    owner = "blind_scan"
    ra, dec, energy = _check_events(ra_deg, dec_deg, energy_eev, owner)
    thresholds = _check_grid(energy_thresholds, "energy_thresholds", 0.0, np.inf, owner)
    radii = _check_grid(radii_deg, "radii_deg", 0.0, 90.0, owner)
    nside = check_nside(grid_nside, "grid_nside", owner)
    n_mocks = _check_n_mocks(n_mocks, random_state, owner)
    model = _resolve_exposure(exposure)
    e_idx = _energy_bins(energy, thresholds, owner)
    import healpy

    top = model.max_declination_deg if max_centre_dec is None else float(max_centre_dec)
    if not -90.0 <= top <= 90.0:
        raise ValueError(f"{owner}: max_centre_dec must be in [-90, 90]. Got {max_centre_dec!r}.")
    c_ra, c_dec = healpy.pix2ang(nside, np.arange(12 * nside**2), lonlat=True)
    pixels = np.flatnonzero(c_dec <= top + 1e-9)
    if pixels.size == 0:
        raise ValueError(f"{owner}: no grid centre has declination <= {top} deg.")
    c_ra, c_dec = c_ra[pixels], c_dec[pixels]
    centres = _unit(c_ra, c_dec)
    frac = np.ascontiguousarray(_window_fractions(model, c_dec, radii))
    cos_radii = np.cos(np.radians(radii))
    keep = e_idx >= 0
    e_kept = e_idx[keep]
    n_above = np.bincount(e_kept, minlength=thresholds.size)[::-1].cumsum()[::-1].astype(float)

    best, best_r, best_t = _max_kernel(
        centres, _unit(ra[keep], dec[keep]), e_kept, cos_radii, n_above, frac, False
    )
    c = int(np.argmax(best))
    r, t = int(best_r[c]), int(best_t[c])
    events = _unit(ra[keep], dec[keep])
    counts = _count_kernel(centres[c : c + 1], events, e_kept, cos_radii, thresholds.size)[0]
    table = lima_significance(counts, n_above[None, :], frac[c][:, None])
    above = events[e_kept >= t]
    counts_map = np.concatenate(
        [
            np.sum(centres[i : i + 4096] @ above.T >= cos_radii[r], axis=1)
            for i in range(0, centres.shape[0], 4096)
        ]
    )
    best_map = lima_significance(counts_map, n_above[t], frac[:, r])

    sampler = _Sampler(model)
    energies = e_kept.copy()

    def one_mock(rng: np.random.Generator) -> float:
        m_ra, m_dec = sampler(energies.size, rng)
        m_best, _, _ = _max_kernel(
            centres, _unit(m_ra, m_dec), energies, cos_radii, n_above, frac, True
        )
        return float(m_best.max())

    settings = (
        f"blind|{model.name}|{nside}|{top}|{thresholds.tolist()}|{radii.tolist()}|"
        f"{n_above.tolist()}|{random_state}"
    )
    mock_max = (
        _run_mocks(one_mock, n_mocks, random_state, verbose, checkpoint, "blind mocks", settings)
        if n_mocks
        else np.empty(0)
    )
    n_exceed, p_post, post_sigma, lower = _post_trial(float(best[c]), mock_max)
    return ScanResult(
        kind="blind",
        ra_deg=float(c_ra[c]),
        dec_deg=float(c_dec[c]),
        radius_deg=float(radii[r]),
        threshold_eev=float(thresholds[t]),
        n_on=int(counts[r, t]),
        n_expected=float(n_above[t] * frac[c, r]),
        n_above=int(n_above[t]),
        fraction=float(frac[c, r]),
        local_sigma=float(best[c]),
        n_mocks=n_mocks,
        n_exceed=n_exceed,
        p_post=p_post,
        post_sigma=post_sigma,
        post_sigma_is_lower_bound=lower,
        mock_max_sigma=mock_max,
        sigma_table=table,
        radii_deg=radii,
        energy_thresholds=thresholds,
        centres_ra=c_ra,
        centres_dec=c_dec,
        max_sigma_map=best,
        best_sigma_map=best_map,
        grid_nside=nside,
        exposure=model.name,
        pixels=pixels,
    )


def targeted_scan(
    ra_deg: Any,
    dec_deg: Any,
    energy_eev: Any,
    *,
    target: tuple[float, float] = CEN_A_RA_DEC,
    exposure: object = "auger",
    energy_thresholds: Any = DEFAULT_ENERGY_THRESHOLDS,
    radii_deg: Any = DEFAULT_RADII,
    n_mocks: int = 10_000,
    random_state: int | None = None,
    verbose: int = 0,
    checkpoint: str | Path | None = None,
) -> ScanResult:
    """Top-hat search around one direction over radius and energy threshold (Auger 2022, Sec. 3.3).

    The Centaurus A analysis of the paper: the window is centred on ``target`` and only the
    radius and the threshold are scanned; the post-trial p-value comes from isotropic mocks
    scanned the same way (see :func:`blind_scan` for the statistic and the mocks).

    Parameters
    ----------
    ra_deg, dec_deg, energy_eev : array_like of shape (n_events,)
        Arrival directions [deg] and energies [EeV].
    target : tuple of float, default=CEN_A_RA_DEC
        (RA, Dec) of the window centre [deg]; Centaurus A (201.365, -43.019) by default.
    exposure : str, GroundArray or CombinedExposure, default="auger"
        Declination-only exposure.
    energy_thresholds : array_like, default=32, 33, ..., 80
        Increasing thresholds [EeV].
    radii_deg : array_like, default=1, 2, ..., 30
        Increasing radii [deg], in (0, 180].
    n_mocks : int, default=10000
        Isotropic mock data sets for the post-trial p-value.
    random_state : int or None
        Seed of the mocks (see :func:`blind_scan`).
    verbose : int, default=0
        Progress bar when > 0.
    checkpoint : str, pathlib.Path or None
        Resumable ``.npz`` store of the mock maxima.

    Returns
    -------
    ScanResult
        ``sigma_table`` holds the significance for every radius and threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.scan import targeted_scan, sample_exposure_directions
    >>> ra, dec = sample_exposure_directions(500, "auger", random_state=3)
    >>> result = targeted_scan(ra, dec, np.full(500, 50.0), n_mocks=20, random_state=0,
    ...                        radii_deg=[10, 20], energy_thresholds=[40])
    >>> 0.0 <= result.p_post <= 1.0
    True
    """
    owner = "targeted_scan"
    ra, dec, energy = _check_events(ra_deg, dec_deg, energy_eev, owner)
    try:
        t_ra, t_dec = (float(v) for v in target)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{owner}: target must be (ra_deg, dec_deg). Got {target!r}.") from err
    if not (np.isfinite(t_ra) and np.isfinite(t_dec) and abs(t_dec) <= 90.0):
        raise ValueError(f"{owner}: target must be finite with |dec| <= 90. Got {target!r}.")
    thresholds = _check_grid(energy_thresholds, "energy_thresholds", 0.0, np.inf, owner)
    radii = _check_grid(radii_deg, "radii_deg", 0.0, 180.0, owner)
    n_mocks = _check_n_mocks(n_mocks, random_state, owner)
    model = _resolve_exposure(exposure)
    centre = _unit(np.array([t_ra % 360.0]), np.array([t_dec]))
    frac = _window_fractions(model, np.array([t_dec]), radii)[0]
    cos_radii = np.cos(np.radians(radii))
    e_idx = _energy_bins(energy, thresholds, owner)
    keep = e_idx >= 0
    e_kept = e_idx[keep]
    n_above = np.bincount(e_kept, minlength=thresholds.size)[::-1].cumsum()[::-1].astype(float)

    def table_of(events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = _count_kernel(centre, events, e_kept, cos_radii, thresholds.size)[0]
        return counts, lima_significance(counts, n_above[None, :], frac[:, None])

    counts, table = table_of(_unit(ra[keep], dec[keep]))
    r, t = np.unravel_index(int(np.argmax(table)), table.shape)
    sampler = _Sampler(model)

    def one_mock(rng: np.random.Generator) -> float:
        return float(table_of(_unit(*sampler(e_kept.size, rng)))[1].max())

    settings = (
        f"targeted|{model.name}|{t_ra}|{t_dec}|{thresholds.tolist()}|{radii.tolist()}|"
        f"{n_above.tolist()}|{random_state}"
    )
    mock_max = (
        _run_mocks(one_mock, n_mocks, random_state, verbose, checkpoint, "targeted mocks", settings)
        if n_mocks
        else np.empty(0)
    )
    local = float(table[r, t])
    n_exceed, p_post, post_sigma, lower = _post_trial(local, mock_max)
    return ScanResult(
        kind="targeted",
        ra_deg=t_ra % 360.0,
        dec_deg=t_dec,
        radius_deg=float(radii[r]),
        threshold_eev=float(thresholds[t]),
        n_on=int(counts[r, t]),
        n_expected=float(n_above[t] * frac[r]),
        n_above=int(n_above[t]),
        fraction=float(frac[r]),
        local_sigma=local,
        n_mocks=n_mocks,
        n_exceed=n_exceed,
        p_post=p_post,
        post_sigma=post_sigma,
        post_sigma_is_lower_bound=lower,
        mock_max_sigma=mock_max,
        sigma_table=table,
        radii_deg=radii,
        energy_thresholds=thresholds,
        centres_ra=np.array([t_ra % 360.0]),
        centres_dec=np.array([t_dec]),
        max_sigma_map=np.array([local]),
        best_sigma_map=np.array([local]),
        grid_nside=None,
        exposure=model.name,
    )
