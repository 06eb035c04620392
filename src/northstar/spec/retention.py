"""Retention definitions (``retention:`` in ``northstar.yml``) and the repurchase gap.

A retention definition says who enters a cohort, what counts as coming back, in which calendar
periods, and what to measure; :mod:`northstar.analysis.retention` computes it. The exact
semantics are in that module's docstring and in docs/spec.md, *Retention*.

``parse_gap_seconds`` reads ``min_gap`` of a ``repeat_rate`` metric: ``90s``, ``10min``, ``2h``,
``1d``, ``1w`` (a bare integer means days, as for every other duration).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from northstar.spec.models import LocalText, Strict

_GAP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|min|h|d|w)\s*$")
_GAP_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_gap_seconds(value: str | int) -> float:
    """``10min`` → 600, ``2h`` → 7200, ``1d`` → 86400; a bare integer means days."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration: write e.g. 10min, 2h or 1d")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("min_gap cannot be negative")
        return float(value) * 86400
    m = _GAP.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a duration: write e.g. 90s, 10min, 2h or 1d")
    return float(m.group(1)) * _GAP_SECONDS[m.group(2)]


class RetentionRows(Strict):
    """Which rows enter a cohort (``start``) or count as coming back (``return``): an event
    (a value of the event column) and/or a filter. Empty: every row of the source."""

    event: str | None = None
    filter: str | None = None
    source: str | None = None  # return only: read returns from another source
    count_by: str | None = None  # return only: the entity column in that source


def _rows(value: Any) -> Any:
    """``start: sign_up`` is shorthand for ``start: {event: sign_up}``."""
    return {"event": value} if isinstance(value, str) else value


Rows = Annotated[RetentionRows, BeforeValidator(_rows)]


class RetentionMeasure(Strict):
    """A number per cell over the return rows of its retained entities: ``count`` (rows) or
    ``sum`` of a numeric column."""

    type: Literal["count", "sum"] = "count"
    column: str | None = None
    label: LocalText | None = None

    @model_validator(mode="after")
    def _column(self) -> RetentionMeasure:
        if self.type == "sum" and not self.column:
            raise ValueError("a sum measure needs 'column'")
        if self.type == "count" and self.column:
            raise ValueError("a count measure counts return rows; drop 'column' or use type: sum")
        return self


class Retention(Strict):
    """Cohorts by the first occurrence of ``start``; retention by calendar period since."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)  # return: or returns:

    source: str
    start: Rows = Field(default_factory=RetentionRows)
    returns: Rows = Field(default_factory=RetentionRows, alias="return")
    period: Literal["day", "week", "month"] = "week"
    periods: int = Field(default=8, ge=1, le=400)
    mode: Literal["bounded", "unbounded"] = "bounded"
    cohort_by: str | None = None
    measure: RetentionMeasure | None = None
    event_column: str = "event_name"
    count_by: str | None = None  # default: the source's entity
    label: LocalText | None = None
    description: LocalText | None = None

    @field_validator("start")
    @classmethod
    def _start_here(cls, v: RetentionRows) -> RetentionRows:
        if v.source or v.count_by:
            raise ValueError("the cohort entry is read from the retention's own source and count_by")
        return v
