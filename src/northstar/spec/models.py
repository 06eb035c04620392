"""The project spec as frozen pydantic models (what ``northstar.yml`` may say).

Models check the *shape* of each entry (types, allowed keys, allowed values). Cross-references
(unknown metrics, columns, cycles) are checked by :mod:`northstar.spec.rules`, which sees the
whole project and the real source schemas.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

MetricType = Literal[
    "count",
    "count_distinct",
    "sum",
    "avg",
    "min",
    "max",
    "median",
    "percentile",
    "ratio",
    "formula",
    "repeat_rate",
    "relative",
    "tiered",
    "conversion",
    "active_users",
]
METRIC_TYPES: tuple[str, ...] = get_args(MetricType)
AGGREGATE_TYPES = ("count", "count_distinct", "sum", "avg", "min", "max", "median", "percentile")
NUMERIC_TYPES = ("sum", "avg", "min", "max", "median", "percentile")
SOURCE_FORMATS = ("csv", "parquet", "jsonl", "xlsx", "ga4")


def _text(value: Any) -> Any:
    """Accept ``label: Revenue`` as shorthand for ``label: {en: Revenue}``."""
    if isinstance(value, str):
        return {"en": value}
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in English and Simplified Chinese; either may be missing."""

    en: str | None = None
    zh: str | None = None

    def get(self, lang: str, fallback: str = "") -> str:
        if lang == "zh":
            return self.zh or self.en or fallback
        return self.en or self.zh or fallback


LocalText = Annotated[Text, BeforeValidator(_text)]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|min|h|d|w)\s*$")
_UNIT_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "w": 7.0}


def parse_duration_days(value: str | int) -> float:
    """``30d`` → 30, ``2w`` → 14, ``12h`` → 0.5, ``30min`` and ``90s`` too; a bare integer means
    days. ``m`` alone is refused: minutes or months?"""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration: write e.g. 30d, 2w, 12h or 30min")
    if isinstance(value, int):
        return float(value)
    m = _DURATION.match(value)
    if not m:
        if re.match(r"^\s*\d+(?:\.\d+)?\s*m\s*$", value):
            raise ValueError(f"{value!r} is ambiguous: write 30min for minutes, or 30d for a month")
        raise ValueError(f"{value!r} is not a duration: write e.g. 30d, 2w, 12h or 30min")
    return float(m.group(1)) * _UNIT_DAYS[m.group(2)]


class ProjectInfo(Strict):
    name: str
    timezone: str = "UTC"
    currency: str = "USD"
    language: Literal["en", "zh"] = "en"
    week_start: Literal["monday"] = "monday"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {v!r}: use an IANA name such as Asia/Shanghai or UTC"
            ) from None
        return v


class Ga4Options(Strict):
    """How to flatten a GA4 BigQuery export: which event params become columns, and their types."""

    params: dict[str, Literal["string", "int", "float", "double"]] = Field(default_factory=dict)
    user_properties: dict[str, Literal["string", "int", "float", "double"]] = Field(default_factory=dict)
    items: bool = False  # one row per item instead of per event


class Source(Strict):
    path: str | None = None
    format: Literal["csv", "parquet", "jsonl", "xlsx", "ga4"] | None = None
    url: str | None = None
    table: str | None = None
    sheet: str | None = None
    time: str
    entity: str | None = None
    timezone: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    ga4: Ga4Options | None = None
    label: LocalText | None = None
    description: LocalText | None = None


class Dimension(Strict):
    column: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    label: LocalText | None = None
    description: LocalText | None = None

    def column_in(self, name: str, source: str) -> str:
        return self.columns.get(source) or self.column or name


