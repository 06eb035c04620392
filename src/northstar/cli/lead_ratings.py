"""``northstar leads rate`` and ``northstar leads ratings``: sales rate leads 1–5 with a reason.

Registered on the ``leads`` sub-app by :func:`register`; the checks are in
:mod:`northstar.leads.ratings`, the storage in the app database (:mod:`northstar.watch.store`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from northstar.cli.options import LangOpt, ProjectOpt, StoreOpt
from northstar.cli.options import fail as _fail
from northstar.cli.options import language as _language
from northstar.errors import NorthstarError, UserError

console = Console()

SetOpt = Annotated[str | None, typer.Option("--set", help="the lead set (needed when there are several)")]


def register(leads_app: typer.Typer) -> None:
    """Add ``rate`` and ``ratings`` to the ``leads`` sub-app."""

    @leads_app.command("rate")
    def rate_command(
        lead_id: Annotated[str | None, typer.Argument(help="the lead's id (or --file for many)")] = None,
        score: Annotated[int | None, typer.Option("--score", help="1 (useless) to 5 (a real buyer)")] = None,
        reason: Annotated[str | None, typer.Option("--reason", help="a reason code of the lead set")] = None,
        by: Annotated[str | None, typer.Option("--by", help="who rates (name or e-mail)")] = None,
        note: Annotated[str | None, typer.Option("--note", help="a free note kept with the rating")] = None,
        file: Annotated[
            Path | None,
            typer.Option("--file", help="CSV/Excel: lead_id, score, reason[, rated_by, rated_at, note]"),
        ] = None,
        lead_set: SetOpt = None,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Rate a lead (or a file of leads) 1–5 with a reason; a file is saved whole or not at all."""
        from northstar.leads.ratings import rate, read_ratings_file
        from northstar.project import Project
        from northstar.watch.store import LeadRating

        language = lang or _language(project)
        zh = language == "zh"
        try:
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            zh = language == "zh"
            if file is not None:
                if lead_id is not None or score is not None:
                    raise UserError(
                        "give a lead and --score, or --file, not both", "单条评分与 --file 只能二选一"
                    )
                rows = read_ratings_file(proj, lead_set, file, by)
            else:
                if lead_id is None or score is None or reason is None or by is None:
                    raise UserError(
                        "rate a lead with: northstar leads rate L00012 --score 4 --reason right_buyer --by NAME",
                        "单条评分写法：northstar leads rate L00012 --score 4 --reason right_buyer --by 姓名",
                    )
                rows = [LeadRating("", lead_id, score, reason, by, None, note)]
            earlier = _in_force(proj, lead_set, [r.lead_id for r in rows])
            with proj.app_store(store) as db:
                saved = rate(proj, db, lead_set, rows)
            console.print(f"已保存 {saved} 条评分" if zh else f"saved {saved} rating(s)")
            for lead, (score_before, by_before, at) in sorted(earlier.items()):
                when = at.strftime("%Y-%m-%d") if at is not None else "?"
                console.print(
                    f"{lead}：取代了 {by_before} 于 {when} 给出的 {score_before} 分（历史仍保留）"
                    if zh
                    else f"{lead}: replaces {by_before}'s {score_before} of {when} (the history is kept)"
                )
        except NorthstarError as exc:
            _fail(exc, language)

    @leads_app.command("ratings")
    def ratings_command(
        lead_set: SetOpt = None,
        history: Annotated[
            bool, typer.Option("--history", help="every rating saved in the app, oldest first")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """The ratings in force (the ratings file's and the app's, the latest per lead)."""
        import pandas as pd

        from northstar.leads.ratings import _set
        from northstar.project import Project

        language = lang or _language(project)
        try:
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            zh = language == "zh"
            name = _set(proj, lead_set)
            ls = proj.spec.leads[name]
            if history:
                with proj.app_store(store) as db:
                    rows = db.lead_ratings(name, history=True)
                frame = pd.DataFrame(
                    [(r.lead_id, r.score, r.reason, r.rated_by, r.rated_at, r.note) for r in rows],
                    columns=["lead_id", "rating", "rating_reason", "rated_by", "rated_at", "note"],
                )
            else:
                t = proj.table(proj.engine, name)
                frame = proj.engine.execute(
                    t.filter(t.rated).select(ls.columns.id, "rating", "rating_reason", "rated_by", "rated_at")
                ).rename(columns={ls.columns.id: "lead_id"})
                frame = frame.sort_values("lead_id").reset_index(drop=True)
            if as_json:
                print(frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=2))
                return
            labels = {r.code: (r.zh or r.en) if zh else r.en for r in ls.reasons}
            table = Table(title=("销售评分 · " if zh else "Sales ratings · ") + name, title_justify="left")
            for head in (
                ["线索", "评分", "原因", "评分人", "时间"] if zh else ["lead", "score", "reason", "by", "at"]
            ):
                table.add_column(head)
            for r in frame.to_dict("records"):
                table.add_row(
                    escape(str(r["lead_id"])),
                    str(r["rating"]),
                    escape(labels.get(str(r["rating_reason"]), str(r["rating_reason"]))),
                    escape(str(r["rated_by"])),
                    "" if pd.isna(r["rated_at"]) else pd.Timestamp(r["rated_at"]).strftime("%Y-%m-%d %H:%M"),
                )
            console.print(table)
            scores = frame["rating"].astype(float)
            console.print(
                f"{len(frame)} 条评分，平均 {scores.mean():.2f}，{(scores >= ls.accepted).mean():.0%} 被认可（≥ {ls.accepted}）"
                if zh
                else f"{len(frame)} ratings, mean {scores.mean():.2f}, {(scores >= ls.accepted).mean():.0%} accepted (≥ {ls.accepted})"
            )
        except NorthstarError as exc:
            _fail(exc, language)


def _in_force(project: Any, lead_set: str | None, ids: list[str]) -> dict[str, tuple[int, str, Any]]:
    """The ratings in force for ``ids`` (score, who, when) before new ones are saved."""
    import pandas as pd

    from northstar.leads.ratings import _set

    name = _set(project, lead_set)
    id_column = project.spec.leads[name].columns.id
    t = project.table(project.engine, name)
    frame = project.engine.execute(
        t.filter(t.rated & t[id_column].isin(ids)).select(id_column, "rating", "rated_by", "rated_at")
    )
    return {
        str(r[id_column]): (
            int(r["rating"]),
            str(r["rated_by"]),
            None if pd.isna(r["rated_at"]) else pd.Timestamp(r["rated_at"]),
        )
        for r in frame.to_dict("records")
    }
