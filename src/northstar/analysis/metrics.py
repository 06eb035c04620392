"""Metric queries: run the compiled scans, join them, derive ratios and formulas, compare periods."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from northstar.compile.catalog import Catalog
from northstar.compile.plan import PERIOD, Step, plan_query
from northstar.compile.request import QueryRequest, bucket_starts, shift, truncate
from northstar.errors import QueryError
from northstar.results import QueryResult
from northstar.spec.expressions import evaluate_formula, safe_divide
from northstar.spec.models import parse_duration_days
from northstar.spec.rules import event_warnings
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

ZERO_WHEN_EMPTY = ("count", "count_distinct", "sum")
MAX_PERIODS = 20_000
GRAIN_ZH = {"hour": "小时", "day": "天", "week": "周", "month": "月", "quarter": "季度", "year": "年"}
Note = tuple[str, str]  # (English, Chinese)
Progress = Callable[[Step], None]  # called with each scan before it runs


def run_query(
    project: Project, engine: Engine, request: QueryRequest, progress: Progress | None = None
) -> QueryResult:
    catalog = project.catalog
    wanted = catalog.expand(request.metrics)
    for dim in request.by:
        if dim not in project.spec.dimensions:
            raise QueryError(
                f"unknown dimension {dim!r}" + did_you_mean(dim, project.spec.dimensions),
                f"未知的维度 {dim!r}" + did_you_mean(dim, project.spec.dimensions, "zh"),
            )
    order = catalog.closure(wanted)
    notes: list[Note] = []

    if request.grain:  # periods are whole: the range starts where its first period starts
        request = replace(request, start=truncate(pd.Timestamp(request.start), request.grain).date())
    start, end = request.start, request.end
    if request.grain:
        periods = len(bucket_starts(request.grain, start, end))
        if periods > MAX_PERIODS:
            raise QueryError(
                f"this asks for {periods:,} {request.grain} periods; narrow the range or use a coarser grain "
                f"(at most {MAX_PERIODS:,})",
                f"查询包含 {periods:,} 个周期（{request.grain}）；请缩小日期范围或使用更粗的粒度（最多 {MAX_PERIODS:,} 个）",
            )
    fetch_start = start
    if request.grain:
        for comp in request.compare:
            back = pd.Timestamp(start) - shift(request.grain, comp, start, end)
            fetch_start = min(fetch_start, truncate(back, request.grain).date())
    frame = _compute(project, engine, catalog, order, request, fetch_start, end, notes, progress)

    if request.compare and request.grain:
        partial = _partial_comparisons(project, engine, catalog, order, request, progress)
        frame = _compare_buckets(frame, request, wanted, partial)
    elif request.compare:
        for comp in request.compare:
            delta = shift(None, comp, start, end)
            p_start = (pd.Timestamp(start) - delta).date()
            p_end = (pd.Timestamp(end) - delta).date()
            other = _compute(project, engine, catalog, order, request, p_start, p_end, [], progress)
            frame = _attach(frame, other, list(request.by), wanted, comp)
    if request.grain:
        frame = frame[frame[PERIOD] >= truncate(pd.Timestamp(start), request.grain)]
        frame = frame[frame[PERIOD] < pd.Timestamp(end) + pd.Timedelta(days=1)]
    keys = ([PERIOD] if request.grain else []) + list(request.by)
    columns = keys + [c for c in frame.columns if c not in keys and c.split("__")[0] in wanted]
    frame = frame[columns].sort_values(keys).reset_index(drop=True) if keys else frame[columns]
    _incomplete_notes(project, engine, catalog, wanted, request, notes)
    notes.extend(_coverage_notes(project, engine, wanted, request))
    if request.grain:
        notes.extend(_partial_notes(request))
    return QueryResult(
        frame=frame,
        metrics=tuple(project.metric_info(n) for n in wanted),
        dimensions=tuple(request.by),
        grain=request.grain,
        start=start,
        end=end,
        comparisons=tuple(request.compare),
        currency=project.spec.project.currency,
        notes=tuple(en for en, _ in notes),
        notes_zh=tuple(zh for _, zh in notes),
        dimension_labels={d: project.dimension_labels(d) for d in request.by},
    )


def _compute(
    project: Project,
    engine: Engine,
    catalog: Catalog,
    order: list[str],
    request: QueryRequest,
    start: date,
    end: date,
    notes: list[Note],
    progress: Progress | None,
) -> pd.DataFrame:
    keys = ([PERIOD] if request.grain else []) + list(request.by)
    parts: list[pd.DataFrame] = []
    for step in plan_query(project, engine, order, request, start, end):
        if progress:
            progress(step)
        raw = engine.execute(step.expr)
        parts.append(_normalise(step.post(raw) if step.post else raw, keys))
    frame = _merge(parts, keys)
    if not keys and frame.empty:
        frame = pd.DataFrame(index=[0])  # a total always has its one row, empty when there is no data
    if request.grain and request.complete:
        frame = _complete(frame, request.grain, start, end, keys)
    for name in order:
        m = catalog.metrics[name]
        if name not in frame.columns:
            if m.kind == "ratio":
                frame[name] = safe_divide(
                    frame[m.spec.numerator].astype("float64"), frame[m.spec.denominator].astype("float64")
                )
            elif m.kind == "formula":
                frame[name] = evaluate_formula(catalog.formula(name), frame)
            else:
                frame[name] = np.nan
        if m.kind in ZERO_WHEN_EMPTY:
            covered = _covered(project, engine, m.spec.source or "", frame, request.grain, start, end)
            frame.loc[covered, name] = frame.loc[covered, name].fillna(0)
            frame.loc[~covered, name] = np.nan
    return frame


def _covered(
    project: Project,
    engine: Engine,
    source: str,
    frame: pd.DataFrame,
    grain: str | None,
    start: date,
    end: date,
) -> pd.Series:
    """Rows whose period lies within the source's data: there, nothing counted means 0; outside
    it (before the data starts or after it ends) the value is unknown and stays empty."""
    cov = project.coverage(engine, source)
    if cov is None:
        return pd.Series(False, index=frame.index)
    lo, hi = pd.Timestamp(cov[0]), pd.Timestamp(cov[1])
    if grain:
        return (frame[PERIOD] >= truncate(lo, grain)) & (frame[PERIOD] <= hi)
    overlaps = pd.Timestamp(start) <= hi and pd.Timestamp(end) + pd.Timedelta(days=1) > lo
    return pd.Series(overlaps, index=frame.index)


def _normalise(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    df = df.copy()
    if PERIOD in df.columns:
        df[PERIOD] = pd.to_datetime(df[PERIOD]).dt.tz_localize(None).astype("datetime64[us]")
    for k in keys:
        if k != PERIOD and k in df.columns:
            df[k] = df[k].astype("object").where(df[k].notna(), None)
    for c in df.columns:
        if c not in keys:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def _merge(parts: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({k: pd.Series(dtype="datetime64[us]" if k == PERIOD else "object") for k in keys})
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part, on=keys, how="outer") if keys else pd.concat([out, part], axis=1)
    return out


def _complete(frame: pd.DataFrame, grain: str, start: date, end: date, keys: list[str]) -> pd.DataFrame:
    periods = pd.DataFrame({PERIOD: bucket_starts(grain, start, end).astype("datetime64[us]")})
    dims = [k for k in keys if k != PERIOD]
    if dims:
        combos = frame[dims].drop_duplicates()
        grid = periods.merge(combos, how="cross")
    else:
        grid = periods
    return grid.merge(frame, on=keys, how="left")


def _compare_buckets(
    frame: pd.DataFrame, request: QueryRequest, wanted: list[str], partial: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Attach each bucket's comparison bucket; a partial last bucket gets the same part of its
    comparison bucket (month-to-date against the same days of the month before)."""
    dims = list(request.by)
    last = truncate(pd.Timestamp(request.end), request.grain or "day")
    for comp in request.compare:
        delta = shift(request.grain, comp, request.start, request.end)
        other = frame[[PERIOD, *dims, *wanted]].copy()
        offset = pd.DateOffset(**_offset_kwargs(delta))  # type: ignore[arg-type]
        other[PERIOD] = (other[PERIOD] + offset).astype("datetime64[us]")
        if comp in partial:
            same_part = partial[comp][[PERIOD, *dims, *wanted]].copy()
            same_part = same_part[same_part[PERIOD] == truncate(last - offset, request.grain or "day")]
            same_part[PERIOD] = pd.Series([last] * len(same_part), index=same_part.index).astype(
                "datetime64[us]"
            )
            other = pd.concat([other[other[PERIOD] != last], same_part], ignore_index=True)
        frame = _attach(frame, other, [PERIOD, *dims], wanted, comp)
    return frame


