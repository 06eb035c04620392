"""Goals in ``northstar.yml``: ``targets:``, ``scorecards:`` and ``okrs:``.

``targets:`` — per metric, a list of bands per period (the seed: "now 1.5 %, industry 3 % → set
2.2 % as the next step"); a value is a number or a percentage::

    targets:
      conversion_rate:
        - period: 2026-Q4          # 2026, 2026-Q4, 2026-11, 2026-W47 or 2026-11-27
          per: week                # optional: the bands hold for each week of the quarter
          floor: 1.8%              # below it: a problem
          target: 2.1%
          stretch: 2.4%            # a breakthrough
          set_by: maya.chen@example.com
          why: "1.5 % now, industry 3 %: step 1 of 3"

``scorecards:`` — per team, the KPIs and their weights; weights are effective-dated (a list of
``from:`` dates, each with the weight of every item), so history is scored with the weights in
force at the time. An item is a metric (scored against its target) or another scorecard (a
roll-up: the company's card weighs the teams' cards)::

    scorecards:
      marketing:
        kpis:
          roas: {scoring: linear, cap: 120%}
          cac: {}                          # linear, lower is better (the metric's direction)
        weights:
          - {from: 2026-08-03, roas: 50%, cac: 50%}
          - {from: 2026-11-16, roas: 70%, cac: 30%, why: "Q4: return on spend first"}

``okrs:`` — objectives with weighted key results, bound to a metric (progress from the data) or
graded by hand, and guardrail KPIs whose breach raises an alert through ``watch``::

    okrs:
      repeat_business:
        objective: {en: Make first-time buyers come back, zh: 让首购用户回购}
        period: 2026-Q4
        key_results:
          - {metric: repurchase_30d, start: 18%, target: 22%, weight: 2}
          - {label: Launch the loyalty programme, grade: 0.7}
        guardrails:
          - {metric: return_rate, ceiling: 8%}

Shapes are checked here; names (metrics, scorecards), weights that do not add up to 100 %,
bands in the wrong order for the metric's direction and roll-up loops are checked by
:mod:`northstar.spec.goal_rules`. Scoring and progress are computed by
:mod:`northstar.analysis.scorecards` and :mod:`northstar.analysis.okrs`.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any, Literal

from pydantic import Field, RootModel, field_validator, model_validator

from northstar.spec.models import LocalText, Strict
from northstar.spec.periods import Period, parse_period
from northstar.spec.watch import WatchRule, parse_threshold

__all__ = [
    "Guardrail",
    "KeyResult",
    "MetricTargets",
    "Okr",
    "Scorecard",
    "ScorecardItem",
    "TargetEntry",
    "WeightSet",
    "guardrail_rules",
]

BANDS = ("floor", "target", "stretch")


def _number(value: Any) -> Any:
    return None if value is None else parse_threshold(value)


def _period_text(value: Any) -> Any:
    if isinstance(value, date | int):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


class TargetEntry(Strict):
    """The bands of one metric for one period, and who set them and why."""

    period: str
    per: Literal["day", "week", "month", "quarter"] | None = None  # bands for each such part of the period
    floor: float | None = None
    target: float | None = None
    stretch: float | None = None
    set_by: str | None = None
    set_on: date | None = None
    why: str | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        value = _period_text(value)
        parse_period(value)
        return value

    @field_validator("floor", "target", "stretch", mode="before")
    @classmethod
    def _band(cls, value: Any) -> Any:
        return _number(value)

    @model_validator(mode="after")
    def _some_band(self) -> TargetEntry:
        if self.floor is None and self.target is None and self.stretch is None:
            raise ValueError("give at least one of floor, target, stretch")
        if self.per is not None and not parse_period(self.period).coarser_than(self.per):
            raise ValueError(f"per: {self.per} must be shorter than the period {self.period}")
        return self

    @property
    def span(self) -> Period:
        return parse_period(self.period)

    def misordered(self, lower: bool) -> list[tuple[str, float, str, float]]:
        """The neighbouring bands given in the wrong order for the metric's direction (higher is
        better: floor ≤ target ≤ stretch; lower is better: floor ≥ target ≥ stretch)."""
        given = [(n, v) for n in BANDS if (v := getattr(self, n)) is not None]
        return [(n1, v1, n2, v2) for (n1, v1), (n2, v2) in pairwise(given) if (v1 < v2 if lower else v1 > v2)]


class MetricTargets(RootModel[list[TargetEntry]]):
    """``targets: {metric: [entry, …]}`` — one metric's entries."""

    model_config = {"frozen": True}

    @field_validator("root", mode="before")
    @classmethod
    def _one(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class ScorecardItem(Strict):
    """How one item of a scorecard is scored (a metric against its target)."""

    scoring: Literal["linear", "threshold"] = "linear"
    cap: float = Field(default=1.2, gt=0)  # linear: the most an item can score (120 %)
    direction: Literal["higher", "lower"] | None = None  # default: the metric's direction
    label: LocalText | None = None

    @field_validator("cap", mode="before")
    @classmethod
    def _cap(cls, value: Any) -> Any:
        return _number(value)


class WeightSet(Strict):
    """The weights in force from a date (until the next set's date)."""

    start: date = Field(alias="from")
    weights: dict[str, float]
    set_by: str | None = None
    why: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, value: Any) -> Any:
        """``{from: 2026-11-16, roas: 70%, cac: 30%}``: every other key is an item's weight."""
        if not isinstance(value, dict) or "weights" in value:
            return value
        fixed = {k: value[k] for k in ("from", "set_by", "why") if k in value}
        weights = {str(k): v for k, v in value.items() if k not in fixed}
        return {**fixed, "weights": weights}

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for name, weight in value.items():
            number = parse_threshold(weight)
            if number < 0:
                raise ValueError(f"the weight of {name!r} is negative ({weight})")
            out[str(name)] = number
        return out


