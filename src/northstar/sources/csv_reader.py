"""CSV files → a DuckDB view over ``read_csv``, checked row by row before it is handed out.

The view streams from the files (nothing is loaded into memory), so files larger than memory work.
Before the view is created, one checking pass reads every row with DuckDB's reject store:

* a value of the time column that is not a timestamp → :class:`DataError` naming the file, the row
  (1-based, the header is row 1), the column and the value;
* a value that does not fit the type DuckDB's sniffer guessed from its sample (``n/a`` in a number
  column at row 50 000) → that column is widened to text, as the sniffer would have done had it
  seen the row;
* a row with too many or too few fields, or bytes that are not UTF-8 → :class:`DataError`.

A file with a header and no rows (an empty export, which systems write all the time) gives zero
rows, not an error. Its columns say nothing about their types, and DuckDB would call them all text,
so that ``sum`` over an amount column would fail a check on a file that merely has no sales yet.
Instead, when every file is header-only, the time column keeps its time type and every other
column is DOUBLE, since numbers are what metrics aggregate; the types come back from the data once
a file has rows. (Among several files, DuckDB already takes the types from the files with rows.)
The price: until then, a filter comparing such a column with text (``status = 'paid'``) cannot be
checked against it.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from northstar.errors import DataError
from northstar.sources import csv_sniff, transcode
from northstar.sources.identifiers import quote_ident, quote_literal
from northstar.sources.locate import FileSet, shown_path
from northstar.sources.timecols import (
    TextTimes,
    bad_value_message,
    plan_text_times,
    require_time_column,
    sample_text,
)
from northstar.spec.models import Source

_UTF8 = {"utf-8", "utf-8-sig", "ascii"}
_MAX_WIDENING_PASSES = 4


@dataclass(frozen=True)
class CsvPlan:
    """How to read a source's CSV files: what DuckDB reads, with which options and types."""

    files: tuple[str, ...]  # the paths DuckDB reads (UTF-8 copies for other encodings)
    shown: dict[str, str]  # path DuckDB reads → the name messages use
    encodings: tuple[str, ...]  # the encoding of each original file
    originals: tuple[str, ...]  # the original files
    delimiter: str
    time: str
    times: TextTimes = field(default_factory=lambda: TextTimes("TIMESTAMP"))
    types: dict[str, str] = field(default_factory=dict)
    columns: tuple[str, ...] = ()

    def read_sql(self, types: dict[str, str] | None = None, extra: str = "") -> str:
        """The ``read_csv(...)`` table function call for these files."""
        files = "[" + ", ".join(quote_literal(f) for f in self.files) + "]"
        opts = [f"delim={quote_literal(self.delimiter)}", "header=true", "skip=0"]
        chosen = self.types if types is None else types
        if chosen:
            pairs = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in chosen.items())
            opts.append("types={" + pairs + "}")
        if self.times.layout:
            opts.append(f"timestampformat={quote_literal(self.times.layout)}")
        if len(self.files) > 1:
            opts.append("union_by_name=true")
        if extra:
            opts.append(extra)
        return f"read_csv({files}, {', '.join(opts)})"


def register_csv(
    con: duckdb.DuckDBPyConnection, rel_name: str, fs: FileSet, source: Source, base_dir: Path
) -> None:
    plan = plan_csv(con, fs, source, base_dir)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(rel_name)} AS SELECT * FROM {plan.read_sql()}")


