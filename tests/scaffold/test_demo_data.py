"""The demo data tells a consistent, realistic story — checked with independent pandas code.

One generation of 60 days × 40,000 users is shared by all tests (about two seconds); it is big
enough for each injected incident to stand out on its stated days against the days around them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from northstar.scaffold.demo import generate_demo

FUNNEL = ["page_view", "view_item", "add_to_cart", "begin_checkout", "purchase"]
FX = {"USD": 1.0, "GBP": 0.79, "EUR": 0.92, "JPY": 151.0, "AUD": 1.53, "CAD": 1.38, "BRL": 5.05}


class Shop:
    """The generated files, read with pandas, and the ground truth."""

    def __init__(self, root: Path):
        data = root / "data"
        self.events = pd.read_parquet(data / "events.parquet")
        self.events["day"] = self.events["event_time"].dt.floor("D")
        self.orders = pd.read_parquet(data / "orders.parquet")
        self.refunds = pd.read_parquet(data / "refunds.parquet")
        self.spend = pd.read_csv(data / "marketing_spend.csv", parse_dates=["date"])
        self.leads = pd.read_csv(data / "leads.csv", dtype={"phone": str}, parse_dates=["created_at"])
        times = ["created_at", "first_response_at", "resolved_at"]
        self.tickets = pd.read_csv(data / "tickets.csv", parse_dates=times)
        self.truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
        self.incidents = {i["id"]: i for i in self.truth["incidents"]}

    def daily(self, frame: pd.DataFrame, incident: dict[str, Any], time: str = "day") -> tuple[float, float]:
        """Mean rows per day on the incident's days, and on the 7 days either side of them."""
        days = pd.to_datetime(incident["days"])
        counts = frame.groupby(frame[time].dt.floor("D")).size()
        around = pd.date_range(days.min() - pd.Timedelta(days=7), days.max() + pd.Timedelta(days=7))
        counts = counts.reindex(around, fill_value=0)
        inside = counts.index.isin(days)
        return float(counts[inside].mean()), float(counts[~inside].mean())


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    root = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(root, days=60, users=40_000, seed=11)
    return Shop(root)


def test_event_values_and_period(shop: Shop) -> None:
    e = shop.events
    assert set(e["event_name"].unique()) == {*FUNNEL, "refund"}
    assert set(e["channel"].unique()) == {"organic", "paid_search", "social", "email", "affiliate", "direct"}
    assert set(e["device"].unique()) == {"desktop", "mobile", "tablet", "app"}
    assert set(e["country"].unique()) == {"US", "GB", "DE", "FR", "JP", "AU", "CA", "BR"}
    assert e.groupby("device")["platform"].unique().map(list).to_dict() == {
        "app": ["app"],
        "desktop": ["web"],
        "mobile": ["web"],
        "tablet": ["web"],
    }
    assert pd.Series(e["user_id"].unique()).str.fullmatch(r"u\d{6}").all()
    assert e["event_time"].min() >= pd.Timestamp(shop.truth["start"])
    assert e["event_time"].max() < pd.Timestamp(shop.truth["end"]) + pd.Timedelta(days=1)
    assert e["event_time"].is_monotonic_increasing
    assert e["value"].notna().eq(e["event_name"] == "purchase").all()
    assert e["item_id"].isna().eq(e["event_name"] == "page_view").all()
    assert e["session_id"].isna().eq(e["event_name"] == "refund").all()
    countries = e.drop_duplicates("user_id")["country"].value_counts(normalize=True)
    assert countries.index[0] == "US" and countries["US"] > 0.25  # weighted, not uniform
    assert 5 * 40_000 < len(e) < 40 * 40_000  # events per user over 60 days


def test_funnel_is_monotone_in_every_session(shop: Shop) -> None:
    visits = shop.events[shop.events["session_id"].notna()]
    first = visits.pivot_table(index="session_id", columns="event_name", values="event_time", aggfunc="min")
    first = first.reindex(columns=FUNNEL)
    for earlier, later in pairwise(FUNNEL):
        reached = first[later].notna()
        assert first.loc[reached, earlier].notna().all(), f"{later} without {earlier}"
        assert (first.loc[reached, earlier] <= first.loc[reached, later]).all()
    per_session = visits.groupby("session_id")[["user_id", "channel", "device", "country"]].nunique()
    assert (per_session == 1).all().all()
    assert (visits.groupby("session_id")["day"].nunique() == 1).all()
    rates = first.notna().mean()
    assert rates["page_view"] == 1.0
    assert 0.01 < rates["purchase"] < 0.08  # a believable session conversion rate