def _partial_comparisons(
    project: Project,
    engine: Engine,
    catalog: Catalog,
    order: list[str],
    request: QueryRequest,
    progress: Progress | None,
) -> dict[str, pd.DataFrame]:
    """For a last bucket cut short by the range end, compute each comparison bucket over the
    same elapsed part (e.g. 1–26 October for 1–26 November)."""
    grain = request.grain or "day"
    if grain in ("hour", "day") or not _last_is_partial(request):
        return {}
    last = truncate(pd.Timestamp(request.end), grain)
    out: dict[str, pd.DataFrame] = {}
    for comp in request.compare:
        offset = pd.DateOffset(**_offset_kwargs(shift(grain, comp, request.start, request.end)))  # type: ignore[arg-type]
        p_start, p_end = (last - offset).date(), (pd.Timestamp(request.end) - offset).date()
        out[comp] = _compute(project, engine, catalog, order, request, p_start, p_end, [], progress)
    return out


def _last_is_partial(request: QueryRequest) -> bool:
    grain = request.grain or "day"
    if grain in ("hour", "day"):
        return False
    step = {
        "week": pd.DateOffset(weeks=1),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
        "year": pd.DateOffset(years=1),
    }[grain]
    last = truncate(pd.Timestamp(request.end), grain)
    return bool(last + step > pd.Timestamp(request.end) + pd.Timedelta(days=1))


