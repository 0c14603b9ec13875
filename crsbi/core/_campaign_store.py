"""Storage and execution engine of :mod:`crsbi.core.campaign`.

Layout of a campaign directory::

    <path>/
        manifest.json              configuration, written once
        chunks/chunk_000000.h5     samples [0, chunk_size)
        chunks/chunk_000001.h5     samples [chunk_size, 2 chunk_size)
        ...
        .lock                      held with flock(2) while a run writes

HDF5 is not journaled, so nothing is ever modified in place: every file is written
under a temporary name (``.<final name>.<pid>-<hex>.tmp``) in its final directory,
flushed, ``fsync``-ed and renamed with :func:`os.replace`, then the directory is
``fsync``-ed. A file under its final name is therefore complete, whatever moment a
process is killed at; the worst a kill leaves behind is a ``*.tmp`` file, which the
next run deletes (under the lock) and readers ignore.

Integrity (format version 2)
----------------------------
Chunk and consolidated files start with a 512-byte HDF5 *user block*, which HDF5
readers skip, holding the line ``crsbi-sha256 <64 hex digits>`` padded with zeros: the
SHA-256 of every byte after the user block. Every read checks it before HDF5 parses
the file, so a flipped bit or overwritten bytes anywhere, data or metadata, raise
``ValueError`` naming the file. ``manifest.json`` holds ``fingerprint``, the SHA-256
of its canonical ``seed`` and ``config`` (see :func:`describe`), checked on every
read. Stores of format version 1 (no checksums, objects described by class and repr
only) are still read and resumed, with a warning; their chunks are read unverified.

Workers only compute: :func:`simulate_chunk` returns arrays to the process that
called ``Campaign.run``, which alone writes. Dask workers therefore need no access to
the campaign directory. Workers of the local process backends stop themselves when
that process dies, even by ``kill -9`` (see :func:`_watch_parent`).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import inspect
import io
import json
import math
import os
import re
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from crsbi._version import __version__

__all__ = [
    "CHUNK_FIELDS",
    "Plan",
    "SimulationStatus",
    "assemble",
    "campaign_lock",
    "checksums_required",
    "chunk_path",
    "completed_chunks",
    "describe",
    "execute",
    "fingerprint",
    "normalize",
    "open_manifest",
    "read_chunk",
    "read_chunk_attrs",
    "read_chunks",
    "read_consolidated",
    "read_manifest",
    "remove_temporaries",
    "sample_seeds",
    "sha256",
    "simulate_chunk",
    "stored_x_dim",
    "verify_checksum",
    "write_chunk",
    "write_consolidated",
    "write_manifest",
]

FORMAT = "crsbi-campaign"
CONSOLIDATED_FORMAT = "crsbi-campaign-consolidated"
FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
CHUNK_DIR = "chunks"
LOCK = ".lock"
TMP_SUFFIX = ".tmp"
CHUNK_FIELDS = ("index", "theta", "x", "seed", "status", "message")
_CHUNK_NAME = re.compile(r"^chunk_(\d+)\.h5$")
_MESSAGE_LENGTH = 2000
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_MAX_DEPTH = 32  # nesting levels of a configuration description
_MAX_DIFFERENCES = 12  # configuration differences listed in an error
_FORMAT_2_KEYS = ("params", "fitted", "state", "attributes")  # object keys new in format 2
_USERBLOCK_SIZE = 512  # HDF5 user block holding the checksum header
_CHECKSUM_MAGIC = b"crsbi-sha256 "
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_PROCESS_BACKENDS = ("loky", "multiprocessing")  # workers are child processes of the run
_WATCHDOG_INTERVAL_S = 0.5


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temporary_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}{TMP_SUFFIX}")


def _atomic_write_bytes(final: Path, data: bytes) -> None:
    """Write ``data`` to ``final`` so that ``final`` is either absent, old, or complete."""
    tmp = _temporary_name(final)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(final.parent)


# ---------------------------------------------------------------------------- manifest


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically."""
    text = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **manifest}, indent=2)
    _atomic_write_bytes(root / MANIFEST, (text + "\n").encode("utf-8"))


