"""WeCom (企业微信) group robots.

Format (https://developer.work.weixin.qq.com/document/path/91770): POST JSON
``{"msgtype": "markdown", "markdown": {"content": <markdown, at most 4096 UTF-8 bytes>}}`` to
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>``. There is no request signing: the
``key`` in the URL is the secret. WeCom answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``;
any other ``errcode`` is a failure (93000: bad key; 45009: more than 20 messages a minute,
retried after 60 s, in the outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import httpx

from northstar.notify.channel import JSON_HEADERS, HttpChannel, Request, json_body, json_code, truncate_bytes
from northstar.notify.message import Alert, Lang, render_text

WECOM_MARKDOWN_BYTES = 4096


class WeComChannel(HttpChannel):
    kind = "wecom"
    # 45009: over the robot's 20 messages a minute.
    rate_limits: ClassVar[Mapping[int, float | None]] = {45009: 60.0}

    def payload(self, alert: Alert, lang: Lang) -> dict[str, object]:
        text = truncate_bytes(render_text(alert, lang, "markdown"), WECOM_MARKDOWN_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": text}}

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        return Request(self.url, dict(JSON_HEADERS), json_body(self.payload(alert, lang or self.lang)))

    def check(self, response: httpx.Response) -> tuple[str | None, int | None]:
        return json_code(response, "errcode")
