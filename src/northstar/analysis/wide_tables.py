"""The engine side of the wide root-cause search (:mod:`northstar.analysis.wide_search`).

For metrics that add up row by row (``count`` and ``sum``, with their filters; a ratio of two
such metrics) on one source, every table the search reads is one engine query over that source's
rows in the period and its baseline periods:

- **margins**: one GROUP BY (period, value) per dimension, all in one query (a UNION ALL);
- **codes**: the rows once more, each dimension's value replaced by a small integer code (its
  position among the values the pair tables keep, else "other"), cached by the engine as a
  temporary table (``Table.cache()``: DuckDB's temp table, Spark's cache);
- **pairs**: one GROUP BY (period, code_i, code_j) per pair of dimensions, in one query over the
  cached codes (190 GROUP BYs for 20 dimensions: the bulk of the time);
- **drills** and **triples**: GROUP BYs over the cached codes within a slice, or by three codes.

Nothing row-level reaches Python: each query returns at most (periods × cells) rows. That is the
portable path (:class:`RowSource`, every engine). On DuckDB, :class:`northstar.analysis.wide_codes.CodedRows`
computes the same tables (equal by test) from the rows read once as integer codes and summed in
compiled loops, about 3× faster (``benchmarks/README.md``, ``rca_wide.py``), when the codes fit
in memory. Other metrics (distinct counts, medians, …) do not add up over rows and take the
general path (``Project.query`` per GROUP BY) in :mod:`northstar.analysis.explain`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from northstar.analysis import wide_search
from northstar.analysis.wide_search import TOP_VALUES, Key, Tables
from northstar.compile.plan import _value, dimension_columns, metric_filter
from northstar.compile.request import range_bounds
from northstar.engine.base import TS

if TYPE_CHECKING:
    from northstar.analysis.rootcause import RootCauses
    from northstar.engine.base import Engine
    from northstar.project import Project

NONE_LABEL = "(none)"
_P = "__p"


class RowSource:
    """The rows of ``measures`` (one source) in the period (``__p`` = 0) and each baseline period
    (1, 2, …), with one column per measure (its value on the row, 0 where its filter fails) and
    the dimensions' columns."""

    def __init__(
        self,
        project: Project,
        engine: Engine,
        measures: list[str],
        dims: Sequence[str],
        period: tuple[date, date],
        base: list[tuple[date, date]],
    ) -> None:
        metrics = [project.catalog.metrics[m] for m in measures]
        src = metrics[0].spec.source or ""
        table = project.table(engine, src)
        windows = [range_bounds(*period)] + [range_bounds(*b) for b in base]
        inside = [(table[TS] >= lo) & (table[TS] < hi) for lo, hi in windows]
        cond = inside[0]
        for c in inside[1:]:
            cond = cond | c
        rows = table.filter(cond)
        p = ibis.cases(*((c, i) for i, c in enumerate(inside)), else_=-1)
        cols = dimension_columns(src, dims, project.spec.dimensions)
        values: dict[str, Any] = {}
        for i, m in enumerate(metrics):
            keep = metric_filter(table, m.spec.filter, f"metric {m.name!r} filter")
            one = ibis.literal(1.0) if m.kind == "count" else _value(table, m).cast("float64").fill_null(0.0)
            values[f"__m{i}"] = one if keep is None else ibis.ifelse(keep, one, 0.0)
        self.engine = engine
        self.dims = list(dims)
        self.measures = len(metrics)
        self.periods = len(windows)
        self.rows = rows.select(
            **{_P: p}, **values, **{f"__d{j}": table[cols[d]].cast("string") for j, d in enumerate(dims)}
        )
        self.codes: Any = None

    @staticmethod
    def eligible(project: Project, engine: Engine, measures: list[str], dims: Sequence[str]) -> bool:
        """Whether every measure adds up row by row on one source holding every dimension."""
        metrics = [project.catalog.metrics.get(m) for m in measures]
        if any(m is None or m.kind not in ("count", "sum") for m in metrics):
            return False
        sources = {m.spec.source for m in metrics if m is not None}
        if len(sources) != 1:
            return False
        src = next(iter(sources)) or ""
        try:
            cols = dimension_columns(src, dims, project.spec.dimensions)
            available = set(project.table(engine, src).columns)
        except Exception:  # any doubt: the general path
            return False
        return all(c in available for c in cols.values())

    def _sums(self) -> dict[str, Any]:
        return {f"__s{i}": self.rows[f"__m{i}"].sum() for i in range(self.measures)}

    def _vectors(self, frame: pd.DataFrame, keys: list[str], shape: tuple[int, ...]) -> np.ndarray:
        """(2M, *shape) from a frame of (period, integer keys…, sums): real at period 0, the
        baselines' mean."""
        out = np.zeros((2 * self.measures, *shape))
        if frame.empty:
            return out
        p = frame[_P].to_numpy()
        idx = tuple(frame[k].to_numpy(dtype=np.int64) for k in keys)
        for i in range(self.measures):
            s = frame[f"__s{i}"].to_numpy(dtype=np.float64)
            real, base = p == 0, p > 0
            np.add.at(out[2 * i], tuple(x[real] for x in idx), s[real])
            np.add.at(out[2 * i + 1], tuple(x[base] for x in idx), s[base] / (self.periods - 1))
        return out

    def margins(self) -> tuple[list[list[str]], list[np.ndarray]]:
        """Per dimension: its values (``(none)`` for missing) and their (2M, k) vectors."""
        parts = []
        for j in range(len(self.dims)):
            col = self.rows[f"__d{j}"]
            g = self.rows.group_by(**{_P: self.rows[_P], "__v": col}).aggregate(**self._sums())
            parts.append(g.mutate(__dim=ibis.literal(j).cast("int32")))
        frame = self.engine.execute(ibis.union(*parts, distinct=False))
        frame["__v"] = frame["__v"].astype("object").where(frame["__v"].notna(), NONE_LABEL).astype(str)
        labels, vectors = [], []
        for j in range(len(self.dims)):
            f = frame[frame["__dim"] == j]
            names = sorted(set(f["__v"]))
            index = {n: i for i, n in enumerate(names)}
            f = f.assign(__i=f["__v"].map(index))
            labels.append(names)
            vectors.append(self._vectors(f, ["__i"], (len(names),)))
        return labels, vectors

    def cache_codes(self, labels: list[list[str]], top: list[list[int]]) -> None:
        """The rows with each dimension's value as its code (position in ``top``, else its
        length), cached by the engine."""
        codes = {}
        for j, kept in enumerate(top):
            mapping = {labels[j][v]: c for c, v in enumerate(kept)}
            codes[f"__c{j}"] = self.rows[f"__d{j}"].substitute(mapping, else_=len(kept)).cast("int16")
        measures = {f"__m{i}": self.rows[f"__m{i}"] for i in range(self.measures)}
        self.codes = self.rows.select(**{_P: self.rows[_P]}, **measures, **codes).cache()
        self.top = top

    def release(self) -> None:
        if self.codes is not None:
            with contextlib.suppress(Exception):  # a cache the engine already dropped
                self.codes.release()
            self.codes = None

    def _grouped(self, parts: Sequence[tuple[Any, Sequence[tuple[str, int]]]]) -> list[np.ndarray]:
        """One array per (table, [(key column, its number of codes), …]): GROUP BY period and
        those keys, all in one query. (Leaving out the rows where a code is "other" made DuckDB
        slower, not faster.)"""
        if not parts:
            return []
        width = max(len(g) for _, g in parts)
        exprs = []
        for n, (table, g) in enumerate(parts):  # every key column is int16 (fewer nodes to compile)
            keys = {f"__k{x}": table[col] for x, (col, _) in enumerate(g)}
            keys.update({f"__k{x}": ibis.literal(0, type="int16") for x in range(len(g), width)})
            sums = {f"__s{i}": table[f"__m{i}"].sum() for i in range(self.measures)}
            exprs.append(
                table.group_by(__g=ibis.literal(n, type="int32"), **{_P: table[_P]}, **keys).aggregate(**sums)
            )
        frame = self.engine.execute(ibis.union(*exprs, distinct=False))
        out = []
        for n, (_, g) in enumerate(parts):
            f = frame[frame["__g"] == n]
            out.append(self._vectors(f, [f"__k{x}" for x in range(len(g))], tuple(size for _, size in g)))
        return out

    def _codes_of(self, dims: Sequence[int]) -> list[tuple[str, int]]:
        return [(f"__c{d}", len(self.top[d]) + 1) for d in dims]

    def pairs(self) -> dict[tuple[int, int], np.ndarray]:
        groups = list(combinations(range(len(self.dims)), 2))
        arrays = self._grouped([(self.codes, self._codes_of(g)) for g in groups])
        return dict(zip(groups, arrays, strict=True))  # type: ignore[arg-type]

    def _recoded(self, t: Tables, key: Key) -> Any:
        """The rows within the slice ``key``, coded again: a value of ``key`` is pooled as
        "other" in the cached codes, and only its text can name it."""
        table = self.rows.select(
            **{_P: self.rows[_P]},
            **{f"__m{i}": self.rows[f"__m{i}"] for i in range(self.measures)},
            **{f"__d{d}": self.rows[f"__d{d}"] for d, _ in key},
            **{
                f"__c{j}": self.rows[f"__d{j}"]
                .substitute({t.labels[j][v]: c for c, v in enumerate(kept)}, else_=len(kept))
                .cast("int16")
                for j, kept in enumerate(t.top)
            },
        )
        conds = []
        for d, v in key:
            label, col = t.labels[d][v], table[f"__d{d}"]
            # (none) names a missing value and the text "(none)" alike, as in the margins
            conds.append(col.isnull() | (col == label) if label == NONE_LABEL else col == label)
        return table.filter(*conds)

    def fetch(
        self, t: Tables, drills: list[Key], triples: list[tuple[int, int, int]]
    ) -> tuple[dict[Key, np.ndarray], dict[tuple[int, int, int], np.ndarray]]:
        """In one query: within each slice of ``drills``, each other dimension's coded values
        ({slice + value: vector}); and the tables of the dimension ``triples``.

        Slices of coded values share one GROUP BY per dimension: each row carries a bit per
        slice it is in (slices may overlap), and a slice's cells sum the bit patterns holding
        its bit."""
        coded = [k for k in drills if all(v in t.top[d] for d, v in k)]
        other = [k for k in drills if k not in coded]
        parts: list[tuple[Any, Sequence[tuple[str, int]]]] = []
        owners: list[tuple[str, Any]] = []
        if coded:
            bits: Any = ibis.literal(0)
            for b, key in enumerate(coded):
                inside = None
                for d, v in key:
                    term = self.codes[f"__c{d}"] == t.top[d].index(v)
                    inside = term if inside is None else inside & term
                bits = bits + ibis.ifelse(inside, 1 << b, 0)
            table = self.codes.mutate(__bits=bits.cast("int16"))
            table = table.filter(table["__bits"] > 0)
            for k in range(len(self.dims)):
                parts.append((table, [("__bits", 1 << len(coded)), *self._codes_of([k])]))
                owners.append(("bits", k))
        for key in other:
            inner = self._recoded(t, key)
            for k in range(len(self.dims)):
                if k not in dict(key):
                    parts.append((inner, self._codes_of([k])))
                    owners.append(("slice", (key, k)))
        for g in triples:
            parts.append((self.codes, self._codes_of(g)))
            owners.append(("triple", g))
        cells: dict[Key, np.ndarray] = {}
        tables: dict[tuple[int, int, int], np.ndarray] = {}
        patterns = np.arange(1 << len(coded))
        for (kind, what), arr in zip(owners, self._grouped(parts), strict=True):
            if kind == "triple":
                tables[what] = arr
                continue
            if kind == "slice":
                key, k = what
                for c, v in enumerate(t.top[k]):
                    cells[tuple(sorted([*key, (k, v)]))] = arr[:, c]
                continue
            k = what
            for b, key in enumerate(coded):
                if k in dict(key):
                    continue
                within = arr[:, (patterns >> b) & 1 == 1, :].sum(axis=1)
                for c, v in enumerate(t.top[k]):
                    cells[tuple(sorted([*key, (k, v)]))] = within[:, c]
        return cells, tables


