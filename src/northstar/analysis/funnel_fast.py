"""The ordered funnel on DuckDB, fast: one sorted scan in DuckDB, then a vectorised NumPy pass.

It computes exactly what :func:`northstar.analysis.funnels.funnel_expr` computes for an ordered
funnel without exclusions (the portable version: one Ibis join per step), and returns the same
columns with the same types. The semantics, for a user to check by hand:

Two clocks, as in ``funnel_expr``: ``t`` is the row's instant in UTC (it orders rows and
measures windows and elapsed seconds, so a DST change neither reorders events nor stretches a
window) and ``tl`` is its wall-clock time in the project timezone (it places rows in the date
range and in entry periods).

- The input rows are the source's rows with ``lo <= tl < hi + within + 1 day`` (a day of margin
  for DST), a flag per step (``s1`` … ``sn``: does the row match step k; a row may match several
  steps, a null is "no") and optional breakdown columns ``b0``, ``b1`` ….
- Every row of step 1 with ``tl < hi`` starts an *attempt* at ``s = t``. Rows of one entity at
  the same instant start the same attempt.
- Step k+1 counts at the earliest row of the same entity that matches step k+1, with
  ``t >= t_k`` (``t > t_k`` when step k+1 matches the same rows as step k, so a row never
  counts twice for a repeated step) and ``t <= s + within``. The attempt's *level* is the last
  step it reaches; taking the earliest row at every step reaches the most steps.
- Per entity (per entity and entry period — the start's ``tl`` truncated to ``grain`` — with a
  grain) the best attempt wins: the highest level, then the earliest ``s``, then the smallest
  breakdown values (compared in order b0, b1 …, nulls last, as DuckDB sorts them).
- Output, one row per entity [and period]: ``e``, ``level`` (int8), ``seconds`` from ``s`` to
  the last step reached and ``reach_k`` from ``s`` to step k (float64, null when not reached),
  ``entered`` (the start's ``tl``), [``period``], and ``b0`` … from the best attempt's step-1
  row (``attribution: first``) or, per column, the smallest value among the rows of any step at
  the entity's instant of the last step reached (``attribution: last``).
- Rows without an entity (null ``e``) are nobody's: they are dropped.

How: DuckDB filters the rows of any step, packs the step flags into one integer and sorts by
(e, t, b); the sorted columns come back as Arrow arrays. NumPy then walks the steps, not the rows:
for every live attempt, ``np.searchsorted`` finds the first row of the next step at or after the
current step's (entity, time) group (or after it, for a repeated step), then checks the entity
and the window. The best attempt per entity is a segment reduction over attempts, which are
already in (entity, time, breakdown) order. Cost: one sort of the step rows in DuckDB, then
O(attempts × steps × log rows) in NumPy, with no Python loop over rows.

DuckDB only: other engines raise :class:`UnsupportedOnEngine` (use the portable funnel there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from northstar.analysis import funnel_kernel as kernel
from northstar.compile.request import GRAINS
from northstar.engine.base import TS, UTC
from northstar.errors import InternalError, UnsupportedOnEngine

if TYPE_CHECKING:
    from northstar.engine.base import Engine

__all__ = ["ordered_funnel_fast", "same_as_previous", "step_rows"]

_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def step_rows(
    table: Any,
    entity: str,
    conditions: Sequence[Any],
    lo: datetime,
    hi: datetime,
    window: timedelta,
    by: Sequence[str] = (),
    where: Any = None,
    one_clock: bool = False,
) -> Any:
    """The input of :func:`ordered_funnel_fast` from a source table (with ``__ts`` and
    ``__utc``): e, t (UTC), tl (wall clock), b0…bm (the ``by`` columns), s1…sn (``conditions``,
    one Ibis boolean per step), for the rows with ``lo <= tl < hi + window + 1 day`` (and
    ``where``, an Ibis boolean, when given). With ``one_clock`` (the two clocks agree: see
    :meth:`Engine.one_clock`) there is no ``tl`` column: ``t`` serves as both."""
    keep = (table[TS] >= lo) & (table[TS] < hi + window + timedelta(days=1))
    t = table.filter(keep if where is None else keep & where)
    cols: dict[str, Any] = {"e": t[entity], "t": t[UTC]}
    if not one_clock:
        cols["tl"] = t[TS]
    cols.update({f"b{i}": t[c] for i, c in enumerate(by)})
    cols.update({f"s{k}": cond for k, cond in enumerate(conditions, 1)})
    return t.select(**cols)


def same_as_previous(steps: Sequence[Any]) -> list[bool]:
    """Per step: does it match the same rows as the step before (the same event and filter)?
    ``steps`` are :class:`northstar.spec.models.FunnelStep` s; the first is never a repeat."""
    keys = [(s.event, s.filter) for s in steps]
    return [False] + [keys[k] == keys[k - 1] for k in range(1, len(keys))]


def ordered_funnel_fast(
    engine: Engine,
    rows: Any,
    n_steps: int,
    window: timedelta,
    lo: datetime,
    hi: datetime,
    same_as_previous: Sequence[bool],
    grain: str | None = None,
    attribution: str = "first",
) -> pd.DataFrame:
    """One row per entity (per entity and entry period with ``grain``) with its best attempt:
    e, level, seconds, entered, reach_2…reach_n, [period], b0…bm — the columns and types of
    :func:`northstar.analysis.funnels.funnel_expr` for an ordered funnel without exclusions.

    ``rows``: an Ibis table on ``engine`` with columns e, t, [tl], b0…bm, s1…s``n_steps`` (see
    :func:`step_rows`; without ``tl``, ``t`` is the wall clock too). ``same_as_previous[k]``: step k+1 matches the same rows as step k
    (0-based; the first entry is ignored). ``attribution``: breakdown values from the best
    attempt's step-1 row (``first``) or, per column, the smallest among the rows of any step at
    the entity's time of the last step reached (``last``)."""
    if engine.name != "duckdb":
        err = UnsupportedOnEngine(engine.name, "the fast funnel", "use the portable funnel (funnel_expr)")
        err.zh = f"快速漏斗只支持 DuckDB，不支持 {engine.name}；请使用通用漏斗（funnel_expr）"
        raise err
    if n_steps < 1 or len(same_as_previous) != n_steps:
        raise InternalError(f"ordered_funnel_fast: {n_steps} steps but {len(same_as_previous)} repeat flags")
    if grain is not None and grain not in GRAINS:
        raise InternalError(f"ordered_funnel_fast: unknown grain {grain!r}")
    if attribution not in ("first", "last"):
        raise InternalError(f"ordered_funnel_fast: unknown attribution {attribution!r}")
    bnames = sorted((c for c in rows.columns if re.fullmatch(r"b\d+", c)), key=lambda c: int(c[1:]))
    data = _step_table(engine, rows, n_steps, bnames, lo, hi)
    clock = "tl" if "tl" in data.column_names else "t"
    unit, lunit = data.schema.field("t").type.unit, data.schema.field(clock).type.unit
    per_second = _PER_SECOND[unit]
    t = t_read = _ints(data.column("t"))
    m = _ints(data.column("m"))
    ids = _ints(data.column("e")) if pa.types.is_integer(data.schema.field("e").type) else None
    key, t, m, order = _grouping(data.column("e"), ids, t, m)
    tl = t_read if clock == "t" else _ints(data.column(clock))  # wall clock, in read order
    if grain is None:
        period = np.zeros(0, dtype=np.int64)
    else:  # the entry period of every row that may start an attempt (others: unused)
        period = np.zeros(len(t), dtype=np.int64)
        starts = np.flatnonzero(m & m.dtype.type(1))
        period[starts] = _truncate(tl[_original(order, starts)], grain, lunit)
    n_out = kernel.count_runs(key, m, period)
    repeat = np.asarray(same_as_previous, dtype=np.bool_)
    pos, level, run_first, run_after, seconds, reach = kernel.best_attempts(
        key, t, m, period, n_steps, _window_ticks(window, per_second), repeat, per_second, n_out
    )
    rows_at = _original(order, pos)
    out: dict[str, Any] = {
        "e": pa.array(ids[rows_at], type=data.schema.field("e").type)
        if ids is not None
        else _take(data.column("e"), rows_at),
        "level": pa.array(level, type=pa.int8()),
        "seconds": pa.array(seconds, type=pa.float64()),
        "entered": pa.array(tl[rows_at], type=pa.timestamp(lunit)),
    }
    for k in range(2, n_steps + 1):
        out[f"reach_{k}"] = pa.array(reach[:, k - 2], from_pandas=True)  # NaN → null
    if grain is not None:
        out["period"] = pa.array(period[pos], type=pa.timestamp(lunit))
    if attribution == "first":
        out.update({b: _take(data.column(b), rows_at) for b in bnames})
    elif bnames:  # breakdowns make DuckDB sort the rows: the kernel's row numbers are the table's
        out.update(_smallest_in_runs(data, bnames, run_first, run_after))
    return pa.table(out).to_pandas()


