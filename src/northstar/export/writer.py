"""``write_result``: pick the format, then write through :func:`~northstar.export.atomic.atomic_path`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from northstar.errors import UserError
from northstar.export.atomic import atomic_path
from northstar.export.flat import write_csv, write_json, write_parquet
from northstar.export.wording import language
from northstar.export.workbook import write_xlsx
from northstar.results import QueryResult

ExportFormat = Literal["csv", "json", "parquet", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)

Writer = Callable[[QueryResult, Path, str], None]

#: One writer per format; each writes the whole file to the (temporary) path it is given.
WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "json": write_json,
    "parquet": write_parquet,
    "xlsx": write_xlsx,
}

_SUFFIXES = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


def infer_format(path: Path) -> ExportFormat:
    """The format named by the file's suffix (``.csv``, ``.json``, ``.parquet``/``.pq``, ``.xlsx``)."""
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UserError(
            f"cannot tell the export format of {str(path)!r} from its suffix; "
            f"use a {', '.join(sorted(_SUFFIXES))} file or pass --format ({', '.join(FORMATS)})"
        )
    return fmt  # type: ignore[return-value]


def write_result(
    result: QueryResult,
    path: Path,
    fmt: ExportFormat | None = None,
    *,
    lang: str = "en",
) -> Path:
    """Write ``result`` to ``path`` as csv, json, parquet or xlsx and return the path written.

    ``fmt`` defaults to the one named by the suffix. ``lang`` (``en``/``zh``) chooses the labels
    and words in the xlsx workbook; csv, json and parquet keep machine column names and carry both
    labels in their metadata. The write is atomic: the file appears complete or not at all, and an
    existing file is only replaced once the new one is fully written.

    - **csv**: UTF-8 *with BOM* so that Excel shows Chinese text correctly; ISO dates; nulls empty.
    - **json**: ``{"meta": {...}, "rows": [...]}``; ISO dates; NaN becomes ``null``.
    - **parquet**: via pyarrow; result metadata under the ``northstar`` schema key.
    - **xlsx**: Data table, per-metric trend sheets with line charts, a Changes heatmap and an About
      sheet (see :mod:`northstar.export.workbook`).

    Raises :class:`~northstar.errors.UserError` for an unknown format or language.
    """
    path = Path(path)
    if fmt is None:
        fmt = infer_format(path)
    elif fmt not in WRITERS:
        raise UserError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    lang = language(lang)
    writer = WRITERS[fmt]
    with atomic_path(path) as tmp:
        writer(result, tmp, lang)
    return path
