"""User expressions (filters, computed columns, formulas): parsed with SQLGlot, checked, and
translated node by node into Ibis expressions — user text is never pasted into SQL.

Allowed in filters and column expressions: column names of the source, string/number/boolean
literals, ``NULL``, ``+ - * / %``, comparisons, ``AND OR NOT``, ``IN (…)``, ``BETWEEN``,
``LIKE``/``ILIKE``, ``IS [NOT] NULL``, ``CASE WHEN``, and the functions in :data:`FUNCTIONS`.

Formulas (``type: formula``) allow only metric names, numbers, ``+ - * /`` and parentheses; they
are evaluated on the aggregated results, where division by zero gives null.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from northstar.errors import ExpressionError

FUNCTIONS: dict[str, int | tuple[int, int]] = {
    # name: number of arguments (or a range)
    "lower": 1,
    "upper": 1,
    "length": 1,
    "trim": 1,
    "abs": 1,
    "round": (1, 2),
    "coalesce": (2, 8),
    "least": (2, 8),
    "greatest": (2, 8),
    "substr": (2, 3),
}
_FUNC_NODES: dict[type, str] = {
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Length: "length",
    exp.Trim: "trim",
    exp.Abs: "abs",
    exp.Round: "round",
    exp.Coalesce: "coalesce",
    exp.Least: "least",
    exp.Greatest: "greatest",
    exp.Substring: "substr",
}
_BINARY = (
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
)


@dataclass(frozen=True)
class Parsed:
    """A parsed, checked user expression and the column names it reads."""

    text: str
    tree: exp.Expression
    columns: frozenset[str]


def parse(text: str, *, known: Iterable[str], what: str = "filter") -> Parsed:
    """Parse ``text`` and check it uses only ``known`` columns and allowed constructs."""
    known_set = set(known)
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        detail = _parse_detail(exc)
        raise ExpressionError(
            f"cannot parse {what} {text!r}: {detail}", f"无法解析 {text!r}：{_ZH_PARSE.get(detail, detail)}"
        ) from None
    except sqlglot.errors.SqlglotError:
        raise ExpressionError(
            f"cannot parse {what} {text!r}: a quote is not closed", f"无法解析 {text!r}：引号没有闭合"
        ) from None
    if len(trees) != 1 or trees[0] is None:
        raise ExpressionError(
            f"{what} {text!r} must be a single expression (no ';')",
            f"{text!r} 只能是一个表达式（不能含 ';'）",
        )
    tree: Any = trees[0]
    columns: set[str] = set()
    _check(tree, text, what, known_set, columns)
    return Parsed(text, tree, frozenset(columns))


_ZH_PARSE = {
    "it ends too early: something is missing after an operator or a parenthesis": "表达式不完整：运算符或括号后缺少内容",
}


def _parse_detail(exc: sqlglot.errors.ParseError) -> str:
    """SQLGlot's parse error in words a spreadsheet user understands."""
    first = exc.errors[0] if exc.errors else {}
    desc = str(first.get("description", exc))
    col = first.get("col")
    if desc.startswith("Required keyword") or ("Expected" in desc and "got" not in desc):
        return "it ends too early: something is missing after an operator or a parenthesis"
    where = f" (at character {col})" if col else ""
    return f"{desc.split('. Line')[0]}{where}"


def _check(node: exp.Expression, text: str, what: str, known: set[str], columns: set[str]) -> None:
    if isinstance(node, exp.Column):
        if node.table:
            raise ExpressionError(
                f"{what} {text!r}: write plain column names, not {node.sql()!r}",
                f"{text!r}：请直接写列名，不要写 {node.sql()!r}",
            )
        name = node.name
        if name not in known:
            near = tuple(difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6))
            raise ExpressionError(
                f"{what} {text!r}: unknown column {name!r}", f"{text!r}：没有列 {name!r}", near
            )
        columns.add(name)
        return
    if isinstance(node, exp.Literal | exp.Boolean | exp.Null):
        return
    if isinstance(node, exp.Anonymous):
        raise ExpressionError(
            f"{what} {text!r}: function {node.name!r} is not allowed; allowed: {', '.join(FUNCTIONS)}",
            f"{text!r}：不允许使用函数 {node.name!r}；允许的函数：{', '.join(FUNCTIONS)}",
        )
    allowed = (
        *_BINARY,
        exp.Not,
        exp.Neg,
        exp.Paren,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Is,
        exp.Case,
        exp.If,
        *_FUNC_NODES,
    )
    if not isinstance(node, allowed):
        if isinstance(node, exp.Func):
            name = node.sql_name().lower()
            raise ExpressionError(
                f"{what} {text!r}: function {name!r} is not allowed; allowed: {', '.join(FUNCTIONS)}",
                f"{text!r}：不允许使用函数 {name!r}；允许的函数：{', '.join(FUNCTIONS)}",
            )
        raise ExpressionError(
            f"{what} {text!r}: {node.key.upper()} is not allowed here",
            f"{text!r}：此处不允许 {node.key.upper()}",
        )
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
        raise ExpressionError(
            f"{what} {text!r}: IN takes a list of values, not a query",
            f"{text!r}：IN 后面只能是值的列表，不能是查询",
        )
    for child in node.iter_expressions():
        _check(child, text, what, known, columns)


