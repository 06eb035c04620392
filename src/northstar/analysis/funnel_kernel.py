"""The compiled passes behind the fast ordered funnel (:mod:`northstar.analysis.funnel_fast`).

Numba compiles these loops to machine code on first use (and caches the result next to this
file, or in the user's cache folder when that is read-only). They work on plain NumPy arrays:

- :func:`sorted_by_entity` — are the rows in (id, time) order, and the id range, in one pass;
- :func:`grouped` — are the rows already grouped by entity (in any order of entities), in time
  order within each?
- :func:`partition_counts`, :func:`partition_rows` and :func:`sort_partitions` — the rows
  grouped by entity bucket, each group sorted by time, for rows read in any order: a radix
  partition on the bucket's high bits, then a counting sort of each partition in cache and a
  small sort per entity; each step runs in one thread per core over its own rows or partitions;
- :func:`count_runs` and :func:`best_attempts` — the funnel itself: for every entity, every
  attempt (a step-1 row, one per instant) walks the steps in one pass over the entity's rows, and
  the best attempt per entity (per entity and entry period) is kept; :func:`entity_start` cuts
  the rows between entities into one slice per thread.

The semantics are those of ``funnel_fast``'s docstring; this module only makes them fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = [
    "best_attempts",
    "count_runs",
    "entity_start",
    "grouped",
    "partition_counts",
    "partition_rows",
    "sort_partitions",
    "sorted_by_entity",
]

_SMALL = 32  # groups up to this many rows are sorted by insertion


@njit(cache=True, nogil=True)
def sorted_by_entity(ids: Any, t: Any) -> Any:  # pragma: no cover - compiled
    """(ordered, low, high): are the rows in (id, time) order, and the smallest and largest
    id, in one pass (rows stored by entity and time need no grouping; ``grouped`` also
    accepts entities in any order, at the price of a table of the ids seen)."""
    ordered = True
    low = ids[0]
    high = ids[0]
    for i in range(1, len(ids)):  # no branch on the data: the loop stays vectorisable
        ordered &= (ids[i] > ids[i - 1]) | ((ids[i] == ids[i - 1]) & (t[i] >= t[i - 1]))
        low = min(low, ids[i])
        high = max(high, ids[i])
    return ordered, low, high


@njit(cache=True, nogil=True)
def grouped(bucket: Any, n_buckets: int, t: Any) -> bool:  # pragma: no cover - compiled
    """True when the rows of each bucket (0 … n_buckets-1) are adjacent and in time order: the
    buckets may come in any order, so rows grouped by entity need no sort."""
    seen = np.zeros(n_buckets, dtype=np.bool_)
    for i in range(len(bucket)):
        if i == 0 or bucket[i] != bucket[i - 1]:
            if seen[bucket[i]]:
                return False
            seen[bucket[i]] = True
        elif t[i] < t[i - 1]:
            return False
    return True


@njit(cache=True, nogil=True)
def partition_counts(bucket: Any, low_bits: int, parts: int, r0: int, r1: int) -> Any:  # pragma: no cover
    """How many of rows ``r0`` … ``r1 - 1`` fall in each partition ``bucket >> low_bits``
    (the first step of :func:`partition_rows`, one slice of rows per thread)."""
    counts = np.zeros(parts, dtype=np.int64)
    for i in range(r0, r1):
        counts[bucket[i] >> low_bits] += 1
    return counts


@njit(cache=True, nogil=True)
def partition_rows(
    bucket: Any,
    t: Any,
    m: Any,
    low_bits: int,
    r0: int,
    r1: int,
    cursor: Any,
    packed: Any,
    times: Any,
    flags: Any,
) -> None:  # pragma: no cover - compiled
    """Rows ``r0`` … ``r1 - 1`` written by partition (``bucket >> low_bits``), each partition's
    next free place in ``cursor``: as (bucket's low bits) << 32 | row number in ``packed``, the
    row's time in ``times`` and its flags in ``flags`` (carried along: gathering them by row
    afterwards reads memory at random, slow once the flags outgrow the cache). Each partition covers 2**low_bits buckets; with at most 1,024
    partitions the writes go to few enough places at once to stay sequential."""
    low = (1 << low_bits) - 1
    for i in range(r0, r1):
        p = bucket[i] >> low_bits
        c = cursor[p]
        packed[c] = (np.uint64(bucket[i] & low) << np.uint64(32)) | np.uint64(i)
        times[c] = t[i]
        flags[c] = m[i]
        cursor[p] = c + 1


@njit(cache=True, nogil=True)
def sort_partitions(
    packed: Any, times: Any, flags: Any, starts: Any, p0: int, p1: int, low_bits: int, key: Any
) -> None:  # pragma: no cover - compiled
    """Partitions ``p0`` … ``p1 - 1`` of :func:`partition_rows` (partition p in
    ``starts[p]:starts[p + 1]``) each put in (bucket, time) order, stably, in place: a
    counting sort on the bucket's low bits (a partition's few thousand rows, copied aside, and
    2**low_bits counters stay in cache), then each bucket's rows sorted by time (insertion
    sort; a stable merge sort for buckets of more than 32 rows). Afterwards ``packed`` holds
    each row's number in the table (``order``), ``times`` its time and ``flags`` its flags;
    ``key`` (its bucket) is written at the same places. Sorting in place keeps the memory of
    the grouping at about 21 bytes a row (with an int32 ``key`` and one-byte flags)."""
    size = 1 << low_bits
    counts = np.zeros(size + 1, dtype=np.int64)
    low = np.uint64(0xFFFFFFFF)
    largest = 0
    for p in range(p0, p1):
        largest = max(largest, starts[p + 1] - starts[p])
    spare = np.empty(largest, dtype=np.uint64)
    spare_times = np.empty(largest, dtype=times.dtype)
    spare_flags = np.empty(largest, dtype=flags.dtype)
    order = packed.view(np.int64)
    m2 = flags
    for p in range(p0, p1):
        a, b = starts[p], starts[p + 1]
        spare[: b - a] = packed[a:b]
        spare_times[: b - a] = times[a:b]
        spare_flags[: b - a] = flags[a:b]
        counts[:] = 0
        for i in range(b - a):
            counts[np.int64(spare[i] >> np.uint64(32)) + 1] += 1
        for d in range(size):
            counts[d + 1] += counts[d]
        for i in range(b - a):
            row = np.int64(spare[i] & low)
            digit = np.int64(spare[i] >> np.uint64(32))
            j = a + counts[digit]
            counts[digit] += 1
            order[j] = row
            key[j] = (p << low_bits) | digit
            times[j] = spare_times[i]
            m2[j] = spare_flags[i]
        lo = a
        while lo < b:
            hi = lo + 1
            while hi < b and key[hi] == key[lo]:
                hi += 1
            if hi - lo <= _SMALL:
                for i in range(lo + 1, hi):
                    when, row, bits = times[i], order[i], m2[i]
                    j = i - 1
                    while j >= lo and times[j] > when:
                        times[j + 1], order[j + 1], m2[j + 1] = times[j], order[j], m2[j]
                        j -= 1
                    times[j + 1], order[j + 1], m2[j + 1] = when, row, bits
            else:
                perm = np.argsort(times[lo:hi], kind="mergesort")
                order[lo:hi] = order[lo:hi][perm]
                times[lo:hi] = times[lo:hi][perm]
                m2[lo:hi] = m2[lo:hi][perm]
            lo = hi


@njit(cache=True, nogil=True)
def count_runs(
    key: Any, t: Any, m: Any, period: Any, start_lo: int, start_hi: int
) -> int:  # pragma: no cover
    """How many (entity, entry period) runs have a row that starts an attempt (a step-1 row
    with ``start_lo <= t < start_hi``): the rows :func:`best_attempts` returns. ``period`` is
    per row (read on step-1 rows), or empty for no periods."""
    runs = 0
    have = False
    last_key = 0
    last_period = 0
    for i in range(len(key)):
        if m[i] & 1 and start_lo <= t[i] < start_hi:
            p = period[i] if len(period) else 0
            if not have or key[i] != last_key or p != last_period:
                runs += 1
                have = True
                last_key = key[i]
                last_period = p
    return runs


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
    level: Any,
    run_first: Any,
    run_after: Any,
    seconds: Any,
    reach: Any,
) -> None:  # pragma: no cover - compiled
    """Per entity (per entity and entry period when ``period`` is not empty), the best attempt.

    ``key``: rows of one entity are adjacent and share a key; ``t``: time in ticks, ascending
    within an entity; ``m``: bit k-1 set when the row matches step k; a row starts an attempt
    when bit 0 is set and ``start_lo <= t < start_hi`` (the range of entry; the caller may have
    cleared bit 0 outside it already and pass the widest bounds); ``period``: per row, read on
    step-1 rows; ``repeat[k]``: step k+1 (0-based k) needs a row after the current step's
    instant, not at it; ``per_second``: ticks in a second.

    Writes one row per run (:func:`count_runs` rows, allocated by the caller: growing arrays
    inside a compiled loop made it four times slower) into ``pos``, ``level``, ``run_first``,
    ``run_after``, ``seconds`` and ``reach``: the best attempt's step-1 row, the last step it
    reached, the bounds of the (entity, time) run of that step's row (only when ``run_first``
    is not empty), the seconds from the
    start to that step, and the seconds from the start to each step 2 … n (``reach[k-2, :]``,
    NaN past ``level``). The caller may run it on separate slices of entities in threads (the
    loop releases the GIL), each writing its own slice of the outputs.

    One pointer per step moves forward only: attempts are taken in time order and each takes
    the earliest row at every step, so the row an attempt looks from at step k never comes
    before the one an earlier attempt looked from, and neither does the answer. An entity costs
    at most (rows × steps), with no scratch memory."""
    n = len(key)
    has_period = len(period) > 0
    ptr = np.empty(n_steps, dtype=np.int64)
    times = np.empty(n_steps, dtype=np.int64)
    out = 0
    a = 0
    while a < n:
        b = a + 1
        while b < n and key[b] == key[a]:
            b += 1
        for k in range(n_steps):
            ptr[k] = a
        have = False
        run_period = 0
        best_level = 0
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
            if have and best_level == n_steps:
                continue  # nothing later in this run can beat a complete attempt
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
                if j >= b or t[j] > deadline:
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
                seconds[out] = (times[lvl - 1] - s) / per_second
                for k in range(1, n_steps):
                    reach[k - 1, out] = (times[k] - s) / per_second if k < lvl else np.nan
        if have:
            out += 1
        a = b


@njit(cache=True, nogil=True)
def entity_start(key: Any, i: int) -> int:  # pragma: no cover - compiled
    """The first row at or after ``i`` that starts an entity (``len(key)`` if none): a place to
    cut the rows into slices that share no entity."""
    n = len(key)
    while 0 < i < n and key[i] == key[i - 1]:
        i += 1
    return min(i, n)
