"""Null calibration, p-values, power and minimal source fraction of sky-map anisotropy tests.

Every anisotropy test in crsbi (the HEALPix CNN of :class:`crsbi.uhecr.anisotropy.AnisotropyTest`
and the baselines of :mod:`crsbi.uhecr.statistics`) reduces a map to one number, its
*test statistic* (larger = less isotropic). This module holds what they share:

- :class:`NullCalibratedTest`, a mixin that calibrates the statistic on isotropic maps
  (``calibrate``), turns it into a p-value with the ``+1`` correction, a reject/accept
  decision at level ``alpha`` and the power on labelled maps;
- ``fit_simulated`` and ``minimal_fraction`` methods on simulated maps, built on
  :func:`crsbi.uhecr._minimal_fraction.find_minimal_fraction` (re-exported here);
- :func:`check_sky_maps`, validation of ``(n_maps, n_channels, npix)`` maps or their
  flattened ``(n_maps, n_channels * npix)`` form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from crsbi.core.validation import check_finite, check_interval
from crsbi.uhecr._minimal_fraction import MinimalFraction, find_minimal_fraction

__all__ = [
    "MinimalFraction",
    "NullCalibratedTest",
    "check_sky_maps",
    "find_minimal_fraction",
    "make_map_simulator",
    "null_threshold",
]  # MinimalFraction and find_minimal_fraction live in crsbi.uhecr._minimal_fraction


# ------------------------------------------------------------------ validation
def check_sky_maps(
    maps: Any,
    *,
    n_channels: int | None = None,
    npix: int | None = None,
    name: str = "maps",
    healpix: bool = True,
) -> np.ndarray:
    """Validate sky maps and return them as a float array of shape ``(n, channels, npix)``.

    Parameters
    ----------
    maps : array-like of shape (n_maps, n_channels, npix) or (n_maps, n_channels * npix)
        Count maps; a single map ``(n_channels, npix)`` is not accepted (add the batch axis).
        The 2-D form is read with ``n_channels`` channels (1 when ``None``).
    n_channels, npix : int or None
        Expected channel and pixel counts (``None``: anything).
    name : str, default="maps"
        Name used in error messages.
    healpix : bool, default=True
        Require ``npix = 12 * nside**2``.

    Returns
    -------
    ndarray of shape (n_maps, n_channels, npix)
        The maps as float64 (a view when possible).

    Raises
    ------
    ValueError
        On a wrong number of dimensions, sizes, non-HEALPix pixel counts, NaN/inf or
        negative counts.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr._power import check_sky_maps
    >>> check_sky_maps(np.zeros((4, 2 * 192)), n_channels=2).shape
    (4, 2, 192)
    """
    array = np.asarray(maps)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers (counts); got dtype {array.dtype}.")
    array = array.astype(np.float64, copy=False)
    if array.ndim == 2:
        channels = 1 if n_channels is None else int(n_channels)
        if array.shape[1] % channels:
            raise ValueError(
                f"{name} of shape {array.shape} cannot be read as (n_maps, {channels} channels * "
                f"npix): {array.shape[1]} features is not a multiple of {channels}."
            )
        array = array.reshape(len(array), channels, -1)
    elif array.ndim != 3:
        raise ValueError(
            f"{name} must have shape (n_maps, n_channels, npix) or (n_maps, n_channels * npix); "
            f"got an array of shape {array.shape}."
        )
    if n_channels is not None and array.shape[1] != n_channels:
        raise ValueError(
            f"{name} must have {n_channels} channels (axis 1); got shape {array.shape}."
        )
    if npix is not None and array.shape[2] != npix:
        raise ValueError(f"{name} must have {npix} pixels (last axis); got shape {array.shape}.")
    if healpix:
        nside = math.isqrt(array.shape[2] // 12) if array.shape[2] >= 12 else 0
        if array.shape[2] != 12 * nside**2 or nside & (nside - 1):
            raise ValueError(
                f"{name} must be HEALPix maps with npix = 12 * nside**2 pixels (nside a power of "
                f"2); got {array.shape[2]} pixels (shape {array.shape})."
            )
    if len(array) == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); expected at least 1 map.")
    check_finite(array, name)
    negative = array < 0
    if negative.any():
        raise ValueError(
            f"Negative values in {name}: maps hold event counts >= 0. Got {int(negative.sum())} "
            f"negative values, e.g. {float(array[negative][0])!r}."
        )
    return array


# ------------------------------------------------------------------ calibration
def null_threshold(null_statistics: Any, alpha: float) -> float:
    """Rejection threshold of a test calibrated on ``n`` null statistics.

    Reject when the statistic ``t`` is strictly above the returned value. This is the
    ``(k + 1)``-th largest null value with ``k = floor(alpha (n + 1)) - 1``, so that
    rejecting is the same as the p-value ``(1 + #{null >= t}) / (n + 1)`` being at most
    ``alpha``; for exchangeable continuous statistics the false-positive rate is then
    ``(k + 1) / (n + 1) <= alpha`` exactly (= ``alpha`` when ``alpha (n + 1)`` is an
    integer, e.g. ``n = 999`` maps at ``alpha = 0.01``).

    Parameters
    ----------
    null_statistics : array-like of shape (n,)
        Test statistics of isotropic maps.
    alpha : float
        Significance level in (0, 1).

    Returns
    -------
    float
        The threshold; ``inf`` when ``n < 1 / alpha - 1`` (too few null maps to ever reject).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.uhecr._power import null_threshold
    >>> float(null_threshold(np.arange(99.0), 0.05))  # reject the top 5 of 100 ranks
    94.0
    """
    values = np.sort(np.asarray(null_statistics, dtype=float).ravel())
    k = math.floor(alpha * (len(values) + 1) + 1e-9) - 1
    if k < 0:
        return math.inf
    return float(values[len(values) - 1 - k])


class NullCalibratedTest:
    """Mixin: turn a test statistic into a calibrated test of isotropy.

    Subclasses implement ``statistic(X) -> ndarray (n_maps,)`` (larger = less
    isotropic) and set ``classes_`` when fitted; they have an ``alpha`` parameter.
    Before :meth:`calibrate` the decision threshold is ``_default_threshold``.
    """

    _default_threshold: float = 0.0

    def statistic(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        """Test statistic of each map, shape ``(n_maps,)``."""
        raise NotImplementedError

    def _current_threshold(self) -> float:
        return getattr(self, "threshold_", self._default_threshold)

    def calibrate(
        self, null_maps: Any, alpha: float | None = None, *, check_n_events: bool = True
    ) -> NullCalibratedTest:
        """Calibrate the threshold on isotropic maps not used for training.

        The null distribution holds for maps of the same event count ``N`` as the null
        maps: when these all hold the same ``N`` it is stored as ``n_events_``, and
        :meth:`p_value`, :meth:`decision_function`, :meth:`predict`, :meth:`power` and
        :meth:`score` then refuse maps of another ``N``.

        Parameters
        ----------
        null_maps : array-like of shape (n_null, n_channels, npix) or flattened
            Fresh isotropic maps (same exposure, event count and channels as the maps to
            test). At least ``1 / alpha - 1`` maps; ``n_null + 1`` a multiple of
            ``1 / alpha`` (e.g. 999 at ``alpha = 0.01``) makes the level exact.
        alpha : float or None
            Significance level in (0, 1); ``None`` uses the ``alpha`` parameter.
        check_n_events : bool, default=True
            Record the event count of the null maps and check that of the maps tested;
            ``False`` (an explicit opt-out, e.g. for null maps of varying ``N``) sets
            ``n_events_ = None`` and tests maps of any ``N``.

        Returns
        -------
        self
            With ``null_statistics_`` (sorted), ``threshold_``, ``alpha_`` and
            ``n_events_`` (``None`` when the null maps hold different ``N`` or with
            ``check_n_events=False``) set.

        Warns
        -----
        UserWarning
            For tests with an ``exposure`` (:class:`~crsbi.uhecr.statistics.PowerSpectrumTest`,
            :class:`~crsbi.uhecr.statistics.TopHatCountingTest`), when the null maps do not
            follow that exposure (events where it is zero, or a sky distribution that
            rejects it): the null maps were then simulated with another exposure and the
            p-values of data would be near 0 or 1.
        """
        owner = type(self).__name__
        alpha = self.alpha if alpha is None else alpha
        check_interval(alpha, "alpha", owner, low=0, high=1, closed="neither")
        null = np.sort(np.asarray(self.statistic(null_maps), dtype=float))
        self._check_null_maps(null_maps)
        if len(null) < math.ceil(1 / alpha - 1 - 1e-9):
            raise ValueError(
                f"{owner}.calibrate needs at least 1/alpha - 1 = {math.ceil(1 / alpha - 1)} null "
                f"maps to reject anything at alpha={alpha}; got {len(null)}."
            )
        self.null_statistics_ = null
        self.alpha_ = float(alpha)
        self.threshold_ = null_threshold(null, alpha)
        self.n_events_ = _common_total(null_maps) if check_n_events else None
        return self

    def _check_null_maps(self, null_maps: Any) -> None:
        """Warn when the null maps do not match the test (its exposure); a no-op here."""

    def _check_tested_maps(self, X: Any) -> None:
        """Refuse maps whose event count differs from the calibrated ``n_events_``."""
        expected = getattr(self, "n_events_", None)
        if expected is None:
            return
        totals = _event_totals(X)
        if totals is None:
            return
        wrong = ~np.isclose(totals, expected, rtol=_N_RTOL, atol=_N_ATOL)
        if wrong.any():
            first = int(np.argmax(wrong))
            raise ValueError(_n_events_message(type(self).__name__, expected, totals[first], first))

    def p_value(self, X: Any) -> np.ndarray:
        """P-value of each map under isotropy, from the calibrated null distribution.

        ``p = (1 + #{null >= t}) / (n_null + 1)``: never 0, and exactly uniform on
        ``{1, ..., n_null + 1} / (n_null + 1)`` for fresh isotropic maps (continuous
        statistics), so ``P(p <= alpha) <= alpha``.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Maps to test.

        Returns
        -------
        ndarray of shape (n_maps,)
            P-values in ``[1 / (n_null + 1), 1]``.

        Raises
        ------
        ValueError
            On NaN/inf or negative counts, or maps whose event count differs from the
            calibrated ``n_events_`` (recalibrate for that ``N``).
        """
        check_is_fitted(self, "null_statistics_")
        t = np.asarray(self.statistic(X), dtype=float)
        self._check_tested_maps(X)
        at_least = len(self.null_statistics_) - np.searchsorted(self.null_statistics_, t, "left")
        return (1.0 + at_least) / (len(self.null_statistics_) + 1.0)

    def decision_function(self, X: Any) -> np.ndarray:
        """Test statistic minus the rejection threshold: > 0 means "reject isotropy".

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Maps to test.

        Returns
        -------
        ndarray of shape (n_maps,)
            ``statistic(X) - threshold_`` (the uncalibrated default threshold before
            :meth:`calibrate`).

        Raises
        ------
        ValueError
            On NaN/inf or negative counts, or maps whose event count differs from the
            calibrated ``n_events_`` (recalibrate for that ``N``).
        """
        t = np.asarray(self.statistic(X), dtype=float)
        self._check_tested_maps(X)
        return t - self._current_threshold()

    def predict(self, X: Any) -> np.ndarray:
        """Reject isotropy or not: ``classes_[1]`` where the statistic exceeds the threshold.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Maps to test.

        Returns
        -------
        ndarray of shape (n_maps,)
            ``classes_[1]`` (anisotropic, by default 1) or ``classes_[0]`` (isotropic).
        """
        reject = self.decision_function(X) > 0
        return self.classes_[reject.astype(int)]

    def power(self, X: Any) -> float:
        """Fraction of the maps ``X`` in which isotropy is rejected (power on source maps).

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Maps drawn under one alternative (or under isotropy: then the false-positive rate).

        Returns
        -------
        float
            Rejection rate in [0, 1].
        """
        return float(np.mean(self.decision_function(X) > 0))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Power at the current threshold: rejection rate on the maps labelled ``classes_[1]``.

        Parameters
        ----------
        X : array-like of shape (n_maps, n_channels, npix) or flattened
            Labelled maps.
        y : array-like of shape (n_maps,)
            Labels; maps labelled ``classes_[1]`` (with a source) count.
        sample_weight : None
            Not supported (must be ``None``).

        Returns
        -------
        float
            Power (``alpha_``-level test after :meth:`calibrate`); ``nan`` without any
            map labelled ``classes_[1]``.
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by the power score.")
        y = np.asarray(y).ravel()
        alternative = y == self.classes_[1]
        if not alternative.any():
            return math.nan
        decision = self.decision_function(X)
        if len(decision) != len(y):
            raise ValueError(f"X has {len(decision)} maps but y has {len(y)} labels.")
        return float(np.mean(decision[alternative] > 0))

    # ------------------------------------------------------------ simulations
    def fit_simulated(
        self,
        source: Any,
        n_events: int,
        fraction: float | Any = (0.05, 0.1, 0.2),
        *,
        n_maps: int = 1000,
        n_calibration: int = 999,
        simulator: Callable[..., np.ndarray] | None = None,
        simulator_kwargs: dict | None = None,
        fresh_maps: bool = False,
        random_state: Any = None,
    ) -> NullCalibratedTest:
        """Fit on maps simulated for one source hypothesis, then calibrate on fresh ones.

        Simulates ``n_maps`` isotropic maps (label 0) and ``n_maps`` maps with a fraction
        of source events (label 1; the values of ``fraction`` are cycled over the maps),
        calls :meth:`fit`, then :meth:`calibrate` on ``n_calibration`` new isotropic maps.
        Seeds derive from ``random_state``.

        Parameters
        ----------
        source : str or Source
            Source hypothesis, e.g. ``"CenA"`` (see :mod:`crsbi.uhecr.sky`).
        n_events : int
            Events per map.
        fraction : float or sequence of float, default=(0.05, 0.1, 0.2)
            Source fraction(s) eta in (0, 1] of the training source maps.
        n_maps : int, default=1000
            Maps per class for training.
        n_calibration : int, default=999
            Isotropic maps for the threshold (``+1`` a multiple of ``1 / alpha``).
        simulator : callable or None
            Map simulator with the signature of
            :func:`crsbi.uhecr.sky.simulate_sky_maps` (the default).
        simulator_kwargs : dict or None
            Extra keyword arguments of the simulator (``nside``, ``n_channels``,
            ``exposure``, ``energy_resolution``, ...). For tests with an ``exposure``
            parameter the maps are simulated with that exposure (passed to the default
            simulator when ``exposure`` is not given here); a different ``exposure``
            here raises a ``ValueError``, since the statistic weights the maps by the
            exposure of the test and the null maps must follow it.
        fresh_maps : bool, default=False
            For tests trained over epochs (the CNN): simulate a new training set of
            ``n_maps`` maps per class for every epoch after the first, so the network
            never sees a map twice and cannot overfit (the validation maps stay
            fixed). Tests fitted in one pass raise a ``ValueError``.
        random_state : None, int or numpy.random.Generator
            Seeds the simulated maps; ``None`` uses the estimator's ``random_state``
            parameter when it has one (fresh entropy otherwise).

        Returns
        -------
        self
            Fitted and calibrated; ``simulation_`` records the settings for
            :meth:`minimal_fraction`.
        """
        from crsbi.core.random import spawn_seeds

        owner = type(self).__name__
        check_interval(n_maps, "n_maps", owner, kind=int, low=2)
        check_interval(n_calibration, "n_calibration", owner, kind=int, low=1)
        fractions = np.atleast_1d(np.asarray(fraction, dtype=float))
        if fractions.ndim != 1 or np.any((fractions <= 0) | (fractions > 1)):
            raise ValueError(
                f"The 'fraction' parameter of {owner}.fit_simulated must be a float or sequence "
                f"of floats in (0, 1]. Got {fraction!r} instead."
            )
        simulator_kwargs = self._simulation_kwargs(simulator, simulator_kwargs)
        simulate = make_map_simulator(source, n_events, simulator, simulator_kwargs)
        if random_state is None:
            random_state = getattr(self, "random_state", None)
        train_seed, calibration_seed, fresh_seed = spawn_seeds(random_state, 3)
        per_map = np.resize(fractions, n_maps)
        y = np.repeat([0, 1], [n_maps, n_maps])

        def training_set(rng: np.random.Generator) -> np.ndarray:
            parts = [simulate(n_maps, 0.0, rng)]
            for value in np.unique(per_map):
                parts.append(simulate(int(np.sum(per_map == value)), float(value), rng))
            return np.concatenate(parts)

        resample = None
        if fresh_maps:
            fresh_rng = np.random.default_rng(fresh_seed)

            def resample(epoch: int) -> tuple[np.ndarray, np.ndarray]:
                return training_set(fresh_rng), y

        self._fit_simulated_maps(training_set(np.random.default_rng(train_seed)), y, resample)
        self.calibrate(simulate(n_calibration, 0.0, np.random.default_rng(calibration_seed)))
        self.simulation_ = {
            "source": source,
            "n_events": int(n_events),
            "simulator": simulator,
            "simulator_kwargs": dict(simulator_kwargs or {}),
        }
        return self

    def _simulation_kwargs(
        self, simulator: Callable[..., np.ndarray] | None, simulator_kwargs: dict | None
    ) -> dict:
        """Return the simulator keyword arguments with the test's exposure, if it has one.

        The default simulator gets the test's exposure when none is given; a given one
        must be the test's (compared as maps at the simulator's ``nside``).
        """
        kwargs = dict(simulator_kwargs or {})
        exposure = getattr(self, "exposure", None)
        if exposure is None:  # the test learns everything from the maps (CNN, likelihood ratio)
            return kwargs
        if "exposure" not in kwargs:
            if simulator is None:
                kwargs["exposure"] = exposure
            return kwargs
        from crsbi.uhecr._exposure import exposure_map
        from crsbi.uhecr.statistics import resolve_exposure

        nside = kwargs.get("nside", 32)
        ours = resolve_exposure(exposure, nside)
        theirs = exposure_map(kwargs["exposure"], nside, normalize="max")
        if not np.allclose(ours, theirs, rtol=1e-6, atol=1e-9):
            owner = type(self).__name__
            raise ValueError(
                f"{owner} weights the maps by its exposure {_label(exposure)} but the maps "
                f"would be simulated with exposure {_label(kwargs['exposure'])}: null maps "
                "of another exposure give p-values near 0 or 1 on data. Pass the same "
                f"exposure to both ({owner}(exposure=...) and simulator_kwargs['exposure'])."
            )
        return kwargs

    def _fit_simulated_maps(
        self,
        X: np.ndarray,
        y: np.ndarray,
        resample: Callable[[int], tuple[np.ndarray, np.ndarray]] | None,
    ) -> None:
        """Fit on simulated maps; ``resample`` renews them per epoch (neural tests only)."""
        if resample is not None:
            raise ValueError(
                f"{type(self).__name__} is fitted in one pass, not over epochs: "
                "fresh_maps=True needs a trained test such as AnisotropyTest."
            )
        self.fit(X, y)

    def minimal_fraction(
        self,
        source: Any = None,
        n_events: int | None = None,
        *,
        alpha: float | None = None,
        beta: float = 0.05,
        n_maps: int = 200,
        fractions: Any = None,
        simulator: Callable[..., np.ndarray] | None = None,
        simulator_kwargs: dict | None = None,
        batch_size: int = 250,
        random_state: Any = None,
        verbose: int = 0,
    ) -> MinimalFraction:
        """Smallest source fraction detected with probability ``1 - beta`` at level ``alpha``.

        Simulates maps with growing source fractions and counts rejections with the
        calibrated threshold (see :func:`find_minimal_fraction` for the search and the
        error). The calibration must match the maps: same ``n_events``, exposure and
        channels as the null maps given to :meth:`calibrate` (an ``n_events`` other than
        the calibrated ``n_events_`` raises a ``ValueError``).

        Parameters
        ----------
        source : str, Source or None
            Source hypothesis; ``None`` reuses the one of :meth:`fit_simulated`.
        n_events : int or None
            Events per map; ``None`` reuses the one of :meth:`fit_simulated`.
        alpha : float or None
            Level; ``None`` uses the calibrated ``alpha_``; another value re-derives the
            threshold from the stored ``null_statistics_``.
        beta : float, default=0.05
            Allowed type-II error; the target power is ``1 - beta``.
        n_maps : int, default=200
            Maps per fraction in the fine stage of the search.
        fractions : array-like or None
            Fixed fractions to evaluate instead of the adaptive search.
        simulator, simulator_kwargs
            As in :meth:`fit_simulated` (``None`` reuses its settings).
        batch_size : int, default=250
            Maps simulated at once (bounds memory).
        random_state : None, int or numpy.random.Generator
            Seeds the simulations.
        verbose : int, default=0
            ``> 0`` prints the power at each fraction.

        Returns
        -------
        MinimalFraction
            ``eta`` with its statistical error ``eta_err`` and the measured power curve.
        """
        check_is_fitted(self, "null_statistics_")
        owner = type(self).__name__
        settings = getattr(self, "simulation_", {})
        source = settings.get("source") if source is None else source
        n_events = settings.get("n_events") if n_events is None else n_events
        if source is None or n_events is None:
            raise ValueError(
                f"{owner}.minimal_fraction needs source and n_events (or a previous "
                "fit_simulated to take them from)."
            )
        if simulator is None and simulator_kwargs is None:
            simulator = settings.get("simulator")
            simulator_kwargs = settings.get("simulator_kwargs")
        simulator_kwargs = self._simulation_kwargs(simulator, simulator_kwargs)
        calibrated = getattr(self, "n_events_", None)
        if calibrated is not None and not np.isclose(
            n_events, calibrated, rtol=_N_RTOL, atol=_N_ATOL
        ):
            raise ValueError(_n_events_message(owner, calibrated, n_events))
        alpha = self.alpha_ if alpha is None else alpha
        check_interval(alpha, "alpha", owner, low=0, high=1, closed="neither")
        check_interval(batch_size, "batch_size", owner, kind=int, low=1)
        threshold = self.threshold_
        if alpha != self.alpha_:
            threshold = null_threshold(self.null_statistics_, alpha)
        simulate = make_map_simulator(source, n_events, simulator, simulator_kwargs)

        def rejections(fraction: float, n: int, rng: np.random.Generator) -> int:
            count = 0
            for start in range(0, n, batch_size):
                maps = simulate(min(batch_size, n - start), fraction, rng)
                count += int(np.sum(np.asarray(self.statistic(maps)) > threshold))
            return count

        result = find_minimal_fraction(
            rejections,
            alpha=alpha,
            beta=beta,
            n_maps=n_maps,
            fractions=fractions,
            random_state=random_state,
            verbose=verbose,
        )
        result.n_events = int(n_events)
        result.source = source if isinstance(source, str) else getattr(source, "name", None)
        return result


#: Relative and absolute tolerance on a map's event count (channel weights are float32).
_N_RTOL, _N_ATOL = 1e-4, 1e-3


def _label(exposure: Any) -> str:
    """Short description of an exposure for messages (arrays are not printed)."""
    return "map" if isinstance(exposure, np.ndarray) else repr(exposure)


def _event_totals(X: Any) -> np.ndarray | None:
    """Events per map (sum over all but the first axis), or ``None`` when X is not maps."""
    array = np.asarray(X)
    if array.ndim < 2 or array.dtype.kind not in "biuf" or len(array) == 0:
        return None
    return array.reshape(len(array), -1).sum(axis=1, dtype=np.float64)


def _common_total(X: Any) -> float | int | None:
    """Return the event count shared by all maps of X (an int when whole), else ``None``."""
    totals = _event_totals(X)
    if totals is None:
        return None
    mean = float(totals.mean())
    if not np.all(np.isclose(totals, mean, rtol=_N_RTOL, atol=_N_ATOL)):
        return None
    whole = round(mean)
    return int(whole) if math.isclose(mean, whole, rel_tol=_N_RTOL, abs_tol=_N_ATOL) else mean


def _n_events_message(owner: str, expected: float, got: float, index: int | None = None) -> str:
    where = "" if index is None else f" (map {index})"
    return (
        f"{owner} was calibrated on null maps of N = {expected:g} events but got N = "
        f"{got:g}{where}: its threshold and p-values hold only for N = {expected:g}. "
        f"Recalibrate on isotropic maps of N = {got:g} events (calibrate(null_maps), or "
        f"fit_simulated(source, n_events={got:g}, ...)), or pass check_n_events=False to "
        "calibrate to test maps of any N."
    )


def make_map_simulator(
    source: Any,
    n_events: int,
    simulator: Callable[..., np.ndarray] | None = None,
    simulator_kwargs: dict | None = None,
) -> Callable[[int, float, np.random.Generator], np.ndarray]:
    """Wrap a sky-map simulator as ``simulate(n_maps, fraction, rng) -> maps``.

    Parameters
    ----------
    source : str or Source
        Source hypothesis.
    n_events : int
        Events per map, >= 1.
    simulator : callable or None
        ``simulator(n_maps, *, n_events, source, fraction, random_state, **kwargs)``;
        ``None`` uses :func:`crsbi.uhecr.sky.simulate_sky_maps`.
    simulator_kwargs : dict or None
        Extra keyword arguments.

    Returns
    -------
    callable
        The wrapped simulator.
    """
    check_interval(n_events, "n_events", "make_map_simulator", kind=int, low=1)
    if simulator is None:
        from crsbi.uhecr.sky import simulate_sky_maps

        simulator = simulate_sky_maps
    kwargs = dict(simulator_kwargs or {})

    def simulate(n_maps: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
        return simulator(
            int(n_maps),
            n_events=int(n_events),
            source=source,
            fraction=float(fraction),
            random_state=rng,
            **kwargs,
        )

    return simulate
