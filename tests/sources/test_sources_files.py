"""Parquet and JSON lines: values and types read back as written."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from northstar.sources import register_duckdb
from tests.sources.factories import rows, source, types, write

RECORDS = [
    {"id": 1, "city": "上海", "amount": 10.5, "paid": True},
    {"id": 2, "city": "北京", "amount": 20.0, "paid": False},
]


def test_parquet_naive_timestamps(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    times = [datetime(2024, 1, 5, 13, 45, 0, 123456), datetime(2024, 1, 6, 8)]
    table = pa.Table.from_pylist(RECORDS).append_column("ts", pa.array(times, pa.timestamp("us")))
    pq.write_table(table, tmp_path / "e.parquet")
    register_duckdb(con, "e", source(path="e.parquet"), tmp_path)
    assert types(con, "e") == {
        "id": "BIGINT",
        "city": "VARCHAR",
        "amount": "DOUBLE",
        "paid": "BOOLEAN",
        "ts": "TIMESTAMP",
    }
    assert rows(con, "e") == [(*r.values(), t) for r, t in zip(RECORDS, times, strict=True)]


def test_parquet_instants_stay_timestamptz(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    times = [datetime(2024, 1, 5, 2, tzinfo=UTC), datetime(2024, 1, 6, tzinfo=UTC)]
    table = pa.table({"id": [1, 2], "ts": pa.array(times, pa.timestamp("ms", tz="UTC"))})
    pq.write_table(table, tmp_path / "e.pq")
    register_duckdb(con, "e", source(path="e.pq"), tmp_path)
    assert types(con, "e")["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert [r[1] for r in rows(con, "e")] == times


def test_parquet_dates_and_text_times(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    pq.write_table(pa.table({"id": [1], "ts": [date(2024, 1, 5)]}), tmp_path / "d.parquet")
    pq.write_table(pa.table({"id": [1], "ts": ["2024/01/05 10:30"]}), tmp_path / "t.parquet")
    register_duckdb(con, "d", source(path="d.parquet"), tmp_path)
    register_duckdb(con, "t", source(path="t.parquet"), tmp_path)
    assert rows(con, "d") == [(1, datetime(2024, 1, 5))]
    assert rows(con, "t") == [(1, datetime(2024, 1, 5, 10, 30))]


def test_parquet_glob(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    for i in range(3):
        table = pa.table({"id": [i], "ts": pa.array([datetime(2024, 1, 1 + i)], pa.timestamp("us"))})
        pq.write_table(table, tmp_path / f"part-{i}.parquet")
    register_duckdb(con, "e", source(path="part-*.parquet"), tmp_path)
    assert [r[0] for r in rows(con, "e")] == [0, 1, 2]


def test_jsonl(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    stamps = ["2024-01-05 13:45:00", "2024-01-06T08:00:00"]
    lines = [json.dumps({**r, "ts": t}, ensure_ascii=False) for r, t in zip(RECORDS, stamps, strict=True)]
    write(tmp_path / "e.jsonl", "\n".join(lines) + "\n")
    register_duckdb(con, "e", source(path="e.jsonl"), tmp_path)
    assert types(con, "e")["ts"] == "TIMESTAMP"
    assert rows(con, "e") == [
        (1, "上海", 10.5, True, datetime(2024, 1, 5, 13, 45)),
        (2, "北京", 20.0, False, datetime(2024, 1, 6, 8)),
    ]


def test_jsonl_with_offsets(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.ndjson", '{"id": 1, "ts": "2024-01-05T10:00:00+08:00"}\n')
    register_duckdb(con, "e", source(path="e.ndjson"), tmp_path)
    assert rows(con, "e") == [(1, datetime(2024, 1, 5, 2, tzinfo=UTC))]


def test_format_overrides_extension(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.log", '{"id": 1, "ts": "2024-01-05"}\n')
    register_duckdb(con, "e", source(path="e.log", format="jsonl"), tmp_path)
    assert rows(con, "e") == [(1, datetime(2024, 1, 5))]
