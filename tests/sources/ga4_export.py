"""A small hand-made GA4 BigQuery export in the real schema, and the flat rows it should give."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

T0 = 1_704_441_600_123_456  # 2024-01-05 08:00:00.123456 UTC in microseconds


def _value(string: str | None = None, int_: int | None = None, double: float | None = None) -> dict[str, Any]:
    return {"string_value": string, "int_value": int_, "float_value": None, "double_value": double}


def _param(key: str, **value: Any) -> dict[str, Any]:
    return {"key": key, "value": _value(**value)}


def _item(item_id: str, name: str, price: float, quantity: int) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "item_name": name,
        "item_brand": "Acme",
        "item_variant": None,
        "item_category": "鞋",
        "price": price,
        "quantity": quantity,
        "item_revenue": price * quantity,
        "coupon": None,
    }


def _event(ts: int, name: str, params: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    event = {
        "event_date": datetime.fromtimestamp(ts / 1e6, UTC).strftime("%Y%m%d"),
        "event_timestamp": ts,
        "event_name": name,
        "event_params": params,
        "event_previous_timestamp": None,
        "event_bundle_sequence_id": 1,
        "user_id": None,
        "user_pseudo_id": "123.456",
        "user_properties": [{"key": "plan", "value": {**_value(string="pro"), "set_timestamp_micros": ts}}],
        "user_first_touch_timestamp": ts,
        "device": {
            "category": "mobile",
            "mobile_brand_name": "Apple",
            "operating_system": "iOS",
            "language": "zh-cn",
        },
        "geo": {
            "continent": "Asia",
            "country": "China",
            "region": "Shanghai",
            "city": "Shanghai",
            "metro": None,
        },
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "ecommerce": None,
        "items": [],
        "platform": "WEB",
    }
    event.update(extra)
    return event


EVENTS = [
    _event(
        T0,
        "page_view",
        [
            _param("page_location", string="https://acme.example/shoes"),
            _param("ga_session_id", int_=1704441600),
            _param("engagement_time_msec", int_=1500),
        ],
    ),
    _event(
        T0 + 60_000_000,
        "purchase",
        [
            _param("page_location", string="https://acme.example/checkout"),
            _param("ga_session_id", int_=1704441600),
            _param("value", double=129.5),
            _param("currency", string="CNY"),
        ],
        user_id="u-1",
        ecommerce={
            "total_item_quantity": 3,
            "purchase_revenue_in_usd": 18.2,
            "purchase_revenue": 129.5,
            "refund_value": None,
            "shipping_value": None,
            "tax_value": None,
            "unique_items": 2,
            "transaction_id": "T-1",
        },
        items=[_item("SKU-1", "跑鞋", 49.5, 1), _item("SKU-2", "袜子", 40.0, 2)],
    ),
]

OPTIONS = {
    "params": {
        "page_location": "string",
        "ga_session_id": "int",
        "value": "double",
        "engagement_time_msec": "float",
    },
    "user_properties": {"plan": "string"},
}

FIRST = datetime(2024, 1, 5, 8, 0, 0, 123456, tzinfo=UTC)
SECOND = datetime(2024, 1, 5, 8, 1, 0, 123456, tzinfo=UTC)
EVENT_ROWS = [
    # event_timestamp, event_time, event_date, event_name, user_pseudo_id, user_id, device_category,
    # device_os, country, region, city, traffic_source, traffic_medium, traffic_name,
    # transaction_id, purchase_revenue, item_count, page_location, ga_session_id, value,
    # engagement_time_msec, user_plan
    (FIRST, FIRST, date(2024, 1, 5), "page_view", "123.456", None, "mobile", "iOS", "China", "Shanghai",
     "Shanghai", "(direct)", "(none)", "(direct)", None, None, 0, "https://acme.example/shoes",
     1704441600, None, 1500.0, "pro"),
    (SECOND, SECOND, date(2024, 1, 5), "purchase", "123.456", "u-1", "mobile", "iOS", "China", "Shanghai",
     "Shanghai", "(direct)", "(none)", "(direct)", "T-1", 129.5, 2, "https://acme.example/checkout",
     1704441600, 129.5, None, "pro"),
]  # fmt: skip


def write_jsonl(path: Path, stringify_ints: bool = True) -> Path:
    """Like ``bq extract`` does, INT64 values are written as JSON strings."""

    def encode(value: Any) -> Any:
        if isinstance(value, bool) or not stringify_ints:
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        return value

    path.write_text(
        "\n".join(json.dumps(encode(e), ensure_ascii=False) for e in EVENTS) + "\n", encoding="utf-8"
    )
    return path


def write_parquet(path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(EVENTS), path)
    return path
