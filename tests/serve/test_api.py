"""Every GET endpoint's numbers equal the Python API's (tested against oracles elsewhere), and the
headline numbers are also recomputed here from the CSV with pandas; bands checked by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from northstar.analysis.detector import score
from northstar.project import Project
from northstar.serve.jsonable import jsonable, records
from tests.serve.conftest import DATA


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "orders.csv", parse_dates=["ordered_at"])
    frame["day"] = frame["ordered_at"].dt.normalize()
    return frame


@pytest.fixture
def project(shop_copy: Path) -> Project:
    return Project.load(shop_copy)


def _week_sum(orders: pd.DataFrame, monday: date, days: int = 7) -> float:
    start = pd.Timestamp(monday)
    rows = orders[(orders["day"] >= start) & (orders["day"] < start + pd.Timedelta(days=days))]
    return float(rows["amount"].sum())


def test_project_lists_the_definitions_with_labels(client: Any, project: Project) -> None:
    body = client.get("/api/project").json()
    assert body["name"] == "Goal Shop" and body["north_star"] == "revenue"
    assert body["supporting"] == ["orders", "refund_rate"]
    assert [m["name"] for m in body["metrics"]] == list(project.catalog.names())
    orders = next(m for m in body["metrics"] if m["name"] == "orders")
    assert (orders["label"], orders["label_zh"], orders["format"]) == ("Orders", "订单数", "integer")
    assert {d["name"]: d["label_zh"] for d in body["dimensions"]} == {"channel": "渠道", "device": "设备"}
    assert body["funnels"] == [
        {"name": "checkout", "label": "Checkout", "label_zh": "下单漏斗", "source": "events",
         "steps": ["view_item", "add_to_cart", "purchase"]}
    ]  # fmt: skip
    assert [r["name"] for r in body["retention"]] == ["buyers"]
    assert [s["name"] for s in body["lead_sets"]] == ["b2b"]
    assert [s["name"] for s in body["scorecards"]] == ["shop", "ops", "loyalty", "company"]
    assert body["okrs"][0]["label_zh"] == "店铺增长"
    assert {t["name"]: t["metrics"] for t in body["teams"]}["ops"] == ["orders"]


def test_overview_value_previous_bands_and_sparkline(client: Any, orders: pd.DataFrame) -> None:
    body = client.get("/api/overview").json()
    assert (body["grain"], body["end"]) == ("week", "2026-11-20")
    revenue = body["kpis"][0]
    assert (revenue["metric"], revenue["role"], revenue["period"]) == ("revenue", "north_star", "2026-W47")
    # the data end on Friday 2026-11-20: W47 so far is Mon–Fri, compared with Mon–Fri of W46
    value, previous = _week_sum(orders, date(2026, 11, 16), 5), _week_sum(orders, date(2026, 11, 9), 5)
    assert revenue["value"] == pytest.approx(value) and revenue["previous"] == pytest.approx(previous)
    assert revenue["change"] == pytest.approx(value - previous)
    assert revenue["change_pct"] == pytest.approx(value / previous - 1)
    # November's bands (8000 / 9000 / 10000) for the week's 5 days with data out of November's 30
    bands = revenue["bands"]
    assert bands["floor"] == pytest.approx(8000 * 5 / 30) and bands["target"] == pytest.approx(1500)
    assert bands["stretch"] == pytest.approx(10000 * 5 / 30) and bands["prorated_days"] == 5
    expected_status = (
        "below_floor" if value < 8000 * 5 / 30 else "below_target" if value < 1500 else "on_target"
    )
    assert revenue["status"] == expected_status
    spark = revenue["sparkline"]
    assert len(spark) == 12 and spark[-1]["period"] == "2026-11-16T00:00:00"
    for point in spark[:-1]:
        monday = date.fromisoformat(point["period"][:10])
        assert point["value"] == pytest.approx(_week_sum(orders, monday)), monday
    refund = next(k for k in body["kpis"] if k["metric"] == "refund_rate")
    last = orders[orders["day"] >= pd.Timestamp("2026-11-16")]
    assert refund["value"] == pytest.approx((last["status"] == "refunded").mean())
    assert refund["bands"]["target"] == pytest.approx(0.08)  # 2026's rate, the same for each week
    assert refund["status"] in ("below_floor", "below_target", "on_target", "stretch")


def test_overview_by_month_equals_the_python_api(client: Any, project: Project) -> None:
    body = client.get("/api/overview", params={"grain": "month"}).json()
    result = project.query(["revenue", "orders", "refund_rate"], grain="month", compare=["prev"]).frame
    for kpi in body["kpis"]:
        assert [p["value"] for p in kpi["sparkline"]] == pytest.approx(result[kpi["metric"]].tolist())
        assert kpi["previous"] == pytest.approx(result[f"{kpi['metric']}__prev"].iloc[-1])
    assert body["kpis"][0]["bands"]["target"] == pytest.approx(9000 * 20 / 30)


def test_series_by_day_with_comparisons_and_bands(client: Any, orders: pd.DataFrame) -> None:
    params = {"grain": "day", "from": "2026-10-20", "to": "2026-11-02", "compare": "prev,yoy"}
    body = client.get("/api/metrics/orders/series", params=params).json()
    counts = orders.groupby("day").size()
    points = body["points"]
    assert [p["period"][:10] for p in points] == [
        (date(2026, 10, 20) + timedelta(days=i)).isoformat() for i in range(14)
    ]
    for p in points:
        day = pd.Timestamp(p["period"])
        assert p["value"] == counts.get(day, 0)
        assert p["prev"] == counts.get(day - pd.Timedelta(days=1), 0)
        assert p["prev_change"] == p["value"] - p["prev"]
        assert p["yoy"] is None  # no data a year before
        # orders' targets are weekly (W43: 62, Oct 19–25); a day inside gets 62/7, later days none
        if day <= pd.Timestamp("2026-10-25"):
            assert p["bands"]["target"] == pytest.approx(62 / 7) and p["bands"]["derived"]
            assert p["status"] == ("on_target" if p["value"] >= 62 / 7 else "below_target")
        else:
            assert p["bands"] is None and p["status"] == "no_target"


def test_series_by_a_dimension_and_a_filter(client: Any, orders: pd.DataFrame) -> None:
    params = {"grain": "week", "from": "2026-10-05", "to": "2026-10-25", "by": "channel"}
    body = client.get("/api/metrics/revenue/series", params=params).json()
    got = {(p["period"][:10], p["slice"]["channel"]): p["value"] for p in body["points"]}
    rows = orders[(orders["day"] >= "2026-10-05") & (orders["day"] <= "2026-10-25")]
    week = (rows["day"] - pd.to_timedelta(rows["day"].dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    want = rows.groupby([week, rows["channel"]])["amount"].sum()
    assert got.keys() == set(want.index)
    for key, v in want.items():
        assert got[key] == pytest.approx(v)
    assert all("bands" not in p or p["bands"] is None for p in body["points"])
    params = {"grain": "month", "from": "2026-09-01", "to": "2026-10-31", "where": "channel = 'ads'"}
    body = client.get("/api/metrics/orders/series", params=params).json()
    ads = orders[
        (orders["channel"] == "ads") & (orders["day"] >= "2026-09-01") & (orders["day"] < "2026-11-01")
    ]
    assert [p["value"] for p in body["points"]] == ads.groupby(ads["day"].dt.month).size().tolist()


def test_funnel_retention_explain_scorecard_okrs_equal_the_python_api(
    client: Any, project: Project, orders: pd.DataFrame
) -> None:
    f = client.get(
        "/api/funnels/checkout", params={"from": "2026-09-01", "to": "2026-11-19", "by": "device"}
    ).json()
    want = project.funnel("checkout", start="2026-09-01", end="2026-11-19", by="device")
    assert f["steps"] == records(want.steps) and f["histogram"] == records(want.histogram)
    assert f["steps"][0]["entities"] > f["steps"][-1]["entities"] > 0

    r = client.get("/api/retention/buyers", params={"periods": 3}).json()
    want_r = project.retention("buyers", periods=3)
    assert r["cohorts"] == records(want_r.cohorts) and r["curve"] == records(want_r.curve)

    e = client.get("/api/explain/revenue", params={"date": "2026-10-14", "grain": "week"}).json()
    assert e == jsonable(project.explain("revenue", day="2026-10-14", grain="week").to_dict())
    assert e["value"] == pytest.approx(_week_sum(orders, date(2026, 10, 12)))
    assert e["baseline_value"] == pytest.approx(_week_sum(orders, date(2026, 10, 5)))

    s = client.get("/api/scorecards/shop", params={"period": "2026-10"}).json()
    assert s == jsonable(project.scorecard("shop", "2026-10").to_dict())
    o = client.get("/api/okrs").json()
    assert o == [jsonable(x.to_dict()) for x in project.okrs()]


def test_heatmap_is_the_detectors_deviation_per_day(client: Any, orders: pd.DataFrame) -> None:
    body = client.get(
        "/api/heatmap", params={"metrics": "orders", "from": "2026-11-01", "to": "2026-11-20"}
    ).json()
    assert body["days"][0] == "2026-11-01" and len(body["days"]) == 20
    daily = orders.groupby("day").size().reindex(pd.date_range("2026-08-15", "2026-11-20"), fill_value=0)
    scored = score(daily.astype(float))
    for cell in body["cells"]:
        day = pd.Timestamp(cell["day"])
        assert cell["value"] == daily[day]
        assert cell["expected"] == pytest.approx(scored.loc[day, "expected"])
        assert cell["deviation"] == pytest.approx(daily[day] - scored.loc[day, "expected"])
        assert cell["score"] == pytest.approx(scored.loc[day, "score"])
        assert (cell["reason"] is None) == (scored.loc[day, "reason"] == "")
    assert np.isfinite([c["z"] for c in body["cells"]]).all()


def test_days_without_data_are_empty_not_zero(client: Any) -> None:
    body = client.get("/api/metrics/orders/series", params={"from": "2027-01-01", "to": "2027-01-03"}).json()
    assert [p["value"] for p in body["points"]] == [None, None, None]
    assert body["notes"] == ["no data in this range: the data covers 2026-08-15 → 2026-11-20"]
    assert len(body["notes_zh"]) == 1
    body = client.get(
        "/api/heatmap", params={"metrics": "orders", "from": "2026-11-20", "to": "2026-11-21"}
    ).json()
    assert [c["value"] for c in body["cells"]] == [3, None]
    assert body["cells"][1]["deviation"] is None


def test_a_berlin_project_counts_days_across_the_dst_change(shop_copy: Path, make_client: Any) -> None:
    yml = shop_copy / "northstar.yml"
    text = yml.read_text().replace("timezone: UTC", "timezone: Europe/Berlin")
    text = text.replace("entity: customer_id, label:", "entity: customer_id, timezone: UTC, label:")
    yml.write_text(text)  # the file's times are UTC, the project's days Berlin's
    raw = shop_copy / "orders.csv"
    extra = "\nx1,2026-10-25 00:30:00,c999,10,paid,ads\nx2,2026-10-24 23:30:00,c999,10,paid,ads\n"
    raw.write_text(raw.read_text().rstrip("\n") + extra)  # UTC times: 02:30 CEST and 01:30 CEST on the 25th
    client = make_client()
    body = client.get("/api/metrics/orders/series", params={"from": "2026-10-24", "to": "2026-10-26"}).json()
    frame = pd.read_csv(raw, parse_dates=["ordered_at"])
    local = frame["ordered_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin").dt.date
    want = [int((local == date(2026, 10, d)).sum()) for d in (24, 25, 26)]
    assert [p["value"] for p in body["points"]] == want
    assert (
        Project.load(shop_copy)
        .query("orders", grain="day", start="2026-10-24", end="2026-10-26")
        .frame["orders"]
        .tolist()
        == want
    )
