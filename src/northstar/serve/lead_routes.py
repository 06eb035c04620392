"""The lead-rating page's reads: a lead set's clean leads (search, paging) and its quality by channel.

- ``GET /api/leads/{set}``: the lead set's clean leads (kept after de-duplication, not rejected by
  screening: the leads marketing is credited with), newest first, with the rating in force; ``q``
  searches the id, name, campaign and owner (case-insensitive substring); ``limit`` / ``offset``
  page. The answer also carries what the rating form needs: the lead set's reason codes (en/zh)
  and its ``accepted`` threshold.
- ``GET /api/leads/{set}/channels``: per channel of the clean leads, how many there are, how many
  sales rated, their average rating and the share of rated leads sales accepted (rating ≥ the
  threshold): the feedback from sales to marketing.

Both read the lead set's table (:mod:`northstar.leads.table`, rebuilt when a rating is saved)
through the engine and are cached per data version. Phones and e-mails are not returned.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from northstar.project import Project
from northstar.serve.context import ServerContext
from northstar.serve.deps import context, reader
from northstar.serve.errors import unknown_name
from northstar.serve.jsonable import jsonable

__all__ = ["router"]

router = APIRouter(prefix="/api", dependencies=[Depends(reader)], tags=["leads"])

Ctx = Depends(context)
MAX_LIMIT = 500


class ReasonOut(BaseModel):
    code: str
    label: str
    label_zh: str


class LeadOut(BaseModel):
    lead: str
    name: str | None
    campaign: str | None
    channel: str | None
    country: str | None
    owner: str | None
    created_at: str | None
    rating: int | None
    rating_reason: str | None
    rated_by: str | None
    rated_at: str | None


class LeadsOut(BaseModel):
    lead_set: str
    label: str
    label_zh: str
    accepted: int
    reasons: list[ReasonOut]
    q: str | None
    total: int
    offset: int
    limit: int
    leads: list[LeadOut]


class ChannelQuality(BaseModel):
    channel: str | None
    leads: int
    rated: int
    avg_rating: float | None
    accepted: int
    accepted_share: float | None


class ChannelsOut(BaseModel):
    lead_set: str
    accepted: int
    channels: list[ChannelQuality]


def _check_set(project: Project, lead_set: str) -> None:
    if lead_set not in project.spec.leads:
        raise unknown_name("lead set", "线索集", lead_set, project.spec.leads)


def _column(t: Any, name: str | None) -> Any:
    """Column ``name`` of the lead table, or a null text when the lead set has none."""
    import ibis

    if name and name in t.columns:
        return t[name].cast("string")
    return ibis.null().cast("string")


@router.get("/leads/{lead_set}", response_model=LeadsOut, summary="A lead set's clean leads, newest first")
def get_leads(
    lead_set: str,
    q: str | None = Query(None, max_length=200, description="search id, name, campaign, owner"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    ctx: ServerContext = Ctx,
) -> Any:
    _check_set(ctx.project(), lead_set)
    query = (q or "").strip() or None
    params = {"set": lead_set, "q": query, "limit": limit, "offset": offset}
    return ctx.cached_json("leads", params, lambda p: _leads(p, lead_set, query, limit, offset), LeadsOut)


def _leads(project: Project, lead_set: str, q: str | None, limit: int, offset: int) -> dict[str, Any]:
    ls = project.spec.leads[lead_set]
    cols = ls.columns
    created = project.spec.sources[ls.source].time
    t = project.table(project.engine, lead_set)
    t = t.filter(t.clean)
    if q:
        needle = q.lower()
        hit = None
        for c in (cols.id, cols.name, cols.campaign, cols.owner):
            if c and c in t.columns:
                cond = t[c].cast("string").lower().contains(needle).fill_null(False)
                hit = cond if hit is None else hit | cond
        if hit is not None:
            t = t.filter(hit)
    total = int(project.engine.execute(t.aggregate(n=t.count()))["n"].iloc[0])
    country = cols.region if cols.region and cols.region in t.columns else "phone_region"
    page = t.select(
        lead=t[cols.id].cast("string"),
        name=_column(t, cols.name),
        campaign=_column(t, cols.campaign),
        channel=_column(t, cols.channel),
        country=_column(t, country),
        owner=_column(t, cols.owner),
        created_at=t[created],
        rating=t.rating,
        rating_reason=t.rating_reason,
        rated_by=t.rated_by,
        rated_at=t.rated_at,
    )
    page = page.order_by([page.created_at.desc(), page.lead]).limit(limit, offset=offset)
    frame = project.engine.execute(page)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for r in rows:
        r["rating"] = None if r["rating"] is None else int(r["rating"])
    label: dict[str, str] = dict(ls.label or {})
    return jsonable(  # type: ignore[no-any-return]
        {
            "lead_set": lead_set,
            "label": label.get("en", lead_set),
            "label_zh": label.get("zh", label.get("en", lead_set)),
            "accepted": ls.accepted,
            "reasons": [{"code": r.code, "label": r.en, "label_zh": r.zh or r.en} for r in ls.reasons],
            "q": q,
            "total": total,
            "offset": offset,
            "limit": limit,
            "leads": rows,
        }
    )


@router.get("/leads/{lead_set}/channels", response_model=ChannelsOut,
            summary="Sales' ratings of a lead set's clean leads by channel")  # fmt: skip
def get_lead_channels(lead_set: str, ctx: ServerContext = Ctx) -> Any:
    _check_set(ctx.project(), lead_set)
    return ctx.cached_json("lead_channels", {"set": lead_set}, lambda p: _channels(p, lead_set), ChannelsOut)


def _channels(project: Project, lead_set: str) -> dict[str, Any]:
    ls = project.spec.leads[lead_set]
    t = project.table(project.engine, lead_set)
    t = t.filter(t.clean)
    channel = _column(t, ls.columns.channel).name("channel")
    grouped = t.group_by(channel).aggregate(
        leads=t.count(),
        rated=t.rated.cast("int64").sum(),
        rating_sum=t.rating.cast("int64").sum(),
        accepted=t.accepted.cast("int64").sum(),
    )
    frame = project.engine.execute(grouped)
    out: list[dict[str, Any]] = []
    for r in frame.to_dict("records"):
        rated = int(r["rated"] or 0)
        accepted = int(r["accepted"] or 0)
        out.append(
            {
                "channel": None
                if r["channel"] is None or r["channel"] != r["channel"]
                else str(r["channel"]),
                "leads": int(r["leads"]),
                "rated": rated,
                "avg_rating": float(r["rating_sum"]) / rated if rated else None,
                "accepted": accepted,
                "accepted_share": accepted / rated if rated else None,
            }
        )
    out.sort(key=lambda c: (-c["leads"], c["channel"] or ""))
    return {"lead_set": lead_set, "accepted": ls.accepted, "channels": out}
