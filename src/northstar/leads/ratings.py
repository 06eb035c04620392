"""Sales' ratings of leads: checked, then saved in the app database in one transaction.

A rating is a score from 1 (useless) to 5 (a real buyer) and a reason from the lead set's list
(``reasons:``; defaults in :data:`northstar.spec.leads.DEFAULT_REASONS`), with who rated and when.
:func:`check_ratings` refuses a batch with any bad row — an unknown lead, a score outside 1–5, an
unknown reason (with "did you mean") — naming the row and column, so nothing is half-imported;
:func:`rate` checks and saves. The rating in force for a lead is the latest (see
:mod:`northstar.leads.table`), and the lead set's table is rebuilt on the next load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from northstar.errors import DataError, QueryError
from northstar.spec.suggest import did_you_mean
from northstar.watch.store import LeadRating

if TYPE_CHECKING:
    from northstar.project import Project
    from northstar.watch.store import AlertStore

__all__ = ["check_ratings", "lead_ids", "rate", "read_ratings_file"]


def _set(project: Project, lead_set: str | None) -> str:
    sets = project.spec.leads or {}
    if lead_set is None:
        if len(sets) == 1:
            return next(iter(sets))
        raise QueryError(
            "say which lead set (--set): " + (", ".join(sets) or "none is defined under leads:"),
            "请指定线索集（--set）：" + ("、".join(sets) or "leads: 中没有定义线索集"),
        )
    if lead_set not in sets:
        raise QueryError(
            f"there is no lead set {lead_set!r}" + did_you_mean(lead_set, sets),
            f"没有名为 {lead_set!r} 的线索集" + did_you_mean(lead_set, sets, "zh"),
        )
    return lead_set


def lead_ids(project: Project, lead_set: str) -> set[str]:
    """The ids of the lead set's leads (from its screened table)."""
    ls = project.spec.leads[lead_set]
    table = project.table(project.engine, lead_set)
    frame = project.engine.execute(table.select(ls.columns.id).distinct())
    return {str(v) for v in frame[ls.columns.id]}


def check_ratings(
    project: Project, lead_set: str | None, ratings: Sequence[LeadRating], *, where: str = "rating"
) -> list[LeadRating]:
    """The ratings, checked against the lead set (all rows, or a ``DataError`` naming the first bad
    one: ``where`` says how rows are called, e.g. the file's name)."""
    name = _set(project, lead_set)
    ls = project.spec.leads[name]
    codes = {r.code for r in ls.reasons}
    known = lead_ids(project, name)
    out = []
    for i, r in enumerate(ratings, start=1):
        row = f"{where} {i}" if len(ratings) > 1 else where
        if r.lead_id not in known:
            raise DataError(
                f"{row}, lead_id: {r.lead_id!r} is not a lead of {name!r}" + did_you_mean(r.lead_id, known),
                f"{row}，lead_id：{r.lead_id!r} 不是线索集 {name!r} 中的线索"
                + did_you_mean(r.lead_id, known, "zh"),
            )
        if not isinstance(r.score, int) or not 1 <= r.score <= 5:
            raise DataError(
                f"{row}, score: {r.score!r} is not a score from 1 to 5",
                f"{row}，score：{r.score!r} 不是 1 到 5 的评分",
            )
        if r.reason not in codes:
            raise DataError(
                f"{row}, reason: {r.reason!r} is not one of {', '.join(sorted(codes))}"
                + did_you_mean(r.reason, codes),
                f"{row}，reason：{r.reason!r} 不在原因列表中（{', '.join(sorted(codes))}）"
                + did_you_mean(r.reason, codes, "zh"),
            )
        if not r.rated_by.strip():
            raise DataError(f"{row}, rated_by: say who rated the lead", f"{row}，rated_by：请写明评分人")
        out.append(replace(r, lead_set=name))
    return out


def read_ratings_file(
    project: Project, lead_set: str | None, path: Path, rated_by: str | None
) -> list[LeadRating]:
    """A CSV or Excel file of ratings (lead_id, score, reason[, rated_by, rated_at, note]), every row
    checked with its file, row and column (see :func:`northstar.leads.table.read_rating_file`)."""
    import pandas as pd

    from northstar.leads.table import read_rating_file

    name = _set(project, lead_set)
    ls = project.spec.leads[name]
    frame = read_rating_file(path, ls, lead_ids(project, name))
    out = []
    for i, row in enumerate(frame.to_dict("records")):
        by = row.get("rated_by")
        by = by if isinstance(by, str) and by.strip() else rated_by
        if not by:
            raise DataError(
                f"{path}, row {i + 2}, column rated_by: say who rated (a rated_by column, or --by)",
                f"{path}，第 {i + 2} 行，rated_by 列：请写明评分人（rated_by 列或 --by）",
            )
        at = row.get("rated_at")
        when = None if at is None or pd.isna(at) else pd.Timestamp(at).to_pydatetime()
        note = row.get("note")
        note = note if isinstance(note, str) and note else None
        out.append(
            LeadRating(name, str(row["lead_id"]), int(row["score"]), str(row["reason"]), by, when, note)
        )
    return out


def rate(project: Project, store: AlertStore, lead_set: str | None, ratings: Sequence[LeadRating]) -> int:
    """Check ``ratings`` and save them in one transaction; returns how many were saved."""
    checked = check_ratings(project, lead_set, ratings)
    return store.rate_leads(checked)
