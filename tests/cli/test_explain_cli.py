"""``northstar explain`` and ``check``'s driver lines as users see them (snapshots, en and zh),
on the test shop with a driver tree added."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from tests.conftest import DATA, assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
DRIVERS = """
drivers:
  revenue:
    formula: orders * aov
    over: channel
  orders: {over: device}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain") / "shop"
    shutil.copytree(DATA / "shop", folder)
    with (folder / "northstar.yml").open("a", encoding="utf-8") as f:
        f.write(DRIVERS)
    return folder


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explain_waterfall_and_parts(shop: Path, lang: str) -> None:
    args = ["explain", "revenue", "--date", "2026-11-01", "--grain", "month", "--vs", "last_year"]
    result = CliRunner().invoke(app, [*args, "-p", str(shop), "--lang", lang])
    assert result.exit_code == 0, result.output
    assert_snapshot(SNAPSHOTS / f"explain-revenue.{lang}.txt", result.output)


def test_check_reports_each_identity(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # from the project's folder: the paths printed, and so Rich's line breaks, do not depend on
    # where pytest put it (pytest-1002 instead of pytest-999 moved a break)
    monkeypatch.chdir(shop)
    result = CliRunner().invoke(app, ["check", "-p", "northstar.yml"])
    assert result.exit_code == 0, result.output
    assert_snapshot(SNAPSHOTS / "check-drivers.txt", result.output)


def test_json_agrees_with_the_table(shop: Path) -> None:
    args = ["explain", "revenue", "--date", "2026-11-01", "--grain", "month", "--vs", "last_year"]
    data = json.loads(CliRunner().invoke(app, [*args, "-p", str(shop), "--json"]).stdout)
    assert data["period"] == ["2026-11-01", "2026-11-25"]  # the data ends on the 25th
    assert data["baseline_periods"] == [["2025-11-01", "2025-11-25"]]
    contributions = [d["contribution_to_root"] for d in data["drivers"][1:]]
    assert sum(contributions) == pytest.approx(data["change"], rel=1e-12)
    assert sum(p["change"] for p in data["parts"]) == pytest.approx(data["change"], rel=1e-9)
