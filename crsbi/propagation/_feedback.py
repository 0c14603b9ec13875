"""The feedback loop, the NPE route and the summary statistics of :mod:`crsbi.propagation.inverter`.

Kept apart from the estimator class so each module stays short; everything here is
used through :class:`crsbi.propagation.inverter.PropagationInverter` or re-exported by
:mod:`crsbi.propagation.inverter`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from crsbi.core.random import check_random_state, seeded_torch, torch_seed
from crsbi.core.validation import check_finite, check_interval

__all__ = [
    "FeedbackMixin",
    "fit_posterior",
    "learning_systematics",
    "relative_shift",
    "sigma_fractions",
]


# ---------------------------------------------------------------- statistics
def relative_shift(theta: Any, theta_prime: Any, *, floor: Any = 0.0) -> np.ndarray:
    """Compute the paper's ``tau_i = (theta'_i - theta_i) / theta_i``, with a floored denominator.

    Parameters
    ----------
    theta, theta_prime : array-like of shape (n, n_params)
        First and second prediction (physical units).
    floor : float or array-like of shape (n_params,), default=0.0
        Lower bound on ``|theta_i|`` in the denominator, so parameters whose prior
        includes 0 (``eta``, ``v_A``, ``nu1``) do not blow ``tau`` up.

    Returns
    -------
    ndarray of shape (n, n_params)

    Examples
    --------
    >>> from crsbi.propagation._feedback import relative_shift
    >>> relative_shift([[2.0, 0.0]], [[2.2, 0.1]], floor=[0.0, 1.0]).round(3)
    array([[0.1, 0.1]])
    """
    a = np.asarray(theta, dtype=float)
    b = np.asarray(theta_prime, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(
            f"theta and theta_prime must both have shape (n, n_params); got {a.shape} and "
            f"{b.shape}."
        )
    denominator = np.maximum(np.abs(a), np.asarray(floor, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (b - a) / denominator


def learning_systematics(
    relative_error: Any, param_names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Table 3 of Tsai et al. (2022): median and 68 % interval of relative errors.

    Parameters
    ----------
    relative_error : array-like of shape (n, n_params)
        ``(predicted - true) / true`` per sample (non-finite entries are dropped).
    param_names : sequence of str or None
        Row labels.

    Returns
    -------
    list of dict
        Per parameter: ``parameter``, ``median_%``, ``minus_%`` and ``plus_%`` (distance
        from the median to the 16th and 84th percentiles, in per cent).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.propagation._feedback import learning_systematics
    >>> err = np.random.default_rng(0).normal(0.0, 0.01, size=(20000, 1))
    >>> row = learning_systematics(err, ["D0"])[0]
    >>> round(row["plus_%"], 1), round(row["minus_%"], 1)
    (1.0, 1.0)
    """
    err = np.asarray(relative_error, dtype=float)
    if err.ndim != 2:
        raise ValueError(f"relative_error must have shape (n, n_params); got {err.shape}.")
    names = (
        list(param_names)
        if param_names is not None
        else [f"theta_{i}" for i in range(err.shape[1])]
    )
    rows = []
    for j, name in enumerate(names):
        column = err[:, j][np.isfinite(err[:, j])]
        if column.size == 0:
            rows.append({"parameter": name, "median_%": np.nan, "minus_%": np.nan,
                         "plus_%": np.nan})  # fmt: skip
            continue
        lo, med, hi = np.percentile(column, [15.865, 50.0, 84.135])
        rows.append(
            {
                "parameter": name,
                "median_%": float(100 * med),
                "minus_%": float(100 * (med - lo)),
                "plus_%": float(100 * (hi - med)),
            }
        )
    return rows


