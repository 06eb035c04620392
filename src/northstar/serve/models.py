"""Request and response models of the API; FastAPI turns them into ``/openapi.json``.

Responses whose shape is an analysis result's ``to_dict()`` (explain, scorecards, OKRs) or a
table of rows (funnels, retention) are described as objects; the others field by field.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = float | None


class ErrorDetail(BaseModel):
    code: str = Field(description="stable code: bad_request, unknown_name, invalid_request, unauthorized, …")
    message: str
    message_zh: str
    issues: list[dict[str, Any]] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


class Labelled(BaseModel):
    name: str
    label: str
    label_zh: str


class MetricOut(Labelled):
    type: str
    unit: str | None
    format: str
    decimals: int
    direction: str
    source: str | None
    description: str | None = None
    description_zh: str | None = None
    why: list[str] = []
    why_zh: list[str] = []
    owner: str | None = None
    team: str | None = None
    drivers: bool = False  # has a formula under ``drivers:`` (a driver tree to explain it by)


class TeamOut(Labelled):
    owner: str | None
    metrics: list[str]


class FunnelOut(Labelled):
    source: str
    steps: list[str]


class RetentionOut(Labelled):
    period: str
    periods: int


class ScorecardOut(Labelled):
    grain: str
    team: str | None


class OkrOut(Labelled):
    period: str
    owner: str | None
    team: str | None


class ProjectOut(BaseModel):
    name: str
    language: str
    timezone: str
    currency: str
    north_star: str | None
    supporting: list[str]
    teams: list[TeamOut]
    metrics: list[MetricOut]
    dimensions: list[Labelled]
    funnels: list[FunnelOut]
    retention: list[RetentionOut]
    lead_sets: list[Labelled]
    scorecards: list[ScorecardOut]
    okrs: list[OkrOut]


class BandsOut(BaseModel):
    period: str
    floor: Number
    target: Number
    stretch: Number
    derived: bool
    prorated_days: int | None


class SparkPoint(BaseModel):
    period: str | None
    value: Number


class SettledOut(BaseModel):
    """A provisional KPI's last period whose window has closed for everyone in it."""

    period: str | None
    value: Number
    change_pct: Number
    bands: BandsOut | None
    status: str


class KpiOut(BaseModel):
    metric: str
    role: Literal["north_star", "supporting"]
    label: str
    label_zh: str
    format: str
    unit: str | None
    direction: str
    period: str | None
    value: Number
    previous: Number
    change: Number
    change_pct: Number
    bands: BandsOut | None
    status: str
    settled: SettledOut | None = None
    sparkline: list[SparkPoint]


class OverviewOut(BaseModel):
    grain: str
    start: str | None
    end: str | None
    kpis: list[KpiOut]
    notes: list[str]
    notes_zh: list[str]
    skipped: list[HeatSkipped] = []  # KPIs the where filter does not fit


class SeriesPoint(BaseModel):
    period: str | None
    slice: dict[str, Any]
    value: Number
    prev: Number = None
    prev_change: Number = None
    prev_pct: Number = None
    yoy: Number = None
    yoy_change: Number = None
    yoy_pct: Number = None
    period_label: str | None = None
    bands: BandsOut | None = None
    status: str | None = None
    provisional: bool = False


class SeriesOut(BaseModel):
    metric: str
    label: str
    label_zh: str
    format: str
    grain: str | None
    start: str
    end: str
    by: list[str]
    comparisons: list[str]
    points: list[SeriesPoint]
    notes: list[str]
    notes_zh: list[str]


class HeatCell(BaseModel):
    metric: str
    day: str
    value: Number
    expected: Number
    deviation: Number
    deviation_pct: Number
    z: Number
    score: Number
    reason: str | None
    reason_zh: str | None
    provisional: bool = Field(False, description="a repeat rate or conversion whose window is still open")
    group: str | None = Field(None, description="the dimension's value (heatmap by a dimension)")


class HeatGroup(BaseModel):
    value: str | None
    volume: int = Field(description="rows of the metric's sources in the range with this value")


class HeatSkipped(BaseModel):
    """A metric left out of the heatmap (or the overview): the ``where`` filter does not fit its
    sources."""

    metric: str
    message: str
    message_zh: str


class HeatmapMetric(BaseModel):
    metric: str
    label: str
    label_zh: str


class HeatmapOut(BaseModel):
    metrics: list[HeatmapMetric]
    days: list[str]
    by: str | None = None
    groups: list[HeatGroup] = []
    skipped: list[HeatSkipped] = []
    cells: list[HeatCell]


class TargetOut(BaseModel):
    metric: str
    period: str
    per: str | None
    floor: Number
    target: Number
    stretch: Number
    set_by: str | None
    why: str | None
    origin: str
    set_at: str | None
    where: str | None = Field(default=None, description="file:line of a YAML entry (origin yaml)")


class TargetIn(BaseModel):
    """Bands for a metric and period; numbers or texts such as ``2.2%``, at least one band."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    period: str = Field(description="2026, 2026-Q4, 2026-11, 2026-W47 or 2026-11-27")
    floor: float | str | None = None
    target: float | str | None = None
    stretch: float | str | None = None
    per: str | None = Field(default=None, description="the bands hold for each week/month… of the period")
    why: str | None = None


class ReviewOut(BaseModel):
    whys: list[str]
    owner: str
    actions: list[str]
    due: str
    version: int
    at: str
    by: str


class EventOut(BaseModel):
    kind: str
    at: str
    actor: str
    from_state: str | None
    to_state: str | None
    note: str | None


class AlertOut(BaseModel):
    id: str
    metric: str
    label: str
    label_zh: str
    slice: dict[str, str]
    period: str
    value: float
    expected: float
    change_pct: Number
    rule: str
    severity: str
    summary: str
    summary_zh: str
    state: str
    close_reason: str | None
    created_at: str
    updated_at: str
    review: ReviewOut | None


class AlertDetailOut(AlertOut):
    drivers: list[dict[str, Any]]
    root_causes: list[dict[str, Any]]
    explanation: dict[str, Any] | None
    history: list[EventOut]
    reviews: list[ReviewOut] = Field(
        default_factory=list, description="every version of its review, oldest first"
    )


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["acknowledged", "reviewed", "closed"]
    note: str | None = Field(default=None, description="required when closing an open or acknowledged alert")
    by: str | None = Field(
        default=None, description="who, when the server needs no token (else the token's name)"
    )


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whys: list[str] = Field(min_length=1, max_length=5)
    owner: str
    actions: list[str] = Field(default_factory=list)
    due: date
    by: str | None = None


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead: str
    score: int = Field(ge=1, le=5)
    reason: str
    note: str | None = None


class RatingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ratings: list[RatingIn] = Field(min_length=1)
    by: str | None = None


class RatingOut(BaseModel):
    lead: str
    score: int
    reason: str
    note: str | None
    rated_by: str
    rated_at: str | None


class RatingsOut(BaseModel):
    lead_set: str
    ratings: list[RatingOut]


class SavedOut(BaseModel):
    saved: int
