"""Retention: cohorts by the first occurrence of an event, and who comes back in later periods.

Exact semantics (docs/spec.md, *Retention*, says the same with an example):

- **Entry.** An entity's cohort entry is its *first* row ever (in all the data, not only in the
  range) that matches ``start`` (an event and/or a filter; empty: any row). Its time is ``t0``.
  Entities whose first entry falls in the range are the cohorts; the range is widened to whole
  periods (every day, ISO week or calendar month overlapping [from, to]). An entity never enters
  twice. With a breakdown (``cohort_by`` / ``--by``) the value is read from the entry row (if
  several rows tie at ``t0``, the smallest value).
- **Periods.** Calendar periods in the project timezone, on local wall-clock time (so a DST day
  of 23 or 25 hours is one day). Period ``N`` of a return row = the number of period boundaries
  between the entry's period and the return's period: days between the two local dates; weeks
  between the two ISO weeks (Monday first); months between the two calendar months. A return on
  the same day/week/month as the entry is period 0; 2026-01-31 → 2026-02-01 is month 1.
- **Returns.** A return is a row matching ``return`` (default: any row of the source; it may come
  from another source with ``return: {source: …}``) of the same entity at or after ``t0``.
  Rows before ``t0`` never count. The entry row itself counts when it matches ``return``, so
  with the same event for start and return period 0 is 100% (as in Amplitude, PostHog, GA4).
- **Bounded** (``mode: bounded``): an entity is retained in period ``N`` when it has a return in
  period ``N``. **Unbounded**: when it has a return in period ``N`` or any later one observed.
- **Measure** (optional): per cell, over the return rows of that period (bounded) or of that
  period and later (unbounded): ``count`` of rows or ``sum`` of a column. Per cell also
  ``measure_per_entity`` (÷ cohort size), ``measure_per_retained`` (÷ retained) and
  ``measure_vs_0`` (÷ the same cohort's period-0 measure: revenue retention).
- **Complete cells.** The return source's data is taken as complete through the end of the day
  of its last row (``observed_until``, midnight after it). Cell (cohort, N) is complete when
  period N of that cohort ends at or before ``observed_until``; incomplete cells have no values
  (null, shown blank), never 0.
- **Curve.** Per period N (and breakdown value): over the cohorts whose cell N is complete, the
  retained entities ÷ the entities of those cohorts (a cohort-size weighted average).
- **Filter** (``where``, the dashboard's dimension filter, e.g. ``channel = 'ads'``): only the
  source's rows matching it exist for the retention. Cohort entry is the first *matching* start
  row (an entity whose first paid order was on another channel enters at its first ``ads`` one,
  if any) and only matching rows count as returns. Returns from another source are filtered
  too when that source has the filter's columns (dimensions or columns); otherwise they are
  not, and the result's ``notes`` say so.

Everything heavy runs in the engine (Ibis): first entry per entity by group_by/min, one join to
the return rows, period numbers and counts in the engine. Python only reshapes per-cohort counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from northstar.compile.plan import filter_columns, metric_filter, row_filter
from northstar.compile.request import truncate
from northstar.engine.base import TS
from northstar.errors import QueryError
from northstar.spec.retention import Retention, RetentionRows
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

PERIODS = ("day", "week", "month")
MODES = ("bounded", "unbounded")
_UNIT = {"day": "D", "week": "W", "month": "M"}


@dataclass(frozen=True)
class RetentionResult:
    """Cohorts (long: one row per cohort, [by] and period N) and the weighted curve.

    ``cohorts`` columns: cohort (period start), [by], period_n, entities (cohort size), retained,
    rate, [measure, measure_per_entity, measure_per_retained, measure_vs_0], complete.
    ``curve`` columns: [by], period_n, cohorts (complete ones), entities, retained, rate,
    [measure, measure_per_entity, measure_per_retained, measure_vs_0].
    """

    name: str
    period: str
    periods: int
    mode: str
    by: str | None
    start: date  # first day of the first cohort period
    end: date  # last day of the last cohort period
    observed_until: datetime | None  # returns observed up to here (exclusive); None: no data
    measure: str | None  # the measure's label, or "count of rows" / "sum of <column>"
    measure_zh: str | None
    cohorts: pd.DataFrame
    curve: pd.DataFrame
    where: str | None = None  # the filter on the source rows, if any
    notes: tuple[str, ...] = ()
    notes_zh: tuple[str, ...] = ()

    def table(self, value: str = "rate") -> pd.DataFrame:
        """The cohort table: one row per cohort ([by]), its size, then ``value`` per period N."""
        keys = ["cohort", *([self.by] if self.by else [])]
        if self.cohorts.empty:
            return pd.DataFrame(columns=[*keys, "entities", *range(self.periods + 1)])
        wide = self.cohorts.set_index([*keys, "period_n"])[value].unstack("period_n")
        sizes = self.cohorts.groupby(keys, dropna=False)["entities"].first()
        return pd.concat([sizes, wide], axis=1).reset_index()


def retention_spec(project: Project, name: str) -> Retention:
    """The retention definition ``name``, or a QueryError with near names."""
    known = project.spec.retention
    if name not in known:
        m = project.catalog.metrics.get(name)
        if m is not None and m.kind == "repeat_rate":
            raise QueryError(
                f"{name!r} is a repeat_rate metric, not a retention: add --repurchase for its repurchase curve",
                f"{name!r} 是 repeat_rate 指标，不是留存定义：加上 --repurchase 查看复购曲线",
            )
        raise QueryError(
            f"unknown retention {name!r}" + did_you_mean(name, known),
            f"未知的留存定义 {name!r}" + did_you_mean(name, known, "zh"),
        )
    return known[name]


def add_periods(ts: pd.Timestamp, period: str, n: int) -> pd.Timestamp:
    if period == "month":
        return ts + pd.DateOffset(months=n)
    return ts + pd.Timedelta(days=n * (7 if period == "week" else 1))


def cohort_range(
    project: Project,
    engine: Engine,
    spec: Retention,
    start: date | None,
    end: date | None,
    period: str,
    periods: int,
) -> tuple[date, date]:
    """Whole periods covering [start, end]; by default the last ``periods + 1`` periods up to the
    last day of the start source's data."""
    if end is None:
        cov = project.coverage(engine, spec.source)
        end = cov[1].date() if cov else date.today()
    last = truncate(pd.Timestamp(end), period)
    first = (
        truncate(pd.Timestamp(start), period) if start is not None else add_periods(last, period, -periods)
    )
    if first > last:
        raise QueryError(
            f"the range ends ({end}) before it starts ({start})", f"结束日期（{end}）早于开始日期（{start}）"
        )
    stop = add_periods(last, period, 1) - pd.Timedelta(days=1)
    return first.date(), stop.date()


