"""The target bands (floor / target / stretch) of a metric for any period.

Targets come from ``targets:`` in ``northstar.yml`` and from the app database (``northstar targets
set``; :meth:`northstar.watch.store.AlertStore.targets`). For the same metric and period, the app's
latest setting replaces the bands it gives (it is the newer decision) and the YAML's other bands
stay; :func:`target_entries` says where each came from.

A period rarely has an entry of its own grain (a weekly scorecard, a monthly target), so
:func:`bands_for` derives one, band by band, from the entries that cover the period's days:

1. an entry for exactly the period is used as it is, and so is an entry with ``per:`` the
   period's grain whose period holds it (``{period: 2026-Q4, per: week, target: 8 %}``: each week
   of the quarter);
2. otherwise, for a metric whose value does not depend on the period's length (see below), the entries of one grain whose periods together cover every day of the period: first
   the coarser grains, finest first (a week inside a month uses the month's entry), then the finer
   ones (a month made of weekly entries);
3. for an **additive** metric (``count``, ``sum``: a period's value is the sum of its days') each
   entry contributes its band × (days shared / the entry's days) — a month's target of 31,000
   gives a week inside it 7,000; for any other metric (ratios, averages, distinct counts) each
   entry contributes its band × (days shared / the period's days), a day-weighted average — a
   quarter's conversion target of 2.2 % is 2.2 % for each of its weeks;
4. a band that one of the covering entries lacks is missing (``None``); a period not fully covered
   has no bands.

A metric built on distinct counts (``count_distinct``, ``active_users``, or a ratio or formula over
one) is **length-dependent**: a week's visitor conversion is not a quarter's (the same visitor
returns), so its bands are never derived from another grain's; give them for the grain scored, or
with ``per:``. :func:`length_dependent` tells.

``elapsed`` cuts the period at the last day with data: an additive band is then prorated to the
days elapsed, evenly (the month-to-date pace); ratios keep their band.

>>> from northstar.spec.periods import parse_period
>>> month = TargetSetting("orders", parse_period("2026-11"), 900.0, 1000.0, 1200.0)
>>> b = bands_for([month], parse_period("2026-W47"), additive=True)
>>> (round(b.target, 2), b.derived)
(233.33, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from northstar.spec.periods import GOAL_GRAINS, Period, parse_period

if TYPE_CHECKING:
    from northstar.project import Project
    from northstar.watch.store import AlertStore

__all__ = [
    "ADDITIVE_TYPES",
    "BANDS",
    "Bands",
    "TargetSetting",
    "bands_for",
    "check_target",
    "is_additive",
    "length_dependent",
    "target_entries",
]

BANDS = ("floor", "target", "stretch")
ADDITIVE_TYPES = ("count", "sum")


@dataclass(frozen=True)
class TargetSetting:
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
    per: str | None = None  # the bands hold for each part of this grain of the period
    where: str | None = None  # file:line of a YAML entry

    def band(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "period": self.period.label,
            "per": self.per,
            "floor": self.floor,
            "target": self.target,
            "stretch": self.stretch,
            "set_by": self.set_by,
            "why": self.why,
            "origin": self.origin,
            "where": self.where,
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
    entries: tuple[TargetSetting, ...] = field(default=())
    derived: bool = False
    prorated_days: int | None = None

    def band(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


def is_additive(project: Project, metric: str) -> bool:
    """A count or a sum: the value of a period is the sum of its days' values."""
    return project.catalog.metrics[metric].spec.type in ADDITIVE_TYPES


LENGTH_DEPENDENT_TYPES = ("count_distinct", "active_users")


def length_dependent(project: Project, metric: str) -> bool:
    """The metric's value depends on the period's length beyond a sum (distinct counts in it)."""
    closure = project.catalog.closure(project.catalog.expand([metric]))
    return any(project.catalog.metrics[m].spec.type in LENGTH_DEPENDENT_TYPES for m in closure)


