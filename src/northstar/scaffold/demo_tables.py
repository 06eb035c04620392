"""Turn the simulated arrays into Arrow tables and write them, byte for byte reproducibly.

Categorical columns are built by ``take`` from small dictionaries and ids by Arrow string
kernels, so millions of rows never pass through Python objects. Timestamps are naive UTC:
microseconds in Parquet, whole seconds in CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from northstar.scaffold.demo_commerce import REFUND_REASONS, Orders, Refunds, Spend
from northstar.scaffold.demo_traffic import CATALOG_SIZE, Events, Sessions
from northstar.scaffold.demo_world import (
    CHANNELS,
    COUNTRIES,
    CURRENCIES,
    DEVICES,
    EVENT_NAMES,
    Calendar,
)


def ids(prefix: str, n: int, width: int) -> pa.Array:
    """``prefix`` + 1-based zero-padded numbers: ``ids("u", 2, 6)`` → u000001, u000002."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def pick(values: Sequence[str] | pa.Array, codes: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """The string ``values[code]`` of every code (null where ``missing``)."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return pc.take(dictionary, pa.array(np.asarray(codes, dtype=np.int64), mask=missing))


def timestamps(calendar: Calendar, seconds: np.ndarray, unit: str = "us") -> pa.Array:
    """Naive UTC timestamps from seconds since the period start (kept to the millisecond)."""
    ms = np.round(np.asarray(seconds, dtype=np.float64) * 1000.0).astype(np.int64)
    if unit == "s":
        return pa.array(calendar.start_epoch_s + ms // 1000, pa.timestamp("s"))
    return pa.array((calendar.start_epoch_s * 1000 + ms) * 1000, pa.timestamp("us"))


def _width(n: int, least: int) -> int:
    return max(least, len(str(n)))


def user_ids(sessions: Sessions) -> pa.Array:
    """The id of every user seen, ``u000001`` upwards in order of first visit."""
    return ids("u", sessions.users_seen, _width(sessions.users_seen, 6))


def events_table(
    calendar: Calendar, sessions: Sessions, events: Events, orders: Orders, refunds: Refunds
) -> pa.Table:
    n_visit = events.code.size
    ref_orders = refunds.order
    time_s = np.concatenate([events.time_s, refunds.time_s])
    user = np.concatenate([sessions.user[events.session], orders.user[ref_orders]])
    session = np.concatenate([events.session, np.full(len(refunds), -1)])
    code = np.concatenate([events.code, np.full(len(refunds), EVENT_NAMES.index("refund"), np.int8)])
    channel = np.concatenate([sessions.channel[events.session], orders.channel[ref_orders]])
    device = np.concatenate([sessions.device[events.session], orders.device[ref_orders]])
    country = np.concatenate([sessions.country[events.session], orders.country[ref_orders]])
    item = np.concatenate([events.item, orders.item[ref_orders]])
    value = np.full(n_visit + len(refunds), np.nan)
    value[orders.event] = orders.amount_usd
    order_ix = np.full(n_visit + len(refunds), -1)
    order_ix[orders.event] = np.arange(len(orders))
    order_ix[n_visit:] = ref_orders

    sort = np.argsort(time_s, kind="stable")
    time_s, user, session, code = time_s[sort], user[sort], session[sort], code[sort]
    channel, device, country, item = channel[sort], device[sort], country[sort], item[sort]
    value, order_ix = value[sort], order_ix[sort]
    is_app = device == DEVICES.index("app")
    item_ids = ids("sku_", CATALOG_SIZE, 5)
    return pa.table(
        {
            "event_time": timestamps(calendar, time_s),
            "user_id": pick(user_ids(sessions), user),
            "session_id": pick(ids("s", len(sessions), _width(len(sessions), 7)), session, session < 0),
            "event_name": pick(EVENT_NAMES, code),
            "channel": pick(CHANNELS, channel),
            "device": pick(DEVICES, device),
            "country": pick(COUNTRIES, country),
            "platform": pick(("web", "app"), is_app.astype(np.int64)),
            "item_id": pick(item_ids, item, code == 0),
            "value": pa.array(value, pa.float64(), mask=np.isnan(value)),
            "order_id": pick(order_ids(len(orders)), order_ix, order_ix < 0),
        }
    )


def order_ids(n: int) -> pa.Array:
    return ids("o", n, _width(n, 7))


def orders_table(calendar: Calendar, sessions: Sessions, orders: Orders, refunds: Refunds) -> pa.Table:
    refunded = np.zeros(len(orders), dtype=np.int64)
    refunded[refunds.order] = 1
    return pa.table(
        {
            "order_id": order_ids(len(orders)),
            "customer_id": pick(user_ids(sessions), orders.user),
            "ordered_at": timestamps(calendar, orders.time_s),
            "channel": pick(CHANNELS, orders.channel),
            "device": pick(DEVICES, orders.device),
            "country": pick(COUNTRIES, orders.country),
            "currency": pick(CURRENCIES, orders.country),
            "amount": pa.array(orders.amount, pa.float64()),
            "amount_usd": pa.array(orders.amount_usd, pa.float64()),
            "items": pa.array(orders.items, pa.int64()),
            "status": pick(("paid", "refunded"), refunded),
        }
    )


def refunds_table(calendar: Calendar, sessions: Sessions, orders: Orders, refunds: Refunds) -> pa.Table:
    return pa.table(
        {
            "refund_id": ids("r", len(refunds), _width(len(refunds), 6)),
            "order_id": pick(order_ids(len(orders)), refunds.order),
            "customer_id": pick(user_ids(sessions), orders.user[refunds.order]),
            "refunded_at": timestamps(calendar, refunds.time_s),
            "amount_usd": pa.array(refunds.amount_usd, pa.float64()),
            "reason": pick(REFUND_REASONS, refunds.reason),
        }
    )


def spend_table(calendar: Calendar, spend: Spend) -> pa.Table:
    first = calendar.start_epoch_s // 86_400
    return pa.table(
        {
            "date": pa.array((first + spend.day).astype(np.int32), pa.date32()),
            "channel": pick(CHANNELS, spend.channel),
            "spend_usd": pa.array(spend.spend_usd, pa.float64()),
            "impressions": pa.array(spend.impressions, pa.int64()),
            "clicks": pa.array(spend.clicks, pa.int64()),
        }
    )


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", row_group_size=512 * 1024)


def write_csv(table: pa.Table, path: Path) -> None:
    """UTF-8 CSV as people write it: quotes only where needed, empty fields for nulls."""
    columns = [_csv_texts(table.column(name)) for name in table.column_names]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.column_names)
        writer.writerows(zip(*columns, strict=True))


def _csv_texts(column: pa.ChunkedArray) -> list[str]:
    if pa.types.is_timestamp(column.type):
        column = pc.strftime(column, "%Y-%m-%d %H:%M:%S")
    elif pa.types.is_date(column.type):
        column = pc.strftime(column, "%Y-%m-%d")
    return ["" if v is None else str(v) for v in column.to_pylist()]
