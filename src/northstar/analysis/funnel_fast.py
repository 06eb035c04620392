"""The ordered funnel on DuckDB, fast: one scan of the step rows in DuckDB, then compiled passes.

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

How (10M events, 4.0M step rows, 2 cores: about 0.18 s stored by entity, 0.26 s shuffled):

1. DuckDB reads the rows of any step with the step flags packed into one integer ``m``
   (:func:`_step_table`; plain-event steps: ``list_position`` over the funnel's distinct
   events, computed once per dictionary value) and hands them over as Arrow arrays, in stored
   order (sorted by (e, t, b…) when there are breakdowns). More than half the time.
2. :func:`_best`: integer ids are their own buckets, others are numbered by Arrow's
   dictionary encoding. Rows that come grouped by entity in time order (stored so, or sorted
   by DuckDB for breakdowns) are walked as they are (:func:`_walk`): one compiled pass per
   slice of entities, a thread per core; every attempt walks the steps with one forward-only
   pointer per step and the best attempt per entity is kept, O(rows × steps)
   (:mod:`funnel_kernel`).
3. Other rows are grouped and walked partition by partition (:func:`_scattered`): a radix
   partition on the bucket's high bits (time and flags packed in one integer), then, in
   cache, counting sorts by coarse time and by the bucket's low bits, an insertion sort per
   entity and the same walk; only the best attempts are written out.
4. The result frame is built from the NumPy arrays without copies.

DuckDB only: other engines raise :class:`UnsupportedOnEngine` (use the portable funnel there).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from northstar.analysis import funnel_kernel as kernel
from northstar.compile.request import GRAINS
from northstar.engine.base import TS, UTC
from northstar.errors import InternalError, UnsupportedOnEngine

if TYPE_CHECKING:
    from northstar.engine.base import Engine

__all__ = ["StepRows", "ordered_funnel_fast", "plain_events", "same_as_previous", "step_rows"]

_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


@dataclass(frozen=True)
class StepRows:
    """The input of :func:`ordered_funnel_fast`: the source rows in range (an Ibis table with
    ``__ts`` and ``__utc``, already cut to ``lo <= tl < hi + window + 1 day`` and ``where``),
    the entity column, the breakdown columns, one Ibis boolean per step (on ``table``), and —
    when every step is a plain event on one column — that column and each step's event, which
    lets the step query map each row's event to its steps with one ``list_position`` (see
    :func:`_plain_step_sql`). With ``one_clock`` (the two clocks agree: see
    :meth:`Engine.one_clock`) ``__utc`` serves as the wall clock too."""

    table: Any
    entity: str
    conditions: tuple[Any, ...]
    by: tuple[str, ...] = ()
    one_clock: bool = False
    event_column: str | None = None
    events: tuple[str, ...] | None = None

    @property
    def n_steps(self) -> int:
        return len(self.conditions)


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
    plain_events: tuple[str, Sequence[str | None]] | None = None,
) -> StepRows:
    """The rows :func:`ordered_funnel_fast` reads from a source table (with ``__ts`` and
    ``__utc``): those with ``lo <= tl < hi + window + 1 day`` (and ``where``, an Ibis boolean,
    when given); ``conditions``: one Ibis boolean per step. ``plain_events``: the event column
    and, per step, its event when the step is that event and nothing more (None for a step with
    a filter or without an event); the plain-event form is used only when every step is plain."""
    keep = (table[TS] >= lo) & (table[TS] < hi + window + timedelta(days=1))
    t = table.filter(keep if where is None else keep & where)
    column, events = plain_events if plain_events is not None else (None, None)
    plain = events is not None and len(events) == len(conditions) and all(e is not None for e in events)
    return StepRows(
        table=t,
        entity=entity,
        conditions=tuple(conditions),
        by=tuple(by),
        one_clock=one_clock,
        event_column=column if plain else None,
        events=tuple(str(e) for e in events) if plain and events is not None else None,
    )


def plain_events(steps: Sequence[Any], event_column: str) -> tuple[str, list[str | None]]:
    """The event column and, per step (:class:`northstar.spec.models.FunnelStep`), its event
    when the step is an event without a filter (else None): :func:`step_rows`'s
    ``plain_events``."""
    return event_column, [s.event if s.event is not None and not s.filter else None for s in steps]


def same_as_previous(steps: Sequence[Any]) -> list[bool]:
    """Per step: does it match the same rows as the step before (the same event and filter)?
    ``steps`` are :class:`northstar.spec.models.FunnelStep` s; the first is never a repeat."""
    keys = [(s.event, s.filter) for s in steps]
    return [False] + [keys[k] == keys[k - 1] for k in range(1, len(keys))]


def ordered_funnel_fast(
    engine: Engine,
    rows: StepRows,
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

    ``rows``: see :func:`step_rows`. ``same_as_previous[k]``: step k+1 matches the same rows as
    step k (0-based; the first entry is ignored). ``attribution``: breakdown values from the
    best attempt's step-1 row (``first``) or, per column, the smallest among the rows of any
    step at the entity's time of the last step reached (``last``)."""
    if engine.name != "duckdb":
        err = UnsupportedOnEngine(engine.name, "the fast funnel", "use the portable funnel (funnel_expr)")
        err.zh = f"快速漏斗只支持 DuckDB，不支持 {engine.name}；请使用通用漏斗（funnel_expr）"
        raise err
    n_steps = rows.n_steps
    if n_steps < 1 or len(same_as_previous) != n_steps:
        raise InternalError(f"ordered_funnel_fast: {n_steps} steps but {len(same_as_previous)} repeat flags")
    if grain is not None and grain not in GRAINS:
        raise InternalError(f"ordered_funnel_fast: unknown grain {grain!r}")
    if attribution not in ("first", "last"):
        raise InternalError(f"ordered_funnel_fast: unknown attribution {attribution!r}")
    bnames = [f"b{i}" for i in range(len(rows.by))]
    data, gated = _step_table(engine, rows, lo, hi)
    clock = "tl" if "tl" in data.column_names else "t"
    unit, lunit = data.schema.field("t").type.unit, data.schema.field(clock).type.unit
    per_second = _PER_SECOND[unit]
    # the range of entry on the one clock, for the kernel, unless the query applied it to ``m``
    entry = (
        (np.iinfo(np.int64).min, np.iinfo(np.int64).max)
        if gated
        else (int(np.datetime64(lo, unit).astype(np.int64)), int(np.datetime64(hi, unit).astype(np.int64)))
    )
    t = _views(data.column("t"))  # one NumPy view per chunk of DuckDB's result: no copy
    m = _ints(data.column("m"))
    ids = _views(data.column("e")) if pa.types.is_integer(data.schema.field("e").type) else None
    tl = np.zeros(0, dtype=np.int64)  # the wall clock in the table's order, where needed:
    if clock != "t":  # the entry times, or the entry periods
        tl = _ints(data.column(clock))
    elif grain is not None:
        tl = _whole(t)
    e_column = None if ids is not None else data.column("e")
    if ids is not None and not bnames:  # nothing more is read from DuckDB's result: let it go
        data = data.select([])  # before the grouping and the pass (a lower peak of memory)
    period = np.zeros(0, dtype=np.int64)
    if grain is not None:  # the entry period of every row that may start an attempt (others: unused)
        period = np.zeros(len(m), dtype=np.int64)
        starts = np.flatnonzero(m & m.dtype.type(1))
        period[starts] = _truncate(tl[starts], grain, lunit)
    walk = _Walk(
        n_steps=n_steps,
        window=_window_ticks(window, per_second),
        repeat=np.asarray(same_as_previous, dtype=np.bool_),
        per_second=per_second,
        entry=entry,
    )
    best = _best(
        e_column,
        ids,
        t,
        m,
        period,
        walk,
        rows=clock != "t" or grain is not None or bool(bnames),
        runs=attribution == "last" and bool(bnames),
    )
    # NumPy columns straight into pandas (the dtypes Arrow's to_pandas would give: the tests
    # compare with the portable path's frame, dtypes included); Arrow only for breakdowns.
    if best.dictionary is not None:
        entity: Any = best.dictionary.take(pa.array(best.key)).to_pandas()
    else:
        assert ids is not None
        entity = (best.key + best.offset if best.offset else best.key).astype(ids[0].dtype, copy=False)
    entered = best.start if clock == "t" else tl[best.rows]  # (tl: the wall clock)
    out: dict[str, Any] = {
        "e": entity,
        "level": best.level,
        "seconds": best.seconds,
        "entered": entered.view(f"datetime64[{lunit}]"),
    }
    for k in range(2, n_steps + 1):
        out[f"reach_{k}"] = best.reach[k - 2]  # NaN past the level: null in the portable frame
    if grain is not None:
        out["period"] = period[best.rows].view(f"datetime64[{lunit}]")
    if attribution == "first":
        out.update({b: _take(data.column(b), best.rows) for b in bnames})
    elif bnames:  # breakdowns make DuckDB sort the rows: the kernel's row numbers are the table's
        out.update(_smallest_in_runs(data, bnames, best.run_first, best.run_after))
    frame = pd.DataFrame({c: v for c, v in out.items() if c not in bnames}, copy=False)  # our arrays
    if bnames:
        breakdowns = pa.table({b: out[b] for b in bnames}).to_pandas()
        for b in bnames:
            frame[b] = breakdowns[b]  # both indexed 0 … n-1
    return frame


