"""Period labels as people write them in targets, scorecards, OKRs and ``--period``.

=============  =======  ==========================================
label          grain    days
=============  =======  ==========================================
``2026``       year     1 Jan 2026 – 31 Dec 2026
``2026-Q4``    quarter  1 Oct 2026 – 31 Dec 2026
``2026-11``    month    1 Nov 2026 – 30 Nov 2026
``2026-W47``   week     ISO week 47: Monday 16 Nov – Sunday 22 Nov 2026
``2026-11-27`` day      27 Nov 2026
=============  =======  ==========================================

``Period.end`` is the last day, inclusive (a person's reading: "the month ends on the 30th").
YAML reads ``2026-11-27`` as a date and ``2026`` as a number; both are accepted.

>>> p = parse_period("2026-W47"); (p.grain, p.start.isoformat(), p.end.isoformat())
('week', '2026-11-16', '2026-11-22')
>>> parse_period("2026-Q4").contains(parse_period("2026-11"))
True
>>> period_of(date(2026, 11, 27), "quarter").label
'2026-Q4'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["GOAL_GRAINS", "Period", "parse_period", "period_of"]

GOAL_GRAINS = ("day", "week", "month", "quarter", "year")
_RANK = {g: i for i, g in enumerate(GOAL_GRAINS)}

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: its first and last day (inclusive) and its grain."""

    start: date
    end: date
    grain: str

    @property
    def label(self) -> str:
        if self.grain == "year":
            return f"{self.start.year}"
        if self.grain == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.grain == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.grain == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.isoformat()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, other: Period | date) -> bool:
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= other <= self.end

    def overlap_days(self, other: Period) -> int:
        return max(0, (min(self.end, other.end) - max(self.start, other.start)).days + 1)

    def coarser_than(self, grain: str) -> bool:
        return _RANK[self.grain] > _RANK[grain]

    def previous(self) -> Period:
        return period_of(self.start - timedelta(days=1), self.grain)

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.grain)

    def __str__(self) -> str:
        return self.label


def parse_period(value: Any) -> Period:
    """A label (or a ``date``, or a year as a number) → :class:`Period`; ``ValueError`` if not one."""
    if isinstance(value, date):
        return Period(value, value, "day")
    text = str(value).strip()
    how = "write 2026, 2026-Q4, 2026-11, 2026-W47 or 2026-11-27"
    if (m := _MONTH.match(text)) and not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a period: there is no month {int(m.group(2))}; {how}")
    if m := _WEEK.match(text):
        weeks = date(int(m.group(1)), 12, 28).isocalendar()[1]
        if not 1 <= int(m.group(2)) <= weeks:
            raise ValueError(f"{text!r} is not a period: {m.group(1)} has ISO weeks 1 to {weeks}; {how}")
    try:
        if m := _YEAR.match(text):
            year = int(m.group(1))
            return Period(date(year, 1, 1), date(year, 12, 31), "year")
        if m := _QUARTER.match(text):
            year, q = int(m.group(1)), int(m.group(2))
            return period_of(date(year, 3 * q - 2, 1), "quarter")
        if m := _MONTH.match(text):
            return period_of(date(int(m.group(1)), int(m.group(2)), 1), "month")
        if m := _WEEK.match(text):
            year, week = int(m.group(1)), int(m.group(2))
            start = date.fromisocalendar(year, week, 1)
            return Period(start, start + timedelta(days=6), "week")
        if m := _DAY.match(text):
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return Period(day, day, "day")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a period: {exc}; {how}") from None
    raise ValueError(f"{text!r} is not a period: {how}")


def period_of(day: date, grain: str) -> Period:
    """The period of ``grain`` that holds ``day`` (weeks start on Monday, ISO)."""
    if grain == "day":
        return Period(day, day, "day")
    if grain == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6), "week")
    if grain == "month":
        start = day.replace(day=1)
    elif grain == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif grain == "year":
        start = date(day.year, 1, 1)
    else:
        raise ValueError(f"unknown grain {grain!r}: choose one of {', '.join(GOAL_GRAINS)}")
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    month0 = start.month - 1 + months
    after = date(start.year + month0 // 12, month0 % 12 + 1, 1)
    return Period(start, after - timedelta(days=1), grain)
