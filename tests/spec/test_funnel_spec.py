"""Funnel and conversion definitions: where a mistake is reported and what it says."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from northstar.errors import QueryError, SpecError
from northstar.project import Project
from tests.analysis.test_funnel_modes import frame_of, make_project

ROWS = [(0, "u1", "a", "web"), (1, "u1", "b", "web"), (2, "u1", "c", "web"), (0, "u2", "a", "app")]


def issues_of(tmp: Path, funnel: dict) -> list[str]:
    with pytest.raises(SpecError) as info:
        make_project(tmp, frame_of(ROWS), funnel)
    return [f"{i.line}: {i.message}" for i in info.value.issues if i.level == "error"]


def test_unknown_keys_inside_steps_and_exclusions_name_their_place(tmp_path: Path) -> None:
    found = issues_of(tmp_path, {"steps": ["a", {"evnet": "b"}], "exclude": [{"evnt": "x"}]})
    assert any("unknown key 'evnet' in funnels.f.steps[1]" in m for m in found)
    assert any("unknown key 'evnt' in funnels.f.exclude[0]" in m for m in found)
    assert not any("did you mean 'exclude'" in m or "did you mean 'steps'" in m for m in found)


@pytest.mark.parametrize(
    ("funnel", "text"),
    [
        (
            {"steps": ["a", "b", "c"], "exclude": [{"event": "x", "between": [3, 2]}]},
            "between: [3, 2] must be two steps",
        ),
        ({"steps": ["a", "b"], "order": "any", "exclude": ["x"]}, "order: any cannot have exclusions"),
        (
            {"steps": ["a", {"event": "b", "within": "1h"}], "order": "any"},
            "order: any cannot have per-step within",
        ),
        ({"steps": ["a", {"event": "b", "within": "1m"}]}, "'1m' is ambiguous"),
    ],
)
def test_rule_errors_name_the_key(tmp_path: Path, funnel: dict, text: str) -> None:
    found = issues_of(tmp_path, funnel)
    assert any(text in m for m in found), found
    assert not any(".:" in m for m in found)  # no dangling path


def test_minutes_and_seconds_are_durations(tmp_path: Path) -> None:
    rows = [(0, "u1", "a", "web"), (0, "u2", "a", "web")]
    df = frame_of(rows)
    df.loc[1, "ts"] += pd.Timedelta(minutes=1)  # nothing else: b below
    extra = pd.DataFrame(
        {
            "user": ["u1", "u2"],
            "event": ["b", "b"],
            "channel": "web",
            "ts": [df["ts"][0] + pd.Timedelta(minutes=20), df["ts"][1] + pd.Timedelta(minutes=40)],
        }
    )
    project = make_project(
        tmp_path, pd.concat([df, extra]), {"within": "1d", "steps": ["a", {"event": "b", "within": "30min"}]}
    )
    levels = project.funnel("f", start="2026-05-01", end="2026-05-01").entities.set_index("entity")["level"]
    assert levels.to_dict() == {"u1": 2, "u2": 1}


def test_notes_and_unfinished_periods(tmp_path: Path) -> None:
    project = make_project(tmp_path, frame_of(ROWS), {"within": "1d", "steps": ["a", "b", "crat"]})
    result = project.funnel("f", start="2026-04-28", end="2026-05-01")
    text = " | ".join(result.notes)
    assert "no row of source 'events' has event = 'crat'" in text
    assert "the data starts on 2026-05-01" in text
    assert "less than 1d to convert" in text
    assert "数据截止于" in " | ".join(result.notes_zh)
    weekly = project.funnel_over_time("f", "day", start="2026-05-01", end="2026-05-01")
    assert weekly["complete"].tolist() == [False]  # entered on the last day of data
    with pytest.raises(QueryError, match=r"starts .* after it ends"):
        project.funnel("f", start="2026-05-02", end="2026-05-01")


def test_conversion_with_funnel_and_steps_is_refused(tmp_path: Path) -> None:
    make_project(tmp_path, frame_of(ROWS), {"steps": ["a", "b"]})
    import yaml

    spec = yaml.safe_load((tmp_path / "northstar.yml").read_text(encoding="utf-8"))
    spec["metrics"]["c"] = {"type": "conversion", "funnel": "f", "steps": ["a", "b"], "source": "events"}
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(SpecError, match="either funnel"):
        Project.load(tmp_path)


def test_a_short_window_is_still_provisional_on_the_last_day(tmp_path: Path) -> None:
    """within 2h, data ending at 02:00: someone entering at 01:00 has not had 2 hours yet."""
    make_project(
        tmp_path,
        frame_of([(0, "u1", "a", "web"), (1, "u2", "a", "web"), (2, "u1", "b", "web")]),
        {"steps": ["a", "b"]},
    )
    import yaml

    spec = yaml.safe_load((tmp_path / "northstar.yml").read_text(encoding="utf-8"))
    spec["metrics"]["c"] = {
        "type": "conversion",
        "source": "events",
        "event_column": "event",
        "steps": ["a", "b"],
        "within": "2h",
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = Project.load(tmp_path).query("c", start="2026-05-01", end="2026-05-01")
    assert result.frame["c"].iloc[0] == pytest.approx(0.5)
    assert any("c: the data ends on" in n and "less than 2h" in n for n in result.notes)


def test_an_activity_event_missing_from_the_data_is_a_warning(tmp_path: Path) -> None:
    import yaml

    make_project(tmp_path, frame_of(ROWS), {"steps": ["a", "b"]})
    spec = yaml.safe_load((tmp_path / "northstar.yml").read_text(encoding="utf-8"))
    spec["activity"] = {"act": {"source": "events", "event_column": "event", "event": ["a", "bb"]}}
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    warnings = [i for i in Project.load(tmp_path).issues if i.code == "funnel-unknown-event"]
    assert [w.message for w in warnings] == [
        "activity 'act', event: no row of source 'events' has event = 'bb'"
    ]
    assert warnings[0].suggestions == ("b",)
    assert warnings[0].message_zh.startswith("活跃定义 'act'")
