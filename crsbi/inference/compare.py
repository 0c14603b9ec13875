"""Comparing two posteriors: marginal quantiles, moments and a C2ST score.

Used to set an amortized neural posterior beside an MCMC reference (or any two
sample sets) like for like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_finite, check_interval
from crsbi.inference._common import check_param_names as _check_param_names

__all__ = ["PosteriorComparison", "compare_posteriors"]


@dataclass(frozen=True)
class PosteriorComparison:
    """Marginal statistics of two posterior sample sets and their C2ST accuracy.

    Differences are ``b - a`` in units of the standard deviation of ``a`` (the
    reference) in each parameter.

    Attributes
    ----------
    param_names : tuple of str
        Parameter names, length n_params.
    labels : tuple of str
        Names of the two sample sets (reference first).
    quantiles : ndarray of shape (n_quantiles,)
        Probability levels of the marginal quantiles.
    quantiles_a, quantiles_b : ndarray of shape (n_quantiles, n_params)
        Marginal quantiles of each sample set, in the units of the samples.
    quantile_difference : ndarray of shape (n_quantiles, n_params)
        ``(quantiles_b - quantiles_a) / std_a``.
    mean_a, mean_b, std_a, std_b : ndarray of shape (n_params,)
        Marginal means and standard deviations, in the units of the samples.
    mean_difference, std_difference : ndarray of shape (n_params,)
        ``(mean_b - mean_a) / std_a`` and ``(std_b - std_a) / std_a``.
    c2st : float
        Cross-validated accuracy of a classifier told to separate the two sets: 0.5 when
        they are indistinguishable, 1 when disjoint.
    n_samples : int
        Samples per set used (both subsampled to a common size).

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference import compare_posteriors
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(500, 2)), rng.normal(0.5, 1.0, size=(500, 2))
    >>> result = compare_posteriors(a, b, random_state=0)
    >>> bool(np.all(np.abs(result.mean_difference - 0.5) < 0.2))
    True
    """

    param_names: tuple[str, ...]
    labels: tuple[str, str]
    quantiles: np.ndarray
    quantiles_a: np.ndarray
    quantiles_b: np.ndarray
    quantile_difference: np.ndarray
    mean_a: np.ndarray
    mean_b: np.ndarray
    std_a: np.ndarray
    std_b: np.ndarray
    mean_difference: np.ndarray
    std_difference: np.ndarray
    c2st: float
    n_samples: int

    @property
    def max_difference(self) -> float:
        """Largest absolute mean, std or quantile difference, in reference std units."""
        return float(
            np.max(
                np.abs(
                    np.concatenate(
                        [
                            self.mean_difference,
                            self.std_difference,
                            self.quantile_difference.ravel(),
                        ]
                    )
                )
            )
        )

    def to_markdown(self) -> str:
        """Markdown table: one row per parameter and statistic, then the C2ST accuracy.

        Returns
        -------
        str
            The table, with a ``(b - a) / std_a`` column.
        """
        label_a, label_b = self.labels
        lines = [
            f"| parameter | statistic | {label_a} | {label_b} | ({label_b} - {label_a}) / std |",
            "|---|---|---:|---:|---:|",
        ]
        for j, name in enumerate(self.param_names):
            rows = [
                ("mean", self.mean_a[j], self.mean_b[j], self.mean_difference[j]),
                ("std", self.std_a[j], self.std_b[j], self.std_difference[j]),
            ]
            rows += [
                (
                    f"q{100 * q:g}%",
                    self.quantiles_a[k, j],
                    self.quantiles_b[k, j],
                    self.quantile_difference[k, j],
                )
                for k, q in enumerate(self.quantiles)
            ]
            lines += [f"| {name} | {s} | {a:.4g} | {b:.4g} | {d:+.3f} |" for s, a, b, d in rows]
        lines.append("")
        lines.append(
            f"C2ST accuracy: {self.c2st:.3f} (0.5 = indistinguishable, 1 = disjoint); "
            f"{self.n_samples} samples per set."
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()


def _check_samples(samples: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(samples, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of shape (n_samples, n_params) of real numbers."
        ) from exc
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_params) or (n_samples,); got an array "
            f"of shape {array.shape} instead."
        )
    if array.shape[0] < 10:
        raise ValueError(
            f"{name} must hold at least 10 samples (rows) for the C2ST cross-validation; "
            f"got shape {array.shape}."
        )
    return check_finite(array, name)


def compare_posteriors(
    samples_a: Any,
    samples_b: Any,
    *,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    param_names: Sequence[str] | None = None,
    labels: tuple[str, str] = ("a", "b"),
    max_samples: int | None = 2000,
    random_state: Any = 0,
) -> PosteriorComparison:
    """Compare two posterior sample sets: marginal quantiles, moments and C2ST.

    ``samples_a`` is the reference (e.g. an MCMC run) and ``samples_b`` the candidate
    (e.g. a neural posterior). Both are randomly subsampled, without replacement, to a
    common size ``min(len(a), len(b), max_samples)``; the C2ST is
    :func:`sbi.utils.metrics.c2st` (a random forest, 5-fold cross-validated accuracy,
    features z-scored with the reference).

    Parameters
    ----------
    samples_a, samples_b : array-like of shape (n_samples, n_params) or (n_samples,)
        Posterior samples for the same observation, at least 10 each; the numbers of
        samples may differ.
    quantiles : sequence of float, default=(0.05, 0.5, 0.95)
        Probability levels in (0, 1) of the marginal quantiles.
    param_names : sequence of str or None
        Parameter names for the table; ``theta_0, theta_1, ...`` when ``None``.
    labels : tuple of two str, default=("a", "b")
        Names of the two sets in the table, e.g. ``("MCMC", "NPE")``.
    max_samples : int or None, default=2000
        Cap on the common size, which bounds the C2ST cost (about 2 s for 2000 samples of
        2 parameters; the accuracy's standard error is then about 0.01).
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the subsampling and the classifier.

    Returns
    -------
    PosteriorComparison
        Its ``str`` is a Markdown table.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.inference.compare import compare_posteriors
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.normal(size=(500, 2))
    >>> result = compare_posteriors(reference, rng.normal(size=(400, 2)), random_state=0)
    >>> result.n_samples, bool(result.c2st < 0.6), bool(np.all(abs(result.mean_difference) < 0.3))
    (400, True, True)
    >>> print(result.to_markdown().splitlines()[0])
    | parameter | statistic | a | b | (b - a) / std |
    """
    a = _check_samples(samples_a, "samples_a")
    b = _check_samples(samples_b, "samples_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"samples_a and samples_b must have the same number of parameters; got shapes "
            f"{a.shape} and {b.shape}, expected (n_a, n_params) and (n_b, n_params)."
        )
    names = _check_param_names(param_names, a.shape[1], "compare_posteriors")
    levels = np.atleast_1d(np.asarray(quantiles, dtype=float))
    if levels.ndim != 1 or levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(
            "quantiles must be a non-empty sequence of probabilities in (0, 1); "
            f"got {quantiles!r} instead."
        )
    if (
        not isinstance(labels, (tuple, list))
        or len(labels) != 2
        or not all(isinstance(label, str) for label in labels)
    ):
        raise TypeError(f"labels must be a tuple of two strings; got {labels!r} instead.")
    check_interval(max_samples, "max_samples", "compare_posteriors", kind=int, low=10,
                   allow_none=True)  # fmt: skip
    rng = check_random_state(random_state)

    n = min(a.shape[0], b.shape[0], max_samples or a.shape[0])
    if n < a.shape[0]:
        a = a[rng.choice(a.shape[0], size=n, replace=False)]
    if n < b.shape[0]:
        b = b[rng.choice(b.shape[0], size=n, replace=False)]
    std_a = a.std(axis=0, ddof=1)
    if np.any(std_a == 0):
        raise ValueError(
            f"samples_a (the reference) has zero spread in parameter(s) "
            f"{[names[i] for i in np.flatnonzero(std_a == 0)]}; differences are measured "
            "in units of its standard deviation."
        )
    std_b = b.std(axis=0, ddof=1)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    q_a = np.quantile(a, levels, axis=0)
    q_b = np.quantile(b, levels, axis=0)

    import torch

    from crsbi.inference._sbi import c2st

    accuracy = c2st(
        torch.as_tensor(a, dtype=torch.float32),
        torch.as_tensor(b, dtype=torch.float32),
        seed=int(rng.integers(0, 2**31 - 1)),
    )
    return PosteriorComparison(
        param_names=names,
        labels=(str(labels[0]), str(labels[1])),
        quantiles=levels,
        quantiles_a=q_a,
        quantiles_b=q_b,
        quantile_difference=(q_b - q_a) / std_a,
        mean_a=mean_a,
        mean_b=mean_b,
        std_a=std_a,
        std_b=std_b,
        mean_difference=(mean_b - mean_a) / std_a,
        std_difference=(std_b - std_a) / std_a,
        c2st=float(accuracy),
        n_samples=int(n),
    )
