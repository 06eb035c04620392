"""The numbers of the overview, a metric's series and the anomaly heatmap, composed from analyses.

**Overview** (``grain``: day, week, month, quarter or year; default week): for the north star and
each supporting metric, ``Project.query(metrics, grain=grain, compare=["prev"])`` over its default
range (the last 12 periods ending on the last day with data):

- ``value``: the last period's value (period-to-date when the data stop inside it);
  ``previous``, ``change``, ``change_pct``: the query's ``prev`` comparison of that period (a
  partial last period is compared with the same part of the one before);
- ``bands``: :func:`northstar.analysis.bands.bands_for` for the last period with ``elapsed`` = the
  query's last day (an additive metric's bands prorated to the days with data);
  ``status``: :func:`northstar.analysis.scorecards.item_status` of the value against them, or
  ``provisional`` for a repeat rate or conversion whose window is still open
  (below_floor, below_target, on_target, stretch, no_target, no_data);
- ``sparkline``: the value of each of the (up to 12) periods, oldest first.

**Series**: ``Project.query([metric], grain, from, to, by, where, compare)``, one point per period
(and value of ``by``), each comparison's base value, change and fractional change. Without ``by``
and ``where`` and for a goal grain (not ``hour``), each point carries its period's bands and status
like the overview's (a period cut by ``to`` or by the data gets the prorated bands).

**Heatmap**: for each metric (default: the north star and the supporting ones) and each day of
[from, to] (default: the 30 days ending on the last day with data), the daily value, the
detector's ``expected`` (:func:`northstar.analysis.detector.score` run over the daily series from
up to 400 days before ``from``, so it has a past to learn from — causal: each day is scored from the
days before it only), ``deviation`` = value − expected, ``deviation_pct`` = deviation / |expected|
(null when expected is 0 or missing), the robust ``z``, the ``score`` in [0, 1) and its reason
in en/zh.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from northstar.analysis.bands import Bands, bands_for, is_additive, length_dependent, target_entries
from northstar.analysis.scorecards import item_status, window_open
from northstar.compile.request import parse_date
from northstar.errors import QueryError
from northstar.serve.jsonable import jsonable
from northstar.spec.periods import GOAL_GRAINS, period_of

if TYPE_CHECKING:
    from northstar.analysis.bands import TargetSetting
    from northstar.project import Project
    from northstar.results import QueryResult
    from northstar.watch.store import AlertStore

__all__ = ["headline_metrics", "heatmap", "overview", "series"]

HISTORY_DAYS = 400


def headline_metrics(project: Project) -> list[str]:
    """The north star, then the supporting metrics (each once)."""
    names = [project.spec.north_star] if project.spec.north_star else []
    return list(dict.fromkeys([*names, *project.spec.supporting]))


def _bands_dict(bands: Bands | None) -> dict[str, Any] | None:
    if bands is None:
        return None
    return {
        "period": bands.period.label,
        "floor": bands.floor,
        "target": bands.target,
        "stretch": bands.stretch,
        "derived": bands.derived,
        "prorated_days": bands.prorated_days,
    }


def _period_bands(
    project: Project, metric: str, entries: Sequence[TargetSetting], start: Any, grain: str, last: date
) -> tuple[Bands | None, str]:
    value_day = pd.Timestamp(start).date()
    period = period_of(value_day, grain)
    bands = bands_for(
        entries,
        period,
        additive=is_additive(project, metric),
        length_dependent=length_dependent(project, metric),
        elapsed=last,
    )
    return bands, period.label


def _num(value: Any) -> float | None:
    out = jsonable(value)
    return float(out) if isinstance(out, int | float) else None


def _goal_grain(grain: str) -> None:
    if grain not in GOAL_GRAINS:
        raise QueryError(
            f"grain {grain!r} has no targets: choose one of {', '.join(GOAL_GRAINS)}",
            f"时间粒度 {grain!r} 没有目标：可选 {', '.join(GOAL_GRAINS)}",
        )


def overview(project: Project, store: AlertStore | None, grain: str = "week") -> dict[str, Any]:
    """The overview's KPIs (module docstring)."""
    _goal_grain(grain)
    names = headline_metrics(project)
    if not names:
        return {"grain": grain, "start": None, "end": None, "kpis": [], "notes": [], "notes_zh": []}
    result = project.query(names, grain=grain, compare=["prev"])
    frame = result.frame.sort_values("period").reset_index(drop=True)
    entries = target_entries(project, store)
    kpis = []
    for name in names:
        info = project.metric_info(name)
        last = frame.iloc[-1] if len(frame) else None
        value = _num(last[name]) if last is not None else None
        bands, label = (None, None)
        if last is not None:
            bands, label = _period_bands(
                project, name, entries.get(name, []), last["period"], grain, result.end
            )
        kpis.append(
            {
                "metric": name,
                "role": "north_star" if name == project.spec.north_star else "supporting",
                "label": info.label,
                "label_zh": info.label_zh,
                "format": info.format,
                "unit": info.unit,
                "direction": info.direction,
                "period": label,
                "value": value,
                "previous": _num(last[f"{name}__prev"]) if last is not None else None,
                "change": _num(last[f"{name}__prev_change"]) if last is not None else None,
                "change_pct": _num(last[f"{name}__prev_pct"]) if last is not None else None,
                "bands": _bands_dict(bands),
                "status": "provisional"
                if value is not None and window_open(project, name, result.end, project.engine)
                else item_status(value, bands, info.direction),
                "sparkline": [
                    {"period": jsonable(p), "value": _num(v)}
                    for p, v in zip(frame["period"], frame[name], strict=True)
                ][-12:],
            }
        )
    return {
        "grain": grain,
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "kpis": kpis,
        "notes": list(result.notes),
        "notes_zh": list(result.notes_zh),
    }


