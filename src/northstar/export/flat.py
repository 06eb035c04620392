"""Flat exports: csv, json and parquet, with the frame's machine column names.

Dates are ISO 8601 (``2024-01-01``, or ``2024-01-01T13:00:00`` for hourly grains) and null values
stay null: an empty csv field, a JSON ``null``, a parquet null — never 0 or ``"nan"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from northstar.export.columns import classify, has_time_of_day, plain
from northstar.results import MetricInfo, QueryResult

META_KEY = b"northstar"


def metric_meta(metric: MetricInfo) -> dict[str, Any]:
    return {
        "name": metric.name,
        "label": metric.label,
        "label_zh": metric.label_zh,
        "format": metric.format,
        "decimals": metric.decimals,
        "unit": metric.unit,
        "direction": metric.direction,
    }


def result_meta(result: QueryResult, lang: str = "en") -> dict[str, Any]:
    """What the numbers mean: metrics (labels, format, direction), grain, dimensions, date range,
    and the notes in ``lang``."""
    return {
        "metrics": [metric_meta(m) for m in result.metrics],
        "grain": result.grain,
        "dimensions": list(result.dimensions),
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "comparisons": list(result.comparisons),
        "currency": result.currency,
        "notes": list(result.notes_in(lang)),
    }


def _iso_frame(result: QueryResult) -> tuple[pd.DataFrame, list[str]]:
    """The frame with date columns as ISO text, and the names of those columns."""
    frame = result.frame.copy()
    date_columns = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            with_time = has_time_of_day(series)
            frame[column] = pd.Series(
                [plain(v, with_time=with_time) for v in series.tolist()], index=frame.index, dtype=object
            )
            date_columns.append(str(column))
    return frame, date_columns


def write_csv(result: QueryResult, path: Path, lang: str) -> None:
    """UTF-8 *with BOM*: Excel reads a BOM-less csv in the system code page, which garbles Chinese
    text such as ``微信``; the BOM makes it read UTF-8. ``pandas.read_csv(encoding="utf-8-sig")``
    reads it back. Null cells are empty fields."""
    frame, _ = _iso_frame(result)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        frame.to_csv(fh, index=False, na_rep="", lineterminator="\r\n")


def json_document(result: QueryResult, lang: str = "en") -> dict[str, Any]:
    """``{"meta": {...}, "rows": [{column: value, ...}, ...]}`` with ISO dates and nulls."""
    columns = classify(result)
    with_time = {
        c.name: has_time_of_day(result.frame[c.name])
        for c in columns
        if pd.api.types.is_datetime64_any_dtype(result.frame[c.name])
    }
    names = [c.name for c in columns]
    rows = [
        {
            name: plain(value, with_time=with_time.get(name, True))
            for name, value in zip(names, record, strict=True)
        }
        for record in result.frame.itertuples(index=False, name=None)
    ]
    return {"meta": result_meta(result, lang), "rows": rows}


def write_json(result: QueryResult, path: Path, lang: str) -> None:
    """UTF-8 without BOM (JSON must not start with one); the meta block indented, one row a line."""
    document = json_document(result, lang)

    def dumps(value: Any, indent: int | None = None) -> str:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)

    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"meta": ' + dumps(document["meta"], indent=2) + ',\n"rows": [')
        for i, row in enumerate(document["rows"]):
            fh.write(("," if i else "") + "\n" + dumps(row))
        fh.write("\n]}\n")


def arrow_table(result: QueryResult, lang: str = "en") -> pa.Table:
    """The frame as an Arrow table; the schema's ``northstar`` metadata holds :func:`result_meta`,
    and each metric column's field metadata its label, format and direction."""
    table = pa.Table.from_pandas(result.frame, preserve_index=False)
    by_name = {c.name: c for c in classify(result)}
    fields = []
    for f in table.schema:
        column = by_name.get(f.name)
        if column is not None and column.metric is not None:
            info = {k: "" if v is None else str(v) for k, v in metric_meta(column.metric).items()}
            if column.comparison is not None:
                info["comparison"] = column.comparison
                info["kind"] = column.kind or ""
            f = f.with_metadata({k.encode(): v.encode() for k, v in info.items()})
        fields.append(f)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[META_KEY] = json.dumps(result_meta(result, lang), ensure_ascii=False).encode()
    schema = pa.schema(fields, metadata=schema_meta)
    return table.cast(schema)


def write_parquet(result: QueryResult, path: Path, lang: str) -> None:
    pq.write_table(arrow_table(result, lang), path)
