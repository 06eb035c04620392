"""What every ``northstar`` command shares: the ``--project``, ``--lang`` and ``--store`` options,
and the project's language and error printing for sub-command modules (which cannot import
:mod:`northstar.cli.main` at import time: it imports them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from northstar.errors import NorthstarError

__all__ = ["LangOpt", "ProjectOpt", "StoreOpt", "fail", "language", "store_target"]

ProjectOpt = Annotated[
    Path | None, typer.Option("--project", "-p", help="northstar.yml or its folder (default: current folder)")
]


def _check_lang(value: str | None) -> str | None:
    """``--lang``: en or zh (anything else is a bad option, exit code 2)."""
    if value is not None and value not in ("en", "zh"):
        raise typer.BadParameter(f"{value!r}: choose en or zh (选 en 或 zh)")
    return value


LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="en or zh (default: the project's language)", callback=_check_lang),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="the app database: a SQLite file or postgresql://… (default: $NORTHSTAR_ALERT_STORE,"
        " else .northstar/alerts.db next to the project)",
    ),
]


def store_target(project: Path | None, store: str | None) -> str:
    """``--store``, else ``$NORTHSTAR_ALERT_STORE``, else ``.northstar/alerts.db`` next to the
    project file found from ``--project`` (:func:`northstar.watch.store.app_store_target`)."""
    from northstar.project import find_project_file
    from northstar.watch.store import app_store_target

    return app_store_target(find_project_file(project).parent, store)


def language(project: Path | None) -> str:
    """The project's language (en or zh), read leniently so a broken project still gets it."""
    from northstar.cli.main import _language

    return _language(project)


def fail(exc: NorthstarError, lang: str) -> None:
    """Print ``exc`` in ``lang`` and exit (see :func:`northstar.cli.main._fail`)."""
    from northstar.cli.main import _fail

    _fail(exc, lang)
