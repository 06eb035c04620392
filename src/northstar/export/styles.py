"""Excel number formats, cell formats, header labels and sheet names for the xlsx export.

>>> number_format(MetricInfo("cr", "CR", "转化率", None, "percent", 1, "higher"))
'0.0%'
>>> SheetNames().add("Revenue / Orders [net]?")
'Revenue _ Orders _net__'
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from northstar.export.columns import PERIOD, Column, has_time_of_day, plain
from northstar.export.wording import comparison_label, metric_label, text
from northstar.results import MetricInfo, QueryResult

SHEET_NAME_MAX = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_RESERVED = {"history"}  # Excel refuses a sheet called "History"

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CNY": "¥",
    "RMB": "¥",
    "JPY": "¥",
    "HKD": "HK$",
    "TWD": "NT$",
    "SGD": "S$",
    "AUD": "A$",
    "CAD": "C$",
    "KRW": "₩",
    "INR": "₹",
}

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PCT_CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"


def period_format(result: QueryResult) -> str:
    """Dates alone, unless some period starts at another time than midnight (an hourly grain)."""
    if PERIOD in result.frame.columns and has_time_of_day(result.frame[PERIOD]):
        return DATETIME_FORMAT
    return DATE_FORMAT


def _literal(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


def _digits(decimals: int) -> str:
    return "." + "0" * decimals if decimals > 0 else ""


def number_format(metric: MetricInfo, currency: str | None = None) -> str:
    """The Excel number format for a metric's values, from its ``format``, ``decimals`` and unit.

    percent → ``0.0%`` (``decimals`` digits after the point of the percentage), currency → the
    symbol (``$``, ``¥`` …) or, when unknown, the code after the number, integer → ``#,##0``,
    number/duration → ``#,##0.00`` followed by the unit when there is one.
    """
    digits = _digits(max(metric.decimals, 0))
    if metric.format == "percent":
        return f"0{digits}%"
    if metric.format == "integer":
        return "#,##0"
    if metric.format == "currency":
        code = (metric.unit or currency or "").strip()
        symbol = CURRENCY_SYMBOLS.get(code.upper())
        if symbol:
            return f"{_literal(symbol)}#,##0{digits}"
        return f"#,##0{digits} {_literal(code)}" if code else f"#,##0{digits}"
    unit = (metric.unit or "").strip()
    return f"#,##0{digits} {_literal(unit)}" if unit else f"#,##0{digits}"


def signed(fmt: str) -> str:
    """The same format with an explicit ``+`` on rises: ``+fmt;-fmt;fmt``."""
    return f"+{fmt};-{fmt};{fmt}"


def column_format(column: Column, currency: str | None) -> str | None:
    """The number format of any frame column (None: leave Excel's default)."""
    if column.metric is None:
        return None
    base = number_format(column.metric, currency)
    if column.kind == "pct":
        return PCT_CHANGE_FORMAT
    if column.kind == "change":
        return signed(base)
    return base


def header(column: Column, lang: str) -> str:
    """What a person reads at the top of a column in ``lang``."""
    if column.role == "period":
        return text(lang, "period")
    if column.labels is not None:
        return column.labels[1] if lang.startswith("zh") else column.labels[0]
    if column.metric is None:
        return column.name
    if column.comparison is None or column.kind is None:
        return metric_label(column.metric, lang)
    return comparison_label(column.metric, column.comparison, column.kind, lang)


def unique(labels: list[str]) -> list[str]:
    """Make labels unique ignoring case (Excel table headers must be), adding `` (2)``, `` (3)`` …"""
    seen: set[str] = set()
    out = []
    for label in labels:
        label = label.strip() or "-"
        candidate, n = label, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{label} ({n})"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


class SheetNames:
    """Hands out valid, unique sheet names: ≤ 31 characters, none of ``[]:*?/\\``, no edge quotes."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def add(self, wanted: str) -> str:
        base = _FORBIDDEN.sub("_", wanted).replace("\n", " ").strip().strip("'").strip()
        base = base[:SHEET_NAME_MAX].strip().strip("'") or "Sheet"
        if base.casefold() in _RESERVED:
            base += "_"
        name, n = base, 1
        while name.casefold() in self._taken:
            n += 1
            suffix = f" ({n})"
            name = base[: SHEET_NAME_MAX - len(suffix)].rstrip().rstrip("'") + suffix
        self._taken.add(name.casefold())
        return name


class Formats:
    """Cell formats of one workbook, created once per distinct style."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}
        self.bold = self.get(bold=True)
        self.header = self.get(bold=True, bottom=1, text_wrap=True, valign="top")
        self.title = self.get(bold=True, font_size=14)
        self.note = self.get(italic=True, font_color="#595959", text_wrap=True, valign="top")

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._workbook.add_format(props)
        return self._cache[key]

    def number(self, num_format: str | None) -> Format | None:
        return self.get(num_format=num_format) if num_format else None


def write_cell(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """Write one value with an explicit type: null/NaN stays an empty cell (never 0 or "nan"),
    and text is always text (a value starting with ``=`` never becomes a formula)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        if value != value:  # NaT
            sheet.write_blank(row, col, None, fmt)
        else:
            sheet.write_datetime(row, col, value, fmt)
        return
    if isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
        return
    value = plain(value)
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def display_width(value: object) -> int:
    """Columns a value takes on screen: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def fit_width(texts: list[object], *, lo: int = 8, hi: int = 40) -> int:
    widest = max((display_width(t) for t in texts), default=0)
    return max(lo, min(hi, widest + 2))
