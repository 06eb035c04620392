"""Compiled passes for the funnel summary (:func:`northstar.analysis.funnels._summarise`), each
one pass over the per-entity rows where NumPy needs several (and holds the GIL for some):

- :func:`gaps` — the seconds from step k-1 to step k of the entities that reached step k, the
  input of that step's median and p90;
- :func:`bin_counts` — how many values fall in each bin of a histogram;
- :func:`level_counts` — how many entities stopped at each step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["bin_counts", "gaps", "level_counts"]


@njit(cache=True, nogil=True)
def gaps(later: Any, earlier: Any, level: Any, k: int) -> Any:  # pragma: no cover - compiled
    """``later - earlier`` where ``level >= k`` (``earlier`` empty: 0), NaN left out."""
    n = len(later)
    out = np.empty(n + 1, dtype=np.float64)
    j = 0
    zero = len(earlier) == 0
    for i in range(n):  # without branches on the data: every value is written, the kept ones
        v = later[i] - (0.0 if zero else earlier[i])  # move the end on
        out[j] = v
        j += (level[i] >= k) & (v == v)  # v == v: not NaN
    return out[:j]


@njit(cache=True, nogil=True)
def bin_counts(values: Any, edges: Any) -> Any:  # pragma: no cover - compiled
    """Counts per bin ``edges[b] <= x < edges[b + 1]``, the last bin closed (NumPy's
    histogram rule); NaN and values outside the edges are not counted. ``edges`` ascending,
    at least two."""
    bins = len(edges) - 1
    counts = np.zeros(bins, dtype=np.int64)
    last = edges[bins]
    for i in range(len(values)):
        x = values[i]
        if not (edges[0] <= x <= last):  # NaN too
            continue
        b = 0  # the bin b with edges[b] <= x < edges[b + 1]: counted without branches (a
        for e in range(1, bins):  # histogram has a few dozen edges at most)
            b += edges[e] <= x
        counts[b] += 1
    return counts


@njit(cache=True, nogil=True)
def level_counts(level: Any, n: int) -> Any:  # pragma: no cover - compiled
    """How many of ``level`` are 0, 1, … n (levels below 0 counted as 0, above n as n): NumPy's
    ``bincount(clip(level, 0, n))`` without the clipped int64 copy."""
    counts: Any = np.zeros(n + 1, dtype=np.int64)
    for i in range(len(level)):
        counts[min(max(np.int64(level[i]), 0), n)] += 1
    return counts
