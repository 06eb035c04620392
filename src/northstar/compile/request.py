"""A metric query as data: which metrics, sliced how, over which dates, compared with what.

Grains and the comparison periods they imply::

    grain    bucket start            previous period   same period last year
    hour     hour                    1 hour            364 days (same weekday)
    day      midnight                1 day             364 days (same weekday)
    week     Monday (ISO week)       1 week            52 weeks (same ISO weekday)
    month    1st of the month        1 month           12 months
    quarter  1st of the quarter      3 months          12 months
    year     1 January               1 year            1 year
    (none)   the whole range         the same number of days just before   364 days if the
                                                                            range is whole weeks,
                                                                            else 1 calendar year
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd
from dateutil.relativedelta import relativedelta

from northstar.errors import QueryError
from northstar.results import Comparison

Grain = Literal["hour", "day", "week", "month", "quarter", "year"]
GRAINS: tuple[str, ...] = ("hour", "day", "week", "month", "quarter", "year")
IBIS_UNIT = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class QueryRequest:
    metrics: tuple[str, ...]
    start: date
    end: date  # inclusive
    by: tuple[str, ...] = ()
    grain: str | None = None
    where: str | None = None
    compare: tuple[Comparison, ...] = ()
    complete: bool = True  # fill periods without rows (counts 0, averages null)
    notes: list[str] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        if self.grain is not None and self.grain not in GRAINS:
            raise QueryError(
                f"unknown grain {self.grain!r}: choose one of {', '.join(GRAINS)}",
                f"未知的时间粒度 {self.grain!r}：可选 {', '.join(GRAINS)}",
            )
        if self.end < self.start:
            raise QueryError(
                f"the range ends ({self.end}) before it starts ({self.start})",
                f"结束日期（{self.end}）早于开始日期（{self.start}）",
            )
        if not self.metrics:
            raise QueryError("name at least one metric")
        for comp in self.compare:
            if comp not in ("prev", "yoy"):
                raise QueryError(
                    f"unknown comparison {comp!r}: use 'prev' (previous period) or 'yoy' (last year)"
                )


def parse_date(text: str | date, what: str = "date") -> date:
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise QueryError(
            f"{what} {text!r} is not a date: write YYYY-MM-DD, e.g. 2026-09-01",
            f"{what} {text!r} 不是日期：请写成 YYYY-MM-DD，例如 2026-09-01",
        ) from None


PERIOD_LENGTH = {  # a period's start plus its length is the next period's start
    "hour": relativedelta(hours=1),
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}


def shift(grain: str | None, comparison: Comparison, start: date, end: date) -> relativedelta:
    """How far back the comparison period lies (as a relativedelta)."""
    if comparison == "prev":
        if grain is None:
            return relativedelta(days=(end - start).days + 1)
        return PERIOD_LENGTH[grain]
    if grain in ("hour", "day", "week"):
        return relativedelta(days=364)
    if grain is None:
        days = (end - start).days + 1
        return relativedelta(days=364) if days % 7 == 0 else relativedelta(years=1)
    return relativedelta(years=1)


def bucket_starts(grain: str, start: date, end: date) -> pd.DatetimeIndex:
    """All bucket starts whose bucket overlaps [start, end]."""
    first = truncate(pd.Timestamp(start), grain)
    last = pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    freq = {"hour": "h", "day": "D", "week": "7D", "month": "MS", "quarter": "QS", "year": "YS"}[grain]
    return pd.date_range(first, truncate(last, grain), freq=freq)


def truncate(ts: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "hour":
        return ts.floor("h")
    day = ts.normalize()
    if grain == "day":
        return day
    if grain == "week":
        return day - pd.Timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    return day.replace(day=1, month=1)


def range_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in project-local wall-clock time."""
    return datetime.combine(start, datetime.min.time()), datetime.combine(
        end + timedelta(days=1), datetime.min.time()
    )
