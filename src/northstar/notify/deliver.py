"""Delivery: retries with exponential backoff and jitter, and an outbox so an alert is never lost.

``deliver(alert, channel)`` tries up to ``RetryPolicy.attempts`` times (default 4). Before try
``n + 1`` it waits ``min(cap, base * factor ** (n - 1)) * (1 - jitter * u)`` seconds, ``u`` uniform in
[0, 1) — with the defaults 1, 2, 4 s, each up to 25 % shorter — unless the service sent
``Retry-After`` (on 429 or 503): then it waits exactly that long, and when that is longer than
``max_retry_after`` (120 s) it stops trying and leaves the wait to the outbox. A failure that is not
worth retrying (see ``channel.py``) ends the call at once.

The outbox (``Outbox`` protocol) is written *before* giving up: the first failed try records the
delivery as pending (``record_failure``) before any wait, so a process that dies while backing off
loses nothing; the last failed try records it again with its error and ``next_try`` =
now + ``outbox_delay`` (300 s), or later if ``Retry-After`` asks. A success removes the entry
(``record_success``). ``retry_due(outbox, channels, load_alert)`` sends every entry that is due
through ``deliver`` again, so an entry stays until a delivery succeeds; an entry whose channel is
no longer configured stays too, with that as its error.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from northstar.notify.channel import Attempt, Channel
from northstar.notify.message import Alert, Lang


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one delivery tries. Times in seconds."""

    attempts: int = 4
    base: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.25
    max_retry_after: float = 120.0
    outbox_delay: float = 300.0

    def wait(self, n: int, u: float) -> float:
        """The wait after failed try ``n`` (1-based), ``u`` uniform in [0, 1)."""
        return min(self.cap, self.base * self.factor ** (n - 1)) * (1 - self.jitter * u)


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one alert on one channel. ``next_try`` (epoch seconds) is set when the
    delivery failed and waits in the outbox."""

    channel: str
    ok: bool
    attempts: int
    status: int | None
    error: str | None
    next_try: float | None = None


@dataclass(frozen=True)
class Pending:
    """A delivery waiting in the outbox."""

    alert_id: str
    channel: str
    error: str
    next_try: float


class Outbox(Protocol):
    """Where failed deliveries wait. The alert database implements it; ``MemoryOutbox`` for tests.
    ``record_failure`` inserts or replaces the entry of (alert_id, channel)."""

    def record_failure(self, alert_id: str, channel: str, error: str, next_try: float) -> None: ...

    def record_success(self, alert_id: str, channel: str) -> None: ...

    def due(self, now: float) -> list[Pending]: ...


class MemoryOutbox:
    """An ``Outbox`` in a dict, for tests and one-off runs."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Pending] = {}

    def record_failure(self, alert_id: str, channel: str, error: str, next_try: float) -> None:
        self.entries[(alert_id, channel)] = Pending(alert_id, channel, error, next_try)

    def record_success(self, alert_id: str, channel: str) -> None:
        self.entries.pop((alert_id, channel), None)

    def due(self, now: float) -> list[Pending]:
        return sorted((p for p in self.entries.values() if p.next_try <= now), key=lambda p: p.next_try)


DEFAULT_POLICY = RetryPolicy()


def deliver(
    alert: Alert,
    channel: Channel,
    lang: Lang | None = None,
    *,
    outbox: Outbox | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
) -> DeliveryResult:
    """Send ``alert`` on ``channel`` (in ``lang``, default the channel's), retrying as the module
    docstring says. Never raises for a delivery failure: the result says what happened."""
    rng = rng or random.Random()
    own = client is None
    http = client or httpx.Client()
    language: Lang = lang or channel.lang
    attempt = Attempt(None, "no attempt")
    try:
        n = 0
        while n < policy.attempts:
            n += 1
            attempt = channel.attempt(alert, language, http)
            if attempt.error is None:
                if outbox is not None:
                    outbox.record_success(alert.id, channel.name)
                return DeliveryResult(channel.name, True, n, attempt.status, None)
            if n == 1 and outbox is not None:
                wait_all = sum(policy.wait(k, 0) for k in range(1, policy.attempts)) + policy.max_retry_after
                outbox.record_failure(
                    alert.id, channel.name, attempt.error, clock() + wait_all + policy.outbox_delay
                )
            if not attempt.retryable or n == policy.attempts:
                break
            if attempt.retry_after is not None:
                if attempt.retry_after > policy.max_retry_after:
                    break
                sleep(attempt.retry_after)
            else:
                sleep(policy.wait(n, rng.random()))
    finally:
        if own:
            http.close()
    error = attempt.error or "unknown error"
    next_try = clock() + max(policy.outbox_delay, attempt.retry_after or 0.0)
    if outbox is not None:
        outbox.record_failure(alert.id, channel.name, error, next_try)
    return DeliveryResult(
        channel.name, False, n, attempt.status, error, next_try if outbox is not None else None
    )


def notify(alert: Alert, channels: Iterable[Channel], **options: object) -> list[DeliveryResult]:
    """``deliver`` the alert on every channel, each in its own language."""
    return [deliver(alert, channel, **options) for channel in channels]  # type: ignore[arg-type]


def retry_due(
    outbox: Outbox,
    channels: Mapping[str, Channel] | Iterable[Channel],
    load_alert: Callable[[str], Alert],
    *,
    now: float | None = None,
    clock: Callable[[], float] = time.time,
    policy: RetryPolicy = DEFAULT_POLICY,
    **options: object,
) -> list[DeliveryResult]:
    """Deliver again every outbox entry due at ``now`` (default: ``clock()``)."""
    by_name = channels if isinstance(channels, Mapping) else {c.name: c for c in channels}
    results = []
    for pending in outbox.due(clock() if now is None else now):
        channel = by_name.get(pending.channel)
        if channel is None:
            error = f"channel {pending.channel!r} is not configured any more"
            next_try = clock() + policy.outbox_delay
            outbox.record_failure(pending.alert_id, pending.channel, error, next_try)
            results.append(DeliveryResult(pending.channel, False, 0, None, error, next_try))
            continue
        alert = load_alert(pending.alert_id)
        results.append(deliver(alert, channel, outbox=outbox, clock=clock, policy=policy, **options))  # type: ignore[arg-type]
    return results
