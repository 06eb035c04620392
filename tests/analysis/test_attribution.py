"""Change attribution against independent computations written here: Shapley by enumerating every
order of switching the inputs (itertools.permutations), LMDI-I by hand, mix/rate by hand, and
hypothesis properties that every split sums to the change (zeros, negatives, sign changes, equal
periods, factors going to 0, divisions by a value going to 0)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northstar.analysis.attribution import (
    MAX_SHAPLEY_INPUTS,
    decompose,
    lmdi,
    log_mean,
    nested,
    rows_frame,
    shapley,
)
from northstar.analysis.mix_rate import mix_rate
from northstar.errors import DataError, ExpressionError, InternalError, QueryError
from northstar.spec.expressions import parse_formula

Values = Mapping[str, float]


def brute_shapley(
    f: Callable[[Values], float], before: Values, after: Values
) -> tuple[dict[str, float], float]:
    """Average marginal change over all n! orders of switching inputs from before to after.

    Returns the split and the largest |f| met on the way (the scale of the float rounding).
    Raises ZeroDivisionError when any mixture of the periods divides by zero (or overflows).
    """

    def value(point: Values) -> float:
        out = f(point)
        if not math.isfinite(out):
            raise ZeroDivisionError(out)
        return out

    names = list(before)
    sums = dict.fromkeys(names, 0.0)
    scale = 0.0
    orders = list(itertools.permutations(names))
    for order in orders:
        point = dict(before)
        previous = value(point)
        scale = max(scale, abs(previous))
        for name in order:
            point[name] = after[name]
            current = value(point)
            scale = max(scale, abs(current))
            sums[name] += current - previous
            previous = current
    return {name: s / len(orders) for name, s in sums.items()}, scale


def assert_sums(contributions: Mapping[str, float], total: float, scale: float) -> None:
    assert abs(math.fsum(contributions.values()) - total) <= 1e-12 * scale


# ---------------------------------------------------------------------------------------------
# Shapley


def test_shapley_matches_every_order_for_five_inputs():
    def f(v: Values) -> float:
        return v["a"] * v["b"] - v["c"] / (1 + v["d"] ** 2) + v["e"] * v["a"] * v["c"]

    before = {"a": 2.0, "b": -3.0, "c": 0.0, "d": 1.5, "e": 4.0}
    after = {"a": -1.0, "b": 5.0, "c": 7.0, "d": 0.0, "e": 4.5}
    got = shapley(f, before, after)
    expected, scale = brute_shapley(f, before, after)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert_sums(got, f(after) - f(before), scale)


def test_shapley_unchanged_input_gets_exactly_zero_and_symmetric_inputs_share():
    def f(v: Values) -> float:
        return v["a"] * v["b"] * v["c"]

    got = shapley(f, {"a": 1.0, "b": 1.0, "c": 3.0}, {"a": 2.0, "b": 2.0, "c": 3.0})
    assert got["c"] == 0.0
    assert got["a"] == got["b"] == pytest.approx((12 - 3) / 2)


def test_shapley_refuses_more_than_twelve_changed_inputs_but_not_unchanged_ones():
    def f(v: Values) -> float:
        return math.prod(v.values())

    names = [f"x{i}" for i in range(MAX_SHAPLEY_INPUTS + 1)]
    before = dict.fromkeys(names, 1.0)
    with pytest.raises(InternalError, match="at most 12"):
        shapley(f, before, dict.fromkeys(names, 2.0))
    after = {**dict.fromkeys(names, 2.0), names[0]: 1.0}  # 12 changed, one unchanged
    got = shapley(f, before, after)
    assert got[names[0]] == 0.0
    assert got[names[1]] == pytest.approx((2**12 - 1) / 12)
    assert_sums(got, 2**12 - 1, 2**12)


def test_shapley_refuses_different_inputs_and_missing_values():
    with pytest.raises(InternalError, match="different inputs"):
        shapley(lambda v: 0.0, {"a": 1.0}, {"b": 1.0})
    with pytest.raises(DataError, match="no value"):
        shapley(lambda v: v["a"], {"a": math.nan}, {"a": 1.0})


# ---------------------------------------------------------------------------------------------
# LMDI


def test_lmdi_by_hand_for_revenue_visitors_conversion_aov():
    before = {"visitors": 1000.0, "conversion_rate": 0.05, "aov": 40.0}
    after = {"visitors": 1200.0, "conversion_rate": 0.04, "aov": 42.0}
    y0, y1 = 1000 * 0.05 * 40, 1200 * 0.04 * 42  # 2000, 2016
    weight = (y1 - y0) / (math.log(y1) - math.log(y0))
    hand = {
        "visitors": weight * math.log(1.2),
        "conversion_rate": weight * math.log(0.8),
        "aov": weight * math.log(1.05),
    }
    got = lmdi(before, after)
    assert got is not None
    assert got == pytest.approx(hand, rel=1e-12)
    assert_sums(got, y1 - y0, y1)
    d = decompose("visitors * conversion_rate * aov", before, after)
    assert d.method == "lmdi"
    assert d.total == pytest.approx(16.0)
    assert d.contributions == pytest.approx(hand, rel=1e-12)
    assert abs(d.exact_residual) <= 1e-12 * y1


def test_lmdi_of_a_quotient_counts_the_denominator_with_a_minus_sign():
    d = decompose(
        "purchasers / visitors",
        {"purchasers": 50.0, "visitors": 1000.0},
        {"purchasers": 48.0, "visitors": 1200.0},
    )
    r0, r1 = 0.05, 0.04
    weight = (r1 - r0) / math.log(r1 / r0)
    assert d.method == "lmdi"
    assert d.contributions["purchasers"] == pytest.approx(weight * math.log(48 / 50), rel=1e-12)
    assert d.contributions["visitors"] == pytest.approx(-weight * math.log(1200 / 1000), rel=1e-12)


def test_lmdi_returns_none_at_zero_negative_or_missing_factors_and_auto_uses_shapley():
    assert lmdi({"a": 1.0, "b": 2.0}, {"a": 0.0, "b": 2.0}) is None  # a factor goes to 0
    assert lmdi({"a": -1.0, "b": 2.0}, {"a": 1.0, "b": 2.0}) is None  # a sign change
    assert lmdi({"a": 1.0, "b": 2.0}, {"a": 1.0}) is None  # missing
    assert lmdi({"a": 1.0, "b": math.nan}, {"a": 1.0, "b": 2.0}) is None
    tiny = {"a": 1e-200, "b": 1e-200}  # the product underflows to 0: no logarithmic mean
    assert lmdi(tiny, {**tiny, "a": 2e-200}) is None
    assert decompose("a * b", tiny, {**tiny, "a": 2e-200}).method == "shapley"
    d = decompose("a * b", {"a": 3.0, "b": 2.0}, {"a": 0.0, "b": 5.0})
    assert d.method == "shapley"
    assert d.contributions == pytest.approx({"a": -3 * (2 + 5) / 2, "b": 3 * (3 + 0) / 2})
    assert d.total == -6.0
    with pytest.raises(QueryError, match="LMDI cannot split"):
        decompose("a * b", {"a": 3.0, "b": 2.0}, {"a": 0.0, "b": 5.0}, method="lmdi")
    with pytest.raises(QueryError, match="LMDI cannot split"):
        decompose(
            "(a + b) * c", {"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 1.0, "b": 5.0, "c": 2.0}, method="lmdi"
        )
    # a sum has no LMDI split of its own: the "lmdi" method splits it by terms, as auto does
    additive = decompose("a + b", {"a": 3.0, "b": 2.0}, {"a": 1.0, "b": 5.0}, method="lmdi")
    assert (additive.method, additive.contributions) == ("additive", {"a": -2.0, "b": 3.0})


def test_lmdi_stays_exact_when_factors_move_by_orders_of_magnitude():
    names = [f"x{i}" for i in range(12)]
    before = {n: 1.0 + i for i, n in enumerate(names)}  # the product is 12! = 479001600
    after = {n: 2.0 - 0.1 * i for i, n in enumerate(names)}
    d = decompose(" * ".join(names), before, after)
    assert d.method == "lmdi"
    assert abs(d.exact_residual) <= 1e-12 * math.factorial(12)
    d = decompose("a / b", {"a": 1e4, "b": 1e-6}, {"a": 1e-6, "b": 1e4})
    assert d.method == "lmdi"
    assert abs(d.exact_residual) <= 1e-12 * 1e10
    assert d.contributions["a"] == pytest.approx(d.contributions["b"], rel=1e-12)


def test_log_mean():
    assert log_mean(3.0, 3.0) == 3.0
    assert log_mean(math.e, 1.0) == pytest.approx(math.e - 1)
    assert log_mean(2.0, 1.0) == pytest.approx(1 / math.log(2))
    assert log_mean(1.0 + 1e-12, 1.0) == pytest.approx(1.0, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# decompose: additive, methods, errors


def test_additive_split_is_each_terms_change_times_its_coefficient():
    d = decompose(
        "new_revenue + returning_revenue - 2 * refunds + fees / 4 + 10",
        {"new_revenue": 100.0, "returning_revenue": 50.0, "refunds": 3.0, "fees": 8.0},
        {"new_revenue": 90.0, "returning_revenue": 80.0, "refunds": 5.0, "fees": 0.0},
    )
    assert d.method == "additive"
    assert d.contributions == {"new_revenue": -10.0, "returning_revenue": 30.0, "refunds": -4.0, "fees": -2.0}
    assert (d.value_before, d.value_after, d.total, d.exact_residual) == (156.0, 170.0, 14.0, 0.0)


def test_a_parsed_formula_is_taken_as_is():
    parsed = parse_formula("purchasers / visitors", known=["purchasers", "visitors"])
    d = decompose(parsed, {"purchasers": 5.0, "visitors": 100.0}, {"purchasers": 5.0, "visitors": 50.0})
    assert (d.formula, d.method, d.total, d.contributions["purchasers"]) == (parsed.text, "lmdi", 0.05, 0.0)
    assert d.contributions["visitors"] == pytest.approx(0.05)


def test_shapley_method_gives_the_additive_split_too():
    before, after = {"a": 1.0, "b": 2.0}, {"a": 4.0, "b": -1.0}
    assert decompose("a - 3 * b", before, after, "shapley").contributions == pytest.approx(
        {"a": 3.0, "b": 9.0}
    )


def test_decompose_errors_are_clear():
    with pytest.raises(DataError, match="later period") as info:
        decompose(
            "purchasers / visitors",
            {"purchasers": 5.0, "visitors": 10.0},
            {"purchasers": 0.0, "visitors": 0.0},
        )
    assert "当期" in info.value.zh
    with pytest.raises(DataError, match="earlier ones: b"):
        decompose("a / (b + c)", {"a": 1.0, "b": 2.0, "c": 0.0}, {"a": 1.0, "b": 0.0, "c": 2.0})
    with pytest.raises(ExpressionError, match="did you mean 'visitors'"):
        decompose(
            "purchasers / vistors", {"purchasers": 1.0, "visitors": 2.0}, {"purchasers": 1.0, "visitors": 2.0}
        )
    with pytest.raises(QueryError, match="no value for 'b'"):
        decompose("a * b", {"a": 1.0, "b": 2.0}, {"a": 1.0})
    with pytest.raises(QueryError, match="unknown attribution method"):
        decompose("a * b", {"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 2.0}, "magic")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Properties: every split sums to the change


FORMULAS: dict[str, Callable[[Values], float]] = {
    "a * b * c": lambda v: v["a"] * v["b"] * v["c"],
    "a / b": lambda v: v["a"] / v["b"],
    "a + b - c": lambda v: v["a"] + v["b"] - v["c"],
    "a * b / c": lambda v: v["a"] * v["b"] / v["c"],
    "(a + b) * c": lambda v: (v["a"] + v["b"]) * v["c"],
    "a / (b + c)": lambda v: v["a"] / (v["b"] + v["c"]),
    "2 * a * b - c / 4": lambda v: 2 * v["a"] * v["b"] - v["c"] / 4,
    "a * b + c * d": lambda v: v["a"] * v["b"] + v["c"] * v["d"],
    "a * b * c * d * e": lambda v: v["a"] * v["b"] * v["c"] * v["d"] * v["e"],
    "-a * b / (c * d)": lambda v: -v["a"] * v["b"] / (v["c"] * v["d"]),
}
NAMES = ("a", "b", "c", "d", "e")
# the products and quotients among FORMULAS: the exponent of each input
MONOMIALS = {
    "a * b * c": {"a": 1, "b": 1, "c": 1},
    "a / b": {"a": 1, "b": -1},
    "a * b / c": {"a": 1, "b": 1, "c": -1},
    "a * b * c * d * e": dict.fromkeys(NAMES, 1),
    "-a * b / (c * d)": {"a": 1, "b": 1, "c": -1, "d": -1},
}


def names_in(text: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\b[a-e]\b", text)))


# zeros, small integers (ties, sign changes) and floats; no magnitudes below 1e-6, so a product of
# five factors cannot underflow to 0 (where LMDI would fall back to Shapley)
number = st.one_of(
    st.just(0.0),
    st.integers(-20, 20).map(float),
    st.floats(-1e4, 1e4).filter(lambda x: abs(x) >= 1e-6),
    st.floats(0.01, 1e4),
)


@st.composite
def periods(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, float]]:
    before = {n: draw(number) for n in NAMES}
    after = {n: before[n] if draw(st.booleans()) and draw(st.booleans()) else draw(number) for n in NAMES}
    return before, after


@settings(max_examples=400, deadline=None)
@given(text=st.sampled_from(sorted(FORMULAS)), values=periods(), method=st.sampled_from(["auto", "shapley"]))
def test_every_split_sums_to_the_change(text, values, method):
    f = FORMULAS[text]
    used = names_in(text)
    before = {n: values[0][n] for n in used}
    after = {n: values[1][n] for n in used}
    try:
        expected, scale = brute_shapley(f, before, after)
    except ZeroDivisionError:
        # some mixture of the periods divides by zero: the split must refuse, clearly
        if method == "auto" and "/" not in text:
            raise
        with pytest.raises(DataError, match=r"division by zero|divides by zero"):
            decompose(text, before, after, method)
        return
    d = decompose(text, before, after, method)
    total = f(after) - f(before)
    assert d.total == pytest.approx(total, rel=1e-12, abs=1e-12 * scale)
    assert list(d.contributions) == used
    assert_sums(d.contributions, d.total, scale)
    assert abs(d.exact_residual) <= 1e-12 * scale
    for n in used:
        if before[n] == after[n]:
            assert d.contributions[n] == 0.0
    positive = all(v > 0 for v in (*before.values(), *after.values()))
    if method == "shapley" or (d.method == "shapley"):
        assert d.contributions == pytest.approx(expected, rel=1e-9, abs=1e-9 * scale)
    if method == "auto":
        linear = text in ("a + b - c",)
        assert d.method == ("additive" if linear else "lmdi" if text in MONOMIALS and positive else "shapley")
        if d.method == "additive":
            assert d.contributions == pytest.approx(expected, rel=1e-9, abs=1e-9 * scale)
        if d.method == "lmdi":  # independent LMDI-I: L(y1, y0) · e_i · ln(x_i1 / x_i0)
            y0, y1 = f(before), f(after)
            weight = y0 if y0 == y1 else (y1 - y0) / math.log1p((y1 - y0) / y0)
            power = MONOMIALS[text]
            hand = {n: weight * power[n] * math.log(after[n] / before[n]) for n in used}
            assert d.contributions == pytest.approx(hand, rel=1e-6, abs=1e-9 * scale)


@settings(max_examples=100, deadline=None)
@given(text=st.sampled_from(sorted(FORMULAS)), values=periods())
def test_equal_periods_give_all_zeros(text, values):
    used = names_in(text)
    before = {n: values[0][n] for n in used}
    try:
        FORMULAS[text](before)
    except ZeroDivisionError:
        with pytest.raises(DataError):
            decompose(text, before, before)
        return
    d = decompose(text, before, before)
    assert d.total == 0.0
    assert set(d.contributions.values()) == {0.0}
    assert d.exact_residual == 0.0


# ---------------------------------------------------------------------------------------------
# Nested driver trees

TREE = {
    "revenue": "new_revenue + repeat_revenue",
    "new_revenue": "visitors * conversion_rate * aov",
    "conversion_rate": "purchasers / visitors",
    "repeat_revenue": "buyers * spend - refunds",
}
LEAVES = ("visitors", "purchasers", "aov", "buyers", "spend", "refunds")


def test_nested_by_hand():
    before = {
        "visitors": 1000.0,
        "purchasers": 50.0,
        "aov": 40.0,
        "buyers": 10.0,
        "spend": 30.0,
        "refunds": 20.0,
    }
    after = {
        "visitors": 1200.0,
        "purchasers": 48.0,
        "aov": 42.0,
        "buyers": 12.0,
        "spend": 30.0,
        "refunds": 0.0,
    }
    rows = nested(TREE, before, after)
    frame = rows_frame(rows)
    assert list(frame["node"]) == [
        "revenue",
        "new_revenue",
        "visitors",
        "conversion_rate",
        "purchasers",
        "visitors",
        "aov",
        "repeat_revenue",
        "buyers",
        "spend",
        "refunds",
    ]
    assert list(frame["level"]) == [0, 1, 2, 2, 3, 3, 2, 1, 2, 2, 2]
    by = {(r.parent, r.node): r for r in rows}
    # root: revenue 2000 + 280 = 2280 → 2016 + 360 = 2376
    root = by[(None, "revenue")]
    assert (root.value_before, root.value_after, root.contribution_to_root) == (2280.0, 2376.0, 96.0)
    # repeat_revenue = buyers * spend - refunds: Shapley by hand (buyers·spend with spend unchanged)
    assert by[("repeat_revenue", "buyers")].contribution_to_root == pytest.approx(60.0)
    assert by[("repeat_revenue", "spend")].contribution_to_root == 0.0
    assert by[("repeat_revenue", "refunds")].contribution_to_root == pytest.approx(20.0)
    assert by[("repeat_revenue", "buyers")].method == ""
    assert (
        by[(None, "revenue")].method == "additive" and by[("revenue", "repeat_revenue")].method == "shapley"
    )
    # new_revenue: LMDI; conversion_rate's share passed on in proportion to its own LMDI split
    weight = 16 / math.log(2016 / 2000)
    conv = weight * math.log(0.8)
    assert by[("new_revenue", "conversion_rate")].contribution_to_root == pytest.approx(conv)
    w2 = -0.01 / math.log(0.8)
    share_p, share_v = w2 * math.log(48 / 50), -w2 * math.log(1.2)
    assert by[("conversion_rate", "purchasers")].contribution_to_root == pytest.approx(conv * share_p / -0.01)
    assert by[("conversion_rate", "visitors")].contribution_to_root == pytest.approx(conv * share_v / -0.01)
    assert by[("conversion_rate", "visitors")].contribution_to_parent == pytest.approx(share_v)


def check_tree(rows) -> None:
    """At every inner node the children's contributions to the root sum to its own; the leaves
    sum to the root's change."""
    root = rows[0]
    scale = max(
        1.0, *(abs(r.contribution_to_root) for r in rows), abs(root.value_before), abs(root.value_after)
    )
    for i, row in enumerate(rows):
        kids = []
        for later in rows[i + 1 :]:
            if later.level <= row.level:
                break
            if later.level == row.level + 1:
                kids.append(later.contribution_to_root)
        if kids:
            assert abs(math.fsum(kids) - row.contribution_to_root) <= 1e-9 * scale
    leaves = [
        r.contribution_to_root
        for i, r in enumerate(rows)
        if i + 1 == len(rows) or rows[i + 1].level <= r.level
    ]
    assert abs(math.fsum(leaves) - root.change) <= 1e-9 * scale


