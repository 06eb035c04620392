"""xlsx sheets of each metric over time, each with a native Excel line chart beside the table.

With dimensions, one sheet per metric: rows are periods, columns are dimension values (several
dimensions are joined with `` / ``), ordered by their latest value. The chart draws the first
:data:`MAX_SERIES` columns. The others are not summed into an "Other" line: a result does not say
whether a metric adds up across slices (ratios, averages, medians and distinct counts do not), and
a wrong number is worse than a missing line. A note above the chart says so when lines were left out.

Without dimensions, one sheet holds every metric over time, with one chart per metric.
"""

from __future__ import annotations

import math

import pandas as pd
from xlsxwriter.chart import Chart
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from northstar.errors import InternalError
from northstar.export.columns import PERIOD, plain
from northstar.export.styles import (
    Formats,
    SheetNames,
    fit_width,
    number_format,
    period_format,
    unique,
    write_cell,
)
from northstar.export.wording import metric_label, text
from northstar.results import MetricInfo, QueryResult

MAX_SERIES = 12
CHART_SIZE = {"x_scale": 1.5, "y_scale": 1.25}  # 720 × 360 px
CHART_ROWS = 20  # rows a chart covers, to stack several without overlap

SheetGuide = list[tuple[str, str]]


def write_trends(
    workbook: Workbook, result: QueryResult, lang: str, names: SheetNames, formats: Formats
) -> SheetGuide:
    """Add the trend sheets for ``result``; nothing when it has no grain (one total per slice)."""
    if result.grain is None or PERIOD not in result.frame.columns or not result.metrics:
        return []
    present = [m for m in result.metrics if m.name in result.frame.columns]
    if not result.dimensions:
        name = names.add(text(lang, "sheet.trend"))
        _write_overview(workbook, workbook.add_worksheet(name), name, result, present, lang, formats)
        return [(name, text(lang, "sheets.trend"))]
    keys = slice_keys(result, lang)
    sep = text(lang, "list_sep")
    guide = []
    for metric in present:
        name = names.add(metric_label(metric, lang))
        table = pivot(result, metric.name, keys)
        _write_pivot(workbook, workbook.add_worksheet(name), name, result, metric, table, lang, formats)
        about = text(
            lang,
            "sheets.metric",
            label=metric_label(metric, lang),
            dimensions=sep.join(result.dimension_label(d, lang) for d in result.dimensions),
        )
        guide.append((name, about))
    return guide


def slice_keys(result: QueryResult, lang: str) -> pd.Series:
    """One label per row naming its slice: the dimension values joined with `` / ``."""
    empty = text(lang, "empty_value")
    parts = [
        result.frame[d].map(lambda v: empty if plain(v) is None else str(v)).astype(object)
        for d in result.dimensions
    ]
    return pd.Series(
        [" / ".join(values) for values in zip(*parts, strict=True)], index=result.frame.index, dtype=object
    )


def pivot(result: QueryResult, metric: str, keys: pd.Series) -> pd.DataFrame:
    """Periods × slices for one metric, columns ordered by their value in the latest period
    (largest first; slices without one last, by their own latest value)."""
    long = pd.DataFrame(
        {
            PERIOD: result.frame[PERIOD].to_numpy(),
            "slice": keys.to_numpy(),
            "value": pd.to_numeric(result.frame[metric], errors="coerce").to_numpy(dtype=float),
        }
    )
    if long.duplicated([PERIOD, "slice"]).any():
        raise InternalError(f"result has several rows for one period and slice of {metric!r}")
    table = long.pivot(index=PERIOD, columns="slice", values="value").sort_index()
    table.columns.name = None

    def rank(column: str) -> tuple[int, float, str]:
        series = table[column]
        latest = series.iloc[-1] if len(series) else math.nan
        last_seen = series.dropna().iloc[-1] if series.notna().any() else -math.inf
        return (0 if pd.notna(latest) else 1, -(latest if pd.notna(latest) else last_seen), column)

    order: list[str] = sorted((str(c) for c in table.columns), key=rank)
    return table[order]


