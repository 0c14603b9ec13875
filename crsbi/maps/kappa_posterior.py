"""A continuous posterior over the CR diffusion coefficient from one density map.

Beyond the five classes of Bustard and Wu (2024): simulations of the CR-fluid box at
log-uniform field-aligned diffusion coefficients ``kappa`` (streaming a fixed flag), and neural
posterior estimation (:class:`~crsbi.inference.PosteriorEstimator`, sbi NPE) of
``log10 kappa`` given one density map, with the classifier's CNN
(:class:`~crsbi.maps.cnn.TransportCNN`, its linear head giving a small embedding instead of class
logits) as embedding network trained together with the flow. Check the result with
:func:`crsbi.inference.run_calibration` on held-out simulations.

* :func:`simulate_kappa_maps`: campaign simulator, ``theta = (log10 kappa,)``.
* :func:`make_kappa_dataset`: a resumable campaign at log-uniform ``kappa``.
* :class:`ImageEmbedding`: ``TransportCNN`` on flattened square images (what NPE passes).
* :func:`make_kappa_posterior`: an unfitted pipeline ``preprocess -> PosteriorEstimator``
  whose ``fit(images, log10_kappa)`` trains it; ``run_calibration`` accepts it as is.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from crsbi.core.campaign import BoxPrior, Campaign, load_campaign
from crsbi.core.validation import check_interval, check_option
from crsbi.inference.posterior import PosteriorEstimator
from crsbi.maps.cnn import TransportCNN
from crsbi.maps.crfluid import simulate_crfluid
from crsbi.maps.transport_dataset import preprocess_tiles

__all__ = [
    "ImageEmbedding",
    "KappaDataset",
    "make_kappa_dataset",
    "make_kappa_posterior",
    "preprocess_flat_images",
    "simulate_kappa_maps",
]

_OWNER = "make_kappa_dataset"


def simulate_kappa_maps(
    theta: Any,
    *,
    random_state: Any = None,
    streaming: bool = False,
    eta: float = 1.0,
    resolution: int = 32,
    t_end_eddy: float = 6.0,
    snapshot_every: float = 1.0,
    saturation_eddy: float = 3.0,
    mach: float = 0.15,
    beta: float = 10.0,
) -> np.ndarray:
    """Campaign simulator: one 2-D CR-fluid run at ``kappa = 10**theta[0]``, density flattened.

    Parameters
    ----------
    theta : array-like of shape (1,)
        ``log10`` of the field-aligned diffusion coefficient in ``L c_s``.
    random_state : None or int
        Seed of the forcing.
    streaming : bool, default=False
        CR streaming at the Alfven speed (a fixed flag, not inferred).
    eta : float, default=1.0
        CR-to-gas pressure ratio.
    resolution, t_end_eddy, snapshot_every, saturation_eddy, mach, beta
        As in :func:`~crsbi.maps.crfluid.simulate_crfluid` (times [eddy times], ``mach``
        and ``beta`` dimensionless).

    Returns
    -------
    ndarray of shape (n_snap * resolution**2,)
        Density snapshots in ``rho_0``, ``[snap, x, y]`` raveled.

    Examples
    --------
    >>> from crsbi.maps.kappa_posterior import simulate_kappa_maps
    >>> simulate_kappa_maps([-1.0], random_state=0, resolution=8, t_end_eddy=0.05).shape
    (64,)
    """
    values = np.asarray(theta, dtype=float).ravel()
    if values.shape != (1,) or not np.isfinite(values[0]):
        raise ValueError(
            f"simulate_kappa_maps: theta must be one finite value, log10 kappa; got {theta!r}."
        )
    result = simulate_crfluid(
        {"kappa": float(10.0 ** values[0]), "streaming": bool(streaming), "eta": float(eta)},
        resolution=resolution,
        ndim=2,
        mach=mach,
        beta=beta,
        t_end_eddy=t_end_eddy,
        snapshot_every=snapshot_every,
        saturation_eddy=saturation_eddy,
        random_state=random_state,
        verbose=0,
    )
    return result.snapshots["density"].ravel()


@dataclass(eq=False)
class KappaDataset:
    """Density snapshots with the ``log10 kappa`` of their run.

    Attributes
    ----------
    images : ndarray of shape (n, N, N)
        Gas density in ``rho_0``, indexed ``[x, y]`` (guide field along x).
    log10_kappa : ndarray of shape (n,)
        ``log10`` of the diffusion coefficient (``L c_s``) of each image's run.
    run : ndarray of shape (n,), dtype int64
        Simulation run of each image (split train / test by run).
    time : ndarray of shape (n,)
        Snapshot time [eddy times ``L / (M c_s)``].
    config : dict
        Simulator settings and the prior range.

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps.kappa_posterior import make_kappa_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_kappa_dataset(folder, 2, resolution=8, t_end_eddy=0.05, verbose=0)
    >>> data.images.shape, data.run.tolist()
    ((2, 8, 8), [0, 1])
    """

    images: np.ndarray
    log10_kappa: np.ndarray
    run: np.ndarray
    time: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)


def make_kappa_dataset(
    path: str | os.PathLike,
    n_simulations: int,
    *,
    log10_kappa_range: Sequence[float] = (-2.0, 1.0),
    streaming: bool = False,
    resolution: int = 32,
    t_end_eddy: float = 6.0,
    snapshot_every: float = 1.0,
    saturation_eddy: float = 3.0,
    mach: float = 0.15,
    beta: float = 10.0,
    random_state: int = 0,
    n_jobs: int | None = 1,
    verbose: int = 1,
) -> KappaDataset:
    """Simulate (or resume) CR-fluid runs at log-uniform ``kappa`` through the campaign core.

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory (created if needed, resumed if it exists).
    n_simulations : int
        Number of runs; ``log10 kappa`` of each is drawn uniformly from ``log10_kappa_range``.
    log10_kappa_range : (float, float), default=(-2.0, 1.0)
        Prior bounds on ``log10 kappa`` (``kappa`` in ``L c_s``; the five classes use 0.1 and 10).
    streaming : bool, default=False
        CR streaming in every run (fixed flag).
    resolution, t_end_eddy, snapshot_every, saturation_eddy, mach, beta
        Simulator settings (2-D), see :func:`~crsbi.maps.crfluid.simulate_crfluid` (times
        [eddy times], ``mach`` and ``beta`` dimensionless).
    random_state : int, default=0
        Campaign seed (parameters and forcing seeds).
    n_jobs : int or None, default=1
        Parallel simulation processes.
    verbose : int, default=1
        0 silences the progress bar.

    Returns
    -------
    KappaDataset
        ``n_simulations * n_snap`` density maps with their ``log10 kappa``.

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps.kappa_posterior import make_kappa_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_kappa_dataset(folder, 3, resolution=8, t_end_eddy=0.05,
    ...                               random_state=1, verbose=0)
    >>> bool(((data.log10_kappa >= -2) & (data.log10_kappa <= 1)).all())
    True
    """
    check_interval(n_simulations, "n_simulations", _OWNER, kind=int, low=1)
    low, high = _check_range(log10_kappa_range)
    if not isinstance(streaming, (bool, np.bool_)):
        raise TypeError(f"The 'streaming' parameter of {_OWNER} must be a bool; got {streaming!r}.")
    check_interval(resolution, "resolution", _OWNER, kind=int, low=8)
    check_interval(t_end_eddy, "t_end_eddy", _OWNER, low=0.0, closed="neither")
    check_interval(random_state, "random_state", _OWNER, kind=int, low=0)
    simulator = partial(
        simulate_kappa_maps,
        streaming=bool(streaming),
        resolution=int(resolution),
        t_end_eddy=float(t_end_eddy),
        snapshot_every=float(snapshot_every),
        saturation_eddy=float(saturation_eddy),
        mach=float(mach),
        beta=float(beta),
    )
    Campaign(
        simulator,
        path,
        prior=BoxPrior([low], [high]),
        n_simulations=n_simulations,
        chunk_size=1,
        n_jobs=n_jobs,
        random_state=random_state,
        verbose=verbose,
    ).run()
    result = load_campaign(path)
    start = min(float(saturation_eddy), float(t_end_eddy))
    times = np.arange(start, float(t_end_eddy) + 1e-9, float(snapshot_every))
    n_runs, n = len(result), int(resolution)
    return KappaDataset(
        images=result.x.reshape(n_runs * times.shape[0], n, n),
        log10_kappa=np.repeat(result.theta[:, 0], times.shape[0]),
        run=np.repeat(result.index.astype(np.int64), times.shape[0]),
        time=np.tile(times, n_runs),
        config={
            "log10_kappa_range": (low, high),
            "streaming": bool(streaming),
            "resolution": n,
            "t_end_eddy": float(t_end_eddy),
            "snapshot_every": float(snapshot_every),
            "saturation_eddy": float(saturation_eddy),
            "mach": float(mach),
            "beta": float(beta),
        },
    )


def _check_range(value: Any) -> tuple[float, float]:
    bounds = np.asarray(value, dtype=float)
    if bounds.shape != (2,) or not np.all(np.isfinite(bounds)) or bounds[0] >= bounds[1]:
        raise ValueError(
            "log10_kappa_range must be two finite numbers (low, high) with low < high; "
            f"got {value!r}."
        )
    return float(bounds[0]), float(bounds[1])


def preprocess_flat_images(images: Any, variant: str = "log") -> np.ndarray:
    """Preprocess square density maps and flatten them to rows (the posterior's ``X``).

    Parameters
    ----------
    images : array_like of shape (n, N, N) or (n, N * N)
        Density maps (strictly positive), stacked or already flattened.
    variant : {"log", "full", "flattened", "density"}, default="log"
        See :func:`~crsbi.maps.transport_dataset.preprocess_tiles`; ``"log"`` keeps the density
        contrast (the amplitude information equalisation removes).

    Returns
    -------
    ndarray of shape (n, N * N), dtype float32
        Preprocessed maps, one per row.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.kappa_posterior import preprocess_flat_images
    >>> preprocess_flat_images(np.full((2, 4, 4), 10.0)).tolist()[0][:3]
    [1.0, 1.0, 1.0]
    """
    array = np.asarray(images, dtype=np.float64)
    if array.ndim == 2:
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            raise ValueError(
                "preprocess_flat_images: flattened images must have a square number of "
                f"features (n, N * N); got shape {array.shape}."
            )
        array = array.reshape(len(array), side, side)
    if array.ndim != 3 or array.shape[1] != array.shape[2]:
        raise ValueError(
            "preprocess_flat_images: images must have shape (n, N, N) or (n, N * N); "
            f"got shape {array.shape}."
        )
    return preprocess_tiles(array, variant).reshape(len(array), -1)


class ImageEmbedding(nn.Module):
    """:class:`~crsbi.maps.cnn.TransportCNN` as an embedding net for flattened square images.

    NPE hands observations as rows ``(batch, N * N)``; this module reshapes them to
    ``(batch, 1, N, N)`` and returns the CNN's ``n_features`` outputs (its linear head
    producing a summary instead of class logits).

    Parameters
    ----------
    n_features : int, default=8
        Size of the embedding.
    channels : sequence of int, default=(8, 16, 32, 64)
        Convolution widths of the CNN.
    pool_size : int, default=4
        Adaptive pooling side.
    dropout : float, default=0.0
        Dropout before the head.

    Examples
    --------
    >>> import torch
    >>> from crsbi.maps.kappa_posterior import ImageEmbedding
    >>> ImageEmbedding(n_features=3).eval()(torch.zeros(2, 16 * 16)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        n_features: int = 8,
        *,
        channels: Sequence[int] = (8, 16, 32, 64),
        pool_size: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.cnn = TransportCNN(
            n_classes=n_features, channels=channels, pool_size=pool_size, dropout=dropout
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embedding of a batch of flattened square images.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, N * N)
            Flattened images.

        Returns
        -------
        torch.Tensor of shape (batch, n_features)
            The summaries.
        """
        side = math.isqrt(x.shape[-1])
        if x.dim() != 2 or side * side != x.shape[-1]:
            raise ValueError(
                f"ImageEmbedding expects input of shape (batch, N * N); got {tuple(x.shape)}."
            )
        return self.cnn(x.reshape(x.shape[0], 1, side, side))


def make_kappa_posterior(
    *,
    variant: str = "log",
    log10_kappa_range: Sequence[float] = (-2.0, 1.0),
    n_features: int = 8,
    channels: Sequence[int] = (8, 16, 32, 64),
    density_estimator: str = "maf",
    hidden_features: int = 32,
    num_transforms: int = 3,
    learning_rate: float = 1e-3,
    batch_size: int = 64,
    max_epochs: int | None = 100,
    patience: int = 15,
    random_state: Any = None,
    verbose: int = 0,
) -> Pipeline:
    """Unfitted pipeline: image preprocessing, then NPE of ``log10 kappa`` with a CNN embedding.

    ``fit(images, log10_kappa)`` trains the CNN and the flow together on ``(n, N, N)`` density
    maps (or their flattened rows) with ``log10_kappa`` of shape (n,) or (n, 1). The box prior
    is ``log10_kappa_range``: pass the range the simulations were drawn from. The fitted
    pipeline's last step is a :class:`~crsbi.inference.PosteriorEstimator`; give the whole
    pipeline to :func:`crsbi.inference.run_calibration` with the held-out maps flattened.

    Parameters
    ----------
    variant : {"log", "full", "flattened", "density"}, default="log"
        Map preprocessing, see :func:`preprocess_flat_images`.
    log10_kappa_range : (float, float), default=(-2.0, 1.0)
        Uniform prior on ``log10 kappa`` (``kappa`` in ``L c_s``).
    n_features : int, default=8
        Embedding size (outputs of the CNN head).
    channels : sequence of int, default=(8, 16, 32, 64)
        CNN widths (the classifier's).
    density_estimator, hidden_features, num_transforms, learning_rate, batch_size, max_epochs, \
patience, random_state, verbose
        Passed to :class:`~crsbi.inference.PosteriorEstimator`.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``"preprocess"`` (:func:`preprocess_flat_images`) and ``"npe"``.

    Examples
    --------
    >>> from crsbi.maps.kappa_posterior import make_kappa_posterior
    >>> pipe = make_kappa_posterior(n_features=4, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['preprocess', 'npe']
    """
    check_option(
        variant, "variant", "make_kappa_posterior", ("log", "full", "flattened", "density")
    )
    low, high = _check_range(log10_kappa_range)
    check_interval(n_features, "n_features", "make_kappa_posterior", kind=int, low=1)
    preprocess = FunctionTransformer(preprocess_flat_images, kw_args={"variant": variant})
    npe = PosteriorEstimator(
        prior_low=low,
        prior_high=high,
        embedding_net=ImageEmbedding(n_features, channels=channels),
        density_estimator=density_estimator,
        hidden_features=hidden_features,
        num_transforms=num_transforms,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_epochs=max_epochs,
        patience=patience,
        param_names=["log10_kappa"],
        random_state=random_state,
        verbose=verbose,
    )
    return Pipeline([("preprocess", preprocess), ("npe", npe)])
