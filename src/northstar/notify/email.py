"""E-mail over SMTP (``smtplib``): one message per alert, a plain-text and an HTML part.

The message (RFC 5322, built with ``email.message.EmailMessage``): ``Subject`` = ``"<title>: <summary>"``
(UTF-8, encoded as RFC 2047 words when it is not ASCII, so Chinese subjects arrive intact), ``From``,
``To`` (every recipient), ``Date``, ``Message-ID`` and ``X-Northstar-Alert: <alert id>``; the body is
``multipart/alternative``: ``text/plain`` = ``render_text(alert, lang, "plain")`` and ``text/html``
= the same content as HTML, both UTF-8.

``security`` is ``"starttls"`` (connect in clear, then STARTTLS; port 587), ``"ssl"`` (TLS from the
first byte; port 465) or ``"plain"`` (no TLS; a local relay). With ``username`` the client logs in
(after TLS). A 4xx SMTP answer or a lost connection is retried; a 5xx answer (bad login, recipient
refused by every server) is not. When the server refuses some recipients and accepts others the
message has been delivered; the refused addresses are not retried.

``build`` returns ``Request("smtp://host:port", {From, To, Subject}, <message bytes>)`` so the exact
message can be checked without a server.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any, Literal

import httpx

from northstar.notify.channel import Attempt, Channel, Request
from northstar.notify.message import LABELS, Alert, Lang, cause_lines, driver_lines, facts, render_text, title

Security = Literal["starttls", "ssl", "plain"]


def html_body(alert: Alert, lang: Lang) -> str:
    words = LABELS[lang]
    e = html.escape
    rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts(alert, lang))
    parts = [
        f"<h2>{e(title(alert, lang))}</h2>",
        f"<p>{e(alert.summary(lang))}</p>",
        f"<table>{rows}</table>",
    ]
    for heading, items in (
        (words["drivers"], driver_lines(alert, lang)),
        (words["causes"], cause_lines(alert, lang)),
    ):
        if items:
            parts.append(f"<h3>{e(heading)}</h3><ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>")
    if alert.link:
        parts.append(f'<p><a href="{e(alert.link)}">{e(words["link"])}</a></p>')
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8"></head><body>{"".join(parts)}</body></html>\n'


class EmailChannel(Channel):
    kind = "email"

    def __init__(
        self,
        *,
        host: str,
        sender: str,
        to: Sequence[str],
        port: int | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if security not in ("starttls", "ssl", "plain"):
            raise ValueError(f"security must be starttls, ssl or plain, not {security!r}")
        self.host = host
        self.port = port or {"starttls": 587, "ssl": 465, "plain": 25}[security]
        self.security: Security = security
        self.sender = sender
        self.to = list(to)
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context

    def message(self, alert: Alert, lang: Lang | None = None) -> EmailMessage:
        lang = lang or self.lang
        msg = EmailMessage(policy=SMTP)
        msg["Subject"] = f"{title(alert, lang)}: {alert.summary(lang)}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(self.clock(), localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg["X-Northstar-Alert"] = alert.id
        msg.set_content(render_text(alert, lang, "plain") + "\n", charset="utf-8")
        msg.add_alternative(html_body(alert, lang), subtype="html", charset="utf-8")
        return msg

    def build(self, alert: Alert, lang: Lang | None = None) -> Request:
        msg = self.message(alert, lang)
        headers = {k: str(msg[k]) for k in ("From", "To", "Subject")}
        return Request(f"smtp://{self.host}:{self.port}", headers, msg.as_bytes())

    def connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        server: smtplib.SMTP
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                server.starttls(context=context)
        if self.username:
            server.login(self.username, self.password or "")
        return server

    def attempt(self, alert: Alert, lang: Lang, client: httpx.Client | None = None) -> Attempt:
        msg = self.message(alert, lang)
        try:
            server = self.connect()
            try:
                server.send_message(msg, from_addr=self.sender, to_addrs=self.to)
            finally:
                try:
                    server.quit()
                except smtplib.SMTPException:
                    server.close()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            text = "; ".join(f"{addr}: {code} {reply!r}" for addr, (code, reply) in exc.recipients.items())
            return Attempt(max(codes), f"SMTP recipients refused: {text}", all(400 <= c < 500 for c in codes))
        except smtplib.SMTPResponseException as exc:
            error = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            return Attempt(exc.smtp_code, f"SMTP {exc.smtp_code}: {error}", 400 <= exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}", retryable=True)
        return Attempt(250, None)
