"""PASS / FAIL / NOT COMPARABLE verdicts (crsbi.core.verdict)."""

import doctest
import math

import numpy as np
import pytest

from crsbi.core import verdict as module
from crsbi.core.verdict import (
    FAIL,
    NOT_COMPARABLE,
    PASS,
    Target,
    Verdict,
    count_verdicts,
    evaluate,
    summary_line,
)


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (0.05, Target.at_most(0.05), PASS),  # equality at the bound passes
        (0.0500001, Target.at_most(0.05), FAIL),
        (0.9, Target.at_least(0.9), PASS),
        (0.8999, Target.at_least(0.9), FAIL),
        (1.0, Target("<", 1.0), FAIL),  # strict bounds exclude the bound
        (0.99, Target("<", 1.0), PASS),
        (0.0, Target(">", 0.0), FAIL),
        (0.85, Target.between(0.85, 0.95), PASS),  # closed interval: both ends inside
        (0.95, Target.between(0.85, 0.95), PASS),
        (0.96, Target.between(0.85, 0.95), FAIL),
        (0.84, Target.between(0.85, 0.95), FAIL),
        (1.5, Target.between(1.5, 1.5), PASS),  # a degenerate interval is a point
        (92.4, Target.near(88.0, 0.05), PASS),  # |92.4 - 88| = 4.4 = 5 % of 88
        (92.5, Target.near(88.0, 0.05), FAIL),
        (-1.0, Target.near(-1.1, 0.1), PASS),  # relative to |reference|
        (3.2e6, Target.within_factor(1e7, math.sqrt(10)), PASS),
        (3.1e6, Target.within_factor(1e7, math.sqrt(10)), FAIL),
        (True, Target.equal(True), PASS),
        (False, Target.equal(True), FAIL),
        (np.float64(0.01), Target.at_most(0.03), PASS),  # numpy scalars
        (np.int64(3), Target.at_least(2), PASS),
        ("4.89e+06", Target.at_least(1e6), PASS),  # numbers stored as text in result files
    ],
)
def test_comparators(value, target, expected):
    assert evaluate(value, target).status == expected


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, "n/a", [1.0]])
def test_missing_or_non_numeric_values_are_not_comparable(value):
    result = evaluate(value, Target.at_most(1.0))
    assert result.status == NOT_COMPARABLE
    assert result.reason  # says why


def test_booleans_are_not_numbers_for_numeric_targets():
    # True >= 1 would pass silently; a boolean against a numeric bound is a mistake
    assert evaluate(True, Target.at_least(1.0)).status == NOT_COMPARABLE


def test_nan_against_an_equality_target_is_not_comparable():
    assert evaluate(float("nan"), Target.equal(True)).status == NOT_COMPARABLE
    assert evaluate(None, Target.equal(True)).status == NOT_COMPARABLE


def test_an_incomparable_target_gives_its_reason_whatever_the_value():
    target = Target.incomparable("plane waves, not MHD")
    for value in (0.0, 5.6, None, float("nan")):
        result = evaluate(value, target)
        assert result == Verdict(NOT_COMPARABLE, "plane waves, not MHD")
    assert target.text() == "not comparable"


def test_reasons_and_text():
    assert evaluate(4.495, Target.at_most(0.25)).reason == "4.495 is not <= 0.25"
    assert evaluate(0.2, Target.at_most(0.25)).reason == "0.2 is <= 0.25"
    assert Target.between(1, 2).text() == "within [1, 2]"
    assert Target.near(0.05, 0.2).text() == "within 20% of 0.05"
    assert str(evaluate(1.0, Target.at_least(0.0))) == PASS
    assert evaluate(1.0, Target.at_least(0.0)).passed
    assert not evaluate(-1.0, Target.at_least(0.0)).passed


@pytest.mark.parametrize(
    "make",
    [
        lambda: Target("~", 1.0),
        lambda: Target.between(2.0, 1.0),
        lambda: Target.near(1.0, -0.1),
        lambda: Target.within_factor(-1.0, 2.0),
        lambda: Target.within_factor(1.0, 0.5),
    ],
)
def test_invalid_targets_raise(make):
    with pytest.raises(ValueError):
        make()


def test_counts_and_summary_line():
    verdicts = [Verdict(PASS)] * 5 + [Verdict(FAIL, "x")] + [NOT_COMPARABLE]
    assert count_verdicts(verdicts) == {PASS: 5, FAIL: 1, NOT_COMPARABLE: 1}
    assert count_verdicts([]) == {PASS: 0, FAIL: 0, NOT_COMPARABLE: 0}
    assert (
        summary_line(verdicts[:6], label="demo verdicts")
        == "demo verdicts: 5 PASS, 1 FAIL, 0 NOT COMPARABLE"
    )
    with pytest.raises(ValueError, match="Unknown verdict"):
        count_verdicts(["MAYBE"])


def test_public_names_have_numpydoc_examples():
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            assert "Examples\n" in (obj.__doc__ or ""), name
    assert doctest.testmod(module).failed == 0
