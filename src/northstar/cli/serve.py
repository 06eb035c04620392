"""``northstar serve`` (the web server and its JSON API) and ``northstar token create|list|revoke``.

Registered on the main app by :func:`register`. The server is :func:`northstar.serve.app.create_app`
run by uvicorn; the token rules are in :mod:`northstar.serve.auth`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from northstar.cli.options import LangOpt, ProjectOpt, StoreOpt
from northstar.cli.options import store_target as _store_target
from northstar.errors import NorthstarError, UserError

console = Console()


WORDS = {
    "serving": ("Serving {name} on {url}", "正在提供 {name}：{url}"),
    "token_needed": ("a token is needed: browsers sign in at {url}/login, API callers send"
                     " 'Authorization: Bearer <token>'",
                     "需要令牌：浏览器在 {url}/login 登录，API 调用方发送 'Authorization: Bearer <令牌>'"),
    "no_token": ("bound to loopback: no token needed", "仅绑定本机回环地址：无需令牌"),
    "api": ("open {url} in a browser for the dashboard; the API is at {url}/api/… (described at"
            " {url}/openapi.json); Ctrl-C stops",
            "在浏览器中打开 {url} 查看看板；API 位于 {url}/api/…（说明见 {url}/openapi.json）；按 Ctrl-C 停止"),
    "created": ("Token {name!r} ({role}) created. It is shown only this once — keep it:",
                "已创建令牌 {name!r}（{role}）。它只显示这一次，请妥善保存："),
    "revoked": ("Revoked token {name!r} (id {id})", "已吊销令牌 {name!r}（编号 {id}）"),
    "none": ("No tokens. Create one: northstar token create --role viewer", "没有令牌。创建：northstar token create --role viewer"),
    "id": ("id", "编号"),
    "name": ("name", "名称"),
    "role": ("role", "角色"),
    "created_at": ("created (UTC)", "创建时间（UTC）"),
    "revoked_at": ("revoked (UTC)", "吊销时间（UTC）"),
    "title": ("API tokens", "API 令牌"),
}  # fmt: skip


def word(key: str, lang: str, **values: Any) -> str:
    en, zh = WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


def _when(value: Any) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``token`` to the main app."""
    token_app = typer.Typer(
        help="API tokens for northstar serve: create, list, revoke.", no_args_is_help=True
    )
    app.add_typer(token_app, name="token")

    @app.command()
    def serve(
        project: Annotated[
            Path | None, typer.Argument(help="northstar.yml or its folder (default: .)")
        ] = None,
        host: Annotated[
            str, typer.Option("--host", help="address to bind; not loopback → tokens required")
        ] = ("127.0.0.1"),
        port: Annotated[int, typer.Option("--port", help="TCP port")] = 8765,
        require_token: Annotated[
            bool, typer.Option("--require-token", help="require a token even on loopback")
        ] = False,
        store: StoreOpt = None,
        engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
        lang: LangOpt = None,
    ) -> None:
        """Serve the project's JSON API (the dashboard's pages build on it) with uvicorn."""
        serve_project(
            project, host=host, port=port, require_token=require_token, store=store, engine=engine, lang=lang
        )

    @token_app.command("create")
    def token_create(
        role: Annotated[str, typer.Option("--role", help="viewer (read only) or editor (may write)")],
        name: Annotated[str | None, typer.Option("--name", help="who or what uses it")] = None,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Create an API token and print it once (only its SHA-256 is stored)."""
        from northstar.cli.main import _fail, _language
        from northstar.serve.auth import create_token
        from northstar.watch.store import AlertStore

        language = lang or _language(project)
        try:
            with AlertStore.open(_store_target(project, store)) as db:
                token, stored = create_token(db, role, name)
        except NorthstarError as exc:
            _fail(exc, language)
            return
        console.print(escape(word("created", language, name=stored.name, role=stored.role)))
        print(token)

    @token_app.command("list")
    def token_list(
        all_tokens: Annotated[bool, typer.Option("--all", help="also the revoked ones")] = False,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """List the API tokens (never the tokens themselves)."""
        from northstar.cli.main import _fail, _language
        from northstar.watch.store import AlertStore

        language = lang or _language(project)
        try:
            with AlertStore.open(_store_target(project, store)) as db:
                found = db.tokens(revoked=all_tokens)
        except NorthstarError as exc:
            _fail(exc, language)
            return
        if not found:
            console.print(escape(word("none", language)))
            return
        table = Table(title=word("title", language))
        for key in ("id", "name", "role", "created_at", "revoked_at"):
            table.add_column(word(key, language))
        for t in found:
            table.add_row(str(t.id), escape(t.name), t.role, _when(t.created_at), _when(t.revoked_at))
        console.print(table)

    @token_app.command("revoke")
    def token_revoke(
        key: Annotated[str, typer.Argument(help="the token's id or name")],
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Revoke a token: requests sending it get 401 from then on."""
        from northstar.cli.main import _fail, _language
        from northstar.watch.store import AlertStore

        language = lang or _language(project)
        try:
            with AlertStore.open(_store_target(project, store)) as db:
                revoked = db.revoke_token(key)
        except NorthstarError as exc:
            _fail(exc, language)
            return
        for t in revoked:
            console.print(escape(word("revoked", language, name=t.name, id=t.id)))


def serve_project(
    project: Path | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    require_token: bool = False,
    store: str | None = None,
    engine: str = "duckdb",
    lang: str | None = None,
) -> None:
    """Serve the project at ``project`` (``northstar.yml`` or its folder) with uvicorn until stopped,
    after printing its address: ``northstar serve`` and ``northstar demo``. The cache is warmed
    with the pages' default queries in the background from the start. A project that does not
    load, or a non-loopback address with no token in the app database, is reported as every
    command reports errors (``cli.main._fail``)."""
    import uvicorn

    from northstar.cli.main import _fail, _language, err
    from northstar.serve.app import create_app
    from northstar.serve.auth import is_loopback
    from northstar.watch.store import AlertStore

    language = lang or _language(project)
    needs_token = require_token or not is_loopback(host)
    try:
        target = _store_target(project, store)
        with AlertStore.open(target) as db:
            tokens = db.tokens()
        if needs_token and not tokens:
            raise UserError(
                f"bound to {host} the server needs a token, and the app database has none:"
                " create one with 'northstar token create --role viewer' (or bind to 127.0.0.1)",
                f"绑定到 {host} 时服务器需要令牌，而应用数据库中还没有：请先运行"
                " 'northstar token create --role viewer'（或绑定到 127.0.0.1）",
            )
        # the database by its place: the server opens its own connections (context.py)
        api = create_app(project, store=target, tokens=needs_token, engine=engine, warm=True)
    except NorthstarError as exc:
        _fail(exc, language)
        return
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    name = api.state.northstar.project().spec.project.name
    err.print(escape(word("serving", language, name=name, url=url)))
    err.print(escape(word("token_needed" if needs_token else "no_token", language, url=url)))
    err.print(escape(word("api", language, url=url)))
    uvicorn.run(api, host=host, port=port, log_level="warning")
