"""Bad input gives a DataError whose exact text is pinned here (file, row, column, the fix)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from northstar.errors import DataError
from northstar.sources import describe_columns, register_duckdb
from tests.sources.factories import source, write


def message(tmp_path: Path, con: duckdb.DuckDBPyConnection, **fields: object) -> str:
    with pytest.raises(DataError) as info:
        register_duckdb(con, "rel", source(**fields), tmp_path)
    return str(info.value)


def test_missing_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    assert message(tmp_path, con, path="orders.csv") == (
        f"orders.csv: file not found (looked for {tmp_path}/orders.csv)"
    )


def test_glob_matching_nothing(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    assert message(tmp_path, con, path="data/*.parquet") == (
        f"data/*.parquet: no file matches this pattern (looked in {tmp_path})"
    )


def test_empty_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "orders.csv", "")
    assert message(tmp_path, con, path="orders.csv") == (
        "orders.csv: file is empty (0 bytes); it needs at least a header row"
    )


def test_unknown_extension(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "orders.dat", "x")
    assert message(tmp_path, con, path="orders.dat") == (
        "orders.dat: cannot tell the format from the file extension '.dat'; "
        "set format: csv | parquet | jsonl | xlsx | ga4"
    )


def test_wrong_delimiter(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "orders.csv", "id;amount;ordered_at\n1;2;2024-01-01\n")
    assert message(tmp_path, con, path="orders.csv", delimiter=",", time="ordered_at") == (
        "orders.csv: the time column 'ordered_at' is not in the data: the header was read as one column "
        "'id;amount;ordered_at' with delimiter ','; it looks like ';'-separated; set delimiter: ';'"
    )


def test_missing_time_column_suggests(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "orders.csv", "id,amount,ordered_at\n1,2,2024-01-01\n")
    assert message(tmp_path, con, path="orders.csv", time="order_at") == (
        "orders.csv: the time column 'order_at' is not in the data (did you mean 'ordered_at'?); "
        "the columns are 'id', 'amount', 'ordered_at'"
    )


def test_bad_time_value_names_row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = [f"{i},2024-01-01 10:00:00" for i in range(1, 6000)]
    lines[5010] = "5011,n/a"
    write(tmp_path / "orders.csv", "id,ts\n" + "\n".join(lines) + "\n")
    assert message(tmp_path, con, path="orders.csv") == (
        "orders.csv: row 5012 (the header is row 1), column 'ts': 'n/a' is not a timestamp; "
        "write timestamps as ISO 8601, e.g. 2024-01-05 13:45:00 or 2024-01-05T13:45:00+08:00"
    )


def test_bad_time_in_second_file_of_glob(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "d" / "a.csv", "id,ts\n1,2024-01-01\n")
    write(tmp_path / "d" / "b.csv", "id,ts\n1,2024-01-01\n2,yesterday\n", "gbk")
    assert message(tmp_path, con, path="d/*.csv") == (
        "d/b.csv: row 3 (the header is row 1), column 'ts': 'yesterday' is not a timestamp; "
        "write timestamps as ISO 8601, e.g. 2024-01-05 13:45:00 or 2024-01-05T13:45:00+08:00"
    )


def test_mixed_offsets(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.csv", "id,ts\n1,2024-01-01T10:00:00+08:00\n2,2024-01-01 10:00:00\n")
    assert message(tmp_path, con, path="e.csv") == (
        "e.csv: column 'ts' mixes timestamps with a UTC offset ('2024-01-01T10:00:00+08:00') and "
        "without one ('2024-01-01 10:00:00'); write all of them with an offset, or none"
    )


def test_too_many_fields(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.csv", "id,ts\n1,2024-01-01\n2,2024-01-02,extra\n")
    assert message(tmp_path, con, path="e.csv") == (
        "e.csv: row 3 (the header is row 1) has 3 fields but the header has 2; "
        "quote values that contain the delimiter"
    )


def test_undecodable_bytes(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    (tmp_path / "e.csv").write_bytes(b"id,ts\n1,2024-01-01\n" + b"\xff\xfe,2024-01-02\n")
    assert message(tmp_path, con, path="e.csv", encoding="utf-8") == (
        "e.csv: row 3 (the header is row 1): has bytes that are not valid UTF-8: set `encoding:` on the "
        "source to the file's encoding (for example gb18030, big5 or latin-1)"
    )


@pytest.mark.parametrize(
    "late",
    [b"\xff\xfe", "résumé".encode("latin-1")],  # not GB18030 at all; GB18030, but not Chinese
    ids=["neither", "latin-1"],
)
def test_late_bytes_neither_utf8_nor_gb18030(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, late: bytes
) -> None:
    body = b"".join(b"%d,2024-01-01\n" % i for i in range(1, 20_000))
    (tmp_path / "e.csv").write_bytes(b"id,ts\n" + body + late + b",2024-01-02\n")
    assert message(tmp_path, con, path="e.csv") == (
        "e.csv: line 20001 (the header is line 1) has bytes that are not UTF-8, and the file is neither "
        "UTF-8 nor GB18030: set `encoding:` on the source (for example gb18030, big5 or latin-1)"
    )


def test_unknown_encoding(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.csv", "id,ts\n")
    assert message(tmp_path, con, path="e.csv", encoding="klingon") == (
        "e.csv: unknown encoding 'klingon'; use e.g. utf-8, utf-8-sig, gb18030, gbk or latin-1"
    )


def test_numeric_time_column(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    pq.write_table(pa.table({"id": [1], "ts": [1700000000]}), tmp_path / "e.parquet")
    assert message(tmp_path, con, path="e.parquet") == (
        "e.parquet: the time column 'ts' holds BIGINT values, not timestamps; numbers are not read as "
        "times: store timestamps as text (ISO 8601) or a timestamp type"
    )


def test_bad_text_time_in_parquet_names_row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    pq.write_table(
        pa.table({"id": [1, 2, 3], "ts": ["2024-01-01", "2024-01-02", "soon"]}), tmp_path / "e.parquet"
    )
    assert message(tmp_path, con, path="e.parquet") == (
        "e.parquet: row 3, column 'ts': 'soon' is not a timestamp; "
        "write timestamps as ISO 8601, e.g. 2024-01-05 13:45:00 or 2024-01-05T13:45:00+08:00"
    )


def test_bad_text_time_in_jsonl_names_line(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.jsonl", '{"id": 1, "ts": "2024-01-01"}\n{"id": 2, "ts": "later"}\n')
    assert message(tmp_path, con, path="e.jsonl") == (
        "e.jsonl: line 2, column 'ts': 'later' is not a timestamp; "
        "write timestamps as ISO 8601, e.g. 2024-01-05 13:45:00 or 2024-01-05T13:45:00+08:00"
    )


def test_malformed_json(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write(tmp_path / "e.jsonl", '{"id": 1, "ts": "2024-01-01"}\n{"id": 2, "ts": \n')
    text = message(tmp_path, con, path="e.jsonl")
    assert text.startswith("e.jsonl: cannot be read: ")
    assert "Malformed JSON" in text


def test_describe_unknown_relation(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(DataError, match="no table or view named 'nope' is registered"):
        describe_columns(con, "nope")


def test_bytes_invalid_in_declared_encoding(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    (tmp_path / "e.csv").write_bytes("id,ts\n1,2024-01-01\n".encode("gbk") + b"2,\x81\x20\n")
    assert message(tmp_path, con, path="e.csv", encoding="gbk") == (
        "e.csv: line 3 (the header is line 1) has bytes 81 20 0a that are not valid gb18030; "
        "set encoding: to the file's real encoding"
    )


def test_public_api_is_pinned() -> None:
    import northstar.sources

    assert northstar.sources.__all__ == ["describe_columns", "register_duckdb", "spark_dataframe"]
