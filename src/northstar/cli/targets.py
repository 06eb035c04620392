"""The ``target`` command's output (en/zh): the proposed floor / target / stretch per period with
the probability of reaching each, the model's assumptions, why each step; the ``--yaml`` snippet to
paste under ``targets:``; and the parsing of ``--benchmark`` (0.03 or 3%)."""

from __future__ import annotations

import json
import math

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from northstar.analysis.target_reasons import ZH_COUNT, fmt_probability
from northstar.analysis.targets import FLOOR_P, STRETCH_P, TARGET_P, TargetProposal
from northstar.cli.render import format_value
from northstar.errors import QueryError
from northstar.results import MetricInfo

__all__ = ["parse_benchmark", "target_report", "yaml_snippet"]

_GRAIN = {"week": ("week", "周"), "month": ("month", "月"), "quarter": ("quarter", "季度")}


def parse_benchmark(text: str | None, info: MetricInfo) -> float | None:
    """``0.03`` or ``3%`` → 0.03; a plain number above 1 for a percentage metric is refused
    (3 would mean 300 %)."""
    if text is None:
        return None
    raw = text.strip().replace(",", "")
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise QueryError(
            f"--benchmark must be a number such as 0.03 or 3%, not {text!r}",
            f"--benchmark 须为数值，例如 0.03 或 3%，而不是 {text!r}",
        ) from None
    if not math.isfinite(value):
        raise QueryError(
            f"--benchmark must be a finite number, not {text!r}", f"--benchmark 须为有限数值，而不是 {text!r}"
        )
    if percent:
        return value / 100
    if info.format == "percent" and abs(value) > 1:
        raise QueryError(
            f"--benchmark {text} for {info.name}, a percentage, would mean {value * 100:g} %: "
            f"write {value:g}% or {value / 100:g}",
            f"{info.name} 是百分比，--benchmark {text} 表示 {value * 100:g} %：请写 {value:g}% 或 {value / 100:g}",
        )
    return value


def _p(p: float) -> Text:
    style = "green" if p >= 0.7 else ("yellow" if p >= 0.3 else "red")
    return Text(fmt_probability(p), style=style)


def _trend(proposal: TargetProposal, info: MetricInfo, zh: bool) -> str:
    en_w, zh_w = _GRAIN[proposal.grain]
    if not proposal.trend_estimated:
        return "未估计（历史太短）" if zh else "not estimated — too little history"
    if proposal.scale == "log":
        return f"每{zh_w} {proposal.trend * 100:+.1f} %" if zh else f"{proposal.trend * 100:+.1f} % a {en_w}"
    text = format_value(proposal.trend, info)
    return f"每{zh_w} {text}" if zh else f"{text} a {en_w}"


