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
  ``provisional`` for a repeat rate or conversion whose window is still open — such a KPI also
  gets ``settled``: its last period whose window has closed (value, change, bands, status), the
  number to judge it on
  (below_floor, below_target, on_target, stretch, no_target, no_data);
- ``sparkline``: the value of each of the (up to 12) periods, oldest first.

**Series**: ``Project.query([metric], grain, from, to, by, where, compare)``, one point per period
(and value of ``by``), each comparison's base value, change and fractional change. Without ``by``
and ``where`` and for a goal grain (not ``hour``), each point carries its period's bands and status
like the overview's (a period cut by ``to`` or by the data gets the prorated bands). ``provisional``:
the point is a repeat rate or conversion whose window is still open at the period's last day (its
value will still rise; its status is then ``provisional`` rather than a verdict).

**Heatmap**: for each metric (default: the north star and the supporting ones) and each day of
[from, to] (default: the 30 days ending on the last day with data), the daily value, the
detector's ``expected`` (:func:`northstar.analysis.detector.score` run over the daily series from
up to 400 days before ``from``, so it has a past to learn from — causal: each day is scored from the
days before it only), ``deviation`` = value − expected, ``deviation_pct`` = deviation / |expected|
(null when expected is 0 or missing), the robust ``z``, the ``score`` in [0, 1) and its reason
in en/zh. ``where`` filters every series (the query's ``where``). With ``by`` (a dimension; one
metric): one row per value of the dimension instead of per metric — the metric's daily series
within that value (``Project.query`` with ``by=[dim]``) scored by the same detector — limited to
the ``limit`` values with the most *volume*: rows of the metric's sources inside [from, to] (and
``where``) carrying that value; ``groups`` lists them, largest first, with their volume.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from northstar.analysis.bands import Bands, bands_for, is_additive, length_dependent, target_entries
from northstar.analysis.scorecards import item_status, window_open
from northstar.compile.request import parse_date
from northstar.errors import ExpressionError, QueryError
from northstar.serve.jsonable import jsonable
from northstar.spec.periods import GOAL_GRAINS, period_of

if TYPE_CHECKING:
    from northstar.analysis.bands import TargetSetting
    from northstar.project import Project
    from northstar.results import QueryResult
    from northstar.watch.store import AlertStore

__all__ = ["funnel_over_time", "headline_metrics", "heatmap", "overview", "series"]

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


def overview(
    project: Project,
    store: AlertStore | None,
    grain: str = "week",
    *,
    end: str | None = None,
    where: str | None = None,
) -> dict[str, Any]:
    """The overview's KPIs (module docstring). ``end``: the last day (default: the last with data);
    ``where``: a filter — a KPI whose sources lack a filtered column is left out and listed in
    ``skipped``; filtered values get no bands (targets are set for the whole business)."""
    _goal_grain(grain)
    names = headline_metrics(project)
    empty: dict[str, Any] = {
        "grain": grain,
        "start": None,
        "end": None,
        "kpis": [],
        "notes": [],
        "notes_zh": [],
        "skipped": [],
    }
    if not names:
        return empty
    start = None
    if end is not None:
        from northstar.project import default_start

        last_day = parse_date(end, "to")
        span = project.span(names, project.engine)
        start = default_start(last_day, grain)
        if span is not None:
            start = max(start, span[0].date())
    results: dict[str, QueryResult] = {}
    skipped: list[dict[str, Any]] = []
    if where:
        results, skipped = _each_filtered(project, names, grain=grain, start=start, end=end, where=where,
                                          compare=["prev"])  # fmt: skip
    else:
        together = project.query(names, grain=grain, start=start, end=end, compare=["prev"])
        results = dict.fromkeys(names, together)
    entries = target_entries(project, store) if not where else {}
    kpis = []
    for name, result in results.items():
        info = project.metric_info(name)
        frame = result.frame.sort_values("period").reset_index(drop=True)
        last = frame.iloc[-1] if len(frame) else None
        value = _num(last[name]) if last is not None else None
        bands, label = (None, None)
        if last is not None:
            bands, label = _period_bands(
                project, name, entries.get(name, []), last["period"], grain, result.end
            )
        settled = None
        if where:
            status = "filtered"
        elif value is not None and window_open(project, name, result.end, project.engine):
            status = "provisional"
            settled = _settled(project, name, frame, grain, result.end, entries.get(name, []), info.direction)
        else:
            status = item_status(value, bands, info.direction)
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
                "status": status,
                "settled": settled,
                "sparkline": [
                    {"period": jsonable(p), "value": _num(v)}
                    for p, v in zip(frame["period"], frame[name], strict=True)
                ][-12:],
            }
        )
    first = next(iter(results.values()))
    notes = list(dict.fromkeys(n for r in results.values() for n in r.notes))
    notes_zh = list(dict.fromkeys(n for r in results.values() for n in r.notes_zh))
    return {
        "grain": grain,
        "start": first.start.isoformat(),
        "end": first.end.isoformat(),
        "kpis": kpis,
        "notes": notes,
        "notes_zh": notes_zh,
        "skipped": skipped,
    }


