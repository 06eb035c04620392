"""Retention and repurchase results as Rich tables (en/zh) and files (csv, json, xlsx).

Only rendering: the numbers come from :class:`~northstar.analysis.retention.RetentionResult` and
:class:`~northstar.analysis.repurchase.RepurchaseCurve`. Cells not yet observable are blank.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from northstar.cli.render import is_missing, period_label

PERIOD_WORDS = {
    "en": {"day": "Day", "week": "Week", "month": "Month"},
    "zh": {"day": "天", "week": "周", "month": "月"},
}
ADJECTIVES = {"day": "daily", "week": "weekly", "month": "monthly"}
WORDS = {
    "en": {
        "cohort": "Cohort",
        "entities": "Entities",
        "title": "{name}: {period} retention ({mode}), cohorts {start} → {end}",
        "bounded": "in period N",
        "unbounded": "in period N or later",
        "curve": "Retention curve (cohorts observable at each period, weighted by size)",
        "period": "Period",
        "cohorts": "Cohorts",
        "retained": "Retained",
        "rate": "Rate",
        "measure": "{what}",
        "per_entity": "Per cohort member",
        "vs_0": "vs period 0",
        "caption": "blank: period not over by {until} (end of the data)",
        "no_data": "no data: nothing is observable yet",
        "repurchase": "{metric}: repurchase within K days, first purchase {start} → {end}{gap}",
        "gap": " (min gap {gap})",
        "days": "Within (days)",
        "eligible": "Observable",
        "repurchased": "Repurchased",
        "rep_caption": "only customers whose first purchase was at least K days before {until} count for K",
    },
    "zh": {
        "cohort": "同期群",
        "entities": "人数",
        "title": "{name}：按{period}留存（{mode}），同期群 {start} → {end}",
        "bounded": "恰在第 N 期",
        "unbounded": "第 N 期及以后",
        "curve": "留存曲线（各期已可观察的同期群，按人数加权）",
        "period": "期",
        "cohorts": "同期群数",
        "retained": "留存人数",
        "rate": "留存率",
        "measure": "{what}",
        "per_entity": "人均",
        "vs_0": "相对第 0 期",
        "caption": "空白：该期在 {until}（数据截止）前尚未结束",
        "no_data": "没有数据：尚无可观察的周期",
        "repurchase": "{metric}：K 天内复购，首购 {start} → {end}{gap}",
        "gap": "（最小间隔 {gap}）",
        "days": "天数 K",
        "eligible": "可观察人数",
        "repurchased": "复购人数",
        "rep_caption": "只计入首购距 {until} 至少 K 天的客户",
    },
}


def _pct(value: Any) -> str:
    return "" if is_missing(value) else f"{float(value) * 100:.1f}%"


def _num(value: Any) -> str:
    return "" if is_missing(value) else f"{float(value):,.2f}"


def period_heading(period: str, n: int, lang: str) -> str:
    return f"第 {n} {PERIOD_WORDS['zh'][period]}" if lang == "zh" else f"{PERIOD_WORDS['en'][period]} {n}"


def cohort_table(result: Any, lang: str, by_label: str | None = None) -> Table:
    """Cohorts down (and breakdown values), size, then the rate per period N; blank when not over.
    ``by_label``: the breakdown's heading (a dimension's label), default its name."""
    w = WORDS[lang]
    mode = w[result.mode]
    period = PERIOD_WORDS["zh"][result.period] if lang == "zh" else ADJECTIVES[result.period]
    title = w["title"].format(name=result.name, period=period, mode=mode, start=result.start, end=result.end)
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column(w["cohort"])
    if result.by:
        table.add_column(by_label or result.by)
    table.add_column(w["entities"], justify="right")
    for n in range(result.periods + 1):
        table.add_column(period_heading(result.period, n, lang), justify="right")
    wide = result.table("rate")
    for row in wide.to_dict("records"):
        cells = [period_label(row["cohort"], result.period)]
        if result.by:
            cells.append("–" if is_missing(row[result.by]) else str(row[result.by]))
        cells.append(f"{int(row['entities']):,}")
        cells += [_pct(row.get(n)) for n in range(result.periods + 1)]
        table.add_row(*cells)
    until = result.observed_until
    table.caption = w["caption"].format(until=f"{until:%Y-%m-%d %H:%M}") if until else w["no_data"]
    return table


def curve_table(result: Any, lang: str, by_label: str | None = None) -> Table:
    """Per period N ([by]): complete cohorts, entities, retained, rate, and the measure."""
    w = WORDS[lang]
    table = Table(title=w["curve"], title_justify="left", header_style="bold")
    if result.by:
        table.add_column(by_label or result.by)
    table.add_column(w["period"])
    for key in ("cohorts", "entities", "retained", "rate"):
        table.add_column(w[key], justify="right")
    if result.measure:
        what = result.measure_zh if lang == "zh" else result.measure
        table.add_column(w["measure"].format(what=what), justify="right")
        table.add_column(w["per_entity"], justify="right")
        table.add_column(w["vs_0"], justify="right")
    for row in result.curve.to_dict("records"):
        cells = []
        if result.by:
            cells.append("–" if is_missing(row[result.by]) else str(row[result.by]))
        cells.append(period_heading(result.period, int(row["period_n"]), lang))
        cells += [f"{int(row['cohorts']):,}", f"{int(row['entities']):,}", f"{int(row['retained']):,}"]
        cells.append(_pct(row["rate"]) or "–")
        if result.measure:
            cells += [_num(row["measure"]), _num(row["measure_per_entity"]), _pct(row["measure_vs_0"])]
        table.add_row(*cells)
    return table


def repurchase_table(curve: Any, lang: str, by_label: str | None = None) -> Table:
    w = WORDS[lang]
    gap = w["gap"].format(gap=curve.min_gap) if curve.min_gap else ""
    title = w["repurchase"].format(metric=curve.metric, start=curve.start, end=curve.end, gap=gap)
    table = Table(title=title, title_justify="left", header_style="bold")
    if curve.by:
        table.add_column(by_label or curve.by)
    for key in ("days", "eligible", "repurchased", "rate"):
        table.add_column(w[key], justify="right")
    for row in curve.curve.to_dict("records"):
        cells = []
        if curve.by:
            cells.append("–" if is_missing(row[curve.by]) else str(row[curve.by]))
        cells += [str(row["days"]), f"{int(row['entities']):,}", f"{int(row['repurchased']):,}"]
        cells.append(_pct(row["rate"]) or "–")
        table.add_row(*cells)
    until = curve.observed_until
    table.caption = w["rep_caption"].format(until=f"{until:%Y-%m-%d %H:%M}") if until else w["no_data"]
    return table
