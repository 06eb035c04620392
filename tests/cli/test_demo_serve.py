"""``northstar demo`` serves the dashboard after its report (as ``northstar serve <folder>``), on
``--host``/``--port``; ``--no-serve`` only prints the report (tests/cli/test_walkthrough.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_its_dashboard_and_prints_the_address(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "northstar.cli.main", "demo", str(tmp_path / "demo"), "--users", "2000",
             "--days", "45", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "120"},
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "the demo did not serve in 180 s"
                try:
                    answer = httpx.get(f"{base}/api/project", timeout=5)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert answer.status_code == 200 and answer.json()["north_star"] == "repurchase_30d"
            alerts = httpx.get(f"{base}/api/alerts", timeout=30).json()
            assert alerts and all(a["state"] == "open" for a in alerts)  # the last 28 days' watch
            page = httpx.get(f"{base}/", timeout=30)
            assert page.status_code == 200 and 'data-page="overview"' in page.text
        finally:
            proc.terminate()
            proc.wait(30)
    printed = log.read_text(errors="replace")
    assert "30-day repurchase rate" in printed  # the report first
    assert f"Serving Northstar Demo Shop on http://127.0.0.1:{port}" in printed
    assert (tmp_path / "demo" / "northstar.yml").exists()