def sigma_fractions(
    chi2: Any, chi2_min: float, n_params: int, levels: Sequence[float] = (3.0, 4.0, 6.0)
) -> dict[str, float]:
    """Table 4 of Tsai et al. (2022): fraction of parameter sets within n sigma of the best fit.

    A set is within ``n`` sigma when ``chi2 - chi2_min`` is below the ``Delta chi^2`` of a
    ``n_params``-dimensional confidence region with the Gaussian ``n``-sigma probability
    ``erf(n / sqrt 2)``.

    Parameters
    ----------
    chi2 : array-like of shape (n,)
        chi^2 of each parameter set against the data.
    chi2_min : float
        Best-fit chi^2.
    n_params : int
        Number of fitted parameters (degrees of freedom of ``Delta chi^2``).
    levels : sequence of float, default=(3, 4, 6)
        Significances in sigma.

    Returns
    -------
    dict
        ``{"3 sigma": fraction, ...}``.

    Examples
    --------
    >>> from crsbi.propagation._feedback import sigma_fractions
    >>> sigma_fractions([10.0, 20.0, 60.0], 5.0, 1, levels=(3,))
    {'3 sigma': 0.333...}
    """
    values = check_finite(np.asarray(chi2, dtype=float).ravel(), "chi2")
    check_interval(n_params, "n_params", "sigma_fractions", kind=int, low=1)
    out = {}
    for level in levels:
        probability = 1.0 - 2.0 * stats.norm.sf(float(level))
        threshold = stats.chi2.isf(1.0 - probability, df=n_params)
        out[f"{level:g} sigma"] = float(np.mean(values - chi2_min <= threshold))
    return out


# ----------------------------------------------------------------- NPE route
def fit_posterior(estimator: Any, X: Any, y: Any) -> Any:
    """Fit ``estimator`` (a PropagationInverter with ``posterior=True``) by NPE."""
    from crsbi.core.base import BaseNeuralEstimator
    from crsbi.inference.posterior import PosteriorEstimator
    from crsbi.propagation.preprocessing import _log_ratio_features

    estimator._check_training_params()
    frozen = estimator.pretrain_embedding == "frozen"
    if frozen:
        # disjoint halves: a summary trained on the flow's own simulations is more
        # accurate there than on new data, and the flow would inherit that overconfidence
        X, y = np.asarray(X), np.asarray(y)
        if len(X) < 4:
            raise ValueError(
                "pretrain_embedding='frozen' splits the simulations in two halves and needs "
                f"at least 4 samples; got {len(X)}."
            )
        order = check_random_state(estimator.random_state).permutation(len(X))
        half = len(X) // 2
        X_embed, y_embed = X[order[:half]], y[order[:half]]
        X, y = X[order[half:]], y[order[half:]]
    else:
        X_embed, y_embed = X, y
    if estimator.pretrain_embedding:
        # the paper's regression machine first; its network becomes the embedding net
        BaseNeuralEstimator.fit(estimator, X_embed, y_embed)
        estimator._record_validation_errors()
        pretrained = copy.deepcopy(estimator.module_.cnn).cpu()
        scaling = (estimator.feature_mean_, estimator.feature_scale_)
    rng = check_random_state(estimator.random_state)
    inputs, w = estimator._validate_fit_data(X, y)
    if frozen:  # the CNN expects the standardisation it was trained with
        estimator.feature_mean_, estimator.feature_scale_ = scaling
    if estimator.noise > 0:
        u = estimator.noise * rng.uniform(-1.0, 1.0, size=inputs.shape)
        inputs = inputs + np.log10(1 + u) if estimator.features == "ratios" else inputs * (1 + u)
    feats = inputs if estimator._pivot is None else _log_ratio_features(inputs, *estimator._pivot)
    feats = (feats - estimator.feature_mean_) / estimator.feature_scale_
    with seeded_torch(torch_seed(rng)):
        cnn = BaseNeuralEstimator._build_module(estimator, inputs, w)
    flow_inputs, summary_net = feats.reshape(len(feats), -1), None
    if estimator.pretrain_embedding:
        cnn = pretrained
        if frozen:
            # a fixed summary: computed once, so the flow's epochs never run the CNN and
            # training the flow to convergence (what calibrates it) stays cheap
            summary_net, cnn = pretrained.eval(), None
            for parameter in summary_net.parameters():
                parameter.requires_grad_(False)
            flow_inputs = _apply_net(summary_net, flow_inputs)
    options = {
        "hidden_features": 50,
        "num_transforms": 5,
        "n_posterior_samples": 1000,
        "learning_rate": estimator.lr,
        "batch_size": estimator.batch_size,
        "max_epochs": estimator.max_epochs,
        "validation_fraction": estimator.validation_fraction or 0.1,
        "patience": estimator.patience or 20,
        **(estimator.npe_kwargs or {}),
    }
    npe = PosteriorEstimator(
        prior_low=0.0,
        prior_high=1.0,
        embedding_net=cnn,
        param_names=list(_param_names(estimator)),
        device=estimator.device,
        random_state=int(rng.integers(0, 2**31 - 1)),
        verbose=estimator.verbose,
        **options,
    ).fit(flow_inputs, w)
    estimator.summary_net_ = summary_net
    estimator.posterior_estimator_ = npe
    if not estimator.pretrain_embedding:
        estimator.module_ = npe.density_estimator_
        estimator.history_ = npe.history_
        estimator.n_iter_ = npe.n_iter_
        estimator.best_epoch_ = npe.best_epoch_
        estimator.device_ = npe.device_
        estimator.validation_std_ = np.full(estimator.n_outputs_, np.nan)
        estimator.validation_relative_error_ = np.empty((0, estimator.n_outputs_))
    estimator.npe_history_ = npe.history_
    return estimator


