"""Regenerate the small 'shop' test project's data (committed; run only to change it)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261127)
out = Path(__file__).parent / "shop" / "data"
n = 3000
start = pd.Timestamp("2025-09-01")
ts = start + pd.to_timedelta(rng.integers(0, 450 * 86400, n), unit="s")
orders = pd.DataFrame(
    {
        "order_id": np.arange(1, n + 1),
        "ordered_at": ts.strftime("%Y-%m-%d %H:%M:%S"),
        "customer_id": [f"c{i:03d}" for i in rng.integers(0, 400, n)],
        "channel": rng.choice(["ads", "seo", "email", "微信"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "device": rng.choice(["mobile", "desktop"], n),
        "amount": rng.gamma(2.0, 40.0, n).round(2),
        "status": rng.choice(["paid", "refunded", "cancelled"], n, p=[0.85, 0.1, 0.05]),
    }
)
orders.loc[rng.choice(n, 30, replace=False), "amount"] = np.nan
orders.sort_values("ordered_at").to_csv(out / "orders.csv", index=False)

m = 2000
promised = start + pd.to_timedelta(rng.integers(0, 450 * 86400, m), unit="s")
delivered = promised + pd.to_timedelta(rng.normal(-20, 45, m).round(), unit="m")
deliveries = pd.DataFrame(
    {
        "delivery_id": np.arange(m),
        "promised_at": promised.strftime("%Y-%m-%d %H:%M:%S"),
        "delivered_at": delivered.strftime("%Y-%m-%d %H:%M:%S"),
        "courier": [f"k{i:02d}" for i in rng.integers(0, 12, m)],
        "region": rng.choice(["north", "south", "east"], m),
    }
)
deliveries.to_csv(out / "deliveries.csv", index=False)

k = 2500
plays = pd.DataFrame(
    {
        "played_at": (start + pd.to_timedelta(rng.integers(0, 450 * 86400, k), unit="s")).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "viewer": [f"v{i:03d}" for i in rng.integers(0, 300, k)],
        "video_id": rng.integers(0, 50, k),
        "watched_seconds": rng.exponential(14.0, k).round(1),
        "channel": rng.choice(["ads", "seo"], k),
    }
)
plays.to_csv(out / "plays.csv", index=False)
