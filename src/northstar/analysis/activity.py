"""Active users: DAU, WAU, MAU, stickiness ratios and the stickiness distribution.

What counts (the ``activity:`` section, or a bare source name): an entity (the source's entity,
or ``count_by``) is *active on a day* when it has at least one row of the source on that calendar
day in the project timezone, matching the activity's events and filter. Rows whose entity is
missing (null) are ignored. A day is a calendar day of local wall-clock time: on a DST change it
has 23 or 25 hours.

For every day ``d`` of the range:

- **DAU** (d) = entities active on ``d``;
- **WAU** (d) = distinct entities active on at least one of the 7 days ``d-6 … d``;
- **MAU** (d) = distinct entities active on at least one of the 30 days ``d-29 … d``
  (``month_days=28``: ``d-27 … d``, four whole weeks, so every MAU window holds each weekday
  exactly four times);
- **DAU/WAU** and **DAU/MAU** (stickiness) = DAU(d) / WAU(d) and DAU(d) / MAU(d); empty when the
  denominator is 0.

The windows of the first days reach back before the range; those earlier days are read, so WAU
on the range's first day is a full 7-day count. Days before the source's first row or after its
last are empty (null), not 0; when a window reaches back before the first row, a note says so.
The summary averages DAU, WAU and MAU over the days with data, and averages the *daily* ratios
(the mean of DAU/MAU over the days, not mean DAU over mean MAU).

**Stickiness distribution** (PostHog's "stickiness"): per calendar week (Monday first) or month,
for ``k = 1 … days in the period``, how many entities were active on exactly ``k`` days of that
period (``entities``), their share of the period's active entities, and how many were active on
``k`` days or more (``at_least``). The first period starts at its calendar start (data before
the range is read); a last period cut short by the range end counts only its days up to the end
(its ``days`` column says how many).

**Breakdown** (``by``, a dimension or column): each value is counted on its own, as if only the
rows with that value were activity; an entity active with two values counts in both, so the
values' DAUs may add up to more than the total. Values are those found in the rows read.

How it is computed, in the engine, without one row per entity and day of the window: one row per
entity and active day ``a`` with the entity's previous active day ``p`` (``lag``). Day ``a``
adds the entity to the window counts on days ``max(a, p + W) … a + W − 1`` — the days its window
covers that the previous active day did not already cover — so these spans never overlap and
their union is exactly the days on which the entity is counted. Counting spans that contain ``d``
is a running sum of +1 at each span's start and −1 after its end, one small row per day. Expanding
every active day to the W days it covers is the other way; ``benchmarks/active_users.py`` compares
the two: on 10M events (DuckDB, windows 1, 7, 30 over 120 days) 2.2 s against 11.1 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from northstar.compile.plan import metric_filter
from northstar.compile.request import PERIOD_LENGTH, parse_date, range_bounds
from northstar.engine.base import TS
from northstar.errors import QueryError
from northstar.spec.lifecycle import Activity
from northstar.spec.models import parse_duration_days
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

EPOCH = date(1970, 1, 1)
PERIOD_GRAINS = ("day", "week", "month")
MONTH_DAYS = (28, 29, 30, 31)


@dataclass(frozen=True)
class ActiveUsersResult:
    """DAU/WAU/MAU per day, their averages, and the stickiness distribution.

    ``daily``: [by], day, dau, wau, mau, dau_wau, dau_mau (null outside the data).
    ``summary``: one row [per by value]: days, avg_dau, avg_wau, avg_mau, dau_wau, dau_mau (means
    of the daily values).
    ``stickiness``: [by], period, days, days_active, entities, share, at_least, at_least_share.
    """

    name: str
    start: date
    end: date
    month_days: int
    per: str
    daily: pd.DataFrame
    summary: pd.DataFrame
    stickiness: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    notes_zh: tuple[str, ...] = field(default_factory=tuple)
    by: str | None = None

    def notes_in(self, lang: str) -> tuple[str, ...]:
        return self.notes_zh if lang.startswith("zh") else self.notes


# -- what counts as activity -------------------------------------------------------------------
def activity_spec(project: Project, name: str) -> Activity:
    """The activity called ``name``, or every row of the source ``name``; else a QueryError."""
    if name in project.spec.activity:
        return project.spec.activity[name]
    if name in project.spec.sources:
        return Activity(source=name)
    known = [*project.spec.activity, *project.spec.sources]
    raise QueryError(
        f"unknown activity {name!r}: name one under activity: or a source" + did_you_mean(name, known),
        f"未知的活跃定义 {name!r}：请写 activity: 下的名称或数据源名" + did_you_mean(name, known, "zh"),
    )


def activity_rows(
    project: Project,
    engine: Engine,
    name: str,
    spec: Activity,
    lo: datetime | None,
    hi: datetime,
    by: str | None = None,
    where: Any = None,
) -> Any:
    """The activity's rows with local time in [lo, hi): columns ``e`` (entity) and ``t`` (time),
    and ``b``, the value of ``by`` (a dimension or a column), when given. ``where(table, source,
    dimensions)`` adds a query's dimension filter."""
    table = project.table(engine, spec.source)
    columns = [c for c in table.columns if c != TS]
    entity = spec.count_by or project.spec.sources[spec.source].entity
    if not entity:
        raise QueryError(
            f"activity {name!r}: source {spec.source!r} has no entity; set count_by",
            f"活跃定义 {name!r}：数据源 {spec.source!r} 没有 entity；请设置 count_by",
        )
    for col in [entity, *([spec.event_column] if spec.event else [])]:
        if col not in columns:
            raise QueryError(
                f"activity {name!r}: {col!r} is not a column of source {spec.source!r}"
                + did_you_mean(col, columns),
                f"活跃定义 {name!r}：数据源 {spec.source!r} 中没有列 {col!r}"
                + did_you_mean(col, columns, "zh"),
            )
    cond = table[entity].notnull() & (table[TS] < hi)
    if lo is not None:
        cond = cond & (table[TS] >= lo)
    if spec.event:
        cond = cond & table[spec.event_column].isin(spec.event)
    flt = metric_filter(table, spec.filter, f"activity {name!r} filter")
    if flt is not None:
        cond = cond & flt
    if where is not None:
        extra = where(table, spec.source, project.spec.dimensions)
        if extra is not None:
            cond = cond & extra
    rows = table.filter(cond)
    cols = {"e": rows[entity], "t": rows[TS]}
    if by is not None:
        dim = project.spec.dimensions.get(by)
        column = dim.column_in(by, spec.source) if dim is not None else by
        if column not in columns:
            known = [*project.spec.dimensions, *columns]
            raise QueryError(
                f"activity {name!r}: cannot break down by {by!r}: source {spec.source!r} has no such column"
                + did_you_mean(by, known),
                f"活跃定义 {name!r}：无法按 {by!r} 拆分：数据源 {spec.source!r} 中没有这一列"
                + did_you_mean(by, known, "zh"),
            )
        cols["b"] = rows[column]
    return rows.select(**cols)


