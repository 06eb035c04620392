"""Explain a change: which driver moved a metric, and which slice of the business moved it.

:func:`run_explain` compares a metric in one period (the day, week or month containing
``day``) with a baseline and returns an :class:`ExplainResult`:

**Baselines** (``vs``):

- ``previous`` — the period just before (the day before, the week before …);
- ``last_year`` — the same period a year earlier (364 days for days and weeks, so the weekday
  matches; 12 months for months), as ``northstar query --compare yoy``;
- ``target`` — the period's targets (``targets:``, or set in the app;
  :mod:`northstar.analysis.bands`): the gap to the metric's target is split across the drivers
  that have a target of their own in the period; a driver without one counts as on plan (its
  actual value), so it explains none of the gap, and what the drivers' targets do not account for
  (their targets need not multiply up to the root's) is reported as ``residual`` with a note.
  Parts, mix/rate and root causes need a baseline per slice, which targets do not give: they are
  skipped with a note (``--vs previous`` shows them);
- ``forecast`` — the mean of the four periods before at the same weekday for a day (7, 14, 21
  and 28 days earlier) or the four periods just before for a week or month. Additive metrics
  (counts, sums, distinct counts …) are averaged; ratios and formulas are computed from the
  averaged parts, so that every driver identity holds for the forecast as it does for actuals.

**Drivers.** The metric's driver tree (``drivers:``; :mod:`northstar.analysis.drivers`) is
evaluated from its leaves in both periods and the change of the root is split exactly across
the leaves by :func:`northstar.analysis.attribution.nested` (additive nodes: each term's change;
products and quotients: LMDI when every factor is positive in both periods, else Shapley; the
contributions at every level sum to the root's change). If the metric's actual value differs
from its tree (an identity that does not hold), the gap is reported as ``residual``.

**Mix and rate.** For a ratio metric (``type: ratio``, or a formula ``a / b``) and each
dimension of ``by``, the change is split per dimension value into a mix effect (the
denominator's share moved) and a rate effect (the value's own ratio moved), exactly
(:func:`northstar.analysis.attribution.mix_rate`).

**Root causes.** The engine groups the metric (its numerator and denominator for a ratio) by
all the dimensions of ``by`` in both periods; :func:`northstar.analysis.rootcause.localize`
(or ``localize_ratio``) finds the combinations of 1 to 3 dimension values that explain the
change, ranked by the share of the change they explain. On wide data (more than 6 dimensions or
a dimension of more than 50 values) an interaction search replaces RiskLoc: every value tested on
its own, then pairs of each dimension's largest values and triples where pairs point, each against
its values' own moves, all on tables the engine aggregates (:mod:`northstar.analysis.wide_search`,
:mod:`northstar.analysis.wide_tables`); metrics that do not add up row by row (distinct counts …)
keep the earlier value test, slice search and drill-down. The GROUP BYs and the choice between
these live in :mod:`northstar.analysis.explain_causes`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

from northstar.analysis.drivers import DriverNode, driver_tree
from northstar.analysis.explain_causes import _causes, _pair
from northstar.compile.request import PERIOD_LENGTH, parse_date, shift, truncate
from northstar.errors import DataError, QueryError
from northstar.results import MetricInfo
from northstar.spec.expressions import evaluate_formula, safe_divide
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.analysis.rootcause import RootCauses
    from northstar.engine.base import Engine
    from northstar.project import Project

__all__ = ["BASELINES", "ExplainResult", "run_explain"]

Baseline = Literal["previous", "last_year", "forecast", "target"]
BASELINES: tuple[str, ...] = ("previous", "last_year", "forecast", "target")
_BASELINE_ZH = {
    "previous": "上一周期",
    "last_year": "去年同期",
    "forecast": "预测（前四期均值）",
    "target": "目标",
}
_FORECAST_PERIODS = 4
EXPLAIN_GRAINS = ("day", "week", "month")


@dataclass(frozen=True)
class ExplainResult:
    """Why ``metric`` changed between ``baseline_periods`` and ``period`` (module docstring)."""

    metric: str
    grain: str
    period: tuple[date, date]  # first and last day, inclusive
    baseline: str  # previous | last_year | forecast
    baseline_periods: tuple[tuple[date, date], ...]  # one, or the four a forecast averages
    value: float
    baseline_value: float
    drivers: pd.DataFrame  # one row per tree node, depth first (empty without a tree)
    parts: pd.DataFrame  # sum over a dimension (``over:``): one row per value (empty without)
    mix: dict[str, pd.DataFrame]  # ratio metrics: per --by dimension, the mix/rate split
    causes: RootCauses | None
    dimensions: tuple[str, ...]
    residual_before: float  # actual minus the tree's value (0 when the identity holds)
    residual_after: float
    notes: tuple[str, ...] = ()
    notes_zh: tuple[str, ...] = ()
    infos: dict[str, MetricInfo] = field(default_factory=dict)  # per tree node: labels and format

    @property
    def change(self) -> float:
        return self.value - self.baseline_value

    def net_by_driver(self) -> pd.DataFrame:
        """The leaves of the tree with their contributions summed over every place a metric
        appears (``visitors`` in ``visitors * conversion_rate`` and inside ``conversion_rate =
        purchasers / visitors`` cancel out), largest first; they add up to the change."""
        if self.drivers.empty:
            return pd.DataFrame(columns=["driver", "contribution", "share"])
        inner = set(self.drivers["parent"].dropna())
        leaves = self.drivers[~self.drivers["node"].isin(inner)]
        net = leaves.groupby("node", sort=False)["contribution_to_root"].sum()
        frame = net.rename("contribution").rename_axis("driver").reset_index()
        frame["share"] = frame["contribution"] / self.change if self.change else np.nan
        return frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index).reset_index(
            drop=True
        )

    @property
    def pct(self) -> float:
        return self.change / abs(self.baseline_value) if self.baseline_value else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN → None)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return None if math.isnan(float(v)) or math.isinf(float(v)) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, date | pd.Timestamp):
                return v.isoformat()
            return v

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): clean(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "metric": self.metric,
            "grain": self.grain,
            "period": [self.period[0].isoformat(), self.period[1].isoformat()],
            "baseline": self.baseline,
            "baseline_periods": [[a.isoformat(), b.isoformat()] for a, b in self.baseline_periods],
            "value": clean(self.value),
            "baseline_value": clean(self.baseline_value),
            "change": clean(self.change),
            "pct": clean(self.pct),
            "residual": {"before": clean(self.residual_before), "after": clean(self.residual_after)},
            "drivers": records(self.drivers),
            "net_by_driver": records(self.net_by_driver()),
            "parts": records(self.parts),
            "mix": {dim: records(frame) for dim, frame in self.mix.items()},
            "root_causes": None
            if self.causes is None
            else {
                "method": self.causes.method,
                "method_zh": self.causes.method_zh or self.causes.method,
                "explained": clean(self.causes.explained),
                "causes": [
                    {
                        "combination": {a: v for a, v in c.combination},
                        "real": clean(c.real),
                        "expected": clean(c.expected),
                        "change": clean(c.change),
                        "share": clean(c.share),
                    }
                    for c in self.causes.causes
                ],
            },
            "dimensions": list(self.dimensions),
            "notes": list(self.notes),
            "notes_zh": list(self.notes_zh),
        }


def run_explain(
    project: Project,
    metric: str,
    day: str | date,
    vs: str = "previous",
    grain: str = "day",
    by: Sequence[str] = (),
    engine: Engine | None = None,
    max_causes: int = 10,
    store: Any = None,
) -> ExplainResult:
    """Explain ``metric``'s change in the ``grain`` period containing ``day`` against ``vs``
    (``store``: an app database whose targets replace the YAML's, for ``vs="target"``)."""
    eng = engine or project.engine
    if vs not in BASELINES:
        raise QueryError(
            f"unknown baseline {vs!r}: use {', '.join(BASELINES)}" + did_you_mean(vs, BASELINES),
            f"未知的对比基准 {vs!r}：可选 {', '.join(BASELINES)}" + did_you_mean(vs, BASELINES, "zh"),
        )
    if grain not in EXPLAIN_GRAINS:
        raise QueryError(
            f"explain works by day, week or month, not {grain!r}" + did_you_mean(grain, EXPLAIN_GRAINS),
            f"归因分析按日、周或月进行，不支持 {grain!r}" + did_you_mean(grain, EXPLAIN_GRAINS, "zh"),
        )
    dims = tuple(by)
    for d in dims:
        if d not in project.spec.dimensions:
            known = sorted(project.spec.dimensions)
            raise QueryError(
                f"unknown dimension {d!r}" + did_you_mean(d, known),
                f"没有维度 {d!r}" + did_you_mean(d, known, "zh"),
            )
    nodes = driver_tree(project, metric)
    when = parse_date(day, "--date") if isinstance(day, str) else day
    period = _period(when, grain)
    names = list(dict.fromkeys(n.name for n in nodes))
    closure = project.catalog.closure(names)
    notes: list[tuple[str, str]] = []
    first, last = _coverage(project, eng, closure)
    if vs == "target":
        return _vs_target(project, eng, metric, nodes, names, closure, period, grain, last, store)
    base_periods = [p for p in _baselines(period, grain, vs) if p[0] >= first]
    if not base_periods:
        raise QueryError(
            f"no {vs.replace('_', ' ')} baseline for {_fmt(period)}: the data starts on {first.isoformat()}",
            f"{_fmt(period)} 没有{_BASELINE_ZH[vs]}可比：数据从 {first.isoformat()} 开始",
        )
    if vs == "forecast" and len(base_periods) < _FORECAST_PERIODS:
        notes.append(
            (
                f"the forecast averages {len(base_periods)} period(s), not {_FORECAST_PERIODS}: the data starts on {first.isoformat()}",
                f"预测值只平均了 {len(base_periods)} 个周期（而不是 {_FORECAST_PERIODS} 个）：数据从 {first.isoformat()} 开始",
            )
        )
    if period[0] <= last < period[1]:  # an unfinished period against the same part of the baselines
        days = (last - period[0]).days
        notes.append(
            (
                f"{_fmt(period)} is not over (the data ends on {last.isoformat()}): its first {days + 1} day(s) "
                "are compared with the same days of the baseline",
                f"{_fmt(period)} 尚未结束（数据截至 {last.isoformat()}）：只比较前 {days + 1} 天与基准期的相同天数",
            )
        )
        period = (period[0], last)
        base_periods = [(s, s + timedelta(days=days)) for s, _ in base_periods]
    after = _values(project, eng, closure, [period])
    before = _values(project, eng, closure, base_periods)
    drivers, res_before, res_after = _drivers(nodes, before, after, notes)
    entry = (project.spec.drivers or {}).get(metric)
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame] = {}
    parts = (
        _parts(project, eng, metric, entry.over, period, base_periods, memo)
        if entry and entry.over
        else _EMPTY
    )
    num_den = _ratio_parts(project, metric)
    mix: dict[str, pd.DataFrame] = {}
    causes = None
    if dims:
        if num_den is not None:
            for d in dims:
                try:
                    mix[d] = _mix(project, eng, num_den, d, period, base_periods, memo)
                except DataError as exc:  # e.g. a value with purchasers but no visitors
                    notes.append(
                        (f"no mix/rate split by {d}: {exc}", f"无法按 {d} 做结构/比率拆分：{exc.zh}")
                    )
                    continue
                _check_parts(mix[d], metric, d, before.get(metric), after.get(metric), notes)
        causes = _causes(project, eng, metric, num_den, dims, period, base_periods, max_causes, notes, memo)
    infos = {n: project.metric_info(n) for n in names}
    if not math.isfinite(after.get(metric, float("nan"))):
        notes.append((f"{metric} has no value in {_fmt(period)}", f"{metric} 在 {_fmt(period)} 没有数值"))
    return ExplainResult(
        metric=metric,
        grain=grain,
        period=period,
        baseline=vs,
        baseline_periods=tuple(base_periods),
        value=after.get(metric, float("nan")),
        baseline_value=before.get(metric, float("nan")),
        drivers=drivers,
        parts=parts,
        mix=mix,
        causes=causes,
        dimensions=dims,
        residual_before=res_before,
        residual_after=res_after,
        notes=tuple(en for en, _ in notes),
        notes_zh=tuple(zh for _, zh in notes),
        infos=infos,
    )


