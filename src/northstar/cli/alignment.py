"""The ``validate`` command's output (en/zh): one metric's lagged correlations against the north
star with the verdict and caveats, and ``--all``'s one line per team KPI with its path."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from northstar.analysis.alignment import EDGE_ZH, AlignmentMap, KpiPaths
from northstar.analysis.lagged import GRAIN_ZH, Lag, Validation, batch_caveats

__all__ = ["alignment_table", "caveat_lines", "validation_report"]


def _when(lag: int, v: Validation, zh: bool) -> str:
    k = abs(lag)
    if zh:
        unit = GRAIN_ZH[v.grain]
        return f"同一{unit}" if lag == 0 else (f"领先 {k} {unit}" if lag > 0 else f"滞后 {k} {unit}")
    unit = v.grain if k == 1 else v.grain + "s"
    if lag == 0:
        return f"same {v.grain}"
    return f"leads by {k} {unit}" if lag > 0 else f"follows by {k} {unit}"


def _f(value: float, digits: int = 2) -> str:
    return "–" if not math.isfinite(value) else f"{value:.{digits}f}"


def _lag_row(lag: Lag, v: Validation, zh: bool, best: Lag | None) -> list[str]:
    mark = "★" if best is not None and lag.lag == best.lag else ("•" if lag.excludes_zero else "")
    return [
        f"{lag.lag:+d}",
        escape(_when(lag.lag, v, zh)),
        str(lag.n),
        _f(lag.n_eff, 1),
        _f(lag.r),
        f"[{_f(lag.low)}, {_f(lag.high)}]",
        mark,
    ]


def validation_report(v: Validation, language: str) -> Group:
    """The lag table (★ the best lag, • any other interval that excludes 0), the verdict and the
    caveats."""
    zh = language == "zh"
    parts: list[Table | Text] = []
    if v.periods:
        first, last, n = v.periods[0], v.last_day, len(v.periods)
        unit = v.grain if n == 1 else v.grain + "s"
        head = (
            f"{v.metric} 对比 {v.against}，逐{GRAIN_ZH[v.grain]}差值：{n} {GRAIN_ZH[v.grain]}，{first} 至 {last}"
            if zh
            else f"{v.metric} vs {v.against}, {v.grain}-over-{v.grain} differences: {n} {unit}, "
            f"{first} to {last}"
        )
    else:
        head = (
            f"{v.metric} 对比 {v.against}：没有可用的周期"
            if zh
            else f"{v.metric} vs {v.against}: no periods to use"
        )
    parts.append(Text(head, style="italic"))
    if v.lags:
        table = Table()
        for col, justify in (
            ("滞后" if zh else "lag", "right"),
            ("含义" if zh else "meaning", "left"),
            ("样本对" if zh else "pairs", "right"),
            ("有效样本" if zh else "n_eff", "right"),
            ("r", "right"),
            (f"{v.per_lag_confidence:.2%} 区间" if zh else f"{v.per_lag_confidence:.2%} interval", "left"),
            ("", "left"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        best = v.best
        for lag in v.lags:
            table.add_row(*_lag_row(lag, v, zh, best))
        parts.append(table)
    verdict = ("结论：" if zh else "Verdict: ") + v.verdict(language)
    parts.append(Text(verdict, style="bold"))
    parts.extend(caveat_lines(v, language))
    return Group(*parts)


def caveat_lines(v: Validation | Sequence[Validation], language: str) -> list[Text]:
    """The caveats of one validation, or of several against one metric (``--all``)."""
    zh = language == "zh"
    texts = v.caveats(language) if isinstance(v, Validation) else batch_caveats(v, language)
    return [Text("注意：" if zh else "Caveats:", style="yellow"), *(Text(f"  · {c}") for c in texts)]


def _path_text(kpi: KpiPaths, zh: bool) -> str:
    """The first path as its chain of edge kinds, e.g. ``definition → influence``."""
    if not kpi.paths:
        return "（无路径）" if zh else "(no path)"
    return " → ".join(EDGE_ZH[e.kind] if zh else e.kind for e in kpi.paths[0])


def _short_verdict(v: Validation, zh: bool) -> str:
    if not v.enough_history:
        return "历史太短" if zh else "too little history"
    best = v.best
    if best is None:
        return "无关联证据" if zh else "no evidence"
    stat = f"r = {best.r:.2f} [{best.low:.2f}, {best.high:.2f}]"
    return f"{_when(best.lag, v, zh)}：{stat}" if zh else f"{_when(best.lag, v, zh)}: {stat}"


def alignment_table(amap: AlignmentMap, results: Sequence[Validation | None], language: str) -> Table:
    """``validate --all``: each team KPI, its teams, the kinds of edge on its first path to the
    north star and, in short, what its history says (None: not validated)."""
    zh = language == "zh"
    table = Table(title=("团队指标 → 北极星 " if zh else "Team KPIs → north star ") + str(amap.north_star))
    for col in ("指标" if zh else "KPI", "团队" if zh else "team", "路径" if zh else "path"):
        table.add_column(col)
    table.add_column("历史数据的结论" if zh else "what history says")
    for kpi, v in zip(amap.kpis, results, strict=True):
        table.add_row(
            escape(kpi.metric),
            escape(", ".join(kpi.teams)),
            escape(_path_text(kpi, zh)),
            escape(_short_verdict(v, zh)) if v is not None else "–",
        )
    return table
