"""The alert that every notification channel sends, and its text in English or Chinese.

An ``Alert`` is what a detector produces: a metric on one slice of the data, in one period, whose
``value`` left what a rule ``expected``. Units, so a reader can check a message by hand:

- ``change_pct`` is in percent, ``(value - expected) / expected * 100`` (``-27.7`` means 27.7 % below);
  ``None`` when ``expected`` is 0.
- A driver's ``contribution`` is in the metric's own units (the drivers' contributions add up to
  ``value - expected`` when the explanation is exact); its ``share`` is that contribution's fraction of
  the whole change (0.25 = 25 %). A root cause's ``share`` is the fraction of the change explained by
  that combination of dimension values.

``render_text(alert, lang, markup)`` lays the alert out in lines, the same in every channel:

    title      [Critical] Orders                      【严重】订单
    summary    Orders fell 27.7 % vs the previous day (the alert's one-line summary)
    facts      Period, Slice, Value, Expected, Change, Rule (label: value)
    drivers    the top drivers, one bullet each: name: contribution (share)
    causes     the root causes, one bullet each: dim=value, dim=value: share
    link       Details: <link>

``markup`` is ``"markdown"`` (bold title, ``[text](url)``), ``"slack"`` (Slack's mrkdwn: ``*bold*``,
``<url|text>``, with ``& < >`` escaped) or ``"plain"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, NamedTuple

Lang = Literal["en", "zh"]
Severity = Literal["info", "warning", "critical"]
Markup = Literal["markdown", "slack", "plain"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")

SEVERITY_LABEL: dict[str, dict[str, str]] = {
    "en": {"info": "Info", "warning": "Warning", "critical": "Critical"},
    "zh": {"info": "提示", "warning": "警告", "critical": "严重"},
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "period": "Period",
        "slice": "Slice",
        "all": "all data",
        "value": "Value",
        "expected": "Expected",
        "change": "Change",
        "rule": "Rule",
        "drivers": "Top drivers",
        "causes": "Root causes",
        "link": "Details",
    },
    "zh": {
        "period": "周期",
        "slice": "切片",
        "all": "全部数据",
        "value": "数值",
        "expected": "预期",
        "change": "变化",
        "rule": "规则",
        "drivers": "主要驱动因素",
        "causes": "根因",
        "link": "详情",
    },
}


class Driver(NamedTuple):
    """One driver of the change: its name, its contribution (metric units) and share of the change."""

    name: str
    contribution: float
    share: float


class Cause(NamedTuple):
    """One root cause: a combination of dimension values and the share of the change it explains."""

    combination: Mapping[str, str]
    share: float


@dataclass(frozen=True)
class Alert:
    """One alert, ready to be sent. ``id`` is unique and stable (the outbox keys retries by it)."""

    id: str
    metric: str
    label_en: str
    label_zh: str
    slice: Mapping[str, str]
    period: date | datetime
    value: float
    expected: float
    change_pct: float | None
    rule: str
    severity: Severity
    summary_en: str
    summary_zh: str
    drivers: tuple[Driver, ...] = field(default_factory=tuple)
    root_causes: tuple[Cause, ...] = field(default_factory=tuple)
    link: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        object.__setattr__(self, "drivers", tuple(Driver(*d) for d in self.drivers))
        object.__setattr__(self, "root_causes", tuple(Cause(dict(c[0]), c[1]) for c in self.root_causes))

    def label(self, lang: str) -> str:
        return (self.label_zh or self.label_en) if lang == "zh" else self.label_en

    def summary(self, lang: str) -> str:
        return (self.summary_zh or self.summary_en) if lang == "zh" else self.summary_en


def number(x: float) -> str:
    """``1234`` → ``1,234``; ``12.3456`` → ``12.35``; a whole float prints without decimals."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def percent(x: float, lang: str, sign: bool = False) -> str:
    """A percentage already in percent units: ``-27.7`` → ``-27.7 %`` (en) / ``-27.7%`` (zh)."""
    text = f"{x:+.1f}" if sign else f"{x:.1f}"
    return text + ("%" if lang == "zh" else " %")


def period_text(period: date | datetime) -> str:
    if isinstance(period, datetime):
        return period.isoformat(sep=" ", timespec="minutes")
    return period.isoformat()


def slice_text(alert: Alert, lang: str) -> str:
    if not alert.slice:
        return LABELS[lang]["all"]
    return ", ".join(f"{k}={v}" for k, v in alert.slice.items())


def title(alert: Alert, lang: str) -> str:
    """``[Critical] Orders`` / ``【严重】订单``."""
    severity = SEVERITY_LABEL[lang][alert.severity]
    return f"【{severity}】{alert.label(lang)}" if lang == "zh" else f"[{severity}] {alert.label(lang)}"


def facts(alert: Alert, lang: str) -> list[tuple[str, str]]:
    """The (label, value) lines under the summary."""
    words = LABELS[lang]
    change = "—" if alert.change_pct is None else percent(alert.change_pct, lang, sign=True)
    return [
        (words["period"], period_text(alert.period)),
        (words["slice"], slice_text(alert, lang)),
        (words["value"], number(alert.value)),
        (words["expected"], number(alert.expected)),
        (words["change"], change),
        (words["rule"], alert.rule),
    ]


def driver_lines(alert: Alert, lang: str) -> list[str]:
    return [
        f"{d.name}: {number(d.contribution) if d.contribution < 0 else '+' + number(d.contribution)}"
        f" ({percent(d.share * 100, lang)})"
        for d in alert.drivers
    ]


def cause_lines(alert: Alert, lang: str) -> list[str]:
    return [
        ", ".join(f"{k}={v}" for k, v in c.combination.items()) + f": {percent(c.share * 100, lang)}"
        for c in alert.root_causes
    ]


def slack_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (``<!channel>`` pings everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_text(alert: Alert, lang: Lang = "en", markup: Markup = "markdown") -> str:
    """The alert as a text block (see the module docstring for the layout)."""
    esc = slack_escape if markup == "slack" else (lambda s: s)
    colon = "：" if lang == "zh" else ": "
    words = LABELS[lang]
    head = esc(title(alert, lang))
    if markup == "markdown":
        head = f"**{head}**"
    elif markup == "slack":
        head = f"*{head}*"
    # In markdown a line ending in two spaces is a hard break; Slack's mrkdwn breaks at every "\n".
    br = "  \n" if markup == "markdown" else "\n"
    paragraphs = [
        head,
        esc(alert.summary(lang)),
        br.join(f"{k}{colon}{esc(v)}" for k, v in facts(alert, lang)),
    ]
    for heading, lines in (
        (words["drivers"], driver_lines(alert, lang)),
        (words["causes"], cause_lines(alert, lang)),
    ):
        if lines:
            paragraphs.append(f"{esc(heading)}{colon.rstrip()}\n" + "\n".join(f"- {esc(x)}" for x in lines))
    if alert.link:
        if markup == "markdown":
            link = f"[{alert.link}]({alert.link})"
        elif markup == "slack":
            link = f"<{alert.link}|{esc(alert.link)}>"
        else:
            link = alert.link
        paragraphs.append(f"{words['link']}{colon}{link}")
    return ("\n" if markup == "plain" else "\n\n").join(paragraphs)
