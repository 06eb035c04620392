"""Feishu / Lark custom bots (the group "custom bot" webhook).

Format (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, Lark:
https://open.larksuite.com/document/client-docs/bot-v3/add-custom-bot): POST JSON
``{"msg_type": "post", "content": {"post": {"zh_cn" | "en_us": {"title": ..., "content": [[tags]]}}}}``
where each inner list is one line of ``{"tag": "text", "text": ...}`` and ``{"tag": "a", "text", "href"}``
elements. With signature verification on, the body also carries ``"timestamp"`` (seconds, as a
string, within an hour of the server's clock) and ``"sign"``. Feishu answers HTTP 200 with
``{"code": 0, "msg": "success"}``; any other ``code`` is a failure (19021: bad signature or stale
timestamp; 9499: bad request; 11232 and 99991400: rate limited, retried after
``x-ogw-ratelimit-reset`` seconds when given). Older deployments answer
``{"StatusCode": 0}``, read the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import ClassVar

import httpx

from northstar.notify.channel import JSON_HEADERS, HttpChannel, Request, json_body, json_code
from northstar.notify.message import LABELS, Alert, Lang, cause_lines, driver_lines, facts, title


# Signature: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot ("签名校验"):
# string_to_sign = f"{timestamp}\n{secret}" is the HMAC-SHA256 *key*, the message is empty, and
# the digest is base64-encoded.
def feishu_sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel(HttpChannel):
    kind = "feishu"
    # 11232: message rate limit; 99991400: the gateway's frequency limit (HTTP 429 or 400, with
    # x-ogw-ratelimit-reset). https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
    rate_limits: ClassVar[Mapping[int, float | None]] = {11232: None, 99991400: None}
    wait_headers = ("Retry-After", "x-ogw-ratelimit-reset")

    def __init__(self, url: str, *, secret: str | None = None, kind: str = "feishu", **kwargs: object):
        self.kind = kind  # "feishu" or "lark": same protocol, different host
        super().__init__(url, **kwargs)  # type: ignore[arg-type]
        self.secret = secret

    def payload(self, alert: Alert, lang: Lang) -> dict[str, object]:
        colon = "：" if lang == "zh" else ": "
        words = LABELS[lang]
        lines: list[list[dict[str, str]]] = [[{"tag": "text", "text": alert.summary(lang)}]]
        lines += [[{"tag": "text", "text": f"{k}{colon}{v}"}] for k, v in facts(alert, lang)]
        for heading, items in (
            (words["drivers"], driver_lines(alert, lang)),
            (words["causes"], cause_lines(alert, lang)),
        ):
            if items:
                lines.append([{"tag": "text", "text": heading + colon.rstrip()}])
                lines += [[{"tag": "text", "text": f"• {item}"}] for item in items]
        if alert.link:
            lines.append(
                [
                    {"tag": "text", "text": words["link"] + colon},
                    {"tag": "a", "text": alert.link, "href": alert.link},
                ]
            )
        locale = "zh_cn" if lang == "zh" else "en_us"
        body: dict[str, object] = {
            "msg_type": "post",
            "content": {"post": {locale: {"title": title(alert, lang), "content": lines}}},
        }
        if self.secret:
            timestamp = int(self.clock())
            body = {"timestamp": str(timestamp), "sign": feishu_sign(self.secret, timestamp), **body}
        return body

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        return Request(self.url, dict(JSON_HEADERS), json_body(self.payload(alert, lang or self.lang)))

    def check(self, response: httpx.Response) -> tuple[str | None, int | None]:
        return json_code(response, "code", "StatusCode")
