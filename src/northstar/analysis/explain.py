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
a dimension of more than 50 values) a pre-pass on one GROUP BY per dimension keeps the values that
moved unlike their siblings, the slice search of :mod:`northstar.analysis.slice_test`
replaces RiskLoc, and each cause is drilled down within its slice (:mod:`northstar.analysis.drill`;
see ``_leaves``).
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
from northstar.compile.request import PERIOD_LENGTH, parse_date, shift, truncate
from northstar.errors import DataError, QueryError
from northstar.results import MetricInfo
from northstar.spec.expressions import evaluate_formula, safe_divide
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.analysis.rootcause import RootCauses
    from northstar.analysis.slice_test import SliceSearch, ValueTest
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


def _by(
    project: Project,
    engine: Engine,
    metrics: list[str],
    dims: list[str],
    periods: list[tuple[date, date]],
    where: str | None = None,
) -> pd.DataFrame:
    """``metrics`` grouped by ``dims`` by the engine over each period; over several periods (a
    forecast) the mean per combination, a combination absent from a period counting 0."""
    frames = []
    for s, e in periods:
        f = project.query(metrics, by=dims, start=s, end=e, engine=engine, where=where).frame
        frames.append(f[[*dims, *metrics]])
    frame = pd.concat(frames, ignore_index=True)
    for d in dims:
        frame[d] = frame[d].astype("object").where(frame[d].notna(), "(none)").astype(str)
    out = frame.groupby(dims, dropna=False)[metrics].sum(min_count=1).reset_index()
    out[metrics] = out[metrics].astype("float64").fillna(0.0) / len(periods)
    return out


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