def read_manifest(root: Path) -> dict[str, Any]:
    """Read ``manifest.json``; ``FileNotFoundError`` when ``root`` holds no campaign."""
    path = root / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"No campaign at {root} (no {MANIFEST} there).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable campaign manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path} was not written by crsbi.core.campaign.")
    if manifest.get("format_version") not in READABLE_FORMAT_VERSIONS:
        raise ValueError(
            f"{path} has campaign format version {manifest.get('format_version')!r}; this crsbi "
            f"reads versions {', '.join(map(str, READABLE_FORMAT_VERSIONS))} only (a newer "
            "crsbi wrote it?)."
        )
    if manifest["format_version"] >= 2 and manifest.get("fingerprint") != fingerprint(
        manifest.get("seed"), manifest.get("config")
    ):
        raise ValueError(
            f"{path} is damaged or was edited: its 'fingerprint' does not match its 'seed' "
            "and 'config', so which configuration produced the chunks is unknown. Restore "
            "it from a copy of the campaign, or delete the directory to start over."
        )
    return manifest


def checksums_required(manifest: dict[str, Any]) -> bool:
    """Whether every chunk of a campaign with this manifest must carry a checksum."""
    return manifest["format_version"] >= 2


# ---------------------------------------------------------------------------- chunks


def chunk_path(root: Path, chunk: int) -> Path:
    """Return the final path of chunk number ``chunk``."""
    return root / CHUNK_DIR / f"chunk_{chunk:06d}.h5"


def completed_chunks(root: Path) -> dict[int, Path]:
    """Chunk number -> file, for every chunk file under its final name (complete by design)."""
    directory = root / CHUNK_DIR
    if not directory.is_dir():
        return {}
    found = {}
    for entry in os.scandir(directory):
        match = _CHUNK_NAME.match(entry.name)
        if match and entry.is_file():
            found[int(match.group(1))] = Path(entry.path)
    return dict(sorted(found.items()))


def remove_temporaries(root: Path) -> int:
    """Delete ``*.tmp`` files left by killed runs; return how many were removed.

    Call it only while holding :func:`campaign_lock`, so no live writer owns them.
    """
    removed = 0
    for directory in (root, root / CHUNK_DIR):
        if not directory.is_dir():
            continue
        for entry in os.scandir(directory):
            if entry.name.endswith(TMP_SUFFIX) and entry.is_file():
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
    return removed


def _to_hdf5(group: h5py.Group, arrays: dict[str, np.ndarray]) -> None:
    for name, array in arrays.items():
        if name == "message":
            group.create_dataset(
                name, data=np.asarray(array, dtype=object), dtype=h5py.string_dtype("utf-8")
            )
        else:
            group.create_dataset(name, data=array)


def write_chunk(root: Path, chunk: int, arrays: dict[str, np.ndarray], attrs: dict) -> Path:
    """Write one chunk file atomically, with its checksum; the image is built in memory."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", userblock_size=_USERBLOCK_SIZE) as file:
        _to_hdf5(file, arrays)
        file.attrs.update(attrs)
    image = buffer.getbuffer()
    image[:_USERBLOCK_SIZE] = _checksum_header(hashlib.sha256(image[_USERBLOCK_SIZE:]))
    final = chunk_path(root, chunk)
    _atomic_write_bytes(final, image)
    return final


def _checksum_header(digest: Any) -> bytes:
    """Return the user block of a file whose bytes after it have the SHA-256 ``digest``."""
    header = _CHECKSUM_MAGIC + digest.hexdigest().encode("ascii") + b"\n"
    return header.ljust(_USERBLOCK_SIZE, b"\0")


def _remedy(path: Path) -> str:
    if path.parent.name == CHUNK_DIR and _CHUNK_NAME.match(path.name):
        return (
            f"Delete {path} and run the campaign again: that chunk is simulated anew, "
            "with the same samples (seeds depend on the sample index only)."
        )
    return f"Delete {path} and write it again with consolidate_campaign."


def verify_checksum(path: Path) -> bool:
    """Check the SHA-256 header of a campaign file.

    Parameters
    ----------
    path : pathlib.Path
        Chunk or consolidated file.

    Returns
    -------
    bool
        ``True`` when the checksum matches, ``False`` for a plain HDF5 file without one
        (written by crsbi before format version 2).

    Raises
    ------
    ValueError
        If the header or any byte after it is damaged; the message names the file
        and the remedy.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        header = file.read(_USERBLOCK_SIZE)
        if header.startswith(_HDF5_SIGNATURE):
            return False
        if not header.startswith(_CHECKSUM_MAGIC) or len(header) < _USERBLOCK_SIZE:
            raise ValueError(
                f"{path} is not a readable HDF5 file: it starts with neither crsbi's "
                "checksum header nor the HDF5 signature (damaged, truncated, or not a "
                f"campaign file). {_remedy(path)}"
            )
        while block := file.read(1 << 20):
            digest.update(block)
    stored = header[len(_CHECKSUM_MAGIC) :].partition(b"\n")[0].decode("ascii", "replace")
    if stored != digest.hexdigest():
        raise ValueError(
            f"{path} is damaged: its bytes do not match the SHA-256 checksum written with "
            f"it (stored {stored[:16]}..., computed {digest.hexdigest()[:16]}...), so its "
            f"samples cannot be trusted. {_remedy(path)}"
        )
    return True


