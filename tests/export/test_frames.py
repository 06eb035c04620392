"""write_frames: one writer for analysis tables, format by suffix, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from northstar.errors import UserError
from northstar.export.frames import write_frames

STEPS = pd.DataFrame({"step": [1, 2], "step_name": ["浏览", "加购"], "entities": [10, 4]})
TIMES = pd.DataFrame(
    {"converted": [4], "median_seconds": [90.0], "at": [pd.Timestamp("2026-03-29 03:30", tz="Europe/Berlin")]}
)


def test_csv_is_the_first_table_with_a_bom(tmp_path: Path) -> None:
    target = write_frames({"steps": STEPS, "times": TIMES}, tmp_path / "f.csv")
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(pd.read_csv(target, encoding="utf-8-sig"), STEPS)


def test_json_one_table_is_a_list_several_a_mapping(tmp_path: Path) -> None:
    one = json.loads(write_frames({"steps": STEPS}, tmp_path / "a.json").read_text(encoding="utf-8"))
    assert one == STEPS.to_dict("records")
    many = json.loads(
        write_frames({"steps": STEPS, "times": TIMES}, tmp_path / "b.json").read_text(encoding="utf-8")
    )
    assert set(many) == {"steps", "times"} and many["steps"][1]["step_name"] == "加购"
    lines = (write_frames({"steps": STEPS}, tmp_path / "c.jsonl")).read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["entities"] for x in lines] == [10, 4]


def test_parquet_and_xlsx(tmp_path: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(write_frames({"s": STEPS}, tmp_path / "f.parquet")), STEPS)
    book = pd.read_excel(
        write_frames({"steps": STEPS, "times": TIMES}, tmp_path / "f.xlsx"),
        sheet_name=None,
        engine="calamine",
    )
    assert list(book) == ["steps", "times"]
    assert book["steps"]["entities"].tolist() == [10, 4]
    assert str(book["times"]["at"].iloc[0]) == "2026-03-29 03:30:00"  # wall-clock time, no zone


def test_bad_suffix_and_unwritable_target_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"use a \.csv"):
        write_frames({"s": STEPS}, tmp_path / "f.txt")
    (tmp_path / "taken.csv").mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(UserError, match="cannot write"):
        write_frames({"s": STEPS}, tmp_path / "taken.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["taken.csv"]  # no temporary file left behind
