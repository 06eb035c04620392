"""The lead-rating page in Chromium: the demo's wholesale leads, the average rating by channel,
search and paging in the URL, a rating saved and still there after a reload (the chart moves with
it), and the page in Chinese."""

from __future__ import annotations

from typing import Any

from tests.serve.browser.conftest import canvas_painted, wait_drawn

BY_CHANNEL = (
    "() => { const o = echarts.getInstanceByDom(document.querySelector(\"[data-name='rating-by-channel']\"))"
    ".getOption(); return Object.fromEntries(o.xAxis[0].data.map((c, i) => [c, o.series[0].data[i]])); }"
)


def test_leads_page_lists_searches_and_pages(open_page: Any) -> None:
    page = open_page("/leads")
    assert page.locator("table.leads-table tbody tr").count() == 50
    assert canvas_painted(page, "[data-name='rating-by-channel']")
    assert canvas_painted(page, "[data-name='ratings-per-score']")
    channels = page.evaluate(BY_CHANNEL)
    assert len(channels) >= 4 and all(1 <= v <= 5 for v in channels.values())
    assert "of 3,774" in page.locator(".pager").inner_text()  # the demo's clean leads
    page.click("button[data-page=next]")
    page.wait_for_function("() => location.search.includes('offset=50')")
    wait_drawn(page)
    assert "51–100 of" in page.locator(".pager").inner_text()
    page.fill("input[name=q]", "L00012")
    page.click("form.lead-search button[type=submit]")
    page.wait_for_function("() => location.search.includes('q=L00012')")
    wait_drawn(page)
    assert "offset" not in page.url
    rows = page.locator("table.leads-table tbody tr")
    ids = rows.evaluate_all("rs => rs.map(r => r.dataset.lead)")
    assert ids and all("L00012" in i for i in ids)


def test_a_rating_is_saved_and_still_there_after_reload(open_page: Any) -> None:
    page = open_page("/leads?q=seo_blog")  # a campaign: leads of one channel (organic)
    row = page.locator("table.leads-table tbody tr", has=page.locator("td.current-rating .unrated")).first
    lead = row.get_attribute("data-lead")
    channel = row.locator("td").nth(3).inner_text()
    before = page.evaluate(BY_CHANNEL)[channel]
    rated = f"table.channel-quality tr[data-channel='{channel}'] td:nth-child(3)"
    rated_before = int(page.locator(rated).inner_text().replace(",", ""))
    row.locator("select[name=score]").select_option("1")
    row.locator("select[name=reason]").select_option("wrong_contact")
    row.locator("input[name=note]").fill("number does not answer")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f"tr[data-lead='{lead}'] td.current-rating .badge.score-1", timeout=60_000)
    wait_drawn(page)
    after = page.evaluate(BY_CHANNEL)[channel]
    assert after < before  # one more 1 lowers the channel's average
    assert int(page.locator(rated).inner_text().replace(",", "")) == rated_before + 1
    page.reload()
    wait_drawn(page)
    cell = page.locator(f"tr[data-lead='{lead}'] td.current-rating").inner_text()
    assert "1/5" in cell and "Wrong or unreachable contact" in cell
    assert lead in page.locator("table.ratings-in-force").inner_text()  # the newest rating in force
    saved = page.locator(f"table.ratings-in-force tr[data-lead='{lead}'] td.rating-note").inner_text()
    assert saved == "number does not answer"  # the note typed with it, after the reload


def test_rating_errors_and_chinese(open_page: Any) -> None:
    page = open_page("/leads?lang=zh", locale="zh-CN", expect_errors=True)  # the 400 is logged
    assert "线索评分" in page.locator("h1").inner_text()
    assert "各渠道的平均销售评分" in page.locator("main").inner_text()
    row = page.locator("table.leads-table tbody tr").first
    row.locator("select[name=score]").select_option("4")
    row.locator("select[name=reason]").select_option("")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("table.leads-table .form-errors .error")
    assert (
        "原因" in page.locator("table.leads-table .form-errors .error").inner_text()
    )  # the server's words, in Chinese
    page.click("button[data-lang=en]")
    wait_drawn(page)
    assert "lang=en" in page.url and "Average sales rating by channel" in page.locator("main").inner_text()


def test_a_rating_without_a_score_is_stopped_by_the_browser(open_page: Any) -> None:
    page = open_page("/leads?q=L0399")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    row = page.locator("table.leads-table tbody tr").first
    row.locator("select[name=score]").select_option("")
    row.locator("select[name=reason]").select_option(index=1)
    row.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert requests == [] and row.locator(".form-errors .error").count() == 0
    assert row.locator("select[name=score]").evaluate("s => s.validity.valueMissing")
