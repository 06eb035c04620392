"""The GET endpoints over analyses; each answer is cached per data version (``cache.py``).

Every endpoint checks the names it is given against the project first (404 ``unknown_name`` with
"did you mean"), then runs the same ``Project`` method the CLI runs, so its numbers are the
Python API's. Lists in query parameters are comma-separated (``by=country,channel``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from northstar.project import Project
from northstar.serve import dashboard
from northstar.serve.context import ServerContext
from northstar.serve.deps import context, reader
from northstar.serve.errors import unknown_name
from northstar.serve.jsonable import jsonable, records
from northstar.serve.models import HeatmapOut, OverviewOut, ProjectOut, SeriesOut

router = APIRouter(prefix="/api", dependencies=[Depends(reader)], tags=["analyses"])

Ctx = Depends(context)


def split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def check_metric(project: Project, name: str) -> None:
    if name not in project.catalog.metrics:
        raise unknown_name("metric", "指标", name, project.catalog.metrics)


def check_funnel(project: Project, name: str) -> None:
    if name not in project.spec.funnels:
        raise unknown_name("funnel", "漏斗", name, project.spec.funnels)


def check_dimensions(project: Project, names: list[str]) -> None:
    for d in names:
        if d not in project.spec.dimensions:
            raise unknown_name("dimension", "维度", d, project.spec.dimensions)


def _text(value: Any, name: str) -> tuple[str, str]:
    if value is None:
        return name, name
    return value.get("en", name), value.get("zh", name)


def project_info(project: Project) -> dict[str, Any]:
    spec = project.spec
    metrics = []
    for name in project.catalog.names():
        info = project.metric_info(name)
        m = project.catalog.metrics[name].spec
        desc = getattr(m, "description", None)
        metrics.append(
            {
                "name": name,
                "label": info.label,
                "label_zh": info.label_zh,
                "type": m.type,
                "unit": info.unit,
                "format": info.format,
                "decimals": info.decimals,
                "direction": info.direction,
                "source": project.source_of(name),
                "description": desc.get("en") if desc is not None else None,
                "description_zh": desc.get("zh") if desc is not None else None,
                "why": [w.get("en") for w in getattr(m, "why", [])],
                "why_zh": [w.get("zh") for w in getattr(m, "why", [])],
                "owner": getattr(m, "owner", None),
                "team": getattr(m, "team", None),
                "drivers": bool(getattr((spec.drivers or {}).get(name), "formula", None)),
            }
        )
    return {
        "name": spec.project.name,
        "language": spec.project.language,
        "timezone": spec.project.timezone,
        "currency": spec.project.currency,
        "north_star": spec.north_star,
        "supporting": list(spec.supporting),
        "teams": [
            {"name": n, **dict(zip(("label", "label_zh"), _text(t.label, n), strict=True)),
             "owner": t.owner, "metrics": list(t.metrics)}
            for n, t in spec.teams.items()
        ],
        "metrics": metrics,
        "dimensions": [
            {"name": n, **dict(zip(("label", "label_zh"), project.dimension_labels(n), strict=True))}
            for n in spec.dimensions
        ],
        "funnels": [
            {"name": n, **dict(zip(("label", "label_zh"), _text(f.label, n), strict=True)),
             "source": f.source, "steps": [s.name or s.event or s.filter or "" for s in f.steps]}
            for n, f in spec.funnels.items()
        ],
        "retention": [
            {"name": n, **dict(zip(("label", "label_zh"), _text(r.label, n), strict=True)),
             "period": r.period, "periods": r.periods}
            for n, r in spec.retention.items()
        ],
        "lead_sets": [
            {"name": n, **dict(zip(("label", "label_zh"), _text(ls.label, n), strict=True))}
            for n, ls in spec.leads.items()
        ],
        "scorecards": [
            {"name": n, **dict(zip(("label", "label_zh"), _text(c.label, n), strict=True)),
             "grain": c.grain, "team": c.team}
            for n, c in spec.scorecards.items()
        ],
        "okrs": [
            {"name": n, "label": o.objective.get("en", n), "label_zh": o.objective.get("zh", n),
             "period": o.period, "owner": o.owner, "team": o.team}
            for n, o in spec.okrs.items()
        ],
    }  # fmt: skip


@router.get("/project", response_model=ProjectOut, summary="The project: metrics, teams, definitions")
def get_project(ctx: ServerContext = Ctx) -> Any:
    return ctx.cached_json("project", {}, project_info, ProjectOut)


@router.get("/overview", response_model=OverviewOut, summary="North star and supporting KPIs")
def get_overview(
    grain: str = Query("week", description="day, week, month, quarter or year"),
    end: str | None = Query(
        None, alias="to", description="last day, YYYY-MM-DD (default: the last with data)"
    ),
    where: str | None = Query(None, description="a filter such as channel = 'ads' (no bands then)"),
    ctx: ServerContext = Ctx,
) -> Any:
    return ctx.cached_json(
        "overview",
        {"grain": grain, "to": end, "where": where},
        lambda p: dashboard.overview(p, ctx.store, grain, end=end, where=where),
        OverviewOut,
    )


@router.get("/metrics/{name}/series", response_model=SeriesOut, summary="A metric's trend")
def get_series(
    name: str,
    grain: str | None = Query("day", description="hour, day, week, month, quarter or year"),
    start: str | None = Query(None, alias="from", description="first day, YYYY-MM-DD"),
    end: str | None = Query(None, alias="to", description="last day, YYYY-MM-DD"),
    by: str | None = Query(None, description="dimensions, comma-separated"),
    where: str | None = Query(None, description="a filter such as channel = 'ads'"),
    compare: str | None = Query(None, description="prev and/or yoy, comma-separated"),
    ctx: ServerContext = Ctx,
) -> Any:
    params = {"name": name, "grain": grain, "from": start, "to": end, "by": split(by), "where": where,
              "compare": split(compare)}  # fmt: skip

    def run(project: Project) -> dict[str, Any]:
        check_metric(project, name)
        check_dimensions(project, split(by))
        return dashboard.series(
            project, ctx.store, name, grain=grain, start=start, end=end, by=split(by), where=where,
            compare=_comparisons(split(compare)),
        )  # fmt: skip

    return ctx.cached_json("series", params, run, SeriesOut)


def _comparisons(names: list[str]) -> list[str]:
    from northstar.results import COMPARISONS

    for c in names:
        if c not in COMPARISONS:
            raise unknown_name("comparison", "对比方式", c, COMPARISONS, status=400)
    return names


@router.get("/funnels/{name}", summary="A funnel: steps, conversion, time to convert")
def get_funnel(
    name: str,
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    by: str | None = Query(None, description="a dimension or column"),
    where: str | None = Query(None, description="a filter such as channel = 'ads': only matching rows count"),
    ctx: ServerContext = Ctx,
) -> dict[str, Any]:
    def run(project: Project) -> dict[str, Any]:
        check_funnel(project, name)
        r = project.funnel(name, start=start, end=end, by=by, where=where or None)
        return jsonable(
            {"name": r.name, "label": r.label[0] or name, "label_zh": r.label[1] or name, "by": r.by,
             "start": r.start, "end": r.end, "within": r.within, "order": r.order,
             "steps": records(r.steps), "times": records(r.times), "histogram": records(r.histogram),
             "notes": list(r.notes), "notes_zh": list(r.notes_zh), "where": where or None}
        )  # type: ignore[no-any-return]  # fmt: skip

    params = {"name": name, "from": start, "to": end, "by": by, "where": where or None}
    return ctx.cached_json("funnel", params, run)


@router.get("/funnels/{name}/over-time", summary="A funnel's conversion by the period it was entered")
def get_funnel_over_time(
    name: str,
    grain: str = Query("week", description="day, week, month, quarter or year"),
    start: str | None = Query(None, alias="from", description="default: 12 periods back"),
    end: str | None = Query(None, alias="to", description="default: the source's last day"),
    by: str | None = Query(None, description="a dimension or column"),
    where: str | None = Query(None, description="a filter such as channel = 'ads': only matching rows count"),
    ctx: ServerContext = Ctx,
) -> dict[str, Any]:
    def run(project: Project) -> dict[str, Any]:
        check_funnel(project, name)
        return dashboard.funnel_over_time(project, name, grain, start, end, by or None, where=where or None)

    params = {
        "name": name,
        "grain": grain,
        "from": start,
        "to": end,
        "by": by or None,
        "where": where or None,
    }
    return ctx.cached_json("funnel_over_time", params, run)


@router.get("/retention/{name}", summary="Cohort retention: cohorts and the weighted curve")
def get_retention(
    name: str,
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    period: str | None = Query(None, description="day, week or month"),
    periods: int | None = Query(None, ge=1, le=400),
    mode: str | None = Query(None, description="bounded or unbounded"),
    by: str | None = Query(None),
    where: str | None = Query(
        None, description="a filter such as channel = 'ads': cohorts and returns from matching rows"
    ),
    ctx: ServerContext = Ctx,
) -> dict[str, Any]:
    def run(project: Project) -> dict[str, Any]:
        if name not in project.spec.retention:
            raise unknown_name("retention", "留存定义", name, project.spec.retention)
        r = project.retention(
            name, start=start, end=end, period=period, periods=periods, mode=mode, by=by, where=where or None
        )
        return jsonable(
            {"name": r.name, "period": r.period, "periods": r.periods, "mode": r.mode, "by": r.by,
             "start": r.start, "end": r.end, "observed_until": r.observed_until, "measure": r.measure,
             "measure_zh": r.measure_zh, "cohorts": records(r.cohorts), "curve": records(r.curve),
             "where": r.where, "notes": list(r.notes), "notes_zh": list(r.notes_zh)}
        )  # type: ignore[no-any-return]  # fmt: skip

    params = {"name": name, "from": start, "to": end, "period": period, "periods": periods, "mode": mode,
              "by": by, "where": where or None}  # fmt: skip
    return ctx.cached_json("retention", params, run)


@router.get("/explain/{metric}", summary="Why a metric changed: driver tree, parts, root causes")
def get_explain(
    metric: str,
    day: str | None = Query(None, alias="date", description="a day in the period (default: last with data)"),
    vs: str = Query("previous", description="previous, last_year, forecast or target"),
    grain: str = Query("day"),
    by: str | None = Query(None, description="dimensions for root causes, comma-separated"),
    ctx: ServerContext = Ctx,
) -> dict[str, Any]:
    def run(project: Project) -> dict[str, Any]:
        check_metric(project, metric)
        check_dimensions(project, split(by))
        r = project.explain(metric, day=day, vs=vs, grain=grain, by=split(by), store=ctx.store)
        return jsonable(r.to_dict())  # type: ignore[no-any-return]

    params = {"metric": metric, "date": day, "vs": vs, "grain": grain, "by": split(by)}
    return ctx.cached_json("explain", params, run)


@router.get("/heatmap", response_model=HeatmapOut, summary="Metric × day deviation from expected")
def get_heatmap(
    metrics: str | None = Query(None, description="comma-separated; default: north star and supporting"),
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    by: str | None = Query(None, description="a dimension: one row per value (one metric only)"),
    limit: int = Query(12, ge=1, le=100, description="with by: the values with the most rows"),
    where: str | None = Query(None, description="a filter such as channel = 'ads'"),
    ctx: ServerContext = Ctx,
) -> Any:
    def run(project: Project) -> dict[str, Any]:
        for m in split(metrics):
            check_metric(project, m)
        if by:
            check_dimensions(project, [by])
        return dashboard.heatmap(project, split(metrics), start, end, by=by or None, limit=limit, where=where)

    params = {
        "metrics": split(metrics),
        "from": start,
        "to": end,
        "by": by or None,
        "limit": limit,
        "where": where,
    }
    return ctx.cached_json("heatmap", params, run, HeatmapOut)


@router.get("/scorecards/{name}", summary="A scorecard for a period")
def get_scorecard(
    name: str,
    period: str | None = Query(None, description="2026-W47, 2026-11, 2026-Q4 (default: the current one)"),
    ctx: ServerContext = Ctx,
) -> dict[str, Any]:
    def run(project: Project) -> dict[str, Any]:
        if name not in project.spec.scorecards:
            raise unknown_name("scorecard", "计分卡", name, project.spec.scorecards)
        return jsonable(project.scorecard(name, period, store=ctx.store).to_dict())  # type: ignore[no-any-return]

    return ctx.cached_json("scorecard", {"name": name, "period": period}, run)


@router.get("/okrs", summary="Progress of every OKR (or those named)")
def get_okrs(names: str | None = Query(None, description="comma-separated"), ctx: ServerContext = Ctx) -> Any:
    def run(project: Project) -> list[dict[str, Any]]:
        for n in split(names):
            if n not in project.spec.okrs:
                raise unknown_name("OKR", "OKR", n, project.spec.okrs)
        return [jsonable(o.to_dict()) for o in project.okrs(split(names) or None)]

    return ctx.cached_json("okrs", {"names": split(names)}, run)
