"""Lead files → a pandas frame, and the column mapping of ``northstar leads clean``.

- **CSV** (``.csv``, ``.tsv``, ``.txt``): the encoding and delimiter are guessed as for sources
  (:mod:`northstar.sources.csv_sniff`: UTF-8, UTF-8 with BOM, GB18030…; ``,`` ``;`` tab ``|``).
  Every column is read as text, so ``0086…`` and ``07700…`` keep their leading zeros; empty cells
  are missing.
- **Excel** (``.xlsx``, ``.xlsm``): the first sheet, or ``sheet``, read by
  :func:`northstar.sources.excel.read_workbook` (the first non-empty row is the header). A phone
  column Excel stored as numbers is read back as whole numbers (``13800138000``, not
  ``1.38e10``); a leading zero Excel dropped is gone, as it is in the workbook.

:func:`lead_columns` applies ``--map field=column`` pairs to the default mapping of
:class:`~northstar.spec.leads.LeadColumns`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from northstar.errors import DataError, UserError
from northstar.spec.leads import LEAD_FIELDS, LeadColumns
from northstar.spec.suggest import did_you_mean

__all__ = ["CSV_SUFFIXES", "EXCEL_SUFFIXES", "lead_columns", "read_leads"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def read_leads(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """The leads in ``path`` (CSV or Excel) as a frame; the module docstring says how."""
    if not path.exists():
        raise DataError(f"{path} does not exist", f"{path} 不存在")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        from northstar.sources.excel import FILE_COLUMN, ROW_COLUMN, read_workbook

        table = read_workbook(path, sheet, str(path))
        return table.drop_columns([ROW_COLUMN, FILE_COLUMN]).to_pandas()
    if suffix not in CSV_SUFFIXES:
        raise UserError(
            f"cannot read leads from {path.name}: use a .csv or .xlsx file, or --project for a database table",
            f"无法从 {path.name} 读取线索：请使用 .csv 或 .xlsx 文件，数据库表请用 --project",
        )
    return _read_csv(path)


def _read_csv(path: Path) -> pd.DataFrame:
    from northstar.sources import csv_sniff

    shown = str(path)
    encoding = csv_sniff.file_encoding(path, shown)
    sample = csv_sniff.read_sample(path)
    complete = len(sample) < csv_sniff.SAMPLE_BYTES
    lines = csv_sniff.sample_lines(csv_sniff.decode_sample(sample, encoding), complete)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else csv_sniff.detect_delimiter(lines)
    try:
        return pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{shown}: cannot be read as CSV: {first}", f"{shown}：无法按 CSV 读取：{first}"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{shown} is empty; it needs a header row", f"{shown} 是空文件；至少需要表头行"
        ) from None


def lead_columns(
    pairs: Sequence[str], columns: Sequence[str], base: LeadColumns | None = None
) -> LeadColumns:
    """``base`` (default: the defaults) with ``field=column`` pairs applied, checked against the
    lead fields and the file's ``columns``; ``field=`` (empty) unmaps a field."""
    mapping = (base or LeadColumns()).model_dump()
    names = [str(c) for c in columns]
    for pair in pairs:
        field, eq, column = pair.partition("=")
        field, column = field.strip(), column.strip()
        if not eq or not field:
            raise UserError(
                f"--map {pair!r}: write field=column, for example --map phone=mobile",
                f"--map {pair!r}：请写成 字段=列名，例如 --map phone=mobile",
            )
        if field not in LEAD_FIELDS:
            raise UserError(
                f"--map {pair!r}: {field!r} is not a lead field{did_you_mean(field, LEAD_FIELDS)}; "
                f"the fields are {', '.join(LEAD_FIELDS)}",
                f"--map {pair!r}：{field!r} 不是线索字段{did_you_mean(field, LEAD_FIELDS, 'zh')}；"
                f"字段有 {', '.join(LEAD_FIELDS)}",
            )
        if column and column not in names:
            raise UserError(
                f"--map {pair!r}: the leads have no column {column!r}{did_you_mean(column, names)}; "
                f"the columns are {', '.join(names)}",
                f"--map {pair!r}：线索中没有列 {column!r}{did_you_mean(column, names, 'zh')}；现有列：{', '.join(names)}",
            )
        if field == "id" and not column:
            raise UserError("--map id= : the id field cannot be unmapped", "--map id= ：id 字段不能取消映射")
        mapping[field] = column or None
    return LeadColumns(**mapping)
