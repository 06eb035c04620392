"""``targets:``, ``scorecards:`` and ``okrs:``: shapes, defaults, and every mistake reported at once
with its file, line, fix and "did you mean", in English and Chinese (golden files)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from northstar.errors import SpecError
from northstar.project import Project
from northstar.spec.goals import MetricTargets, Okr, Scorecard, guardrail_rules
from northstar.spec.periods import parse_period, period_of
from tests.conftest import DATA, assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize(
    ("label", "grain", "start", "end"),
    [
        ("2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-02", "month", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-W01", "week", date(2025, 12, 29), date(2026, 1, 4)),  # ISO week 1 starts in 2025
        ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 3)),
        ("2026-11-27", "day", date(2026, 11, 27), date(2026, 11, 27)),
    ],
)
def test_period_labels(label: str, grain: str, start: date, end: date) -> None:
    p = parse_period(label)
    assert (p.grain, p.start, p.end, p.label) == (grain, start, end, label)
    assert period_of(end, grain) == p and p.next().previous() == p


def test_bad_period_says_how_to_write_one() -> None:
    with pytest.raises(ValueError, match="write 2026, 2026-Q4"):
        parse_period("Q4 2026")
    with pytest.raises(ValueError, match="week"):
        parse_period("2025-W53")  # 2025 has 52 ISO weeks


def test_shorthands_and_weights_in_force() -> None:
    targets = MetricTargets.model_validate({"period": date(2026, 11, 27), "target": "2.2%"})
    assert targets.root[0].period == "2026-11-27" and targets.root[0].target == pytest.approx(0.022)
    card = Scorecard.model_validate(
        {
            "kpis": ["roas", "cac"],
            "weights": [
                {"from": date(2026, 11, 16), "roas": "70%", "cac": "30%", "why": "Q4"},
                {"from": date(2026, 8, 3), "roas": 0.5, "cac": 0.5},
            ],
        }
    )
    assert list(card.kpis) == ["roas", "cac"] and card.kpis["roas"].scoring == "linear"
    assert card.weights_on(date(2026, 8, 2)) is None
    assert card.weights_on(date(2026, 11, 15)).weights == {"roas": 0.5, "cac": 0.5}  # type: ignore[union-attr]
    assert card.weights_on(date(2026, 11, 16)).why == "Q4"  # type: ignore[union-attr]


def test_guardrails_become_watch_rules() -> None:
    okr = Okr.model_validate(
        {
            "objective": "Repeat business",
            "period": "2026-Q4",
            "key_results": [{"metric": "repurchase_30d", "target": "28%"}],
            "guardrails": [
                {"metric": "return_rate", "floor": "1%", "ceiling": "12%", "severity": "critical"}
            ],
        }
    )
    rules = guardrail_rules({"repeat": okr})
    assert sorted(rules) == ["repeat__return_rate__ceiling", "repeat__return_rate__floor"]
    ceiling = rules["repeat__return_rate__ceiling"]
    assert (ceiling.metric, ceiling.check, ceiling.threshold, ceiling.severity) == (
        "return_rate",
        "ceiling",
        0.12,
        "critical",
    )
    assert ceiling.label is not None and "Repeat business" in (ceiling.label.en or "")


@pytest.fixture
def goal_issues(monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.chdir(DATA / "goals")
    with pytest.raises(SpecError) as info:
        Project.load(".")
    return [
        i for i in info.value.issues if i.code.startswith(("goal-", "unknown-metric", "bad-value", "watch-"))
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_goal_mistake_reported_at_once(goal_issues: list, lang: str) -> None:
    text = "\n".join(i.render(lang) for i in goal_issues) + "\n"
    assert_snapshot(SNAPSHOTS / f"goals.{lang}.txt", text)


def test_goal_mistakes_are_located(goal_issues: list) -> None:
    assert all(i.file and i.line for i in goal_issues)
    codes = {i.code for i in goal_issues}
    assert {
        "goal-unknown-item",
        "goal-weights-sum",
        "goal-weight-max",
        "goal-scorecard-loop",
        "goal-unknown-team",
        "goal-no-target",
        "goal-band-order",
        "goal-duplicate-period",
        "goal-kr-direction",
        "unknown-metric",
        "bad-value",
        "watch-unknown-channel",
    } <= codes


def test_a_date_that_does_not_exist_is_located(tmp_path: Path) -> None:
    (tmp_path / "northstar.yml").write_text(
        "project: {name: x}\nscorecards:\n  a:\n    weights:\n      - {from: 2026-02-30, m: 100%}  # 2026-02-31 in a comment\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        Project.load(tmp_path)
    (issue,) = info.value.issues
    assert (issue.code, issue.line) == ("yaml-bad-date", 5) and "'2026-02-30'" in issue.message
    assert "不是日历上存在的日期" in issue.message_zh
