"""Fixtures for the source reader tests: a DuckDB connection and a private transcode cache (the
throwaway PostgreSQL server, ``postgres_url``, is in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest


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


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session for the run; the session timezone is UTC."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.conf.set("spark.sql.session.timeZone", "UTC")
    yield session