def _open(path: Path, *, require_checksum: bool = True) -> h5py.File:
    """Open a campaign file for reading once its checksum is verified."""
    if not verify_checksum(path) and require_checksum:
        _missing_checksum(path)
    return _open_hdf5(path)


def _missing_checksum(path: Path) -> None:
    raise ValueError(
        f"{path} carries no checksum, but every file of a campaign of format version 2 "
        f"does: it was replaced by another file, or its header was erased. {_remedy(path)}"
    )


def _open_hdf5(path: Path) -> h5py.File:
    try:
        # no HDF5 file locking: the files never change once renamed into place, and
        # locking fails on some network file systems
        return h5py.File(path, "r", locking=False)
    except OSError as exc:
        raise ValueError(
            f"{path} is not a readable HDF5 file ({exc}). Campaign files are renamed into "
            "place only once complete, so this points at a damaged disk or a file copied "
            f"half-way. {_remedy(path)}"
        ) from exc


def read_chunk_attrs(path: Path, *, require_checksum: bool = True) -> dict[str, Any]:
    """Attributes of a chunk file (the whole file is read to verify its checksum)."""
    with _open(path, require_checksum=require_checksum) as file:
        return {key: _plain(value) for key, value in file.attrs.items()}


def read_chunk(
    path: Path, fields: tuple[str, ...] = CHUNK_FIELDS, *, require_checksum: bool = True
) -> dict[str, Any]:
    """Arrays ``fields`` of a chunk file, plus its attributes under ``"attrs"``.

    The checksum is verified first; ``require_checksum=False`` also accepts a file
    without one (stores of format version 1).
    """
    with _open(path, require_checksum=require_checksum) as file:
        return _read_fields(file, path, fields)


def _read_fields(file: h5py.File, path: Path, fields: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        if name not in file:
            raise ValueError(f"{path} has no {name!r} dataset; it is not a campaign chunk.")
        dataset = file[name]
        out[name] = (
            np.asarray(dataset.asstr()[()], dtype=object) if name == "message" else dataset[()]
        )
    out["attrs"] = {key: _plain(value) for key, value in file.attrs.items()}
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


# ---------------------------------------------------------------------------- lock


@contextmanager
def campaign_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``<root>/.lock`` while a run writes the store.

    The kernel releases the lock when the process dies, ``kill -9`` included. Where
    ``fcntl`` or file locks are unavailable (Windows, some network file systems)
    the run goes on unlocked: starting two runs of one campaign at once is then the
    user's responsibility.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"Another process is running the campaign at {root} (its lock file "
                f"{root / LOCK} is held). Wait for it to finish, or stop it first; "
                "two writers would compute the same chunks twice."
            ) from None
        except OSError:
            pass  # the file system has no locks
        yield
    finally:
        os.close(fd)  # releases the lock


# ---------------------------------------------------------------------------- consolidated


def write_consolidated(path: Path, arrays: dict[str, np.ndarray], manifest: dict) -> None:
    """Write every sample into one HDF5 file with its checksum, through a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path)
    try:
        with h5py.File(tmp, "w", userblock_size=_USERBLOCK_SIZE) as file:
            _to_hdf5(file, arrays)
            file.attrs["format"] = CONSOLIDATED_FORMAT
            file.attrs["format_version"] = FORMAT_VERSION
            file.attrs["manifest"] = json.dumps(manifest)
        with open(tmp, "r+b") as file:
            file.seek(_USERBLOCK_SIZE)
            digest = hashlib.sha256()
            while block := file.read(1 << 20):
                digest.update(block)
            file.seek(0)
            file.write(_checksum_header(digest))
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def read_consolidated(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and manifest of a file written by :func:`write_consolidated`."""
    verified = verify_checksum(path)
    with _open_hdf5(path) as file:
        if _plain(file.attrs.get("format")) != CONSOLIDATED_FORMAT:
            raise ValueError(f"{path} is not a consolidated crsbi campaign file.")
        if not verified and _plain(file.attrs.get("format_version")) != 1:
            _missing_checksum(path)  # only files of format version 1 have none
        manifest = json.loads(_plain(file.attrs["manifest"]))
        arrays = _read_fields(file, path, CHUNK_FIELDS)
    arrays.pop("attrs")
    return arrays, manifest