def run_retention(
    project: Project,
    engine: Engine,
    name: str,
    start: date | None = None,
    end: date | None = None,
    *,
    period: str | None = None,
    periods: int | None = None,
    mode: str | None = None,
    by: str | None = None,
    where: str | None = None,
) -> RetentionResult:
    """Cohort retention ``name`` (see the module's docstring); ``where`` keeps only the rows
    matching it, for cohort entries and returns both."""
    spec = retention_spec(project, name)
    period = period or spec.period
    periods = spec.periods if periods is None else periods
    mode = mode or spec.mode
    _check_choice(period, PERIODS, "period", "周期")
    _check_choice(mode, MODES, "mode", "模式")
    if not 1 <= periods <= 400:
        raise QueryError("periods must be between 1 and 400", "periods 必须在 1 到 400 之间")
    by = by or spec.cohort_by
    first, last = cohort_range(project, engine, spec, start, end, period, periods)
    plan = _Plan(project, engine, spec, period, periods, mode, by, first, last, where or None)
    return plan.run(name)


def _check_choice(value: str, choices: tuple[str, ...], what: str, what_zh: str) -> None:
    if value not in choices:
        raise QueryError(
            f"unknown {what} {value!r}: choose one of {', '.join(choices)}" + did_you_mean(value, choices),
            f"未知的{what_zh} {value!r}：可选 {', '.join(choices)}" + did_you_mean(value, choices, "zh"),
        )


def period_number(ts: Any, period: str) -> Any:
    """A running number of the calendar period holding local time ``ts`` (consecutive periods
    differ by 1), computed in the engine."""
    if period == "month":
        return ts.year().cast("int64") * 12 + ts.month().cast("int64")
    days = ts.truncate(_UNIT[period]).epoch_seconds() // 86400
    return days // 7 if period == "week" else days  # every Monday has the same remainder mod 7


