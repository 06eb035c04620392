"""The cleaned lead list: screening, then de-duplication, then a per-channel quality summary.

:func:`clean_leads` runs :func:`~northstar.leads.screen.screen` and
:func:`~northstar.leads.dedupe.dedupe` with a lead set's mapping and returns a
:class:`CleanResult`. Nothing is dropped silently: every input lead is in ``clean`` or in
``rejected``, never both.

- ``leads``: every lead, screened and de-duplicated (input columns, the screening columns,
  ``duplicate_of`` and ``kept``), in input order;
- ``clean``: the leads that passed screening (``reject_reason`` is None) and were kept by
  de-duplication, without the ``reject_reason``, ``duplicate_of`` and ``kept`` columns;
- ``rejected``: the others, with a ``reason``: the screening reason, or ``duplicate of <id>``;
  a lead that fails screening has no usable contact, so it is never a duplicate as well;
- ``summary``: one row per channel (sorted by name; leads without a channel under
  ``(no channel)``), then a row for all channels:

  ==========================  ===========================================================
  ``leads``                   leads from the channel
  ``valid_phone_pct``         share with ``phone_valid`` (0–1)
  ``valid_email_pct``         share with ``email_valid`` (0–1)
  ``suspicious_leads``        leads with at least one ``suspicious`` flag
  ``duplicates``              leads that are duplicates of a kept lead (of any channel)
  ``rejected``                leads that failed screening
  ``clean``                   leads in ``clean``; ``leads = rejected + duplicates + clean``
  ``cost``                    the sum of the cost column over all the channel's leads
  ``cost_per_clean_lead``     ``cost / clean`` (None when there is no clean lead)
  ==========================  ===========================================================

  Without a cost column, ``cost`` and ``cost_per_clean_lead`` are None.

:func:`write_clean` writes the result: an ``.xlsx`` workbook with the sheets Clean, Rejected and
Summary (headers of the columns screening adds, and sheet names, in English or Chinese), or a
``.csv`` file of the clean leads only (UTF-8 with a byte-order mark, so Excel reads Chinese).
Either way the file is written atomically: readers see the old file or the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from northstar.errors import DataError, UserError
from northstar.leads.dedupe import dedupe
from northstar.leads.screen import Progress, screen
from northstar.leads.words import ALL_CHANNELS, NO_CHANNEL, column_label, sheet_name, value_zh
from northstar.spec.leads import LeadSet

__all__ = ["SUMMARY_COLUMNS", "CleanResult", "clean_leads", "localise_summary", "write_clean"]

SUMMARY_COLUMNS = (
    "channel",
    "leads",
    "valid_phone_pct",
    "valid_email_pct",
    "suspicious_leads",
    "duplicates",
    "rejected",
    "clean",
    "cost",
    "cost_per_clean_lead",
)
EXCEL_MAX_ROWS = 1_048_575  # plus the header row


@dataclass(frozen=True)
class CleanResult:
    leads: pd.DataFrame
    clean: pd.DataFrame
    rejected: pd.DataFrame
    summary: pd.DataFrame
    id_column: str
    channel_column: str | None


def clean_leads(
    frame: pd.DataFrame,
    lead_set: LeadSet,
    time_column: str,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CleanResult:
    """Screen, de-duplicate and summarise ``frame`` (rules in the module docstring)."""
    columns = lead_set.columns
    _require_columns(frame, columns.id, time_column, columns.phone, columns.email)
    screened = screen(frame, columns, lead_set.region, workers=workers, progress=progress)
    leads = dedupe(screened, lead_set.keep, time_column, columns.id)
    if progress:
        progress("dedupe", 1.0)
    failed = leads["reject_reason"].notna().to_numpy()
    duplicate = leads["duplicate_of"].notna().to_numpy()
    good = ~failed & ~duplicate
    clean = leads.loc[good].drop(columns=["reject_reason", "duplicate_of", "kept"])
    rejected = leads.loc[~good].drop(columns=["kept"])
    reason = [
        why if bad else f"duplicate of {of}"
        for bad, why, of in zip(
            failed[~good], rejected["reject_reason"], rejected["duplicate_of"], strict=True
        )
    ]
    rejected = rejected.assign(reason=pd.Series(reason, index=rejected.index, dtype=object))
    channel = columns.channel if columns.channel in frame.columns else None
    cost = columns.cost if columns.cost in frame.columns else None
    summary = _summary(leads, channel, _costs(frame, cost), failed, duplicate)
    return CleanResult(leads, clean, rejected, summary, columns.id, channel)


def _require_columns(
    frame: pd.DataFrame, id_column: str, time_column: str, phone: str | None, email: str | None
) -> None:
    from northstar.spec.suggest import did_you_mean

    names = [str(c) for c in frame.columns]
    for what, name in (("id", id_column), ("created time", time_column)):
        if name not in frame.columns:
            raise DataError(
                f"the leads have no {what} column {name!r}{did_you_mean(name, names)}; "
                f"the columns are {', '.join(names)}",
                f"线索中没有{'编号' if what == 'id' else '创建时间'}列 {name!r}{did_you_mean(name, names, 'zh')}；"
                f"现有列：{', '.join(names)}",
            )
    if phone not in frame.columns and email not in frame.columns:
        raise DataError(
            f"the leads have neither the phone column {phone!r} nor the e-mail column {email!r}; "
            f"map one of them (the columns are {', '.join(names)})",
            f"线索中既没有电话列 {phone!r}，也没有邮箱列 {email!r}；请映射其中之一（现有列：{', '.join(names)}）",
        )


def _costs(frame: pd.DataFrame, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        at = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"lead {at + 1}: cost {raw.iloc[at]!r} in column {column!r} is not a number",
            f"第 {at + 1} 条线索：列 {column!r} 的成本 {raw.iloc[at]!r} 不是数字",
        )
    return values.fillna(0.0).to_numpy(dtype=float)


def _summary(
    leads: pd.DataFrame,
    channel: str | None,
    cost: np.ndarray | None,
    failed: np.ndarray,
    duplicate: np.ndarray,
) -> pd.DataFrame:
    n = len(leads)
    names = (
        leads[channel].astype(object).where(leads[channel].notna(), None).to_numpy(dtype=object)
        if channel
        else np.full(n, None, dtype=object)
    )
    parts = pd.DataFrame(
        {
            "channel": pd.Series(names, dtype=object).map(lambda v: NO_CHANNEL[0] if v is None else str(v)),
            "leads": 1,
            "valid_phone": leads["phone_valid"].to_numpy(dtype=bool).astype(int),
            "valid_email": leads["email_valid"].to_numpy(dtype=bool).astype(int),
            "suspicious_leads": (leads["suspicious"].to_numpy(dtype=object) != "").astype(int),
            "duplicates": duplicate.astype(int),
            "rejected": failed.astype(int),
            "clean": (~failed & ~duplicate).astype(int),
            "cost": cost if cost is not None else 0.0,
        }
    )
    by = parts.groupby("channel", sort=True).sum()
    total = parts.drop(columns="channel").sum().to_frame(ALL_CHANNELS[0]).T
    table = pd.concat([by, total]) if n else total
    table.index.name = "channel"
    table = table.reset_index()
    leads_n = table["leads"].astype(float)
    out = pd.DataFrame({"channel": table["channel"].astype(object), "leads": table["leads"].astype(int)})
    out["valid_phone_pct"] = (table["valid_phone"] / leads_n).where(leads_n > 0)
    out["valid_email_pct"] = (table["valid_email"] / leads_n).where(leads_n > 0)
    for name in ("suspicious_leads", "duplicates", "rejected", "clean"):
        out[name] = table[name].astype(int)
    if cost is None:
        out["cost"] = None
        out["cost_per_clean_lead"] = None
    else:
        out["cost"] = table["cost"].astype(float)
        out["cost_per_clean_lead"] = (out["cost"] / out["clean"]).where(out["clean"] > 0)
    return out[list(SUMMARY_COLUMNS)]


def write_clean(result: CleanResult, path: Path, lang: str = "en") -> Path:
    """Write ``result`` to ``path`` (``.xlsx``: three sheets; ``.csv``: the clean leads)."""
    from northstar.export.atomic import atomic_path

    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UserError(
            f"cannot write {path.name}: use an .xlsx file (clean, rejected and summary sheets) or a .csv file",
            f"无法写入 {path.name}：请使用 .xlsx 文件（有效、剔除与汇总三个工作表）或 .csv 文件",
        )
    if suffix == ".xlsx":
        biggest = max(len(result.clean), len(result.rejected))
        if biggest > EXCEL_MAX_ROWS:
            raise UserError(
                f"{biggest:,} leads do not fit in an Excel sheet (at most {EXCEL_MAX_ROWS:,} rows); write a .csv file",
                f"{biggest:,} 条线索超出 Excel 工作表的行数上限（{EXCEL_MAX_ROWS:,} 行）；请写入 .csv 文件",
            )
    try:
        with atomic_path(path) as tmp:
            if suffix == ".csv":
                _labelled(result.clean, lang).to_csv(tmp, index=False, encoding="utf-8-sig")
            else:
                _write_xlsx(result, tmp, lang)
    except OSError as exc:
        raise UserError(
            f"cannot write {path}: {exc.strerror or exc}", f"无法写入 {path}：{exc.strerror or exc}"
        ) from None
    return path


_TRANSLATED = ("reject_reason", "reason", "suspicious", "phone_type")


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = _prepared(frame, lang)
    out = frame.rename(columns={c: column_label(str(c), lang) for c in frame.columns})
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out


def _prepared(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The values as the files show them: screening's words in ``lang``; a text column of numbers
    as numbers, so a spreadsheet can sum it (a column with ``+…`` or ``0…`` values, phone-like,
    stays text)."""
    frame = frame.copy()
    for col in frame.columns:
        is_text = pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object
        if lang == "zh" and col in _TRANSLATED and is_text:
            frame[col] = frame[col].map(value_zh)
        elif is_text and col not in _TRANSLATED:
            numbers = pd.to_numeric(frame[col], errors="coerce")
            given = frame[col].notna() & (frame[col].astype(str).str.strip() != "")
            if (
                given.any()
                and numbers[given].notna().all()
                and not frame[col][given].astype(str).str.match(r"^\+|^0\d").any()
            ):
                frame[col] = numbers
    return frame