def _each_filtered(
    project: Project, names: Sequence[str], **query: Any
) -> tuple[dict[str, QueryResult], list[dict[str, Any]]]:
    """``Project.query`` of each metric alone with ``query`` (which holds a ``where``): a filter on a
    column some metrics' sources lack leaves those out, listed as skipped with the reason; the
    filter's error when it fits none of them."""
    results: dict[str, QueryResult] = {}
    skipped: list[dict[str, Any]] = []
    for name in names:
        try:
            results[name] = project.query([name], **query)
        except ExpressionError as exc:
            skipped.append({"metric": name, "message": str(exc), "message_zh": exc.zh})
    if not results:
        raise ExpressionError(skipped[0]["message"], skipped[0]["message_zh"])
    return results, skipped


def _settled(
    project: Project,
    name: str,
    frame: pd.DataFrame,
    grain: str,
    end: date,
    entries: Sequence[TargetSetting],
    direction: str,
) -> dict[str, Any] | None:
    """The last period of ``frame`` whose repeat/conversion window has closed for everyone in it:
    the value a provisional KPI is judged on (period, value, change vs the period before, bands,
    status), or None when no period in the frame has closed yet."""
    for i in range(len(frame) - 1, -1, -1):
        row = frame.iloc[i]
        if not _provisional(project, name, row, grain, end, frame.columns):
            bands, label = _period_bands(project, name, entries, row["period"], grain, end)
            value = _num(row[name])
            return {
                "period": label,
                "value": value,
                "change_pct": _num(row[f"{name}__prev_pct"]),
                "bands": _bands_dict(bands),
                "status": item_status(value, bands, direction),
            }
    return None


def _provisional(project: Project, metric: str, row: Any, grain: str | None, end: date, columns: Any) -> bool:
    """Whether the point's value may still rise: a repeat rate or conversion whose window has not
    closed for everyone who entered by the point's last day (:func:`window_open`)."""
    if "period" not in columns or grain not in GOAL_GRAINS:
        through = end
    else:
        through = min(period_of(pd.Timestamp(row["period"]).date(), grain or "day").end, end)
    return window_open(project, metric, through, project.engine) is not None


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
        point["provisional"] = _provisional(project, metric, row, grain, result.end, frame.columns)
        if point["provisional"] and point["value"] is not None and "status" in point:
            point["status"] = "provisional"
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


def heatmap(
    project: Project,
    metrics: Sequence[str],
    start: str | None,
    end: str | None,
    *,
    by: str | None = None,
    limit: int = 12,
    where: str | None = None,
) -> dict[str, Any]:
    """Metric × day (or, with ``by``, dimension value × day) deviations from the detector's
    expected (module docstring)."""
    names = list(dict.fromkeys(metrics)) or headline_metrics(project)
    if by is not None:
        names = names[:1] if not metrics else names
        if len(names) != 1:
            raise QueryError(
                f"a heatmap by {by!r} shows one metric, not {len(names)}: name one in metrics",
                f"按 {by!r} 拆分的热力图只显示一个指标，而不是 {len(names)} 个：请在 metrics 中只指定一个",
            )
    if not names:
        return {"metrics": [], "days": [], "cells": [], "by": by, "groups": [], "skipped": []}
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
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    cells: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    if by is None and where and len(names) > 1:
        # a filter on a dimension that some metrics' sources lack: those metrics are left out
        # (listed in ``skipped`` with the reason), the others are filtered
        each, skipped = _each_filtered(project, names, grain="day", start=history, end=last, where=where)
        for name, one in each.items():
            cells.extend(
                _heat_cells(project, one.frame.sort_values("period").reset_index(drop=True), name, days)
            )
        names = list(each)
    elif by is None:
        result = project.query(names, grain="day", start=history, end=last, where=where)
        frame = result.frame.sort_values("period").reset_index(drop=True)
        for name in names:
            cells.extend(_heat_cells(project, frame, name, days))
    else:
        result = project.query(names, grain="day", start=history, end=last, by=[by], where=where)
        frame = result.frame.sort_values("period").reset_index(drop=True)
        volumes = _volumes(project, names[0], by, first, last, where)
        top = sorted(volumes.items(), key=lambda kv: (-kv[1], kv[0] is None, str(kv[0])))[: max(limit, 1)]
        column = frame[by]
        for value, volume in top:
            rows = frame[column.isna()] if value is None else frame[column.astype(str) == value]
            groups.append({"value": value, "volume": volume})
            cells.extend(_heat_cells(project, rows, names[0], days, group=value))
    return {
        "metrics": [
            {"metric": n, "label": project.metric_info(n).label, "label_zh": project.metric_info(n).label_zh}
            for n in names
        ],
        "days": [d.isoformat() for d in days],
        "by": by,
        "groups": groups,
        "skipped": skipped,
        "cells": cells,
    }


