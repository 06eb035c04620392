"""The core benchmark: 20 daily KPIs by channel + 30-day repurchase, Northstar vs hand-written code.

    python benchmarks/core_kpis.py --events 1M            # all approaches, 5 timed runs each
    python benchmarks/core_kpis.py --events 10M --repeats 3 --only northstar,duckdb,polars

Steps:

1. generate (fixed seed, vectorised NumPy) a Parquet file of N events, cached in
   ``benchmarks/.data/`` (git-ignored), and write a ``northstar.yml`` for it in a temp folder;
2. run each approach in its own fresh subprocess: import, set up (Northstar: ``Project.load``,
   timed and reported apart), one warm-up run ("first"), then ``--repeats`` timed runs; the child
   reports its timings and its own peak RSS (``ru_maxrss``), and leaves its last result on disk;
3. check that every hand-written baseline returns exactly Northstar's rows, and every value within
   1e-9 relative (nulls in the same places) — a benchmark comparing different work is worthless;
4. print a table: median seconds, ratio to the fastest hand-written baseline, peak RSS.

The Northstar timing covers ``project.query(...)``: compile + execute + result assembly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / ".data"

SEED = 20260101
DATA_VERSION = 2  # bump when generate() changes
START = datetime(2026, 1, 1)
DAYS = 120
LO, HI = START, START + timedelta(days=DAYS)  # the queried range [LO, HI)
WITHIN_DAYS = 30
KEYS = ["period", "channel"]

CHANNELS = ["organic", "paid_search", "social", "email", "direct", "referral"]
CHANNEL_P = [0.30, 0.22, 0.18, 0.10, 0.15, 0.05]
DEVICES = ["mobile", "desktop", "tablet", "app"]
DEVICE_P = [0.55, 0.30, 0.05, 0.10]
COUNTRIES = ["US", "CN", "DE", "GB", "FR", "JP", "BR", "IN"]
COUNTRY_P = [0.30, 0.20, 0.10, 0.08, 0.07, 0.10, 0.07, 0.08]
EVENTS = ["page_view", "view_item", "add_to_cart", "begin_checkout", "purchase", "refund"]
EVENT_P = [0.56, 0.27, 0.09, 0.045, 0.03, 0.005]

# The 20 daily KPIs (name → YAML mapping), then the north star.
KPIS: dict[str, dict[str, Any]] = {
    "page_views": {"type": "count", "filter": "event_name = 'page_view'"},
    "item_views": {"type": "count", "filter": "event_name = 'view_item'"},
    "add_to_carts": {"type": "count", "filter": "event_name = 'add_to_cart'"},
    "checkouts": {"type": "count", "filter": "event_name = 'begin_checkout'"},
    "orders": {"type": "count", "filter": "event_name = 'purchase'"},
    "refunds": {"type": "count", "filter": "event_name = 'refund'"},
    "visitors": {"type": "count_distinct"},
    "sessions": {"type": "count_distinct", "column": "session_id"},
    "viewers": {"type": "count_distinct", "filter": "event_name = 'view_item'"},
    "carters": {"type": "count_distinct", "filter": "event_name = 'add_to_cart'"},
    "purchasers": {"type": "count_distinct", "filter": "event_name = 'purchase'"},
    "revenue": {"type": "sum", "column": "value", "filter": "event_name = 'purchase'"},
    "aov": {"type": "avg", "column": "value", "filter": "event_name = 'purchase'"},
    "median_order_value": {"type": "median", "column": "value", "filter": "event_name = 'purchase'"},
    "p90_order_value": {
        "type": "percentile",
        "percentile": 0.9,
        "column": "value",
        "filter": "event_name = 'purchase'",
    },
    "conversion_rate": {"type": "ratio", "numerator": "purchasers", "denominator": "visitors"},
    "add_to_cart_rate": {"type": "ratio", "numerator": "carters", "denominator": "visitors"},
    "cart_to_purchase": {"type": "ratio", "numerator": "purchasers", "denominator": "carters"},
    "refund_rate": {"type": "ratio", "numerator": "refunds", "denominator": "orders"},
    "revenue_per_visitor": {"type": "formula", "expr": "revenue / visitors"},
}
REPURCHASE = {"type": "repeat_rate", "within": f"{WITHIN_DAYS}d", "filter": "event_name = 'purchase'"}
METRICS = [*KPIS, "repurchase_30d"]

APPROACHES = ["northstar", "northstar_split", "duckdb", "duckdb_split", "polars", "pandas", "chdb"]
BASELINES = ["duckdb", "duckdb_split", "polars", "pandas", "chdb"]


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
def parse_count(text: str) -> int:
    t = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def label(n: int) -> str:
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def generate(n: int, path: Path) -> None:
    """N events of ~N/50 users in ~N/8 sessions over DAYS days, sorted by time (fixed seed)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    n_users = max(n // 50, 1)
    n_sessions = max(n // 8, 1)
    # users: heterogeneous activity (lognormal weights), a home country each
    weights = rng.lognormal(0.0, 1.0, n_users)
    user_of_session = np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(n_sessions))
    user_of_session = np.minimum(user_of_session, n_users - 1)
    user_country = rng.choice(len(COUNTRIES), n_users, p=COUNTRY_P)
    # sessions: start time (weekly seasonality + busier evenings), channel and device per session
    day = rng.integers(0, DAYS, n_sessions)
    weekday = (day + START.weekday()) % 7
    keep_weekend = rng.random(n_sessions) < np.where(weekday >= 5, 0.8, 1.0)
    day = np.where(keep_weekend, day, rng.integers(0, DAYS, n_sessions))
    hour = np.clip(rng.normal(15.0, 4.5, n_sessions), 0.0, 23.99)
    start_us = (day * 86_400 + hour * 3_600).astype(np.int64) * 1_000_000 + rng.integers(
        0, 1_000_000, n_sessions
    )
    s_channel = rng.choice(len(CHANNELS), n_sessions, p=CHANNEL_P)
    s_device = rng.choice(len(DEVICES), n_sessions, p=DEVICE_P)
    # events: a session each, a few minutes into it
    sess = rng.integers(0, n_sessions, n)
    t_us = (
        start_us[sess]
        + rng.exponential(420.0, n).astype(np.int64) * 1_000_000
        + rng.integers(0, 1_000_000, n)
    )
    # sessions running past the last day wrap round to the first (clipping would pile up
    # identical timestamps at the very end: exact ties make "the first event" ambiguous)
    t_us %= DAYS * 86_400 * 1_000_000
    kind = rng.choice(len(EVENTS), n, p=EVENT_P).astype(np.int8)
    value = np.round(rng.lognormal(np.log(55.0), 0.7, n), 2)
    has_value = (kind == EVENTS.index("purchase")) | (kind == EVENTS.index("refund"))
    order = np.argsort(t_us, kind="stable")
    t_us, sess, kind, value, has_value = t_us[order], sess[order], kind[order], value[order], has_value[order]
    users = user_of_session[sess]
    epoch_us = int((START - datetime(1970, 1, 1)).total_seconds()) * 1_000_000

    def dictionary(codes: Any, values: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(values))

    table = pa.table(
        {
            "event_time": pa.array(t_us + epoch_us, type=pa.timestamp("us")),
            "user_id": pa.array(users.astype(np.int64)),
            "session_id": pa.array(sess.astype(np.int64)),
            "event_name": dictionary(kind, EVENTS).cast(pa.string()),
            "channel": dictionary(s_channel[sess], CHANNELS).cast(pa.string()),
            "device": dictionary(s_device[sess], DEVICES).cast(pa.string()),
            "country": dictionary(user_country[users], COUNTRIES).cast(pa.string()),
            "value": pa.array(value, mask=~has_value),
        }
    )
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, row_group_size=1_000_000, compression="snappy")
    os.replace(tmp, path)


