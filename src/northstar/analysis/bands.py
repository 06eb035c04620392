"""The target bands (floor / target / stretch) of a metric for any period.

Targets come from ``targets:`` in ``northstar.yml`` and from the app database (``northstar targets
set``; :meth:`northstar.watch.store.AlertStore.targets`). For the same metric and period, the app's
latest setting replaces the YAML entry (it is the newer decision); :func:`target_entries` says where
each came from.

A period rarely has an entry of its own grain (a weekly scorecard, a monthly target), so
:func:`bands_for` derives one, band by band, from the entries that cover the period's days:

1. an entry for exactly the period is used as it is;
2. otherwise the entries of one grain whose periods together cover every day of the period: first
   the coarser grains, finest first (a week inside a month uses the month's entry), then the finer
   ones (a month made of weekly entries);
3. for an **additive** metric (``count``, ``sum``: a period's value is the sum of its days') each
   entry contributes its band × (days shared / the entry's days) — a month's target of 31,000
   gives a week inside it 7,000; for any other metric (ratios, averages, distinct counts) each
   entry contributes its band × (days shared / the period's days), a day-weighted average — a
   quarter's conversion target of 2.2 % is 2.2 % for each of its weeks;
4. a band that one of the covering entries lacks is missing (``None``); a period not fully covered
   has no bands.

``elapsed`` cuts the period at the last day with data: an additive band is then prorated to the
days elapsed, evenly (the month-to-date pace); ratios keep their band.

>>> from northstar.spec.periods import parse_period
>>> month = Entry("orders", parse_period("2026-11"), 900.0, 1000.0, 1200.0)
>>> b = bands_for([month], parse_period("2026-W47"), additive=True)
>>> (round(b.target, 2), b.derived)
(233.33, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from northstar.spec.periods import GOAL_GRAINS, Period, parse_period

if TYPE_CHECKING:
    from northstar.project import Project
    from northstar.watch.store import AlertStore

__all__ = ["ADDITIVE_TYPES", "BANDS", "Bands", "Entry", "bands_for", "is_additive", "target_entries"]

BANDS = ("floor", "target", "stretch")
ADDITIVE_TYPES = ("count", "sum")


@dataclass(frozen=True)
class Entry:
    """One setting of a metric's bands for one period, and where it came from."""

    metric: str
    period: Period
    floor: float | None = None
    target: float | None = None
    stretch: float | None = None
    set_by: str | None = None
    why: str | None = None
    origin: str = "yaml"  # "yaml" (northstar.yml) or "app" (the app database)
    set_at: datetime | None = None

    def band(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "period": self.period.label,
            "floor": self.floor,
            "target": self.target,
            "stretch": self.stretch,
            "set_by": self.set_by,
            "why": self.why,
            "origin": self.origin,
            "set_at": self.set_at.isoformat() if self.set_at else None,
        }


@dataclass(frozen=True)
class Bands:
    """The bands of a metric for a period; ``derived`` when computed from other periods' entries
    (``entries`` are those used), ``prorated_days`` when cut to the days with data."""

    period: Period
    floor: float | None
    target: float | None
    stretch: float | None
    entries: tuple[Entry, ...] = field(default=())
    derived: bool = False
    prorated_days: int | None = None

    def band(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


def is_additive(project: Project, metric: str) -> bool:
    """A count or a sum: the value of a period is the sum of its days' values."""
    return project.catalog.metrics[metric].spec.type in ADDITIVE_TYPES


def target_entries(project: Project, store: AlertStore | None = None) -> dict[str, list[Entry]]:
    """Every metric's entries: the YAML's, with the app database's latest settings replacing the
    YAML entry of the same period (and adding the others). Sorted by period start."""
    out: dict[str, dict[Period, Entry]] = {}
    for metric, entries in (project.spec.targets or {}).items():
        for e in entries.root:
            why = e.why
            out.setdefault(metric, {})[e.span] = Entry(
                metric, e.span, e.floor, e.target, e.stretch, e.set_by, why, "yaml", None
            )
    if store is not None:
        for t in store.targets():
            span = parse_period(t.period)
            out.setdefault(t.metric, {})[span] = Entry(
                t.metric, span, t.floor, t.target, t.stretch, t.set_by, t.why, "app", t.set_at
            )
    return {m: sorted(v.values(), key=lambda e: (e.period.start, e.period.grain)) for m, v in out.items()}


def bands_for(
    entries: Sequence[Entry], period: Period, *, additive: bool, elapsed: date | None = None
) -> Bands | None:
    """The bands for ``period`` from a metric's ``entries`` (module docstring), or None."""
    exact = [e for e in entries if e.period == period]
    chosen: list[Entry] | None = exact or None
    if chosen is None:
        rank = GOAL_GRAINS.index(period.grain)
        coarser = GOAL_GRAINS[rank + 1 :]
        finer = list(reversed(GOAL_GRAINS[:rank]))
        for grain in [*coarser, *finer]:
            pick = [e for e in entries if e.period.grain == grain and e.period.overlap_days(period) > 0]
            if pick and sum(e.period.overlap_days(period) for e in pick) >= period.days:
                if grain in finer and any(not period.contains(e.period) for e in pick):
                    continue  # a finer entry sticking out of the period cannot be split back
                chosen = pick
                break
    if not chosen:
        return None
    values: dict[str, float | None] = {}
    for name in BANDS:
        parts = [(e.band(name), e.period.overlap_days(period), e.period.days) for e in chosen]
        if any(v is None for v, _, _ in parts):
            values[name] = None
        elif additive:
            values[name] = sum(v * shared / days for v, shared, days in parts if v is not None)
        else:
            values[name] = sum(v * shared / period.days for v, shared, _ in parts if v is not None)
    prorated = None
    if elapsed is not None and period.start <= elapsed < period.end and additive:
        prorated = (elapsed - period.start).days + 1
        values = {k: (None if v is None else v * prorated / period.days) for k, v in values.items()}
    return Bands(
        period,
        values["floor"],
        values["target"],
        values["stretch"],
        tuple(chosen),
        derived=not exact,
        prorated_days=prorated,
    )
