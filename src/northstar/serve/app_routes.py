"""The endpoints over the app database: targets, alerts (states, 5-Why reviews), lead ratings.

Reads are not cached (one indexed query each). Writes need a JSON body and the same origin
(``auth.check_write``); targets, reviews and ratings need an editor. The actor recorded is the
token's name; without a token (a loopback server) it is the body's ``by`` or ``local``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query

from northstar.project import Project
from northstar.serve.auth import LOCAL, Caller
from northstar.serve.context import ServerContext
from northstar.serve.deps import context, editor, reader, writer
from northstar.serve.errors import ApiError, unknown_name
from northstar.serve.jsonable import jsonable
from northstar.serve.models import (
    AlertDetailOut,
    AlertOut,
    RatingsIn,
    RatingsOut,
    ReviewIn,
    ReviewOut,
    SavedOut,
    TargetIn,
    TargetOut,
    TransitionIn,
)
from northstar.spec.suggest import did_you_mean
from northstar.watch.store import STATES, Review, StoredAlert

router = APIRouter(prefix="/api", dependencies=[Depends(reader)], tags=["app"])

Ctx = Depends(context)


def _actor(caller: Caller, by: str | None) -> str:
    if caller.name == LOCAL and by and by.strip():
        return by.strip()
    return caller.name


def _review(r: Review | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return jsonable({"whys": list(r.whys), "owner": r.owner, "actions": list(r.actions), "due": r.due,
                     "version": r.version, "at": r.at, "by": r.by})  # type: ignore[no-any-return]  # fmt: skip


def _alert(s: StoredAlert) -> dict[str, Any]:
    a = s.alert
    return jsonable(
        {"id": a.id, "metric": a.metric, "label": a.label_en, "label_zh": a.label_zh, "slice": dict(a.slice),
         "period": a.period, "value": a.value, "expected": a.expected, "change_pct": a.change_pct,
         "rule": a.rule, "severity": a.severity, "summary": a.summary_en, "summary_zh": a.summary_zh,
         "state": s.state, "close_reason": s.close_reason, "created_at": s.created_at,
         "updated_at": s.updated_at, "review": _review(s.review)}
    )  # type: ignore[no-any-return]  # fmt: skip


def _get_alert(ctx: ServerContext, alert_id: str) -> StoredAlert:
    stored = ctx.store.get(alert_id)
    if stored is None:
        raise unknown_name("alert", "告警", alert_id, [a.id for a in ctx.store.list()])
    return stored


# -- targets --------------------------------------------------------------------------------------


@router.get("/targets", response_model=dict[str, list[TargetOut]], summary="Every metric's target settings")
def get_targets(metric: str | None = Query(None), ctx: ServerContext = Ctx) -> Any:
    with ctx.lock:
        project = ctx.project()
        if metric is not None and metric not in project.catalog.metrics:
            raise unknown_name("metric", "指标", metric, project.catalog.metrics)
        found = project.targets(store=ctx.store)
    return {m: [s.to_dict() for s in settings] for m, settings in found.items() if metric in (None, m)}


@router.post("/targets", response_model=TargetOut, status_code=201, summary="Set a metric's bands (editor)")
def post_target(body: TargetIn, caller: Caller = Depends(editor), ctx: ServerContext = Ctx) -> Any:
    with ctx.lock:
        project = ctx.project()
        if body.metric not in project.catalog.metrics:
            raise unknown_name("metric", "指标", body.metric, project.catalog.metrics)
        entry = project.check_target(
            body.metric, body.period, floor=body.floor, target=body.target, stretch=body.stretch, per=body.per
        )
        saved = ctx.store.set_target(
            body.metric, entry.period.label, per=entry.per, floor=entry.floor, target=entry.target,
            stretch=entry.stretch, set_by=caller.name, why=body.why,
        )  # fmt: skip
    return {
        "metric": saved.metric, "period": saved.period, "per": saved.per, "floor": saved.floor,
        "target": saved.target, "stretch": saved.stretch, "set_by": saved.set_by, "why": saved.why,
        "origin": "app", "set_at": saved.set_at.isoformat(), "where": None,
    }  # fmt: skip


# -- alerts ---------------------------------------------------------------------------------------


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts, newest first")
def get_alerts(
    state: str | None = Query(None, description=", ".join(STATES)),
    metric: str | None = Query(None),
    ctx: ServerContext = Ctx,
) -> Any:
    if state is not None and state not in STATES:
        raise ApiError(
            400, "bad_request",
            f"unknown alert state {state!r}: one of {', '.join(STATES)}" + did_you_mean(state, STATES),
            f"未知的告警状态 {state!r}：可选 {'、'.join(STATES)}" + did_you_mean(state, STATES, "zh"),
        )  # fmt: skip
    with ctx.lock:
        alerts = ctx.store.list(state=state, metric=metric)
    return [_alert(a) for a in reversed(alerts)]


@router.get("/alerts/{alert_id}", response_model=AlertDetailOut, summary="An alert with its history")
def get_alert(alert_id: str, ctx: ServerContext = Ctx) -> Any:
    with ctx.lock:
        stored = _get_alert(ctx, alert_id)
        history = ctx.store.history(alert_id)
        reviews = ctx.store.reviews(alert_id)
    a = stored.alert
    return {
        **_alert(stored),
        "drivers": jsonable([d._asdict() if hasattr(d, "_asdict") else d for d in a.drivers]),
        "root_causes": jsonable([{"combination": dict(c.combination), "share": c.share} for c in a.root_causes]),
        "explanation": jsonable(stored.explanation),
        "history": jsonable([{"kind": e.kind, "at": e.at, "actor": e.actor, "from_state": e.from_state,
                              "to_state": e.to_state, "note": e.note} for e in history]),
        "reviews": [_review(r) for r in reviews],
    }  # fmt: skip


@router.post("/alerts/{alert_id}/transition", response_model=AlertOut, summary="Move an alert to a state")
def post_transition(
    alert_id: str, body: TransitionIn, caller: Caller = Depends(writer), ctx: ServerContext = Ctx
) -> Any:
    with ctx.lock:
        _get_alert(ctx, alert_id)
        stored = ctx.store.transition(alert_id, body.to, by=_actor(caller, body.by), note=body.note)
    return _alert(stored)


@router.post("/alerts/{alert_id}/review", response_model=ReviewOut, status_code=201,
             summary="Write the alert's 5-Why review (editor)")  # fmt: skip
def post_review(
    alert_id: str, body: ReviewIn, caller: Caller = Depends(editor), ctx: ServerContext = Ctx
) -> Any:
    with ctx.lock:
        _get_alert(ctx, alert_id)
        review = ctx.store.review(
            alert_id, body.whys, body.owner, body.actions, body.due, by=_actor(caller, body.by)
        )
    return _review(review)


# -- lead ratings ---------------------------------------------------------------------------------


def _check_set(ctx: ServerContext, lead_set: str) -> None:
    leads = ctx.project().spec.leads
    if lead_set not in leads:
        raise unknown_name("lead set", "线索集", lead_set, leads)


@router.get("/leads/{lead_set}/ratings", response_model=RatingsOut, summary="Sales' ratings in force")
def get_ratings(
    lead_set: str,
    history: bool = Query(False, description="every rating saved in the app, oldest first"),
    ctx: ServerContext = Ctx,
) -> Any:
    """The ratings in force: the ratings file's and the app's, the latest per lead (as ``northstar
    leads ratings``: read from the lead set's table); with ``history``, every rating saved in the app."""
    _check_set(ctx, lead_set)
    if not history:  # cached JSON: not held up by another request's computation
        return ctx.cached_json(
            "ratings", {"set": lead_set}, lambda p: _ratings_in_force(p, lead_set, ctx.store), RatingsOut
        )
    with ctx.lock:
        found = [
            {"lead": r.lead_id, "score": r.score, "reason": r.reason, "note": r.note, "rated_by": r.rated_by,
             "rated_at": r.rated_at}
            for r in ctx.store.lead_ratings(lead_set, history=True)
        ]  # fmt: skip
    return jsonable({"lead_set": lead_set, "ratings": found})


def _ratings_in_force(project: Project, lead_set: str, store: Any = None) -> dict[str, Any]:
    """The lead table's ratings (the file's and the app's, the latest per lead), each with the note
    typed with it when it is the app's latest rating of that lead (the table keeps no notes)."""
    ls = project.spec.leads[lead_set]
    app = {r.lead_id: r for r in store.lead_ratings(lead_set)} if store is not None else {}
    t = project.table(project.engine, lead_set)
    frame = project.engine.execute(
        t.filter(t.rated).select(ls.columns.id, "rating", "rating_reason", "rated_by", "rated_at")
    )
    rows = sorted(
        ({"lead": str(r[ls.columns.id]), "score": int(r["rating"]), "reason": r["rating_reason"],
          "note": _note(app.get(str(r[ls.columns.id])), r), "rated_by": r["rated_by"], "rated_at": r["rated_at"]}
         for r in frame.to_dict("records")),
        key=lambda r: r["lead"],
    )  # fmt: skip
    return jsonable({"lead_set": lead_set, "ratings": rows})  # type: ignore[no-any-return]


def _note(saved: Any, row: Mapping[Any, Any]) -> str | None:
    """The app rating's note, when that rating is the one in force for the row."""
    if saved is None or saved.score != int(row["rating"]) or saved.rated_by != row["rated_by"]:
        return None
    return saved.note  # type: ignore[no-any-return]


@router.post("/leads/{lead_set}/ratings", response_model=SavedOut, status_code=201,
             summary="Rate leads, all or none (editor)")  # fmt: skip
def post_ratings(
    lead_set: str, body: RatingsIn, caller: Caller = Depends(editor), ctx: ServerContext = Ctx
) -> Any:
    from northstar.watch.store import LeadRating

    who = _actor(caller, body.by)
    with ctx.lock:
        _check_set(ctx, lead_set)
        ratings = [LeadRating(lead_set, r.lead, r.score, r.reason, who, None, r.note) for r in body.ratings]
        saved = ctx.project().rate_leads(lead_set, ratings, store=ctx.store)
    return {"saved": saved}
