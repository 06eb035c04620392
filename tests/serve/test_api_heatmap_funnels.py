"""The heatmap by a dimension (``/api/heatmap?by=``) and a funnel's conversion over time
(``/api/funnels/{name}/over-time``): their numbers recomputed from the shop's CSVs with pandas, the
detector's ``expected`` from ``detector.score`` run directly on those series."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from northstar.analysis.detector import score
from northstar.project import Project
from northstar.serve.jsonable import jsonable
from tests.serve.conftest import DATA, assert_error

DAYS = pd.date_range("2026-08-15", "2026-11-20")  # the orders' days: the detector's history


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "orders.csv", parse_dates=["ordered_at"])
    frame["day"] = frame["ordered_at"].dt.normalize()
    return frame


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return pd.read_csv(DATA / "events.csv", parse_dates=["event_time"])


def _daily(rows: pd.DataFrame, column: str | None = None) -> pd.Series:
    """Per day of DAYS: the number of rows (or the sum of ``column``), 0 on days without any."""
    grouped = rows.groupby("day")
    values = grouped.size() if column is None else grouped[column].sum()
    return values.reindex(DAYS, fill_value=0).astype(float)


def _check_cells(cells: list[dict[str, Any]], daily: pd.Series) -> None:
    scored = score(daily)
    for cell in cells:
        day = pd.Timestamp(cell["day"])
        assert cell["value"] == pytest.approx(daily[day]), day
        assert cell["expected"] == pytest.approx(scored.loc[day, "expected"]), day
        assert cell["deviation"] == pytest.approx(daily[day] - scored.loc[day, "expected"]), day
        assert cell["z"] == pytest.approx(scored.loc[day, "z"]), day
        assert cell["score"] == pytest.approx(scored.loc[day, "score"]), day
        if scored.loc[day, "expected"]:
            want = (daily[day] - scored.loc[day, "expected"]) / abs(scored.loc[day, "expected"])
            assert cell["deviation_pct"] == pytest.approx(want), day
        assert (cell["reason"] is None) == (scored.loc[day, "reason"] == "")


def test_heatmap_by_channel_is_each_values_daily_series_scored(client: Any, orders: pd.DataFrame) -> None:
    params = {"metrics": "orders", "by": "channel", "from": "2026-11-01", "to": "2026-11-20"}
    body = client.get("/api/heatmap", params=params).json()
    assert body["by"] == "channel" and len(body["days"]) == 20 and body["skipped"] == []
    in_range = orders[(orders["day"] >= "2026-11-01") & (orders["day"] <= "2026-11-20")]
    volumes = in_range["channel"].value_counts()
    assert [(g["value"], g["volume"]) for g in body["groups"]] == list(volumes.items())  # largest first
    assert len(body["cells"]) == 20 * len(volumes)
    for channel in volumes.index:
        cells = [c for c in body["cells"] if c["group"] == channel]
        assert len(cells) == 20
        _check_cells(cells, _daily(orders[orders["channel"] == channel]))


def test_heatmap_by_value_keeps_the_largest_and_honours_where(client: Any, orders: pd.DataFrame) -> None:
    params = {"metrics": "revenue", "by": "channel", "from": "2026-10-01", "to": "2026-10-31", "limit": 2}
    body = client.get("/api/heatmap", params=params).json()
    october = orders[(orders["day"] >= "2026-10-01") & (orders["day"] <= "2026-10-31")]
    top = october["channel"].value_counts().head(2)
    assert [g["value"] for g in body["groups"]] == list(top.index)
    assert {c["group"] for c in body["cells"]} == set(top.index)
    first = top.index[0]
    _check_cells(
        [c for c in body["cells"] if c["group"] == first],
        _daily(orders[orders["channel"] == first], "amount"),
    )

    params = {**params, "where": "channel in ('ads', 'email')", "limit": 12}
    body = client.get("/api/heatmap", params=params).json()
    assert sorted(g["value"] for g in body["groups"]) == ["ads", "email"]
    for g in body["groups"]:
        assert g["volume"] == (october["channel"] == g["value"]).sum()


def test_heatmap_by_metric_with_a_filter(client: Any, orders: pd.DataFrame) -> None:
    params = {
        "metrics": "orders,revenue",
        "where": "channel = 'ads'",
        "from": "2026-11-10",
        "to": "2026-11-20",
    }
    body = client.get("/api/heatmap", params=params).json()
    ads = orders[orders["channel"] == "ads"]
    assert [m["metric"] for m in body["metrics"]] == ["orders", "revenue"] and body["skipped"] == []
    _check_cells([c for c in body["cells"] if c["metric"] == "orders"], _daily(ads))
    _check_cells([c for c in body["cells"] if c["metric"] == "revenue"], _daily(ads, "amount"))
    assert all(c["group"] is None for c in body["cells"])


def test_heatmap_leaves_out_metrics_the_filter_does_not_fit(shop_copy: Path, make_client: Any) -> None:
    yml = shop_copy / "northstar.yml"
    yml.write_text(
        yml.read_text().replace("metrics:\n", "metrics:\n  views: {type: count, source: events}\n", 1)
    )
    client = make_client()
    params = {"metrics": "orders,views", "where": "device = 'ios'", "from": "2026-11-01", "to": "2026-11-19"}
    body = client.get("/api/heatmap", params=params).json()
    assert [m["metric"] for m in body["metrics"]] == ["views"]
    assert [s["metric"] for s in body["skipped"]] == ["orders"]
    assert "device" in body["skipped"][0]["message"] and body["skipped"][0]["message_zh"]
    events = pd.read_csv(DATA / "events.csv", parse_dates=["event_time"])
    ios = events[events["device"] == "ios"]
    per_day = ios.groupby(ios["event_time"].dt.normalize()).size()
    for cell in body["cells"]:
        assert cell["value"] == per_day.get(pd.Timestamp(cell["day"]), 0)


def test_heatmap_by_rejects_bad_input(client: Any) -> None:
    assert_error(
        client.get("/api/heatmap", params={"metrics": "orders,revenue", "by": "channel"}),
        400,
        "bad_request",
        en="one metric",
        zh="一个指标",
    )
    assert_error(client.get("/api/heatmap", params={"by": "chanel"}), 404, "unknown_name", en="channel")
    assert_error(
        client.get("/api/heatmap", params={"metrics": "orders", "by": "device"}),
        400,
        "bad_request",
        en="device",
    )
    assert_error(client.get("/api/heatmap", params={"by": "channel", "limit": 0}), 422, "invalid_request")
    assert_error(
        client.get("/api/heatmap", params={"metrics": "orders", "where": "device = 'ios'"}),
        400,
        "bad_request",
    )
    body = client.get("/api/heatmap", params={"by": "channel"}).json()  # default: the north star
    assert [m["metric"] for m in body["metrics"]] == ["revenue"] and len(body["days"]) == 30


def _converted(events: pd.DataFrame, monday: str, steps: list[str], within: pd.Timedelta) -> tuple[int, int]:
    """Entities entering the funnel (a first step in the week) and those of them for which some
    entry is followed, in order and within ``within`` of it, by every later step."""
    start = pd.Timestamp(monday)
    rows = events.sort_values("event_time")
    entries = rows[(rows["event_name"] == steps[0]) & (rows["event_time"] >= start)]
    entries = entries[entries["event_time"] < start + pd.Timedelta(days=7)]
    done = set()
    for user, s in zip(entries["user_id"], entries["event_time"], strict=True):
        mine = rows[
            (rows["user_id"] == user) & (rows["event_time"] >= s) & (rows["event_time"] <= s + within)
        ]
        at = s
        for step in steps[1:]:
            nxt = mine[(mine["event_name"] == step) & (mine["event_time"] >= at)]
            if nxt.empty:
                break
            at = nxt["event_time"].iloc[0]
        else:
            done.add(user)
    return entries["user_id"].nunique(), len(done)


def test_funnel_over_time_equals_the_project_and_pandas(
    client: Any, shop_copy: Path, events: pd.DataFrame
) -> None:
    params = {"grain": "week", "from": "2026-09-07", "to": "2026-11-15"}
    body = client.get("/api/funnels/checkout/over-time", params=params).json()
    project = Project.load(shop_copy)
    want = project.funnel_over_time("checkout", "week", start="2026-09-07", end="2026-11-15")
    got = [{k: v for k, v in row.items() if k != "period_label"} for row in body["periods"]]
    assert got == [jsonable(r) for r in want.to_dict("records")]
    assert (body["start"], body["end"], body["within"]) == ("2026-09-07", "2026-11-15", "1d")
    assert body["steps"] == ["view_item", "add_to_cart", "purchase"]
    assert [r["period_label"] for r in body["periods"]][:2] == ["2026-W37", "2026-W38"]
    assert all(r["complete"] for r in body["periods"])
    steps = body["steps"]
    for row in body["periods"][3:6]:
        entered, converted = _converted(events, row["period"][:10], steps, pd.Timedelta(days=1))
        assert (row["entered"], row["converted"]) == (entered, converted), row["period"]
        assert row["conversion"] == pytest.approx(converted / entered)
        assert 0 < converted < entered


def test_funnel_over_time_by_a_dimension_and_defaults(client: Any, shop_copy: Path) -> None:
    body = client.get("/api/funnels/checkout/over-time", params={"grain": "month", "by": "device"}).json()
    project = Project.load(shop_copy)
    want = project.funnel_over_time("checkout", "month", start="2026-09-01", end="2026-11-19", by="device")
    assert (body["start"], body["end"], body["by"]) == ("2026-09-01", "2026-11-19", "device")
    assert [{k: v for k, v in r.items() if k != "period_label"} for r in body["periods"]] == [
        jsonable(r) for r in want.to_dict("records")
    ]
    assert {r["period_label"] for r in body["periods"]} == {"2026-09", "2026-10", "2026-11"}
    weekly = client.get("/api/funnels/checkout/over-time").json()  # 12 weeks back, from a Monday
    assert weekly["grain"] == "week" and weekly["end"] == "2026-11-19" and weekly["start"] == "2026-09-07"


def test_funnel_over_time_rejects_bad_input(client: Any) -> None:
    assert_error(client.get("/api/funnels/checkot/over-time"), 404, "unknown_name", en="checkout")
    assert_error(
        client.get("/api/funnels/checkout/over-time", params={"grain": "hour"}), 400, "bad_request", zh="粒度"
    )
    assert_error(
        client.get("/api/funnels/checkout/over-time", params={"by": "colour"}),
        400,
        "bad_request",
        en="colour",
    )
    assert_error(
        client.get("/api/funnels/checkout/over-time", params={"from": "2026-11-10", "to": "2026-11-01"}),
        400,
        "bad_request",
        en="swap",
    )


def test_heatmap_marks_days_whose_repeat_window_is_still_open(client: Any, orders: pd.DataFrame) -> None:
    params = {"metrics": "repeat_30d,orders", "from": "2026-10-01", "to": "2026-11-20"}
    body = client.get("/api/heatmap", params=params).json()
    last = orders["ordered_at"].max()  # a day's 30-day window closes at the end of day + 30
    for cell in body["cells"]:
        closes = pd.Timestamp(cell["day"]) + pd.Timedelta(days=31)
        assert cell["provisional"] == (cell["metric"] == "repeat_30d" and closes > last), cell["day"]
    assert any(c["provisional"] for c in body["cells"]) and not all(c["provisional"] for c in body["cells"])
