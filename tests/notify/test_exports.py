"""``northstar.notify`` exports exactly what the rest of issue 5 builds on."""

from __future__ import annotations

import northstar.notify as notify

EXPORTED = {
    "Alert", "Attempt", "Cause", "Channel", "DeliveryResult", "DingTalkChannel", "Driver", "EmailChannel",
    "FeishuChannel", "MemoryOutbox", "NotifyConfigError", "Outbox", "Pending", "Request", "RetryPolicy",
    "SlackChannel", "WeComChannel", "WebhookChannel", "channels", "deliver", "notify", "render_text", "retry_due",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(notify.__all__) == EXPORTED
    assert all(hasattr(notify, name) for name in EXPORTED)


def test_every_channel_kind_is_configurable() -> None:
    from northstar.notify.config import CHANNEL_TYPES

    kinds = {
        c.kind
        for c in (
            notify.SlackChannel,
            notify.DingTalkChannel,
            notify.WeComChannel,
            notify.WebhookChannel,
            notify.EmailChannel,
        )
    }
    assert kinds | {"feishu", "lark"} == set(CHANNEL_TYPES)
