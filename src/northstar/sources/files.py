"""Parquet and JSON-lines files → DuckDB views over ``read_parquet`` / ``read_json``.

Both stream from the files, so files larger than memory work. Many files (a glob) are read as one
table, matching columns by name. A bad value in a text time column is reported with its file and
its row: the 1-based row for Parquet, the line for JSON lines.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from northstar.sources.identifiers import quote_literal
from northstar.sources.locate import FileSet, shown_path
from northstar.sources.publish import RowLocator, publish
from northstar.sources.timecols import TextTimes
from northstar.spec.models import Source


def file_list(fs: FileSet) -> str:
    return "[" + ", ".join(quote_literal(str(f)) for f in fs.files) + "]"


def parquet_sql(fs: FileSet) -> str:
    return f"read_parquet({file_list(fs)}, union_by_name=true)"


def jsonl_sql(fs: FileSet) -> str:
    return f"read_json({file_list(fs)}, format='newline_delimited', union_by_name=true)"


def register_parquet(
    con: duckdb.DuckDBPyConnection, rel_name: str, fs: FileSet, source: Source, base_dir: Path
) -> TextTimes | None:
    locator = RowLocator(
        f"(SELECT *, filename AS ns_file, file_row_number + 1 AS ns_row "
        f"FROM read_parquet({file_list(fs)}, union_by_name=true, file_row_number=true))",
        "row {row}",
        _names(fs, base_dir),
    )
    return publish(con, rel_name, parquet_sql(fs), source.time, _where(fs, base_dir), locator)


def register_jsonl(
    con: duckdb.DuckDBPyConnection, rel_name: str, fs: FileSet, source: Source, base_dir: Path
) -> TextTimes | None:
    locator = RowLocator(
        f"(SELECT *, filename AS ns_file, "
        f"row_number() OVER (PARTITION BY filename) AS ns_row FROM {jsonl_sql(fs)})",
        "line {row}",
        _names(fs, base_dir),
    )
    return publish(con, rel_name, jsonl_sql(fs), source.time, _where(fs, base_dir), locator)


def _where(fs: FileSet, base_dir: Path) -> str:
    return shown_path(fs.files[0], base_dir) if len(fs.files) == 1 else fs.pattern


def _names(fs: FileSet, base_dir: Path) -> dict[str, str]:
    return {str(f): shown_path(f, base_dir) for f in fs.files}
