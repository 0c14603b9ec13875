"""TOML configuration files of the ``crsbi`` command line: reading and validation.

A configuration file holds one section per command (``[simulate]``, ``[train]``,
``[calibrate]``); each command reads its own. Every section has a schema, a tuple of
:class:`ConfigKey` (name, type, allowed range or values, default) in :data:`SCHEMAS`.
:func:`load_config` reads a file, checks one section against its schema and fills in the
defaults. Unknown keys, wrong types and out-of-range values raise ``ValueError`` with a
message that names the section and key, e.g.
``[simulate] n_simulations must be an integer >= 1; got "ten"``. Relative paths are
resolved against the folder of the configuration file, so a configuration works from any
current directory.

Nested tables (``[simulate.prior]``, ``[simulate.options]``, ``[train.params]``) are
returned as plain dicts: what they may hold depends on the simulator or estimator chosen,
so the command checks them with :func:`validate_table` and a schema built for that choice.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

__all__ = [
    "KINDS",
    "REQUIRED",
    "SCHEMAS",
    "ConfigKey",
    "load_config",
    "read_toml",
    "validate_table",
]


class _Required:
    """Marker of a key without default: it must be given."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a :class:`ConfigKey` that must be given in the file.
REQUIRED: Any = _Required()

#: Value types a :class:`ConfigKey` can check.
KINDS: tuple[str, ...] = (
    "int",
    "float",
    "str",
    "bool",
    "path",
    "table",
    "pair",
    "float_list",
    "any",
)

_CLOSED = ("both", "left", "right", "neither")


