"""Analysis tables (funnel steps, cohorts, lifecycle series, aha candidates…) to files.

One writer for every command that has no :class:`~northstar.results.QueryResult`: the format
comes from the file's suffix, and the file is written atomically (never half-written).

- ``.csv``: the first table, UTF-8 with a BOM so Excel opens Chinese text correctly;
- ``.json``: one table → a list of records; several → ``{name: [records…]}``;
- ``.jsonl``: the first table, one record per line;
- ``.parquet`` (``.pq``): the first table, with its column types;
- ``.xlsx``: one sheet per table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from northstar.errors import UserError

FRAME_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet", ".pq", ".xlsx")


def check_target(target: Path | None) -> None:
    """Refuse a file whose suffix no writer knows, before any work is done."""
    if target is not None and target.suffix.lower() not in FRAME_SUFFIXES:
        raise UserError(
            f"cannot write {target.name}: use a .csv, .json, .jsonl, .parquet or .xlsx file",
            f"无法写入 {target.name}：请使用 .csv、.json、.jsonl、.parquet 或 .xlsx 文件",
        )


def write_frames(frames: Mapping[str, pd.DataFrame], target: Path) -> Path:
    """Write ``frames`` (name → table, the first one the main table) to ``target``."""
    from northstar.export.atomic import atomic_path

    check_target(target)
    suffix = target.suffix.lower()
    if not frames:
        raise UserError(f"nothing to write to {target.name}", f"没有可写入 {target.name} 的内容")
    first = next(iter(frames.values()))
    try:
        with atomic_path(target) as tmp:
            if suffix == ".csv":
                first.to_csv(tmp, index=False, encoding="utf-8-sig")
            elif suffix == ".jsonl":
                first.to_json(tmp, orient="records", lines=True, date_format="iso", force_ascii=False)
            elif suffix == ".json":
                records = {
                    k: json.loads(f.to_json(orient="records", date_format="iso")) for k, f in frames.items()
                }
                doc = next(iter(records.values())) if len(records) == 1 else records
                tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
            elif suffix in (".parquet", ".pq"):
                first.to_parquet(tmp, index=False)
            else:
                with pd.ExcelWriter(tmp, engine="xlsxwriter") as xl:
                    for name, f in frames.items():
                        _for_excel(f).to_excel(xl, sheet_name=name[:31], index=False)
    except OSError as exc:
        raise UserError(
            f"cannot write {target}: {exc.strerror or exc}", f"无法写入 {target}：{exc.strerror or exc}"
        ) from None
    return target


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: write aware timestamps as wall-clock times."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out