def test_orders_match_purchase_events(shop: Shop) -> None:
    o, e = shop.orders, shop.events
    buys = e[e["event_name"] == "purchase"].set_index("order_id")
    assert o["order_id"].is_unique and len(o) == len(buys)
    joined = o.set_index("order_id").join(buys, how="inner", suffixes=("", "_event"))
    assert len(joined) == len(o)
    assert (joined["customer_id"] == joined["user_id"]).all()
    assert (joined["ordered_at"] == joined["event_time"]).all()
    assert np.allclose(joined["amount_usd"], joined["value"])
    for col in ("channel", "device", "country"):
        assert (joined[col] == joined[f"{col}_event"]).all()
    assert (o["amount_usd"] > 0).all() and (o["items"] >= 1).all()
    rate = o["currency"].map(FX)
    assert np.allclose(o["amount"], o["amount_usd"] * rate, rtol=0.01, atol=0.6)
    assert set(o.loc[o["country"] == "JP", "currency"]) == {"JPY"}
    assert 30 < o["amount_usd"].mean() < 150


def test_refunds_reference_orders(shop: Shop) -> None:
    o, r, e = shop.orders.set_index("order_id"), shop.refunds, shop.events
    assert r["order_id"].isin(o.index).all() and r["order_id"].is_unique
    refunded = o.loc[r["order_id"]]
    assert (r["customer_id"].to_numpy() == refunded["customer_id"].to_numpy()).all()
    assert (r["refunded_at"].to_numpy() > refunded["ordered_at"].to_numpy()).all()
    assert (r["amount_usd"].to_numpy() <= refunded["amount_usd"].to_numpy() + 1e-9).all()
    assert set(o.index[o["status"] == "refunded"]) == set(r["order_id"])
    refund_events = e[e["event_name"] == "refund"]
    assert sorted(refund_events["order_id"]) == sorted(r["order_id"])
    assert 0.03 < len(r) / len(o) < 0.15


def test_weekly_seasonality(shop: Shop) -> None:
    views = shop.events[shop.events["event_name"] == "page_view"]
    sessions = views.drop_duplicates("session_id")
    weekend = sessions["day"].dt.day_of_week >= 5
    per_day = sessions.groupby([sessions["device"].isin(["mobile", "app"]), weekend, "day"]).size()
    means = per_day.groupby(level=[0, 1]).mean()
    assert means[(True, True)] > 1.15 * means[(True, False)]  # phones: weekends are busier
    assert means[(False, True)] < means[(False, False)]  # desktop and tablet: weekdays are busier


def test_mild_upward_trend(shop: Shop) -> None:
    per_day = shop.events[shop.events["event_name"] == "page_view"].groupby("day").size()
    first, last = per_day.iloc[7:21].mean(), per_day.iloc[-14:].mean()
    assert 1.05 < last / first < 1.6


def test_repurchase_rate_is_plausible(shop: Shop) -> None:
    paid = shop.orders[shop.orders["status"] == "paid"]
    first = paid.groupby("customer_id")["ordered_at"].min().rename("first")
    cutoff = pd.Timestamp(shop.truth["end"]) + pd.Timedelta(days=1) - pd.Timedelta(days=30)
    first = first[first < cutoff]  # their 30-day window has fully elapsed
    later = paid.join(first, on="customer_id", how="inner")
    again = later[
        (later["ordered_at"] > later["first"])
        & (later["ordered_at"] <= later["first"] + pd.Timedelta(days=30))
    ]
    rate = first.index.isin(again["customer_id"]).mean()
    assert 0.12 < rate < 0.40


def test_payment_outage(shop: Shop) -> None:
    inc = shop.incidents["payment_outage"]
    assert len(inc["days"]) == 1
    slice_ = shop.events[shop.events["device"] == inc["slice"]["device"]]
    on, around = shop.daily(slice_[slice_["event_name"] == "purchase"], inc)
    assert on < 0.2 * around
    on, around = shop.daily(slice_[slice_["event_name"] == "add_to_cart"], inc)
    assert 0.7 * around < on < 1.5 * around
    payments = shop.tickets[shop.tickets["category"] == "payment"]
    on, around = shop.daily(payments, inc, time="created_at")
    assert on > 2 * around