_EMPTY = pd.DataFrame()


def _cut_at_targets(nodes: list[DriverNode], targets: dict[str, float]) -> list[DriverNode]:
    """The tree cut at each inner node (below the root) that has a target while some metric under
    it has none: the node's own target is then the plan for that branch (a conversion target is
    used as given, not rebuilt from a purchasers figure nobody set). ``nodes`` is depth-first."""
    from dataclasses import replace

    under: dict[str, set[str]] = {}

    def leaves_of(name: str) -> set[str]:
        if name not in under:
            node = next((n for n in nodes if n.name == name), None)
            kids = node.children if node is not None and node.formula is not None else ()
            under[name] = set().union(*(leaves_of(k) for k in kids)) if kids else {name}
        return under[name]

    out: list[DriverNode] = []
    cut_depth: int | None = None
    for n in nodes:
        if cut_depth is not None and n.depth > cut_depth:
            continue
        cut_depth = None
        if (
            n.depth > 0
            and n.formula is not None
            and n.name in targets
            and not leaves_of(n.name) <= set(targets)
        ):
            out.append(replace(n, formula=None, children=()))
            cut_depth = n.depth
            continue
        out.append(n)
    return out


def _vs_target(
    project: Project,
    eng: Engine,
    metric: str,
    nodes: list[DriverNode],
    names: list[str],
    closure: list[str],
    full: tuple[date, date],
    grain: str,
    last: date,
    store: Any,
) -> ExplainResult:
    """The gap between the period's value and its target, split over the drivers' targets."""
    from northstar.analysis.bands import bands_for, is_additive, length_dependent, target_entries
    from northstar.spec.periods import Period

    notes: list[tuple[str, str]] = []
    span = Period(full[0], full[1], grain)
    period = full
    elapsed = None
    if full[0] <= last < full[1]:
        period, elapsed = (full[0], last), last
        notes.append(
            (
                f"{_fmt(full)} is not over (the data ends on {last.isoformat()}): counts and sums are compared with"
                f" their target prorated to the first {(last - full[0]).days + 1} day(s)",
                f"{_fmt(full)} 尚未结束（数据截至 {last.isoformat()}）：计数与求和类指标与按前 {(last - full[0]).days + 1} 天折算的目标比较",
            )
        )
    entries = target_entries(project, store)
    after = _values(project, eng, closure, [period])
    targets: dict[str, float] = {}
    partial: list[str] = []  # distinct counts in an unfinished period: no fair target to compare with
    for name in names:
        by_length = length_dependent(project, name)
        bands = bands_for(
            entries.get(name, []),
            span,
            additive=is_additive(project, name),
            length_dependent=by_length,
            elapsed=elapsed,
        )
        if bands is not None and bands.target is not None:
            if elapsed is not None and by_length:
                partial.append(name)
                continue
            targets[name] = bands.target
    if metric in partial:
        raise QueryError(
            f"{span.label} is not over and {metric} counts distinct entities: part of a period holds fewer"
            f" of them than the whole, so it cannot be compared with the period's target; explain a finished"
            f" {grain}, or use --vs previous",
            f"{span.label} 尚未结束，且 {metric} 基于去重计数：部分周期的去重数少于整个周期，不能与整期目标比较；"
            f"请分析已结束的{ {'day': '天', 'week': '周', 'month': '月'}.get(grain, grain) }，或使用 --vs previous",
        )
    if partial:
        notes.append(
            (
                f"{', '.join(partial)} count(s) distinct entities and {span.label} is not over: part of a period"
                " holds fewer of them than the whole, so their targets are not used (taken as on plan)",
                f"{'、'.join(partial)} 基于去重计数且 {span.label} 尚未结束：部分周期的去重数少于整个周期，"
                "因此不使用其目标（按达标处理）",
            )
        )
    if metric not in targets:
        raise QueryError(
            f"{metric} has no target for {span.label}: set one under 'targets:' (a period that holds it, or"
            f" per: {grain}) or with 'northstar targets set {metric} --period {span.label}'",
            f"{metric} 在 {span.label} 没有目标：请在 'targets:' 中设置（覆盖该周期，或 per: {grain}），"
            f"或用 'northstar targets set {metric} --period {span.label}'",
        )
    nodes = _cut_at_targets(nodes, targets)
    leaves = list(dict.fromkeys(n.name for n in nodes if n.formula is None and n.name != metric))
    missing = [n for n in leaves if n not in targets and n not in partial]
    if missing and len(nodes) > 1:
        notes.append(
            (
                f"no target for {', '.join(missing)} in {span.label}: taken as on plan (its actual value), so it"
                " explains none of the gap",
                f"{', '.join(missing)} 在 {span.label} 没有目标：按达标处理（取实际值），不解释差距",
            )
        )
    before = {n: targets.get(n, after.get(n, float("nan"))) for n in closure}
    before[metric] = targets[metric]
    generic: list[tuple[str, str]] = []  # _drivers' "do not add up in the baseline" is said better below
    drivers, res_before, res_after = _drivers(nodes, before, after, generic)
    notes += [n for n in generic if "in the baseline" not in n[0]]
    if (
        len(nodes) > 1
        and math.isfinite(res_before)
        and abs(res_before) > 1e-9 * max(abs(targets[metric]), 1.0)
    ):
        notes.append(
            (
                f"the drivers' targets give {metric} = {targets[metric] - res_before:,.6g}, not its own target"
                f" {targets[metric]:,.6g}: {-res_before:,.6g} of the gap is not explained by the drivers",
                f"按各驱动因素的目标计算 {metric} = {targets[metric] - res_before:,.6g}，与其自身目标"
                f" {targets[metric]:,.6g} 不一致：差距中有 {-res_before:,.6g} 无法由驱动因素解释",
            )
        )
    notes.append(
        (
            "parts, mix/rate and root causes need a baseline per slice, which targets do not give: see"
            " --vs previous for them",
            "结构拆分、结构/比率效应与根因需要每个切片的基准，目标没有提供：请用 --vs previous 查看",
        )
    )
    infos = {n: project.metric_info(n) for n in names}
    return ExplainResult(
        metric=metric,
        grain=grain,
        period=period,
        baseline="target",
        baseline_periods=(period,),
        value=after.get(metric, float("nan")),
        baseline_value=targets[metric],
        drivers=drivers,
        parts=_EMPTY,
        mix={},
        causes=None,
        dimensions=(),
        residual_before=res_before,
        residual_after=res_after,
        notes=tuple(en for en, _ in notes),
        notes_zh=tuple(zh for _, zh in notes),
        infos=infos,
    )


