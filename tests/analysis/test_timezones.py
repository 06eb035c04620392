"""Periods are cut on wall-clock time in the project timezone, whatever the source's timestamps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from northstar.project import Project

RNG = np.random.default_rng(3)
INSTANTS = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(RNG.integers(0, 40 * 86400, 400), unit="s")


def _project(tmp: Path, text_times: list[str], source_tz: str | None, project_tz: str) -> Project:
    pd.DataFrame({"t": text_times, "v": 1}).to_csv(tmp / "rows.csv", index=False)
    source = {"path": "rows.csv", "time": "t"}
    if source_tz:
        source["timezone"] = source_tz
    spec = {
        "project": {"name": "tz", "timezone": project_tz},
        "sources": {"rows": source},
        "metrics": {"n": {"type": "count", "source": "rows"}},
        "north_star": "n",
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


def _expected(local: pd.Series, grain: str) -> pd.Series:
    periods = local.dt.floor("D") if grain == "day" else local.dt.floor("h")
    return periods.value_counts().sort_index()


@pytest.mark.parametrize(
    ("case", "project_tz"),
    [
        ("utc-naive-source", "Asia/Shanghai"),
        ("offset-text", "Asia/Shanghai"),
        ("new-york-naive", "Europe/London"),  # both sides cross a DST change in March
        ("same-zone", "America/New_York"),
    ],
)
@pytest.mark.parametrize("grain", ["day", "hour"])
def test_buckets_follow_the_project_timezone(tmp_path: Path, case: str, project_tz: str, grain: str) -> None:
    if case == "utc-naive-source":
        texts, source_tz = INSTANTS.tz_localize(None).strftime("%Y-%m-%d %H:%M:%S"), "UTC"
        instants = INSTANTS
    elif case == "offset-text":
        texts, source_tz = INSTANTS.tz_convert("Asia/Tokyo").strftime("%Y-%m-%dT%H:%M:%S%z"), None
        instants = INSTANTS
    else:
        ny = INSTANTS.tz_convert("America/New_York")
        texts = ny.tz_localize(None).strftime("%Y-%m-%d %H:%M:%S")
        source_tz = "America/New_York" if case == "new-york-naive" else None
        instants = ny.tz_localize(None).tz_localize("America/New_York", ambiguous="NaT", nonexistent="NaT")
        keep = ~pd.isna(instants)
        texts, instants = texts[keep], instants[keep]
    project = _project(tmp_path, list(texts), source_tz, project_tz)
    local = pd.Series(instants.tz_convert(project_tz).tz_localize(None))
    expected = _expected(local, grain)
    result = project.query(["n"], grain=grain, start=local.min().date(), end=local.max().date()).frame
    got = result[result["n"] > 0].set_index("period")["n"]
    assert list(got.index) == list(expected.index)
    assert got.to_list() == expected.to_list()
