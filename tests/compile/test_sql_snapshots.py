"""The SQL each engine runs for a few representative queries, pinned per engine.

Update after an intended change with NORTHSTAR_UPDATE_SNAPSHOTS=1 and read the diff.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from northstar.compile.sql import query_sql
from northstar.engine.duckdb import DuckDBEngine
from northstar.project import Project
from tests.conftest import DATA, assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
CASES = {
    "revenue-by-channel-week": dict(metrics=["revenue", "orders", "aov"], by=["channel"], grain="week"),
    "distinct-and-percentile": dict(metrics=["buyers", "p90_amount", "refund_rate"], grain="month"),
    "repeat-rate-month": dict(metrics=["repurchase_30d"], grain="month", by=["channel"]),
    "relative-and-tiered": dict(metrics=["on_time_share", "completion"], grain="day"),
    "where-filter": dict(metrics=["big_order_value"], where="channel = '微信' and device in ('mobile')"),
}


def _normalise(sql: str) -> str:
    """Engine-generated names that change between runs (temp views) get a stable stand-in."""
    sql = re.sub(r"ns[0-9a-f]+_(\w+)", r"ns_\1", sql)
    return re.sub(r"ibis_\w+_[0-9a-z]{10,}", "ibis_memtable", sql)


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(DATA / "shop")


@pytest.mark.parametrize("case", list(CASES))
def test_duckdb_sql(project: Project, case: str) -> None:
    engine = DuckDBEngine()
    sql = query_sql(project, start="2026-01-01", end="2026-03-31", engine=engine, **CASES[case])  # type: ignore[arg-type]
    assert_snapshot(SNAPSHOTS / "duckdb" / f"{case}.sql", _normalise("\n\n".join(sql)) + "\n")


@pytest.mark.spark
@pytest.mark.parametrize("case", list(CASES))
def test_spark_sql(project: Project, case: str, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    engine = SparkEngine(session=spark_session)
    sql = query_sql(project, start="2026-01-01", end="2026-03-31", engine=engine, **CASES[case])  # type: ignore[arg-type]
    assert_snapshot(SNAPSHOTS / "spark" / f"{case}.sql", _normalise("\n\n".join(sql)) + "\n")
