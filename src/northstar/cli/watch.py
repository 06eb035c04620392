"""The ``watch`` command's tables (en/zh): firings, and a backtest's summary per rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from northstar.watch.rules import Firing

__all__ = ["backtest_summary", "firings_table"]

_SEVERITY = {"info": ("info", "提示"), "warning": ("warning", "警告"), "critical": ("critical", "严重")}


def _slice(f: Firing, zh: bool) -> str:
    return " & ".join(f"{d}={v}" for d, v in f.slice) or ("全部" if zh else "all")


def _period(f: Firing) -> str:
    return f.period.strftime("%Y-%m-%d %H:00") if f.period.hour else f.period.date().isoformat()


def firings_table(firings: Sequence[Firing], language: str, title: str | None = None) -> Table:
    zh = language == "zh"
    table = Table(title=title, title_justify="left")
    for col, justify in (
        ("周期" if zh else "period", "left"),
        ("规则" if zh else "rule", "left"),
        ("切片" if zh else "slice", "left"),
        ("级别" if zh else "severity", "left"),
        ("原因" if zh else "why", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for f in firings:
        table.add_row(
            _period(f),
            escape(f.rule),
            escape(_slice(f, zh)),
            _SEVERITY[f.severity][1 if zh else 0],
            escape(f.reason_zh if zh else f.reason),
        )
    return table


def backtest_summary(firings: Sequence[Firing], rules: Sequence[str], days: int, language: str) -> Group:
    zh = language == "zh"
    title = Text(
        f"回测：过去 {days} 天各规则的触发次数"
        if zh
        else f"Backtest: how often each rule fired over {days} days",
        style="italic",
    )
    table = Table()
    for col in (
        "规则" if zh else "rule",
        "触发" if zh else "fired",
        "每周" if zh else "per week",
        "切片" if zh else "slices",
    ):
        table.add_column(col, justify="left" if col in ("规则", "rule") else "right")
    count = Counter(f.rule for f in firings)
    slices = {r: len({f.slice for f in firings if f.rule == r}) for r in rules}
    for rule in rules:
        table.add_row(escape(rule), str(count[rule]), f"{count[rule] * 7 / days:.1f}", str(slices[rule]))
    return Group(title, table)
