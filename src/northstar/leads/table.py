"""A lead set as a table the engines read: the source's rows, screened, de-duplicated and rated.

For each entry of ``leads:`` the project gains a source with the lead set's name (``source:
wholesale`` in a metric), read from ``.northstar/leads/<name>.parquet`` next to ``northstar.yml``.
:func:`build_lead_table` writes that file (atomically) when it is missing or stale; it is stale
when the lead source's file, the ratings file, the ratings in the app database or the lead set's
definition changed (a fingerprint beside it says which). A lead source that is a database table
has no file to fingerprint and is screened again on every load.

Columns: every column of the lead source, then

=================  ==========================================================================
``phone_*`` …      :func:`northstar.leads.screen.screen` (``phone_e164``, ``phone_valid``,
``email_*`` …      ``phone_type``, ``phone_region``, ``email_norm``, ``email_valid``,
``suspicious``     ``suspicious``, ``reject_reason``)
``duplicate_of``   :func:`northstar.leads.dedupe.dedupe` (the kept lead's id; ``kept``)
``clean``          kept and not rejected: a lead marketing is credited with
``rating``         sales' score 1–5 in force (null while unrated), ``rating_reason``,
                   ``rated_by``, ``rated_at``
``rated``          has a rating
``accepted``       ``rating ≥ accepted`` (the lead set's threshold, 3 by default); false when unrated
``won``            the outcome is one of ``won`` (the lead set's deal outcomes)
``cycle_days``     for a won or lost lead with a ``closed`` time: days from created to closed
=================  ==========================================================================

The rating in force for a lead is the latest by ``rated_at`` of those in the lead set's
``ratings:`` file (exported from a CRM) and those saved in the app database (``northstar leads
rate``); at equal times the app's wins.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from northstar.errors import DataError

if TYPE_CHECKING:
    from northstar.project import Project
    from northstar.spec.leads import LeadSet
    from northstar.spec.models import ProjectSpec, Source
    from northstar.watch.store import AlertStore

__all__ = ["CACHE_DIR", "RATING_COLUMNS", "build_lead_table", "lead_source", "read_rating_file", "stale"]

CACHE_DIR = Path(".northstar") / "leads"
RATING_COLUMNS = ("lead_id", "score", "reason", "rated_by", "rated_at")
_VERSION = 1  # bump when the table's columns or rules change


def lead_source(spec: ProjectSpec, name: str) -> Source | None:
    """The source a lead set adds to the project (None while its lead source is unknown)."""
    from northstar.spec.models import Source

    ls = spec.leads[name]
    base = spec.sources.get(ls.source)
    if base is None:
        return None
    return Source(
        path=str(CACHE_DIR / f"{name}.parquet"),
        format="parquet",
        time=base.time,
        entity=ls.columns.id,
        timezone=base.timezone,
        label=ls.label or base.label,
        description=ls.description,
    )


def _file_print(path: Path) -> list[Any] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [str(path), st.st_size, st.st_mtime_ns]


def fingerprint(project: Project, name: str, store: AlertStore | None) -> str | None:
    """What the table was built from; None when it cannot be known (a database table)."""
    ls = project.spec.leads[name]
    base = project.spec.sources[ls.source]
    if base.path is None or "://" in (base.path or "") or base.table is not None:
        return None
    files = (
        sorted(project.base_dir.glob(base.path))
        if any(c in base.path for c in "*?[")
        else [project.base_dir / base.path]
    )
    parts: dict[str, Any] = {
        "version": _VERSION,
        "lead_set": ls.model_dump(mode="json"),
        "source": base.model_dump(mode="json"),
        "files": [_file_print(f) for f in files],
        "ratings_file": _file_print(project.base_dir / ls.ratings) if ls.ratings else None,
        "ratings_db": list(store.ratings_fingerprint(name)) if store is not None else None,
        "timezone": project.spec.project.timezone,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def stale(project: Project, name: str, store: AlertStore | None) -> bool:
    out = project.base_dir / CACHE_DIR / f"{name}.parquet"
    mark = out.with_suffix(".json")
    fp = fingerprint(project, name, store)
    if fp is None or not out.exists() or not mark.exists():
        return True
    try:
        return json.loads(mark.read_text(encoding="utf-8")).get("fingerprint") != fp
    except (OSError, ValueError):
        return True


def read_rating_file(path: Path, ls: LeadSet, known_ids: set[str] | None = None) -> pd.DataFrame:
    """A ratings file (CSV or Excel: lead_id, score, reason, rated_by, rated_at), checked: a bad row
    raises a ``DataError`` naming the file, the row (as a spreadsheet numbers it) and the column."""
    if not path.exists():
        raise DataError(f"ratings file {path} does not exist", f"评分文件 {path} 不存在")
    if path.suffix.lower() in (".xlsx", ".xls"):
        frame = pd.read_excel(path, dtype=str)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    missing = [c for c in ("lead_id", "score", "reason") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: no column {', '.join(missing)}; a ratings file has lead_id, score, reason, rated_by, rated_at",
            f"{path}：缺少列 {', '.join(missing)}；评分文件应有 lead_id、score、reason、rated_by、rated_at",
        )
    codes = {r.code for r in ls.reasons}
    from northstar.spec.suggest import did_you_mean

    records = frame.to_dict("records")
    problems: list[tuple[str, str]] = []
    seen: dict[tuple[str, str], int] = {}

    def bad(row: int, column: str, en: str, zh: str) -> None:
        problems.append((f"row {row}, column {column}: {en}", f"第 {row} 行，{column} 列：{zh}"))

    for i, rec in enumerate(records, start=2):  # row 1 is the header
        lead, score, reason = rec.get("lead_id"), rec.get("score"), rec.get("reason")
        if not isinstance(lead, str) or not lead.strip():
            bad(i, "lead_id", "is empty", "为空")
        elif known_ids is not None and lead.strip() not in known_ids:
            bad(i, "lead_id", f"{lead!r} is not a lead of this set", f"{lead!r} 不是该线索集中的线索")
        if str(score).strip() not in ("1", "2", "3", "4", "5"):
            bad(i, "score", f"{score!r} is not a score from 1 to 5", f"{score!r} 不是 1 到 5 的评分")
        if str(reason).strip() not in codes:
            bad(
                i,
                "reason",
                f"{reason!r} is not one of the lead set's reasons ({', '.join(sorted(codes))})"
                + did_you_mean(str(reason), codes),
                f"{reason!r} 不在该线索集的原因列表中（{', '.join(sorted(codes))}）"
                + did_you_mean(str(reason), codes, "zh"),
            )
        key = (str(lead).strip(), str(rec.get("rated_at") or ""))
        if key in seen:
            bad(
                i,
                "lead_id",
                f"{key[0]} is rated again with the same time as row {seen[key]}: which one holds?",
                f"{key[0]} 再次评分且时间与第 {seen[key]} 行相同：无法判断以哪条为准",
            )
        seen.setdefault(key, i)
    if problems:
        shown = problems[:20]
        more = len(problems) - len(shown)
        tail = (f"; and {more} more", f"；另有 {more} 处") if more else ("", "")
        raise DataError(
            f"{path}: {len(problems)} problem(s): " + "; ".join(en for en, _ in shown) + tail[0],
            f"{path}：{len(problems)} 处问题：" + "；".join(zh for _, zh in shown) + tail[1],
        )
    out = pd.DataFrame(
        {
            "lead_id": frame["lead_id"].str.strip(),
            "score": frame["score"].astype(int),
            "reason": frame["reason"].str.strip(),
            "rated_by": frame["rated_by"] if "rated_by" in frame.columns else None,
            "rated_at": pd.to_datetime(frame["rated_at"]) if "rated_at" in frame.columns else pd.NaT,
            "note": frame["note"] if "note" in frame.columns else None,
        }
    )
    return out


def build_lead_table(
    project: Project, name: str, store: AlertStore | None = None, *, force: bool = False
) -> Path:
    """Write ``.northstar/leads/<name>.parquet`` for lead set ``name`` unless it is up to date."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from northstar.engine.base import HIDDEN
    from northstar.leads.dedupe import dedupe
    from northstar.leads.screen import screen

    ls = project.spec.leads[name]
    out = project.base_dir / CACHE_DIR / f"{name}.parquet"
    if not force and not stale(project, name, store):
        return out
    base = project.spec.sources[ls.source]
    table = project.table(project.engine, ls.source)
    raw = project.engine.execute(table.select([c for c in table.columns if c not in HIDDEN]))
    cols = ls.columns
    if cols.id not in raw.columns:
        raise DataError(
            f"lead set {name!r}: the source {ls.source!r} has no id column {cols.id!r}",
            f"线索集 {name!r}：数据源 {ls.source!r} 没有 id 列 {cols.id!r}",
        )
    raw[cols.id] = raw[cols.id].astype(str)
    screened = screen(raw, cols, ls.region)
    frame = dedupe(screened, ls.keep, base.time, cols.id)
    frame["clean"] = frame["kept"].astype(bool) & frame["reject_reason"].isna()
    ratings = _ratings(project, name, ls, set(frame[cols.id]), store)
    frame = frame.merge(ratings, how="left", left_on=cols.id, right_on="lead_id", suffixes=("", "__rating"))
    if "lead_id__rating" in frame.columns:
        frame = frame.drop(columns=["lead_id__rating"])
    elif cols.id != "lead_id":
        frame = frame.drop(columns=["lead_id"])
    frame["rating"] = frame["rating"].astype("Int64")
    frame["rated"] = frame["rating"].notna()
    frame["accepted"] = (frame["rating"] >= ls.accepted).fillna(False).astype(bool)
    outcome = (
        frame[cols.outcome]
        if cols.outcome and cols.outcome in frame.columns
        else pd.Series(None, index=frame.index)
    )
    frame["won"] = (
        outcome.astype("string").str.strip().str.lower().isin([w.lower() for w in ls.won]).fillna(False)
    )
    if cols.closed and cols.closed in frame.columns:
        closed = pd.to_datetime(frame[cols.closed], errors="coerce")
        created = pd.to_datetime(frame[base.time], errors="coerce")
        frame["cycle_days"] = (closed - created).dt.total_seconds() / 86_400
    else:
        frame["cycle_days"] = float("nan")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    table_out = pa.Table.from_pandas(frame, preserve_index=False)
    for i, field in enumerate(table_out.schema):  # microseconds: Spark reads no nanosecond timestamps
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            table_out = table_out.set_column(
                i, field.name, table_out.column(i).cast(pa.timestamp("us", field.type.tz))
            )
    pq.write_table(table_out, tmp)
    tmp.replace(out)
    fp = fingerprint(project, name, store)
    mark = out.with_suffix(".json")
    mark_tmp = mark.with_name(mark.name + f".{os.getpid()}.tmp")
    mark_tmp.write_text(json.dumps({"fingerprint": fp, "rows": len(frame)}) + "\n", encoding="utf-8")
    mark_tmp.replace(mark)
    return out


