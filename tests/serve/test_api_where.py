"""The shared dimension filter (``where``) on the funnel and retention endpoints, against pandas on
the shop's CSVs: only matching events count as funnel steps; cohorts and returns come from the
matching orders; the filter is part of the cache key; a wrong column is a 400 with did-you-mean."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.analysis.test_funnel_where import pandas_cohorts, pandas_funnel
from tests.serve.conftest import DATA, assert_error

STEPS = ["view_item", "add_to_cart", "purchase"]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "events.csv", parse_dates=["event_time"])
    return frame.rename(columns={"user_id": "user", "event_time": "ts", "event_name": "event"})


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return pd.read_csv(DATA / "orders.csv", parse_dates=["ordered_at"])


@pytest.mark.parametrize("device", ["ios", "web"])
def test_funnel_where_counts_only_matching_events(client: Any, events: pd.DataFrame, device: str) -> None:
    params = {"from": "2026-09-01", "to": "2026-11-20"}
    whole = client.get("/api/funnels/checkout", params=params).json()
    r = client.get("/api/funnels/checkout", params={**params, "where": f"device = '{device}'"})
    assert r.status_code == 200, r.text
    body = r.json()
    mine = events[events["device"] == device]
    expected = pandas_funnel(mine, STEPS, pd.Timedelta(days=1), pd.Timestamp("2026-09-01").date(),
                             pd.Timestamp("2026-11-20").date())  # fmt: skip
    assert [s["entities"] for s in body["steps"]] == expected
    assert [
        s["entities"] for s in whole["steps"]
    ] != expected  # the filter changed the answer (and the cache key)
    assert body["where"] == f"device = '{device}'" and whole["where"] is None
    assert any(device in n for n in body["notes"]) and any(device in n for n in body["notes_zh"])


def test_funnel_over_time_where(client: Any, events: pd.DataFrame) -> None:
    params = {
        "grain": "week",
        "from": "2026-09-07",
        "to": "2026-11-15",
        "where": "device in ('ios', 'android')",
    }
    body = client.get("/api/funnels/checkout/over-time", params=params).json()
    mine = events[events["device"].isin(["ios", "android"])]
    starts = mine[(mine["event"] == "view_item") & (mine["ts"] >= "2026-09-07") & (mine["ts"] < "2026-11-16")]
    week = starts["ts"].dt.normalize() - pd.to_timedelta(starts["ts"].dt.day_of_week, unit="D")
    entered = starts.groupby(week)["user"].nunique()
    assert len(body["periods"]) == 10
    assert [(p["period"][:10], p["entered"]) for p in body["periods"]] == [
        (d.strftime("%Y-%m-%d"), int(n)) for d, n in entered.items()
    ]
    assert body["where"] == "device in ('ios', 'android')"
    whole = client.get("/api/funnels/checkout/over-time", params={**params, "where": ""}).json()
    assert sum(p["entered"] for p in whole["periods"]) > sum(p["entered"] for p in body["periods"])


def test_retention_where_builds_cohorts_from_matching_orders(client: Any, orders: pd.DataFrame) -> None:
    params = {"from": "2026-08-10", "to": "2026-11-20", "where": "channel = 'ads'"}
    r = client.get("/api/retention/buyers", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    observed = orders["ordered_at"].max().normalize() + pd.Timedelta(days=1)  # all orders' last day
    expected = pandas_cohorts(
        orders[orders["channel"] == "ads"], observed, 4, None, None, "customer_id", "ordered_at"
    )
    got = [
        (c["cohort"][:10], c["period_n"], c["entities"], c["retained"])
        for c in body["cohorts"]
        if c["complete"]
    ]
    assert len(got) >= 20
    assert got == [
        (c.strftime("%Y-%m-%d"), int(n), int(e), int(k))
        for c, n, e, k in expected[["cohort", "period_n", "entities", "retained"]].itertuples(index=False)
    ]
    assert body["where"] == "channel = 'ads'" and body["notes"] and body["notes_zh"]
    whole = client.get("/api/retention/buyers", params={**params, "where": None}).json()
    assert whole["where"] is None and whole["notes"] == []
    assert sum(c["entities"] for c in whole["cohorts"]) > sum(c["entities"] for c in body["cohorts"])


@pytest.mark.parametrize(
    "path", ["/api/funnels/checkout", "/api/funnels/checkout/over-time", "/api/retention/buyers"]
)
def test_unknown_filter_column_is_a_400_with_did_you_mean(client: Any, path: str) -> None:
    wrong = "devise = 'ios'" if "funnels" in path else "chanel = 'ads'"
    hint = "device" if "funnels" in path else "channel"
    assert_error(client.get(path, params={"where": wrong}), 400, "bad_request", en=f"did you mean '{hint}'")
    assert_error(client.get(path, params={"where": "1; drop table x"}), 400, "bad_request")


def test_a_dimension_the_source_lacks_is_named(client: Any) -> None:
    """The shop's events have a device but no channel; its orders a channel but no device."""
    r = client.get("/api/funnels/checkout", params={"where": "channel = 'ads'"})
    assert_error(r, 400, "bad_request", en="dimension 'channel' is not on source 'events'", zh="没有维度")
    r = client.get("/api/retention/buyers", params={"where": "device = 'ios'"})
    assert_error(r, 400, "bad_request", en="dimension 'device' is not on source 'orders'")
