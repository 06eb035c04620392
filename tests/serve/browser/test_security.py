"""Security in the browser: a second server (a copy of the demo, ``--require-token``) sends pages to
/login, signs a pasted token in as an HttpOnly cookie, hides the review and rating forms from a
viewer (and refuses the viewer's writes: 403) while an editor saves; signing out ends the session.
On the shared server, a review holding HTML and script is shown as text: no element, no dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.browser.conftest import Server, copy_project, wait_drawn

XSS = ["<img src=x onerror=alert(1)>", "<script>window.__xss = 1; alert(2)</script>", "<b>bold</b>?"]


class Secure:
    def __init__(self, server: Server, viewer: str, editor: str, alert: str) -> None:
        self.server, self.viewer, self.editor, self.alert = server, viewer, editor, alert


@pytest.fixture(scope="module")
def secure(demo_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secure]:
    """A server needing tokens over a copy of the demo, with a viewer, an editor and one alert."""
    from northstar.serve.auth import create_token
    from northstar.watch.store import AlertStore
    from tests.serve.browser.conftest import _need_browser
    from tests.watch.alerts import make_alert

    _need_browser()
    project = copy_project(demo_project, tmp_path_factory.mktemp("secure") / "demo")
    with AlertStore.open(project / ".northstar" / "alerts.db") as store:
        viewer, _ = create_token(store, "viewer", "wall-screen")
        editor, _ = create_token(store, "editor", "sarah")
        alert = make_alert(0)
        store.save(alert)
    server = Server(project, "--require-token")
    yield Secure(server, viewer, editor, alert.id)
    server.stop()


def _sign_in(open_page: Any, secure: Secure, token: str, path: str, **kw: Any) -> Any:
    page = open_page(path, base=secure.server.url, **kw)
    assert "/login?next=" in page.url  # no session yet: every page goes to the sign-in form
    page.fill("input[name=token]", token)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    wait_drawn(page)
    return page


def test_pages_go_to_login_and_back_after_signing_in(open_page: Any, secure: Secure) -> None:
    page = open_page("/alerts?state=open", base=secure.server.url, locale="zh-CN", expect_errors=True)
    assert page.url.endswith("/login?next=%2Falerts%3Fstate%3Dopen")
    assert "登录" in page.locator("h1").inner_text()  # the sign-in page speaks the browser's language
    page.fill("input[name=token]", "ns_not_a_token")
    page.click("form.login-form button[type=submit]")
    page.wait_for_selector(".form-errors .error")
    assert "未知的令牌" in page.locator(".form-errors").inner_text()
    page.fill("input[name=token]", secure.viewer)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{secure.server.url}/alerts?state=open")
    wait_drawn(page)
    assert page.locator("table.alerts-table tbody tr").count() == 1
    assert "wall-screen · 查看者" in page.locator("header .account").inner_text()
    cookies = page.context.cookies()
    assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [
        ("northstar_token", True, "Strict")
    ]
    assert page.evaluate("() => document.cookie") == ""  # scripts cannot read the token


def test_a_viewer_sees_no_forms_and_the_server_refuses_its_writes(open_page: Any, secure: Secure) -> None:
    page = _sign_in(open_page, secure, secure.viewer, f"/alerts?alert={secure.alert}", expect_errors=True)
    assert page.locator("form.review-form").count() == 0
    assert "Only editors can write reviews" in page.locator(".viewer-note").inner_text()
    assert page.locator("button[data-action=acknowledge]").count() == 1  # viewers may move alerts
    status = page.evaluate(
        """async (id) => (await fetch(`/api/alerts/${id}/review`, {method: "POST",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({whys: ["x"], owner: "x", actions: [], due: "2026-12-01"})})).status""",
        secure.alert,
    )
    assert status == 403
    page.goto(f"{secure.server.url}/leads")
    wait_drawn(page)
    assert page.locator("table.leads-table tbody tr").count() == 50
    assert page.locator("form.rate-form").count() == 0
    assert "Only editors can rate leads" in page.locator(".viewer-note").inner_text()
    status = page.evaluate(
        """async () => (await fetch("/api/leads/wholesale/ratings", {method: "POST",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({ratings: [{lead: "L00002", score: 5, reason: "right_buyer"}]})})).status"""
    )
    assert status == 403


def test_an_editor_saves_then_signs_out(open_page: Any, secure: Secure) -> None:
    page = _sign_in(open_page, secure, secure.editor, f"/alerts?alert={secure.alert}")
    assert "sarah · editor" in page.locator("header .account").inner_text()
    page.fill("input[name=why1]", "a test alert")
    page.fill("input[name=owner]", "sarah")
    page.fill("input[name=due]", "2026-12-31")
    page.click("form.review-form button[type=submit]")
    page.wait_for_selector(".review-version[data-version='1']")
    assert "· sarah" in page.locator(".review-version").inner_text()  # the token's name
    page.click("header .account button[data-action=logout]")
    page.wait_for_url(f"{secure.server.url}/login")
    wait_drawn(page)
    assert page.context.cookies() == []
    page.goto(f"{secure.server.url}/leads")
    assert "/login?next=%2Fleads" in page.url


def test_review_text_is_shown_as_text_never_as_html(open_page: Any) -> None:
    page = open_page("/alerts")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ids = page.eval_on_selector_all("table.alerts-table tbody tr", "rows => rows.map(r => r.dataset.alert)")
    alert = ids[1]  # test_alerts reviews the first and closes the last
    page.click(f"tr[data-alert='{alert}'] a")
    wait_drawn(page)
    for i, text in enumerate(XSS, start=1):
        page.fill(f"input[name=why{i}]", text)
    page.fill("input[name=owner]", '"><svg onload=alert(3)>')
    page.fill("textarea[name=actions]", "<iframe src=javascript:alert(4)></iframe>")
    page.fill("input[name=due]", "2026-12-20")
    page.click("form.review-form button[type=submit]")
    page.wait_for_selector(".review-version[data-version='1']")
    page.reload()
    wait_drawn(page)
    version = page.locator(".review-version").first
    assert version.locator("ol li").all_inner_texts() == XSS
    text = version.inner_text()
    assert '"><svg onload=alert(3)>' in text and "<iframe src=javascript:alert(4)></iframe>" in text
    assert page.locator("main img, main script, main svg, main iframe, main b").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert dialogs == []


def test_the_sign_in_page_keeps_the_language_of_the_page_one_came_from(
    open_page: Any, secure: Secure
) -> None:
    page = open_page("/goals?lang=zh", base=secure.server.url)  # an English browser chose Chinese
    assert "/login?next=%2Fgoals%3Flang%3Dzh" in page.url and "lang=zh" in page.url
    assert "登录" in page.locator("h1").inner_text()
    page = open_page("/goals", base=secure.server.url)
    assert "Sign in" in page.locator("h1").inner_text()
