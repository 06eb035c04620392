"""Signing in from a browser: POST /api/session sets an HttpOnly, SameSite=Strict cookie that
authenticates like the bearer header; pages without it go to /login; logout clears it; GET /api/me
names the caller; viewers are refused the editor writes whichever way they sign in."""

from __future__ import annotations

from typing import Any

from northstar.serve.auth import COOKIE, create_token
from northstar.watch.store import AlertStore
from tests.serve.conftest import assert_error

SAME = {"Origin": "http://127.0.0.1:8765", "Sec-Fetch-Site": "same-origin"}
RATING = {"ratings": [{"lead": "L001", "score": 4, "reason": "right_buyer"}]}


def _signed_in(client: Any, token: str) -> Any:
    r = client.post("/api/session", json={"token": token}, headers=SAME)
    assert r.status_code == 200, r.text
    return r


def test_session_sets_an_httponly_strict_cookie(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "editor", "maya")
    client = make_client(tokens=True)
    r = _signed_in(client, token)
    assert r.json() == {"name": "maya", "role": "editor", "token_required": True}
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={token};")
    low = cookie.lower()
    assert "httponly" in low and "samesite=strict" in low and "path=/" in low
    assert "secure" not in low  # plain http here; https requests get Secure
    # the cookie alone now reads, writes (same-origin JSON) and opens the pages
    assert client.get("/api/me").json() == {"name": "maya", "role": "editor", "token_required": True}
    assert client.get("/api/project").status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 200
    saved = client.post("/api/leads/b2b/ratings", json=RATING, headers=SAME)
    assert saved.status_code == 201 and store.lead_ratings("b2b")[0].rated_by == "maya"


def test_secure_cookie_over_https(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "viewer", "wall")
    client = make_client(tokens=True)
    r = client.post(
        "https://127.0.0.1:8765/api/session",
        json={"token": token},
        headers={"Origin": "https://127.0.0.1:8765"},
    )
    assert r.status_code == 200, r.text
    assert "secure" in r.headers["set-cookie"].lower()


def test_bad_tokens_set_no_cookie(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "viewer", "old")
    store.revoke_token("old")
    client = make_client(tokens=True)
    unknown = client.post("/api/session", json={"token": "ns_nope"}, headers=SAME)
    assert_error(unknown, 401, "unauthorized", zh="未知的令牌")
    assert "set-cookie" not in unknown.headers
    revoked = client.post("/api/session", json={"token": token}, headers=SAME)
    assert_error(revoked, 401, "token_revoked", zh="已被吊销")
    assert_error(client.post("/api/session", json={"token": " "}, headers=SAME), 400, "bad_request")
    assert_error(client.post("/api/session", json={}, headers=SAME), 422, "invalid_request")


def test_session_is_a_same_origin_json_write(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "editor")
    client = make_client(tokens=True)
    evil = client.post("/api/session", json={"token": token}, headers={"Origin": "https://evil.example"})
    assert_error(evil, 403, "cross_site")  # another site cannot sign a browser in as its own user
    form = client.post("/api/session", data={"token": token})
    assert_error(form, 415, "json_required")
    assert "set-cookie" not in evil.headers and "set-cookie" not in form.headers
    out = client.post("/api/session/logout", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert_error(out, 403, "cross_site")


def test_pages_without_a_session_go_to_login(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "viewer")
    client = make_client(tokens=True)
    r = client.get("/alerts?state=open&lang=zh", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Falerts%3Fstate%3Dopen%26lang%3Dzh"
    assert (
        client.get("/metric/revenue", follow_redirects=False).headers["location"].startswith("/login?next=")
    )
    # the sign-in page and the static files need nothing; the API and /openapi.json answer 401
    login = client.get("/login")
    assert login.status_code == 200 and "/static/js/login.js" in login.text
    assert "default-src 'self'" in login.headers["content-security-policy"]
    assert client.get("/static/js/login.js").status_code == 200
    assert client.get("/static/js/core.js").status_code == 200
    assert_error(client.get("/api/alerts"), 401, "token_required")
    assert_error(client.get("/openapi.json"), 401, "token_required")
    client.cookies.set(COOKIE, "ns_forged")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert_error(client.get("/api/me"), 401, "unauthorized")
    client.cookies.set(COOKIE, token)
    assert client.get("/", follow_redirects=False).status_code == 200


def test_logout_clears_the_cookie(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "editor")
    client = make_client(tokens=True)
    _signed_in(client, token)
    assert client.get("/api/me").status_code == 200
    out = client.post("/api/session/logout", json={}, headers=SAME)
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    cleared = out.headers["set-cookie"].lower()
    assert cleared.startswith(f"{COOKIE}=") and "max-age=0" in cleared
    assert COOKIE not in client.cookies
    assert_error(client.get("/api/me"), 401, "token_required")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_viewer_session_reads_but_cannot_rate_review_or_set_targets(
    make_client: Any, store: AlertStore
) -> None:
    from tests.watch.alerts import make_alert

    alert = make_alert(0)
    store.save(alert)
    token, _ = create_token(store, "viewer", "wall-screen")
    client = make_client(tokens=True)
    _signed_in(client, token)
    assert client.get("/api/me").json() == {"name": "wall-screen", "role": "viewer", "token_required": True}
    assert client.get("/api/leads/b2b").status_code == 200
    review = {"whys": ["a"], "owner": "li", "actions": [], "due": "2026-12-01"}
    for path, body in (
        ("/api/leads/b2b/ratings", RATING),
        (f"/api/alerts/{alert.id}/review", review),
        ("/api/targets", {"metric": "orders", "period": "2026-12", "target": 700}),
    ):
        assert_error(client.post(path, json=body, headers=SAME), 403, "forbidden", zh="只有编辑者")
    # viewers may still move alerts
    moved = client.post(f"/api/alerts/{alert.id}/transition", json={"to": "acknowledged"}, headers=SAME)
    assert moved.status_code == 200 and store.history(alert.id)[-1].actor == "wall-screen"


def test_me_and_cookies_on_a_server_that_needs_no_token(make_client: Any, store: AlertStore) -> None:
    token, _ = create_token(store, "viewer", "wall")
    client = make_client()
    assert client.get("/api/me").json() == {"name": "local", "role": "editor", "token_required": False}
    client.cookies.set(COOKIE, "ns_stale_from_another_server")  # ignored: it must not lock the pages out
    assert client.get("/api/me").json()["name"] == "local"
    assert client.get("/", follow_redirects=False).status_code == 200
    # a bearer header is still checked there, as before
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "viewer"