def _offset_kwargs(delta: object) -> dict[str, int]:
    return {k: getattr(delta, k) for k in ("years", "months", "days", "hours") if getattr(delta, k)}


def _attach(
    frame: pd.DataFrame, other: pd.DataFrame, keys: list[str], wanted: list[str], comp: str
) -> pd.DataFrame:
    renamed = other[[*keys, *wanted]].rename(columns={m: f"{m}__{comp}" for m in wanted})
    if keys:
        out = frame.merge(renamed, on=keys, how="left")
    else:
        out = pd.concat([frame.reset_index(drop=True), renamed.reset_index(drop=True)], axis=1)
    for m in wanted:
        base = out[f"{m}__{comp}"].astype("float64")
        cur = out[m].astype("float64")
        out[f"{m}__{comp}_change"] = cur - base
        out[f"{m}__{comp}_pct"] = safe_divide(cur - base, base.abs())
    return out


def observation_window(project: Project, name: str) -> str | int | None:
    """How long a ``repeat_rate`` (``within``, 30d by default) or ``conversion`` (its funnel's
    window) waits for what it counts; None for any other metric."""
    m = project.catalog.metrics[name]
    if m.kind == "repeat_rate":
        return m.spec.within or "30d"
    if m.kind == "conversion":
        from northstar.analysis.funnels import conversion_funnel

        return conversion_funnel(project, name, m.spec)[0].within
    return None


def _incomplete_notes(
    project: Project,
    engine: Engine,
    catalog: Catalog,
    wanted: list[str],
    request: QueryRequest,
    notes: list[Note],
) -> None:
    for name in wanted:
        m = catalog.metrics[name]
        if m.kind == "conversion":
            owner = m.spec.funnel or name  # a step event missing from the data makes the value 0
            notes.extend(
                (f"{name}: {i.message} — {i.fix}", f"{name}：{i.message_zh} — {i.fix_zh}")
                for i in event_warnings(project.issues, "funnel" if m.spec.funnel else "metric", owner)
            )
        elif m.kind == "active_users":
            notes.extend(_ramp_up_note(project, engine, name, request))
            continue
        within = observation_window(project, name)
        if within is None:
            continue
        days = parse_duration_days(within)
        last = project.last_time(engine, project.source_of(name) or "")
        if last is None:
            continue
        cutoff = (pd.Timestamp(last) - pd.Timedelta(days=days)).to_pydatetime()
        if (
            datetime.combine(request.end, datetime.min.time()) + timedelta(days=1) > cutoff
        ):  # the range ends at the end of its last day
            end = f"{pd.Timestamp(last):%Y-%m-%d}"
            notes.append(
                (
                    f"{name}: the data ends on {end}, so anyone {'entering' if m.kind == 'conversion' else 'first active'} "
                    f"after {cutoff:%Y-%m-%d} has had less than {within} to "
                    f"{'convert' if m.kind == 'conversion' else 'come back'}; values for periods after that date are "
                    "provisional and will still rise",
                    f"{name}：数据截止于 {end}，{cutoff:%Y-%m-%d} 之后{'进入' if m.kind == 'conversion' else '首次活跃'}的"
                    f"{'用户' if m.kind == 'conversion' else '客户'}还不满 {within} 观察期；"
                    "该日期之后各周期的数值是暂定的，还会上升",
                )
            )