# ---------------------------------------------------------------------------------------------
# Translation to Ibis


def to_ibis(parsed: Parsed, column: Callable[[str], Any]) -> Any:
    """Translate a checked expression into an Ibis expression; ``column(name)`` resolves columns."""
    import ibis

    def lit(node: exp.Literal) -> Any:
        if node.is_string:
            return ibis.literal(node.this)
        text = node.this
        return ibis.literal(float(text)) if any(c in text for c in ".eE") else ibis.literal(int(text))

    def go(node: exp.Expression) -> Any:
        if isinstance(node, exp.Column):
            return column(node.name)
        if isinstance(node, exp.Literal):
            return lit(node)
        if isinstance(node, exp.Boolean):
            return ibis.literal(bool(node.this))
        if isinstance(node, exp.Null):
            return ibis.null()
        if isinstance(node, exp.Paren):
            return go(node.this)
        if isinstance(node, exp.Neg):
            return -go(node.this)
        if isinstance(node, exp.Not):
            inner = node.this
            if isinstance(inner, exp.Is):
                return go(inner.this).notnull()
            return ~go(inner)
        if isinstance(node, exp.Is):
            return go(node.this).isnull()
        if isinstance(node, _BINARY):
            a, b = go(node.this), go(node.expression)
            ops: dict[type, Callable[[Any, Any], Any]] = {
                exp.Add: lambda x, y: x + y,
                exp.Sub: lambda x, y: x - y,
                exp.Mul: lambda x, y: x * y,
                exp.Div: lambda x, y: x / y,
                exp.Mod: lambda x, y: x % y,
                exp.EQ: lambda x, y: x == y,
                exp.NEQ: lambda x, y: x != y,
                exp.GT: lambda x, y: x > y,
                exp.GTE: lambda x, y: x >= y,
                exp.LT: lambda x, y: x < y,
                exp.LTE: lambda x, y: x <= y,
                exp.And: lambda x, y: x & y,
                exp.Or: lambda x, y: x | y,
            }
            return ops[type(node)](a, b)
        if isinstance(node, exp.In):
            return go(node.this).isin([go(e) for e in node.expressions])
        if isinstance(node, exp.Between):
            return go(node.this).between(go(node.args["low"]), go(node.args["high"]))
        if isinstance(node, exp.Like):
            return go(node.this).like(_string(node.expression))
        if isinstance(node, exp.ILike):
            return go(node.this).ilike(_string(node.expression))
        if isinstance(node, exp.Case):
            branches = [(go(i.this), go(i.args["true"])) for i in node.args.get("ifs", [])]
            default = node.args.get("default")
            return ibis.cases(*branches, else_=go(default) if default is not None else None)
        if isinstance(node, exp.If):
            return ibis.ifelse(
                go(node.this),
                go(node.args["true"]),
                go(node.args["false"]) if node.args.get("false") else ibis.null(),
            )
        if isinstance(node, exp.Lower):
            return go(node.this).lower()
        if isinstance(node, exp.Upper):
            return go(node.this).upper()
        if isinstance(node, exp.Length):
            return go(node.this).length()
        if isinstance(node, exp.Trim):
            return go(node.this).strip()
        if isinstance(node, exp.Abs):
            return go(node.this).abs()
        if isinstance(node, exp.Round):
            digits = node.args.get("decimals")
            return go(node.this).round(int(digits.this) if digits is not None else 0)
        if isinstance(node, exp.Coalesce):
            return ibis.coalesce(go(node.this), *[go(e) for e in node.expressions])
        if isinstance(node, exp.Least):
            return ibis.least(go(node.this), *[go(e) for e in node.expressions])
        if isinstance(node, exp.Greatest):
            return ibis.greatest(go(node.this), *[go(e) for e in node.expressions])
        if isinstance(node, exp.Substring):
            start = int(node.args["start"].this) - 1
            length = node.args.get("length")
            return go(node.this).substr(start, int(length.this) if length is not None else None)
        raise ExpressionError(f"cannot translate {node.sql()!r}")

    from ibis.common.exceptions import IbisTypeError

    try:
        return go(parsed.tree)
    except (IbisTypeError, TypeError) as exc:
        if "not comparable" in str(exc):
            raise ExpressionError(
                f"{parsed.text!r}: a number is compared with text; write numbers without quotes (amount > 10) "
                "and text with single quotes (channel = 'ads')",
                f"{parsed.text!r}：数字与文本进行了比较；数字不要加引号（amount > 10），文本用单引号（channel = 'ads'）",
            ) from None
        raise ExpressionError(
            f"{parsed.text!r}: the types do not fit together ({_short(exc)})",
            f"{parsed.text!r}：类型不匹配（{_short(exc)}）",
        ) from None


