"""The goals page in Chromium: scorecards (card and period in the URL redraw the chart), targets
(a target set through the form is saved and still listed after a reload; bands out of order show
the server's message), OKRs (progress bars and guardrails), and Chinese."""

from __future__ import annotations

from typing import Any

from tests.serve.browser.conftest import canvas_painted, wait_drawn

OPTION = "(sel) => echarts.getInstanceByDom(document.querySelector(sel)).getOption()"


def _bars(page: Any, name: str) -> list[Any]:
    """The chart's series data (values of each series, in order)."""
    option = page.evaluate(OPTION, f"[data-name='{name}']")
    return [[d["value"] if isinstance(d, dict) else d for d in s["data"]] for s in option["series"]]


def _categories(page: Any, name: str) -> list[str]:
    option = page.evaluate(OPTION, f"[data-name='{name}']")
    return list(option["yAxis"][0]["data"])


def test_scorecard_card_and_period_redraw_the_chart(open_page: Any) -> None:
    page = open_page("/goals")
    assert page.locator(".tabs a.active").get_attribute("data-tab") == "scorecards"
    assert canvas_painted(page, "[data-name='scorecard']")
    growth = _categories(page, "scorecard")
    assert growth[0].startswith("30-day repurchase rate") and "(provisional)" in growth[0]
    assert page.locator("tr.provisional").count() == 1
    assert "projected" in page.locator("tr[data-item=revenue]").inner_text()  # pacing of a sum

    page.select_option("select[name=card]", "marketing")
    wait_drawn(page)
    assert "card=marketing" in page.url
    assert _categories(page, "scorecard") != growth
    week = _bars(page, "scorecard")
    page.select_option("select[name=period]", "2026-W46")
    wait_drawn(page)
    assert "period=2026-W46" in page.url
    assert "2026-W46" in page.locator(".score-head h2").inner_text()
    assert _bars(page, "scorecard") != week
    assert canvas_painted(page, "[data-name='scorecard']")

    # the company card rolls the teams' cards up; each links to its card for the same period
    page.select_option("select[name=card]", "company")
    wait_drawn(page)
    page.click("a[data-card=marketing]")
    wait_drawn(page)
    assert "card=marketing" in page.url and "period=2026-W46" in page.url
    assert page.locator("select[name=card]").input_value() == "marketing"


def test_scorecard_bad_period_shows_the_server_message(open_page: Any) -> None:
    page = open_page("/goals?card=growth&period=2031-W01", expect_errors=True)
    assert "starts after the last day with data" in page.locator(".error").inner_text()
    assert page.locator("select[name=card]").count() == 1  # the controls stay to pick another


def test_target_set_through_the_form_is_still_there_after_reload(open_page: Any) -> None:
    page = open_page("/goals?tab=targets&metric=tickets")
    assert canvas_painted(page, "[data-name='target-trend']")
    yaml_row = page.locator("table.target-settings tr[data-origin=yaml]").first
    assert "goals.yml:" in yaml_row.inner_text()
    before = _bars(page, "target-trend")
    page.select_option("select[name=tgrain]", "month")
    wait_drawn(page)
    assert "tgrain=month" in page.url and _bars(page, "target-trend") != before

    page.select_option("select[name=t_metric]", "tickets")  # a metric and period no other test uses
    page.fill("input[name=t_period]", "2027-02")
    page.fill("input[name=t_floor]", "5200")
    page.fill("input[name=t_target]", "4800")
    page.fill("input[name=t_stretch]", "4500")
    page.fill("input[name=t_why]", "browser test: fewer tickets after the FAQ")
    page.click("form.target-form button[type=submit]")
    saved = "table.target-settings tr[data-metric=tickets][data-period='2027-02']"
    page.wait_for_selector(saved)
    wait_drawn(page)
    row = page.locator(saved)
    assert row.count() == 1 and "saved" in (row.get_attribute("class") or "")
    assert "4,800" in row.inner_text() and "fewer tickets after the FAQ" in row.inner_text()
    assert page.locator(".form-message .ok").count() == 1
    page.reload()
    wait_drawn(page)
    row = page.locator(saved)
    assert row.get_attribute("data-origin") == "app"
    assert "4,800" in row.inner_text() and "local" in row.inner_text()


def test_bands_out_of_order_show_the_server_message(open_page: Any) -> None:
    page = open_page("/goals?tab=targets&metric=revenue", locale="zh-CN", expect_errors=True)
    page.select_option("select[name=t_metric]", "revenue")
    page.fill("input[name=t_period]", "2027-03")
    page.fill("input[name=t_floor]", "900000")
    page.fill("input[name=t_stretch]", "800000")
    page.click("form.target-form button[type=submit]")
    page.wait_for_selector(".form-message .error")
    message = page.locator(".form-message .error").inner_text()
    assert "大小关系" in message and "越高越好" in message  # the server's message, in Chinese
    assert page.locator("table.target-settings tr[data-period='2027-03']").count() == 0


def test_okrs_show_progress_guardrails_and_render_in_chinese(open_page: Any) -> None:
    page = open_page("/goals?tab=okrs", locale="zh-CN")
    assert page.locator("section.okr").count() == 2
    assert canvas_painted(page, "[data-name='okr-repeat_business']")
    assert canvas_painted(page, "[data-name='okr-wholesale']")
    text = page.locator("main").inner_text()
    assert "让首购客户再次购买" in text and "关键结果" in text and "护栏指标" in text
    assert "人工评分" in text  # the loyalty programme's hand grade
    assert page.locator("section[data-okr=wholesale] .badge.status-on_target").count() >= 1  # on track, holds
    progress = _bars(page, "okr-repeat_business")[0]
    assert progress[3] == 0.6  # the hand grade
    page.click("a[data-tab=scorecards]")
    wait_drawn(page)
    assert "tab=scorecards" in page.url and "计分卡" in page.locator("main").inner_text()
    assert canvas_painted(page, "[data-name='scorecard']")


def test_viewers_see_no_target_form(server: Any, browser: Any) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1360, "height": 900})
    try:
        page = context.new_page()
        viewer = '{"name": "wall-screen", "role": "viewer", "token_required": true}'
        page.route(
            "**/api/me", lambda route: route.fulfill(status=200, content_type="application/json", body=viewer)
        )
        page.goto(server.url + "/goals?tab=targets")
        wait_drawn(page)
        assert page.locator("form.target-form").count() == 0
        assert "Only editors may set targets." in page.locator("section.target-form").inner_text()
        assert page.locator("table.target-settings tbody tr").count() > 0
    finally:
        context.close()
