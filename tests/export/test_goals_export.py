"""Scorecard files (``write_scorecard``, ``northstar scorecard -o``) on the demo project: the
numbers in the workbook are the scorecard's, one of them recomputed from the demo's files with
pandas; the page is self-contained and in the language asked for; other suffixes are refused and
a failure leaves nothing half-written."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from northstar.analysis.scorecards import ScorecardResult, run_scorecard
from northstar.cli.main import app
from northstar.errors import UserError
from northstar.export import goals as goals_export
from northstar.export.goals import write_scorecard
from northstar.project import Project

WEEKS = ["2026-W47", "2026-W46", "2026-W45"]  # newest first, as the CLI passes them
HEADS = ["KPI", "Weight", "Value", "Floor", "Target", "Stretch", "Status", "Score", "Contribution"]


@pytest.fixture(scope="module")
def project(demo_shop: Path) -> Project:
    return Project.load(demo_shop)


@pytest.fixture(scope="module")
def results(project: Project) -> list[ScorecardResult]:
    return [run_scorecard(project, "marketing", w) for w in WEEKS]


def roas_by_hand(demo: Path, start: date, end: date) -> float:
    """Revenue / marketing spend over [start, end] (UTC days), straight from the demo's files."""
    orders = pd.read_parquet(demo / "data" / "orders.parquet")
    spend = pd.read_csv(demo / "data" / "marketing_spend.csv", parse_dates=["date"])
    t = pd.to_datetime(orders["ordered_at"], utc=True)
    lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    revenue = orders.loc[(t >= lo) & (t < hi), "amount_usd"].sum()
    days = spend["date"].dt.date
    cost = spend.loc[(days >= start) & (days <= end), "spend_usd"].sum()
    return float(revenue / cost)


def sheet_rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, tuple]:
    """The KPI rows of a card sheet by label (the header row is found by its first cells)."""
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if list(r[:9]) == HEADS)
    out = {}
    for r in rows[top + 1 :]:
        if r[0] is None:
            break
        out[str(r[0]).rstrip("*")] = r
    return out


def test_workbook_holds_the_scorecards_numbers(
    project: Project, results: list[ScorecardResult], tmp_path: Path, demo_shop: Path
) -> None:
    path = write_scorecard(project, results, tmp_path / "marketing.xlsx", "en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Marketing 2026-W47",
        "Marketing 2026-W46",
        "Marketing 2026-W45",
        "Score history",
    ]
    for result, name in zip(results, book.sheetnames, strict=False):
        rows = sheet_rows(book[name])
        assert set(rows) == {i.label for i in result.items}
        for item in result.items:
            _, weight, value, floor, target, stretch, status, score, contribution = rows[item.label]
            b = item.bands
            assert b is not None
            assert weight == pytest.approx(item.weight, rel=1e-12)
            assert value == pytest.approx(item.value, rel=1e-12)
            assert (floor, target, stretch) == pytest.approx((b.floor, b.target, b.stretch), rel=1e-12)
            assert status == {"below_floor": "below floor", "below_target": "below target"}.get(
                item.status, status
            )
            assert score == pytest.approx(item.score, abs=1e-12)
            assert contribution == pytest.approx(item.contribution, abs=1e-12)
        cells = {
            r[0]: r[1] for r in book[name].iter_rows(values_only=True) if r[0] in ("Score", "Weight scored")
        }
        assert cells["Score"] == pytest.approx(result.score, abs=1e-12)
        assert cells["Weight scored"] == pytest.approx(result.coverage, abs=1e-12)
    # the weights in force: the set of 16 Nov for W47 (which starts that day), the one before for W46
    card = project.spec.scorecards["marketing"]
    for week, name in [(results[0], "Marketing 2026-W47"), (results[1], "Marketing 2026-W46")]:
        in_force = card.weights_on(week.period.start)
        assert in_force is card.weights_on(week.period.end) and in_force is not None
        rows = sheet_rows(book[name])
        labels = {i.item: i.label for i in week.items}
        assert {m: rows[labels[m]][1] for m in in_force.weights} == pytest.approx(in_force.weights)
    w47 = sheet_rows(book["Marketing 2026-W47"])
    # one value recomputed from the files: ROAS of W47 = revenue / spend, 16–22 Nov
    assert w47["Return on ad spend"][2] == pytest.approx(
        roas_by_hand(demo_shop, date(2026, 11, 16), date(2026, 11, 22))
    )
    # number formats come from the metric's format: ROAS "0.00 x", CAC in dollars, weights in %
    sheet = book["Marketing 2026-W47"]
    row = next(r for r in sheet.iter_rows() if r[0].value == "Return on ad spend*")
    assert row[2].number_format == '#,##0.00 "x"' and row[1].number_format == "0%"
    cac = next(r for r in sheet.iter_rows() if str(r[0].value).startswith("Cost per purchaser"))
    assert cac[2].number_format == '"$"#,##0.00'
    # the history: oldest first, each period's score and each item's score
    history = list(book["Score history"].iter_rows(values_only=True))
    assert history[0][:5] == ("Period", "Start", "End", "Score", "Weight scored")
    assert [h[0] for h in history[1:]] == list(reversed(WEEKS))
    for h, result in zip(history[1:], reversed(results), strict=True):
        assert h[3] == pytest.approx(result.score, abs=1e-12)
        assert h[5] == pytest.approx(result.items[0].score, abs=1e-12)


