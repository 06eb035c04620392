"""The retention page in Chromium: the cohort heatmap and the curves paint, cells not yet observable
are blank (left out, not 0) and the others are the API's, the controls redraw the charts and stay
in the URL, and the page reads in Chinese."""

from __future__ import annotations

from typing import Any

import httpx

from tests.serve.browser.conftest import Server, canvas_painted, wait_drawn


def option(page: Any, name: str) -> Any:
    """The chart ``name``'s ECharts option (its series' data and axes; functions left out)."""
    return page.evaluate(
        """(n) => { const o = echarts.getInstanceByDom(document.querySelector(`[data-name='${n}']`)).getOption();
           return JSON.parse(JSON.stringify({series: o.series.map(s => ({name: s.name, type: s.type, data: s.data})),
                                             xAxis: o.xAxis, yAxis: o.yAxis})); }""",
        name,
    )


def test_retention_heatmap_and_curves_show_the_api_cohorts(open_page: Any, server: Server) -> None:
    page = open_page("/retention")
    assert canvas_painted(page, "[data-name='heatmap']")
    assert canvas_painted(page, "[data-name='curves']")
    api = httpx.get(f"{server.url}/api/retention/buyers", timeout=30).json()
    heat = option(page, "heatmap")
    cells = {(c["value"][0], c["value"][1]): c["value"][2] for c in heat["series"][0]["data"]}
    cohorts = list(dict.fromkeys(c["cohort"] for c in api["cohorts"]))
    assert len(heat["yAxis"][0]["data"]) == len(cohorts)
    for c in api["cohorts"]:
        key = (c["period_n"], cohorts.index(c["cohort"]))
        if c["complete"]:
            assert cells[key] == c["rate"]
        else:  # not yet observable: blank, not 0
            assert key not in cells
    assert any(not c["complete"] for c in api["cohorts"])
    # the weighted curve: the API's curve from period 1 on (period 0 is 100 % by definition)
    curve = option(page, "curves")["series"][0]["data"]
    want = [p["rate"] if p["cohorts"] else None for p in api["curve"] if p["period_n"] > 0]
    assert curve == want
    # the table: one row per cohort with its size
    rows = page.locator("table.retention-table tbody tr")
    assert rows.count() == len(cohorts)
    first = api["cohorts"][0]
    assert f"{first['entities']:,}" in rows.first.inner_text()
    # observed_until is exclusive (the midnight after the last row): the note names the last day
    assert api["observed_until"] == "2026-11-27T00:00:00"
    assert "data until 2026-11-26)" in page.locator("main").inner_text()


def test_retention_controls_redraw_and_stay_in_the_url(open_page: Any) -> None:
    page = open_page("/retention")
    assert len(option(page, "curves")["series"]) == 1
    page.select_option("select[name=by]", "channel")
    wait_drawn(page)
    assert "by=channel" in page.url
    series = option(page, "curves")["series"]
    assert len(series) > 2  # the weighted curve and one per channel
    assert {"direct", "email"} <= {s["name"] for s in series}
    before = option(page, "heatmap")["xAxis"][0]["data"]
    page.select_option("select[name=period]", "month")
    wait_drawn(page)
    page.fill("input[name=periods]", "3")
    page.dispatch_event("input[name=periods]", "change")
    wait_drawn(page)
    assert "period=month" in page.url and "periods=3" in page.url
    after = option(page, "heatmap")["xAxis"][0]["data"]
    assert len(after) == 4 and after != before
    page.reload()
    wait_drawn(page)
    assert page.locator("select[name=by]").input_value() == "channel"
    assert page.locator("select[name=period]").input_value() == "month"
    assert page.locator("input[name=periods]").input_value() == "3"
    assert canvas_painted(page, "[data-name='heatmap']")


def test_retention_in_chinese_with_a_date_range(open_page: Any) -> None:
    page = open_page("/retention?show=measure&from=2026-10-15", locale="zh-CN")
    text = page.locator("main").inner_text()
    assert "留存曲线" in text and "同期群" in text and "收入（美元）" in text
    assert canvas_painted(page, "[data-name='curves']")
    # the shared range: no cohort before the week of 2026-10-15
    labels = option(page, "heatmap")["yAxis"][0]["data"]
    assert labels and min(label[:10] for label in labels) == "2026-10-12"
