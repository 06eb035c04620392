"""Database tables (``url`` + ``table``) → DuckDB relations.

* ``duckdb:///path/to.duckdb`` — the file is ATTACHed read-only and the view reads the table
  in place (built into DuckDB, no extension).
* ``sqlite:///path/to.db`` — read with Python's :mod:`sqlite3` in batches, turned into Arrow and
  copied into a DuckDB temp table (DuckDB's sqlite extension cannot be downloaded offline).
* ``postgresql://user:pw@host:port/db`` — see :mod:`northstar.sources.postgres`.

Paths follow SQLAlchemy: after ``scheme:///`` comes a path relative to ``base_dir``; four
slashes (``sqlite:////abs/path.db``) mean an absolute path. ``table`` is ``name`` or
``schema.name``; both parts must be identifiers and are quoted, and the table must exist (the
message lists the tables that do, with a "did you mean").
"""

from __future__ import annotations

import difflib
import hashlib
import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from northstar.errors import DataError
from northstar.sources.identifiers import did_you_mean, listing, quote_ident, quote_literal, split_table_name
from northstar.sources.publish import publish
from northstar.spec.models import Source

BATCH_ROWS = 50_000
SCHEMES = ("duckdb", "sqlite", "postgresql", "postgres")


def register_database(con: duckdb.DuckDBPyConnection, rel_name: str, source: Source, base_dir: Path) -> None:
    url = source.url or ""
    scheme = url.split(":", 1)[0].lower().split("+", 1)[0]
    if scheme not in SCHEMES or "://" not in url:
        raise DataError(
            f"{_safe(url)}: unsupported url; use duckdb:///file.duckdb, sqlite:///file.db or "
            "postgresql://user:password@host:5432/database"
        )
    if not source.table:
        raise DataError(f"{_safe(url)}: the source has a url but no table; set table: <name>")
    if scheme == "duckdb":
        register_duckdb_file(con, rel_name, database_path(url, base_dir), source)
    elif scheme == "sqlite":
        register_sqlite(con, rel_name, database_path(url, base_dir), source)
    else:
        from northstar.sources.postgres import register_postgres

        register_postgres(con, rel_name, source)


def database_path(url: str, base_dir: Path) -> Path:
    """The file a ``duckdb:`` or ``sqlite:`` url names; it must exist."""
    rest = url.split("://", 1)[1]
    if not rest.startswith("/"):
        raise DataError(f"{url}: write the file as scheme:///relative/path or scheme:////absolute/path")
    raw = rest[1:]
    path = Path(raw) if raw.startswith("/") else base_dir / raw
    if not path.is_file():
        raise DataError(f"{url}: database file not found (looked for {path})")
    return path


def register_duckdb_file(con: duckdb.DuckDBPyConnection, rel_name: str, path: Path, source: Source) -> None:
    table = source.table or ""
    where = f"{source.url} table {table!r}"
    schema, name = split_table_name(table, str(source.url))
    alias = "ns_db_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    attached = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if alias not in attached:
        try:
            con.execute(f"ATTACH {quote_literal(str(path))} AS {quote_ident(alias)} (READ_ONLY)")
        except duckdb.Error as e:
            raise DataError(f"{source.url}: cannot open the DuckDB file: {str(e).splitlines()[0]}") from None
    found = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
        "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
        "WHERE database_name = ? AND NOT internal",
        [alias, alias],
    ).fetchall()
    schema = pick_schema(found, schema, name, "main", str(source.url))
    full = f"{quote_ident(alias)}.{quote_ident(schema)}.{quote_ident(name)}"
    publish(con, rel_name, full, source.time, where)


