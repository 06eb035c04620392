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
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
) -> Any:
    """The input of :func:`ordered_funnel_fast` from a source table (with ``__ts`` and
    ``__utc``): e, t (UTC), tl (wall clock), b0…bm (the ``by`` columns), s1…sn (``conditions``,
    one Ibis boolean per step), for the rows with ``lo <= tl < hi + window + 1 day`` (and
    ``where``, an Ibis boolean, when given)."""
    keep = (table[TS] >= lo) & (table[TS] < hi + window + timedelta(days=1))
    t = table.filter(keep if where is None else keep & where)
    cols: dict[str, Any] = {"e": t[entity], "t": t[UTC], "tl": t[TS]}
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

    ``rows``: an Ibis table on ``engine`` with columns e, t, tl, b0…bm, s1…s``n_steps`` (see
    :func:`step_rows`). ``same_as_previous[k]``: step k+1 matches the same rows as step k
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
    data = _sorted_step_rows(engine, rows, n_steps, bnames, lo, hi)
    unit, lunit = data.schema.field("t").type.unit, data.schema.field("tl").type.unit
    per_second = _PER_SECOND[unit]
    t = data.column("t").cast(pa.int64()).to_numpy()
    segment = _segments(data.column("e"))
    groups = _tie_groups(segment, t, any(same_as_previous[1:]) or (attribution == "last" and bool(bnames)))
    mask = data.column("m").to_numpy()
    a = _attempts(segment, groups, t, mask, n_steps, _window_ticks(window, per_second), same_as_previous)
    if grain is None:
        period = None
        best = _best(segment[a.pos], a.level, None)
        local = data.column("tl").take(pa.array(a.pos[best])).cast(pa.int64()).to_numpy()
    else:
        local = data.column("tl").take(pa.array(a.pos)).cast(pa.int64()).to_numpy()
        period = _truncate(local, grain, lunit)
        best = _best(segment[a.pos], a.level, period)
        local, period = local[best], period[best]

    out: dict[str, Any] = {
        "e": data.column("e").take(pa.array(a.pos[best])),
        "level": pa.array(a.level[best], type=pa.int8()),
        "seconds": pa.array((a.tlast[best] - a.s[best]) / per_second, type=pa.float64()),
        "entered": pa.array(local, type=pa.timestamp(lunit)),
    }
    for k in range(2, n_steps + 1):
        reached = a.level[best] >= k
        out[f"reach_{k}"] = pa.array((a.time_at(k, best) - a.s[best]) / per_second, mask=~reached)
    if period is not None:
        out["period"] = pa.array(period, type=pa.timestamp(lunit))
    if attribution == "first":
        out.update({b: data.column(b).take(pa.array(a.pos[best])) for b in bnames})
    elif bnames:
        out.update(_smallest_in_groups(data, bnames, groups, a.cur[best]))
    return pa.table(out).to_pandas()


def _sorted_step_rows(
    engine: Engine, rows: Any, n_steps: int, bnames: list[str], lo: datetime, hi: datetime
) -> pa.Table:
    """The rows of any step with a non-null entity, sorted by (e, t, b0…, nulls last), with the
    step flags packed into one integer ``m`` (bit k-1 set: the row matches step k; for step 1,
    only rows with ``lo <= tl < hi``: the ones that start attempts). A null flag is "no": the
    filter and ``CASE WHEN`` both treat it so; no ``COALESCE``, which would keep DuckDB from
    pushing ``event = 'a' OR event = 'b' …`` into the scan (a third more time at 10M rows)."""
    flags = [rows[f"s{k}"] for k in range(1, n_steps + 1)]
    any_step = reduce(lambda x, y: x | y, flags)
    flags[0] = flags[0] & (rows.tl >= lo) & (rows.tl < hi)
    dtype = next(f"uint{b}" for b in (8, 16, 32, 64) if n_steps <= b)
    bits = [
        f.ifelse(ibis.literal(1 << k, type=dtype), ibis.literal(0, type=dtype)) for k, f in enumerate(flags)
    ]
    cols: dict[str, Any] = {"e": rows.e, "t": rows.t, "tl": rows.tl, **{b: rows[b] for b in bnames}}
    cols["m"] = reduce(lambda x, y: x + y, bits).cast(dtype)
    expr = rows.filter(any_step & rows.e.notnull()).select(**cols)
    duck: Any = engine  # a DuckDBEngine: ``backend`` is its Ibis backend, ``con`` its connection
    if not bnames:  # rows stored by entity and time need no sort: read them as they come
        # (Ibis 12's to_pyarrow_batches fails on DuckDB 2.0, so the stream comes from DuckDB)
        as_stored = _read_if_sorted(duck.con.sql(engine.sql(expr)).to_arrow_reader(_BATCH))
        if as_stored is not None:
            return as_stored
    order = [expr.e, expr.t, *[expr[b].asc(nulls_first=False) for b in bnames]]
    table: pa.Table = duck.backend.to_pyarrow(expr.order_by(order))
    return table


