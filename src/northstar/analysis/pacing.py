"""Pacing of a cumulative KPI (a count or a sum) against a target for a period: is the month on
track? Pure pandas on a daily series the engine already aggregated.

``pace(daily, period_start, period_end, as_of, target)`` → :class:`Pacing`. Exact semantics (dates
are days in the project timezone, every bound inclusive):

* **Days**: the period's days D = [period_start, period_end]; elapsed E = [period_start,
  min(as_of, period_end)] (as_of is the last day whose data are complete); remaining R = the days
  of D after as_of.
* **So far** = the sum of ``daily`` over E (a missing day counts 0).
* **Weekday profile**: the weight of a weekday is the mean of ``daily`` on that weekday over the
  ``PROFILE_WEEKS`` = 8 weeks before period_start (days missing there do not count), when at least
  ``MIN_PROFILE_DAYS`` = 28 of those days have values, none is negative and their sum is > 0; a
  weekday never seen gets the mean of all of them. Otherwise every day weighs 1 (**even** pacing:
  too little history to know the week's shape).
* **Expected share** by as_of = Σ weights over E / Σ weights over D; **expected so far** =
  target × expected share: where the KPI should be today to end on target if the rest of the period
  follows the usual week.
* **Projected** end-of-period value = so far / expected share (the pace so far, carried over the
  rest of the period's usual weekdays); undefined (NaN) while the expected share is 0.
* **Share of target** = so far / target; **projected share** = projected / target.
* **On track** = projected ≥ target (≤ for ``direction="lower"``, e.g. a cost cap); None while
  nothing is expected yet.
* **Needed per day** = (target − so far) / |R|: the average daily value the rest of the period
  needs to end exactly on target (negative: already past it; NaN when no day remains).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd

from northstar.errors import QueryError

__all__ = ["Pacing", "pace"]

PROFILE_WEEKS = 8
MIN_PROFILE_DAYS = 28


@dataclass(frozen=True)
class Pacing:
    """Where a cumulative KPI stands in its period against a target."""

    period_start: str
    period_end: str
    as_of: str
    target: float
    days: int  # in the period
    days_elapsed: int
    days_remaining: int
    so_far: float
    expected_share: float
    expected_so_far: float
    projected: float
    share_of_target: float
    projected_share: float
    on_track: bool | None
    needed_per_day: float
    profile: str  # "weekday" or "even"
    weekday_weights: tuple[float, ...]  # Monday … Sunday, as used (1.0 each when even)
    summary: str
    summary_zh: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _day(value: Any) -> date:
    return pd.Timestamp(value).date()


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"


def weekday_weights(daily: pd.Series, period_start: date) -> tuple[tuple[float, ...], str]:
    """The weight of each weekday (Monday first) from the 8 weeks before ``period_start``."""
    start = pd.Timestamp(period_start) - pd.Timedelta(weeks=PROFILE_WEEKS)
    history = daily[(daily.index >= start) & (daily.index < pd.Timestamp(period_start))]
    if len(history) < MIN_PROFILE_DAYS or (history < 0).any() or history.sum() <= 0:
        return (1.0,) * 7, "even"
    means = history.groupby(pd.DatetimeIndex(history.index).day_of_week).mean()
    overall = float(means.mean())
    return tuple(float(means.get(d, overall)) for d in range(7)), "weekday"


def pace(
    daily: pd.Series,
    period_start: date | str,
    period_end: date | str,
    as_of: date | str,
    target: float,
    *,
    direction: Literal["higher", "lower"] = "higher",
) -> Pacing:
    """How ``daily`` (one value per day, the period's days and the weeks before) paces toward
    ``target`` over [period_start, period_end] as of ``as_of`` (see the module docstring)."""
    start, end, today = _day(period_start), _day(period_end), _day(as_of)
    if end < start:
        raise QueryError(
            f"the period ends ({end}) before it starts ({start})",
            f"周期的结束日（{end}）早于开始日（{start}）",
        )
    if not math.isfinite(target):
        raise QueryError(
            f"the target must be a finite number, not {target}", f"目标须为有限数值，而不是 {target}"
        )
    s = pd.Series(daily, dtype="float64").dropna()
    idx = pd.DatetimeIndex(s.index)
    s.index = (idx.tz_localize(None) if idx.tz is not None else idx).normalize()
    s = s.groupby(level=0).sum()
    weights, profile = weekday_weights(s, start)
    days = pd.date_range(start, end, freq="D")
    elapsed = days[days <= pd.Timestamp(today)]
    remaining = len(days) - len(elapsed)
    so_far = float(s.reindex(elapsed, fill_value=0.0).sum())
    w_all = sum(weights[d.day_of_week] for d in days)
    w_elapsed = sum(weights[d.day_of_week] for d in elapsed)
    share = w_elapsed / w_all if w_all > 0 else len(elapsed) / len(days)
    projected = so_far / share if share > 0 else math.nan
    on_track: bool | None = None
    if share > 0:
        on_track = projected >= target if direction == "higher" else projected <= target
    ratio = (lambda v: v / target) if target != 0 else (lambda v: math.nan)
    needed = (target - so_far) / remaining if remaining else math.nan
    verdict_en = {True: "on track", False: "off track", None: "not started"}[on_track]
    verdict_zh = {
        True: "按计划",
        False: "落后于计划" if direction == "higher" else "超出计划",
        None: "尚未开始",
    }[on_track]
    summary = (
        f"{_num(so_far)} so far of {_num(target)} ({ratio(so_far) * 100:.0f} %) after {len(elapsed)} of {len(days)} "
        f"days; expected {_num(target * share)} by now ({profile} pacing); projected {_num(projected)}: {verdict_en}"
    )
    summary_zh = (
        f"{len(days)} 天中已过 {len(elapsed)} 天，累计 {_num(so_far)}，目标 {_num(target)}（{ratio(so_far) * 100:.0f} %）；"
        f"此时应达 {_num(target * share)}（{'按星期分布' if profile == 'weekday' else '平均分布'}）；"
        f"预计期末 {_num(projected)}：{verdict_zh}"
    )
    return Pacing(
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        as_of=today.isoformat(),
        target=float(target),
        days=len(days),
        days_elapsed=len(elapsed),
        days_remaining=remaining,
        so_far=so_far,
        expected_share=share,
        expected_so_far=target * share,
        projected=projected,
        share_of_target=ratio(so_far),
        projected_share=ratio(projected),
        on_track=on_track,
        needed_per_day=needed,
        profile=profile,
        weekday_weights=weights,
        summary=summary,
        summary_zh=summary_zh,
    )