class Scorecard(Strict):
    """A team's (or the company's) scorecard: its items, their scoring and their dated weights."""

    label: LocalText | None = None
    team: str | None = None  # default: the scorecard's name, when a team has that name
    grain: Literal["week", "month", "quarter"] = "week"
    kpis: dict[str, ScorecardItem] = Field(default_factory=dict)
    weights: list[WeightSet]
    max_weight: float | None = None  # e.g. 70%: no single item may weigh more

    @field_validator("kpis", mode="before")
    @classmethod
    def _kpis(cls, value: Any) -> Any:
        if isinstance(value, list):  # kpis: [roas, cac] — every item scored the default way
            return {str(v): {} for v in value}
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @field_validator("max_weight", mode="before")
    @classmethod
    def _max(cls, value: Any) -> Any:
        return _number(value)

    @field_validator("weights", mode="after")
    @classmethod
    def _ordered(cls, value: list[WeightSet]) -> list[WeightSet]:
        if not value:
            raise ValueError("give at least one set of weights: - {from: 2026-01-05, kpi_a: 60%, kpi_b: 40%}")
        dates = [w.start for w in value]
        if len(set(dates)) != len(dates):
            raise ValueError("two weight sets start on the same date")
        return sorted(value, key=lambda w: w.start)

    def weights_on(self, day: date) -> WeightSet | None:
        """The set in force on ``day``: the latest that starts on or before it."""
        current = None
        for ws in self.weights:
            if ws.start <= day:
                current = ws
        return current


class KeyResult(Strict):
    """A key result: bound to a metric (progress from the data) or graded by hand (0–1)."""

    metric: str | None = None
    label: LocalText | None = None
    start: float | None = None  # default: the metric's value in the period before the OKR's
    target: float | None = None
    grade: float | None = Field(default=None, ge=0, le=1)
    weight: float = Field(default=1.0, gt=0)

    @field_validator("start", "target", mode="before")
    @classmethod
    def _value(cls, value: Any) -> Any:
        return _number(value)

    @model_validator(mode="after")
    def _bound(self) -> KeyResult:
        if self.metric is None and self.grade is None:
            raise ValueError("a key result needs 'metric' (with 'target') or a hand 'grade' between 0 and 1")
        if self.metric is not None and self.target is None:
            raise ValueError(f"key result on {self.metric!r} needs 'target'")
        if self.metric is None and self.label is None:
            raise ValueError("a key result graded by hand needs a 'label' saying what it is")
        return self


class Guardrail(Strict):
    """A KPI that must hold while the objective is pursued: a floor and/or a ceiling."""

    metric: str
    floor: float | None = None
    ceiling: float | None = None
    severity: Literal["info", "warning", "critical"] = "warning"
    notify: list[str] = Field(default_factory=list)

    @field_validator("floor", "ceiling", mode="before")
    @classmethod
    def _value(cls, value: Any) -> Any:
        return _number(value)

    @field_validator("notify", mode="before")
    @classmethod
    def _notify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some(self) -> Guardrail:
        if self.floor is None and self.ceiling is None:
            raise ValueError(f"guardrail on {self.metric!r} needs 'floor' and/or 'ceiling'")
        return self


class Okr(Strict):
    """An objective for a period, its key results and its guardrails."""

    objective: LocalText
    period: str
    owner: str | None = None
    team: str | None = None
    key_results: list[KeyResult]
    guardrails: list[Guardrail] = Field(default_factory=list)

    @field_validator("objective", mode="before")
    @classmethod
    def _objective(cls, value: Any) -> Any:
        return {"en": value} if isinstance(value, str) else value

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        value = _period_text(value)
        parse_period(value)
        return value

    @field_validator("key_results", mode="after")
    @classmethod
    def _some_krs(cls, value: list[KeyResult]) -> list[KeyResult]:
        if not value:
            raise ValueError("an objective needs at least one key result")
        return value

    @property
    def span(self) -> Period:
        return parse_period(self.period)


def guardrail_rules(okrs: dict[str, Okr]) -> dict[str, WatchRule]:
    """Each guardrail as watch rules (``floor`` / ``ceiling`` checks on the daily value), named
    ``<okr>__<metric>__floor`` / ``__ceiling``, so ``northstar watch`` raises, stores, explains and
    notifies a breach like any other alert."""
    rules: dict[str, WatchRule] = {}
    for name, okr in okrs.items():
        title = okr.objective.en or okr.objective.zh or name
        title_zh = okr.objective.zh or title
        for guard in okr.guardrails:
            for check, value in (("floor", guard.floor), ("ceiling", guard.ceiling)):
                if value is None:
                    continue
                rules[f"{name}__{guard.metric}__{check}"] = WatchRule.model_validate(
                    {
                        "metric": guard.metric,
                        "check": check,
                        "threshold": value,
                        "severity": guard.severity,
                        "notify": list(guard.notify),
                        "label": {
                            "en": f"Guardrail of the OKR '{title}': {guard.metric} {check}",
                            "zh": f"OKR「{title_zh}」的护栏指标：{guard.metric} {'下限' if check == 'floor' else '上限'}",
                        },
                    }
                )
    return rules
