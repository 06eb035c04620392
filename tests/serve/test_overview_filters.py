"""The overview as of a day (``to``) and filtered (``where``), against pandas on the shop's orders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data" / "shop"


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    o = pd.read_csv(DATA / "orders.csv", parse_dates=["ordered_at"])
    return o


def _revenue(o: pd.DataFrame, first: str, last: str) -> float:
    days = o["ordered_at"].dt.normalize()
    return float(o.loc[(days >= first) & (days <= last), "amount"].sum())


def test_as_of_a_day_the_last_week_is_cut_there(client: Any, orders: pd.DataFrame) -> None:
    body = client.get("/api/overview", params={"grain": "week", "to": "2026-10-14"}).json()
    assert body["end"] == "2026-10-14"
    kpi = {k["metric"]: k for k in body["kpis"]}["revenue"]
    assert kpi["period"] == "2026-W42"  # Monday 2026-10-12
    assert kpi["value"] == pytest.approx(_revenue(orders, "2026-10-12", "2026-10-14"))
    assert kpi["previous"] == pytest.approx(_revenue(orders, "2026-10-05", "2026-10-07"))  # the same part
    assert kpi["bands"] is not None
    # up to 12 weeks, but not before the data (orders start on Saturday 2026-08-15)
    assert [p["period"][:10] for p in kpi["sparkline"]][:2] == ["2026-08-10", "2026-08-17"]
    assert kpi["sparkline"][-1]["period"][:10] == "2026-10-12" and len(kpi["sparkline"]) == 10


def test_a_filter_applies_to_every_kpi_and_drops_the_bands(client: Any, orders: pd.DataFrame) -> None:
    body = client.get(
        "/api/overview", params={"grain": "week", "to": "2026-10-14", "where": "channel = 'ads'"}
    ).json()
    ads = orders[orders["channel"] == "ads"]
    kpis = {k["metric"]: k for k in body["kpis"]}
    assert kpis["revenue"]["value"] == pytest.approx(_revenue(ads, "2026-10-12", "2026-10-14"))
    days = ads["ordered_at"].dt.normalize()
    week = ads[(days >= "2026-10-12") & (days <= "2026-10-14")]
    assert kpis["orders"]["value"] == len(week)
    assert kpis["refund_rate"]["value"] == pytest.approx((week["status"] == "refunded").mean())
    assert all(k["status"] == "filtered" and k["bands"] is None for k in kpis.values())
    assert body["skipped"] == []


def test_a_filter_no_kpi_can_take_is_refused(client: Any) -> None:
    r = client.get("/api/overview", params={"where": "device = 'mobile'"})
    assert r.status_code == 400
    assert "device" in r.json()["error"]["message"]


def test_a_provisional_kpi_is_judged_on_its_last_settled_period(shop_copy: Path, make_client: Any) -> None:
    yml = shop_copy / "northstar.yml"
    yml.write_text(yml.read_text().replace("north_star: revenue", "north_star: repeat_30d"))
    client = make_client()
    kpi = client.get("/api/overview", params={"grain": "week"}).json()["kpis"][0]
    assert kpi["metric"] == "repeat_30d" and kpi["status"] == "provisional"
    last = pd.to_datetime(pd.read_csv(DATA / "orders.csv")["ordered_at"]).max()
    weeks = client.get("/api/metrics/repeat_30d/series", params={"grain": "week"}).json()["points"]
    # the last week whose 30-day window has closed for everyone in it (its Sunday + 31 days <= the data end)
    closed = [p for p in weeks if pd.Timestamp(p["period"]) + pd.Timedelta(days=6 + 31) <= last]
    settled = kpi["settled"]
    assert settled["period"] == closed[-1]["period_label"]
    assert settled["value"] == pytest.approx(closed[-1]["value"])
    assert settled["change_pct"] == pytest.approx(closed[-1]["value"] / closed[-2]["value"] - 1)
    assert settled["status"] != "provisional"