def _ratings(
    project: Project, name: str, ls: LeadSet, known: set[str], store: AlertStore | None
) -> pd.DataFrame:
    """The rating in force per lead: the latest of the file's and the app database's."""
    parts = []
    if ls.ratings:
        f = read_rating_file(project.base_dir / ls.ratings, ls, known)
        f["origin"] = 0
        parts.append(f)
    if store is not None:
        rows = store.lead_ratings(name)
        if rows:
            parts.append(
                pd.DataFrame(
                    {
                        "lead_id": [r.lead_id for r in rows],
                        "score": [r.score for r in rows],
                        "reason": [r.reason for r in rows],
                        "rated_by": [r.rated_by for r in rows],
                        "rated_at": pd.to_datetime(
                            pd.Series([r.rated_at for r in rows]), utc=True
                        ).dt.tz_localize(None),
                        "origin": 1,
                    }
                )
            )
    empty = pd.DataFrame({"lead_id": pd.Series(dtype="string"), "rating": pd.Series(dtype="Int64")})
    if not parts:
        return empty.assign(
            rating_reason=pd.Series(dtype="string"),
            rated_by=pd.Series(dtype="string"),
            rated_at=pd.Series(dtype="datetime64[us]"),
        )
    both = pd.concat(parts, ignore_index=True)
    both["rated_at"] = pd.to_datetime(both["rated_at"])
    both = both.sort_values(["lead_id", "rated_at", "origin"], na_position="first", kind="stable")
    latest = both.groupby("lead_id", sort=False).tail(1)
    return pd.DataFrame(
        {
            "lead_id": latest["lead_id"].astype(str).to_numpy(),
            "rating": latest["score"].astype("Int64").to_numpy(),
            "rating_reason": latest["reason"].to_numpy(),
            "rated_by": latest["rated_by"].to_numpy(),
            "rated_at": latest["rated_at"].to_numpy(),
        }
    )
