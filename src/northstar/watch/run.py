"""One watch run: evaluate the rules, store new alerts with their explanation, notify, retry.

:func:`run_watch` does, in this order:

1. **Retry** every delivery that failed before and is due (the store's outbox).
2. **Evaluate** every rule on its last complete period (or on ``day``;
   :mod:`northstar.watch.rules`).
3. For each firing, build an :class:`~northstar.notify.message.Alert` whose id is a hash of the
   rule, the slice and the period, so the same firing always has the same id. Attach the
   explanation: ``explain`` of the metric for that day, against the previous day (``change``,
   ``floor``, ``ceiling``) or the forecast (``weekly``, ``anomaly``), with root causes over the
   rule's ``by`` dimensions (without ``by``: every dimension the metric's sources have). An explanation that cannot be made (no baseline yet, an hourly rule)
   is left out; the alert is still stored.
4. **Store** it: one transaction per alert, so a run killed half-way leaves whole alerts only. An
   alert already stored is left as it is: running twice creates no duplicate and notifies no one
   twice.
5. **Notify** the rule's channels (``notify:``) for new alerts only. Each delivery retries with
   backoff, and a failure is written to the outbox before giving up, so no alert is lost.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from northstar.errors import NorthstarError
from northstar.watch.rules import Firing, evaluate, last_complete_period

if TYPE_CHECKING:
    from northstar.notify.channel import Channel
    from northstar.notify.deliver import DeliveryResult
    from northstar.notify.message import Alert
    from northstar.project import Project
    from northstar.watch.store import AlertStore

__all__ = ["WatchRun", "alert_id", "run_watch"]

_VS = {
    "change": "previous",
    "floor": "previous",
    "ceiling": "previous",
    "weekly": "forecast",
    "anomaly": "forecast",
}


@dataclass(frozen=True)
class WatchRun:
    """What one run did."""

    firings: tuple[Firing, ...]
    created: tuple[str, ...]  # ids of the alerts stored by this run
    known: tuple[str, ...]  # ids already stored by an earlier run
    deliveries: tuple[DeliveryResult, ...] = ()
    retried: tuple[DeliveryResult, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def alert_id(firing: Firing) -> str:
    """A stable id for a firing: rule, slice and period."""
    return hashlib.sha256(firing.key.encode("utf-8")).hexdigest()[:20]


def run_watch(
    project: Project,
    store: AlertStore,
    *,
    day: date | None = None,
    rules: list[str] | None = None,
    channels: Mapping[str, Channel] | None = None,
    explain: bool = True,
    deliver_options: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> WatchRun:
    """Evaluate ``rules`` (default all), store new alerts, notify; see the module docstring.
    ``channels``: the built channels by name (default: built from ``notify:`` and the
    environment when a rule needs them); ``now``: the time (epoch seconds) retries are due by
    (default: the clock)."""
    from northstar.notify.deliver import deliver, retry_due

    options = dict(deliver_options or {})
    chans = dict(channels) if channels is not None else None
    notes: list[str] = []

    def get_channels() -> dict[str, Channel]:
        nonlocal chans
        if chans is None:
            chans = build_channels(project)
        return chans

    retried = []
    if store.due(float("inf")):
        retried = retry_due(store, get_channels(), store.load_alert, now=now, **options)
    names = rules or sorted(project.spec.watch or {})
    firings: list[Firing] = []
    for name in names:
        when = day or last_complete_period(project, name).date()
        firings += evaluate(project, name, when, when)
    created, known, deliveries = [], [], []
    for firing in firings:
        alert, explanation = _alert(project, firing, explain, notes)
        _, new = store.save(alert, explanation)
        if not new:
            known.append(alert.id)
            continue
        created.append(alert.id)
        for channel_name in project.spec.watch[firing.rule].notify:
            channel = get_channels()[channel_name]
            deliveries.append(deliver(alert, channel, outbox=store, **options))
    return WatchRun(
        tuple(firings), tuple(created), tuple(known), tuple(deliveries), tuple(retried), tuple(notes)
    )


def build_channels(project: Project, env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The ``notify:`` channels with their secrets read from the environment."""
    from northstar.notify.config import channels

    entries = [{"name": name, **entry.model_dump()} for name, entry in (project.spec.notify or {}).items()]
    return {c.name: c for c in channels(entries, env)}


def _alert(
    project: Project, firing: Firing, with_explanation: bool, notes: list[str]
) -> tuple[Alert, dict[str, Any] | None]:
    from northstar.notify.message import Alert, Cause, Driver

    rule = project.spec.watch[firing.rule]
    info = project.metric_info(firing.metric)
    explanation = None
    drivers: list[Driver] = []
    causes: list[Cause] = []
    if with_explanation and rule.grain == "day":
        try:
            dims = rule.by or available_dimensions(project, firing.metric)
            result = project.explain(firing.metric, day=firing.period.date(), vs=_VS[rule.check], by=dims)
        except NorthstarError as exc:
            notes.append(f"{firing.key}: no explanation ({exc})")
        else:
            explanation = result.to_dict()
            net = result.net_by_driver()
            drivers = [
                Driver(str(r.driver), _finite(r.contribution), _finite(r.share))
                for r in net.head(5).itertuples()
            ]
            if result.causes is not None:
                causes = [Cause(dict(c.combination), _finite(c.share)) for c in result.causes.causes[:5]]
    change = firing.change_pct
    alert = Alert(
        id=alert_id(firing),
        metric=firing.metric,
        label_en=info.label,
        label_zh=info.label_zh,
        slice=dict(firing.slice),
        period=firing.period.date() if rule.grain == "day" else firing.period,
        value=firing.value,
        expected=firing.baseline if math.isfinite(firing.baseline) else 0.0,
        change_pct=change if change is not None and math.isfinite(change) else None,
        rule=firing.rule,
        severity=firing.severity,  # type: ignore[arg-type]
        summary_en=firing.reason,
        summary_zh=firing.reason_zh,
        drivers=tuple(drivers),
        root_causes=tuple(causes),
    )
    return alert, explanation


def available_dimensions(project: Project, metric: str) -> list[str]:
    """The dimensions every source of ``metric`` has a column for: where the root causes of a
    rule without ``by`` are searched."""
    sources = project.sources_of([metric])
    dims = project.spec.dimensions
    return [
        d
        for d, spec in dims.items()
        if sources and all(spec.column_in(d, s) in project.column_kinds(s) for s in sources)
    ]


def _finite(value: Any) -> float:
    v = float(value)
    return v if math.isfinite(v) else 0.0