def _write_table(
    sheet: Worksheet,
    table: pd.DataFrame,
    headers: list[str],
    fmts: list[str],
    period_fmt: str,
    lang: str,
    formats: Formats,
) -> None:
    """Period column then one column per header, header row 0 frozen."""
    sheet.write_string(0, 0, text(lang, "period"), formats.header)
    date_fmt = formats.number(period_fmt)
    for c, head in enumerate(headers, start=1):
        sheet.write_string(0, c, head, formats.header)
    cell_formats = [formats.number(f) for f in fmts]
    for r, (period, values) in enumerate(
        zip(table.index, table.itertuples(index=False, name=None), strict=True), start=1
    ):
        write_cell(sheet, r, 0, period, date_fmt)
        for c, value in enumerate(values, start=1):
            write_cell(sheet, r, c, value, cell_formats[c - 1])
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, 12)
    for c, head in enumerate(headers, start=1):
        sheet.set_column(c, c, fit_width([head], lo=10, hi=24))
    sheet.set_row(0, 30)


def _line_chart(workbook: Workbook, title: str, num_format: str, period_fmt: str) -> Chart:
    chart = workbook.add_chart({"type": "line"})
    if chart is None:  # pragma: no cover - only for an unknown chart type
        raise InternalError("xlsxwriter refused a line chart")
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_x_axis({"num_format": period_fmt, "num_font": {"rotation": -45}})
    chart.set_y_axis({"num_format": num_format, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")  # a missing value is a gap in the line, not a drop to 0
    chart.set_size(CHART_SIZE)
    return chart


def _write_pivot(
    workbook: Workbook,
    sheet: Worksheet,
    name: str,
    result: QueryResult,
    metric: MetricInfo,
    table: pd.DataFrame,
    lang: str,
    formats: Formats,
) -> None:
    fmt = number_format(metric, result.currency)
    headers = unique([str(c) for c in table.columns])
    _write_table(sheet, table, headers, [fmt] * len(headers), period_format(result), lang, formats)
    if not headers:  # no rows, so no slices: nothing to draw (Excel refuses a chart without series)
        return
    last_row = max(len(table), 1)
    chart = _line_chart(workbook, metric_label(metric, lang), fmt, period_format(result))
    shown = min(len(headers), MAX_SERIES)
    for c in range(1, shown + 1):
        chart.add_series(
            {
                "name": [name, 0, c],
                "categories": [name, 1, 0, last_row, 0],
                "values": [name, 1, c, last_row, c],
                "marker": {"type": "circle", "size": 4},
            }
        )
    beside = len(headers) + 2
    if len(headers) > MAX_SERIES:
        sheet.set_column(beside, beside, 12)
        note = text(lang, "note.top", shown=shown, total=len(headers))
        sheet.merge_range(0, beside, 1, beside + 10, note, formats.note)
    sheet.insert_chart(2, beside, chart)


def _write_overview(
    workbook: Workbook,
    sheet: Worksheet,
    name: str,
    result: QueryResult,
    metrics: list[MetricInfo],
    lang: str,
    formats: Formats,
) -> None:
    table = (
        result.frame[[PERIOD, *[m.name for m in metrics]]]
        .sort_values(PERIOD, kind="stable")
        .set_index(PERIOD)
    )
    fmts = [number_format(m, result.currency) for m in metrics]
    headers = unique([metric_label(m, lang) for m in metrics])
    _write_table(sheet, table, headers, fmts, period_format(result), lang, formats)
    last_row = max(len(table), 1)
    beside = len(headers) + 2
    for i, (metric, fmt) in enumerate(zip(metrics, fmts, strict=True)):
        chart = _line_chart(workbook, metric_label(metric, lang), fmt, period_format(result))
        c = i + 1
        chart.add_series(
            {
                "name": [name, 0, c],
                "categories": [name, 1, 0, last_row, 0],
                "values": [name, 1, c, last_row, c],
                "marker": {"type": "circle", "size": 4},
            }
        )
        chart.set_legend({"none": True})
        sheet.insert_chart(1 + i * CHART_ROWS, beside, chart)
