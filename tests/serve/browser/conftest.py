"""The browser tests' server and browser: ``northstar serve`` over a fresh demo project in a child
process, and Debian's Chromium (``/usr/bin/chromium``) driven by Playwright.

Without Chromium or Playwright the tests are skipped — unless ``NORTHSTAR_REQUIRE_BROWSER`` is set
(``scripts/test`` sets it and installs both), when they fail. Every page a test opens is checked
for console errors and uncaught exceptions when the test ends, and a screenshot of it is saved
under ``test-artifacts/screenshots/`` (the test's name), the test run's artefacts.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


def _need_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("NORTHSTAR_REQUIRE_BROWSER"):
        pytest.fail(reason + " — NORTHSTAR_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``northstar serve`` child process on loopback; ``url`` is its address."""

    def __init__(self, project: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.project = project
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = project.parent / f"serve-{self.port}.log"
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "northstar.cli.main",
                "serve",
                str(project),
                "--port",
                str(self.port),
                *extra,
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"northstar serve exited: {log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/api/project", timeout=2).status_code in (200, 401):
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"northstar serve did not answer in 120 s: {log.read_text(errors='replace')}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company (``northstar demo``'s data), generated once per run."""
    from northstar.scaffold.demo import generate_demo

    target = tmp_path_factory.mktemp("browser") / "demo"
    generate_demo(target)
    watch_demo(target)
    return target


def watch_demo(project_dir: Path) -> None:
    """Alerts for the alerts inbox: ``northstar watch`` on 2026-11-01 … 07 (9 alerts, none notified)."""
    from datetime import date

    from northstar.scaffold.demo_alerts import seed_alerts

    seed_alerts(project_dir, end=date(2026, 11, 7), days=7)


@pytest.fixture(scope="session")
def server(demo_project: Path) -> Iterator[Server]:
    _need_browser()
    s = Server(demo_project)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


class Watched:
    """A page with its console errors and uncaught exceptions recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))


@pytest.fixture
def open_page(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``open_page(path, locale="en-US", expect_errors=False, record=None)`` → a Playwright page at
    ``server.url + path`` (``record``: a list that receives the URL of each GET request it makes),
    waited until the page script has drawn (``main[data-state]`` is ready or error). At the end of
    the test each page is screenshot and must have logged no console error."""
    opened: list[tuple[Watched, Any, bool]] = []

    def open_(
        path: str,
        locale: str = "en-US",
        expect_errors: bool = False,
        base: str | None = None,
        record: list[str] | None = None,
    ) -> Any:
        context = browser.new_context(locale=locale, viewport={"width": 1360, "height": 900})
        page = context.new_page()
        if record is not None:  # the URL of every GET request the page makes, in order
            page.on("request", lambda r: record.append(r.url) if r.method == "GET" else None)
        watched = Watched(page)
        opened.append((watched, context, expect_errors))
        page.goto((base or server.url) + path)
        wait_drawn(page)
        return page

    yield open_
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for i, (watched, context, expect_errors) in enumerate(opened):
        try:
            watched.page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
        finally:
            context.close()
        if watched.errors and not expect_errors:
            problems.extend(watched.errors)
    assert not problems, "errors in the browser console:\n" + "\n".join(problems)


def wait_drawn(page: Any, timeout: float = 30_000) -> None:
    """Until the page script has finished drawing and every chart has drawn."""
    page.wait_for_function(
        "() => { const m = document.getElementById('page');"
        " return m && (m.dataset.state === 'ready' || m.dataset.state === 'error')"
        " && [...document.querySelectorAll('[data-chart]')].every(c => c.dataset.chart === 'ready'); }",
        timeout=timeout,
    )


def canvas_painted(page: Any, selector: str) -> bool:
    """Whether the chart at ``selector`` painted something: its canvas holds pixels of more than one
    colour (a blank canvas has one)."""
    return bool(
        page.evaluate(
            """(sel) => { const c = document.querySelector(sel + ' canvas'); if (!c) return false;
               const ctx = c.getContext('2d'); const d = ctx.getImageData(0, 0, c.width, c.height).data;
               const seen = new Set(); for (let i = 0; i < d.length; i += 4 * 97) {
                 seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2] + ',' + d[i+3]); if (seen.size > 2) return true; }
               return false; }""",
            selector,
        )
    )


def copy_project(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".northstar"))
    return dst
