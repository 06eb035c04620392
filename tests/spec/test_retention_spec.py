"""The ``retention:`` section: its shape (pydantic) and its checks against the sources, with every
message in English and Chinese and "did you mean" for near names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from northstar.errors import SpecError
from northstar.project import Project
from northstar.spec.retention import Retention, parse_gap_seconds


def test_shorthands_and_defaults() -> None:
    r = Retention.model_validate({"source": "events", "start": "sign_up", "return": "purchase"})
    assert (r.start.event, r.returns.event) == ("sign_up", "purchase")
    assert (r.period, r.periods, r.mode, r.event_column, r.measure) == (
        "week",
        8,
        "bounded",
        "event_name",
        None,
    )
    assert Retention.model_validate({"source": "e", "returns": {"filter": "x > 1"}}).returns.filter == "x > 1"
    empty = Retention.model_validate({"source": "e"})
    assert (empty.start.event, empty.start.filter, empty.returns.event) == (None, None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"measure": {"type": "sum"}}, "a sum measure needs 'column'"),
        ({"measure": {"type": "count", "column": "x"}}, "drop 'column'"),
        ({"periods": 0}, "greater than or equal to 1"),
        ({"period": "quarter"}, "'day', 'week' or 'month'"),
        ({"mode": "rolling"}, "'bounded' or 'unbounded'"),
        ({"start": {"source": "orders"}}, "the retention's own source"),
        ({"cohort": "channel"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_shapes(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Retention.model_validate({"source": "events", **data})


def test_gap_durations() -> None:
    assert [parse_gap_seconds(v) for v in ("90s", "10min", "2h", "1d", "1w", 2)] == [
        90,
        600,
        7200,
        86400,
        604800,
        172800,
    ]
    for bad in ("10m", "soon", "-1h", True):
        with pytest.raises(ValueError, match="not a duration"):
            parse_gap_seconds(bad)  # type: ignore[arg-type]


def _project(tmp: Path, retention: dict[str, Any], lang: str = "en") -> Project:
    pd.DataFrame(
        {
            "ts": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 10:00"]),
            "user": ["u1", "u2"],
            "event_name": ["sign_up", "purchase"],
            "channel": ["web", "app"],
            "revenue": [0.0, 9.5],
            "note": ["a", "b"],
        }
    ).to_csv(tmp / "events.csv", index=False)
    pd.DataFrame({"at": ["2026-01-01"], "who": ["u1"]}).to_csv(tmp / "visits.csv", index=False)
    spec = {
        "project": {"name": "s", "language": lang},
        "sources": {
            "events": {"path": "events.csv", "time": "ts", "entity": "user"},
            "visits": {"path": "visits.csv", "time": "at"},
        },
        "dimensions": {"channel": {}},
        "metrics": {"n": {"type": "count", "source": "events"}},
        "north_star": "n",
        "retention": retention,
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return Project.load(tmp)


def test_a_valid_definition_loads(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "buyers": {
                "source": "events",
                "start": "sign_up",
                "return": {"event": "purchase", "filter": "revenue > 0"},
                "cohort_by": "channel",
                "measure": {"type": "sum", "column": "revenue"},
            }
        },
    )
    assert project.issues == ()
    assert project.spec.retention["buyers"].measure.column == "revenue"  # type: ignore[union-attr]


def test_every_problem_is_reported_in_both_languages(tmp_path: Path) -> None:
    bad = {
        "a": {"source": "event"},  # unknown source, did you mean events
        "b": {"source": "visits"},  # no entity
        "c": {"source": "events", "start": "sign_up", "event_column": "evnt"},
        "d": {"source": "events", "cohort_by": "chanel"},
        "e": {"source": "events", "measure": {"type": "sum", "column": "note"}},
        "f": {"source": "events", "return": {"filter": "revenu > 0"}},
        "g": {"source": "events", "return": {"source": "events", "count_by": "usr"}},
    }
    with pytest.raises(SpecError) as exc:
        _project(tmp_path, bad)
    issues = {i.message: i for i in exc.value.issues}
    text = "\n".join(issues)
    assert "retention 'a' reads source 'event', which is not defined" in text
    assert "retention 'b': source 'visits' has no entity to follow" in text
    assert "retention 'c': event column 'evnt' is not in source 'events'" in text
    assert "retention 'd': cohort_by column 'chanel' is not in source 'events'" in text
    assert "retention 'e': the measure sums 'note', which is text, not a number" in text
    assert "retention 'g': count_by column 'usr' is not in source 'events'" in text
    assert any("revenu" in m and "'f'" in m for m in issues)
    by_code = {i.message: i.suggestions for i in exc.value.issues}
    assert by_code["retention 'a' reads source 'event', which is not defined"] == ("events",)
    assert "channel" in by_code["retention 'd': cohort_by column 'chanel' is not in source 'events'"]
    zh = "\n".join(i.message_zh for i in exc.value.issues)
    for piece in (
        "留存定义 'a' 引用的数据源 'event' 未定义",
        "没有可追踪的实体",
        "没有事件列 'evnt'",
        "不是数值",
    ):
        assert piece in zh
    assert all(i.file and i.line for i in exc.value.issues)


def test_allowed_keys_are_the_ones_users_write(tmp_path: Path) -> None:
    from northstar.errors import SpecError

    with pytest.raises(SpecError) as info:
        _project(tmp_path, {"r": {"source": "events", "retrun": "purchase"}})
    issue = next(i for i in info.value.issues if i.code == "unknown-key")
    assert "return" in issue.suggestions
    assert ", return," in issue.fix or ", return" in issue.fix
    assert "returns" not in (issue.fix or "")
