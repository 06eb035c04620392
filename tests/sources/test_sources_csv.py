"""CSV: encodings, delimiters, types and time columns read back as written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from northstar.sources import describe_columns, register_duckdb
from tests.sources.factories import rows, source, types, write

HEADER = "order_id,城市,amount,ts\n"
BODY = "1,上海,10.5,2024-01-05 13:45:00\n2,北京,20,2024-01-06 08:00:00\n"
EXPECTED = [
    (1, "上海", 10.5, datetime(2024, 1, 5, 13, 45)),
    (2, "北京", 20.0, datetime(2024, 1, 6, 8, 0)),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(tmp_path: Path, con: duckdb.DuckDBPyConnection, encoding: str) -> None:
    write(tmp_path / "orders.csv", HEADER + BODY, encoding)
    register_duckdb(con, "orders", source(path="orders.csv"), tmp_path)
    assert list(types(con, "orders")) == ["order_id", "城市", "amount", "ts"]
    assert rows(con, "orders") == EXPECTED


def test_gbk_is_detected_when_its_first_chinese_comes_late(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """The first 64 KiB are ASCII (valid UTF-8); 微信 at row 19 992 still makes it GB18030."""
    lines = [f"{i},web,{i % 100},2024-01-05 13:45:00\n" for i in range(1, 20_000)]
    lines[19_990] = "19991,微信,5,2024-01-05 13:45:00\n"  # row 19 992, the header is row 1
    write(tmp_path / "late.csv", "id,channel,amount,ts\n" + "".join(lines), "gbk")
    assert b"\xce\xa2" in (tmp_path / "late.csv").read_bytes()[60_000:]
    register_duckdb(con, "late", source(path="late.csv"), tmp_path)
    assert con.execute("SELECT count(*), count(*) FILTER (channel = '微信') FROM late").fetchone() == (
        19_999,
        1,
    )


def test_declared_encoding_is_honoured(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "orders.csv", HEADER + BODY, "gbk")
    register_duckdb(con, "orders", source(path="orders.csv", encoding="GBK"), tmp_path)
    assert rows(con, "orders") == EXPECTED


def test_gbk_copy_lands_in_the_cache_without_part_files(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    import os

    write(tmp_path / "orders.csv", HEADER + BODY, "gbk")
    register_duckdb(con, "orders", source(path="orders.csv"), tmp_path)
    cached = list((Path(os.environ["NORTHSTAR_CACHE_DIR"]) / "transcoded").iterdir())
    assert [p.suffix for p in cached] == [".csv"]
    assert cached[0].read_text(encoding="utf-8").startswith("order_id,城市")


@pytest.mark.parametrize(
    ("delimiter", "declared"), [(";", None), ("\t", None), ("|", None), (";", ";"), ("\t", "tab")]
)
def test_delimiters(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, delimiter: str, declared: str | None
) -> None:
    text = (HEADER + BODY).replace(",", delimiter)
    write(tmp_path / "orders.txt", text)
    register_duckdb(con, "orders", source(path="orders.txt", delimiter=declared), tmp_path)
    assert rows(con, "orders") == EXPECTED


def test_header_only_is_zero_rows(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "orders.csv", HEADER)
    register_duckdb(con, "orders", source(path="orders.csv"), tmp_path)
    assert rows(con, "orders") == []
    assert types(con, "orders") == {
        "order_id": "DOUBLE",
        "城市": "DOUBLE",
        "amount": "DOUBLE",
        "ts": "TIMESTAMP",
    }
    assert describe_columns(con, "orders")["amount"] == "number"  # so `sum: amount` checks clean


def test_a_header_only_file_among_others_changes_no_type(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    write(tmp_path / "data" / "a.csv", HEADER + BODY)
    write(tmp_path / "data" / "b.csv", HEADER)  # an empty day's export
    register_duckdb(con, "orders", source(path="data/*.csv"), tmp_path)
    assert types(con, "orders")["amount"] == "DOUBLE"
    assert rows(con, "orders") == EXPECTED


def test_glob_reads_many_files_as_one(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "data" / "a.csv", HEADER + BODY.splitlines(keepends=True)[0])
    write(tmp_path / "data" / "b.csv", HEADER + BODY.splitlines(keepends=True)[1], "gbk")
    register_duckdb(con, "orders", source(path="data/*.csv"), tmp_path)
    assert rows(con, "orders") == EXPECTED


def test_offsets_give_timestamptz(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.csv", "id,ts\n1,2024-01-05T10:00:00+08:00\n2,2024-01-05T10:00:00Z\n")
    register_duckdb(con, "e", source(path="e.csv"), tmp_path)
    assert types(con, "e")["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert [r[1] for r in rows(con, "e")] == [
        datetime(2024, 1, 5, 2, tzinfo=UTC),
        datetime(2024, 1, 5, 10, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05T13:45:00", datetime(2024, 1, 5, 13, 45)),
        ("2024-01-05", datetime(2024, 1, 5)),
        ("2024/01/05 13:45", datetime(2024, 1, 5, 13, 45)),
        ("2024年1月5日", datetime(2024, 1, 5)),
    ],
)
def test_naive_text_layouts(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, text: str, expected: datetime
) -> None:
    write(tmp_path / "e.csv", f"id,ts\n1,{text}\n2,\n")
    register_duckdb(con, "e", source(path="e.csv"), tmp_path)
    assert types(con, "e")["ts"] == "TIMESTAMP"
    assert [r[1] for r in rows(con, "e")] == [expected, None]


def test_stray_text_late_in_a_number_column_widens_it(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = [f"{i},{i * 2},2024-01-01 00:00:00" for i in range(1, 30_001)]
    lines[25_000] = "25001,n/a,2024-01-01 00:00:00"
    write(tmp_path / "big.csv", "id,amount,ts\n" + "\n".join(lines) + "\n")
    register_duckdb(con, "big", source(path="big.csv"), tmp_path)
    assert types(con, "big")["amount"] == "VARCHAR"
    assert con.execute("SELECT count(*), count_if(amount = 'n/a') FROM big").fetchone() == (30_000, 1)


def test_describe_columns(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.csv", "id,name,ok,day,ts,price\n1,a,true,2024-01-01,2024-01-01 10:00:00,1.5\n")
    register_duckdb(con, "e", source(path="e.csv"), tmp_path)
    assert describe_columns(con, "e") == {
        "id": "number",
        "name": "text",
        "ok": "boolean",
        "day": "date",
        "ts": "timestamp",
        "price": "number",
    }


def test_large_file_streams_under_a_small_memory_limit(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """A CSV larger than DuckDB's memory limit registers and aggregates.

    The limit cannot go much lower: DuckDB's own CSV read buffer takes ~30 MiB per thread.
    """
    big = tmp_path / "big.csv"
    con.execute(
        "COPY (SELECT i AS id, 'customer-' || (i % 1000) AS customer, i * 0.5 AS amount, "
        "TIMESTAMP '2024-01-01' + to_seconds(i) AS ts FROM range(4000000) t(i)) "
        f"TO '{big}' (HEADER, DELIMITER ',')"
    )
    assert big.stat().st_size > 150_000_000
    con.execute("SET memory_limit = '100MB'")
    con.execute("SET threads = 1")
    register_duckdb(con, "big", source(path="big.csv"), tmp_path)
    assert con.execute("SELECT count(*), sum(amount), max(ts) FROM big").fetchone() == (
        4_000_000,
        sum(range(4_000_000)) * 0.5,
        datetime(2024, 2, 16, 7, 6, 39),
    )


def test_gbk_transcoding_streams_in_chunks(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    from northstar.sources import transcode

    line = "1,上海市浦东新区,2024-01-05 13:45:00\n"
    text = "id,地址,ts\n" + line * (3 * transcode.CHUNK_BYTES // len(line.encode("gbk")))
    write(tmp_path / "gbk.csv", text, "gbk")
    register_duckdb(con, "g", source(path="gbk.csv"), tmp_path)
    assert con.execute("SELECT count(*), min(地址) FROM g").fetchone() == (
        text.count("\n") - 1,
        "上海市浦东新区",
    )
