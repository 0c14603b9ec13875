"""Amortized posterior estimation: a scikit-learn estimator over sbi's NPE.

``X`` holds observations (summary statistics of simulations), ``y`` the parameters
that produced them. :class:`PosteriorEstimator` trains a conditional density
estimator ``q(theta | x)`` with sbi's neural posterior estimation and then answers,
for any new observation, with samples, densities and point estimates.

Everything sbi-specific goes through :mod:`crsbi.inference._sbi`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from crsbi.core.device import resolve_device
from crsbi.core.persistence import PersistenceMixin
from crsbi.core.random import check_random_state, seeded_torch, torch_seed
from crsbi.core.validation import check_finite, check_interval, check_option
from crsbi.inference._common import check_param_names
from crsbi.inference._sampling import (
    DEFAULT_MIN_ACCEPTANCE_RATE,
    ESTIMATOR_NOTE,
    ESTIMATOR_REMEDIES,
    LOG_PROB_REMEDIES,
    SamplingBudget,
    has_bounded_sampler,
    sample_in_support,
)

__all__ = ["PosteriorEstimator"]

_FLOATS = [np.float64, np.float32]
_DENSITY_ESTIMATORS = ("maf", "nsf", "mdn", "made", "zuko_maf", "zuko_nsf")
_POINT_ESTIMATES = ("mean", "median", "map")
#: Upper bound on (observations x samples) drawn or evaluated in one sbi call.
_MAX_BATCH = 100_000
#: Relative padding of the default box prior around the training parameter range.
_PRIOR_PADDING = 0.1


def _as_tensor(array: np.ndarray, device: str) -> torch.Tensor:
    """Copy ``array`` into a float32 tensor (inputs may be read-only memory maps)."""
    return torch.from_numpy(np.array(array, dtype=np.float32)).to(device)


class PosteriorEstimator(PersistenceMixin, BaseEstimator):
    """Neural posterior estimation (sbi NPE) with the scikit-learn estimator contract.

    ``fit(X, y)`` learns ``q(theta | x)`` from simulations, where ``X`` holds the
    observations and ``y`` the parameters that generated them (drawn from the prior).
    The fitted estimator is amortized: any new observation gets its posterior
    without retraining.

    Scikit-learn verbs keep their shape but take a Bayesian meaning:
    ``predict`` returns a posterior point estimate per observation and ``score`` the
    mean log posterior density of the true parameters (a proper scoring rule, higher
    is better; not an R^2). ``sample``, ``log_prob`` and ``to_inference_data`` give
    the full posterior.

    Posterior sampling is seeded: ``predict``, ``sample``, ``log_prob`` and ``score``
    draw their Monte Carlo samples from a seed fixed at ``fit`` (see
    ``sampling_seed_``), so a fitted estimator, and its pickled copy, answer the
    same question with the same numbers.

    Parameters
    ----------
    prior : torch.distributions.Distribution or None, default=None
        Prior of the parameters, with ``event_shape == (n_params,)``, on ``device``
        (e.g. ``sbi.utils.BoxUniform``). It is copied, never modified. With ``None``
        the prior is a uniform box: from ``prior_low``/``prior_high`` when given,
        otherwise the range of the training parameters padded by 10 % of that range
        on each side (by 0.1 ``max(1, |value|)`` for a constant parameter). The data-driven
        box is a convenience; in simulation-based inference you know the prior you
        drew the parameters from and should pass it.
    prior_low, prior_high : float, array-like of shape (n_params,) or None
        Bounds of a uniform box prior in the units of ``y``; both or neither, and not
        together with ``prior``.
    embedding_net : torch.nn.Module or None, default=None
        Network that maps an observation to the summary fed to the flow, e.g. the
        feature extractor of another crsbi estimator. It is deep-copied (the argument
        is never modified), keeps its current weights as a starting point and is
        trained together with the flow. ``None`` feeds the observations directly.
    density_estimator : {"zuko_maf", "zuko_nsf", "maf", "nsf", "mdn", "made"}, \