@settings(max_examples=200, deadline=None)
@given(values=st.lists(number, min_size=12, max_size=12), method=st.sampled_from(["auto", "shapley"]))
def test_nested_sums_at_every_level(values, method):
    before = dict(zip(LEAVES, values[:6], strict=True))
    after = dict(zip(LEAVES, values[6:], strict=True))
    try:
        rows = nested(TREE, before, after, method=method)
    except DataError:
        # only a division by zero is refused: conversion_rate = purchasers / visitors
        assert before["visitors"] == 0 or after["visitors"] == 0
        return
    check_tree(rows)
    if method == "shapley":
        assert {r.method for r in rows} == {"shapley", ""}

    def revenue(v: Values) -> float:
        return v["visitors"] * (v["purchasers"] / v["visitors"]) * v["aov"] + (
            v["buyers"] * v["spend"] - v["refunds"]
        )

    assert rows[0].change == revenue(after) - revenue(before)


def test_nested_offsetting_drivers_pass_on_zero_with_a_note():
    rows = nested(
        {"total": "x + y", "x": "a + b"}, {"a": 1.0, "b": 2.0, "y": 3.0}, {"a": 2.0, "b": 1.0, "y": 5.0}
    )
    by = {r.node: r for r in rows}
    assert by["x"].change == 0.0 and by["x"].contribution_to_root == 0.0
    assert (by["a"].contribution_to_parent, by["a"].contribution_to_root) == (1.0, 0.0)
    assert (by["b"].contribution_to_parent, by["b"].contribution_to_root) == (-1.0, 0.0)
    assert "offset" in by["a"].note and "抵消" in by["a"].note_zh
    assert by["y"].contribution_to_root == 2.0 and by["y"].note == ""
    check_tree(rows)