def _partial_notes(request: QueryRequest) -> list[Note]:
    """Say when the last period is cut short by the end of the range."""
    if not _last_is_partial(request):
        return []
    grain = request.grain or "day"
    last = truncate(pd.Timestamp(request.end), grain)
    en = f"the last {grain} ({last:%Y-%m-%d}) runs only to {request.end}"
    zh = f"最后一个{GRAIN_ZH[grain]}（{last:%Y-%m-%d}）只统计到 {request.end}"
    if request.compare:
        en += "; its comparisons use the same part of the comparison period"
        zh += "；其对比值取对比周期中相同的天数"
    return [(en, zh)]


def _coverage_notes(project: Project, engine: Engine, wanted: list[str], request: QueryRequest) -> list[Note]:
    """Say when the range reaches outside the data: empty periods are not a fall to zero."""
    spans = [c for c in (project.coverage(engine, s) for s in project.sources_of(wanted)) if c is not None]
    if not spans:
        return [("the metrics' sources have no rows", "这些指标的数据源没有数据")]
    first = pd.Timestamp(min(a for a, _ in spans))
    last = pd.Timestamp(max(b for _, b in spans))
    start = pd.Timestamp(request.start)
    stop = pd.Timestamp(request.end) + pd.Timedelta(days=1)
    cover = f"{first:%Y-%m-%d} → {last:%Y-%m-%d}"
    if stop <= first or start > last:
        return [
            (f"no data in this range: the data covers {cover}", f"该日期范围内没有数据：数据覆盖 {cover}")
        ]
    out = []
    grain = request.grain or "day"
    bucket = truncate(first, grain)
    partial = request.grain not in (None, "hour", "day") and first.normalize() > bucket
    if start < first.normalize() and (bucket > start or partial):
        en, zh = f"the data starts on {first:%Y-%m-%d}", f"数据从 {first:%Y-%m-%d} 开始"
        if bucket > start:
            en += ": periods before it are empty, not zero"
            zh += "：之前的周期为空，而不是零"
        if partial:
            en += f"; the {grain} of {bucket:%Y-%m-%d} holds only part of it"
            zh += f"；{bucket:%Y-%m-%d} 这一{GRAIN_ZH[grain]}只包含部分数据"
        out.append((en, zh))
    if stop > last.normalize() + pd.Timedelta(days=1):
        out.append(
            (
                f"the data ends on {last:%Y-%m-%d}: later periods are empty, not zero",
                f"数据截止于 {last:%Y-%m-%d}：之后的周期为空，而不是零",
            )
        )
    return out


def _ramp_up_note(project: Project, engine: Engine, name: str, request: QueryRequest) -> list[Note]:
    """An active-users window that reaches back before the data starts counts only part of it."""
    m = project.catalog.metrics[name]
    w = int(parse_duration_days(m.spec.within or 1))
    cov = project.coverage(engine, project.source_of(name) or "")
    if cov is None or w == 1:
        return []
    first = cov[0].date()
    full = first + timedelta(days=w - 1)  # the first day whose window lies wholly in the data
    if request.start >= full:
        return []
    return [
        (
            f"{name}: the data starts on {first}, so its {w}-day windows up to {full - timedelta(days=1)} "
            "count only the days since then (lower than a full window would be)",
            f"{name}：数据从 {first} 开始，{full - timedelta(days=1)} 及之前的 {w} 天窗口只统计了此后的天数"
            "（低于完整窗口的值）",
        )
    ]
