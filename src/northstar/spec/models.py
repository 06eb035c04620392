"""The project spec as frozen pydantic models (what ``northstar.yml`` may say).

Models check the *shape* of each entry (types, allowed keys, allowed values). Cross-references
(unknown metrics, columns, cycles) are checked by :mod:`northstar.spec.rules`, which sees the
whole project and the real source schemas.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

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

_DURATION = re.compile(r"^\s*(\d+)\s*(h|d|w)\s*$")


def parse_duration_days(value: str | int) -> float:
    """``30d`` → 30, ``2w`` → 14, ``12h`` → 0.5; a bare integer means days."""
    if isinstance(value, int):
        return float(value)
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a duration: write e.g. 30d, 2w or 12h")
    n, unit = int(m.group(1)), m.group(2)
    return {"h": n / 24, "d": float(n), "w": n * 7.0}[unit]


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

    @field_validator("percentile")
    @classmethod
    def _pct(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v < 1:
            raise ValueError("percentile must be a fraction between 0 and 1, e.g. 0.9 for p90")
        return v

    @field_validator("within")
    @classmethod
    def _within(cls, v: str | int | None) -> str | int | None:
        if v is not None:
            days = parse_duration_days(v)
            if days <= 0:
                raise ValueError("within must be positive")
        return v


class FunnelStep(Strict):
    """One step: an event (by name in the funnel's event column) and/or a filter on the source."""

    name: str | None = None
    event: str | None = None
    filter: str | None = None
    label: LocalText | None = None


def _step(value: Any) -> Any:
    """``- add_to_cart`` is shorthand for ``- {event: add_to_cart}``."""
    return {"event": value} if isinstance(value, str) else value


class Funnel(Strict):
    """Ordered steps an entity goes through within a conversion window."""

    source: str
    steps: list[Annotated[FunnelStep, BeforeValidator(_step)]]
    within: str | int = "1d"
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
        return v

    def step_names(self) -> list[str]:
        return [s.name or s.event or f"step_{i + 1}" for i, s in enumerate(self.steps)]


class Team(Strict):
    label: LocalText | None = None
    owner: str | None = None
    metrics: list[str] = Field(default_factory=list)


class ProjectSpec(Strict):
    project: ProjectInfo
    sources: dict[str, Source] = Field(default_factory=dict)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)
    north_star: str | None = None
    supporting: list[str] = Field(default_factory=list)
    teams: dict[str, Team] = Field(default_factory=dict)
    funnels: dict[str, Funnel] = Field(default_factory=dict)
