"""The alert's text, checked line by line against text written out by hand, in en and zh."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from northstar.notify.message import Alert, number, render_text

LINK = "https://kpi.example.com/alerts/a-2026-11-26-orders"


def test_markdown_en(alert: Alert) -> None:
    assert render_text(alert, "en", "markdown") == (
        "**[Critical] Orders**\n\n"
        "Orders fell 27.7 % vs the previous day\n\n"
        "Period: 2026-11-26  \nSlice: channel=app, country=CN  \nValue: 1,234  \nExpected: 1,706  \n"
        "Change: -27.7 %  \nRule: orders_drop\n\n"
        "Top drivers:\n- visitors: -300 (63.6 %)\n- conversion: -172 (36.4 %)\n\n"
        "Root causes:\n- channel=app, os=ios: 81.0 %\n\n"
        f"Details: [{LINK}]({LINK})"
    )


def test_plain_zh(alert: Alert) -> None:
    assert render_text(alert, "zh", "plain") == (
        "【严重】订单数\n订单数较前一天下降 27.7%\n"
        "周期：2026-11-26\n切片：channel=app, country=CN\n数值：1,234\n预期：1,706\n变化：-27.7%\n规则：orders_drop\n"
        "主要驱动因素：\n- visitors: -300 (63.6%)\n- conversion: -172 (36.4%)\n"
        "根因：\n- channel=app, os=ios: 81.0%\n"
        f"详情：{LINK}"
    )


def test_slack_escapes_markup_and_links(alert: Alert) -> None:
    odd = Alert(**{**alert.__dict__, "summary_en": "A&B <!channel> fell", "root_causes": (), "drivers": ()})
    text = render_text(odd, "en", "slack")
    assert text.startswith("*[Critical] Orders*\n\nA&amp;B &lt;!channel&gt; fell\n\nPeriod: 2026-11-26\n")
    assert text.endswith(f"Details: <{LINK}|{LINK}>")
    assert "Top drivers" not in text and "Root causes" not in text


def test_no_slice_no_expected_no_link(alert: Alert) -> None:
    bare = Alert(
        **{
            **alert.__dict__,
            "slice": {},
            "expected": 0,
            "change_pct": None,
            "link": None,
            "drivers": (),
            "root_causes": (),
        },
    )
    assert render_text(bare, "en", "plain").splitlines()[2:] == [
        "Period: 2026-11-26",
        "Slice: all data",
        "Value: 1,234",
        "Expected: 0",
        "Change: —",
        "Rule: orders_drop",
    ]
    assert "切片：全部数据" in render_text(bare, "zh", "plain")


def test_datetime_period_and_positive_contribution(alert: Alert) -> None:
    hourly = Alert(
        **{**alert.__dict__, "period": datetime(2026, 10, 25, 2, 0), "drivers": (("price", 12.5, 0.5),)}
    )
    text = render_text(hourly, "en", "plain")
    assert "Period: 2026-10-25 02:00" in text
    assert "- price: +12.5 (50.0 %)" in text


def test_numbers() -> None:
    assert [number(x) for x in (0, 1234, 1234.0, 12.3456, -0.5, 1e6)] == [
        "0",
        "1,234",
        "1,234",
        "12.35",
        "-0.5",
        "1,000,000",
    ]


def test_bad_severity(alert: Alert) -> None:
    with pytest.raises(ValueError, match="severity"):
        Alert(**{**alert.__dict__, "severity": "fatal"})


def test_tuples_become_named(alert: Alert) -> None:
    made = Alert(
        **{
            **alert.__dict__,
            "drivers": [("a", 1, 0.5)],
            "root_causes": [({"x": "1"}, 0.2)],
            "period": date(2026, 1, 1),
        }
    )
    assert made.drivers[0].name == "a" and made.root_causes[0].combination == {"x": "1"}


def test_an_hour_repeated_by_the_dst_change_is_told_apart(alert: Alert) -> None:
    """2026-10-25 in Europe/Berlin: 02:30 happens twice, at +02:00 and then at +01:00."""
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 2, 30, tzinfo=berlin, fold=0)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=berlin, fold=1)
    lines = [
        render_text(Alert(**{**alert.__dict__, "period": p}), "en", "plain").splitlines()[2]
        for p in (first, second)
    ]
    assert lines == ["Period: 2026-10-25 02:30+02:00", "Period: 2026-10-25 02:30+01:00"]
