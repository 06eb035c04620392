"""Frames and analysis results → JSON values.

``jsonable`` walks dicts, lists, tuples and dataclasses: NaN, infinities, ``NaT`` and ``pd.NA``
become ``null``; dates and timestamps ISO text (a timestamp at midnight stays a full timestamp:
``2026-11-23T00:00:00``); a goal ``Period`` its label (``2026-W47``); NumPy scalars their Python
value; a dataclass its ``to_dict()`` or its fields. ``records`` turns a frame into one
dict per row with the same rules.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from northstar.spec.periods import Period

__all__ = ["jsonable", "records"]


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if value is pd.NaT:  # NaT is a datetime too
        return None
    if isinstance(value, Period):
        return value.label
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return jsonable(value.to_dict())
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per row, column names as text, values made JSON-safe."""
    cols = [str(c) for c in frame.columns]
    return [{c: jsonable(v) for c, v in zip(cols, row, strict=True)} for row in frame.itertuples(index=False)]
