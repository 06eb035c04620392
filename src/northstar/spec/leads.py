"""Lead sets (``leads:`` in ``northstar.yml``): which source holds leads, and how to read it.

Each entry names a source (CSV, Excel or a database table under ``sources:``), maps its columns
to the lead fields, and says how to screen and rate them::

    leads:
      wholesale:
        source: leads                     # an entry of sources:
        region: CN                        # numbers written without a country code are read as CN's
        columns:                          # lead field: column of the source (these are the defaults)
          id: lead_id
          name: name
          phone: phone
          email: email
          channel: channel
          campaign: campaign
          cost: cost
          owner: owner
          outcome: outcome
          deal_value: deal_value
          closed: closed_at               # when the outcome was reached (sales-cycle length)
          region: country                 # optional: a per-lead default region (ISO code)
        keep: first                       # of duplicates, keep the first touch (or: last)
        won: [won]                        # outcome values that are a deal
        accepted: 3                       # a sales rating ≥ 3 (of 1–5) means sales accepted the lead
        reasons:                          # the reasons a rating may give
          - {code: right_buyer, en: Right buyer, zh: 目标客户}
          - {code: spam, en: Spam or fake, zh: 垃圾或虚假线索}
        ratings: data/lead_ratings.csv    # optional: ratings exported from the CRM (lead_id, score,
                                          # reason, rated_by, rated_at); more with northstar leads rate

The lead set becomes a source of the same name (``source: wholesale`` in a metric): the lead
source's rows with the screening, de-duplication and rating columns of
:mod:`northstar.leads.table`, so lead-quality KPIs are ordinary metrics.

A column that the source does not have is simply not used (a lead set without ``closed`` has no
sales-cycle length); ``id``, ``phone`` or ``email``, and the source's time are required.
Screening and de-duplication rules are in :mod:`northstar.leads.screen` and
:mod:`northstar.leads.dedupe`; ratings in :mod:`northstar.leads.ratings`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from northstar.spec.models import LocalText, Strict

__all__ = [
    "DEFAULT_REASONS",
    "LEAD_FIELDS",
    "LeadColumns",
    "LeadSet",
    "RatingReason",
    "check_lead_references",
]

LEAD_FIELDS = (
    "id",
    "name",
    "phone",
    "email",
    "channel",
    "campaign",
    "cost",
    "owner",
    "outcome",
    "deal_value",
    "closed",
    "region",
)


class RatingReason(Strict):
    code: str
    en: str
    zh: str | None = None


DEFAULT_REASONS: tuple[RatingReason, ...] = (
    RatingReason(code="right_buyer", en="Right buyer, real need", zh="目标客户，需求真实"),
    RatingReason(code="budget_confirmed", en="Budget confirmed", zh="预算已确认"),
    RatingReason(code="needs_nurturing", en="Interested, not ready yet", zh="有兴趣，但时机未到"),
    RatingReason(code="wrong_contact", en="Wrong or unreachable contact", zh="联系方式错误或无法联系"),
    RatingReason(code="no_budget", en="No budget", zh="没有预算"),
    RatingReason(code="not_target", en="Not our target customer", zh="非目标客户"),
    RatingReason(code="competitor", en="Competitor or reseller probing", zh="竞争对手或同行试探"),
    RatingReason(code="spam", en="Spam or fake", zh="垃圾或虚假线索"),
    RatingReason(code="duplicate", en="Duplicate of another lead", zh="与其他线索重复"),
)


class LeadColumns(Strict):
    id: str = "lead_id"
    name: str | None = "name"
    phone: str | None = "phone"
    email: str | None = "email"
    channel: str | None = "channel"
    campaign: str | None = "campaign"
    cost: str | None = "cost"
    owner: str | None = "owner"
    outcome: str | None = "outcome"
    deal_value: str | None = "deal_value"
    closed: str | None = "closed_at"
    region: str | None = None


class LeadSet(Strict):
    source: str
    region: str = "CN"
    columns: LeadColumns = Field(default_factory=LeadColumns)
    keep: Literal["first", "last"] = "first"
    won: list[str] = Field(default_factory=lambda: ["won"])
    accepted: int = Field(default=3, ge=1, le=5)
    reasons: list[RatingReason] = Field(default_factory=lambda: list(DEFAULT_REASONS))
    ratings: str | None = None  # a file of sales' ratings (lead_id, score, reason, rated_by, rated_at)
    label: LocalText | None = None
    description: LocalText | None = None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        code = value.strip().upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"{value!r} is not a region phonenumbers knows: write an ISO code such as CN, US, GB"
            )
        return code

    @field_validator("won", mode="before")
    @classmethod
    def _won(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"code": v, "en": v.replace("_", " ")} if isinstance(v, str) else v for v in value]
        return value


def check_lead_references(spec: Any, data: Any) -> list[Any]:
    """Each lead set reads a defined source; its reason codes are unique; its ratings file exists
    is checked when the table is built (with the file, row and column of a bad rating)."""
    from northstar.spec.loader import Node
    from northstar.spec.messages import make_issue
    from northstar.spec.suggest import near

    issues = []
    raw_all = data.get("leads") or Node()
    plain = {k for k in spec.sources if k not in (spec.leads or {})}
    for name, ls in (spec.leads or {}).items():
        raw = raw_all.get(name)
        if ls.source not in plain:
            file, line = (raw.file, raw.line_of("source")) if isinstance(raw, Node) else (None, None)
            issues.append(
                make_issue(
                    "lead-unknown-source",
                    file,
                    line,
                    name=name,
                    source=ls.source,
                    suggestions=near(ls.source, plain),
                )
            )
        codes = [r.code for r in ls.reasons]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            file, line = (raw.file, raw.line_of("reasons")) if isinstance(raw, Node) else (None, None)
            issues.append(make_issue("lead-reason-twice", file, line, name=name, codes=", ".join(twice)))
    return issues
