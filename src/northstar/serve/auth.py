"""Who may call the API: tokens, roles, the loopback rule and the same-origin check for writes.

- **Tokens** are made by ``northstar token create --role viewer|editor [--name]``: 32 random bytes,
  URL-safe, prefixed ``ns_``, printed once. The app database keeps only their SHA-256 (hex) in its
  ``tokens`` table with the name and role; ``northstar token revoke`` sets ``revoked_at``.
- **When a token is needed**: a server bound to a loopback address (127.0.0.1, ::1, localhost)
  without ``--require-token`` needs none; every caller is then the editor ``local``. Bound to any
  other address (or with ``--require-token``), every request — the API, ``/openapi.json`` and
  ``/docs`` — needs ``Authorization: Bearer <token>``, and the server refuses to start while the
  app database holds no valid token. A token sent to a server that needs none is still checked.
  A server that needs no token answers only requests whose ``Host`` is a loopback name (DNS
  rebinding: a page on evil.example whose name now points at 127.0.0.1 gets 403).
- **In a browser** the dashboard's ``/login`` page posts the token to ``POST /api/session``, which
  puts it in an ``HttpOnly``, ``SameSite=Strict`` cookie (:data:`COOKIE`; ``Secure`` over https).
  A server that needs tokens accepts that cookie where no ``Authorization`` header is sent; a
  server that needs none ignores it (every caller is the local editor there anyway, and a stale
  cookie from another server on the same host must not lock the pages out).
- **Answers**: no token where one is needed, an unknown token or a revoked one → 401 (with
  ``WWW-Authenticate: Bearer``); a viewer calling a write → 403.
- **Writes** (every POST) must send ``Content-Type: application/json`` (else 415): a cross-site
  HTML form cannot, and a cross-site script cannot without a CORS preflight, which this server
  never grants. They are also refused (403 ``cross_site``) when ``Origin`` names another host or
  port than the request's ``Host``, or ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site``.
  Together this makes the writes safe against CSRF for a browser UI served from the same origin.
- Viewers may read everything and move alerts between states (acknowledge, close with a reason):
  the issue's list of writes viewers cannot make is ratings, reviews and targets.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from northstar.serve.errors import ApiError

if TYPE_CHECKING:
    from starlette.requests import Request

    from northstar.watch.store import AlertStore, StoredToken

__all__ = [
    "COOKIE",
    "ROLES",
    "Caller",
    "authenticate",
    "check_write",
    "create_token",
    "hash_token",
    "is_loopback",
    "new_token",
]

ROLES = ("viewer", "editor")
LOCAL = "local"
#: the cookie ``POST /api/session`` sets: the token itself (HttpOnly, SameSite=Strict)
COOKIE = "northstar_token"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's name (``local`` without a token) and its role."""

    name: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role == "editor"


def new_token() -> str:
    return "ns_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: AlertStore, role: str, name: str | None = None) -> tuple[str, StoredToken]:
    """Make a token, store its hash with ``name`` (default ``<role>-<n>``) and ``role``; the token
    itself is returned once and never stored."""
    token = new_token()
    if not name:
        name = f"{role}-{len(store.tokens(revoked=True)) + 1}"
    return token, store.add_token(name, role, hash_token(token))


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost`` are loopback; anything else (0.0.0.0, a name) is not."""
    h = host.strip().strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _unauthorised(en: str, zh: str, code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, en, zh, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, store: AlertStore, require_token: bool) -> Caller:
    """The caller of ``request`` (module docstring), or an ``ApiError`` 401."""
    header = request.headers.get("authorization")
    if header is None and require_token:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            header = f"Bearer {cookie}"
    if header is None:
        if require_token:
            raise _unauthorised(
                "this server needs a token: send 'Authorization: Bearer <token>' (northstar token create)",
                "此服务器需要令牌：请发送 'Authorization: Bearer <令牌>'（northstar token create 生成）",
                "token_required",
            )
        return Caller(LOCAL, "editor")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised(
            "the Authorization header must be 'Bearer <token>'", "Authorization 头必须是 'Bearer <令牌>'"
        )
    stored = store.token_by_hash(hash_token(token.strip()))
    if stored is None:
        raise _unauthorised("unknown token", "未知的令牌")
    if stored.revoked_at is not None:
        raise _unauthorised(
            f"token {stored.name!r} was revoked", f"令牌 {stored.name!r} 已被吊销", "token_revoked"
        )
    return Caller(stored.name, stored.role)


def check_write(request: Request, caller: Caller, *, editor: bool) -> None:
    """Refuse a write that is cross-site, not JSON, or (``editor``) made by a viewer."""
    host = (request.headers.get("host") or "").lower()
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host):
        raise ApiError(
            403,
            "cross_site",
            f"a write from another site ({origin}) is refused",
            f"拒绝来自其他站点（{origin}）的写入请求",
        )
    if request.headers.get("sec-fetch-site", "same-origin").lower() not in ("same-origin", "none"):
        raise ApiError(403, "cross_site", "a cross-site write is refused", "拒绝跨站写入请求")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(
            415,
            "json_required",
            "a write must send a JSON body (Content-Type: application/json)",
            "写入请求必须发送 JSON 正文（Content-Type: application/json）",
        )
    if editor and not caller.can_write:
        raise ApiError(
            403,
            "forbidden",
            f"token {caller.name!r} is a viewer: only editors may change targets, reviews and ratings",
            f"令牌 {caller.name!r} 只有查看权限：只有编辑者可以修改目标、复盘和评分",
        )