def _write_xlsx(result: CleanResult, path: Path, lang: str) -> None:
    from xlsxwriter.workbook import Workbook

    book = Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    try:
        head = book.add_format({"bold": True, "bottom": 1})
        pct = book.add_format({"num_format": "0.0%"})
        money = book.add_format({"num_format": "#,##0.00"})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        formats = {
            "valid_phone_pct": pct,
            "valid_email_pct": pct,
            "cost": money,
            "cost_per_clean_lead": money,
        }
        summary = localise_summary(result.summary, lang)
        sheets = (("clean", _prepared(result.clean, lang)), ("rejected", _prepared(result.rejected, lang)))
        for key, frame in (*sheets, ("summary", summary)):
            sheet = book.add_worksheet(sheet_name(key, lang))
            sheet.freeze_panes(1, 0)
            names = [str(c) for c in frame.columns]
            sheet.write_row(0, 0, [column_label(c, lang) for c in names], head)
            for j, name in enumerate(names):
                width = min(40, max(10, len(column_label(name, lang)) + 2))
                sheet.set_column(j, j, width, formats.get(name) if key == "summary" else None)
            columns = [_cells(frame[c]) for c in frame.columns]
            for i in range(len(frame)):
                for j, col in enumerate(columns):
                    value = col[i]
                    if value is None:
                        continue
                    if isinstance(value, pd.Timestamp):
                        sheet.write_datetime(i + 1, j, value.to_pydatetime(), when)
                    else:
                        sheet.write(i + 1, j, value)
    finally:
        book.close()


def localise_summary(summary: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The summary with its special channel rows named in ``lang``."""
    if lang != "zh":
        return summary
    names = {NO_CHANNEL[0]: NO_CHANNEL[1], ALL_CHANNELS[0]: ALL_CHANNELS[1]}
    return summary.assign(channel=summary["channel"].map(lambda v: names.get(v, v)))


def _cells(series: pd.Series) -> list[object]:
    """A column as Python values for xlsxwriter: missing → None, times naive."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    values = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]
