"""``northstar scorecard``, ``okrs`` and ``targets`` as users see them (snapshots, en and zh), on
the goal shop (tests/analysis/data/goals_shop), copied so the app database stays in a temp folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from tests.conftest import assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
SHOP = Path(__file__).parents[1] / "analysis" / "data" / "goals_shop"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(SHOP, folder)
    return folder


def _run(*args: str, width: int = 80) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scorecard_table(shop: Path, lang: str) -> None:
    out = _run("scorecard", "shop", "--week", "2026-W42", "--history", "2", "-p", str(shop), "--lang", lang)
    assert_snapshot(SNAPSHOTS / f"scorecard-shop.{lang}.txt", out)


def test_scorecard_json_matches_the_api(shop: Path) -> None:
    from northstar.project import Project

    data = json.loads(_run("scorecard", "company", "--week", "2026-W41", "-p", str(shop), "--json"))
    api = Project.load(shop).scorecard("company", "2026-W41")
    assert data["score"] == pytest.approx(api.score)
    assert [i["item"] for i in data["items"]] == ["shop", "ops"]
    assert data["period"] == "2026-W41" and data["start"] == "2026-10-05"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_okrs_table(shop: Path, lang: str) -> None:
    assert_snapshot(SNAPSHOTS / f"okrs.{lang}.txt", _run("okrs", "-p", str(shop), "--lang", lang))


def test_targets_set_then_list(shop: Path) -> None:
    said = _run(
        "targets",
        "set",
        "revenue",
        "--period",
        "2026-12",
        "--target",
        "12,000",
        "--floor",
        "10000",
        "--by",
        "ana",
        "--why",
        "holiday plan",
        "-p",
        str(shop),
    )
    assert "set revenue for 2026-12" in said
    assert (shop / ".northstar" / "alerts.db").exists()
    listed = _run("targets", "list", "revenue", "-p", str(shop), width=140)
    listed = re.sub(r"app\s+\d{4}-\d{2}-\d{2}", "app <date>", listed)
    assert_snapshot(SNAPSHOTS / "targets-list.txt", listed)
    data = json.loads(_run("targets", "list", "revenue", "-p", str(shop), "--json"))
    assert [(e["period"], e["origin"], e["target"]) for e in data["revenue"]][-1] == (
        "2026-12",
        "app",
        12000.0,
    )


@pytest.mark.parametrize(
    ("args", "en"),
    [
        (["scorecard", "shopp"], "there is no scorecard 'shopp' (did you mean 'shop'?)"),
        (["scorecard", "shop", "--week", "2026-W60"], "is not a period"),
        (["scorecard", "shop", "--week", "2026-W42", "--period", "2026-10"], "give --week or --period"),
        (["okrs", "gro"], "there is no OKR 'gro'"),
        (
            [
                "targets",
                "set",
                "refund_rate",
                "--period",
                "2026-Q4",
                "--floor",
                "5%",
                "--target",
                "8%",
                "--by",
                "x",
            ],
            "wrong way round",
        ),
    ],
)
def test_bad_input_is_a_clear_error(shop: Path, args: list[str], en: str) -> None:
    result = CliRunner().invoke(app, [*args, "-p", str(shop)])
    assert result.exit_code != 0
    assert en in " ".join(result.output.split())
    assert not (shop / ".northstar" / "alerts.db").exists() or args[0] != "targets"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explain_against_the_target(shop: Path, lang: str) -> None:
    out = _run(
        "explain",
        "revenue",
        "--vs",
        "target",
        "--grain",
        "week",
        "--date",
        "2026-10-07",
        "-p",
        str(shop),
        "--lang",
        lang,
    )
    assert_snapshot(SNAPSHOTS / f"explain-vs-target.{lang}.txt", out)
