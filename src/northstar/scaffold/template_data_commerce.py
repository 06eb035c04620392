"""Sample data for the ``ecommerce`` and ``delivery`` templates (see :mod:`.template_data`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from northstar.scaffold.template_data import (
    DAYS,
    HOURS_MEALS,
    HOURS_RETAIL,
    Tables,
    calendar,
    daily_counts,
    end_of_data,
    frame,
    pick,
    stamp,
    times_on,
)

# ---------------------------------------------------------------- ecommerce

WARM_UP = 21  # days of history simulated before the sample period
SHOP_WEEK = (0.95, 0.9, 0.92, 0.97, 1.05, 1.22, 1.15)  # weekends are busiest
CHANNELS = {"organic": 0.35, "paid_search": 0.25, "social": 0.2, "email": 0.12, "affiliate": 0.08}
REGIONS = {"north": 0.3, "south": 0.25, "east": 0.25, "west": 0.2}
DEVICES = {"mobile": 0.64, "desktop": 0.31, "tablet": 0.05}
# category: (weight, median order value, return probability)
CATEGORIES = {
    "apparel": (0.35, 48.0, 0.16),
    "beauty": (0.2, 32.0, 0.03),
    "home": (0.2, 75.0, 0.06),
    "electronics": (0.15, 160.0, 0.08),
    "grocery": (0.1, 38.0, 0.01),
}
# how likely a customer's next order is to come from the same customer, by channel
LOYALTY = {"organic": 0.3, "paid_search": 0.2, "social": 0.16, "email": 0.45, "affiliate": 0.14}


def ecommerce(rng: np.random.Generator) -> Tables:
    """Orders, returns and storefront events of a small online shop."""
    end = end_of_data()
    cat_weights = {c: w for c, (w, _, _) in CATEGORIES.items()}
    customers: list[tuple[str, str, str]] = []  # (id, channel, region)
    last_seen: list[datetime] = []
    orders: list[dict[str, object]] = []
    returns: list[dict[str, object]] = []
    first_day = calendar()[0]
    serial = 0
    # three warm-up weeks before the sample period: returning customers and returns from day one
    for day, n in daily_counts(rng, 21, SHOP_WEEK, trend=0.08, days=calendar(DAYS + WARM_UP)):
        for ts in times_on(rng, day, n, HOURS_RETAIL):
            cust = -1
            if customers and rng.random() < 0.34:
                # a returning customer: recent and loyal ones come back most
                ages = np.array([(ts - t).days for t in last_seen], dtype=float)
                loyal = np.array([LOYALTY[c[1]] for c in customers])
                w = loyal * np.exp(-ages / 20.0)
                cust = int(rng.choice(len(customers), p=w / w.sum()))
            if cust < 0:
                customers.append((f"C{len(customers) + 1:05d}", pick(rng, CHANNELS), pick(rng, REGIONS)))
                last_seen.append(ts)
                cust = len(customers) - 1
            cid, channel, region = customers[cust]
            category = pick(rng, cat_weights)
            _, median, p_return = CATEGORIES[category]
            amount = round(float(median * rng.lognormal(0, 0.45)), 2)
            status = "cancelled" if rng.random() < 0.05 else "paid"
            serial += 1
            order_id = f"O{serial:06d}"
            if day >= first_day:
                orders.append(
                    {
                        "order_id": order_id,
                        "customer_id": cid,
                        "ordered_at": stamp(ts),
                        "status": status,
                        "amount": amount,
                        "channel": channel,
                        "region": region,
                        "category": category,
                    }
                )
            if status == "paid":
                last_seen[cust] = ts
            if status == "paid" and rng.random() < p_return:
                back = ts + timedelta(days=float(rng.uniform(2, 21)))
                if first_day <= back.date() and back < end:
                    returns.append(
                        {
                            "return_id": f"R{len(returns) + 1:05d}",
                            "order_id": order_id,
                            "customer_id": cid,
                            "returned_at": stamp(back.replace(microsecond=0)),
                            "amount": amount,
                            "reason": pick(
                                rng,
                                {"size": 0.4, "damaged": 0.15, "not_as_described": 0.25, "changed_mind": 0.2},
                            ),
                            "channel": channel,
                            "region": region,
                            "category": category,
                        }
                    )
    return {
        "data/orders.csv": frame(orders, list(orders[0])),
        "data/returns.csv": frame(returns, list(returns[0])),
        "data/events.csv": _storefront_events(rng),
    }


def _storefront_events(rng: np.random.Generator) -> pd.DataFrame:
    """Product views, add-to-carts and checkouts of visitors (one row per event)."""
    cart_odds = {"mobile": 0.2, "desktop": 0.33, "tablet": 0.25}
    cat_weights = {c: w for c, (w, _, _) in CATEGORIES.items()}
    visitors: list[tuple[str, str, str]] = []  # (id, channel, device)
    rows: list[dict[str, object]] = []
    for day, n in daily_counts(rng, 19, SHOP_WEEK, trend=0.08):
        for ts in times_on(rng, day, n, HOURS_RETAIL):
            if visitors and rng.random() < 0.18:
                uid, channel, device = visitors[int(rng.integers(len(visitors)))]
            else:
                uid, channel, device = f"U{len(visitors) + 1:05d}", pick(rng, CHANNELS), pick(rng, DEVICES)
                visitors.append((uid, channel, device))
            category = pick(rng, cat_weights)
            t = ts
            steps = ["view_item"] * int(rng.integers(1, 4))
            if rng.random() < cart_odds[device] * (1.25 if channel == "email" else 1.0):
                steps.append("add_to_cart")
                if rng.random() < 0.55:
                    steps.append("begin_checkout")
            for name in steps:
                rows.append(
                    {
                        "event_time": stamp(t),
                        "user_id": uid,
                        "event_name": name,
                        "category": category,
                        "channel": channel,
                        "device": device,
                    }
                )
                t += timedelta(seconds=int(rng.integers(15, 240)))
    return frame(rows, ["event_time", "user_id", "event_name", "category", "channel", "device"])


# ---------------------------------------------------------------- delivery

MEAL_WEEK = (0.9, 0.88, 0.92, 0.97, 1.15, 1.3, 1.2)  # Friday dinner and weekends are busiest
ZONES = {
    "Orchard": (0.22, 2.2),
    "Tampines": (0.2, 3.6),
    "Jurong East": (0.2, 4.1),
    "Woodlands": (0.18, 4.8),
    "Bedok": (0.2, 3.2),
}  # zone: (weight, median distance km)
STORES = {"restaurant": 0.7, "grocery": 0.2, "pharmacy": 0.1}
PLATFORMS = {"app": 0.75, "mini_program": 0.25}


def delivery(rng: np.random.Generator) -> Tables:
    """Food and grocery deliveries with the promised and the actual arrival time."""
    rows: list[dict[str, object]] = []
    zone_weights = {z: w for z, (w, _) in ZONES.items()}
    for day, n in daily_counts(rng, 33, MEAL_WEEK, trend=0.05):
        rainy = rng.random() < 0.22
        for ts in times_on(rng, day, n, HOURS_MEALS):
            zone = pick(rng, zone_weights)
            store = pick(rng, STORES)
            distance = round(float(ZONES[zone][1] * rng.lognormal(0, 0.35)), 1)
            promise = 20 + 5 * round(distance * 1.1) + (5 if store == "grocery" else 0)
            peak = ts.hour in (11, 12, 18, 19)
            # couriers usually beat the promise a little; rush hours and rain make them late
            actual = promise - 6 + 5 * peak + 7 * rainy + float(rng.normal(0, 5.5))
            actual = max(actual, 8.0)
            promised_at = ts + timedelta(minutes=promise)
            delivered_at = ts + timedelta(seconds=round(actual * 60))
            rows.append(
                {
                    "delivery_id": f"D{len(rows) + 1:06d}",
                    "customer_id": f"K{int(rng.integers(1, 1800)):05d}",
                    "ordered_at": stamp(ts),
                    "promised_at": stamp(promised_at),
                    "delivered_at": stamp(delivered_at),
                    "delivery_minutes": round((delivered_at - ts).total_seconds() / 60, 2),
                    "distance_km": distance,
                    "zone": zone,
                    "store_type": store,
                    "platform": pick(rng, PLATFORMS),
                    "weather": "rain" if rainy else "clear",
                }
            )
    return {"data/deliveries.csv": frame(rows, list(rows[0]))}
