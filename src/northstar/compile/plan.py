"""Build the Ibis expressions for a query: one grouped scan per source, one per repeat-rate metric.

Every user filter and column expression goes through :mod:`northstar.spec.expressions`, so only
checked names and whitelisted constructs reach the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import ibis

from northstar.compile.catalog import Resolved
from northstar.compile.request import IBIS_UNIT
from northstar.engine.base import HIDDEN, TS
from northstar.errors import ExpressionError, QueryError
from northstar.spec.expressions import Parsed, parse, to_ibis
from northstar.spec.models import Dimension, Source, parse_duration_days

if TYPE_CHECKING:
    from northstar.compile.request import QueryRequest
    from northstar.engine.base import Engine
    from northstar.project import Project

PERIOD = "period"
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True)
class Slice:
    """How a query cuts one source: the time window, grain, dimension columns and extra filter."""

    start: datetime
    end: datetime  # exclusive
    grain: str | None
    by: tuple[str, ...]
    where: str | None


def dimension_columns(
    source_name: str, by: Sequence[str], dimensions: Mapping[str, Dimension]
) -> dict[str, str]:
    return {d: dimensions[d].column_in(d, source_name) for d in by}


def _where(table: Any, source_name: str, sl: Slice, dimensions: Mapping[str, Dimension]) -> Any:
    if not sl.where:
        return None
    cols = {d: dim.column_in(d, source_name) for d, dim in dimensions.items()}
    available = {d: c for d, c in cols.items() if c in table.columns}
    try:
        parsed = parse(sl.where, known=available, what="--where filter")
    except ExpressionError as exc:
        raise _where_hint(exc, sl.where, source_name, available, cols, table) from None
    return to_ibis(parsed, lambda name: table[available[name]])


def _where_hint(
    exc: ExpressionError,
    text: str,
    source: str,
    available: Mapping[str, str],
    cols: Mapping[str, str],
    table: Any,
) -> ExpressionError:
    """Say why a --where filter does not fit: dimensions only, per source, single quotes for text."""
    import re

    hint_en, hint_zh = "", ""
    unknown = re.search(r"unknown column '([^']+)'", exc.plain)
    if '"' in text:
        hint_en = "; text values take single quotes, e.g. channel = 'email'"
        hint_zh = "；文本值请用单引号，例如 channel = 'email'"
    elif unknown and unknown.group(1) in cols:
        hint_en = f"; dimension {unknown.group(1)!r} is not on source {source!r}"
        hint_zh = f"；数据源 {source!r} 没有维度 {unknown.group(1)!r}"
    elif unknown:
        dims = ", ".join(available) or "none"
        if unknown.group(1) in table.columns:
            hint_en = f"; --where filters on dimensions ({dims}); filter other columns in a metric's filter:"
            hint_zh = f"；--where 只能按维度过滤（{dims}）；其他列请写在指标的 filter: 中"
        else:
            hint_en = f"; the dimensions of source {source!r} are: {dims}"
            hint_zh = f"；数据源 {source!r} 的维度有：{dims}"
    return ExpressionError(exc.plain + hint_en, exc.plain_zh + hint_zh, exc.suggestions)


def metric_filter(table: Any, spec_filter: str | None, what: str) -> Any:
    if not spec_filter:
        return None
    parsed = parse(spec_filter, known=[c for c in table.columns if c not in HIDDEN], what=what)
    return to_ibis(parsed, lambda name: table[name])


def row_filter(
    table: Any, source_name: str, where: str | None, dimensions: Mapping[str, Dimension], what: str
) -> Any:
    """A user's ``where`` on one source's rows (the funnel's and retention's shared dimension
    filter): :func:`metric_filter` over the source's columns, where a dimension's name also
    stands for its column on this source. Parsed and checked (unknown names raise
    ExpressionError with "did you mean"), never pasted into SQL. None without a filter."""
    if not where:
        return None
    known = {c: c for c in table.columns if c not in HIDDEN}
    cols = {d: dim.column_in(d, source_name) for d, dim in dimensions.items()}
    for d, col in cols.items():
        if col in known:
            known.setdefault(d, col)
    try:
        parsed = parse(where, known=known, what=what)
    except ExpressionError as exc:  # a dimension this source lacks, or double quotes: say so
        available = {d: c for d, c in cols.items() if c in known}
        raise _where_hint(exc, where, source_name, available, cols, table) from None
    return to_ibis(parsed, lambda name: table[known[name]])


def filter_columns(where: str) -> frozenset[str]:
    """The names a ``where`` refers to (unchecked; for deciding which source it fits)."""
    import sqlglot
    from sqlglot import exp

    try:
        return frozenset(c.name for c in sqlglot.parse_one(where, read="duckdb").find_all(exp.Column))
    except sqlglot.errors.SqlglotError:
        return frozenset()


def _value(table: Any, m: Resolved) -> Any:
    spec = m.spec
    if spec.expr and spec.type != "formula":
        parsed: Parsed = parse(
            spec.expr, known=[c for c in table.columns if c not in HIDDEN], what=f"metric {m.name!r} expr"
        )
        return to_ibis(parsed, lambda name: table[name])
    return table[spec.column] if spec.column else None


def _and(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def aggregation(table: Any, m: Resolved, source: Source) -> Any:
    """The reduction computing metric ``m`` over rows of ``table`` (grouping applied outside)."""
    spec = m.spec
    cond = metric_filter(table, spec.filter, f"metric {m.name!r} filter")
    kind = spec.type
    if kind == "count":
        return table.count(where=cond) if cond is not None else table.count()
    if kind == "count_distinct":
        col = table[spec.column or source.entity or ""]
        return col.nunique(where=cond)
    if kind in ("sum", "avg", "min", "max", "median", "percentile"):
        val = _value(table, m)
        if kind == "sum":
            return val.sum(where=cond)
        if kind == "avg":
            return val.cast("float64").mean(where=cond)
        if kind == "min":
            return val.min(where=cond)
        if kind == "max":
            return val.max(where=cond)
        q = 0.5 if kind == "median" else float(spec.percentile or 0.5)
        return val.cast("float64").quantile(q, where=cond)
    if kind == "relative":
        actual, ref = table[spec.column], table[spec.reference]
        if actual.type().is_timestamp() or actual.type().is_date():
            diff = (ref.cast("timestamp").epoch_seconds() - actual.cast("timestamp").epoch_seconds()).cast(
                "float64"
            ) / _SECONDS[spec.time_unit]
        else:
            diff = (ref - actual).cast("float64")
        cond = _and(cond, diff.notnull())
        stat = spec.stat or "avg"
        if stat == "avg":
            return diff.mean(where=cond)
        if stat == "median":
            return diff.quantile(0.5, where=cond)
        tol = float(spec.tolerance)
        hit = {
            "share_ahead": diff > tol,
            "share_late": diff < -tol,
            "share_on_time": (diff >= -tol) & (diff <= tol),
        }[stat]
        return ibis.ifelse(hit, 1, 0).cast("float64").mean(where=cond)
    if kind == "tiered":
        val = table[spec.column]
        reached = ibis.ifelse(val.notnull() & (val >= m.threshold), 1, 0).cast("float64")
        return reached.mean(where=cond)
    raise QueryError(f"metric {m.name!r} of type {kind} is not a single-scan aggregate")


def _keys(table: Any, source_name: str, sl: Slice, dimensions: Mapping[str, Dimension]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    if sl.grain:
        keys[PERIOD] = table[TS].truncate(IBIS_UNIT[sl.grain])
    for dim, col in dimension_columns(source_name, sl.by, dimensions).items():
        keys[dim] = table[col]
    return keys


def scan(
    table: Any,
    source_name: str,
    source: Source,
    metrics: Sequence[Resolved],
    sl: Slice,
    dimensions: Mapping[str, Dimension],
) -> Any:
    """One grouped scan computing every aggregate metric of one source."""
    where = (table[TS] >= sl.start) & (table[TS] < sl.end)
    extra = _where(table, source_name, sl, dimensions)
    rows = table.filter(_and(where, extra))
    aggs = {m.name: aggregation(rows, m, source) for m in metrics}
    keys = _keys(rows, source_name, sl, dimensions)
    if keys:
        return rows.group_by(**keys).aggregate(**aggs)
    return rows.aggregate(**aggs)


def distinct_scan(
    table: Any,
    source_name: str,
    source: Source,
    column: str,
    metrics: Sequence[Resolved],
    sl: Slice,
    dimensions: Mapping[str, Dimension],
) -> Any:
    """Distinct counts of one column in two levels: first one row per (keys, value) with a flag per
    metric saying whether any of its rows passes that metric's filter, then count the flags.

    DuckDB runs a GROUP BY mixing COUNT(DISTINCT …) with other aggregates several times slower
    than this (see benchmarks/README.md); the numbers are the same.
    """
    where = (table[TS] >= sl.start) & (table[TS] < sl.end) & table[column].notnull()
    rows = table.filter(_and(where, _where(table, source_name, sl, dimensions)))
    keys = _keys(rows, source_name, sl, dimensions)
    flags = {}
    for m in metrics:
        cond = metric_filter(rows, m.spec.filter, f"metric {m.name!r} filter")
        flags[f"__f_{m.name}"] = (cond if cond is not None else rows[column].notnull()).any()
    inner = rows.group_by(**{f"__k_{k}": v for k, v in keys.items()}, __v=rows[column]).aggregate(**flags)
    counts = {m.name: inner.count(where=inner[f"__f_{m.name}"]) for m in metrics}
    outer = {k: inner[f"__k_{k}"] for k in keys}
    return inner.group_by(**outer).aggregate(**counts) if outer else inner.aggregate(**counts)


def repeat_rate(
    table: Any, source_name: str, source: Source, m: Resolved, sl: Slice, dimensions: Mapping[str, Dimension]
) -> Any:
    """Share of entities active in a period with another qualifying row within ``within`` of
    their first row in the period (see docs/spec.md, *repeat_rate*)."""
    spec = m.spec
    entity = spec.column or source.entity
    if not entity:
        raise QueryError(f"metric {m.name!r}: repeat_rate needs the source's entity column")
    within_s = parse_duration_days(spec.within or "30d") * 86400
    look_ahead = sl.end + _timedelta(within_s)
    rows = table.filter((table[TS] >= sl.start) & (table[TS] < look_ahead))
    if spec.min_gap is not None or spec.repeat_filter:  # repurchase options: see compile/repeat.py
        from northstar.compile.repeat import repeat_rate_with_options

        where = _where(rows, source_name, sl, dimensions)
        rows = rows.filter(where) if where is not None else rows
        return repeat_rate_with_options(
            rows, m, entity, _keys(rows, source_name, sl, dimensions), sl.end, within_s
        )
    cond = _and(
        metric_filter(rows, spec.filter, f"metric {m.name!r} filter"),
        _where(rows, source_name, sl, dimensions),
    )
    if cond is not None:
        rows = rows.filter(cond)
    keys = _keys(rows, source_name, sl, dimensions)
    rows = rows.select(__ts=rows[TS], __e=rows[entity], **{f"__k_{k}": v for k, v in keys.items()})
    # One window per entity, ordered by time then slice, gives both neighbours of every row: a row
    # is an entity's first in its period when the row before it is missing or in another period;
    # it repeats when the row after it comes within the window. Ties are broken the same way in
    # both, so the answer does not depend on the engine's sort.
    window = ibis.window(
        group_by=rows.__e, order_by=[rows.__ts, *[rows[f"__k_{k}"] for k in keys if k != PERIOD]]
    )
    first = rows.__ts.lag().over(window).isnull()
    if PERIOD in keys:
        first = first | (rows[f"__k_{PERIOD}"].lag().over(window) != rows[f"__k_{PERIOD}"])
    rows = rows.mutate(__next=rows.__ts.lead().over(window), __first=first)
    firsts = rows.filter(rows.__first & (rows.__ts < sl.end))
    gap = firsts.__next.epoch_seconds() - firsts.__ts.epoch_seconds()
    repeated = ibis.ifelse(firsts.__next.notnull() & (gap <= within_s), 1, 0).cast("float64")
    firsts = firsts.mutate(__rep=repeated)
    group = {k: firsts[f"__k_{k}"] for k in keys}
    agg = {m.name: firsts.__rep.mean()}
    return firsts.group_by(**group).aggregate(**agg) if group else firsts.aggregate(**agg)


def _timedelta(seconds: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Step:
    """One expression to execute, with a label for progress bars and SQL listings."""

    label: str
    expr: Any
    post: Any = None  # turns what ``expr`` returns into the metric's rows, when that is not a plain frame


def plan_query(
    project: Project, engine: Engine, order: Sequence[str], request: QueryRequest, start: date, end: date
) -> list[Step]:
    """The scans computing every non-derived metric in ``order`` over [start, end]."""
    from northstar.compile.request import range_bounds

    lo, hi = range_bounds(start, end)
    sl = Slice(lo, hi, request.grain, tuple(request.by), request.where)
    by_source: dict[str, list[Resolved]] = {}
    singles: list[Resolved] = []
    for name in order:
        m = project.catalog.metrics[name]
        if m.is_aggregate:
            by_source.setdefault(m.spec.source or "", []).append(m)
        elif m.kind in ("repeat_rate", "conversion", "active_users"):
            singles.append(m)
    dims = project.spec.dimensions
    steps: list[Step] = []
    for src_name, ms in by_source.items():
        if project.coverage(engine, src_name) is None:
            continue  # no rows: nothing to scan (and an empty export's columns have no real types)
        table = project.table(engine, src_name)
        _check_dims(src_name, table, request.by, dims)
        source = project.spec.sources[src_name]
        plain = [m for m in ms if m.kind != "count_distinct"]
        distinct: dict[str, list[Resolved]] = {}
        for m in ms:
            if m.kind == "count_distinct":
                distinct.setdefault(m.spec.column or source.entity or "", []).append(m)
        if plain:
            expr = scan(table, src_name, source, plain, sl, dims)
            steps.append(Step(f"scan {src_name}: {', '.join(m.name for m in plain)}", expr))
        for column, group in distinct.items():
            expr = distinct_scan(table, src_name, source, column, group, sl, dims)
            names = ", ".join(m.name for m in group)
            steps.append(Step(f"distinct {column} on {src_name}: {names}", expr))
    for m in singles:
        src_name = project.source_of(m.name) or ""
        if project.coverage(engine, src_name) is None:
            continue
        table = project.table(engine, src_name)
        _check_dims(src_name, table, request.by, dims)
        if m.kind == "conversion":
            steps.append(
                Step(f"conversion {m.name} on {src_name}", _conversion(project, engine, m, sl, start, end))
            )
            continue
        if m.kind == "active_users":
            from northstar.analysis.activity import active_users_step

            expr, post = active_users_step(
                project, engine, m.name, m.spec, sl.grain, sl.by, start, end, _where_of(sl)
            )
            steps.append(Step(f"active users {m.name} on {src_name}", expr, post))
            continue
        expr = repeat_rate(table, src_name, project.spec.sources[src_name], m, sl, dims)
        steps.append(Step(f"repeat rate {m.name} on {src_name}", expr))
    return steps


def _check_dims(src_name: str, table: Any, by: Sequence[str], dims: Mapping[str, Dimension]) -> None:
    for dim in by:
        col = dims[dim].column_in(dim, src_name)
        if col not in table.columns:
            raise QueryError(
                f"dimension {dim!r} is not available on source {src_name!r} (no column {col!r}); "
                f"map it with dimensions.{dim}.columns.{src_name}: <column>",
                f"数据源 {src_name!r} 没有维度 {dim!r}（没有列 {col!r}）；"
                f"请用 dimensions.{dim}.columns.{src_name}: <列名> 指定对应的列",
            )


def _conversion(project: Project, engine: Engine, m: Resolved, sl: Slice, start: date, end: date) -> Any:
    from northstar.analysis.funnels import conversion_expr, conversion_funnel

    source = conversion_funnel(project, m.name, m.spec)[0].source
    dims = project.spec.dimensions

    def where(table: Any) -> Any:
        cond = _and(
            metric_filter(table, m.spec.filter, f"metric {m.name!r} filter"), _where(table, source, sl, dims)
        )
        return ibis.literal(True) if cond is None else cond

    return conversion_expr(project, engine, m.name, m.spec, start, end, sl.grain, sl.by, where)


def _where_of(sl: Slice) -> Any:
    """The query's ``--where`` as a function of a source table (or None)."""
    if not sl.where:
        return None

    def build(table: Any, source: str, dimensions: Mapping[str, Dimension]) -> Any:
        return _where(table, source, sl, dimensions)

    return build
