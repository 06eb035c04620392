"""PostgreSQL tables → a DuckDB temp table, read with psycopg 3 through a server-side cursor.

Rows arrive in batches of :data:`~northstar.sources.databases.BATCH_ROWS` (bounded memory on the
client), become Arrow and are appended to a DuckDB temp table. Types are kept: integers → BIGINT,
``numeric``/``real``/``double precision`` → DOUBLE, ``timestamptz`` → TIMESTAMPTZ (the session
runs in UTC), ``timestamp`` → TIMESTAMP, ``date`` → DATE, ``boolean`` → BOOLEAN; anything else
(uuid, json, intervals, arrays …) becomes text. Messages never show the password.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from northstar.errors import DataError
from northstar.sources.databases import BATCH_ROWS, load_batches, pick_schema, redact
from northstar.sources.identifiers import quote_ident, split_table_name
from northstar.sources.publish import publish
from northstar.spec.models import Source

# PostgreSQL type OIDs (pg_type.oid), stable across versions.
_OID_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int64(),
    23: pa.int64(),
    26: pa.int64(),
    700: pa.float64(),
    701: pa.float64(),
    1700: pa.float64(),
    25: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    19: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def register_postgres(con: duckdb.DuckDBPyConnection, rel_name: str, source: Source) -> None:
    import psycopg
    from psycopg import sql

    url = source.url or ""
    table = source.table or ""
    shown = redact(url)
    where = f"{shown} table {table!r}"
    schema, name = split_table_name(table, shown)
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as e:
        raise DataError(f"{shown}: cannot connect to PostgreSQL: {_gist(e)}") from None
    try:
        conn.execute("SET TIME ZONE 'UTC'")
        found = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        default = conn.execute("SELECT current_schema()").fetchone()
        schema = pick_schema(found, schema, name, default[0] if default else "public", url)
        query = sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, name))
        with conn.cursor(name="northstar_read") as cur:
            cur.itersize = BATCH_ROWS
            cur.execute(query)
            columns = [(d.name, _OID_TYPES.get(d.type_code, pa.string())) for d in cur.description or ()]
            staging = load_batches(con, rel_name, columns, _batches(cur, columns))
    except psycopg.Error as e:
        raise DataError(f"{where}: cannot be read: {_gist(e)}") from None
    finally:
        conn.close()
    publish(con, rel_name, quote_ident(staging), source.time, where)


def _batches(cur: Any, columns: Sequence[tuple[str, pa.DataType]]) -> Iterator[list[tuple[Any, ...]]]:
    """Row batches with values Arrow takes as they are (Decimal → float, others as text)."""
    convert = [_converter(t) for _, t in columns]
    while rows := cur.fetchmany(BATCH_ROWS):
        yield [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows]


def _converter(arrow_type: pa.DataType) -> Any:
    if pa.types.is_floating(arrow_type):
        return lambda v: float(v) if isinstance(v, decimal.Decimal) else v
    if pa.types.is_string(arrow_type):
        return lambda v: v if v is None or isinstance(v, str) else str(v)
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz:
        return lambda v: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v
    return lambda v: v


def _gist(error: Exception) -> str:
    """psycopg's message on one line: ``connection … failed: Connection refused Is the server …``."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__
