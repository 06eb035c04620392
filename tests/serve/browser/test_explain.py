"""The explain page in Chromium: the driver tree renders, the waterfall's bars add up exactly to
the change in the headline (and the API's), the controls redraw and stay in the URL, root causes
appear when dimensions are ticked, a refused baseline is explained, and the page reads in Chinese."""

from __future__ import annotations

import math
from typing import Any

import httpx

from tests.serve.browser.conftest import Server, canvas_painted, wait_drawn


def option(page: Any, name: str) -> Any:
    return page.evaluate(
        """(n) => { const o = echarts.getInstanceByDom(document.querySelector(`[data-name='${n}']`)).getOption();
           return JSON.parse(JSON.stringify({series: o.series.map(s => ({name: s.name, type: s.type, data: s.data})),
                                             xAxis: o.xAxis})); }""",
        name,
    )


def check_waterfall(page: Any, change: float) -> int:
    """The waterfall's bars: each floats from the running total (transparent base below it), and the
    last, the total, is the change; returns the number of contribution bars."""
    series = option(page, "waterfall")["series"]
    base, bars = series[0]["data"], series[1]["data"]
    running = 0.0
    for b, bar in zip(base[:-1], bars[:-1], strict=True):
        c = bar["contribution"]
        assert math.isclose(b, min(running, running + c), rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(bar["value"], abs(c), rel_tol=1e-12)
        running += c
    total = bars[-1]
    assert total["total"] and base[-1] == 0
    assert math.isclose(running, total["value"], rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(total["value"], change, rel_tol=1e-12)
    return len(bars) - 1


def test_explain_tree_renders_and_the_waterfall_adds_up(open_page: Any, server: Server) -> None:
    page = open_page("/explain?metric=revenue&grain=week")
    api = httpx.get(f"{server.url}/api/explain/revenue", params={"grain": "week"}, timeout=30).json()
    assert canvas_painted(page, "[data-name='tree']")
    assert canvas_painted(page, "[data-name='waterfall']")
    shown = float(page.locator("p.headline").get_attribute("data-change"))
    assert math.isclose(shown, api["change"], rel_tol=1e-12)
    level1 = [d for d in api["drivers"] if d["level"] == 1]
    assert check_waterfall(page, api["change"]) == len(level1)
    assert math.isclose(sum(d["contribution_to_root"] for d in level1), api["change"], rel_tol=1e-9)
    # the tree: every driver row is a node, nested as in the API's rows
    root = option(page, "tree")["series"][0]["data"][0]
    assert root["name"] == "Revenue"
    assert [c["row"]["node"] for c in root["children"]] == [d["node"] for d in level1]

    def count(node: Any) -> int:
        return 1 + sum(count(c) for c in node.get("children", []))

    assert count(root) == len(api["drivers"])
    # the net split adds up too
    page.select_option("select[name=wf]", "net")
    wait_drawn(page)
    assert "wf=net" in page.url
    assert check_waterfall(page, api["change"]) == len(api["net_by_driver"])


def test_explain_controls_redraw_root_causes_and_stay_in_the_url(open_page: Any) -> None:
    page = open_page("/explain?metric=revenue&date=2026-10-11")
    before = option(page, "waterfall")["series"][1]["data"][-1]["value"]
    assert page.locator("[data-table=causes]").count() == 0
    page.select_option("select[name=vs]", "forecast")
    wait_drawn(page)
    assert "vs=forecast" in page.url
    after = option(page, "waterfall")["series"][1]["data"][-1]["value"]
    assert after != before
    check_waterfall(page, float(page.locator("p.headline").get_attribute("data-change")))
    page.check("input[name=by][value=device]")
    wait_drawn(page)
    page.check("input[name=by][value=channel]")
    wait_drawn(page)
    assert "by=channel%2Cdevice" in page.url or "by=channel,device" in page.url
    causes = page.locator("[data-table=causes] tbody tr")
    assert causes.count() >= 1
    assert "mobile" in page.locator("[data-table=causes]").inner_text()
    page.reload()
    wait_drawn(page)
    assert page.locator("select[name=vs]").input_value() == "forecast"
    assert page.locator("input[name=by][value=device]").is_checked()
    assert page.locator("input[name=date]").input_value() == "2026-10-11"


def test_explain_refused_baseline_is_explained_and_the_controls_stay(open_page: Any) -> None:
    page = open_page("/explain?metric=revenue&vs=last_year", expect_errors=True)
    assert "2026-07-30" in page.locator(".error").inner_text()  # the data starts then
    assert page.locator("select[name=vs]").input_value() == "last_year"


def test_explain_in_chinese(open_page: Any) -> None:
    page = open_page("/explain?metric=conversion_rate&by=channel&grain=week", locale="zh-CN")
    text = page.locator("main").inner_text()
    assert "驱动因素树" in text and "对比" in text and "结构效应" in text
    assert canvas_painted(page, "[data-name='tree']")
    assert canvas_painted(page, "[data-name='waterfall']")


def test_a_metric_without_a_tree_points_to_its_parts_if_it_has_some(open_page: Any) -> None:
    page = open_page("/explain?metric=orders&date=2026-10-11")  # orders: {over: channel}, no identity
    assert "parts by Channel below add up to the change" in page.locator(".no-tree").inner_text()
    assert page.locator("table").count() >= 1
    page = open_page("/explain?metric=csat&date=2026-10-11")  # no identity and no over:
    assert "no tree to split its change over" in page.locator(".no-tree").inner_text()


def test_the_page_opens_on_a_metric_with_a_tree(open_page: Any, server: Server) -> None:
    """The demo's north star (a repeat rate) has no driver tree: opened from the navigation, the
    page shows the first headline KPI that has one, with its tree (the warmer asks for the same)."""
    project = httpx.get(f"{server.url}/api/project", timeout=30).json()
    with_tree = {m["name"] for m in project["metrics"] if m["drivers"]}
    assert project["north_star"] not in with_tree and {"revenue", "conversion_rate"} <= with_tree
    assert "orders" not in with_tree  # parts over a dimension, no formula
    order = [project["north_star"], *project["supporting"], *(m["name"] for m in project["metrics"])]
    first = next(m for m in order if m in with_tree)  # the headline KPIs first, then the catalogue
    label = next(m["label"] for m in project["metrics"] if m["name"] == first)
    page = open_page("/explain")
    assert page.locator("h1").inner_text().endswith(label)
    assert canvas_painted(page, "[data-name='tree']")