def _step_table(
    engine: Engine, rows: Any, n_steps: int, bnames: list[str], lo: datetime, hi: datetime
) -> pa.Table:
    """The rows of any step with a non-null entity, with the step flags packed into one integer
    ``m`` (bit k-1 set: the row matches step k; for step 1, only rows with ``lo <= tl < hi``:
    the ones that start attempts). A null flag is "no": the filter and ``CASE WHEN`` both treat
    it so; no ``COALESCE``, which would keep DuckDB from pushing ``event = 'a' OR event = 'b' …``
    into the scan (a third more time at 10M rows).

    Without breakdown columns the rows come in stored order (the caller groups them; rows
    stored by entity and time need nothing more). With them, DuckDB sorts by (e, t, b0…, nulls
    last), the order that picks the smallest breakdown value among rows at one instant."""
    flags = [rows[f"s{k}"] for k in range(1, n_steps + 1)]
    any_step = reduce(lambda x, y: x | y, flags)
    clock = rows.tl if "tl" in rows.columns else rows.t
    flags[0] = flags[0] & (clock >= lo) & (clock < hi)
    dtype = next(f"uint{b}" for b in (8, 16, 32, 64) if n_steps <= b)
    bits = [
        f.ifelse(ibis.literal(1 << k, type=dtype), ibis.literal(0, type=dtype)) for k, f in enumerate(flags)
    ]
    cols: dict[str, Any] = {
        "e": rows.e,
        "t": rows.t,
        **{c: rows[c] for c in ("tl", *bnames) if c in rows.columns},
    }
    cols["m"] = reduce(lambda x, y: x + y, bits).cast(dtype)
    expr = rows.filter(any_step & rows.e.notnull()).select(**cols)
    if bnames:
        expr = expr.order_by([expr.e, expr.t, *[expr[b].asc(nulls_first=False) for b in bnames]])
    duck: Any = engine  # a DuckDBEngine: ``con`` is its DuckDB connection
    table: pa.Table = duck.con.sql(engine.sql(expr)).to_arrow_table()
    return table


