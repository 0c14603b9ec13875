"""Labelled density maps of CR-fluid turbulence, built through the campaign core.

:func:`make_crfluid_dataset` runs :func:`~crsbi.maps.crfluid.simulate_crfluid` for the
transport classes of Bustard and Wu (2024) (``"MHD"``, ``"CR_Advect"``,
``"CR_Diff_Fiducial"``, ``"CR_Diff100"``, ``"CR_withStreaming"``) as a resumable, parallel
:class:`~crsbi.core.campaign.Campaign` (one HDF5 file per chunk, any ``n_jobs`` gives the same
data), and :func:`load_crfluid_dataset` reads the store back as density snapshots after
saturation with class labels. 2-D maps come as ``(n, N, N)`` indexed ``[x, y]``, 3-D boxes as
``(n, N, N, N)`` indexed ``[x, y, z]``, the layout of a user cube; the guide field is along x.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from crsbi.core.campaign import Campaign, load_campaign
from crsbi.core.validation import check_interval, check_option
from crsbi.maps.crfluid import CRFLUID_CLASSES, simulate_crfluid

__all__ = [
    "CRFluidDataset",
    "load_crfluid_dataset",
    "make_crfluid_dataset",
    "simulate_crfluid_class",
]

_OWNER = "make_crfluid_dataset"


def simulate_crfluid_class(
    theta: Any,
    *,
    random_state: Any = None,
    resolution: int = 64,
    ndim: int = 2,
    t_end_eddy: float = 10.0,
    snapshot_every: float = 1.0,
    saturation_eddy: float = 3.0,
    mach: float = 0.15,
    beta: float = 10.0,
) -> np.ndarray:
    """Campaign simulator: one run of the class ``theta[0]``, density snapshots flattened.

    Parameters
    ----------
    theta : array-like of shape (1,)
        Class index into :data:`~crsbi.maps.crfluid.CRFLUID_CLASSES`.
    random_state : None or int
        Seed of the forcing.
    resolution, ndim, t_end_eddy, snapshot_every, saturation_eddy, mach, beta
        As in :func:`~crsbi.maps.crfluid.simulate_crfluid` (times [eddy times], ``mach``
        and ``beta`` dimensionless).

    Returns
    -------
    ndarray of shape (n_snap * N**ndim,)
        The density snapshots, ``[snap, x, y(, z)]`` raveled.

    Examples
    --------
    >>> from crsbi.maps.crfluid_dataset import simulate_crfluid_class
    >>> simulate_crfluid_class([2], random_state=0, resolution=8, t_end_eddy=0.05).shape
    (64,)
    """
    label = round(float(np.asarray(theta, dtype=float).ravel()[0]))
    if not 0 <= label < len(CRFLUID_CLASSES):
        raise ValueError(
            f"simulate_crfluid_class: theta[0] must be a class index in "
            f"[0, {len(CRFLUID_CLASSES) - 1}]; got {theta!r}."
        )
    result = simulate_crfluid(
        preset=CRFLUID_CLASSES[label],
        resolution=resolution,
        ndim=ndim,
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
class CRFluidDataset:
    """Density snapshots with transport-class labels.

    Attributes
    ----------
    images : ndarray of shape (n, N, N) or (n, N, N, N)
        Gas density in ``rho_0``, indexed ``[x, y(, z)]`` (guide field along x).
    labels : ndarray of shape (n,), dtype int64
        Index of each image's class in ``classes``.
    classes : tuple of str
        Class names present, in :data:`~crsbi.maps.crfluid.CRFLUID_CLASSES` order.
    run : ndarray of shape (n,), dtype int64
        Campaign sample (simulation run) of each image; snapshots of one run are correlated,
        so split train and test sets by run.
    time : ndarray of shape (n,)
        Snapshot time [eddy times ``L / (M c_s)``].
    config : dict
        Simulator settings (resolution, ndim, t_end_eddy, ...).

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps import make_crfluid_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_crfluid_dataset(folder, classes=("MHD",), n_runs_per_class=1,
    ...                                 resolution=8, t_end_eddy=0.05, verbose=0)
    >>> data.images.shape[1:], data.classes
    ((8, 8), ('MHD',))
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    run: np.ndarray
    time: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _find_keywords(node: Any) -> dict[str, Any] | None:
    if isinstance(node, dict):
        if "partial" in node and "keywords" in node:
            return node["keywords"]
        for value in node.values():
            found = _find_keywords(value)
            if found is not None:
                return found
    return None


