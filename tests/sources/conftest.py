"""Fixtures for the source reader tests: a DuckDB connection, a private transcode cache, and a
throwaway PostgreSQL server (see :mod:`postgres_server`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from northstar.spec.models import Source


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Transcoded CSV copies go to a per-test folder, never the user's cache."""
    monkeypatch.setenv("NORTHSTAR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def source(**fields: object) -> Source:
    """A Source with ``time: ts`` unless told otherwise."""
    fields.setdefault("time", "ts")
    return Source.model_validate(fields)


def rows(con: duckdb.DuckDBPyConnection, rel: str, order: str = "1") -> list[tuple]:
    return con.execute(f'SELECT * FROM "{rel}" ORDER BY {order}').fetchall()


def types(con: duckdb.DuckDBPyConnection, rel: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f'DESCRIBE "{rel}"').fetchall()}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
