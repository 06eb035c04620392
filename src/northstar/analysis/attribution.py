"""Change attribution: an exact split of a KPI's change between two periods into its drivers.

Pure Python and NumPy on values already aggregated (one number per driver and period); nothing
here touches an engine. ``northstar explain`` measures the drivers and calls these functions.

A driver node is a formula over its children's values, written like a ``formula`` metric
(names, numbers, ``+ - * /`` and parentheses; parsed by :func:`spec.expressions.parse_formula`,
never evaluated as text). Its change ``f(after) - f(before)`` is split into one contribution per
input, and the contributions sum to the change (up to float rounding: ``exact_residual`` =
change - fsum(contributions), about 1e-16 of the largest value involved). Three methods:

* **additive** — a formula linear in its inputs (``new_revenue + returning_revenue``, ``gross - refunds``,
  ``2 * a + b / 4``): contribution_i = coefficient_i × (x_i,after - x_i,before). Exact, and
  what Shapley gives for such formulas.
* **lmdi** (LMDI-I, the logarithmic mean Divisia index) — a product or quotient of inputs,
  ``y = c × Π x_i^e_i`` (``visitors * conversion_rate * aov``, ``purchasers / visitors``):
  contribution_i = L(y1, y0) × e_i × ln(x_i1 / x_i0), where L(a, b) = (a - b) / ln(a / b) is the
  logarithmic mean (L(a, a) = a). Since Σ e_i ln(x_i1/x_i0) = ln(y1/y0) and L(y1, y0) ln(y1/y0)
  = y1 - y0, it is exact with no residual term, it does not depend on the order in which the
  factors are switched (path independent), and an unchanged factor gets exactly 0. It needs every
  factor > 0 in both periods: the log of zero is -∞ and the log of a sign change is undefined, so
  a factor that is or goes to 0 or changes sign has no LMDI split; :func:`lmdi` returns ``None``
  then and the caller (``method="auto"``) uses Shapley.
* **shapley** — any formula: each input is switched from its before value to its after value,
  and its contribution is the average, over all n! orders of switching, of the change it causes
  when switched: φ_i = Σ_{S ∌ i} |S|!(n-|S|-1)!/n! × (f(S ∪ {i}) - f(S)), with f(S) the formula
  with the inputs in S at their after values and the others at their before values. Exact for any
  formula (the sum telescopes to f(after) - f(before)), symmetric (inputs that play the same role
  get the same share), an unchanged input gets exactly 0, and it handles zeros and sign changes.
  It costs 2^n evaluations for n changed inputs; more than 12 changed inputs is refused.

``method="auto"`` takes additive for linear formulas, LMDI for products and quotients whose
factors are all > 0 in both periods, and Shapley otherwise. ``method="lmdi"`` takes additive for
linear formulas and LMDI for products and quotients, and refuses (QueryError) a formula or values
LMDI cannot split; ``method="shapley"`` uses Shapley everywhere (for a linear formula it gives
the additive split).

Division by zero: a node whose formula divides by zero in either period has no value, so its
change cannot be split; this raises :class:`DataError` naming the period. The same holds when a
Shapley mixture of the periods divides by zero (``a / (b + c)`` with b going to 0 while c grows
from 0) — the message names the inputs switched.

Nested trees (:func:`nested`): a child's contribution to the root is passed on to the child's own
drivers in proportion to the child's own split: contribution_to_root(grandchild) =
contribution_to_root(child) × contribution(grandchild → child) / change(child), where change(child)
is taken as the fsum of the child's own contributions (equal to it up to rounding, so that the
shares add up even when the parts nearly cancel). When a child is unchanged while its drivers
moved (they offset), its drivers get 0 and a note says so. So at every inner node the
contributions_to_root of its children sum to its own, and the leaves' contributions sum to the
root's change.

Mix and rate of a ratio across a dimension's segments: :mod:`northstar.analysis.mix_rate`
(:func:`mix_rate` is importable from here too).

A worked example to check by hand: revenue = visitors × conversion_rate × aov goes from
1000 × 0.05 × 40 = 2000 to 1200 × 0.04 × 42 = 2016 (+16). LMDI: L(2016, 2000) = 16 / ln(1.008)
= 2007.99…, so visitors gets L × ln(1.2) = +366.10, conversion_rate L × ln(0.8) = -448.07 and aov
L × ln(1.05) = +97.97, which sum to +16. Shapley gives +368.67, -451.33 and +98.67 (also +16).
With conversion_rate = purchasers / visitors (50 → 48), conversion_rate's -448.07 is passed on as
-81.97 to purchasers and -366.10 to visitors (its LMDI shares -0.00183 and -0.00817 of its
change -0.01).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sqlglot import exp

from northstar.analysis.mix_rate import mix_rate
from northstar.errors import DataError, InternalError, QueryError
from northstar.spec.expressions import Parsed, parse_formula
from northstar.spec.suggest import did_you_mean

__all__ = [
    "MAX_SHAPLEY_INPUTS",
    "METHODS",
    "Decomposition",
    "DriverRow",
    "Method",
    "decompose",
    "lmdi",
    "log_mean",
    "mix_rate",
    "nested",
    "rows_frame",
    "shapley",
]

Method = Literal["auto", "shapley", "lmdi"]
METHODS: tuple[str, ...] = ("auto", "shapley", "lmdi")
MAX_SHAPLEY_INPUTS = 12
_CONSISTENT = 1e-9  # relative gap allowed between a given inner value and its formula


@dataclass(frozen=True)
class Decomposition:
    """The split of one formula's change: ``total`` = value_after - value_before, one
    contribution per input (in the order the formula names them), the method used (additive,
    lmdi or shapley) and ``exact_residual`` = total - fsum(contributions), float rounding only."""

    formula: str
    value_before: float
    value_after: float
    total: float
    contributions: dict[str, float]
    method: str
    exact_residual: float


@dataclass(frozen=True)
class DriverRow:
    """One node of a driver tree between two periods (see :func:`nested`)."""

    node: str
    parent: str | None
    level: int
    value_before: float
    value_after: float
    change: float
    contribution_to_parent: float
    contribution_to_root: float
    method: str  # how this node's own change was split ("" for a leaf)
    note: str = ""
    note_zh: str = ""


# ---------------------------------------------------------------------------------------------
# Formulas: compiled once to a function of a dict of floats


@dataclass(frozen=True)
class _Formula:
    text: str
    names: tuple[str, ...]  # left to right, first occurrence
    evaluate: Callable[[Mapping[str, float]], float]
    linear: dict[str, float] | None  # name → coefficient when f is affine in its inputs
    monomial: tuple[float, dict[str, float]] | None  # (c, name → exponent) when f = c Π x^e


def _compile(parsed: Parsed) -> _Formula:
    names: list[str] = []

    def go(node: exp.Expression) -> Callable[[Mapping[str, float]], float]:
        if isinstance(node, exp.Column):
            name = node.name
            if name not in names:
                names.append(name)
            return lambda v: float(v[name])
        if isinstance(node, exp.Literal):
            number = float(node.this)
            return lambda v: number
        if isinstance(node, exp.Paren):
            return go(node.this)
        if isinstance(node, exp.Neg):
            inner = go(node.this)
            return lambda v: -inner(v)
        a, b = go(node.this), go(node.expression)
        if isinstance(node, exp.Add):
            return lambda v: a(v) + b(v)
        if isinstance(node, exp.Sub):
            return lambda v: a(v) - b(v)
        if isinstance(node, exp.Mul):
            return lambda v: a(v) * b(v)
        if isinstance(node, exp.Div):
            return lambda v: a(v) / b(v)  # ZeroDivisionError on x / 0
        raise InternalError(f"formula node {node.key!r} was not rejected by parse_formula")

    evaluate = go(parsed.tree)
    return _Formula(parsed.text, tuple(names), evaluate, _linear(parsed.tree), _monomial(parsed.tree))


def _linear(node: exp.Expression) -> dict[str, float] | None:
    """Coefficients of an affine formula (the constant under key ""), or None."""
    if isinstance(node, exp.Column):
        return {node.name: 1.0}
    if isinstance(node, exp.Literal):
        return {"": float(node.this)}
    if isinstance(node, exp.Paren):
        return _linear(node.this)
    if isinstance(node, exp.Neg):
        inner = _linear(node.this)
        return None if inner is None else {k: -c for k, c in inner.items()}
    a, b = _linear(node.this), _linear(node.expression)
    if a is None or b is None:
        return None
    if isinstance(node, exp.Add | exp.Sub):
        sign = 1.0 if isinstance(node, exp.Add) else -1.0
        out = dict(a)
        for k, c in b.items():
            out[k] = out.get(k, 0.0) + sign * c
        return out
    if isinstance(node, exp.Mul):
        if set(a) == {""}:
            return {k: a[""] * c for k, c in b.items()}
        if set(b) == {""}:
            return {k: b[""] * c for k, c in a.items()}
        return None
    if isinstance(node, exp.Div) and set(b) == {""} and b[""] != 0:
        return {k: c / b[""] for k, c in a.items()}
    return None


def _monomial(node: exp.Expression) -> tuple[float, dict[str, float]] | None:
    """(c, exponents) when the formula is c × Π x_i^e_i with c != 0, or None."""
    if isinstance(node, exp.Column):
        return 1.0, {node.name: 1.0}
    if isinstance(node, exp.Literal):
        number = float(node.this)
        return (number, {}) if number != 0 else None
    if isinstance(node, exp.Paren):
        return _monomial(node.this)
    if isinstance(node, exp.Neg):
        inner = _monomial(node.this)
        return None if inner is None else (-inner[0], inner[1])
    if isinstance(node, exp.Mul | exp.Div):
        a, b = _monomial(node.this), _monomial(node.expression)
        if a is None or b is None:
            return None
        sign = 1.0 if isinstance(node, exp.Mul) else -1.0
        powers = dict(a[1])
        for k, e in b[1].items():
            powers[k] = powers.get(k, 0.0) + sign * e
        c = a[0] * b[0] if sign > 0 else a[0] / b[0]
        return c, {k: e for k, e in powers.items() if e != 0}
    return None


def _formula(expr: str | Parsed, known: Sequence[str]) -> _Formula:
    parsed = expr if isinstance(expr, Parsed) else parse_formula(expr, known=known)
    return _compile(parsed)


# ---------------------------------------------------------------------------------------------
# The three methods


def _value(
    f: Callable[[Mapping[str, float]], float], point: Mapping[str, float], text: str, when: str
) -> float:
    try:
        out = float(f(point))
    except ZeroDivisionError:
        out = math.nan
    if not math.isfinite(out):
        zh = {"before": "基期", "after": "当期"}.get(when, when)
        raise DataError(
            f"cannot split the change of {text!r}: it has no value {_WHEN_EN.get(when, when)} (a division by zero)",
            f"无法拆分 {text!r} 的变化：它在{zh}没有值（除数为零）",
        )
    return out


_WHEN_EN = {"before": "in the earlier period", "after": "in the later period"}


def shapley(
    f: Callable[[Mapping[str, float]], float],
    before: Mapping[str, float],
    after: Mapping[str, float],
    *,
    text: str = "the formula",
) -> dict[str, float]:
    """Exact Shapley split of f(after) - f(before) over the inputs (see the module docstring).

    ``before`` and ``after`` name the same inputs. Inputs equal in both periods get exactly 0
    and are left out of the 2^n evaluations; more than 12 changed inputs raise InternalError.
    """
    if set(before) != set(after):
        raise InternalError(f"shapley: the periods name different inputs: {sorted(set(before) ^ set(after))}")
    for name in before:
        if not (math.isfinite(before[name]) and math.isfinite(after[name])):
            raise DataError(
                f"cannot split the change of {text!r}: {name!r} has no value in one of the periods",
                f"无法拆分 {text!r} 的变化：{name!r} 在其中一个时期没有值",
            )
    changed = [name for name in before if before[name] != after[name]]
    n = len(changed)
    if n > MAX_SHAPLEY_INPUTS:
        raise InternalError(
            f"shapley: {n} changed inputs need 2^{n} evaluations; at most {MAX_SHAPLEY_INPUTS} are allowed "
            "(split the driver tree into smaller nodes)"
        )
    out = {name: 0.0 for name in before}
    if n == 0:
        return out
    values = np.empty(1 << n)
    for mask in range(1 << n):
        point = dict(before)
        switched = [changed[j] for j in range(n) if mask >> j & 1]
        for name in switched:
            point[name] = after[name]
        when = "before" if mask == 0 else "after" if mask == (1 << n) - 1 else "mixed"
        if when == "mixed":
            try:
                values[mask] = float(f(point))
            except ZeroDivisionError:
                values[mask] = math.nan
            if not math.isfinite(values[mask]):
                names = ", ".join(switched)
                raise DataError(
                    f"cannot split the change of {text!r} with Shapley: it divides by zero when "
                    f"these inputs are at their later values and the others at their earlier ones: {names}",
                    f"无法用 Shapley 拆分 {text!r} 的变化：当这些输入取当期值、其他输入取基期值时除数为零：{names}",
                )
        else:
            values[mask] = _value(f, point, text, when)
    weights = [1.0 / (n * math.comb(n - 1, s)) for s in range(n)]
    sizes = [bin(mask).count("1") for mask in range(1 << n)]
    for j, name in enumerate(changed):
        bit = 1 << j
        terms = [
            weights[sizes[mask]] * (values[mask | bit] - values[mask])
            for mask in range(1 << n)
            if not mask & bit
        ]
        out[name] = math.fsum(terms)
    return out


def log_mean(a: float, b: float) -> float:
    """The logarithmic mean L(a, b) = (a - b) / ln(a / b), L(a, a) = a; needs a / b > 0."""
    if a == b:
        return a
    return (a - b) / _log_ratio(a, b)


def _log_ratio(a: float, b: float) -> float:
    """ln(a / b) to full precision: log1p of the relative change when a is near b (where
    log(a / b) would lose digits), log of the ratio otherwise (where 1 + (a - b) / b would)."""
    ratio = a / b
    return math.log1p((a - b) / b) if 0.5 < ratio < 2 else math.log(ratio)


def lmdi(
    before: Mapping[str, float],
    after: Mapping[str, float],
    *,
    exponents: Mapping[str, float] | None = None,
    coefficient: float = 1.0,
) -> dict[str, float] | None:
    """LMDI-I split of y = coefficient × Π x_i^e_i (e_i = 1 unless ``exponents`` says otherwise).

    contribution_i = L(y1, y0) × e_i × ln(x_i1 / x_i0). Returns None when a factor is missing,
    not finite, or <= 0 in either period (no logarithm: the caller uses :func:`shapley`).
    """
    powers = dict(exponents) if exponents is not None else {name: 1.0 for name in before}
    factors: dict[str, tuple[float, float]] = {}
    for name in powers:
        x0, x1 = before.get(name), after.get(name)
        if x0 is None or x1 is None or not (math.isfinite(x0) and math.isfinite(x1)) or x0 <= 0 or x1 <= 0:
            return None
        factors[name] = (float(x0), float(x1))
    if not math.isfinite(coefficient) or coefficient == 0:
        return None
    y0 = coefficient * math.prod(x0**e for (x0, _), e in zip(factors.values(), powers.values(), strict=True))
    y1 = coefficient * math.prod(x1**e for (_, x1), e in zip(factors.values(), powers.values(), strict=True))
    if not _same_sign(y0, y1):
        return None  # the product under- or overflowed
    return _lmdi_split(factors, powers, y0, y1)


def _same_sign(y0: float, y1: float) -> bool:
    """L(y1, y0) needs y1 / y0 > 0 (and finite values)."""
    if y0 == 0 or not (math.isfinite(y0) and math.isfinite(y1)):
        return False
    ratio = y1 / y0
    return math.isfinite(ratio) and ratio > 0


def _lmdi_split(
    factors: Mapping[str, tuple[float, float]], powers: Mapping[str, float], y0: float, y1: float
) -> dict[str, float]:
    weight = log_mean(y1, y0)
    # exactly 0 for an unchanged factor (log1p(0))
    return {name: weight * powers[name] * _log_ratio(x1, x0) for name, (x0, x1) in factors.items()}


def decompose(
    expr: str | Parsed,
    before: Mapping[str, float],
    after: Mapping[str, float],
    method: Method = "auto",
) -> Decomposition:
    """Split the change of one driver node's formula over its inputs (module docstring)."""
    if method not in METHODS:
        raise QueryError(
            f"unknown attribution method {method!r}; use one of {', '.join(METHODS)}",
            f"没有归因方法 {method!r}；可用：{', '.join(METHODS)}",
        )
    known = list(dict.fromkeys([*before, *after]))
    formula = _formula(expr, known)
    for name in formula.names:
        for values, when in ((before, "before"), (after, "after")):
            if name not in values:
                raise QueryError(
                    f"formula {formula.text!r}: no value for {name!r} {_WHEN_EN[when]}",
                    f"公式 {formula.text!r}：{name!r} 在{'基期' if when == 'before' else '当期'}没有值",
                )
    x0 = {name: float(before[name]) for name in formula.names}
    x1 = {name: float(after[name]) for name in formula.names}
    y0 = (
        _value(formula.evaluate, x0, formula.text, "before")
        if all(map(math.isfinite, x0.values()))
        else math.nan
    )
    y1 = (
        _value(formula.evaluate, x1, formula.text, "after")
        if all(map(math.isfinite, x1.values()))
        else math.nan
    )
    contributions: dict[str, float] | None = None
    used = "shapley"
    if method != "shapley" and formula.linear is not None and math.isfinite(y0) and math.isfinite(y1):
        contributions = {name: formula.linear[name] * (x1[name] - x0[name]) for name in formula.names}
        used = "additive"
    elif method in ("auto", "lmdi") and formula.monomial is not None:
        powers = formula.monomial[1]
        positive = all(v > 0 for v in (*x0.values(), *x1.values()))
        if positive and _same_sign(y0, y1):  # a product of tiny factors can underflow to 0
            factors = {name: (x0[name], x1[name]) for name in powers}
            split = _lmdi_split(factors, powers, y0, y1)
            contributions = {name: split.get(name, 0.0) for name in formula.names}
            used = "lmdi"
    if contributions is None:
        if method == "lmdi":
            raise QueryError(
                f"LMDI cannot split {formula.text!r}: it needs a product or quotient of inputs that are all "
                "greater than 0 in both periods; use method auto or shapley",
                f"LMDI 无法拆分 {formula.text!r}：它要求公式是乘积或商，且所有输入在两个时期都大于 0；请使用 auto 或 shapley",
            )
        contributions = shapley(formula.evaluate, x0, x1, text=formula.text)
        used = "shapley"
    total = y1 - y0
    return Decomposition(
        formula=formula.text,
        value_before=y0,
        value_after=y1,
        total=total,
        contributions=contributions,
        method=used,
        exact_residual=total - math.fsum(contributions.values()),
    )