def load_crfluid_dataset(path: str | os.PathLike) -> CRFluidDataset:
    """Read a store written by :func:`make_crfluid_dataset` (directory or consolidated file).

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory, or a file from :func:`crsbi.core.campaign.consolidate_campaign`.

    Returns
    -------
    CRFluidDataset
        Every stored snapshot of every successful run (pending runs are absent).

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps.crfluid_dataset import load_crfluid_dataset, make_crfluid_dataset
    >>> with tempfile.TemporaryDirectory() as path:
    ...     _ = make_crfluid_dataset(path, classes=("MHD",), n_runs_per_class=1, resolution=8,
    ...                              t_end_eddy=0.05, random_state=0, verbose=0)
    ...     load_crfluid_dataset(path).images.shape
    (1, 8, 8)
    """
    result = load_campaign(path)
    keywords = _find_keywords(result.manifest.get("config", {}))
    if keywords is None:
        raise ValueError(f"load_crfluid_dataset: {os.fspath(path)!r} is not a crfluid campaign.")
    config = {key: keywords[key] for key in keywords}
    n, ndim = int(config["resolution"]), int(config["ndim"])
    t_end, every = float(config["t_end_eddy"]), float(config["snapshot_every"])
    start = min(float(config["saturation_eddy"]), t_end)
    times = np.arange(start, t_end + 1e-9, every)
    n_runs = len(result)
    images = result.x.reshape(n_runs * times.shape[0], *((n,) * ndim))
    global_label = np.rint(result.theta[:, 0]).astype(np.int64)
    present = np.unique(global_label)
    labels = np.searchsorted(present, global_label)
    return CRFluidDataset(
        images=images,
        labels=np.repeat(labels, times.shape[0]),
        classes=tuple(CRFLUID_CLASSES[i] for i in present),
        run=np.repeat(result.index.astype(np.int64), times.shape[0]),
        time=np.tile(times, n_runs),
        config=config,
    )


def make_crfluid_dataset(
    path: str | os.PathLike,
    classes: Sequence[str] = CRFLUID_CLASSES,
    n_runs_per_class: int = 4,
    *,
    resolution: int = 64,
    ndim: int = 2,
    t_end_eddy: float = 10.0,
    snapshot_every: float = 1.0,
    saturation_eddy: float = 3.0,
    mach: float = 0.15,
    beta: float = 10.0,
    chunk_size: int = 1,
    random_state: int = 0,
    n_jobs: int | None = 1,
    backend: str = "loky",
    verbose: int = 1,
) -> CRFluidDataset:
    """Simulate (or resume) labelled CR-fluid density maps and load them.

    Parameters
    ----------
    path : str or os.PathLike
        Campaign directory (HDF5 chunks; created if needed, resumed if it exists).
    classes : sequence of str, default=CRFLUID_CLASSES
        Transport classes (preset names) to simulate.
    n_runs_per_class : int, default=4
        Independent runs (forcing seeds) per class.
    resolution, ndim, t_end_eddy, snapshot_every, saturation_eddy, mach, beta
        Simulator settings, see :func:`~crsbi.maps.crfluid.simulate_crfluid` (times
        [eddy times], ``mach`` and ``beta`` dimensionless).
    chunk_size : int, default=1
        Runs per stored chunk (what a kill can lose).
    random_state : int, default=0
        Campaign seed; run ``i`` gets a seed derived from it and ``i`` only.
    n_jobs : int or None, default=1
        Parallel worker processes (each run uses one numba thread).
    backend : str, default="loky"
        joblib backend, see :class:`~crsbi.core.campaign.Campaign`.
    verbose : int, default=1
        0 silences the progress bar.

    Returns
    -------
    CRFluidDataset
        ``n_runs_per_class * len(classes) * n_snap`` images with labels.

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps.crfluid_dataset import make_crfluid_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_crfluid_dataset(folder, classes=("MHD", "CR_Diff100"),
    ...                                 n_runs_per_class=1, resolution=8, t_end_eddy=0.05,
    ...                                 random_state=0, verbose=0)
    >>> data.images.shape, data.labels.tolist(), data.classes
    ((2, 8, 8), [0, 1], ('MHD', 'CR_Diff100'))
    """
    if isinstance(classes, str) or len(classes) == 0:
        raise ValueError(
            f"The 'classes' parameter of {_OWNER} must be a non-empty sequence of class names "
            f"from {CRFLUID_CLASSES}; got {classes!r}."
        )
    for name in classes:
        check_option(name, "classes", _OWNER, CRFLUID_CLASSES)
    check_interval(n_runs_per_class, "n_runs_per_class", _OWNER, kind=int, low=1)
    check_interval(resolution, "resolution", _OWNER, kind=int, low=8)
    check_option(ndim, "ndim", _OWNER, (2, 3))
    check_interval(t_end_eddy, "t_end_eddy", _OWNER, low=0.0, closed="neither")
    index = sorted({CRFLUID_CLASSES.index(name) for name in classes})
    theta = np.repeat(np.asarray(index, dtype=float), n_runs_per_class)[:, None]
    simulator = partial(
        simulate_crfluid_class,
        resolution=int(resolution),
        ndim=int(ndim),
        t_end_eddy=float(t_end_eddy),
        snapshot_every=float(snapshot_every),
        saturation_eddy=float(saturation_eddy),
        mach=float(mach),
        beta=float(beta),
    )
    Campaign(
        simulator,
        path,
        theta=theta,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        backend=backend,
        random_state=random_state,
        verbose=verbose,
    ).run()
    return load_crfluid_dataset(path)