@dataclass(frozen=True)
class ConfigKey:
    """One key of a configuration section: its type, allowed values and default.

    Parameters
    ----------
    name : str
        Key as written in the file.
    kind : {"int", "float", "str", "bool", "path", "table", "pair", "float_list", "any"}
        ``"int"``: an integer (not a boolean); ``"float"``: a finite number (integers
        accepted, returned as float); ``"str"``, ``"bool"``; ``"path"``: a string, returned
        as a :class:`pathlib.Path` relative to the configuration file's folder;
        ``"table"``: a TOML table, returned as a dict; ``"pair"``: ``[low, high]``, two
        finite numbers with ``low < high``, returned as a tuple of floats;
        ``"float_list"``: a non-empty list of numbers, each within ``low``/``high``;
        ``"any"``: any TOML value, unchecked.
    default : object, default=REQUIRED
        Value when the key is absent; :data:`REQUIRED` makes the key mandatory. Defaults
        are returned as given (not checked, not converted).
    low, high : float or None
        Bounds of numbers (``"int"``, ``"float"``, each item of ``"float_list"``).
    closed : {"both", "left", "right", "neither"}, default="both"
        Which of ``low`` and ``high`` are allowed values.
    choices : tuple or None
        The allowed values, for ``"str"`` or ``"int"`` keys.
    exclude : tuple, default=()
        Values refused although inside the bounds (e.g. ``n_jobs = 0``).
    expected : str or None
        What the error message says is expected; by default built from the above.
    help : str, default=""
        Meaning and units, for documentation.

    Examples
    --------
    >>> from crsbi.core.config import ConfigKey
    >>> key = ConfigKey("n_simulations", "int", low=1)
    >>> key.describe()
    'an integer >= 1'
    >>> key.check(200, "simulate")
    200
    >>> try:
    ...     key.check("ten", "simulate")
    ... except ValueError as error:
    ...     print(error)
    [simulate] n_simulations must be an integer >= 1; got "ten"
    """

    name: str
    kind: str
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    choices: tuple[Any, ...] | None = None
    exclude: tuple[Any, ...] = ()
    expected: str | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"ConfigKey kind must be one of {KINDS}; got {self.kind!r}.")
        if self.closed not in _CLOSED:
            raise ValueError(f"ConfigKey closed must be one of {_CLOSED}; got {self.closed!r}.")

    @property
    def required(self) -> bool:
        """Whether the key must be given (it has no default)."""
        return self.default is REQUIRED

    def describe(self) -> str:
        """Describe a valid value in words (used in error messages).

        Returns
        -------
        str
        """
        if self.expected is not None:
            return self.expected
        if self.choices is not None:
            return "one of " + ", ".join(_show(choice) for choice in self.choices)
        if self.kind == "int":
            return "an integer" + _range_text(self.low, self.high, self.closed)
        if self.kind == "float":
            return "a number" + _range_text(self.low, self.high, self.closed)
        if self.kind == "float_list":
            return "a non-empty list of numbers" + _range_text(
                self.low, self.high, self.closed, each=True
            )
        return {
            "str": "a string",
            "bool": "true or false",
            "path": "a path (a non-empty string)",
            "table": "a table",
            "pair": "a pair [low, high] of finite numbers with low < high",
            "any": "a value",
        }[self.kind]

    def check(self, value: Any, section: str, base_dir: str | os.PathLike | None = None) -> Any:
        """Check one value and return it converted (paths resolved, pairs as tuples).

        Parameters
        ----------
        value : object
            The value read from the file.
        section : str
            Section name for the error message, e.g. ``"simulate"`` or ``"simulate.prior"``.
        base_dir : str, os.PathLike or None
            Folder that relative paths are relative to; ``None``: the current directory.

        Returns
        -------
        object
            The value, converted.

        Raises
        ------
        ValueError
            If the value has the wrong type or lies outside the allowed values; the
            message names ``[section] key``.
        """
        converted = self._convert(value, base_dir)
        if converted is _INVALID:
            raise ValueError(
                f"[{section}] {self.name} must be {self.describe()}; got {_show(value)}"
            )
        return converted

    def _convert(self, value: Any, base_dir: str | os.PathLike | None) -> Any:
        kind = self.kind
        if kind == "any":
            return value
        if kind == "bool":
            return value if isinstance(value, bool) else _INVALID
        if kind == "table":
            return dict(value) if isinstance(value, Mapping) else _INVALID
        if kind == "str":
            if not isinstance(value, str) or (
                self.choices is not None and value not in self.choices
            ):
                return _INVALID
            return value
        if kind == "path":
            if not isinstance(value, str) or not value.strip():
                return _INVALID
            path = Path(value).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = Path(base_dir) / path
            return path
        if kind == "pair":
            if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
                return _INVALID
            if not all(_is_number(v) and math.isfinite(v) for v in value):
                return _INVALID
            low, high = float(value[0]), float(value[1])
            return (low, high) if low < high else _INVALID
        if kind == "float_list":
            if not isinstance(value, Sequence) or isinstance(value, str) or len(value) == 0:
                return _INVALID
            if not all(self._number_ok(v) for v in value):
                return _INVALID
            return [float(v) for v in value]
        if kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            return _INVALID
        if not self._number_ok(value):
            return _INVALID
        if self.choices is not None and value not in self.choices:
            return _INVALID
        return int(value) if kind == "int" else float(value)

    def _number_ok(self, value: Any) -> bool:
        if not _is_number(value) or not math.isfinite(value) or value in self.exclude:
            return False
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return low_ok and high_ok


_INVALID = object()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range_text(low: float | None, high: float | None, closed: str, each: bool = False) -> str:
    prefix = ", each" if each else ""
    left = closed in ("both", "left")
    right = closed in ("both", "right")
    if low is None and high is None:
        return ""
    if high is None:
        return f"{prefix} {'>=' if left else '>'} {low:g}"
    if low is None:
        return f"{prefix} {'<=' if right else '<'} {high:g}"
    return f"{prefix} in {'[' if left else '('}{low:g}, {high:g}{']' if right else ')'}"