def test_page_is_self_contained_and_in_the_language(
    project: Project, results: list[ScorecardResult], tmp_path: Path
) -> None:
    en = write_scorecard(project, results, tmp_path / "m.html", "en").read_text(encoding="utf-8")
    zh = write_scorecard(project, results, tmp_path / "m.zh.html", "zh").read_text(encoding="utf-8")
    for page in (en, zh):
        assert page.startswith("<!DOCTYPE html>") and "<style>" in page
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
        assert page.count("<svg") == 1 and page.count("<circle") == len(WEEKS)  # the score history
        assert "@media print" in page
    assert "Marketing scorecard · 2026-W47 (2026-11-16 – 2026-11-22)" in en and "Score history" in en
    assert (
        "计分卡 · 2026-W47（2026-11-16 – 2026-11-22）" in zh and "得分历史" in zh and "广告支出回报率" in zh
    )
    assert "Score history" not in zh and '<html lang="zh-CN">' in zh
    roas = next(i for i in results[0].items if i.item == "roas")
    assert f"{roas.value:,.2f} x" in en  # the value as the CLI prints it
    for result in results:
        assert result.period.label in en


def test_other_suffixes_are_refused_before_writing(
    project: Project, results: list[ScorecardResult], tmp_path: Path
) -> None:
    with pytest.raises(UserError) as err:
        write_scorecard(project, results, tmp_path / "m.pdf", "en")
    assert "use a .xlsx, .html or .htm file" in str(err.value) and "请使用" in err.value.zh
    with pytest.raises(UserError):
        write_scorecard(project, [], tmp_path / "m.xlsx", "en")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_leaves_the_old_file(
    project: Project, results: list[ScorecardResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "m.html"
    target.write_text("old", encoding="utf-8")

    def boom(*_: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(goals_export, "scorecard_html", boom)
    with pytest.raises(RuntimeError):
        write_scorecard(project, results, target, "en")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]  # no temporary file left


def test_cli_scorecard_writes_the_workbook(demo_shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "card.xlsx"
    run = CliRunner().invoke(
        app,
        [
            "scorecard",
            "marketing",
            "--week",
            "2026-W47",
            "--history",
            "2",
            "-p",
            str(demo_shop),
            "-o",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "wrote" in run.output
    assert openpyxl.load_workbook(out).sheetnames == [
        "Marketing 2026-W47",
        "Marketing 2026-W46",
        "Marketing 2026-W45",
        "Score history",
    ]
    bad = CliRunner().invoke(
        app,
        ["scorecard", "marketing", "--week", "2026-W47", "-p", str(demo_shop), "-o", str(tmp_path / "c.txt")],
    )
    assert bad.exit_code != 0 and not (tmp_path / "c.txt").exists()