@dataclass(frozen=True)
class _Walk:
    """What the kernel's walk needs besides the rows: the number of steps, the window in
    ticks, the repeat flags, ticks per second and the range of entry on the one clock."""

    n_steps: int
    window: int
    repeat: np.ndarray
    per_second: int
    entry: tuple[int, int]


@dataclass
class _Best:
    """The best attempts, one per entity (per entity and entry period), in the order of their
    entities' buckets: ``key`` (the bucket: ``key + offset`` is the integer id, or
    ``dictionary[key]`` the id), ``start`` (the start's time, ticks of ``t``), ``rows`` (the
    start row's number in the table; empty unless asked for), ``level``, ``seconds``,
    ``reach`` (one row per step 2 … n) and, for ``attribution: last``, the bounds of the
    (entity, time) run of the last step reached (``run_first``, ``run_after``)."""

    key: np.ndarray
    offset: int
    dictionary: pa.Array | None
    start: np.ndarray
    rows: np.ndarray
    level: np.ndarray
    seconds: np.ndarray
    reach: np.ndarray
    run_first: np.ndarray
    run_after: np.ndarray


_SLICE_ROWS = 250_000  # fewer rows than this per thread: not worth a thread
_THREADS = os.cpu_count() or 1


def _parts(n: int) -> int:
    """How many threads share ``n`` rows: one per core, at least ``_SLICE_ROWS`` rows each."""
    return max(1, min(_THREADS, n // _SLICE_ROWS))


def _best(
    e: pa.ChunkedArray | None,
    ids: list[np.ndarray] | None,
    t: list[np.ndarray],
    m: np.ndarray,
    period: np.ndarray,
    walk: _Walk,
    rows: bool,
    runs: bool,
) -> _Best:
    """The best attempt of every entity (``e``: the entity column, or None when ``ids`` hold
    it), for rows in any order; ``ids`` and ``t``: the columns as chunks (views of DuckDB's
    result, joined only where a path needs one array); ``period``: per row, or empty;
    ``rows``: the start rows' numbers in the table are wanted; ``runs``: the bounds of the last
    step's run too (rows sorted by entity, as DuckDB gives them when there are breakdowns).

    Integer ids whose range is at most about twice the rows are their own bucket (less the
    smallest); other ids (text, sparse integers) are numbered by a hash table (Arrow's
    dictionary encoding). Rows stored by entity and time, or grouped by entity, are walked as
    they are (:func:`_walk`); others are grouped and walked partition by partition
    (:func:`_scattered`), or, beyond the kernel's packing (2**32 rows or buckets, times and
    flags wider than 64 bits), sorted by NumPy first."""
    n = len(m)
    base, offset, n_buckets = 0, 0, 0
    buckets: list[np.ndarray] | None = None
    dictionary: pa.Array | None = None
    span: tuple[int, int] | None = None  # the smallest and largest time, once known
    if ids is not None and n:
        ordered, first, last, span = _sorted_by_entity(ids, t)
        if ordered:  # stored by (entity, time): the rows are their own grouping
            return _walk(ids, t, m, period, walk, None, 0, None, runs, ascending=True, rows=rows)
        if last - first <= 2 * n + 1024:
            buckets, base, offset, n_buckets = ids, first, first, last - first + 1
    if buckets is None:
        column = e if e is not None else pa.chunked_array([pa.array(_whole(ids) if ids is not None else [])])
        encoded = pc.dictionary_encode(column.combine_chunks())
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False)).astype(np.int64)
        buckets, dictionary, n_buckets = [codes], encoded.dictionary, len(encoded.dictionary)
        t, span = [_whole(t)], None
    # rows not grouped in the first chunk are not grouped: the whole check only when they are
    if not n or (kernel.grouped(buckets[0], base, n_buckets, t[0]) and _grouped(buckets, base, n_buckets, t)):
        bucket = _whole(buckets)
        keys = bucket - base if base else bucket
        return _walk([keys], [_whole(t)], m, period, walk, None, offset, dictionary, runs, rows=rows)
    if not runs and n < 2**32 and n_buckets < 2**32:
        best = _scattered(buckets, base, n_buckets, t, m, period, walk, rows, offset, dictionary, span=span)
        if best is not None:
            return best
    bucket, times = _whole(buckets), _whole(t)
    order = np.lexsort((times, bucket))
    sorted_period = period[order] if len(period) else period
    grouped = ([bucket[order] - base], [times[order]], m[order], sorted_period)
    return _walk(*grouped, walk, order, offset, dictionary, runs, ascending=True, rows=rows)


