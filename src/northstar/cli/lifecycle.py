"""Tables for ``northstar lifecycle`` and ``northstar active`` (en/zh), and their ``-o`` files.

Only renders: the numbers come from :class:`LifecycleResult` and :class:`ActiveUsersResult`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table

from northstar.cli.render import is_missing, period_label

LABELS = {
    "en": {
        "period": "Period",
        "day": "Day",
        "new": "New",
        "returning": "Returning",
        "resurrecting": "Resurrecting",
        "dormant": "Dormant",
        "active": "Active",
        "quick_ratio": "Quick ratio",
        "check": "Adds up",
        "lifecycle": "Lifecycle of {name}",
        "active_title": "Active entities of {name}",
        "dau": "DAU",
        "wau": "WAU",
        "mau": "MAU ({n}d)",
        "dau_wau": "DAU/WAU",
        "dau_mau": "DAU/MAU",
        "average": "average",
        "sticky_title": "Stickiness: entities by days active in the {per}",
        "days_active": "Days active",
        "partial": "* cut short by the range end",
        "checked": "new + returning + resurrecting = active, returning + dormant = active the {grain} before: {verdict}",
        "all_ok": "✓ every {grain}",
        "bad": "✗ {n} {grain}(s) do not add up",
        "week": "week",
        "month": "month",
        "wrote": "wrote {path}",
    },
    "zh": {
        "period": "周期",
        "day": "日期",
        "new": "新增",
        "returning": "留存",
        "resurrecting": "回流",
        "dormant": "沉睡",
        "active": "活跃",
        "quick_ratio": "增长质量比",
        "check": "核对",
        "lifecycle": "{name} 的生命周期",
        "active_title": "{name} 的活跃对象",
        "dau": "日活",
        "wau": "周活",
        "mau": "月活（{n}天）",
        "dau_wau": "日活/周活",
        "dau_mau": "日活/月活",
        "average": "平均",
        "sticky_title": "粘性：按每{per}活跃天数统计的对象数",
        "days_active": "活跃天数",
        "partial": "* 被查询结束日期截断",
        "checked": "新增 + 留存 + 回流 = 活跃，留存 + 沉睡 = 上一{grain}活跃：{verdict}",
        "all_ok": "✓ 每个{grain}都相符",
        "bad": "✗ 有 {n} 个{grain}不相符",
        "week": "周",
        "month": "月",
        "wrote": "已写入 {path}",
    },
}
GRAIN_ZH = {"day": "天", "week": "周", "month": "月"}


def _t(lang: str) -> dict[str, str]:
    return LABELS["zh" if lang == "zh" else "en"]


def _int(value: Any) -> str:
    return "–" if is_missing(value) else f"{float(value):,.0f}"


def _pct(value: Any) -> str:
    return "–" if is_missing(value) else f"{float(value) * 100:.1f}%"


def _ratio(value: Any) -> str:
    return "–" if is_missing(value) else f"{float(value):.2f}"


def lifecycle_table(result: Any, lang: str) -> Table:
    """Periods down; the four series, active, quick ratio and whether the sums hold."""
    t = _t(lang)
    table = Table(
        title=f"{t['lifecycle'].format(name=result.name)}: {result.start} → {result.end}",
        title_justify="left",
        header_style="bold",
    )
    table.add_column(t["period"])
    for key in ("new", "returning", "resurrecting", "dormant", "active", "quick_ratio", "check"):
        table.add_column(t[key], justify="right")
    bad = result.mismatches()
    bad_periods = set(bad["period"])
    for row in result.frame.to_dict("records"):
        label = period_label(row["period"], result.grain) + (" *" if row["partial"] else "")
        ok = "" if is_missing(row["active"]) else ("✗" if row["period"] in bad_periods else "✓")
        table.add_row(
            label,
            *(_int(row[k]) for k in ("new", "returning", "resurrecting", "dormant", "active")),
            _ratio(row["quick_ratio"]),
            ok,
        )
    if result.frame["partial"].any():
        table.caption = t["partial"]
        table.caption_justify = "left"
    return table


def lifecycle_check(result: Any, lang: str) -> str:
    """One line: whether new + returning + resurrecting = active and returning + dormant = the
    previous period's active hold in every period."""
    t = _t(lang)
    grain = GRAIN_ZH[result.grain] if lang == "zh" else result.grain
    bad = result.mismatches()
    verdict = t["bad"].format(n=len(bad), grain=grain) if len(bad) else t["all_ok"].format(grain=grain)
    return t["checked"].format(grain=grain, verdict=verdict)


