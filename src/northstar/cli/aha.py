"""``northstar aha``: the aha-moment table, its summary lines and its file export, in en and zh.

Only renders an :class:`~northstar.analysis.aha.AhaResult`; the numbers come from the analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from northstar.analysis.aha import CORRELATION_NOTE, AhaResult, Outcome
from northstar.cli.render import is_missing

HEADERS = {
    "en": ("#", "Early behaviour", "Did it", "Outcome if did", "if not", "Lift [95% CI]", "Difference [95% CI]",
           "Share of outcome"),
    "zh": ("#", "早期行为", "做到的人", "做到者结果率", "未做到者", "提升倍数 [95% 区间]", "差值 [95% 区间]",
           "结果中占比"),
}  # fmt: skip


def outcome_text(outcome: Outcome, lang: str) -> str:
    """What the outcome means, in words: ``active again on days 30–36``."""
    days = f"{outcome.first_day}–{outcome.last_day}"
    if outcome.kind == "retained":
        return f"在第 {days} 天再次活跃" if lang == "zh" else f"active again on days {days}"
    if outcome.kind == "event":
        return (
            f"在第 {days} 天做了 {outcome.event}" if lang == "zh" else f"did {outcome.event} on days {days}"
        )
    return (
        f"第一次 {outcome.event} 在第 {days} 天" if lang == "zh" else f"first {outcome.event} on days {days}"
    )


def behaviour_text(event: str, at_least: int, within: int, lang: str) -> str:
    if lang == "zh":
        return f"前 {within} 天 {event} ≥ {at_least} 次"
    return f"{event} ≥ {at_least}× in first {within}d"


def summary_lines(result: AhaResult, lang: str) -> list[str]:
    """Who was counted, how often the outcome happened, and who was left out."""
    zh = lang == "zh"
    day0 = (
        (f"首次 {result.start_event}" if zh else f"first {result.start_event}")
        if result.start_event
        else ("首次出现" if zh else "first row")
    )
    rate = "–" if is_missing(result.base_rate) else f"{result.base_rate * 100:.1f}%"
    what = outcome_text(result.outcome, lang)
    if zh:
        lines = [
            f"人群：第 0 天（{result.source} 中的{day0}）在 {result.start} → {result.end} 的 "
            f"{result.population:,} 个实体；其中 {result.with_outcome:,}（{rate}）{what}。",
            f"行为：前 {result.within_days} 天（第 0–{result.within_days - 1} 天，按项目时区的自然日）"
            f"的事件次数；支持度至少 {result.min_support * 100:.0f}%。",
        ]
        if result.left_out:
            lines.append(f"未计入：{result.left_out:,} 个实体的结果窗口尚未完全落在数据内。")
        if result.already_converted:
            lines.append(
                f"未计入：{result.already_converted:,} 个实体在第 {result.within_days} 天之前已经转化。"
            )
        return lines
    lines = [
        f"Population: {result.population:,} entities with day 0 ({day0} in {result.source}) in "
        f"{result.start} → {result.end}; {result.with_outcome:,} ({rate}) {what}.",
        f"Behaviours: event counts on days 0–{result.within_days - 1} (calendar days in the project "
        f"timezone); support at least {result.min_support * 100:.0f}%.",
    ]
    if result.left_out:
        lines.append(f"Left out: {result.left_out:,} entities whose outcome window is not yet in the data.")
    if result.already_converted:
        lines.append(
            f"Left out: {result.already_converted:,} entities that had converted before day {result.within_days}."
        )
    return lines


def _pct(v: Any) -> str:
    return "–" if is_missing(v) else f"{v * 100:.1f}%"


def _interval(v: Any, lo: Any, hi: Any, pp: bool) -> str:
    if is_missing(v):
        if is_missing(lo):
            return "–"
        return f"– [{lo:.2f}, {hi:.2f}]"
    if pp:
        return f"{v * 100:+.1f} pp [{lo * 100:+.1f}, {hi * 100:+.1f}]"
    return f"{v:.2f}× [{lo:.2f}, {hi:.2f}]"


def aha_table(result: AhaResult, lang: str, top: int = 15) -> Table:
    """The top candidates, best first."""
    zh = lang == "zh"
    title = (
        f"啊哈时刻：与「{outcome_text(result.outcome, lang)}」相关的早期行为"
        if zh
        else f"Aha moments: early behaviours that go with “{outcome_text(result.outcome, lang)}”"
    )
    table = Table(title=title, title_justify="left", header_style="bold")
    for i, col in enumerate(HEADERS["zh" if zh else "en"]):
        table.add_column(col, justify="left" if i == 1 else "right")
    for row in result.top(top).to_dict("records"):
        table.add_row(
            str(row["rank"]),
            escape(behaviour_text(row["event"], row["at_least"], result.within_days, lang)),
            f"{row['did']:,} ({row['support'] * 100:.0f}%)",
            _pct(row["rate_did"]),
            _pct(row["rate_did_not"]),
            _interval(row["lift"], row["lift_low"], row["lift_high"], pp=False),
            _interval(row["difference"], row["difference_low"], row["difference_high"], pp=True),
            _pct(row["share_of_outcome"]),
        )
    if result.candidates.empty:
        table.caption = "没有满足支持度的候选行为" if zh else "no behaviour passes the support rule"
    elif len(result.candidates) > top:
        more = len(result.candidates) - top
        table.caption = (
            f"另有 {more} 个候选未显示（--top）"
            if zh
            else f"{more} more candidate{'s' if more > 1 else ''} not shown (--top)"
        )
    return table


def correlation_note(lang: str) -> str:
    return CORRELATION_NOTE[1 if lang == "zh" else 0]


def write_candidates(result: AhaResult, target: Path) -> Path:
    """All candidates to ``target`` (any suffix of :func:`northstar.export.frames.write_frames`)."""
    from northstar.export.frames import write_frames

    frame = result.candidates.assign(outcome=result.outcome.text, within_days=result.within_days)
    return write_frames({"candidates": frame}, target)
