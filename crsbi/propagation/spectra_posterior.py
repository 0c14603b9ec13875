"""An amortised neural posterior of the propagation parameters given measured spectra.

:class:`SpectraPosterior` packs the whole route from a measurement to a posterior into one
estimator: the Galactic simulator with its Gaussian error model
(:class:`~crsbi.propagation.SpectraLikelihood`) simulates data sets over a uniform prior, a
linear compression (whitening by the error covariance, then the principal components of
the noise-free simulations) feeds a neural posterior estimator
(:class:`~crsbi.inference.PosteriorEstimator`), and held-out simulations check its
calibration. Once fitted, a posterior for any data set measured at the same points costs a
fraction of a second; :meth:`SpectraPosterior.predictive` runs the simulator on the draws
for a posterior predictive check. ``crsbi.pretrained.load("ams02-bc-break")`` is one,
fitted to the AMS-02 B/C ratio.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular
from sklearn.base import BaseEstimator

from crsbi.core.persistence import PersistenceMixin
from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval
from crsbi.propagation.data import Measurement, _read_columns
from crsbi.propagation.likelihood import SpectraLikelihood

__all__ = ["SpectraPosterior", "read_measurement"]

#: Settings of the neural posterior estimator unless ``npe_params`` overrides them.
DEFAULT_NPE_PARAMS: dict[str, Any] = {
    "hidden_features": 64,
    "num_transforms": 5,
    "learning_rate": 1e-3,
    "batch_size": 256,
    "patience": 20,
    "max_epochs": 300,
}


def read_measurement(path: str | Path, like: Measurement | None = None) -> Measurement:
    """Read a measured spectrum or ratio from a text file (CRDB export layout).

    The file has ``#`` comment lines (``# Experiment: ...`` and ``# Ref: ...`` are kept)
    and six columns: ``x  y  stat_low  stat_high  sys_low  sys_high``, with ``x`` a
    rigidity [GV] (or kinetic energy per nucleon [GeV/n] when ``like`` says so) and ``y``
    in the units of the quantity (a ratio is dimensionless); the errors are symmetrised.
    This is the layout of the AMS-02 files of the data directory
    (``spectra/ams02/AMS-02_B_C_rigidity.txt``).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    like : Measurement or None, default=None
        Gives ``quantity`` and ``axis`` (default ``"B/C"`` versus rigidity).

    Returns
    -------
    Measurement

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it does not hold six numeric columns with finite values and positive errors.

    Examples
    --------
    >>> from crsbi.core.data import data_file
    >>> from crsbi.propagation.spectra_posterior import read_measurement
    >>> bc = read_measurement(data_file("spectra", "ams02", "AMS-02_B_C_rigidity.txt"))
    >>> bc.quantity, len(bc)
    ('B/C', 67)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No measurement file at {path}.")
    try:
        data, header = _read_columns(path)
    except ValueError as exc:
        raise ValueError(f"{path}: every non-comment line must hold numbers ({exc}).") from None
    if data.ndim != 2 or data.shape[1] != 6:
        raise ValueError(
            f"{path} must have 6 columns (x y stat_low stat_high sys_low sys_high); "
            f"got shape {data.shape}."
        )
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path} holds NaN or infinite values.")
    stat = 0.5 * (data[:, 2] + data[:, 3])
    sys = 0.5 * (data[:, 4] + data[:, 5])
    if np.any(np.hypot(stat, sys) <= 0) or np.any(data[:, 0] <= 0):
        raise ValueError(f"{path}: x and the total errors must be > 0.")
    return Measurement(
        like.quantity if like is not None else "B/C",
        like.axis if like is not None else "rigidity",
        data[:, 0],
        data[:, 1],
        stat,
        sys,
        header.get("Experiment", "unknown"),
        header.get("Ref", str(path.name)),
    )


