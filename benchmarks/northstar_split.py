"""A prototype of the query plan the benchmark suggests (see README.md, "Findings"), for src/ to adopt.

``install()`` replaces, in this process only, the ``plan_query`` that
:mod:`northstar.analysis.metrics` calls. Nothing in ``src/`` changes; the benchmark runs it as the
approach ``northstar_split`` and checks its results like every other approach.

Two changes against :func:`northstar.compile.plan.plan_query`:

1. **Split the grouped scan.** DuckDB runs one ``GROUP BY`` that mixes ``COUNT(DISTINCT …)`` with
   other aggregates several times slower than the same aggregates in separate statements. So per
   source: one scan for every aggregate that is not ``count_distinct``, and per distinct column one
   two-level aggregate — ``GROUP BY keys, column`` with ``bool_or(filter)`` per metric, then
   ``count(*) FILTER (WHERE flag)`` per metric ``GROUP BY keys``. Null values of the column are
   dropped first, as ``COUNT(DISTINCT)`` does.
2. **repeat_rate with one window.** ``lead`` and ``lag`` over the same
   ``(PARTITION BY entity ORDER BY time, dims)``; an entity's first row in a period is the row
   whose previous row is missing or in another period. One sort instead of two, and no ambiguity
   when an entity has two rows with the same time and dimension values (with two windows sorted
   separately, ``row_number`` and ``lead`` may break such ties differently, and the result changes
   from run to run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis

from northstar.compile import plan as P


def distinct_scans(
    table: Any, source_name: str, source: Any, metrics: Sequence[Any], sl: Any, dimensions: Mapping[str, Any]
) -> list[tuple[str, Any]]:
    """One two-level aggregate per distinct column (see module docstring)."""
    rows = table.filter(
        P._and(
            (table[P.TS] >= sl.start) & (table[P.TS] < sl.end), P._where(table, source_name, sl, dimensions)
        )
    )
    by_column: dict[str, list[Any]] = {}
    for m in metrics:
        by_column.setdefault(m.spec.column or source.entity or "", []).append(m)
    out = []
    for column, ms in by_column.items():
        kept = rows.filter(rows[column].notnull())
        keys = P._keys(kept, source_name, sl, dimensions)
        flags = {}
        for i, m in enumerate(ms):
            cond = P.metric_filter(kept, m.spec.filter, f"metric {m.name!r} filter")
            if cond is not None:
                flags[f"__f{i}"] = cond.any()
        inner = (
            kept.group_by(**keys, __entity=kept[column]).aggregate(**flags)
            if flags
            else kept.group_by(**keys, __entity=kept[column]).aggregate(__n=kept.count())
        )
        aggs = {
            m.name: inner.count(where=inner[f"__f{i}"]) if f"__f{i}" in flags else inner.count()
            for i, m in enumerate(ms)
        }
        names = list(keys)
        expr = inner.group_by(names).aggregate(**aggs) if names else inner.aggregate(**aggs)
        out.append((f"distinct {column} on {source_name}: {', '.join(m.name for m in ms)}", expr))
    return out


def repeat_rate(
    table: Any, source_name: str, source: Any, m: Any, sl: Any, dimensions: Mapping[str, Any]
) -> Any:
    spec = m.spec
    entity = spec.column or source.entity
    within_s = P.parse_duration_days(spec.within or "30d") * 86400
    look_ahead = sl.end + P._timedelta(within_s)
    rows = table.filter((table[P.TS] >= sl.start) & (table[P.TS] < look_ahead))
    cond = P._and(
        P.metric_filter(rows, spec.filter, f"metric {m.name!r} filter"),
        P._where(rows, source_name, sl, dimensions),
    )
    if cond is not None:
        rows = rows.filter(cond)
    keys = P._keys(rows, source_name, sl, dimensions)
    dim_cols = [rows[c] for c in P.dimension_columns(source_name, sl.by, dimensions).values()]
    w = ibis.window(group_by=[rows[entity]], order_by=[rows[P.TS], *dim_cols])
    rows = rows.mutate(
        __next=rows[P.TS].lead().over(w),
        __prev=rows[P.TS].lag().over(w),
        **{f"__k_{k}": v for k, v in keys.items()},
    )
    first = rows.__prev.isnull()
    if P.PERIOD in keys:
        first = first | (rows.__prev.truncate(P.IBIS_UNIT[sl.grain]) != rows[f"__k_{P.PERIOD}"])
    firsts = rows.filter(first & (rows[P.TS] < sl.end))
    gap = firsts.__next.epoch_seconds() - firsts[P.TS].epoch_seconds()
    firsts = firsts.mutate(__rep=ibis.ifelse(firsts.__next.notnull() & (gap <= within_s), 1.0, 0.0))
    group = {k: firsts[f"__k_{k}"] for k in keys}
    agg = {m.name: firsts.__rep.mean()}
    return firsts.group_by(**group).aggregate(**agg) if group else firsts.aggregate(**agg)


def plan_query(
    project: Any, engine: Any, order: Sequence[str], request: Any, start: date, end: date
) -> list[Any]:
    from northstar.compile.request import range_bounds

    lo, hi = range_bounds(start, end)
    sl = P.Slice(lo, hi, request.grain, tuple(request.by), request.where)
    by_source: dict[str, list[Any]] = {}
    singles = []
    for name in order:
        m = project.catalog.metrics[name]
        if m.is_aggregate:
            by_source.setdefault(m.spec.source or "", []).append(m)
        elif m.kind == "repeat_rate":
            singles.append(m)
    dims = project.spec.dimensions
    steps = []
    for src_name, ms in by_source.items():
        table = project.table(engine, src_name)
        P._check_dims(src_name, table, request.by, dims)
        source = project.spec.sources[src_name]
        plain = [m for m in ms if m.kind != "count_distinct"]
        distinct = [m for m in ms if m.kind == "count_distinct"]
        if plain:
            steps.append(
                P.Step(
                    f"scan {src_name}: {', '.join(m.name for m in plain)}",
                    P.scan(table, src_name, source, plain, sl, dims),
                )
            )
        for label, expr in distinct_scans(table, src_name, source, distinct, sl, dims):
            steps.append(P.Step(label, expr))
    for m in singles:
        src_name = m.spec.source or ""
        table = project.table(engine, src_name)
        P._check_dims(src_name, table, request.by, dims)
        steps.append(
            P.Step(
                f"repeat rate {m.name} on {src_name}",
                repeat_rate(table, src_name, project.spec.sources[src_name], m, sl, dims),
            )
        )
    return steps


def install() -> None:
    import northstar.analysis.metrics as am

    am.plan_query = plan_query  # type: ignore[assignment]
