"""xlsx sheets of each metric over time, each with a native Excel line chart beside the table.

With dimensions, one sheet per metric: rows are periods, columns are dimension values (several
dimensions are joined with `` / ``). Every sheet of a workbook has the same columns in the same
order — by the first metric's total over the range, largest first — and a dimension value has the
same colour in every chart, so ``email`` is one line colour throughout. The chart draws the first
:data:`MAX_SERIES` columns. The others are not summed into an "Other" line: a result does not say
whether a metric adds up across slices (ratios, averages, medians and distinct counts do not), and
a wrong number is worse than a missing line. A note above the chart says so when lines were left out.

Without dimensions, one sheet holds every metric over time, with one chart per metric.

The period column holds labels (``2026-W48``), not dates, so that a period the date range cuts
short can say so in the chart itself: ``2026-W48 (to 26 Nov)``, with a note on the sheet (see
:mod:`~northstar.export.periods`). The Data sheet keeps real dates for calculation.
"""

from __future__ import annotations

import math

import pandas as pd
from xlsxwriter.chart import Chart
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from northstar.errors import InternalError
from northstar.export.columns import PERIOD, plain
from northstar.export.periods import full_label, partial, partial_note
from northstar.export.styles import (
    Formats,
    SheetNames,
    fit_width,
    number_format,
    unique,
    write_cell,
)
from northstar.export.wording import metric_label, text
from northstar.results import MetricInfo, QueryResult

MAX_SERIES = 12
CHART_SIZE = {"x_scale": 1.5, "y_scale": 1.25}  # 720 × 360 px
CHART_ROWS = 20  # rows a chart covers, to stack several without overlap
#: Series colours by position (Excel's own first twelve): position is the same in every sheet.
PALETTE = (
    "#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47",
    "#264478", "#9E480E", "#636363", "#997300", "#255E91", "#43682B",
)  # fmt: skip

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
    order = series_order(result, present[0].name, keys) if present else []
    sep = text(lang, "list_sep")
    guide = []
    for metric in present:
        name = names.add(metric_label(metric, lang))
        table = pivot(result, metric.name, keys)[order]
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
    """Periods × slices for one metric (slices in the order of :func:`series_order`'s caller)."""
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
    table.columns = [str(c) for c in table.columns]
    return table


def series_order(result: QueryResult, metric: str, keys: pd.Series) -> list[str]:
    """One order of the slices for every sheet: by ``metric``'s total over the range, largest
    first; slices without a value of it last; ties by name."""
    values = pd.to_numeric(result.frame[metric], errors="coerce")
    totals = values.groupby(keys.to_numpy()).sum(min_count=1)
    totals.index = [str(k) for k in totals.index]

    def rank(key: str) -> tuple[int, float, str]:
        total = totals.get(key, math.nan)
        return (1, 0.0, key) if pd.isna(total) else (0, -float(total), key)

    return sorted(dict.fromkeys(str(k) for k in keys), key=rank)


def _period_labels(result: QueryResult, periods: pd.Index, lang: str) -> tuple[list[str], list[str]]:
    """(label of each period, a note for each period the range cuts short)."""
    grain = result.grain or "day"
    labels, notes = [], []
    for period in periods:
        cut = partial(period, grain, result.start, result.end)
        labels.append(full_label(period, grain, cut, lang))
        if cut is not None:
            notes.append(partial_note(period, grain, cut, lang))
    return labels, notes


def _write_table(
    sheet: Worksheet,
    table: pd.DataFrame,
    headers: list[str],
    fmts: list[str],
    periods: list[str],
    lang: str,
    formats: Formats,
) -> None:
    """Period labels then one column per header, header row 0 frozen."""
    sheet.write_string(0, 0, text(lang, "period"), formats.header)
    for c, head in enumerate(headers, start=1):
        sheet.write_string(0, c, head, formats.header)
    cell_formats = [formats.number(f) for f in fmts]
    for r, (period, values) in enumerate(
        zip(periods, table.itertuples(index=False, name=None), strict=True), start=1
    ):
        sheet.write_string(r, 0, period)
        for c, value in enumerate(values, start=1):
            write_cell(sheet, r, c, value, cell_formats[c - 1])
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, fit_width([text(lang, "period"), *periods], lo=12, hi=30))
    for c, head in enumerate(headers, start=1):
        sheet.set_column(c, c, fit_width([head], lo=10, hi=24))
    sheet.set_row(0, 30)


def _line_chart(workbook: Workbook, title: str, num_format: str) -> Chart:
    chart = workbook.add_chart({"type": "line"})
    if chart is None:  # pragma: no cover - only for an unknown chart type
        raise InternalError("xlsxwriter refused a line chart")
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_x_axis({"num_font": {"rotation": -45}})
    chart.set_y_axis({"num_format": num_format, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")  # a missing value is a gap in the line, not a drop to 0
    chart.set_size(CHART_SIZE)
    return chart


def _series(name: str, column: int, last_row: int, colour: str) -> dict[str, object]:
    return {
        "name": [name, 0, column],
        "categories": [name, 1, 0, last_row, 0],
        "values": [name, 1, column, last_row, column],
        "line": {"color": colour},
        "marker": {"type": "circle", "size": 4, "fill": {"color": colour}, "border": {"color": colour}},
    }


def _write_notes(sheet: Worksheet, notes: list[str], beside: int, formats: Formats) -> int:
    """The notes in one cell above the charts; the row where the charts may start."""
    if not notes:
        return 1
    sheet.set_row(1, 15 * (1 + sum(len(n) for n in notes) // 90))
    sheet.merge_range(0, beside, 1, beside + 10, "\n".join(notes), formats.note)
    return 2


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
    periods, notes = _period_labels(result, table.index, lang)
    _write_table(sheet, table, headers, [fmt] * len(headers), periods, lang, formats)
    if not headers:  # no rows, so no slices: nothing to draw (Excel refuses a chart without series)
        return
    last_row = max(len(table), 1)
    chart = _line_chart(workbook, metric_label(metric, lang), fmt)
    shown = min(len(headers), MAX_SERIES)
    for c in range(1, shown + 1):
        chart.add_series(_series(name, c, last_row, PALETTE[(c - 1) % len(PALETTE)]))
    beside = len(headers) + 2
    if len(headers) > MAX_SERIES:
        notes.insert(0, text(lang, "note.top", shown=shown, total=len(headers)))
    sheet.insert_chart(1 + _write_notes(sheet, notes, beside, formats), beside, chart)


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
    periods, notes = _period_labels(result, table.index, lang)
    _write_table(sheet, table, headers, fmts, periods, lang, formats)
    last_row = max(len(table), 1)
    beside = len(headers) + 2
    top = _write_notes(sheet, notes, beside, formats)
    for i, (metric, fmt) in enumerate(zip(metrics, fmts, strict=True)):
        chart = _line_chart(workbook, metric_label(metric, lang), fmt)
        chart.add_series(_series(name, i + 1, last_row, PALETTE[0]))
        chart.set_legend({"none": True})
        sheet.insert_chart(top + i * CHART_ROWS, beside, chart)