default="zuko_maf"
        Conditional density estimator: masked autoregressive flow or neural spline
        flow (zuko's, or nflows' without the prefix), mixture density network, or a
        single MADE. The default is zuko's MAF: in nflows' conditional MADE the first
        parameter of every autoregressive layer does not see the observation (its
        output is a bias; nflows pull request 85), so with few parameters and few
        layers one parameter can be left uninformed: with 2 parameters and 2
        transforms, half of the random orderings return its prior as the posterior.
        Zuko's MAF conditions every parameter, and trains several times faster.
    hidden_features : int, default=50
        Hidden units per layer of the density estimator.
    num_transforms : int, default=5
        Number of flow transforms (ignored by ``"mdn"`` and ``"made"``).
    learning_rate : float, default=5e-4
        Adam learning rate, > 0.
    batch_size : int, default=200
        Training mini-batch size, >= 1.
    validation_fraction : float, default=0.1
        Fraction of the simulations held out for early stopping, in (0, 1).
    patience : int, default=20
        Epochs without improvement of the validation loss before stopping (sbi's
        ``stop_after_epochs``); the best weights are kept.
    max_epochs : int or None, default=None
        Upper bound on the number of epochs; ``None`` trains until early stopping.
    clip_max_norm : float or None, default=5.0
        Gradient-norm clipping; ``None`` disables it.
    n_ensemble : int, default=1
        Number of density estimators trained with different seeds (weight
        initialisation, batch order and train/validation split); the posterior is
        their equal-weight mixture. A mixture of independently trained flows is
        broader where they disagree and so is less often overconfident, a common
        remedy for a posterior that fails calibration checks; it costs
        ``n_ensemble`` trainings and evaluations.
    point_estimate : {"mean", "median", "map"}, default="mean"
        What ``predict`` returns: the posterior mean, the per-parameter marginal
        median, or an approximate maximum a posteriori: the most probable of
        ``n_posterior_samples`` posterior draws (its precision is limited by the
        sample density, not refined by optimisation).
    n_posterior_samples : int, default=1000
        Posterior samples per observation behind ``predict`` (and the number of
        draws used to normalise densities in ``log_prob``), >= 1.
    reject_outside_prior : bool, default=True
        Sample the posterior as NPE defines it: draw from the density estimator and
        reject the draws outside the prior support. ``False`` keeps every draw of the
        density estimator (sbi warns when more than 5 % lie outside the prior): no
        rejection, so it never stalls, but draws, means and medians may then lie where
        the prior is zero. It applies to ``sample``, ``predict`` and
        ``to_inference_data``; ``log_prob`` always sets the density outside the prior
        to ``-inf``.
    min_acceptance_rate : float, default=1e-3
        Budget of the rejection: when, after ``10 / min_acceptance_rate`` draws for an
        observation, fewer than this fraction of them lie inside the prior support,
        sampling stops with a :class:`~crsbi.inference.PosteriorSamplingError` naming
        the observation, its acceptance rate and remedies, instead of running for
        ever. This happens for observations outside the range of the training
        simulations, where the density estimator puts its mass outside the prior. It
        bounds the draws per observation by about ``max(n, 10) / min_acceptance_rate``
        for ``n`` draws wanted. In [0, 1); ``0`` disables the check. Also applies to
        the normalisation of ``log_prob`` (sbi's leakage correction).
    max_sampling_time : float or None, default=None
        Wall-clock limit in seconds on the rejection sampling of one call (checked
        after each batch of draws); exceeding it raises
        :class:`~crsbi.inference.PosteriorSamplingError`. ``None`` sets no limit;
        ``min_acceptance_rate`` alone bounds the work. A time limit makes results
        depend on the machine's speed, so prefer the acceptance floor for
        reproducible runs.
    param_names : sequence of str or None, default=None
        Names of the parameters for ``to_inference_data``; ``None`` gives
        ``theta_0, theta_1, ...``.
    device : str, default="cpu"
        ``"cpu"``, ``"auto"`` (CUDA when available), ``"cuda"``, ``"cuda:N"``.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the train/validation split, the weight initialisation, the batch order
        and the posterior sampling. With an integer, CPU runs are reproducible.
    verbose : int, default=1
        ``0`` is silent; ``1`` shows sbi's training progress; ``2`` adds sampling
        progress bars.

    Attributes
    ----------
    posterior_ : sbi.inference.DirectPosterior or sbi.inference.EnsemblePosterior
        The sbi posterior (density estimator plus prior, with rejection of samples
        outside the prior support); with ``n_ensemble > 1`` sbi's equal-weight
        ensemble of ``posteriors_``. The estimator's methods sample it with the
        budget ``min_acceptance_rate`` / ``max_sampling_time``; calling its own
        ``sample`` bypasses that budget.
    posteriors_ : list of sbi.inference.DirectPosterior
        The ``n_ensemble`` members' posteriors.
    density_estimator_ : torch.nn.Module
        The trained conditional density estimator (the first member's), in
        evaluation mode.
    prior_ : torch.distributions.Distribution
        The prior actually used.
    n_features_in_ : int
        Number of observation features.
    n_params_ : int
        Number of parameters.
    param_names_ : list of str
        Parameter names.
    history_ : list of dict
        One record per epoch: ``epoch``, ``train_loss`` and ``val_loss`` (mean
        negative log posterior density of the training / validation parameters),
        ``duration`` [s]; the first member's.
    histories_ : list of list of dict
        Every member's ``history_``.
    n_iter_ : int
        Number of epochs run (first member).
    best_epoch_ : int
        Epoch with the lowest validation loss, whose weights were kept (first member).
    sampling_seed_ : int
        Torch seed of the posterior sampling done by the prediction methods.
    device_ : str
        Device of the networks (``"cpu"`` after unpickling).

    See Also
    --------
    crsbi.inference.run_calibration : check the posterior's calibration (SBC, TARP,
        coverage of highest-density regions).
    crsbi.inference.PosteriorSamplingError : raised when an observation's posterior
        cannot be sampled inside the prior support.

    Notes
    -----
    NPE learns ``q(theta | x)`` only where the simulations put observations. For an
    observation far outside that range the density estimator extrapolates, and may
    put (almost) all of its mass outside the prior; rejection sampling then keeps
    almost nothing. Rather than loop for ever, ``sample``, ``predict``, ``log_prob``
    (with ``normalize=True``), ``to_inference_data`` and
    :func:`~crsbi.inference.run_calibration` stop after the budget set by
    ``min_acceptance_rate`` and ``max_sampling_time`` and raise
    :class:`~crsbi.inference.PosteriorSamplingError`. Its remedies:
    ``reject_outside_prior=False`` (draw from the density estimator without
    rejection), MCMC with a likelihood (:class:`~crsbi.inference.MCMCPosterior`),
    or a wider prior and simulations that cover the observation.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference import PosteriorEstimator
    >>> from crsbi.inference import simulate_gaussian_linear
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(-2, 2, size=(1000, 2))
    >>> x = simulate_gaussian_linear(theta, noise_std=0.1, random_state=1)
    >>> npe = PosteriorEstimator(prior_low=-2, prior_high=2, hidden_features=20,
    ...                          num_transforms=2, max_epochs=20, random_state=0, verbose=0)
    >>> npe = npe.fit(x, theta)
    >>> npe.predict(x[:3]).shape, npe.sample(x[0], 100).shape
    ((3, 2), (100, 2))
    >>> bool(np.isfinite(npe.score(x[:50], theta[:50])))
    True

    An observation far outside the simulations (here ``|x| <= 2`` up to noise): where
    the flow puts (almost) all its mass outside the prior box, sampling stops with a
    :class:`~crsbi.inference.PosteriorSamplingError` rather than looping for ever, and
    the flow's draws can still be had without the rejection.

    >>> from crsbi.inference import PosteriorSamplingError
    >>> x_far = np.array([5.0, 5.0])
    >>> try:
    ...     draws = npe.sample(x_far, 100)
    ... except PosteriorSamplingError:  # names x_far, its acceptance rate, remedies
    ...     draws = npe.sample(x_far, 100, reject_outside_prior=False)
    >>> draws.shape
    (100, 2)
    """

    def __init__(
        self,
        *,
        prior: Any = None,
        prior_low: Any = None,
        prior_high: Any = None,
        embedding_net: Any = None,
        density_estimator: str = "zuko_maf",
        hidden_features: int = 50,
        num_transforms: int = 5,
        learning_rate: float = 5e-4,
        batch_size: int = 200,
        validation_fraction: float = 0.1,
        patience: int = 20,
        max_epochs: int | None = None,
        clip_max_norm: float | None = 5.0,
        n_ensemble: int = 1,
        point_estimate: str = "mean",
        n_posterior_samples: int = 1000,
        reject_outside_prior: bool = True,
        min_acceptance_rate: float = DEFAULT_MIN_ACCEPTANCE_RATE,
        max_sampling_time: float | None = None,
        param_names: Any = None,
        device: str = "cpu",
        random_state: Any = None,
        verbose: int = 1,
    ) -> None:
        self.prior = prior
        self.prior_low = prior_low
        self.prior_high = prior_high
        self.embedding_net = embedding_net
        self.density_estimator = density_estimator
        self.hidden_features = hidden_features
        self.num_transforms = num_transforms
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.max_epochs = max_epochs
        self.clip_max_norm = clip_max_norm
        self.n_ensemble = n_ensemble
        self.point_estimate = point_estimate
        self.n_posterior_samples = n_posterior_samples
        self.reject_outside_prior = reject_outside_prior
        self.min_acceptance_rate = min_acceptance_rate
        self.max_sampling_time = max_sampling_time
        self.param_names = param_names
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ validation
    def _check_params(self) -> None:
        owner = type(self).__name__
        check_option(self.density_estimator, "density_estimator", owner, _DENSITY_ESTIMATORS)
        check_option(self.point_estimate, "point_estimate", owner, _POINT_ESTIMATES)
        check_interval(self.hidden_features, "hidden_features", owner, kind=int, low=1)
        check_interval(self.num_transforms, "num_transforms", owner, kind=int, low=1)
        check_interval(self.learning_rate, "learning_rate", owner, low=0, closed="neither")
        check_interval(self.batch_size, "batch_size", owner, kind=int, low=1)
        check_interval(
            self.validation_fraction, "validation_fraction", owner, low=0, high=1, closed="neither"
        )
        check_interval(self.patience, "patience", owner, kind=int, low=1)
        check_interval(self.max_epochs, "max_epochs", owner, kind=int, low=1, allow_none=True)
        check_interval(
            self.clip_max_norm, "clip_max_norm", owner, low=0, closed="neither", allow_none=True
        )
        check_interval(self.n_posterior_samples, "n_posterior_samples", owner, kind=int, low=1)
        check_interval(self.n_ensemble, "n_ensemble", owner, kind=int, low=1)
        check_interval(self.verbose, "verbose", owner, kind=int, low=0)
        self._check_sampling_params()
        if self.embedding_net is not None and not isinstance(self.embedding_net, torch.nn.Module):
            raise TypeError(
                f"The 'embedding_net' parameter of {owner} must be a torch.nn.Module or None. "
                f"Got {self.embedding_net!r} instead."
            )
        if self.prior is not None and not isinstance(self.prior, torch.distributions.Distribution):
            raise TypeError(
                f"The 'prior' parameter of {owner} must be a torch.distributions.Distribution "
                f"or None. Got {self.prior!r} instead."
            )
        if (self.prior_low is None) != (self.prior_high is None):
            raise ValueError(
                f"{owner}: give both prior_low and prior_high, or neither. "
                f"Got prior_low={self.prior_low!r}, prior_high={self.prior_high!r}."
            )
        if self.prior is not None and self.prior_low is not None:
            raise ValueError(
                f"{owner}: pass either a prior distribution or prior_low/prior_high, not both."
            )

    def _check_sampling_params(self) -> None:
        """Validate the sampling budget (also at prediction: ``set_params`` may change it)."""
        owner = type(self).__name__
        check_interval(
            self.min_acceptance_rate, "min_acceptance_rate", owner, low=0, high=1, closed="left"
        )
        check_interval(
            self.max_sampling_time,
            "max_sampling_time",
            owner,
            low=0,
            closed="neither",
            allow_none=True,
        )
        self._check_reject_flag(self.reject_outside_prior, owner)

    @staticmethod
    def _check_reject_flag(value: Any, owner: str) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"The 'reject_outside_prior' parameter of {owner} must be a bool. "
                f"Got {value!r} instead."
            )

    def _validate_fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "fit(X, y) needs the parameters y of shape (n_samples,) or "
                "(n_samples, n_params) that generated the observations X."
            )
        X, y = validate_data(
            self, X, y, dtype=_FLOATS, multi_output=True, y_numeric=True, ensure_min_samples=2
        )
        y = np.asarray(y, dtype=np.float64)
        check_finite(y, "y")
        self._y_1d = y.ndim == 1
        theta = y.reshape(len(y), -1)
        self.n_params_ = theta.shape[1]
        n_val = int(self.validation_fraction * len(X))
        if n_val < 1 or n_val >= len(X):
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of n_samples = {len(X)} "
                f"leaves {n_val} validation samples; {type(self).__name__} needs at least one "
                "training and one validation sample. Use more samples or another fraction."
            )
        return X, theta

    def _validate_observations(self, X: Any) -> tuple[np.ndarray, bool]:
        """Validate observations; a 1-D array of length ``n_features_in_`` is one observation."""
        check_is_fitted(self, "posterior_")
        single = np.ndim(X) == 1 and not hasattr(X, "columns")
        if single:
            X = np.asarray(X)
            if len(X) != self.n_features_in_:
                raise ValueError(
                    f"A 1-D X is read as one observation of shape (n_features,) = "
                    f"({self.n_features_in_},); got shape {X.shape}. Pass several "
                    "observations as a 2-D array of shape (n_observations, n_features)."
                )
            X = X[None, :]
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return X, single

    def _validate_theta(self, theta: Any, name: str = "theta") -> np.ndarray:
        """Parameters as an array whose last axis has length ``n_params_``."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.ndim == 1 and self.n_params_ == 1:
            theta = theta[:, None]
        elif theta.ndim == 1:
            theta = theta[None, :]
        if theta.ndim not in (2, 3) or theta.shape[-1] != self.n_params_:
            raise ValueError(
                f"{name} must have shape (n_params,), (n, n_params) or "
                f"(n_observations, n, n_params) with n_params = {self.n_params_}; got an array "
                f"of shape {np.shape(theta)} instead."
            )
        return check_finite(theta, name)

    def _resolve_param_names(self) -> list[str]:
        names = self.param_names
        if isinstance(names, str):
            names = [names]
        return list(check_param_names(names, self.n_params_, type(self).__name__))

    # -------------------------------------------------------------- building
    def _build_prior(self, theta: np.ndarray) -> Any:
        from crsbi.inference._sbi import BoxUniform

        n_params = theta.shape[1]
        if self.prior is not None:
            prior = copy.deepcopy(self.prior)
            if tuple(prior.event_shape) != (n_params,):
                raise ValueError(
                    f"The prior must have event_shape (n_params,) = ({n_params},) to match y; "
                    f"got event_shape {tuple(prior.event_shape)}. Wrap a univariate "
                    "distribution in torch.distributions.Independent or use BoxUniform."
                )
            return prior
        if self.prior_low is not None:
            low = self._broadcast_bound(self.prior_low, "prior_low", n_params)
            high = self._broadcast_bound(self.prior_high, "prior_high", n_params)
            if not np.all(low < high):
                raise ValueError(
                    f"prior_low must be below prior_high for every parameter. "
                    f"Got prior_low={low.tolist()}, prior_high={high.tolist()}."
                )
        else:
            lo, hi = theta.min(axis=0), theta.max(axis=0)
            span = hi - lo
            pad = np.where(
                span > 0, _PRIOR_PADDING * span, _PRIOR_PADDING * np.maximum(1.0, np.abs(lo))
            )
            low, high = lo - pad, hi + pad
        return BoxUniform(
            low=torch.as_tensor(low, dtype=torch.float32),
            high=torch.as_tensor(high, dtype=torch.float32),
            device=self.device_,
        )

    @staticmethod
    def _broadcast_bound(value: Any, name: str, n_params: int) -> np.ndarray:
        array = np.asarray(value, dtype=np.float64)
        if array.ndim == 0:
            array = np.full(n_params, float(array))
        if array.shape != (n_params,) or not np.all(np.isfinite(array)):
            raise ValueError(
                f"{name} must be a finite float or an array of shape (n_params,) = "
                f"({n_params},). Got {value!r} instead."
            )
        return array

    def _check_in_prior(self, prior: Any, theta: torch.Tensor) -> None:
        from crsbi.inference._sbi import within_support

        inside = within_support(prior, theta).reshape(-1).cpu().numpy()
        if not inside.all():
            first = int(np.argmin(inside))
            raise ValueError(
                f"{int((~inside).sum())} of {len(inside)} rows of y lie outside the support of "
                f"the prior (first at row {first}: {theta[first].tolist()}). NPE learns the "
                "posterior only inside the prior; widen the prior or drop those simulations."
            )

    # ------------------------------------------------------------- training
    def fit(self, X: Any, y: Any) -> PosteriorEstimator:
        """Train the posterior estimator on simulations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Simulated observations.
        y : array-like of shape (n_samples,) or (n_samples, n_params)
            Parameters that generated each observation, drawn from the prior.

        Returns
        -------
        self
            The fitted estimator.
        """
        from crsbi.inference._sbi import EnsemblePosterior

        self._check_params()
        rng = check_random_state(self.random_state)
        X, theta = self._validate_fit_data(X, y)
        self.param_names_ = self._resolve_param_names()
        self.device_ = resolve_device(self.device)
        train_seeds = [torch_seed(rng)]
        self.sampling_seed_ = torch_seed(rng)
        train_seeds += [torch_seed(rng) for _ in range(self.n_ensemble - 1)]
        theta_t, x_t = _as_tensor(theta, "cpu"), _as_tensor(X, "cpu")
        with seeded_torch(train_seeds[0], self.device_):
            prior = self._build_prior(theta)
            self._check_in_prior(prior, theta_t.to(self.device_))
        members = [self._train_member(prior, theta_t, x_t, seed) for seed in train_seeds]
        self.posteriors_ = [posterior for posterior, _, _ in members]
        self.histories_ = [history for _, _, history in members]
        self.history_ = self.histories_[0]
        self.n_iter_ = len(self.history_)
        self.best_epoch_ = int(np.argmin([r["val_loss"] for r in self.history_])) + 1
        self.posterior_ = (
            self.posteriors_[0] if self.n_ensemble == 1 else EnsemblePosterior(self.posteriors_)
        )
        self.density_estimator_ = members[0][1]
        self.prior_ = prior
        return self

    def _train_member(
        self, prior: Any, theta_t: torch.Tensor, x_t: torch.Tensor, seed: int
    ) -> tuple[Any, torch.nn.Module, list[dict[str, float]]]:
        """Train one density estimator; return its posterior, network and history."""
        from crsbi.inference._sbi import NPE, NullTracker, posterior_nn

        with seeded_torch(seed, self.device_):
            embedding = (
                torch.nn.Identity()
                if self.embedding_net is None
                else copy.deepcopy(self.embedding_net)
            )
            builder = posterior_nn(
                model=self.density_estimator,
                hidden_features=self.hidden_features,
                num_transforms=self.num_transforms,
                embedding_net=embedding,
            )
            inference = NPE(
                prior=prior,
                density_estimator=builder,
                device=self.device_,
                show_progress_bars=self.verbose > 0,
                tracker=NullTracker(),
            )
            inference.append_simulations(theta_t, x_t)
            # sbi prints its convergence message to stdout unconditionally
            quiet = contextlib.redirect_stdout(io.StringIO()) if self.verbose == 0 else None
            with quiet or contextlib.nullcontext():
                estimator = inference.train(
                    training_batch_size=self.batch_size,
                    learning_rate=self.learning_rate,
                    validation_fraction=self.validation_fraction,
                    stop_after_epochs=self.patience,
                    max_num_epochs=2**31 - 1 if self.max_epochs is None else self.max_epochs,
                    clip_max_norm=self.clip_max_norm,
                )
            posterior = inference.build_posterior(estimator, prior=prior)
        estimator.eval()
        summary = inference.summary
        history = [
            {"epoch": i + 1, "train_loss": float(t), "val_loss": float(v), "duration": float(d)}
            for i, (t, v, d) in enumerate(
                zip(
                    summary["training_loss"],
                    summary["validation_loss"],
                    summary["epoch_durations_sec"],
                    strict=True,
                )
            )
        ]
        return posterior, estimator, history

    # ------------------------------------------------------- sampling core
    def _seed(self, random_state: Any) -> int:
        if random_state is None:
            return self.sampling_seed_
        return torch_seed(check_random_state(random_state))

    def _members(self) -> list[Any]:
        """Return the members' posteriors (one for pickles made before ensembles)."""
        return getattr(self, "posteriors_", None) or [self.posterior_]

    def _budget(
        self, purpose: str = "Posterior sampling", remedies: tuple[str, ...] = ESTIMATOR_REMEDIES
    ) -> SamplingBudget:
        """Return the sampling budget of one public call (its clock starts now)."""
        self._check_sampling_params()
        return SamplingBudget(
            min_acceptance_rate=float(self.min_acceptance_rate),
            max_sampling_time=self.max_sampling_time,
            remedies=remedies,
            note=ESTIMATOR_NOTE,
            purpose=purpose,
        )

    def _sample_array(
        self,
        X: np.ndarray,
        n_samples: int,
        seed: int,
        *,
        reject_outside_prior: bool | None = None,
    ) -> np.ndarray:
        """Posterior draws of shape (n_observations, n_samples, n_params) for validated X.

        With several members, each chunk of observations gets multinomial counts of
        draws per member (equal weights); the draws are then shuffled along the sample
        axis, so that every observation's draws are an i.i.d. sample of the mixture.
        ``reject_outside_prior=None`` uses the estimator's parameter. Raises
        :class:`~crsbi.inference.PosteriorSamplingError` when the rejection exceeds the
        budget (``min_acceptance_rate``, ``max_sampling_time``).
        """
        budget = self._budget()
        if reject_outside_prior is None:
            reject_outside_prior = self.reject_outside_prior
        self._check_reject_flag(reject_outside_prior, f"{type(self).__name__}.sample")
        x = _as_tensor(X, self.device_)
        members = self._members()
        chunk = max(1, min(len(x), _MAX_BATCH // n_samples))
        out = []
        with seeded_torch(seed, self.device_), torch.no_grad():
            for start in range(0, len(x), chunk):
                xs = x[start : start + chunk]
                draw = functools.partial(
                    self._draw,
                    xs=xs,
                    budget=budget,
                    observations=X[start : start + chunk],
                    first_index=start,
                    reject_outside_prior=bool(reject_outside_prior),
                )
                if len(members) == 1:
                    draws = draw(members[0], n_samples=n_samples)
                else:
                    picks = torch.multinomial(torch.ones(len(members)), n_samples, replacement=True)
                    counts = torch.bincount(picks, minlength=len(members)).tolist()
                    draws = torch.cat(
                        [
                            draw(member, n_samples=count)
                            for member, count in zip(members, counts, strict=True)
                            if count > 0
                        ],
                        dim=1,
                    )
                    order = torch.argsort(torch.rand(len(xs), n_samples, device=draws.device))
                    draws = torch.gather(draws, 1, order[..., None].expand_as(draws))
                out.append(draws.cpu())
        return torch.cat(out).numpy().astype(np.float64)

    def _draw(
        self,
        posterior: Any,
        *,
        xs: torch.Tensor,
        n_samples: int,
        budget: SamplingBudget,
        observations: np.ndarray,
        first_index: int,
        reject_outside_prior: bool,
    ) -> torch.Tensor:
        """``n_samples`` draws of one member for each row of ``xs``: (len(xs), n, n_params).

        With rejection, the draws of sbi's ``sample_batched`` (same batches, same
        seeded results) under ``budget``; without, the density estimator's draws.
        """
        batch_size = max(1, _MAX_BATCH // len(xs))
        progress = self.verbose > 1
        if not reject_outside_prior:
            draws = posterior.sample_batched(
                (n_samples,),
                x=xs,
                max_sampling_batch_size=batch_size,
                show_progress_bars=progress,
                reject_outside_prior=False,
            ).transpose(0, 1)
        elif has_bounded_sampler(posterior):
            draws = sample_in_support(
                posterior,
                xs,
                n_samples,
                max_batch_size=batch_size,
                budget=budget,
                observations=observations,
                first_index=first_index,
            )[0].transpose(0, 1)
        else:  # not an sbi direct posterior: its own sampler
            draws = posterior.sample_batched(
                (n_samples,), x=xs, max_sampling_batch_size=batch_size, show_progress_bars=progress
            ).transpose(0, 1)
        return draws.reshape(len(xs), n_samples, self.n_params_)

    def _log_prob_array(
        self, theta: np.ndarray, X: np.ndarray, *, normalize: bool, seed: int
    ) -> np.ndarray:
        """Log densities of theta (n_observations, m, n_params) given X -> (n_observations, m).

        With ``normalize`` the density is divided by the posterior mass inside the prior
        support, estimated from ``n_posterior_samples`` draws per observation (sbi's
        leakage correction, under the sampling budget); without, it is the density
        estimator's, masked to -inf outside the prior (enough to rank parameters for the
        same observation). With several members, the log of the mean of their densities
        (each normalised on its own).
        """
        n_obs, m, _ = theta.shape
        x, th = _as_tensor(X, self.device_), _as_tensor(theta, self.device_)
        members = self._members()
        chunk = max(1, min(n_obs, _MAX_BATCH // max(m, self.n_posterior_samples)))
        budget = self._budget("Normalising log_prob", LOG_PROB_REMEDIES) if normalize else None
        out = []
        with seeded_torch(seed, self.device_), torch.no_grad():
            for start in range(0, n_obs, chunk):
                xs, ts = x[start : start + chunk], th[start : start + chunk]
                values = torch.stack(
                    [
                        self._member_log_prob(
                            member, ts, xs, budget, X[start : start + chunk], start
                        )
                        for member in members
                    ]
                )
                values = torch.logsumexp(values, dim=0) - np.log(len(members))
                out.append(values.reshape(len(xs), m).cpu())
        return torch.cat(out).numpy().astype(np.float64)

    def _member_log_prob(
        self,
        posterior: Any,
        ts: torch.Tensor,
        xs: torch.Tensor,
        budget: SamplingBudget | None,
        observations: np.ndarray,
        first_index: int,
    ) -> torch.Tensor:
        """One member's log densities of ``ts`` (len(xs), m, n_params) -> (len(xs), m).

        ``budget=None``: unnormalised. Otherwise divided by the acceptance rate of
        ``n_posterior_samples`` draws (what sbi's ``leakage_correction`` computes, with
        the same draws), under ``budget``.
        """
        batch_size = max(1, _MAX_BATCH // len(xs))
        if budget is not None and not has_bounded_sampler(posterior):
            # not an sbi direct posterior: its own normalisation
            leakage = {
                "num_rejection_samples": self.n_posterior_samples,
                "rejection_sampling_batch_size": batch_size,
            }
            return posterior.log_prob_batched(
                ts.transpose(0, 1), x=xs, norm_posterior=True, leakage_correction_params=leakage
            ).transpose(0, 1)
        try:
            values = posterior.log_prob_batched(
                ts.transpose(0, 1), x=xs, norm_posterior=False
            ).transpose(0, 1)
        except NotImplementedError:
            values = torch.stack(
                [
                    posterior.log_prob(ti, x=xi[None], norm_posterior=False)
                    for ti, xi in zip(ts, xs, strict=True)
                ]
            )
        if budget is None:
            return values
        _, acceptance = sample_in_support(
            posterior,
            xs,
            self.n_posterior_samples,
            max_batch_size=batch_size,
            budget=budget,
            observations=observations,
            first_index=first_index,
        )
        return values - torch.log(acceptance.to(values.device))[:, None]

    # ---------------------------------------------------------- public verbs
    def sample(
        self,
        X: Any,
        n_samples: int = 1000,
        *,
        random_state: Any = None,
        reject_outside_prior: bool | None = None,
    ) -> np.ndarray:
        """Draw parameters from the posterior of each observation.

        Parameters
        ----------
        X : array-like of shape (n_observations, n_features) or (n_features,)
            Observations; a 1-D array is one observation.
        n_samples : int, default=1000
            Draws per observation, >= 1.
        random_state : None, int or numpy.random.Generator, default=None
            Seed of the draws; ``None`` uses the estimator's ``sampling_seed_``, so
            repeated calls return the same draws. Pass different seeds for
            independent draws.
        reject_outside_prior : bool or None, default=None
            Overrides the estimator's ``reject_outside_prior`` for this call: ``False``
            returns the density estimator's draws without rejecting those outside the
            prior support (they may lie outside it).

        Returns
        -------
        ndarray of shape (n_observations, n_samples, n_params) or (n_samples, n_params)
            Posterior draws in the units of ``y``; the second form for a 1-D ``X``.
            The parameter axis is kept even for a single parameter.

        Raises
        ------
        PosteriorSamplingError
            When, for some observation, too few draws of the density estimator lie
            inside the prior support (``min_acceptance_rate``) or the rejection takes
            longer than ``max_sampling_time``; the message names the observation and
            its acceptance rate.
        """
        X, single = self._validate_observations(X)
        check_interval(n_samples, "n_samples", f"{type(self).__name__}.sample", kind=int, low=1)
        draws = self._sample_array(
            X,
            int(n_samples),
            self._seed(random_state),
            reject_outside_prior=reject_outside_prior,
        )
        return draws[0] if single else draws

    def log_prob(self, theta: Any, X: Any, *, normalize: bool = True) -> np.ndarray:
        """Log posterior density ``log q(theta | x)``.

        Parameters
        ----------
        theta : array-like
            Parameters, in one of these layouts (``n`` observations in ``X``):

            - ``(n_params,)``, or ``(n,)`` for a one-parameter model: one value per
              observation (or one value for all);
            - ``(m, n_params)``: with one observation, ``m`` parameter points
              evaluated at it; with ``n`` observations and ``m == n``, row ``i`` at
              observation ``i``; with ``m == 1``, that point at every observation;
            - ``(n, m, n_params)``: ``m`` points per observation (the layout
              :meth:`sample` returns).
        X : array-like of shape (n, n_features) or (n_features,)
            Observations; a 1-D array is one observation.
        normalize : bool, default=True
            Divide the flow density by its mass inside the prior support (estimated
            from ``n_posterior_samples`` seeded draws per observation), so that the
            density integrates to one over the prior. ``False`` is faster and enough
            to compare parameters for the same observation.

        Returns
        -------
        ndarray
            Shape ``(m,)`` for one observation and 2-D ``theta``, ``(n,)`` for
            paired or broadcast parameters, ``(n, m)`` for 3-D ``theta``; ``-inf``
            outside the prior support. Units: log of inverse ``y`` units.
        """
        X, _ = self._validate_observations(X)
        theta = self._validate_theta(theta)
        n_obs = len(X)
        if theta.ndim == 3:
            if len(theta) != n_obs:
                raise ValueError(
                    f"A 3-D theta must have shape (n_observations, m, n_params) with "
                    f"n_observations = {n_obs}; got {theta.shape}."
                )
            grid, squeeze = theta, None
        elif n_obs == 1:
            grid, squeeze = theta[None], "first"
        elif len(theta) == n_obs:
            grid, squeeze = theta[:, None, :], "second"
        elif len(theta) == 1:
            grid, squeeze = np.broadcast_to(theta, (n_obs, self.n_params_))[:, None], "second"
        else:
            raise ValueError(
                f"theta has {len(theta)} rows but X has {n_obs} observations; pass one row "
                "per observation, a single row, or a 3-D (n_observations, m, n_params) array."
            )
        values = self._log_prob_array(
            np.ascontiguousarray(grid), X, normalize=normalize, seed=self.sampling_seed_
        )
        if squeeze == "first":
            return values[0]
        if squeeze == "second":
            return values[:, 0]
        return values

    def predict(self, X: Any) -> np.ndarray:
        """Posterior point estimate per observation (``point_estimate``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.

        Returns
        -------
        ndarray of shape (n_samples, n_params) or (n_samples,)
            Estimates in the units of ``y``; 1-D when the estimator was fitted on 1-D
            ``y``. Computed from ``n_posterior_samples`` seeded posterior draws.
        """
        check_is_fitted(self, "posterior_")
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        draws = self._sample_array(X, self.n_posterior_samples, self.sampling_seed_)
        if self.point_estimate == "mean":
            estimate = draws.mean(axis=1)
        elif self.point_estimate == "median":
            estimate = np.median(draws, axis=1)
        else:
            log_density = self._log_prob_array(draws, X, normalize=False, seed=self.sampling_seed_)
            best = np.argmax(log_density, axis=1)
            estimate = draws[np.arange(len(draws)), best]
        return estimate[:, 0] if self._y_1d else estimate

    def score(self, X: Any, y: Any) -> float:
        """Mean log posterior density of the true parameters (higher is better).

        ``mean_i log q(y_i | x_i)`` is a proper scoring rule: in expectation over the
        simulations it is highest for the true posterior. It is what
        :func:`sklearn.model_selection.cross_val_score` and grid searches maximise,
        and minus the loss NPE trains on.

        The density is the density estimator's, set to ``-inf`` outside the prior
        support but not renormalised for the mass the flow puts outside it (that
        would cost ``n_posterior_samples`` draws per observation, see
        :meth:`log_prob`). It is thus exact and deterministic, equals
        ``log_prob(..., normalize=True)`` when that mass is negligible, and lies
        below it otherwise: the unnormalised density is a sub-probability density,
        so the score stays proper and penalises leakage.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Observations.
        y : array-like of shape (n_samples,) or (n_samples, n_params)
            True parameters.

        Returns
        -------
        float
            Mean log density; ``-inf`` if a parameter lies outside the prior support.
        """
        check_is_fitted(self, "posterior_")
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        theta = self._validate_theta(y, "y")
        if theta.ndim != 2 or len(theta) != len(X):
            raise ValueError(
                f"y must have shape (n_samples, n_params) = ({len(X)}, {self.n_params_}) "
                f"to match X; got an array of shape {np.shape(y)} instead."
            )
        values = self._log_prob_array(
            theta[:, None, :], X, normalize=False, seed=self.sampling_seed_
        )
        return float(np.mean(values))

    def to_inference_data(self, x_obs: Any, n_samples: int | None = None) -> Any:
        """Posterior draws for an observation as an :class:`arviz.InferenceData`.

        Parameters
        ----------
        x_obs : array-like of shape (n_features,) or (n_observations, n_features)
            One observation, or several (then every variable has an extra
            ``observation`` dimension).
        n_samples : int or None, default=None
            Number of draws; ``None`` uses ``n_posterior_samples``.

        Returns
        -------
        arviz.InferenceData
            A ``posterior`` group with one variable per parameter (named by
            ``param_names_``), one chain, and an ``observed_data`` group holding
            ``x_obs`` as ``x``.
        """
        from crsbi.core.imports import import_arviz

        az = import_arviz()

        n_samples = self.n_posterior_samples if n_samples is None else n_samples
        X, single = self._validate_observations(x_obs)
        check_interval(
            n_samples, "n_samples", f"{type(self).__name__}.to_inference_data", kind=int, low=1
        )
        draws = self._sample_array(X, int(n_samples), self.sampling_seed_)
        if single or len(X) == 1:
            posterior = {name: draws[0, :, i][None] for i, name in enumerate(self.param_names_)}
            return az.from_dict(
                posterior=posterior,
                observed_data={"x": X[0]},
                dims={"x": ["feature"]},
            )
        posterior = {name: draws[:, :, i].T[None] for i, name in enumerate(self.param_names_)}
        return az.from_dict(
            posterior=posterior,
            observed_data={"x": X},
            coords={"observation": np.arange(len(X))},
            dims={
                **{name: ["observation"] for name in self.param_names_},
                "x": ["observation", "feature"],
            },
        )

    # ----------------------------------------------------------- persistence
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        if getattr(self, "device_", "cpu") != "cpu" and "posterior_" in state:
            names = ("posterior_", "posteriors_", "density_estimator_", "prior_")
            fitted = copy.deepcopy({k: state[k] for k in names if k in state})
            # each moves its shared estimator and prior too
            for posterior in [fitted["posterior_"], *fitted.get("posteriors_", [])]:
                posterior.to("cpu")
            state.update(fitted)
            state["device_"] = "cpu"
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # estimators pickled before the sampling budget existed get its defaults
        defaults = {
            "reject_outside_prior": True,
            "min_acceptance_rate": DEFAULT_MIN_ACCEPTANCE_RATE,
            "max_sampling_time": None,
        }
        super().__setstate__({**defaults, **state})

    # ------------------------------------------------------------ sklearn
    def _expected_failed_checks(self) -> dict[str, str]:
        """Scikit-learn common checks this estimator fails by design, with reasons."""
        reason = (
            "predict summarises Monte Carlo posterior draws made in batches with one seed; "
            "the draws for an observation depend on the other observations in the batch, "
            "so estimates move by O(posterior std / sqrt(n_posterior_samples)) when rows are "
            "reordered or subset (batched sampling is kept for speed)."
        )
        return {
            "check_methods_subset_invariance": reason,
            "check_methods_sample_order_invariance": reason,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        return tags
