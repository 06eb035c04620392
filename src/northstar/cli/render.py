"""Turn results and issues into Rich renderables; the only place numbers become text."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from northstar.errors import Issue
from northstar.results import MetricInfo, QueryResult

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "RMB": "¥"}
HEADERS = {
    "en": {"period": "Period", "prev": "vs prev", "yoy": "vs last year", "none": "–"},
    "zh": {"period": "周期", "prev": "环比", "yoy": "同比", "none": "–"},
}


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_value(value: Any, info: MetricInfo, currency: str | None = None) -> str:
    if is_missing(value):
        return "–"
    v = float(value)
    d = info.decimals
    if info.format == "percent":
        return f"{v * 100:,.{d}f}%"
    if info.format == "integer":
        return f"{v:,.0f}"
    if info.format == "currency":
        sym = CURRENCY_SYMBOLS.get((info.unit or currency or "").upper(), "")
        text = f"{abs(v):,.{d}f}"
        sign = "-" if v < 0 else ""
        return f"{sign}{sym}{text}" if sym else f"{sign}{text} {info.unit or currency or ''}".rstrip()
    text = f"{v:,.{d}f}"
    return f"{text} {info.unit}" if info.unit and info.format == "number" else text


def format_change(pct: Any, info: MetricInfo) -> Text:
    if is_missing(pct):
        return Text("–", style="dim")
    good = (pct > 0) == (info.direction == "higher")
    style = "dim" if abs(pct) < 0.005 else ("green" if good else "red")
    arrow = "▲" if pct > 0 else ("▼" if pct < 0 else "•")
    return Text(f"{arrow}{abs(pct) * 100:.1f}%", style=style)


def period_label(ts: Any, grain: str | None) -> str:
    t = pd.Timestamp(ts)
    if grain == "hour":
        return t.strftime("%Y-%m-%d %H:00")
    if grain == "week":
        iso = t.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if grain == "month":
        return t.strftime("%Y-%m")
    if grain == "quarter":
        return f"{t.year}-Q{(t.month - 1) // 3 + 1}"
    if grain == "year":
        return str(t.year)
    return t.strftime("%Y-%m-%d")


def result_table(result: QueryResult, lang: str = "en", title: str | None = None) -> Table:
    """Periods and slices down, metrics across; a single total is shown one metric per row."""
    if not result.grain and not result.dimensions:
        return _metric_rows(result, lang, title)
    h = HEADERS.get(lang, HEADERS["en"])
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False)
    if result.grain:
        table.add_column(h["period"], no_wrap=True)
    for dim in result.dimensions:
        table.add_column(result.dimension_label(dim, lang))
    for m in result.metrics:
        label = m.label_zh if lang == "zh" else m.label
        table.add_column(label, justify="right")
        for comp in result.comparisons:
            table.add_column(h[comp], justify="right")
    for row in result.frame.to_dict("records"):
        cells: list[Any] = []
        if result.grain:
            cells.append(period_label(row["period"], result.grain))
        cells += ["–" if is_missing(row[d]) else str(row[d]) for d in result.dimensions]
        for m in result.metrics:
            cells.append(format_value(row[m.name], m, result.currency))
            for comp in result.comparisons:
                cells.append(format_change(row.get(f"{m.name}__{comp}_pct"), m))
        table.add_row(*cells)
    return table


def issue_text(issue: Issue, lang: str = "en") -> Text:
    style = "red" if issue.level == "error" else "yellow"
    text = Text()
    where = issue.where()
    if where:
        text.append(where + ": ", style="bold")
    text.append(issue.render(lang).removeprefix(where + ": ") if where else issue.render(lang), style=style)
    return text


def _metric_rows(result: QueryResult, lang: str, title: str | None) -> Table:
    h = HEADERS.get(lang, HEADERS["en"])
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("指标" if lang == "zh" else "Metric")
    table.add_column("数值" if lang == "zh" else "Value", justify="right")
    for comp in result.comparisons:
        table.add_column(h[comp], justify="right")
        table.add_column(("对比值" if lang == "zh" else "was"), justify="right", style="dim")
    row = result.frame.iloc[0].to_dict() if len(result.frame) else {}
    for m in result.metrics:
        cells: list[Any] = [
            m.label_zh if lang == "zh" else m.label,
            format_value(row.get(m.name), m, result.currency),
        ]
        for comp in result.comparisons:
            cells.append(format_change(row.get(f"{m.name}__{comp}_pct"), m))
            cells.append(format_value(row.get(f"{m.name}__{comp}"), m, result.currency))
        table.add_row(*cells)
    return table


def result_tables(result: QueryResult, lang: str, title: str, width: int) -> list[Table]:
    """One table when it fits the terminal; otherwise one table per metric."""
    keys = (1 if result.grain else 0) + len(result.dimensions)
    columns = keys + len(result.metrics) * (1 + len(result.comparisons))
    if len(result.metrics) == 1 or columns * 12 <= width or not (result.grain or result.dimensions):
        return [result_table(result, lang, title)]
    tables = []
    for m in result.metrics:
        cols = [c for c in result.frame.columns if c == m.name or c.startswith(f"{m.name}__")]
        keys_cols = [c for c in result.frame.columns[:keys]]
        single = replace(result, frame=result.frame[[*keys_cols, *cols]], metrics=(m,))
        label = m.label_zh if lang == "zh" else m.label
        tables.append(result_table(single, lang, f"{title} · {label}"))
    return tables
