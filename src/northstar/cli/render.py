"""Turn results and issues into Rich renderables; the only place numbers become text."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from northstar.errors import Issue, QueryError
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


def format_change(pct: Any, info: MetricInfo, change: Any = None) -> Text:
    """A relative change (▲12.3%); for a rate, the change in percentage points (▲0.3 pp), which
    is how analysts read a conversion rate going from 8.0% to 8.3%."""
    if info.format == "percent":
        if is_missing(change) or is_missing(pct):
            return Text("–", style="dim")
        decimals = max(info.decimals, 1)
        shown = round(abs(change) * 100, decimals)  # what is printed decides the arrow: no ▼0.0
        good = (change > 0) == (info.direction == "higher")
        style = "dim" if abs(change) < 0.0005 else ("green" if good else "red")
        arrow = "•" if shown == 0 else ("▲" if change > 0 else "▼")
        return Text(f"{arrow}{shown:.{decimals}f} pp", style=style)
    if is_missing(pct):
        return Text("–", style="dim")
    shown = round(abs(pct) * 100, 1)
    good = (pct > 0) == (info.direction == "higher")
    style = "dim" if abs(pct) < 0.005 else ("green" if good else "red")
    arrow = "•" if shown == 0 else ("▲" if pct > 0 else "▼")
    return Text(f"{arrow}{shown:.1f}%", style=style)


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
                cells.append(
                    format_change(row.get(f"{m.name}__{comp}_pct"), m, row.get(f"{m.name}__{comp}_change"))
                )
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
    zh = lang == "zh"
    base_label = {"prev": "上期" if zh else "Previous", "yoy": "去年同期" if zh else "Last year"}
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("指标" if zh else "Metric")
    table.add_column("数值" if zh else "Value", justify="right")
    for comp in result.comparisons:
        table.add_column(base_label[comp], justify="right", style="dim")
        table.add_column("变化" if zh else "Change", justify="right")
    row = result.frame.iloc[0].to_dict() if len(result.frame) else {}
    for m in result.metrics:
        cells: list[Any] = [m.label_zh if zh else m.label, format_value(row.get(m.name), m, result.currency)]
        for comp in result.comparisons:
            cells.append(format_value(row.get(f"{m.name}__{comp}"), m, result.currency))
            cells.append(
                format_change(row.get(f"{m.name}__{comp}_pct"), m, row.get(f"{m.name}__{comp}_change"))
            )
        table.add_row(*cells)
    return table


def without_empty_comparisons(result: QueryResult, lang: str = "en") -> tuple[QueryResult, list[str]]:
    """Drop comparisons with nothing to compare anywhere (e.g. no data a year earlier), saying so."""
    words = {
        "prev": (
            "nothing to compare with in the previous period: its columns are left out",
            "上一周期没有可对比的数据：已省略环比列",
        ),
        "yoy": (
            "nothing to compare with a year earlier: the year-on-year columns are left out",
            "去年同期没有可对比的数据：已省略同比列",
        ),
    }
    keep, notes = [], []
    for comp in result.comparisons:
        pcts = [
            f"{m.name}__{comp}_pct" for m in result.metrics if f"{m.name}__{comp}_pct" in result.frame.columns
        ]
        if pcts and result.frame[pcts].isna().all().all():
            notes.append(words[comp][1 if lang == "zh" else 0])
        else:
            keep.append(comp)
    return replace(result, comparisons=tuple(keep)), notes


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


def metric_list(project: Any, lang: str) -> Table:
    """Every metric: north star and supporting first, then by team."""
    spec = project.spec
    zh = lang == "zh"
    table = Table(title=spec.project.name, title_justify="left", header_style="bold")
    for col in (
        ("指标", "名称", "类型", "团队", "负责人") if zh else ("metric", "label", "type", "team", "owner")
    ):
        table.add_column(col)
    first = [n for n in [spec.north_star, *spec.supporting] if n]
    rest = sorted(
        (n for n in project.catalog.metrics if n not in first),
        key=lambda n: (project.catalog.metrics[n].spec.team or "~", n),
    )
    for n in [*first, *rest]:
        if n not in project.catalog.metrics:
            continue
        m = project.catalog.metrics[n]
        info = project.metric_info(n)
        role = ("★ " if n == spec.north_star else "· ") if n in first else ""
        table.add_row(
            role + n, info.label_zh if zh else info.label, m.kind, m.spec.team or "", m.spec.owner or ""
        )
    return table


def metric_detail(project: Any, name: str, lang: str) -> Table:
    """One metric in full: what it counts, how it is read, who owns it and why it matters."""
    from northstar.spec.suggest import did_you_mean

    if name not in project.catalog.metrics:
        raise QueryError(
            f"unknown metric {name!r}" + did_you_mean(name, project.catalog.metrics),
            f"未知的指标 {name!r}" + did_you_mean(name, project.catalog.metrics, "zh"),
        )
    m = project.catalog.metrics[name].spec
    info = project.metric_info(name)
    zh = lang == "zh"
    table = Table(
        title=f"{name} — {info.label_zh if zh else info.label}",
        title_justify="left",
        show_header=False,
        box=None,
    )
    table.add_column(style="bold")
    table.add_column()
    desc = m.description.get(lang) if m.description else ""
    rows = [
        ("说明" if zh else "description", desc or "–"),
        ("类型" if zh else "type", m.type),
        ("数据源" if zh else "source", m.source or "–"),
        ("列" if zh else "column", m.column or m.expr or "–"),
        ("过滤" if zh else "filter", m.filter or "–"),
        (
            "分子/分母" if zh else "numerator/denominator",
            f"{m.numerator} / {m.denominator}" if m.type == "ratio" else "–",
        ),
        ("公式" if zh else "formula", m.expr if m.type == "formula" else "–"),
        ("窗口" if zh else "within", str(m.within) if m.within else "–"),
        (
            "格式" if zh else "format",
            f"{info.format}, {info.decimals} decimals" + (f", {info.unit}" if info.unit else ""),
        ),
        (
            "方向" if zh else "direction",
            ("越高越好" if info.direction == "higher" else "越低越好")
            if zh
            else f"{info.direction} is better",
        ),
        ("团队" if zh else "team", m.team or "–"),
        ("负责人" if zh else "owner", m.owner or "–"),
    ]
    for key, value in rows:
        if value != "–" or key in ("description", "说明"):
            table.add_row(key, str(value))
    for i, reason in enumerate(m.why, 1):
        table.add_row(("为什么 " if zh else "why ") + str(i), reason.get(lang))
    return table


ORDER_TEXT = {
    "ordered": ("in order", "按顺序"),
    "strict": ("in strict order", "严格按顺序"),
    "any": ("in any order", "任意顺序"),
}


def funnel_table(result: Any, lang: str) -> Table:
    """Steps down; entities, conversion from step 1 and from the step before, drop-off and the
    median time from the step before."""
    zh = lang == "zh"
    order_en, order_zh = ORDER_TEXT.get(result.order, (result.order, result.order))
    shown = (result.label[1] if zh else result.label[0]) or result.name
    rules = result.rules[1] if zh else result.rules[0]
    title = f"{shown}: {result.start} → {result.end}" + (
        f"（{order_zh}，窗口 {result.within}{'；' + rules if rules else ''}）"
        if zh
        else f" ({order_en}, within {result.within}{'; ' + rules if rules else ''})"
    )
    table = Table(title=title, title_justify="left", header_style="bold")
    if result.by:
        by_head = (result.by_label[1] if zh else result.by_label[0]) or result.by
        by_head += "（末步）" if zh and result.attribution == "last" else ""
        by_head += " (last step)" if not zh and result.attribution == "last" else ""
        table.add_column(by_head)
    heads: tuple[str, ...] = (
        ("步骤", "人数", "总转化率", "步骤转化率", "流失", "步骤用时")
        if zh
        else ("Step", "Entities", "Conversion", "From previous", "Dropped", "Step time")
    )
    if result.by:  # narrow terminals: per-step times stay in the result and its exports
        heads = heads[:-1]
    for col in heads:
        table.add_column(col, justify="left" if col in ("Step", "步骤") else "right")
    if result.by:
        table.add_column("转化时长中位数" if zh else "Median time", justify="right")
    times = result.times.set_index(result.by) if result.by else result.times
    for row in result.steps.to_dict("records"):
        pct = "–" if is_missing(row["conversion"]) else f"{row['conversion'] * 100:.1f}%"
        step_pct = "–" if is_missing(row["step_conversion"]) else f"{row['step_conversion'] * 100:.1f}%"
        step_text = f"{row['step']}. {row['step_name']}"
        if zh and result.order == "any":
            step_text = f"完成{row['step']}/{len(result.steps['step'].unique())}步"
        cells = [
            step_text,
            f"{row['entities']:,}",
            pct,
            step_pct,
            f"{row['dropped']:,}" if row["step"] > 1 else "",
        ]
        if not result.by:
            cells.append(_duration(row["median_seconds"]) if row["step"] > 1 else "")
        if result.by:
            median = times.loc[row[result.by], "median_seconds"] if row["step"] == 1 else None
            cells = [
                str(row[result.by]) if row["step"] == 1 else "",
                *cells,
                _duration(median) if median is not None else "",
            ]
        table.add_row(*cells, end_section=bool(result.by) and row["step"] == result.steps["step"].max())
    if not result.by:
        t = result.times.iloc[0]
        table.caption = (
            f"转化时长：中位数 {_duration(t['median_seconds'])}，P90 {_duration(t['p90_seconds'])}；"
            "步骤用时为距上一步的中位数"
            if zh
            else f"time to convert: median {_duration(t['median_seconds'])}, p90 {_duration(t['p90_seconds'])}; "
            "step time: median since the step before"
        )
    return table


def _edge(seconds: float) -> str:
    """A histogram edge the way people say it: 5 min, 2 h, 1 d."""
    s = float(seconds)
    if s == 0:
        return "0"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size and s % size == 0:
            return f"{int(s // size)} {unit}"
    return _duration(s)


def funnel_histogram_table(result: Any, lang: str) -> Table:
    """Converted entities by time from step 1 to the last step, with a bar per bin."""
    zh = lang == "zh"
    hist = result.histogram
    if result.by:  # one histogram over every breakdown value
        hist = hist.groupby(["lower_seconds", "upper_seconds"], as_index=False)["entities"].sum()
    table = Table(
        title="转化时长分布" if zh else "Time to convert", title_justify="left", header_style="bold"
    )
    table.add_column("时长" if zh else "Time")
    table.add_column("人数" if zh else "Entities", justify="right")
    table.add_column("占比" if zh else "Share", justify="right")
    table.add_column("")
    total = int(hist["entities"].sum())
    top = int(hist["entities"].max()) if len(hist) else 0
    for row in hist.to_dict("records"):
        n = int(row["entities"])
        share = f"{n / total * 100:.1f}%" if total else "–"
        bar = "█" * round(24 * n / top) if top else ""
        table.add_row(f"{_edge(row['lower_seconds'])} – {_edge(row['upper_seconds'])}", f"{n:,}", share, bar)
    return table


def _duration(seconds: Any) -> str:
    if is_missing(seconds):
        return "–"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f}s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def funnel_over_time_table(result: Any, frame: Any, grain: str, lang: str) -> Table:
    zh = lang == "zh"
    table = Table(
        title=("按进入周期的转化率" if zh else "Conversion by when the funnel was entered"),
        title_justify="left",
        header_style="bold",
    )
    table.add_column("周期" if zh else "Period")
    if result.by:
        table.add_column(result.by)
    for col in ("进入", "完成", "转化率") if zh else ("Entered", "Converted", "Conversion"):
        table.add_column(col, justify="right")
    for row in frame.to_dict("records"):
        mark = "" if row.get("complete", True) else "*"
        cells = [period_label(row["period"], grain) + mark]
        if result.by:
            cells.append(str(row[result.by]))
        cells += [f"{row['entered']:,}", f"{int(row['converted']):,}", f"{row['conversion'] * 100:.1f}%"]
        table.add_row(*cells)
    if "complete" in frame and not frame["complete"].all():
        table.caption = (
            "* 周期未完整：部分在日期范围之外，或其中进入的对象还不满转化窗口"
            if zh
            else "* not final: the period reaches outside the range, or its entrants have not had the whole window yet"
        )
    return table
