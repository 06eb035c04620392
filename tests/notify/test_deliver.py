"""Retries, backoff, Retry-After and the outbox, against the real local HTTP receiver.

Waits are checked against the formula written out here: before try n + 1 the wait is
min(cap, base * factor ** (n - 1)) * (1 - jitter * u)."""

from __future__ import annotations

import random
import socket

import pytest

from northstar.notify import (
    DeliveryResult,
    DingTalkChannel,
    FeishuChannel,
    MemoryOutbox,
    RetryPolicy,
    WeComChannel,
    deliver,
    notify,
    retry_due,
)
from northstar.notify.message import Alert
from northstar.notify.slack import SlackChannel
from tests.notify.conftest import Receiver

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def expected_waits(policy: RetryPolicy, seed: int, n: int) -> list[float]:
    rng = random.Random(seed)
    return [
        min(policy.cap, policy.base * policy.factor**k) * (1 - policy.jitter * rng.random()) for k in range(n)
    ]


def test_retries_5xx_then_succeeds_with_backoff(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(500, "boom")
    receiver.answer(503, "busy")
    clock = Clock()
    outbox = MemoryOutbox()
    result = deliver(
        alert,
        SlackChannel(receiver.url, clock=clock),
        outbox=outbox,
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(7),
    )
    assert result == DeliveryResult("slack", True, 3, 200, None)
    assert clock.waits == pytest.approx(expected_waits(RetryPolicy(), 7, 2))
    assert 0.75 <= clock.waits[0] <= 1 and 1.5 <= clock.waits[1] <= 2
    assert len(receiver.requests) == 3
    assert outbox.entries == {}  # recorded at the first failure, cleared by the success


def test_the_outbox_holds_it_before_the_first_wait(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(502, "bad gateway")
    clock = Clock()
    outbox = MemoryOutbox()
    seen: list[object] = []

    def sleep(seconds: float) -> None:  # the process could die here: the alert must already be kept
        seen.append(dict(outbox.entries))
        clock.sleep(seconds)

    deliver(
        alert,
        SlackChannel(receiver.url, clock=clock),
        outbox=outbox,
        sleep=sleep,
        clock=clock,
        rng=random.Random(1),
    )
    pending = seen[0][(alert.id, "slack")]  # type: ignore[index]
    assert pending.error == "HTTP 502: bad gateway"
    assert pending.next_try > T0 + 300


def test_gives_up_after_all_attempts_and_retry_due_delivers(receiver: Receiver, alert: Alert) -> None:
    policy = RetryPolicy(attempts=3, base=2, factor=3, cap=5, jitter=0.5)
    receiver.default = (500, b"down", {})
    clock = Clock()
    outbox = MemoryOutbox()
    channel = SlackChannel(receiver.url, clock=clock)
    result = deliver(
        alert, channel, outbox=outbox, policy=policy, sleep=clock.sleep, clock=clock, rng=random.Random(3)
    )
    assert (result.ok, result.attempts, result.status, result.error) == (False, 3, 500, "HTTP 500: down")
    assert clock.waits == pytest.approx(expected_waits(policy, 3, 2))
    assert clock.waits[1] <= 5  # capped: 2 * 3 = 6 > 5
    assert result.next_try == pytest.approx(clock.now + 300)
    (pending,) = outbox.entries.values()
    assert (pending.alert_id, pending.channel, pending.error, pending.next_try) == (
        alert.id,
        "slack",
        "HTTP 500: down",
        result.next_try,
    )

    alerts = {alert.id: alert}
    assert outbox.due(clock.now) == []
    assert (
        retry_due(outbox, [channel], alerts.__getitem__, clock=clock, sleep=clock.sleep, policy=policy) == []
    )

    clock.now += 300
    receiver.default = (200, b"ok", {})
    results = retry_due(outbox, [channel], alerts.__getitem__, clock=clock, sleep=clock.sleep, policy=policy)
    assert [(r.channel, r.ok, r.attempts) for r in results] == [("slack", True, 1)]
    assert outbox.entries == {}
    assert len(receiver.requests) == 4


def test_retry_after_is_honoured(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(429, "rate_limited", Retry_After="7")
    clock = Clock()
    result = deliver(alert, SlackChannel(receiver.url, clock=clock), sleep=clock.sleep, clock=clock)
    assert result.ok and result.attempts == 2
    assert clock.waits == [7.0]


def test_a_long_retry_after_is_left_to_the_outbox(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(429, "rate_limited", Retry_After="600")
    clock = Clock()
    outbox = MemoryOutbox()
    result = deliver(
        alert, SlackChannel(receiver.url, clock=clock), outbox=outbox, sleep=clock.sleep, clock=clock
    )
    assert (result.ok, result.attempts, result.status) == (False, 1, 429)
    assert clock.waits == []
    assert outbox.entries[(alert.id, "slack")].next_try == T0 + 600


def test_a_client_error_is_not_retried_but_kept(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    clock = Clock()
    outbox = MemoryOutbox()
    result = deliver(
        alert, WeComChannel(receiver.url, clock=clock), outbox=outbox, sleep=clock.sleep, clock=clock
    )
    assert (result.ok, result.attempts, result.error) == (False, 1, "errcode 93000: invalid webhook url")
    assert clock.waits == []
    assert (alert.id, "wecom") in outbox.entries


def test_service_rate_limit_code_is_retried(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    receiver.default = (200, b'{"errcode":0,"errmsg":"ok"}', {})
    clock = Clock()
    result = deliver(
        alert, WeComChannel(receiver.url, clock=clock), sleep=clock.sleep, clock=clock, rng=random.Random(0)
    )
    assert result.ok and result.attempts == 2
    assert clock.waits == [60.0]  # WeCom allows 20 messages a minute


def test_dingtalk_throttle_goes_to_the_outbox_for_ten_minutes(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    clock = Clock()
    outbox = MemoryOutbox()
    channel = DingTalkChannel(receiver.url + "/robot/send?access_token=t", clock=clock)
    result = deliver(alert, channel, outbox=outbox, sleep=clock.sleep, clock=clock)
    assert (result.ok, result.attempts, result.next_try) == (False, 1, T0 + 600)
    assert clock.waits == [] and len(receiver.requests) == 1
    assert (
        outbox.entries[(alert.id, "dingtalk")].error
        == "errcode 130101: send too fast, exceed 20 times per minute"
    )


def test_feishu_gateway_limit_waits_the_reset_header(receiver: Receiver, alert: Alert) -> None:
    receiver.answer(
        429, {"code": 99991400, "msg": "request trigger frequency limit"}, x_ogw_ratelimit_reset="3"
    )
    receiver.answer(400, {"code": 99991400, "msg": "request trigger frequency limit"})
    receiver.default = (200, b'{"code":0,"msg":"success"}', {})
    clock = Clock()
    result = deliver(
        alert, FeishuChannel(receiver.url, clock=clock), sleep=clock.sleep, clock=clock, rng=random.Random(5)
    )
    assert result.ok and result.attempts == 3
    # the header's 3 s, then the backoff for try 3 (2 s less up to 25 %), with the first draw of the rng
    assert clock.waits == pytest.approx([3.0, 2 * (1 - 0.25 * random.Random(5).random())])


def test_connection_refused_is_retried_then_kept(alert: Alert) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = Clock()
    outbox = MemoryOutbox()
    result = deliver(
        alert,
        SlackChannel(f"http://127.0.0.1:{port}", clock=clock),
        outbox=outbox,
        sleep=clock.sleep,
        clock=clock,
    )
    assert (result.ok, result.attempts, result.status) == (False, 4, None)
    assert result.error is not None and result.error.startswith("ConnectError")
    assert len(clock.waits) == 3


def test_notify_sends_each_channel_in_its_language(receiver: Receiver, alert: Alert) -> None:
    receiver.default = (200, b'{"errcode":0,"errmsg":"ok"}', {})
    zh = WeComChannel(receiver.url + "/zh", name="cn-ops", lang="zh")
    en = WeComChannel(receiver.url + "/en", name="global", lang="en")
    results = notify(alert, [zh, en])
    assert [(r.channel, r.ok) for r in results] == [("cn-ops", True), ("global", True)]
    texts = {r.path: r.json()["markdown"]["content"] for r in receiver.requests}  # type: ignore[index]
    assert texts["/zh"].startswith("**【严重】订单数**") and texts["/en"].startswith("**[Critical] Orders**")


def test_retry_due_keeps_an_entry_whose_channel_is_gone(alert: Alert) -> None:
    outbox = MemoryOutbox()
    outbox.record_failure(alert.id, "old", "HTTP 500", T0)
    clock = Clock()
    (result,) = retry_due(outbox, {}, {alert.id: alert}.__getitem__, clock=clock)
    assert not result.ok and "not configured" in (result.error or "")
    assert outbox.entries[(alert.id, "old")].next_try == T0 + 300


def test_send_is_deliver(receiver: Receiver, alert: Alert) -> None:
    assert SlackChannel(receiver.url).send(alert, "zh").ok
    assert "【严重】订单数" in receiver.requests[0].json()["text"]  # type: ignore[index]
