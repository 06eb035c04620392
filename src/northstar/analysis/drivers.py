"""Driver trees: the nodes under a metric, and a check that each identity holds on the data.

A *driver entry* (``drivers:`` in the YAML, :class:`northstar.spec.drivers.Driver`) says what
a metric equals: a formula over other metrics, and/or the sum of the metric over the values of
a dimension. :func:`driver_tree` follows the entries from a root, depth first, to any depth.

:func:`check_identities` computes both sides of every entry per day over a range and reports
the residual, ``left - right``, relative to ``|left|``:

- formula: ``left`` is the metric, ``right`` the formula over its drivers' values that day;
- ``over: dim``: ``left`` is the metric, ``right`` the sum of the metric over the dimension's
  values that day (rows with no value of the dimension form a part of their own, "(none)").
  A residual means the parts overlap (a ``count_distinct`` counted per channel counts a user who
  came through two channels twice) or miss rows.

An entry holds when every day's relative residual is at most its ``tolerance`` (default 1e-6).
Days where the metric is null or 0 and the right-hand side is too are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from northstar.errors import QueryError
from northstar.spec.expressions import Parsed, evaluate_formula, parse_formula
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

__all__ = ["DriverNode", "Identity", "check_identities", "driver_tree"]


@dataclass(frozen=True)
class DriverNode:
    """One metric in a driver tree: its formula (over its ``children``) and/or the dimension it
    adds up over; ``parent`` is the node it drives (None for the root), ``depth`` 0 at the root."""

    name: str
    parent: str | None
    depth: int
    formula: Parsed | None
    over: str | None
    children: tuple[str, ...]
    method: str


@dataclass(frozen=True)
class Identity:
    """The check of one driver entry on the data: both sides per day, the worst residual."""

    metric: str
    kind: str  # "formula" or "over"
    right: str  # the formula, or "sum over <dim>"
    days: int  # days compared
    max_residual: float  # largest |left - right| / |left|
    worst_day: date | None
    left: float  # on the worst day
    right_value: float
    tolerance: float

    @property
    def holds(self) -> bool:
        return self.max_residual <= self.tolerance


def driver_tree(project: Project, root: str) -> list[DriverNode]:
    """The nodes under ``root`` (itself first), depth first, following the ``drivers:`` entries.
    A metric without an entry is a leaf."""
    if root not in project.catalog.metrics:
        known = sorted(project.catalog.metrics)
        raise QueryError(
            f"unknown metric {root!r}" + did_you_mean(root, known),
            f"没有指标 {root!r}" + did_you_mean(root, known, "zh"),
        )
    drivers = project.spec.drivers or {}
    known_metrics = list(project.catalog.metrics)
    out: list[DriverNode] = []

    def visit(name: str, parent: str | None, depth: int) -> None:
        entry = drivers.get(name)
        parsed = parse_formula(entry.formula, known=known_metrics) if entry and entry.formula else None
        children = tuple(_ordered_names(parsed)) if parsed else ()
        out.append(
            DriverNode(
                name=name,
                parent=parent,
                depth=depth,
                formula=parsed,
                over=entry.over if entry else None,
                children=children,
                method=entry.method if entry else "auto",
            )
        )
        for child in children:
            visit(child, name, depth + 1)

    visit(root, None, 0)
    return out


def _ordered_names(parsed: Parsed) -> list[str]:
    """The metric names of a formula in the order they are written."""
    from sqlglot import exp

    seen: list[str] = []

    def go(node: exp.Expression | None) -> None:
        if node is None:
            return
        if isinstance(node, exp.Column):
            if node.name not in seen:
                seen.append(node.name)
            return
        go(node.args.get("this"))
        go(node.args.get("expression"))

    go(parsed.tree)
    return seen


def check_identities(
    project: Project,
    engine: Engine | None = None,
    start: date | None = None,
    end: date | None = None,
    names: Sequence[str] | None = None,
) -> list[Identity]:
    """Check every driver entry (or those of ``names``) per day over [start, end]; by default the
    last 28 days with data of the metrics involved."""
    eng = engine or project.engine
    drivers = project.spec.drivers or {}
    out: list[Identity] = []
    known = list(project.catalog.metrics)
    for name in names or sorted(drivers):
        entry = drivers[name]
        involved = [name]
        parsed = None
        if entry.formula:
            parsed = parse_formula(entry.formula, known=known)
            involved += sorted(parsed.columns)
        s, e = (start, end) if start and end else _default_range(project, involved, eng)
        if entry.formula and parsed is not None:
            frame = project.query(involved, grain="day", start=s, end=e, engine=eng).frame
            right = evaluate_formula(parsed, frame)
            out.append(
                _identity(
                    name, "formula", entry.formula, frame["period"], frame[name], right, entry.tolerance
                )
            )
        if entry.over:
            total = project.query([name], grain="day", start=s, end=e, engine=eng).frame
            parts = project.query([name], by=[entry.over], grain="day", start=s, end=e, engine=eng).frame
            summed = parts.groupby("period")[name].sum(min_count=1)
            right = total["period"].map(summed).astype("float64")
            out.append(
                _identity(
                    name,
                    "over",
                    f"sum over {entry.over}",
                    total["period"],
                    total[name],
                    right,
                    entry.tolerance,
                )
            )
    return out


def _default_range(project: Project, metrics: list[str], engine: Engine) -> tuple[date, date]:
    s, e = project.default_range(metrics, engine, "day")
    return max(s, e - timedelta(days=27)), e


def _identity(
    name: str, kind: str, right_text: str, period: pd.Series, left: pd.Series, right: pd.Series, tol: float
) -> Identity:
    lv = left.astype("float64").to_numpy()
    rv = right.astype("float64").to_numpy()
    both_empty = (np.nan_to_num(lv) == 0) & (np.nan_to_num(rv) == 0)
    keep = ~both_empty
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(np.nan_to_num(lv, nan=0.0) - np.nan_to_num(rv, nan=0.0))
        scale = np.abs(np.nan_to_num(lv, nan=0.0))
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), np.where(diff > 0, np.inf, 0.0))
    rel = np.where(keep, rel, 0.0)
    if not keep.any():
        return Identity(name, kind, right_text, 0, 0.0, None, float("nan"), float("nan"), tol)
    worst = int(np.argmax(rel))
    day = pd.Timestamp(period.iloc[worst]).date()
    return Identity(
        name,
        kind,
        right_text,
        int(keep.sum()),
        float(rel[worst]),
        day,
        float(lv[worst]),
        float(rv[worst]),
        tol,
    )