def test_nested_errors():
    with pytest.raises(DataError, match="tree's formula must hold"):
        nested({"r": "a * b"}, {"a": 2.0, "b": 3.0, "r": 6.0}, {"a": 2.0, "b": 4.0, "r": 9.0})
    assert (
        nested({"r": "a * b"}, {"a": 2.0, "b": 3.0, "r": 6.0}, {"a": 2.0, "b": 4.0, "r": 8.0})[0].change
        == 2.0
    )
    with pytest.raises(QueryError, match="cycle"):
        nested({"r": "a + b", "a": "r * 2"}, {"b": 1.0}, {"b": 2.0}, root="r")
    with pytest.raises(QueryError, match="did you mean 'revenue'"):
        nested({"revenue": "a + b"}, {"a": 1.0, "b": 1.0}, {"a": 1.0, "b": 1.0}, root="revenu")
    with pytest.raises(QueryError, match="name the root"):
        nested({"r": "a + b", "s": "a * b"}, {"a": 1.0, "b": 1.0}, {"a": 1.0, "b": 1.0})
    with pytest.raises(QueryError, match="no value for 'b'"):
        nested({"r": "a + b"}, {"a": 1.0}, {"a": 1.0, "b": 1.0})


# ---------------------------------------------------------------------------------------------
# Mix and rate


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_traffic_shifting_to_the_low_converting_channel_is_pure_mix():
    # ads converts at 2 %, seo at 10 %, both periods; traffic moves from seo to ads
    seg = frame(
        channel=["ads", "seo"],
        purchasers_before=[10.0, 50.0],
        purchasers_after=[16.0, 20.0],
        visitors_before=[500.0, 500.0],
        visitors_after=[800.0, 200.0],
    )
    out = mix_rate(seg, "purchasers", "visitors", "channel").set_index("channel")
    r0, r1 = 60 / 1000, 36 / 1000
    # by hand: mix_i = Δw_i × rate_i (the rate is the same in both periods)
    assert out.loc["ads", "mix"] == pytest.approx((0.8 - 0.5) * 0.02)
    assert out.loc["seo", "mix"] == pytest.approx((0.2 - 0.5) * 0.10)
    assert list(out["rate"]) == [0.0, 0.0]
    assert out["effect"].sum() == pytest.approx(r1 - r0, rel=1e-12)
    assert list(out["note"]) == ["", ""]