def _assumptions(proposal: TargetProposal, info: MetricInfo, zh: bool) -> Table:
    en_w = _GRAIN[proposal.grain][0]
    table = Table(title="模型假设" if zh else "Assumptions", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    n = proposal.history_periods
    history = (
        f"完整的 {ZH_COUNT[proposal.grain].format(n=n)}（自 {proposal.history_first} 起）"
        if zh
        else f"{n} complete {en_w}{'s' if n != 1 else ''} from {proposal.history_first}"
    )
    if proposal.scale == "log":
        vol = (
            f"±{proposal.volatility * 100:.1f} %（对数尺度）"
            if zh
            else f"±{proposal.volatility * 100:.1f} % (log scale)"
        )
    else:
        vol = f"±{proposal.volatility:,.{info.decimals}f}"
        if proposal.additive:
            vol = f"每天 {vol}" if zh else f"{vol} a day"
    dist = (
        ("正态（历史太短）" if zh else "Normal (short history)")
        if math.isinf(proposal.dof)
        else (
            f"t 分布，自由度 {proposal.dof:.0f}"
            if zh
            else f"Student t, {proposal.dof:.0f} degrees of freedom"
        )
    )
    seasonal = (
        ("已估计（见各期季节因子）" if zh else "estimated (factor per period below)")
        if proposal.seasonality_estimated
        else ("未估计——历史太短" if zh else "not estimated — too little history")
    )
    rows = [
        ("当前水平" if zh else "Now", f"{format_value(proposal.current, info)} ({proposal.current_period})"),
        (
            "行业基准" if zh else "Benchmark",
            format_value(proposal.benchmark, info)
            if proposal.benchmark is not None
            else ("无" if zh else "none"),
        ),
        ("历史" if zh else "History", history),
        ("趋势" if zh else "Trend", _trend(proposal, info, zh)),
        ("波动" if zh else "Volatility", vol),
        ("季节性（年）" if zh else "Yearly seasonality", seasonal),
        ("分布" if zh else "Distribution", dist),
    ]
    for key, value in rows:
        table.add_row(key, escape(value))
    return table


def target_report(proposal: TargetProposal, info: MetricInfo, lang: str = "en") -> Group:
    """The proposal as Rich renderables: the steps table, the assumptions and why each step."""
    zh = lang == "zh"
    en_w, zh_w = _GRAIN[proposal.grain]
    label = info.label_zh if zh else info.label
    if proposal.rule == "benchmark":
        how = "按行业基准分步" if zh else "stepped to the benchmark"
    else:
        how = "依据历史" if zh else "from history"
    title = (
        f"{label} 的建议目标（按{zh_w}，{how}）"
        if zh
        else f"Proposed targets for {label} (per {en_w}, {how})"
    )
    table = Table(title=escape(title), title_justify="left")
    headers = (
        ["周期", "预测", "保底", "概率", "目标", "概率", "挑战", "概率", "季节因子"]
        if zh
        else ["Period", "Forecast", "Floor", "P", "Target", "P", "Stretch", "P", "Season"]
    )
    for i, h in enumerate(headers):
        table.add_column(
            h, justify="left" if i == 0 else "right", style="bold" if h in ("目标", "Target") else None
        )
    for s in proposal.steps:
        if s.seasonality is None:
            season = "–"
        elif proposal.scale == "log":
            season = f"×{s.seasonality:.2f}"
        else:
            season = format_value(s.seasonality, info)
        table.add_row(
            s.period,
            format_value(s.forecast, info),
            format_value(s.floor, info),
            _p(s.p_floor),
            format_value(s.target, info),
            _p(s.p_target),
            format_value(s.stretch, info),
            _p(s.p_stretch),
            season,
        )
    why = Table(title="理由" if zh else "Why", show_header=False, title_justify="left", box=None)
    why.add_column(style="bold")
    why.add_column()
    for s in proposal.steps:
        why.add_row(s.period, escape(s.why_zh if zh else s.why))
    legend = (
        f"P：在该期达成的概率（模型与假设如下）。无基准时：保底 = {FLOOR_P:.0%} 达成，目标 = {TARGET_P:.0%}，"
        f"挑战 = {STRETCH_P:.0%}。"
        if zh
        else f"P: the probability of reaching it in that period under the model below. Without a benchmark: "
        f"floor = reached {FLOOR_P:.0%} of the time, target {TARGET_P:.0%}, stretch {STRETCH_P:.0%}."
    )
    return Group(table, Text(legend, style="dim"), why, _assumptions(proposal, info, zh))


def _yaml_value(v: float, info: MetricInfo) -> str:
    if info.format == "percent":
        return f"{v * 100:.{max(info.decimals, 1)}f}%"
    if info.format == "integer":
        return f"{v:.0f}"
    return f"{v:.{info.decimals}f}"


def yaml_snippet(proposal: TargetProposal, metric: str, info: MetricInfo, lang: str = "en") -> str:
    """The lines to paste under ``targets:`` in northstar.yml (the ``targets:`` schema)."""
    lines = ["targets:", f"  {metric}:"]
    for i, s in enumerate(proposal.steps):
        first = i == 0
        lines += [
            f"    - period: {s.period}"
            + ("          # 2026, 2026-Q1, 2026-11, 2026-W47 or 2026-11-27" if first else ""),
            f"      floor: {_yaml_value(s.floor, info)}",
            f"      target: {_yaml_value(s.target, info)}",
            f"      stretch: {_yaml_value(s.stretch, info)}",
            "      set_by: you@example.com" + ("    # fill in" if first else ""),
            f"      why: {json.dumps(s.why_short_zh if lang == 'zh' else s.why_short, ensure_ascii=False)}",
        ]
    return "\n".join(lines) + "\n"
