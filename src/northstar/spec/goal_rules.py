"""Cross-reference checks for ``targets:``, ``scorecards:`` and ``okrs:`` (shapes: :mod:`northstar.spec.goals`).

- targets name defined metrics; a metric has one entry per period; bands are in order for the
  metric's direction (higher: floor ≤ target ≤ stretch; lower: floor ≥ target ≥ stretch);
- a scorecard's items (``kpis`` and weights) are metrics or other scorecards; each weight set adds
  up to 100 % (± 0.1 point) and respects ``max_weight``; its team exists; roll-ups have no loop;
  an item under ``kpis`` without a weight, and a metric item without any target, are warnings;
- OKRs' key results and guardrails name defined metrics; a key result's start → target goes the
  metric's way.
"""

from __future__ import annotations

from typing import Any

from northstar.errors import Issue
from northstar.spec.loader import Node, Seq
from northstar.spec.messages import make_issue
from northstar.spec.models import ProjectSpec
from northstar.spec.suggest import near

__all__ = ["check_goal_references"]

WEIGHT_TOLERANCE = 0.001


def _loc(node: Any, key: str | None = None) -> tuple[str | None, int | None]:
    if isinstance(node, Node):
        return node.file, node.line_of(key)
    if isinstance(node, Seq):
        return node.file, node.line
    return None, None


def _item(seq: Any, i: int, key: str | None = None) -> tuple[str | None, int | None]:
    """The place of item ``i`` of a YAML list (or of ``key`` inside it)."""
    if isinstance(seq, Seq) and i < len(seq):
        inner = seq[i]
        if isinstance(inner, Node) and key is not None and key in inner.key_lines:
            return inner.file, inner.line_of(key)
        return seq.file, seq.item_lines[i]
    return None, None


def _pct(x: float) -> str:
    return f"{x * 100:.4g} %"


def check_goal_references(spec: ProjectSpec, data: Node, known_metrics: list[str]) -> list[Issue]:
    return (
        _targets(spec, data, set(known_metrics))
        + _scorecards(spec, data, set(known_metrics))
        + _okrs(spec, data, set(known_metrics))
    )


def _direction(spec: ProjectSpec, metric: str) -> str:
    m = spec.metrics.get(metric)
    return m.direction if m is not None else "higher"


