"""SQL identifiers and literals built from user text, and "did you mean" suggestions.

Names that come from the project YAML (table names, GA4 param names) are validated as identifiers
before they reach SQL, then quoted. Nothing the user writes is pasted into SQL unquoted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from northstar.errors import DataError


def is_identifier(name: str) -> bool:
    """A plain name: letters (any script), digits and ``_``, not starting with a digit."""
    return name.isidentifier()


def quote_ident(name: str) -> str:
    """Quote one identifier for DuckDB/PostgreSQL/SQLite: ``a"b`` → ``"a""b"``."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal: ``it's`` → ``'it''s'``."""
    return "'" + text.replace("'", "''") + "'"


def split_table_name(table: str, where: str) -> tuple[str | None, str]:
    """``schema.table`` or ``table`` → (schema, table), each part a validated identifier."""
    parts = table.split(".")
    if len(parts) > 2 or not all(is_identifier(p) for p in parts):
        raise DataError(
            f"{where}: table {table!r} is not a valid table name; "
            "write a name such as orders or sales.orders (letters, digits and _)"
        )
    if len(parts) == 2:
        return parts[0], parts[1]
    return None, parts[0]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the close matches of ``name``, or an empty string."""
    pool = list(candidates)
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    if not close:
        return ""
    return " (did you mean " + ", ".join(repr(c) for c in close) + "?)"


def listing(names: Iterable[str], limit: int = 20) -> str:
    """``'a', 'b', 'c'`` — at most ``limit`` names, then ``… and N more``."""
    items = list(names)
    if not items:
        return "(none)"
    shown = ", ".join(repr(n) for n in items[:limit])
    if len(items) > limit:
        shown += f" … and {len(items) - limit} more"
    return shown
