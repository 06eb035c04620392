"""``create_app``: the FastAPI application of ``northstar serve``.

>>> app = create_app("northstar.yml")                # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8765)

The routers: ``read_routes`` (analyses, cached) and ``app_routes`` (targets, alerts, lead ratings).
Every error has one shape (``errors.py``); authentication and the same-origin rule for writes are
in ``auth.py``. With ``tokens=True`` (what ``northstar serve`` passes when bound to a
non-loopback address or given ``--require-token``) every request — ``/openapi.json`` and ``/docs``
too — needs a bearer token or the session cookie of ``/login`` (``session_routes.py``); a page
without one is redirected to ``/login``, and only ``/login`` and ``/static`` are public. Without
tokens, only requests whose ``Host`` is a loopback name
(localhost, 127.0.0.1, [::1]) are answered (403 ``host_not_allowed`` otherwise), so a web page
cannot reach the token-less server by rebinding its own DNS name to 127.0.0.1. The dashboard's
pages (``pages.py``) and their scripts and ECharts (``/static``) are served by the same app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from northstar.serve import app_routes, lead_routes, pages, read_routes, session_routes
from northstar.serve.auth import authenticate, is_loopback
from northstar.serve.context import ServerContext
from northstar.serve.errors import ApiError, error_body, install_error_handlers
from northstar.serve.models import ErrorBody
from northstar.serve.warm import Warmer
from northstar.watch.store import AlertStore

if TYPE_CHECKING:
    from northstar.engine import Engine

__all__ = ["create_app"]

_ERRORS = {
    status: {"model": ErrorBody, "description": what}
    for status, what in (
        (400, "bad input (dates, filters, bands…)"),
        (401, "no token, an unknown or a revoked token"),
        (403, "a viewer writing, or a cross-site write"),
        (404, "unknown name"),
        (415, "a write without a JSON body"),
        (422, "the request does not match the endpoint"),
    )
}


def create_app(
    project_path: str | Path | None,
    *,
    store: AlertStore | str | Path | None = None,
    tokens: bool = False,
    engine: Engine | str | None = None,
    warm: bool = False,
) -> FastAPI:
    """The API over the project at ``project_path`` (``northstar.yml`` or its folder).

    ``store``: the app database (an open ``AlertStore``, a path or URL; default: the project's,
    ``$NORTHSTAR_ALERT_STORE`` or ``.northstar/alerts.db``). ``tokens``: every request needs a
    bearer token from that database (otherwise a token is checked only when one is sent).
    ``engine``: duckdb (default) or spark. ``warm``: compute the pages' default queries in a
    background thread from the start (``warm.py``; ``northstar serve`` does). The project is
    loaded now: a ``SpecError`` is raised here rather than served."""
    ctx = ServerContext(project_path, store, require_token=tokens, engine=engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warmer = Warmer(app, ctx).start() if warm else None
        app.state.warmer = warmer
        yield
        if warmer is not None:
            warmer.stop()
        ctx.close()

    app = FastAPI(
        title=f"Northstar — {ctx.project().spec.project.name}",
        description="The JSON API of `northstar serve` (docs/api.md). Every error: "
        '`{"error": {"code", "message", "message_zh", "issues"}}`.',
        version="1",
        lifespan=lifespan,
        responses=_ERRORS,  # type: ignore[arg-type]
    )
    app.state.northstar = ctx
    install_error_handlers(app)
    app.include_router(read_routes.router)
    app.include_router(app_routes.router)
    app.include_router(lead_routes.router)
    app.include_router(session_routes.api_router)
    app.include_router(session_routes.page_router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # without tokens, only a loopback Host: a page elsewhere cannot rebind its DNS name to us
        if not ctx.require_token and not is_loopback(_hostname(request.headers.get("host", ""))):
            return JSONResponse(
                error_body(
                    "host_not_allowed",
                    "this server needs no token, so it answers only requests to localhost, 127.0.0.1"
                    " or [::1]; serve with --require-token to be reached by another name",
                    "此服务器无需令牌，因此只响应发往 localhost、127.0.0.1 或 [::1] 的请求；"
                    "如需通过其他名称访问，请使用 --require-token",
                ),
                status_code=403,
            )
        # /api/* checks its caller in its dependencies; the other paths (/openapi.json, /docs) here.
        # /login and /static (scripts, styles, ECharts: no data) are public; a page asked for
        # without a valid token or cookie sends the browser to /login
        path = request.url.path
        if ctx.require_token and not path.startswith("/api/") and not _public(path):
            try:
                with ctx.reading() as store:
                    authenticate(request, store, True)
            except ApiError as exc:
                if request.method in ("GET", "HEAD") and path not in _NOT_PAGES:
                    target = path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
                return JSONResponse(
                    error_body(exc.code, exc.message, exc.message_zh),
                    status_code=exc.status,
                    headers=exc.headers,
                )
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


#: non-API paths that answer JSON errors rather than a redirect to /login
_NOT_PAGES = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


def _public(path: str) -> bool:
    """Paths served without a token: the sign-in page and the static files (no data in them)."""
    return path == "/login" or path.startswith("/static/")


def _hostname(host: str) -> str:
    """The name in a Host header: ``[::1]:8765`` → ``::1``, ``localhost:8765`` → ``localhost``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
