"""The alerts inbox in Chromium: the demo's alerts (conftest runs the watch over 2026-11-01…07),
filters in the URL redraw the chart, a 5-Why review is saved as a version and still there after a
reload, alerts move state, a false alarm without a reason gets the server's error in the page
language, and the page speaks Chinese."""

from __future__ import annotations

from typing import Any

from tests.serve.browser.conftest import canvas_painted, wait_drawn

PER_DAY = "[data-name='alerts-per-day']"
BARS = (
    "() => echarts.getInstanceByDom(document.querySelector(\"[data-name='alerts-per-day']\"))"
    ".getOption().series.map(s => s.data.reduce((a, b) => a + b, 0))"
)


def _alert_ids(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("table.alerts-table tbody tr", "rows => rows.map(r => r.dataset.alert)")
    )


def test_inbox_lists_the_demo_alerts_and_filters_redraw_the_chart(open_page: Any) -> None:
    page = open_page("/alerts")
    ids = _alert_ids(page)
    assert len(ids) >= 5  # the demo's watch runs stored several
    assert canvas_painted(page, PER_DAY)
    first = page.locator("table.alerts-table tbody tr").first.inner_text()
    assert "2026-11-" in first and "Orders" in first and "%" in first
    before = page.evaluate(BARS)  # per severity: critical, warning, info
    assert sum(before) == len(ids)
    page.select_option("select[name=severity]", "critical")
    wait_drawn(page)
    assert "severity=critical" in page.url
    after = page.evaluate(BARS)
    assert after == [before[0], 0, 0] and 0 < after[0] < sum(before)
    assert len(_alert_ids(page)) == after[0]
    assert page.locator("table.alerts-table .badge.severity-critical").count() == after[0]


def test_review_is_saved_as_versions_and_kept_after_reload(open_page: Any) -> None:
    page = open_page("/alerts")
    alert = _alert_ids(page)[0]
    page.click(f"tr[data-alert='{alert}'] a")
    wait_drawn(page)
    assert f"alert={alert}" in page.url
    assert page.locator(".alert-explanation table").count() >= 1  # root causes / parts stored by watch
    page.click("button[data-action=acknowledge]")
    page.wait_for_selector(".alert-head .badge[data-state=acknowledged]")
    page.fill("input[name=why1]", "orders rose on 1 Nov")
    page.fill("input[name=why2]", "an e-mail campaign went out")
    page.fill("input[name=owner]", "maya.chen")
    page.fill("textarea[name=actions]", "tag campaign days\nadd a promo calendar")
    page.fill("input[name=due]", "2026-12-15")
    page.click("form.review-form button[type=submit]")
    page.wait_for_selector(".review-version[data-version='1']")
    page.fill("input[name=why3]", "nobody told the analysts")
    page.click("form.review-form button[type=submit]")
    page.wait_for_selector(".review-version[data-version='2']")
    page.reload()
    wait_drawn(page)
    versions = page.locator(".review-version")
    assert versions.count() == 2
    newest = versions.first.inner_text()
    assert "Version 2" in newest and "nobody told the analysts" in newest and "add a promo calendar" in newest
    assert "2026-12-15" in newest and "maya.chen" in newest
    assert "nobody told" not in versions.nth(1).inner_text()
    assert page.locator("input[name=why3]").input_value() == "nobody told the analysts"  # prefilled
    page.click("button[data-action=reviewed]")
    page.wait_for_selector(".alert-head .badge[data-state=reviewed]")
    history = page.locator("table.alert-history").inner_text()
    assert "review" in history and "acknowledged" in history


