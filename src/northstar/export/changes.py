"""The xlsx Changes sheet: every ``<metric>__<cmp>_pct`` column as a heatmap.

Each column gets its own 3-colour scale centred on 0 (white), so "no change" is white whatever the
other values are. For a metric where higher is better a rise is green and a fall red; for a metric
where lower is better (``direction: lower``) the scale is reversed, so a rise is red. The scale
reaches full colour at the 95th percentile of the column's absolute changes, so that one outlier
(a +900 % from a tiny base) does not wash out every other cell.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.workbook import Workbook

from northstar.export.columns import PERIOD, Column, pct_columns
from northstar.export.styles import (
    PCT_CHANGE_FORMAT,
    Formats,
    SheetNames,
    fit_width,
    header,
    period_format,
    unique,
    write_cell,
)
from northstar.export.wording import metric_label, text
from northstar.results import QueryResult

GOOD = "#63BE7B"
NEUTRAL = "#FFFFFF"
BAD = "#F8696B"
HEADER_ROW = 2  # row 0 holds the note explaining the colours

SheetGuide = list[tuple[str, str]]


def scale_colours(column: Column) -> tuple[str, str]:
    """(colour of the lowest change, colour of the highest) for the column's metric direction."""
    if column.metric is not None and column.metric.direction == "lower":
        return GOOD, BAD
    return BAD, GOOD


def scale_bound(values: pd.Series) -> float:
    """Where the scale reaches full colour: the 95th percentile of |change| (at least 0.1 %)."""
    magnitudes = pd.to_numeric(values, errors="coerce").abs()
    magnitudes = magnitudes[magnitudes < float("inf")].dropna()
    if magnitudes.empty:
        return 0.001
    return max(float(magnitudes.quantile(0.95)), 0.001)


def write_changes(
    workbook: Workbook, result: QueryResult, lang: str, names: SheetNames, formats: Formats
) -> SheetGuide:
    """Add the Changes sheet when the result has % change columns."""
    changes = pct_columns(result)
    if not changes:
        return []
    name = names.add(text(lang, "sheet.changes"))
    sheet = workbook.add_worksheet(name)
    frame = result.frame
    keys = [c for c in [PERIOD, *result.dimensions] if c in frame.columns]

    lower = [metric_label(c.metric, lang) for c in changes if c.metric and c.metric.direction == "lower"]
    note = text(
        lang,
        "note.changes",
        lower=", ".join(dict.fromkeys(lower)) or text(lang, "note.changes.none_lower"),
    )
    last_col = max(len(keys) + len(changes) - 1, 6)
    sheet.merge_range(0, 0, 0, last_col, note, formats.note)
    sheet.set_row(0, 48)

    key_headers = [text(lang, "period") if k == PERIOD else result.dimension_label(k, lang) for k in keys]
    headers = unique(key_headers + [header(c, lang) for c in changes])
    date_fmt = formats.number(period_format(result))
    pct_fmt = formats.number(PCT_CHANGE_FORMAT)
    cell_formats = [date_fmt if k == PERIOD else None for k in keys] + [pct_fmt] * len(changes)
    names_in_order = keys + [c.name for c in changes]
    first = HEADER_ROW + 1
    for r, record in enumerate(frame[names_in_order].itertuples(index=False, name=None), start=first):
        for c, value in enumerate(record):
            write_cell(sheet, r, c, value, cell_formats[c])
    last_row = HEADER_ROW + max(len(frame), 1)
    sheet.add_table(
        HEADER_ROW,
        0,
        last_row,
        len(headers) - 1,
        {
            "name": "NorthstarChanges",
            "style": "Table Style Light 1",
            "columns": [
                {"header": h, "format": f} if f is not None else {"header": h}
                for h, f in zip(headers, cell_formats, strict=True)
            ],
        },
    )
    for i, column in enumerate(changes):
        c = len(keys) + i
        low, high = scale_colours(column)
        bound = scale_bound(frame[column.name])
        sheet.conditional_format(
            first,
            c,
            last_row,
            c,
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": -bound,
                "min_color": low,
                "mid_type": "num",
                "mid_value": 0,
                "mid_color": NEUTRAL,
                "max_type": "num",
                "max_value": bound,
                "max_color": high,
            },
        )
    sheet.freeze_panes(first, len(keys))
    for c, head in enumerate(headers):
        sample = frame[keys[c]].head(200).tolist() if c < len(keys) and keys[c] != PERIOD else []
        sheet.set_column(c, c, fit_width([head, *sample], lo=12 if c == 0 else 10, hi=28))
    sheet.set_row(HEADER_ROW, 30)
    return [(name, text(lang, "sheets.changes"))]