def _causes(
    project: Project,
    engine: Engine,
    metric: str,
    num_den: tuple[str, str] | None,
    dims: tuple[str, ...],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    max_causes: int,
    notes: list[tuple[str, str]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> RootCauses | None:
    from northstar.analysis.rootcause import localize, localize_ratio
    from northstar.analysis.wide_tables import wide_root_causes

    kind = project.catalog.metrics[metric].kind
    measures = list(num_den) if num_den is not None else [metric]
    fast = wide_root_causes(project, engine, measures, dims, period, base, max_causes, memo, _is_wide, notes)
    if fast is not None:
        return fast
    if num_den is not None:
        num, den = num_den
        leaves, kept, slices = _leaves(
            project, engine, [num, den], dims, period, base, notes, memo, ratio=True
        )
        found = localize_ratio(
            leaves,
            kept,
            f"{num}_real",
            f"{num}_expected",
            f"{den}_real",
            f"{den}_expected",
            max_causes=max_causes,
            slices=slices,
        )
        if slices is None:
            return found
        den_real = float(leaves[f"{den}_real"].sum())
        return _drilled(project, engine, [num, den], dims, period, base, found, slices.phi, den_real)
    if kind in ("ratio", "formula"):
        notes.append(
            (
                f"root causes need an additive metric or a ratio; {metric} is a formula that is neither",
                f"根因定位需要可加指标或比率指标；{metric} 是其他形式的公式",
            )
        )
        return None
    if kind not in ("count", "sum"):
        notes.append(
            (
                f"{metric} ({kind}) does not add up over dimension values: root causes treat each slice's value as its part",
                f"{metric}（{kind}）按维度取值不可直接相加：根因定位把每个切片的值当作其组成部分",
            )
        )
    leaves, kept, slices = _leaves(project, engine, [metric], dims, period, base, notes, memo, ratio=False)
    found = localize(
        leaves, kept, f"{metric}_real", f"{metric}_expected", max_causes=max_causes, slices=slices
    )
    if slices is None:
        return found
    return _drilled(project, engine, [metric], dims, period, base, found, slices.phi, 0.0)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _drilled(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: tuple[str, ...],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    causes: RootCauses,
    phi: float,
    den_real: float,
) -> RootCauses:
    """Each cause drilled down (:func:`northstar.analysis.drill.drill`), its figures from the
    engine's totals under the drilled combination (``den_real``: a ratio's real denominator)."""
    from dataclasses import replace

    from northstar.analysis.drill import drill
    from northstar.analysis.rootcause import NONE_LABEL

    ratio = len(measures) == 2

    def condition(combo: dict[str, str] | tuple[tuple[str, str], ...]) -> str:
        return " and ".join(f"{a} = {_quote(v)}" for a, v in sorted(dict(combo).items()))

    def within(combo: dict[str, str], by: list[str], exclude: tuple[str, ...] = ()) -> pd.DataFrame:
        where = " and ".join([condition(combo), *(f"not ({x})" for x in exclude)])
        keys = by or sorted(combo)  # the totals: grouped by the combination's own (fixed) values
        after = _by(project, engine, measures, keys, [period], where)
        before = _by(project, engine, measures, keys, base, where)
        return after.merge(before, on=keys, how="outer", suffixes=("_real", "_expected")).fillna(0.0)

    def fetch(dim: str, combo: dict[str, str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        frame = within(combo, [dim], exclude)
        real, expected = _test_values(frame, measures, ratio)
        return [str(v) for v in frame[dim]], real, expected

    out, explained = [], causes.explained
    for c in causes.causes:
        # the other causes' rows are left out of the drill: their fall is theirs, not this slice's
        exclude = tuple(
            condition(o.combination)
            for o in causes.causes
            if o is not c and not any(v in (OTHER, NONE_LABEL) for _, v in o.combination)
        )
        combo = drill(dict(c.combination), list(dims), fetch, phi, c.change, blocked=(OTHER, NONE_LABEL))
        if combo == dict(c.combination):
            out.append(c)
            continue
        t = within(combo, [])
        if ratio:
            num, den = measures
            nr, ne = float(t[f"{num}_real"].sum()), float(t[f"{num}_expected"].sum())
            dr, de = float(t[f"{den}_real"].sum()), float(t[f"{den}_expected"].sum())
            real = nr / dr if dr else 0.0
            expected = ne / de if de else 0.0
            share = ((nr - ne) - causes.total_expected * (dr - de)) / den_real / causes.total_change
        else:
            real, expected = float(t[f"{measures[0]}_real"].sum()), float(t[f"{measures[0]}_expected"].sum())
            share = (real - expected) / causes.total_change
        explained += share - c.share
        combination = tuple(sorted(combo.items()))
        out.append(
            replace(
                c,
                combination=combination,
                real=real,
                expected=expected,
                change=real - expected,
                share=share,
                layer=len(combination),
            )
        )
    out.sort(key=lambda c: -abs(c.share))
    return replace(causes, causes=tuple(out), explained=explained)


MAX_LEAF_DIMS = 6  # dimensions the leaf table keeps: C(6,1)+C(6,2)+C(6,3) = 41 cuboids to search
MAX_VALUES = 50  # values kept per dimension; the others are pooled as "(other)"
OTHER = "(other)"


def _is_wide(labels: list[list[str]]) -> bool:
    """More than :data:`MAX_LEAF_DIMS` dimensions, or one of more than :data:`MAX_VALUES` values."""
    return len(labels) > MAX_LEAF_DIMS or any(len(v) > MAX_VALUES for v in labels)


def _leaves(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: tuple[str, ...],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    notes: list[tuple[str, str]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
    ratio: bool,
) -> tuple[pd.DataFrame, tuple[str, ...], SliceSearch | None]:
    """The leaf table the root-cause search reads, grouped by the engine: one row per combination
    of the kept dimensions' values, ``{measure}_real`` and ``{measure}_expected`` per measure.

    With many dimensions or values the table is kept small before any leaf is fetched: the engine
    first groups by each dimension alone, and each value gets its *signal*, the change it carries
    (for a ratio, its contribution to the ratio's change: Δnum − R_expected·Δden). A dimension
    keeps its :data:`MAX_VALUES` values of largest |signal| and pools the rest as ``(other)``;
    with more than :data:`MAX_LEAF_DIMS` dimensions, those whose values moved most clearly
    (:func:`_strength`) are kept. A root cause over kept values moves its values' totals by at least its own
    change, so it survives the cut unless the change is spread over more values than are kept.

    **Wide data** (more than :data:`MAX_LEAF_DIMS` dimensions, or one of more than
    :data:`MAX_VALUES` values): the same per-dimension GROUP BYs feed the value test of
    :mod:`northstar.analysis.slice_test` (each value's log ratio against its dimension's typical
    one, Poisson noise plus a wobble φ read from the data). If some values moved clearly, the leaf
    table is built over the dimensions holding them (at most :data:`MAX_LEAF_DIMS`, by their
    largest |z|), with those values and the rest pooled as ``(other)``; otherwise it is built as
    above. Either way the search on a wide table is the slice search (a combination is a cause
    when it moved unlike the rest of the leaves, at 1 % family-wise over every combination of the
    dimensions of ``by``), not RiskLoc's per-leaf rule: with thousands of values most leaves hold a
    handful of events, and per-leaf deviations are noise. Each cause found is then drilled down
    (:mod:`northstar.analysis.drill`: within the slice, one GROUP BY per other dimension, and a
    value that holds the slice's change joins it). Narrow tables keep RiskLoc, which B0 and the
    generated cases measure."""
    from northstar.analysis.slice_test import SliceSearch, value_test

    dims_l = list(dims)
    signal: dict[str, pd.Series] = {}
    strength: dict[str, float] = {}
    margins: dict[str, pd.DataFrame] = {}
    for d in dims_l:  # one small GROUP BY per dimension
        marg = margins[d] = _pair(project, engine, measures, [d], period, base, memo)
        signal[d] = _signal(marg, measures, ratio).set_axis(marg[d])
        strength[d] = _strength(marg, signal[d].to_numpy(), measures[0])
    wide = len(dims_l) > MAX_LEAF_DIMS or any(len(m) > MAX_VALUES for m in margins.values())
    test = value_test({d: _test_values(margins[d], measures, ratio) for d in dims_l})
    moved = [d for d in dims_l if test.significant(d).any()]
    if wide and moved:
        leaves, kept_dims = _significant_leaves(
            project, engine, measures, dims_l, moved, margins, test, period, base, notes, memo
        )
        return (
            leaves,
            kept_dims,
            SliceSearch(test.phi, OTHER, {d: len(margins[d]) for d in kept_dims}, len(dims_l)),
        )
    kept = dims_l
    if len(dims_l) > MAX_LEAF_DIMS:
        kept = sorted(dims_l, key=lambda d: -strength[d])[:MAX_LEAF_DIMS]
        kept = [d for d in dims_l if d in kept]  # the caller's order
        dropped = [d for d in dims_l if d not in kept]
        notes.append(
            (
                f"root causes searched over the {MAX_LEAF_DIMS} dimensions whose values moved most: {', '.join(kept)} "
                f"(not {', '.join(dropped)})",
                f"根因只在变化最大的 {MAX_LEAF_DIMS} 个维度中搜索：{', '.join(kept)}（未含 {', '.join(dropped)}）",
            )
        )
    leaves = _pair(project, engine, measures, kept, period, base, memo)
    pooled = []
    for d in kept:
        top = signal[d].abs().sort_values(ascending=False)
        if len(top) > MAX_VALUES:
            keep = set(top.index[:MAX_VALUES])
            leaves[d] = leaves[d].where(leaves[d].isin(keep), OTHER)
            pooled.append(d)
    if pooled:
        cols = [c for c in leaves.columns if c not in kept]
        leaves = leaves.groupby(kept, dropna=False)[cols].sum().reset_index()
        notes.append(
            (
                f"values beyond the {MAX_VALUES} that moved most are pooled as {OTHER} in: {', '.join(pooled)}",
                f"以下维度中变化最大的 {MAX_VALUES} 个取值之外的取值合并为 {OTHER}：{', '.join(pooled)}",
            )
        )
    merged = []
    while len(kept) > 1 and _leaf_noise(leaves, measures, ratio) > NOISY_LEAVES:
        weakest = min(kept, key=lambda d: strength[d])
        kept = [d for d in kept if d != weakest]
        merged.append(weakest)
        cols = [c for c in leaves.columns if c not in (*kept, weakest)]
        leaves = leaves.groupby(kept, dropna=False)[cols].sum().reset_index()
    if merged:
        notes.append(
            (
                f"too few rows per combination to judge each one: root causes searched over {', '.join(kept)} "
                f"(leaves merged over {', '.join(merged)}, the dimensions whose values moved least clearly)",
                f"每个组合的数据太少，无法逐一判断：根因只在 {', '.join(kept)} 上搜索"
                f"（已合并 {', '.join(merged)}，即取值变化最小的维度）",
            )
        )
    if not wide:
        return leaves, tuple(kept), None
    # Wide, and no single value moved clearly: the combinations are still judged by the slice test,
    # so that noise over thousands of leaves does not come out as causes.
    return leaves, tuple(kept), SliceSearch(test.phi, OTHER, {d: len(margins[d]) for d in kept}, len(dims_l))


def _test_values(frame: pd.DataFrame, measures: list[str], ratio: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per row (a dimension value): (real, expected) for the slice test; for a ratio num/den the
    real numerator and what the real denominator would have brought at the row's expected ratio
    (the overall expected ratio where the row had no expected denominator)."""
    if not ratio:
        m = measures[0]
        return frame[f"{m}_real"].to_numpy(dtype="float64"), frame[f"{m}_expected"].to_numpy(dtype="float64")
    num, den = measures
    ne, de = (
        frame[f"{num}_expected"].to_numpy(dtype="float64"),
        frame[f"{den}_expected"].to_numpy(dtype="float64"),
    )
    overall = float(ne.sum()) / float(de.sum()) if de.sum() else 0.0
    rate = np.divide(ne, de, out=np.full_like(ne, overall), where=de != 0)
    return frame[f"{num}_real"].to_numpy(dtype="float64"), frame[f"{den}_real"].to_numpy(
        dtype="float64"
    ) * rate


def _significant_leaves(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: list[str],
    moved: list[str],
    margins: dict[str, pd.DataFrame],
    test: ValueTest,
    period: tuple[date, date],
    base: list[tuple[date, date]],
    notes: list[tuple[str, str]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The leaf table when some single values moved unlike their siblings (the slice test,
    :mod:`northstar.analysis.slice_test`): the dimensions holding such values, at most
    :data:`MAX_LEAF_DIMS` of them by their largest |z|, each with its significant values (at most
    :data:`MAX_VALUES`, by |z|) and the rest pooled as ``(other)``; then one GROUP BY over them."""
    kept = sorted(moved, key=lambda d: -test.strength(d))[:MAX_LEAF_DIMS]
    kept = [d for d in dims if d in kept]  # the caller's order
    leaves = _pair(project, engine, measures, kept, period, base, memo)
    for d in kept:
        z = np.abs(test.z[d])
        order = np.argsort(-z)[: min(MAX_VALUES, int(test.significant(d).sum()))]
        keep = set(margins[d][d].iloc[order])
        if len(keep) < len(margins[d]):
            leaves[d] = leaves[d].where(leaves[d].isin(keep), OTHER)
    cols = [c for c in leaves.columns if c not in kept]
    leaves = leaves.groupby(kept, dropna=False)[cols].sum().reset_index()
    dropped = [d for d in dims if d not in kept]
    notes.append(
        (
            f"root causes searched over the values that moved unlike the other values of their dimension, "
            f"in {', '.join(kept)}; the other values are pooled as {OTHER}"
            + (f"; no such value in {', '.join(dropped)}" if dropped else ""),
            f"根因只在与同维度其他取值变化明显不同的取值中搜索，维度：{', '.join(kept)}；"
            f"其余取值合并为 {OTHER}" + (f"；{', '.join(dropped)} 中没有这样的取值" if dropped else ""),
        )
    )
    return leaves, tuple(kept)


# A typical leaf's relative deviation (robust sigma) beyond which leaves are merged: the search's
# cutoff is three sigmas, and at 3 × 0.5 = 1.5 (of the deviation's range, ±2) only a leaf that lost
# 86 % of its value, or grew sevenfold, would stand out, so a slice whose leaves each moved less is
# only seen as pieces; merging over the dimension that moved least makes the leaves big enough.
NOISY_LEAVES = 0.5


def _leaf_noise(leaves: pd.DataFrame, measures: list[str], ratio: bool) -> float:
    """The typical relative deviation of a leaf between the periods, as a robust sigma
    (median |d| / 0.6745, d = 2(expected − real) / (|expected| + |real|), the median weighted by
    the leaves' value |expected| + |real|, so that many tiny leaves do not outvote where the value
    is): the noise the root-cause search must see through, leaf by leaf. For a ratio, of its
    numerator and denominator, whichever is noisier."""
    noise = 0.0
    for m in measures:
        real = leaves[f"{m}_real"].to_numpy(dtype="float64")
        expected = leaves[f"{m}_expected"].to_numpy(dtype="float64")
        scale = np.abs(real) + np.abs(expected)
        some = scale > 0
        if not some.any():
            continue
        d = np.abs(2 * (expected[some] - real[some]) / scale[some])
        order = np.argsort(d)
        weight = np.cumsum(scale[some][order])
        median = float(d[order][np.searchsorted(weight, weight[-1] / 2)])  # half the value is noisier
        noise = max(noise, median / 0.6745)
    return noise


def _pair(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: list[str],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> pd.DataFrame:
    """``measures`` by ``dims`` in the period (``_real``) and the baseline (``_expected``), each
    pair fetched once per explanation (``memo``: the parts, the mix/rate split and the root-cause
    search group by the same dimension alone)."""
    key = (tuple(measures), tuple(dims))
    if key not in memo:
        after = _by(project, engine, measures, dims, [period])
        before = _by(project, engine, measures, dims, base)
        memo[key] = after.merge(before, on=dims, how="outer", suffixes=("_real", "_expected")).fillna(0.0)
    return memo[key].copy()


def _strength(frame: pd.DataFrame, signal: np.ndarray, measure: str) -> float:
    """How clearly a dimension's values moved: the largest Δ² / (|real| + |expected|) over its
    values (Δ: the signal; for counts, Pearson's chi-square term of the value), so a small value
    that halved counts more than a big one that moved by its usual noise."""
    scale = frame[f"{measure}_real"].abs().to_numpy() + frame[f"{measure}_expected"].abs().to_numpy()
    if not len(signal):
        return 0.0
    terms = np.divide(signal**2, scale, out=np.zeros(len(signal)), where=scale > 0)
    return float(terms.max())


def _signal(frame: pd.DataFrame, measures: list[str], ratio: bool) -> pd.Series:
    """Per row: the change it carries (for a ratio num/den, Δnum − R_expected·Δden)."""
    if not ratio:
        m = measures[0]
        return (frame[f"{m}_real"] - frame[f"{m}_expected"]).reset_index(drop=True)
    num, den = measures
    den_exp = float(frame[f"{den}_expected"].sum())
    r_exp = float(frame[f"{num}_expected"].sum()) / den_exp if den_exp else 0.0
    d_num = frame[f"{num}_real"] - frame[f"{num}_expected"]
    d_den = frame[f"{den}_real"] - frame[f"{den}_expected"]
    return (d_num - r_exp * d_den).reset_index(drop=True)
