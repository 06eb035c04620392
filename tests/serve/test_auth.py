"""Tokens (hashed, roles, revocation), the loopback rule, and writes refused cross-site or without
JSON; ``northstar token create|list|revoke`` and ``northstar serve``'s refusal to start."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app as cli
from northstar.serve.auth import create_token, is_loopback
from northstar.watch.store import AlertStore
from tests.serve.conftest import assert_error

TARGET = {"metric": "orders", "period": "2026-12", "target": 700}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.com", False)],
)  # fmt: skip
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_loopback_without_tokens_needs_none_but_checks_one_sent(client: Any, store: AlertStore) -> None:
    assert client.get("/api/project").status_code == 200
    assert client.post("/api/targets", json=TARGET).status_code == 201
    assert_error(
        client.get("/api/project", headers=_bearer("ns_wrong")), 401, "unauthorized", zh="未知的令牌"
    )
    token, _ = create_token(store, "viewer", "ana")
    assert client.get("/api/project", headers=_bearer(token)).status_code == 200
    assert_error(
        client.post("/api/targets", json=TARGET, headers=_bearer(token)), 403, "forbidden", zh="查看权限"
    )


def test_with_tokens_every_request_needs_a_valid_one(make_client: Any, store: AlertStore) -> None:
    viewer, _ = create_token(store, "viewer", "wall-screen")
    editor, _ = create_token(store, "editor", "maya")
    client = make_client(tokens=True)
    for path in ("/api/overview", "/openapi.json", "/docs"):
        r = client.get(path)
        assert_error(r, 401, "token_required", en="needs a token", zh="需要令牌")
        assert r.headers["WWW-Authenticate"] == "Bearer"
    assert_error(client.get("/api/project", headers={"Authorization": "Basic eDp5"}), 401, "unauthorized")
    assert_error(client.get("/api/project", headers=_bearer(viewer + "x")), 401, "unauthorized")
    assert client.get("/api/project", headers=_bearer(viewer)).status_code == 200
    assert client.get("/openapi.json", headers=_bearer(viewer)).status_code == 200

    refused = client.post("/api/targets", json=TARGET, headers=_bearer(viewer))
    assert_error(refused, 403, "forbidden", en="'wall-screen' is a viewer", zh="只有编辑者")
    ratings = {"ratings": [{"lead": "L001", "score": 5, "reason": "right_buyer"}]}
    assert_error(
        client.post("/api/leads/b2b/ratings", json=ratings, headers=_bearer(viewer)), 403, "forbidden"
    )
    assert store.targets() == [] and store.lead_ratings("b2b") == []

    saved = client.post("/api/targets", json={**TARGET, "why": "x"}, headers=_bearer(editor))
    assert saved.status_code == 201 and saved.json()["set_by"] == "maya"
    rated = client.post(
        "/api/leads/b2b/ratings", json={**ratings, "by": "someone else"}, headers=_bearer(editor)
    )
    assert rated.status_code == 201 and store.lead_ratings("b2b")[0].rated_by == "maya"  # the token's name

    store.revoke_token("maya")
    assert_error(client.get("/api/project", headers=_bearer(editor)), 401, "token_revoked", zh="已被吊销")


def test_without_tokens_only_a_loopback_host_is_answered(make_client: Any, store: AlertStore) -> None:
    client = make_client()
    for host in ("localhost:8765", "127.0.0.1", "[::1]:8765"):
        assert client.get("/api/project", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "evil.example:8765", "192.168.1.10:8765"):
        refused = client.get("/api/project", headers={"Host": host})
        assert_error(refused, 403, "host_not_allowed", en="--require-token", zh="--require-token")
    token, _ = create_token(store, "viewer")
    with_tokens = make_client(tokens=True)  # a token guards it: any name may reach it
    assert (
        with_tokens.get("/api/project", headers={"Host": "dash.example", **_bearer(token)}).status_code == 200
    )


def test_tokens_are_stored_hashed(shop_copy: Path, store: AlertStore) -> None:
    token, stored = create_token(store, "editor")
    assert stored.name == "editor-1" and token.startswith("ns_") and len(token) > 40
    db = shop_copy / ".northstar" / "alerts.db"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT name, role, token_hash FROM tokens").fetchall()
    assert rows == [("editor-1", "editor", hashlib.sha256(token.encode()).hexdigest())]
    raw = b"".join(p.read_bytes() for p in db.parent.glob("alerts.db*"))
    assert token.encode() not in raw


def test_writes_need_json_from_the_same_origin(client: Any) -> None:
    evil = {"Origin": "https://evil.example"}
    assert_error(client.post("/api/targets", json=TARGET, headers=evil), 403, "cross_site", zh="其他站点")
    sibling = {"Origin": "http://127.0.0.1:8080"}  # another port is another origin
    assert_error(client.post("/api/targets", json=TARGET, headers=sibling), 403, "cross_site")
    assert_error(client.post("/api/targets", json=TARGET, headers={"Origin": "null"}), 403, "cross_site")
    fetch = {"Sec-Fetch-Site": "cross-site"}
    assert_error(client.post("/api/targets", json=TARGET, headers=fetch), 403, "cross_site", zh="跨站")
    form = client.post("/api/targets", data={"metric": "orders", "period": "2026-12", "target": "700"})
    assert_error(form, 415, "json_required", zh="JSON")
    plain = client.post(
        "/api/targets", content=b'{"metric": "orders"}', headers={"Content-Type": "text/plain"}
    )
    assert_error(plain, 415, "json_required")
    same = {"Origin": "http://127.0.0.1:8765", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/targets", json=TARGET, headers=same).status_code == 201
    moved = client.post("/api/alerts/x/transition", json={"to": "closed"}, headers=evil)
    assert_error(moved, 403, "cross_site")  # refused before the alert is even looked up


def _cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "120"})


def test_token_commands(shop_copy: Path) -> None:
    made = _cli("token", "create", "--role", "editor", "--name", "ci", "-p", str(shop_copy))
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert "shown only this once" in made.output and token.startswith("ns_")
    listed = _cli("token", "list", "-p", str(shop_copy))
    assert "ci" in listed.output and "editor" in listed.output and token not in listed.output
    bad = _cli("token", "create", "--role", "admin", "-p", str(shop_copy), "--lang", "zh")
    assert bad.exit_code == 1 and "viewer 或 editor" in bad.output
    revoked = _cli("token", "revoke", "ci", "-p", str(shop_copy), "--lang", "zh")
    assert revoked.exit_code == 0 and "已吊销令牌 'ci'" in revoked.output
    assert "没有令牌" in _cli("token", "list", "-p", str(shop_copy), "--lang", "zh").output
    assert "ci" in _cli("token", "list", "--all", "-p", str(shop_copy)).output
    again = _cli("token", "revoke", "ci", "-p", str(shop_copy))
    assert again.exit_code == 1 and "no valid token 'ci'" in again.output


def test_serve_refuses_a_public_address_without_tokens(
    shop_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append((app, kw)))
    refused = _cli("serve", str(shop_copy), "--host", "0.0.0.0", "--lang", "zh")
    assert refused.exit_code == 1 and "需要令牌" in refused.output and started == []
    assert _cli("serve", str(shop_copy), "--port", "9999").exit_code == 0
    app, kw = started[-1]
    assert kw == {"host": "127.0.0.1", "port": 9999, "log_level": "warning"}
    assert app.state.northstar.require_token is False
    _cli("token", "create", "--role", "viewer", "-p", str(shop_copy))
    served = _cli("serve", str(shop_copy), "--host", "0.0.0.0")
    assert served.exit_code == 0, served.output
    said = " ".join(served.output.split())
    assert "browsers sign in at http://0.0.0.0:8765/login" in said and "send 'Authorization: Bearer" in said
    assert started[-1][0].state.northstar.require_token is True
    assert _cli("serve", str(shop_copy), "--require-token").exit_code == 0
    assert started[-1][0].state.northstar.require_token is True