_BATCH = 1 << 18


def _read_if_sorted(reader: pa.RecordBatchReader) -> pa.Table | None:
    """All the batches when their rows come in (e, t) order, or None at the first batch that
    breaks the order (the rest of the scan is not read)."""
    batches: list[pa.RecordBatch] = []
    for batch in reader:
        if not batch.num_rows:
            continue
        e, t = batch.column("e"), batch.column("t")
        if batches:  # compare across the boundary too: the previous batch's last row first
            prev = batches[-1].slice(batches[-1].num_rows - 1)
            e = pa.concat_arrays([prev.column("e"), e])
            t = pa.concat_arrays([prev.column("t"), t])
        if len(e) > 1:
            e0, e1, t0, t1 = e[:-1], e[1:], t[:-1], t[1:]
            ordered = pc.or_(pc.less(e0, e1), pc.and_(pc.equal(e0, e1), pc.less_equal(t0, t1)))
            if not pc.all(ordered).as_py():
                reader.close()
                return None
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=reader.schema)


def _window_ticks(window: timedelta, per_second: int) -> int:
    return (window.days * 86_400 + window.seconds) * per_second + window.microseconds * per_second // 10**6


def _index_type(n: int) -> type[np.integer[Any]]:
    """Row numbers as int32 when they fit: half the memory traffic of int64."""
    return np.int32 if n < 2**31 - 1 else np.int64


def _segments(e: pa.ChunkedArray) -> np.ndarray:
    """Per row: the number of its entity in sorted order (rows of one entity are adjacent)."""
    n = len(e)
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = pc.not_equal(e[1:], e[:-1]).to_numpy(zero_copy_only=False)
    return np.cumsum(change, dtype=_index_type(n)) - 1


@dataclass(frozen=True)
class _Groups:
    """Runs of rows with the same (entity, time): per row, the bounds of its run."""

    first: np.ndarray  # the run's first row
    after: np.ndarray  # one past the run's last row (empty when not asked for)


def _tie_groups(segment: np.ndarray, t: np.ndarray, with_after: bool) -> _Groups:
    n = len(t)
    new = np.ones(n, dtype=bool)  # a run starts here
    if n > 1:
        new[1:] = (segment[1:] != segment[:-1]) | (t[1:] != t[:-1])
    idx = np.arange(n, dtype=_index_type(n))
    first = np.maximum.accumulate(np.where(new, idx, 0))
    if not with_after:
        return _Groups(first, np.zeros(0, dtype=np.int64))
    ends = np.ones(n, dtype=bool)  # a run ends here
    ends[:-1] = new[1:]
    after = np.minimum.accumulate(np.where(ends, idx + 1, n)[::-1])[::-1]
    return _Groups(first, after)


