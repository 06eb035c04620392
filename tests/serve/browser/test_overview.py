"""The overview and the KPI page in Chromium: they load without console errors, their charts
paint, the grain and filters travel in the URL, and the language switch works."""

from __future__ import annotations

from typing import Any

from tests.serve.browser.conftest import canvas_painted, wait_drawn


def test_overview_shows_the_kpis_with_their_sparklines(open_page: Any) -> None:
    page = open_page("/")
    cards = page.locator("a.kpi")
    assert cards.count() == 3  # the demo's north star and two supporting KPIs
    assert "30-day repurchase rate" in cards.first.inner_text()
    assert canvas_painted(page, "[data-name='trend']")
    assert canvas_painted(page, "[data-name='spark-repurchase_30d']")
    # the north star's window is open in the last weeks: its headline is the last settled week,
    # the week under way is shown below it as provisional
    kpi = next(
        k for k in page.evaluate("() => fetch('/api/overview?grain=week').then(r => r.json())")["kpis"]
    )
    star = cards.first
    assert kpi["settled"] is not None
    assert f"{kpi['settled']['value'] * 100:.1f}%" == star.locator(".kpi-value").inner_text()
    assert f"Period {kpi['settled']['period']}: the last one whose window has closed" in star.inner_text()
    assert f"{kpi['period']} so far: {kpi['value'] * 100:.1f}%" in star.locator(".kpi-current").inner_text()
    assert star.locator(".kpi-current .badge.status-provisional").count() == 1


def test_grain_change_redraws_and_stays_in_the_url(open_page: Any) -> None:
    page = open_page("/")
    before = page.locator("a.kpi").first.inner_text()
    page.select_option("select[name=grain]", "month")
    wait_drawn(page)
    assert "grain=month" in page.url
    after = page.locator("a.kpi").first.inner_text()
    assert before != after
    page.reload()
    wait_drawn(page)
    assert page.locator("select[name=grain]").input_value() == "month"


def test_language_switch_and_browser_default(open_page: Any) -> None:
    page = open_page("/", locale="zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "北极星指标" in page.locator("main").inner_text()
    page.click("button[data-lang=en]")
    wait_drawn(page)
    assert "North star" in page.locator("main").inner_text()
    assert "lang=en" in page.url


def test_kpi_page_filter_updates_the_chart(open_page: Any) -> None:
    page = open_page("/metric/revenue")
    assert canvas_painted(page, "[data-name='trend']")
    total = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='trend']\")).getOption().series[0].data.reduce((a, b) => a + (b || 0), 0)"
    )
    page.fill("input[name=value]", "paid_search")
    page.select_option("select[name=dimension]", "channel")
    page.click("form.filter-add button")
    wait_drawn(page)
    assert "f=channel%3Apaid_search" in page.url
    filtered = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='trend']\")).getOption().series[0].data.reduce((a, b) => a + (b || 0), 0)"
    )
    assert 0 < filtered < total


def test_unknown_metric_says_so(open_page: Any) -> None:
    page = open_page("/metric/revenu", expect_errors=True)
    text = page.locator(".error").inner_text()
    assert "revenue" in text  # did you mean


def test_overview_takes_the_end_day_and_the_dimension_filter(open_page: Any) -> None:
    page = open_page("/?to=2026-10-14")
    assert "2026-W42" in page.locator("a.kpi").first.inner_text()
    whole = page.locator("a.kpi[data-metric='add_to_cart_conversion'] .kpi-value").inner_text()
    page.fill("input[name=value]", "paid_search")
    page.select_option("select[name=dimension]", "channel")
    page.click("form.filter-add button")
    wait_drawn(page)
    assert "f=channel%3Apaid_search" in page.url and "to=2026-10-14" in page.url
    card = page.locator("a.kpi[data-metric='add_to_cart_conversion']")
    assert card.locator(".kpi-value").inner_text() != whole
    assert card.locator(".badge.status-filtered").count() == 1
    assert "f=channel%3Apaid_search" in (card.get_attribute("href") or "")  # the KPI page keeps it
    assert canvas_painted(page, "[data-name='trend']")