def plan_csv(con: duckdb.DuckDBPyConnection, fs: FileSet, source: Source, base_dir: Path) -> CsvPlan:
    """Detect encoding and delimiter, check the header and every row; the plan to read the files."""
    first = shown_path(fs.files[0], base_dir)
    read, shown, encodings, empty = [], {}, [], []
    sample_text_of_first = ""
    for path in fs.files:
        name = shown_path(path, base_dir)
        sample = csv_sniff.read_sample(path)
        if source.encoding:
            encoding = csv_sniff.canonical_encoding(source.encoding, name)
        else:
            encoding = csv_sniff.file_encoding(path, name)
        complete = len(sample) < csv_sniff.SAMPLE_BYTES
        lines = csv_sniff.sample_lines(csv_sniff.decode_sample(sample, encoding), complete)
        if not sample_text_of_first:
            sample_text_of_first = "\n".join(lines) or " "
        target = str(path) if encoding in _UTF8 else str(transcode.utf8_copy(path, encoding, name))
        read.append(target)
        shown[target] = name
        encodings.append(encoding)
        empty.append(complete and len(lines) <= 1)
    if source.delimiter:
        delimiter = csv_sniff.canonical_delimiter(source.delimiter, first)
    else:
        delimiter = csv_sniff.detect_delimiter(sample_text_of_first.splitlines())
    plan = CsvPlan(
        files=tuple(read),
        shown=shown,
        encodings=tuple(encodings),
        originals=tuple(str(p) for p in fs.files),
        delimiter=delimiter,
        time=source.time,
    )
    where = first if len(fs.files) == 1 else fs.pattern
    columns = _columns(con, plan, where)
    _require_time(columns, source.time, delimiter, where)
    plan = replace(plan, columns=tuple(columns))
    values = sample_text(con, plan.read_sql({source.time: "VARCHAR"}), source.time)
    times = plan_text_times(con, values, where, source.time)
    types = {source.time: times.sql_type}
    if all(empty):  # no rows anywhere: numbers, as the module docstring explains
        types |= {c: "DOUBLE" for c in columns if c != source.time}
    plan = replace(plan, times=times, types=types)
    return _check_rows(con, plan)


def _columns(con: duckdb.DuckDBPyConnection, plan: CsvPlan, where: str) -> list[str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {plan.read_sql({})}").fetchall()
    except duckdb.Error as e:
        raise _translate(e, where, plan) from None
    return [r[0] for r in rows]


def _require_time(columns: list[str], time: str, delimiter: str, where: str) -> None:
    if time in columns:
        return
    if len(columns) == 1:
        guess = csv_sniff.split_header_guess(columns[0], delimiter)
        if guess is not None:
            shown = "tab" if guess == "\t" else guess
            raise DataError(
                f"{where}: the time column {time!r} is not in the data: the header was read as one "
                f"column {columns[0]!r} with delimiter {delimiter!r}; it looks like {shown!r}-separated; "
                f"set delimiter: {shown!r}"
            )
    require_time_column(columns, time, where)


def _check_rows(con: duckdb.DuckDBPyConnection, plan: CsvPlan) -> CsvPlan:
    """Read every row once, file by file (DuckDB keeps no rejects across ``union_by_name``).

    Columns with stray text are widened to VARCHAR; bad times and broken rows raise.
    """
    widened: dict[str, str] = {}
    for path in plan.files:
        one = replace(plan, files=(path,))
        where = plan.shown.get(path, path)
        columns = _columns(con, one, where)
        one = replace(one, columns=tuple(columns))
        for _ in range(_MAX_WIDENING_PASSES):
            types = {c: t for c, t in {**plan.types, **widened}.items() if c in columns}
            more = _widen_or_raise(_rejects(con, replace(one, types=types)), plan)
            if not more:
                break
            widened.update(more)
    return replace(plan, types={**plan.types, **widened})


def _widen_or_raise(rejects: list[tuple], plan: CsvPlan) -> dict[str, str]:
    widen: dict[str, str] = {}
    for path, line, column, error_type, csv_line, message, column_idx in rejects:
        where = plan.shown.get(path, path)
        if error_type == "CAST" and column == plan.time:
            value = _field(csv_line, plan.delimiter, column_idx)
            place = f"row {line} (the header is row 1)"
            raise DataError(bad_value_message(where, plan.time, value, place, plan.times))
        if error_type == "CAST" and column:
            widen[column] = "VARCHAR"
            continue
        raise DataError(f"{where}: row {line} (the header is row 1): {_explain(error_type, message)}")
    return widen


def _rejects(con: duckdb.DuckDBPyConnection, plan: CsvPlan) -> list[tuple]:
    suffix = uuid.uuid4().hex[:12]
    table, scan = f"ns_rejects_{suffix}", f"ns_rejects_scan_{suffix}"
    counts = ", ".join(f"count({quote_ident(c)})" for c in plan.columns)
    extra = f"store_rejects=true, rejects_table={quote_literal(table)}, rejects_scan={quote_literal(scan)}"
    try:
        con.execute(f"SELECT {counts} FROM {plan.read_sql(extra=extra)}").fetchall()
        return con.execute(
            f"SELECT s.file_path, e.line, e.column_name, e.error_type, e.csv_line, e.error_message, "
            f"e.column_idx FROM {table} e JOIN {scan} s USING (scan_id, file_id) "
            "ORDER BY s.file_path, e.line"
        ).fetchall()
    except duckdb.Error as e:
        raise _translate(e, plan.shown.get(plan.files[0], plan.files[0]), plan) from None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"DROP TABLE IF EXISTS {scan}")


