"""Team scorecards (``scorecards:``): each KPI scored against its target, weighted, rolled up.

For a scorecard and a period (``2026-W47``, ``2026-11``, …):

1. **Value** — each metric item over the period, or over its days up to the last day with data
   when the period is not over (the period-to-date value; the notes say so).
2. **Bands** — floor / target / stretch for the period from :mod:`northstar.analysis.bands`
   (derived from coarser or finer entries; an additive metric's bands prorated to the days with
   data when the period is cut short).
3. **Score** of an item, with its direction (the item's ``direction``, else the metric's):

   - ``linear`` (default): ``(value − zero) / (target − zero)`` clipped to [0, ``cap``] (cap
     default 1.2: 120 %), where ``zero`` is the floor when there is one, else 0 for a
     higher-is-better metric and 2 × target for a lower-is-better one (twice the target scores
     0). At the target an item scores 1 (100 %); at the floor 0.
   - ``threshold``: 1 when the target is met (≥ for higher, ≤ for lower), else 0.

   An item without a value or a target is **not scored**; the card's score is then taken over the
   scored items (their weights renormalised) and ``coverage`` says which share of the weight was
   scored.
4. **Weights** — the weight sets in force during the period, each weighted by the number of its
   days it was in force (a week that starts on the day a new set starts uses only that set; a
   month with a change on the 16th blends the two, 15 and 15 days of 30). Days before the first
   set have no weights.
5. **Card score** = Σ wᵢ·sᵢ / Σ wᵢ over scored items; ``contribution`` of an item = wᵢ·sᵢ / Σ wᵢ
   (the contributions add up to the score). An item that is another scorecard scores that card's
   score for the same period (the company card rolls up the teams').

``status`` of an item: ``below_floor``, ``below_target``, ``on_target`` (target met, stretch not),
``stretch`` (stretch met), or ``no_target`` / ``no_data``, or ``provisional``: a repeat rate or a
conversion whose window (30 days to come back, a day to convert) has not closed for everyone who
entered by the period's last day with data — not scored, since it will still rise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from northstar.analysis.bands import (
    Bands,
    TargetSetting,
    bands_for,
    is_additive,
    length_dependent,
    target_entries,
)
from northstar.analysis.pacing import Pacing, pace
from northstar.analysis.period_values import period_values
from northstar.errors import QueryError
from northstar.spec.periods import Period, parse_period, period_of
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project
    from northstar.spec.goals import Scorecard, ScorecardItem
    from northstar.watch.store import AlertStore

__all__ = [
    "ItemScore",
    "ScorecardResult",
    "item_score",
    "item_status",
    "pace_metric",
    "run_scorecard",
    "scorecard_period",
    "window_open",
]

Status = Literal["below_floor", "below_target", "on_target", "stretch", "no_target", "no_data", "provisional"]


@dataclass(frozen=True)
class ItemScore:
    """One row of a scorecard."""

    item: str
    kind: Literal["metric", "scorecard"]
    label: str
    label_zh: str
    weight: float  # the day-weighted weight in force, 0–1
    value: float | None
    bands: Bands | None
    scoring: str
    direction: str
    score: float | None
    contribution: float | None
    status: Status
    pacing: Pacing | None = None  # a count or sum in a period not over: on track for its target?

    def to_dict(self) -> dict[str, Any]:
        b = self.bands
        return {
            "item": self.item,
            "kind": self.kind,
            "label": self.label,
            "label_zh": self.label_zh,
            "weight": self.weight,
            "value": self.value,
            "floor": b.floor if b else None,
            "target": b.target if b else None,
            "stretch": b.stretch if b else None,
            "bands_derived": b.derived if b else None,
            "bands_prorated_days": b.prorated_days if b else None,
            "scoring": self.scoring,
            "direction": self.direction,
            "score": self.score,
            "contribution": self.contribution,
            "status": self.status,
            "pacing": self.pacing.to_dict() if self.pacing else None,
        }


@dataclass(frozen=True)
class ScorecardResult:
    """A scorecard for one period: its items, the score, the weight share scored, and notes."""

    name: str
    label: str
    label_zh: str
    team: str | None
    period: Period
    through: date  # the last day counted (the period's end, or the last day with data)
    items: tuple[ItemScore, ...]
    score: float | None
    coverage: float
    weight_sets: tuple[tuple[date, int], ...]  # (set start, days in force during the period)
    notes: tuple[str, ...] = field(default=())
    notes_zh: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "scorecard": self.name,
            "label": self.label,
            "label_zh": self.label_zh,
            "team": self.team,
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "through": self.through.isoformat(),
            "score": self.score,
            "coverage": self.coverage,
            "weight_sets": [{"from": s.isoformat(), "days": d} for s, d in self.weight_sets],
            "items": [i.to_dict() for i in self.items],
            "notes": list(self.notes),
            "notes_zh": list(self.notes_zh),
        }


def item_score(
    value: float | None, bands: Bands | None, scoring: str, cap: float, direction: str
) -> float | None:
    """The score of one value against its bands (module docstring, step 3)."""
    if value is None or bands is None or bands.target is None or not math.isfinite(value):
        return None
    target = bands.target
    higher = direction == "higher"
    if scoring == "threshold":
        return 1.0 if (value >= target if higher else value <= target) else 0.0
    zero = bands.floor if bands.floor is not None else (0.0 if higher else 2 * target)
    if target == zero:
        return 1.0 if (value >= target if higher else value <= target) else 0.0
    raw = (value - zero) / (target - zero)
    return min(max(raw, 0.0), cap)


def item_status(value: float | None, bands: Bands | None, direction: str) -> Status:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "no_data"
    if bands is None or (bands.target is None and bands.floor is None and bands.stretch is None):
        return "no_target"

    def met(level: float | None) -> bool:
        return level is not None and (value >= level if direction == "higher" else value <= level)

    if bands.floor is not None and not met(bands.floor):
        return "below_floor"
    if bands.stretch is not None and met(bands.stretch):
        return "stretch"
    if bands.target is not None and not met(bands.target):
        return "below_target"
    return (
        "on_target"
        if bands.target is not None
        else "below_target"
        if bands.stretch is not None
        else "on_target"
    )


def scorecard_period(card: Scorecard, period: str | Period | None, last_day: date | None) -> Period:
    """The period asked for, or the card's grain's period holding the last day with data."""
    if isinstance(period, Period):
        return period
    if period is not None:
        try:
            return parse_period(period)
        except ValueError as exc:
            raise QueryError(
                str(exc), f"{period!r} 不是有效的周期：请写 2026-W47、2026-11、2026-Q4 或 2026"
            ) from None
    return period_of(last_day or date.today(), card.grain)


def run_scorecard(
    project: Project,
    name: str,
    period: str | Period | None = None,
    *,
    store: AlertStore | None = None,
    engine: Engine | None = None,
    _entries: dict[str, list[TargetSetting]] | None = None,
    _stack: tuple[str, ...] = (),
) -> ScorecardResult:
    """Score scorecard ``name`` for ``period`` (default: the card's grain's period holding the last
    day with data)."""
    cards = project.spec.scorecards or {}
    if name not in cards:
        raise QueryError(
            f"there is no scorecard {name!r}" + did_you_mean(name, cards),
            f"没有名为 {name!r} 的计分卡" + did_you_mean(name, cards, "zh"),
        )
    card = cards[name]
    eng = engine or project.engine
    entries = _entries if _entries is not None else target_entries(project, store)
    metrics = _metrics_under(project, name, set())
    span = project.span(metrics, eng) if metrics else None
    last_day = span[1].date() if span else None
    p = scorecard_period(card, period, last_day)
    if last_day is not None and p.start > last_day:
        raise QueryError(
            f"{p.label} starts after the last day with data ({last_day.isoformat()}): nothing to score yet",
            f"{p.label} 开始于最后一天数据（{last_day.isoformat()}）之后：还没有可计分的数据",
        )
    through = min(p.end, last_day) if last_day is not None else p.end
    notes: list[str] = []
    notes_zh: list[str] = []
    if last_day is not None and last_day < p.end:
        notes.append(
            f"the period is not over: values run to {through.isoformat()}"
            f" ({(through - p.start).days + 1} of {p.days} days); sums and counts are compared with their target"
            " prorated to those days"
        )
        notes_zh.append(
            f"该周期尚未结束：数值截至 {through.isoformat()}（共 {p.days} 天中的 {(through - p.start).days + 1} 天）；"
            "求和与计数类指标与按天数折算后的目标比较"
        )
    weights, sets = _weights_in_period(card, p)
    if not weights:
        raise QueryError(
            f"scorecard {name!r} has no weights in force during {p.label}: its first set starts on"
            f" {card.weights[0].start.isoformat()}",
            f"计分卡 {name!r} 在 {p.label} 期间没有生效的权重：第一组权重自 {card.weights[0].start.isoformat()} 起生效",
        )
    metric_items = [i for i in weights if i not in cards]
    values: dict[str, float | None] = {}
    if metric_items and through >= p.start:
        values, q_notes, q_notes_zh = period_values(project, metric_items, p.start, through, eng)
        notes += q_notes
        notes_zh += q_notes_zh
    rows: list[ItemScore] = []
    for item, weight in weights.items():
        cfg: ScorecardItem | None = card.kpis.get(item)
        scoring = cfg.scoring if cfg else "linear"
        cap = cfg.cap if cfg else 1.2
        if item in cards:
            if item in _stack:
                raise QueryError(
                    f"scorecards roll up in a loop: {' → '.join([*_stack, item])}",
                    f"计分卡汇总形成循环：{' → '.join([*_stack, item])}",
                )
            sub = run_scorecard(
                project, item, p, store=store, engine=eng, _entries=entries, _stack=(*_stack, name)
            )
            label_en = sub.label
            label_zh = sub.label_zh
            score = None if sub.score is None else min(sub.score, cap)
            rows.append(
                ItemScore(
                    item,
                    "scorecard",
                    label_en,
                    label_zh,
                    weight,
                    sub.score,
                    None,
                    "rollup",
                    "higher",
                    score,
                    None,
                    _card_status(sub.score),
                )
            )
            continue
        info = project.metric_info(item)
        direction = (cfg.direction if cfg and cfg.direction else None) or project.catalog.metrics[
            item
        ].spec.direction
        value = values.get(item)
        by_length = length_dependent(project, item)
        bands = bands_for(
            entries.get(item, []),
            p,
            additive=is_additive(project, item),
            length_dependent=by_length,
            elapsed=through if through < p.end else None,
        )
        if by_length and bands is None and entries.get(item):
            notes.append(
                f"{item} counts distinct entities, so its value depends on the period's length: its targets"
                f" for other periods do not carry over to {p.label}; give bands for this grain"
                f" (e.g. per: {p.grain})"
            )
            notes_zh.append(
                f"{item} 基于去重计数，数值随周期长短而变：其他周期的目标不能套用到 {p.label}；"
                f"请为该粒度设置目标（例如 per: {p.grain}）"
            )
        if by_length and through < p.end and value is not None:
            notes.append(
                f"{item} counts distinct entities and the period is not over: part of a period holds fewer"
                " of them than the whole, so its score is provisional"
            )
            notes_zh.append(
                f"{item} 基于去重计数且该周期尚未结束：部分周期的去重数少于整个周期，其得分为暂定"
            )
        provisional = window_open(project, item, through, eng)
        score = None if provisional else item_score(value, bands, scoring, cap, direction)
        if provisional and value is not None:
            notes.append(
                f"{item} is not scored: its {provisional} window has not closed for everyone who entered by"
                f" {through.isoformat()}, so its value is provisional and will still rise"
            )
            notes_zh.append(
                f"{item} 未计分：截至 {through.isoformat()} 进入的对象中仍有人的 {provisional} 观察期未结束，数值为暂定，还会上升"
            )
        pacing = None
        if through < p.end and bands is not None and bands.prorated_days is not None and value is not None:
            whole = bands_for(entries.get(item, []), p, additive=True, length_dependent=by_length)
            if whole is not None and whole.target is not None:
                pacing = pace_metric(project, item, p, through, whole.target, eng, direction)
        label_en = (cfg.label.en if cfg and cfg.label and cfg.label.en else None) or info.label
        label_zh = (cfg.label.zh if cfg and cfg.label and cfg.label.zh else None) or info.label_zh or label_en
        rows.append(
            ItemScore(
                item,
                "metric",
                label_en,
                label_zh,
                weight,
                value,
                bands,
                scoring,
                direction,
                score,
                None,
                "provisional" if provisional and value is not None else item_status(value, bands, direction),
                pacing,
            )
        )
    scored = [r for r in rows if r.score is not None]
    total_w = sum(r.weight for r in scored)
    all_w = sum(r.weight for r in rows)
    score = sum(r.weight * (r.score or 0.0) for r in scored) / total_w if total_w > 0 else None
    final = tuple(
        replace(
            r, contribution=(r.weight * r.score / total_w) if r.score is not None and total_w > 0 else None
        )
        for r in rows
    )
    missing = [r.item for r in rows if r.score is None]
    if missing:
        notes.append(
            f"not scored (no target or no data): {', '.join(missing)}; the score is over the other items,"
            f" {total_w / all_w:.0%} of the weight"
            if all_w
            else f"not scored: {', '.join(missing)}"
        )
        notes_zh.append(
            f"未计分（没有目标或没有数据）：{', '.join(missing)}；得分按其余指标计算，占权重的 {total_w / all_w:.0%}"
            if all_w
            else f"未计分：{', '.join(missing)}"
        )
    if len(sets) > 1:
        notes.append(
            "the weights changed during the period: "
            + ", ".join(f"the set from {s.isoformat()} for {d} days" for s, d in sets)
        )
        notes_zh.append(
            "权重在该周期内有调整：" + "，".join(f"自 {s.isoformat()} 起的一组用了 {d} 天" for s, d in sets)
        )
    label = (card.label.en if card.label and card.label.en else None) or name
    label_zh = (card.label.zh if card.label and card.label.zh else None) or label
    team = card.team or (name if name in project.spec.teams else None)
    if team and not card.label and team in project.spec.teams and project.spec.teams[team].label:
        tl = project.spec.teams[team].label
        label = (tl.en if tl else None) or label
        label_zh = (tl.zh if tl else None) or label
    return ScorecardResult(
        name,
        label,
        label_zh,
        team,
        p,
        through,
        final,
        score,
        total_w / all_w if all_w else 0.0,
        tuple(sets),
        tuple(notes),
        tuple(notes_zh),
    )


def _card_status(score: float | None) -> Status:
    if score is None:
        return "no_data"
    return "on_target" if score >= 1 else "below_target"


def _weights_in_period(card: Scorecard, p: Period) -> tuple[dict[str, float], list[tuple[date, int]]]:
    """Each item's weight, day-weighted over the sets in force during ``p`` (module docstring, 4)."""
    days: dict[date, int] = {}
    day = p.start
    while day <= p.end:
        ws = card.weights_on(day)
        if ws is not None:
            days[ws.start] = days.get(ws.start, 0) + 1
        day += timedelta(days=1)
    covered = sum(days.values())
    if covered == 0:
        return {}, []
    out: dict[str, float] = {}
    for ws in card.weights:
        n = days.get(ws.start, 0)
        if n == 0:
            continue
        for item, w in ws.weights.items():
            out[item] = out.get(item, 0.0) + w * n / covered
    return out, sorted(days.items())


