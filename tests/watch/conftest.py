"""Fixtures for the alert store tests: a throwaway PostgreSQL server (the same helper as the source
tests, :mod:`tests.sources.postgres_server`) and a store on SQLite or on it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real, empty PostgreSQL database for this test session (server stopped at the end).

    Skipped without PostgreSQL binaries, unless NORTHSTAR_REQUIRE_POSTGRES is set (then it fails).
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
