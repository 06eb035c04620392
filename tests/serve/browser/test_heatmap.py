"""The anomaly heatmap in Chromium: the metric × day view paints with the north star and supporting
KPIs, the metric list and the dimension view redraw it and stay in the URL, and it speaks Chinese."""

from __future__ import annotations

from typing import Any

from tests.serve.browser.conftest import canvas_painted, wait_drawn

OPTION = "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='heatmap']\")).getOption()"


def _rows(page: Any) -> list[str]:
    return list(page.evaluate(f"() => ({OPTION})().yAxis[0].data"))


def _cells(page: Any) -> list[Any]:
    return list(page.evaluate(f"() => ({OPTION})().series[0].data.map(d => d.value)"))


def test_metric_rows_paint_and_the_metric_list_redraws(open_page: Any) -> None:
    page = open_page("/heatmap")
    assert canvas_painted(page, "[data-name='heatmap']")
    assert _rows(page) == ["30-day repurchase rate", "Add-to-cart conversion", "Return rate"]
    cells = _cells(page)
    assert len(cells) == 3 * 30  # three metrics × the API's last 30 days
    assert any(abs(v[2]) > 0 for v in cells if v[2] != 99)
    # the largest anomalies, each linked to the explanation of its day
    first = page.locator("table.anomalies tbody tr").first
    assert "/explain?" in (first.locator("a").first.get_attribute("href") or "")
    assert "grain=day" in (first.locator("a").first.get_attribute("href") or "")
    # one more metric: a fourth row, kept in the URL
    page.click("details.metric-picker summary")
    page.check("details.metric-picker input[value=orders]")
    wait_drawn(page)
    assert "metrics=" in page.url and "orders" in page.url
    assert _rows(page)[-1] == "Orders"
    assert len(_cells(page)) == 4 * 30
    page.reload()
    wait_drawn(page)
    assert len(_rows(page)) == 4
    # the shared date range: two weeks ending on the demo's last day
    page.fill("input[name=from]", "2026-11-13")
    wait_drawn(page)
    assert "from=2026-11-13" in page.url
    days = page.evaluate(f"() => ({OPTION})().xAxis[0].data")
    assert days[0] == "11-13" and days[-1] == "11-26" and len(_cells(page)) == 4 * 14


def test_dimension_view_switches_metric_and_dimension(open_page: Any) -> None:
    page = open_page("/heatmap?view=dimension&metric=orders&by=country")
    assert canvas_painted(page, "[data-name='heatmap']")
    countries = _rows(page)
    assert len(countries) == 8 and "orders" in page.locator("section h2").first.inner_text().lower()
    page.select_option("select[name=by]", "device")
    wait_drawn(page)
    assert "by=device" in page.url
    devices = _rows(page)
    assert devices != countries and set(devices) >= {"mobile", "desktop"}
    before = _cells(page)
    page.select_option("select[name=metric]", "revenue")
    wait_drawn(page)
    assert "metric=revenue" in page.url
    assert _cells(page) != before
    # a limit keeps the values with the most rows; the link opens the KPI page for that value
    page.select_option("select[name=by]", "country")
    wait_drawn(page)
    page.select_option("select[name=limit]", "6")
    wait_drawn(page)
    assert len(_rows(page)) == 6 and "limit=6" in page.url
    href = page.locator("table.anomalies tbody tr a").first.get_attribute("href") or ""
    assert href.startswith("/metric/revenue?") and "f=country%3A" in href


def test_filter_and_chinese(open_page: Any) -> None:
    page = open_page("/heatmap?metrics=orders,revenue&lang=zh", locale="zh-CN")
    assert "异常热力图" in page.locator("main h1").inner_text()
    assert "好于预期" in page.evaluate(f"() => ({OPTION})().visualMap[0].text.join(' ')")
    assert canvas_painted(page, "[data-name='heatmap']")
    before = _cells(page)
    page.fill("input[name=value]", "mobile")
    page.select_option("select[name=dimension]", "device")
    page.click("form.filter-add button")
    wait_drawn(page)
    assert "f=device%3Amobile" in page.url
    after = _cells(page)
    assert len(after) == len(before) and after != before


def test_a_cells_tooltip_and_click_open_the_explanation_of_its_day(open_page: Any) -> None:
    page = open_page("/heatmap?metrics=orders")
    cells = _cells(page)
    x, y = cells[-3][0], cells[-3][1]  # orders, three days before the end
    day = page.evaluate(f"() => ({OPTION})().xAxis[0].data[{x}]")
    box = page.locator("[data-name='heatmap']").bounding_box()
    px, py = page.evaluate(
        "([x, y]) => echarts.getInstanceByDom(document.querySelector(\"[data-name='heatmap']\"))"
        ".convertToPixel({seriesIndex: 0}, [x, y])",
        [x, y],
    )
    page.mouse.move(box["x"] + px, box["y"] + py)
    tip = page.locator(".heat-tip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "Orders" in text and "Expected" in text and "Robust z" in text and day in text
    page.mouse.click(box["x"] + px, box["y"] + py)
    page.wait_for_url("**/explain?**")
    wait_drawn(page)
    assert "metric=orders" in page.url and f"date=2026-{day}" in page.url and "grain=day" in page.url


def test_a_percent_metrics_deviation_is_in_points_then_relative(open_page: Any) -> None:
    page = open_page("/heatmap")  # the north star and supporting KPIs are percentages
    changes = page.locator("td.change").all_inner_texts()
    assert changes, "no day stands out in the demo's last 30 days"
    assert all(" pp (" in c and c.endswith("%)") for c in changes)
