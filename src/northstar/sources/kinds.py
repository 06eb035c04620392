"""The simple kind of each column of a registered relation: number, text, timestamp, date, …"""

from __future__ import annotations

import duckdb

from northstar.errors import DataError
from northstar.sources.identifiers import quote_ident

_NUMBER_PREFIXES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    "FLOAT", "DOUBLE", "DECIMAL", "REAL",
)  # fmt: skip


def kind_of(sql_type: str) -> str:
    """``"number" | "text" | "timestamp" | "date" | "boolean" | "other"`` for a DuckDB type name."""
    t = sql_type.upper()
    if t.startswith(_NUMBER_PREFIXES):
        return "number"
    if t == "VARCHAR" or t.startswith("VARCHAR("):
        return "text"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t == "BOOLEAN":
        return "boolean"
    return "other"


def describe_columns(con: duckdb.DuckDBPyConnection, rel_name: str) -> dict[str, str]:
    """Column name → kind, in column order, for the view or table ``rel_name``."""
    try:
        rows = con.execute(f"DESCRIBE {quote_ident(rel_name)}").fetchall()
    except duckdb.CatalogException:
        raise DataError(f"no table or view named {rel_name!r} is registered") from None
    return {r[0]: kind_of(r[1]) for r in rows}
