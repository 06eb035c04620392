"""The value of metrics over one span of days (a period, or its days up to the last with data),
with the query's notes that concern the values (a provisional repeat rate…), for goals."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

__all__ = ["period_values"]

_OWN_NOTES = ("the data ends on", "the data starts on")


def period_values(
    project: Project, metrics: list[str], start: date, end: date, engine: Engine
) -> tuple[dict[str, float | None], list[str], list[str]]:
    """Each metric's value over [start, end] (inclusive days), and the query's notes (provisional values…)."""
    result = project.query(metrics, start=start, end=end, engine=engine)
    keep = [i for i, n in enumerate(result.notes) if not n.startswith(_OWN_NOTES)]
    notes = [result.notes[i] for i in keep]
    notes_zh = [result.notes_zh[i] if i < len(result.notes_zh) else result.notes[i] for i in keep]
    frame = result.frame
    out: dict[str, float | None] = {}
    for m in metrics:
        if m not in frame.columns or frame.empty:
            out[m] = None
            continue
        v = frame[m].iloc[0]
        out[m] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return out, notes, notes_zh