def _coverage(project: Project, engine: Engine, metrics: list[str]) -> tuple[date, date]:
    """The first and last day with data in the metrics' sources."""
    span = project.span(metrics, engine)
    if span is None:
        raise QueryError(
            "the metrics' sources hold no rows with a time: nothing to explain",
            "这些指标的数据源中没有带时间的行：无从归因",
        )
    return pd.Timestamp(span[0]).date(), pd.Timestamp(span[1]).date()


def _fmt(p: tuple[date, date]) -> str:
    return p[0].isoformat() if p[0] == p[1] else f"{p[0].isoformat()} – {p[1].isoformat()}"


def _period(day: date, grain: str) -> tuple[date, date]:
    start = truncate(pd.Timestamp(day), grain).date()
    end = (pd.Timestamp(start) + PERIOD_LENGTH[grain]).date() - timedelta(days=1)
    return start, end


def _baselines(period: tuple[date, date], grain: str, vs: str) -> list[tuple[date, date]]:
    start = period[0]
    if vs == "previous":
        steps = [PERIOD_LENGTH[grain]]
    elif vs == "last_year":
        steps = [shift(grain, "yoy", *period)]
    else:
        unit = relativedelta(days=7) if grain == "day" else PERIOD_LENGTH[grain]
        steps = [unit * k for k in range(1, _FORECAST_PERIODS + 1)]
    return [_period((pd.Timestamp(start) - s).date(), grain) for s in steps]


