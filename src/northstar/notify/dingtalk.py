"""DingTalk custom robots (群自定义机器人).

Format (https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages): POST JSON
``{"msgtype": "markdown", "markdown": {"title": <shown in the chat list>, "text": <markdown>}}`` to
``https://oapi.dingtalk.com/robot/send?access_token=...``. With "加签" on, the URL also gets
``&timestamp=<milliseconds>&sign=<signature>``. DingTalk answers HTTP 200 with
``{"errcode": 0, "errmsg": "ok"}``; any other ``errcode`` is a failure (310000: bad signature,
keyword or IP; 130101: more than 20 messages a minute — the robot is then throttled for 10
minutes, so the delivery waits 600 s, in the outbox).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import quote_plus

import httpx

from northstar.notify.channel import JSON_HEADERS, HttpChannel, Request, json_body, json_code
from northstar.notify.message import Alert, Lang, render_text, title


# Signature: https://open.dingtalk.com/document/robots/customize-robot-security-settings ("加签"):
# HMAC-SHA256 with the secret as key over f"{timestamp}\n{secret}" (timestamp in milliseconds),
# base64-encoded, then URL-encoded (UTF-8) as the ``sign`` query parameter.
def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


class DingTalkChannel(HttpChannel):
    kind = "dingtalk"
    # 130101: more than 20 messages in a minute; DingTalk then refuses the robot for 10 minutes.
    rate_limits: ClassVar[Mapping[int, float | None]] = {130101: 600.0}

    def __init__(self, url: str, *, secret: str | None = None, **kwargs: object):
        super().__init__(url, **kwargs)  # type: ignore[arg-type]
        self.secret = secret

    def signed_url(self) -> str:
        if not self.secret:
            return self.url
        timestamp = int(self.clock() * 1000)
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}timestamp={timestamp}&sign={dingtalk_sign(self.secret, timestamp)}"

    def payload(self, alert: Alert, lang: Lang) -> dict[str, object]:
        return {
            "msgtype": "markdown",
            "markdown": {"title": title(alert, lang), "text": render_text(alert, lang, "markdown")},
        }

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        return Request(
            self.signed_url(), dict(JSON_HEADERS), json_body(self.payload(alert, lang or self.lang))
        )

    def check(self, response: httpx.Response) -> tuple[str | None, int | None]:
        return json_code(response, "errcode")
