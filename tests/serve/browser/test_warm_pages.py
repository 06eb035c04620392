"""The cache warmer (serve/warm.py) knows the requests the pages make when opened from the
navigation: each page's default analysis requests, recorded in Chromium, are among
``default_requests``, so a page's first visitor does not wait for a computation the warmer skipped."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from northstar.serve.pages import PAGES
from northstar.serve.warm import default_requests
from tests.serve.browser.conftest import Server

# answers that are not cached (the app database's lists) or ask who is calling
UNCACHED = ("/api/me", "/api/alerts", "/api/targets", "/api/session")


def _key(url: str) -> tuple[str, frozenset[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, frozenset(parse_qsl(parts.query))


def test_every_default_page_request_is_warmed(open_page: Any, server: Server) -> None:
    warmed = {_key(u) for u in default_requests(httpx.get(f"{server.url}/api/project").json())}
    missing: dict[str, list[str]] = {}
    checked = 0
    for name, path in PAGES.items():
        seen: list[str] = []
        page = open_page(path, record=seen)
        assert page.url.startswith(server.url)
        asked = [
            u
            for u in seen
            if urlsplit(u).path.startswith("/api/") and not urlsplit(u).path.startswith(UNCACHED)
        ]
        checked += len(asked)
        gaps = [u for u in asked if _key(u) not in warmed]
        if gaps:
            missing[name] = gaps
    assert not missing, f"requests the warmer does not make: {missing}"
    assert checked >= len(PAGES) + 5  # every page asks the API (a guard against recording nothing)
