"""E-mail against a real local SMTP server (aiosmtpd) started by the test: subject, UTF-8 Chinese,
both parts; plain, STARTTLS with login, and SSL (a self-signed certificate made with openssl);
4xx answers retried, 5xx not."""

from __future__ import annotations

import random
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from northstar.notify import EmailChannel, MemoryOutbox, RetryPolicy, deliver
from northstar.notify.message import Alert, render_text

FROM = "kpi@northstar.test"


class Sink:
    """Keeps every message; answers DATA with the scripted replies first."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.data_replies: list[str] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        ok = data.password == b"right"
        return AuthResult(success=ok, handled=ok)  # handled=False: the server answers 535 itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def start(sink: Sink, **options: Any) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    controller = start(sink)
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def received(sink: Sink, n: int = 0) -> EmailMessage:
    message = message_from_bytes(sink.envelopes[n].original_content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_plain_smtp_zh_subject_and_both_parts(smtp: tuple[Sink, int], alert: Alert) -> None:
    sink, port = smtp
    channel = EmailChannel(
        host="127.0.0.1",
        port=port,
        security="plain",
        sender=FROM,
        to=["ops@northstar.test", "cto@northstar.test"],
        lang="zh",
    )
    result = channel.send(alert)
    assert (result.ok, result.attempts, result.status) == (True, 1, 250)
    envelope = sink.envelopes[0]
    assert envelope.mail_from == FROM
    assert envelope.rcpt_tos == ["ops@northstar.test", "cto@northstar.test"]
    raw = envelope.original_content
    assert "订单".encode() not in raw.split(b"\r\n\r\n")[0]  # the header is RFC 2047-encoded, not raw UTF-8
    message = received(sink)
    assert message["Subject"] == "【严重】订单数: 订单数较前一天下降 27.7%"
    assert message["X-Northstar-Alert"] == alert.id
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part for part in message.iter_parts())
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == render_text(alert, "zh", "plain") + "\n"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    body = html.get_content()
    assert "<h2>【严重】订单数</h2>" in body and "<li>channel=app, os=ios: 81.0%</li>" in body
    assert "<tr><th align='left'>变化</th><td>-27.7%</td></tr>" in body
    assert f'<a href="{alert.link}">详情</a>' in body


def test_build_is_the_message_without_a_server(alert: Alert) -> None:
    url, headers, body = EmailChannel(
        host="mail.example.com", security="ssl", sender=FROM, to=["a@b.c"]
    ).build(alert, "en")
    assert url == "smtp://mail.example.com:465"
    assert headers["Subject"] == "[Critical] Orders: Orders fell 27.7 % vs the previous day"
    parsed = message_from_bytes(body, policy=default)
    assert parsed["To"] == "a@b.c" and parsed["From"] == FROM


def test_starttls_with_login(certificate: tuple[Path, Path], alert: Alert) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    sink = Sink()
    controller = start(
        sink,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=sink.authenticate,
        auth_require_tls=True,
    )
    client_tls = ssl.create_default_context(cafile=str(cert))
    try:
        channel = EmailChannel(
            host="127.0.0.1", port=controller.port, security="starttls", username="kpi", password="right",
            sender=FROM, to=["ops@northstar.test"], ssl_context=client_tls,
        )  # fmt: skip
        assert channel.send(alert).ok
        assert sink.logins == [(b"kpi", b"right")]
        assert received(sink)["Subject"] == "[Critical] Orders: Orders fell 27.7 % vs the previous day"

        wrong = EmailChannel(
            host="127.0.0.1", port=controller.port, security="starttls", username="kpi", password="wrong",
            sender=FROM, to=["ops@northstar.test"], ssl_context=client_tls,
        )  # fmt: skip
        result = wrong.send(alert, sleep=lambda s: None)
        assert (result.ok, result.attempts, result.status) == (False, 1, 535)  # 5xx: not retried

        untrusted = EmailChannel(
            host="127.0.0.1", port=controller.port, security="starttls", sender=FROM, to=["o@n.t"]
        )
        result = untrusted.send(alert, sleep=lambda s: None, policy=RetryPolicy(attempts=2))
        assert not result.ok and "CERTIFICATE_VERIFY_FAILED" in (result.error or "")
    finally:
        controller.stop()


def test_implicit_ssl(certificate: tuple[Path, Path], alert: Alert) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    sink = Sink()
    controller = start(sink, ssl_context=server_tls)
    try:
        channel = EmailChannel(
            host="127.0.0.1", port=controller.port, security="ssl", sender=FROM, to=["ops@northstar.test"],
            ssl_context=ssl.create_default_context(cafile=str(cert)),
        )  # fmt: skip
        assert channel.send(alert, "zh").ok
        assert received(sink)["Subject"].startswith("【严重】订单数")
    finally:
        controller.stop()


def test_4xx_is_retried_5xx_is_kept(smtp: tuple[Sink, int], alert: Alert) -> None:
    sink, port = smtp
    channel = EmailChannel(
        host="127.0.0.1", port=port, security="plain", sender=FROM, to=["ops@northstar.test"]
    )
    sink.data_replies = ["451 4.3.0 try again later"]
    waits: list[float] = []
    result = deliver(alert, channel, sleep=waits.append, rng=random.Random(2))
    assert (result.ok, result.attempts) == (True, 2) and len(waits) == 1 and len(sink.envelopes) == 1

    sink.data_replies = ["554 5.7.1 rejected"]
    outbox = MemoryOutbox()
    result = deliver(alert, channel, outbox=outbox, sleep=waits.append)
    assert (result.ok, result.attempts, result.status) == (False, 1, 554)
    assert outbox.entries[(alert.id, "email")].error == "SMTP 554: 5.7.1 rejected"


def test_every_recipient_refused(smtp: tuple[Sink, int], alert: Alert) -> None:
    sink, port = smtp
    channel = EmailChannel(
        host="127.0.0.1", port=port, security="plain", sender=FROM, to=["nobody@northstar.test"]
    )
    result = channel.send(alert, sleep=lambda s: None)
    assert (result.ok, result.attempts, result.status) == (False, 1, 550)
    assert "nobody@northstar.test" in (result.error or "")
    assert sink.envelopes == []


def test_no_server_is_retried(alert: Alert) -> None:
    channel = EmailChannel(host="127.0.0.1", port=free_port(), security="plain", sender=FROM, to=["o@n.t"])
    waits: list[float] = []
    result = deliver(alert, channel, sleep=waits.append)
    assert (result.ok, result.attempts) == (False, 4) and len(waits) == 3
    assert (result.error or "").startswith("ConnectionRefusedError")
