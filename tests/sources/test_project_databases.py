"""Database tables as project sources, end to end: the same orders in SQLite, a DuckDB file and a
real PostgreSQL server give the same metrics as the CSV they came from."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from northstar.project import Project
from tests.conftest import DATA

METRICS = ["revenue", "buyers", "p90_amount", "repurchase_30d", "refund_rate"]
QUERY = dict(by=["channel"], grain="month", start="2026-01-01", end="2026-06-30")


def _orders() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "shop" / "data" / "orders.csv")
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    return frame


def _project(tmp: Path, source: dict) -> Project:
    spec = yaml.safe_load((DATA / "shop" / "northstar.yml").read_text(encoding="utf-8"))
    spec["sources"] = {"orders": {**source, "time": "ordered_at", "entity": "customer_id", "timezone": "UTC"}}
    spec["teams"] = {}
    spec.pop("include")
    orders = yaml.safe_load((DATA / "shop" / "metrics" / "orders.yml").read_text(encoding="utf-8"))["metrics"]
    spec["metrics"] = {name: {k: v for k, v in m.items() if k != "team"} for name, m in orders.items()}
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return Project.load(tmp)


def _reference(tmp: Path) -> pd.DataFrame:
    _orders().to_csv(tmp / "orders.csv", index=False)
    return _project(tmp, {"path": "orders.csv"}).query(METRICS, **QUERY).frame


def test_sqlite_and_duckdb_files(tmp_path: Path) -> None:
    (tmp_path / "csv").mkdir()
    expected = _reference(tmp_path / "csv")
    (tmp_path / "s").mkdir()
    with sqlite3.connect(tmp_path / "s" / "shop.db") as con:
        _orders().assign(ordered_at=lambda f: f["ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_sql(
            "orders", con, index=False
        )
    got = (
        _project(tmp_path / "s", {"url": "sqlite:///shop.db", "table": "orders"})
        .query(METRICS, **QUERY)
        .frame
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)

    (tmp_path / "d").mkdir()
    with duckdb.connect(str(tmp_path / "d" / "shop.duckdb")) as con:
        con.register("o", _orders())
        con.execute("CREATE TABLE orders AS SELECT * FROM o")
    url = f"duckdb:///{tmp_path / 'd' / 'shop.duckdb'}"
    got = _project(tmp_path / "d", {"url": url, "table": "orders"}).query(METRICS, **QUERY).frame
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@pytest.mark.postgres
def test_postgresql_table(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    (tmp_path / "csv").mkdir()
    expected = _reference(tmp_path / "csv")
    frame = _orders()
    with psycopg.connect(postgres_url) as con:
        con.execute("DROP TABLE IF EXISTS shop_orders")
        con.execute(
            "CREATE TABLE shop_orders (order_id int, ordered_at timestamp, customer_id text, channel text,"
            " device text, amount double precision, status text)"
        )
        with con.cursor().copy(
            "COPY shop_orders (order_id, ordered_at, customer_id, channel, device, amount, status) FROM STDIN"
        ) as copy:
            for row in frame.itertuples(index=False):
                copy.write_row([None if pd.isna(v) else v for v in row])
    got = _project(tmp_path, {"url": postgres_url, "table": "shop_orders"}).query(METRICS, **QUERY).frame
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
