"""What a new user types: init a template (or the demo), check it, query it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.project import Project
from northstar.scaffold.templates import TEMPLATES


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "160")
    return CliRunner()


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_init_check_query(runner: CliRunner, tmp_path: Path, template: str) -> None:
    target = tmp_path / template
    result = runner.invoke(app, ["init", "--template", template, str(target)])
    assert result.exit_code == 0, result.output
    assert (runner.invoke(app, ["check", "--project", str(target)])).exit_code == 0
    project = Project.load(target)
    names = [n for n in [project.spec.north_star, *project.spec.supporting] if n]
    result = runner.invoke(app, ["query", *names, "--grain", "week", "--project", str(target)])
    assert result.exit_code == 0, result.output
    assert "–" in result.output or "%" in result.output
    by = next(iter(project.spec.dimensions))
    result = runner.invoke(app, ["query", names[0], "--by", by, "--grain", "month", "--project", str(target)])
    assert result.exit_code in (0, 1), result.output  # a dimension may not exist on every source
    if result.exit_code == 1:
        assert "not available on source" in result.output


def test_init_refuses_unknown_template(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--template", "ecomerce", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "did you mean 'ecommerce'" in result.output


def test_demo_generates_checks_and_reports(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = runner.invoke(app, ["demo", str(target), "--users", "3000", "--days", "60", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "30-day repurchase rate" in result.output
    assert "Week by week" in result.output
    assert (target / "ground_truth.json").exists()
    # a second run reuses the folder instead of regenerating it
    again = runner.invoke(app, ["demo", str(target), "--users", "3000", "--days", "60", "--no-serve"])
    assert again.exit_code == 0
    project = Project.load(target)
    result = runner.invoke(
        app,
        [
            "query",
            "revenue",
            "conversion_rate",
            "--by",
            "device",
            "--grain",
            "week",
            "--project",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    assert project.spec.north_star == "repurchase_30d"


def test_demo_checkout_funnel(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    assert (
        runner.invoke(app, ["demo", str(target), "--users", "3000", "--days", "60", "--no-serve"]).exit_code
        == 0
    )
    result = runner.invoke(app, ["funnel", "checkout", "--by", "device", "--project", str(target)])
    assert result.exit_code == 0, result.output
    assert "4. purchase" in result.output
    project = Project.load(target)
    funnel = project.funnel("checkout")
    counts = funnel.steps["entities"].tolist()
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    missing = runner.invoke(app, ["funnel", "chekout", "--project", str(target)])
    assert missing.exit_code == 1
    assert "did you mean 'checkout'" in missing.output
    unnamed = runner.invoke(app, ["funnel", "--project", str(target)])
    assert unnamed.exit_code == 1
    assert "which funnel? this project has checkout" in unnamed.output
    for step in ("1", "5"):  # refused before the funnel runs: no table printed first
        bad = runner.invoke(app, ["funnel", "checkout", "--dropped-at", step, "--project", str(target)])
        assert bad.exit_code == 1
        assert f"--dropped-at {step}: choose a step from 2 to 4" in bad.output
        assert "purchase" not in bad.output
