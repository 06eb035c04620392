"""An operation an engine cannot run is refused with a clear error, never approximated."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from northstar.errors import UnsupportedOnEngine


@pytest.mark.spark
def test_spark_refuses_what_it_cannot_compile(spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    engine = SparkEngine(session=spark_session)
    spark_session.createDataFrame(pd.DataFrame({"a": [1.0, 2.0, 4.0]})).createOrReplaceTempView(
        "unsupported_t"
    )
    table = engine.backend.table("unsupported_t")
    with pytest.raises(UnsupportedOnEngine) as info:
        engine.execute(table.aggregate(k=table.a.kurtosis()))
    assert (
        str(info.value)
        == "the operation Kurtosis is not supported on spark; run this query with --engine duckdb"
    )
    with pytest.raises(UnsupportedOnEngine):
        engine.sql(table.aggregate(m=table.a.mode()))