def _targets(spec: ProjectSpec, data: Node, known: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    raw_all = data.get("targets") or Node()
    for metric, entries in (spec.targets or {}).items():
        raw = raw_all.get(metric)
        if metric not in known:
            issues.append(
                make_issue(
                    "unknown-metric",
                    *_loc(raw_all, metric),
                    what="targets",
                    metric=metric,
                    suggestions=near(metric, known),
                )
            )
            continue
        lower = _direction(spec, metric) == "lower"
        seen: dict[str, int | None] = {}
        for i, entry in enumerate(entries.root):
            file, line = _item(raw, i, "period")
            label = entry.span.label + (f" (per {entry.per})" if entry.per else "")
            if label in seen:
                issues.append(
                    make_issue(
                        "goal-duplicate-period",
                        file,
                        line,
                        metric=metric,
                        period=label,
                        first=seen[label],
                        second=line,
                    )
                )
            seen[label] = line
            for n1, v1, n2, v2 in entry.misordered(lower):
                way, way_zh = ("lower", "越低越好") if lower else ("higher", "越高越好")
                issues.append(
                    make_issue(
                        "goal-band-order",
                        *_item(raw, i, n2),
                        metric=metric,
                        period=label,
                        detail=f"{n1} {v1:g} and {n2} {v2:g} are the wrong way round for a {way}-is-better metric",
                        detail_zh=f"{n1} {v1:g} 与 {n2} {v2:g} 的大小关系与该指标（{way_zh}）相反",
                    )
                )
    return issues


def _scorecards(spec: ProjectSpec, data: Node, known: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    raw_all = data.get("scorecards") or Node()
    cards = spec.scorecards or {}
    pool = known | set(cards)
    for name, card in cards.items():
        raw = raw_all.get(name)
        raw_kpis = raw.get("kpis") if isinstance(raw, Node) else None
        raw_weights = raw.get("weights") if isinstance(raw, Node) else None
        if card.team is not None and card.team not in spec.teams:
            issues.append(
                make_issue(
                    "goal-unknown-team",
                    *_loc(raw, "team"),
                    name=name,
                    team=card.team,
                    suggestions=near(card.team, spec.teams),
                )
            )
        reported: set[str] = set()
        for item in card.kpis:
            if item not in pool:
                reported.add(item)
                issues.append(
                    make_issue(
                        "goal-unknown-item",
                        *_loc(
                            raw_kpis if isinstance(raw_kpis, Node) else raw,
                            item if isinstance(raw_kpis, Node) else "kpis",
                        ),
                        name=name,
                        item=item,
                        suggestions=near(item, pool),
                    )
                )
        weighted: set[str] = set()
        for i, ws in enumerate(card.weights):
            weighted |= set(ws.weights)
            for item, weight in ws.weights.items():
                if item not in pool and item not in reported:
                    reported.add(item)
                    issues.append(
                        make_issue(
                            "goal-unknown-item",
                            *_item(raw_weights, i, item),
                            name=name,
                            item=item,
                            suggestions=near(item, pool),
                        )
                    )
                if card.max_weight is not None and weight > card.max_weight + 1e-9:
                    issues.append(
                        make_issue(
                            "goal-weight-max",
                            *_item(raw_weights, i, item),
                            name=name,
                            item=item,
                            weight=_pct(weight),
                            start=ws.start.isoformat(),
                            limit=_pct(card.max_weight),
                        )
                    )
            total = sum(ws.weights.values())
            if abs(total - 1.0) > WEIGHT_TOLERANCE:
                issues.append(
                    make_issue(
                        "goal-weights-sum",
                        *_item(raw_weights, i, "from"),
                        name=name,
                        start=ws.start.isoformat(),
                        total=_pct(total),
                    )
                )
        for item in card.kpis:
            if item in pool and item not in weighted:
                issues.append(
                    make_issue(
                        "goal-unweighted",
                        *_loc(raw_kpis, item) if isinstance(raw_kpis, Node) else _loc(raw, "kpis"),
                        level="warning",
                        name=name,
                        item=item,
                    )
                )
        for item in sorted(weighted):
            if item in known and item not in cards and item not in (spec.targets or {}):
                issues.append(
                    make_issue(
                        "goal-no-target",
                        *_item(raw_weights, 0, item),
                        level="warning",
                        name=name,
                        item=item,
                    )
                )
    issues += _loops(spec, raw_all)
    return issues


def _loops(spec: ProjectSpec, raw_all: Node) -> list[Issue]:
    cards = spec.scorecards or {}
    children = {
        n: sorted({i for ws in c.weights for i in ws.weights if i in cards}) for n, c in cards.items()
    }
    issues: list[Issue] = []
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        for child in children.get(node, []):
            if child in path:
                loop = [*path[path.index(child) :], child]
                key = frozenset(loop)
                if key not in reported:
                    reported.add(key)
                    issues.append(
                        make_issue("goal-scorecard-loop", *_loc(raw_all, loop[0]), path=" → ".join(loop))
                    )
                continue
            visit(child, [*path, child])

    for name in sorted(cards):
        visit(name, [name])
    return issues


def _okrs(spec: ProjectSpec, data: Node, known: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    raw_all = data.get("okrs") or Node()
    for name, okr in (spec.okrs or {}).items():
        raw = raw_all.get(name)
        raw_krs = raw.get("key_results") if isinstance(raw, Node) else None
        raw_guards = raw.get("guardrails") if isinstance(raw, Node) else None
        if okr.team is not None and okr.team not in spec.teams:
            issues.append(
                make_issue(
                    "goal-unknown-team",
                    *_loc(raw, "team"),
                    name=name,
                    team=okr.team,
                    suggestions=near(okr.team, spec.teams),
                )
            )
        for i, kr in enumerate(okr.key_results):
            if kr.metric is None:
                continue
            if kr.metric not in known:
                issues.append(
                    make_issue(
                        "unknown-metric",
                        *_item(raw_krs, i, "metric"),
                        what=f"OKR {name!r} key result {i + 1}",
                        metric=kr.metric,
                        suggestions=near(kr.metric, known),
                    )
                )
                continue
            direction = _direction(spec, kr.metric)
            if kr.start is not None and kr.target is not None:
                wrong = kr.target < kr.start if direction == "higher" else kr.target > kr.start
                if wrong:
                    issues.append(
                        make_issue(
                            "goal-kr-direction",
                            *_item(raw_krs, i, "target"),
                            name=name,
                            metric=kr.metric,
                            start=f"{kr.start:g}",
                            target=f"{kr.target:g}",
                            direction=direction,
                            direction_zh="高" if direction == "higher" else "低",
                        )
                    )
        for i, guard in enumerate(okr.guardrails):
            if guard.metric not in known:
                issues.append(
                    make_issue(
                        "unknown-metric",
                        *_item(raw_guards, i, "metric"),
                        what=f"OKR {name!r} guardrail {i + 1}",
                        metric=guard.metric,
                        suggestions=near(guard.metric, known),
                    )
                )
            for channel in guard.notify:
                if channel not in (spec.notify or {}):
                    issues.append(
                        make_issue(
                            "watch-unknown-channel",
                            *_item(raw_guards, i, "notify"),
                            name=f"{name} (guardrail {guard.metric})",
                            channel=channel,
                            suggestions=near(channel, spec.notify or {}),
                        )
                    )
    return issues
