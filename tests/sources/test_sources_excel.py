"""Excel workbooks written with xlsxwriter read back with their values and types."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from northstar.errors import DataError
from northstar.sources import register_duckdb
from tests.sources.factories import rows, source, types


def book(path: Path, sheets: dict[str, list[list[object]]], top: int = 0) -> Path:
    """A workbook whose sheets hold ``rows`` starting at row ``top``; datetimes get a date format."""
    wb = xlsxwriter.Workbook(str(path))
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, cells in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(cells):
            for j, value in enumerate(row):
                if isinstance(value, datetime):
                    ws.write_datetime(top + i, j, value, stamp)
                elif isinstance(value, date):
                    ws.write_datetime(top + i, j, value, day)
                elif value is not None:
                    ws.write(top + i, j, value)
    wb.close()
    return path


ORDERS = [
    ["id", "城市", "amount", "paid", "day", "ts"],
    [1, "上海", 10.5, True, date(2024, 1, 5), datetime(2024, 1, 5, 13, 45)],
    [2, "北京", 20, False, date(2024, 1, 6), datetime(2024, 1, 6, 8, 0)],
    [3, None, None, None, None, None],
]


def test_values_and_types(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    book(tmp_path / "orders.xlsx", {"Orders": ORDERS}, top=2)
    register_duckdb(con, "o", source(path="orders.xlsx"), tmp_path)
    assert types(con, "o") == {
        "id": "BIGINT",
        "城市": "VARCHAR",
        "amount": "DOUBLE",
        "paid": "BOOLEAN",
        "day": "DATE",
        "ts": "TIMESTAMP",
    }
    assert rows(con, "o") == [tuple(r) for r in ORDERS[1:]]


def test_sheet_option_and_text_times(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    other = [["ts", "n"], ["2024-01-05 10:00:00", 1], [datetime(2024, 1, 6), 2]]
    book(tmp_path / "b.xlsx", {"Orders": ORDERS, "其他": other})
    register_duckdb(con, "o", source(path="b.xlsx", sheet="其他"), tmp_path)
    assert rows(con, "o") == [(datetime(2024, 1, 5, 10), 1), (datetime(2024, 1, 6), 2)]


def test_missing_sheet_lists_sheets(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    book(tmp_path / "b.xlsx", {"Orders": ORDERS, "Refunds": ORDERS})
    with pytest.raises(DataError) as info:
        register_duckdb(con, "o", source(path="b.xlsx", sheet="Order"), tmp_path)
    assert str(info.value) == (
        "b.xlsx: there is no sheet 'Order' (did you mean 'Orders'?); the sheets are 'Orders', 'Refunds'"
    )


def test_bad_time_names_excel_row(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    book(tmp_path / "b.xlsx", {"S": [["ts"], ["2024-01-05"], ["tomorrow"]]})
    with pytest.raises(DataError) as info:
        register_duckdb(con, "o", source(path="b.xlsx"), tmp_path)
    assert str(info.value) == (
        "b.xlsx: row 3, column 'ts': 'tomorrow' is not a timestamp; "
        "write timestamps as ISO 8601, e.g. 2024-01-05 13:45:00 or 2024-01-05T13:45:00+08:00"
    )
