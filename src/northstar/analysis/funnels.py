"""Funnels: how many entities go through a funnel's steps within its conversion window.

Semantics (docs/spec.md, *Funnels*, says the same for users):

* Every row matching step 1 (any step, for ``order: any``) with a time inside the date range
  starts an *attempt* at its time ``s``. All later steps must come no later than ``s + within``.
* ``order: ordered`` — step k+1 counts at a row at or after step k (strictly after when both
  steps match the same rows, so one row never counts twice); other events may come between.
  ``order: strict`` — as ordered, and no other row of the entity lies strictly between the two
  steps' times (rows with the same time as either step do not break the sequence).
  ``order: any`` — the level of an attempt is how many of the steps have a row in
  ``[s, s + within]``; "step k" then means "k of the steps".
* A step's own ``within`` bounds the time since the step before.
* An exclusion (``exclude:``) between steps a and b: an attempt cannot go from step k to k+1
  (a ≤ k < b) when an excluded row lies at or after step k and at or before step k+1 — ties
  count against the attempt. It *drops out* at step k.
* Each entity counts once, by its best attempt: the one that reaches the most steps, then the
  earliest, then the smallest breakdown value. With the plain ordered mode the earliest next row
  is always the best choice, so one row per attempt and step is kept; strict order, per-step
  windows and exclusions keep every candidate row (there the earliest is not always best).
* Breakdown values come from the best attempt's step-1 row (``attribution: first``) or from the
  row of the last step it reached (``attribution: last``; the smallest value when rows tie).
* Time to reach step k is measured on the best attempt from step 1 to the earliest time it
  reached step k.
* A ``where`` filter (the dashboard's dimension filter, ``run_funnel(..., where=)``) removes the
  source rows that do not match it before any of the above: only matching events count as
  steps, exclusions and strict order see only matching rows.

Order and windows use each row's UTC instant (a DST change neither reorders events nor
stretches a window); the date range and entry periods use the project's wall-clock time.

Everything runs in the engine (Ibis): one join per step, one union and two aggregations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from northstar.analysis.quantiles import quantiles
from northstar.analysis.summary_kernel import bin_counts, gaps, level_counts
from northstar.compile.plan import metric_filter, row_filter
from northstar.compile.request import IBIS_UNIT, PERIOD_LENGTH, range_bounds
from northstar.engine.base import TS, UTC
from northstar.errors import QueryError
from northstar.spec.models import Funnel, Metric, parse_duration_days
from northstar.spec.rules import event_warnings
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

# Edges of the time-to-convert histogram, in seconds: ones a person reads at a glance.
HISTOGRAM_EDGES = (
    0,
    60,
    300,
    900,
    1800,
    3600,
    7200,
    21600,
    43200,
    86400,
    172800,
    259200,
    604800,
    1209600,
    2592000,
)


@dataclass(frozen=True)
class FunnelResult:
    """Per breakdown value and step: entities that reached it, conversions and drop-offs.

    ``steps`` columns: [by], step (1-based), step_name, entities, conversion (from step 1),
    step_conversion (from the step before), dropped (lost since the step before),
    median_seconds and p90_seconds (time from the step before, among entities reaching it).
    ``times`` columns: [by], converted, median_seconds, p90_seconds (step 1 → last step).
    ``histogram`` columns: [by], lower_seconds, upper_seconds, entities (converted entities by
    time from step 1 to the last step).
    """

    name: str
    steps: pd.DataFrame
    times: pd.DataFrame
    by: str | None
    start: date
    end: date
    within: str
    entities: pd.DataFrame  # per entity: entity, level (last step reached), seconds_to_last_step, [by]
    histogram: pd.DataFrame
    order: str = "ordered"
    attribution: str = "first"
    notes: tuple[str, ...] = ()
    notes_zh: tuple[str, ...] = ()
    label: tuple[str, str] = ("", "")  # the funnel's label (en, zh); empty: its name
    by_label: tuple[str, str] = ("", "")  # the breakdown's label (en, zh); empty: its name
    rules: tuple[str, str] = ("", "")  # per-step windows and exclusions in words (en, zh)

    def notes_in(self, lang: str) -> tuple[str, ...]:
        return self.notes_zh if lang == "zh" else self.notes

    def about(self, lang: str = "en") -> pd.DataFrame:
        """What the tables are (for files): funnel, range, window, order, attribution, notes."""
        label = (self.label[1] if lang == "zh" else self.label[0]) or self.name
        rows = [
            ("funnel", self.name),
            ("label", label),
            ("from", str(self.start)),
            ("to", str(self.end)),
            ("within", self.within),
            ("order", self.order),
            ("attribution", self.attribution),
            ("by", self.by or ""),
            *[("note", n) for n in self.notes_in(lang)],
        ]
        return pd.DataFrame(rows, columns=["key", "value"])

    def dropped_at(self, step: int) -> pd.DataFrame:
        """Entities that reached the step before ``step`` but not ``step`` (for re-targeting)."""
        n = int(self.steps["step"].max()) if len(self.steps) else 0
        if not 2 <= step <= n:
            raise QueryError(f"step must be between 2 and {n}", f"步骤必须在 2 到 {n} 之间")
        return self.entities[self.entities["level"] == step - 1].reset_index(drop=True)


def run_funnel(
    project: Project,
    engine: Engine,
    name: str,
    start: date,
    end: date,
    by: str | None = None,
    where: str | None = None,
) -> FunnelResult:
    """The funnel ``name`` over [start, end]. ``where`` (a user's filter such as
    ``channel = 'ads' and device in ('ios', 'android')``: dimensions and the source's columns)
    keeps only the source rows that match it *before* the steps are matched: only matching events
    count as steps (an entity whose step-2 row is on another channel does not reach step 2 under
    ``channel = 'ads'``), and strict order and exclusions see only the matching rows too."""
    spec = funnel_spec(project, name)
    n = len(spec.steps)
    reach = [f"reach_{k}" for k in range(2, n + 1)]
    if project.coverage(engine, spec.source) is None:  # no rows at all: nobody entered
        per_entity = pd.DataFrame({c: [] for c in ["e", "level", "seconds", "entered", *reach, "b0"]})
    else:
        per_entity = funnel_frame(project, engine, spec, start, end, [by] if by else [], where=where)
    result = _summarise(name, spec, per_entity.rename(columns={"b0": "b"}), start, end, by)
    notes = funnel_notes(project, engine, name, spec, start, end)
    if where:
        notes.append(
            (
                f"filtered: only events where {where} count as steps",
                f"已筛选：只有满足 {where} 的事件计为漏斗步骤",
            )
        )
    label = (
        (spec.label.get("en", name), spec.label.get("zh", spec.label.get("en", name)))
        if spec.label
        else ("", "")
    )
    by_label = project.dimension_labels(by) if by and by in project.spec.dimensions else ("", "")
    en = [f"step {i + 1} within {st.within} of step {i}" for i, st in enumerate(spec.steps) if st.within]
    zh = [f"第 {i + 1} 步须在第 {i} 步后 {st.within} 内" for i, st in enumerate(spec.steps) if st.within]
    for x, (a, b) in zip(spec.exclude, spec.exclusion_ranges(), strict=True):
        what = x.event or x.filter
        en.append(f"excluding {what} between steps {a} and {b}")
        zh.append(f"第 {a}–{b} 步之间出现 {what} 即流失")
    return replace(
        result,
        rules=("; ".join(en), "；".join(zh)),
        notes=tuple(en for en, _ in notes),
        notes_zh=tuple(zh for _, zh in notes),
        label=label,
        by_label=by_label,
    )


def funnel_notes(
    project: Project, engine: Engine, name: str, spec: Funnel, start: date, end: date
) -> list[tuple[str, str]]:
    """What a reader must know to trust the numbers (en, zh): steps whose event never occurs,
    a range outside the data, entrants who have not had the whole window yet."""
    notes = [
        (f"{i.message} — {i.fix}", f"{i.message_zh} — {i.fix_zh}")
        for i in event_warnings(project.issues, "funnel", name)
    ]
    cov = project.coverage(engine, spec.source)
    if cov is None:
        return [*notes, (f"source {spec.source!r} has no rows", f"数据源 {spec.source!r} 没有数据")]
    first, last = pd.Timestamp(cov[0]), pd.Timestamp(cov[1])
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    span = f"{first:%Y-%m-%d} → {last:%Y-%m-%d}"
    if hi <= first or lo > last:
        return [
            *notes,
            (f"no data in this range: the data covers {span}", f"该日期范围内没有数据：数据覆盖 {span}"),
        ]
    if lo < first.normalize():
        notes.append((f"the data starts on {first:%Y-%m-%d}", f"数据从 {first:%Y-%m-%d} 开始"))
    cutoff = last - pd.Timedelta(days=parse_duration_days(spec.within))
    if hi > cutoff:
        notes.append(
            (
                f"the data ends on {last:%Y-%m-%d %H:%M}: entities entering after {cutoff:%Y-%m-%d %H:%M} have had "
                f"less than {spec.within} to convert, so their conversion may still rise",
                f"数据截止于 {last:%Y-%m-%d %H:%M}：{cutoff:%Y-%m-%d %H:%M} 之后进入的对象还不满 {spec.within} "
                "转化窗口，其转化率还可能上升",
            )
        )
    return notes


def fast_path_applies(engine: Engine, spec: Funnel) -> bool:
    """The DuckDB fast path (:mod:`northstar.analysis.funnel_fast`) computes the plain ordered
    funnel: no exclusions, no per-step windows. ``NORTHSTAR_PORTABLE_FUNNEL=1`` turns it off."""
    import os

    return (
        engine.name == "duckdb"
        and spec.order == "ordered"
        and not spec.exclude
        and not any(s.within for s in spec.steps)
        and os.environ.get("NORTHSTAR_PORTABLE_FUNNEL") != "1"
    )


def funnel_frame(
    project: Project,
    engine: Engine,
    spec: Funnel,
    start: date,
    end: date,
    by: Sequence[str] = (),
    grain: str | None = None,
    where: str | None = None,
) -> pd.DataFrame:
    """:func:`funnel_expr`'s rows, executed: by the fast path where it applies (tests hold it
    equal to the portable expression), else by the engine. ``where``: the user's filter on the
    source rows (see :func:`run_funnel`)."""
    if not fast_path_applies(engine, spec):
        return engine.execute(funnel_expr(project, engine, spec, start, end, by, grain, row_where=where))
    from northstar.analysis.funnel_fast import ordered_funnel_fast, plain_events, same_as_previous, step_rows

    table, entity, by_cols, window, lo, hi, conds = _setup(project, engine, spec, start, end, by, where)
    rows = step_rows(
        table,
        entity,
        conds,
        lo,
        hi,
        window,
        by_cols,
        one_clock=engine.one_clock(spec.source),
        plain_events=plain_events(spec.steps, spec.event_column),
    )
    return ordered_funnel_fast(
        engine, rows, window, lo, hi, same_as_previous(spec.steps), grain, spec.attribution
    )


def _setup(
    project: Project,
    engine: Engine,
    spec: Funnel,
    start: date,
    end: date,
    by: Sequence[str],
    where: str | None = None,
) -> tuple[Any, str, list[str], timedelta, Any, Any, list[Any]]:
    """What both funnel paths start from: the source table (only its rows matching ``where``,
    the user's filter, when given), the entity column, the breakdown columns, the window, the
    range bounds and one condition per step."""
    table = project.table(engine, spec.source)
    keep = row_filter(table, spec.source, where, project.spec.dimensions, "where filter")
    if keep is not None:
        table = table.filter(keep)
    entity = spec.count_by or project.spec.sources[spec.source].entity
    if not entity or entity not in table.columns:
        raise QueryError(
            f"funnel: count_by {entity!r} is not a column of source {spec.source!r}",
            f"漏斗：count_by {entity!r} 不是数据源 {spec.source!r} 的列",
        )
    by_cols = [_by_column(project, spec, table, b) for b in by]
    window = timedelta(days=parse_duration_days(spec.within))
    lo, hi = range_bounds(start, end)
    conds = [_step_condition(table, spec, i) for i in range(len(spec.steps))]
    return table, entity, by_cols, window, lo, hi, conds


def funnel_spec(project: Project, name: str) -> Funnel:
    """The funnel called ``name``, or a QueryError with near names."""
    if name not in project.spec.funnels:
        raise QueryError(
            f"unknown funnel {name!r}" + did_you_mean(name, project.spec.funnels),
            f"未知的漏斗 {name!r}" + did_you_mean(name, project.spec.funnels, "zh"),
        )
    return project.spec.funnels[name]


def _by_column(project: Project, spec: Funnel, table: Any, by: str) -> str:
    col = project.spec.dimensions[by].column_in(by, spec.source) if by in project.spec.dimensions else by
    if col not in table.columns:
        raise QueryError(
            f"funnel: cannot break down by {by!r}: source {spec.source!r} has no such column"
            + did_you_mean(by, [*project.spec.dimensions, *table.columns]),
            f"漏斗：无法按 {by!r} 拆分：数据源 {spec.source!r} 没有这一列"
            + did_you_mean(by, [*project.spec.dimensions, *table.columns], "zh"),
        )
    return col


def funnel_expr(
    project: Project,
    engine: Engine,
    spec: Funnel,
    start: date,
    end: date,
    by: Sequence[str] = (),
    grain: str | None = None,
    where: Callable[[Any], Any] | None = None,
    row_where: str | None = None,
) -> Any:
    """One row per entity (per entity and entry period with ``grain``): its best attempt's level,
    entry time, seconds to its last step (``seconds``) and to each step k ≥ 2 (``reach_k``),
    the entry period and the breakdown values ``b0``, ``b1``… (one per ``by``).

    ``where`` builds an extra row condition from the source table (a metric's ``--where``);
    ``row_where`` is the user's filter text, applied to the source rows before anything else
    (see :func:`run_funnel`)."""
    table, entity, by_cols, window, lo, hi, conds = _setup(project, engine, spec, start, end, by, row_where)
    bnames = [f"b{i}" for i in range(len(by_cols))]
    n = len(spec.steps)
    excl = [_step_condition(table, spec, i, exclusion=True) for i in range(len(spec.exclude))]
    # wall-clock time (TS) places rows in the date range and periods; UTC orders them and measures
    # windows, so a DST change neither reorders events nor stretches a window (a day of margin).
    keep = (table[TS] >= lo) & (table[TS] < hi + window + timedelta(days=1)) & table[entity].notnull()
    if where is not None:
        keep = keep & where(table)
    span = table.filter(keep)

    def rows(cond: Any, upto: Any = None, with_b: bool = False) -> Any:
        t = span.filter(cond if upto is None else cond & (span[TS] < upto))
        cols = {"e": t[entity], "t": t[UTC]}
        if with_b:
            cols.update(sl=t[TS], **{b: t[c] for b, c in zip(bnames, by_cols, strict=True)})
        return t.select(**cols)

    keys = ["e", "s", "sl", *bnames]
    if spec.order == "any":
        any_step = conds[0]
        for c in conds[1:]:
            any_step = any_step | c
        attempts = rows(any_step, hi, with_b=True).distinct()
        attempts = attempts.select("e", "sl", *bnames, s=attempts.t)
        reached = []
        for i in range(n):
            nxt = rows(conds[i]).view()
            j = attempts.join(nxt, [attempts.e == nxt.e, nxt.t >= attempts.s, nxt.t <= attempts.s + window])
            got = j.group_by([j[k] for k in keys]).aggregate(tk=j.t.min())
            reached.append(got.select(*keys, k=ibis.literal(i + 1), tk=got.tk))
        allr = ibis.union(*reached, distinct=False)
        per = allr.group_by(keys).aggregate(
            level=allr.k.nunique(),
            tlast=allr.tk.max(),
            **{f"t{k}": allr.tk.min(where=allr.k == k) for k in range(2, n + 1)},
        )
    else:
        attempts = rows(conds[0], hi, with_b=True).distinct()
        states = attempts.select("e", "sl", *bnames, s=attempts.t, tk=attempts.t)
        keep_all = spec.order == "strict" or bool(spec.exclude) or any(st.within for st in spec.steps)
        times = None
        if spec.order == "strict":
            times = rows(ibis.literal(True)).distinct()
            times = times.mutate(nt=times.t.lead().over(group_by=times.e, order_by=times.t))
        reached = [states.select(*keys, k=ibis.literal(1), tk=states.tk)]
        ranges = spec.exclusion_ranges()
        for i in range(1, n):
            cur = states
            bounds: list[Any] = []
            if times is not None:  # strict: the next step lies at this time or at the entity's next time
                tm = times.select(te=times.e, tt=times.t, nt=times.nt).view()
                cur = cur.left_join(tm, [cur.e == tm.te, cur.tk == tm.tt]).select(
                    *[cur[c] for c in cur.columns], nt=ibis.coalesce(tm.nt, cur.tk)
                )
            for x, (a, b) in enumerate(ranges):
                if a <= i < b:  # transition from step i to step i+1 (1-based)
                    xr = rows(excl[x]).view()
                    hit = cur.join(xr, [cur.e == xr.e, xr.t >= cur.tk, xr.t <= cur.s + window])
                    nx = hit.group_by([hit[k] for k in [*keys, "tk"]]).aggregate(**{f"x{x}": hit.t.min()})
                    cur = cur.left_join(nx, [cur[k] == nx[k] for k in [*keys, "tk"]]).select(
                        *[cur[c] for c in cur.columns], nx[f"x{x}"]
                    )
                    bounds.append(f"x{x}")
            cur = cur.view()  # close the joins above, so the one below sees a plain table
            nxt = rows(conds[i]).view()
            after = nxt.t > cur.tk if spec.steps[i].same_as(spec.steps[i - 1]) else nxt.t >= cur.tk
            cond = [cur.e == nxt.e, after, nxt.t <= cur.s + window]
            step_within = spec.steps[i].within
            if step_within is not None:
                cond.append(nxt.t <= cur.tk + timedelta(days=parse_duration_days(step_within)))
            if times is not None:
                cond.append(nxt.t <= cur.nt)
            for col in bounds:
                cond.append(cur[col].isnull() | (nxt.t < cur[col]))
            j = cur.join(nxt, cond)
            if keep_all:
                states = j.select(*[j[k] for k in keys], tk=j.t).distinct()
            else:
                states = j.group_by([j[k] for k in keys]).aggregate(tk=j.t.min())
            reached.append(states.select(*keys, k=ibis.literal(i + 1), tk=states.tk))
        allr = ibis.union(*reached, distinct=False)
        per = allr.group_by(keys).aggregate(
            level=allr.k.max(), **{f"t{k}": allr.tk.min(where=allr.k == k) for k in range(2, n + 1)}
        )
        per = per.mutate(
            tlast=ibis.cases(*[(per.level == k, per[f"t{k}"]) for k in range(2, n + 1)], else_=per.s)
        )
    if grain is not None:
        per = per.mutate(p=per.sl.truncate(IBIS_UNIT[grain]))
    groups = [per.e] if grain is None else [per.e, per.p]
    order = [ibis.desc(per.level), per.s, *[per[b] for b in bnames]]
    best = per.mutate(rn=ibis.row_number().over(group_by=groups, order_by=order))
    best = best.filter(best.rn == 0)
    out = {"e": best.e, "level": best.level, "seconds": _seconds(best.tlast, best.s), "entered": best.sl}
    for k in range(2, n + 1):
        out[f"reach_{k}"] = _seconds(best[f"t{k}"], best.s)
    if grain is not None:
        out["period"] = best.p
    result = best.select(**out, **{b: best[b] for b in bnames}, tlast=best.tlast)
    if spec.attribution == "last" and bnames:
        any_step = conds[0]
        for c in conds[1:]:
            any_step = any_step | c
        lr = rows(any_step, with_b=True)
        lr = lr.select(le=lr.e, lt=lr.t, **{f"l{b}": lr[b] for b in bnames})
        j = result.left_join(lr, [result.e == lr.le, result.tlast == lr.lt])
        plain = [c for c in out if c not in bnames]
        result = j.group_by([j[c] for c in plain]).aggregate(**{b: j[f"l{b}"].min() for b in bnames})
    return result.select(*out.keys(), *[b for b in bnames if b not in out])


def conversion_funnel(project: Project, name: str, spec: Metric) -> tuple[Funnel, int]:
    """The funnel a ``conversion`` metric measures, and the step whose share it reports."""
    if spec.funnel:
        funnel = funnel_spec(project, spec.funnel)
        if spec.within is not None:
            funnel = funnel.model_copy(update={"within": spec.within})
    else:
        funnel = Funnel(
            source=spec.source or "",
            steps=spec.steps or [],
            within=spec.within or "1d",
            event_column=spec.event_column or "event_name",
            count_by=spec.column,
        )
    k = spec.step or len(funnel.steps)
    if k > len(funnel.steps):
        raise QueryError(
            f"metric {name!r}: step {k} is past the funnel's last step ({len(funnel.steps)})",
            f"指标 {name!r}：第 {k} 步超出了漏斗的最后一步（{len(funnel.steps)}）",
        )
    return funnel, k


def conversion_expr(
    project: Project,
    engine: Engine,
    name: str,
    spec: Metric,
    start: date,
    end: date,
    grain: str | None,
    by: Sequence[str],
    where: Callable[[Any], Any] | None,
) -> Any:
    """A ``conversion`` metric: of the entities that entered the funnel in a period (step 1, by the
    funnel's rules), the share whose best attempt reached step k. Columns: [period], by…, name."""
    funnel, k = conversion_funnel(project, name, spec)
    per = funnel_expr(project, engine, funnel, start, end, by, grain, where)
    keys = {"period": per.period} if grain else {}
    keys.update({d: per[f"b{i}"] for i, d in enumerate(by)})
    value = {name: (per.level >= k).cast("float64").mean()}
    return per.group_by(**keys).aggregate(**value) if keys else per.aggregate(**value)


def _seconds(later: Any, earlier: Any) -> Any:
    return (later.epoch_seconds() - earlier.epoch_seconds()).cast("float64")


def _step_condition(table: Any, spec: Funnel, i: int, exclusion: bool = False) -> Any:
    step: Any = spec.exclude[i] if exclusion else spec.steps[i]
    what = f"funnel exclusion {i + 1}" if exclusion else f"funnel step {i + 1}"
    cond = None
    if step.event is not None:
        if spec.event_column not in table.columns:
            raise QueryError(
                f"funnel: event column {spec.event_column!r} is not in source {spec.source!r}",
                f"漏斗：事件列 {spec.event_column!r} 不在数据源 {spec.source!r} 中",
            )
        cond = table[spec.event_column] == step.event
    flt = metric_filter(table, step.filter, f"{what} filter")
    if flt is not None:
        cond = flt if cond is None else cond & flt
    return cond


def _quantiles(values: Any) -> tuple[float, float]:
    """Median and p90 of the values that are not NaN (a Series or an array)."""
    v = np.asarray(values, dtype="float64")
    missing = np.isnan(v)
    if missing.any():
        v = v[~missing]
    if not len(v):
        return float("nan"), float("nan")
    med, p90 = quantiles(v, [0.5, 0.9])  # np.quantile's numbers (linear interpolation, as pandas')
    return med, p90


def histogram(seconds: Any, within_seconds: float) -> pd.DataFrame:
    """Counts of ``seconds`` in the :data:`HISTOGRAM_EDGES` bins up to the funnel window
    (each bin holds lower ≤ x < upper; the last one ends at the window and includes it)."""
    edges = [e for e in HISTOGRAM_EDGES if e < within_seconds] + [within_seconds]
    # np.histogram's bins (the last one closed), in one compiled pass without its sort
    counts = bin_counts(np.ascontiguousarray(seconds, dtype="float64"), np.asarray(edges, dtype="float64"))
    return pd.DataFrame(
        {"lower_seconds": edges[:-1], "upper_seconds": edges[1:], "entities": counts.astype(int)}
    )


def _gap_quantiles(reach: np.ndarray, prev: Any, level: np.ndarray, k: int) -> tuple[float, float]:
    """Median and p90 of the time from step k-1 to step k among the entities that reached k
    (whole, in a worker thread: the compiled passes let go of the GIL)."""
    earlier = np.zeros(0) if np.isscalar(prev) else np.ascontiguousarray(prev, dtype="float64")
    return _quantiles(gaps(np.ascontiguousarray(reach, dtype="float64"), earlier, level, k))


_THREADED_ENTITIES = 100_000  # from this many entities the summary's quantiles run in two threads


def _summarise(
    name: str, spec: Funnel, df: pd.DataFrame, start: date, end: date, by: str | None
) -> FunnelResult:
    n = len(spec.steps)
    names = spec.step_names()
    if spec.order == "any":
        names = [f"{k} of {n}" for k in range(1, n + 1)]
    within_s = parse_duration_days(spec.within) * 86400
    groups: list[tuple[Any, pd.DataFrame]] = list(df.groupby("b", dropna=False)) if by else [(None, df)]
    # NumPy, not pandas, per column: a quarter of the time on 600,000 entities
    columns = []  # per group: level, seconds of the converted, its step rows and its times row
    step_rows: list[dict[str, Any]] = []
    time_rows: list[dict[str, Any]] = []
    quantiles: list[tuple[dict[str, Any], Callable[[], tuple[float, float]]]] = []  # (row, its median, p90)
    for value, g in groups:
        level = g["level"].to_numpy()
        reach = {k: g[f"reach_{k}"].to_numpy(dtype="float64", na_value=np.nan) for k in range(2, n + 1)}
        done = g["seconds"].to_numpy(dtype="float64", na_value=np.nan)[level == n]
        rows = [{} if by is None else {by: value} for _ in range(n)]  # filled in below
        t: dict[str, Any] = {} if by is None else {by: value}
        if spec.order != "any":
            quantiles += [
                (rows[k - 1], partial(_gap_quantiles, reach[k], 0.0 if k == 2 else reach[k - 1], level, k))
                for k in range(2, n + 1)
            ]
        quantiles.append((t, partial(_quantiles, done)))
        columns.append((level, done, rows, t))
        step_rows += rows
        time_rows.append(t)
    # the medians and p90s in two threads (the compiled passes let go of the GIL) while this
    # thread counts the steps and the histogram
    pool = ThreadPoolExecutor(2) if len(df) >= _THREADED_ENTITIES else None
    pending = [pool.submit(job) for _, job in quantiles] if pool else []
    hist = []
    for (value, _), (level, done, rows, t) in zip(groups, columns, strict=True):
        at_least = np.cumsum(level_counts(level, n)[::-1])[::-1]
        counts = [int(at_least[k]) for k in range(1, n + 1)]
        for k, row in enumerate(rows, 1):
            c = counts[k - 1]
            row.update(
                step=k,
                step_name=names[k - 1],
                entities=c,
                conversion=c / counts[0] if counts[0] else float("nan"),
                step_conversion=c / counts[k - 2]
                if k > 1 and counts[k - 2]
                else (1.0 if k == 1 and c else float("nan")),
                dropped=counts[k - 2] - c if k > 1 else 0,
                median_seconds=float("nan"),
                p90_seconds=float("nan"),
            )
        t.update(converted=len(done), median_seconds=float("nan"), p90_seconds=float("nan"))
        h = histogram(done, within_s)
        if by is not None:
            h.insert(0, by, value)
        hist.append(h)
    if pool:
        with pool:
            answers = [p.result() for p in pending]
    else:
        answers = [job() for _, job in quantiles]
    for (r, _), (med, p90) in zip(quantiles, answers, strict=True):
        r.update(median_seconds=med, p90_seconds=p90)
    keys = [by] if by else []
    step_cols = [*keys, "step", "step_name", "entities", "conversion", "step_conversion", "dropped"]
    steps = pd.DataFrame(step_rows, columns=[*step_cols, "median_seconds", "p90_seconds"])
    times = pd.DataFrame(time_rows, columns=[*keys, "converted", "median_seconds", "p90_seconds"])
    histo = (
        pd.concat(hist, ignore_index=True) if hist else histogram(pd.Series([], dtype="float64"), within_s)
    )
    entities = df.rename(columns={"e": "entity", "b": by or "b", "seconds": "seconds_to_last_step"})
    if not by:
        entities = entities.drop(columns=["b"], errors="ignore")
    return FunnelResult(
        name,
        steps,
        times,
        by,
        start,
        end,
        str(spec.within),
        entities.reset_index(drop=True),
        histo,
        spec.order,
        spec.attribution,
    )


def run_funnel_over_time(
    project: Project,
    engine: Engine,
    name: str,
    start: date,
    end: date,
    grain: str,
    by: str | None = None,
    where: str | None = None,
) -> pd.DataFrame:
    """Conversion by entry period: each period's attempts on their own (an entity may enter in
    several periods), best attempt per entity and period. Columns: period, [by], entered,
    converted, conversion, complete (the period lies wholly inside the range and every entrant
    has had the whole window before the data ends; otherwise the figure may still change).
    ``where``: only source rows matching it count as steps (see :func:`run_funnel`)."""
    from northstar.compile.request import GRAINS

    if grain not in GRAINS:
        raise QueryError(f"unknown grain {grain!r}: choose one of {', '.join(GRAINS)}")
    spec = funnel_spec(project, name)
    keys = ["period", *([by] if by else [])]
    if project.coverage(engine, spec.source) is None:
        return pd.DataFrame(columns=[*keys, "entered", "converted", "conversion", "complete"])
    df = funnel_frame(project, engine, spec, start, end, [by] if by else [], grain, where)
    df = df.rename(columns={"b0": by}) if by else df
    df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    df["done"] = df["level"] == len(spec.steps)
    out = df.groupby(keys, dropna=False).agg(entered=("e", "size"), converted=("done", "sum")).reset_index()
    out["converted"] = out["converted"].astype(int)
    out["conversion"] = out["converted"] / out["entered"]
    out["complete"] = _complete_periods(project, engine, spec, out["period"], grain, start, end)
    return out.sort_values(keys).reset_index(drop=True)


def _complete_periods(
    project: Project, engine: Engine, spec: Funnel, periods: pd.Series, grain: str, start: date, end: date
) -> pd.Series:
    cov = project.coverage(engine, spec.source)
    if cov is None or periods.empty:
        return pd.Series([], dtype=bool)
    stops = periods.map(lambda p: p + PERIOD_LENGTH[grain])
    cutoff = pd.Timestamp(cov[1]) - pd.Timedelta(days=parse_duration_days(spec.within))
    inside = (periods >= pd.Timestamp(start)) & (stops <= pd.Timestamp(end) + pd.Timedelta(days=1))
    return (inside & (stops <= cutoff)).astype(bool)
