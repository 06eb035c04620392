"""The dashboard's HTML shells and static files, without a browser: every page answers with the
shell, its script exists, the path parameter is escaped, and the security headers are set."""

from __future__ import annotations

from typing import Any

from northstar.serve.pages import CSP, PAGES, STATIC


def test_every_page_is_the_shell_with_its_script(client: Any) -> None:
    for name, path in PAGES.items():
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert f'data-page="{name}"' in r.text
        assert r.headers["content-security-policy"] == CSP
        assert (STATIC / "js" / "pages" / f"{name}.js").exists(), name
    assert (STATIC / "js" / "pages" / "metric.js").exists()


def test_path_parameter_is_escaped(client: Any) -> None:
    r = client.get('/metric/"><img src=x onerror=alert(1)>')
    assert r.status_code == 200
    assert "<img" not in r.text
    assert 'data-arg="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in r.text


def test_echarts_is_served_from_the_package(client: Any) -> None:
    r = client.get("/static/vendor/echarts.min.js")
    assert r.status_code == 200
    assert "echarts" in r.text[:2000].lower()
    assert (
        client.get("/static/js/core.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


def test_pages_refuse_a_foreign_host(client: Any) -> None:
    r = client.get("/", headers={"Host": "evil.example"})
    assert r.status_code == 403


def test_a_browser_asking_for_a_page_that_does_not_exist_gets_a_page(client: Any) -> None:
    html_accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/nope", "/metric/", "/metric/a/b", "/Goals"):
        r = client.get(path, headers=html_accept)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
        assert "Page not found" in r.text and "页面不存在" in r.text and 'href="/"' in r.text
        assert r.headers["content-security-policy"] == CSP and "<script" not in r.text
    # the API, static files and non-browser callers keep the one JSON error shape
    for path, headers in (("/api/nope", html_accept), ("/static/nope.js", html_accept), ("/nope", {})):
        r = client.get(path, headers=headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