class _WhitenedPCA:
    """Whiten by the error covariance, project on the leading principal components.

    The components are those of the noise-free simulations ``clean``; they are kept until
    the variance left out is below ``tol`` (in chi^2 units). With Gaussian errors the
    projection keeps all the information the data hold about the parameters, as long as
    the model stays in the kept subspace.
    """

    def __init__(self, likelihood: SpectraLikelihood, clean: np.ndarray, tol: float) -> None:
        self.error = likelihood.error
        self.cholesky = likelihood._cholesky
        white = self._whiten(clean)
        self.mean = white.mean(axis=0)
        _, s, vt = np.linalg.svd(white - self.mean, full_matrices=False)
        tail = np.append(np.cumsum((s**2 / len(white))[::-1])[::-1], 0.0)
        self.n_components = max(1, int(np.argmax(tail < tol)))
        self.left_out = float(tail[self.n_components])
        self.components = vt[: self.n_components]

    def _whiten(self, x: np.ndarray) -> np.ndarray:
        if self.cholesky is None:
            return x / self.error
        return solve_triangular(self.cholesky, np.asarray(x).T, lower=True).T

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (self._whiten(np.atleast_2d(x)) - self.mean) @ self.components.T


def _simulate_chunk(likelihood: SpectraLikelihood, thetas: np.ndarray) -> np.ndarray:
    out = np.full((len(thetas), likelihood.observed.size), np.nan)
    for i, theta in enumerate(thetas):
        # a failed run stays NaN: dropped from the training set and counted
        with contextlib.suppress(ValueError, ArithmeticError):
            out[i] = likelihood.predict(theta)
    return out


def _log_likelihoods(
    likelihood: SpectraLikelihood, thetas: np.ndarray, x: np.ndarray
) -> np.ndarray:
    return np.array([likelihood(theta, x) for theta in thetas])