# ---------------------------------------------------------------------------- status


class SimulationStatus(enum.IntEnum):
    """Outcome of one simulation, stored per sample as an ``int8`` code.

    Examples
    --------
    >>> from crsbi.core.campaign import SimulationStatus
    >>> int(SimulationStatus.OK), SimulationStatus(1).name
    (0, 'SIMULATOR_ERROR')
    """

    OK = 0
    """The simulator returned a finite 1-D array of the campaign's length."""
    SIMULATOR_ERROR = 1
    """The simulator raised an exception (its type, text and location are the message)."""
    NON_FINITE = 2
    """The output holds NaN or infinite values (kept in ``x`` for inspection)."""
    INVALID_OUTPUT = 3
    """The output is not numeric, not 1-D, or not as long as the other samples' outputs."""


# ---------------------------------------------------------------------------- configuration


@dataclass
class Plan:
    """Validated parameters of a ``Campaign``."""

    simulator: Callable[..., Any]
    root: Path
    prior: Any
    theta: np.ndarray | None
    n_simulations: int
    chunk_size: int
    n_chunks: int
    theta_dim: int
    seed: int | None
    config: dict[str, Any]
    n_jobs: int
    backend: str
    scheduler_address: str | None
    verbose: int


def sha256(array: np.ndarray) -> str:
    """Return the hex SHA-256 digest of an array's bytes (C order)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{name}"


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def describe(value: Any) -> Any:
    """Describe a simulator, prior or argument as JSON that is stable across processes.

    Numbers, strings, lists and dictionaries are kept; arrays (NumPy, and torch tensors)
    become their shape, dtype and the SHA-256 of their bytes; functions and classes
    their qualified name; ``functools.partial`` its function and arguments. Any other
    object becomes its class, its ``repr`` (memory addresses removed) and

    - ``params``: its estimator-style ``get_params(deep=False)``, described in turn
      (so nested estimators are covered), plus ``fitted``, a digest of the arrays and
      tensors among its fitted attributes (public names ending in ``_``); or
    - ``state``: the ``state_dict()`` of a ``torch.nn.Module``; or else
    - ``attributes``: its public attributes (``vars()``, names not starting with
      ``_``), described in turn.

    Objects of the standard library, and wrappers of a function (numba dispatchers,
    decorators setting ``__wrapped__``) are described by their ``repr`` only: their
    attributes hold runtime state, not configuration. Cycles and nesting deeper than
    32 levels are cut the same way.

    Parameters
    ----------
    value : object
        Simulator, prior, or a part of one.

    Returns
    -------
    object
        A JSON-serialisable description; equal descriptions mean equal configurations.
    """
    return _describe(value, ())


def _describe(value: Any, stack: tuple[int, ...]) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return _describe(value.item(), stack)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return _describe(value.tolist(), stack)
        return _describe_array(value, str(value.dtype))
    if isinstance(value, functools.partial):
        return {
            "partial": _describe(value.func, stack),
            "args": [_describe(arg, stack) for arg in value.args],
            "keywords": {key: _describe(arg, stack) for key, arg in sorted(value.keywords.items())},
        }
    if isinstance(value, list | tuple):
        return [_describe(item, stack) for item in value]
    if isinstance(value, dict):
        return {str(key): _describe(item, stack) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return {"set": sorted((_describe(item, stack) for item in value), key=_canonical_json)}
    if inspect.ismodule(value):
        return {"module": value.__name__}
    if inspect.isfunction(value) or inspect.isbuiltin(value) or inspect.isclass(value):
        return {"callable": _qualified_name(value)}
    if inspect.ismethod(value):
        return {"method": _qualified_name(value), "of": _describe(value.__self__, stack)}
    tensor = _torch_tensor_bytes(value)
    if tensor is not None:
        return _describe_array(tensor, str(value.dtype), shape=tuple(value.shape))
    return _describe_object(value, stack)


def _describe_array(
    array: np.ndarray, dtype: str, shape: tuple[int, ...] | None = None
) -> dict[str, Any]:
    shape = array.shape if shape is None else shape
    return {"array": {"shape": list(shape), "dtype": dtype, "sha256": sha256(array)}}


def _torch_tensor_bytes(value: Any) -> np.ndarray | None:
    """Raw bytes of a torch tensor as a uint8 array (any dtype, any device), else None."""
    torch = sys.modules.get("torch")  # a tensor exists only once torch is imported
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    try:
        flat = value.detach().to("cpu").contiguous().reshape(-1)
        return flat.view(torch.uint8).numpy()
    except (RuntimeError, TypeError):  # sparse, quantized or meta tensors: by repr
        return None


def _describe_object(value: Any, stack: tuple[int, ...]) -> dict[str, Any]:
    description: dict[str, Any] = {
        "object": _qualified_name(type(value)),
        "repr": _ADDRESS.sub("", repr(value)),
    }
    if id(value) in stack or len(stack) >= _MAX_DEPTH or _opaque(value):
        return description
    stack = (*stack, id(value))
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.nn.Module):
        description["state"] = _describe(dict(value.state_dict()), stack)
        return description
    params = _estimator_params(value)
    if params is not None:
        description["params"] = _describe(params, stack)
        attributes = _public_attributes(value)
        fitted = {key: item for key, item in attributes.items() if key.endswith("_")}
        digests = list(_array_digests(_describe(fitted, stack)))
        if digests:
            description["fitted"] = hashlib.sha256(
                _canonical_json(digests).encode("utf-8")
            ).hexdigest()
        return description
    attributes = _public_attributes(value)
    if attributes:
        description["attributes"] = _describe(attributes, stack)
    return description


def _opaque(value: Any) -> bool:
    """Whether ``value``'s attributes are runtime state rather than configuration."""
    module = type(value).__module__.partition(".")[0]
    if module in sys.stdlib_module_names or module == "builtins":
        return True
    wrapped = getattr(value, "__wrapped__", None) or getattr(value, "py_func", None)
    return inspect.isfunction(wrapped)


