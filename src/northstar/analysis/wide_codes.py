"""The wide root-cause tables on DuckDB: the rows read once as integer codes, then compiled passes.

:class:`northstar.analysis.wide_tables.RowSource` asks the engine for every table (margins, a
cached code table, 190 pair GROUP BYs, drills, triples), which is portable but slow on DuckDB: the
pair GROUP BYs alone cost about 1 s for 1M rows and 20 dimensions, and each query that reads a
Parquet file of one row group runs on one thread. :class:`CodedRows` gives the same tables (equal
by test, ``tests/analysis/test_wide_codes.py``) from two DuckDB queries over the same rows:

1. the **labels**: each dimension's distinct values (one ``SELECT DISTINCT`` per dimension);
2. the **codes**: every row in the period and its baselines as (period, measures, one integer
   per dimension: the value's index among its dimension's sorted labels), the labels joined in as
   a registered Arrow table (no value is ever written into SQL text); the rows come back as
   NumPy arrays of 2 bytes per dimension (4 past 65,535 values).

The margins, pair tables, drills and triples are then sums over those arrays in compiled loops
(:mod:`northstar.analysis.wide_kernel`), one range of rows per core.

Memory: the codes hold (2·D + 1 + 8·M) bytes per row (about 50 MB for 1M rows of 20 dimensions
and one measure), for the length of one explanation; they are dropped by :meth:`release`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from northstar.analysis import wide_kernel as kernel
from northstar.analysis.wide_tables import _P, NONE_LABEL, RowSource

if TYPE_CHECKING:
    from northstar.analysis.wide_search import Key, Tables
    from northstar.engine.base import Engine
    from northstar.project import Project

_ROWS_PER_PART = 200_000  # one thread per core when each gets this many rows (a cost bound: below
# it the passes take tens of milliseconds on one core)
MEMORY_SHARE = 0.25  # of the machine's memory, at most, for the rows' codes (a cost bound)


def _memory() -> int:
    """The machine's physical memory in bytes (4 GiB when the system does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 4 << 30


def _fill(out: np.ndarray, column: pa.ChunkedArray) -> None:
    """``out[:] = column`` (the column has no nulls; Arrow joins its chunks faster than a loop
    over them copies them)."""
    out[:] = column.to_numpy()


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