def dataset(n: int) -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"events_{label(n)}_seed{SEED}_v{DATA_VERSION}.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        print(f"generating {path.name} …", flush=True)
        generate(n, path)
        print(f"  {time.perf_counter() - t0:.1f} s, {path.stat().st_size / 2**20:.0f} MiB", flush=True)
    return path


def write_project(data: Path, folder: Path) -> Path:
    import yaml

    metrics: dict[str, Any] = {}
    for name, m in KPIS.items():
        metrics[name] = {**m, "source": "events"} if m["type"] not in ("ratio", "formula") else dict(m)
    metrics["repurchase_30d"] = {**REPURCHASE, "source": "events"}
    spec = {
        "project": {"name": "Northstar core benchmark", "timezone": "UTC", "currency": "USD"},
        "sources": {
            "events": {
                "path": str(data),
                "format": "parquet",
                "time": "event_time",
                "entity": "user_id",
                "timezone": "UTC",
            }
        },
        "dimensions": {"channel": {}, "device": {}, "country": {}},
        "north_star": "repurchase_30d",
        "metrics": metrics,
    }
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "northstar.yml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    return file


# ---------------------------------------------------------------------------------------------
# The approaches: each ``setup_<name>(data, project_dir)`` returns a no-argument function that
# computes the whole batch and returns a pandas frame (period, channel, 20 KPIs, repurchase_30d).
# ---------------------------------------------------------------------------------------------
def setup_northstar(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    from northstar import Project

    t0 = time.perf_counter()
    project = Project.load(project_dir)
    load_s = time.perf_counter() - t0
    first_day, last_day = LO.date(), (HI - timedelta(days=1)).date()

    def run() -> Any:
        return project.query(METRICS, by=["channel"], grain="day", start=first_day, end=last_day).frame

    return run, {"load_s": load_s}


def setup_northstar_split(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    """Northstar with the query plan proposed in README.md (prototype in northstar_split.py)."""
    sys.path.insert(0, str(HERE))
    import northstar_split

    northstar_split.install()
    return setup_northstar(data, project_dir)


def _ts(t: datetime) -> str:
    return f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}'"


DUCKDB_SQL = """
WITH kpis AS (
    SELECT date_trunc('day', event_time) AS period, channel,
           count(*) FILTER (WHERE event_name = 'page_view')            AS page_views,
           count(*) FILTER (WHERE event_name = 'view_item')            AS item_views,
           count(*) FILTER (WHERE event_name = 'add_to_cart')          AS add_to_carts,
           count(*) FILTER (WHERE event_name = 'begin_checkout')       AS checkouts,
           count(*) FILTER (WHERE event_name = 'purchase')             AS orders,
           count(*) FILTER (WHERE event_name = 'refund')               AS refunds,
           count(DISTINCT user_id)                                     AS visitors,
           count(DISTINCT session_id)                                  AS sessions,
           count(DISTINCT user_id) FILTER (WHERE event_name = 'view_item')   AS viewers,
           count(DISTINCT user_id) FILTER (WHERE event_name = 'add_to_cart') AS carters,
           count(DISTINCT user_id) FILTER (WHERE event_name = 'purchase')    AS purchasers,
           coalesce(sum(value) FILTER (WHERE event_name = 'purchase'), 0)    AS revenue,
           avg(value) FILTER (WHERE event_name = 'purchase')                 AS aov,
           quantile_cont(value, 0.5) FILTER (WHERE event_name = 'purchase')  AS median_order_value,
           quantile_cont(value, 0.9) FILTER (WHERE event_name = 'purchase')  AS p90_order_value
    FROM read_parquet('{path}')
    WHERE event_time >= {lo} AND event_time < {hi}
    GROUP BY ALL
),
purchases AS (
    SELECT user_id, channel, event_time,
           lead(event_time) OVER (PARTITION BY user_id ORDER BY event_time, channel) AS next_time
    FROM read_parquet('{path}')
    WHERE event_name = 'purchase' AND event_time >= {lo} AND event_time < {hi_ahead}
),
repurchase AS (
    SELECT period, channel, avg(repeated) AS repurchase_30d
    FROM (
        SELECT date_trunc('day', event_time) AS period, channel,
               CASE WHEN next_time <= event_time + INTERVAL {within} DAY THEN 1.0 ELSE 0.0 END AS repeated
        FROM purchases
        WHERE event_time < {hi}
        QUALIFY row_number() OVER (PARTITION BY user_id, date_trunc('day', event_time)
                                   ORDER BY event_time, channel) = 1
    )
    GROUP BY ALL
)
SELECT k.*,
       purchasers / nullif(visitors, 0) AS conversion_rate,
       carters / nullif(visitors, 0)    AS add_to_cart_rate,
       purchasers / nullif(carters, 0)  AS cart_to_purchase,
       refunds / nullif(orders, 0)      AS refund_rate,
       revenue / nullif(visitors, 0)    AS revenue_per_visitor,
       r.repurchase_30d
FROM kpis k LEFT JOIN repurchase r USING (period, channel)
ORDER BY period, channel
"""


def setup_duckdb(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    import duckdb

    con = duckdb.connect()
    sql = DUCKDB_SQL.format(
        path=data, lo=_ts(LO), hi=_ts(HI), hi_ahead=_ts(HI + timedelta(days=WITHIN_DAYS)), within=WITHIN_DAYS
    )

    def run() -> Any:
        return con.execute(sql).df()

    return run, {}


# The same work as several statements, each aggregate kind in its own GROUP BY: DuckDB runs a
# GROUP BY that mixes DISTINCT aggregates with others several times slower than the parts apart
# (see README.md). Count-distincts over one column become a two-level aggregate (per user, then
# per period and channel). This is what Northstar could generate; results are merged in pandas.
SPLIT_WHERE = "WHERE event_time >= {lo} AND event_time < {hi}"
SPLIT_SQL = [
    """
    SELECT date_trunc('day', event_time) AS period, channel,
           count(*) FILTER (WHERE event_name = 'page_view')       AS page_views,
           count(*) FILTER (WHERE event_name = 'view_item')       AS item_views,
           count(*) FILTER (WHERE event_name = 'add_to_cart')     AS add_to_carts,
           count(*) FILTER (WHERE event_name = 'begin_checkout')  AS checkouts,
           count(*) FILTER (WHERE event_name = 'purchase')        AS orders,
           count(*) FILTER (WHERE event_name = 'refund')          AS refunds,
           coalesce(sum(value) FILTER (WHERE event_name = 'purchase'), 0)   AS revenue,
           avg(value) FILTER (WHERE event_name = 'purchase')                AS aov,
           quantile_cont(value, 0.5) FILTER (WHERE event_name = 'purchase') AS median_order_value,
           quantile_cont(value, 0.9) FILTER (WHERE event_name = 'purchase') AS p90_order_value
    FROM read_parquet('{path}') {where}
    GROUP BY ALL
    """,
    """
    SELECT period, channel,
           count(*) AS visitors,
           count(*) FILTER (WHERE viewed) AS viewers,
           count(*) FILTER (WHERE carted) AS carters,
           count(*) FILTER (WHERE purchased) AS purchasers
    FROM (
        SELECT date_trunc('day', event_time) AS period, channel, user_id,
               bool_or(event_name = 'view_item') AS viewed,
               bool_or(event_name = 'add_to_cart') AS carted,
               bool_or(event_name = 'purchase') AS purchased
        FROM read_parquet('{path}') {where} AND user_id IS NOT NULL
        GROUP BY ALL
    )
    GROUP BY ALL
    """,
    """
    SELECT period, channel, count(*) AS sessions
    FROM (SELECT DISTINCT date_trunc('day', event_time) AS period, channel, session_id
          FROM read_parquet('{path}') {where} AND session_id IS NOT NULL)
    GROUP BY ALL
    """,
    # repeat rate with ONE window (lead and lag share it, so one sort and no ambiguity on ties)
    """
    SELECT period, channel, avg(repeated) AS repurchase_30d
    FROM (
        SELECT date_trunc('day', event_time) AS period, channel,
               CASE WHEN lead(event_time) OVER w <= event_time + INTERVAL {within} DAY
                    THEN 1.0 ELSE 0.0 END AS repeated,
               lag(event_time) OVER w AS previous_time
        FROM read_parquet('{path}')
        WHERE event_name = 'purchase' AND event_time >= {lo} AND event_time < {hi_ahead}
        WINDOW w AS (PARTITION BY user_id ORDER BY event_time, channel)
    )
    WHERE (previous_time IS NULL OR date_trunc('day', previous_time) <> period) AND period < {hi}
    GROUP BY ALL
    """,
]


def setup_duckdb_split(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    lo, hi, ahead = _ts(LO), _ts(HI), _ts(HI + timedelta(days=WITHIN_DAYS))
    where = SPLIT_WHERE.format(lo=lo, hi=hi)
    sqls = [
        q.format(path=data, where=where, lo=lo, hi=hi, hi_ahead=ahead, within=WITHIN_DAYS) for q in SPLIT_SQL
    ]

    def run() -> Any:
        parts = [con.execute(sql).df().set_index(KEYS) for sql in sqls]
        out = parts[0].join(parts[1:], how="outer")
        with np.errstate(divide="ignore", invalid="ignore"):
            for name, num, den in (
                ("conversion_rate", "purchasers", "visitors"),
                ("add_to_cart_rate", "carters", "visitors"),
                ("cart_to_purchase", "purchasers", "carters"),
                ("refund_rate", "refunds", "orders"),
                ("revenue_per_visitor", "revenue", "visitors"),
            ):
                out[name] = out[num].astype("float64") / out[den].where(out[den] != 0)
        return out.reset_index()

    return run, {}


CHDB_SQL = """
WITH kpis AS (
    SELECT toStartOfDay(event_time) AS period, channel,
           countIf(event_name = 'page_view')       AS page_views,
           countIf(event_name = 'view_item')       AS item_views,
           countIf(event_name = 'add_to_cart')     AS add_to_carts,
           countIf(event_name = 'begin_checkout')  AS checkouts,
           countIf(event_name = 'purchase')        AS orders,
           countIf(event_name = 'refund')          AS refunds,
           uniqExact(user_id)                      AS visitors,
           uniqExact(session_id)                   AS sessions,
           uniqExactIf(user_id, event_name = 'view_item')   AS viewers,
           uniqExactIf(user_id, event_name = 'add_to_cart') AS carters,
           uniqExactIf(user_id, event_name = 'purchase')    AS purchasers,
           sumIf(assumeNotNull(value), event_name = 'purchase') AS revenue,
           if(orders = 0, NULL, avgIf(assumeNotNull(value), event_name = 'purchase')) AS aov,
           if(orders = 0, NULL, quantileExactInclusiveIf(0.5)(assumeNotNull(value), event_name = 'purchase'))
               AS median_order_value,
           if(orders = 0, NULL, quantileExactInclusiveIf(0.9)(assumeNotNull(value), event_name = 'purchase'))
               AS p90_order_value
    FROM file('{path}', Parquet)
    WHERE event_time >= toDateTime64('{lo}', 6) AND event_time < toDateTime64('{hi}', 6)
    GROUP BY period, channel
),
purchases AS (
    SELECT user_id, channel, event_time, toStartOfDay(event_time) AS period,
           leadInFrame(toNullable(event_time)) OVER (
               PARTITION BY user_id ORDER BY event_time, channel
               ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS next_time,
           row_number() OVER (PARTITION BY user_id, period ORDER BY event_time, channel) AS rn
    FROM file('{path}', Parquet)
    WHERE event_name = 'purchase' AND event_time >= toDateTime64('{lo}', 6)
          AND event_time < toDateTime64('{hi_ahead}', 6)
),
repurchase AS (
    SELECT period, channel,
           avg(if(next_time IS NOT NULL AND next_time <= event_time + INTERVAL {within} DAY, 1.0, 0.0))
               AS repurchase_30d
    FROM purchases
    WHERE rn = 1 AND event_time < toDateTime64('{hi}', 6)
    GROUP BY period, channel
)
SELECT k.*,
       purchasers / nullIf(visitors, 0) AS conversion_rate,
       carters / nullIf(visitors, 0)    AS add_to_cart_rate,
       purchasers / nullIf(carters, 0)  AS cart_to_purchase,
       refunds / nullIf(orders, 0)      AS refund_rate,
       revenue / nullIf(visitors, 0)    AS revenue_per_visitor,
       r.repurchase_30d
FROM kpis k LEFT JOIN repurchase r ON k.period = r.period AND k.channel = r.channel
ORDER BY period, channel
SETTINGS session_timezone = 'UTC', join_use_nulls = 1
"""


def setup_chdb(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    import chdb

    fmt = "%Y-%m-%d %H:%M:%S"
    sql = CHDB_SQL.format(
        path=data,
        lo=LO.strftime(fmt),
        hi=HI.strftime(fmt),
        hi_ahead=(HI + timedelta(days=WITHIN_DAYS)).strftime(fmt),
        within=WITHIN_DAYS,
    )

    def run() -> Any:
        return chdb.query(sql, "DataFrame")

    return run, {}


def setup_polars(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    import polars as pl

    def run() -> Any:
        t, ev, user, value = pl.col("event_time"), pl.col("event_name"), pl.col("user_id"), pl.col("value")
        purchase = ev == "purchase"
        events = pl.scan_parquet(data)
        kpis = (
            events.filter((t >= LO) & (t < HI))
            .group_by(period=t.dt.truncate("1d"), channel=pl.col("channel"))
            .agg(
                page_views=(ev == "page_view").sum(),
                item_views=(ev == "view_item").sum(),
                add_to_carts=(ev == "add_to_cart").sum(),
                checkouts=(ev == "begin_checkout").sum(),
                orders=purchase.sum(),
                refunds=(ev == "refund").sum(),
                visitors=user.n_unique(),
                sessions=pl.col("session_id").n_unique(),
                viewers=user.filter(ev == "view_item").n_unique(),
                carters=user.filter(ev == "add_to_cart").n_unique(),
                purchasers=user.filter(purchase).n_unique(),
                revenue=value.filter(purchase).sum(),
                aov=value.filter(purchase).mean(),
                median_order_value=value.filter(purchase).median(),
                p90_order_value=value.filter(purchase).quantile(0.9, interpolation="linear"),
            )
        )
        day = pl.col("period")
        first_of_day = ~(user.eq_missing(user.shift(1)) & day.eq_missing(day.shift(1)))
        repurchase = (
            events.filter(purchase & (t >= LO) & (t < HI + timedelta(days=WITHIN_DAYS)))
            .select("user_id", "channel", "event_time")
            .sort("user_id", "event_time", "channel")
            .with_columns(
                period=t.dt.truncate("1d"),
                next_time=pl.when(user == user.shift(-1)).then(t.shift(-1)),
            )
            # the first purchase of each user and day: the data is sorted by user, then time
            .filter(first_of_day & (t < HI))
            .group_by("period", "channel")
            .agg(
                repurchase_30d=(pl.col("next_time") <= t + timedelta(days=WITHIN_DAYS))
                .fill_null(False)
                .cast(pl.Float64)
                .mean()
            )
        )

        def ratio(num: str, den: str) -> pl.Expr:
            return pl.when(pl.col(den) != 0).then(pl.col(num) / pl.col(den))

        out = (
            kpis.join(repurchase, on=["period", "channel"], how="left")
            .with_columns(
                conversion_rate=ratio("purchasers", "visitors"),
                add_to_cart_rate=ratio("carters", "visitors"),
                cart_to_purchase=ratio("purchasers", "carters"),
                refund_rate=ratio("refunds", "orders"),
                revenue_per_visitor=ratio("revenue", "visitors"),
            )
            .sort("period", "channel")
        )
        return out.collect().to_pandas()

    return run, {}


def setup_pandas(data: Path, project_dir: Path) -> tuple[Callable[[], Any], dict[str, float]]:
    import numpy as np
    import pandas as pd

    columns = ["event_time", "user_id", "session_id", "event_name", "channel", "value"]
    lo, hi, ahead = pd.Timestamp(LO), pd.Timestamp(HI), pd.Timestamp(HI + timedelta(days=WITHIN_DAYS))
    within = pd.Timedelta(days=WITHIN_DAYS)

    def run() -> Any:
        raw = pd.read_parquet(data, columns=columns)
        df = raw[(raw["event_time"] >= lo) & (raw["event_time"] < hi)]
        df = df.assign(period=df["event_time"].dt.floor("D"))
        g = df.groupby(KEYS, sort=True)
        counts = df.groupby([*KEYS, "event_name"]).size().unstack("event_name", fill_value=0)
        out = pd.DataFrame(index=g.size().index)
        for event, name in (
            ("page_view", "page_views"),
            ("view_item", "item_views"),
            ("add_to_cart", "add_to_carts"),
            ("begin_checkout", "checkouts"),
            ("purchase", "orders"),
            ("refund", "refunds"),
        ):
            out[name] = counts.get(event, 0)
        out["visitors"] = g["user_id"].nunique()
        out["sessions"] = g["session_id"].nunique()
        for event, name in (("view_item", "viewers"), ("add_to_cart", "carters"), ("purchase", "purchasers")):
            out[name] = df[df["event_name"] == event].groupby(KEYS)["user_id"].nunique()
        purchases = df[df["event_name"] == "purchase"].groupby(KEYS)["value"]
        out["revenue"] = purchases.sum()
        out["aov"] = purchases.mean()
        out["median_order_value"] = purchases.median()
        out["p90_order_value"] = purchases.quantile(0.9)
        zero = ["orders", "refunds", "visitors", "viewers", "carters", "purchasers", "revenue"]
        out[zero] = out[zero].fillna(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            for name, num, den in (
                ("conversion_rate", "purchasers", "visitors"),
                ("add_to_cart_rate", "carters", "visitors"),
                ("cart_to_purchase", "purchasers", "carters"),
                ("refund_rate", "refunds", "orders"),
                ("revenue_per_visitor", "revenue", "visitors"),
            ):
                out[name] = out[num] / out[den].where(out[den] != 0)
        # repurchase: purchases sorted by user and time; the next one of the same user
        in_window = (raw["event_time"] >= lo) & (raw["event_time"] < ahead)
        p = raw.loc[(raw["event_name"] == "purchase") & in_window, ["user_id", "event_time", "channel"]]
        p = p.sort_values(["user_id", "event_time", "channel"], kind="stable")
        user, t = p["user_id"].to_numpy(), p["event_time"].to_numpy()
        day = t.astype("datetime64[D]")
        nxt = np.empty_like(t)
        nxt[:-1], nxt[-1:] = t[1:], np.datetime64("NaT")
        has_next = np.zeros(len(t), dtype=bool)
        has_next[:-1] = user[1:] == user[:-1]
        first = np.ones(len(t), dtype=bool)
        first[1:] = (user[1:] != user[:-1]) | (day[1:] != day[:-1])
        first &= t < hi.to_datetime64()
        repeated = has_next & (nxt - t <= within.to_timedelta64())
        firsts = pd.DataFrame(
            {
                "period": day[first].astype("datetime64[us]"),
                "channel": p["channel"].to_numpy()[first],
                "repurchase_30d": repeated[first].astype("float64"),
            }
        )
        out["repurchase_30d"] = firsts.groupby(KEYS)["repurchase_30d"].mean()
        return out.reset_index()

    return run, {}


SETUPS: dict[str, Callable[[Path, Path], tuple[Callable[[], Any], dict[str, float]]]] = {
    "northstar": setup_northstar,
    "northstar_split": setup_northstar_split,
    "duckdb": setup_duckdb,
    "duckdb_split": setup_duckdb_split,
    "polars": setup_polars,
    "pandas": setup_pandas,
    "chdb": setup_chdb,
}


def normalise(frame: Any) -> Any:
    """period (datetime64[us]), channel (str), then the metrics as float64, sorted."""
    import pandas as pd

    df = pd.DataFrame(
        {
            "period": pd.to_datetime(frame["period"]).dt.tz_localize(None).astype("datetime64[us]"),
            "channel": frame["channel"].astype(str),
        }
    )
    for m in METRICS:
        df[m] = pd.to_numeric(frame[m], errors="coerce").astype("float64").to_numpy()
    return df.sort_values(KEYS).reset_index(drop=True)


def median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM; unlike ru_maxrss it restarts at exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(approach: str, data: Path, project_dir: Path, repeats: int, out: Path) -> None:
    """Runs in a fresh child process; prints one JSON line with its timings and peak RSS."""
    import duckdb  # noqa: F401  the heavy imports every approach pays for are not timed
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    rss_start = peak_rss_mb()
    t0 = time.perf_counter()
    run, extra = SETUPS[approach](data, project_dir)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run()
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    normalise(result).to_parquet(out)
    times.sort()
    print(
        json.dumps(
            {
                "approach": approach,
                "setup_s": setup_s,
                "first_s": first_s,
                "times": times,
                "median_s": median(times),
                "rss_start_mb": rss_start,
                "peak_rss_mb": peak_rss_mb(),
                **extra,
            }
        )
    )


# ---------------------------------------------------------------------------------------------
# Checking and reporting
# ---------------------------------------------------------------------------------------------
def compare(reference: Any, other: Any, rtol: float = 1e-9) -> list[str]:
    """Differences between two normalised frames (empty when they agree)."""
    import numpy as np

    problems: list[str] = []
    if len(reference) != len(other):
        problems.append(f"{len(other)} rows instead of {len(reference)}")
        return problems
    for k in KEYS:
        if not (reference[k].to_numpy() == other[k].to_numpy()).all():
            problems.append(f"the ({', '.join(KEYS)}) rows differ")
            return problems
    for m in METRICS:
        a, b = reference[m].to_numpy(), other[m].to_numpy()
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        bad = (nan_a != nan_b) | (~nan_a & ~nan_b & (np.abs(a - b) > rtol * np.maximum(np.abs(a), np.abs(b))))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(
                f"{m}: {int(bad.sum())} values differ, e.g. {reference[KEYS].iloc[i].tolist()}: "
                f"{a[i]!r} vs {b[i]!r}"
            )
    return problems


def machine() -> str:
    import duckdb
    import pandas as pd

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = [
        f"Python {platform.python_version()}",
        f"duckdb {duckdb.__version__}",
        f"pandas {pd.__version__}",
    ]
    for mod in ("polars", "pyarrow", "ibis", "chdb"):
        with contextlib.suppress(Exception):
            versions.append(f"{mod} {__import__(mod).__version__}")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM; " + ", ".join(versions)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--events", default="1M", help="number of events: 1M, 10M, 100M, … (default 1M)")
    ap.add_argument(
        "--repeats", type=int, default=5, help="timed runs per approach after a warm-up (default 5)"
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every approach's process this many times, interleaved (pools the timings)",
    )
    ap.add_argument(
        "--only",
        default=",".join(APPROACHES),
        help=f"comma-separated approaches (default all: {','.join(APPROACHES)})",
    )
    ap.add_argument("--no-check", action="store_true", help="skip the result check")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--project", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.worker, Path(args.data), Path(args.project), args.repeats, Path(args.out))
        return 0

    only = [a.strip() for a in args.only.split(",") if a.strip()]
    unknown = [a for a in only if a not in APPROACHES]
    if unknown:
        ap.error(f"unknown approach(es) {', '.join(unknown)}; choose from {', '.join(APPROACHES)}")
    n = parse_count(args.events)
    data = dataset(n)
    print(machine())
    print(
        f"{label(n)} events, {DAYS} days; query: {len(KPIS)} KPIs + repurchase_30d by channel, daily; "
        f"{args.repeats} timed runs after 1 warm-up, each approach in a fresh process\n",
        flush=True,
    )

    reports: dict[str, dict[str, Any]] = {}
    failed: set[str] = set()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="northstar-bench-") as tmp:
        project_dir = Path(tmp) / "project"
        write_project(data, project_dir)
        for round_no in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {round_no}/{args.rounds}", flush=True)
            for approach in only:
                if approach in failed:
                    continue
                out = Path(tmp) / f"{approach}.parquet"
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--worker",
                    approach,
                    "--data",
                    str(data),
                    "--project",
                    str(project_dir),
                    "--repeats",
                    str(args.repeats),
                    "--out",
                    str(out),
                ]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
                    print(f"  {approach}: failed ({tail[0]})", flush=True)
                    failed.add(approach)
                    continue
                report = json.loads(proc.stdout.strip().splitlines()[-1])
                print(
                    f"  {approach:<15} first {report['first_s']:.3f} s, median {report['median_s']:.3f} s, "
                    f"peak RSS {report['peak_rss_mb']:.0f} MB",
                    flush=True,
                )
                if approach in reports:  # pool the rounds: all timed runs, all first runs, max RSS
                    prev = reports[approach]
                    report["times"] = sorted(prev["times"] + report["times"])
                    report["firsts"] = prev["firsts"] + [report["first_s"]]
                    report["peak_rss_mb"] = max(prev["peak_rss_mb"], report["peak_rss_mb"])
                    report["rss_start_mb"] = min(prev["rss_start_mb"], report["rss_start_mb"])
                else:
                    report["firsts"] = [report["first_s"]]
                report["median_s"] = median(report["times"])
                report["first_s"] = median(report["firsts"])
                report["out"] = out
                reports[approach] = report
        load_after = os.getloadavg()
        busy = max(load_before[0], load_after[0]) > 0.5 * (os.cpu_count() or 1)
        print(
            f"\nload average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} "
            f"on {os.cpu_count()} CPUs" + ("  ← busy machine: timings are inflated/noisy" if busy else "")
        )

        checked: dict[str, str] = {}
        if not args.no_check and len(reports) > 1:
            import pandas as pd

            # The reference is Northstar's result; if Northstar disagrees with the hand-written
            # baselines that all agree with one another, the baselines are the reference and the
            # check reports a Northstar bug instead of marking every baseline as wrong.
            frames = {a: pd.read_parquet(r["out"]) for a, r in reports.items()}
            ref_name = "northstar" if "northstar" in frames else next(iter(frames))
            base_names = [a for a in frames if a in BASELINES]
            if (
                ref_name == "northstar"
                and len(base_names) >= 2
                and compare(frames["northstar"], frames[base_names[0]])
                and all(not compare(frames[base_names[0]], frames[b]) for b in base_names[1:])
            ):
                ref_name = base_names[0]
            ref = frames[ref_name]
            print(f"\ncheck against {ref_name} ({len(ref)} rows × {len(METRICS)} metrics, rtol 1e-9):")
            if ref_name != "northstar" and "northstar" in frames:
                print(
                    f"  NOTE: Northstar disagrees with all {len(base_names)} baselines, which agree with "
                    "one another: a Northstar bug"
                )
            for approach, frame in frames.items():
                if approach == ref_name:
                    checked[approach] = "reference"
                    continue
                problems = compare(ref, frame)
                checked[approach] = "ok" if not problems else "DIFFERS"
                print(f"  {approach:<15} {'same rows, same values' if not problems else '; '.join(problems)}")

    base = [
        r["median_s"]
        for a, r in reports.items()
        if a in BASELINES and checked.get(a, "ok") in ("ok", "reference")
    ]
    fastest = min(base) if base else math.nan
    print(
        "\n| approach | first run s | median s | min s | × fastest baseline | peak RSS MB "
        "| RSS over imports MB | check |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for approach, r in sorted(reports.items(), key=lambda kv: kv[1]["median_s"]):
        check = checked.get(approach, "-")
        if approach == "northstar" and check == "DIFFERS":
            check = "DIFFERS (Northstar bug)"
        if approach.startswith("northstar_"):
            check += " (prototype, not a baseline)"
        print(
            f"| {approach} | {r['first_s']:.3f} | {r['median_s']:.3f} | {min(r['times']):.3f} | "
            f"{r['median_s'] / fastest:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] - r['rss_start_mb']:.0f} | {check} |"
        )
    if "northstar" in reports:
        r = reports["northstar"]
        ratio = r["median_s"] / fastest
        verdict = "met" if ratio <= 1.2 else "NOT met"
        print(
            f"\nNorthstar: project load + validation {r['load_s']:.3f} s (not in the timings); "
            f"{ratio:.2f}× the fastest hand-written baseline (goal ≤ 1.20×: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