def active_table(result: Any, lang: str) -> Table:
    """Days down: DAU, WAU, MAU and the two stickiness ratios, then the averages; with a
    breakdown, one section per value."""
    t = _t(lang)
    table = Table(
        title=f"{t['active_title'].format(name=result.name)}: {result.start} → {result.end}",
        title_justify="left",
        header_style="bold",
    )
    if result.by:
        table.add_column(result.by)
    table.add_column(t["day"])
    for key in ("dau", "wau", "mau", "dau_wau", "dau_mau"):
        table.add_column(t[key].format(n=result.month_days), justify="right")
    for value, daily, summary in _by_value(result):
        rows = daily.to_dict("records")
        for i, row in enumerate(rows):
            table.add_row(
                *([_value(value) if i == 0 else ""] if result.by else []),
                period_label(row["day"], "day"),
                *(_int(row[k]) for k in ("dau", "wau", "mau")),
                _pct(row["dau_wau"]),
                _pct(row["dau_mau"]),
                end_section=i == len(rows) - 1,
            )
        s = summary.iloc[0]
        table.add_row(
            *([""] if result.by else []),
            t["average"],
            *("–" if is_missing(s[k]) else f"{float(s[k]):,.1f}" for k in ("avg_dau", "avg_wau", "avg_mau")),
            _pct(s["dau_wau"]),
            _pct(s["dau_mau"]),
            style="bold",
            end_section=True,
        )
    return table


def _by_value(result: Any) -> list[tuple[Any, pd.DataFrame, pd.DataFrame]]:
    """(value, daily rows, summary row) per breakdown value, or once without a breakdown."""
    if not result.by:
        return [(None, result.daily, result.summary)]
    return [
        (value, _pick(result.daily, result.by, value), _pick(result.summary, result.by, value))
        for value in result.summary[result.by].tolist()
    ]


def _pick(frame: pd.DataFrame, by: str, value: Any) -> pd.DataFrame:
    return frame[frame[by].isna()] if is_missing(value) else frame[frame[by] == value]


def _value(value: Any) -> str:
    return "–" if is_missing(value) else str(value)


def stickiness_table(result: Any, lang: str, max_periods: int = 6) -> Table:
    """Days active down (up to the most any entity reached), the last periods across; with a
    breakdown, one section per value."""
    t = _t(lang)
    per = t[result.per]
    table = Table(title=t["sticky_title"].format(per=per), title_justify="left", header_style="bold")
    if result.by:
        table.add_column(result.by)
    table.add_column(t["days_active"], justify="right")
    frame = result.stickiness
    periods = sorted(frame["period"].unique())[-max_periods:]
    partial = {
        p for p in periods if (frame.loc[frame["period"] == p, "days"].iloc[0]) < _full_days(p, result.per)
    }
    for p in periods:
        table.add_column(period_label(p, result.per) + (" *" if p in partial else ""), justify="right")
    groups = [(None, frame)] if not result.by else list(frame.groupby(result.by, dropna=False, sort=False))
    for value, group in groups:
        shown = group[group["period"].isin(periods)]
        reached = shown.loc[shown["entities"] > 0, "days_active"]
        top = int(reached.max()) if len(reached) else 1
        for k in range(1, top + 1):
            cells = []
            for p in periods:
                hit = shown[(shown["period"] == p) & (shown["days_active"] == k)]
                cells.append(
                    "" if hit.empty else f"{int(hit['entities'].iloc[0]):,} ({_pct(hit['share'].iloc[0])})"
                )
            lead = [_value(value) if k == 1 else ""] if result.by else []
            table.add_row(*lead, str(k), *cells, end_section=k == top)
    if partial:
        table.caption = t["partial"]
        table.caption_justify = "left"
    return table


def _full_days(period: Any, per: str) -> int:
    start = pd.Timestamp(period)
    return 7 if per == "week" else int(start.days_in_month)


def wrote(path: Path, lang: str) -> str:
    return _t(lang)["wrote"].format(path=path)
