"""Signing in from a browser: ``/login``, ``POST /api/session``, its logout, and ``GET /api/me``.

A server that needs tokens (``--require-token`` or a non-loopback address) cannot ask a browser
to send an ``Authorization`` header with every page and script. The ``/login`` page (drawn by
``static/js/login.js``) posts the token a user pastes to ``POST /api/session``; a valid token comes
back as an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` when the request is https) that
:func:`northstar.serve.auth.authenticate` accepts in place of the header. Scripts never see the
token again (HttpOnly), and the cookie is not sent with requests started by other sites
(SameSite=Strict). ``POST /api/session/logout`` clears it. Both are writes: JSON from the same
origin only (``auth.check_write``), so another site cannot sign a browser in or out.

``GET /api/me`` says who is calling (``name``, ``role``) and whether the server needs tokens; the
pages hide the forms a viewer may not use (the server refuses them anyway: 403).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from northstar.serve import pages
from northstar.serve.auth import COOKIE, Caller, authenticate, check_write
from northstar.serve.deps import context, reader
from northstar.serve.errors import ApiError

__all__ = ["api_router", "page_router"]

api_router = APIRouter(prefix="/api", tags=["session"])
page_router = APIRouter(include_in_schema=False)


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=500, description="a token from `northstar token create`")


class MeOut(BaseModel):
    name: str = Field(description="the token's name; `local` on a server that needs no token")
    role: str = Field(description="viewer or editor")
    token_required: bool


class SignedOut(BaseModel):
    signed_out: bool


def same_origin_json(request: Request) -> None:
    """The rules of every write (``auth.check_write``) for a caller not signed in yet."""
    check_write(request, Caller("anonymous", "viewer"), editor=False)


def _me(caller: Caller, token_required: bool) -> dict[str, Any]:
    return {"name": caller.name, "role": caller.role, "token_required": token_required}


@api_router.post("/session", response_model=MeOut, summary="Sign in: the token in an HttpOnly cookie")
def post_session(
    body: SessionIn, request: Request, response: Response, _: None = Depends(same_origin_json)
) -> Any:
    """Check the token (401 if unknown or revoked) and set it as the ``northstar_token`` cookie."""
    ctx = context(request)
    token = body.token.strip()
    if not token:
        raise ApiError(400, "bad_request", "paste a token", "请粘贴令牌")
    probe = _TokenRequest(request, token)
    with ctx.lock:
        caller = authenticate(probe, ctx.store, True)  # type: ignore[arg-type]
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return _me(caller, ctx.require_token)


@api_router.post("/session/logout", response_model=SignedOut, summary="Sign out: clear the cookie")
def post_logout(request: Request, response: Response, _: None = Depends(same_origin_json)) -> Any:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return {"signed_out": True}


@api_router.get("/me", response_model=MeOut, summary="Who is calling, and whether tokens are needed")
def get_me(request: Request, caller: Caller = Depends(reader)) -> Any:
    return _me(caller, context(request).require_token)


@page_router.get("/login", response_class=HTMLResponse)
def page_login() -> HTMLResponse:
    """The sign-in form (public: it holds no data)."""
    return pages.shell("login", script="/static/js/login.js")


class _TokenRequest:
    """Just enough of a request for ``authenticate``: the pasted token as a bearer header."""

    def __init__(self, request: Request, token: str) -> None:
        self.headers = {"authorization": f"Bearer {token}"}
        self.cookies: dict[str, str] = {}
        self.url = request.url
