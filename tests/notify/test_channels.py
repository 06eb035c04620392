"""Each service's exact request, its signature computed here independently (hmac, hashlib, base64),
and what each service's answers mean — sent to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

import httpx
import pytest

from northstar.notify import (
    DingTalkChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
)
from northstar.notify.message import Alert, render_text
from tests.notify.conftest import Receiver

NOW = 1_764_115_200.25  # 2025-11-26 00:00:00.25 UTC
SECRET = "SEC0123456789abcdef"


def clock() -> float:
    return NOW


def post(channel: object, alert: Alert, lang: str = "en") -> tuple[bool, str | None]:
    with httpx.Client() as client:
        result = channel.attempt(alert, lang, client)  # type: ignore[attr-defined]
    return result.error is None, result.error


def test_slack_body(receiver: Receiver, alert: Alert) -> None:
    channel = SlackChannel(receiver.url + "/services/T0/B0/x", clock=clock)
    url, headers, body = channel.build(alert, "en")
    assert url == receiver.url + "/services/T0/B0/x"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {
        "text": "[Critical] Orders: Orders fell 27.7 % vs the previous day",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "[Critical] Orders"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": render_text(alert, "en", "slack")}},
        ],
    }
    assert post(channel, alert) == (True, None)
    assert receiver.requests[0].path == "/services/T0/B0/x"
    assert receiver.requests[0].body == body


def test_slack_long_text_is_cut(alert: Alert) -> None:
    long = Alert(**{**alert.__dict__, "summary_en": "x" * 5000, "label_en": "y" * 300})
    blocks = json.loads(SlackChannel("http://h", clock=clock).build(long, "en").body)["blocks"]
    assert len(blocks[0]["text"]["text"]) == 150 and blocks[0]["text"]["text"].endswith("…")
    assert len(blocks[1]["text"]["text"]) == 3000


@pytest.mark.parametrize(
    ("status", "reply", "ok"), [(200, "ok", True), (200, "no_text", False), (404, "no_service", False)]
)
def test_slack_answers(receiver: Receiver, alert: Alert, status: int, reply: str, ok: bool) -> None:
    receiver.answer(status, reply)
    assert post(SlackChannel(receiver.url, clock=clock), alert)[0] is ok


def test_feishu_signed_post_zh(receiver: Receiver, alert: Alert) -> None:
    channel = FeishuChannel(receiver.url + "/open-apis/bot/v2/hook/abc", secret=SECRET, clock=clock)
    _, _, body = channel.build(alert, "zh")
    payload = json.loads(body)
    timestamp = "1764115200"
    expected_sign = base64.b64encode(
        hmac.new(f"{timestamp}\n{SECRET}".encode(), b"", digestmod=hashlib.sha256).digest()
    ).decode()
    assert payload["timestamp"] == timestamp
    assert payload["sign"] == expected_sign
    assert payload["msg_type"] == "post"
    post_zh = payload["content"]["post"]["zh_cn"]
    assert post_zh["title"] == "【严重】订单数"
    assert post_zh["content"] == [
        [{"tag": "text", "text": "订单数较前一天下降 27.7%"}],
        [{"tag": "text", "text": "周期：2026-11-26"}],
        [{"tag": "text", "text": "切片：channel=app, country=CN"}],
        [{"tag": "text", "text": "数值：1,234"}],
        [{"tag": "text", "text": "预期：1,706"}],
        [{"tag": "text", "text": "变化：-27.7%"}],
        [{"tag": "text", "text": "规则：orders_drop"}],
        [{"tag": "text", "text": "主要驱动因素："}],
        [{"tag": "text", "text": "• visitors: -300 (63.6%)"}],
        [{"tag": "text", "text": "• conversion: -172 (36.4%)"}],
        [{"tag": "text", "text": "根因："}],
        [{"tag": "text", "text": "• channel=app, os=ios: 81.0%"}],
        [{"tag": "text", "text": "详情："}, {"tag": "a", "text": alert.link, "href": alert.link}],
    ]
    assert "订单数较前一天下降" in body.decode("utf-8")  # UTF-8, not \\u escapes
    receiver.answer(200, {"code": 0, "msg": "success", "data": {}})
    assert post(channel, alert, "zh") == (True, None)
    assert receiver.requests[0].json() == payload


def test_feishu_unsigned_en_has_no_sign(alert: Alert) -> None:
    payload = json.loads(FeishuChannel("http://h", clock=clock).build(alert, "en").body)
    assert set(payload) == {"msg_type", "content"}
    assert list(payload["content"]["post"]) == ["en_us"]


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ({"code": 0, "msg": "success"}, True),
        ({"StatusCode": 0, "StatusMessage": "success"}, True),
        (
            {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},
            False,
        ),
        ("<html>", False),
    ],
)
def test_feishu_answers(receiver: Receiver, alert: Alert, reply: object, ok: bool) -> None:
    receiver.answer(200, reply)  # type: ignore[arg-type]
    done, error = post(FeishuChannel(receiver.url, secret=SECRET, clock=clock), alert)
    assert done is ok
    if reply == {
        "code": 19021,
        "msg": "sign match fail or timestamp is not within one hour from current time",
    }:
        assert error is not None and "19021" in error and "sign match fail" in error


def test_dingtalk_signed_url_and_markdown(receiver: Receiver, alert: Alert) -> None:
    channel = DingTalkChannel(receiver.url + "/robot/send?access_token=tok", secret=SECRET, clock=clock)
    url, _, body = channel.build(alert, "zh")
    timestamp = "1764115200250"  # milliseconds
    digest = hmac.new(SECRET.encode("utf-8"), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    expected_sign = urllib.parse.quote_plus(base64.b64encode(digest))
    assert url == f"{receiver.url}/robot/send?access_token=tok&timestamp={timestamp}&sign={expected_sign}"
    assert json.loads(body) == {
        "msgtype": "markdown",
        "markdown": {"title": "【严重】订单数", "text": render_text(alert, "zh", "markdown")},
    }
    receiver.answer(200, {"errcode": 0, "errmsg": "ok"})
    assert post(channel, alert, "zh") == (True, None)
    got = receiver.requests[0]
    assert got.path == "/robot/send"
    # the receiver decodes the query once: the sign it reads is the base64 digest itself
    assert got.query == {
        "access_token": ["tok"],
        "timestamp": [timestamp],
        "sign": [base64.b64encode(digest).decode()],
    }


def test_dingtalk_error_code(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(200, {"errcode": 310000, "errmsg": "sign not match"})
    done, error = post(
        DingTalkChannel(receiver.url + "/robot/send?access_token=t", secret=SECRET, clock=clock), alert
    )
    assert not done and error == "errcode 310000: sign not match"


def test_wecom_markdown(receiver: Receiver, alert: Alert) -> None:
    channel = WeComChannel(receiver.url + "/cgi-bin/webhook/send?key=k-1", clock=clock)
    url, _, body = channel.build(alert, "en")
    assert url == receiver.url + "/cgi-bin/webhook/send?key=k-1"
    assert json.loads(body) == {
        "msgtype": "markdown",
        "markdown": {"content": render_text(alert, "en", "markdown")},
    }
    receiver.answer(200, {"errcode": 0, "errmsg": "ok"})
    assert post(channel, alert) == (True, None)
    assert receiver.requests[0].query == {"key": ["k-1"]}
    receiver.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    assert post(channel, alert) == (False, "errcode 93000: invalid webhook url")


def test_wecom_cuts_at_4096_bytes(alert: Alert) -> None:
    long = Alert(**{**alert.__dict__, "summary_zh": "下降" * 2000})
    content = json.loads(WeComChannel("http://h", clock=clock).build(long, "zh").body)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 and content.endswith("…")


def test_webhook_body_and_signature(receiver: Receiver, alert: Alert) -> None:
    channel = WebhookChannel(
        receiver.url + "/hook", secret="s3", headers={"Authorization": "Bearer t"}, clock=clock
    )
    _, headers, body = channel.build(alert, "en")
    assert json.loads(body) == {
        "id": "a-2026-11-26-orders",
        "metric": "orders",
        "label": "Orders",
        "slice": {"channel": "app", "country": "CN"},
        "period": "2026-11-26",
        "value": 1234,
        "expected": 1706,
        "change_pct": -27.67,
        "rule": "orders_drop",
        "severity": "critical",
        "summary": "Orders fell 27.7 % vs the previous day",
        "text": render_text(alert, "en", "markdown"),
        "drivers": [
            {"name": "visitors", "contribution": -300, "share": 0.6356},
            {"name": "conversion", "contribution": -172.0, "share": 0.3644},
        ],
        "root_causes": [{"combination": {"channel": "app", "os": "ios"}, "share": 0.81}],
        "link": alert.link,
        "lang": "en",
    }
    expected = "sha256=" + hmac.new(b"s3", b"1764115200." + body, hashlib.sha256).hexdigest()
    assert headers["X-Northstar-Signature"] == expected
    assert headers["X-Northstar-Timestamp"] == "1764115200"
    receiver.answer(204)
    assert post(channel, alert) == (True, None)
    got = receiver.requests[0]
    assert got.headers["Authorization"] == "Bearer t"
    assert got.headers["X-Northstar-Signature"] == expected
    assert got.body == body