class _Plan:
    """The Ibis expressions of one retention run, and the frames assembled from them."""

    def __init__(
        self,
        project: Project,
        engine: Engine,
        spec: Retention,
        period: str,
        periods: int,
        mode: str,
        by: str | None,
        first: date,
        last: date,
        where: str | None = None,
    ) -> None:
        self.project, self.engine, self.spec = project, engine, spec
        self.where = where
        self.notes: list[tuple[str, str]] = []
        self.period, self.periods, self.mode, self.by = period, periods, mode, by
        self.first, self.last = first, last
        self.lo = datetime.combine(first, datetime.min.time())
        self.hi = datetime.combine(last + timedelta(days=1), datetime.min.time())
        self.return_source = spec.returns.source or spec.source
        if self.return_source not in project.spec.sources:
            raise QueryError(
                f"retention: unknown return source {self.return_source!r}"
                + did_you_mean(self.return_source, project.spec.sources),
                f"留存：未知的回访数据源 {self.return_source!r}"
                + did_you_mean(self.return_source, project.spec.sources, "zh"),
            )

    # -- expressions ----------------------------------------------------------------------
    def _entity(self, table: Any, source: str, count_by: str | None) -> str:
        entity = count_by or self.project.spec.sources[source].entity
        if not entity or entity not in table.columns:
            cols = [c for c in table.columns if c != TS]
            raise QueryError(
                f"retention: count_by {entity!r} is not a column of source {source!r}"
                + did_you_mean(entity or "", cols),
                f"留存：数据源 {source!r} 中没有 count_by 列 {entity!r}"
                + did_you_mean(entity or "", cols, "zh"),
            )
        return entity

    def _condition(self, table: Any, rows: RetentionRows, source: str, what: str) -> Any:
        cond = None
        if rows.event is not None:
            col = self.spec.event_column
            if col not in table.columns:
                cols = [c for c in table.columns if c != TS]
                raise QueryError(
                    f"retention: event column {col!r} is not in source {source!r}" + did_you_mean(col, cols),
                    f"留存：数据源 {source!r} 中没有事件列 {col!r}" + did_you_mean(col, cols, "zh"),
                )
            cond = table[col] == rows.event
        flt = metric_filter(table, rows.filter, f"retention {what} filter")
        if flt is not None:
            cond = flt if cond is None else cond & flt
        return cond

    def _filtered(self, table: Any, source: str) -> Any:
        """``table``'s rows matching the user's ``where`` (all of them without one)."""
        keep = row_filter(table, source, self.where, self.project.spec.dimensions, "where filter")
        return table if keep is None else table.filter(keep)

    def _fits(self, table: Any, source: str) -> bool:
        """Does the ``where`` name only this source's columns or dimensions it has?"""
        dims = self.project.spec.dimensions
        names = set(table.columns) | {
            d for d, dim in dims.items() if dim.column_in(d, source) in table.columns
        }
        return filter_columns(self.where or "") <= names

    def _by_column(self, table: Any) -> str | None:
        if self.by is None:
            return None
        dims = self.project.spec.dimensions
        col = dims[self.by].column_in(self.by, self.spec.source) if self.by in dims else self.by
        if col not in table.columns:
            options = [*dims, *(c for c in table.columns if c != TS)]
            raise QueryError(
                f"retention: cannot break down by {self.by!r}: source {self.spec.source!r} has no such "
                "dimension or column" + did_you_mean(self.by, options),
                f"留存：无法按 {self.by!r} 细分：数据源 {self.spec.source!r} 没有这个维度或列"
                + did_you_mean(self.by, options, "zh"),
            )
        return col

    def entries(self) -> Any:
        """One row per entity whose first ``start`` row is in the range: e, t0, cohort, p0, [b]."""
        spec = self.spec
        t = self._filtered(self.project.table(self.engine, spec.source), spec.source)
        entity = self._entity(t, spec.source, spec.count_by)
        by_col = self._by_column(t)
        cond = self._condition(t, spec.start, spec.source, "start")
        rows = t.filter(t[entity].notnull())
        if cond is not None:
            rows = rows.filter(cond)
        first = rows.group_by(e=rows[entity]).aggregate(t0=rows[TS].min())
        first = first.filter((first.t0 >= self.lo) & (first.t0 < self.hi))
        if by_col is not None:
            ties = rows.select(e2=rows[entity], t2=rows[TS], b=rows[by_col])
            j = first.join(ties, [first.e == ties.e2, first.t0 == ties.t2])
            first = j.group_by(["e", "t0"]).aggregate(b=j.b.min())
        return first.mutate(
            cohort=first.t0.truncate(_UNIT[self.period]), p0=period_number(first.t0, self.period)
        )

    def returns(self, entries: Any) -> Any:
        """Each entry joined to its return rows at or after t0, with the period number n."""
        spec, src = self.spec, self.return_source
        t = self.project.table(self.engine, src)
        same = src == spec.source
        if self.where and (same or self._fits(t, src)):
            t = self._filtered(t, src)
        elif self.where:
            self.notes.append(
                (
                    f"the filter {self.where} picks the cohorts only: the return source {src!r} lacks its columns",
                    f"筛选条件 {self.where} 只作用于同期群：回访数据源 {src!r} 没有其中的列",
                )
            )
        entity = self._entity(t, src, spec.returns.count_by or (spec.count_by if same else None))
        cond = self._condition(t, spec.returns, src, "return")
        rows = t.filter(t[entity].notnull() & (t[TS] >= self.lo))
        if self.mode == "bounded":  # later rows cannot fall in period <= periods of any cohort
            limit = add_periods(pd.Timestamp(self.hi), self.period, self.periods).to_pydatetime()
            rows = rows.filter(rows[TS] < limit)
        if cond is not None:
            rows = rows.filter(cond)
        m = spec.measure
        value = rows[m.column].cast("float64") if m is not None and m.type == "sum" else ibis.literal(1.0)
        r = rows.select(e_r=rows[entity], t_r=rows[TS], m=value)
        left, right = entries.e, r.e_r
        if left.type() != right.type():  # e.g. integer ids in one source and text in the other
            left, right = left.cast("string"), right.cast("string")
        j = entries.join(r, [left == right, r.t_r >= entries.t0])
        n = period_number(j.t_r, self.period) - j.p0
        return j.mutate(n=n)

    # -- running and assembling -------------------------------------------------------------
    def run(self, name: str) -> RetentionResult:
        keys = ["cohort", *(["b"] if self.by else [])]
        have_rows = self.project.coverage(self.engine, self.spec.source) is not None
        cov = self.project.coverage(self.engine, self.return_source)
        observed = (
            datetime.combine(cov[1].date() + timedelta(days=1), datetime.min.time())
            if cov is not None
            else None
        )
        sizes = pd.DataFrame(columns=[*keys, "size"])
        cells = pd.DataFrame(columns=[*keys, "n", "retained", "measure"])
        if self.where:
            self._filtered(self.project.table(self.engine, self.spec.source), self.spec.source)  # check it
            self.notes.insert(
                0,
                (
                    f"filtered: only rows where {self.where} count (cohort entries and returns)",
                    f"已筛选：只计满足 {self.where} 的行（进入同期群与回访）",
                ),
            )
        if have_rows:
            entries = self.entries()
            sizes = self._frame(entries.group_by(keys).aggregate(size=entries.count()), keys)
            if cov is not None and len(sizes):
                cells = self._cells(entries, keys)
        cohorts = self._cohorts(sizes, cells, keys, observed)
        curve = _curve(cohorts, self.by, self.spec.measure is not None)
        m = self.spec.measure
        label = label_zh = None
        if m is not None:
            label = "count of rows" if m.type == "count" else f"sum of {m.column}"
            label_zh = "回访行数" if m.type == "count" else f"{m.column} 之和"
            if m.label is not None:
                label, label_zh = m.label.get("en", label), m.label.get("zh", label_zh)
        return RetentionResult(
            name,
            self.period,
            self.periods,
            self.mode,
            self.by,
            self.first,
            self.last,
            observed,
            label,
            label_zh,
            cohorts,
            curve,
            self.where,
            tuple(en for en, _ in self.notes),
            tuple(zh for _, zh in self.notes),
        )

    def _frame(self, expr: Any, keys: list[str]) -> pd.DataFrame:
        df = self.engine.execute(expr)
        df["cohort"] = pd.to_datetime(df["cohort"]).astype("datetime64[us]")
        return df

    def _cells(self, entries: Any, keys: list[str]) -> pd.DataFrame:
        j = self.returns(entries)
        counted = self.spec.measure is not None and self.spec.measure.type == "count"
        if self.mode == "bounded":
            j = j.filter(j.n <= self.periods)
            agg = j.group_by([*keys, "n"]).aggregate(
                retained=j.e.nunique(), measure=j.count().cast("float64") if counted else j.m.sum()
            )
            return self._frame(agg, keys)
        j = j.mutate(nc=ibis.ifelse(j.n > self.periods, self.periods, j.n))
        last = j.group_by(["e", *keys]).aggregate(maxn=j.nc.max())
        hist = self._frame(last.group_by([*keys, "maxn"]).aggregate(k=last.count()), keys)
        sums = self._frame(
            j.group_by([*keys, "nc"]).aggregate(measure=j.count().cast("float64") if counted else j.m.sum()),
            keys,
        )
        out = []
        for n in range(self.periods + 1):  # "in period n or later": reverse cumulative sums
            h = hist[hist["maxn"] >= n].groupby(keys, dropna=False)["k"].sum().rename("retained")
            s = sums[sums["nc"] >= n].groupby(keys, dropna=False)["measure"].sum()
            part = pd.concat([h, s], axis=1).reset_index()
            part["n"] = n
            out.append(part)
        return (
            pd.concat(out, ignore_index=True)
            if out
            else pd.DataFrame(columns=[*keys, "n", "retained", "measure"])
        )

    def _cohorts(
        self, sizes: pd.DataFrame, cells: pd.DataFrame, keys: list[str], observed: datetime | None
    ) -> pd.DataFrame:
        by = self.by
        grid = sizes.merge(pd.DataFrame({"n": range(self.periods + 1)}), how="cross")
        cells = cells.astype({"n": "int64"}) if len(cells) else cells.astype({"n": "int64"}, errors="ignore")
        df = (
            grid.merge(cells, on=[*keys, "n"], how="left")
            if len(grid)
            else grid.assign(retained=[], measure=[])
        )
        until = pd.Timestamp(observed) if observed is not None else None
        ends = [add_periods(c, self.period, n + 1) for c, n in zip(df["cohort"], df["n"], strict=True)]
        complete = pd.Series([until is not None and e <= until for e in ends], index=df.index, dtype=bool)
        retained = pd.to_numeric(df["retained"], errors="coerce").fillna(0).astype("Int64").mask(~complete)
        size = df["size"].astype("int64")
        out = pd.DataFrame({"cohort": df["cohort"]})
        if by:
            out[by] = df["b"]
        out["period_n"] = df["n"].astype("int64")
        out["entities"] = size
        out["retained"] = retained
        out["rate"] = (retained.astype("Float64") / size).astype("float64")
        if self.spec.measure is not None:
            measure = pd.to_numeric(df["measure"], errors="coerce").astype("float64").fillna(0.0)
            measure[~complete] = float("nan")
            out["measure"] = measure
            out["measure_per_entity"] = measure / size
            out["measure_per_retained"] = measure / retained.astype("Float64").astype("float64").where(
                retained > 0
            )
            out["measure_vs_0"] = measure / _period_zero(out, by).where(lambda v: v != 0)
        out["complete"] = complete.to_numpy()
        order = ["cohort", *([by] if by else []), "period_n"]
        return out.sort_values(order, na_position="last").reset_index(drop=True)


