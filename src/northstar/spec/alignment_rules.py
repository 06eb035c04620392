"""Alignment rules: ``influenced_by`` names metrics, and every team KPI reaches the north star.

- ``influenced_by`` of a driver entry lists metrics that exist (an error with "did you mean"
  otherwise, at the line of the name) and not the entry's own metric.
- Team KPIs (in a team's ``metrics:`` list or with ``team:``) with no path to the north star
  through the driver trees, metric definitions and ``influenced_by`` links
  (:mod:`northstar.analysis.alignment` says exactly which edges count) are a *warning*, one per
  team naming them all: at the line of the team's ``metrics:`` key, or (a team with no entry
  under ``teams:``) of the first such metric's ``team:`` key. The project still loads;
  ``northstar check`` prints it with the other warnings.

Nothing is checked for alignment when the project has no north star, or names one that is not
a metric (both are reported elsewhere).
"""

from __future__ import annotations

from northstar.compile.catalog import Catalog
from northstar.errors import Issue
from northstar.spec.loader import Node, Seq
from northstar.spec.messages import make_issue
from northstar.spec.models import ProjectSpec
from northstar.spec.suggest import near

__all__ = ["check_alignment"]


def check_alignment(spec: ProjectSpec, data: Node, known_metrics: list[str]) -> list[Issue]:
    """Unknown or self ``influenced_by`` names (errors); team KPIs with no path (warnings)."""
    from northstar.analysis.alignment import alignment_map

    issues: list[Issue] = []
    known = set(known_metrics)
    raw_drivers = data.get("drivers") or Node()
    for name, entry in (spec.drivers or {}).items():
        raw = raw_drivers.get(name)
        seq = raw.get("influenced_by") if isinstance(raw, Node) else None
        for i, ref in enumerate(entry.influenced_by):
            file, line = _item_loc(seq, i, raw if isinstance(raw, Node) else raw_drivers, "influenced_by")
            if ref not in known:
                suggestions = near(ref, known)
                issues.append(
                    make_issue(
                        "influence-unknown-metric", file, line, name=name, metric=ref, suggestions=suggestions
                    )
                )
            elif ref == name:
                issues.append(make_issue("influence-self", file, line, name=name))
    ns = spec.north_star
    if ns is None or ns not in known:
        return issues
    amap = alignment_map(spec)
    raw_teams = data.get("teams") or Node()
    raw_metrics = data.get("metrics") or Node()
    unlinked: dict[str, list[str]] = {}
    for kpi in amap.kpis:
        if not kpi.linked and kpi.metric in known:
            for team in kpi.teams:
                unlinked.setdefault(team, []).append(kpi.metric)
    for team, names in unlinked.items():
        file, line = _team_loc(spec, team, names, raw_teams, raw_metrics)
        issues.append(
            make_issue(
                "kpi-no-path",
                file,
                line,
                level="warning",
                team=team,
                count=len(names),
                kpis="KPI" if len(names) == 1 else "KPIs",
                has="has" if len(names) == 1 else "have",
                names=", ".join(names),
                names_zh="、".join(names),
                north_star=ns,
            )
        )
    return issues


def _item_loc(seq: object, i: int, parent: Node, key: str) -> tuple[str | None, int | None]:
    """Where item ``i`` of a YAML list is (the list's key when it was written inline as text)."""
    if isinstance(seq, Seq) and i < len(seq.item_lines):
        return seq.file, seq.item_lines[i]
    return getattr(parent, "file", None), parent.line_of(key) if isinstance(parent, Node) else None


def _team_loc(
    spec: ProjectSpec, team: str, names: list[str], raw_teams: Node, raw_metrics: Node
) -> tuple[str | None, int | None]:
    """The team's ``metrics:`` key, else the ``team:`` key of its first unlinked metric."""
    raw_team = raw_teams.get(team)
    if isinstance(raw_team, Node):
        return raw_team.file, raw_team.line_of("metrics")
    families = Catalog(spec.metrics).families
    first = next((f for f, tiers in families.items() if names[0] in tiers), names[0])
    raw = raw_metrics.get(first)
    if isinstance(raw, Node):
        return raw.file, raw.line_of("team")
    return None, None
