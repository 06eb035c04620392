"""``northstar review --period 2026-11``: the monthly KPI review pack as an HTML document (and an
xlsx workbook with ``--xlsx``).

The pack is built by :func:`northstar.export.review.build_review` (see its docstring for what each
section holds) and written by :func:`northstar.export.review.write_review`; this module only parses
the options, shows progress and says where the files went. Registered on the main app by
:func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from northstar.errors import NorthstarError

STEPS = {
    "kpis": ("KPIs against targets", "指标与目标"),
    "scorecards": ("scorecards", "计分卡"),
    "okrs": ("OKRs", "OKR"),
    "alerts": ("alerts", "告警"),
    "targets": ("target proposals", "目标建议"),
}


def register(app: typer.Typer) -> None:
    """Add ``review`` to the main app."""

    @app.command()
    def review(
        period: Annotated[str, typer.Option("--period", help="the month (2026-11) or quarter (2026-Q4)")],
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="the HTML file (default: northstar-review-<period>.html)"),
        ] = None,
        xlsx: Annotated[
            Path | None, typer.Option("--xlsx", help="also write the pack as an .xlsx workbook")
        ] = None,
        store: Annotated[
            str | None,
            typer.Option(
                "--store",
                help="alert store with alerts, reviews and app targets (default: $NORTHSTAR_ALERT_STORE,"
                " else .northstar/alerts.db next to the project)",
            ),
        ] = None,
        project: Annotated[
            Path | None,
            typer.Option("--project", "-p", help="northstar.yml or its folder (default: current folder)"),
        ] = None,
        lang: Annotated[
            str | None, typer.Option("--lang", help="en or zh (default: the project's language)")
        ] = None,
    ) -> None:
        """The monthly KPI review pack: north star and KPIs vs targets, scorecards, OKRs, alerts with
        their 5-Why reviews, and proposed target updates, as one HTML document."""
        from northstar.cli.main import _fail, _language, _progress, console
        from northstar.export.goals import check_suffix
        from northstar.export.review import build_review, review_period, write_review
        from northstar.project import Project
        from northstar.watch.store import _redact, _sqlite_path, app_store_target

        language = lang or _language(project)
        try:
            p = review_period(period)
            html = output or Path(f"northstar-review-{p.label}.html")
            check_suffix(html, (".html", ".htm", ".xlsx"))
            if xlsx is not None:
                check_suffix(xlsx, (".xlsx",))
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            target = app_store_target(proj.base_dir, store)
            path = _sqlite_path(target)
            db = proj.app_store(store, create=False)
            zh = language == "zh"
            try:
                with _progress() as bar:
                    task = bar.add_task("review", total=None)

                    def step(name: str) -> None:
                        en, zh_text = STEPS.get(name, (name, name))
                        bar.update(task, description=zh_text if zh else en)

                    pack = build_review(
                        proj,
                        p,
                        store=db,
                        store_name=str(path) if path is not None else _redact(target),
                        lang=language,
                        progress=step,
                    )
            finally:
                if db is not None:
                    db.close()
            written = [write_review(pack, html)]
            if xlsx is not None:
                written.append(write_review(pack, xlsx))
            for f in written:
                console.print(f"已写入 {escape(str(f))}" if zh else f"wrote {escape(str(f))}")
        except NorthstarError as exc:
            _fail(exc, language)
