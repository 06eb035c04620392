"""``northstar alerts``: list the stored alerts, move them along (acknowledge, close) and write
their review (the 5-Why chain, owner, actions, due date). en/zh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from northstar.cli.options import LangOpt, ProjectOpt, StoreOpt, store_target
from northstar.cli.options import fail as _fail
from northstar.errors import NorthstarError, UserError

app = typer.Typer(help="Stored alerts: list, acknowledge, review (5-Why) and close.", no_args_is_help=True)
console = Console()

_STATE_ZH = {"open": "待处理", "acknowledged": "已确认", "reviewed": "已复盘", "closed": "已关闭"}


def _target(project: Path | None, store: str | None) -> tuple[str, str]:
    """The store to open and the project's language."""
    from northstar.cli.main import _language

    return store_target(project, store), _language(project)


@app.command("list")
def list_alerts(
    state: Annotated[str | None, typer.Option(help="open, acknowledged, reviewed or closed")] = None,
    metric: Annotated[str | None, typer.Option(help="only this metric")] = None,
    project: ProjectOpt = None,
    store: StoreOpt = None,
    lang: LangOpt = None,
) -> None:
    """The stored alerts, oldest first."""
    from northstar.watch.store import AlertStore

    target, language = _target(project, store)
    language = lang or language
    zh = language == "zh"
    try:
        with AlertStore.open(target) as db:
            rows = db.list(state=state, metric=metric)
    except NorthstarError as exc:
        _fail(exc, language)
        return
    table = Table()
    for col in (
        "id",
        "周期" if zh else "period",
        "规则" if zh else "rule",
        "切片" if zh else "slice",
        "状态" if zh else "state",
        "摘要" if zh else "summary",
    ):
        table.add_column(col)
    for a in rows:
        where = " & ".join(f"{k}={v}" for k, v in a.slice.items()) or ("全部" if zh else "all")
        table.add_row(
            a.id[:8],
            str(a.period),
            escape(a.rule),
            escape(where),
            _STATE_ZH[a.state] if zh else a.state,
            escape(a.summary(language)),
        )
    console.print(table)


def _resolve(db: object, alert_id: str) -> str:
    """An alert id, or a unique prefix of one (as git takes a commit)."""
    from northstar.watch.store import AlertStore

    assert isinstance(db, AlertStore)
    if db.get(alert_id) is not None:
        return alert_id
    matches = [a.id for a in db.list() if a.id.startswith(alert_id)] if len(alert_id) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    raise UserError(
        f"no alert {alert_id!r}" + (f" (the prefix matches {len(matches)})" if len(matches) > 1 else ""),
        f"没有告警 {alert_id!r}" + (f"（该前缀匹配 {len(matches)} 条）" if len(matches) > 1 else ""),
    )


def _move(
    alert_id: str,
    to: str,
    by: str,
    note: str | None,
    project: Path | None,
    store: str | None,
    lang: str | None,
) -> None:
    from northstar.watch.store import AlertStore

    target, language = _target(project, store)
    language = lang or language
    try:
        with AlertStore.open(target) as db:
            alert_id = _resolve(db, alert_id)
            stored = db.transition(alert_id, to, by, note)
    except NorthstarError as exc:
        _fail(exc, language)
        return
    state = _STATE_ZH[stored.state] if language == "zh" else stored.state
    console.print(f"[green]✓[/] {alert_id}: {state}")


@app.command()
def ack(
    alert_id: Annotated[str, typer.Argument(help="the alert's id (see `northstar alerts list`)")],
    by: Annotated[str, typer.Option("--by", help="who acknowledges it")],
    note: Annotated[str | None, typer.Option(help="a note kept in the history")] = None,
    project: ProjectOpt = None,
    store: StoreOpt = None,
    lang: LangOpt = None,
) -> None:
    """Acknowledge an alert: someone is looking into it."""
    _move(alert_id, "acknowledged", by, note, project, store, lang)


@app.command()
def close(
    alert_id: Annotated[str, typer.Argument(help="the alert's id")],
    by: Annotated[str, typer.Option("--by", help="who closes it")],
    note: Annotated[
        str | None, typer.Option(help="why (required for an alert that was never reviewed)")
    ] = None,
    project: ProjectOpt = None,
    store: StoreOpt = None,
    lang: LangOpt = None,
) -> None:
    """Close an alert (after its review, or as a false alarm with a note)."""
    _move(alert_id, "closed", by, note, project, store, lang)


@app.command()
def review(
    alert_id: Annotated[str, typer.Argument(help="the alert's id")],
    why: Annotated[
        list[str], typer.Option("--why", help="one link of the 5-Why chain (repeat 1-5 times, in order)")
    ],
    owner: Annotated[str, typer.Option(help="who owns the follow-up")],
    due: Annotated[str, typer.Option(help="when the actions are due, YYYY-MM-DD")],
    action: Annotated[
        list[str] | None, typer.Option("--action", help="a follow-up action (repeatable)")
    ] = None,
    project: ProjectOpt = None,
    store: StoreOpt = None,
    lang: LangOpt = None,
) -> None:
    """Write the alert's review (the 5-Why chain, owner, actions, due date) and mark it reviewed."""
    from northstar.compile.request import parse_date
    from northstar.watch.store import AlertStore

    target, language = _target(project, store)
    language = lang or language
    try:
        due_day = parse_date(due, "--due")
        with AlertStore.open(target) as db:
            alert_id = _resolve(db, alert_id)
            db.review(alert_id, why, owner, action or [], due_day)
            current = db.get(alert_id)
            if current is None:
                raise UserError(f"no alert {alert_id!r}", f"没有告警 {alert_id!r}")
            if current.state in ("open", "acknowledged"):
                if current.state == "open":
                    db.transition(alert_id, "acknowledged", owner)
                db.transition(alert_id, "reviewed", owner)
    except NorthstarError as exc:
        _fail(exc, language)
        return
    console.print(f"[green]✓[/] {alert_id}: " + ("已复盘" if language == "zh" else "reviewed"))
