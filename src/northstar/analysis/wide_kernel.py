"""The compiled passes behind the wide root-cause tables on DuckDB (:mod:`northstar.analysis.wide_codes`).

Numba compiles these loops to machine code on first use (cached next to this file, as
:mod:`northstar.analysis.funnel_kernel`'s). They read the rows as plain NumPy arrays of integer
codes, in row ranges (one range per thread; the loops release the GIL), each range adding into
its own table:

- ``codes``: (D, n) — row r's value of dimension d as its index in the dimension's sorted labels;
- ``top``: (n, D) uint8 — the same value as its position in the pair tables' kept values, or
  ``T_d`` ("other");
- ``p``: (n,) — the row's period (0 the period explained, 1 … the baselines);
- ``m``: (M, n) float64 — the measures' values on the row.

Every table is indexed ``[measure, period, …cells]``; :mod:`wide_codes` turns periods into
(real, expected) as :class:`northstar.analysis.wide_tables.RowSource` does.
"""

from __future__ import annotations

from typing import Any

from numba import njit

__all__ = ["margins", "pairs", "slices", "top_codes", "triples"]

_BLOCK = 4096  # rows per block of the pair loop: 4,096 × D bytes of codes stay in the L2 cache


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
    """``out[r, d] = remap[offsets[d] + codes[d, r]]``: each value's position among its
    dimension's kept values (or the dimension's "other" code)."""
    n_dims = codes.shape[0]
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        for d in range(n_dims):
            base = offsets[d]
            col = codes[d]
            for r in range(start, stop):
                out[r, d] = remap[base + col[r]]


@njit(cache=True, nogil=True)
def pairs(
    top: Any, p: Any, w: Any, stride: Any, pair_at: Any, lo: int, hi: int, out: Any
) -> None:  # pragma: no cover
    """Every pair of dimensions (i < j), one measure ``w``: ``out[p, pair_at[i, j] + a·stride[j] +
    b] += w[r]`` for a row r whose codes are a (of i) and b (of j), "other" included.

    Rows go in blocks that stay in cache, and within a block one dimension i at a time, so the
    cells written (the pairs (i, ·)) stay in cache too; no branch in the inner loop (a branch on
    "other" costs more in mispredictions than the cells it skips)."""
    n_dims = top.shape[1]
    for start in range(lo, hi, _BLOCK):
        stop = min(start + _BLOCK, hi)
        for i in range(n_dims - 1):
            for r in range(start, stop):
                row = out[p[r]]
                a = top[r, i]
                x = w[r]
                for j in range(i + 1, n_dims):
                    row[pair_at[i, j] + a * stride[j] + top[r, j]] += x


@njit(cache=True, nogil=True)
def triples(top: Any, p: Any, w: Any, which: Any, lo: int, hi: int, out: Any) -> None:  # pragma: no cover
    """Tables of the dimension triples ``which`` (t, 3), "other" included: ``out[p, t, a, b, c]
    += w[r]`` (each axis as wide as the widest dimension + 1)."""
    for r in range(lo, hi):
        row = out[p[r]]
        x = w[r]
        for t in range(which.shape[0]):
            row[t, top[r, which[t, 0]], top[r, which[t, 1]], top[r, which[t, 2]]] += x


@njit(cache=True, nogil=True)
def slices(
    codes: Any, top: Any, p: Any, w: Any, conds: Any, lo: int, hi: int, out: Any
) -> None:  # pragma: no cover
    """Within each slice s (``conds[s]``: (dimension, label index) rows, dimension −1 unused),
    every dimension's kept codes: ``out[p, s, d, top code] += w[r]``."""
    n_dims = top.shape[1]
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
                row[d, top[r, d]] += w[r]