# ---------------------------------------------------------------------------------------------
# Driver trees


def nested(
    tree: Mapping[str, str | Parsed],
    before: Mapping[str, float],
    after: Mapping[str, float],
    *,
    root: str | None = None,
    method: Method = "auto",
) -> list[DriverRow]:
    """Split the root's change down a driver tree, one row per node, depth first from the root.

    ``tree`` maps each inner node to its formula over its children (``{"revenue": "visitors *
    conversion_rate * aov", "conversion_rate": "purchasers / visitors"}``); a name a formula
    uses that is not a key is a leaf. ``before`` / ``after`` hold the leaves' values; an inner
    node's value is its formula over its children, and when a value is also given for it, the two
    must agree (relative gap ≤ 1e-9) or a DataError says the tree's identity does not hold.
    ``root`` defaults to the one node no formula uses. A node used by several parents appears once
    under each.
    """
    known = list(dict.fromkeys([*tree, *before, *after]))
    formulas = {node: _formula(text, known) for node, text in tree.items()}
    if root is None:
        used = {name for f in formulas.values() for name in f.names}
        tops = [node for node in formulas if node not in used]
        if len(tops) != 1:
            raise QueryError(
                f"driver tree: name the root; candidates: {', '.join(tops) or '(none: the formulas form a cycle)'}",
                f"驱动树：请指定根节点；候选：{', '.join(tops) or '（无：公式之间存在循环）'}",
            )
        root = tops[0]
    elif root not in formulas:
        raise QueryError(
            f"driver tree: {root!r} has no formula" + did_you_mean(root, formulas),
            f"驱动树：{root!r} 没有公式" + did_you_mean(root, formulas, "zh"),
        )

    values: dict[str, tuple[float, float]] = {}

    def value(node: str, path: tuple[str, ...]) -> tuple[float, float]:
        if node in path:
            cycle = " → ".join((*path[path.index(node) :], node))
            raise QueryError(f"driver tree: a cycle {cycle}", f"驱动树：存在循环 {cycle}")
        if node in values:
            return values[node]
        if node not in formulas:
            for vals, when in ((before, "before"), (after, "after")):
                if node not in vals:
                    raise QueryError(
                        f"driver tree: no value for {node!r} {_WHEN_EN[when]}",
                        f"驱动树：{node!r} 在{'基期' if when == 'before' else '当期'}没有值",
                    )
            values[node] = (float(before[node]), float(after[node]))
            return values[node]
        f = formulas[node]
        kids = {name: value(name, (*path, node)) for name in f.names}
        pair = (
            _value(f.evaluate, {k: v[0] for k, v in kids.items()}, f.text, "before"),
            _value(f.evaluate, {k: v[1] for k, v in kids.items()}, f.text, "after"),
        )
        for given, computed, when in ((before, pair[0], "before"), (after, pair[1], "after")):
            if node in given and not math.isclose(
                float(given[node]), computed, rel_tol=_CONSISTENT, abs_tol=0.0
            ):
                raise DataError(
                    f"driver tree: {node!r} is {given[node]!r} {_WHEN_EN[when]} but {f.text} gives {computed!r}; "
                    "the tree's formula must hold for its change to be split",
                    f"驱动树：{node!r} 在{'基期' if when == 'before' else '当期'}为 {given[node]!r}，"
                    f"但 {f.text} 得到 {computed!r}；公式必须成立才能拆分变化",
                )
        values[node] = pair
        return pair

    value(root, ())
    rows: list[DriverRow] = []

    def walk(
        node: str, parent: str | None, level: int, to_parent: float, to_root: float, note: tuple[str, str]
    ) -> None:
        v0, v1 = values[node]
        change = v1 - v0
        f = formulas.get(node)
        split = None
        if f is not None:
            split = decompose(
                f.text, {k: values[k][0] for k in f.names}, {k: values[k][1] for k in f.names}, method
            )
        rows.append(
            DriverRow(
                node, parent, level, v0, v1, change, to_parent, to_root, split.method if split else "", *note
            )
        )
        if f is None or split is None:
            return
        moved = [k for k, c in split.contributions.items() if c != 0]
        # Divide by the sum of the parts (the change up to rounding), so the shares sum to
        # to_root even when the parts nearly cancel.
        parts = math.fsum(split.contributions.values())
        for name in f.names:
            part = split.contributions[name]
            child_note = ("", "")
            if change == 0 or parts == 0:
                share = 0.0
                if moved:
                    child_note = (
                        f"{node} did not change: its drivers offset each other, so they pass on 0",
                        f"{node} 没有变化：其驱动因素相互抵消，因此传递 0",
                    )
            else:
                share = to_root * (part / parts)
            walk(name, node, level + 1, part, share, child_note)

    walk(root, None, 0, values[root][1] - values[root][0], values[root][1] - values[root][0], ("", ""))
    return rows


def rows_frame(rows: Sequence[DriverRow]) -> pd.DataFrame:
    """The rows of :func:`nested` as a table (one column per field)."""
    columns = list(DriverRow.__dataclass_fields__)
    return pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=columns)
