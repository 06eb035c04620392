"""Watch rules (``watch:`` in ``northstar.yml``): when a KPI's move raises an alert.

Each entry is a rule over one metric, for the total or for each slice of ``by`` dimensions:

- ``check: change`` (default) — the change vs the previous period beyond ``threshold`` (default
  15 %, the seed's "a daily swing of more than 15 % calls a review");
- ``check: weekly`` — the change vs the same weekday (and hour) one week before;
- ``check: floor`` / ``check: ceiling`` — the value below / above ``threshold`` (a KPI floor
  guarding an OKR);
- ``check: anomaly`` — the seasonality-aware detector (:mod:`northstar.analysis.detector`):
  the point is beyond its band and the largest deviation of the last 50 days, or (long series)
  the recent deviations are unusually large or the value leaves its 30-day range.

``direction`` (``down``, ``up`` or ``both``) limits change rules to drops or rises;
``min_volume`` keeps a rule quiet while the larger of the value and its baseline is below it
(a slice going from 2 orders to 1 is not an incident). :mod:`northstar.watch.rules` evaluates
them; the exact semantics are in its docstring.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from northstar.spec.models import LocalText, Strict

__all__ = ["NotifyEntry", "WatchRule", "parse_threshold"]


class NotifyEntry(BaseModel):
    """A channel under ``notify:`` (Slack, Feishu, DingTalk, WeCom, webhook, e-mail). Its keys
    depend on ``type`` and are checked by :func:`northstar.notify.config.parse_entry`; secrets are
    written as ``${ENV_VAR}`` and read when an alert is sent."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str


_PERCENT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


def parse_threshold(value: Any) -> float:
    """``15%`` → 0.15, ``0.15`` → 0.15, ``1200`` → 1200 (the caller knows which it needs)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number: write e.g. 15% or 1200")
    if isinstance(value, int | float):
        return float(value)
    m = _PERCENT.match(str(value))
    if not m:
        try:
            return float(str(value).replace(",", ""))
        except ValueError:
            raise ValueError(f"{value!r} is not a number: write e.g. 15% or 1200") from None
    return float(m.group(1)) / 100


class WatchRule(Strict):
    metric: str
    check: Literal["change", "weekly", "floor", "ceiling", "anomaly"] = "change"
    threshold: float | None = None
    direction: Literal["down", "up", "both"] = "both"
    by: list[str] = Field(default_factory=list)
    grain: Literal["day", "hour"] = "day"
    min_volume: float = Field(default=0.0, ge=0)
    severity: Literal["info", "warning", "critical"] = "warning"
    notify: list[str] = Field(default_factory=list)  # names of entries under notify:
    label: LocalText | None = None
    description: LocalText | None = None

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        return None if value is None else parse_threshold(value)

    @field_validator("by", "notify", mode="before")
    @classmethod
    def _by(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _default_threshold(cls, value: Any) -> Any:
        """A change rule without a threshold uses 15 %."""
        if isinstance(value, dict) and value.get("check", "change") in ("change", "weekly"):
            return {"threshold": 0.15, **value} if value.get("threshold") is None else value
        return value

    @model_validator(mode="after")
    def _needs(self) -> WatchRule:
        if self.check in ("floor", "ceiling") and self.threshold is None:
            raise ValueError(f"a {self.check} rule needs 'threshold' (the value it guards)")
        if self.check in ("change", "weekly") and (self.threshold or 0) <= 0:
            raise ValueError("a change threshold must be positive, e.g. 15%")
        return self