def _values(
    project: Project, engine: Engine, closure: list[str], periods: list[tuple[date, date]]
) -> dict[str, float]:
    """Each metric of ``closure`` over one period, or, over several (a forecast), the mean of
    the additive metrics with ratios and formulas computed from those means."""
    rows = [project.query(closure, start=s, end=e, engine=engine).frame.iloc[0] for s, e in periods]
    frame = pd.DataFrame(rows).reset_index(drop=True)
    if len(periods) == 1:
        return {n: float(frame[n].iloc[0]) for n in closure}
    mean = pd.DataFrame(index=[0])
    for name in closure:
        m = project.catalog.metrics[name]
        if m.kind == "ratio":
            mean[name] = safe_divide(
                mean[m.spec.numerator].astype("float64"), mean[m.spec.denominator].astype("float64")
            )
        elif m.kind == "formula":
            mean[name] = evaluate_formula(project.catalog.formula(name), mean)
        else:
            mean[name] = frame[name].astype("float64").mean()
    return {n: float(mean[n].iloc[0]) for n in closure}


def _drivers(
    nodes: list[DriverNode], before: dict[str, float], after: dict[str, float], notes: list[tuple[str, str]]
) -> tuple[pd.DataFrame, float, float]:
    from northstar.analysis.attribution import nested, rows_frame

    root = nodes[0]
    if root.formula is None:
        return _EMPTY, 0.0, 0.0
    tree = {n.name: n.formula.text for n in nodes if n.formula is not None}
    leaves = {n.name for n in nodes if n.formula is None}
    lb = {n: before[n] for n in leaves}
    la = {n: after[n] for n in leaves}
    bad = sorted(n for n in leaves if not (math.isfinite(lb[n]) and math.isfinite(la[n])))
    if bad:
        notes.append(
            (
                f"no driver split: {', '.join(bad)} has no value in one of the periods",
                f"无法拆分驱动因素：{', '.join(bad)} 在其中一个周期没有数值",
            )
        )
        return _EMPTY, float("nan"), float("nan")
    rows = nested(tree, lb, la, root=root.name, method=root.method)  # type: ignore[arg-type]
    frame = rows_frame(rows)
    tree_before = float(frame["value_before"].iloc[0])
    tree_after = float(frame["value_after"].iloc[0])
    res_b = before[root.name] - tree_before
    res_a = after[root.name] - tree_after
    for r, label in ((res_b, "baseline"), (res_a, "period")):
        if math.isfinite(r) and abs(r) > 1e-6 * max(abs(before[root.name]), abs(after[root.name]), 1.0):
            notes.append(
                (
                    f"the drivers of {root.name} do not multiply/add up to it in the {label}: residual {r:,.6g}",
                    f"{root.name} 的驱动因素在{'基准期' if label == 'baseline' else '本期'}与其不相等：残差 {r:,.6g}",
                )
            )
    return frame, res_b, res_a