def _heat_cells(
    project: Project, frame: pd.DataFrame, name: str, days: Sequence[date], *, group: str | None = None
) -> list[dict[str, Any]]:
    """One cell per day of ``days``: the detector's score of ``frame``'s daily ``name`` series;
    ``provisional``: a repeat rate or conversion whose window is still open on that day (its value
    will still rise, so a low value there is no verdict)."""
    from northstar.analysis.detector import score
    from northstar.watch.rules import metric_formatter

    index = pd.DatetimeIndex(pd.to_datetime(frame["period"]))
    scored = score(  # reasons in the metric's own format (8.2 %, not 0.082)
        pd.Series(pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy(), index=index),
        fmt=metric_formatter(project, name),
    )
    by_day = {ts.date(): i for i, ts in enumerate(index)}
    cells = []
    for day in days:
        row = scored.iloc[by_day[day]] if day in by_day else None
        value = _num(row["value"]) if row is not None else None
        expected = _num(row["expected"]) if row is not None else None
        deviation = value - expected if value is not None and expected is not None else None
        cell = {
            "metric": name,
            "day": day.isoformat(),
            "value": value,
            "expected": expected,
            "deviation": deviation,
            "deviation_pct": deviation / abs(expected) if deviation is not None and expected else None,
            "z": _num(row["z"]) if row is not None else None,
            "score": _num(row["score"]) if row is not None else None,
            "reason": (row["reason"] or None) if row is not None else None,
            "reason_zh": (row["reason_zh"] or None) if row is not None else None,
            "provisional": value is not None and window_open(project, name, day, project.engine) is not None,
            "group": group,
        }
        cells.append(cell)
    return cells


def _volumes(
    project: Project, metric: str, by: str, first: date, last: date, where: str | None
) -> dict[str | None, int]:
    """Rows of ``metric``'s sources in [first, last] (and ``where``) per value of dimension ``by``
    (as text; None for a missing value), summed over the sources that have the dimension."""
    from northstar.compile.plan import Slice, _where
    from northstar.compile.request import range_bounds
    from northstar.engine.base import TS

    engine = project.engine
    lo, hi = range_bounds(first, last)
    sl = Slice(start=lo, end=hi, grain="day", by=(by,), where=where)
    dims = project.spec.dimensions
    out: dict[str | None, int] = {}
    for source in project.sources_of([metric]):
        table = project.table(engine, source)
        column = dims[by].column_in(by, source)
        if column not in table.columns:
            continue
        cond = (table[TS] >= lo) & (table[TS] < hi)
        extra = _where(table, source, sl, dims)
        rows = table.filter(cond & extra if extra is not None else cond)
        counted = engine.execute(rows.group_by(value=rows[column]).aggregate(rows=rows.count()))
        for value, n in zip(counted["value"], counted["rows"], strict=True):
            key = None if value is None or (isinstance(value, float) and value != value) else str(value)
            out[key] = out.get(key, 0) + int(n)
    return out


def funnel_over_time(
    project: Project,
    name: str,
    grain: str,
    start: str | None,
    end: str | None,
    by: str | None,
    where: str | None = None,
) -> dict[str, Any]:
    """A funnel's conversion by entry period (``Project.funnel_over_time``): one row per period
    (and ``by`` value) with ``entered``, ``converted``, ``conversion`` and ``complete``, and the
    period's label (2026-W47). ``to`` defaults to the funnel source's last day, ``from`` to the
    start of the period 12 periods back (30 days for ``day``), not before the data's first whole period.
    ``where``: only the source rows matching it count as steps (``Project.funnel``)."""
    from northstar.analysis.funnels import funnel_spec
    from northstar.project import default_start

    if grain not in GOAL_GRAINS:
        raise QueryError(
            f"unknown grain {grain!r} for a funnel over time: choose one of {', '.join(GOAL_GRAINS)}",
            f"漏斗随时间变化不支持时间粒度 {grain!r}：可选 {', '.join(GOAL_GRAINS)}",
        )
    spec = funnel_spec(project, name)
    cov = project.coverage(project.engine, spec.source)
    last = parse_date(end, "to") if end is not None else cov[1].date() if cov else date.today()
    if start is not None:
        first = parse_date(start, "from")
    else:
        first = period_of(default_start(last, grain), grain).start
        if cov is not None:  # not before the data's first whole period
            opening = period_of(cov[0].date(), grain)
            whole = opening.start if opening.start == cov[0].date() else opening.end + timedelta(days=1)
            first = min(max(first, whole), last)
    frame = project.funnel_over_time(name, grain, start=first, end=last, by=by, where=where)
    rows = []
    for row in frame.to_dict("records"):
        day = pd.Timestamp(row["period"]).date()
        rows.append({**{k: jsonable(v) for k, v in row.items()}, "period_label": period_of(day, grain).label})
    return {
        "name": name,
        "grain": grain,
        "by": by,
        "where": where,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "within": jsonable(spec.within),
        "steps": [s.name or s.event or s.filter or "" for s in spec.steps],
        "periods": rows,
    }