def _estimator_params(value: Any) -> dict[str, Any] | None:
    """``value.get_params(deep=False)`` for an estimator-like object, else None."""
    get_params = getattr(value, "get_params", None)
    if not callable(get_params):
        return None
    try:
        try:
            params = get_params(deep=False)
        except TypeError:
            params = get_params()
    except Exception:  # a broken get_params: fall back to the attributes
        return None
    return dict(params) if isinstance(params, dict) else None


def _public_attributes(value: Any) -> dict[str, Any]:
    try:
        attributes = vars(value)
    except TypeError:  # no __dict__ (slots, extension types)
        return {}
    return {
        str(key): attributes[key]
        for key in sorted(attributes, key=str)
        if not str(key).startswith("_")
    }


def _array_digests(description: Any) -> Iterator[Any]:
    """Array descriptions and nested fitted digests in ``description``, in order."""
    if isinstance(description, dict):
        for key, item in description.items():
            if key in ("array", "fitted"):
                yield item
            else:
                yield from _array_digests(item)
    elif isinstance(description, list):
        for item in description:
            yield from _array_digests(item)


def _legacy_description(description: Any) -> Any:
    """Return ``description`` as format version 1 wrote it: objects by class and repr."""
    if isinstance(description, dict):
        return {
            key: _legacy_description(item)
            for key, item in description.items()
            if not ("object" in description and key in _FORMAT_2_KEYS)
        }
    if isinstance(description, list):
        return [_legacy_description(item) for item in description]
    return description


def normalize(config: dict[str, Any]) -> dict[str, Any]:
    """Return ``config`` as it reads back after a JSON round trip (tuples become lists)."""
    return json.loads(json.dumps(config))


def fingerprint(seed: int, config: dict[str, Any]) -> str:
    """SHA-256 of the seed and configuration of a campaign (canonical JSON)."""
    text = _canonical_json({"seed": seed, "config": config})
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_manifest(plan: Plan, *, create: bool) -> dict[str, Any]:
    """Check ``plan`` against the stored manifest (creating it if allowed); return it."""
    try:
        manifest = read_manifest(plan.root)
    except FileNotFoundError:
        if not create:
            raise
        orphans = completed_chunks(plan.root)
        if orphans:
            raise ValueError(
                f"{plan.root} holds {len(orphans)} chunk files but no {MANIFEST}, so nothing "
                "says which configuration produced them (a copy that missed the manifest?). "
                f"Restore {MANIFEST}, or delete {plan.root / CHUNK_DIR} to start over."
            ) from None
        seed = plan.seed if plan.seed is not None else int(np.random.SeedSequence().entropy)
        write_manifest(
            plan.root,
            {
                "crsbi_version": __version__,
                "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "seed": seed,
                "fingerprint": fingerprint(seed, plan.config),
                "config": plan.config,
            },
        )
        return read_manifest(plan.root)
    config = plan.config
    if manifest["format_version"] == 1:
        config = _legacy_description(config)
        warnings.warn(
            f"The campaign at {plan.root} was created by crsbi "
            f"{manifest.get('crsbi_version')}, which recorded only the class and repr of "
            "the simulator and prior, and no chunk checksums: a change of their other "
            "attributes, or a damaged chunk file, goes undetected. Start a new campaign "
            "to have both checked.",
            UserWarning,
            stacklevel=3,
        )
    differences = _differences(manifest.get("config", {}), config)
    if plan.seed is not None and plan.seed != manifest["seed"]:
        differences.insert(0, f"seed (random_state): {manifest['seed']} there, {plan.seed} here")
    if differences:
        shown = differences[:_MAX_DIFFERENCES]
        if len(differences) > len(shown):
            shown.append(f"... and {len(differences) - len(shown)} more")
        raise ValueError(
            f"The campaign at {plan.root} was created with a different configuration, and "
            "samples of two configurations must not be mixed:\n  "
            + "\n  ".join(shown)
            + "\nUse another path for the new configuration, or delete this directory to "
            "start over."
        )
    if manifest.get("crsbi_version") != __version__:
        warnings.warn(
            f"The campaign at {plan.root} was created by crsbi {manifest.get('crsbi_version')}; "
            f"this is crsbi {__version__}. Chunks from both versions are mixed if the "
            "simulator changed between them.",
            UserWarning,
            stacklevel=3,
        )
    return manifest


