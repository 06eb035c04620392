"""Alignment: the paths from each team KPI to the north star, through the driver trees.

The project is read as a directed graph of metrics. An edge ``a → b`` means "a moves b", and has
one of four kinds:

- ``formula``: ``a`` is a term of ``b``'s driver formula (``drivers: {revenue: visitors * aov}``
  gives ``visitors → revenue`` and ``aov → revenue``);
- ``over``: ``a`` is a slice of ``b`` on the dimension of ``b``'s ``over:`` entry. ``a`` is a
  slice when it is the same metric as ``b`` (type, source, column, expr and every other key that
  changes the number) and its ``filter`` is ``b``'s filter with exactly one more ``and``-ed
  condition, over the dimension's column only (``orders: {over: channel}`` and ``paid_orders``
  = ``orders`` with ``channel = 'paid'`` give ``paid_orders → orders``);
- ``definition``: ``a`` is an input of ``b``'s own definition (the numerator or denominator of a
  ratio, a name in a formula metric's ``expr``);
- ``influence``: ``a`` is in ``b``'s ``influenced_by`` list — believed, not an identity; only
  history can back it (``northstar validate a --against b``).

The first three are identities: when ``a`` moves, ``b`` moves by arithmetic. A *team KPI* is a
metric listed under ``teams: <team>: metrics:`` or a metric with ``team:`` (the north star
itself is the goal, not a KPI). Its *paths* are the shortest chains of edges from it to the
north star: the shortest made of identity edges only when there is one (``by_identity``), else
the shortest allowing ``influence`` edges; at most :data:`MAX_PATHS` of them, in name order. A
KPI with no path is flagged by ``northstar check`` (:mod:`northstar.spec.alignment_rules`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from northstar.compile.catalog import Catalog
from northstar.spec.models import Metric, ProjectSpec

if TYPE_CHECKING:
    from northstar.project import Project

__all__ = ["MAX_PATHS", "AlignmentMap", "Edge", "KpiPaths", "alignment_edges", "alignment_map", "team_kpis"]

MAX_PATHS = 3
IDENTITY_KINDS = ("formula", "over", "definition")
EDGE_ZH = {"formula": "公式", "over": "分项", "definition": "定义", "influence": "影响"}
# keys that do not change a metric's number: two metrics differing only in these are the same metric
_PRESENTATION = {"filter", "label", "description", "owner", "team", "why", "format", "decimals", "unit"}
_PRESENTATION |= {"direction"}


@dataclass(frozen=True)
class Edge:
    """``source`` moves ``target``; ``kind`` is formula, over, definition or influence."""

    source: str
    target: str
    kind: str

    @property
    def identity(self) -> bool:
        return self.kind in IDENTITY_KINDS

    def text(self, lang: str = "en") -> str:
        kind = EDGE_ZH[self.kind] if lang == "zh" else self.kind
        return f"{self.source} —{kind}→ {self.target}"


@dataclass(frozen=True)
class KpiPaths:
    """One team KPI and its shortest paths to the north star (empty: no path)."""

    metric: str
    teams: tuple[str, ...]
    paths: tuple[tuple[Edge, ...], ...]

    @property
    def linked(self) -> bool:
        return bool(self.paths)

    @property
    def by_identity(self) -> bool:
        """Some path is made of identity edges only (formula, over, definition)."""
        return any(all(e.identity for e in path) for path in self.paths)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "teams": list(self.teams),
            "by_identity": self.by_identity,
            "paths": [[{"from": e.source, "to": e.target, "kind": e.kind} for e in p] for p in self.paths],
        }


@dataclass(frozen=True)
class AlignmentMap:
    """Every team KPI's paths to ``north_star`` (None when the project has none), and the graph."""

    north_star: str | None
    kpis: tuple[KpiPaths, ...]
    edges: tuple[Edge, ...]

    @property
    def unlinked(self) -> tuple[str, ...]:
        """The team KPIs with no path to the north star."""
        return tuple(k.metric for k in self.kpis if not k.linked)

    def kpi(self, metric: str) -> KpiPaths:
        for k in self.kpis:
            if k.metric == metric:
                return k
        raise KeyError(metric)

    def to_dict(self) -> dict[str, Any]:
        return {"north_star": self.north_star, "kpis": [k.to_dict() for k in self.kpis]}


def alignment_map(project: Project | ProjectSpec) -> AlignmentMap:
    """The paths from each team KPI to the north star (see the module docstring)."""
    spec = project if isinstance(project, ProjectSpec) else project.spec
    edges = alignment_edges(spec)
    ns = spec.north_star
    kpis = []
    for metric, teams in team_kpis(spec).items():
        if metric == ns:
            continue
        paths = _shortest_paths(edges, metric, ns, identity_only=True) if ns else ()
        if not paths and ns:
            paths = _shortest_paths(edges, metric, ns, identity_only=False)
        kpis.append(KpiPaths(metric, teams, paths))
    return AlignmentMap(ns, tuple(kpis), tuple(edges))