def top_values(
    labels: list[list[str]], margins: list[np.ndarray], measures: int, extra: list[set[int]]
) -> list[list[int]]:
    """Per dimension, the label indices the pair tables code: the values that moved clearly
    (``extra``, by the value test) first, then the largest by baseline (the last measure's
    expected: the denominator of a ratio), :data:`TOP_VALUES` in all, ``(none)`` never."""
    out = []
    for names, m, moved in zip(labels, margins, extra, strict=True):
        size = np.abs(m[2 * measures - 1])
        order = [int(v) for v in np.argsort(-size, kind="stable") if names[v] != NONE_LABEL]
        kept = [v for v in order if v in moved][:TOP_VALUES]
        kept += [v for v in order if v not in kept][: TOP_VALUES - len(kept)]
        out.append(kept)
    return out


def wide_root_causes(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: Sequence[str],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    max_causes: int,
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
    wide: Callable[[list[list[str]]], bool],
    notes: list[tuple[str, str]],
) -> RootCauses | None:
    """Root causes by :func:`northstar.analysis.wide_search.search` when ``measures`` add up row
    by row and ``wide(labels)`` says the table is wide; else None (the margins it fetched are left
    in ``memo`` for the general path, as ``explain._pair`` would have)."""
    from northstar.analysis.slice_test import value_test

    if not RowSource.eligible(project, engine, measures, dims):
        return None
    if engine.name == "duckdb":
        from northstar.analysis.wide_codes import CodedRows

        coded = CodedRows(project, engine, measures, dims, period, base)
        rows: RowSource = coded
        if wide(coded.labels()) and coded.fits():
            labels, margins = coded.margins()
        else:  # narrow data (the general path needs only the margins), or rows too many to hold
            rows = RowSource(project, engine, measures, dims, period, base)
            labels, margins = rows.margins()
    else:
        rows = RowSource(project, engine, measures, dims, period, base)
        labels, margins = rows.margins()
    if not wide(labels):  # the general path takes over: it reads these margins from memo
        for j, d in enumerate(dims):
            key = (tuple(measures), (d,))
            if key not in memo:
                frame = pd.DataFrame({d: labels[j]})
                for i, m in enumerate(measures):
                    frame[f"{m}_real"] = margins[j][2 * i]
                for i, m in enumerate(measures):
                    frame[f"{m}_expected"] = margins[j][2 * i + 1]
                memo[key] = frame
        return None
    ratio = len(measures) == 2
    total = margins[0].sum(axis=1)
    rate = float(total[1] / total[3]) if ratio and total[3] else 0.0
    test = value_test({d: wide_search.test_values(margins[j], ratio, rate) for j, d in enumerate(dims)})
    bound = wide_search._z_bound(wide_search.FAMILY_ALPHA, sum(len(lb) for lb in labels))
    moved = [set(np.flatnonzero(np.abs(test.z[d]) >= bound).tolist()) for d in dims]
    top = top_values(labels, margins, len(measures), moved)
    try:
        rows.cache_codes(labels, top)
        tables = Tables(list(dims), labels, margins, top, rows.pairs(), ratio)
        found = wide_search.search(tables, test.phi, rows.fetch, max_causes)
    finally:
        rows.release()
    pairs = sum(a * b for a, b in combinations([len(x) for x in top], 2))
    notes.append(
        (
            f"root causes on wide data: every value of the {len(dims)} dimensions tested on its own, then "
            f"combinations against their values' own moves: {pairs:,} pairs of values (the "
            f"{TOP_VALUES} largest per dimension), and triples where pairs point",
            f"宽表根因：先逐一检验 {len(dims)} 个维度的每个取值，再检验取值组合相对各取值自身变化的偏离："
            f"{pairs:,} 个取值对（每个维度最大的 {TOP_VALUES} 个取值），以及取值对所指向的三元组合",
        )
    )
    return _root_causes(found, tables, total, ratio, test.phi)