def _differences(stored: Any, current: Any, where: str = "") -> list[str]:
    """Dotted paths where two descriptions differ, with both values."""
    if isinstance(stored, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(stored) | set(current)):
            path = f"{where}.{key}" if where else key
            if key not in stored or key not in current:
                there = _short(stored[key]) if key in stored else "absent"
                here = _short(current[key]) if key in current else "absent"
                found.append(f"{path}: {there} there, {here} here")
            else:
                found += _differences(stored[key], current[key], path)
        return found
    if isinstance(stored, list) and isinstance(current, list) and len(stored) == len(current):
        found = []
        for i, (left, right) in enumerate(zip(stored, current, strict=True)):
            found += _differences(left, right, f"{where}[{i}]")
        return found
    if stored == current:
        return []
    return [f"{where}: {_short(stored)} there, {_short(current)} here"]


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------- execution


def sample_seeds(seed: int, start: int, stop: int) -> np.ndarray:
    """Integer seeds of samples ``start..stop-1``: ``SeedSequence(seed).spawn(n)[i]``, hashed."""
    return np.array(
        [
            np.random.SeedSequence(seed, spawn_key=(i,)).generate_state(1, np.uint64)[0]
            for i in range(start, stop)
        ],
        dtype=np.uint64,
    )


def _draw_theta(prior: Any, sample_seed: int, theta_dim: int) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence(int(sample_seed)).spawn(1)[0])
    theta = np.asarray(prior.sample(1, random_state=rng), dtype=np.float64)
    if theta.shape != (1, theta_dim) or not np.all(np.isfinite(theta)):
        raise ValueError(
            f"prior.sample(1, random_state=generator) must return a finite array of shape "
            f"(1, {theta_dim}); got {theta.tolist()!r} of shape {theta.shape} instead."
        )
    return theta[0]


def _exception_message(exc: Exception) -> str:
    text = f"{type(exc).__qualname__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return text if len(text) <= _MESSAGE_LENGTH else text[: _MESSAGE_LENGTH - 3] + "..."


