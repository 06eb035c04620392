"""The ``notify:`` entries: channels built from YAML, secrets from the environment, errors in en/zh."""

from __future__ import annotations

import pytest
import yaml

from northstar.notify import (
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    NotifyConfigError,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    channels,
)

YAML = """
notify:
  - {type: feishu, url: "${FEISHU_URL}", secret: "${FEISHU_SECRET}", lang: zh}
  - {type: lark, name: lark-intl, url: "https://open.larksuite.com/open-apis/bot/v2/hook/x"}
  - {type: slack, name: oncall, url: "${SLACK_WEBHOOK}", timeout: 3}
  - {type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=${DING_TOKEN}", secret: "${DING_SECRET}", lang: zh}
  - {type: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${WECOM_KEY}"}
  - {type: webhook, url: "https://hooks.example.com/kpi", secret: "${HOOK_SECRET}", headers: {Authorization: "Bearer ${HOOK_TOKEN}"}}
  - type: email
    host: smtp.example.com
    port: 465
    security: ssl
    username: kpi
    password: "${SMTP_PASSWORD}"
    sender: kpi@example.com
    to: [ops@example.com, "cost$${not-a-var}@example.com"]
"""

ENV = {
    "FEISHU_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
    "FEISHU_SECRET": "fs",
    "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/C",
    "DING_TOKEN": "dt",
    "DING_SECRET": "ds",
    "WECOM_KEY": "wk",
    "HOOK_SECRET": "hs",
    "HOOK_TOKEN": "ht",
    "SMTP_PASSWORD": "pw",
}


def entries() -> list[object]:
    return yaml.safe_load(YAML)["notify"]  # type: ignore[no-any-return]


def test_every_type_with_secrets_from_the_environment() -> None:
    feishu, lark, slack, ding, wecom, hook, mail = channels(entries(), ENV)  # type: ignore[arg-type]
    assert isinstance(feishu, FeishuChannel) and (feishu.name, feishu.kind, feishu.lang) == (
        "feishu",
        "feishu",
        "zh",
    )
    assert (feishu.url, feishu.secret) == (ENV["FEISHU_URL"], "fs")
    assert isinstance(lark, FeishuChannel) and (lark.name, lark.kind, lark.secret) == (
        "lark-intl",
        "lark",
        None,
    )
    assert isinstance(slack, SlackChannel) and (slack.name, slack.url, slack.timeout) == (
        "oncall",
        ENV["SLACK_WEBHOOK"],
        3,
    )
    assert isinstance(ding, DingTalkChannel) and ding.url.endswith("access_token=dt") and ding.secret == "ds"
    assert isinstance(wecom, WeComChannel) and wecom.url.endswith("key=wk") and wecom.lang == "en"
    assert (
        isinstance(hook, WebhookChannel)
        and hook.headers == {"Authorization": "Bearer ht"}
        and hook.secret == "hs"
    )
    assert isinstance(mail, EmailChannel)
    assert (mail.host, mail.port, mail.security, mail.username, mail.password) == (
        "smtp.example.com",
        465,
        "ssl",
        "kpi",
        "pw",
    )
    assert mail.to == ["ops@example.com", "cost${not-a-var}@example.com"]


def test_missing_variable_is_named_in_en_and_zh() -> None:
    env = {k: v for k, v in ENV.items() if k != "DING_SECRET"}
    with pytest.raises(NotifyConfigError) as caught:
        channels(entries(), env)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "notify: notify[3].secret uses ${DING_SECRET}, but the environment variable DING_SECRET is not set"
        " — set it (export DING_SECRET=...) before running"
    )
    assert caught.value.zh == (
        "notify：notify[3].secret 引用了 ${DING_SECRET}，但环境变量 DING_SECRET 未设置 — 请先设置（export DING_SECRET=...）再运行"
    )


def test_unknown_type_suggests() -> None:
    with pytest.raises(NotifyConfigError) as caught:
        channels([{"type": "dingtalkbot", "url": "u"}], {})
    assert "unknown channel type 'dingtalkbot' (did you mean 'dingtalk'?)" in str(caught.value)
    assert "未知的通道类型 'dingtalkbot'（您是不是想写 'dingtalk'？）" in caught.value.zh


def test_bad_and_unknown_keys() -> None:
    with pytest.raises(
        NotifyConfigError, match=r"notify\[0\] \(slack\): secret: Extra inputs are not permitted"
    ):
        channels([{"type": "slack", "url": "u", "secret": "x"}], {})
    with pytest.raises(NotifyConfigError, match=r"lang: Input should be 'en' or 'zh'"):
        channels([{"type": "wecom", "url": "u", "lang": "fr"}], {})
    with pytest.raises(NotifyConfigError, match=r"to: "):
        channels([{"type": "email", "host": "h", "sender": "s@x", "to": []}], {})


def test_names_are_unique() -> None:
    with pytest.raises(NotifyConfigError, match="two channels are named 'slack'"):
        channels([{"type": "slack", "url": "https://a"}, {"type": "slack", "url": "https://b"}], {})


def test_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NS_TEST_WECOM_KEY", "k9")
    (channel,) = channels([{"type": "wecom", "url": "https://q/send?key=${NS_TEST_WECOM_KEY}"}])
    assert isinstance(channel, WeComChannel) and channel.url == "https://q/send?key=k9"


def test_url_must_be_http_after_expansion() -> None:
    with pytest.raises(NotifyConfigError) as caught:
        channels([{"type": "slack", "url": "${HOOK}"}], {"HOOK": "hooks.slack.com/services/x"})
    assert (
        str(caught.value)
        == "notify: notify[0].url must be an http:// or https:// address, not 'hooks.slack.com/services/x'"
    )
    assert (
        caught.value.zh
        == "notify：notify[0].url 必须是 http:// 或 https:// 开头的地址，而不是 'hooks.slack.com/services/x'"
    )