def _field(csv_line: str, delimiter: str, column_idx: int | None) -> str:
    """The raw text of one field of a rejected line (``column_idx`` is 1-based)."""
    try:
        fields = next(csv.reader([csv_line], delimiter=delimiter))
        return fields[(column_idx or 1) - 1]
    except (StopIteration, IndexError, csv.Error):
        return csv_line


def _explain(error_type: str, message: str) -> str:
    if error_type == "TOO MANY COLUMNS":
        return "has more fields than the header; quote values that contain the delimiter"
    if error_type == "MISSING COLUMNS":
        return "has fewer fields than the header"
    if error_type in ("INVALID ENCODING", "INVALID UNICODE"):
        return (
            "has bytes that are not valid UTF-8: set `encoding:` on the source to the file's encoding "
            "(for example gb18030, big5 or latin-1)"
        )
    if error_type == "UNQUOTED VALUE":
        return "has a quote inside an unquoted value"
    return message.splitlines()[0] if message else error_type.lower()


def _translate(error: duckdb.Error, where: str, plan: CsvPlan) -> DataError:
    """A DuckDB CSV error as a DataError naming the file and row."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    if line:
        kind = "INVALID UNICODE" if "Invalid unicode" in text else ""
        if "Expected Number of Columns" in text:
            kind = "TOO MANY COLUMNS" if "Found: " in text and _found_more(text) else "MISSING COLUMNS"
        detail = _explain(kind, _gist(text))
        return DataError(f"{where}: row {line.group(1)} (the header is row 1): {detail}")
    if "Error when sniffing file" in text:
        ragged = _first_ragged_row(Path(plan.files[0]), plan.delimiter)
        if ragged is not None:
            row, found, expected = ragged
            return DataError(
                f"{where}: row {row} (the header is row 1) has {found} fields but the header has {expected}; "
                "quote values that contain the delimiter"
            )
        return DataError(f"{where}: cannot be read as CSV: the quoting and escaping could not be detected")
    return DataError(f"{where}: cannot be read as CSV: {_gist(text)}")


def _found_more(text: str) -> bool:
    m = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    return bool(m and int(m.group(2)) > int(m.group(1)))


def _first_ragged_row(path: Path, delimiter: str) -> tuple[int, int, int] | None:
    """(row, fields, header fields) of the first row in the sample whose field count differs."""
    sample = csv_sniff.read_sample(path)
    complete = len(sample) < csv_sniff.SAMPLE_BYTES
    lines = csv_sniff.sample_lines(csv_sniff.decode_sample(sample, "utf-8"), complete, limit=10_000)
    counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
    for i, count in enumerate(counts[1:], start=2):
        if count != counts[0]:
            return i, count, counts[0]
    return None


def _gist(text: str) -> str:
    """The informative line of a DuckDB error (skipping "CSV Error on Line" and "Original Line")."""
    for line in text.strip().splitlines():
        if line.strip() and not line.startswith(("CSV Error on Line", "Original Line")):
            return line.strip()
    return text.strip()
