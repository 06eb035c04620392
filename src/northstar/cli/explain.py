"""The ``explain`` command's output: a waterfall of driver contributions, the parts, the mix and
rate split, and the ranked root causes (en/zh); and ``check``'s lines on driver identities."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from northstar.analysis.drivers import Identity
from northstar.analysis.explain import ExplainResult
from northstar.results import MetricInfo

__all__ = ["explain_report", "identity_line"]

_VS = {
    "previous": ("the period before", "上一周期"),
    "last_year": ("the same period last year", "去年同期"),
    "forecast": ("the forecast (mean of the 4 periods before)", "预测值（前 4 个同期均值）"),
    "target": ("the target", "目标"),
}
_BAR = 24


def _num(v: float, info: MetricInfo | None = None, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    fmt = info.format if info else "number"
    decimals = info.decimals if info else 2
    sign = "+" if signed and v > 0 else ""
    if fmt == "percent":  # a change of a rate is in percentage points
        return f"{sign}{v * 100:,.{decimals}f} {'pp' if signed else '%'}"
    if fmt == "integer":
        return f"{sign}{v:,.0f}"
    if abs(v) >= 1000:
        return f"{sign}{v:,.0f}"
    return f"{sign}{v:,.{max(decimals, 2) if abs(v) < 1 else decimals}f}"


def _pct(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v * 100:+.1f} %"


def _share(v: float) -> str:
    """A share of the change: negative when it worked against the change."""
    return "–" if v is None or not math.isfinite(v) else f"{v * 100:.1f} %"


def _bar(share: float, widest: float) -> Text:
    if not math.isfinite(share) or widest <= 0:
        return Text("")
    n = max(1, round(abs(share) / widest * _BAR)) if share else 0
    return Text("█" * n, style="green" if share > 0 else "red")


def _label(result: ExplainResult, name: str, zh: bool) -> str:
    info = result.infos.get(name)
    if info is None:
        return name
    return info.label_zh if zh and info.label_zh else info.label


def explain_report(result: ExplainResult, language: str) -> Group:
    """Everything ``northstar explain`` prints, as one Rich renderable."""
    zh = language == "zh"
    info = result.infos.get(result.metric)
    period = (
        result.period[0].isoformat()
        if result.period[0] == result.period[1]
        else (f"{result.period[0].isoformat()} – {result.period[1].isoformat()}")
    )
    vs = _VS[result.baseline][1 if zh else 0]
    head = Text()
    head.append(_label(result, result.metric, zh), style="bold")
    head.append(f" {'于' if zh else 'on'} {period}: ")
    head.append(_num(result.value, info), style="bold")
    head.append(f" {'对比' if zh else 'vs'} {_num(result.baseline_value, info)} ({vs}); ")
    word = ("差距" if zh else "gap") if result.baseline == "target" else ("变化" if zh else "change")
    head.append(
        f"{word} {_num(result.change, info, signed=True)} ({_pct(result.pct)})",
        style="green" if result.change > 0 else "red" if result.change < 0 else "",
    )
    parts: list[Any] = [head]
    if len(result.drivers):
        parts.append(_waterfall(result, zh))
        net = result.net_by_driver()
        if len(net) < int((~result.drivers["node"].isin(set(result.drivers["parent"].dropna()))).sum()):
            parts.append(_net(result, net, zh))  # a metric appears twice in the tree
    if len(result.parts):
        parts.append(_parts(result, zh))
    for dim, frame in result.mix.items():
        parts.append(_mix(result, dim, frame, zh))
    if result.causes is not None:
        parts.append(_causes(result, zh))
    return Group(*parts)


def _waterfall(result: ExplainResult, zh: bool) -> Table:
    frame = result.drivers
    total = result.change if math.isfinite(result.change) else float("nan")
    target = result.baseline == "target"
    table = Table(
        title=(
            "驱动因素拆解（各项贡献之和 = 与目标的差距）"
            if zh
            else "Driver contributions (they add up to the gap to target)"
        )
        if target
        else (
            "驱动因素拆解（各项贡献之和 = 总变化）"
            if zh
            else "Driver contributions (they add up to the change)"
        ),
        title_justify="left",
    )
    for col, justify in (
        ("指标" if zh else "driver", "left"),
        (("目标" if zh else "target") if target else ("基准" if zh else "before"), "right"),
        (("实际" if zh else "actual") if target else ("本期" if zh else "after"), "right"),
        (("差距" if zh else "gap") if target else ("变化" if zh else "change"), "right"),
        ("贡献" if zh else "effect", "right"),
        ("占比" if zh else "share", "right"),
        ("", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    root_change = float(frame["change"].iloc[0])
    shares = (
        frame["contribution_to_root"] / root_change
        if root_change
        else frame["contribution_to_root"] * float("nan")
    )
    widest = float(shares.iloc[1:].abs().max()) if len(frame) > 1 else 1.0
    root_info = result.infos.get(result.metric)
    for i, row in frame.iterrows():
        node = str(row["node"])
        info = result.infos.get(node)
        name = "  " * int(row["level"]) + escape(_label(result, node, zh))
        share = float(shares.iloc[int(str(i))]) if root_change else float("nan")
        before, change, effect = (
            float(row["value_before"]),
            float(row["change"]),
            float(row["contribution_to_root"]),
        )
        if target and not int(row["level"]):  # the metric's own target, so its gap is the header's
            before, change = result.baseline_value, result.change
            effect = change
        table.add_row(
            name,
            _num(before, info),
            _num(float(row["value_after"]), info),
            _num(change, info, signed=True),
            _num(effect, root_info, signed=True),
            _share(share) if int(row["level"]) else "100 %",
            _bar(share, widest) if int(row["level"]) else Text(""),
        )
    if math.isfinite(total) and (abs(result.residual_after) > 0 or abs(result.residual_before) > 0):
        gap = result.residual_after - result.residual_before
        if abs(gap) > 1e-9 * max(abs(result.value), 1.0):
            table.add_row(
                ("驱动因素目标未覆盖的差距" if zh else "not explained by the drivers' targets")
                if target
                else ("残差（恒等式不成立）" if zh else "residual (identity does not hold)"),
                "",
                "",
                "",
                _num(gap, root_info, signed=True),
                "",
                Text(""),
            )
    return table


def _net(result: ExplainResult, net: Any, zh: bool) -> Table:
    info = result.infos.get(result.metric)
    table = Table(
        title="按指标合计（同一指标在树中出现多次时合并）"
        if zh
        else "Net per driver (a metric that appears twice counted once)",
        title_justify="left",
    )
    for col in ("指标" if zh else "driver", "贡献" if zh else "contribution", "占比" if zh else "share"):
        table.add_column(col, justify="left" if col in ("指标", "driver") else "right")
    for row in net.itertuples(index=False):
        table.add_row(
            escape(_label(result, str(row[0]), zh)),
            _num(float(row[1]), info, signed=True),
            _share(float(row[2])),
        )
    return table


def _parts(result: ExplainResult, zh: bool) -> Table:
    frame = result.parts
    dim = str(frame.columns[0])
    info = result.infos.get(result.metric)
    table = Table(
        title=(f"按 {dim} 拆分（各部分之和 = 总量）" if zh else f"By {dim} (the parts add up to the whole)"),
        title_justify="left",
    )
    for col in (
        dim,
        "基准" if zh else "before",
        "本期" if zh else "after",
        "变化" if zh else "change",
        "占比" if zh else "share",
    ):
        table.add_column(col, justify="left" if col == dim else "right")
    for row in frame.head(10).itertuples(index=False):
        table.add_row(
            escape(str(row[0])),
            _num(row[1], info),
            _num(row[2], info),
            _num(row[3], info, signed=True),
            _share(row[4]),
        )
    return table


def _mix(result: ExplainResult, dim: str, frame: Any, zh: bool) -> Table:
    table = Table(
        title=(
            f"按 {dim} 的结构效应与比率效应（合计 = 比率的变化）"
            if zh
            else f"Mix and rate effects by {dim} (they add up to the change of the ratio)"
        ),
        title_justify="left",
    )
    cols = (
        (dim, "left"),
        ("占比 基准→本期" if zh else "share before → after", "right"),
        ("比率 基准→本期" if zh else "rate before → after", "right"),
        ("结构效应" if zh else "mix", "right"),
        ("比率效应" if zh else "rate", "right"),
        ("合计" if zh else "effect", "right"),
    )
    for col, justify in cols:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    top = frame.reindex(frame["effect"].abs().sort_values(ascending=False).index).head(10)
    for row in top.itertuples(index=False):
        d = row._asdict()
        table.add_row(
            escape(str(d[dim])),
            f"{_pp(d['weight_before'])} → {_pp(d['weight_after'])}",
            f"{_pp(d['rate_before'])} → {_pp(d['rate_after'])}",
            _ppc(d["mix"]),
            _ppc(d["rate"]),
            _ppc(d["effect"]),
        )
    return table


def _pp(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v * 100:.1f} %"


def _ppc(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v * 100:+.2f} pp"


def _causes(result: ExplainResult, zh: bool) -> Table | Text:
    causes = result.causes
    assert causes is not None
    info = result.infos.get(result.metric)
    if not causes.causes:
        return Text(
            "没有找到能解释这次变化的维度组合"
            if zh
            else "no combination of dimension values explains the change"
        )
    table = Table(
        title=(
            f"根因（按 {', '.join(result.dimensions)} 的 1–3 维组合，按解释的变化占比排序）"
            if zh
            else f"Root causes (combinations of 1–3 of {', '.join(result.dimensions)}, by share of the change)"
        ),
        title_justify="left",
        caption=escape((causes.method_zh or causes.method) if zh else causes.method),
    )
    for col in (
        "#",
        "组合" if zh else "combination",
        "基准" if zh else "expected",
        "本期" if zh else "actual",
        "变化" if zh else "change",
        "占变化" if zh else "share",
    ):
        table.add_column(col, justify="left" if col in ("#", "组合", "combination") else "right")
    for k, c in enumerate(causes.causes, 1):
        table.add_row(
            str(k),
            escape(" & ".join(f"{a}={v}" for a, v in c.combination)),
            _num(c.expected, info),
            _num(c.real, info),
            _num(c.change, info, signed=True),
            _share(c.share),
        )
    return table


def identity_line(identity: Identity, language: str) -> str:
    """One Rich-markup line for ``check``: the identity holds, or its residual."""
    zh = language == "zh"
    text = f"{identity.metric} = {identity.right}"
    if identity.days == 0:
        return f"[yellow]?[/] {escape(text)}: " + ("没有可比较的数据" if zh else "no data to compare")
    if identity.holds:
        return f"[green]✓[/] {escape(text)}: " + (
            f"在 {identity.days} 天的数据上成立（最大相对残差 {identity.max_residual:.1e}）"
            if zh
            else f"holds on {identity.days} days (largest relative residual {identity.max_residual:.1e})"
        )
    day = identity.worst_day.isoformat() if identity.worst_day else "?"
    return f"[yellow]⚠[/] {escape(text)}: " + (
        f"不成立：{day} 残差 {identity.max_residual * 100:.2f} %（左边 {identity.left:,.6g}，右边 {identity.right_value:,.6g}）；"
        "各部分可能重叠或遗漏了数据行"
        if zh
        else f"does not hold: residual {identity.max_residual * 100:.2f} % on {day} "
        f"({identity.left:,.6g} vs {identity.right_value:,.6g}); the parts overlap or miss rows"
    )
