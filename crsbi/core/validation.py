"""Validation of parameters and arrays, with errors that say what was expected."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "check_finite",
    "check_interval",
    "check_option",
    "check_shape",
]


def _interval_text(low: float | None, high: float | None, closed: str) -> str:
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


def check_interval(
    value: Any,
    name: str,
    owner: str,
    *,
    kind: type = float,
    low: float | None = None,
    high: float | None = None,
    closed: str = "both",
    allow_none: bool = False,
) -> Any:
    """Check that a scalar parameter has the right type and lies in an interval.

    Parameters
    ----------
    value : object
        The parameter value to check.
    name : str
        Name of the parameter, used in the error message.
    owner : str
        Name of the object the parameter belongs to (e.g. the estimator class).
    kind : {float, int}, default=float
        ``int`` accepts integral numbers only; ``float`` accepts any real number
        (booleans are rejected in both cases).
    low, high : float or None
        Bounds of the interval; ``None`` means unbounded.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.
    allow_none : bool, default=False
        Whether ``None`` is an accepted value.

    Returns
    -------
    object
        ``value``, unchanged, when it is valid.

    Raises
    ------
    TypeError, ValueError
        With a message like ``"The 'lr' parameter of NeuralRegressor must be a float
        in (0, inf). Got -3 instead."``

    Examples
    --------
    >>> from crsbi.core import check_interval
    >>> check_interval(0.5, "validation_fraction", "NeuralRegressor", low=0, high=1, closed="left")
    0.5
    """
    kind_name = "an int" if kind is int else "a float"
    expected = f"{kind_name} in {_interval_text(low, high, closed)}"
    if allow_none:
        expected += " or None"
    if value is None and allow_none:
        return value
    numeric = numbers.Integral if kind is int else numbers.Real
    if isinstance(value, bool) or not isinstance(value, numeric):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
        )
    if not np.isfinite(value) and not (
        (value == np.inf and high is None) or (value == -np.inf and low is None)
    ):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
        )
    too_low = low is not None and (value < low or (value == low and closed not in ("both", "left")))
    too_high = high is not None and (
        value > high or (value == high and closed not in ("both", "right"))
    )
    if too_low or too_high:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
        )
    return value


def check_option(value: Any, name: str, owner: str, options: Iterable[Any]) -> Any:
    """Check that a parameter is one of a fixed set of options.

    Parameters
    ----------
    value : object
        The parameter value.
    name, owner : str
        Parameter and owner names for the error message.
    options : iterable
        The accepted values.

    Returns
    -------
    object
        ``value``, unchanged, when it is one of ``options``.

    Raises
    ------
    ValueError
        If ``value`` is not one of ``options``.

    Examples
    --------
    >>> from crsbi.core import check_option
    >>> check_option("adamw", "optimizer", "NeuralRegressor", ["adamw", "adam", "sgd"])
    'adamw'
    """
    options = list(options)
    if not any(value == option and type(value) is type(option) for option in options):
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(
            f"The {name!r} parameter of {owner} must be one of {{{listed}}}. Got {value!r} instead."
        )
    return value


def check_finite(array: np.ndarray, name: str = "X") -> np.ndarray:
    """Raise a ``ValueError`` if ``array`` holds NaN or infinite values.

    Parameters
    ----------
    array : numpy.ndarray
        Numeric array of any shape.
    name : str, default="X"
        Name used in the error message.

    Returns
    -------
    numpy.ndarray
        ``array``, unchanged.

    Raises
    ------
    ValueError
        Naming how many entries are NaN or infinite and where the first one is.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.core import check_finite
    >>> check_finite(np.ones(3)).shape
    (3,)
    """
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        n_nan = int(np.isnan(array).sum())
        n_inf = int((~finite).sum()) - n_nan
        raise ValueError(
            f"Input {name} contains NaN or infinity ({n_nan} NaN, {n_inf} inf; first at index "
            f"{tuple(int(i) for i in bad)}). Expected finite values only."
        )
    return array


def check_shape(array: np.ndarray, expected: tuple[int | None, ...], name: str = "X") -> np.ndarray:
    """Check the shape of an array against a pattern where ``None`` matches any size.

    Parameters
    ----------
    array : numpy.ndarray
        The array to check.
    expected : tuple of int or None
        Expected shape; ``None`` entries match any length along that axis.
    name : str, default="X"
        Name used in the error message.

    Returns
    -------
    numpy.ndarray
        ``array``, unchanged.

    Raises
    ------
    ValueError
        When the number of dimensions or a fixed axis length differs.

    Examples
    --------
    >>> import numpy as np
    >>> from crsbi.core import check_shape
    >>> check_shape(np.zeros((5, 3)), (None, 3)).shape
    (5, 3)
    """
    pattern = "(" + ", ".join("n" if e is None else str(e) for e in expected) + ")"
    if len(expected) == 1:
        pattern = pattern[:-1] + ",)"
    if array.ndim != len(expected) or any(
        e is not None and s != e for s, e in zip(array.shape, expected, strict=False)
    ):
        raise ValueError(
            f"{name} must have shape {pattern}; got an array of shape {array.shape} instead."
        )
    return array
