"""A generic JSON webhook: the alert as data, for your own service.

Body: ``{"id", "metric", "label", "slice", "period" (ISO), "value", "expected", "change_pct",
"rule", "severity", "summary", "text" (``render_text`` markdown), "drivers": [{"name",
"contribution", "share"}], "root_causes": [{"combination", "share"}], "link", "lang"}``.
Any 2xx status is success. With a ``secret``, two headers let the receiver check origin and
freshness: ``X-Northstar-Timestamp`` (seconds) and ``X-Northstar-Signature`` =
``"sha256=" + hex(HMAC-SHA256(secret, f"{timestamp}.".encode() + body))`` — the same scheme as
Stripe's and GitHub's webhook signatures; extra fixed ``headers`` (e.g. an auth token) are sent as given.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from northstar.notify.channel import JSON_HEADERS, HttpChannel, Request, json_body
from northstar.notify.message import Alert, Lang, period_text, render_text


def webhook_sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class WebhookChannel(HttpChannel):
    kind = "webhook"

    def __init__(
        self, url: str, *, secret: str | None = None, headers: dict[str, str] | None = None, **kwargs: Any
    ):
        super().__init__(url, **kwargs)
        self.secret = secret
        self.headers = dict(headers or {})

    def payload(self, alert: Alert, lang: Lang) -> dict[str, object]:
        return {
            "id": alert.id,
            "metric": alert.metric,
            "label": alert.label(lang),
            "slice": dict(alert.slice),
            "period": period_text(alert.period),
            "value": alert.value,
            "expected": alert.expected,
            "change_pct": alert.change_pct,
            "rule": alert.rule,
            "severity": alert.severity,
            "summary": alert.summary(lang),
            "text": render_text(alert, lang, "markdown"),
            "drivers": [
                {"name": d.name, "contribution": d.contribution, "share": d.share} for d in alert.drivers
            ],
            "root_causes": [
                {"combination": dict(c.combination), "share": c.share} for c in alert.root_causes
            ],
            "link": alert.link,
            "lang": lang,
        }

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        body = json_body(self.payload(alert, lang or self.lang))
        headers = {**JSON_HEADERS, **self.headers}
        if self.secret:
            timestamp = int(self.clock())
            headers["X-Northstar-Timestamp"] = str(timestamp)
            headers["X-Northstar-Signature"] = webhook_sign(self.secret, timestamp, body)
        return Request(self.url, headers, body)
