"""csv, json and parquet: read back what was written."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from northstar.export import write_result
from northstar.results import QueryResult


def test_csv_has_bom_iso_dates_and_empty_nulls(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "微信".encode() in raw
    assert b"nan" not in raw.lower()
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == list(result.frame.columns)
    assert back["period"].tolist()[:3] == ["2024-01-01"] * 3
    assert back["channel"].tolist()[:3] == ["微信", "web", "抖音"]
    douyin_first = back[(back["channel"] == "抖音") & (back["period"] == "2024-01-01")].iloc[0]
    assert douyin_first["conversion_rate"] == ""
    assert douyin_first["revenue"] == 3000


def test_csv_values_round_trip(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "out.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", parse_dates=["period"])
    pd.testing.assert_frame_equal(back, result.frame, check_dtype=False)


def test_json_has_meta_and_rows_with_nulls(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "out.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    meta = doc["meta"]
    assert meta["grain"] == "week"
    assert meta["dimensions"] == ["channel"]
    assert (meta["start"], meta["end"]) == ("2024-01-01", "2024-01-21")
    assert [m["name"] for m in meta["metrics"]] == ["revenue", "conversion_rate"]
    conversion = meta["metrics"][1]
    assert conversion == {
        "name": "conversion_rate",
        "label": "Conversion rate",
        "label_zh": "转化率",
        "format": "percent",
        "decimals": 1,
        "unit": None,
        "direction": "higher",
    }
    rows = doc["rows"]
    assert len(rows) == len(result.frame)
    first = rows[0]
    assert first["period"] == "2024-01-01"
    assert first["channel"] == "微信"
    assert first["revenue"] == 1000.0
    assert first["revenue__prev"] is None
    assert rows[2]["channel"] == "抖音" and rows[2]["conversion_rate"] is None
    assert math.isclose(rows[3]["revenue__prev_pct"], 0.1)


def test_json_is_strict_json(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "out.json")
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert not text.startswith("\ufeff")
    json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


def test_parquet_round_trips_with_metadata(result: QueryResult, tmp_path: Path) -> None:
    path = write_result(result, tmp_path / "out.parquet")
    table = pq.read_table(path)
    back = table.to_pandas()
    pd.testing.assert_frame_equal(back, result.frame, check_dtype=False)
    meta = json.loads(table.schema.metadata[b"northstar"])
    assert meta["grain"] == "week"
    assert meta["metrics"][1]["format"] == "percent"
    field = table.schema.field("conversion_rate__prev_pct").metadata
    assert field[b"label_zh"] == "转化率".encode()
    assert field[b"kind"] == b"pct"
    assert table.schema.field("revenue").metadata[b"direction"] == b"higher"


def test_hourly_periods_keep_their_time(result: QueryResult, tmp_path: Path) -> None:
    frame = result.frame.copy()
    frame["period"] = frame["period"] + pd.Timedelta(hours=13)
    hourly = QueryResult(frame, result.metrics, result.dimensions, "hour", result.start, result.end)
    rows = json.loads(write_result(hourly, tmp_path / "out.json").read_text())["rows"]
    assert rows[0]["period"] == "2024-01-01T13:00:00"
    back = pd.read_csv(write_result(hourly, tmp_path / "out.csv"), encoding="utf-8-sig")
    assert back["period"][0] == "2024-01-01T13:00:00"


def test_no_grain_result(result: QueryResult, tmp_path: Path) -> None:
    total = QueryResult(
        result.frame[result.frame["period"] == result.frame["period"].max()].drop(columns="period"),
        result.metrics,
        result.dimensions,
        None,
        date(2024, 1, 1),
        date(2024, 1, 21),
    )
    doc = json.loads(write_result(total, tmp_path / "out.json").read_text())
    assert doc["meta"]["grain"] is None
    assert "period" not in doc["rows"][0]


def test_notes_are_in_the_chosen_language(result: QueryResult, tmp_path: Path) -> None:
    from dataclasses import replace

    noted = replace(result, notes_zh=("2024-01-15 这一周不完整。",))
    document = json.loads(write_result(noted, tmp_path / "out.json", lang="zh").read_text(encoding="utf-8"))
    assert document["meta"]["notes"] == ["2024-01-15 这一周不完整。"]
    table = pq.read_table(write_result(noted, tmp_path / "out.parquet", lang="zh"))
    assert json.loads(table.schema.metadata[b"northstar"])["notes"] == ["2024-01-15 这一周不完整。"]
    english = json.loads(write_result(noted, tmp_path / "en.json").read_text(encoding="utf-8"))
    assert english["meta"]["notes"] == ["Week of 2024-01-15 is incomplete."]
