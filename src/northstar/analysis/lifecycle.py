"""Lifecycle: new, returning, resurrecting and dormant entities per day, week or month.

An entity is *active in a period* when it has at least one activity row (see
:mod:`northstar.analysis.activity`) in that calendar period of the project timezone (weeks start
on Monday). For every period ``P`` of the range, with ``P−1`` the calendar period before it:

- **new**: active in ``P``, and ``P`` holds its first activity ever — in all the data, not just
  the range (rows before the range are read);
- **returning**: active in ``P`` and in ``P−1``;
- **resurrecting**: active in ``P``, not in ``P−1``, but in some period before ``P−1``;
- **dormant**: active in ``P−1`` but not in ``P`` (a count here; PostHog draws it below zero).

So ``new + returning + resurrecting = active(P)`` and ``returning + dormant = active(P−1)``.
Both sums are checked against ``active`` and ``previous_active``, which are counted separately
(distinct entities per period, straight from the rows); ``mismatches()`` lists any period where
they differ. ``quick_ratio = (new + resurrecting) / dormant`` (growth accounting; empty when no
one went dormant).

A range starting inside a period starts at that period's first day, as queries do. A last period
cut short by the range end holds only its days up to the end (``partial`` is true, and a note
says so): activity after ``--to`` is never read, so some of its "dormant" may still come back in
the rest of the period. Periods wholly before the source's first row or after its last are
empty (null).

Computed in the engine: one row per entity and active period, with the entity's previous and
next active periods (``lag`` / ``lead``), then one count per period and status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from northstar.analysis.activity import (
    activity_range,
    activity_rows,
    activity_spec,
    check_grain,
    period_end,
    period_number,
    period_of,
    period_start,
)
from northstar.compile.request import parse_date, range_bounds
from northstar.errors import QueryError
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

STATUSES = ("new", "returning", "resurrecting", "dormant")
COLUMNS = ["period", *STATUSES, "active", "previous_active", "quick_ratio", "partial"]


@dataclass(frozen=True)
class LifecycleResult:
    """``frame``: period (first day), new, returning, resurrecting, dormant, active,
    previous_active, quick_ratio, partial — one row per period, oldest first."""

    name: str
    grain: str
    start: date
    end: date
    frame: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    notes_zh: tuple[str, ...] = field(default_factory=tuple)

    def notes_in(self, lang: str) -> tuple[str, ...]:
        return self.notes_zh if lang.startswith("zh") else self.notes

    def mismatches(self) -> pd.DataFrame:
        """Periods where new + returning + resurrecting ≠ active or returning + dormant ≠
        previous_active (empty when everything adds up)."""
        f = self.frame.dropna(subset=["active"])
        bad = (f["new"] + f["returning"] + f["resurrecting"] != f["active"]) | (
            f["returning"] + f["dormant"] != f["previous_active"]
        )
        return f[bad].reset_index(drop=True)


def _statuses(rows: Any, grain: str, first: int, last: int) -> Any:
    """One row per entity ``e``, period ``p`` in [first, last] and status ``s`` it has there."""
    active = rows.select(e=rows.e, p=period_number(rows.t, grain)).distinct()
    order = ibis.window(group_by=active.e, order_by=active.p)
    active = active.mutate(prev=active.p.lag().over(order), next=active.p.lead().over(order))
    status = ibis.cases(
        (active.prev.isnull(), "new"),
        (active.prev == active.p - 1, "returning"),
        else_="resurrecting",
    )
    current = active.filter(active.p.between(first, last)).select("e", p=active.p.cast("int64"), s=status)
    gone = active.filter(
        (active.next.isnull() | (active.next != active.p + 1)) & (active.p + 1).between(first, last)
    ).select("e", p=(active.p + 1).cast("int64"), s=ibis.literal("dormant"))
    return current.union(gone, distinct=False)


def lifecycle_expr(rows: Any, grain: str, first: int, last: int) -> Any:
    """Per period in [first, last] and status: ``n`` entities (``first``/``last``: period numbers)."""
    both = _statuses(rows, grain, first, last)
    return both.group_by(["p", "s"]).aggregate(n=both.count())


def active_expr(rows: Any, grain: str) -> Any:
    """Distinct active entities per period, counted straight from the rows (for the check)."""
    t = rows.mutate(p=period_number(rows.t, grain).cast("int64"))
    return t.group_by("p").aggregate(n=t.e.nunique())


def run_lifecycle(
    project: Project,
    engine: Engine,
    name: str,
    grain: str = "week",
    start: str | date | None = None,
    end: str | date | None = None,
) -> LifecycleResult:
    check_grain(grain)
    spec = activity_spec(project, name)
    first, last = activity_range(project, engine, spec, start, end, grain=grain)
    p0, p1 = period_of(first, grain), period_of(last, grain)
    first = period_start(p0, grain)
    cov = project.coverage(engine, spec.source)
    if cov is None:
        counts = pd.DataFrame({"p": [], "s": [], "n": []})
        active = pd.DataFrame({"p": [], "n": []})
    else:
        hi = range_bounds(first, last)[1]
        counts = engine.execute(
            lifecycle_expr(activity_rows(project, engine, name, spec, None, hi), grain, p0, p1)
        )
        since = range_bounds(period_start(p0 - 1, grain), last)[0]
        active = engine.execute(active_expr(activity_rows(project, engine, name, spec, since, hi), grain))
    frame = _frame(counts, active, grain, p0, p1, last, cov)
    notes, notes_zh = _notes(spec.source, cov, grain, p1, last, first)
    return LifecycleResult(name, grain, first, last, frame, tuple(notes), tuple(notes_zh))


def _frame(
    counts: pd.DataFrame,
    active: pd.DataFrame,
    grain: str,
    p0: int,
    p1: int,
    last: date,
    cov: tuple[datetime, datetime] | None,
) -> pd.DataFrame:
    by = {(int(p), str(s)): int(n) for p, s, n in zip(counts["p"], counts["s"], counts["n"], strict=True)}
    seen = {int(p): int(n) for p, n in zip(active["p"], active["n"], strict=True)}
    rows = []
    for p in range(p0, p1 + 1):
        begin, stop = period_start(p, grain), period_end(p, grain)
        row: dict[str, Any] = {"period": pd.Timestamp(begin), "partial": stop > last}
        empty = cov is None or stop < cov[0].date() or begin > cov[1].date()
        for s in STATUSES:
            row[s] = np.nan if empty else float(by.get((p, s), 0))
        row["active"] = np.nan if empty else float(seen.get(p, 0))
        row["previous_active"] = np.nan if empty else float(seen.get(p - 1, 0))
        gained = row["new"] + row["resurrecting"]
        row["quick_ratio"] = gained / row["dormant"] if row["dormant"] else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["period"] = frame["period"].astype("datetime64[us]")
    frame["partial"] = frame["partial"].astype(bool)
    whole = [*STATUSES, "active", "previous_active"]
    frame[whole] = frame[whole].astype("Int64")
    return frame


def _notes(
    source: str, cov: tuple[datetime, datetime] | None, grain: str, p1: int, last: date, first: date
) -> tuple[list[str], list[str]]:
    en: list[str] = []
    zh: list[str] = []
    unit_zh = {"day": "天", "week": "周", "month": "个月"}[grain]
    if cov is None:
        return [f"source {source!r} has no rows: every period is empty"], [
            f"数据源 {source!r} 没有数据：每个周期都为空"
        ]
    lo, hi = cov[0].date(), cov[1].date()
    if first < lo or last > hi:
        en.append(f"{source!r} has data from {lo} to {hi}; periods wholly outside are empty")
        zh.append(f"{source!r} 的数据范围是 {lo} 至 {hi}；完全在范围之外的周期为空")
    if period_end(p1, grain) > last:
        en.append(
            f"the last {grain} is cut short at {last}: its counts cover only its days up to then, "
            "so some dormant entities may still come back later in it"
        )
        zh.append(f"最后一{unit_zh}截止于 {last}：只统计到该日，部分沉睡对象可能在这一{unit_zh}的后几天回来")
    return en, zh


def run_lifecycle_entities(
    project: Project,
    engine: Engine,
    name: str,
    status: str,
    grain: str = "week",
    period: str | date | None = None,
    end: str | date | None = None,
) -> pd.DataFrame:
    """The entities with ``status`` in the period holding the day ``period`` (default: the last
    period up to ``end``), counted as :func:`run_lifecycle` counts them: one column, ``entity``,
    sorted. Activity after ``end`` (default: the source's last day) is not read. A period wholly
    outside the data (where :func:`run_lifecycle` shows empty) raises a QueryError."""
    check_grain(grain)
    if status not in STATUSES:
        raise QueryError(
            f"unknown status {status!r}: choose one of {', '.join(STATUSES)}"
            + did_you_mean(status, STATUSES),
            f"未知的状态 {status!r}：可选 {', '.join(STATUSES)}" + did_you_mean(status, STATUSES, "zh"),
        )
    spec = activity_spec(project, name)
    _, last = activity_range(project, engine, spec, None, end, grain=grain)
    day = parse_date(period, "--period") if period is not None else last
    if day > last:
        raise QueryError(f"--period {day} is after --to {last}", f"--period {day} 晚于 --to {last}")
    p = period_of(day, grain)
    cov = project.coverage(engine, spec.source)
    if cov is None or period_end(p, grain) < cov[0].date() or period_start(p, grain) > cov[1].date():
        span = f"{cov[0].date()} – {cov[1].date()}" if cov else "–"
        raise QueryError(
            f"the {grain} of {day} is outside the data of {spec.source!r} ({span}): no one to list",
            f"{day} 所在的周期在数据源 {spec.source!r} 的数据范围（{span}）之外：没有可列出的对象",
        )
    hi = range_bounds(day, min(period_end(p, grain), last))[1]
    rows = _statuses(activity_rows(project, engine, name, spec, None, hi), grain, p, p)
    picked = rows.filter(rows.s == status)
    frame = engine.execute(picked.select(entity=picked.e))
    return frame.sort_values("entity").reset_index(drop=True)
