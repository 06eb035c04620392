"""Fixtures shared by the whole suite: the test projects, one Spark session and one throwaway
PostgreSQL server (for the source readers and the alert store)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    """One local-mode Spark session for the run (starting one takes ~10 s)."""
    pytest.importorskip("pyspark")
    from northstar.engine.spark import local_session

    session = local_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    """A private copy of the 'shop' test project (tests may write next to it)."""
    target = tmp_path / "shop"
    shutil.copytree(DATA / "shop", target)
    return target


@pytest.fixture(scope="session")
def shop() -> object:
    from northstar.project import Project

    return Project.load(DATA / "shop")


def update_snapshots() -> bool:
    return os.environ.get("NORTHSTAR_UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(path: Path, text: str) -> None:
    """Compare ``text`` with the stored snapshot; NORTHSTAR_UPDATE_SNAPSHOTS=1 rewrites it."""
    if update_snapshots() or not path.exists():
        if not update_snapshots() and os.environ.get("CI"):
            raise AssertionError(f"snapshot {path} is missing; run with NORTHSTAR_UPDATE_SNAPSHOTS=1")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"output differs from snapshot {path}; NORTHSTAR_UPDATE_SNAPSHOTS=1 updates it"


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