def _parts(
    project: Project,
    engine: Engine,
    metric: str,
    dim: str,
    period: tuple[date, date],
    base: list[tuple[date, date]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> pd.DataFrame:
    """The metric per value of ``dim`` in both periods, with each value's share of the change."""
    frame = _pair(project, engine, [metric], [dim], period, base, memo)
    frame = frame.rename(columns={f"{metric}_real": "after", f"{metric}_expected": "before"})
    frame["change"] = frame["after"] - frame["before"]
    total = frame["change"].sum()
    frame["share"] = frame["change"] / total if total else np.nan
    return frame.sort_values("change", key=lambda s: -s.abs()).reset_index(drop=True)[
        [dim, "before", "after", "change", "share"]
    ]


def _ratio_parts(project: Project, metric: str) -> tuple[str, str] | None:
    """(numerator, denominator) of a ratio metric, or of a formula ``a / b``; else None."""
    m = project.catalog.metrics[metric]
    if m.kind == "ratio" and m.spec.numerator and m.spec.denominator:
        return m.spec.numerator, m.spec.denominator
    if m.kind == "formula":
        from sqlglot import exp

        tree = project.catalog.formula(metric).tree
        while isinstance(tree, exp.Paren):
            tree = tree.this
        if (
            isinstance(tree, exp.Div)
            and isinstance(tree.this, exp.Column)
            and isinstance(tree.expression, exp.Column)
        ):
            return tree.this.name, tree.expression.name
    return None


def _mix(
    project: Project,
    engine: Engine,
    num_den: tuple[str, str],
    dim: str,
    period: tuple[date, date],
    base: list[tuple[date, date]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> pd.DataFrame:
    from northstar.analysis.attribution import mix_rate

    num, den = num_den
    frame = _pair(project, engine, [num, den], [dim], period, base, memo)
    frame = frame.rename(
        columns={
            f"{m}_{old}": f"{m}_{new}"
            for m in (num, den)
            for old, new in (("real", "after"), ("expected", "before"))
        }
    )
    return mix_rate(frame, num, den, dim)


def _check_parts(
    frame: pd.DataFrame,
    metric: str,
    dim: str,
    before: float | None,
    after: float | None,
    notes: list[tuple[str, str]],
) -> None:
    """A note when the ratio of the parts' sums is not the metric (a distinct count over a
    dimension counts an entity in two values twice): the split then explains the former."""

    def ratio(col: str) -> float:
        den = float(frame[f"den_{col}"].sum())
        return (
            float((frame[f"rate_{col}"].fillna(0) * frame[f"den_{col}"]).sum()) / den if den else float("nan")
        )

    for got, want in ((ratio("before"), before), (ratio("after"), after)):
        if (
            want is not None
            and math.isfinite(want)
            and math.isfinite(got)
            and abs(got - want) > 1e-9 * max(abs(want), 1e-12)
        ):
            notes.append(
                (
                    f"{metric}'s parts do not add up over {dim} (an entity in two values counts twice): the mix/rate "
                    f"split explains the ratio of the parts' sums, {ratio('before'):.6g} → {ratio('after'):.6g}",
                    f"{metric} 的分子或分母按 {dim} 拆分后不可相加（同一对象出现在两个取值中会被计两次）："
                    f"结构/比率拆分解释的是各部分之和的比率 {ratio('before'):.6g} → {ratio('after'):.6g}",
                )
            )
            return
