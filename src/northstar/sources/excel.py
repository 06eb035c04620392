"""Excel workbooks (.xlsx) → a DuckDB table, read with python-calamine and passed as Arrow.

The first non-empty row of the sheet is the header; ``sheet:`` picks a sheet by name (default: the
first). Each column gets one type from its non-empty cells: booleans, integers (numbers that are
all whole), numbers, datetimes, dates; anything mixed becomes text (datetimes written as ISO
8601). Rows are named by their Excel row number in messages.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from northstar.errors import DataError
from northstar.sources.identifiers import did_you_mean, listing, quote_ident
from northstar.sources.locate import FileSet, shown_path
from northstar.sources.publish import RowLocator, publish
from northstar.spec.models import Source

ROW_COLUMN = "ns_row"
FILE_COLUMN = "ns_file"


def read_workbook(path: Path, sheet: str | None, shown: str) -> pa.Table:
    """One sheet as an Arrow table, plus ``ns_row`` (the Excel row number) and ``ns_file``."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises its own error types for broken files
        raise DataError(f"{shown}: cannot be read as an Excel workbook: {e}") from None
    names = list(book.sheet_names)
    if sheet is None:
        if not names:
            raise DataError(f"{shown}: the workbook has no sheets")
        sheet = names[0]
    elif sheet not in names:
        raise DataError(
            f"{shown}: there is no sheet {sheet!r}{did_you_mean(sheet, names)}; "
            f"the sheets are {listing(names)}"
        )
    cells = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header_at = next((i for i, row in enumerate(cells) if any(_present(v) for v in row)), None)
    if header_at is None:
        raise DataError(f"{shown}: sheet {sheet!r} is empty; it needs at least a header row")
    header = cells[header_at]
    used = [j for j, v in enumerate(header) if _present(v)]
    width = max(used) + 1
    names_out = _column_names(header[:width])
    body = [(i + 1, row) for i, row in enumerate(cells[header_at + 1 :], start=header_at + 1)]
    body = [(n, row) for n, row in body if any(_present(v) for v in row[:width])]
    columns = {}
    for j, name in enumerate(names_out):
        columns[name] = _column([row[j] if j < len(row) else None for _, row in body])
    columns[ROW_COLUMN] = pa.array([n for n, _ in body], pa.int64())
    columns[FILE_COLUMN] = pa.array([shown] * len(body), pa.string())
    return pa.table(columns)


def register_excel(
    con: duckdb.DuckDBPyConnection, rel_name: str, fs: FileSet, source: Source, base_dir: Path
) -> None:
    tables = [read_workbook(p, source.sheet, shown_path(p, base_dir)) for p in fs.files]
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise DataError(f"{fs.pattern}: the workbooks' columns do not match: {e}") from None
    where = shown_path(fs.files[0], base_dir) if len(fs.files) == 1 else fs.pattern
    if source.sheet:
        where += f" (sheet {source.sheet!r})"
    load_arrow(con, rel_name, table, source.time, where)


def load_arrow(con: duckdb.DuckDBPyConnection, rel_name: str, table: pa.Table, time: str, where: str) -> None:
    """Copy an Arrow table with ``ns_row``/``ns_file`` columns into temp table ``rel_name``."""
    staging = f"ns_arrow_{uuid.uuid4().hex[:12]}"
    con.register(staging, table)
    try:
        locator = RowLocator(quote_ident(staging), "row {row}")
        plain = f"(SELECT * EXCLUDE ({ROW_COLUMN}, {FILE_COLUMN}) FROM {quote_ident(staging)})"
        publish(con, rel_name, plain, time, where, locator, materialize=True)
    finally:
        con.unregister(staging)


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _column_names(header: Sequence[Any]) -> list[str]:
    """Header cells as unique names; blanks become ``column_N`` (1-based)."""
    names: list[str] = []
    for j, value in enumerate(header, start=1):
        base = _text(value).strip() if _present(value) else f"column_{j}"
        name, n = base, 2
        while name in names or name in (ROW_COLUMN, FILE_COLUMN):
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _column(values: list[Any]) -> pa.Array:
    """The Arrow array for one column: one type for all its non-empty cells."""
    cells = [v if _present(v) else None for v in values]
    kinds = {_kind(v) for v in cells if v is not None}
    if kinds == {"bool"}:
        return pa.array(cells, pa.bool_())
    if kinds <= {"int", "float"} and kinds:
        if all(v is None or float(v).is_integer() for v in cells):
            return pa.array([None if v is None else int(v) for v in cells], pa.int64())
        return pa.array([None if v is None else float(v) for v in cells], pa.float64())
    if kinds == {"date"}:
        return pa.array(cells, pa.date32())
    if kinds and kinds <= {"date", "datetime"}:
        return pa.array([_as_datetime(v) for v in cells], pa.timestamp("us"))
    return pa.array([None if v is None else _text(v) for v in cells], pa.string())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def _text(value: Any) -> str:
    """A cell as text: whole numbers without ``.0``, datetimes as ISO 8601 with a space."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)