def activity_range(
    project: Project,
    engine: Engine,
    spec: Activity,
    start: str | date | None,
    end: str | date | None,
    grain: str = "day",
) -> tuple[date, date]:
    """The dates asked for. A missing end is the source's last day with data; a missing start goes
    back 30 days (grain day) or 12 periods (week, month), but not before the source's first day."""
    from northstar.project import default_start

    cov = project.coverage(engine, spec.source)
    last = parse_date(end, "--to") if end is not None else (cov[1].date() if cov else date.today())
    if start is not None:
        first = parse_date(start, "--from")
    else:
        first = default_start(last, grain)
        if cov is not None:
            first = max(first, min(cov[0].date(), last))
    if first > last:
        raise QueryError(f"--from {first} is after --to {last}", f"--from {first} 晚于 --to {last}")
    return first, last


# -- periods as integers -----------------------------------------------------------------------
def period_number(ts: Any, grain: str) -> Any:
    """An Ibis integer numbering ``grain`` periods so that the previous period is ``n − 1``:
    days since 1970-01-01, weeks (Monday first) since the week of 1970-01-05, or months."""
    if grain == "day":
        return ts.date().epoch_days()
    if grain == "week":  # Mondays are epoch day 4 + 7k, so this division is exact
        return (ts.truncate("W").date().epoch_days() - 4) // 7
    return ts.year() * 12 + ts.month() - 1