def register_sqlite(con: duckdb.DuckDBPyConnection, rel_name: str, path: Path, source: Source) -> None:
    table = source.table or ""
    where = f"{source.url} table {table!r}"
    schema, name = split_table_name(table, str(source.url))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise DataError(f"{source.url}: cannot open the SQLite file: {e}") from None
    try:
        found = db.execute(
            "SELECT 'main', name FROM sqlite_master "
            "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        schema = pick_schema(found, schema, name, "main", str(source.url))
        full = f"{quote_ident(schema)}.{quote_ident(name)}"
        declared = [
            (r[1], r[2] or "")
            for r in db.execute(f"PRAGMA {quote_ident(schema)}.table_info({quote_ident(name)})")
        ]
        cursor = db.execute(f"SELECT * FROM {full}")
        batches = iter(lambda: cursor.fetchmany(BATCH_ROWS), [])
        columns = [(n, sqlite_type(t)) for n, t in declared]
        staging = load_batches(con, rel_name, columns, batches)
    except sqlite3.Error as e:
        raise DataError(f"{where}: cannot be read: {e}") from None
    finally:
        db.close()
    publish(con, rel_name, quote_ident(staging), source.time, where)


def sqlite_type(declared: str) -> pa.DataType:
    """SQLite's type affinity rules, mapped to Arrow; dates and times stay text (parsed later)."""
    t = declared.upper()
    if "INT" in t:
        return pa.int64()
    if "BOOL" in t:
        return pa.bool_()
    if any(k in t for k in ("CHAR", "CLOB", "TEXT", "DATE", "TIME")):
        return pa.string()
    if "BLOB" in t:
        return pa.binary()
    if any(k in t for k in ("REAL", "FLOA", "DOUB", "NUM", "DEC")):
        return pa.float64()
    return pa.string()


def load_batches(
    con: duckdb.DuckDBPyConnection,
    rel_name: str,
    columns: Sequence[tuple[str, pa.DataType]],
    batches: Iterable[Sequence[Sequence[Any]]],
) -> str:
    """Copy row batches into a DuckDB temp table; returns its name.

    Each column keeps its declared Arrow type; a column holding a value that does not fit (text
    in an INTEGER column, which SQLite allows) is widened to text, as the CSV reader does.
    """
    staging = f"ns_data_{rel_name}_{uuid.uuid4().hex[:8]}"
    types = [t for _, t in columns]
    names = [n for n, _ in columns]
    created = False
    for rows in batches:
        arrays = []
        for j, _ in enumerate(names):
            values = [row[j] for row in rows]
            try:
                arrays.append(pa.array(values, types[j]))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                types[j] = pa.string()
                if created:
                    con.execute(
                        f"ALTER TABLE {quote_ident(staging)} ALTER {quote_ident(names[j])} TYPE VARCHAR"
                    )
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
        _append(con, staging, pa.Table.from_arrays(arrays, names=names), created)
        created = True
    if not created:
        _append(con, staging, pa.schema(list(zip(names, types, strict=True))).empty_table(), False)
    return staging


def _append(con: duckdb.DuckDBPyConnection, staging: str, table: pa.Table, created: bool) -> None:
    view = f"ns_batch_{uuid.uuid4().hex[:12]}"
    con.register(view, table)
    try:
        if created:
            con.execute(f"INSERT INTO {quote_ident(staging)} BY NAME SELECT * FROM {quote_ident(view)}")
        else:
            con.execute(f"CREATE TEMP TABLE {quote_ident(staging)} AS SELECT * FROM {quote_ident(view)}")
    finally:
        con.unregister(view)


def pick_schema(
    found: Sequence[tuple[str, str]], schema: str | None, name: str, default: str, url: str
) -> str:
    """The schema holding ``name`` (``default`` first); unknown tables raise with the list."""
    schemas = [s for s, t in found if t == name and (schema is None or s == schema)]
    if schemas:
        return default if default in schemas else schemas[0]
    shown = sorted({t if s == default else f"{s}.{t}" for s, t in found})
    wanted = name if schema is None else f"{schema}.{name}"
    hint = did_you_mean(wanted, shown)
    if not hint and schema is None:  # 'order' → 'sales.orders': compare without the schema
        bare = {n.rsplit(".", 1)[-1]: n for n in shown}
        close = difflib.get_close_matches(name, list(bare), n=3, cutoff=0.6)
        hint = " (did you mean " + ", ".join(repr(bare[c]) for c in close) + "?)" if close else ""
    raise DataError(f"{_safe(url)}: there is no table {wanted!r}{hint}; the tables are {listing(shown)}")


def redact(url: str) -> str:
    """The url without its password, for messages: ``postgresql://bob:***@host/db``."""
    return re.sub(r"^([a-zA-Z0-9+]+://[^:/@]*):[^@]*@", r"\1:***@", url)


_safe = redact