def target_entries(project: Project, store: AlertStore | None = None) -> dict[str, list[TargetSetting]]:
    """Every metric's entries: the YAML's, with the app database's latest settings replacing the
    YAML entry of the same period (and adding the others). Sorted by period start."""
    out: dict[str, dict[tuple[Period, str | None], TargetSetting]] = {}
    raw = project.data.get("targets") if isinstance(project.data, dict) else None
    for metric, entries in (project.spec.targets or {}).items():
        seq = raw.get(metric) if isinstance(raw, dict) else None
        for i, e in enumerate(entries.root):
            lines = getattr(seq, "item_lines", None)
            where = (
                f"{_shown(project, seq.file)}:{lines[i]}"  # type: ignore[union-attr]
                if lines is not None and i < len(lines)
                else None
            )
            out.setdefault(metric, {})[(e.span, e.per)] = TargetSetting(
                metric, e.span, e.floor, e.target, e.stretch, e.set_by, e.why, "yaml", None, e.per, where
            )
    if store is not None:
        for t in store.targets():
            span = parse_period(t.period)
            before = out.get(t.metric, {}).get((span, t.per))
            if before is not None and before.origin == "yaml":  # bands not given keep the YAML's
                t = replace(
                    t,
                    floor=before.floor if t.floor is None else t.floor,
                    target=before.target if t.target is None else t.target,
                    stretch=before.stretch if t.stretch is None else t.stretch,
                )
            out.setdefault(t.metric, {})[(span, t.per)] = TargetSetting(
                t.metric, span, t.floor, t.target, t.stretch, t.set_by, t.why, "app", t.set_at, t.per
            )
    return {m: sorted(v.values(), key=lambda e: (e.period.start, e.period.grain)) for m, v in out.items()}


def _shown(project: Project, file: str) -> str:
    """A YAML file as the user knows it: relative to the project's folder when inside it."""
    import os

    try:  # a relative path is relative to where the project was loaded from, not to its folder
        return os.path.relpath(os.path.abspath(file), os.path.abspath(project.base_dir))
    except ValueError:  # another drive (Windows)
        return str(Path(file))


def bands_for(
    entries: Sequence[TargetSetting],
    period: Period,
    *,
    additive: bool,
    length_dependent: bool = False,
    elapsed: date | None = None,
) -> Bands | None:
    """The bands for ``period`` from a metric's ``entries`` (module docstring), or None."""
    exact = [e for e in entries if e.period == period and e.per is None]
    exact = exact or [e for e in entries if e.per == period.grain and e.period.contains(period)][:1]
    chosen: list[TargetSetting] | None = exact or None
    entries = [e for e in entries if e.per is None]
    if chosen is None and not length_dependent:
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


def check_target(
    project: Project,
    metric: str,
    period: str,
    *,
    floor: float | str | None = None,
    target: float | str | None = None,
    stretch: float | str | None = None,
    per: str | None = None,
) -> TargetSetting:
    """Bands typed at the command line or sent by the app, checked like ``targets:`` entries."""
    from pydantic import ValidationError

    from northstar.errors import UserError
    from northstar.spec.goals import TargetEntry
    from northstar.spec.suggest import did_you_mean

    if metric not in project.catalog.metrics:
        raise UserError(
            f"there is no metric {metric!r}" + did_you_mean(metric, project.catalog.metrics),
            f"没有名为 {metric!r} 的指标" + did_you_mean(metric, project.catalog.metrics, "zh"),
        )
    raw = {"period": period, "per": per, "floor": floor, "target": target, "stretch": stretch}
    try:
        entry = TargetEntry.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        msg = first["msg"].removeprefix("Value error, ")
        from northstar.spec.rules import _zh_detail

        zh = _zh_detail(msg, first.get("input"))
        raise UserError(
            f"{where + ': ' if where else ''}{msg}",
            f"{where + '：' if where else ''}{zh}（周期写作 2026-Q4、2026-11、2026-W47；数值写作 2.2% 或 450000）",
        ) from None
    percent = project.metric_info(metric).format == "percent"
    for band, raw_value in (("floor", floor), ("target", target), ("stretch", stretch)):
        number = getattr(entry, band)
        if percent and number is not None and abs(number) > 1 and "%" not in str(raw_value):
            raise UserError(
                f"{band} {raw_value} would be {number * 100:g} % for {metric!r}, a percentage: write {raw_value}%"
                f" (or {number / 100:g})",
                f"{band} {raw_value} 对百分比指标 {metric!r} 来说是 {number * 100:g}%：请写 {raw_value}%（或 {number / 100:g}）",
            )
    lower = project.catalog.metrics[metric].spec.direction == "lower"
    wrong = entry.misordered(lower)
    if wrong:
        n1, v1, n2, v2 = wrong[0]
        way, way_zh = ("lower", "越低越好") if lower else ("higher", "越高越好")
        a, b = (f"{v1 * 100:g} %", f"{v2 * 100:g} %") if percent else (f"{v1:g}", f"{v2:g}")
        raise UserError(
            f"{n1} {a} and {n2} {b} are the wrong way round for {metric!r}, a {way}-is-better metric",
            f"{n1} {a} 与 {n2} {b} 的大小关系与 {metric!r}（{way_zh}）相反",
        )
    return TargetSetting(
        metric, entry.span, entry.floor, entry.target, entry.stretch, None, None, "app", None, entry.per
    )
