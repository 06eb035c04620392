"""Dispatch: which reader registers a source in DuckDB (by ``url`` scheme or file format)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from northstar.errors import DataError
from northstar.sources.locate import resolve_files
from northstar.spec.models import Source


def register_duckdb(con: duckdb.DuckDBPyConnection, rel_name: str, source: Source, base_dir: Path) -> None:
    """Create in ``con`` a temporary view or table named ``rel_name`` holding the source's rows.

    The time column comes out as ``TIMESTAMP`` (naive) or ``TIMESTAMP WITH TIME ZONE``; for
    ``format: ga4`` see :mod:`northstar.sources.ga4`. Raises :class:`DataError` naming the file,
    row and column when the data cannot be read.
    """
    base_dir = Path(base_dir)
    if source.url is not None:
        from northstar.sources.databases import register_database

        register_database(con, rel_name, source, base_dir)
        return
    fs = resolve_files(source, base_dir)
    if fs.format == "csv":
        from northstar.sources.csv_reader import register_csv

        register_csv(con, rel_name, fs, source, base_dir)
    elif fs.format == "parquet":
        from northstar.sources.files import register_parquet

        register_parquet(con, rel_name, fs, source, base_dir)
    elif fs.format == "jsonl":
        from northstar.sources.files import register_jsonl

        register_jsonl(con, rel_name, fs, source, base_dir)
    elif fs.format == "xlsx":
        from northstar.sources.excel import register_excel

        register_excel(con, rel_name, fs, source, base_dir)
    elif fs.format == "ga4":
        from northstar.sources.ga4 import register_ga4

        register_ga4(con, rel_name, fs, source, base_dir)
    else:
        raise DataError(f"{source.path}: unknown format {fs.format!r}")