def series(
    project: Project,
    store: AlertStore | None,
    metric: str,
    *,
    grain: str | None,
    start: str | None,
    end: str | None,
    by: Sequence[str],
    where: str | None,
    compare: Sequence[str],
) -> dict[str, Any]:
    """A metric's trend with comparisons and per-period bands (module docstring)."""
    result: QueryResult = project.query(
        [metric],
        grain=grain,
        start=start,
        end=end,
        by=by,
        where=where,
        compare=compare,  # type: ignore[arg-type]
    )
    frame = result.frame
    if "period" in frame.columns:
        frame = frame.sort_values(["period", *result.dimensions]).reset_index(drop=True)
    with_bands = grain in GOAL_GRAINS and not by and not where and "period" in frame.columns
    entries = target_entries(project, store).get(metric, []) if with_bands else []
    direction = project.metric_info(metric).direction
    points = []
    for _, row in frame.iterrows():
        point: dict[str, Any] = {"period": jsonable(row["period"]) if "period" in frame.columns else None}
        point["slice"] = {d: jsonable(row[d]) for d in result.dimensions}
        point["value"] = _num(row[metric])
        for c in result.comparisons:
            point[c] = _num(row[f"{metric}__{c}"])
            point[f"{c}_change"] = _num(row[f"{metric}__{c}_change"])
            point[f"{c}_pct"] = _num(row[f"{metric}__{c}_pct"])
        if with_bands:
            bands, label = _period_bands(project, metric, entries, row["period"], grain or "day", result.end)
            point["period_label"] = label
            point["bands"] = _bands_dict(bands)
            point["status"] = item_status(point["value"], bands, direction)
        points.append(point)
    info = project.metric_info(metric)
    return {
        "metric": metric,
        "label": info.label,
        "label_zh": info.label_zh,
        "format": info.format,
        "grain": grain,
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "by": list(result.dimensions),
        "comparisons": list(result.comparisons),
        "points": points,
        "notes": list(result.notes),
        "notes_zh": list(result.notes_zh),
    }


def heatmap(project: Project, metrics: Sequence[str], start: str | None, end: str | None) -> dict[str, Any]:
    """Metric × day deviations from the detector's expected (module docstring)."""
    from northstar.analysis.detector import score

    names = list(dict.fromkeys(metrics)) or headline_metrics(project)
    if not names:
        return {"metrics": [], "days": [], "cells": []}
    last = (
        parse_date(end, "to") if end is not None else project.default_range(names, project.engine, "day")[1]
    )
    first = parse_date(start, "from") if start is not None else last - timedelta(days=29)
    if first > last:
        raise QueryError(
            f"the range starts ({first}) after it ends ({last}): swap from and to",
            f"日期范围的开始（{first}）晚于结束（{last}）：请交换 from 和 to",
        )
    span = project.span(names, project.engine)
    history = first - timedelta(days=HISTORY_DAYS)
    if span is not None:
        history = min(first, max(history, span[0].date()))
    result = project.query(names, grain="day", start=history, end=last)
    frame = result.frame.sort_values("period").reset_index(drop=True)
    index = pd.DatetimeIndex(pd.to_datetime(frame["period"]))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    cells = []
    for name in names:
        scored = score(
            pd.Series(pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy(), index=index)
        )
        by_day = {ts.date(): i for i, ts in enumerate(index)}
        for day in days:
            row = scored.iloc[by_day[day]] if day in by_day else None
            value = _num(row["value"]) if row is not None else None
            expected = _num(row["expected"]) if row is not None else None
            deviation = value - expected if value is not None and expected is not None else None
            cells.append(
                {
                    "metric": name,
                    "day": day.isoformat(),
                    "value": value,
                    "expected": expected,
                    "deviation": deviation,
                    "deviation_pct": deviation / abs(expected)
                    if deviation is not None and expected
                    else None,
                    "z": _num(row["z"]) if row is not None else None,
                    "score": _num(row["score"]) if row is not None else None,
                    "reason": (row["reason"] or None) if row is not None else None,
                    "reason_zh": (row["reason_zh"] or None) if row is not None else None,
                }
            )
    return {
        "metrics": [
            {"metric": n, "label": project.metric_info(n).label, "label_zh": project.metric_info(n).label_zh}
            for n in names
        ],
        "days": [d.isoformat() for d in days],
        "cells": cells,
    }
