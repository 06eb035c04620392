"""The compiled passes behind the fast ordered funnel (:mod:`northstar.analysis.funnel_fast`).

Numba compiles these loops to machine code on first use (and caches the result next to this
file, or in the user's cache folder when that is read-only). They work on plain NumPy arrays:

- :func:`sorted_by_entity` — are the rows in (id, time) order, and the id range, in one pass;
- :func:`grouped` — are the rows already grouped by entity (in any order of entities), in time
  order within each?
- :func:`time_span` — the smallest and largest time, in one pass;
- :func:`best_attempts` — the funnel itself, on rows grouped by entity
  in time order: for every entity, every attempt (a step-1 row, one per instant) walks the
  steps in one pass over the entity's rows, and the best attempt per entity (per entity and
  entry period) is kept; :func:`entity_start` cuts the rows between entities into one slice
  per thread;
- :func:`partition_counts`, :func:`scatter_rows` and :func:`partition_attempts` — the same for
  rows read in any order: a radix partition on the entity bucket's high bits (time and flags
  packed into one integer), then, partition by partition in cache, counting sorts by coarse
  time and by the bucket's low bits, a small sort by time per entity and the walk above,
  with nothing written back but the best attempts.

The semantics are those of ``funnel_fast``'s docstring; this module only makes them fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = [
    "best_attempts",
    "entity_start",
    "grouped",
    "partition_attempts",
    "partition_counts",
    "scatter_rows",
    "sorted_by_entity",
    "time_span",
]

_SMALL = 256  # groups up to this many rows are sorted by insertion (little is out of order)


@njit(cache=True, nogil=True)
def sorted_by_entity(ids: Any, t: Any) -> Any:  # pragma: no cover - compiled
    """(ordered, low, high, t_low, t_high): are the rows (not none) in (id, time) order, the
    smallest and largest id and the smallest and largest time, in one pass (rows stored by
    entity and time need no grouping; ``grouped`` also accepts entities in any order, at the
    price of a table of the ids seen; the times bound the partitioned walk's packing)."""
    ordered = True
    low = ids[0]
    high = ids[0]
    t_low = t[0]
    t_high = t[0]
    for i in range(1, len(ids)):  # no branch on the data: the loop stays vectorisable
        ordered &= (ids[i] > ids[i - 1]) | ((ids[i] == ids[i - 1]) & (t[i] >= t[i - 1]))
        low = min(low, ids[i])
        high = max(high, ids[i])
        t_low = min(t_low, t[i])
        t_high = max(t_high, t[i])
    return ordered, low, high, t_low, t_high


@njit(cache=True, nogil=True)
def grouped(bucket: Any, base: int, n_buckets: int, t: Any) -> bool:  # pragma: no cover - compiled
    """True when the rows of each bucket (``bucket - base``: 0 … n_buckets-1) are adjacent and
    in time order: the buckets may come in any order, so rows grouped by entity need no sort."""
    seen = np.zeros(n_buckets, dtype=np.bool_)
    for i in range(len(bucket)):
        if i == 0 or bucket[i] != bucket[i - 1]:
            if seen[bucket[i] - base]:
                return False
            seen[bucket[i] - base] = True
        elif t[i] < t[i - 1]:
            return False
    return True


@njit(cache=True, nogil=True)
def partition_counts(
    bucket: Any, base: int, low_bits: int, parts: int, r0: int, r1: int
) -> Any:  # pragma: no cover - compiled
    """How many of rows ``r0`` … ``r1 - 1`` fall in each partition ``(bucket - base) >>
    low_bits`` (the first step of :func:`scatter_rows`, one slice of rows per thread)."""
    counts = np.zeros(parts, dtype=np.int64)
    for i in range(r0, r1):
        counts[(bucket[i] - base) >> low_bits] += 1
    return counts


@njit(cache=True, nogil=True)
def time_span(t: Any) -> Any:  # pragma: no cover - compiled
    """(smallest, largest) of ``t`` (not empty), in one pass."""
    low = t[0]
    high = t[0]
    for i in range(1, len(t)):
        low = min(low, t[i])
        high = max(high, t[i])
    return low, high


@njit(cache=True, nogil=True)
def scatter_rows(
    bucket: Any,
    base: int,
    t: Any,
    m: Any,
    low_bits: int,
    r0: int,
    r1: int,
    cursor: Any,
    t_low: int,
    shift: int,
    digits: Any,
    tm: Any,
    rows: Any,
    row0: int,
) -> None:  # pragma: no cover - compiled
    """Rows ``r0`` … ``r1 - 1`` written by partition (``(bucket - base) >> low_bits``; ``base``
    spares the caller a copy of integer ids less their smallest), each partition's next free
    place in ``cursor``: the time (less ``t_low``), the bucket's low bits and the flags packed
    into one integer, ``(t - t_low) << (shift + low_bits) | low << shift | m``, in ``tm`` —
    or, when ``digits`` is not empty (times too far apart for that), the low bits in
    ``digits`` and ``(t - t_low) << shift | m`` in ``tm`` — and, when ``rows`` is not empty,
    the row number in ``rows`` (``row0`` plus the row's place in these arrays: one chunk of the
    table's rows). With at most 1,024 partitions and one to three arrays the writes go to few
    enough places at once to stay sequential; one packed integer a row scatters in half the
    time of two arrays."""
    low = (1 << low_bits) - 1
    sh = np.uint64(shift)
    packed = len(digits) == 0
    sh_t = np.uint64(shift + low_bits) if packed else sh
    want_rows = len(rows) > 0
    for i in range(r0, r1):
        v = bucket[i] - base
        p = v >> low_bits
        c = cursor[p]
        if packed:
            tm[c] = (np.uint64(t[i] - t_low) << sh_t) | (np.uint64(v & low) << sh) | np.uint64(m[i])
        else:
            digits[c] = v & low
            tm[c] = (np.uint64(t[i] - t_low) << sh) | np.uint64(m[i])
        if want_rows:
            rows[c] = row0 + i
        cursor[p] = c + 1


@njit(cache=True, nogil=True)
def partition_attempts(
    digits: Any,
    tm: Any,
    rows: Any,
    starts: Any,
    p0: int,
    p1: int,
    low_bits: int,
    shift: int,
    t_low: int,
    coarse_shift: int,
    coarse_bits: int,
    period: Any,
    n_steps: int,
    window: int,
    repeat: Any,
    per_second: float,
    start_lo: int,
    start_hi: int,
    out: int,
    offset: int,
    pos: Any,
    key: Any,
    start: Any,
    level: Any,
    seconds: Any,
    reach: Any,
) -> int:  # pragma: no cover - compiled
    """The best attempts of the entities in partitions ``p0`` … ``p1 - 1`` of
    :func:`scatter_rows` (partition p in ``starts[p]:starts[p + 1]``), written from output row
    ``out`` on; returns the output row after the last one written.

    Each partition is grouped in cache, into scratch arrays as long as the largest partition:
    a counting sort on the time's high bits (``coarse_shift`` above the time's place in
    ``tm``, ``2**coarse_bits`` counters), then a stable counting sort on the bucket's low bits
    (times and flags unpacked on the way), then each bucket's rows sorted by time, stably
    (insertion sort: little is left out of order; NumPy's merge sort beyond 256 rows). Then
    :func:`best_attempts`' walk runs over each bucket. Nothing is written back: the outputs
    are, per attempt, the bucket plus ``offset`` in ``key`` (for integer ids: the id), the
    start's time in ``start``, ``level``, ``seconds``, ``reach`` (as in :func:`best_attempts`)
    and, when ``rows`` holds row numbers, the start row's number in the table in ``pos`` (else
    ``pos`` may be empty); ``period`` (empty: none) is per table row, read on step-1 rows
    through ``rows``.
    The caller sizes the outputs for at most one attempt per row and per bucket of each
    partition (with periods, one per row)."""
    out_first = out
    size = 1 << low_bits
    counts = np.zeros(size + 1, dtype=np.int64)
    sh = np.uint64(shift)
    packed = len(digits) == 0  # the bucket's low bits are in ``tm`` (see scatter_rows)
    sh_t = np.uint64(shift + low_bits) if packed else sh  # where the time starts in ``tm``
    low_mask = np.uint64((1 << low_bits) - 1)
    coarse = sh_t + np.uint64(coarse_shift)
    by_time = np.zeros((1 << coarse_bits) + 1, dtype=np.int64)
    flag_mask = (np.uint64(1) << sh) - np.uint64(1)
    want_rows = len(rows) > 0
    has_period = len(period) > 0
    places = pos if want_rows else start  # the walk's scratch places, made start times below
    largest = 0
    for p in range(p0, p1):
        largest = max(largest, starts[p + 1] - starts[p])
    c_tm = np.empty(largest, dtype=np.uint64)  # the partition in coarse time order
    c_digit = np.empty(largest, dtype=digits.dtype)
    c_row = np.empty(largest if want_rows else 0, dtype=np.int64)
    s_row = np.empty(largest if want_rows else 0, dtype=np.int64)
    s_t = np.empty(largest, dtype=np.int64)
    s_m = np.empty(largest, dtype=np.int64)
    s_period = np.empty(largest if has_period else 0, dtype=np.int64)
    ptr = np.empty(n_steps, dtype=np.int64)
    times = np.empty(n_steps, dtype=np.int64)
    no_runs = np.empty(0, dtype=np.int64)
    for p in range(p0, p1):
        a, b = starts[p], starts[p + 1]
        # 1. by coarse time (the time's high bits), stably: each bucket comes out of step 2
        # nearly in time order, and its sort has little left to do
        by_time[:] = 0
        for i in range(a, b):
            by_time[(tm[i] >> coarse) + np.uint64(1)] += 1
        for c in range(len(by_time) - 1):
            by_time[c + 1] += by_time[c]
        for i in range(a, b):
            c = tm[i] >> coarse
            j = by_time[c]
            by_time[c] = j + 1
            c_tm[j] = tm[i]
            c_digit[j] = (tm[i] >> sh) & low_mask if packed else digits[i]
            if want_rows:
                c_row[j] = rows[i]
        # 2. by bucket (the bucket's low bits), stably
        counts[:] = 0
        for i in range(b - a):
            counts[c_digit[i] + 1] += 1
        for d in range(size):
            counts[d + 1] += counts[d]
        for i in range(b - a):  # counts[d]: the next place of bucket d; afterwards, its end
            d = c_digit[i]
            j = counts[d]
            counts[d] = j + 1
            s_t[j] = t_low + np.int64(c_tm[i] >> sh_t)  # unpacked on the way
            s_m[j] = np.int64(c_tm[i] & flag_mask)
            if want_rows:
                s_row[j] = c_row[i]
        lo = 0
        for d in range(size):
            hi = counts[d]
            if hi == lo:
                continue
            if hi - lo <= _SMALL:  # by time, stably (after step 1, little is out of order)
                for i in range(lo + 1, hi):
                    when = s_t[i]
                    if s_t[i - 1] <= when:
                        continue
                    bits = s_m[i]
                    row = s_row[i] if want_rows else 0
                    j = i - 1
                    while j >= lo and s_t[j] > when:
                        s_t[j + 1] = s_t[j]
                        s_m[j + 1] = s_m[j]
                        if want_rows:
                            s_row[j + 1] = s_row[j]
                        j -= 1
                    s_t[j + 1] = when
                    s_m[j + 1] = bits
                    if want_rows:
                        s_row[j + 1] = row
            else:
                perm = np.argsort(s_t[lo:hi], kind="mergesort")  # stable
                s_t[lo:hi] = s_t[lo:hi][perm]
                s_m[lo:hi] = s_m[lo:hi][perm]
                if want_rows:
                    s_row[lo:hi] = s_row[lo:hi][perm]
            if has_period:
                for i in range(lo, hi):
                    s_period[i] = period[s_row[i]]
            first = out
            out = _attempts(
                s_t,
                s_m,
                s_period,
                lo,
                hi,
                n_steps,
                window,
                repeat,
                per_second,
                start_lo,
                start_hi,
                ptr,
                times,
                out,
                places,
                level,
                no_runs,
                no_runs,
                seconds,
                reach,
            )
            for o in range(first, out):  # scratch places → start times (and table rows)
                place = places[o]
                start[o] = s_t[place]
                if want_rows:
                    pos[o] = s_row[place]
                key[o] = ((p << low_bits) | d) + offset
            lo = hi
    _in_seconds(seconds, reach, out_first, out, per_second)
    return out


@njit(cache=True, nogil=True)
def best_attempts(
    key: Any,
    t: Any,
    m: Any,
    period: Any,
    n_steps: int,
    window: int,
    repeat: Any,
    per_second: float,
    start_lo: int,
    start_hi: int,
    pos: Any,
    key_out: Any,
    start: Any,
    level: Any,
    run_first: Any,
    run_after: Any,
    seconds: Any,
    reach: Any,
) -> int:  # pragma: no cover - compiled
    """Per entity (per entity and entry period when ``period`` is not empty), the best attempt;
    returns how many were written.

    ``key``: rows of one entity are adjacent and share a key; ``t``: time in ticks, ascending
    within an entity; ``m``: bit k-1 set when the row matches step k; a row starts an attempt
    when bit 0 is set and ``start_lo <= t < start_hi`` (the range of entry; the caller may have
    cleared bit 0 outside it already and pass the widest bounds); ``period``: per row, read on
    step-1 rows; ``repeat[k]``: step k+1 (0-based k) needs a row after the current step's
    instant, not at it; ``per_second``: ticks in a second.

    Writes one row per run (allocated by the caller, for at most one per step-1 row: growing
    arrays inside a compiled loop made it four times slower) into ``pos``, ``key_out``,
    ``start``, ``level``, ``run_first``, ``run_after``, ``seconds`` and ``reach``: the best
    attempt's step-1 row, its entity's key and its time, the last step it
    reached, the bounds of the (entity, time) run of that step's row (only when ``run_first``
    is not empty), the seconds from the
    start to that step, and the seconds from the start to each step 2 … n (``reach[k-2, :]``,
    NaN past ``level``); ``pos`` may be empty when the start rows are not wanted. The caller may run it on separate slices of entities in threads (the
    loop releases the GIL), each writing its own slice of the outputs.

    One pointer per step moves forward only: attempts are taken in time order and each takes
    the earliest row at every step, so the row an attempt looks from at step k never comes
    before the one an earlier attempt looked from, and neither does the answer. An entity costs
    at most (rows × steps), with no scratch memory."""
    n = len(key)
    ptr = np.empty(n_steps, dtype=np.int64)
    times = np.empty(n_steps, dtype=np.int64)
    out = 0
    a = 0
    places = pos if len(pos) else start  # the start rows, made start times below if not wanted
    while a < n:
        b = a + 1
        while b < n and key[b] == key[a]:
            b += 1
        first = out
        out = _attempts(
            t,
            m,
            period,
            a,
            b,
            n_steps,
            window,
            repeat,
            per_second,
            start_lo,
            start_hi,
            ptr,
            times,
            out,
            places,
            level,
            run_first,
            run_after,
            seconds,
            reach,
        )
        for o in range(first, out):  # here, not gathered afterwards from all rows
            key_out[o] = key[a]
            start[o] = t[places[o]]
        a = b
    _in_seconds(seconds, reach, 0, out, per_second)
    return out


@njit(cache=True, nogil=True, inline="always")  # a call per entity: walk 0.050 -> 0.060 s at 10M
def _attempts(
    t: Any,
    m: Any,
    period: Any,
    a: int,
    b: int,
    n_steps: int,
    window: int,
    repeat: Any,
    per_second: float,
    start_lo: int,
    start_hi: int,
    ptr: Any,
    times: Any,
    out: int,
    pos: Any,
    level: Any,
    run_first: Any,
    run_after: Any,
    seconds: Any,
    reach: Any,
) -> int:  # pragma: no cover - compiled
    """:func:`best_attempts` for the rows ``a`` … ``b - 1`` of one entity (``ptr`` and
    ``times``: scratch of ``n_steps``), written from output row ``out`` on, ``seconds`` and
    ``reach`` still in ticks (:func:`_in_seconds` converts them); returns the output row after
    the last one written."""
    has_period = len(period) > 0
    for k in range(n_steps):
        ptr[k] = a
    have = False
    run_period = 0
    best_level = 0
    cap = n_steps  # the most steps any later attempt can reach (see below)
    last_start = 0
    started = False
    for i in range(a, b):
        if not (m[i] & 1) or t[i] < start_lo or t[i] >= start_hi or (started and t[i] == last_start):
            continue
        started = True
        s = t[i]
        last_start = s  # one attempt per instant: its first step-1 row
        p = period[i] if has_period else 0
        if have and p != run_period:
            out += 1
            have = False
        if have and best_level >= cap:
            continue  # nothing later in this run can beat the best attempt
        deadline = s + window
        at = i
        lvl = 1
        times[0] = s
        for k in range(1, n_steps):
            x = at
            if repeat[k]:  # after the current instant
                while x < b and t[x] == t[at]:
                    x += 1
            else:  # from the current instant's first row
                while x > a and t[x - 1] == t[at]:
                    x -= 1
            j = max(ptr[k], x)
            while j < b and not ((m[j] >> k) & 1):
                j += 1
            ptr[k] = j
            if j >= b:  # no row of step k+1 after this one: later attempts, whose rows at
                cap = min(cap, k)  # every step come no earlier, reach step k at most
                break
            if t[j] > deadline:
                break
            at = j
            lvl = k + 1
            times[k] = t[j]
        if not have or lvl > best_level:
            have = True
            run_period = p
            best_level = lvl
            pos[out] = i
            level[out] = lvl
            if len(run_first):  # wanted (attribution: last)
                lo = at
                while lo > a and t[lo - 1] == t[at]:
                    lo -= 1
                hi = at + 1
                while hi < b and t[hi] == t[at]:
                    hi += 1
                run_first[out] = lo
                run_after[out] = hi
            seconds[out] = times[lvl - 1] - s  # in ticks: made seconds by _in_seconds
            for k in range(1, n_steps):
                reach[k - 1, out] = times[k] - s if k < lvl else np.nan  # (NaN: not reached)
    if have:
        out += 1
    return out


@njit(cache=True, nogil=True)
def _in_seconds(
    seconds: Any, reach: Any, first: int, end: int, per_second: float
) -> None:  # pragma: no cover
    """Outputs ``first`` … ``end - 1`` of :func:`_attempts` from ticks to seconds (``reach``
    past each level is NaN already, and stays NaN): simple loops over one row at a time, which
    the compiler vectorises (dividing inside the walk, with a branch per step, cost a fifth of
    it; a NaN mask here, or two-dimensional indexing, kept the loop scalar: 11 ms against 4 ms
    at 10M events). The same numbers as dividing there: the tick difference becomes a float64
    either way before the division."""
    for o in range(first, end):
        seconds[o] = seconds[o] / per_second
    for k in range(reach.shape[0]):
        row = reach[k]
        for o in range(first, end):
            row[o] = row[o] / per_second


@njit(cache=True, nogil=True)
def entity_start(key: Any, i: int) -> int:  # pragma: no cover - compiled
    """The first row at or after ``i`` that starts an entity (``len(key)`` if none): a place to
    cut the rows into slices that share no entity."""
    n = len(key)
    while 0 < i < n and key[i] == key[i - 1]:
        i += 1
    return min(i, n)
