"""The compiled passes behind the wide root-cause tables on DuckDB (:mod:`northstar.analysis.wide_codes`).

Numba compiles these loops to machine code on first use (cached next to this file, as
:mod:`northstar.analysis.funnel_kernel`'s). They read the rows as plain NumPy arrays, one
dimension per row of a 2-D array, over a range of rows (one range per thread; the loops release
the GIL), each range adding into its own table, one measure at a time:

- ``codes``: (D, n) — row r's value of dimension d as its index in the dimension's sorted labels;
- ``top``: (D, n) uint8 — the same value as its position among the pair tables' kept values of
  the dimension, or ``T_d`` ("other");
- ``p``: (n,) — the row's period (0 the period explained, 1 … the baselines);
- ``w``: (n,) float64 — the measure's value on the row.

Every table's first axis is the period; :mod:`wide_codes` turns periods into (real, expected) as
:class:`northstar.analysis.wide_tables.RowSource` does.

The tables of several dimensions (pairs, triples) are filled a block of rows at a time, one table
at a time: first the cell of every row of the block (a loop the compiler vectorises), then the
additions. This is about 2.4× faster than walking each row's 190 pairs (0.13 s instead of 0.30 s
for 1M rows and 20 dimensions on one core of the benchmark machine).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["margins", "pairs", "slices", "top_codes", "triples"]

_BLOCK = 512  # rows per block: their cells (8 bytes each) and codes stay in the L1 cache; 256 to
# 16,384 rows all took 0.12-0.13 s for the benchmark's pairs, so the choice is not critical


@njit(cache=True, nogil=True)
def margins(codes: Any, p: Any, w: Any, offsets: Any, lo: int, hi: int, out: Any) -> None:  # pragma: no cover
    """``out[p, offsets[d] + code] += w[r]`` for every dimension d and row r in [lo, hi)."""
    for d in range(codes.shape[0]):
        base = offsets[d]
        col = codes[d]
        for r in range(lo, hi):
            out[p[r], base + col[r]] += w[r]


@njit(cache=True, nogil=True)
def top_codes(codes: Any, remap: Any, offsets: Any, lo: int, hi: int, out: Any) -> None:  # pragma: no cover
    """``out[d, r] = remap[offsets[d] + codes[d, r]]``: each value's position among its
    dimension's kept values (or the dimension's "other" code)."""
    for d in range(codes.shape[0]):
        base = offsets[d]
        col = codes[d]
        dst = out[d]
        for r in range(lo, hi):
            dst[r] = remap[base + col[r]]


@njit(cache=True, nogil=True)
def pairs(
    top: Any, p: Any, w: Any, first: Any, second: Any, stride: Any, at: Any, lo: int, hi: int, out: Any
) -> None:  # pragma: no cover
    """The tables of the dimension pairs k = (first[k], second[k]), "other" included:
    ``out[p, at[k] + a·stride[k] + b] += w[r]`` for a row r whose codes are a and b."""
    cells = out.shape[1]
    flat = out.ravel()
    idx = np.empty(_BLOCK, dtype=np.int64)
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        size = stop - start
        pp = p[start:stop]
        ww = w[start:stop]
        for k in range(first.shape[0]):
            a = top[first[k], start:stop]
            b = top[second[k], start:stop]
            s = stride[k]
            base = at[k]
            for r in range(size):
                idx[r] = pp[r] * cells + base + np.int64(a[r]) * s + b[r]
            for r in range(size):
                flat[idx[r]] += ww[r]


@njit(cache=True, nogil=True)
def triples(top: Any, p: Any, w: Any, which: Any, lo: int, hi: int, out: Any) -> None:  # pragma: no cover
    """Tables of the dimension triples ``which`` (t, 3), "other" included: ``out[p, t, a, b, c]
    += w[r]`` (each axis as wide as the widest dimension + 1)."""
    width = out.shape[2]
    per_triple = width * width * width
    cells = out.shape[1] * per_triple
    flat = out.ravel()
    idx = np.empty(_BLOCK, dtype=np.int64)
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        size = stop - start
        pp = p[start:stop]
        ww = w[start:stop]
        for t in range(which.shape[0]):
            a = top[which[t, 0], start:stop]
            b = top[which[t, 1], start:stop]
            c = top[which[t, 2], start:stop]
            base = t * per_triple
            for r in range(size):
                idx[r] = pp[r] * cells + base + (np.int64(a[r]) * width + b[r]) * width + c[r]
            for r in range(size):
                flat[idx[r]] += ww[r]


@njit(cache=True, nogil=True)
def slices(
    codes: Any, top: Any, p: Any, w: Any, conds: Any, lo: int, hi: int, out: Any
) -> None:  # pragma: no cover
    """Within each slice s (``conds[s]``: (dimension, label index) rows, dimension −1 unused),
    every dimension's kept codes: ``out[p, s, d, top code] += w[r]``."""
    n_dims = top.shape[0]
    for r in range(lo, hi):
        for s in range(conds.shape[0]):
            inside = True
            for x in range(conds.shape[1]):
                d = conds[s, x, 0]
                if d >= 0 and codes[d, r] != conds[s, x, 1]:
                    inside = False
                    break
            if not inside:
                continue
            row = out[p[r], s]
            for d in range(n_dims):
                row[d, top[d, r]] += w[r]