def _simulate_one(
    simulator: Callable[..., Any], theta: np.ndarray, sample_seed: int
) -> tuple[int, np.ndarray | None, str]:
    """Run one simulation; never raise for a failure of the simulator itself."""
    try:
        output = simulator(theta.copy(), random_state=int(sample_seed))
    except Exception as exc:
        return SimulationStatus.SIMULATOR_ERROR, None, _exception_message(exc)
    try:
        x = np.asarray(output, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return (
            SimulationStatus.INVALID_OUTPUT,
            None,
            f"the simulator returned a {type(output).__name__}, not numbers: {exc}",
        )
    if x.ndim != 1 or x.size == 0:
        return (
            SimulationStatus.INVALID_OUTPUT,
            None,
            f"expected a non-empty 1-D array per sample; got shape {x.shape}",
        )
    finite = np.isfinite(x)
    if not finite.all():
        n_nan = int(np.isnan(x).sum())
        return (
            SimulationStatus.NON_FINITE,
            x,
            f"output has {n_nan} NaN and {int((~finite).sum()) - n_nan} infinite values "
            f"among {x.size}",
        )
    return SimulationStatus.OK, x, ""


_watchdog_lock = threading.Lock()
_watchdog_pid: int | None = None  # the process whose watchdog runs


def _watch_parent(campaign_pid: int | None) -> None:
    """In a worker process, start (once) a thread that ends it when its parent dies.

    joblib's loky workers are children of the process that called ``Campaign.run``
    (multiprocessing's are too, or of its fork server) and outlive a ``kill -9`` of it
    for minutes, until loky's idle timeout, holding CPUs and memory. A daemon thread
    polls ``os.getppid()`` every :data:`_WATCHDOG_INTERVAL_S` seconds and calls
    ``os._exit`` once it changes: the parent died and the worker was re-parented. Its
    result could not be delivered anyway.

    Parameters
    ----------
    campaign_pid : int or None
        Process id of the campaign process; ``None`` (threads, Dask) or this very
        process (``n_jobs=1``) start nothing.
    """
    global _watchdog_pid
    if campaign_pid is None or os.getpid() == campaign_pid or os.name != "posix":
        return
    with _watchdog_lock:
        if _watchdog_pid == os.getpid():  # started already (a fork child has none)
            return
        _watchdog_pid = os.getpid()
        threading.Thread(
            target=_exit_when_orphaned,
            args=(os.getppid(),),
            name="crsbi-campaign-watchdog",
            daemon=True,
        ).start()


def _exit_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_WATCHDOG_INTERVAL_S)
    os._exit(1)


def simulate_chunk(
    simulator: Callable[..., Any],
    prior: Any,
    theta: np.ndarray | None,
    seed: int,
    chunk: int,
    start: int,
    stop: int,
    theta_dim: int,
    campaign_pid: int | None = None,
) -> dict[str, Any]:
    """Worker task: simulate samples ``start..stop-1`` (module-level, so it pickles).

    ``campaign_pid`` (for process backends) starts :func:`_watch_parent` in the worker.
    """
    _watch_parent(campaign_pid)
    started = time.perf_counter()
    seeds = sample_seeds(seed, start, stop)
    if theta is None:
        theta = np.stack([_draw_theta(prior, s, theta_dim) for s in seeds])
    status = np.zeros(stop - start, dtype=np.int8)
    messages, outputs = [], []
    for i, sample_seed in enumerate(seeds):
        code, x, message = _simulate_one(simulator, theta[i], sample_seed)
        status[i] = code
        outputs.append(x)
        messages.append(message)
    return {
        "chunk": chunk,
        "start": start,
        "stop": stop,
        "theta": theta,
        "seed": seeds,
        "status": status,
        "message": messages,
        "outputs": outputs,
        "elapsed_s": time.perf_counter() - started,
    }


def assemble(
    output: dict[str, Any], x_dim: int | None
) -> tuple[dict[str, np.ndarray], dict[str, Any], int | None]:
    """Turn a worker's output into the arrays of a chunk file; fix ``x_dim`` on first success."""
    status = output["status"].copy()
    messages = list(output["message"])
    if x_dim is None:
        x_dim = next(
            (len(x) for x, code in zip(output["outputs"], status, strict=True) if code == 0),
            None,
        )
    n_samples = output["stop"] - output["start"]
    x = np.full((n_samples, x_dim or 0), np.nan)
    for i, sample in enumerate(output["outputs"]):
        if sample is None or x_dim is None:
            continue
        if len(sample) == x_dim:
            x[i] = sample
        elif status[i] in (SimulationStatus.OK, SimulationStatus.NON_FINITE):
            status[i] = SimulationStatus.INVALID_OUTPUT
            messages[i] = (
                f"expected an output of length {x_dim} (that of the campaign's first "
                f"successful sample); got length {len(sample)}"
            )
    arrays = {
        "index": np.arange(output["start"], output["stop"], dtype=np.int64),
        "theta": np.asarray(output["theta"], dtype=np.float64),
        "x": x,
        "seed": output["seed"],
        "status": status,
        "message": np.asarray(messages, dtype=object),
    }
    attrs = {
        "chunk": output["chunk"],
        "start": output["start"],
        "stop": output["stop"],
        "x_dim": x_dim or 0,
        "elapsed_s": float(output["elapsed_s"]),
        "crsbi_version": __version__,
    }
    return arrays, attrs, x_dim


def stored_x_dim(root: Path, chunks: list[int], *, require_checksum: bool = True) -> int | None:
    """Output length fixed by the stored chunks, if any holds a success."""
    for chunk in chunks:
        attrs = read_chunk_attrs(chunk_path(root, chunk), require_checksum=require_checksum)
        x_dim = attrs.get("x_dim", 0)
        if x_dim:
            return int(x_dim)
    return None


