"""One query suite, two engines: DuckDB and Spark (local mode) must give the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from northstar.engine.duckdb import DuckDBEngine
from northstar.project import Project

SUITE = yaml.safe_load((Path(__file__).parent / "queries.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engines(spark_session: Any) -> dict[str, Any]:
    from northstar.engine.spark import SparkEngine

    return {"duckdb": DuckDBEngine(), "spark": SparkEngine(session=spark_session)}


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(Path(__file__).parents[1] / "data" / "shop")


@pytest.mark.spark
@pytest.mark.parametrize("case", SUITE, ids=[c["id"] for c in SUITE])
def test_duckdb_and_spark_agree(case: dict, engines: dict[str, Any], project: Project) -> None:
    args = {k: v for k, v in case.items() if k != "id"}
    duck = project.query(engine=engines["duckdb"], **args).frame
    spark = project.query(engine=engines["spark"], **args).frame
    assert list(duck.columns) == list(spark.columns)
    assert len(duck) == len(spark) > 0
    pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-9, atol=1e-9, check_dtype=False)