def test_traffic_spike(shop: Shop) -> None:
    inc = shop.incidents["traffic_spike"]
    assert len(inc["days"]) == 2
    views = shop.events[
        (shop.events["channel"] == inc["slice"]["channel"]) & (shop.events["event_name"] == "page_view")
    ]
    on, around = shop.daily(views.drop_duplicates("session_id"), inc)
    assert on > 2.2 * around
    spend = shop.spend[shop.spend["channel"] == inc["slice"]["channel"]].rename(columns={"date": "day"})
    spend = spend.loc[spend.index.repeat(spend["clicks"] // 10)]  # rows ∝ clicks
    on, around = shop.daily(spend, inc)
    assert 0.7 * around < on < 1.4 * around  # unpaid: the ad accounts see nothing unusual


def test_checkout_bug(shop: Shop) -> None:
    inc = shop.incidents["checkout_bug"]
    assert len(inc["days"]) == 7
    slice_ = shop.events[shop.events["country"] == inc["slice"]["country"]]
    (buy_on, buy_around), (co_on, co_around) = (
        shop.daily(slice_[slice_["event_name"] == name], inc) for name in ("purchase", "begin_checkout")
    )
    assert buy_on / co_on < 0.6 * (buy_around / co_around)
    on, around = shop.daily(slice_[slice_["event_name"] == "add_to_cart"], inc)
    assert 0.75 * around < on < 1.3 * around


def test_spend_spike(shop: Shop) -> None:
    inc = shop.incidents["spend_spike"]
    s = shop.spend[shop.spend["channel"] == "paid_search"].set_index("date")
    days = pd.to_datetime(inc["days"])
    around = s.loc[days.min() - pd.Timedelta(days=7) : days.max() + pd.Timedelta(days=7)].drop(days)
    assert (s.loc[days, "spend_usd"] > 2.5 * around["spend_usd"].mean()).all()
    assert (s.loc[days, "clicks"] < 1.3 * around["clicks"].mean()).all()
    views = shop.events[
        (shop.events["channel"] == "paid_search") & (shop.events["event_name"] == "page_view")
    ]
    on, around_visits = shop.daily(views.drop_duplicates("session_id"), inc)
    assert on < 1.3 * around_visits


def test_spend_covers_every_paid_channel_and_day(shop: Shop) -> None:
    s = shop.spend
    assert set(s["channel"]) == {"paid_search", "social", "email", "affiliate"}
    assert len(s) == 4 * shop.truth["days"] and not s.duplicated(["date", "channel"]).any()
    assert (s["spend_usd"] > 0).all() and (s["impressions"] > s["clicks"]).all()


def _normalise(phone: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone).split("x")[0].split("ext")[0])
    return digits[-9:]


def test_leads_are_realistically_messy(shop: Shop) -> None:
    leads = shop.leads
    assert len(leads) == round(40_000 * 0.04) and leads["lead_id"].is_unique
    phones = leads["phone"].dropna()
    assert phones.str.contains("[０-９]").any()  # full-width digits
    assert phones.str.startswith("+86 ").any() and phones.str.contains(r"^\(\d{3}\) \d{3}-\d{4}$").any()
    assert phones.str.startswith("+44 ").any() and phones.str.contains("ext|x\\d", regex=True).any()
    assert (phones == "11111111111").any() or phones.str.fullmatch(r"(\d)\1{7,}").any()
    assert leads["phone"].isna().any()
    key = phones.map(_normalise)
    repeated = leads.loc[phones.index].assign(key=key).groupby("key")
    cross_channel = repeated.filter(lambda g: len(g) > 1 and g["channel"].nunique() > 1)
    assert len(cross_channel) > 0.02 * len(leads)
    emails = leads["email"].dropna()
    valid = emails.str.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
    assert 0.8 < valid.mean() < 0.99
    assert set(leads["outcome"]) == {"new", "contacted", "qualified", "won", "lost"}
    assert leads["deal_value"].notna().eq(leads["outcome"] == "won").all()
    assert (leads.loc[leads["channel"].isin(["organic", "direct"]), "cost_usd"] == 0).all()


def test_tickets_are_consistent(shop: Shop) -> None:
    t = shop.tickets
    resolved = t["resolved_at"].notna()
    assert (t["first_response_at"].dropna() >= t.loc[t["first_response_at"].notna(), "created_at"]).all()
    assert (t.loc[resolved, "resolved_at"] >= t.loc[resolved, "first_response_at"]).all()
    hours = (t["resolved_at"] - t["created_at"]).dt.total_seconds() / 3600
    assert np.allclose(hours[resolved], t.loc[resolved, "resolution_hours"], atol=0.02)
    assert t.loc[resolved, "contacts"].ge(1).all() and t.loc[~resolved, "resolution_hours"].isna().all()
    assert 0.45 < (t.loc[resolved, "contacts"] == 1).mean() < 0.85
    csat = t["csat"].dropna()
    assert csat.between(1, 5).all() and 0.2 < t["csat"].isna().mean() < 0.7
    assert set(t["contact_channel"]) == {"email", "chat", "phone"}
    assert "channel" not in t.columns  # channel means the marketing channel, which tickets have not
    assert set(t["customer_id"]) <= set(shop.events["user_id"].unique())