def _tasks(plan: Plan, seed: int, chunks: list[int]) -> Iterator[Any]:
    from joblib import delayed

    campaign_pid = os.getpid() if plan.backend in _PROCESS_BACKENDS else None
    for chunk in chunks:
        start = chunk * plan.chunk_size
        stop = min(plan.n_simulations, start + plan.chunk_size)
        theta = None if plan.theta is None else plan.theta[start:stop]
        yield delayed(simulate_chunk)(
            plan.simulator,
            plan.prior,
            theta,
            seed,
            chunk,
            start,
            stop,
            plan.theta_dim,
            campaign_pid,
        )


def _dask_client(scheduler_address: str | None) -> tuple[Any, bool]:
    """Return the client to run on, and whether it was created here (and must be closed)."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            "backend='dask' needs the 'distributed' package: pip install 'crsbi[dask]'."
        ) from exc
    if scheduler_address is not None:
        return distributed.Client(scheduler_address, set_as_default=False), True
    try:
        return distributed.default_client(), False
    except ValueError:
        raise ValueError(
            "backend='dask' needs a Dask cluster: pass scheduler_address='tcp://host:8786', "
            "or create a distributed.Client before running the campaign."
        ) from None


def execute(plan: Plan, seed: int, pending: list[int]) -> Iterator[dict[str, Any]]:
    """Yield worker outputs of the ``pending`` chunks as they finish (in any order)."""
    from joblib import Parallel, effective_n_jobs, parallel_config

    if not pending:
        return
    client, owned = (None, False)
    if plan.backend == "dask":
        client, owned = _dask_client(plan.scheduler_address)
    try:
        options = {"client": client} if client is not None else {}
        with parallel_config(backend=plan.backend, **options):
            if plan.backend == "multiprocessing":
                # joblib's multiprocessing backend cannot return a generator: run in waves
                # a few chunks wide and write each wave before starting the next
                wave = 2 * effective_n_jobs(plan.n_jobs)
                with Parallel(n_jobs=plan.n_jobs, batch_size=1) as parallel:
                    for begin in range(0, len(pending), wave):
                        yield from parallel(_tasks(plan, seed, pending[begin : begin + wave]))
            else:
                parallel = Parallel(
                    n_jobs=plan.n_jobs, batch_size=1, return_as="generator_unordered"
                )
                yield from parallel(_tasks(plan, seed, pending))
    finally:
        if owned:
            client.close()


# ---------------------------------------------------------------------------- reading


def read_chunks(root: Path, manifest: dict[str, Any]) -> dict[str, np.ndarray]:
    config = manifest["config"]
    chunk_size, n_simulations = config["chunk_size"], config["n_simulations"]
    parts, damaged = [], []
    for chunk, path in completed_chunks(root).items():
        if chunk >= config["n_chunks"]:
            raise ValueError(f"{path} lies beyond the {config['n_chunks']} chunks of {root}.")
        try:
            part = read_chunk(path, require_checksum=checksums_required(manifest))
        except ValueError as exc:  # keep going, to name every damaged chunk at once
            damaged.append(str(exc))
            continue
        start = chunk * chunk_size
        expected = np.arange(start, min(n_simulations, start + chunk_size))
        if not np.array_equal(part["index"], expected):
            raise ValueError(
                f"{path} holds samples {part['index'][:1]}..{part['index'][-1:]}, not "
                f"chunk {chunk}'s {start}..{expected[-1]}; it does not belong to this campaign."
            )
        parts.append(part)
    if len(damaged) == 1:
        raise ValueError(damaged[0])
    if damaged:
        raise ValueError(
            f"{len(damaged)} chunk files of {root} are damaged:\n" + "\n".join(damaged)
        )
    x_dims = {part["x"].shape[1] for part in parts} - {0}
    if len(x_dims) > 1:
        raise ValueError(f"The chunks of {root} disagree on the output length: {sorted(x_dims)}.")
    x_dim = x_dims.pop() if x_dims else 0
    for part in parts:  # chunks stored before the first success have no output columns
        if part["x"].shape[1] != x_dim:
            part["x"] = np.full((len(part["index"]), x_dim), np.nan)
    if not parts:
        return {
            "index": np.zeros(0, dtype=np.int64),
            "theta": np.zeros((0, config["theta_dim"])),
            "x": np.zeros((0, 0)),
            "seed": np.zeros(0, dtype=np.uint64),
            "status": np.zeros(0, dtype=np.int8),
            "message": np.zeros(0, dtype=object),
        }
    return {name: np.concatenate([part[name] for part in parts]) for name in CHUNK_FIELDS}
