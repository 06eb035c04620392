"""FastAPI dependencies: the server context, the caller of a read and of a write."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from northstar.serve.auth import Caller, authenticate, check_write
from northstar.serve.context import ServerContext

__all__ = ["bearer", "context", "editor", "reader", "writer"]

# documents the bearer scheme in /openapi.json; the check itself is ``authenticate``
bearer = HTTPBearer(auto_error=False, description="a token from `northstar token create`")


def context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.northstar
    return ctx


def reader(request: Request, _: object = Depends(bearer)) -> Caller:
    ctx = context(request)
    with ctx.reading() as store:  # not held up by another request's computation
        return authenticate(request, store, ctx.require_token)


def writer(request: Request, caller: Caller = Depends(reader)) -> Caller:
    """A write any caller may make (moving an alert)."""
    check_write(request, caller, editor=False)
    return caller


def editor(request: Request, caller: Caller = Depends(reader)) -> Caller:
    """A write only editors may make (targets, reviews, ratings)."""
    check_write(request, caller, editor=True)
    return caller