class Metric(Strict):
    type: MetricType
    source: str | None = None
    column: str | None = None
    expr: str | None = None
    filter: str | None = None
    percentile: float | None = None
    numerator: str | None = None
    denominator: str | None = None
    within: str | int | None = None
    min_gap: str | int | None = None  # repeat_rate: a repeat comes at least this long after the first row
    repeat_filter: str | None = None  # repeat_rate: which rows count as the repeat (default: filter)
    funnel: str | None = None  # conversion: a funnel of funnels:, or inline steps:
    steps: list[Annotated[FunnelStep, BeforeValidator(_step)]] | None = None
    step: int | None = None  # conversion: reached this step (default: the last)
    event_column: str | None = None  # conversion with inline steps (default event_name)
    activity: str | None = None  # active_users: an entry of activity: (or source: — every row counts)
    reference: str | None = None
    stat: Literal["avg", "median", "share_ahead", "share_on_time", "share_late"] | None = None
    tolerance: float = 0.0
    time_unit: Literal["seconds", "minutes", "hours", "days"] = "minutes"
    thresholds: list[float] | None = None
    suffix: str = ""
    label: LocalText | None = None
    description: LocalText | None = None
    unit: str | None = None
    format: Literal["number", "integer", "percent", "currency", "duration"] | None = None
    decimals: int | None = Field(default=None, ge=0, le=10)
    direction: Literal["higher", "lower"] = "higher"
    owner: str | None = None
    team: str | None = None
    why: list[LocalText] = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: list[FunnelStep] | None, info: ValidationInfo) -> list[FunnelStep] | None:
        if v is not None and info.data.get("funnel"):
            raise ValueError("give either funnel: (a funnel defined under funnels:) or steps:, not both")
        if v is not None:
            if len(v) < 2:
                raise ValueError("a conversion needs at least two steps")
            if any(not s.event and not s.filter for s in v):
                raise ValueError("each step needs an event or a filter")
        return v

    @field_validator("step")
    @classmethod
    def _step_number(cls, v: int | None, info: ValidationInfo) -> int | None:
        if v is not None and v < 2:
            raise ValueError("step must be 2 or more (step 1 is where everyone starts)")
        steps = info.data.get("steps")
        if v is not None and steps and v > len(steps):
            raise ValueError(f"step {v} is past the last of its {len(steps)} steps")
        return v

    @field_validator("activity")
    @classmethod
    def _activity(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and info.data.get("source"):
            raise ValueError(
                "give either activity: (an entry of activity:) or source: (every row counts), not both"
            )
        return v

    @field_validator("percentile")
    @classmethod
    def _pct(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v < 1:
            raise ValueError("percentile must be a fraction between 0 and 1, e.g. 0.9 for p90")
        return v

    @field_validator("within")
    @classmethod
    def _within(cls, v: str | int | None, info: ValidationInfo) -> str | int | None:
        if v is not None:
            days = parse_duration_days(v)
            if days <= 0:
                raise ValueError("within must be positive")
            if info.data.get("type") == "active_users" and (days != int(days) or days > 366):
                raise ValueError(
                    "active users are counted in whole days: within must be 1d to 366d (7d: WAU, 30d: MAU)"
                )
        return v

    @field_validator("min_gap")
    @classmethod
    def _min_gap(cls, v: str | int | None) -> str | int | None:
        if v is not None:
            from northstar.spec.retention import parse_gap_seconds

            parse_gap_seconds(v)
        return v


class FunnelStep(Strict):
    """One step: an event (by name in the funnel's event column) and/or a filter on the source.
    ``within`` bounds the time since the step before (on top of the funnel's own window)."""

    name: str | None = None
    event: str | None = None
    filter: str | None = None
    within: str | int | None = None
    label: LocalText | None = None

    @field_validator("within")
    @classmethod
    def _within(cls, v: str | int | None) -> str | int | None:
        if v is not None and parse_duration_days(v) <= 0:
            raise ValueError("within must be positive")
        return v

    def same_as(self, other: FunnelStep) -> bool:
        """Both steps match the same rows (so one row must not count for both in a row)."""
        return (self.event, self.filter) == (other.event, other.filter)


class FunnelExclusion(Strict):
    """An event that knocks an attempt out when it happens between two of the funnel's steps."""

    event: str | None = None
    filter: str | None = None
    between: tuple[int, int] | None = None  # 1-based steps; default: the first and the last


def _step(value: Any) -> Any:
    """``- add_to_cart`` is shorthand for ``- {event: add_to_cart}``."""
    return {"event": value} if isinstance(value, str) else value


class Funnel(Strict):
    """Ordered steps an entity goes through within a conversion window."""

    source: str
    steps: list[Annotated[FunnelStep, BeforeValidator(_step)]]
    within: str | int = "1d"
    order: Literal["ordered", "strict", "any"] = "ordered"
    exclude: list[Annotated[FunnelExclusion, BeforeValidator(_step)]] = Field(default_factory=list)
    attribution: Literal["first", "last"] = "first"
    event_column: str = "event_name"
    count_by: str | None = None  # default: the source's entity
    label: LocalText | None = None
    description: LocalText | None = None

    @field_validator("within")
    @classmethod
    def _within(cls, v: str | int) -> str | int:
        if parse_duration_days(v) <= 0:
            raise ValueError("within must be positive")
        return v

    @field_validator("steps")
    @classmethod
    def _two_steps(cls, v: list[FunnelStep]) -> list[FunnelStep]:
        if len(v) < 2:
            raise ValueError("a funnel needs at least two steps")
        for step in v:
            if not step.event and not step.filter:
                raise ValueError("each step needs an event or a filter")
        if v[0].within is not None:
            raise ValueError("the first step cannot have its own within (it has no step before it)")
        return v

    @field_validator("order")
    @classmethod
    def _order(cls, v: str, info: ValidationInfo) -> str:
        if v == "any" and any(s.within for s in info.data.get("steps") or []):
            raise ValueError("order: any cannot have per-step within (its steps have no order)")
        return v

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, v: list[FunnelExclusion], info: ValidationInfo) -> list[FunnelExclusion]:
        n = len(info.data.get("steps") or [])
        if v and info.data.get("order") == "any":
            raise ValueError("order: any cannot have exclusions (its steps have no order)")
        for x in v:
            if not x.event and not x.filter:
                raise ValueError("each exclusion needs an event or a filter")
            a, b = x.between or (1, n)
            if n and not 1 <= a < b <= n:
                raise ValueError(f"between: [{a}, {b}] must be two steps in order, from 1 to {n}")
        return v

    def exclusion_ranges(self) -> list[tuple[int, int]]:
        return [x.between or (1, len(self.steps)) for x in self.exclude]

    def step_names(self) -> list[str]:
        return [s.name or s.event or f"step_{i + 1}" for i, s in enumerate(self.steps)]


class Team(Strict):
    label: LocalText | None = None
    owner: str | None = None
    metrics: list[str] = Field(default_factory=list)


# below Strict and LocalText, which the activity model is built from
from northstar.spec.drivers import DriverEntry  # noqa: E402
from northstar.spec.goals import MetricTargets, Okr, Scorecard  # noqa: E402
from northstar.spec.leads import LeadSet  # noqa: E402
from northstar.spec.lifecycle import Activity  # noqa: E402
from northstar.spec.retention import Retention  # noqa: E402
from northstar.spec.watch import NotifyEntry, WatchRule  # noqa: E402


class ProjectSpec(Strict):
    project: ProjectInfo
    sources: dict[str, Source] = Field(default_factory=dict)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)
    north_star: str | None = None
    supporting: list[str] = Field(default_factory=list)
    teams: dict[str, Team] = Field(default_factory=dict)
    funnels: dict[str, Funnel] = Field(default_factory=dict)
    activity: dict[str, Activity] = Field(default_factory=dict)
    retention: dict[str, Retention] = Field(default_factory=dict)
    drivers: dict[str, DriverEntry] = Field(default_factory=dict)
    watch: dict[str, WatchRule] = Field(default_factory=dict)
    notify: dict[str, NotifyEntry] = Field(default_factory=dict)
    targets: dict[str, MetricTargets] = Field(default_factory=dict)
    scorecards: dict[str, Scorecard] = Field(default_factory=dict)
    okrs: dict[str, Okr] = Field(default_factory=dict)
    leads: dict[str, LeadSet] = Field(default_factory=dict)


Metric.model_rebuild()  # steps: refers to FunnelStep, defined after Metric
