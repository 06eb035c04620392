"""Money: orders from the purchase events, refunds of some of them, and daily marketing spend.

Every purchase event becomes exactly one order (same shopper, time, channel, device and country);
its value is the item's price times the units bought, adjusted for the market, less a coupon for
some, plus shipping below the free-shipping threshold, paid in the country's currency. Some
orders are refunded days later — refunds that would land after the period are not in the data
yet, so those orders are still ``paid``.

Spend follows the visits each paid channel brought (clicks ≈ visits, impressions ≈ clicks / CTR,
spend ≈ clicks × CPC), except on the days of the injected spend spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from northstar.scaffold.demo_traffic import CATALOG_SIZE, DAY_S, Events, Sessions
from northstar.scaffold.demo_world import (
    BASKET_FACTOR,
    CHANNELS,
    COUNTRIES,
    CURRENCIES,
    FX_PER_USD,
    Calendar,
    IncidentPlan,
)

REFUND_REASONS = (
    "wrong_size",
    "damaged",
    "not_as_described",
    "late_delivery",
    "changed_mind",
    "customs_fees",
)
PAID_CHANNELS = ("paid_search", "social", "email", "affiliate")
_CLICKS_PER_VISIT = {"paid_search": 1.12, "social": 1.25, "email": 1.05, "affiliate": 1.10}
_CTR = {"paid_search": 0.042, "social": 0.011, "email": 0.028, "affiliate": 0.018}
_CPC = {"paid_search": 1.25, "social": 0.58, "email": 0.01, "affiliate": 0.42}
_FIXED = {"paid_search": 0.0, "social": 0.0, "email": 95.0, "affiliate": 25.0}
SPEND_SPIKE_FACTOR = 3.5


@dataclass(frozen=True)
class Orders:
    """One row per purchase event, in time order."""

    event: np.ndarray  # index into Events of the purchase event
    user: np.ndarray
    time_s: np.ndarray
    channel: np.ndarray
    device: np.ndarray
    country: np.ndarray
    item: np.ndarray
    items: np.ndarray  # units bought
    amount_usd: np.ndarray
    amount: np.ndarray  # in the country's currency

    def __len__(self) -> int:
        return len(self.event)


@dataclass(frozen=True)
class Refunds:
    order: np.ndarray  # index into Orders
    time_s: np.ndarray
    amount_usd: np.ndarray
    reason: np.ndarray  # index into REFUND_REASONS

    def __len__(self) -> int:
        return len(self.order)


@dataclass(frozen=True)
class Spend:
    day: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    spend_usd: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray


def item_prices(rng: np.random.Generator) -> np.ndarray:
    """USD list price of every catalog item, ending in .99."""
    return np.maximum(np.round(np.exp(rng.normal(np.log(34.0), 0.55, CATALOG_SIZE))), 5.0) - 0.01


def make_orders(rng: np.random.Generator, sessions: Sessions, events: Events) -> Orders:
    idx = np.flatnonzero(events.code == 4)
    idx = idx[np.argsort(events.time_s[idx], kind="stable")]
    sess = events.session[idx]
    country = sessions.country[sess]
    item = events.item[idx]
    units = 1 + rng.poisson(0.45, idx.size)
    prices = item_prices(rng)
    subtotal = prices[item] * units * BASKET_FACTOR[country]
    coupon = np.where(rng.random(idx.size) < 0.22, rng.choice([0.10, 0.15], idx.size), 0.0)
    domestic = country == COUNTRIES.index("US")
    free_from = np.where(domestic, 35.0, 60.0)
    shipping = np.where(subtotal < free_from, np.where(domestic, 4.99, 9.99), 0.0)
    usd = np.round(subtotal * (1 - coupon) + shipping, 2)
    local = usd * FX_PER_USD[country]
    jpy = np.array([c == "JPY" for c in CURRENCIES])[country]
    local = np.where(jpy, np.round(local), np.round(local, 2))
    return Orders(
        event=idx,
        user=sessions.user[sess],
        time_s=events.time_s[idx],
        channel=sessions.channel[sess],
        device=sessions.device[sess],
        country=country,
        item=item,
        items=units,
        amount_usd=usd,
        amount=local,
    )


def make_refunds(rng: np.random.Generator, calendar: Calendar, orders: Orders) -> Refunds:
    n = len(orders)
    p = np.full(n, 0.07)
    p[orders.country == COUNTRIES.index("BR")] *= 1.4
    p[orders.channel == CHANNELS.index("social")] *= 1.25
    p[orders.items > 1] *= 1.3  # bracketing: order two sizes, return one
    chosen = np.flatnonzero(rng.random(n) < p)
    delay = (2.0 + rng.gamma(2.0, 3.0, chosen.size)) * DAY_S
    time_s = np.floor(orders.time_s[chosen] + delay)
    kept = time_s < calendar.days * DAY_S
    chosen, time_s = chosen[kept], time_s[kept]
    partial = rng.random(chosen.size) < 0.2
    share = np.where(partial, rng.uniform(0.3, 0.7, chosen.size), 1.0)
    amount = np.round(orders.amount_usd[chosen] * share, 2)
    us = orders.country[chosen] == COUNTRIES.index("US")
    w_domestic = np.array([0.30, 0.15, 0.22, 0.16, 0.15, 0.02])
    w_abroad = np.array([0.26, 0.13, 0.18, 0.16, 0.12, 0.15])
    reason = np.where(
        us,
        rng.choice(len(REFUND_REASONS), size=chosen.size, p=w_domestic),
        rng.choice(len(REFUND_REASONS), size=chosen.size, p=w_abroad),
    )
    order = np.argsort(time_s, kind="stable")
    return Refunds(order=chosen[order], time_s=time_s[order], amount_usd=amount[order], reason=reason[order])


def make_spend(rng: np.random.Generator, calendar: Calendar, sessions: Sessions, plan: IncidentPlan) -> Spend:
    days = calendar.days
    paid = ~sessions.spike  # the viral spike is unpaid: it never shows up in the ad accounts
    visits = np.bincount(
        sessions.channel[paid].astype(np.int64) * days + sessions.day[paid], minlength=len(CHANNELS) * days
    ).reshape(len(CHANNELS), days)
    rows_day, rows_channel, spend, impressions, clicks = [], [], [], [], []
    for name in PAID_CHANNELS:
        ch = CHANNELS.index(name)
        c = np.round(visits[ch] * _CLICKS_PER_VISIT[name] * np.exp(rng.normal(0, 0.03, days)))
        imp = np.round(c / _CTR[name] * np.exp(rng.normal(0, 0.08, days)))
        cpc = _CPC[name] * np.exp(rng.normal(0, 0.06, days))
        s = _FIXED[name] * np.exp(rng.normal(0, 0.05, days)) + c * cpc
        if name == plan.spend_spike.where["channel"]:
            s[plan.spend_spike.first_day : plan.spend_spike.last_day + 1] *= SPEND_SPIKE_FACTOR
        rows_day.append(np.arange(days))
        rows_channel.append(np.full(days, ch))
        spend.append(np.round(s, 2))
        impressions.append(imp.astype(np.int64))
        clicks.append(c.astype(np.int64))
    # Sort by day, then channel, as an export from an ads dashboard would be.
    day = np.concatenate(rows_day)
    channel = np.concatenate(rows_channel)
    order = np.lexsort((channel, day))
    return Spend(
        day=day[order],
        channel=channel[order],
        spend_usd=np.concatenate(spend)[order],
        impressions=np.concatenate(impressions)[order],
        clicks=np.concatenate(clicks)[order],
    )