def _show(value: Any) -> str:
    """Write a value as TOML would (strings quoted, booleans lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def validate_table(
    table: Mapping[str, Any],
    keys: Sequence[ConfigKey],
    section: str,
    *,
    base_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Check a table against a schema and fill in the defaults.

    Parameters
    ----------
    table : mapping
        Key-value pairs read from the file.
    keys : sequence of ConfigKey
        The schema: every allowed key.
    section : str
        Name of the table for error messages, e.g. ``"simulate"`` or ``"simulate.prior"``.
    base_dir : str, os.PathLike or None
        Folder that relative paths are relative to (the configuration file's).

    Returns
    -------
    dict
        Every key of the schema: the checked value, or its default when absent (required
        keys are always present).

    Raises
    ------
    ValueError
        For an unknown key (with the closest allowed name, if any), a missing required key,
        or an invalid value; the message names ``[section] key``.

    Examples
    --------
    >>> from crsbi.core.config import ConfigKey, validate_table
    >>> keys = [ConfigKey("seed", "int", default=0, low=0), ConfigKey("alpha", "float",
    ...         default=0.01, low=0, high=1, closed="neither")]
    >>> validate_table({"alpha": 0.05}, keys, "calibrate")
    {'seed': 0, 'alpha': 0.05}
    >>> try:
    ...     validate_table({"sed": 1}, keys, "calibrate")
    ... except ValueError as error:
    ...     print(error)
    [calibrate] unknown key "sed" (did you mean "seed"?); allowed keys: alpha, seed
    """
    if not isinstance(table, Mapping):
        raise ValueError(f"[{section}] must be a table; got {_show(table)}")
    by_name = {key.name: key for key in keys}
    for name in table:
        if name not in by_name:
            raise ValueError(_unknown_key_message(section, name, list(by_name)))
    values: dict[str, Any] = {}
    for key in keys:
        if key.name in table:
            values[key.name] = key.check(table[key.name], section, base_dir)
        elif key.required:
            raise ValueError(f"[{section}] {key.name} is required ({key.describe()})")
        else:
            values[key.name] = copy.deepcopy(key.default)
    return values


