"""Spark reads every format to the same rows and columns as DuckDB, with the documented types."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from northstar.errors import DataError
from northstar.sources import register_duckdb, spark_dataframe
from northstar.sources.spark import java_layout
from tests.sources.factories import source, write
from tests.sources.ga4_export import OPTIONS, write_jsonl, write_parquet
from tests.sources.test_sources_excel import ORDERS, book

pytestmark = pytest.mark.spark


def same_as_duckdb(spark: Any, tmp_path: Path, src: Any, order: str = "1") -> tuple[list[tuple], Any]:
    """Spark's rows (sorted like DuckDB's) after checking columns and values match DuckDB's."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    register_duckdb(con, "rel", src, tmp_path)
    expected = con.execute(f'SELECT * FROM "rel" ORDER BY {order}').fetchall()
    columns = [r[0] for r in con.execute('DESCRIBE "rel"').fetchall()]
    df = spark_dataframe(spark, src, tmp_path)
    assert df.columns == columns
    con.register("spark_rows", df.toArrow())
    got = con.execute(f"SELECT * FROM spark_rows ORDER BY {order}").fetchall()
    assert got == expected
    return got, df.schema


def type_of(schema: Any, name: str) -> str:
    return schema[name].dataType.simpleString()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv(spark: Any, tmp_path: Path, encoding: str) -> None:
    text = "order_id;城市;amount;ts\n1;上海;10.5;2024-01-05 13:45:00\n2;北京;n/a;2024/01/06\n"
    write(tmp_path / "o.csv", text.replace("2024/01/06", "2024-01-06"), encoding)
    rows, schema = same_as_duckdb(spark, tmp_path, source(path="o.csv"))
    assert rows[0] == (1, "上海", "10.5", datetime(2024, 1, 5, 13, 45))
    assert type_of(schema, "ts") == "timestamp_ntz"


def test_csv_layout_and_glob(spark: Any, tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.csv", "id,ts\n1,2024年1月5日\n")
    write(tmp_path / "d" / "b.csv", "ts,id,extra\n2024年1月6日,2,x\n")
    rows, _ = same_as_duckdb(spark, tmp_path, source(path="d/*.csv"))
    assert [r[1] for r in rows] == [datetime(2024, 1, 5), datetime(2024, 1, 6)]


def test_csv_offsets_are_instants(spark: Any, tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "id,ts\n1,2024-01-05T10:00:00+08:00\n")
    rows, schema = same_as_duckdb(spark, tmp_path, source(path="e.csv"))
    assert rows == [(1, datetime(2024, 1, 5, 2, tzinfo=UTC))]
    assert type_of(schema, "ts") == "timestamp"


def test_parquet_and_jsonl(spark: Any, tmp_path: Path) -> None:
    times = pa.array([datetime(2024, 1, 5, 13, 45)], pa.timestamp("us"))
    pq.write_table(pa.table({"id": [1], "ts": times, "name": ["上海"]}), tmp_path / "e.parquet")
    _, schema = same_as_duckdb(spark, tmp_path, source(path="e.parquet"))
    assert type_of(schema, "ts") == "timestamp_ntz"
    write(tmp_path / "e.jsonl", '{"zeta": 1, "ts": "2024-01-05T10:00:00", "alpha": "x"}\n')
    _, schema = same_as_duckdb(spark, tmp_path, source(path="e.jsonl"))
    assert type_of(schema, "ts") == "timestamp_ntz"


def test_xlsx_and_sqlite(spark: Any, tmp_path: Path) -> None:
    book(tmp_path / "o.xlsx", {"Orders": ORDERS})
    _, schema = same_as_duckdb(spark, tmp_path, source(path="o.xlsx"))
    assert type_of(schema, "ts") == "timestamp_ntz"
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute("CREATE TABLE t (id INTEGER, ts TEXT)")
    db.execute("INSERT INTO t VALUES (1, '2024-01-05T10:00:00Z')")
    db.commit()
    db.close()
    _, schema = same_as_duckdb(spark, tmp_path, source(url="sqlite:///s.db", table="t"))
    assert type_of(schema, "ts") == "timestamp"


@pytest.mark.parametrize("storage", ["jsonl", "parquet"])
@pytest.mark.parametrize("items", [False, True])
def test_ga4(spark: Any, tmp_path: Path, storage: str, items: bool) -> None:
    (write_jsonl if storage == "jsonl" else write_parquet)(tmp_path / f"events.{storage}")
    src = source(
        path=f"events.{storage}", format="ga4", time="event_timestamp", ga4={**OPTIONS, "items": items}
    )
    _, schema = same_as_duckdb(spark, tmp_path, src, order="event_time, item_id" if items else "event_time")
    assert type_of(schema, "event_timestamp") == "timestamp"
    assert type_of(schema, "event_date") == "date"


def test_errors_match_duckdb(spark: Any, tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "id,ts\n1,2024-01-05\n2,never\n")
    with pytest.raises(DataError, match=r"e.csv: row 3 \(the header is row 1\), column 'ts': 'never'"):
        spark_dataframe(spark, source(path="e.csv"), tmp_path)


def test_java_layout() -> None:
    assert java_layout("%Y/%m/%d %H:%M:%S") == "yyyy/M/d H:mm:ss"
    assert java_layout("%Y年%m月%d日") == "yyyy'年'M'月'd'日'"
