"""OKRs (``okrs:``): progress of key results from the data, weighted roll-ups, guardrails.

For an objective over its period P (``2026-Q4``) as of the last day with data T (or the period's
end, when over):

- A key result **bound to a metric** has ``value`` = the metric over [P.start, min(P.end, T)]
  (period to date). ``start`` defaults to the metric's value over the period before P (a rate: "from
  24 % to 28 %"), or 0 for a count or a sum (a cumulative key result: "3 M in won deals this
  quarter"). Progress = (value − start) / (target − start), clipped to [0, 1]; a lower-is-better
  metric works the same way, its target being below its start.
- A cumulative key result (count or sum) also gets a **pace** (:func:`northstar.analysis.pacing.pace`
  over the daily values: the expected share of the target by T from the usual week, the projected
  end-of-period value, on track or not).
- A key result **graded by hand** has progress = its ``grade``.
- The objective's progress = Σ weightᵢ · progressᵢ / Σ weightᵢ over its key results with a
  progress (a metric without data has none; the note says so).
- **Guardrails** are watch rules (:func:`northstar.spec.goals.guardrail_rules`); here each is
  reported with its value over the period to date and whether it holds, and ``northstar watch``
  raises an alert on a day that breaches it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from northstar.analysis.bands import is_additive
from northstar.analysis.pacing import Pacing
from northstar.analysis.period_values import period_values
from northstar.analysis.scorecards import pace_metric, window_open
from northstar.errors import QueryError
from northstar.spec.periods import Period
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

__all__ = ["GuardrailStatus", "KeyResultProgress", "OkrResult", "run_okrs"]


@dataclass(frozen=True)
class KeyResultProgress:
    metric: str | None
    label: str
    label_zh: str
    weight: float
    start: float | None
    target: float | None
    value: float | None
    progress: float | None  # 0–1
    graded_by_hand: bool
    pacing: Pacing | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "label_zh": self.label_zh,
            "weight": self.weight,
            "start": self.start,
            "target": self.target,
            "value": self.value,
            "progress": self.progress,
            "graded_by_hand": self.graded_by_hand,
            "pacing": self.pacing.to_dict() if self.pacing else None,
        }


@dataclass(frozen=True)
class GuardrailStatus:
    metric: str
    label: str
    label_zh: str
    floor: float | None
    ceiling: float | None
    value: float | None
    holds: bool | None
    rule: str  # the watch rule that raises its alerts

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "label_zh": self.label_zh,
            "floor": self.floor,
            "ceiling": self.ceiling,
            "value": self.value,
            "holds": self.holds,
            "watch_rule": self.rule,
        }


@dataclass(frozen=True)
class OkrResult:
    name: str
    objective: str
    objective_zh: str
    owner: str | None
    team: str | None
    period: Period
    through: date
    progress: float | None
    key_results: tuple[KeyResultProgress, ...]
    guardrails: tuple[GuardrailStatus, ...]
    notes: tuple[str, ...] = field(default=())
    notes_zh: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "okr": self.name,
            "objective": self.objective,
            "objective_zh": self.objective_zh,
            "owner": self.owner,
            "team": self.team,
            "period": self.period.label,
            "through": self.through.isoformat(),
            "progress": self.progress,
            "key_results": [k.to_dict() for k in self.key_results],
            "guardrails": [g.to_dict() for g in self.guardrails],
            "notes": list(self.notes),
            "notes_zh": list(self.notes_zh),
        }


def run_okrs(
    project: Project, names: list[str] | None = None, *, engine: Engine | None = None
) -> list[OkrResult]:
    """Progress of the OKRs ``names`` (default: all), in the order written."""
    okrs = project.spec.okrs or {}
    for n in names or []:
        if n not in okrs:
            raise QueryError(
                f"there is no OKR {n!r}" + did_you_mean(n, okrs),
                f"没有名为 {n!r} 的 OKR" + did_you_mean(n, okrs, "zh"),
            )
    eng = engine or project.engine
    return [_one(project, n, eng) for n in (names or list(okrs))]


def _one(project: Project, name: str, eng: Engine) -> OkrResult:
    okr = project.spec.okrs[name]
    p = okr.span
    metrics = sorted({kr.metric for kr in okr.key_results if kr.metric} | {g.metric for g in okr.guardrails})
    span = project.span(metrics, eng) if metrics else None
    last = span[1].date() if span else p.end
    through = min(p.end, last)
    notes: list[str] = []
    notes_zh: list[str] = []
    started = through >= p.start
    if not started:
        notes.append(f"the period has not started in the data: the last day with data is {last.isoformat()}")
        notes_zh.append(f"数据中该周期尚未开始：最后一天数据为 {last.isoformat()}")
    elif through < p.end:
        notes.append(
            f"values are to date: {p.start.isoformat()} – {through.isoformat()} ({(through - p.start).days + 1} of {p.days} days)"
        )
        notes_zh.append(
            f"数值为截至目前：{p.start.isoformat()} – {through.isoformat()}（共 {p.days} 天中的 {(through - p.start).days + 1} 天）"
        )
    now: dict[str, float | None] = {}
    if metrics and started:
        now, q_notes, q_notes_zh = period_values(project, metrics, p.start, through, eng)
        notes += q_notes
        notes_zh += q_notes_zh
    prev = p.previous()
    rates = [
        kr.metric
        for kr in okr.key_results
        if kr.metric and kr.start is None and not is_additive(project, kr.metric)
    ]
    before = period_values(project, sorted(set(rates)), prev.start, prev.end, eng)[0] if rates else {}
    krs: list[KeyResultProgress] = []
    for kr in okr.key_results:
        label = (kr.label.en if kr.label and kr.label.en else None) or (
            project.metric_info(kr.metric).label if kr.metric else "?"
        )
        label_zh = (kr.label.zh if kr.label and kr.label.zh else None) or (
            project.metric_info(kr.metric).label_zh if kr.metric else label
        )
        if kr.metric is None:
            krs.append(KeyResultProgress(None, label, label_zh, kr.weight, None, None, None, kr.grade, True))
            continue
        additive = is_additive(project, kr.metric)
        start = kr.start if kr.start is not None else (0.0 if additive else before.get(kr.metric))
        value = now.get(kr.metric)
        progress = _progress(value, start, kr.target)
        window = window_open(project, kr.metric, through, eng) if started else None
        if window and value is not None:
            progress = None  # a repeat rate or conversion still rising: no progress to report yet
            notes.append(
                f"{kr.metric}: its {window} window has not closed for everyone who entered by {through.isoformat()}:"
                " the value is provisional, so the key result has no progress yet"
            )
            notes_zh.append(
                f"{kr.metric}：截至 {through.isoformat()} 仍有对象的 {window} 观察期未结束，数值为暂定，该关键结果暂无进度"
            )
        if start is None and kr.start is None:
            notes.append(
                f"{kr.metric}: no value for {prev.label} to start from; give 'start' in the key result"
            )
            notes_zh.append(f"{kr.metric}：{prev.label} 没有数值可作为起点；请在关键结果中写明 start")
        pacing = None
        if additive and started and kr.target is not None:
            pacing = pace_metric(project, kr.metric, p, through, kr.target, eng)
        krs.append(
            KeyResultProgress(
                kr.metric, label, label_zh, kr.weight, start, kr.target, value, progress, False, pacing
            )
        )
    scored = [k for k in krs if k.progress is not None]
    total = sum(k.weight for k in scored)
    progress = sum(k.weight * (k.progress or 0.0) for k in scored) / total if total > 0 else None
    missing = [k.label for k in krs if k.progress is None]
    if missing:
        notes.append(
            f"no progress yet (no data, or provisional): {', '.join(missing)}; the objective's progress is over the others"
        )
        notes_zh.append(f"暂无进度（没有数据或数值暂定）：{', '.join(missing)}；目标进度按其余关键结果计算")
    guards: list[GuardrailStatus] = []
    for g in okr.guardrails:
        value = now.get(g.metric)
        holds = None
        if value is not None:
            holds = (g.floor is None or value >= g.floor) and (g.ceiling is None or value <= g.ceiling)
        info = project.metric_info(g.metric)
        rule = f"{name}__{g.metric}__{'floor' if g.floor is not None else 'ceiling'}"
        guards.append(
            GuardrailStatus(g.metric, info.label, info.label_zh, g.floor, g.ceiling, value, holds, rule)
        )
    title = okr.objective.en or okr.objective.zh or name
    return OkrResult(
        name,
        title,
        okr.objective.zh or title,
        okr.owner,
        okr.team,
        p,
        through,
        progress,
        tuple(krs),
        tuple(guards),
        tuple(notes),
        tuple(notes_zh),
    )


def _progress(value: float | None, start: float | None, target: float | None) -> float | None:
    if value is None or start is None or target is None or not math.isfinite(value):
        return None
    if target == start:
        return 1.0 if value == target else 0.0
    return min(max((value - start) / (target - start), 0.0), 1.0)
