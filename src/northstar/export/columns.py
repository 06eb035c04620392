"""Name the role of every column of a result frame and turn cells into plain Python values.

A :class:`~northstar.results.QueryResult` frame holds ``period``, the dimension columns, one column
per metric and, per comparison, ``<metric>__<cmp>``, ``<metric>__<cmp>_change`` and
``<metric>__<cmp>_pct``. Writers ask :func:`classify` what a column is instead of parsing names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from northstar.results import COMPARISONS, Comparison, MetricInfo, QueryResult

PERIOD = "period"

Role = Literal["period", "dimension", "metric", "comparison", "other"]
Kind = Literal["value", "change", "pct"]


@dataclass(frozen=True)
class Column:
    """One frame column: its name, its role, and for metric columns which metric and comparison."""

    name: str
    role: Role
    metric: MetricInfo | None = None
    comparison: Comparison | None = None
    kind: Kind | None = None
    labels: tuple[str, str] | None = None  # (en, zh) for dimension columns


def classify(result: QueryResult) -> list[Column]:
    """The columns of ``result.frame`` in frame order, each with its role."""
    derived: dict[str, Column] = {}
    for m in result.metrics:
        derived[m.name] = Column(m.name, "metric", m)
        for cmp in COMPARISONS:
            derived[f"{m.name}__{cmp}"] = Column(f"{m.name}__{cmp}", "comparison", m, cmp, "value")
            for kind in ("change", "pct"):
                name = f"{m.name}__{cmp}_{kind}"
                derived[name] = Column(name, "comparison", m, cmp, kind)  # type: ignore[arg-type]
    columns = []
    for raw in result.frame.columns:
        name = str(raw)
        if name == PERIOD:
            columns.append(Column(name, "period"))
        elif name in result.dimensions:
            labels = (result.dimension_label(name, "en"), result.dimension_label(name, "zh"))
            columns.append(Column(name, "dimension", labels=labels))
        else:
            columns.append(derived.get(name, Column(name, "other")))
    return columns


def reading_order(result: QueryResult) -> list[Column]:
    """The columns in the order a person reads them: the period, the dimensions, every metric's
    value (in the order asked), then per metric its comparison columns together — base value,
    change and % change for ``prev``, then the same for ``yoy`` — and any other column last.

    The frame itself groups comparisons per comparison (``revenue__prev``, ``orders__prev``, …);
    scripts find columns by name, but a reader compares one metric's numbers side by side.
    """
    columns = classify(result)
    by_name = {c.name: c for c in columns}
    keys = [c for c in columns if c.role == "period"] + [
        by_name[d] for d in result.dimensions if d in by_name
    ]
    values = [by_name[m.name] for m in result.metrics if m.name in by_name]
    derived = [
        by_name[f"{m.name}__{cmp}{suffix}"]
        for m in result.metrics
        for cmp in COMPARISONS
        for suffix in ("", "_change", "_pct")
        if f"{m.name}__{cmp}{suffix}" in by_name
    ]
    placed = {c.name for c in keys + values + derived}
    return keys + values + derived + [c for c in columns if c.name not in placed]


def pct_columns(result: QueryResult) -> list[Column]:
    """The ``<metric>__<cmp>_pct`` columns present, ordered by metric then comparison."""
    present = {c.name: c for c in classify(result) if c.kind == "pct"}
    return [
        present[f"{m.name}__{cmp}_pct"]
        for m in result.metrics
        for cmp in COMPARISONS
        if f"{m.name}__{cmp}_pct" in present
    ]


def has_time_of_day(values: pd.Series) -> bool:
    """True when some timestamp is not at midnight (an hourly grain), so dates alone would lose data."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return False
    stamps = values.dropna()
    return bool((stamps != stamps.dt.normalize()).any())


def plain(value: Any, *, with_time: bool = True) -> Any:
    """A cell as a JSON-ready Python value: None for null/NaN/inf, ISO text for dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, datetime):  # pandas.Timestamp is a datetime
        if with_time:
            return value.isoformat()
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
