"""The funnel page in Chromium: steps, time to convert and conversion over time paint from the
API's numbers, the breakdown and the grain redraw and stay in the URL, and it speaks Chinese."""

from __future__ import annotations

from typing import Any

import httpx

from tests.serve.browser.conftest import Server, canvas_painted, wait_drawn


def _option(page: Any, name: str) -> Any:
    return page.evaluate(
        f"() => echarts.getInstanceByDom(document.querySelector(\"[data-name='{name}']\")).getOption()"
    )


def test_steps_and_conversion_over_time_paint_the_api_numbers(open_page: Any, server: Server) -> None:
    page = open_page("/funnels")
    for name in ("steps", "histogram", "over-time"):
        assert canvas_painted(page, f"[data-name='{name}']"), name
    api = httpx.get(f"{server.url}/api/funnels/checkout", timeout=30).json()
    steps = _option(page, "steps")
    assert steps["series"][0]["data"] == [s["entities"] for s in api["steps"]]
    assert steps["series"][1]["data"] == [s["dropped"] for s in api["steps"]]
    rows = page.locator("table.funnel-table tbody tr")
    assert rows.count() == 4 and "purchase" in rows.nth(3).inner_text()
    over = httpx.get(
        f"{server.url}/api/funnels/checkout/over-time", params={"grain": "week"}, timeout=30
    ).json()
    option = _option(page, "over-time")
    assert option["xAxis"][0]["data"] == [r["period_label"] for r in over["periods"]]
    assert [p["value"] for p in option["series"][0]["data"]] == [r["conversion"] for r in over["periods"]]
    page.select_option("select[name=grain]", "month")
    wait_drawn(page)
    assert "grain=month" in page.url
    assert _option(page, "over-time")["xAxis"][0]["data"][-1] == "2026-11"


def test_breakdown_redraws_and_stays_in_the_url(open_page: Any) -> None:
    page = open_page("/funnels")
    assert page.locator("[data-name='breakdown']").count() == 0
    before = _option(page, "over-time")["series"]
    page.select_option("select[name=by]", "device")
    wait_drawn(page)
    assert "by=device" in page.url
    assert canvas_painted(page, "[data-name='breakdown']")
    names = sorted(s["name"] for s in _option(page, "breakdown")["series"])
    assert names == ["app", "desktop", "mobile", "tablet"]
    after = _option(page, "over-time")["series"]
    assert len(after) == 4 and after != before
    assert page.locator("table.funnel-by tbody tr").count() == 4
    page.select_option("select[name=by]", "country")
    wait_drawn(page)
    assert len(_option(page, "breakdown")["series"]) == 8
    page.reload()
    wait_drawn(page)
    assert page.locator("select[name=by]").input_value() == "country"


def test_chinese_and_an_unknown_funnel(open_page: Any) -> None:
    page = open_page("/funnels?by=device", locale="zh-CN")
    assert "漏斗" in page.locator("main h1").inner_text()
    assert "相对第一步" in page.locator("table.funnel-table").inner_text()
    assert canvas_painted(page, "[data-name='steps']")
    page = open_page("/funnels?funnel=chekout", expect_errors=True)
    assert "checkout" in page.locator(".error").inner_text()  # did you mean