@dataclass(frozen=True)
class _Attempts:
    """Every attempt, in (entity, time, breakdown) order."""

    pos: np.ndarray  # row of its step 1
    s: np.ndarray  # start time
    level: np.ndarray  # last step reached
    cur: np.ndarray  # row of its last step reached
    tlast: np.ndarray  # time of its last step reached
    reached: list[tuple[np.ndarray, np.ndarray]]  # per step 2, 3 …: attempts reaching it, and when

    def time_at(self, k: int, which: np.ndarray) -> np.ndarray:
        """When attempts ``which`` reached step k (meaningless where their level is below k)."""
        ids, when = self.reached[k - 2]
        if not len(ids):
            return np.zeros(len(which), dtype=np.int64)
        return when[np.minimum(np.searchsorted(ids, which), len(ids) - 1)]


def _attempts(
    segment: np.ndarray,
    groups: _Groups,
    t: np.ndarray,
    mask: np.ndarray,
    n_steps: int,
    window: int,
    repeat: Sequence[bool],
) -> _Attempts:
    n = len(t)
    it = _index_type(n)
    starts = np.flatnonzero(mask & mask.dtype.type(1)).astype(it)
    # one attempt per (entity, time): its first step-1 row, which has the smallest breakdown
    keep = np.ones(len(starts), dtype=bool)
    keep[1:] = groups.first[starts[1:]] != groups.first[starts[:-1]]
    pos = starts[keep]
    del starts, keep
    s = t[pos]
    level = np.ones(len(pos), dtype=np.int8)
    cur, tlast = pos.copy(), s.copy()
    # the live attempts, compacted at every step: ids, current row, end of the entity's rows, deadline
    ids, at = np.arange(len(pos), dtype=it), pos
    entity_end = np.append(np.flatnonzero(np.diff(segment)) + 1, n).astype(it)
    limit, deadline = entity_end[segment[pos]] if n else pos, s + window
    reached: list[tuple[np.ndarray, np.ndarray]] = []
    before = np.zeros(n + 1, dtype=_index_type(n))
    for k in range(1, n_steps):
        is_k = (mask & mask.dtype.type(1 << k)).astype(bool)
        rows_k = np.flatnonzero(is_k).astype(it)
        if not len(ids) or not len(rows_k):
            ids = at = limit = deadline = ids[:0]
            reached.append((ids, ids))
            continue
        np.cumsum(is_k, out=before[1:], dtype=before.dtype)  # before[i]: step k+1 rows before row i
        # the first row that may count: the current (entity, time) run's first row, or the
        # row after the run for a repeated step; then the first row of step k+1 from there
        j = before[(groups.after if repeat[k] else groups.first)[at]]
        nxt = rows_k[np.minimum(j, len(rows_k) - 1)]
        ok = (j < len(rows_k)) & (nxt < limit) & (t[nxt] <= deadline)
        ids, at, limit, deadline = ids[ok], nxt[ok], limit[ok], deadline[ok]
        when = t[at]
        level[ids], cur[ids], tlast[ids] = k + 1, at, when
        reached.append((ids, when))
    return _Attempts(pos, s, level, cur, tlast, reached)


def _best(segment: np.ndarray, level: np.ndarray, period: np.ndarray | None) -> np.ndarray:
    """Index of the best attempt per entity [and period]: the highest level, then the first in
    (time, breakdown) order. Attempts come sorted by entity and time, so groups are runs."""
    n = len(segment)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = segment[1:] != segment[:-1]
    if period is not None:
        new[1:] |= period[1:] != period[:-1]
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    top = np.maximum.reduceat(level, starts)
    cand = np.flatnonzero(level == top[group])
    first = np.ones(len(cand), dtype=bool)
    first[1:] = group[cand[1:]] != group[cand[:-1]]
    return cand[first]


def _smallest_in_groups(
    data: pa.Table, bnames: list[str], groups: _Groups, rows: np.ndarray
) -> dict[str, pa.Array]:
    """Per given row: the smallest value of each breakdown column over its (entity, time) run
    (nulls only when the run has no value), for ``attribution: last``."""
    start = groups.first[rows]
    lengths = groups.after[rows] - start
    owner = np.repeat(np.arange(len(rows)), lengths)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    members = pa.array(start[owner] + offset)
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
