"""Golden tests: the exact validation messages a user sees, in English and Chinese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from northstar.errors import SpecError
from northstar.project import Project
from tests.conftest import DATA, assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def broken_issues(monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.chdir(DATA / "broken")
    with pytest.raises(SpecError) as info:
        Project.load(".")
    return list(info.value.issues)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_problem_reported_at_once(broken_issues: list, lang: str) -> None:
    text = "\n".join(i.render(lang) for i in broken_issues) + "\n"
    assert_snapshot(SNAPSHOTS / f"broken.{lang}.txt", text)


def test_issues_are_sorted_and_located(broken_issues: list) -> None:
    assert all(i.file and i.line for i in broken_issues)
    keys = [(i.file, i.line) for i in broken_issues]
    assert keys == sorted(keys)
    codes = {i.code for i in broken_issues}
    # one of each mistake in the broken project is found
    assert {
        "duplicate-name",
        "bad-value",
        "unknown-key",
        "unknown-source",
        "unknown-metric",
        "unknown-team",
        "cycle",
        "north-star-undefined",
        "source-no-files",
        "entity-column",
        "bad-expression",
        "type-error",
        "unknown-dimension-column",
    } <= codes


@pytest.mark.parametrize(
    ("yaml_text", "snapshot"),
    [
        ("project:\n  name: x\n\tsources: {}\n", "tabs"),
        ("project: {name: x\n", "unclosed"),
        ("- a\n- b\n", "not-a-mapping"),
        ("project:\n  name: x\nmetrics:\n  a: {type: count, source: s}\n  a: {type: sum}\n", "duplicate-key"),
    ],
)
def test_yaml_syntax_errors_point_at_a_line(tmp_path: Path, yaml_text: str, snapshot: str) -> None:
    (tmp_path / "northstar.yml").write_text(yaml_text, encoding="utf-8")
    os.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        Project.load(".")
    text = "\n".join(i.render(lang) for lang in ("en", "zh") for i in info.value.issues) + "\n"
    assert_snapshot(SNAPSHOTS / f"yaml-{snapshot}.txt", text)


def test_missing_project_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        Project.load(tmp_path)
    assert "does not exist" in info.value.issues[0].render()
    assert "不存在" in info.value.issues[0].render("zh")
