"""Alert notifications: Slack, Feishu/Lark, DingTalk, WeCom, a generic JSON webhook and e-mail.

``message.py`` holds the ``Alert`` and its text (en/zh); one module per channel builds the exact
request its service expects (``build``, pure, signed with an injectable clock); ``deliver.py``
sends with retries and keeps failed deliveries in an ``Outbox`` until ``retry_due`` succeeds;
``config.py`` reads the ``notify:`` entries, secrets from environment variables.
"""

from northstar.notify.channel import Attempt, Channel, Request
from northstar.notify.config import NotifyConfigError, channels
from northstar.notify.deliver import (
    DeliveryResult,
    MemoryOutbox,
    Outbox,
    Pending,
    RetryPolicy,
    deliver,
    notify,
    retry_due,
)
from northstar.notify.dingtalk import DingTalkChannel
from northstar.notify.email import EmailChannel
from northstar.notify.feishu import FeishuChannel
from northstar.notify.message import Alert, Cause, Driver, render_text
from northstar.notify.slack import SlackChannel
from northstar.notify.webhook import WebhookChannel
from northstar.notify.wecom import WeComChannel

__all__ = [
    "Alert",
    "Attempt",
    "Cause",
    "Channel",
    "DeliveryResult",
    "DingTalkChannel",
    "Driver",
    "EmailChannel",
    "FeishuChannel",
    "MemoryOutbox",
    "NotifyConfigError",
    "Outbox",
    "Pending",
    "Request",
    "RetryPolicy",
    "SlackChannel",
    "WeComChannel",
    "WebhookChannel",
    "channels",
    "deliver",
    "notify",
    "render_text",
    "retry_due",
]
