"""Frames and results → JSON values: missing values are null, times ISO text, NumPy plain Python."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from northstar.serve.jsonable import jsonable, records
from northstar.spec.periods import parse_period


@dataclass(frozen=True)
class _Point:
    day: date
    value: float


def test_missing_values_times_and_numpy() -> None:
    value = {
        "nan": float("nan"), "inf": np.float64("inf"), "nat": pd.NaT, "na": pd.NA, "i": np.int64(3),
        "b": np.bool_(True), "ts": pd.Timestamp("2026-10-25 02:30"), "d": date(2026, 3, 29),
        "dt": datetime(2026, 3, 29, 1, 59), "period": parse_period("2026-W47"), "tuple": (1, 2.5),
        "point": _Point(date(2026, 1, 2), 0.5), "array": np.array([1.0, np.nan]),
    }  # fmt: skip
    assert jsonable(value) == {
        "nan": None, "inf": None, "nat": None, "na": None, "i": 3, "b": True, "ts": "2026-10-25T02:30:00",
        "d": "2026-03-29", "dt": "2026-03-29T01:59:00", "period": "2026-W47", "tuple": [1, 2.5],
        "point": {"day": "2026-01-02", "value": 0.5}, "array": [1.0, None],
    }  # fmt: skip
    json.dumps(jsonable(value), allow_nan=False)


def test_records_of_a_frame() -> None:
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-11-16", None]),
            "n": pd.array([1, None], dtype="Int64"),
            3: [0.5, np.nan],
        }
    )
    assert records(frame) == [
        {"period": "2026-11-16T00:00:00", "n": 1, "3": 0.5},
        {"period": None, "n": None, "3": None},
    ]
    assert records(frame.iloc[:0]) == []
