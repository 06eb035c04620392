"""Spark engine: the same Ibis expressions, compiled to Spark SQL, for data beyond one machine.

By default a local-mode session (``local[*]``); pass ``session=`` to use an existing one (a
cluster). The session timezone is set to UTC so that local wall-clock times computed for the
project timezone are not shifted again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from northstar.engine.base import HIDDEN, TS, UTC, Engine, kind_of
from northstar.errors import DataError, UserError
from northstar.spec.models import Source


def local_session(master: str = "local[2]") -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError("the Spark engine needs PySpark: pip install 'northstar[spark]'") from None
    return (
        SparkSession.builder.master(master)
        .appName("northstar")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, session: Any = None, master: str = "local[2]") -> None:
        super().__init__()
        self.session = session or local_session(master)
        self.session.sparkContext.setLogLevel("ERROR")
        self.session.conf.set("spark.sql.session.timeZone", "UTC")
        self.backend = ibis.pyspark.connect(self.session)
        self._prefix = f"ns{id(self):x}_"

    def _register(
        self, name: str, source: Source, base_dir: Path, project_tz: str
    ) -> tuple[Any, dict[str, str]]:
        from pyspark.sql import functions as F
        from pyspark.sql.types import DateType, StringType, TimestampNTZType, TimestampType

        from northstar.sources import spark_dataframe

        df = spark_dataframe(self.session, source, base_dir)
        if source.time not in df.columns:
            raise DataError(
                f"source {name!r}: time column {source.time!r} not found; columns are {', '.join(df.columns)}"
            )
        dtype = df.schema[source.time].dataType
        col = F.col(f"`{source.time}`")
        if isinstance(dtype, TimestampType):
            ts = F.from_utc_timestamp(col, project_tz)
            utc = col  # the session timezone is UTC
        else:
            if isinstance(dtype, TimestampNTZType | DateType | StringType):
                col = col.cast(TimestampNTZType()).cast(TimestampType())
            src_tz = source.timezone or project_tz
            ts = (
                col
                if src_tz == project_tz
                else F.from_utc_timestamp(F.to_utc_timestamp(col, src_tz), project_tz)
            )
            utc = col if src_tz == "UTC" else F.to_utc_timestamp(col, src_tz)
        df = df.withColumn(TS, ts.cast(TimestampNTZType())).withColumn(UTC, utc.cast(TimestampNTZType()))
        view = f"{self._prefix}{name}"
        df.createOrReplaceTempView(view)
        table = self.backend.table(view)
        kinds = {c: kind_of(t) for c, t in table.schema().items() if c not in HIDDEN}
        return table, kinds

    def _execute(self, expr: Any) -> pd.DataFrame:
        return self.backend.execute(expr)

    def _sql(self, expr: Any) -> str:
        import sqlglot

        return str(
            sqlglot.transpile(str(self.backend.compile(expr)), read="spark", write="spark", pretty=True)[0]
        )

    def close(self) -> None:
        for name in list(self._tables):
            self.session.catalog.dropTempView(f"{self._prefix}{name}")
