"""Publishing a relation under the engine's name, with its time column made a timestamp.

Every reader except CSV (which checks rows in its own pass) ends here: it hands over a SQL ``FROM``
expression (a table function call or a loaded table), and :func:`publish` checks the time column,
parses text times (see :mod:`northstar.sources.timecols`) and creates a temporary view — or a table,
for data already copied into DuckDB — named ``rel_name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from northstar.errors import DataError
from northstar.sources.identifiers import quote_ident
from northstar.sources.timecols import (
    NAIVE_TYPES,
    TZ_TYPE,
    TextTimes,
    bad_value_message,
    plan_text_times,
    require_time_column,
    sample_text,
    time_type_error,
)


@dataclass(frozen=True)
class RowLocator:
    """Where a bad value sits: ``sql`` has the source's columns plus ``ns_file`` and ``ns_row``.

    Only run after a bad value was found, so it may be slow (e.g. a window over the whole column).
    ``label`` formats the place, e.g. ``"line {row}"``.
    """

    sql: str
    label: str = "row {row}"
    names: Mapping[str, str] = field(default_factory=dict)  # ns_file → the name messages use


def describe(con: duckdb.DuckDBPyConnection, from_sql: str, where: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) pairs of a FROM expression; unreadable data → DataError."""
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {from_sql}").fetchall()
    except duckdb.Error as e:
        raise DataError(f"{where}: cannot be read: {first_line(e)}") from None
    return [(r[0], r[1]) for r in rows]


def publish(
    con: duckdb.DuckDBPyConnection,
    rel_name: str,
    from_sql: str,
    time: str,
    where: str,
    locator: RowLocator | None = None,
    materialize: bool = False,
) -> TextTimes | None:
    """Create temp view (or table) ``rel_name`` over ``from_sql`` with ``time`` as a timestamp.

    Returns how text times were parsed, or None when the column was already a timestamp.
    """
    columns = describe(con, from_sql, where)
    types = dict(columns)
    require_time_column([c for c, _ in columns], time, where)
    col = quote_ident(time)
    sql_type = types[time]
    plan: TextTimes | None = None
    if sql_type == TZ_TYPE:
        expr = col
    elif sql_type in NAIVE_TYPES:
        expr = f"CAST({col} AS TIMESTAMP)"
    elif sql_type == "VARCHAR":
        plan = plan_text_times(con, sample_text(con, from_sql, time), where, time)
        bad = f"NULLIF(trim({col}), '') IS NOT NULL AND {plan.parse_sql(col)} IS NULL"
        try:
            found = _first(con, f"SELECT {col} FROM {from_sql} WHERE {bad} LIMIT 1")
        except duckdb.Error as e:
            raise DataError(f"{where}: cannot be read: {first_line(e)}") from None
        if found is not None:
            place, file = _locate(con, locator, bad)
            raise DataError(bad_value_message(file or where, time, found[0], place, plan))
        expr = plan.parse_sql(col)
    else:
        raise time_type_error(where, time, sql_type)
    kind = "TABLE" if materialize else "VIEW"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP {kind} {quote_ident(rel_name)} AS "
            f"SELECT * REPLACE ({expr} AS {col}) FROM {from_sql}"
        )
    except duckdb.Error as e:
        raise DataError(f"{where}: cannot be read: {first_line(e)}") from None
    return plan


def _locate(
    con: duckdb.DuckDBPyConnection, locator: RowLocator | None, bad: str
) -> tuple[str | None, str | None]:
    if locator is None:
        return None, None
    row = _first(con, f"SELECT ns_file, ns_row FROM {locator.sql} WHERE {bad} LIMIT 1")
    if row is None:
        return None, None
    file = locator.names.get(row[0], row[0]) if row[0] is not None else None
    return locator.label.format(row=row[1]), file


def _first(con: duckdb.DuckDBPyConnection, query: str) -> tuple | None:
    """The first row of a query, its result fully consumed (DuckDB 2 refuses half-read results)."""
    found = con.execute(query).fetchall()
    return found[0] if found else None


def first_line(error: Exception) -> str:
    """The first line of a DuckDB error, which holds its gist."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
