"""Tables in SQLite, DuckDB and PostgreSQL databases read back with their values and types."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from northstar.errors import DataError
from northstar.sources import register_duckdb
from tests.sources.factories import rows, source, types

TICKETS = [
    (1, "登录问题", 2.5, "2024-01-05 13:45:00"),
    (2, "billing", None, "2024-01-06 08:00:00"),
]


def sqlite_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE tickets (id INTEGER, title TEXT, hours REAL, created_at DATETIME)")
    db.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?)", TICKETS)
    db.execute("CREATE TABLE ticket_notes (id INTEGER)")
    db.commit()
    db.close()
    return path


def test_sqlite(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    sqlite_db(tmp_path / "support.db")
    register_duckdb(
        con, "t", source(url="sqlite:///support.db", table="tickets", time="created_at"), tmp_path
    )
    assert types(con, "t") == {
        "id": "BIGINT",
        "title": "VARCHAR",
        "hours": "DOUBLE",
        "created_at": "TIMESTAMP",
    }
    assert rows(con, "t") == [
        (1, "登录问题", 2.5, datetime(2024, 1, 5, 13, 45)),
        (2, "billing", None, datetime(2024, 1, 6, 8)),
    ]


def test_sqlite_mixed_column_is_widened(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    db = sqlite3.connect(tmp_path / "m.db")
    db.execute("CREATE TABLE t (n INTEGER, ts TEXT)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(1, "2024-01-01"), ("n/a", "2024-01-02")])
    db.commit()
    db.close()
    register_duckdb(con, "t", source(url=f"sqlite:///{tmp_path}/m.db", table="t"), tmp_path)
    assert [r[0] for r in rows(con, "t", "ts")] == ["1", "n/a"]


def test_sqlite_unknown_table(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    sqlite_db(tmp_path / "support.db")
    with pytest.raises(DataError) as info:
        register_duckdb(con, "t", source(url="sqlite:///support.db", table="ticket", time="x"), tmp_path)
    assert str(info.value) == (
        "sqlite:///support.db: there is no table 'ticket' (did you mean 'tickets', 'ticket_notes'?); "
        "the tables are 'ticket_notes', 'tickets'"
    )


def test_table_names_are_identifiers(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    sqlite_db(tmp_path / "support.db")
    with pytest.raises(DataError) as info:
        register_duckdb(
            con, "t", source(url="sqlite:///support.db", table="t; DROP TABLE x", time="x"), tmp_path
        )
    assert str(info.value) == (
        "sqlite:///support.db: table 't; DROP TABLE x' is not a valid table name; "
        "write a name such as orders or sales.orders (letters, digits and _)"
    )


def test_missing_database_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(DataError) as info:
        register_duckdb(con, "t", source(url="duckdb:///nope.duckdb", table="t"), tmp_path)
    assert (
        str(info.value)
        == f"duckdb:///nope.duckdb: database file not found (looked for {tmp_path}/nope.duckdb)"
    )


def test_duckdb_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as w:
        w.execute("CREATE SCHEMA sales")
        w.execute("CREATE TABLE sales.orders (id INTEGER, amount DECIMAL(10,2), ts TIMESTAMPTZ)")
        w.execute("INSERT INTO sales.orders VALUES (1, 9.99, '2024-01-05 10:00:00+00')")
        w.execute("CREATE TABLE main.events (id INTEGER, ts VARCHAR)")
        w.execute("INSERT INTO main.events VALUES (1, '2024-01-05T10:00:00')")
    register_duckdb(con, "o", source(url="duckdb:///w.duckdb", table="sales.orders"), tmp_path)
    register_duckdb(con, "e", source(url="duckdb:///w.duckdb", table="events"), tmp_path)
    assert rows(con, "o") == [(1, Decimal("9.99"), datetime(2024, 1, 5, 10, tzinfo=UTC))]
    assert rows(con, "e") == [(1, datetime(2024, 1, 5, 10))]
    with pytest.raises(DataError) as info:
        register_duckdb(con, "x", source(url="duckdb:///w.duckdb", table="order"), tmp_path)
    assert str(info.value) == (
        "duckdb:///w.duckdb: there is no table 'order' (did you mean 'sales.orders'?); "
        "the tables are 'events', 'sales.orders'"
    )


@pytest.mark.postgres
def test_postgresql(postgres_url: str, tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as pg:
        pg.execute("DROP TABLE IF EXISTS tickets")
        pg.execute(
            "CREATE TABLE tickets (id bigint, title text, hours numeric(6,2), ok boolean, "
            "opened date, created_at timestamptz, local_at timestamp)"
        )
        pg.execute(
            "INSERT INTO tickets VALUES (1, '登录问题', 2.50, true, '2024-01-05', "
            "'2024-01-05 13:45:00+08', '2024-01-05 13:45:00'), (2, NULL, NULL, NULL, NULL, NULL, NULL)"
        )
    register_duckdb(con, "t", source(url=postgres_url, table="public.tickets", time="created_at"), tmp_path)
    assert types(con, "t") == {
        "id": "BIGINT",
        "title": "VARCHAR",
        "hours": "DOUBLE",
        "ok": "BOOLEAN",
        "opened": "DATE",
        "created_at": "TIMESTAMP WITH TIME ZONE",
        "local_at": "TIMESTAMP",
    }
    assert rows(con, "t")[0] == (
        1,
        "登录问题",
        2.5,
        True,
        datetime(2024, 1, 5).date(),
        datetime(2024, 1, 5, 5, 45, tzinfo=UTC),
        datetime(2024, 1, 5, 13, 45),
    )
    with pytest.raises(DataError, match=r"there is no table 'ticket' \(did you mean 'tickets'\?\)"):
        register_duckdb(con, "x", source(url=postgres_url, table="ticket", time="t"), tmp_path)


def test_postgresql_connection_refused(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    pytest.importorskip("psycopg")
    url = "postgresql://bob:secret@127.0.0.1:1/shop"
    with pytest.raises(DataError) as info:
        register_duckdb(con, "t", source(url=url, table="orders"), tmp_path)
    text = str(info.value)
    assert text.startswith("postgresql://bob:***@127.0.0.1:1/shop: cannot connect to PostgreSQL: ")
    assert "refused" in text
    assert "secret" not in text
