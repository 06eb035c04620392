"""Evaluate watch rules (``watch:``; :class:`northstar.spec.watch.WatchRule`) over a range of periods.

For a rule on metric M at grain G (day or hour), sliced by ``by`` (or the total), the engine
computes M per period and slice over the range plus the history the check needs; then, per
period p in the range and per slice:

- ``change``: baseline b = M(p − 1 period); the rule fires when |M(p) − b| / |b| ≥ threshold
  (default 15 %);
- ``weekly``: b = M(p − 7 days) (for hours, the same hour a week before); fires likewise;
- ``floor`` / ``ceiling``: fires when M(p) < threshold / M(p) > threshold (b = the threshold);
- ``anomaly``: the detector (:func:`northstar.analysis.detector.score`) run on the slice's
  series from 90 days before the range, causally; fires when its score ≥ 0.5: the point is beyond
  4 robust deviations of its seasonal forecast and the largest deviation of the last 50 days, or
  (series of 300 rows or more, e.g. hourly) the recent deviations are unusually large for the
  series (anomaly likelihood) or the value leaves its 30-day range (see the detector's docstring);
  b = the detector's forecast.

``direction: down`` keeps only falls (M(p) < b), ``up`` only rises. ``min_volume``: a rule stays
quiet unless max(|M(p)|, |b|) ≥ min_volume. A baseline of 0 or no value (no data a period
before) gives no ``change``/``weekly`` firing. A period is evaluated once it is complete: the last
row of the metric's sources falls in its last 24th (after 23:00 for a day) or later.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from northstar.errors import QueryError
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project
    from northstar.spec.watch import WatchRule

__all__ = ["ANOMALY_SCORE", "Firing", "backtest", "evaluate", "last_complete_period", "metric_formatter"]

ANOMALY_SCORE = 0.5  # the detector's score at which an anomaly rule fires
_HISTORY = {"change": 1, "weekly": 7, "floor": 0, "ceiling": 0, "anomaly": 90}  # days before the range
_VS = {
    ("change", "day"): ("the day before", "前一天"),
    ("change", "hour"): ("the hour before", "前一小时"),
    ("weekly", "day"): ("the same weekday last week", "上周同一天"),
    ("weekly", "hour"): ("the same hour last week", "上周同一时段"),
}


@dataclass(frozen=True)
class Firing:
    """One period and slice where a rule fires."""

    rule: str
    metric: str
    check: str
    slice: tuple[tuple[str, str], ...]  # ((dimension, value), …); () for the total
    period: datetime
    value: float
    baseline: float  # the previous value, the threshold, or the forecast
    severity: str
    reason: str
    reason_zh: str

    @property
    def change_pct(self) -> float | None:
        if not self.baseline or not math.isfinite(self.baseline):
            return None
        return (self.value - self.baseline) / abs(self.baseline) * 100

    @property
    def key(self) -> str:
        """Rule, slice and period: the same firing always has the same key (alerts dedupe on it)."""
        where = "&".join(f"{d}={v}" for d, v in self.slice)
        return f"{self.rule}|{where}|{self.period.isoformat()}"


def _rule(project: Project, name: str) -> WatchRule:
    rules = project.spec.watch or {}
    if name not in rules:
        known = sorted(rules)
        raise QueryError(
            f"no watch rule {name!r}" + did_you_mean(name, known),
            f"没有监控规则 {name!r}" + did_you_mean(name, known, "zh"),
        )
    return rules[name]


def last_complete_period(project: Project, name: str, engine: Engine | None = None) -> datetime:
    """The start of the last period of rule ``name`` that the data covers whole."""
    rule = _rule(project, name)
    eng = engine or project.engine
    last = _last_time(project, eng, rule.metric)
    step = _step(rule.grain)
    start = pd.Timestamp(last).floor("h" if rule.grain == "hour" else "D")
    if not _complete(start, step, pd.Timestamp(last)):
        start -= step
    return start.to_pydatetime()


def _step(grain: str) -> pd.Timedelta:
    return pd.Timedelta(hours=1) if grain == "hour" else pd.Timedelta(days=1)


def _complete(period: pd.Timestamp, step: pd.Timedelta, last: pd.Timestamp) -> bool:
    """A period counts as complete when the data reach its last 24th (23:00 for a day, the last
    2½ minutes of an hour): data loaded in the morning have their last day whole, while a day
    whose data stop at noon is still running."""
    return bool(last >= period + step - step / 24)


def _last_time(project: Project, engine: Engine, metric: str) -> datetime:
    span = project.span([metric], engine)
    if span is None:
        raise QueryError(
            f"{metric}: its sources hold no rows with a time; nothing to watch",
            f"{metric}：其数据源中没有带时间的行，无从监控",
        )
    return pd.Timestamp(span[1]).to_pydatetime()


def evaluate(
    project: Project,
    name: str,
    start: date,
    end: date,
    engine: Engine | None = None,
) -> list[Firing]:
    """The firings of rule ``name`` in the periods that start on days ``start`` … ``end``."""
    rule = _rule(project, name)
    eng = engine or project.engine
    first = start - timedelta(days=_HISTORY[rule.check])
    frame = project.query([rule.metric], by=rule.by, grain=rule.grain, start=first, end=end, engine=eng).frame
    last = pd.Timestamp(_last_time(project, eng, rule.metric))
    step = _step(rule.grain)
    frame = frame[[_complete(p, step, last) for p in frame["period"]]]
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    out: list[Firing] = []
    groups = frame.groupby(rule.by, dropna=False, sort=True) if rule.by else [((), frame)]
    for key, part in groups:
        values = tuple(key) if isinstance(key, tuple) else (key,)
        where = tuple((d, str(v)) for d, v in zip(rule.by, values, strict=False))
        series = part.set_index("period")[rule.metric].astype("float64").sort_index()
        info = project.metric_info(rule.metric)
        labels = (info.label or rule.metric, info.label_zh or info.label or rule.metric)
        out += _fire(rule, name, where, series, lo, hi, step, metric_formatter(project, rule.metric), labels)
    out.sort(key=lambda f: (f.period, f.slice))
    return out


def backtest(project: Project, start: date, end: date, names: Sequence[str] | None = None) -> list[Firing]:
    """Every rule's firings over [start, end] (inclusive days)."""
    return [f for n in (names or sorted(project.spec.watch or {})) for f in evaluate(project, n, start, end)]


