"""The one error shape of the API, and the handlers that turn every error into it.

Every error answer, whatever raised it, has the body::

    {"error": {"code": "unknown_name", "message": "…", "message_zh": "…", "issues": […]}}

with the HTTP status saying the kind: 400 bad input (a ``UserError``: bad dates, filters, bodies
the analysis refuses), 401 no or bad token, 403 not allowed (a viewer writing, a cross-site
write), 404 an unknown name or path, 405 a wrong method, 415 a write without a JSON body, 422 a
request that does not match the endpoint's parameters or body model (FastAPI's own validation),
500 a bug (the message says so; no stack trace is ever sent). ``issues`` lists the details:
a project's validation issues, or each invalid field (``loc``, ``message``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from northstar.errors import Issue, NorthstarError, SpecError, UserError
from northstar.serve.pages import CSP
from northstar.spec.suggest import did_you_mean

log = logging.getLogger("northstar.serve")

__all__ = ["ApiError", "error_body", "install_error_handlers", "unknown_name", "web_words"]


class ApiError(Exception):
    """An error answer: HTTP ``status``, a stable ``code`` and the message in English and Chinese."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        message_zh: str,
        issues: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.issues = list(issues)
        self.headers = headers


def unknown_name(kind: str, kind_zh: str, name: str, known: Iterable[str], *, status: int = 404) -> ApiError:
    """404 for a name the project does not define, with "did you mean" (``status=400``: a
    parameter's value outside a fixed list, code ``bad_request``)."""
    names = list(known)
    return ApiError(
        status,
        "unknown_name" if status == 404 else "bad_request",
        f"there is no {kind} {name!r}"
        + did_you_mean(name, names)
        + (f"; known: {', '.join(names)}" if 0 < len(names) <= 12 else ""),
        f"没有名为 {name!r} 的{kind_zh}"
        + did_you_mean(name, names, "zh")
        + (f"；已有：{'、'.join(names)}" if 0 < len(names) <= 12 else ""),
    )


def error_body(
    code: str, message: str, message_zh: str, issues: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "message_zh": message_zh, "issues": list(issues)}}


def _issue(issue: Issue) -> dict[str, Any]:
    return {
        "level": issue.level,
        "code": issue.code,
        "file": issue.file,
        "line": issue.line,
        "message": issue.render("en"),
        "message_zh": issue.render("zh"),
    }


def _respond(
    status: int, code: str, en: str, zh: str, issues: Sequence[dict[str, Any]] = (), headers: Any = None
) -> JSONResponse:
    return JSONResponse(error_body(code, en, zh, issues), status_code=status, headers=headers)


_HTTP_WORDS = {
    404: ("not_found", "no such path", "没有这个路径"),
    405: ("method_not_allowed", "this method is not allowed here", "此路径不支持该请求方法"),
}


#: what a browser gets for a page that does not exist (a mistyped address): a page with a way back,
#: not the API's JSON; no script, nothing from the request echoed
_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page not found · Northstar</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/northstar.css"></head>
<body><main id="page" class="not-found">
<h1>Page not found · 页面不存在</h1>
<p>There is no page at this address. · 此地址没有页面。</p>
<p><a href="/">Go to the overview · 返回总览</a></p>
</main></body>
</html>
"""


def _wants_page(request: Request) -> bool:
    """A browser navigating to a page (not a script, a style or an API client)."""
    path = request.url.path
    if (
        request.method != "GET"
        or path.startswith(("/api/", "/static/"))
        or path in ("/openapi.json", "/docs")
    ):
        return False
    return "text/html" in request.headers.get("accept", "")


#: the command line's options that the analyses name in their messages, and the query
#: parameters (or page controls) they are on the web
_FLAGS = re.compile(r"(?<![\w-])--(from|to|where|vs|by|grain|date)(?![\w-])")


def web_words(message: str) -> str:
    """A message written for the command line, for a web caller: ``--from`` → ``from`` (the query
    parameter of that name), so a page does not tell its user to type an option."""
    return _FLAGS.sub(lambda m: m.group(1), message)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error (ours, FastAPI's and unexpected ones) to the one error shape."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return _respond(exc.status, exc.code, exc.message, exc.message_zh, exc.issues, exc.headers)

    @app.exception_handler(SpecError)
    async def _spec(_: Request, exc: SpecError) -> JSONResponse:
        errors = [i for i in exc.issues if i.level == "error"]
        return _respond(
            400,
            "invalid_project",
            f"the project has {len(errors)} error(s); see issues",
            f"项目中有 {len(errors)} 个错误；详见 issues",
            [_issue(i) for i in exc.issues],
        )

    @app.exception_handler(UserError)
    async def _user(_: Request, exc: UserError) -> JSONResponse:
        return _respond(400, "bad_request", web_words(str(exc)), web_words(exc.zh))

    @app.exception_handler(NorthstarError)
    async def _internal(_: Request, exc: NorthstarError) -> JSONResponse:
        log.error("internal error: %s", exc)
        return _respond(
            500,
            "internal",
            f"internal error: {exc} — please report this",
            f"内部错误：{exc} —— 请报告此问题",
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "message": str(e.get("msg", "")),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        where = ", ".join(".".join(i["loc"]) for i in issues)
        return _respond(
            422,
            "invalid_request",
            f"the request does not match this endpoint: {where}; see issues",
            f"请求与此接口不符：{where}；详见 issues",
            issues,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse | HTMLResponse:
        if exc.status_code == 404 and _wants_page(request):
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404, headers={"Content-Security-Policy": CSP})
        code, en, zh = _HTTP_WORDS.get(exc.status_code, ("http_error", str(exc.detail), str(exc.detail)))
        return _respond(exc.status_code, code, en, zh, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in the API", exc_info=exc)
        return _respond(
            500,
            "internal",
            "internal error — please report this with what you asked for",
            "内部错误 —— 请连同您的请求一起报告此问题",
        )
