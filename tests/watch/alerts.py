"""Alerts for the store tests, made the same way by the tests and by the crash worker process."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from northstar.notify.message import Alert, Cause, Driver

BERLIN_SUMMER = timezone(timedelta(hours=2))


def make_alert(i: int, metric: str = "orders") -> Alert:
    """Alert ``i``: every field set; odd ones have an hourly (aware datetime) period, no change_pct."""
    period: date | datetime = (
        datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN_SUMMER) + timedelta(hours=i)
        if i % 2
        else date(2026, 10, 25)
    )
    return Alert(
        id=f"drop:{metric}:country=DE,channel=app:{i}",
        metric=metric,
        label_en="Orders",
        label_zh="订单",
        # key order is part of the alert (messages print the slice in this order)
        slice={"country": "DE", "channel": "app"} if i % 3 else {"zeta": "1", "alpha": "2"},
        period=period,
        value=1000.0 - i,
        expected=1383.25 + i / 7,
        change_pct=None if i % 2 else -27.7 - i / 3,
        rule="drop_vs_last_week",
        severity=("info", "warning", "critical")[i % 3],
        summary_en=f"Orders fell 27.7 % vs last week ({i})",
        summary_zh=f"订单较上周下降 27.7%（{i}）",
        drivers=(Driver("sessions", -250.5, 0.65), Driver("conversion", -132.75 - i, 0.35)),
        root_causes=(Cause({"country": "DE", "channel": "app"}, 0.8), Cause({"device": "ios"}, 0.1)),
        link=None if i % 4 == 1 else f"https://northstar.example/alerts/{i}?a=1&b=<2>",
    )


def make_explanation(i: int, size: int = 30) -> dict[str, Any]:
    """A stand-in for ``ExplainResult.to_dict()``: nested lists/dicts, None, unicode, ``size`` rows."""
    return {
        "metric": "orders",
        "grain": "day",
        "period": ["2026-10-25", "2026-10-26"],
        "value": 1000.0 - i,
        "change": None,
        "drivers": [{"name": f"d{k}", "contribution": k * 1.5 - i, "label_zh": "驱动"} for k in range(size)],
        "root_causes": {"items": [{"combination": {"country": "DE"}, "share": 0.8}]},
    }