def test_one_channels_own_conversion_falling_is_pure_rate():
    seg = frame(
        channel=["ads", "seo"],
        purchasers_before=[10.0, 50.0],
        purchasers_after=[10.0, 25.0],
        visitors_before=[500.0, 500.0],
        visitors_after=[500.0, 500.0],
    )
    out = mix_rate(seg, "purchasers", "visitors", "channel").set_index("channel")
    assert list(out["mix"]) == [0.0, 0.0]
    assert out.loc["ads", "rate"] == 0.0
    assert out.loc["seo", "rate"] == pytest.approx(0.5 * (0.05 - 0.10))
    assert out["effect"].sum() == pytest.approx(35 / 1000 - 60 / 1000, rel=1e-12)


def test_segments_in_one_period_only_are_all_mix():
    seg = frame(
        channel=["ads", "seo", "tiktok", "print", "none"],
        purchasers_before=[10.0, 50.0, np.nan, 3.0, 0.0],
        purchasers_after=[20.0, 45.0, 5.0, 0.0, 0.0],
        visitors_before=[500.0, 500.0, np.nan, 30.0, 0.0],
        visitors_after=[1000.0, 450.0, 50.0, 0.0, 0.0],
    )
    out = mix_rate(seg, "purchasers", "visitors", "channel").set_index("channel")
    assert list(out["note"]) == ["", "", "new", "gone", "empty"]
    assert math.isnan(out.loc["tiktok", "rate_before"]) and out.loc["tiktok", "rate_after"] == 0.1
    assert out.loc["tiktok", "rate"] == 0.0
    assert out.loc["tiktok", "mix"] == pytest.approx(50 / 1500 * 0.1)  # its whole weight × its rate
    assert out.loc["print", "rate"] == 0.0
    assert out.loc["print", "mix"] == pytest.approx(-30 / 1030 * 0.1)
    assert (out.loc["none", "mix"], out.loc["none", "rate"]) == (0.0, 0.0)
    assert out["effect"].sum() == pytest.approx(70 / 1500 - 63 / 1030, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]),
            st.integers(0, 50),
            st.integers(0, 50),
            st.integers(0, 100),
            st.integers(0, 100),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_mix_plus_rate_is_the_change_and_each_is_the_two_factor_shapley(rows):
    # num ≤ den per row so that num is 0 where den is 0; repeated segments are summed
    data = [(s, min(n0, d0), min(n1, d1), d0, d1) for s, n0, n1, d0, d1 in rows]
    seg = pd.DataFrame(data, columns=["s", "n_before", "n_after", "d_before", "d_after"])
    totals = {k: sum(r[i] for r in data) for i, k in enumerate(["", "n0", "n1", "d0", "d1"]) if k}
    if totals["d0"] == 0 or totals["d1"] == 0:
        with pytest.raises(DataError, match="is 0 in every segment"):
            mix_rate(seg, "n", "d", "s")
        return
    out = mix_rate(seg, "n", "d", "s").set_index("s")
    change = totals["n1"] / totals["d1"] - totals["n0"] / totals["d0"]
    assert abs(math.fsum(out["effect"]) - change) <= 1e-12
    for name in out.index:
        n0 = sum(r[1] for r in data if r[0] == name)
        n1 = sum(r[2] for r in data if r[0] == name)
        d0 = sum(r[3] for r in data if r[0] == name)
        d1 = sum(r[4] for r in data if r[0] == name)
        w0, w1 = d0 / totals["d0"], d1 / totals["d1"]
        r0 = n0 / d0 if d0 else (n1 / d1 if d1 else 0.0)
        r1 = n1 / d1 if d1 else r0
        split, _ = brute_shapley(lambda v: v["w"] * v["r"], {"w": w0, "r": r0}, {"w": w1, "r": r1})
        assert out.loc[name, "mix"] == pytest.approx(split["w"], abs=1e-12)
        assert out.loc[name, "rate"] == pytest.approx(split["r"], abs=1e-12)


def test_mix_rate_errors():
    ok = dict(s=["a"], n_before=[1.0], n_after=[1.0], d_before=[2.0], d_after=[2.0])
    with pytest.raises(QueryError, match="missing columns d_after"):
        mix_rate(frame(**{k: v for k, v in ok.items() if k != "d_after"}), "n", "d", "s")
    with pytest.raises(DataError, match="is not 0 where d is 0") as info:
        b_has_n_but_no_d = {"n_before": [1.0, 2.0], "n_after": [1.0, 1.0], "d_before": [2.0, 0.0]}
        mix_rate(frame(**{**ok, "s": ["a", "b"], **b_has_n_but_no_d, "d_after": [2.0, 2.0]}), "n", "d", "s")
    assert "b" in str(info.value) and "基期" in info.value.zh
    with pytest.raises(DataError, match="negative"):
        mix_rate(frame(**{**ok, "d_after": [-1.0]}), "n", "d", "s")
    with pytest.raises(DataError, match="every segment"):
        mix_rate(frame(**{**ok, "n_after": [0.0], "d_after": [0.0]}), "n", "d", "s")
