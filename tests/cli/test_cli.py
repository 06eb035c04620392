"""The command line as a user runs it: check, query (table and exports), init, demo."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from tests.conftest import DATA, assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def test_check_passes_on_a_valid_project(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "--project", str(DATA / "shop")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_check_lists_every_error_and_fails(
    runner: CliRunner, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(DATA / "broken")
    result = runner.invoke(app, ["check", "--lang", lang])
    assert result.exit_code == 2
    assert_snapshot(SNAPSHOTS / f"check-broken.{lang}.txt", result.output)


def test_query_prints_a_table(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "query",
            "revenue",
            "refund_rate",
            "--by",
            "channel",
            "--grain",
            "month",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--project",
            str(DATA / "shop"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert_snapshot(SNAPSHOTS / "query-month-channel.txt", result.output)


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "xlsx"])
def test_query_exports(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"q.{fmt}"
    result = runner.invoke(
        app,
        [
            "query",
            "revenue",
            "orders",
            "--grain",
            "week",
            "--from",
            "2026-01-05",
            "--to",
            "2026-02-01",
            "--format",
            fmt,
            "--output",
            str(out),
            "--project",
            str(DATA / "shop"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and out.stat().st_size > 0
    if fmt == "csv":
        frame = pd.read_csv(out, encoding="utf-8-sig")
        assert len(frame) == 4
    if fmt == "json":
        assert len(json.loads(out.read_text(encoding="utf-8"))["rows"]) == 4


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["query", "revenu"], "did you mean 'revenue'"),
        (["query", "revenue", "--by", "chanel"], "did you mean 'channel'"),
        (["query", "revenue", "--grain", "fortnight"], "unknown grain"),
        (["query", "revenue", "--from", "2026-13-01", "--to", "2026-12-31"], "is not a date"),
        (["query", "revenue", "--where", "channel = 'ads'; drop table x"], "single expression"),
        (["query", "revenue", "--where", "amount > 1"], "unknown column 'amount'"),
        (["query", "minutes_ahead", "--by", "channel"], "not available on source 'deliveries'"),
        (["query", "revenue", "--where", "amount > 1 and channel = 'ads'"], "filters on dimensions"),
        (["query", "revenue", "--where", 'channel = "ads"'], "single quotes"),
        (["query", "revenue", "--where", "devce = 'mobile'"], "did you mean 'device'"),
    ],
)
def test_query_errors_are_one_clear_line(runner: CliRunner, args: list[str], needle: str) -> None:
    result = runner.invoke(app, [*args, "--project", str(DATA / "shop")])
    assert result.exit_code == 1, result.output
    assert needle in result.output
    assert "Traceback" not in result.output


def test_query_sql_shows_the_engine_sql(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "query",
            "aov",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--sql",
            "--compare",
            "none",
            "--project",
            str(DATA / "shop"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "-- scan orders: orders, revenue" in result.output
    assert "FILTER(WHERE" in result.output


def test_metrics_lists_north_star_first_and_describes_one(runner: CliRunner) -> None:
    listing = runner.invoke(app, ["metrics", "--project", str(DATA / "shop")])
    assert listing.exit_code == 0, listing.output
    lines = [line for line in listing.output.splitlines() if "│" in line]
    assert "★ repurchase_30d" in lines[0]
    detail = runner.invoke(
        app, ["metrics", "repurchase_30d", "--project", str(DATA / "shop"), "--lang", "zh"]
    )
    assert detail.exit_code == 0, detail.output
    assert_snapshot(SNAPSHOTS / "metrics-repurchase.zh.txt", detail.output)
    missing = runner.invoke(app, ["metrics", "revenu", "--project", str(DATA / "shop")])
    assert missing.exit_code == 1
    assert "did you mean 'revenue'" in missing.output
