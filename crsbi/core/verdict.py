"""Verdicts of measured figures against targets: ``PASS``, ``FAIL`` or ``NOT COMPARABLE``.

A :class:`Target` states what a figure should be (at most, at least, within an interval, within
a relative tolerance or a factor of a reference value such as a paper's figure); :func:`evaluate`
judges a value against it. ``NOT COMPARABLE`` is the verdict for a missing or non-numeric
value and for a target marked not comparable (a figure measured in a setting too different from
the reference's for the comparison to mean anything); its reason says why.

Examples
--------
>>> from crsbi.core.verdict import Target, evaluate
>>> evaluate(0.048, Target.at_most(0.05, "hold-out error")).status
'PASS'
>>> evaluate(float("nan"), Target.at_most(0.05)).status
'NOT COMPARABLE'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FAIL",
    "NOT_COMPARABLE",
    "PASS",
    "VERDICTS",
    "Target",
    "Verdict",
    "count_verdicts",
    "evaluate",
    "summary_line",
]

PASS = "PASS"  # noqa: S105 (a verdict, not a password)
FAIL = "FAIL"
NOT_COMPARABLE = "NOT COMPARABLE"
#: The three verdicts, in the order summaries list them.
VERDICTS: tuple[str, ...] = (PASS, FAIL, NOT_COMPARABLE)

_COMPARATORS = ("<=", "<", ">=", ">", "==", "within", "rel")


@dataclass(frozen=True)
class Target:
    """What a figure should be.

    Parameters
    ----------
    comparator : {"<=", "<", ">=", ">", "==", "within", "rel"}
        ``"within"``: ``threshold`` is a closed interval ``(low, high)``; ``"rel"``: the value
        must lie within ``rtol * |threshold|`` of ``threshold`` (a reference value, such as a
        paper's figure); ``"=="``: exact equality (for booleans and counts).
    threshold : float, bool or tuple of float
        The bound, the interval or the reference value.
    description : str, default=""
        What the target means (one short phrase).
    rtol : float, default=0.0
        Relative tolerance of ``"rel"``.
    not_comparable : str, default=""
        If set, every value gets ``NOT COMPARABLE`` with this reason.
    note : str, default=""
        A line to show beside a ``FAIL`` (why it fails, where the full benchmark is).

    Examples
    --------
    >>> Target.between(0.85, 0.95, "90% HPD coverage").text()
    'within [0.85, 0.95]'
    >>> Target.near(0.05, 0.2).text()
    'within 20% of 0.05'
    >>> Target.within_factor(1e7, 10).threshold
    (1000000.0, 100000000.0)
    """

    comparator: str
    threshold: Any
    description: str = ""
    rtol: float = 0.0
    not_comparable: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.comparator not in _COMPARATORS:
            raise ValueError(f"comparator must be one of {_COMPARATORS}, got {self.comparator!r}.")
        if self.comparator == "within":
            low, high = self.threshold
            if not low <= high:
                raise ValueError(f"An interval needs low <= high, got {self.threshold}.")
        if self.comparator == "rel" and not self.rtol >= 0:
            raise ValueError(f"rtol must be >= 0, got {self.rtol}.")

    @classmethod
    def at_most(cls, bound: float, description: str = "", **kwargs: Any) -> Target:
        """Value ``<= bound``.

        Examples
        --------
        >>> Target.at_most(0.05).text()
        '<= 0.05'
        """
        return cls("<=", float(bound), description, **kwargs)

    @classmethod
    def at_least(cls, bound: float, description: str = "", **kwargs: Any) -> Target:
        """Value ``>= bound``.

        Examples
        --------
        >>> Target.at_least(0.9).text()
        '>= 0.9'
        """
        return cls(">=", float(bound), description, **kwargs)

    @classmethod
    def between(cls, low: float, high: float, description: str = "", **kwargs: Any) -> Target:
        """Value in the closed interval ``[low, high]``.

        Examples
        --------
        >>> Target.between(-0.1, 0.1).text()
        'within [-0.1, 0.1]'
        """
        return cls("within", (float(low), float(high)), description, **kwargs)

    @classmethod
    def near(cls, reference: float, rtol: float, description: str = "", **kwargs: Any) -> Target:
        """Value within ``rtol * |reference|`` of ``reference``.

        Examples
        --------
        >>> Target.near(88.0, 0.05).text()
        'within 5% of 88'
        """
        return cls("rel", float(reference), description, rtol=float(rtol), **kwargs)

    @classmethod
    def within_factor(
        cls, reference: float, factor: float, description: str = "", **kwargs: Any
    ) -> Target:
        """Value in ``[reference / factor, reference * factor]`` (``reference > 0``).

        Examples
        --------
        >>> Target.within_factor(2.0, 2.0).threshold
        (1.0, 4.0)
        """
        if not (reference > 0 and factor >= 1):
            raise ValueError(f"Need reference > 0 and factor >= 1, got {reference}, {factor}.")
        return cls.between(reference / factor, reference * factor, description, **kwargs)

    @classmethod
    def equal(cls, value: Any, description: str = "", **kwargs: Any) -> Target:
        """Value ``== value`` (booleans, counts, labels).

        Examples
        --------
        >>> Target.equal(True).text()
        '== True'
        """
        return cls("==", value, description, **kwargs)

    @classmethod
    def incomparable(cls, reason: str, description: str = "") -> Target:
        """Make a target whose verdict is always ``NOT COMPARABLE``, for ``reason``.

        Examples
        --------
        >>> Target.incomparable("synthetic turbulence, not MHD").text()
        'not comparable'
        """
        return cls("==", None, description, not_comparable=reason)

    def text(self) -> str:
        """Return the target in a few characters, e.g. ``'<= 0.05'`` or ``'within [1, 2]'``.

        Examples
        --------
        >>> Target.at_least(0.583, "chance + 0.25").text()
        '>= 0.583'
        """
        if self.not_comparable:
            return "not comparable"
        if self.comparator == "within":
            low, high = self.threshold
            return f"within [{_num(low)}, {_num(high)}]"
        if self.comparator == "rel":
            return f"within {_num(100 * self.rtol)}% of {_num(self.threshold)}"
        return f"{self.comparator} {_num(self.threshold)}"


@dataclass(frozen=True)
class Verdict:
    """A verdict and its reason; ``str(verdict)`` is the bare verdict.

    Examples
    --------
    >>> verdict = evaluate(4.5, Target.at_most(0.25))
    >>> str(verdict), verdict.reason
    ('FAIL', '4.5 is not <= 0.25')
    """

    status: str
    reason: str = ""

    def __str__(self) -> str:
        return self.status

    @property
    def passed(self) -> bool:
        """Whether the verdict is ``PASS``.

        Examples
        --------
        >>> evaluate(1.0, Target.at_least(1.0)).passed
        True
        """
        return self.status == PASS


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.4g}"


def _as_number(value: Any) -> float | None:
    """``value`` as a float, or None if it is missing, NaN or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def evaluate(value: Any, target: Target) -> Verdict:
    """Judge ``value`` against ``target``.

    Parameters
    ----------
    value : float, int, bool, str or None
        The measured figure. Strings are read as numbers (``"4.9e+06"``); ``None``, ``NaN`` or
        a non-numeric value give ``NOT COMPARABLE`` (except for ``"=="`` targets, which compare
        the value as it is).
    target : Target
        What the figure should be.

    Returns
    -------
    Verdict
        ``PASS``, ``FAIL`` or ``NOT COMPARABLE`` with a short reason. Bounds are inclusive for
        ``<=``, ``>=``, ``within`` and ``rel``.

    Examples
    --------
    >>> evaluate(0.05, Target.at_most(0.05)).status
    'PASS'
    >>> evaluate(None, Target.at_least(0.9)).reason
    'no value'
    >>> evaluate(True, Target.equal(True)).status
    'PASS'
    >>> evaluate(1.0, Target.incomparable("different field model")).reason
    'different field model'
    """
    if target.not_comparable:
        return Verdict(NOT_COMPARABLE, target.not_comparable)
    if target.comparator == "==":
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return Verdict(NOT_COMPARABLE, "no value")
        ok = value == target.threshold
        return Verdict(
            PASS if ok else FAIL, f"{_num(value)} {'==' if ok else '!='} {_num(target.threshold)}"
        )
    number = _as_number(value)
    if number is None:
        reason = "no value" if value is None or _is_nan(value) else f"not a number: {value!r}"
        return Verdict(NOT_COMPARABLE, reason)
    comparator, threshold = target.comparator, target.threshold
    if comparator == "<=":
        ok = number <= threshold
    elif comparator == "<":
        ok = number < threshold
    elif comparator == ">=":
        ok = number >= threshold
    elif comparator == ">":
        ok = number > threshold
    elif comparator == "within":
        ok = threshold[0] <= number <= threshold[1]
    else:  # "rel"
        # a little slack so that a value exactly at the tolerance survives rounding
        ok = abs(number - threshold) <= target.rtol * abs(threshold) * (1 + 1e-12) + 1e-300
    return Verdict(PASS if ok else FAIL, f"{_num(number)} is {'' if ok else 'not '}{target.text()}")


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def count_verdicts(verdicts: Iterable[Verdict | str]) -> dict[str, int]:
    """How many of each verdict, in the order of :data:`VERDICTS`.

    Examples
    --------
    >>> count_verdicts(["PASS", "FAIL", "PASS"])
    {'PASS': 2, 'FAIL': 1, 'NOT COMPARABLE': 0}
    """
    counts = dict.fromkeys(VERDICTS, 0)
    for verdict in verdicts:
        status = verdict.status if isinstance(verdict, Verdict) else str(verdict)
        if status not in counts:
            raise ValueError(f"Unknown verdict {status!r}; expected one of {VERDICTS}.")
        counts[status] += 1
    return counts


def summary_line(verdicts: Iterable[Verdict | str], label: str = "verdicts") -> str:
    """One line counting the verdicts, e.g. ``'verdicts: 5 PASS, 1 FAIL, 0 NOT COMPARABLE'``.

    Examples
    --------
    >>> summary_line(["PASS"] * 5 + ["FAIL"], label="demo verdicts")
    'demo verdicts: 5 PASS, 1 FAIL, 0 NOT COMPARABLE'
    """
    counts = count_verdicts(verdicts)
    return f"{label}: " + ", ".join(f"{n} {status}" for status, n in counts.items())