def _metrics_under(project: Project, name: str, seen: set[str]) -> list[str]:
    """The metrics a scorecard weighs, its own and its sub-cards' (for the last day with data)."""
    cards = project.spec.scorecards or {}
    seen.add(name)
    out: list[str] = []
    for ws in cards[name].weights:
        for item in ws.weights:
            if item in cards:
                if item not in seen:
                    out += _metrics_under(project, item, seen)
            elif item in project.catalog.metrics:
                out.append(item)
    return list(dict.fromkeys(out))


def pace_metric(
    project: Project,
    metric: str,
    p: Period,
    through: date,
    target: float,
    eng: Engine,
    direction: str | None = None,
) -> Pacing:
    """:func:`northstar.analysis.pacing.pace` over the metric's daily values (8 weeks before the
    period for the weekday profile, then the period to date)."""
    frame = project.query(
        [metric], grain="day", start=p.start - timedelta(weeks=8), end=through, engine=eng
    ).frame
    daily = frame.set_index("period")[metric].astype(float)
    way = direction or project.catalog.metrics[metric].spec.direction
    return pace(daily, p.start, p.end, through, target, direction="lower" if way == "lower" else "higher")


def window_open(project: Project, metric: str, through: date, eng: Engine) -> str | None:
    """The window (``30d``) of a repeat rate or conversion the metric is made of when it has not
    closed for everyone who entered by ``through`` (the data end before ``through`` + window), else None."""
    from northstar.analysis.metrics import observation_window
    from northstar.spec.models import parse_duration_days

    for name in project.catalog.closure(project.catalog.expand([metric])):
        within = observation_window(project, name)
        if within is None:
            continue
        last = project.last_time(eng, project.source_of(name) or "")
        if last is None:
            continue
        closes = datetime.combine(through, datetime.min.time()) + timedelta(
            days=1 + parse_duration_days(within)
        )
        if closes > last:
            return str(within)
    return None
