"""The ``activity:`` section: what counts as an entity being *active*, for lifecycle and active users.

```yaml
activity:
  shoppers:
    source: events
    event: [view_item, add_to_cart, purchase]   # optional: one event or a list (values of event_column)
    filter: "device = 'app'"                    # optional: SQL-like condition on the source's columns
    count_by: user_id                           # default: the source's entity
```

An entity is active on a day when it has at least one row of the source on that day (project
timezone) that matches the events and the filter. ``northstar lifecycle`` and ``northstar active``
also accept a source name instead of an activity: every row of the source counts.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, field_validator

from northstar.spec.models import LocalText, Strict


def _events(value: Any) -> Any:
    """``event: purchase`` is shorthand for ``event: [purchase]``."""
    return [value] if isinstance(value, str) else value


class Activity(Strict):
    """Which rows of a source make an entity active."""

    source: str
    event: Annotated[list[str] | None, BeforeValidator(_events)] = None
    event_column: str = "event_name"
    filter: str | None = None
    count_by: str | None = None  # default: the source's entity
    label: LocalText | None = None
    description: LocalText | None = None

    @field_validator("event")
    @classmethod
    def _some_events(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("event must name at least one event (or leave it out to count every row)")
        return v
