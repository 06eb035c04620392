"""Small builders shared by the source reader tests: specs, files and read-backs."""

from __future__ import annotations

from pathlib import Path

import duckdb

from northstar.spec.models import Source


def source(**fields: object) -> Source:
    """A Source with ``time: ts`` unless told otherwise."""
    fields.setdefault("time", "ts")
    return Source.model_validate(fields)


def rows(con: duckdb.DuckDBPyConnection, rel: str, order: str = "1") -> list[tuple]:
    return con.execute(f'SELECT * FROM "{rel}" ORDER BY {order}').fetchall()


def types(con: duckdb.DuckDBPyConnection, rel: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f'DESCRIBE "{rel}"').fetchall()}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