def _sorted_by_entity(ids: list[np.ndarray], t: list[np.ndarray]) -> tuple[bool, int, int, tuple[int, int]]:
    """:func:`funnel_kernel.sorted_by_entity` over chunks (some rows): are the rows in (id,
    time) order across chunks too, the smallest and largest id, and the smallest and largest
    time. (In threads it was no faster: the pass is bound by memory.)"""
    chunks = [(i, tk) for i, tk in zip(ids, t, strict=True) if len(i)]
    stats = [kernel.sorted_by_entity(i, tk) for i, tk in chunks]
    ordered = all(bool(s[0]) for s in stats)
    for (before, tb), (after, ta) in itertools.pairwise(chunks):  # each chunk's edge with the next
        ordered = ordered and (int(before[-1]), int(tb[-1])) <= (int(after[0]), int(ta[0]))
    low, high = min(int(s[1]) for s in stats), max(int(s[2]) for s in stats)
    return ordered, low, high, (min(int(s[3]) for s in stats), max(int(s[4]) for s in stats))


def _grouped(buckets: list[np.ndarray], base: int, n_buckets: int, t: list[np.ndarray]) -> bool:
    """:func:`funnel_kernel.grouped` over all chunks (joined: a rare path)."""
    return len(buckets) == 1 or bool(kernel.grouped(_whole(buckets), base, n_buckets, _whole(t)))