def _short(exc: Exception) -> str:
    text = str(exc)
    text = re.sub(r"DataType\(.*?\)\)?", "", text)
    return text if len(text) < 200 else text[:200] + "…"


def _string(node: exp.Expression) -> str:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    raise ExpressionError(f"LIKE needs a quoted pattern, got {node.sql()!r}")


# ---------------------------------------------------------------------------------------------
# Formulas over metrics


_NAME_TOKEN = re.compile(r'(?<![\w".])([^\W\d]\w*)(?![\w"(])')


def parse_formula(text: str, *, known: Iterable[str]) -> Parsed:
    """Parse a formula over metric names: numbers, + - * / and parentheses only. Known metric
    names are quoted before parsing, so a metric called ``new``, ``returning`` or ``order`` (SQL
    keywords) reads as a name."""
    known_set = set(known)
    quoted = _NAME_TOKEN.sub(lambda m: f'"{m.group(1)}"' if m.group(1) in known_set else m.group(1), text)
    try:
        trees = sqlglot.parse(quoted, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        detail = _parse_detail(exc)
        raise ExpressionError(
            f"cannot parse formula {text!r}: {detail}",
            f"无法解析公式 {text!r}：{_ZH_PARSE.get(detail, detail)}",
        ) from None
    except sqlglot.errors.SqlglotError:
        raise ExpressionError(
            f"cannot parse formula {text!r}: a quote is not closed", f"无法解析公式 {text!r}：引号没有闭合"
        ) from None
    if len(trees) != 1 or trees[0] is None:
        raise ExpressionError(
            f"formula {text!r} must be a single expression", f"公式 {text!r} 只能是一个表达式"
        )
    tree: Any = trees[0]
    names: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.Column):
            if node.table or node.name not in known_set:
                near = tuple(difflib.get_close_matches(node.name, sorted(known_set), n=3, cutoff=0.6))
                raise ExpressionError(
                    f"formula {text!r}: unknown metric {node.sql()!r}",
                    f"公式 {text!r}：没有指标 {node.sql()!r}",
                    near,
                )
            names.add(node.name)
        elif isinstance(
            node, exp.Identifier | exp.Literal | exp.Paren | exp.Neg | exp.Add | exp.Sub | exp.Mul | exp.Div
        ):
            if isinstance(node, exp.Literal) and node.is_string:
                raise ExpressionError(
                    f"formula {text!r}: text values are not allowed", f"公式 {text!r}：不允许出现文本值"
                )
        else:
            raise ExpressionError(
                f"formula {text!r}: only metric names, numbers, + - * / and parentheses are allowed",
                f"公式 {text!r}：只允许指标名、数字、+ - * / 和括号",
            )
    return Parsed(text, tree, frozenset(names))


def evaluate_formula(parsed: Parsed, frame: pd.DataFrame) -> pd.Series:
    """Evaluate a formula column-wise on aggregated results; x / 0 gives null (NaN)."""

    def go(node: exp.Expression) -> Any:
        if isinstance(node, exp.Column):
            return frame[node.name].astype("float64")
        if isinstance(node, exp.Literal):
            return float(node.this)
        if isinstance(node, exp.Paren):
            return go(node.this)
        if isinstance(node, exp.Neg):
            return -go(node.this)
        a, b = go(node.this), go(node.expression)
        if isinstance(node, exp.Add):
            return a + b
        if isinstance(node, exp.Sub):
            return a - b
        if isinstance(node, exp.Mul):
            return a * b
        return safe_divide(a, b)

    out = go(parsed.tree)
    if not isinstance(out, pd.Series):
        out = pd.Series(out, index=frame.index, dtype="float64")
    return out


def safe_divide(a: Any, b: Any) -> Any:
    """a / b with null where b is zero or missing (never ±inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(b, pd.Series):
            return (a / b.where(b != 0)).astype("float64")
        if isinstance(a, pd.Series):
            return a / b if b != 0 else pd.Series(np.nan, index=a.index)
        return a / b if b != 0 else np.nan


def kind_of(dtype: Any) -> str:
    """Map an Ibis data type to the coarse kind validation talks about."""
    if dtype.is_numeric():
        return "number"
    if dtype.is_string():
        return "text"
    if dtype.is_timestamp():
        return "timestamp"
    if dtype.is_date():
        return "date"
    if dtype.is_boolean():
        return "boolean"
    return "other"
