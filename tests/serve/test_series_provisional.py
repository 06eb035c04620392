"""A series point of a repeat rate is marked provisional while its 30-day window is open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

DATA = Path(__file__).parent / "data" / "shop"


def test_repeat_rate_weeks_with_an_open_window_are_provisional(client: Any) -> None:
    body = client.get("/api/metrics/repeat_30d/series", params={"grain": "week"}).json()
    last = pd.to_datetime(pd.read_csv(DATA / "orders.csv")["ordered_at"]).max()
    end = pd.Timestamp(body["end"])
    for p in body["points"]:
        week_end = min(pd.Timestamp(p["period"]) + pd.Timedelta(days=6), end)
        window_closes = week_end + pd.Timedelta(days=31)  # the day after the week, + 30 days
        assert p["provisional"] is bool(window_closes > last), p["period"]
        if p["provisional"]:
            assert p["status"] == "provisional"
    assert any(p["provisional"] for p in body["points"])
    assert not all(p["provisional"] for p in body["points"])


def test_sums_are_never_provisional(client: Any) -> None:
    body = client.get("/api/metrics/revenue/series", params={"grain": "week"}).json()
    assert not any(p["provisional"] for p in body["points"])
