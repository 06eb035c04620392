"""Periods as a person reads them, and the periods the date range cuts short.

A week, month, quarter or year that the range's end (or start) cuts through holds only part of its
days. Drawn as if complete, a partial last week looks like a collapse. The trend sheets therefore
label such a period (``2026-W48 (to 26 Nov)``) and say why in a note.

>>> import pandas as pd; from datetime import date
>>> label(pd.Timestamp("2026-11-23"), "week")
'2026-W48'
>>> cut = partial(pd.Timestamp("2026-11-23"), "week", date(2026, 9, 7), date(2026, 11, 26))
>>> cut
Cut(first=None, last=datetime.date(2026, 11, 26))
>>> full_label(pd.Timestamp("2026-11-23"), "week", cut, "en")
'2026-W48 (to 26 Nov)'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from northstar.export.wording import grain_word, text

_STEP = {
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}  # hours and days are never cut short: the range is whole days


@dataclass(frozen=True)
class Cut:
    """Where the range cuts a period: the first day counted (when after the period's start) and
    the last day counted (when before the period's end)."""

    first: date | None = None
    last: date | None = None


def label(period: Any, grain: str) -> str:
    """``2026-W48``, ``2026-11``, ``2026-Q4``, ``2026``, ``2026-11-23`` or ``2026-11-23 13:00``."""
    t = pd.Timestamp(period)
    if grain == "hour":
        return t.strftime("%Y-%m-%d %H:00")
    if grain == "week":
        year, week, _ = t.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return t.strftime("%Y-%m")
    if grain == "quarter":
        return f"{t.year}-Q{(t.month - 1) // 3 + 1}"
    if grain == "year":
        return str(t.year)
    return t.strftime("%Y-%m-%d")


def partial(period: Any, grain: str, start: date, end: date) -> Cut | None:
    """How ``[start, end]`` cuts the period starting at ``period``; None when it is whole."""
    step = _STEP.get(grain)
    if step is None or period is None or pd.isna(period):
        return None
    begin = pd.Timestamp(period).normalize()
    stop = begin + step  # the day after the period's last day
    first = start if begin < pd.Timestamp(start) else None
    last = end if stop > pd.Timestamp(end) + pd.Timedelta(days=1) else None
    return Cut(first, last) if first or last else None


def _day(value: date, lang: str) -> str:
    return f"{value.month}月{value.day}日" if lang == "zh" else f"{value.day} {value:%b}"


def full_label(period: Any, grain: str, cut: Cut | None, lang: str) -> str:
    """The label, followed by which days it holds when the range cuts it: ``2026-W48 (to 26 Nov)``."""
    shown = label(period, grain)
    if cut is None:
        return shown
    if cut.first and cut.last:
        return shown + text(lang, "period.between", first=_day(cut.first, lang), last=_day(cut.last, lang))
    if cut.last:
        return shown + text(lang, "period.to", last=_day(cut.last, lang))
    assert cut.first is not None
    return shown + text(lang, "period.from", first=_day(cut.first, lang))


def partial_note(period: Any, grain: str, cut: Cut, lang: str) -> str:
    """One sentence saying that a period is partial and why its values are not a real fall."""
    return text(
        lang,
        "note.partial",
        period=label(period, grain),
        grain=grain_word(grain, lang),
        first=(cut.first or pd.Timestamp(period).date()).isoformat(),
        last=(cut.last or (pd.Timestamp(period) + _STEP[grain] - pd.Timedelta(days=1)).date()).isoformat(),
    )