def _period_zero(cohorts: pd.DataFrame, by: str | None) -> pd.Series:
    """Each row's cohort's period-0 measure (aligned with ``cohorts``)."""
    keys = ["cohort", *([by] if by else [])]
    base = cohorts.loc[cohorts["period_n"] == 0, [*keys, "measure"]].rename(columns={"measure": "_m0"})
    return cohorts[keys].merge(base, on=keys, how="left")["_m0"].set_axis(cohorts.index)


def _curve(cohorts: pd.DataFrame, by: str | None, with_measure: bool) -> pd.DataFrame:
    """Per period N ([by]): totals over the cohorts whose cell N is complete."""
    keys = [*([by] if by else []), "period_n"]
    cols = [*keys, "cohorts", "entities", "retained", "rate"]
    if with_measure:
        cols += ["measure", "measure_per_entity", "measure_per_retained", "measure_vs_0"]
    if cohorts.empty:
        return pd.DataFrame(columns=cols)
    df = cohorts.copy()
    df["_done"] = df["complete"].astype("int64")
    df["_entities"] = df["entities"].where(df["complete"], 0)
    df["_retained"] = df["retained"].fillna(0).astype("int64")
    aggs: dict[str, Any] = {
        "cohorts": ("_done", "sum"),
        "entities": ("_entities", "sum"),
        "retained": ("_retained", "sum"),
    }
    if with_measure:
        df["_m"] = df["measure"].where(df["complete"], 0.0)
        df["_m0"] = _period_zero(df, by).where(df["complete"], 0.0)
        aggs.update(measure=("_m", "sum"), _m0=("_m0", "sum"))
    out = df.groupby(keys, dropna=False).agg(**aggs).reset_index()
    empty = out["cohorts"] == 0
    out["rate"] = (out["retained"] / out["entities"].where(~empty)).astype("float64")
    out.loc[empty, "retained"] = 0
    if with_measure:
        out.loc[empty, "measure"] = float("nan")
        out["measure_per_entity"] = out["measure"] / out["entities"].where(~empty)
        out["measure_per_retained"] = out["measure"] / out["retained"].where(out["retained"] > 0)
        out["measure_vs_0"] = out["measure"] / out["_m0"].where(out["_m0"] != 0)
    return out[cols].sort_values(keys).reset_index(drop=True)
