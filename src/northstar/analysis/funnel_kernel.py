"""The compiled passes behind the fast ordered funnel (:mod:`northstar.analysis.funnel_fast`).

Numba compiles these loops to machine code on first use (and caches the result next to this
file, or in the user's cache folder when that is read-only). They work on plain NumPy arrays:

- :func:`grouped` — are the rows already grouped by entity (in any order of entities), in time
  order within each?
- :func:`group_order` — the permutation that groups rows by entity bucket and sorts each group by
  time (a counting sort, then a small sort per entity), for rows read in any order;
- :func:`best_attempts` — the funnel itself: for every entity, every
  attempt (a step-1 row, one per instant) walks the steps in one pass over the entity's rows, and
  the best attempt per entity (per entity and entry period) is kept.

The semantics are those of ``funnel_fast``'s docstring; this module only makes them fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["best_attempts", "group_order", "grouped"]

_SMALL = 32  # groups up to this many rows are sorted by insertion


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
def group_order(bucket: Any, n_buckets: int, t: Any) -> Any:  # pragma: no cover - compiled
    """Row numbers ordered by (bucket, t): a stable counting sort by bucket, then each bucket's
    rows by time (insertion sort for small buckets, a stable merge sort for large ones)."""
    n = len(bucket)
    starts = np.zeros(n_buckets + 1, dtype=np.int64)
    for i in range(n):
        starts[bucket[i] + 1] += 1
    for b in range(n_buckets):
        starts[b + 1] += starts[b]
    fill = starts[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        b = bucket[i]
        order[fill[b]] = i
        fill[b] += 1
    for b in range(n_buckets):
        lo, hi = starts[b], starts[b + 1]
        if hi - lo < 2:
            continue
        if hi - lo <= _SMALL:
            for i in range(lo + 1, hi):
                row = order[i]
                when = t[row]
                j = i - 1
                while j >= lo and t[order[j]] > when:
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = row
        else:
            part = order[lo:hi].copy()
            order[lo:hi] = part[np.argsort(t[part], kind="mergesort")]
    return order


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
    start: int,
    pos: Any,
    level: Any,
    run_first: Any,
    run_after: Any,
    seconds: Any,
    reach: Any,
) -> Any:  # pragma: no cover - compiled
    """Per entity (per entity and entry period when ``period`` is not empty), the best attempt.

    ``key``: rows of one entity are adjacent and share a key; ``t``: time in ticks, ascending
    within an entity; ``m``: bit k-1 set when the row matches step k (bit 0 only on rows that
    may start an attempt); ``period``: per row, read on step-1 rows; ``repeat[k]``: step k+1
    (0-based k) needs a row after the current step's instant, not at it; ``per_second``: ticks
    in a second.

    Fills, from index 0, the output arrays (pos, level, run_first, run_after, seconds, reach):
    the best attempt's step-1 row, the last step it reached, the bounds of the (entity, time)
    run of that step's row, the seconds from the start to that step, and the seconds from the
    start to each step 2 … n (``reach[:, k-2]``, NaN past ``level``). It begins at row
    ``start`` (an entity's first row) and stops before an entity that might not fit in what is
    left of the output (an entity gives at most one row per row). Returns (the row to go on
    from, or ``len(key)`` at the end; the output rows filled).

    One pointer per step moves forward only: attempts are taken in time order and each takes
    the earliest row at every step, so the row an attempt looks from at step k never comes
    before the one an earlier attempt looked from, and neither does the answer. An entity costs
    at most (rows × steps), with no scratch memory."""
    n = len(key)
    cap = len(pos)
    has_period = len(period) > 0
    ptr = np.empty(n_steps, dtype=np.int64)
    times = np.empty(n_steps, dtype=np.int64)
    out = 0
    a = start
    while a < n:
        b = a + 1
        while b < n and key[b] == key[a]:
            b += 1
        if out + (1 if not has_period else b - a) > cap:
            return a, out
        for k in range(n_steps):
            ptr[k] = a
        have = False
        run_period = 0
        best_level = 0
        last_start = 0
        started = False
        for i in range(a, b):
            if not (m[i] & 1) or (started and t[i] == last_start):
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
                    reach[out, k - 1] = (times[k] - s) / per_second if k < lvl else np.nan
        if have:
            out += 1
        a = b
    return n, out
