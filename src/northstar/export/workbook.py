"""The xlsx export: a workbook made to be read, not only re-imported.

Sheets, in order:

1. **Data** – the whole frame as an Excel table (autofilter, frozen header and key columns),
   headers in the chosen language and number formats per metric.
2. **Trend sheets** (:mod:`~northstar.export.trends`) – when there is a grain: one sheet per metric
   (periods × dimension values) with a native line chart, or one sheet of all metrics when there
   are no dimensions.
3. **Changes** (:mod:`~northstar.export.changes`) – when comparisons were asked for: the % changes
   as a heatmap, green for good and red for bad in each metric's own direction.
4. **About** – the query, date range, grain, generation time and metric definitions.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from northstar.export.changes import write_changes
from northstar.export.columns import reading_order
from northstar.export.styles import (
    Formats,
    SheetNames,
    column_format,
    fit_width,
    header,
    period_format,
    unique,
    write_cell,
)
from northstar.export.trends import write_trends
from northstar.export.wording import grain_word, metric_label, text
from northstar.results import QueryResult

#: (sheet name, what it holds) for the About sheet's table of contents.
SheetGuide = list[tuple[str, str]]


def write_xlsx(result: QueryResult, path: Path, lang: str) -> None:
    """Write the workbook described in the module docstring to ``path``."""
    workbook = Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        names = SheetNames()
        formats = Formats(workbook)
        guide: SheetGuide = []
        data_name = names.add(text(lang, "sheet.data"))
        _write_data(workbook.add_worksheet(data_name), result, lang, formats)
        guide.append((data_name, text(lang, "sheets.data")))
        guide += write_trends(workbook, result, lang, names, formats)
        guide += write_changes(workbook, result, lang, names, formats)
        about_name = names.add(text(lang, "sheet.about"))
        guide.append((about_name, text(lang, "sheets.about")))
        _write_about(workbook.add_worksheet(about_name), result, lang, formats, guide)
    finally:
        workbook.close()


def _write_data(sheet: Worksheet, result: QueryResult, lang: str, formats: Formats) -> None:
    columns = reading_order(result)
    headers = unique([header(c, lang) for c in columns])
    cell_formats = [
        formats.number(period_format(result) if c.role == "period" else column_format(c, result.currency))
        for c in columns
    ]
    frame = result.frame[[c.name for c in columns]]
    for r, record in enumerate(frame.itertuples(index=False, name=None), start=1):
        for c, value in enumerate(record):
            write_cell(sheet, r, c, value, cell_formats[c])
    if not columns:
        return
    last_row = max(len(frame), 1)  # a table needs one data row, even an empty one
    sheet.add_table(
        0,
        0,
        last_row,
        len(columns) - 1,
        {
            "name": "NorthstarData",
            "style": "Table Style Medium 2",
            "columns": [
                {"header": h, "format": f} if f is not None else {"header": h}
                for h, f in zip(headers, cell_formats, strict=True)
            ],
        },
    )
    keys = sum(1 for c in columns if c.role in ("period", "dimension"))
    sheet.freeze_panes(1, keys)
    for c, column in enumerate(columns):
        sample = frame[column.name].head(200).tolist() if column.role == "dimension" else []
        width = fit_width([headers[c], *sample], lo=12 if column.role == "period" else 10, hi=30)
        sheet.set_column(c, c, width)
    sheet.set_row(0, 30)


def query_text(result: QueryResult, lang: str) -> str:
    """One line saying what was asked, e.g. ``Revenue, Conversion rate by channel per week, …``."""
    sep = text(lang, "list_sep")
    return text(
        lang,
        "about.query_text",
        metrics=sep.join(metric_label(m, lang) for m in result.metrics),
        by=text(lang, "about.by", dimensions=sep.join(dimension_labels(result, lang)))
        if result.dimensions
        else "",
        per=text(lang, "about.per", grain=grain_word(result.grain, lang)) if result.grain else "",
        start=result.start.isoformat(),
        end=result.end.isoformat(),
    )


def dimension_labels(result: QueryResult, lang: str) -> list[str]:
    """The dimensions' labels in ``lang`` (``Channel``, ``渠道``), as every sheet shows them."""
    return [result.dimension_label(d, lang) for d in result.dimensions]


def _write_about(
    sheet: Worksheet, result: QueryResult, lang: str, formats: Formats, guide: SheetGuide
) -> None:
    generated = datetime.now().astimezone().isoformat(timespec="seconds")
    rows: list[tuple[str, str]] = [
        (text(lang, "about.query"), query_text(result, lang)),
        (text(lang, "about.start"), result.start.isoformat()),
        (text(lang, "about.end"), result.end.isoformat()),
        (
            text(lang, "about.grain"),
            grain_word(result.grain, lang) if result.grain else text(lang, "about.no_grain"),
        ),
        (text(lang, "about.dimensions"), text(lang, "list_sep").join(dimension_labels(result, lang)) or "–"),
        (
            text(lang, "about.comparisons"),
            ", ".join(text(lang, f"cmp.{c}") for c in result.comparisons) or "–",
        ),
        (text(lang, "about.currency"), result.currency or "–"),
        (text(lang, "about.generated"), generated),
    ]
    rows += [(text(lang, "about.notes") if i == 0 else "", n) for i, n in enumerate(result.notes_in(lang))]
    sheet.write_string(0, 0, text(lang, "about.title"), formats.title)
    row = 2
    for key, value in rows:
        sheet.write_string(row, 0, key, formats.bold)
        sheet.write_string(row, 1, value)
        row += 1

    row += 1
    sheet.write_string(row, 0, text(lang, "about.metrics"), formats.title)
    row += 1
    heads = ["metric", "label", "format", "decimals", "unit", "direction"]
    for c, key in enumerate(heads):
        sheet.write_string(row, c, text(lang, f"about.{key}"), formats.header)
    for m in result.metrics:
        row += 1
        cells: list[object] = [
            m.name,
            metric_label(m, lang),
            m.format,
            m.decimals,
            m.unit or (result.currency if m.format == "currency" else None),
            text(lang, f"direction.{m.direction}"),
        ]
        for c, cell in enumerate(cells):
            write_cell(sheet, row, c, cell)

    row += 2
    sheet.write_string(row, 0, text(lang, "about.sheets"), formats.title)
    for name, description in guide:
        row += 1
        sheet.write_string(row, 0, name, formats.bold)
        sheet.write_string(row, 1, description)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 5, 12)