def test_false_alarm_needs_a_reason_said_in_the_page_language(open_page: Any) -> None:
    page = open_page("/alerts?lang=zh", locale="zh-CN", expect_errors=True)  # the 400 is logged
    alert = _alert_ids(page)[-1]
    page.click(f"tr[data-alert='{alert}'] a")
    wait_drawn(page)
    assert "告警" in page.locator("h1").inner_text() and "收件箱" in page.locator("main").inner_text()
    assert "5 个为什么复盘" in page.locator(".alert-review h2").inner_text()
    page.click("button[data-action=close]")
    page.wait_for_selector(".alert-actions .error")
    assert "误报" in page.locator(".alert-actions .error").inner_text()  # next to the form, in Chinese
    page.fill("input[name=close_reason]", "数据延迟到达")
    page.click("button[data-action=close]")
    page.wait_for_selector(".close-reason")
    assert "数据延迟到达" in page.locator(".close-reason").inner_text()
    assert page.locator(".alert-head .badge[data-state=closed]").inner_text() == "已关闭"
    page.select_option("select[name=state]", "closed")
    wait_drawn(page)
    assert alert in _alert_ids(page)
    assert all(s == "已关闭" for s in page.locator("table.alerts-table .badge[data-state]").all_inner_texts())


def test_a_sliced_alert_says_its_explanation_is_of_the_whole_metric(open_page: Any, server: Any) -> None:
    import httpx

    alerts = httpx.get(f"{server.url}/api/alerts", timeout=30).json()
    sliced = next(a for a in alerts if a["slice"] and a["state"] == "open")
    whole = next(a for a in alerts if not a["slice"])
    page = open_page(f"/alerts?alert={sliced['id']}")
    note = page.locator(".alert-explanation .explanation-whole")
    assert note.count() == 1
    value = next(iter(sliced["slice"].values()))
    assert "as a whole" in note.inner_text() and f"= {value}" in note.inner_text()
    page = open_page(f"/alerts?alert={whole['id']}")
    assert page.locator(".alert-explanation .explanation-whole").count() == 0


def test_dimension_filters_a_page_ignores_are_shown_faded(open_page: Any) -> None:
    page = open_page("/alerts?f=device:mobile")  # the inbox is not filtered by dimensions
    chips = page.locator("#filters .chips")
    assert (
        "off" in (chips.get_attribute("class") or "")
        and chips.get_attribute("title") == "not used on this page"
    )
    assert page.locator("#filters .chip[data-filter='device:mobile']").count() == 1  # kept for the next page
    page = open_page("/metric/orders?f=device:mobile")
    assert "off" not in (page.locator("#filters .chips").get_attribute("class") or "")


def test_an_empty_review_is_stopped_by_the_browser_not_a_422(open_page: Any) -> None:
    page = open_page("/alerts")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    page.click("table.alerts-table tbody tr:nth-child(3) a")
    wait_drawn(page)
    assert page.locator(".review-version").count() == 0  # the other tests review the first two
    page.click("form.review-form button[type=submit]")
    page.wait_for_timeout(300)
    assert requests == [] and page.locator("form.review-form .error").count() == 0
    invalid = page.eval_on_selector_all("form.review-form :invalid", "els => els.map(e => e.name)")
    assert set(invalid) == {"why1", "owner", "due"}


def test_the_inbox_colours_a_change_by_the_metrics_direction(open_page: Any, server: Any) -> None:
    import httpx

    direction = {
        m["name"]: m["direction"]
        for m in httpx.get(f"{server.url}/api/project", timeout=30).json()["metrics"]
    }
    alerts = {a["id"]: a for a in httpx.get(f"{server.url}/api/alerts", timeout=30).json()}
    page = open_page("/alerts")
    classes = page.eval_on_selector_all(
        "table.alerts-table tbody tr", "rows => rows.map(r => [r.dataset.alert, r.children[3].className])"
    )
    seen = set()
    for alert_id, cls in classes:
        a = alerts[alert_id]
        good = a["change_pct"] < 0 if direction[a["metric"]] == "lower" else a["change_pct"] > 0
        assert ("good" if good else "bad") in cls.split(), (a["metric"], a["change_pct"], cls)
        seen.add((direction[a["metric"]], good))
    assert ("lower", False) in seen  # the demo's marketing spend spike: up, and bad
