"""Slack incoming webhooks.

Format (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks, formerly
https://api.slack.com/messaging/webhooks; blocks: https://docs.slack.dev/reference/block-kit/blocks):
POST JSON ``{"text": <fallback for notifications>, "blocks": [header, section]}`` — a ``header``
block (``plain_text``, at most 150 characters) with the title and a ``section`` block (``mrkdwn``, at
most 3000 characters) with ``render_text(alert, lang, "slack")``. Slack answers ``200`` with the body
``ok``; errors come as 4xx with a text such as ``invalid_payload`` or ``no_service``, and 429 with
``Retry-After``. Incoming webhooks are not signed: the URL is the secret.
"""

from __future__ import annotations

import httpx

from northstar.notify.channel import JSON_HEADERS, HttpChannel, Request, json_body
from northstar.notify.message import Alert, Lang, render_text, title


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SlackChannel(HttpChannel):
    kind = "slack"

    def payload(self, alert: Alert, lang: Lang) -> dict[str, object]:
        return {
            "text": f"{title(alert, lang)}: {alert.summary(lang)}",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": cut(title(alert, lang), 150)}},
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": cut(render_text(alert, lang, "slack"), 3000)},
                },
            ],
        }

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        return Request(self.url, dict(JSON_HEADERS), json_body(self.payload(alert, lang or self.lang)))

    def check(self, response: httpx.Response) -> tuple[str | None, int | None]:
        text = response.text.strip()
        return (None, None) if text == "ok" else (f"Slack answered {text[:300]!r}", None)
