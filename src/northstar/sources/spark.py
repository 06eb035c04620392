"""Sources as Spark DataFrames: the same rows and columns as :func:`register_duckdb` gives.

Every source is first checked with DuckDB in a private connection, so Spark raises the same
:class:`DataError` messages; then:

* CSV is read by ``spark.read.csv`` with the detected delimiter, RFC 4180 quoting and the column
  types DuckDB settled on (after widening stray text). Spark reads the same bytes DuckDB reads:
  UTF-8 files as they are, other encodings from the UTF-8 copy in the transcode cache.
* Parquet and JSON lines are read by ``spark.read.parquet`` / ``spark.read.json``.
* Excel, SQLite, PostgreSQL and DuckDB tables go DuckDB → Arrow → ``spark.createDataFrame``.
* GA4 exports are flattened with Spark functions (:mod:`northstar.sources.ga4_spark`).

Time column types: naive text or naive timestamps → ``TimestampNTZType`` (wall-clock values,
unchanged; the engine reads them in the source's timezone); text with offsets and instants
(``TIMESTAMPTZ``, Parquet timestamps adjusted to UTC, GA4 micros) → ``TimestampType``. Columns
come in DuckDB's order. The session timezone is expected to be UTC.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from northstar.sources.csv_reader import CsvPlan, plan_csv
from northstar.sources.duckdb_sources import register_duckdb
from northstar.sources.files import register_jsonl, register_parquet
from northstar.sources.identifiers import quote_ident
from northstar.sources.locate import resolve_files
from northstar.sources.timecols import TZ_TYPE, TextTimes
from northstar.spec.models import Source

_RELATION = "ns_spark_source"
_LAYOUT_PARTS = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "mm", "%S": "ss"}


def spark_dataframe(spark: Any, source: Source, base_dir: Path) -> Any:
    """The source's rows as a Spark DataFrame; raises :class:`DataError` like register_duckdb."""
    base_dir = Path(base_dir)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        if source.url is not None:
            return _via_arrow(spark, con, source, base_dir)
        fs = resolve_files(source, base_dir)
        if fs.format == "csv":
            return _csv(spark, con, plan_csv(con, fs, source, base_dir))
        if fs.format == "parquet":
            times = register_parquet(con, _RELATION, fs, source, base_dir)
            reader = spark.read.option("mergeSchema", "true")
            return _finish(con, reader.parquet(*map(str, fs.files)), source.time, times)
        if fs.format == "jsonl":
            times = register_jsonl(con, _RELATION, fs, source, base_dir)
            return _finish(con, spark.read.json([str(f) for f in fs.files]), source.time, times)
        if fs.format == "ga4":
            from northstar.sources.ga4_spark import ga4_dataframe

            register_duckdb(con, _RELATION, source, base_dir)  # the same checks and messages
            return ga4_dataframe(spark, fs, source)
        return _via_arrow(spark, con, source, base_dir)
    finally:
        con.close()


def _via_arrow(spark: Any, con: duckdb.DuckDBPyConnection, source: Source, base_dir: Path) -> Any:
    from pyspark.sql import functions as F

    register_duckdb(con, _RELATION, source, base_dir)
    table = con.sql(f"SELECT * FROM {quote_ident(_RELATION)}").to_arrow_table()
    df = spark.createDataFrame(table)
    naive = {f.name for f in table.schema if str(f.type).startswith("timestamp") and f.type.tz is None}
    return df.select(
        *[F.col(_col(c)).cast("timestamp_ntz").alias(c) if c in naive else _col(c) for c in df.columns]
    )


def _csv(spark: Any, con: duckdb.DuckDBPyConnection, plan: CsvPlan) -> Any:
    """One ``spark.read.csv`` per group of files with the same header, unioned by name."""
    from pyspark.sql import functions as F

    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for path in plan.files:
        one = replace(plan, files=(path,))
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {one.read_sql({})}").fetchall()]
        types = {c: t for c, t in {**plan.types, plan.time: "VARCHAR"}.items() if c in columns}
        described = con.execute(f"DESCRIBE SELECT * FROM {one.read_sql(types)}").fetchall()
        groups.setdefault(tuple((r[0], r[1]) for r in described), []).append(path)
    frames = []
    for header, paths in groups.items():
        schema = ", ".join(f"`{name.replace('`', '``')}` {_spark_type(t)}" for name, t in header)
        reader = spark.read.options(header=True, sep=plan.delimiter, quote='"', escape='"', encoding="UTF-8")
        frames.append(reader.schema(schema).csv(paths))
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other, allowMissingColumns=True)
    order = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {plan.read_sql()}").fetchall()]
    time = _parse_text(F.col(_col(plan.time)), plan.times).alias(plan.time)
    return df.select(*[time if c == plan.time else F.col(_col(c)) for c in order])


def _finish(con: duckdb.DuckDBPyConnection, df: Any, time: str, times: TextTimes | None) -> Any:
    """Put columns in DuckDB's order and make the time column the type DuckDB gave it."""
    from pyspark.sql import functions as F

    described = con.execute(f"DESCRIBE {quote_ident(_RELATION)}").fetchall()
    sql_type = next(r[1] for r in described if r[0] == time)
    col = F.col(_col(time))
    if times is not None:
        col = _parse_text(col, times)
    elif sql_type == TZ_TYPE:
        col = col.cast("timestamp")
    else:
        col = col.cast("timestamp_ntz")
    return df.select(*[col.alias(time) if r[0] == time else F.col(_col(r[0])) for r in described])


def _parse_text(col: Any, times: TextTimes) -> Any:
    from pyspark.sql import functions as F

    if times.sql_type == "TIMESTAMPTZ":
        return F.to_timestamp(col)
    if times.layout:
        return F.to_timestamp_ntz(col, F.lit(java_layout(times.layout)))
    return F.to_timestamp_ntz(col)


def java_layout(layout: str) -> str:
    """A strptime layout as a Spark datetime pattern: ``%Y年%m月%d日`` → ``yyyy'年'M'月'd'日'``."""
    out = []
    for part in re.split(r"(%[YmdHMS])", layout):
        if part in _LAYOUT_PARTS:
            out.append(_LAYOUT_PARTS[part])
        elif re.fullmatch(r"[\s/\-:.,]*", part):
            out.append(part)
        else:
            out.append("'" + part.replace("'", "''") + "'")
    return "".join(out)


def _col(name: str) -> str:
    """A column name for ``F.col``: backticks keep dots and spaces literal."""
    return "`" + name.replace("`", "``") + "`"


def _spark_type(sql_type: str) -> str:
    """DuckDB type → Spark DDL type for CSV schemas (CSV only has flat types)."""
    t = sql_type.upper()
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"):
        return "BIGINT"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return "DOUBLE"
    if t == "BOOLEAN":
        return "BOOLEAN"
    if t == "DATE":
        return "DATE"
    if t == TZ_TYPE:
        return "TIMESTAMP"
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP_NTZ"
    return "STRING"
