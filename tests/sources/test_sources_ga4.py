"""GA4 exports (JSON lines and Parquet) flatten to the documented events table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from northstar.errors import DataError
from northstar.sources import register_duckdb
from northstar.sources.ga4 import BASE_COLUMNS
from tests.sources.factories import rows, source, types
from tests.sources.ga4_export import EVENT_ROWS, OPTIONS, write_jsonl, write_parquet

WRITERS = {
    "jsonl": lambda p: write_jsonl(p / "events_20240105.jsonl"),
    "parquet": lambda p: write_parquet(p / "events_20240105.parquet"),
}


def ga4_source(path: str, **options: object) -> object:
    return source(
        path=path, format="ga4", time="event_timestamp", entity="user_pseudo_id", ga4={**OPTIONS, **options}
    )


@pytest.mark.parametrize("storage", ["jsonl", "parquet"])
def test_events_flatten(tmp_path: Path, con: duckdb.DuckDBPyConnection, storage: str) -> None:
    WRITERS[storage](tmp_path)
    register_duckdb(con, "ga4", ga4_source("events_*"), tmp_path)
    described = types(con, "ga4")
    assert list(described) == [
        *BASE_COLUMNS,
        "page_location",
        "ga_session_id",
        "value",
        "engagement_time_msec",
        "user_plan",
    ]
    assert described["event_timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert described["event_date"] == "DATE"
    assert described["ga_session_id"] == "BIGINT"
    assert described["value"] == "DOUBLE"
    assert rows(con, "ga4") == EVENT_ROWS


def test_numbers_written_as_numbers(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write_jsonl(tmp_path / "e.jsonl", stringify_ints=False)
    register_duckdb(con, "ga4", ga4_source("e.jsonl"), tmp_path)
    assert rows(con, "ga4") == EVENT_ROWS


@pytest.mark.parametrize("storage", ["jsonl", "parquet"])
def test_one_row_per_item(tmp_path: Path, con: duckdb.DuckDBPyConnection, storage: str) -> None:
    WRITERS[storage](tmp_path)
    register_duckdb(con, "ga4", ga4_source("events_*", items=True), tmp_path)
    got = con.execute(
        "SELECT event_name, item_id, item_name, item_category, item_price, item_quantity, item_revenue "
        "FROM ga4 ORDER BY event_time, item_id"
    ).fetchall()
    assert got == [
        ("page_view", None, None, None, None, None, None),
        ("purchase", "SKU-1", "跑鞋", "鞋", 49.5, 1, 49.5),
        ("purchase", "SKU-2", "袜子", "鞋", 40.0, 2, 80.0),
    ]


def test_param_names_must_be_identifiers(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write_jsonl(tmp_path / "e.jsonl")
    with pytest.raises(DataError) as info:
        register_duckdb(con, "ga4", ga4_source("e.jsonl", params={"x'); DROP": "string"}), tmp_path)
    assert str(info.value) == (
        'e.jsonl: ga4 param "x\'); DROP" is not a valid name; use letters, digits and _ (e.g. page_location)'
    )


def test_param_name_collision(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write_jsonl(tmp_path / "e.jsonl")
    with pytest.raises(DataError) as info:
        register_duckdb(con, "ga4", ga4_source("e.jsonl", params={"city": "string"}), tmp_path)
    assert str(info.value) == "e.jsonl: ga4 param 'city' would become column 'city', which already exists"
