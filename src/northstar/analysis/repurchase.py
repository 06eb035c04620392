"""The repurchase curve of a ``repeat_rate`` metric: the share who bought again within K days.

For the entities with a purchase (a row matching the metric's ``filter``) in [from, to], anchored
at their first one in the range (``t0``): for K = 1 … ``days`` (default: the metric's ``within``
in whole days), the share whose repeat (``repeat_filter``, at least ``min_gap`` after ``t0``,
another row than the first purchase; see :mod:`northstar.compile.repeat`) comes at most K days
after ``t0``. The repeat may fall after ``to``.

Only entities observable for K full days count for K: ``t0 + K days`` must be at or before the
source's last row (the same rule that makes a repeat_rate period provisional). So the curve never
mixes in people who have not had K days yet, and at K = ``within`` it equals the metric over the
same range whenever every entity is observable. Durations are on the project's local clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from northstar.compile.plan import metric_filter
from northstar.compile.repeat import anchored_repeats
from northstar.compile.request import parse_date, range_bounds
from northstar.engine.base import TS
from northstar.errors import QueryError
from northstar.spec.models import parse_duration_days
from northstar.spec.retention import parse_gap_seconds
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project


@dataclass(frozen=True)
class RepurchaseCurve:
    """``curve`` columns: [by], days (K), entities (observable for K days), repurchased, rate."""

    metric: str
    by: str | None
    start: date
    end: date
    days: int
    min_gap: str | None
    observed_until: datetime | None  # the source's last row (local time)
    curve: pd.DataFrame


def run_repurchase_curve(
    project: Project,
    engine: Engine,
    metric: str,
    start: str | date | None = None,
    end: str | date | None = None,
    *,
    days: int | None = None,
    by: str | None = None,
) -> RepurchaseCurve:
    m = project.catalog.metrics.get(metric)
    if m is None or m.kind != "repeat_rate":
        names = [n for n, r in project.catalog.metrics.items() if r.kind == "repeat_rate"]
        listed = ", ".join(names) or "none"
        raise QueryError(
            f"{metric!r} is not a repeat_rate metric (those are: {listed})" + did_you_mean(metric, names),
            f"{metric!r} 不是 repeat_rate 指标（现有：{listed}）" + did_you_mean(metric, names, "zh"),
        )
    spec = m.spec
    src = spec.source or ""
    within_days = parse_duration_days(spec.within or "30d")
    days = days if days is not None else max(1, math.ceil(within_days))
    if not 1 <= days <= 3660:
        raise QueryError("--days must be between 1 and 3660", "--days 必须在 1 到 3660 之间")
    cov = project.coverage(engine, src)
    # by default the range ends where everyone has had the whole curve: K = days is never empty
    default_end = (cov[1] - timedelta(days=days)).date() - timedelta(days=1) if cov else date.today()
    last_day = parse_date(end, "--to") if end is not None else default_end
    first_day = parse_date(start, "--from") if start is not None else last_day - timedelta(days=29)
    if last_day < first_day:
        raise QueryError(
            f"the range ends ({last_day}) before it starts ({first_day})",
            f"结束日期（{last_day}）早于开始日期（{first_day}）",
        )
    keys = [by] if by else []
    empty = pd.DataFrame(columns=[*keys, "days", "entities", "repurchased", "rate"])
    if cov is None:
        return RepurchaseCurve(metric, by, first_day, last_day, days, _gap(spec.min_gap), None, empty)
    hist = engine.execute(_histogram(project, engine, m, first_day, last_day, days, by, cov[1]))
    rows = []
    groups: list[tuple[Any, pd.DataFrame]] = list(hist.groupby("b", dropna=False)) if by else [(None, hist)]
    for value, g in groups:
        for k in range(1, days + 1):
            seen = g[g["hday"] >= k]
            n = int(seen["k"].sum())
            hit = int(seen.loc[seen["gday"] <= k, "k"].sum())
            row: dict[str, Any] = {by: value} if by else {}
            row.update(days=k, entities=n, repurchased=hit, rate=hit / n if n else float("nan"))
            rows.append(row)
    curve = pd.DataFrame(rows, columns=empty.columns) if rows else empty
    return RepurchaseCurve(metric, by, first_day, last_day, days, _gap(spec.min_gap), cov[1], curve)


def _gap(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _histogram(
    project: Project,
    engine: Engine,
    m: Any,
    first: date,
    last: date,
    days: int,
    by: str | None,
    until: datetime,
) -> Any:
    """Counts of entities by (breakdown, first day K their repeat is within, days observable)."""
    spec = m.spec
    src = spec.source or ""
    table = project.table(engine, src)
    entity = spec.column or project.spec.sources[src].entity
    if not entity or entity not in table.columns:
        raise QueryError(f"metric {m.name!r}: repeat_rate needs the source's entity column")
    by_col = None
    if by:
        dims = project.spec.dimensions
        col = dims[by].column_in(by, src) if by in dims else by
        if col not in table.columns:
            options = [*dims, *(c for c in table.columns if c != TS)]
            raise QueryError(
                f"cannot break down by {by!r}: source {src!r} has no such dimension or column"
                + did_you_mean(by, options),
                f"无法按 {by!r} 细分：数据源 {src!r} 没有这个维度或列" + did_you_mean(by, options, "zh"),
            )
        by_col = col
    lo, hi = range_bounds(first, last)
    horizon = days * 86400.0
    rows = table.filter((table[TS] >= lo) & (table[TS] < hi + timedelta(seconds=horizon + 1)))
    keys = {"b": rows[by_col]} if by_col else {}
    first_cond = metric_filter(rows, spec.filter, f"metric {m.name!r} filter")
    repeat = metric_filter(rows, spec.repeat_filter or spec.filter, f"metric {m.name!r} repeat_filter")
    gap = parse_gap_seconds(spec.min_gap) if spec.min_gap is not None else 0.0
    a = anchored_repeats(rows, entity, first_cond, repeat, keys, hi, gap, horizon)
    until_s = (pd.Timestamp(until) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    seen = (ibis.literal(int(until_s)) - a.__ts.epoch_seconds()) // 86400
    gday = ibis.ifelse(a.__g.isnull(), days + 1, (a.__g.cast("float64") / 86400).ceil().cast("int64"))
    a = a.mutate(gday=gday, hday=ibis.ifelse(seen > days, days, seen))
    group = [*(["__k_b"] if by else []), "gday", "hday"]
    out = a.group_by(group).aggregate(k=a.count())
    return out.rename(b="__k_b") if by else out