def test_kpi_page_marks_the_period_under_way_and_names_alert_slices(open_page: Any) -> None:
    page = open_page("/metric/orders?grain=week")  # the demo's data stop on a Thursday
    names = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='trend']\")).getOption().series.map(s => s.name)"
    )
    assert "period under way" in names
    data = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='trend']\")).getOption().series[0].data"
    )
    assert data[-1] is None and data[-2] is not None  # the whole weeks' line stops before it
    assert "runs only to" in page.locator(".note.partial").inner_text()
    assert "(to 2026-" in page.locator("table.data tbody tr").first.inner_text()
    assert page.locator(".note.partial").count() == 1
    alerts = page.locator("ul.alerts li").all_inner_texts()
    assert any("Device = " in a for a in alerts) and any("Device = " not in a for a in alerts)
    page = open_page("/metric/orders?lang=zh", locale="zh-CN")  # day grain: nothing under way
    assert page.locator(".note.partial").count() == 0
    assert "类型：计数" in page.locator("main p.meta").inner_text()
    assert set(page.locator("ul.alerts .badge[data-state]").all_inner_texts()) <= {
        "未处理",
        "已确认",
        "已复盘",
        "已关闭",
    }


def test_a_provisional_kpis_change_is_not_painted_as_bad_news(open_page: Any) -> None:
    page = open_page("/")  # the north star's last week: its 30-day window is still open
    star = page.locator("a.kpi[data-metric='repurchase_30d']")
    assert "provisional" in star.inner_text()
    # the week under way (its fall is not news) is a grey line with the reason on hover; the
    # headline is the last settled week, whose change is final and keeps its colour
    current = star.locator(".kpi-current")
    assert "still open" in (current.get_attribute("title") or "")
    assert current.locator(".change").count() == 0
    headline = star.locator(".change").get_attribute("class") or ""
    assert "good" in headline or "bad" in headline or "flat" in headline
    rest = page.locator("a.kpi[data-metric='return_rate'] .change").get_attribute("class") or ""
    assert "good" in rest or "bad" in rest  # a final value keeps its colour


def test_a_filter_value_nobody_has_says_so_instead_of_showing_zeros(open_page: Any) -> None:
    page = open_page("/metric/revenue?f=channel:Paid%20Search")  # the value is paid_search
    warning = page.locator(".no-match")
    assert warning.count() == 1 and "Channel = Paid Search" in warning.inner_text()
    page = open_page("/metric/revenue?f=channel:paid_search&lang=zh", locale="zh-CN")
    assert page.locator(".no-match").count() == 0


def test_a_comparison_without_data_says_so(open_page: Any) -> None:
    page = open_page("/metric/orders?compare=yoy")  # the demo's 120 days have no last year
    assert "No same period last year to compare with" in page.locator(".no-base").inner_text()
    page = open_page("/metric/orders?compare=prev")
    assert page.locator(".no-base").count() == 0


def test_an_hourly_kpi_page_says_hour_in_the_grain_select(open_page: Any) -> None:
    page = open_page("/metric/orders?grain=hour&from=2026-11-25&to=2026-11-26")
    assert page.locator("select[name=grain]").input_value() == "hour"
    page = open_page("/metric/orders")
    assert page.locator("select[name=grain] option[value=hour]").count() == 0


def test_the_overview_trend_draws_the_week_under_way_dashed(open_page: Any) -> None:
    page = open_page("/")  # weekly; the demo's data stop on a Thursday
    series = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='trend']\")).getOption().series"
    )
    assert series[0]["data"][-1] is None
    under = next(s for s in series if s["name"] == "period under way")
    assert [v is not None for v in under["data"][-2:]] == [True, True]
    assert "(to 2026-11-26)" in page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='trend']\")).getOption().xAxis[0].data.at(-1)"
    )
