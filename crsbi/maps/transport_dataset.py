"""Train / validation / test tiles of simulated density maps for :class:`TransportClassifier`.

:func:`make_transport_dataset` runs (or resumes) one
:func:`~crsbi.maps.crfluid_dataset.make_crfluid_dataset` campaign per transport class of Bustard
and Wu (2024) under ``path/<class name>/``, keeps the density snapshots after saturation, cuts
them into square tiles (optionally re-tiled at periodic offsets for the training set, the
paper's "shifts") and preprocesses every tile as the paper does: ``log10``, optionally a flat
power spectrum, histogram equalisation (:mod:`crsbi.maps.images`). Train, validation
and test sets come from *independent runs* (different forcing seeds): snapshots of one run are
correlated in time, so splitting tiles or snapshots at random would leak structures between
the sets.

Every class campaign uses the same ``random_state``, so run ``i`` of every class is driven by
the same forcing seed: the classes differ by their CR transport only, not by the realisation
of the driving, and a test forcing seed is never seen in training.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval, check_option
from crsbi.maps.crfluid import CRFLUID_CLASSES
from crsbi.maps.crfluid_dataset import make_crfluid_dataset
from crsbi.maps.images import equalize_histogram, flatten_power_spectrum, log_images, tile_images

__all__ = ["TransportDataset", "make_transport_dataset", "preprocess_tiles"]

_OWNER = "make_transport_dataset"
_VARIANTS = ("full", "flattened", "log", "density")


def preprocess_tiles(tiles: Any, variant: str = "full") -> np.ndarray:
    """Preprocess density tiles as Bustard and Wu (2024), tile by tile.

    Parameters
    ----------
    tiles : array_like of shape (n, H, W)
        Gas density tiles (strictly positive, any unit).
    variant : {"full", "flattened", "log", "density"}, default="full"
        ``"full"``: ``log10`` then histogram equalisation; ``"flattened"``: ``log10``, unit
        Fourier amplitudes (phases kept), equalisation; ``"log"``: ``log10`` only;
        ``"density"``: unchanged.

    Returns
    -------
    ndarray of shape (n, H, W), dtype float32
        Preprocessed tiles; equalised variants lie in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.transport_dataset import preprocess_tiles
    >>> rng = np.random.default_rng(0)
    >>> out = preprocess_tiles(np.exp(rng.normal(size=(2, 16, 16))))
    >>> out.shape, out.dtype, bool(out.min() >= 0 and out.max() <= 1)
    ((2, 16, 16), dtype('float32'), True)
    """
    check_option(variant, "variant", "preprocess_tiles", _VARIANTS)
    array = np.asarray(tiles, dtype=np.float64)
    if array.ndim != 3:
        raise ValueError(
            f"preprocess_tiles: tiles must have shape (n, H, W); got shape {array.shape}."
        )
    if variant == "density":
        return array.astype(np.float32)
    images = log_images(array)
    if variant == "log":
        return images.astype(np.float32)
    if variant == "flattened":
        images = flatten_power_spectrum(images)
    return equalize_histogram(images).astype(np.float32)


@dataclass(eq=False)
class TransportDataset:
    """Preprocessed tiles with class names, split by independent simulation runs.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of shape (n_set, tile_size, tile_size), dtype float32
        Preprocessed tiles (see ``config["variant"]``); ``X_val`` is empty without validation
        runs. Ready for :class:`~crsbi.maps.classifier.TransportClassifier`.
    y_train, y_val, y_test : ndarray of shape (n_set,), dtype str
        Class name of each tile.
    run_train, run_val, run_test : ndarray of shape (n_set,), dtype int64
        Run (forcing-seed) index of each tile within its class, ``0 .. n_runs_per_class - 1``.
    time_train, time_val, time_test : ndarray of shape (n_set,)
        Snapshot time of each tile in eddy times.
    classes : tuple of str
        Class names, in :data:`~crsbi.maps.crfluid.CRFLUID_CLASSES` order.
    config : dict
        Simulator, tiling and split settings.

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps.transport_dataset import make_transport_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_transport_dataset(folder, classes=("MHD", "CR_Diff100"),
    ...                                   n_runs_per_class=2, resolution=8, tile_size=4,
    ...                                   t_end_eddy=0.05, verbose=0)
    >>> data.X_train.shape, data.y_test.tolist()[:2]
    ((8, 4, 4), ['MHD', 'MHD'])
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    run_train: np.ndarray
    run_val: np.ndarray
    run_test: np.ndarray
    time_train: np.ndarray
    time_val: np.ndarray
    time_test: np.ndarray
    classes: tuple[str, ...]
    config: dict[str, Any] = field(default_factory=dict)


