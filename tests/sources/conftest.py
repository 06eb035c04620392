"""Fixtures for the source reader tests: a DuckDB connection, a private transcode cache, and a
throwaway PostgreSQL server (see :mod:`postgres_server`)."""

from __future__ import annotations

import os
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
def postgres_url() -> Iterator[str]:
    """A real, empty PostgreSQL database for this test session (server stopped at the end).

    Without PostgreSQL binaries the tests using it are skipped — unless NORTHSTAR_REQUIRE_POSTGRES
    is set (CI sets it to 1), in which case they fail.
    """
    from tests.sources.postgres_server import find_bin_dir, running_postgres

    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = (
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install postgresql"
        )
        if os.environ.get("NORTHSTAR_REQUIRE_POSTGRES"):
            pytest.fail(reason + " — NORTHSTAR_REQUIRE_POSTGRES is set", pytrace=False)
        pytest.skip(reason)
    with running_postgres(bin_dir) as url:
        yield url


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
