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
    groups = _tie_groups(segment, t)
    mask = data.column("m").to_numpy()
    a = _attempts(segment, groups, t, mask, n_steps, _window_ticks(window, per_second), same_as_previous)
    local = data.column("tl").take(pa.array(a.pos)).cast(pa.int64()).to_numpy()
    period = _truncate(local, grain, lunit) if grain is not None else None
    best = _best(segment[a.pos], a.level, period)

    out: dict[str, Any] = {
        "e": data.column("e").take(pa.array(a.pos[best])),
        "level": pa.array(a.level[best], type=pa.int8()),
        "seconds": pa.array((a.tlast[best] - a.s[best]) / per_second, type=pa.float64()),
        "entered": pa.array(local[best], type=pa.timestamp(lunit)),
    }
    for k in range(2, n_steps + 1):
        reached = a.level[best] >= k
        out[f"reach_{k}"] = pa.array((a.times[k - 2][best] - a.s[best]) / per_second, mask=~reached)
    if period is not None:
        out["period"] = pa.array(period[best], type=pa.timestamp(lunit))
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
    only rows with ``lo <= tl < hi``: the ones that start attempts)."""
    flags = [rows[f"s{k}"].fill_null(False) for k in range(1, n_steps + 1)]
    flags[0] = flags[0] & (rows.tl >= lo) & (rows.tl < hi)
    any_step = reduce(lambda x, y: x | y, flags)
    bits = [
        f.ifelse(ibis.literal(1 << k, type="int64"), ibis.literal(0, type="int64"))
        for k, f in enumerate(flags)
    ]
    cols: dict[str, Any] = {"e": rows.e, "t": rows.t, "tl": rows.tl, **{b: rows[b] for b in bnames}}
    cols["m"] = reduce(lambda x, y: x + y, bits)
    expr = rows.filter(any_step & rows.e.notnull()).select(**cols)
    order = [expr.e, expr.t, *[expr[b].asc(nulls_first=False) for b in bnames]]
    table: pa.Table = engine.backend.to_pyarrow(expr.order_by(order))  # type: ignore[attr-defined]
    return table.combine_chunks()


def _window_ticks(window: timedelta, per_second: int) -> int:
    return (window.days * 86_400 + window.seconds) * per_second + window.microseconds * per_second // 10**6


def _segments(e: pa.Array) -> np.ndarray:
    """Per row: the number of its entity in sorted order (rows of one entity are adjacent)."""
    n = len(e)
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = pc.not_equal(e[1:], e[:-1]).to_numpy(zero_copy_only=False)
    return np.cumsum(change) - 1


@dataclass(frozen=True)
class _Groups:
    """Runs of rows with the same (entity, time): each row's run, and each run's bounds."""

    of_row: np.ndarray
    start: np.ndarray
    end: np.ndarray  # one past the run's last row


def _tie_groups(segment: np.ndarray, t: np.ndarray) -> _Groups:
    n = len(t)
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = (segment[1:] != segment[:-1]) | (t[1:] != t[:-1])
    start = np.flatnonzero(new)
    return _Groups(np.cumsum(new) - 1, start, np.append(start[1:], n).astype(start.dtype))


@dataclass(frozen=True)
class _Attempts:
    """Every attempt, in (entity, time, breakdown) order."""

    pos: np.ndarray  # row of its step 1
    s: np.ndarray  # start time
    level: np.ndarray  # last step reached
    cur: np.ndarray  # row of its last step reached
    tlast: np.ndarray  # time of its last step reached
    times: list[np.ndarray]  # time of step 2, 3, … (meaningful where level >= k)


def _attempts(
    segment: np.ndarray,
    groups: _Groups,
    t: np.ndarray,
    mask: np.ndarray,
    n_steps: int,
    window: int,
    repeat: Sequence[bool],
) -> _Attempts:
    starts = np.flatnonzero(mask & 1)
    # one attempt per (entity, time): its first step-1 row, which has the smallest breakdown
    keep = np.ones(len(starts), dtype=bool)
    keep[1:] = groups.of_row[starts[1:]] != groups.of_row[starts[:-1]]
    pos = starts[keep]
    s = t[pos]
    level = np.ones(len(pos), dtype=np.int8)
    cur = pos.copy()
    tlast = s.copy()
    times = []
    live = np.arange(len(pos))
    for k in range(1, n_steps):
        rows_k = np.flatnonzero((mask >> k) & 1)
        at = cur[live]
        # the first row that may count: the current (entity, time) run's first row, or the
        # row after the run for a repeated step
        first = (groups.end if repeat[k] else groups.start)[groups.of_row[at]]
        j = np.searchsorted(rows_k, first)
        nxt = rows_k[np.minimum(j, len(rows_k) - 1)] if len(rows_k) else at
        ok = (j < len(rows_k)) & (segment[nxt] == segment[at]) & (t[nxt] <= s[live] + window)
        live, nxt = live[ok], nxt[ok]
        cur[live] = nxt
        level[live] = k + 1
        tlast[live] = t[nxt]
        times.append(tlast.copy())
    return _Attempts(pos, s, level, cur, tlast, times)


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
    g = groups.of_row[rows]
    lengths = groups.end[g] - groups.start[g]
    owner = np.repeat(np.arange(len(rows)), lengths)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    members = pa.array(groups.start[g][owner] + offset)
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