def _root_causes(
    found: list[wide_search.Found], t: Tables, total: np.ndarray, ratio: bool, phi: float
) -> RootCauses:
    from northstar.analysis.rootcause import Cause, RootCauses

    if ratio:
        nr, ne, dr, de = (float(x) for x in total)
        r_exp = ne / de if de else 0.0
        total_real, total_expected = (nr / dr if dr else 0.0), r_exp
    else:
        total_real, total_expected = float(total[0]), float(total[1])
    change = total_real - total_expected
    causes = []
    for f in found:
        v = f.vector
        if ratio:
            real = float(v[0] / v[2]) if v[2] else 0.0
            expected = float(v[1] / v[3]) if v[3] else 0.0
            contribution = ((v[0] - v[1]) - r_exp * (v[2] - v[3])) / dr if dr else 0.0
        else:
            real, expected = float(v[0]), float(v[1])
            contribution = real - expected
        combination = tuple(sorted((t.dims[d], t.labels[d][x]) for d, x in f.key))
        causes.append(
            Cause(
                combination=combination,
                real=real,
                expected=expected,
                change=real - expected,
                share=float(contribution / change) if change else 0.0,
                risk=f.z,
                layer=len(combination),
            )
        )
    causes.sort(key=lambda c: -abs(c.share))
    sizes = [len(x) for x in t.top]
    method = (
        "interaction search on engine tables (margins of every value, pairs of the "
        f"{wide_search.TOP_VALUES} largest values per dimension, triples where pairs point); "
        f"wobble φ = {phi:.3f}; Bonferroni at {wide_search.FAMILY_ALPHA:.0%} per layer "
        f"({sum(a * b for a, b in combinations(sizes, 2)):,} pairs tested)"
    )
    method_zh = (
        "基于引擎汇总表的交互搜索（每个取值的边际、每个维度最大的 "
        f"{wide_search.TOP_VALUES} 个取值两两组合、成对证据指向的三维组合）；"
        f"波动 φ = {phi:.3f}；每层 Bonferroni 校正 {wide_search.FAMILY_ALPHA:.0%}"
        f"（检验了 {sum(a * b for a, b in combinations(sizes, 2)):,} 个两维组合）"
    )
    return RootCauses(
        causes=tuple(causes),
        total_real=total_real,
        total_expected=total_expected,
        total_change=change,
        explained=float(sum(c.share for c in causes)),
        method=method,
        method_zh=method_zh,
    )