def _unknown_key_message(section: str, name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {_show(close[0])}?)" if close else ""
    listing = ", ".join(sorted(allowed)) if allowed else "none"
    return f"[{section}] unknown key {_show(name)}{hint}; allowed keys: {listing}"


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    r"""Read a TOML file into a dict.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    dict

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not valid TOML (the message gives the line and column).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crsbi.core.config import read_toml
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "run.toml"
    >>> _ = file.write_text('[simulate]\nn_simulations = 10\n')
    >>> read_toml(file)
    {'simulate': {'n_simulations': 10}}
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a" if path.is_dir() else "not found: no such"
        raise FileNotFoundError(f"Configuration file {path} {what} file.")
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise ImportError("Reading TOML on Python 3.10 needs the tomli package: pip install tomli")
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML (not UTF-8 text): {exc}") from None


_N_JOBS = {
    "kind": "int",
    "low": -1,
    "exclude": (0,),
    "expected": "an integer >= 1, or -1 for all cores",
}

#: Schema of each command's section. Nested tables (``prior``, ``options``, ``params``) are
#: checked by the command against a schema for the chosen simulator or estimator.
SCHEMAS: dict[str, tuple[ConfigKey, ...]] = {
    "simulate": (
        ConfigKey(
            "simulator",
            "str",
            choices=("galactic", "diffusion", "gaussian_linear"),
            help="which simulator runs",
        ),
        ConfigKey("output", "path", help="campaign directory (created; resumed when it exists)"),
        ConfigKey("n_simulations", "int", low=1, help="number of parameter vectors simulated"),
        ConfigKey("seed", "int", default=0, low=0, help="campaign seed: same seed, same samples"),
        ConfigKey("chunk_size", "int", default=64, low=1, help="samples per stored chunk"),
        ConfigKey("n_jobs", default=1, help="parallel worker processes", **_N_JOBS),
        ConfigKey("verbose", "int", default=1, choices=(0, 1), help="0 hides the progress bar"),
        ConfigKey("prior", "table", default={}, help="[low, high] per parameter"),
        ConfigKey("options", "table", default={}, help="settings of the simulator"),
    ),
    "train": (
        ConfigKey(
            "simulation",
            "path",
            default=None,
            help="TOML file whose [simulate] section made the training campaign "
            "(default: this file)",
        ),
        ConfigKey("output", "path", help="file the trained estimator is saved to"),
        ConfigKey(
            "estimator",
            "str",
            default="PosteriorEstimator",
            help="estimator class: a short name or a dotted path in crsbi",
        ),
        ConfigKey(
            "features",
            "str",
            default="none",
            choices=("none", "log10"),
            help="transform of the simulator output before the estimator",
        ),
        ConfigKey(
            "test_fraction",
            "float",
            default=0.2,
            low=0,
            high=1,
            closed="neither",
            help="fraction of the campaign held out for the score",
        ),
        ConfigKey("seed", "int", default=0, low=0, help="seed of the split and of the estimator"),
        ConfigKey("verbose", "int", default=1, choices=(0, 1, 2), help="0 is silent"),
        ConfigKey("params", "table", default={}, help="keyword arguments of the estimator"),
    ),
    "calibrate": (
        ConfigKey(
            "simulation",
            "path",
            default=None,
            help="TOML file whose [simulate] section defines simulator and prior "
            "(default: this file)",
        ),
        ConfigKey("output", "path", help="directory of the held-out calibration campaign"),
        ConfigKey("n_simulations", "int", low=10, help="held-out simulations (>= 10)"),
        ConfigKey("seed", "int", low=0, help="seed of the held-out campaign"),
        ConfigKey("n_posterior_samples", "int", default=1000, low=2, help="draws per simulation"),
        ConfigKey(
            "levels",
            "float_list",
            default=[0.5, 0.68, 0.9, 0.95],
            low=0,
            high=1,
            closed="neither",
            help="credibility levels of the HPD coverage",
        ),
        ConfigKey(
            "alpha",
            "float",
            default=0.01,
            low=0,
            high=1,
            closed="neither",
            help="family-wise level of the verdict",
        ),
        ConfigKey("c2st", "bool", default=False, help="also run the classifier two-sample tests"),
        ConfigKey("report", "path", default=None, help="Markdown report written here"),
        ConfigKey("verbose", "int", default=1, choices=(0, 1), help="0 hides the progress bar"),
    ),
}


def load_config(path: str | os.PathLike, section: str) -> dict[str, Any]:
    r"""Read one command's section of a TOML configuration file, checked and completed.

    Parameters
    ----------
    path : str or os.PathLike
        The configuration file.
    section : {"simulate", "train", "calibrate"}
        The section to read.

    Returns
    -------
    dict
        Every key of ``SCHEMAS[section]`` (defaults filled in), relative paths resolved
        against the file's folder.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not valid TOML, lacks the section, has an unknown section or key,
        or a value of the wrong type or range; the message names the section and key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from crsbi.core.config import load_config
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "run.toml").write_text(
    ...     '[simulate]\nsimulator = "galactic"\noutput = "runs/a"\nn_simulations = 8\n')
    >>> config = load_config(folder / "run.toml", "simulate")
    >>> config["n_simulations"], config["chunk_size"], config["output"] == folder / "runs/a"
    (8, 64, True)
    """
    if section not in SCHEMAS:
        raise ValueError(f"section must be one of {sorted(SCHEMAS)}; got {section!r}.")
    path = Path(path)
    data = read_toml(path)
    for name, value in data.items():
        if name not in SCHEMAS:
            if isinstance(value, Mapping):
                close = difflib.get_close_matches(name, list(SCHEMAS), n=1)
                hint = f" (did you mean [{close[0]}]?)" if close else ""
                known = ", ".join(f"[{s}]" for s in sorted(SCHEMAS))
                raise ValueError(f"{path}: unknown section [{name}]{hint}; known sections: {known}")
            raise ValueError(
                f"{path}: key {_show(name)} lies outside any section; put it under "
                f"[{section}] (keys before the first [section] header belong to none)"
            )
        if not isinstance(value, Mapping):
            raise ValueError(f"{path}: [{name}] must be a table; got {_show(value)}")
    if section not in data:
        found = ", ".join(f"[{name}]" for name in data) or "none"
        raise ValueError(f"{path} has no [{section}] section (sections found: {found})")
    return validate_table(data[section], SCHEMAS[section], section, base_dir=path.resolve().parent)