def team_kpis(spec: ProjectSpec) -> dict[str, tuple[str, ...]]:
    """Team KPI → its teams: the teams' ``metrics:`` lists in order, then metrics with ``team:``
    (a tiered family stands for each of its tiers)."""
    families = Catalog(spec.metrics).families
    out: dict[str, list[str]] = {}

    def add(name: str, team: str) -> None:
        for metric in families.get(name, (name,)):  # a tiered family: each of its tiers
            out.setdefault(metric, [])
            if team not in out[metric]:
                out[metric].append(team)

    for team, entry in spec.teams.items():
        for name in entry.metrics:
            add(name, team)
    for name, metric in spec.metrics.items():
        if metric.team:
            add(name, metric.team)
    return {m: tuple(t) for m, t in out.items()}


def alignment_edges(spec: ProjectSpec) -> list[Edge]:
    """Every edge of the graph, in a stable order; names that are not metrics are left out
    (validation reports them)."""
    catalog = Catalog(spec.metrics)
    known = set(catalog.names())
    edges: list[Edge] = []
    for name, resolved in catalog.metrics.items():
        edges += [Edge(dep, name, "definition") for dep in resolved.deps() if dep in known]
    for name, entry in (spec.drivers or {}).items():
        if name not in known:
            continue
        if entry.formula:
            edges += [
                Edge(dep, name, "formula") for dep in sorted(_formula_names(entry.formula)) if dep in known
            ]
        if entry.over and entry.over in spec.dimensions and name in spec.metrics:
            whole = spec.metrics[name]
            column = spec.dimensions[entry.over].column_in(entry.over, whole.source or "")
            for other, m in spec.metrics.items():
                if other != name and _is_slice(m, whole, column):
                    edges.append(Edge(other, name, "over"))
        edges += [Edge(dep, name, "influence") for dep in entry.influenced_by if dep in known and dep != name]
    return list(dict.fromkeys(edges))


def _shortest_paths(
    edges: Iterable[Edge], start: str, goal: str, *, identity_only: bool
) -> tuple[tuple[Edge, ...], ...]:
    """Up to MAX_PATHS shortest paths start → goal, by breadth-first search back from the goal."""
    into: dict[str, list[Edge]] = {}
    out_of: dict[str, list[Edge]] = {}
    for e in edges:
        if identity_only and not e.identity:
            continue
        into.setdefault(e.target, []).append(e)
        out_of.setdefault(e.source, []).append(e)
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        node = queue.popleft()
        for e in into.get(node, []):
            if e.source not in dist:
                dist[e.source] = dist[node] + 1
                queue.append(e.source)
    if start not in dist or start == goal:
        return ()
    found: list[tuple[Edge, ...]] = []

    def walk(node: str, path: tuple[Edge, ...]) -> None:
        if len(found) >= MAX_PATHS:
            return
        if node == goal:
            found.append(path)
            return
        steps = [e for e in out_of.get(node, []) if dist.get(e.target) == dist[node] - 1]
        for e in sorted(steps, key=lambda e: (e.target, e.kind)):
            walk(e.target, (*path, e))

    walk(start, ())
    return tuple(found)


def _formula_names(text: str) -> set[str]:
    from sqlglot import exp, parse_one

    try:
        return {c.name for c in parse_one(text, read="duckdb").find_all(exp.Column)}
    except Exception:  # a bad formula is reported by validation
        return set()


def _is_slice(part: Metric, whole: Metric, column: str) -> bool:
    """``part`` is ``whole`` with one more ``and``-ed filter condition, over ``column`` only."""
    keys = set(Metric.model_fields) - _PRESENTATION
    if any(getattr(part, k) != getattr(whole, k) for k in keys):
        return False
    mine, theirs = _conjuncts(part.filter), _conjuncts(whole.filter)
    if mine is None or theirs is None or not set(theirs) <= set(mine):
        return False
    extra = [c for c in mine if c not in theirs]
    return len(extra) == 1 and mine[extra[0]] == {column}


def _conjuncts(text: str | None) -> dict[str, set[str]] | None:
    """The ``and``-ed conditions of a filter (normalised SQL → the columns each reads)."""
    if not text:
        return {}
    from sqlglot import exp, parse_one

    try:
        tree = parse_one(text, read="duckdb")
    except Exception:
        return None

    def split(node: Any) -> list[Any]:
        if isinstance(node, exp.Paren):
            return split(node.this)
        if isinstance(node, exp.And):
            return split(node.this) + split(node.expression)
        return [node]

    return {p.sql(dialect="duckdb"): {c.name for c in p.find_all(exp.Column)} for p in split(tree)}
