"""Source readers: data files and database tables → engine tables.

The engine layer calls three functions:

* :func:`register_duckdb` — create in a DuckDB connection a temporary view (streaming files) or
  table (data copied in: Excel, SQLite, PostgreSQL) holding a source's rows;
* :func:`spark_dataframe` — the same rows and columns as a Spark DataFrame;
* :func:`describe_columns` — the simple kind of each column of a registered relation.

The time column always comes out as a timestamp: ``TIMESTAMP`` (naive wall-clock time, which the
engine reads in the source's ``timezone``) or ``TIMESTAMP WITH TIME ZONE`` (an instant); on Spark
``TimestampNTZType`` and ``TimestampType``. Anything unreadable raises
:class:`northstar.errors.DataError` naming the file, and the row and column where there is one.

Modules: :mod:`.locate` (paths, globs, formats), :mod:`.csv_sniff` and :mod:`.transcode` (encoding
and delimiter), :mod:`.csv_reader`, :mod:`.files` (Parquet, JSON lines), :mod:`.excel`,
:mod:`.databases` and :mod:`.postgres`, :mod:`.ga4` and :mod:`.ga4_spark`, :mod:`.timecols` and
:mod:`.publish` (the time column), :mod:`.spark`, :mod:`.kinds`.
"""

from __future__ import annotations

from northstar.sources.duckdb_sources import register_duckdb
from northstar.sources.kinds import describe_columns
from northstar.sources.spark import spark_dataframe

__all__ = ["describe_columns", "register_duckdb", "spark_dataframe"]
