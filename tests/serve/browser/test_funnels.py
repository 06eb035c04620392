"""The funnel page in Chromium: steps, time to convert and conversion over time paint from the
API's numbers, the breakdown and the grain redraw and stay in the URL, and it speaks Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.browser.conftest import Server, canvas_painted, copy_project, wait_drawn


@pytest.fixture(scope="module")
def two_funnels(demo_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server over a copy of the demo with a second funnel (listed first), so the page can switch."""
    project = copy_project(demo_project, tmp_path_factory.mktemp("funnels") / "demo")
    yml = project / "northstar.yml"
    browse = (
        "funnels:\n  browse:\n    source: events\n    label: {en: Browse to cart, zh: 浏览到加购}\n"
        "    within: 1h\n    steps: [view_item, add_to_cart]\n"
    )
    yml.write_text(yml.read_text().replace("funnels:\n", browse, 1))
    s = Server(project)
    yield s
    s.stop()


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


def test_switching_the_funnel_redraws_and_stays_in_the_url(open_page: Any, two_funnels: Server) -> None:
    page = open_page("/funnels", base=two_funnels.url)
    assert page.locator("select[name=funnel] option").count() == 2
    assert page.locator("select[name=funnel]").input_value() == "browse"  # the first by default
    assert len(_option(page, "steps")["series"][0]["data"]) == 2
    page.select_option("select[name=funnel]", "checkout")
    wait_drawn(page)
    assert "funnel=checkout" in page.url
    steps = _option(page, "steps")["xAxis"][0]["data"]
    assert steps == ["1. view_item", "2. add_to_cart", "3. begin_checkout", "4. purchase"]
    assert canvas_painted(page, "[data-name='over-time']")
    page.reload()
    wait_drawn(page)
    assert page.locator("select[name=funnel]").input_value() == "checkout"
