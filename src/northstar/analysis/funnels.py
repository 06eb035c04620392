"""Funnels: how many entities go through ordered steps within a conversion window.

Semantics (the same as PostHog's ordered funnels and ClickHouse's ``windowFunnel``): every
occurrence of step 1 inside the date range starts an *attempt*; step k+1 counts when it happens
at or after step k (strictly after when both steps are the same event, so one row never counts
twice) and no later than ``within`` after the attempt's step 1 (other events may come
between). Each entity is counted once, by its best attempt: the one that reaches the most steps,
and among those the earliest. A breakdown value is taken from the best attempt's step-1 row.
Time to convert is measured on the best attempt, from step 1 to the last step.

Everything runs in the engine (Ibis): one join per step, then one aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from northstar.compile.plan import metric_filter
from northstar.compile.request import IBIS_UNIT, range_bounds
from northstar.engine.base import TS
from northstar.errors import QueryError
from northstar.spec.models import Funnel, parse_duration_days
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project


@dataclass(frozen=True)
class FunnelResult:
    """Per breakdown value and step: entities that reached it, conversions and drop-offs.

    ``steps`` columns: [by], step (1-based), step_name, entities, conversion (from step 1),
    step_conversion (from the step before), dropped (lost since the step before).
    ``times`` columns: [by], converted, median_seconds, p90_seconds (step 1 → last step).
    """

    name: str
    steps: pd.DataFrame
    times: pd.DataFrame
    by: str | None
    start: date
    end: date
    within: str
    entities: pd.DataFrame  # per entity: entity, level (last step reached), seconds_to_last_step, [by]

    def dropped_at(self, step: int) -> pd.DataFrame:
        """Entities that reached the step before ``step`` but not ``step`` (for re-targeting)."""
        n = int(self.steps["step"].max()) if len(self.steps) else 0
        if not 2 <= step <= n:
            raise QueryError(f"step must be between 2 and {n}", f"步骤必须在 2 到 {n} 之间")
        return self.entities[self.entities["level"] == step - 1].reset_index(drop=True)


def run_funnel(
    project: Project, engine: Engine, name: str, start: date, end: date, by: str | None = None
) -> FunnelResult:
    spec = funnel_spec(project, name)
    if project.coverage(engine, spec.source) is None:  # no rows at all: nobody entered
        per_entity = pd.DataFrame({"e": [], "level": [], "seconds": [], "entered": [], "b": []})
    else:
        per_entity = engine.execute(funnel_expr(project, engine, spec, start, end, by))
    return _summarise(name, spec, per_entity, start, end, by)


def funnel_spec(project: Project, name: str) -> Funnel:
    """The funnel called ``name``, or a QueryError with near names."""
    if name not in project.spec.funnels:
        raise QueryError(
            f"unknown funnel {name!r}" + did_you_mean(name, project.spec.funnels),
            f"未知的漏斗 {name!r}" + did_you_mean(name, project.spec.funnels, "zh"),
        )
    return project.spec.funnels[name]


def funnel_expr(
    project: Project,
    engine: Engine,
    spec: Funnel,
    start: date,
    end: date,
    by: str | None,
    grain: str | None = None,
) -> Any:
    """One row per entity (per entity and entry period with ``grain``): its best attempt's level,
    step-1 time, seconds to its last step and breakdown."""
    source = project.spec.sources[spec.source]
    table = project.table(engine, spec.source)
    entity = spec.count_by or source.entity
    if not entity or entity not in table.columns:
        raise QueryError(f"funnel: count_by {entity!r} is not a column of source {spec.source!r}")
    by_col = None
    if by is not None:
        if by in project.spec.dimensions:
            by_col = project.spec.dimensions[by].column_in(by, spec.source)
        else:
            by_col = by
        if by_col not in table.columns:
            raise QueryError(
                f"funnel: cannot break down by {by!r}: source {spec.source!r} has no such column"
            )
    window = timedelta(days=parse_duration_days(spec.within))
    lo, hi = range_bounds(start, end)
    conds = [_step_condition(table, spec, i) for i in range(len(spec.steps))]

    def rows(i: int, upto: Any) -> Any:
        t = table.filter(conds[i] & (table[TS] >= lo) & (table[TS] < upto))
        cols = {"e": t[entity], "t": t[TS]}
        if i == 0 and by_col is not None:
            cols["b"] = t[by_col]
        return t.select(**cols)

    attempts = rows(0, hi).distinct()
    attempts = attempts.mutate(s=attempts.t, t1=attempts.t)
    keys = ["e", "s"] + (["b"] if by_col is not None else [])
    current = attempts.select(*keys, "t1", tk=attempts.t)
    reached = {1: current}
    for i in range(1, len(spec.steps)):
        nxt = rows(i, hi + window)
        # a row cannot count for two steps in a row: a repeated step ("viewed twice") needs a later row
        same = spec.steps[i].model_dump(exclude={"name", "label"}) == spec.steps[i - 1].model_dump(
            exclude={"name", "label"}
        )
        after = nxt.t > current.tk if same else nxt.t >= current.tk
        j = current.join(nxt, [current.e == nxt.e, after, nxt.t <= current.s + window])
        current = j.group_by([j[k] for k in keys] + [j.t1]).aggregate(tk=j.t.min())
        reached[i + 1] = current
    # level per attempt = the highest step whose table holds it
    level = attempts.select(*keys, tlast=attempts.t).mutate(level=ibis.literal(1))
    for k in range(2, len(spec.steps) + 1):
        r = reached[k].select(*keys, tk_=reached[k].tk)
        level = level.left_join(r, [level[c] == r[c] for c in keys]).select(
            *[level[c] for c in keys],
            level=ibis.ifelse(r.tk_.notnull(), k, level.level),
            tlast=ibis.ifelse(r.tk_.notnull(), r.tk_, level.tlast),
        )
    order = [ibis.desc(level.level), level.s]
    if by_col is not None:
        order.append(level.b)
    groups = [level.e]
    if grain is not None:
        level = level.mutate(p=level.s.truncate(IBIS_UNIT[grain]))
        groups = [level.e, level.p]
        order = [ibis.desc(level.level), level.s, *([level.b] if by_col is not None else [])]
    best = level.mutate(rn=ibis.row_number().over(group_by=groups, order_by=order))
    best = best.filter(best.rn == 0)
    seconds = (best.tlast.epoch_seconds() - best.s.epoch_seconds()).cast("float64")
    out = {"e": best.e, "level": best.level, "seconds": seconds, "entered": best.s}
    if grain is not None:
        out["period"] = best.p
    if by_col is not None:
        out["b"] = best.b
    return best.select(**out)


def _step_condition(table: Any, spec: Funnel, i: int) -> Any:
    step = spec.steps[i]
    cond = None
    if step.event is not None:
        if spec.event_column not in table.columns:
            raise QueryError(f"funnel: event column {spec.event_column!r} is not in source {spec.source!r}")
        cond = table[spec.event_column] == step.event
    flt = metric_filter(table, step.filter, f"funnel step {i + 1} filter")
    if flt is not None:
        cond = flt if cond is None else cond & flt
    return cond


def _summarise(
    name: str, spec: Funnel, df: pd.DataFrame, start: date, end: date, by: str | None
) -> FunnelResult:
    n = len(spec.steps)
    names = spec.step_names()
    groups: list[tuple[Any, pd.DataFrame]] = list(df.groupby("b", dropna=False)) if by else [(None, df)]
    step_rows, time_rows = [], []
    for value, g in groups:
        counts = [int((g["level"] >= k).sum()) for k in range(1, n + 1)]
        for k in range(1, n + 1):
            c = counts[k - 1]
            row: dict[str, Any] = {} if by is None else {by: value}
            row.update(
                step=k,
                step_name=names[k - 1],
                entities=c,
                conversion=c / counts[0] if counts[0] else float("nan"),
                step_conversion=c / counts[k - 2]
                if k > 1 and counts[k - 2]
                else (1.0 if k == 1 and c else float("nan")),
                dropped=counts[k - 2] - c if k > 1 else 0,
            )
            step_rows.append(row)
        done = g.loc[g["level"] == n, "seconds"].astype("float64")
        t: dict[str, Any] = {} if by is None else {by: value}
        t.update(
            converted=len(done),
            median_seconds=float(done.quantile(0.5)) if len(done) else float("nan"),
            p90_seconds=float(done.quantile(0.9)) if len(done) else float("nan"),
        )
        time_rows.append(t)
    keys = [by] if by else []
    step_cols = [*keys, "step", "step_name", "entities", "conversion", "step_conversion", "dropped"]
    steps = pd.DataFrame(step_rows, columns=step_cols)
    times = pd.DataFrame(time_rows, columns=[*keys, "converted", "median_seconds", "p90_seconds"])
    entities = df.rename(columns={"e": "entity", "b": by or "b", "seconds": "seconds_to_last_step"})
    if not by:
        entities = entities.drop(columns=["b"], errors="ignore")
    return FunnelResult(name, steps, times, by, start, end, str(spec.within), entities.reset_index(drop=True))


def run_funnel_over_time(
    project: Project, engine: Engine, name: str, start: date, end: date, grain: str, by: str | None = None
) -> pd.DataFrame:
    """Conversion by entry period: each period's attempts on their own (an entity may enter in
    several periods), best attempt per entity and period. Columns: period, [by], entered,
    converted, conversion."""
    from northstar.compile.request import GRAINS

    if grain not in GRAINS:
        raise QueryError(f"unknown grain {grain!r}: choose one of {', '.join(GRAINS)}")
    spec = funnel_spec(project, name)
    keys = ["period", *([by] if by else [])]
    if project.coverage(engine, spec.source) is None:
        return pd.DataFrame(columns=[*keys, "entered", "converted", "conversion"])
    df = engine.execute(funnel_expr(project, engine, spec, start, end, by, grain))
    df = df.rename(columns={"b": by}) if by else df
    df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    df["done"] = df["level"] == len(spec.steps)
    out = df.groupby(keys, dropna=False).agg(entered=("e", "size"), converted=("done", "sum")).reset_index()
    out["converted"] = out["converted"].astype(int)
    out["conversion"] = out["converted"] / out["entered"]
    return out.sort_values(keys).reset_index(drop=True)
