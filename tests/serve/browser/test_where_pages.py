"""The shared dimension filter on the funnel and retention pages in Chromium: adding a filter in
the filter bar redraws the charts with the API's filtered numbers and keeps ``f=`` in the URL; the
filtered pages say so, in English and Chinese."""

from __future__ import annotations

from typing import Any

import httpx

from tests.serve.browser.conftest import Server, canvas_painted, wait_drawn


def _option(page: Any, name: str) -> Any:
    return page.evaluate(
        f"() => echarts.getInstanceByDom(document.querySelector(\"[data-name='{name}']\")).getOption()"
    )


def _add_filter(page: Any, dimension: str, value: str) -> None:
    assert not page.locator("select[name=dimension]").is_disabled()  # the page honours "where"
    page.fill("input[name=value]", value)
    page.select_option("select[name=dimension]", dimension)
    page.click("form.filter-add button")
    wait_drawn(page)


def test_funnel_page_takes_the_dimension_filter(open_page: Any, server: Server) -> None:
    page = open_page("/funnels")
    before = _option(page, "steps")["series"][0]["data"]
    _add_filter(page, "device", "app")
    assert "f=device%3Aapp" in page.url
    assert canvas_painted(page, "[data-name='steps']") and canvas_painted(page, "[data-name='over-time']")
    after = _option(page, "steps")["series"][0]["data"]
    api = httpx.get(
        f"{server.url}/api/funnels/checkout", params={"where": "device = 'app'"}, timeout=60
    ).json()
    assert after == [s["entities"] for s in api["steps"]]
    assert 0 < after[0] < before[0]
    assert "device = 'app'" in page.locator("ul.notes").inner_text()
    page.select_option("select[name=grain]", "month")  # a page control keeps the filter
    wait_drawn(page)
    assert "f=device%3Aapp" in page.url and "grain=month" in page.url
    zh = open_page("/funnels?f=device:app", locale="zh-CN")
    assert "已筛选" in zh.locator("ul.notes").inner_text()
    assert _option(zh, "steps")["series"][0]["data"] == after


def test_retention_page_takes_the_dimension_filter(open_page: Any, server: Server) -> None:
    page = open_page("/retention")
    before = _option(page, "heatmap")["series"][0]["data"]
    _add_filter(page, "channel", "email")
    assert "f=channel%3Aemail" in page.url
    assert canvas_painted(page, "[data-name='heatmap']") and canvas_painted(page, "[data-name='curves']")
    after = _option(page, "heatmap")["series"][0]["data"]
    assert after != before
    api = httpx.get(
        f"{server.url}/api/retention/buyers", params={"where": "channel = 'email'"}, timeout=60
    ).json()
    curve = [r["rate"] if r["cohorts"] > 0 else None for r in api["curve"] if r["period_n"] > 0]
    assert _option(page, "curves")["series"][0]["data"] == curve
    assert "channel = 'email'" in page.locator("ul.notes").inner_text()
    zh = open_page("/retention?f=channel:email", locale="zh-CN")
    assert "已筛选" in zh.locator("ul.notes").inner_text()
