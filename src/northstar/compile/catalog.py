"""The metric catalog: tiered families expanded, dependencies resolved, evaluation order fixed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from northstar.errors import QueryError
from northstar.spec.expressions import Parsed, parse_formula
from northstar.spec.models import AGGREGATE_TYPES, Metric
from northstar.spec.suggest import did_you_mean


@dataclass(frozen=True)
class Resolved:
    """One computable metric: its spec, and for a tier of a tiered family its threshold."""

    name: str
    spec: Metric
    threshold: float | None = None
    family: str | None = None

    @property
    def kind(self) -> str:
        return self.spec.type

    @property
    def is_aggregate(self) -> bool:
        """Computed in one grouped scan of its source (vs. derived, or repeat_rate)."""
        return self.spec.type in (*AGGREGATE_TYPES, "relative", "tiered")

    def deps(self) -> tuple[str, ...]:
        if self.spec.type == "ratio":
            return tuple(x for x in (self.spec.numerator, self.spec.denominator) if x)
        if self.spec.type == "formula" and self.spec.expr:
            return tuple(sorted(self.formula_names()))
        return ()

    def formula_names(self) -> set[str]:
        from sqlglot import exp, parse_one

        try:
            tree = parse_one(self.spec.expr or "", read="duckdb")
        except Exception:
            return set()
        return {c.name for c in tree.find_all(exp.Column)}


def tier_name(family: str, threshold: float, suffix: str) -> str:
    t = int(threshold) if float(threshold).is_integer() else threshold
    return f"{family}_{t}{suffix}".replace(".", "_")


class Catalog:
    """All metrics by name, with tiered families expanded into one metric per threshold."""

    def __init__(self, metrics: Mapping[str, Metric]):
        self.metrics: dict[str, Resolved] = {}
        self.families: dict[str, tuple[str, ...]] = {}
        for name, spec in metrics.items():
            if spec.type == "tiered":
                names = []
                for thr in spec.thresholds or []:
                    tier = tier_name(name, thr, spec.suffix)
                    self.metrics[tier] = Resolved(tier, spec, float(thr), family=name)
                    names.append(tier)
                self.families[name] = tuple(names)
            else:
                self.metrics[name] = Resolved(name, spec)

    def names(self) -> list[str]:
        return list(self.metrics)

    def expand(self, names: Iterable[str]) -> list[str]:
        """Requested names with families replaced by their tiers; unknown names raise."""
        out: list[str] = []
        for name in names:
            if name in self.families:
                out.extend(self.families[name])
            elif name in self.metrics:
                out.append(name)
            else:
                raise QueryError(
                    f"unknown metric {name!r}" + did_you_mean(name, self.names()),
                    f"未知的指标 {name!r}" + did_you_mean(name, self.names(), "zh"),
                )
        return list(dict.fromkeys(out))

    def closure(self, names: Iterable[str]) -> list[str]:
        """``names`` and everything they depend on, dependencies first."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str, stack: tuple[str, ...]) -> None:
            if name in seen:
                return
            if name in stack:
                raise QueryError("metrics depend on each other in a cycle: " + " → ".join((*stack, name)))
            if name not in self.metrics:
                raise QueryError(
                    f"unknown metric {name!r}" + did_you_mean(name, self.names()),
                    f"未知的指标 {name!r}" + did_you_mean(name, self.names(), "zh"),
                )
            for dep in self.metrics[name].deps():
                visit(dep, (*stack, name))
            seen.add(name)
            order.append(name)

        for n in names:
            visit(n, ())
        return order

    def formula(self, name: str) -> Parsed:
        return parse_formula(self.metrics[name].spec.expr or "", known=self.names())
