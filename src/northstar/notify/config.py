"""The ``notify:`` section: one entry per channel, secrets from environment variables.

::

    notify:
      - {type: feishu, url: "${FEISHU_URL}", secret: "${FEISHU_SECRET}", lang: zh}
      - {type: slack, name: oncall, url: "${SLACK_WEBHOOK}"}
      - {type: email, host: smtp.example.com, sender: kpi@example.com, to: [ops@example.com],
         username: kpi, password: "${SMTP_PASSWORD}"}

Keys per ``type``: ``slack`` (url), ``feishu`` / ``lark`` (url, secret), ``dingtalk`` (url, secret),
``wecom`` (url), ``webhook`` (url, secret, headers), ``email`` (host, port, security: starttls | ssl |
plain, username, password, sender, to); every entry has ``name`` (default: its type; unique),
``lang`` (``en`` or ``zh``, default ``en``) and ``timeout`` (seconds, default 10). Any string value
may hold ``${VAR}``, replaced by the environment variable ``VAR`` when the channels are built
(``channels(entries, env)``), so secrets never sit in the file; a variable that is not set is an
error naming it, in English and Chinese. ``$${`` is a literal ``${``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from northstar.errors import UserError
from northstar.notify.channel import Channel
from northstar.notify.dingtalk import DingTalkChannel
from northstar.notify.email import EmailChannel
from northstar.notify.feishu import FeishuChannel
from northstar.notify.slack import SlackChannel
from northstar.notify.webhook import WebhookChannel
from northstar.notify.wecom import WeComChannel
from northstar.spec.models import Strict
from northstar.spec.suggest import did_you_mean

CHANNEL_TYPES = ("slack", "feishu", "lark", "dingtalk", "wecom", "webhook", "email")
VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class NotifyConfigError(UserError):
    """A ``notify:`` entry is invalid or names an environment variable that is not set."""


class ChannelBase(Strict):
    name: str | None = None
    lang: Literal["en", "zh"] = "en"
    timeout: float = Field(10.0, gt=0)


class SlackConfig(ChannelBase):
    type: Literal["slack"]
    url: str


class FeishuConfig(ChannelBase):
    type: Literal["feishu", "lark"]
    url: str
    secret: str | None = None


class DingTalkConfig(ChannelBase):
    type: Literal["dingtalk"]
    url: str
    secret: str | None = None


class WeComConfig(ChannelBase):
    type: Literal["wecom"]
    url: str


class WebhookConfig(ChannelBase):
    type: Literal["webhook"]
    url: str
    secret: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class EmailConfig(ChannelBase):
    type: Literal["email"]
    host: str
    port: int | None = Field(None, gt=0, lt=65536)
    security: Literal["starttls", "ssl", "plain"] = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str
    to: list[str] = Field(min_length=1)


ChannelConfig = Annotated[
    SlackConfig | FeishuConfig | DingTalkConfig | WeComConfig | WebhookConfig | EmailConfig,
    Field(discriminator="type"),
]


def expand(value: str, env: Mapping[str, str], where: str) -> str:
    """``value`` with each ``${VAR}`` replaced by ``env[VAR]``."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "${"
        if name not in env:
            raise NotifyConfigError(
                f"notify: {where} uses ${{{name}}}, but the environment variable {name} is not set"
                f" — set it (export {name}=...) before running",
                f"notify：{where} 引用了 ${{{name}}}，但环境变量 {name} 未设置 — 请先设置（export {name}=...）再运行",
            )
        return env[name]

    return VARIABLE.sub(one, value)


def expand_all(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        return expand(value, env, where)
    if isinstance(value, list):
        return [expand_all(v, env, where) for v in value]
    if isinstance(value, dict):
        return {k: expand_all(v, env, f"{where}.{k}") for k, v in value.items()}
    return value


def parse_entry(
    data: Any, index: int
) -> SlackConfig | FeishuConfig | DingTalkConfig | WeComConfig | WebhookConfig | EmailConfig:
    """One ``notify:`` entry as a model (``${VAR}`` not yet replaced)."""
    from pydantic import TypeAdapter

    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in CHANNEL_TYPES:
        known = ", ".join(CHANNEL_TYPES)
        raise NotifyConfigError(
            f"notify[{index}]: unknown channel type {kind!r}{did_you_mean(str(kind), CHANNEL_TYPES)}; known: {known}",
            f"notify[{index}]：未知的通道类型 {kind!r}{did_you_mean(str(kind), CHANNEL_TYPES, 'zh')}；可用：{known}",
        )
    try:
        return TypeAdapter(ChannelConfig).validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or kind}: {e['msg']}" for e in exc.errors()
        )
        raise NotifyConfigError(
            f"notify[{index}] ({kind}): {problems}", f"notify[{index}]（{kind}）配置有误：{problems}"
        ) from None


def build_channel(entry: Any, env: Mapping[str, str], where: str) -> Channel:
    values = expand_all(entry.model_dump(exclude={"type"}), env, where)
    url = values.get("url")
    if url is not None and not re.match(r"https?://[^/\s]+", url):
        raise NotifyConfigError(
            f"notify: {where}.url must be an http:// or https:// address, not {url!r}",
            f"notify：{where}.url 必须是 http:// 或 https:// 开头的地址，而不是 {url!r}",
        )
    common = {"name": values.pop("name") or entry.type, "lang": values.pop("lang")}
    if isinstance(entry, SlackConfig):
        return SlackChannel(values["url"], timeout=values["timeout"], **common)
    if isinstance(entry, FeishuConfig):
        return FeishuChannel(
            values["url"], secret=values["secret"], kind=entry.type, timeout=values["timeout"], **common
        )
    if isinstance(entry, DingTalkConfig):
        return DingTalkChannel(values["url"], secret=values["secret"], timeout=values["timeout"], **common)
    if isinstance(entry, WeComConfig):
        return WeComChannel(values["url"], timeout=values["timeout"], **common)
    if isinstance(entry, WebhookConfig):
        return WebhookChannel(
            values["url"],
            secret=values["secret"],
            headers=values["headers"],
            timeout=values["timeout"],
            **common,
        )
    return EmailChannel(**values, **common)


def channels(entries: Sequence[Any], env: Mapping[str, str] | None = None) -> list[Channel]:
    """The channels of a ``notify:`` list (dicts as in the YAML, or parsed models), ``${VAR}``
    read from ``env`` (default ``os.environ``). Names must be unique: the outbox keys by them."""
    env = os.environ if env is None else env
    built: list[Channel] = []
    for i, data in enumerate(entries):
        entry = data if isinstance(data, Strict) else parse_entry(data, i)
        built.append(build_channel(entry, env, f"notify[{i}]"))
    names = [c.name for c in built]
    for name in names:
        if names.count(name) > 1:
            raise NotifyConfigError(
                f"notify: two channels are named {name!r} — give each a different `name:`",
                f"notify：有两个通道都叫 {name!r} — 请用 `name:` 给每个通道起不同的名字",
            )
    return built