class CodedRows(RowSource):
    """:class:`RowSource`'s tables, computed from the rows read once as integer codes (DuckDB)."""

    def __init__(
        self,
        project: Project,
        engine: Engine,
        measures: list[str],
        dims: Sequence[str],
        period: tuple[date, date],
        base: list[tuple[date, date]],
    ) -> None:
        super().__init__(project, engine, measures, dims, period, base)
        self.con = engine.con  # type: ignore[attr-defined]
        self.codes_np: np.ndarray | None = None
        self.top_np: np.ndarray | None = None
        self._names: list[list[str]] | None = None
        self._rows_sql: str | None = None
        self.rows_read = 0

    # -- reading ----------------------------------------------------------------------------

    def _over_rows(self, query: Any) -> str:
        """``query`` (a sqlglot expression reading the table ``r``) with ``r`` the rows: the
        engine's SQL for :attr:`rows` (compiled once; names quoted by the engine)."""
        if self._rows_sql is None:
            self._rows_sql = self.engine.sql(self.rows)
        return f"WITH r AS ({self._rows_sql}) {query.sql(dialect='duckdb')}"

    def _labels(self) -> list[list[str]]:
        parts = [
            exp.select(
                exp.alias_(exp.Literal.number(j), "g"),
                exp.alias_(_col(f"__d{j}"), "v"),
                exp.alias_(exp.Count(this=exp.Star()), "n"),
            )
            .from_("r", copy=False)
            .group_by(_col(f"__d{j}"), copy=False)
            for j in range(len(self.dims))
        ]
        union = exp.union(*parts, distinct=False, copy=False) if len(parts) > 1 else parts[0]
        query = exp.select("*").from_(exp.paren(union).as_("u"), copy=False)
        got = self.con.sql(self._over_rows(query)).to_arrow_table()
        values: list[set[str]] = [set() for _ in self.dims]
        groups = got.column("g").to_pylist()
        for g, v in zip(groups, got.column("v").to_pylist(), strict=True):
            values[g].add(NONE_LABEL if v is None else v)
        counts = np.asarray(got.column("n").to_numpy(), dtype=np.int64)
        self.rows_read = int(counts[np.asarray(groups) == 0].sum()) if len(groups) else 0
        return [sorted(v) for v in values]

    def labels(self) -> list[list[str]]:
        """Each dimension's values, sorted (``(none)`` for missing), as :meth:`margins` names them."""
        if self._names is None:
            self._names = self._labels()
        return self._names

    def fits(self) -> bool:
        """Whether the rows' codes fit in :data:`MEMORY_SHARE` of the machine's memory (about
        ``12 + 16·M + 5·D`` bytes a row at the peak: the Arrow result and its NumPy copy, the kept
        codes); else :class:`RowSource` does the work in the engine, which can spill to disk."""
        self.labels()
        per_row = 12 + 16 * self.measures + 5 * len(self.dims)
        return self.rows_read * per_row <= MEMORY_SHARE * _memory()

    def _read(self) -> list[list[str]]:
        labels = self.labels()
        wide = max((len(lb) for lb in labels), default=0) > 65_535
        code_type = pa.uint32() if wide else pa.uint16()
        name = f"__ns_wide_labels_{uuid.uuid4().hex}"
        g, v, c = [], [], []
        for j, names in enumerate(labels):
            for i, label in enumerate(names):
                g.append(j)
                v.append(label)
                c.append(i)
        self.con.register(name, pa.table({"g": pa.array(g, pa.int32()), "v": v, "c": pa.array(c, code_type)}))
        try:
            select: list[Any] = [_col(_P, "r")]
            select += [
                exp.alias_(exp.cast(_col(f"__m{i}", "r"), exp.DataType.Type.DOUBLE), f"__m{i}")
                for i in range(self.measures)
            ]
            joins = []
            for j, names in enumerate(labels):
                alias = f"l{j}"
                code: Any = _col("c", alias)
                if NONE_LABEL in names:  # a missing value joins no label: its code is (none)'s
                    code = exp.func("COALESCE", code, exp.Literal.number(names.index(NONE_LABEL)))
                select.append(exp.alias_(code, f"c{j}"))
                side = (
                    exp.select("v", "c")
                    .from_(exp.to_table(name, quoted=True), copy=False)
                    .where(exp.column("g").eq(exp.Literal.number(j)), copy=False)
                    .subquery(alias, copy=False)
                )
                joins.append(exp.Join(this=side, side="LEFT", on=_col(f"__d{j}", "r").eq(_col("v", alias))))
            query = exp.Select(expressions=select, joins=joins).from_(exp.to_table("r").as_("r"), copy=False)
            got = self.con.sql(self._over_rows(query)).to_arrow_table()
        finally:
            self.con.unregister(name)
        n = got.num_rows
        self.n = n
        self.p = np.empty(n, dtype=np.int64)
        _fill(self.p, got.column(_P))
        self.m = np.empty((self.measures, n), dtype=np.float64)
        for i in range(self.measures):
            _fill(self.m[i], got.column(f"__m{i}"))
        codes = np.empty((len(self.dims), n), dtype=np.uint32 if wide else np.uint16)
        for j in range(len(self.dims)):
            _fill(codes[j], got.column(f"c{j}"))
        self.codes_np = codes
        self.offsets = np.concatenate([[0], np.cumsum([len(lb) for lb in labels])]).astype(np.int64)
        return labels

    def _ranges(self) -> list[tuple[int, int]]:
        parts = max(1, min(os.cpu_count() or 1, self.n // _ROWS_PER_PART))
        return [(self.n * k // parts, self.n * (k + 1) // parts) for k in range(parts)]

    def _each(self, run: Callable[[int, int, int], None]) -> None:
        """``run(k, lo, hi)`` for each range k of rows, in a thread each (the compiled loops
        release the GIL)."""
        ranges = self._ranges()
        if len(ranges) == 1:
            run(0, *ranges[0])
            return
        with ThreadPoolExecutor(len(ranges)) as pool:
            list(pool.map(lambda k: run(k, *ranges[k]), range(len(ranges))))

    def _run(
        self, run: Callable[[np.ndarray, int, int, np.ndarray], None], shape: tuple[int, ...]
    ) -> np.ndarray:
        """``run(w, lo, hi, out)`` for each measure's values ``w`` and range of rows, one ``out``
        of ``shape`` each; (M, *shape): the sums over the ranges."""
        outs = np.zeros((len(self._ranges()), self.measures, *shape))

        def part(k: int, lo: int, hi: int) -> None:
            for q in range(self.measures):
                run(self.m[q], lo, hi, outs[k, q])

        self._each(part)
        return outs.sum(axis=0)

    def _split(self, arr: np.ndarray) -> np.ndarray:
        """(M, periods, …) sums → (2M, …): the period's, then the baselines' mean, per measure."""
        out = np.empty((2 * self.measures, *arr.shape[2:]))
        out[0::2] = arr[:, 0]
        out[1::2] = (arr[:, 1:] / (self.periods - 1)).sum(axis=1)
        return out

    # -- RowSource's interface ----------------------------------------------------------------

    def margins(self) -> tuple[list[list[str]], list[np.ndarray]]:
        labels = self._read()
        codes, p, offsets = self.codes_np, self.p, self.offsets
        self.margin_sums = self._run(
            lambda w, lo, hi, out: kernel.margins(codes, p, w, offsets, lo, hi, out),
            (self.periods, int(offsets[-1])),
        )
        vectors = [
            self._split(self.margin_sums[:, :, offsets[j] : offsets[j + 1]]) for j in range(len(self.dims))
        ]
        return labels, vectors

    def cache_codes(self, labels: list[list[str]], top: list[list[int]]) -> None:
        kind = np.uint8 if max((len(k) for k in top), default=0) < 255 else np.uint16  # "other" fits
        remap = np.empty(int(self.offsets[-1]), dtype=kind)
        for j, kept in enumerate(top):
            remap[self.offsets[j] : self.offsets[j + 1]] = len(kept)
            remap[self.offsets[j] + np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
        codes, offsets = self.codes_np, self.offsets
        out = np.empty((len(self.dims), self.n), dtype=kind)
        self._each(lambda _k, lo, hi: kernel.top_codes(codes, remap, offsets, lo, hi, out))
        self.top_np = out
        self.top = top
        self.sizes = np.array([len(k) for k in top], dtype=np.int64)

    def release(self) -> None:
        self.codes_np = self.top_np = None

    def pairs(self) -> dict[tuple[int, int], np.ndarray]:
        groups = list(combinations(range(len(self.dims)), 2))
        first = np.array([i for i, _ in groups], dtype=np.int64)
        second = np.array([j for _, j in groups], dtype=np.int64)
        rows, cols = self.sizes[first] + 1, self.sizes[second] + 1
        at = np.concatenate([[0], np.cumsum(rows * cols)]).astype(np.int64)
        top, p = self.top_np, self.p
        sums = self._run(
            lambda w, lo, hi, out: kernel.pairs(top, p, w, first, second, cols, at, lo, hi, out),
            (self.periods, int(at[-1])),
        )
        out: dict[tuple[int, int], np.ndarray] = {}
        for k, g in enumerate(groups):
            cells = sums[:, :, at[k] : at[k + 1]].reshape(self.measures, self.periods, rows[k], cols[k])
            out[g] = self._split(cells)
        return out

    def fetch(
        self, t: Tables, drills: list[Key], triples: list[tuple[int, int, int]]
    ) -> tuple[dict[Key, np.ndarray], dict[tuple[int, int, int], np.ndarray]]:
        """As :meth:`RowSource.fetch`: within each slice of ``drills``, each other dimension's kept
        values; and the tables of the dimension ``triples``."""
        width = int(self.sizes.max()) + 1
        top, codes, p = self.top_np, self.codes_np, self.p
        cells: dict[Key, np.ndarray] = {}
        if drills:
            conds = np.full((len(drills), max(len(k) for k in drills), 2), -1, dtype=np.int64)
            for s, key in enumerate(drills):
                for x, (d, v) in enumerate(key):
                    conds[s, x] = (d, v)
            sums = self._run(
                lambda w, lo, hi, out: kernel.slices(codes, top, p, w, conds, lo, hi, out),
                (self.periods, len(drills), len(self.dims), width),
            )
            within = self._split(sums)
            for s, key in enumerate(drills):
                named = dict(key)
                for k in range(len(self.dims)):
                    if k in named:
                        continue
                    for c, v in enumerate(t.top[k]):
                        cells[tuple(sorted([*key, (k, v)]))] = within[:, s, k, c]
        tables: dict[tuple[int, int, int], np.ndarray] = {}
        if triples:
            which = np.array(triples, dtype=np.int64)
            sums = self._run(
                lambda w, lo, hi, out: kernel.triples(top, p, w, which, lo, hi, out),
                (self.periods, len(triples), width, width, width),
            )
            for x, (i, j, k) in enumerate(triples):
                a, b, c = (int(self.sizes[d]) + 1 for d in (i, j, k))
                tables[(i, j, k)] = self._split(sums[:, :, x, :a, :b, :c])
        return cells, tables