class SpectraPosterior(PersistenceMixin, BaseEstimator):
    """Neural posterior of Galactic propagation parameters given measured spectra.

    ``fit`` simulates ``n_simulations + n_calibration`` data sets at the points of the
    given measurements (parameters uniform in the prior box, measurement noise drawn from
    the error covariance of :class:`~crsbi.propagation.SpectraLikelihood`), trains a
    neural posterior estimator (NPE, a masked autoregressive flow) on a whitened principal
    component compression of them, and checks its calibration on the held-out
    ``n_calibration`` (SBC, TARP, HPD coverage). The posterior is amortised: any data set
    measured at the same points (e.g. a new data release, or a simulated one) gets its
    posterior from :meth:`sample` in a fraction of a second.

    Parameters
    ----------
    model : {"paper", "break"}, default="break"
        Diffusion coefficient of the simulator: one power law in rigidity, or with the
        high-rigidity break (``break_rigidity`` [GV], ``break_delta``).
    free : sequence of str, default=("D0", "delta", "eta", "v_A", "z_h", "phi", \
"log10_break_rigidity", "break_delta")
        Parameters of the posterior, in order: names of the likelihood's parameters
        (the model's and ``"phi"``, the force-field potential [GV]), or ``"log10_<name>"``
        for a prior uniform in the decimal logarithm of a positive one. Units:
        ``D0`` [1e28 cm^2/s at 4 GV], ``delta`` and ``eta`` dimensionless, ``v_A``
        [km/s], ``z_h`` [kpc], ``phi`` [GV], rigidities [GV].
    fixed : dict of str to float or None, default=None
        Values of every likelihood parameter that is not free (e.g. the source spectral
        indices ``nu1..3`` and breaks ``log10_Rbr1/2``, which B/C alone hardly
        constrains), in the units of :data:`~crsbi.propagation.PRIOR_BOUNDS`.
    bounds : dict of str to (float, float) or None, default=None
        Prior box of free parameters, overriding the package's (uniform prior).
    n_simulations : int, default=20000
        Training simulations (>= 100).
    n_calibration : int, default=300
        Held-out simulations for the calibration check (0 skips it; else >= 10).
    pca_tol : float, default=0.01
        Variance [chi^2 units] the compression may leave out.
    sys_correlation_length : float or None, default=None
        Correlation length [decades of rigidity] of the systematic errors (see
        :class:`~crsbi.propagation.SpectraLikelihood`); ``None``: independent points.
    npe_params : dict or None, default=None
        Keywords of :class:`~crsbi.inference.PosteriorEstimator` overriding
        ``hidden_features=64, num_transforms=5, learning_rate=1e-3, batch_size=256,
        patience=20, max_epochs=300``.
    n_jobs : int, default=1
        Processes that run the simulator.
    random_state : int or None, default=None
        Seeds the prior draws, the noise, the network and the calibration draws.
    verbose : int, default=1
        0 silences progress bars and training output.

    Attributes
    ----------
    param_names_ : list of str
        The free parameters, in column order of the draws.
    prior_low_, prior_high_ : ndarray of shape (n_params,)
        The uniform prior box.
    likelihood_ : SpectraLikelihood
        The simulator and error model (its ``names``: the full parameter vector).
    measurements_ : list of Measurement
        The fitted measurements (:meth:`sample` uses them when no observation is given).
    estimator_ : PosteriorEstimator
        The trained neural posterior estimator (inputs: the compressed data).
    n_components_ : int
        Principal components kept by the compression.
    calibration_ : CalibrationReport or None
        Coverage on the held-out simulations.
    n_failed_ : int
        Simulations dropped because the simulator failed or returned non-finite values.
    simulate_seconds_, train_seconds_ : float
        Wall times of the simulations and of the training [s].

    Examples
    --------
    >>> from crsbi.propagation import SpectraPosterior, load_ams02
    >>> bc = load_ams02("B/C").select(5.0, 100.0)
    >>> posterior = SpectraPosterior(model="paper", free=("D0", "delta"),
    ...     fixed={"eta": 1.0, "v_A": 20.0, "z_h": 5.0, "nu1": 0.5, "nu2": 2.3, "nu3": 2.3,
    ...            "log10_Rbr1": 3.0, "log10_Rbr2": 6.0, "phi": 0.7},
    ...     n_simulations=200, n_calibration=0, npe_params={"max_epochs": 2},
    ...     random_state=0, verbose=0).fit(bc)
    >>> posterior.sample(100, random_state=0).shape
    (100, 2)
    """

    def __init__(
        self,
        *,
        model: str = "break",
        free: Sequence[str] = (
            "D0",
            "delta",
            "eta",
            "v_A",
            "z_h",
            "phi",
            "log10_break_rigidity",
            "break_delta",
        ),
        fixed: dict[str, float] | None = None,
        bounds: dict[str, tuple[float, float]] | None = None,
        n_simulations: int = 20000,
        n_calibration: int = 300,
        pca_tol: float = 0.01,
        sys_correlation_length: float | None = None,
        npe_params: dict[str, Any] | None = None,
        n_jobs: int = 1,
        random_state: int | None = None,
        verbose: int = 1,
    ) -> None:
        self.model = model
        self.free = free
        self.fixed = fixed
        self.bounds = bounds
        self.n_simulations = n_simulations
        self.n_calibration = n_calibration
        self.pca_tol = pca_tol
        self.sys_correlation_length = sys_correlation_length
        self.npe_params = npe_params
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ set-up
    def _layout(self, likelihood: SpectraLikelihood, fixed: dict[str, float]) -> None:
        """Map the free parameters onto the likelihood's full vector (validates them)."""
        names = list(likelihood.names)
        free = list(self.free) if not isinstance(self.free, str) else [self.free]
        if not free or len(set(free)) != len(free):
            raise ValueError(f"free must be a non-empty sequence of distinct names; got {free}.")
        bounds = dict(self.bounds or {})
        index, logs, low, high = [], [], [], []
        for name in free:
            base = name[6:] if name.startswith("log10_") and name not in names else name
            if base not in names:
                raise ValueError(
                    f"free parameter {name!r} is not a parameter of model={self.model!r}; "
                    f"known: {names} (or 'log10_<name>')."
                )
            i = names.index(base)
            lo, hi = likelihood.low[i], likelihood.high[i]
            if base != name:
                if lo <= 0:
                    raise ValueError(f"{name!r}: {base} must be > 0 over its prior box.")
                lo, hi = np.log10(lo), np.log10(hi)
            lo, hi = bounds.pop(name, (lo, hi))
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"bounds of {name!r} must be finite with low < high.")
            index.append(i)
            logs.append(base != name)
            low.append(float(lo))
            high.append(float(hi))
        if bounds:
            raise ValueError(f"bounds given for parameters that are not free: {sorted(bounds)}.")
        taken = {names[i] for i in index}
        extra = sorted(set(fixed) - set(names))
        if extra:
            raise ValueError(f"fixed names {extra} are not parameters of the likelihood {names}.")
        both = sorted(taken & set(fixed))
        if both:
            raise ValueError(f"{both} are both free and fixed.")
        missing = [n for n in names if n not in taken and n not in fixed]
        if missing:
            raise ValueError(f"parameters {missing} are neither free nor given in fixed.")
        base = np.array([fixed.get(n, np.nan) for n in names], dtype=float)
        self._index, self._logs, self._base = np.array(index), np.array(logs), base
        self.param_names_ = free
        self.prior_low_, self.prior_high_ = np.array(low), np.array(high)

    def full_parameters(self, draws: Any) -> np.ndarray:
        """Return the likelihood's full parameter vectors of draws of the free parameters.

        Parameters
        ----------
        draws : array-like of shape (n, n_params)
            Columns in :attr:`param_names_` order (``log10_`` ones as logarithms).

        Returns
        -------
        ndarray of shape (n, n_full)
            One column per name of ``likelihood_.names``: fixed values filled in,
            logarithms undone (units of the likelihood).

        Examples
        --------
        >>> from crsbi import pretrained
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> posterior.full_parameters(posterior.sample(3, random_state=0)).shape
        (3, 13)
        """
        self._check_fitted()
        return self._full(draws)

    def _full(self, draws: Any) -> np.ndarray:
        draws = np.atleast_2d(np.asarray(draws, dtype=float))
        if draws.shape[1] != len(self.param_names_):
            raise ValueError(
                f"draws must have {len(self.param_names_)} columns {self.param_names_}; "
                f"got shape {draws.shape}."
            )
        full = np.tile(self._base, (len(draws), 1))
        values = np.where(self._logs, 10.0**draws, draws)
        full[:, self._index] = values
        # keep 10^x inside the box despite rounding at the edges
        return np.clip(full, self.likelihood_.low, self.likelihood_.high)

    # ---------------------------------------------------------------------- fit
    def fit(self, measurements: Measurement | Sequence[Measurement]) -> SpectraPosterior:
        """Simulate, compress, train the posterior estimator and check its calibration.

        Parameters
        ----------
        measurements : Measurement or sequence of Measurement
            The data whose points the simulations reproduce (their values are the default
            observation of :meth:`sample`).

        Returns
        -------
        SpectraPosterior
            Fitted.

        Raises
        ------
        ValueError
            On invalid parameters, unknown or missing parameter names, or points outside
            the simulator's energy range.
        """
        from joblib import Parallel, delayed
        from tqdm.auto import tqdm

        from crsbi.inference import PosteriorEstimator, run_calibration

        if isinstance(measurements, Measurement):
            measurements = [measurements]
        check_interval(self.n_simulations, "n_simulations", "SpectraPosterior", kind=int, low=100)
        check_interval(self.n_calibration, "n_calibration", "SpectraPosterior", kind=int, low=0)
        if 0 < self.n_calibration < 10:
            raise ValueError(
                f"n_calibration must be 0 (no check) or >= 10; got {self.n_calibration}."
            )
        check_interval(self.pca_tol, "pca_tol", "SpectraPosterior", low=0.0, closed="right")
        check_interval(self.n_jobs, "n_jobs", "SpectraPosterior", kind=int, low=1)
        unknown = sorted(set(self.npe_params or {}) - set(PosteriorEstimator().get_params()))
        if unknown:
            raise ValueError(f"npe_params has keys that PosteriorEstimator lacks: {unknown}.")
        free_nuisances = [n for n in ("phi",) if n not in (self.fixed or {})]
        likelihood = SpectraLikelihood(
            measurements,
            model=self.model,
            free=free_nuisances,
            phi=float((self.fixed or {}).get("phi", 0.7)),
            sys_correlation_length=self.sys_correlation_length,
        )
        self.likelihood_ = likelihood
        self.measurements_ = list(measurements)
        fixed = dict(self.fixed or {})
        if "phi" in fixed and "phi" not in likelihood.names:
            fixed.pop("phi")  # given to the likelihood as its fixed potential
        self._layout(likelihood, fixed)
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        n_total = self.n_simulations + self.n_calibration
        theta = rng.uniform(self.prior_low_, self.prior_high_, size=(n_total, len(self.free)))
        full = self._full(theta)
        chunks = np.array_split(full, max(1, n_total // 250))
        start = time.perf_counter()
        runs = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(_simulate_chunk)(likelihood, chunk) for chunk in chunks
        )
        parts = list(
            tqdm(runs, total=len(chunks), desc="simulating", unit="chunk", disable=not self.verbose)
        )
        self.simulate_seconds_ = time.perf_counter() - start
        clean = np.concatenate(parts)
        x = clean + likelihood.sample_noise(n_total, rng)
        ok = np.all(np.isfinite(x), axis=1)
        self.n_failed_ = int(np.sum(~ok))
        n_train = int(np.sum(ok[: self.n_simulations]))
        if n_train < 100:
            raise ValueError(f"only {n_train} training simulations succeeded (need >= 100).")
        train = np.flatnonzero(ok[: self.n_simulations])
        held = self.n_simulations + np.flatnonzero(ok[self.n_simulations :])
        self._features = _WhitenedPCA(likelihood, clean[train], self.pca_tol)
        self.n_components_ = self._features.n_components
        npe_params = {**DEFAULT_NPE_PARAMS, **(self.npe_params or {})}
        start = time.perf_counter()
        self.estimator_ = PosteriorEstimator(
            prior_low=self.prior_low_,
            prior_high=self.prior_high_,
            param_names=list(self.param_names_),
            random_state=seed,
            verbose=self.verbose,
            **npe_params,
        ).fit(self._features(x[train]), theta[train])
        self.train_seconds_ = time.perf_counter() - start
        self.calibration_ = None
        if self.n_calibration and len(held) >= 10:
            self.calibration_ = run_calibration(
                self.estimator_,
                theta[held],
                self._features(x[held]),
                n_posterior_samples=500,
                c2st=False,
                param_names=list(self.param_names_),
                random_state=seed + 1,
            )
        return self

    # ---------------------------------------------------------------- inference
    def _check_fitted(self) -> None:
        if not hasattr(self, "estimator_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This SpectraPosterior is not fitted yet; call fit first.")

    def read_observation(self, path: str | Path) -> Measurement:
        """Read a data file measured at the fitted points (see :func:`read_measurement`).

        Parameters
        ----------
        path : str or pathlib.Path
            Six-column text file (``x y stat_lo stat_hi sys_lo sys_hi``).

        Returns
        -------
        Measurement

        Raises
        ------
        ValueError
            If the file's points are not those of the fitted measurement.

        Examples
        --------
        >>> from crsbi import pretrained
        >>> from crsbi.core.data import data_file
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> path = data_file("spectra", "ams02", "AMS-02_B_C_rigidity.txt")
        >>> len(posterior.read_observation(path))
        67
        """
        self._check_fitted()
        measured = read_measurement(path, like=self.measurements_[0])
        self._observed_values(measured)
        return measured

    def _observed_values(self, observation: Any) -> np.ndarray:
        """Return the observed vector at the fitted points, validated."""
        if observation is None:
            return self.likelihood_.observed
        if isinstance(observation, (str, Path)):
            observation = read_measurement(observation, like=self.measurements_[0])
        if isinstance(observation, Measurement):
            observation = [observation]
        if isinstance(observation, (list, tuple)) and all(
            isinstance(m, Measurement) for m in observation
        ):
            if len(observation) != len(self.measurements_):
                raise ValueError(
                    f"expected {len(self.measurements_)} measurement(s) like the fitted ones "
                    f"({[m.quantity for m in self.measurements_]}); got {len(observation)}."
                )
            for new, old in zip(observation, self.measurements_, strict=True):
                if new.x.shape != old.x.shape or not np.allclose(new.x, old.x, rtol=1e-3):
                    raise ValueError(
                        f"the {new.quantity} points must be the fitted ones ({len(old)} "
                        f"{old.axis} values from {old.x[0]:.4g} to {old.x[-1]:.4g}); got "
                        f"{len(new)} values. A posterior for other points needs a refit."
                    )
            return np.concatenate([m.y for m in observation])
        values = np.asarray(observation, dtype=float)
        if values.shape != self.likelihood_.observed.shape:
            raise ValueError(
                f"observation must have shape {self.likelihood_.observed.shape} (the values at "
                f"the fitted points); got {values.shape}."
            )
        if not np.all(np.isfinite(values)):
            raise ValueError("observation holds NaN or infinite values.")
        return values

    def sample(
        self, n_samples: int = 1000, observation: Any = None, *, random_state: Any = None
    ) -> np.ndarray:
        """Draw from the posterior of the free parameters given an observation.

        Parameters
        ----------
        n_samples : int, default=1000
            Number of draws.
        observation : None, Measurement, sequence of Measurement, path or array-like
            ``None``: the fitted measurements; otherwise data at the same points (a file
            in :func:`read_measurement` layout, or the concatenated values).
        random_state : None, int or numpy.random.Generator
            Seeds the draws.

        Returns
        -------
        ndarray of shape (n_samples, n_params)
            Columns in :attr:`param_names_` order and units.

        Examples
        --------
        >>> from crsbi import pretrained
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> posterior.sample(500, random_state=0).shape
        (500, 8)
        """
        self._check_fitted()
        check_interval(n_samples, "n_samples", "sample", kind=int, low=1)
        features = self._features(self._observed_values(observation))[0]
        return self.estimator_.sample(features, n_samples, random_state=random_state)

    def importance_sample(
        self,
        n_samples: int = 1000,
        observation: Any = None,
        *,
        n_proposals: int | None = None,
        n_jobs: int = 1,
        random_state: Any = None,
    ) -> tuple[np.ndarray, float]:
        """Posterior draws corrected with the exact likelihood (sampling-importance-resampling).

        The neural posterior proposes ``n_proposals`` draws; each is weighted by
        ``L(x | theta) p(theta) / q(theta | x)`` with the Gaussian likelihood of
        :attr:`likelihood_` (one simulator run per proposal) and ``n_samples`` are drawn
        from them with these weights. The result is the exact posterior of the simulator
        and error model up to the Monte Carlo error set by the effective sample size,
        whatever the calibration of the network: use it when a figure matters.

        Parameters
        ----------
        n_samples : int, default=1000
            Draws returned.
        observation : see :meth:`sample`
        n_proposals : int or None, default=None
            Proposals from the network (default ``4 * n_samples``).
        n_jobs : int, default=1
            Processes running the simulator.
        random_state : None, int or numpy.random.Generator
            Seeds the proposals and the resampling.

        Returns
        -------
        draws : ndarray of shape (n_samples, n_params)
        ess : float
            Effective sample size of the weighted proposals, ``(sum w)^2 / sum w^2``; the
            draws carry about this many independent values (``ess / n_proposals`` is the
            network's efficiency: 1 for a perfect posterior).

        Raises
        ------
        RuntimeError
            If no proposal has a finite likelihood.

        Examples
        --------
        >>> from crsbi import pretrained
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> draws, ess = posterior.importance_sample(20, n_proposals=40, random_state=0)
        >>> draws.shape, bool(0 < ess <= 40)
        ((20, 8), True)
        """
        from joblib import Parallel, delayed

        self._check_fitted()
        check_interval(n_samples, "n_samples", "importance_sample", kind=int, low=1)
        n_proposals = 4 * n_samples if n_proposals is None else n_proposals
        check_interval(n_proposals, "n_proposals", "importance_sample", kind=int, low=1)
        check_interval(n_jobs, "n_jobs", "importance_sample", kind=int, low=1)
        rng = check_random_state(random_state)
        values = self._observed_values(observation)
        proposals = self.sample(n_proposals, values, random_state=rng)
        log_q = self.log_prob(proposals, values)
        full = self._full(proposals)
        chunks = np.array_split(np.arange(n_proposals), max(1, min(n_jobs * 4, n_proposals)))
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_log_likelihoods)(self.likelihood_, full[c], values) for c in chunks
        )
        # the prior is uniform in the free parameters: a constant in the weights
        log_w = np.concatenate(parts) - log_q
        log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
        if not np.any(np.isfinite(log_w)):
            raise RuntimeError("no proposal has a finite likelihood: is the observation valid?")
        w = np.exp(log_w - np.max(log_w))
        w /= w.sum()
        ess = float(1.0 / np.sum(w**2))
        return proposals[rng.choice(n_proposals, size=n_samples, p=w)], ess

    def log_prob(self, theta: Any, observation: Any = None) -> np.ndarray:
        """Posterior log-density of parameter vectors (free parameters, draw units).

        Parameters
        ----------
        theta : array-like of shape (n, n_params)
        observation : see :meth:`sample`

        Returns
        -------
        ndarray of shape (n,)

        Examples
        --------
        >>> from crsbi import pretrained
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> draws = posterior.sample(5, random_state=0)
        >>> posterior.log_prob(draws).shape
        (5,)
        """
        self._check_fitted()
        features = self._features(self._observed_values(observation))[0]
        return self.estimator_.log_prob(np.atleast_2d(theta), features)

    def to_inference_data(
        self, observation: Any = None, n_samples: int = 4000, *, random_state: Any = None
    ) -> Any:
        """Posterior draws as an :class:`arviz.InferenceData` (one chain).

        Parameters
        ----------
        observation : see :meth:`sample`
        n_samples : int, default=4000
        random_state : None, int or numpy.random.Generator

        Returns
        -------
        arviz.InferenceData
            ``posterior`` group with one variable per free parameter, ``observed_data``
            with the observed values.

        Examples
        --------
        >>> from crsbi import pretrained
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> idata = posterior.to_inference_data(n_samples=200, random_state=0)
        >>> list(idata.posterior.data_vars)[:2]
        ['D0', 'delta']
        """
        import arviz

        draws = self.sample(n_samples, observation, random_state=random_state)
        posterior = {name: draws[None, :, i] for i, name in enumerate(self.param_names_)}
        observed = {"y": self._observed_values(observation)}
        return arviz.from_dict(posterior=posterior, observed_data=observed)

    def predictive(
        self,
        draws: Any,
        *,
        levels: tuple[float, ...] = (0.68, 0.95),
        n_draws: int = 200,
        random_state: Any = None,
    ) -> Any:
        """Posterior predictive check of the fitted measurements from draws.

        Runs the simulator on (a subset of) the draws: see
        :func:`~crsbi.propagation.posterior_predictive`.

        Parameters
        ----------
        draws : array-like of shape (n, n_params)
            Posterior draws of the free parameters (:meth:`sample`).
        levels : tuple of float, default=(0.68, 0.95)
        n_draws : int, default=200
            Draws simulated.
        random_state : None, int or numpy.random.Generator

        Returns
        -------
        PredictiveCheck
            Model and replicated-data bands at the measured points, and the fraction of
            points inside them.

        Examples
        --------
        >>> from crsbi import pretrained
        >>> posterior = pretrained.load("ams02-bc-break")
        >>> check = posterior.predictive(posterior.sample(50, random_state=0), n_draws=20,
        ...                              random_state=0)
        >>> check.model.shape
        (20, 67)
        """
        from crsbi.propagation.predictive import posterior_predictive

        return posterior_predictive(
            self.likelihood_,
            self.full_parameters(draws),
            levels=levels,
            n_draws=n_draws,
            random_state=random_state,
        )
