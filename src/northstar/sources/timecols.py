"""The source's time column: finding it, and turning it into a timestamp.

Every source comes out of :func:`northstar.sources.register_duckdb` with its time column as
``TIMESTAMP`` (naive wall-clock time, which the engine reads in the source's ``timezone``) or
``TIMESTAMP WITH TIME ZONE`` (an instant). Text is parsed:

* ISO 8601 text without an offset (``2024-01-05 13:45:00``, ``2024-01-05T13:45``, ``2024-01-05``)
  → ``TIMESTAMP``;
* ISO 8601 text with an offset (``…+08:00``, ``…Z``) → ``TIMESTAMPTZ``;
* a few unambiguous year-first layouts (``2024/01/05 13:45``, ``20240105``, ``2024年1月5日``)
  → ``TIMESTAMP``.

A column mixing text with and without offsets is refused: the two readings would disagree.
``DATE`` columns become midnight ``TIMESTAMP`` s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from northstar.errors import DataError
from northstar.sources.identifiers import did_you_mean, listing, quote_ident, quote_literal

NAIVE_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")
TZ_TYPE = "TIMESTAMP WITH TIME ZONE"
TEXT_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|z|UTC|[+-]\d{2}(?::?\d{2})?)$")
ISO_HINT = "write timestamps as ISO 8601, e.g. 2024-01-05 13:45:00 or 2024-01-05T13:45:00+08:00"


@dataclass(frozen=True)
class TextTimes:
    """How to parse a text time column: the SQL type it becomes and an optional strptime layout."""

    sql_type: str  # TIMESTAMP | TIMESTAMPTZ
    layout: str | None = None

    def parse_sql(self, expr: str) -> str:
        """SQL turning text ``expr`` into the timestamp, NULL where it cannot."""
        if self.layout:
            return f"try_strptime({expr}, {quote_literal(self.layout)})"
        return f"TRY_CAST({expr} AS {self.sql_type})"


def has_offset(text: str) -> bool:
    return bool(_OFFSET.search(text.strip()))


def require_time_column(columns: Sequence[str], time: str, where: str) -> None:
    """Raise unless ``time`` is one of ``columns``; list them with a "did you mean"."""
    if time in columns:
        return
    raise DataError(
        f"{where}: the time column {time!r} is not in the data{did_you_mean(time, columns)}; "
        f"the columns are {listing(columns)}"
    )


def plan_text_times(
    con: duckdb.DuckDBPyConnection, values: Sequence[str], where: str, time: str
) -> TextTimes:
    """Decide from sample values how to parse a text time column.

    Offsets anywhere in the sample → TIMESTAMPTZ (and all must have one); ISO text → TIMESTAMP;
    else the first year-first layout that reads every sample value; else ISO TIMESTAMP, which will
    fail on the first bad row with a message naming it.
    """
    values = [v.strip() for v in values if v is not None and v.strip()]
    if not values:
        return TextTimes("TIMESTAMP")
    with_tz = [v for v in values if has_offset(v)]
    if with_tz:
        naive = [v for v in values if not has_offset(v)]
        if naive:
            raise DataError(
                f"{where}: column {time!r} mixes timestamps with a UTC offset ({with_tz[0]!r}) and "
                f"without one ({naive[0]!r}); write all of them with an offset, or none"
            )
        return TextTimes("TIMESTAMPTZ")
    if _all_parse(con, values, "TRY_CAST(v AS TIMESTAMP)"):
        return TextTimes("TIMESTAMP")
    for layout in TEXT_FORMATS:
        if _all_parse(con, values, f"try_strptime(v, {quote_literal(layout)})"):
            return TextTimes("TIMESTAMP", layout)
    return TextTimes("TIMESTAMP")


def _all_parse(con: duckdb.DuckDBPyConnection, values: Sequence[str], expr: str) -> bool:
    row = con.execute(
        f"SELECT bool_and({expr} IS NOT NULL) FROM unnest(?::VARCHAR[]) AS t(v)", [list(values)]
    )
    result = row.fetchone()
    return bool(result and result[0])


def sample_text(con: duckdb.DuckDBPyConnection, from_sql: str, time: str, n: int = 1000) -> list[str]:
    """Up to ``n`` non-null values of the time column, as text."""
    col = quote_ident(time)
    rows = con.execute(f"SELECT CAST({col} AS VARCHAR) FROM {from_sql} WHERE {col} IS NOT NULL LIMIT {n}")
    return [r[0] for r in rows.fetchall()]


def bad_value_message(where: str, time: str, value: object, row: str | None, plan: TextTimes | None) -> str:
    """The message for a value of the time column that is not a timestamp."""
    at = f" {row}," if row else ""
    layout = f" (read with layout {plan.layout!r})" if plan and plan.layout else ""
    return f"{where}:{at} column {time!r}: {value!r} is not a timestamp{layout}; {ISO_HINT}"


def time_type_error(where: str, time: str, sql_type: str) -> DataError:
    hint = ""
    if any(word in sql_type for word in ("INT", "DOUBLE", "FLOAT", "DECIMAL")):
        hint = "; numbers are not read as times: store timestamps as text (ISO 8601) or a timestamp type"
    return DataError(f"{where}: the time column {time!r} holds {sql_type} values, not timestamps{hint}")