def _apply_net(net: Any, inputs: np.ndarray) -> np.ndarray:
    """Apply a fixed network to ``inputs`` (CPU, no gradients, in prediction batches)."""
    import torch

    from crsbi.core.base import PREDICT_BATCH_SIZE

    dtype = next(net.parameters()).dtype
    with torch.no_grad():
        outputs = [
            net(torch.as_tensor(inputs[start : start + PREDICT_BATCH_SIZE], dtype=dtype))
            for start in range(0, len(inputs), PREDICT_BATCH_SIZE)
        ]
    return torch.cat(outputs).double().numpy()


def _param_names(estimator: Any) -> tuple[str, ...]:
    from crsbi.propagation.galactic import PARAM_NAMES, param_names

    model = getattr(estimator, "model", None)
    if model is not None:
        return param_names(model)
    if estimator.n_outputs_ == len(PARAM_NAMES):
        return PARAM_NAMES
    return tuple(f"theta_{i}" for i in range(estimator.n_outputs_))


class FeedbackMixin:
    """Posterior verbs and the feedback loop of :class:`~crsbi.propagation.PropagationInverter`."""

    # -------------------------------------------------------- posterior verbs
    def _posterior_inputs(self, X: Any) -> tuple[np.ndarray, bool]:
        from crsbi.propagation.preprocessing import _log_ratio_features

        check_is_fitted(self, "whitener_")
        if getattr(self, "posterior_estimator_", None) is None:
            raise AttributeError(
                "sample, log_prob and to_inference_data need a PropagationInverter fitted "
                "with posterior=True."
            )
        array = np.asarray(X, dtype=float)
        single = array.ndim == 1 or (
            array.ndim == 2 and array.shape == tuple(self.input_shape_)
            and array.shape[1] != self.n_features_in_
        )  # fmt: skip
        if single:
            array = array.reshape(1, -1)
        inputs = self._validate_predict_data(array)
        feats = inputs if self._pivot is None else _log_ratio_features(inputs, *self._pivot)
        feats = (feats - self.feature_mean_) / self.feature_scale_
        return feats.reshape(len(feats), -1), single

    def _flow_inputs(self, feats: np.ndarray) -> np.ndarray:
        """Return what the flow is conditioned on: the features or the frozen CNN's summaries."""
        net = getattr(self, "summary_net_", None)  # absent from pickles made before it
        return feats if net is None else _apply_net(net, feats)

    def sample(self, X: Any, n_samples: int = 1000, *, random_state: Any = None) -> np.ndarray:
        """Draw parameters from the NPE posterior (``posterior=True`` only).

        Parameters
        ----------
        X : array-like of shape (n, 5, n_bins), (n, 5 n_bins), (5, n_bins) or (5 n_bins,)
            Fluxes; the last two forms are one observation.
        n_samples : int, default=1000
            Draws per observation.
        random_state : None, int or numpy.random.Generator
            Seed; ``None`` uses the estimator's fixed sampling seed.

        Returns
        -------
        ndarray of shape (n, n_samples, n_params) or (n_samples, n_params)
            Draws in physical units, inside ``param_bounds`` (unless the posterior
            estimator was given ``reject_outside_prior=False`` through ``npe_kwargs``).

        Raises
        ------
        crsbi.inference.PosteriorSamplingError
            If an observation lies so far outside the training spectra that almost no
            draw of the flow falls inside ``param_bounds`` (the budget is set by
            ``npe_kwargs``' ``min_acceptance_rate`` and ``max_sampling_time``).
        """
        feats, single = self._posterior_inputs(X)
        draws = self.posterior_estimator_.sample(
            self._flow_inputs(feats), n_samples, random_state=random_state
        )
        shape = draws.shape
        physical = self.whitener_.inverse_transform(draws.reshape(-1, shape[-1]))
        physical = physical.reshape(shape)
        return physical[0] if single else physical

    def log_prob(self, theta: Any, X: Any, *, normalize: bool = True) -> np.ndarray:
        """Log posterior density of physical parameters (``posterior=True`` only).

        The NPE density of the whitened parameters plus the log-Jacobian of the
        whitening, so the result is a density in physical units.

        Parameters
        ----------
        theta : array-like
            Parameters in physical units, in the layouts of
            :meth:`crsbi.inference.PosteriorEstimator.log_prob`.
        X : array-like
            Observations, as in :meth:`sample`.
        normalize : bool, default=True
            Correct for the flow's mass outside the prior box.

        Returns
        -------
        ndarray
            Log densities [log of inverse parameter units], ``-inf`` outside the box.
        """
        feats, _ = self._posterior_inputs(X)
        array = np.asarray(theta, dtype=float)
        p = self.n_outputs_
        if array.shape[-1] != p and not (p == 1 and array.ndim == 1):
            raise ValueError(
                f"theta must have a last axis of length n_params = {p}; got shape {array.shape}."
            )
        flat = array.reshape(-1, p)
        w = self.whitener_.transform(flat).reshape(array.shape)
        lo, hi = self.whitener_._box()
        log_jac = -np.log(hi - lo) * np.ones_like(flat)
        logc = self.whitener_.log_columns_
        if logc.any():
            log_jac[:, logc] -= np.log(np.abs(flat[:, logc]) * np.log(10.0))
        log_jac = log_jac.sum(axis=1).reshape(array.shape[:-1]) if array.ndim > 1 else (
            log_jac.sum()
        )  # fmt: skip
        values = self.posterior_estimator_.log_prob(
            w, self._flow_inputs(feats), normalize=normalize
        )
        return values + log_jac

    def to_inference_data(self, x_obs: Any, n_samples: int = 1000) -> Any:
        """Posterior draws for one observation as an :class:`arviz.InferenceData`.

        Parameters
        ----------
        x_obs : array-like of shape (5, n_bins) or (5 n_bins,)
            One set of fluxes.
        n_samples : int, default=1000
            Number of draws.

        Returns
        -------
        arviz.InferenceData
            ``posterior`` group with one variable per parameter (physical units).
        """
        from crsbi.core.imports import import_arviz

        az = import_arviz()

        draws = self.sample(x_obs, n_samples)
        if draws.ndim == 3:
            if len(draws) != 1:
                raise ValueError("to_inference_data takes one observation; got several.")
            draws = draws[0]
        names = _param_names(self)
        feats, _ = self._posterior_inputs(x_obs)
        return az.from_dict(
            posterior={name: draws[None, :, i] for i, name in enumerate(names)},
            observed_data={"x": feats[0]},
            dims={"x": ["feature"]},
        )

    # ---------------------------------------------------------- feedback loop
    def refit_feedback(
        self,
        X_pseudo: Any,
        simulator: Callable[[np.ndarray], Any],
        *,
        tolerance: float = 0.1,
        target_fraction: float = 0.95,
        max_rounds: int = 5,
        tau_floor: float = 0.05,
    ) -> Any:
        """Tsai et al.'s feedback loop: predict, re-simulate, predict again, retrain.

        Every round predicts ``theta`` from ``X_pseudo``, simulates spectra ``X'`` at
        ``theta``, predicts ``theta'`` from ``X'`` and computes
        ``tau_i = (theta'_i - theta_i) / theta_i``. The loop stops when at least
        ``target_fraction`` of the pseudo-data satisfy ``mean_i |tau_i| < tolerance``;
        otherwise the pairs ``(X', theta)`` are appended to the training data and the
        network is retrained from scratch (same hyper-parameters and seed), for at most
        ``max_rounds`` retrainings.

        Parameters
        ----------
        X_pseudo : array-like of shape (n, 5, n_bins) or (n, 5 n_bins)
            Pseudo-data (e.g. noisy simulations or resampled measurements).
        simulator : callable
            ``simulator(theta)`` with ``theta`` of shape (n, n_params) in physical units
            returning fluxes of shape (n, 5, n_bins) or (n, 5 n_bins), e.g.
            ``functools.partial(simulate_galactic_batch, n_jobs=2)``.
        tolerance : float, default=0.1
            Threshold on ``mean_i |tau_i|``.
        target_fraction : float, default=0.95
            Fraction of pseudo-data that must pass, in (0, 1].
        max_rounds : int, default=5
            Largest number of retrainings, >= 0.
        tau_floor : float, default=0.05
            Denominators ``|theta_i|`` are floored at ``tau_floor * (high_i - low_i)``
            (a departure from the paper, whose ``tau`` diverges where the prior of
            ``eta``, ``v_A`` or ``nu1`` includes 0).

        Returns
        -------
        self
            The (re)fitted estimator, with ``feedback_history_``: one dict per round
            (``round``, ``fraction`` passing, ``median_mean_abs_tau``, ``n_train``,
            ``converged``, ``tau`` of shape (n, n_params)).
        """
        check_is_fitted(self, "whitener_")
        owner = f"{type(self).__name__}.refit_feedback"
        check_interval(tolerance, "tolerance", owner, low=0, closed="neither")
        check_interval(target_fraction, "target_fraction", owner, low=0, high=1, closed="right")
        check_interval(max_rounds, "max_rounds", owner, kind=int, low=0)
        check_interval(tau_floor, "tau_floor", owner, low=0)
        if not callable(simulator):
            raise TypeError(f"simulator must be callable; got {simulator!r}.")
        pseudo = np.asarray(X_pseudo, dtype=float)
        pseudo = pseudo.reshape(len(pseudo), -1)
        self._validate_predict_data(pseudo)
        floor = tau_floor * (self.whitener_.high_ - self.whitener_.low_)
        if not hasattr(self, "X_fit_") and max_rounds > 0:
            raise ValueError(
                "refit_feedback retrains on the training data, which drop_training_data() "
                "removed; use max_rounds=0 (the tau check alone) or fit again."
            )
        X_train, y_train = getattr(self, "X_fit_", None), getattr(self, "y_fit_", None)
        history: list[dict[str, Any]] = []
        bar = tqdm(range(max_rounds + 1), desc="feedback", disable=self.verbose == 0, leave=False)
        for round_ in bar:
            theta = self.predict(pseudo).reshape(len(pseudo), -1)
            resimulated = self._simulate(simulator, theta)
            theta_prime = self.predict(resimulated).reshape(len(pseudo), -1)
            tau = relative_shift(theta, theta_prime, floor=floor)
            score = np.mean(np.abs(tau), axis=1)
            fraction = float(np.mean(score < tolerance))
            converged = fraction >= target_fraction
            history.append(
                {
                    "round": round_,
                    "fraction": fraction,
                    "median_mean_abs_tau": float(np.median(score)),
                    "n_train": None if X_train is None else len(X_train),
                    "converged": converged,
                    "tau": tau,
                }
            )
            bar.set_postfix(fraction=f"{fraction:.3f}")
            if converged or round_ == max_rounds:
                break
            X_train = np.concatenate([X_train, resimulated])
            y_train = np.concatenate([y_train, theta])
            self.fit(X_train, y_train[:, 0] if self._y_1d else y_train)
        bar.close()
        self.feedback_history_ = history
        return self

    def _simulate(self, simulator: Callable[[np.ndarray], Any], theta: np.ndarray) -> np.ndarray:
        out = np.asarray(simulator(theta), dtype=float)
        out = out.reshape(len(out), -1) if out.ndim >= 2 else out
        if out.shape != (len(theta), self.n_features_in_):
            raise ValueError(
                f"simulator(theta) must return {len(theta)} spectra of {self.n_features_in_} "
                f"values (shape (n, {self.input_shape_[0]}, {self.input_shape_[1]}) or "
                f"(n, {self.n_features_in_})); got shape {np.shape(out)}."
            )
        return check_finite(out, "simulator output")
