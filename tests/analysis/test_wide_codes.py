"""wide_codes.CodedRows (DuckDB: the rows read once as integer codes, compiled sums) gives the
same tables as wide_tables.RowSource (every table an engine GROUP BY, the portable path)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from northstar.analysis import wide_search as ws
from northstar.analysis.wide_codes import CodedRows
from northstar.analysis.wide_tables import RowSource, top_values
from northstar.project import Project

DAY = date(2026, 5, 29)


def _project(tmp_path: Path, n: int = 20_000) -> Project:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-05-01") + pd.to_timedelta(rng.integers(0, 29 * 86400, n), unit="s"),
            "a": rng.choice(["x", "y", "z"], n),
            # more values than the pair tables keep (so "other" holds rows), Zipf-like
            "b": [f"b{v}" for v in np.minimum(rng.zipf(1.6, n), 40)],
            "c": rng.choice(["p", "q", None, "(none)"], n),  # a missing value and its label's text
            "d": rng.integers(0, 25, n),  # a number: read as text
            "amount": rng.uniform(0, 10, n).round(2),
            "ok": rng.integers(0, 2, n),
        }
    )
    frame.to_parquet(tmp_path / "e.parquet", index=False)
    spec = {
        "project": {"name": "t", "timezone": "UTC"},
        "sources": {"e": {"path": "e.parquet", "time": "ts"}},
        "dimensions": {d: {} for d in "abcd"},
        "metrics": {
            "oks": {"type": "count", "source": "e", "filter": "ok = 1"},
            "amount": {"type": "sum", "source": "e", "column": "amount"},
            "events": {"type": "count", "source": "e"},
        },
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp_path)


@pytest.mark.parametrize("measures", [["oks", "amount"], ["events"]])
@pytest.mark.parametrize("baselines", [1, 4])
def test_coded_rows_give_row_source_tables(tmp_path: Path, measures: list[str], baselines: int) -> None:
    project = _project(tmp_path)
    base = [(DAY - timedelta(days=7 * k),) * 2 for k in range(1, baselines + 1)]
    dims = ["a", "b", "c", "d"]
    portable = RowSource(project, project.engine, measures, dims, (DAY, DAY), base)
    coded = CodedRows(project, project.engine, measures, dims, (DAY, DAY), base)
    labels, margins = portable.margins()
    got_labels, got_margins = coded.margins()
    assert got_labels == labels
    days = pd.read_parquet(tmp_path / "e.parquet")["ts"].dt.date
    assert coded.rows_read == coded.n == days.isin([DAY, *(b for b, _ in base)]).sum()
    assert "(none)" in labels[2]
    assert len(labels[1]) > ws.TOP_VALUES
    for want, got in zip(margins, got_margins, strict=True):
        assert np.allclose(got, want)
    top = top_values(labels, margins, len(measures), [set(), {labels[1].index("b40")}, set(), set()])
    portable.cache_codes(labels, top)
    coded.cache_codes(labels, top)
    try:
        pairs, got_pairs = portable.pairs(), coded.pairs()
        assert set(got_pairs) == set(pairs) == set(combinations(range(4), 2))
        for g, want in pairs.items():
            assert got_pairs[g].shape == want.shape
            assert np.allclose(got_pairs[g], want), g
        t = ws.Tables(dims, labels, margins, top, pairs, ratio=len(measures) == 2)
        kept = ((0, labels[0].index("y")), (1, top[1][0]))
        tail = ((1, labels[1].index("b39")),)  # not kept: "other" in the codes
        assert tail[0][1] not in top[1]
        none = ((2, labels[2].index("(none)")),)
        drills = [kept, tail, none]
        triples = [(0, 1, 2), (1, 2, 3)]
        cells, tables = portable.fetch(t, drills, triples)
        got_cells, got_tables = coded.fetch(t, drills, triples)
        assert set(got_cells) == set(cells)
        for key, want in cells.items():
            assert np.allclose(got_cells[key], want), key
        assert set(got_tables) == set(tables) == set(triples)
        for g, want in tables.items():
            assert np.allclose(got_tables[g], want), g
    finally:
        portable.release()
        coded.release()


def test_explain_on_duckdb_reads_codes_and_finds_the_same_causes(tmp_path: Path) -> None:
    """Project.explain on wide data takes CodedRows on DuckDB; RowSource (what other engines
    take) gives the same root causes (combinations, shares)."""
    from unittest import mock

    from northstar.analysis import wide_codes

    rng = np.random.default_rng(3)
    n = 60_000
    dims = [f"d{i}" for i in range(8)]
    cards = [5, 40, 8, 12, 60, 6, 30, 10]
    day = np.where(np.arange(n) < n // 2, 0, 1)
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-05-28")
            + pd.to_timedelta(day * 86400 + rng.integers(0, 86400, n), unit="s")
        }
    )
    for d, k in zip(dims, cards, strict=True):
        p = 1.0 / (np.arange(k) + 2.0)
        frame[d] = [f"{d}_{v}" for v in rng.choice(k, n, p=p / p.sum())]
    cause = (day == 1) & (frame["d1"] == "d1_1") & (frame["d3"] == "d3_0") & (rng.uniform(size=n) < 0.6)
    frame = frame[~cause]
    frame.to_parquet(tmp_path / "e.parquet", index=False)
    spec = {
        "project": {"name": "t", "timezone": "UTC"},
        "sources": {"e": {"path": "e.parquet", "time": "ts"}},
        "dimensions": {d: {} for d in dims},
        "metrics": {"events": {"type": "count", "source": "e"}},
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    project = Project.load(tmp_path)
    with mock.patch.object(
        wide_codes.CodedRows, "pairs", autospec=True, side_effect=wide_codes.CodedRows.pairs
    ) as spy:
        fast = project.explain("events", day=date(2026, 5, 29), vs="previous", by=dims)
    assert spy.called
    assert fast.causes is not None
    found = {c.combination for c in fast.causes.causes}
    assert (("d1", "d1_1"), ("d3", "d3_0")) in found
    with mock.patch.object(project.engine, "name", "portable"):  # any other engine: RowSource
        slow = project.explain("events", day=date(2026, 5, 29), vs="previous", by=dims)
    with (
        mock.patch.object(wide_codes, "MEMORY_SHARE", 0.0),  # rows too many to hold: RowSource
        mock.patch.object(wide_codes.CodedRows, "pairs", autospec=True) as never,
    ):
        held_back = project.explain("events", day=date(2026, 5, 29), vs="previous", by=dims)
    assert not never.called
    for other in (slow, held_back):
        assert other.causes is not None
        assert [c.combination for c in other.causes.causes] == [c.combination for c in fast.causes.causes]
        assert np.allclose([c.share for c in other.causes.causes], [c.share for c in fast.causes.causes])


def test_more_than_65535_values_take_four_byte_codes(tmp_path: Path) -> None:
    """A dimension of more than 65,535 values (uint32 codes) and 300 kept values (uint16 kept
    codes): margins, pairs and a drill of a value past 65,535 equal RowSource's."""
    rng = np.random.default_rng(2)
    n = 140_000
    frame = pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-05-28") + pd.to_timedelta(rng.integers(0, 2 * 86400, n), unit="s"),
            "u": [f"u{v:06d}" for v in rng.permutation(n) // 2],  # 70,000 values of 2 rows
            "k": rng.choice(["a", "b", "c"], n),
        }
    )
    frame.to_parquet(tmp_path / "e.parquet", index=False)
    spec = {
        "project": {"name": "t", "timezone": "UTC"},
        "sources": {"e": {"path": "e.parquet", "time": "ts"}},
        "dimensions": {"u": {}, "k": {}},
        "metrics": {"events": {"type": "count", "source": "e"}},
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    project = Project.load(tmp_path)
    day, base = date(2026, 5, 29), [(date(2026, 5, 28),) * 2]
    portable = RowSource(project, project.engine, ["events"], ["u", "k"], (day, day), base)
    coded = CodedRows(project, project.engine, ["events"], ["u", "k"], (day, day), base)
    labels, margins = portable.margins()
    got_labels, got_margins = coded.margins()
    assert got_labels == labels and len(labels[0]) == 70_000
    assert coded.codes_np is not None and coded.codes_np.dtype == np.uint32
    for want, got in zip(margins, got_margins, strict=True):
        assert np.array_equal(got, want)
    top = top_values(labels, margins, 1, [set(), set()])
    top[0] = top[0] + [v for v in range(300) if v not in top[0]]  # 300 kept values: 2-byte kept codes
    portable.cache_codes(labels, top)
    coded.cache_codes(labels, top)
    try:
        assert coded.top_np is not None and coded.top_np.dtype == np.uint16
        assert np.array_equal(coded.pairs()[(0, 1)], portable.pairs()[(0, 1)])
        t = ws.Tables(["u", "k"], labels, margins, top, portable.pairs(), ratio=False)
        late = ((0, 69_999),)
        want, _ = portable.fetch(t, [late], [])
        got, _ = coded.fetch(t, [late], [])
        assert set(got) == set(want)
        for key, vector in want.items():
            assert np.array_equal(got[key], vector)
    finally:
        portable.release()
        coded.release()