def _fire(
    rule: WatchRule,
    name: str,
    where: tuple[tuple[str, str], ...],
    series: pd.Series,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    step: pd.Timedelta,
    fmt: Callable[[float], str] = lambda v: f"{v:,.6g}",
    labels: tuple[str, str] | None = None,
) -> list[Firing]:
    """The rule's firings on one series; ``labels``: the metric's label (en, zh) that its
    reasons name (default: the metric's name)."""
    label = labels or (rule.metric, rule.metric)
    if rule.check in ("change", "weekly"):
        lag = step if rule.check == "change" else pd.Timedelta(days=7)
        base = series.reindex(pd.DatetimeIndex(series.index) - lag).to_numpy()
        value = series.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (value - base) / np.abs(base)
        fires = np.isfinite(pct) & (base != 0) & (np.abs(pct) >= float(rule.threshold or 0))
    elif rule.check in ("floor", "ceiling"):
        value = series.to_numpy()
        base = np.full(len(value), float(rule.threshold or 0))
        fires = (value < base) if rule.check == "floor" else (value > base)
        fires &= np.isfinite(value)
    else:
        from northstar.analysis.detector import score

        first = series.first_valid_index()  # before the data start: no history, not zeros
        series = series.loc[first:] if first is not None else series.iloc[:0]
        scored = score(series.fillna(0.0), reasons=True, fmt=fmt)
        value = scored["value"].to_numpy(dtype="float64")
        base = scored["expected"].to_numpy(dtype="float64")
        fires = scored["score"].to_numpy() >= ANOMALY_SCORE
    if rule.direction == "down":
        fires &= value < base
    elif rule.direction == "up":
        fires &= value > base
    volume = np.fmax(np.abs(value), np.abs(np.nan_to_num(base, nan=0.0)))
    fires &= volume >= rule.min_volume
    index = series.index
    fires &= np.asarray((index >= lo) & (index < hi))
    out = []
    for i in np.flatnonzero(fires):
        if rule.check == "anomaly":
            en, zh = str(scored["reason"].iloc[i]), str(scored["reason_zh"].iloc[i])
        else:
            en, zh = _reason(rule, label, float(value[i]), float(base[i]), fmt)
        out.append(
            Firing(
                rule=name,
                metric=rule.metric,
                check=rule.check,
                slice=where,
                period=pd.Timestamp(index[int(i)]).to_pydatetime(),
                value=float(value[i]),
                baseline=float(base[i]),
                severity=rule.severity,
                reason=en,
                reason_zh=zh,
            )
        )
    return out


def metric_formatter(project: Project, metric: str) -> Callable[[float], str]:
    """The metric's own number format (8.2%, $1,204.50), as tables show it."""
    from northstar.cli.render import format_value

    info = project.metric_info(metric)
    return lambda v: format_value(v, info, project.spec.project.currency)


def _reason(
    rule: WatchRule,
    label: tuple[str, str],
    value: float,
    base: float,
    fmt: Callable[[float], str] = lambda v: f"{v:,.6g}",
) -> tuple[str, str]:
    """Why the rule fired, in English and Chinese, naming the metric by its label in each."""
    en, zh = label
    if rule.check in ("floor", "ceiling"):
        below = rule.check == "floor"
        return (
            f"{en} is {fmt(value)}, {'below its floor' if below else 'above its ceiling'} of {fmt(base)}",
            f"{zh} 为 {fmt(value)}，{'低于下限' if below else '高于上限'} {fmt(base)}",
        )
    pct = (value - base) / abs(base) * 100
    vs_en, vs_zh = _VS[(rule.check, rule.grain)]
    limit = float(rule.threshold or 0) * 100
    return (
        f"{en} {'rose' if pct > 0 else 'fell'} {abs(pct):.1f} % vs {vs_en} "
        f"({fmt(base)} → {fmt(value)}), beyond {limit:g} %",
        f"{zh} 较{vs_zh}{'上升' if pct > 0 else '下降'} {abs(pct):.1f}%（{fmt(base)} → {fmt(value)}），"
        f"超过 {limit:g}%",
    )
