"""Fixtures for the notification tests: a real HTTP receiver on 127.0.0.1 and a sample alert."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from northstar.notify.message import Alert, Cause, Driver


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Receiver:
    """Records every POST; answers with the scripted (status, body, headers) in order, then
    with ``default``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, bytes, dict[str, str]] = (200, b"ok", {})

    def answer(self, status: int, body: bytes | str | dict[str, object] = b"", **headers: str) -> None:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.script.append((status, body, {k.replace("_", "-"): v for k, v in headers.items()}))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            with lock:
                state.requests.append(
                    Received(parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                )
                status, reply, headers = state.script.pop(0) if state.script else state.default
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def alert() -> Alert:
    return Alert(
        id="a-2026-11-26-orders",
        metric="orders",
        label_en="Orders",
        label_zh="订单数",
        slice={"channel": "app", "country": "CN"},
        period=date(2026, 11, 26),
        value=1234,
        expected=1706,
        change_pct=-27.67,
        rule="orders_drop",
        severity="critical",
        summary_en="Orders fell 27.7 % vs the previous day",
        summary_zh="订单数较前一天下降 27.7%",
        drivers=(Driver("visitors", -300, 0.6356), Driver("conversion", -172.0, 0.3644)),
        root_causes=(Cause({"channel": "app", "os": "ios"}, 0.81),),
        link="https://kpi.example.com/alerts/a-2026-11-26-orders",
    )