def _ints(column: pa.ChunkedArray) -> np.ndarray:
    """A column without nulls as a NumPy integer array (timestamps as ticks)."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_timestamp(array.type):
        array = array.view(pa.int64())
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _grouping(
    e: pa.ChunkedArray, ids: np.ndarray | None, t: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows grouped by entity in time order: a bucket number per row, equal for the rows of
    one entity, the times and the flags, in that order, and the order itself (each row's number
    in the table; None when the rows came grouped). Integer ids whose range is at
    most about twice the rows are their own bucket (less the smallest); other ids (text, sparse
    integers) are numbered by a hash table (Arrow's dictionary encoding)."""
    n = len(t)
    bucket: np.ndarray | None = None
    if ids is not None and n:  # integer ids (``e`` as NumPy)
        low, high = int(ids.min()), int(ids.max())
        if high - low <= 2 * n + 1024:
            bucket = ids.astype(np.int64, copy=False)
            bucket, n_buckets = (bucket - low if low else bucket), high - low + 1
    if bucket is None:
        encoded = pc.dictionary_encode(e.combine_chunks())
        bucket = np.asarray(encoded.indices.to_numpy(zero_copy_only=False)).astype(np.int64)
        n_buckets = len(encoded.dictionary)
    if kernel.grouped(bucket, n_buckets, t):
        return bucket, t, m, None
    if n >= 2**32 or n_buckets >= 2**32:  # beyond the kernel's packing: NumPy's sort
        order = np.lexsort((t, bucket))
        return bucket[order], t[order], m[order], order
    order, bucket, t, m = kernel.group_rows(bucket, n_buckets, t, m)
    return bucket, t, m, order


def _original(order: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """Row numbers in the kernel's order → row numbers in the table."""
    return rows if order is None else order[rows]


def _take(column: pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """``column[rows]``: NumPy indexing for numbers without nulls (much faster than Arrow's
    ``take`` for a few hundred thousand rows), Arrow otherwise."""
    typ = column.type
    if column.null_count == 0 and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
        values = np.asarray(column.combine_chunks().to_numpy(zero_copy_only=False))
        return pa.array(values[rows], type=typ)
    return column.take(pa.array(rows))


def _window_ticks(window: timedelta, per_second: int) -> int:
    return (window.days * 86_400 + window.seconds) * per_second + window.microseconds * per_second // 10**6


def _smallest_in_runs(
    data: pa.Table, bnames: list[str], first: np.ndarray, after: np.ndarray
) -> dict[str, pa.Array]:
    """Per (entity, time) run given by its bounds ``[first, after)``: the smallest value of each
    breakdown column over the run (null only when the run has no value), for
    ``attribution: last``."""
    lengths = after - first
    owner = np.repeat(np.arange(len(first)), lengths)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    members = pa.array(first[owner] + offset)
    table = pa.table({"o": owner, **{b: data.column(b).take(members) for b in bnames}})
    agg = table.group_by("o").aggregate([(b, "min") for b in bnames]).sort_by("o")
    return {b: agg.column(f"{b}_min") for b in bnames}


def _truncate(ticks: np.ndarray, grain: str, unit: str) -> np.ndarray:
    """Start of the period (hour, day, ISO week from Monday, month, quarter, year) of each
    naive time, in ticks of ``unit`` (what DuckDB's ``date_trunc`` gives)."""
    when = ticks.astype(f"datetime64[{unit}]")
    if grain == "hour":
        out = when.astype("datetime64[h]")
    elif grain == "day":
        out = when.astype("datetime64[D]")
    elif grain == "week":
        days = when.astype("datetime64[D]").astype(np.int64)
        out = (days - (days + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday
    elif grain in ("month", "quarter"):
        months = when.astype("datetime64[M]").astype(np.int64)
        out = (months - months % 3 if grain == "quarter" else months).astype("datetime64[M]")
    else:
        out = when.astype("datetime64[Y]")
    return out.astype(f"datetime64[{unit}]").astype(np.int64)
