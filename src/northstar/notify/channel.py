"""What every channel is: a name, a language, ``build`` (pure) and ``attempt`` (one try, no retry).

``build(alert, lang)`` returns a ``Request`` (url, headers, body bytes) and does no I/O, so a test can
check the exact bytes a service receives; signing reads the channel's ``clock`` (seconds since the
epoch, injectable). ``attempt`` sends once and classifies the outcome as an ``Attempt``; retries,
backoff and the outbox are ``deliver.py``'s job. ``send(alert, lang)`` is ``deliver.deliver``.

An HTTP attempt fails when the connection fails, the status is not 2xx, or the service says so in
a 200 body (``check``: Feishu ``code != 0``, DingTalk and WeCom ``errcode != 0``, Slack not ``ok``).
It is worth retrying on a connection error, 408, 429, 5xx, and the service's own rate-limit codes;
other failures (a wrong URL, key or signature) are not retried within the call, but still go to the
outbox, so fixing the configuration later delivers them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import httpx

from northstar.notify.message import Alert, Lang

if TYPE_CHECKING:
    from northstar.notify.deliver import DeliveryResult


class Request(NamedTuple):
    """What goes over the wire: POST ``body`` to ``url`` with ``headers``."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Attempt:
    """The outcome of one try. ``error`` is None on success; ``retry_after`` in seconds, if the
    service asked for a wait (HTTP ``Retry-After``)."""

    status: int | None
    error: str | None
    retryable: bool = False
    retry_after: float | None = None


JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
RETRY_STATUS = {408, 429, 500, 502, 503, 504}


def json_body(payload: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese stays readable, not ``\\u`` escaped)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, ending in "…" when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


class Channel:
    """Base of every channel. Subclasses set ``kind`` and implement ``build`` and ``attempt``."""

    kind = ""

    def __init__(self, name: str | None = None, lang: Lang = "en", clock: Any = None):
        self.name = name or self.kind
        self.lang: Lang = lang
        self.clock = clock or time.time

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        raise NotImplementedError

    def attempt(self, alert: Alert, lang: Lang, client: httpx.Client) -> Attempt:
        raise NotImplementedError

    def send(self, alert: Alert, lang: Lang | None = None, **options: Any) -> DeliveryResult:
        """Deliver with retries (``deliver.deliver``; ``options`` go to it: outbox, policy, sleep…)."""
        from northstar.notify.deliver import deliver

        return deliver(alert, self, lang, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, lang={self.lang!r})"


class HttpChannel(Channel):
    """A channel that POSTs JSON to a URL.

    ``rate_limits`` maps the service's own rate-limit codes to the wait they call for (seconds;
    None: the usual backoff); ``wait_headers`` are the headers that say how long to wait, read in
    order (``Retry-After`` everywhere; Feishu adds ``x-ogw-ratelimit-reset``)."""

    rate_limits: ClassVar[Mapping[int, float | None]] = {}
    wait_headers: tuple[str, ...] = ("Retry-After",)

    def __init__(self, url: str, *, timeout: float = 10.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.url = url
        self.timeout = timeout

    def check(self, response: httpx.Response) -> tuple[str | None, int | None]:
        """(error, service code) from the service's answer; (None, None) when it accepted the message."""
        return None, None

    def wait_asked(self, response: httpx.Response) -> float | None:
        for header in self.wait_headers:
            wait = retry_after(response.headers.get(header), self.clock())
            if wait is not None:
                return wait
        return None

    def attempt(self, alert: Alert, lang: Lang, client: httpx.Client) -> Attempt:
        request = self.build(alert, lang)
        try:
            response = client.post(
                request.url, headers=request.headers, content=request.body, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}", retryable=True)
        status = response.status_code
        wait = self.wait_asked(response)
        if 200 <= status < 300:
            error, code = self.check(response)
            if error is None:
                return Attempt(status, None)
        else:
            error, code = f"HTTP {status}: {response.text[:300]}", self.check(response)[1]
        if code is not None and code in self.rate_limits:
            return Attempt(status, error, True, wait if wait is not None else self.rate_limits[code])
        return Attempt(status, error, status in RETRY_STATUS, wait)


def json_code(response: httpx.Response, *keys: str) -> tuple[str | None, int | None]:
    """The error in a ``{"<key>": <code>, ...}`` body: the first of ``keys`` present, nonzero = error.
    A body that is not such JSON is an error too (the service did not say it accepted the message)."""
    try:
        data = response.json()
    except ValueError:
        return f"not a JSON answer: {response.text[:300]!r}", None
    if isinstance(data, dict):
        for key in keys:
            if key in data:
                code = data[key]
                if code in (0, "0"):
                    return None, None
                message = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
                return f"{key} {code}: {message}", int(code) if str(code).lstrip("-").isdigit() else None
    return f"unexpected answer: {response.text[:300]!r}", None
