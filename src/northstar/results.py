"""Frozen results that analysis returns and surfaces (CLI, exports, server) render.

A :class:`QueryResult` is a *wide* table: one row per (period, dimension values), one column per
metric, and, when comparisons were asked for, derived columns named after the metric. The keys come
first, then every metric's value, then per comparison each metric's base value, then the changes::

    period | channel | revenue | orders | revenue__prev | orders__prev | revenue__prev_change
           | revenue__prev_pct | orders__prev_change | orders__prev_pct | revenue__yoy | …

Find columns by name, not by position.

``period`` is the start of the time bucket as a naive timestamp in the project timezone; it is
absent when the query has no grain (one total over the date range). ``__pct`` columns are
fractions (0.15 means +15 %) and are null where the base value is zero or missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd

Comparison = Literal["prev", "yoy"]
COMPARISONS: tuple[Comparison, ...] = ("prev", "yoy")


@dataclass(frozen=True)
class MetricInfo:
    """What a surface needs to show a metric: labels, unit, number format and direction."""

    name: str
    label: str
    label_zh: str
    unit: str | None
    format: str  # "number" | "integer" | "percent" | "currency" | "duration"
    decimals: int
    direction: Literal["higher", "lower"]


@dataclass(frozen=True)
class QueryResult:
    """The answer to a metric query (see module docstring for the frame's columns)."""

    frame: pd.DataFrame
    metrics: tuple[MetricInfo, ...]
    dimensions: tuple[str, ...]
    grain: str | None
    start: date
    end: date
    comparisons: tuple[Comparison, ...] = ()
    currency: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    notes_zh: tuple[str, ...] = field(default_factory=tuple)
    dimension_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (en, zh)

    def notes_in(self, lang: str) -> tuple[str, ...]:
        """The notes in ``lang`` (en or zh)."""
        return self.notes_zh if lang.startswith("zh") and self.notes_zh else self.notes

    def dimension_label(self, name: str, lang: str = "en") -> str:
        en, zh = self.dimension_labels.get(name, (name, name))
        return zh if lang == "zh" else en

    def metric(self, name: str) -> MetricInfo:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_arrow(self):  # -> pyarrow.Table
        import pyarrow as pa

        return pa.Table.from_pandas(self.frame, preserve_index=False)