def _offsets(tile_size: int, n_shifts: int) -> list[tuple[int, int]]:
    steps = sorted({(k * tile_size) // n_shifts for k in range(n_shifts)})
    return [(a, b) for a in steps for b in steps]


def _tiles(
    images: np.ndarray,
    tile_size: int,
    offsets: list[tuple[int, int]],
    keep_fraction: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Tiles of periodic maps re-tiled at each offset; returns tiles and their image index."""
    stacks, index = [], []
    for dx, dy in offsets:
        rolled = np.roll(images, (-dx, -dy), axis=(1, 2))
        tiles, where = tile_images(
            rolled, tile_size, keep_fraction=keep_fraction, random_state=rng, return_index=True
        )
        stacks.append(tiles)
        index.append(where[:, 0])
    return np.concatenate(stacks), np.concatenate(index)


def make_transport_dataset(
    path: str | os.PathLike,
    classes: Sequence[str] = CRFLUID_CLASSES,
    n_runs_per_class: int = 4,
    *,
    n_test_runs: int = 1,
    n_validation_runs: int = 0,
    tile_size: int = 32,
    keep_fraction: float = 1.0,
    train_shifts: int = 1,
    variant: str = "full",
    resolution: int = 64,
    t_end_eddy: float = 10.0,
    snapshot_every: float = 1.0,
    saturation_eddy: float = 3.0,
    mach: float = 0.15,
    beta: float = 10.0,
    random_state: int = 0,
    n_jobs: int | None = 1,
    verbose: int = 1,
) -> TransportDataset:
    """Simulate (or resume) the five-class CR-fluid campaign and return classifier-ready tiles.

    Runs one 2-D :func:`~crsbi.maps.crfluid_dataset.make_crfluid_dataset` campaign per class under
    ``path/<class name>/`` (resumable: finished runs are read back, not simulated again), keeps
    the snapshots from ``saturation_eddy`` to ``t_end_eddy``, tiles them and preprocesses every
    tile with :func:`preprocess_tiles`. Of the ``n_runs_per_class`` runs of each class (run
    ``i`` of every class shares forcing seed ``i``), the last ``n_test_runs`` are the test set,
    the ``n_validation_runs`` before them the validation set, the rest the training set.

    Parameters
    ----------
    path : str or os.PathLike
        Directory of the class campaigns (created if needed, resumed if it exists).
    classes : sequence of str, default=CRFLUID_CLASSES
        Transport classes (preset names of :data:`~crsbi.maps.crfluid.CRFLUID_PRESETS`).
    n_runs_per_class : int, default=4
        Independent runs (forcing seeds) per class.
    n_test_runs, n_validation_runs : int, default=1, 0
        Runs per class held out for testing and validation; at least one training run remains.
    tile_size : int, default=32
        Tile side in cells, at most ``resolution``; ``resolution // tile_size`` squared tiles per
        snapshot (cells beyond the last whole tile are dropped).
    keep_fraction : float in (0, 1], default=1.0
        Fraction of the tiles of each snapshot kept, at random (the paper keeps half).
    train_shifts : int, default=1
        Training snapshots are also re-tiled at periodic offsets ``k * tile_size //
        train_shifts`` (``k < train_shifts``) along each axis, giving ``train_shifts**2`` times
        more (overlapping) training tiles; validation and test tiles are never shifted.
    variant : {"full", "flattened", "log", "density"}, default="full"
        Preprocessing, see :func:`preprocess_tiles` (``"density"`` returns raw tiles, e.g. for
        :func:`~crsbi.maps.interpretation.gaussian_filter_experiment`).
    resolution, t_end_eddy, snapshot_every, saturation_eddy, mach, beta
        Simulator settings (2-D), see :func:`~crsbi.maps.crfluid.simulate_crfluid`;
        times [eddy times], ``resolution`` [cells per side], ``mach`` and ``beta``
        dimensionless.
    random_state : int, default=0
        Seed of every class campaign (paired forcing) and of the tile choice.
    n_jobs : int or None, default=1
        Parallel simulation processes.
    verbose : int, default=1
        0 silences the campaigns' progress bars.

    Returns
    -------
    TransportDataset
        The three sets of tiles with class names, run indices and snapshot times.

    Examples
    --------
    >>> import tempfile
    >>> from crsbi.maps.transport_dataset import make_transport_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = make_transport_dataset(folder, classes=("MHD", "CR_Advect"),
    ...                                   n_runs_per_class=2, resolution=8, tile_size=4,
    ...                                   t_end_eddy=0.05, verbose=0)
    >>> data.X_train.shape, data.X_test.shape, sorted(set(data.y_train.tolist()))
    ((8, 4, 4), (8, 4, 4), ['CR_Advect', 'MHD'])
    """
    if isinstance(classes, str) or len(classes) == 0:
        raise ValueError(
            f"The 'classes' parameter of {_OWNER} must be a non-empty sequence of class names "
            f"from {CRFLUID_CLASSES}; got {classes!r}."
        )
    for name in classes:
        check_option(name, "classes", _OWNER, CRFLUID_CLASSES)
    check_interval(n_runs_per_class, "n_runs_per_class", _OWNER, kind=int, low=2)
    check_interval(n_test_runs, "n_test_runs", _OWNER, kind=int, low=1)
    check_interval(n_validation_runs, "n_validation_runs", _OWNER, kind=int, low=0)
    if n_test_runs + n_validation_runs >= n_runs_per_class:
        raise ValueError(
            f"{_OWNER}: n_test_runs + n_validation_runs must leave at least one training run "
            f"of the n_runs_per_class={n_runs_per_class}; got n_test_runs={n_test_runs}, "
            f"n_validation_runs={n_validation_runs}."
        )
    check_interval(resolution, "resolution", _OWNER, kind=int, low=8)
    check_interval(tile_size, "tile_size", _OWNER, kind=int, low=2, high=resolution)
    check_interval(keep_fraction, "keep_fraction", _OWNER, low=0.0, high=1.0, closed="right")
    check_interval(train_shifts, "train_shifts", _OWNER, kind=int, low=1, high=tile_size)
    check_option(variant, "variant", _OWNER, _VARIANTS)
    check_interval(random_state, "random_state", _OWNER, kind=int, low=0)
    names = tuple(name for name in CRFLUID_CLASSES if name in set(classes))
    rng = check_random_state(random_state)
    first_test = n_runs_per_class - n_test_runs
    first_val = first_test - n_validation_runs
    sets: dict[str, dict[str, list[np.ndarray]]] = {
        split: {"X": [], "y": [], "run": [], "time": []} for split in ("train", "val", "test")
    }
    for name in names:
        data = make_crfluid_dataset(
            Path(path) / name,
            classes=(name,),
            n_runs_per_class=n_runs_per_class,
            resolution=resolution,
            ndim=2,
            t_end_eddy=t_end_eddy,
            snapshot_every=snapshot_every,
            saturation_eddy=saturation_eddy,
            mach=mach,
            beta=beta,
            random_state=random_state,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        split_of_run = np.where(
            data.run >= first_test, "test", np.where(data.run >= first_val, "val", "train")
        )
        for split in ("train", "val", "test"):
            mask = split_of_run == split
            if not mask.any():
                continue
            shifts = train_shifts if split == "train" else 1
            tiles, image = _tiles(
                data.images[mask], tile_size, _offsets(tile_size, shifts), keep_fraction, rng
            )
            store = sets[split]
            store["X"].append(preprocess_tiles(tiles, variant))
            store["y"].append(np.full(len(tiles), name))
            store["run"].append(data.run[mask][image])
            store["time"].append(data.time[mask][image])

    def stack(split: str, key: str, empty: np.ndarray) -> np.ndarray:
        parts = sets[split][key]
        return np.concatenate(parts) if parts else empty

    empty_x = np.zeros((0, tile_size, tile_size), dtype=np.float32)
    out = {}
    for split in ("train", "val", "test"):
        out[f"X_{split}"] = stack(split, "X", empty_x)
        out[f"y_{split}"] = stack(split, "y", np.zeros(0, dtype=str))
        out[f"run_{split}"] = stack(split, "run", np.zeros(0, dtype=np.int64))
        out[f"time_{split}"] = stack(split, "time", np.zeros(0))
    config = {
        "n_runs_per_class": n_runs_per_class,
        "n_test_runs": n_test_runs,
        "n_validation_runs": n_validation_runs,
        "tile_size": tile_size,
        "keep_fraction": keep_fraction,
        "train_shifts": train_shifts,
        "variant": variant,
        "resolution": resolution,
        "t_end_eddy": t_end_eddy,
        "snapshot_every": snapshot_every,
        "saturation_eddy": saturation_eddy,
        "mach": mach,
        "beta": beta,
        "random_state": random_state,
    }
    return TransportDataset(classes=names, config=config, **out)
