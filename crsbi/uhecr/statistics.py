r"""Classical tests of UHECR anisotropy on HEALPix count maps: baselines for the CNN.

The tests reduce a map to one statistic and share the null calibration, p-values,
power and minimal-fraction machinery of :class:`crsbi.uhecr.anisotropy.AnisotropyTest`
(:class:`crsbi.uhecr._power.NullCalibratedTest`).

- :class:`PowerSpectrumTest`: the angular power spectrum :math:`C_\ell` of the relative
  intensity map :math:`\delta_p = n_p / \bar n_p - 1` (counts over the expectation
  from the exposure, summed over energy channels, 0 where the exposure is 0: an
  exposure-weighted spectrum, so the field of view's edge adds no power), standardised
  by its mean and spread over isotropic realisations and summed over
  :math:`1 \le \ell \le \ell_{max}` (``weighting="uniform"``, blind), or weighted by the
  expected signal (``weighting="fisher"``: a diagonal linear discriminant trained on source
  maps).
- :class:`TopHatCountingTest`: the binomial z-score of the event count in a disc
  (top-hat) around the source, :math:`z = (n - N w) / \sqrt{N w (1 - w)}` with ``w`` the
  exposure-weighted solid-angle fraction of the disc; the radius (and, optionally,
  the centre, since deflections shift the source image) is optimised on simulated
  source maps, or scanned (the maximum z over radii is the statistic).
- :class:`LikelihoodRatioTest`: the binned log-likelihood ratio
  :math:`\sum_{c,p} n_{cp} \ln(\bar m_{cp} / \bar u_{cp})` of the mean source map
  against the mean isotropic map (templates learned from simulated maps): the
  Neyman-Pearson test of the binned map for Poisson counts, a near-optimal reference
  that shows how much power any test of these maps (the CNN included) can still gain.

Maps are ``(n_maps, n_channels, npix)`` in NESTED order (or flattened to
``(n_maps, n_channels * npix)`` with the ``n_channels`` parameter).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from threadpoolctl import threadpool_limits

from crsbi.core.validation import check_interval, check_option
from crsbi.uhecr._power import NullCalibratedTest, check_sky_maps

__all__ = [
    "LikelihoodRatioTest",
    "PowerSpectrumTest",
    "TopHatCountingTest",
    "angular_power_spectra",
    "relative_intensity",
    "resolve_exposure",
    "tophat_zscores",
]


# ---------------------------------------------------------------------- helpers
def resolve_exposure(exposure: Any, nside: int) -> np.ndarray:
    """Relative exposure per pixel (NESTED order), shape ``(12 nside^2,)``, max 1.

    Parameters
    ----------
    exposure : "uniform", str, or array-like of shape (npix,)
        ``"uniform"`` (full sky); another name is passed to
        :func:`crsbi.uhecr.sky.exposure_map` (e.g. ``"auger"``); an array is used
        as given (>= 0, NESTED, not all zero).
    nside : int
        HEALPix resolution of the maps.

    Returns
    -------
    ndarray of shape (12 nside^2,)
        Non-negative exposure scaled to a maximum of 1.

    Examples
    --------
    >>> from crsbi.uhecr.statistics import resolve_exposure
    >>> resolve_exposure("uniform", 2).shape
    (48,)
    """
    npix = 12 * nside**2
    if isinstance(exposure, str):
        if exposure == "uniform":
            return np.ones(npix)
        from crsbi.uhecr.sky import exposure_map

        values = np.asarray(exposure_map(exposure, nside, nest=True), dtype=float)
    else:
        values = np.asarray(exposure, dtype=float)
    if values.shape != (npix,):
        raise ValueError(
            f"exposure must be 'uniform', an exposure name or an array of shape ({npix},) "
            f"(nside={nside}, NESTED); got shape {values.shape}."
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0) or values.max() <= 0:
        raise ValueError("exposure must be finite, >= 0 and positive somewhere.")
    return values / values.max()


def relative_intensity(maps: Any, exposure: Any = "uniform") -> np.ndarray:
    r"""Relative intensity :math:`n_p / \bar n_p - 1` of energy-summed count maps.

    The expectation is :math:`\bar n_p = N \omega_p / \sum_q \omega_q` for ``N`` events in
    the pixels with exposure :math:`\omega_p > 0`; pixels without exposure are set to 0,
    and events there (outside the support of the exposure, where isotropic maps of that
    exposure have none) do not count in ``N``.

    Parameters
    ----------
    maps : array-like of shape (n_maps, n_channels, npix) or (n_maps, npix)
        Count maps (NESTED); channels are summed.
    exposure : "uniform", str or array-like of shape (npix,)
        See :func:`resolve_exposure`.

    Returns
    -------
    ndarray of shape (n_maps, npix)
        Relative intensity, NESTED.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.statistics import relative_intensity
    >>> counts = np.ones((1, 1, 48)); counts[0, 0, 0] = 3
    >>> float(relative_intensity(counts)[0, 0])  # 3 / (50 / 48) - 1
    1.88
    """
    maps = check_sky_maps(maps)
    counts = maps.sum(axis=1)
    nside = math.isqrt(counts.shape[1] // 12)
    omega = resolve_exposure(exposure, nside)
    inside = omega > 0
    expected = counts[:, inside].sum(axis=1, keepdims=True) * omega / omega.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(expected > 0, counts / expected - 1.0, 0.0)
    return delta


def angular_power_spectra(
    maps: Any, *, lmax: int | None = None, exposure: Any = "uniform"
) -> np.ndarray:
    r"""Angular power spectra :math:`C_\ell` of the relative intensity of count maps.

    Computed with :func:`healpy.map2alm` (no iterations; the statistic only has to be
    computed the same way on the data and the isotropic realisations).

    Parameters
    ----------
    maps : array-like of shape (n_maps, n_channels, npix) or (n_maps, npix)
        Count maps, NESTED.
    lmax : int or None
        Largest multipole; ``None`` uses ``3 nside - 1``.
    exposure : "uniform", str or array-like of shape (npix,)
        Exposure used for the expected counts, see :func:`resolve_exposure`.

    Returns
    -------
    ndarray of shape (n_maps, lmax + 1)
        :math:`C_\ell` for :math:`\ell = 0 \ldots \ell_{max}` (dimensionless).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.statistics import angular_power_spectra
    >>> import healpy as hp
    >>> dipole = 1 + hp.pix2vec(8, np.arange(768), nest=True)[2]   # 1 + cos(theta)
    >>> cl = angular_power_spectra(100 * dipole[None], lmax=4)
    >>> int(np.argmax(cl[0]))  # all power in the dipole
    1
    """
    import healpy as hp

    delta = relative_intensity(maps, exposure)
    nside = math.isqrt(delta.shape[1] // 12)
    lmax = 3 * nside - 1 if lmax is None else int(lmax)
    if lmax < 1:
        raise ValueError(f"lmax must be >= 1; got {lmax}.")
    ring = delta[:, hp.ring2nest(nside, np.arange(delta.shape[1]))]
    # one OpenMP thread: batches of small maps gain nothing from threads, and on a busy
    # machine healpy's OpenMP spinning made this ~100x slower
    with threadpool_limits(1, user_api="openmp"):
        alm = np.atleast_2d(hp.map2alm(ring, lmax=lmax, iter=0, pol=False))
    ell, m = hp.Alm.getlm(lmax)
    weight = np.where(m == 0, 1.0, 2.0)
    power = np.abs(alm) ** 2 * weight
    cl = np.zeros((len(delta), lmax + 1))
    for row in range(len(delta)):
        cl[row] = np.bincount(ell, weights=power[row], minlength=lmax + 1)
    return cl / (2 * np.arange(lmax + 1) + 1)


def _unit_vectors(lon_deg: Any, lat_deg: Any) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def _resolve_center(center: Any) -> tuple[float, float]:
    """(lon, lat) in degrees, in the frame of the maps, from a tuple, source or name."""
    if isinstance(center, str):
        from crsbi.uhecr.sky import check_source

        center = check_source(center)
    for lon_name, lat_name in (("l_deg", "b_deg"), ("lon", "lat")):
        if hasattr(center, lon_name) and hasattr(center, lat_name):
            return float(getattr(center, lon_name)), float(getattr(center, lat_name))
    try:
        lon, lat = (float(v) for v in center)
    except (TypeError, ValueError):
        raise ValueError(
            "center must be None, a (lon_deg, lat_deg) pair, a source name or a Source; "
            f"got {center!r}."
        ) from None
    if not -90 <= lat <= 90:
        raise ValueError(f"center latitude must be in [-90, 90] deg; got {lat}.")
    return lon, lat


def tophat_zscores(
    maps: Any,
    center: Any,
    radii_deg: Any,
    *,
    exposure: Any = "uniform",
) -> np.ndarray:
    r"""Binomial z-scores of the event counts in discs around one or several centres.

    For ``N`` events in a map and a disc holding the exposure fraction ``w``,
    :math:`z = (n - N w) / \sqrt{N w (1 - w)}`: mean 0 and variance 1 under isotropy.

    Parameters
    ----------
    maps : array-like of shape (n_maps, n_channels, npix) or (n_maps, npix)
        Count maps (NESTED); channels are summed.
    center : tuple of float or array-like of shape (n_centers, 2)
        Disc centre(s) ``(lon, lat)`` [deg], in the frame of the maps.
    radii_deg : float or array-like of shape (n_radii,)
        Disc radii [deg], in (0, 180).
    exposure : "uniform", str or array-like of shape (npix,)
        See :func:`resolve_exposure`.

    Returns
    -------
    ndarray of shape (n_maps, n_centers, n_radii)
        z-scores (0 where the disc has no exposure or the map no events).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.statistics import tophat_zscores
    >>> maps = np.ones((2, 1, 768))
    >>> np.allclose(tophat_zscores(maps, (0.0, 0.0), [10, 30]), 0)  # exactly isotropic
    True
    """
    import healpy as hp

    counts = check_sky_maps(maps).sum(axis=1)
    nside = math.isqrt(counts.shape[1] // 12)
    omega = resolve_exposure(exposure, nside)
    centers = np.atleast_2d(np.asarray(center, dtype=float))
    radii = np.atleast_1d(np.asarray(radii_deg, dtype=float))
    if centers.shape[1] != 2:
        raise ValueError(f"center must be (lon, lat) or (n_centers, 2); got {centers.shape}.")
    if np.any((radii <= 0) | (radii >= 180)):
        raise ValueError(f"radii_deg must lie in (0, 180) degrees; got {radii}.")
    pixels = np.stack(hp.pix2vec(nside, np.arange(counts.shape[1]), nest=True), axis=-1)
    cosine = _unit_vectors(centers[:, 0], centers[:, 1]) @ pixels.T  # (n_centers, npix)
    total = counts.sum(axis=1)
    out = np.zeros((len(counts), len(centers), len(radii)))
    for j, radius in enumerate(radii):
        inside = (cosine >= np.cos(np.radians(radius))).astype(float)  # (n_centers, npix)
        w = inside @ omega / omega.sum()
        n = counts @ inside.T
        variance = total[:, None] * w * (1 - w)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, :, j] = np.where(variance > 0, (n - total[:, None] * w) / np.sqrt(variance), 0)
    return out


def _encode_labels(owner: Any, y: Any, n_maps: int | None) -> np.ndarray:
    """Set ``classes_`` and return 0/1 labels (all 0 when ``y`` is None).

    ``n_maps`` is the number of maps the labels must match (``None``: not checked here).
    """
    if y is None:
        owner.classes_ = np.array([0, 1])
        return np.zeros(n_maps, dtype=int)
    y = column_or_1d(y, warn=True)
    if n_maps is not None and len(y) != n_maps:
        raise ValueError(f"X has {n_maps} maps but y has {len(y)} labels.")
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    if len(encoder.classes_) > 2:
        raise ValueError(
            "Only binary classification is supported. The type of the target is "
            f"{type_of_target(y, input_name='y')}: {type(owner).__name__} is a binary test, y "
            f"must hold at most 2 labels (isotropic first when sorted); got "
            f"{list(encoder.classes_)}."
        )
    if len(encoder.classes_) == 1:  # one label only: 1 means source maps, anything else null
        owner.classes_ = np.array([0, 1])
        return np.full(len(y), int(encoder.classes_[0] == 1))
    owner.classes_ = encoder.classes_
    return encoder.transform(y)


#: Scikit-learn common checks that fit on generic tabular data, which a HEALPix test rejects.
_HEALPIX_DATA_CHECKS: tuple[str, ...] = (
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_train",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_requires_y_none",
    "check_supervised_y_2d",
)

_HEALPIX_REASON = (
    "needs HEALPix count maps, n_features / n_channels = 12 nside^2 pixels (12, 48, 192, "
    "...): fit rejects the check's tabular X of 1 to 10 features as not HEALPix"
)


class _MapTest(NullCalibratedTest, ClassifierMixin, BaseEstimator):
    """Shared validation of the baseline tests."""

    #: Whether the statistic needs HEALPix maps (``npix = 12 nside^2``).
    _healpix: ClassVar[bool] = True

    def _fit_data(self, X: Any, y: Any, *, min_maps: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Validate training maps and labels into 0/1; set ``classes_``.

        The labels are checked first (a classification target, at most two classes), so
        that a wrong target is reported as such rather than as a shape error of the maps.
        """
        labels = None if y is None else _encode_labels(self, y, None)
        maps = self._maps(X, reset=True, min_maps=min_maps)
        if labels is None:
            return maps, _encode_labels(self, None, len(maps))
        if len(labels) != len(maps):
            raise ValueError(f"X has {len(maps)} maps but y has {len(labels)} labels.")
        return maps, labels

    def _maps(self, X: Any, *, reset: bool, min_maps: int = 1) -> np.ndarray:
        """Validate count maps as float64 ``(n_maps, n_channels, npix)``.

        3-D maps are flattened to ``(n_maps, n_channels * npix)`` for scikit-learn's
        validation (sparse, complex, empty, NaN/inf input; ``n_features_in_``), then read
        back with :func:`crsbi.uhecr._power.check_sky_maps`. Negative counts are
        rejected in ``fit`` and in every method that scores maps.
        """
        owner = type(self).__name__
        if not reset:
            check_is_fitted(self, "npix_")
        channels = 1 if self.n_channels is None else int(self.n_channels)
        ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim
        if ndim == 3:
            maps = np.asarray(X)
            if maps.dtype.kind not in "biuf":
                raise TypeError(f"X must hold real numbers (counts); got dtype {maps.dtype}.")
            if not reset and maps.shape[1:] != (self.n_channels_, self.npix_):
                raise ValueError(
                    f"X must hold maps of shape ({self.n_channels_}, {self.npix_}) as in fit; "
                    f"got {maps.shape[1:]}."
                )
            if self.n_channels is not None and maps.shape[1] != channels:
                raise ValueError(
                    f"X must have {channels} channels (axis 1); got shape {maps.shape}."
                )
            channels = maps.shape[1]
            X = maps.reshape(len(maps), -1)
        elif ndim > 3:
            raise ValueError(
                "X must have shape (n_maps, n_channels, npix) or (n_maps, n_channels * npix); "
                f"got {ndim} dimensions."
            )
        elif not reset:
            channels = self.n_channels_
        flat = validate_data(self, X, reset=reset, dtype=np.float64, ensure_min_samples=min_maps)
        if np.any(flat < 0):
            raise ValueError(
                f"Negative values in data passed to {owner}: maps hold event counts >= 0. Got "
                f"{int(np.sum(flat < 0))} negative values, e.g. {float(flat[flat < 0][0])!r}."
            )
        maps = check_sky_maps(flat, n_channels=channels, name="X", healpix=self._healpix)
        if reset:
            self.n_channels_, self.npix_ = maps.shape[1], maps.shape[2]
            if self._healpix:
                self.nside_ = math.isqrt(self.npix_ // 12)
            if hasattr(self, "exposure"):
                self.exposure_ = resolve_exposure(self.exposure, self.nside_)
        return maps

    def _check_alpha(self) -> None:
        check_interval(self.alpha, "alpha", type(self).__name__, low=0, high=1, closed="neither")

    def _check_null_maps(self, null_maps: Any) -> None:
        """Warn when the null maps do not follow the exposure of the test.

        The summed null maps must put their events where the exposure is positive, in
        proportion to it: checked on the 12 base pixels (a Pearson chi-square over the
        base pixels with >= 5 expected events, the others merged), with a warning below
        p = 1e-6.
        """
        omega = getattr(self, "exposure_", None)
        if omega is None:
            return
        counts = self._maps(null_maps, reset=False).sum(axis=(0, 1))  # (npix,)
        total = float(counts.sum())
        if total <= 0:
            return
        owner = type(self).__name__
        outside = float(counts[omega <= 0].sum())
        advice = (
            f"calibrate {owner} on isotropic maps simulated with its exposure "
            "(simulate_sky_maps(..., exposure=...), or fit_simulated, which uses it), or give "
            f"{owner} the exposure of the null maps: otherwise p-values of data are near 0 or 1."
        )
        if outside > 0:
            warnings.warn(
                f"{outside:g} of the {total:g} events of the null maps lie in pixels where the "
                f"exposure of {owner} is zero: {advice}",
                UserWarning,
                stacklevel=3,
            )
            return
        observed = counts.reshape(12, -1).sum(axis=1)
        expected = total * omega.reshape(12, -1).sum(axis=1) / omega.sum()
        small = expected < 5
        if small.any():
            observed = np.append(observed[~small], observed[small].sum())
            expected = np.append(expected[~small], expected[small].sum())
            keep = expected > 0
            observed, expected = observed[keep], expected[keep]
        if len(expected) < 2:
            return
        chi2 = float(np.sum((observed - expected) ** 2 / expected))
        p_value = float(stats.chi2.sf(chi2, len(expected) - 1))
        if p_value < 1e-6:
            warnings.warn(
                f"The null maps do not follow the exposure of {owner}: their events over the "
                f"12 HEALPix base pixels give chi2 = {chi2:.1f} for {len(expected) - 1} dof "
                f"(p = {p_value:.1e}) against it; {advice}",
                UserWarning,
                stacklevel=3,
            )

    def _check_tested_maps(self, X: Any) -> None:
        """Check the event count (see ``calibrate``) and warn on events outside the exposure."""
        super()._check_tested_maps(X)
        omega = getattr(self, "exposure_", None)
        if omega is None or np.all(omega > 0):
            return
        counts = self._maps(X, reset=False).sum(axis=1)[:, omega <= 0].sum(axis=1)
        if np.any(counts > 0):
            owner = type(self).__name__
            warnings.warn(
                f"{int(np.sum(counts > 0))} of {len(counts)} maps hold events in pixels where "
                f"the exposure of {owner} is zero ({counts.sum():g} events in all): isotropic "
                "null maps of that exposure never have events there. Check the coordinates, "
                "frame and exposure of the data.",
                UserWarning,
                stacklevel=3,
            )

    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this test fails by design, with reasons."""
        if not self._healpix:
            return {}
        return dict.fromkeys(_HEALPIX_DATA_CHECKS, _HEALPIX_REASON)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # event counts
        tags.classifier_tags.multi_class = False
        return tags


class PowerSpectrumTest(_MapTest):
    r"""Angular-power-spectrum test of isotropy (a baseline of the HEALPix CNN test).

    ``fit`` measures the mean and spread of :math:`C_\ell` over isotropic maps (label 0)
    and, with ``weighting="fisher"``, the mean excess of source maps (label 1). The
    statistic is :math:`\sum_\ell w_\ell (C_\ell - \langle C_\ell\rangle_{iso}) /
    \sigma_\ell` over :math:`1 \le \ell \le \ell_{max}`, with :math:`w_\ell = 1/\sqrt{\ell_{max}}`
    (``"uniform"``) or :math:`w_\ell \propto (\langle C_\ell\rangle_{src} -
    \langle C_\ell\rangle_{iso})/\sigma_\ell` (``"fisher"``). Then :meth:`calibrate` on fresh
    isotropic maps sets the threshold.

    Parameters
    ----------
    lmax : int or None, default=None
        Largest multipole; ``None`` uses ``3 nside - 1``.
    weighting : {"uniform", "fisher"}, default="uniform"
        How multipoles are combined.
    exposure : "uniform", str or array-like of shape (npix,), default="uniform"
        Exposure of the experiment (see :func:`resolve_exposure`), the one of the maps to
        test: the statistic compares the counts with the expectation from it, and the null
        maps must follow it (:meth:`fit_simulated` simulates them with it; :meth:`calibrate`
        warns when they do not follow it).
    n_channels : int or None, default=None
        Channels of flattened 2-D input (1 when ``None``).
    alpha : float, default=0.01
        Default significance level of :meth:`calibrate`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Labels (isotropic, anisotropic).
    cl_mean_, cl_std_ : ndarray of shape (lmax,)
        Isotropic mean and standard deviation of :math:`C_1 \ldots C_{\ell_{max}}`.
    weights_ : ndarray of shape (lmax,)
        Multipole weights.
    n_features_in_ : int
        ``n_channels * npix`` of the maps seen in ``fit``.
    null_statistics_, threshold_, alpha_, n_events_
        Set by :meth:`calibrate`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.statistics import PowerSpectrumTest
    >>> rng = np.random.default_rng(0)
    >>> iso = rng.poisson(0.5, size=(300, 1, 192))
    >>> test = PowerSpectrumTest(alpha=0.05).fit(iso[:100]).calibrate(iso[100:])
    >>> hot = iso[:50].copy(); hot[:, 0, :4] += 5
    >>> bool(test.power(hot) > 0.9)
    True
    """

    def __init__(
        self,
        *,
        lmax: int | None = None,
        weighting: str = "uniform",
        exposure: Any = "uniform",
        n_channels: int | None = None,
        alpha: float = 0.01,
    ) -> None:
        self.lmax = lmax
        self.weighting = weighting
        self.exposure = exposure
        self.n_channels = n_channels
        self.alpha = alpha

    def _spectra(self, maps: np.ndarray) -> np.ndarray:
        cl = angular_power_spectra(maps, lmax=self.lmax_, exposure=self.exposure_)
        return cl[:, 1:]

    def fit(self, X: Any, y: Any = None) -> PowerSpectrumTest:
        """Learn the isotropic mean and spread of the spectrum (and Fisher weights).

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Training maps; at least 2 isotropic ones.
        y : array-like of shape (n_maps,) or None
            Labels, isotropic first when sorted (e.g. 0/1); ``None``: all isotropic.

        Returns
        -------
        self
            The fitted test (call :meth:`calibrate` next).
        """
        owner = type(self).__name__
        check_option(self.weighting, "weighting", owner, ("uniform", "fisher"))
        check_interval(self.lmax, "lmax", owner, kind=int, low=1, allow_none=True)
        self._check_alpha()
        maps, labels = self._fit_data(X, y, min_maps=2)
        self.lmax_ = 3 * self.nside_ - 1 if self.lmax is None else int(self.lmax)
        cl = self._spectra(maps)
        null = cl[labels == 0]
        if len(null) < 2:
            raise ValueError(f"{owner}.fit needs at least 2 isotropic maps (label 0).")
        self.cl_mean_ = null.mean(axis=0)
        std = null.std(axis=0, ddof=1)
        self.cl_std_ = np.where(std > 0, std, 1.0)
        if self.weighting == "uniform":
            weights = np.ones_like(self.cl_mean_)
        else:
            source = cl[labels == 1]
            if len(source) < 1:
                raise ValueError(f"weighting='fisher' needs source maps (label 1) in {owner}.fit.")
            weights = np.maximum((source.mean(axis=0) - self.cl_mean_) / self.cl_std_, 0.0)
            if not weights.any():
                weights = np.ones_like(self.cl_mean_)
        self.weights_ = weights / np.linalg.norm(weights)
        return self

    def statistic(self, X: Any) -> np.ndarray:
        """Weighted sum of standardised angular power spectra, shape ``(n_maps,)``.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Count maps.

        Returns
        -------
        ndarray of shape (n_maps,)
            The statistic (about N(0, 1)-scaled under isotropy; larger = more power).
        """
        maps = self._maps(X, reset=False)
        return ((self._spectra(maps) - self.cl_mean_) / self.cl_std_) @ self.weights_


class TopHatCountingTest(_MapTest):
    """Counting test: excess of events in a disc around the source (baseline).

    The statistic is the binomial z-score of the disc count (see :func:`tophat_zscores`),
    maximised over ``radius_deg`` when several radii are given (scan; the null
    calibration accounts for the trials). With ``radius_deg=None`` the radius is chosen
    in ``fit`` from 2-60 degrees to maximise ``mean(z) - 1.645 std(z)`` over the
    source maps (a proxy of power at beta = 0.05); with ``center=None`` the centre is
    chosen the same way among the pixel centres of an Nside = 8 grid, since deflections
    shift the source image away from the source.

    Parameters
    ----------
    center : None, (lon_deg, lat_deg), source name or Source, default=None
        Disc centre ``(lon, lat)`` [deg] in the frame of the maps; ``None`` fits it on
        source maps.
    radius_deg : None, float or sequence of float, default=None
        Disc radius [deg]; ``None`` fits it; a sequence is scanned.
    exposure : "uniform", str or array-like of shape (npix,), default="uniform"
        Exposure of the experiment (see :func:`resolve_exposure`), the one of the maps to
        test: the statistic compares the counts with the expectation from it, and the null
        maps must follow it (:meth:`fit_simulated` simulates them with it; :meth:`calibrate`
        warns when they do not follow it).
    n_channels : int or None, default=None
        Channels of flattened 2-D input (1 when ``None``).
    alpha : float, default=0.01
        Default significance level of :meth:`calibrate`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Labels (isotropic, anisotropic).
    center_ : tuple of float
        Disc centre (lon, lat) [deg]; when fitted, the centre of the deflected source
        image in the training maps, not the source's catalogue position.
    radii_ : ndarray of shape (n_radii,)
        Radius or scanned radii [deg].
    n_features_in_ : int
        ``n_channels * npix`` of the maps seen in ``fit``.
    null_statistics_, threshold_, alpha_, n_events_
        Set by :meth:`calibrate`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.statistics import TopHatCountingTest
    >>> rng = np.random.default_rng(0)
    >>> iso = rng.poisson(0.5, size=(300, 1, 768))
    >>> test = TopHatCountingTest(center=(0.0, 90.0), radius_deg=15, alpha=0.05)
    >>> test = test.fit(iso[:10]).calibrate(iso[10:])
    >>> hot = iso[:50].copy(); hot[:, 0, 255] += 15   # pixel 255 (NESTED) is at the pole
    >>> bool(test.power(hot) > 0.9)
    True
    """

    def __init__(
        self,
        *,
        center: Any = None,
        radius_deg: float | Sequence[float] | None = None,
        exposure: Any = "uniform",
        n_channels: int | None = None,
        alpha: float = 0.01,
    ) -> None:
        self.center = center
        self.radius_deg = radius_deg
        self.exposure = exposure
        self.n_channels = n_channels
        self.alpha = alpha

    def fit(self, X: Any, y: Any = None) -> TopHatCountingTest:
        """Fix the disc centre and radius (fitted on source maps when not given).

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Training maps.
        y : array-like of shape (n_maps,) or None
            Labels, isotropic first when sorted; source maps (label 1) are needed when
            ``center`` or ``radius_deg`` is ``None``.

        Returns
        -------
        self
            The fitted test (call :meth:`calibrate` next).
        """
        import healpy as hp

        owner = type(self).__name__
        self._check_alpha()
        maps, labels = self._fit_data(X, y)
        source = maps[labels == 1]
        need_source = self.center is None or self.radius_deg is None
        if need_source and len(source) < 2:
            raise ValueError(
                f"{owner} with center=None or radius_deg=None fits them on source maps: "
                "pass y with at least 2 maps labelled 1."
            )
        if self.radius_deg is None:
            radii = np.array([2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60], dtype=float)
        else:
            radii = np.atleast_1d(np.asarray(self.radius_deg, dtype=float))
            if radii.ndim != 1 or np.any((radii <= 0) | (radii >= 180)):
                raise ValueError(
                    f"The 'radius_deg' parameter of {owner} must be None, a float or a sequence "
                    f"of floats in (0, 180) degrees. Got {self.radius_deg!r} instead."
                )
        if self.center is None:
            grid = min(8, self.nside_)
            theta, phi = hp.pix2ang(grid, np.arange(12 * grid**2), nest=True)
            centers = np.stack([np.degrees(phi), 90 - np.degrees(theta)], axis=-1)
        else:
            centers = np.array([_resolve_center(self.center)])
        if need_source:
            z = tophat_zscores(source, centers, radii, exposure=self.exposure_)
            merit = z.mean(axis=0) - 1.645 * z.std(axis=0)  # (n_centers, n_radii)
            if self.radius_deg is not None:  # scan: merit of the maximum over radii
                best_z = z.max(axis=2)
                merit = (best_z.mean(axis=0) - 1.645 * best_z.std(axis=0))[:, None]
            i, j = np.unravel_index(np.argmax(merit), merit.shape)
            centers = centers[i : i + 1]
            if self.radius_deg is None:
                radii = radii[j : j + 1]
        self.center_ = (float(centers[0, 0]), float(centers[0, 1]))
        self.radii_ = radii
        return self

    def _expected_failed_checks(self) -> dict[str, str]:
        # one map is enough with a given disc, so a 1-sample X reaches the HEALPix check
        return {**super()._expected_failed_checks(), "check_fit2d_1sample": _HEALPIX_REASON}

    def statistic(self, X: Any) -> np.ndarray:
        """Largest disc z-score over the radii, shape ``(n_maps,)``.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Count maps.

        Returns
        -------
        ndarray of shape (n_maps,)
            The statistic (a binomial z-score; larger = more events near the source).
        """
        maps = self._maps(X, reset=False)
        z = tophat_zscores(maps, self.center_, self.radii_, exposure=self.exposure_)
        return z[:, 0, :].max(axis=1)


class LikelihoodRatioTest(_MapTest):
    r"""Binned likelihood-ratio test with learned templates (a near-optimal reference).

    ``fit`` averages the isotropic maps (label 0) into :math:`\bar u_{cp}` and the source
    maps (label 1, any mixture of fractions) into :math:`\bar m_{cp}`, per channel ``c``
    and pixel ``p``. The statistic of a map with counts :math:`n_{cp}` is

    .. math:: T = \sum_{c,p} n_{cp} \ln \frac{\bar m_{cp} + \epsilon}{\bar u_{cp} + \epsilon},
              \qquad \epsilon = \mathrm{smoothing} \times \langle \bar u \rangle,

    the log-likelihood ratio of independent Poisson counts with means :math:`\bar m`
    against :math:`\bar u` (up to a constant). By the Neyman-Pearson lemma no test of
    the binned map is more powerful against that alternative; against other source
    fractions, and for counts that are not independent (events spread over
    neighbouring energy channels, a fixed total N), it is near-optimal. It needs the
    source image, so it is a reference for what the CNN can still gain, not a blind
    test. The templates are noisy unless the maps outnumber the cells
    (``n_channels * npix``): fit on ``>= 10^4`` maps per class. Nothing in it depends on
    the pixels being HEALPix pixels: any binning of the events works.

    Parameters
    ----------
    smoothing : float, default=0.01
        Pseudo-count added to both templates, as a fraction of the mean isotropic count
        per cell (keeps the log finite where a template is empty).
    n_channels : int or None, default=None
        Channels of flattened 2-D input (1 when ``None``).
    alpha : float, default=0.01
        Default significance level of :meth:`calibrate`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Labels (isotropic, anisotropic).
    weights_ : ndarray of shape (n_channels, npix)
        Log-ratio of the templates, the weight of each cell's count.
    expected_excess_ : float
        :math:`\sum_{c,p} (\bar m_{cp} - \bar u_{cp})`, the source template's excess of
        events. Until :meth:`calibrate`, maps are rejected where :math:`T` exceeds it,
        i.e. where the Poisson likelihood ratio of the templates exceeds 1.
    n_features_in_ : int
        ``n_channels * npix`` of the maps seen in ``fit``.
    null_statistics_, threshold_, alpha_, n_events_
        Set by :meth:`calibrate`.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr.statistics import LikelihoodRatioTest
    >>> rng = np.random.default_rng(0)
    >>> iso = rng.poisson(0.5, size=(400, 1, 192))
    >>> hot = rng.poisson(0.5, size=(200, 1, 192)); hot[:, 0, :4] += rng.poisson(3.0, (200, 4))
    >>> X, y = np.concatenate([iso[:200], hot[:100]]), np.repeat([0, 1], [200, 100])
    >>> test = LikelihoodRatioTest(alpha=0.05).fit(X, y).calibrate(iso[200:])
    >>> bool(test.power(hot[100:]) > 0.9)
    True
    """

    _healpix = False

    def __init__(
        self, *, smoothing: float = 0.01, n_channels: int | None = None, alpha: float = 0.01
    ) -> None:
        self.smoothing = smoothing
        self.n_channels = n_channels
        self.alpha = alpha

    def fit(self, X: Any, y: Any) -> LikelihoodRatioTest:
        """Learn the isotropic and source templates.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Training maps, isotropic and with a source.
        y : array-like of shape (n_maps,)
            Labels, isotropic first when sorted (e.g. 0/1); both classes needed.

        Returns
        -------
        self
            The fitted test (call :meth:`calibrate` next).
        """
        owner = type(self).__name__
        check_interval(self.smoothing, "smoothing", owner, low=0, closed="neither")
        self._check_alpha()
        if y is None:
            raise ValueError(
                f"{owner} requires y to be passed, but the target y is None: the templates "
                "are learned from isotropic (label 0) and source (label 1) maps."
            )
        maps, labels = self._fit_data(X, y, min_maps=2)
        if not (np.any(labels == 0) and np.any(labels == 1)):
            raise ValueError(
                f"{owner}.fit needs both classes, isotropic (label 0) and source (label 1) "
                "maps, to learn the two templates; got one class."
            )
        null = maps[labels == 0].mean(axis=0)
        source = maps[labels == 1].mean(axis=0)
        epsilon = self.smoothing * float(null.mean())
        if epsilon <= 0:
            raise ValueError(f"{owner}.fit: the isotropic maps hold no events.")
        self.weights_ = np.log((source + epsilon) / (null + epsilon))
        self.expected_excess_ = float(np.sum(source - null))
        return self

    def _current_threshold(self) -> float:
        # before calibrate: the Poisson likelihood ratio exp(T - sum(m - u)) at 1
        return getattr(self, "threshold_", getattr(self, "expected_excess_", 0.0))

    def statistic(self, X: Any) -> np.ndarray:
        r"""Log-likelihood ratio of each map, shape ``(n_maps,)``.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Count maps.

        Returns
        -------
        ndarray of shape (n_maps,)
            :math:`\sum n_{cp} w_{cp}` (larger = more like the source maps).
        """
        check_is_fitted(self, "weights_")
        maps = self._maps(X, reset=False)
        return np.einsum("ncp,cp->n", maps, self.weights_, optimize=True)
