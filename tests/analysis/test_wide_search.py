"""The wide root-cause search (analysis/wide_search.py) on tables counted with NumPy from events.

The engine side (analysis/wide_tables.py) is tested through ``Project.explain`` in
test_slice_test.py (figures against pandas, a ratio, no cause, Spark)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from northstar.analysis import wide_search as ws
from northstar.analysis.slice_test import value_test

SIZES = [4, 5, 6, 30, 40, 60, 8]


def _events(
    seed: int, causes: list[tuple[dict[int, int], float]], jitter: float, sizes: list[int] = SIZES
) -> tuple[np.ndarray, np.ndarray]:
    """(codes per row, period flag): two days of 150,000 events, Zipf-like values, each value's
    share moved by exp(N(0, jitter)) on day 1, and each cause removing its share of day-1 rows."""
    rng = np.random.default_rng(seed)
    n = 150_000
    cols, day = [], np.repeat([0, 1], n)
    for k in sizes:
        p = 1.0 / (np.arange(k) + 2.0)
        moved = p * np.exp(rng.normal(0.0, jitter, k))
        cols.append(
            np.concatenate([rng.choice(k, n, p=p / p.sum()), rng.choice(k, n, p=moved / moved.sum())])
        )
    codes = np.stack(cols, axis=1)
    keep = np.ones(2 * n, dtype=bool)
    for combo, share in causes:
        under = (day == 1) & np.logical_and.reduce([codes[:, d] == v for d, v in combo.items()])
        keep &= ~(under & (rng.uniform(size=2 * n) < share))
    return codes[keep], day[keep]


def _tables(
    codes: np.ndarray, day: np.ndarray, sizes: list[int] = SIZES
) -> tuple[ws.Tables, ws.Fetch, float]:
    dims = [f"a{i}" for i in range(len(sizes))]
    labels = [[f"a{i}_{v}" for v in range(k)] for i, k in enumerate(sizes)]

    def count(keys: np.ndarray, size: int, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((2, size))
        out[0] = np.bincount(keys[rows & (day == 1)], minlength=size)
        out[1] = np.bincount(keys[rows & (day == 0)], minlength=size)
        return out

    every = np.ones(len(day), dtype=bool)
    margins = [count(codes[:, d], k, every) for d, k in enumerate(sizes)]
    top = [[int(v) for v in np.argsort(-m[1], kind="stable")[: ws.TOP_VALUES]] for m in margins]
    coded = []
    for d, kept in enumerate(top):
        lut = np.full(sizes[d], len(kept))
        lut[kept] = np.arange(len(kept))
        coded.append(lut[codes[:, d]])

    def grouped(g: tuple[int, ...], rows: np.ndarray) -> np.ndarray:
        shape = tuple(len(top[d]) + 1 for d in g)
        key = np.zeros(len(day), dtype=np.int64)
        for d in g:
            key = key * (len(top[d]) + 1) + coded[d]
        return count(key, int(np.prod(shape)), rows).reshape(2, *shape)

    pairs = {g: grouped(g, every) for g in combinations(range(len(sizes)), 2)}

    def fetch(
        t: ws.Tables, drills: list[ws.Key], triples: list[tuple[int, int, int]]
    ) -> tuple[dict[ws.Key, np.ndarray], dict[tuple[int, int, int], np.ndarray]]:
        cells: dict[ws.Key, np.ndarray] = {}
        for key in drills:
            rows = np.logical_and.reduce([codes[:, d] == v for d, v in key])
            for k in range(len(sizes)):
                if k not in dict(key):
                    arr = grouped((k,), rows)
                    for c, v in enumerate(top[k]):
                        cells[tuple(sorted([*key, (k, v)]))] = arr[:, c]
        return cells, {g: grouped(g, every) for g in triples}

    phi = value_test({d: (margins[i][0], margins[i][1]) for i, d in enumerate(dims)}).phi
    return ws.Tables(dims, labels, margins, top, pairs, ratio=False), fetch, phi


def _names(found: list[ws.Found]) -> set[tuple[tuple[int, int], ...]]:
    return {f.key for f in found}


def test_a_value_a_pair_and_a_triple_are_found_through_a_wobble() -> None:
    """A 2 % wobble per value: the triple's values move by no more than that on their own, yet
    the three causes are found exactly (with their children, parents and overlaps explained
    away), and nothing else. (Seven dimensions give few big values to read φ from: at 3 % one
    seed in six lets a value's 3-sigma wobble through.)"""
    causes = [({4: 0}, 0.6), ({1: 1, 5: 2}, 0.7), ({0: 1, 2: 0, 6: 1}, 0.8)]
    tables, fetch, phi = _tables(*_events(2, causes, 0.02))
    found = ws.search(tables, phi, fetch)
    assert _names(found) == {tuple(sorted(c.items())) for c, _ in causes}
    for f in found:  # the figures are the combination's own counts
        assert f.vector.shape == (2,)
        assert f.vector[0] < f.vector[1]


def test_no_cause_gives_none() -> None:
    tables, fetch, phi = _tables(*_events(2, [], 0.03))
    assert ws.search(tables, phi, fetch) == []


def test_outside_is_exact_inclusion_exclusion_when_the_tables_hold_every_overlap() -> None:
    """With three dimensions and every triple table fetched, a slice's rows outside the
    accepted causes equal a direct count."""
    sizes = SIZES[:3]
    codes, day = _events(3, [({0: 1, 1: 2}, 0.5)], 0.0, sizes)
    tables, fetch, phi = _tables(codes, day, sizes)
    tables.triples.update(fetch(tables, [], [(0, 1, 2)])[1])
    s = ws._Search(tables, phi)
    accepted: list[ws.Key] = [((0, 1), (1, 2)), ((2, 3),), ((1, 2), (2, 0))]
    every = np.ones(len(day), dtype=bool)
    for key in [((0, 1),), ((1, 2),), ((0, 1), (2, 3)), ((0, 0), (1, 2), (2, 1)), ()]:
        out = np.logical_and.reduce([codes[:, d] == v for d, v in key]) if key else every.copy()
        for a in accepted:
            out &= ~np.logical_and.reduce([codes[:, d] == v for d, v in a])
        want = [np.sum(out & (day == 1)), np.sum(out & (day == 0))]
        assert np.allclose(s.outside(key, accepted), want), key


def test_engine_tables_equal_project_query_over_several_baselines(tmp_path: Path) -> None:
    """wide_tables' margins, pair tables and drills for a filtered count and a sum, over four
    baseline periods (a forecast's), equal Project.query's GROUP BYs (their mean over the
    baselines, a value absent from one counting 0); a missing value is ``(none)``."""
    from datetime import date, timedelta

    import pandas as pd
    import yaml

    from northstar.analysis.wide_tables import RowSource, top_values
    from northstar.project import Project

    rng = np.random.default_rng(5)
    n, day = 6000, date(2026, 5, 29)
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-05-01") + pd.to_timedelta(rng.integers(0, 29 * 86400, n), unit="s"),
            "a": rng.choice(["x", "y", "z"], n),
            "b": [f"b{v}" for v in rng.integers(0, 20, n)],
            "c": rng.choice(["p", "q", None], n),
            "amount": rng.uniform(0, 10, n).round(2),
            "ok": rng.integers(0, 2, n),
        }
    )
    frame.to_parquet(tmp_path / "e.parquet", index=False)
    spec = {
        "project": {"name": "t", "timezone": "UTC"},
        "sources": {"e": {"path": "e.parquet", "time": "ts"}},
        "dimensions": {d: {} for d in "abc"},
        "metrics": {
            "oks": {"type": "count", "source": "e", "filter": "ok = 1"},
            "amount": {"type": "sum", "source": "e", "column": "amount"},
        },
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    project = Project.load(tmp_path)
    base = [(day - timedelta(days=7 * k),) * 2 for k in range(1, 5)]
    measures, dims = ["oks", "amount"], ["a", "b", "c"]
    rows = RowSource(project, project.engine, measures, dims, (day, day), base)
    labels, margins = rows.margins()

    def query(by: list[str], where: str | None = None) -> pd.DataFrame:
        parts = []
        for k, (s, e) in enumerate([(day, day), *base]):
            f = project.query(measures, by=by, start=s, end=e, where=where).frame
            parts.append(f.assign(__k=0 if k == 0 else 1))
        f = pd.concat(parts)
        for d in by:
            f[d] = f[d].astype("object").where(f[d].notna(), "(none)").astype(str)
        real = f[f["__k"] == 0].groupby(by)[measures].sum()
        expected = f[f["__k"] == 1].groupby(by)[measures].sum() / len(base)
        return real.join(expected, how="outer", suffixes=("_r", "_e")).fillna(0.0)

    for j, d in enumerate(dims):
        want = query([d])
        assert labels[j] == sorted(want.index)
        for i, m in enumerate(measures):
            assert np.allclose(margins[j][2 * i], want[f"{m}_r"].to_numpy())
            assert np.allclose(margins[j][2 * i + 1], want[f"{m}_e"].to_numpy())
    top = top_values(labels, margins, 2, [set(), set(), set()])
    assert all(labels[2][v] != "(none)" for v in top[2])
    rows.cache_codes(labels, top)
    try:
        pairs = rows.pairs()
        want = query(["a", "b"])
        for (va, vb), got in want.iterrows():
            ca, cb = top[0].index(labels[0].index(va)), labels[1].index(vb)
            if cb not in top[1]:
                continue
            cell = pairs[(0, 1)][:, ca, top[1].index(cb)]
            assert np.allclose(cell, [got["oks_r"], got["oks_e"], got["amount_r"], got["amount_e"]])
        t = ws.Tables(dims, labels, margins, top, pairs, ratio=False)
        key = ((0, labels[0].index("y")),)
        cells, _ = rows.fetch(t, [key], [])
        within = query(["c"], where="a = 'y'")
        for vc, got in within.iterrows():
            if vc == "(none)":
                continue
            cell = cells[(key[0], (2, labels[2].index(vc)))]
            assert np.allclose(cell, [got["oks_r"], got["oks_e"], got["amount_r"], got["amount_e"]])
    finally:
        rows.release()