def _views(column: pa.ChunkedArray) -> list[np.ndarray]:
    """A column without nulls as NumPy integer views of its chunks (timestamps as ticks)."""
    out = []
    for chunk in column.chunks:
        if pa.types.is_timestamp(chunk.type):
            chunk = chunk.view(pa.int64())
        out.append(np.asarray(chunk.to_numpy(zero_copy_only=False)))
    return out or [np.zeros(0, dtype=np.int64)]


def _whole(parts: list[np.ndarray]) -> np.ndarray:
    """Chunks as one array (the chunk itself when there is one)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _walk(
    key: list[np.ndarray],
    t: list[np.ndarray],
    m: np.ndarray,
    period: np.ndarray,
    walk: _Walk,
    order: np.ndarray | None,
    offset: int,
    dictionary: pa.Array | None,
    runs: bool,
    ascending: bool = False,
    rows: bool = True,
) -> _Best:
    """:func:`funnel_kernel.best_attempts` over rows grouped by entity in time order (``key``
    and ``t`` in chunks: one, or several with ascending keys), in pieces of whole entities
    (:func:`_pieces`) shared out among the cores, each thread writing its part of the outputs.
    ``order``: each row's number in the table (None: the same); ``ascending``: the keys ascend
    (then a piece has no more entities than its key range); ``rows``: the start rows' numbers
    are wanted."""
    n = len(m)
    threads = _parts(n)
    pieces = _pieces(key, t, threads)
    lo, hi = walk.entry
    cut = [n * k // threads for k in range(threads + 1)]
    mine = [[p for p in pieces if cut[k] <= p[2] < cut[k + 1]] for k in range(threads)]

    def most(p: tuple[np.ndarray, np.ndarray, int]) -> int:  # attempts a piece may have at most
        keys, _, row = p
        if ascending and not len(period) and len(keys):  # (with periods: one per period)
            return min(len(keys), int(keys[-1]) - int(keys[0]) + 1)
        return int(np.count_nonzero(m[row : row + len(keys)] & m.dtype.type(1)))

    first = np.cumsum([0, *(sum(most(p) for p in ps) for ps in mine)]).tolist()
    size = first[-1]
    pos = np.empty(size if rows or runs else 0, dtype=np.int64)
    key_out = np.empty(size, dtype=key[0].dtype)
    start = np.empty(size, dtype=np.int64)
    level = np.empty(size, dtype=np.int8)
    run_first = np.empty(size if runs else 0, dtype=np.int64)  # the (entity, time) run of the
    run_after = np.empty(size if runs else 0, dtype=np.int64)  # last step: attribution last
    seconds = np.empty(size, dtype=np.float64)
    reach = np.empty((max(walk.n_steps - 1, 0), size), dtype=np.float64)  # one row per step: columns
    after = first[:-1]

    def run(k: int) -> None:
        o = first[k]
        for keys, times, row in mine[k]:
            b = row + len(keys)
            written = kernel.best_attempts(
                keys,
                times,
                m[row:b],
                period[row:b] if len(period) else period,
                walk.n_steps,
                walk.window,
                walk.repeat,
                walk.per_second,
                lo,
                hi,
                pos[o:] if len(pos) else pos,
                key_out[o:],
                start[o:],
                level[o:],
                run_first[o:] if runs else run_first,
                run_after[o:] if runs else run_after,
                seconds[o:],
                reach[:, o:],
            )
            if row and len(pos):  # row numbers of the piece → of all rows
                pos[o : o + written] += row
                if runs:
                    run_first[o : o + written] += row
                    run_after[o : o + written] += row
            o += written
        after[k] = o

    _each(run, threads)
    n_out = _close_gaps([pos, key_out, start, level, run_first, run_after, seconds, reach], first, after)
    pos, level, seconds, reach = pos[:n_out], level[:n_out], seconds[:n_out], reach[:, :n_out]
    run_first, run_after = run_first[: n_out if runs else 0], run_after[: n_out if runs else 0]
    return _Best(
        key=key_out[:n_out],
        offset=offset,
        dictionary=dictionary,
        start=start[:n_out],
        rows=pos if order is None else order[pos],
        level=level,
        seconds=seconds,
        reach=reach,
        run_first=run_first,
        run_after=run_after,
    )


def _pieces(
    key: list[np.ndarray], t: list[np.ndarray], threads: int
) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Rows grouped by entity, in chunks, as pieces that each hold whole entities: (keys,
    times, the piece's first row in the table). A chunk's rows are a piece, less the entity it
    ends with, which goes, with the next chunks' rows of that entity, into a small piece of
    its own (the keys must ascend across chunks for that: several chunks come only from rows
    stored by entity). Pieces longer than a thread's share are cut between entities."""
    n = sum(len(k) for k in key)
    share = max(1, -(-n // threads))
    whole: list[tuple[np.ndarray, np.ndarray, int]] = [(key[0], t[0], 0)] if len(key) == 1 else []
    carry: list[tuple[np.ndarray, np.ndarray]] = []  # the rows of an entity across chunk edges
    carry_row, row = 0, 0

    def bridge() -> tuple[np.ndarray, np.ndarray, int]:
        return np.concatenate([k for k, _ in carry]), np.concatenate([x for _, x in carry]), carry_row

    for keys, times in zip(key, t, strict=True) if len(key) > 1 else ():
        j = 0
        if carry and len(keys):  # the carried entity's rows at the start of this chunk
            j = int(np.searchsorted(keys, carry[0][0][0], side="right"))
            carry.append((keys[:j], times[:j]))
            if j < len(keys):
                whole.append(bridge())
                carry = []
        if len(keys) and not carry:
            last = int(np.searchsorted(keys, keys[-1], side="left"))  # the last entity's first row
            if last > j:
                whole.append((keys[j:last], times[j:last], row + j))
            carry, carry_row = [(keys[last:], times[last:])], row + last
        row += len(keys)
    if carry:
        whole.append(bridge())
    out: list[tuple[np.ndarray, np.ndarray, int]] = []
    for keys, times, first in whole:  # long pieces cut between entities, about a share each
        cuts = sorted({0, len(keys), *(kernel.entity_start(keys, c) for c in range(share, len(keys), share))})
        out.extend((keys[a:b], times[a:b], first + a) for a, b in itertools.pairwise(cuts))
    return out or [(key[0][:0], t[0][:0], 0)]


def _step_table(engine: Engine, rows: StepRows, lo: datetime, hi: datetime) -> tuple[pa.Table, bool]:
    """The rows of any step with a non-null entity: e, t, [tl], b0…, and the step flags packed
    into one integer ``m`` (bit k-1 set: the row matches step k; for step 1, only rows with
    ``lo <= tl < hi``: the ones that start attempts). A null flag is "no". Returns the table
    and whether the query applied that range to ``m``: plain-event steps on one clock leave it
    to the kernel (a comparison per attempt there, where a ``CASE`` per row here cost 10 % of
    the query).

    Without breakdown columns the rows come in stored order (the caller groups them; rows
    stored by entity and time need nothing more). With them, DuckDB sorts by (e, t, b0…, nulls
    last), the order that picks the smallest breakdown value among rows at one instant."""
    gated = rows.events is None or rows.event_column is None or not rows.one_clock
    if rows.events is not None and rows.event_column is not None:
        sql = _plain_step_sql(engine, rows, lo, hi, gated)
    else:
        sql = engine.sql(_general_step_expr(rows, lo, hi))
    duck: Any = engine  # a DuckDBEngine: ``con`` is its DuckDB connection
    table: pa.Table = duck.con.sql(sql).to_arrow_table(_BATCH_ROWS)
    return table, gated


_BATCH_ROWS = 1_000_000  # rows per chunk of DuckDB's Arrow result at most (its default)


def _flags_type(n_steps: int) -> str:
    return next(f"uint{b}" for b in (8, 16, 32, 64) if n_steps <= b)


def _columns(rows: StepRows) -> dict[str, Any]:
    """e, t, [tl], b0… as Ibis columns of ``rows.table``."""
    t = rows.table
    cols: dict[str, Any] = {"e": t[rows.entity], "t": t[UTC]}
    if not rows.one_clock:
        cols["tl"] = t[TS]
    cols.update({f"b{i}": t[c] for i, c in enumerate(rows.by)})
    return cols


def _general_step_expr(rows: StepRows, lo: datetime, hi: datetime) -> Any:
    """The step rows as one Ibis expression, for steps with filters: one ``CASE`` per step,
    summed. The conditions are written on the source rows themselves, not on a projection of
    them, so that DuckDB pushes the filter into its scan of the file."""
    t = rows.table
    clock = t[UTC] if rows.one_clock else t[TS]
    dtype = _flags_type(rows.n_steps)
    flags = list(rows.conditions)
    any_step = reduce(lambda x, y: x | y, flags)
    flags[0] = flags[0] & (clock >= lo) & (clock < hi)
    bits = [
        f.ifelse(ibis.literal(1 << k, type=dtype), ibis.literal(0, type=dtype)) for k, f in enumerate(flags)
    ]
    expr = t.filter(any_step, t[rows.entity].notnull()).select(
        **_columns(rows), m=reduce(lambda x, y: x + y, bits).cast(dtype)
    )
    if rows.by:
        bnames = [f"b{i}" for i in range(len(rows.by))]
        expr = expr.order_by([expr.e, expr.t, *[expr[b].asc(nulls_first=False) for b in bnames]])
    return expr


def _plain_step_sql(engine: Engine, rows: StepRows, lo: datetime, hi: datetime, gated: bool = True) -> str:
    """The step rows when every step is a plain event: Ibis writes the source rows in range
    (e, t, [tl], b…, the event ``ev`` and, when ``gated``, ``s``: may the row start an
    attempt), and this wraps them in ``list_position([events…], ev)``, the event's place among
    the funnel's distinct events, kept where not 0, then ``m`` from that place (``[bits…][p]``,
    step 1's bit cleared when ``s`` is false; not ``gated``: never). DuckDB computes ``list_position`` once per distinct value of a
    dictionary-encoded column, where ``ev = 'a' OR ev = 'b' …`` compares every row (and
    ``ev IN (…)`` becomes a hash join that loses the stored order): 10M events, 0.13 → 0.11 s.

    The wrapping is built with SQLGlot: event names are string literals and column names
    quoted identifiers, never text pasted into SQL."""
    assert rows.events is not None and rows.event_column is not None
    t = rows.table
    clock = t[UTC] if rows.one_clock else t[TS]
    cols = _columns(rows)
    gate = {"s": (clock >= lo) & (clock < hi)} if gated else {}
    inner = engine.sql(t.select(**cols, ev=t[rows.event_column], **gate))
    names: list[str] = []
    bits: list[int] = []
    for k, name in enumerate(rows.events):
        if name not in names:
            names.append(name)
            bits.append(0)
        bits[names.index(name)] |= 1 << k
    dtype = {"uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT"}[
        _flags_type(rows.n_steps)
    ]

    def col(name: str) -> exp.Column:  # a new node for every use: the trees are built in place
        return exp.column(name, quoted=True)

    listed = exp.Array(expressions=[exp.Literal.string(n) for n in names])
    place = exp.func("list_position", listed, col("ev")).as_("p", quoted=True)
    source = sqlglot.parse_one(inner, read="duckdb")
    if not isinstance(source, exp.Query):
        raise InternalError(f"the funnel's step rows compiled to {type(source).__name__}, not a query")
    placed = (
        sqlglot.select(*[col(c) for c in [*cols, *gate]], place, copy=False)
        .from_(source.subquery("r", copy=False), copy=False)
        .where(exp.Not(this=exp.Is(this=col("e"), expression=exp.null())), copy=False)
    )
    table_of_bits = exp.cast(
        exp.Array(expressions=[exp.Literal.number(b) for b in bits]), f"{dtype}[]", dialect="duckdb"
    )
    m: Any = exp.func("list_extract", table_of_bits, col("p"))
    if gated:
        first_out_of_range = exp.And(
            this=exp.EQ(this=col("p"), expression=exp.Literal.number(1)), expression=exp.Not(this=col("s"))
        )
        cleared = exp.cast(exp.Literal.number(bits[0] & ~1), dtype, dialect="duckdb")
        m = exp.Case(ifs=[exp.If(this=first_out_of_range, true=cleared)], default=m)
    query = (
        sqlglot.select(
            *[col(c) for c in cols], exp.cast(m, dtype, dialect="duckdb").as_("m", quoted=True), copy=False
        )
        .from_(placed.subquery("q", copy=False), copy=False)
        .where(exp.NEQ(this=col("p"), expression=exp.Literal.number(0)), copy=False)
    )
    if rows.by:
        query = query.order_by(
            col("e"),
            col("t"),
            *[exp.Ordered(this=col(f"b{i}"), nulls_first=False) for i in range(len(rows.by))],
            copy=False,
        )
    return query.sql(dialect="duckdb")


def _ints(column: pa.ChunkedArray) -> np.ndarray:
    """A column without nulls as a NumPy integer array (timestamps as ticks)."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_timestamp(array.type):
        array = array.view(pa.int64())
    return np.asarray(array.to_numpy(zero_copy_only=False))


_HIGH_BITS = 10  # partitions of the grouping's first step: at most 1,024 places written at once
_PACK_BUCKET = True  # the partitioned walk packs time, bucket and flags in one integer when they fit
_BLOCKS_PER_THREAD = 8  # blocks of partitions per thread in the walk, taken as threads come free


def _scattered(
    bucket: list[np.ndarray],
    base: int,
    n_buckets: int,
    t: list[np.ndarray],
    m: np.ndarray,
    period: np.ndarray,
    walk: _Walk,
    rows: bool,
    offset: int,
    dictionary: pa.Array | None,
    threads: int | None = None,
    span: tuple[int, int] | None = None,
) -> _Best | None:
    """The best attempts of rows in any order (``bucket - base``: 0 … n_buckets-1; buckets and
    times in chunks, the table's rows in order), grouped and walked partition by partition
    without writing the grouped rows out; None when the times and flags do not fit in 64 bits
    together (the caller sorts then).

    A most-significant-digit radix partition (:func:`funnel_kernel.scatter_rows`: at most
    1,024 partitions on the bucket's high bits, each thread its own run of rows into its own
    part of each partition) writes 8 bytes a row (10 when times are too far apart for the
    bucket's low bits to share their integer; 4 more with ``rows``: the start rows' numbers in
    the table are wanted); then each partition is grouped in cache and walked
    (:func:`funnel_kernel.partition_attempts`) in blocks of partitions with about as many
    rows each, ``_BLOCKS_PER_THREAD`` a thread, each taken by the next thread free (on a shared
    machine one vCPU often runs slower for a while: with a fixed half each, one thread
    finished 30-70 % after the other in half the runs). Each block writes its attempts from the
    place where its partitions' most possible attempts begin; the gaps are closed afterwards.
    ``threads``: default one per core, for enough rows; ``span``: the smallest and largest
    time, when the caller knows them."""
    sizes = [len(b) for b in bucket]
    n = sum(sizes)
    if span is None:
        spans = [kernel.time_span(c) for c in t if len(c)]
        span = min(int(lo) for lo, _ in spans), max(int(hi) for _, hi in spans)
    t_low, t_high = span
    shift = m.dtype.itemsize * 8
    if t_high - t_low >= 2 ** (63 - shift):
        return None
    threads = _parts(n) if threads is None else max(1, threads)
    bits = max(1, (n_buckets - 1).bit_length())
    low_bits = bits - min(bits, _HIGH_BITS)
    parts = ((n_buckets - 1) >> low_bits) + 1
    runs = _runs(sizes, threads)  # each thread's rows: (chunk, first, after) in table order
    chunk_row = np.concatenate([[0], np.cumsum(sizes)]).tolist()  # each chunk's first row
    flags = np.split(m, chunk_row[1:-1])  # m in the chunks' shape (views)
    counts = [np.zeros(parts, dtype=np.int64)] * threads

    def count(k: int) -> None:
        total = np.zeros(parts, dtype=np.int64)
        for c, a, b in runs[k]:
            total += kernel.partition_counts(bucket[c], base, low_bits, parts, a, b)
        counts[k] = total

    _each(count, threads)
    per_part = np.sum(counts, axis=0)
    starts = np.concatenate([[0], np.cumsum(per_part)])
    cursors = [starts[:-1] + sum(counts[:k], np.zeros(parts, dtype=np.int64)) for k in range(threads)]
    # the bucket's low bits go into ``tm`` too when the times leave room (one array scattered)
    pack = _PACK_BUCKET and t_high - t_low < 2 ** (63 - shift - low_bits)
    digits = np.empty(0 if pack else n, dtype=np.uint16 if low_bits <= 16 else np.uint32)
    tm = np.empty(n, dtype=np.uint64)  # (huge pages help here: writes go to a thousand places)
    numbers = np.empty(n if rows or len(period) else 0, dtype=np.uint32)

    def scatter(k: int) -> None:
        for c, a, b in runs[k]:
            kernel.scatter_rows(
                bucket[c],
                base,
                t[c],
                flags[c],
                low_bits,
                a,
                b,
                cursors[k],
                t_low,
                shift,
                digits,
                tm,
                numbers,
                chunk_row[c],
            )

    _each(scatter, threads)
    # at most one attempt per row, and (without periods) per bucket, of each partition
    most = per_part if len(period) else np.minimum(per_part, 1 << low_bits)
    # blocks of partitions with about as many rows each, taken by the threads as they come free
    # (a vCPU of a shared machine that slows down leaves its blocks to the other threads)
    blocks = threads * _BLOCKS_PER_THREAD
    share = sorted({0, *(int(np.searchsorted(starts, n * k // blocks)) for k in range(1, blocks)), parts})
    ends = np.concatenate([[0], np.cumsum(most)])
    first = [int(ends[p]) for p in share]
    size = first[-1]
    lo, hi = walk.entry
    # NumPy's arrays (huge pages from 4 MB): 4 KB pages mapped from the OS, once faster here,
    # measured slower since the blocks and glibc's thresholds (100M shuffled: 2.27-2.32 s
    # against 1.99-2.11 s a funnel, 80 ms of it unmapping the result's pages when it is freed)
    pos = np.empty(size if len(numbers) else 0, dtype=np.int64)  # the start rows, when there are row numbers
    key = np.empty(size, dtype=np.int64)
    start = np.empty(size, dtype=np.int64)
    level = np.empty(size, dtype=np.int8)
    seconds = np.empty(size, dtype=np.float64)
    reach = np.empty((max(walk.n_steps - 1, 0), size), dtype=np.float64)
    after = first[:-1]
    # the first step of each partition's grouping orders its rows by the time's high bits:
    # about a quarter as many values as rows in a partition (more counters: no fewer rows left
    # out of order for the sort per entity, and at 100M events, 4 % slower)
    coarse_bits = min(16, max(1, int(np.max(per_part, initial=1)).bit_length() - 2))
    coarse_shift = max(0, (int(t_high) - int(t_low)).bit_length() - coarse_bits)

    def run(k: int) -> None:
        after[k] = kernel.partition_attempts(
            digits,
            tm,
            numbers,
            starts,
            share[k],
            share[k + 1],
            low_bits,
            shift,
            t_low,
            coarse_shift,
            coarse_bits,
            period,
            walk.n_steps,
            walk.window,
            walk.repeat,
            walk.per_second,
            lo,
            hi,
            first[k],
            offset,
            pos,
            key,
            start,
            level,
            seconds,
            reach,
        )

    _each(run, len(share) - 1, threads)
    n_out = _close_gaps([pos, key, start, level, seconds, reach], first, after)
    return _Best(
        key=key[:n_out],  # the kernel added the offset
        offset=0,
        dictionary=dictionary,
        start=start[:n_out],
        rows=pos[:n_out] if len(numbers) else np.zeros(0, dtype=np.int64),
        level=level[:n_out],
        seconds=seconds[:n_out],
        reach=reach[:, :n_out],
        run_first=np.zeros(0, dtype=np.int64),
        run_after=np.zeros(0, dtype=np.int64),
    )


def _runs(sizes: list[int], threads: int) -> list[list[tuple[int, int, int]]]:
    """The rows of chunks of ``sizes`` shared out among ``threads`` in order, as equal as can
    be: per thread, its (chunk, first row, row after) runs."""
    n = sum(sizes)
    cuts = [n * k // threads for k in range(threads + 1)]
    out: list[list[tuple[int, int, int]]] = []
    for k in range(threads):
        mine, row = [], 0
        for c, size in enumerate(sizes):
            a, b = max(cuts[k], row), min(cuts[k + 1], row + size)
            if a < b:
                mine.append((c, a - row, b - row))
            row += size
        out.append(mine)
    return out


def _close_gaps(columns: list[np.ndarray], first: list[int], after: list[int]) -> int:
    """Threads wrote their outputs in ``[first[k], after[k])`` of each column (1-D, or 2-D by
    its last axis; empty columns are skipped): move each thread's rows down to follow the
    previous thread's. Returns how many rows there are."""
    moves = []  # (source, target, length) in pieces no longer than the gap: no piece overlaps
    n_out = after[0]  # its target, so NumPy needs no temporary copy
    for k in range(1, len(after)):
        length, gap = after[k] - first[k], first[k] - n_out
        for done in range(0, length if gap else 0, gap or 1):
            moves.append((first[k] + done, n_out + done, min(gap, length - done)))
        n_out += length
    kept = [c for c in columns if c.shape[-1]]
    threads = max(1, min(2, len(kept))) if n_out >= _SLICE_ROWS else 1

    def move(j: int) -> None:  # the columns shared out among the threads (NumPy lets go of the
        for column in kept[j::threads]:  # GIL while it copies)
            for source, target, piece in moves:
                column[..., target : target + piece] = column[..., source : source + piece]

    if moves:
        _each(move, threads)
    return n_out


def _each(run: Any, parts: int, threads: int | None = None) -> None:
    """``run(0)`` … ``run(parts - 1)``, in ``threads`` threads (default: one per part), each
    taking the next part when it is free; in this thread when there is only one (the compiled
    loops release the GIL)."""
    workers = min(parts, parts if threads is None else threads)
    if workers <= 1:
        for k in range(parts):
            run(k)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(parts)))


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