def period_of(day: date, grain: str) -> int:
    """:func:`period_number` of a Python date."""
    if grain == "day":
        return (day - EPOCH).days
    if grain == "week":
        return ((day - EPOCH).days - 4) // 7
    return day.year * 12 + day.month - 1


def period_start(n: int, grain: str) -> date:
    """The first day of period ``n``."""
    if grain == "day":
        return EPOCH + timedelta(days=n)
    if grain == "week":
        return EPOCH + timedelta(days=n * 7 + 4)
    return date(n // 12, n % 12 + 1, 1)


def period_end(n: int, grain: str) -> date:
    """The last day of period ``n``."""
    return period_start(n + 1, grain) - timedelta(days=1)


def check_grain(grain: str, allowed: Sequence[str] = PERIOD_GRAINS) -> None:
    if grain not in allowed:
        raise QueryError(
            f"unknown grain {grain!r}: choose one of {', '.join(allowed)}" + did_you_mean(grain, allowed),
            f"未知的时间粒度 {grain!r}：可选 {', '.join(allowed)}" + did_you_mean(grain, allowed, "zh"),
        )


# -- DAU / WAU / MAU ---------------------------------------------------------------------------
def rolling_expr(rows: Any, windows: Sequence[int]) -> Any:
    """Per window length ``w`` and day number ``day``: ``n`` = entities with an active day in
    ``day − w + 1 … day``, given on the days where it changes (carry it forward to the others)."""
    keys = ["b"] if "b" in rows.columns else []  # with a breakdown, each value on its own
    days = rows.select(*keys, e=rows.e, a=period_number(rows.t, "day")).distinct()
    order = ibis.window(group_by=[days.e, *(days[k] for k in keys)], order_by=days.a)
    days = days.mutate(p=days.a.lag().over(order))
    parts = []
    for w in windows:
        size = ibis.literal(w, type="int64")
        begin = ibis.ifelse(days.p.isnull(), days.a, ibis.greatest(days.a, days.p + size))
        one = ibis.literal(1, type="int64")
        parts.append(days.select(*keys, w=size, day=begin.cast("int64"), delta=one))
        parts.append(days.select(*keys, w=size, day=(days.a + size).cast("int64"), delta=-one))
    spans = ibis.union(*parts, distinct=False)
    per_day = spans.group_by(["w", *keys, "day"]).aggregate(delta=spans.delta.sum())
    running = ibis.cumulative_window(group_by=[per_day.w, *(per_day[k] for k in keys)], order_by=per_day.day)
    return per_day.select("w", *keys, "day", n=per_day.delta.sum().over(running))


def carry_forward(frame: pd.DataFrame, w: int, first: int, last: int) -> np.ndarray:
    """The running counts of window ``w`` on days ``first … last`` (carried forward, 0 before any)."""
    part = frame[frame["w"] == w].sort_values("day")
    idx = np.arange(first, last + 1)
    if part.empty:
        return np.zeros(len(idx), dtype="int64")
    pos = np.searchsorted(part["day"].to_numpy(), idx, side="right") - 1
    values = part["n"].to_numpy(dtype="int64")
    return np.where(pos >= 0, values[np.clip(pos, 0, None)], 0)


def stickiness_expr(rows: Any, per: str) -> Any:
    """Per period and k: entities active on exactly k days of the period."""
    keys = ["b"] if "b" in rows.columns else []
    days = rows.select(
        *keys, e=rows.e, a=period_number(rows.t, "day"), p=period_number(rows.t, per)
    ).distinct()
    per_entity = days.group_by(["p", *keys, "e"]).aggregate(k=days.a.count())
    return per_entity.group_by(["p", *keys, "k"]).aggregate(entities=per_entity.e.count())


def run_active_users(
    project: Project,
    engine: Engine,
    name: str,
    start: str | date | None = None,
    end: str | date | None = None,
    month_days: int = 30,
    per: str = "week",
    by: str | None = None,
) -> ActiveUsersResult:
    spec = activity_spec(project, name)
    if month_days not in MONTH_DAYS:
        raise QueryError(
            f"month_days must be one of {', '.join(map(str, MONTH_DAYS))} (MAU = the last N days)",
            f"month_days 必须是 {', '.join(map(str, MONTH_DAYS))} 之一（MAU = 最近 N 天）",
        )
    check_grain(per, ("week", "month"))
    first, last = activity_range(project, engine, spec, start, end)
    windows = (1, 7, month_days)
    cov = project.coverage(engine, spec.source)
    lo, hi = range_bounds(first - timedelta(days=month_days - 1), last)
    d0, d1 = period_of(first, "day"), period_of(last, "day")
    p0, p1 = period_of(first, per), period_of(last, per)
    keys = ["b"] if by else []
    if cov is None:
        rolled = pd.DataFrame({"w": [], **{k: [] for k in keys}, "day": [], "n": []})
        sticky = pd.DataFrame({"p": [], **{k: [] for k in keys}, "k": [], "entities": []})
    else:
        rows = activity_rows(project, engine, name, spec, lo, hi, by)
        rolled = engine.execute(rolling_expr(rows, windows))
        since = range_bounds(period_start(p0, per), last)[0]
        sticky = engine.execute(
            stickiness_expr(activity_rows(project, engine, name, spec, since, hi, by), per)
        )
    values = _values(rolled, sticky) if by else [None]
    parts: list[tuple[pd.DataFrame, ...]] = []
    for value in values or [None]:  # no value at all: empty tables with the right columns
        d, summary = _daily(_only(rolled, by, value), windows, d0, d1, cov)
        frames = (d, summary, _distribution(_only(sticky, by, value), per, p0, p1, last))
        if by:
            for frame in frames:
                frame.insert(0, by, value)
        parts.append(tuple(f if values else f.iloc[:0] for f in frames))
    daily, summaries, distribution = (pd.concat(list(f), ignore_index=True) for f in zip(*parts, strict=True))
    notes, notes_zh = _notes(spec.source, cov, first, last, month_days, per, p1)
    return ActiveUsersResult(
        name,
        first,
        last,
        month_days,
        per,
        daily,
        summaries,
        distribution,
        tuple(notes),
        tuple(notes_zh),
        by,
    )


def _values(*frames: pd.DataFrame) -> list[Any]:
    """The breakdown values found, sorted, with a missing value (null) last."""
    found = {None if pd.isna(v) else v for f in frames for v in f["b"].tolist()}
    return sorted(v for v in found if v is not None) + ([None] if None in found else [])


def _only(frame: pd.DataFrame, by: str | None, value: Any) -> pd.DataFrame:
    if not by:
        return frame
    return frame[frame["b"].isna()] if value is None else frame[frame["b"] == value]


def _daily(
    rolled: pd.DataFrame, windows: Sequence[int], d0: int, d1: int, cov: tuple[datetime, datetime] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The daily table of one breakdown value, and its one-row summary."""
    daily = pd.DataFrame({"day": [period_start(d, "day") for d in range(d0, d1 + 1)]})
    for col, w in zip(("dau", "wau", "mau"), windows, strict=True):
        daily[col] = carry_forward(rolled, w, d0, d1).astype("float64")
    outside = _outside(daily["day"], cov)
    daily.loc[outside, ["dau", "wau", "mau"]] = np.nan
    daily["dau_wau"] = (daily["dau"] / daily["wau"]).where(daily["wau"] > 0)
    daily["dau_mau"] = (daily["dau"] / daily["mau"]).where(daily["mau"] > 0)
    daily[["dau", "wau", "mau"]] = daily[["dau", "wau", "mau"]].astype("Int64")
    daily["day"] = pd.to_datetime(daily["day"]).astype("datetime64[us]")
    seen = daily[~outside]
    summary = pd.DataFrame(
        {
            "days": [len(seen)],
            "avg_dau": [seen["dau"].astype("float64").mean()],
            "avg_wau": [seen["wau"].astype("float64").mean()],
            "avg_mau": [seen["mau"].astype("float64").mean()],
            "dau_wau": [seen["dau_wau"].mean()],
            "dau_mau": [seen["dau_mau"].mean()],
        }
    )
    return daily, summary


def _outside(days: pd.Series, cov: tuple[datetime, datetime] | None) -> np.ndarray:
    """True for the days before the source's first row or after its last."""
    if cov is None:
        return np.ones(len(days), dtype=bool)
    return np.array([d < cov[0].date() or d > cov[1].date() for d in days], dtype=bool)


def _distribution(frame: pd.DataFrame, per: str, p0: int, p1: int, last: date) -> pd.DataFrame:
    counts = {
        (int(p), int(k)): int(n) for p, k, n in zip(frame["p"], frame["k"], frame["entities"], strict=True)
    }
    rows = []
    for p in range(p0, p1 + 1):
        begin, stop = period_start(p, per), min(period_end(p, per), last)
        n_days = (stop - begin).days + 1
        per_k = [counts.get((p, k), 0) for k in range(1, n_days + 1)]
        total = sum(per_k)
        tail = np.cumsum(per_k[::-1])[::-1]
        for k in range(1, n_days + 1):
            rows.append(
                {
                    "period": pd.Timestamp(begin),
                    "days": n_days,
                    "days_active": k,
                    "entities": per_k[k - 1],
                    "share": per_k[k - 1] / total if total else np.nan,
                    "at_least": int(tail[k - 1]),
                    "at_least_share": tail[k - 1] / total if total else np.nan,
                }
            )
    out = pd.DataFrame(
        rows, columns=["period", "days", "days_active", "entities", "share", "at_least", "at_least_share"]
    )
    out["period"] = out["period"].astype("datetime64[us]")
    return out


def _notes(
    source: str,
    cov: tuple[datetime, datetime] | None,
    first: date,
    last: date,
    month_days: int,
    per: str,
    p1: int,
) -> tuple[list[str], list[str]]:
    en: list[str] = []
    zh: list[str] = []
    if cov is None:
        en.append(f"source {source!r} has no rows: every day is empty")
        zh.append(f"数据源 {source!r} 没有数据：每一天都为空")
        return en, zh
    lo, hi = cov[0].date(), cov[1].date()
    if first < lo or last > hi:
        en.append(f"{source!r} has data from {lo} to {hi}; days outside are empty")
        zh.append(f"{source!r} 的数据范围是 {lo} 至 {hi}；范围之外的日期为空")
    reach = first - timedelta(days=month_days - 1)
    if reach < lo <= last:
        en.append(f"WAU and MAU windows that start before {lo} (the first data) count only the days since")
        zh.append(f"起点早于 {lo}（最早数据）的 WAU、MAU 窗口只统计该日之后的天数")
    if period_end(p1, per) > last:
        en.append(f"the last {per} is cut short at {last}: its stickiness counts only its days up to then")
        zh.append(f"最后一{'周' if per == 'week' else '个月'}截止于 {last}：其粘性分布只统计到该日")
    return en, zh


# -- DAU / WAU / MAU as a metric ---------------------------------------------------------------
METRIC_GRAINS = ("day", "week", "month", "quarter", "year")


def active_users_step(
    project: Project,
    engine: Engine,
    name: str,
    spec: Any,
    grain: str | None,
    by: Sequence[str],
    start: date,
    end: date,
    where: Any = None,
) -> tuple[Any, Any]:
    """An ``active_users`` metric (``within`` days, default 1d: DAU; 7d: WAU; 28d or 30d: MAU) in
    a query: the engine expression of its running counts, and the function that reads from what
    the expression returns the value *as of* each period's last day (cut at ``end``) — with a grain
    one row per period, without one the value on ``end``. Days outside the source's data are null."""
    from northstar.compile.plan import PERIOD
    from northstar.compile.request import bucket_starts

    if grain is not None and grain not in METRIC_GRAINS:
        raise QueryError(
            f"metric {name!r}: active users are counted per day; use a grain of {', '.join(METRIC_GRAINS)}",
            f"指标 {name!r}：活跃用户按天计算；请使用以下粒度之一：{', '.join(METRIC_GRAINS)}",
        )
    if len(by) > 1:
        raise QueryError(
            f"metric {name!r}: active users take one dimension at a time",
            f"指标 {name!r}：活跃用户一次只能按一个维度拆分",
        )
    act = activity_spec(project, spec.activity or spec.source or "")
    days = parse_duration_days(spec.within or 1)
    if days != int(days) or not 1 <= days <= 366:
        raise QueryError(
            f"metric {name!r}: within must be whole days from 1d to 366d (7d: WAU, 30d: MAU)",
            f"指标 {name!r}：within 必须是 1d 到 366d 之间的整天数（7d 为周活，30d 为月活）",
        )
    w = int(days)
    lo, hi = range_bounds(start - timedelta(days=w - 1), end)

    def rows_filter(table: Any, source: str, dimensions: Any) -> Any:  # the metric's filter and --where
        conds = [metric_filter(table, spec.filter, f"metric {name!r} filter")]
        conds.append(where(table, source, dimensions) if where is not None else None)
        kept = [c for c in conds if c is not None]
        return None if not kept else kept[0] if len(kept) == 1 else kept[0] & kept[1]

    rows = activity_rows(project, engine, name, act, lo, hi, by[0] if by else None, rows_filter)
    cov = project.coverage(engine, act.source)
    periods = bucket_starts(grain, start, end) if grain is not None else None
    if periods is None:
        asof = [end]
    else:
        stops = [*periods[1:], periods[-1] + PERIOD_LENGTH[grain or "day"]]
        asof = [min((stop - pd.Timedelta(days=1)).date(), end) for stop in stops]
    first_d, last_d = period_of(min(asof), "day"), period_of(max(asof), "day")
    at = np.array([period_of(d, "day") - first_d for d in asof])
    inside = np.array([cov is not None and cov[0].date() <= d <= cov[1].date() for d in asof])

    def post(frame: pd.DataFrame) -> pd.DataFrame:
        groups: list[tuple[Any, pd.DataFrame]] = (
            list(frame.groupby("b", dropna=False)) if by else [(None, frame)]
        )
        out = []
        for value, g in groups:
            counts = carry_forward(g, w, first_d, last_d)[at].astype("float64")
            part = pd.DataFrame({name: np.where(inside, counts, np.nan)})
            if periods is not None:
                part.insert(0, PERIOD, periods.astype("datetime64[us]"))
            if by:
                part.insert(1 if periods is not None else 0, by[0], value)
            out.append(part)
        if not out:
            return pd.DataFrame(
                {**({PERIOD: []} if periods is not None else {}), **{d: [] for d in by}, name: []}
            )
        return pd.concat(out, ignore_index=True)

    return rolling_expr(rows, [w]), post
