"""Density cubes: lazy loaders, buffered spatial splits, slices, projections and tiles.

Cubes are read lazily when the format allows it (``.npy`` memory maps, HDF5 datasets through
h5py slicing), so a 512^3 cube never has to sit in memory whole: every function here takes
any array-like with ``shape`` and NumPy-style basic indexing, and reads one slab at a time.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from crsbi.core.random import check_random_state
from crsbi.core.validation import check_interval

__all__ = [
    "LazyCube",
    "buffered_split",
    "load_athena_density",
    "open_cube",
    "slice_images",
    "tile_images",
]

_HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".athdf")


class LazyCube:
    """A cube stored in an HDF5 file, read slab by slab through h5py slicing.

    Parameters
    ----------
    path : str or os.PathLike
        HDF5 file.
    dataset : str
        Path of the dataset inside the file (e.g. ``"/density"``).

    Attributes
    ----------
    shape : tuple of int
        Shape of the dataset.
    dtype : numpy.dtype
        Its data type.

    Examples
    --------
    >>> import tempfile, os, h5py, numpy as np
    >>> from crsbi.maps._cubes import LazyCube
    >>> path = os.path.join(tempfile.mkdtemp(), "cube.h5")
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("rho", data=np.arange(8.0).reshape(2, 2, 2))
    >>> with LazyCube(path, "rho") as cube:
    ...     cube.shape, float(cube[1, 0, 1])
    ((2, 2, 2), 5.0)
    """

    def __init__(self, path: str | os.PathLike, dataset: str) -> None:
        import h5py

        self.path = os.fspath(path)
        self._file = h5py.File(self.path, "r")
        if dataset not in self._file or not isinstance(self._file[dataset], h5py.Dataset):
            names: list[str] = []
            self._file.visititems(
                lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None
            )
            self._file.close()
            raise KeyError(f"{self.path} has no dataset {dataset!r}; its datasets are {names}.")
        self._dataset = self._file[dataset]
        self.shape = tuple(self._dataset.shape)
        self.dtype = self._dataset.dtype
        self.ndim = len(self.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.asarray(self._dataset[key])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self._dataset[()]
        return np.asarray(data, dtype=dtype)

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> LazyCube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_cube(source: Any, *, dataset: str | None = None) -> Any:
    """Open a data cube for slab-wise reading.

    Parameters
    ----------
    source : str, os.PathLike or array_like
        ``.npy`` file (memory-mapped), ``.npz`` file (the array named ``dataset``, or the only
        one), HDF5 file (``.h5``, ``.hdf5``, ``.hdf``; the dataset ``dataset``, also written
        ``"file.h5:/group/name"``; read lazily), Athena++ ``.athdf`` output (its gas density,
        see :func:`load_athena_density`), or an array already in memory (returned unchanged).
    dataset : str or None
        Array name inside ``.npz`` / HDF5 files.

    Returns
    -------
    ndarray, numpy.memmap or LazyCube
        An array-like with ``shape`` and NumPy basic indexing.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from crsbi.maps.images import open_cube
    >>> path = os.path.join(tempfile.mkdtemp(), "cube.npy")
    >>> np.save(path, np.ones((4, 4, 4), dtype=np.float32))
    >>> open_cube(path).shape
    (4, 4, 4)
    """
    if not isinstance(source, (str, os.PathLike)):
        array = np.asarray(source)
        if array.dtype.kind not in "fiu":
            raise TypeError(f"source must be a numeric array or a path. Got dtype {array.dtype}.")
        return array
    text = os.fspath(source)
    if dataset is None and not os.path.exists(text):
        match = re.match(r"^(.+\.(?:h5|hdf5|hdf)):(.+)$", text, flags=re.IGNORECASE)
        if match:
            text, dataset = match.group(1), match.group(2)
    lower = text.lower()
    if not os.path.exists(text):
        raise FileNotFoundError(f"No cube file at {text!r}.")
    if lower.endswith(".npy"):
        return np.load(text, mmap_mode="r")
    if lower.endswith(".npz"):
        with np.load(text) as archive:
            names = list(archive.files)
            if dataset is None:
                if len(names) != 1:
                    raise ValueError(
                        f"{text} holds several arrays {names}; pass dataset= to pick one."
                    )
                dataset = names[0]
            if dataset not in names:
                raise KeyError(f"{text} has no array {dataset!r}; it holds {names}.")
            return archive[dataset]
    if lower.endswith(".athdf"):
        return load_athena_density(text)
    if lower.endswith(_HDF5_SUFFIXES):
        if dataset is None:
            raise ValueError(f"Name the HDF5 dataset of {text}: dataset='...' or 'file.h5:/name'.")
        return LazyCube(text, dataset)
    raise ValueError(
        f"Unknown cube format {text!r}: expected .npy, .npz, .h5/.hdf5/.hdf or .athdf."
    )


def load_athena_density(path: str | os.PathLike, *, variable: str = "rho") -> np.ndarray:
    """Read one primitive variable (default the gas density) of an Athena++ ``.athdf`` file.

    Assumptions (checked where possible): a uniform grid (every MeshBlock on the same refinement
    level, no mesh refinement); the ``prim`` dataset has shape
    ``(n_variables, n_blocks, nx3_block, nx2_block, nx1_block)`` with variable names in the
    root attribute ``VariableNames`` (its first entries belong to ``prim``); ``LogicalLocations``
    gives each block's ``(lx1, lx2, lx3)`` integer position. Only this variable's blocks are
    read (one at a time), so memory holds the assembled cube but never the other variables.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.athdf`` file.
    variable : str, default="rho"
        Name of the primitive variable.

    Returns
    -------
    ndarray of shape (nx1, nx2, nx3)
        The field, indexed ``[i, j, k]`` = ``(x1, x2, x3)``: axis 0 is x (Athena's fastest
        index), so slicing with ``axis=0`` gives y-z planes perpendicular to an x guide field.

    Examples
    --------
    >>> import tempfile, os, h5py, numpy as np
    >>> from crsbi.maps.images import load_athena_density
    >>> path = os.path.join(tempfile.mkdtemp(), "out.athdf")
    >>> with h5py.File(path, "w") as f:
    ...     f.attrs["VariableNames"] = np.array([b"rho", b"press"])
    ...     f.attrs["MeshBlockSize"] = np.array([2, 2, 2])
    ...     f["prim"] = np.ones((2, 1, 2, 2, 2))
    ...     f["LogicalLocations"] = np.zeros((1, 3), dtype=int)
    ...     f["Levels"] = np.zeros(1, dtype=int)
    >>> load_athena_density(path).shape
    (2, 2, 2)
    """
    import h5py

    with h5py.File(os.fspath(path), "r") as f:
        if "prim" not in f or "LogicalLocations" not in f:
            raise ValueError(f"{path} is not an Athena++ athdf file (no 'prim' dataset).")
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["VariableNames"]]
        if variable not in names:
            raise KeyError(f"{path} has no variable {variable!r}; it has {names}.")
        index = names.index(variable)
        prim = f["prim"]
        if index >= prim.shape[0]:
            raise KeyError(f"Variable {variable!r} is not in the 'prim' dataset of {path}.")
        if "Levels" in f and len(np.unique(f["Levels"][()])) > 1:
            raise ValueError(f"{path} uses mesh refinement; only uniform grids are supported.")
        locations = np.asarray(f["LogicalLocations"][()], dtype=int)
        nb3, nb2, nb1 = prim.shape[2:]
        shape = tuple(int(n) for n in (locations.max(0) + 1) * (nb1, nb2, nb3))
        cube = np.empty(shape, dtype=prim.dtype)
        for block, (l1, l2, l3) in enumerate(locations):
            data = prim[index, block]  # (nx3, nx2, nx1) in C order
            cube[
                l1 * nb1 : (l1 + 1) * nb1, l2 * nb2 : (l2 + 1) * nb2, l3 * nb3 : (l3 + 1) * nb3
            ] = np.transpose(data)
    return cube


def buffered_split(
    n_cells: int,
    *,
    widths: Sequence[float] = (1 / 6, 1 / 6, 1 / 6),
    buffer: float = 1 / 6,
    names: Sequence[str] = ("train", "validation", "test"),
    periodic: bool = True,
) -> dict[str, np.ndarray]:
    """Cell indices of contiguous regions along one axis, separated by buffers.

    The layout is ``region_0 | buffer | region_1 | buffer | ... | region_last`` starting at cell
    0, and with ``periodic=True`` the cells after the last region must leave at least one
    buffer before wrapping round to region 0. The defaults are the layout of Bustard and Wu
    (2024) as published with their code: six equal blocks of L/6, ``train | buffer |
    validation | buffer | test | buffer``, so correlated structures (a few L/10 across in
    driven turbulence) cannot straddle two sets.

    Parameters
    ----------
    n_cells : int
        Length L of the axis in cells.
    widths : sequence of float, default=(1/6, 1/6, 1/6)
        Width of each region as a fraction of L (each in (0, 1]).
    buffer : float, default=1/6
        Width of every buffer as a fraction of L, >= 0.
    names : sequence of str, default=("train", "validation", "test")
        Region names, one per width.
    periodic : bool, default=True
        Whether the axis wraps round (then the wrap gap counts as a buffer too).

    Returns
    -------
    dict of str to ndarray of int
        Sorted cell indices of each region: the cells lying wholly inside the region's
        interval of the continuous layout, so every buffer keeps at least ``buffer * n_cells``
        cells (a region may lose a cell to rounding).

    Examples
    --------
    >>> from crsbi.maps.images import buffered_split
    >>> parts = buffered_split(12)
    >>> {name: idx.tolist() for name, idx in parts.items()}
    {'train': [0, 1], 'validation': [4, 5], 'test': [8, 9]}
    """
    owner = "buffered_split"
    check_interval(n_cells, "n_cells", owner, kind=int, low=1)
    check_interval(buffer, "buffer", owner, low=0, high=1)
    widths = list(widths)
    names = list(names)
    if len(widths) != len(names) or not widths:
        raise ValueError(
            f"widths and names must have the same non-zero length; got {len(widths)} widths "
            f"and {len(names)} names."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"names must be unique. Got {names!r}.")
    for width in widths:
        check_interval(width, "widths", owner, low=0, high=1, closed="right")
    n_gaps = len(widths) - 1 + (1 if periodic else 0)
    if sum(widths) + buffer * n_gaps > 1 + 1e-9:
        raise ValueError(
            f"Regions of widths {widths} and {n_gaps} buffers of {buffer:g} (fractions of the "
            "axis) do not fit in it."
        )
    out: dict[str, np.ndarray] = {}
    position = 0.0  # continuous layout in cells; a region owns the cells wholly inside it
    for name, width in zip(names, widths, strict=True):
        low, high = position, position + width * n_cells
        cells = np.arange(math.ceil(low - 1e-9), math.floor(high + 1e-9))
        if len(cells) == 0:
            raise ValueError(f"n_cells={n_cells} is too small: region {name!r} has no cell.")
        out[name] = cells
        position = high + buffer * n_cells
    return out


def _read_plane(cube: Any, index: int, axis: int) -> np.ndarray:
    key: list[Any] = [slice(None)] * len(cube.shape)
    key[axis] = int(index)
    return np.asarray(cube[tuple(key)], dtype=np.float64)


def slice_images(
    cube: Any, indices: Sequence[int] | np.ndarray, *, axis: int = 0, depth: int = 1
) -> np.ndarray:
    """Planes perpendicular to ``axis``, optionally averaged over ``depth`` cells.

    Image ``m`` is the mean of the planes ``indices[m], ..., indices[m] + depth - 1`` (indices
    taken modulo the axis length: the box is periodic), i.e. a projection of depth ``d`` cells
    along ``axis``, as in the projection-depth experiment of Bustard and Wu (2024). Planes are
    read one at a time, so lazy cubes stay lazy.

    Parameters
    ----------
    cube : array_like of shape (N0, N1, N2)
        Data cube (ndarray, memmap or :class:`LazyCube`).
    indices : sequence of int
        First cell of each image along ``axis``.
    axis : int, default=0
        Axis perpendicular to the images (the guide-field direction in the paper).
    depth : int, default=1
        Number of cells averaged, >= 1.

    Returns
    -------
    ndarray of shape (len(indices), ...)
        The images (float64), the remaining two axes in order.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import slice_images
    >>> cube = np.arange(4.0)[:, None, None] * np.ones((4, 2, 2))
    >>> slice_images(cube, [0, 3], depth=2)[:, 0, 0].tolist()  # (0+1)/2 and (3+0)/2
    [0.5, 1.5]
    """
    shape = tuple(cube.shape)
    if len(shape) != 3:
        raise ValueError(f"cube must have shape (N0, N1, N2); got shape {shape}.")
    if axis not in (0, 1, 2, -1, -2, -3):
        raise ValueError(f"axis must be 0, 1 or 2. Got {axis!r} instead.")
    axis = axis % 3
    check_interval(depth, "depth", "slice_images", kind=int, low=1, high=shape[axis])
    indices = np.asarray(indices, dtype=int).ravel()
    length = shape[axis]
    plane_shape = tuple(s for i, s in enumerate(shape) if i != axis)
    images = np.zeros((len(indices), *plane_shape))
    cache: dict[int, np.ndarray] = {}
    for m, start in enumerate(indices):
        for offset in range(depth):
            cell = int((start + offset) % length)
            if cell not in cache:
                if len(cache) > 2 * depth:
                    cache.clear()
                cache[cell] = _read_plane(cube, cell, axis)
            images[m] += cache[cell]
    images /= depth
    if not np.isfinite(images).all():
        raise ValueError("cube contains NaN or infinite values in the requested planes.")
    return images


def tile_images(
    images: Any,
    tile_size: int = 128,
    *,
    keep_fraction: float = 1.0,
    random_state: Any = None,
    return_index: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Cut images into non-overlapping square tiles, keeping a random fraction of them.

    A 512 x 512 slice gives 16 tiles of 128 x 128 (Bustard and Wu keep half of them, at
    random). Rows and columns beyond the last whole tile are dropped.

    Parameters
    ----------
    images : array_like of shape (n_images, H, W) or (H, W)
        Images, ``H, W >= tile_size``.
    tile_size : int, default=128
        Side of each tile in pixels.
    keep_fraction : float, default=1.0
        Fraction of the tiles of each image kept (rounded to the nearest whole tile, at least
        one), chosen at random without replacement.
    random_state : None, int or numpy.random.Generator
        Seeds the choice of the kept tiles.
    return_index : bool, default=False
        Also return, per tile, ``(image, row, column)`` with row/column in tile units.

    Returns
    -------
    tiles : ndarray of shape (n_tiles, tile_size, tile_size)
        Tiles, image by image in row-major tile order.
    index : ndarray of shape (n_tiles, 3)
        Returned with ``return_index=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.maps.images import tile_images
    >>> tile_images(np.zeros((2, 8, 8)), 4).shape
    (8, 4, 4)
    >>> tile_images(np.zeros((2, 8, 8)), 4, keep_fraction=0.5, random_state=0).shape
    (4, 4, 4)
    """
    array = np.asarray(images)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(f"images must have shape (n_images, H, W); got shape {array.shape}.")
    check_interval(tile_size, "tile_size", "tile_images", kind=int, low=1)
    check_interval(keep_fraction, "keep_fraction", "tile_images", low=0, high=1, closed="right")
    n, height, width = array.shape
    rows, cols = height // tile_size, width // tile_size
    if rows == 0 or cols == 0:
        raise ValueError(
            f"images of shape {(height, width)} are smaller than tile_size={tile_size}."
        )
    crop = array[:, : rows * tile_size, : cols * tile_size]
    tiles = crop.reshape(n, rows, tile_size, cols, tile_size).transpose(0, 1, 3, 2, 4)
    tiles = tiles.reshape(n, rows * cols, tile_size, tile_size)
    grid = np.stack(np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij"), -1)
    grid = grid.reshape(rows * cols, 2)
    n_keep = max(1, round(keep_fraction * rows * cols))
    if n_keep < rows * cols:
        rng = check_random_state(random_state)
        chosen = np.sort(np.argsort(rng.random((n, rows * cols)), axis=1)[:, :n_keep], axis=1)
    else:
        chosen = np.broadcast_to(np.arange(rows * cols), (n, rows * cols))
    out = np.take_along_axis(tiles, chosen[:, :, None, None], axis=1)
    out = out.reshape(n * n_keep, tile_size, tile_size)
    if not return_index:
        return out
    index = np.concatenate([np.repeat(np.arange(n), n_keep)[:, None], grid[chosen.ravel()]], axis=1)
    return out, index
