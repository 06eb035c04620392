"""``northstar funnel --where`` and ``northstar retention --where`` on the API tests' shop (its
events and orders), against pandas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from northstar.cli.main import app

SHOP = Path(__file__).parents[1] / "serve" / "data" / "shop"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHOP, tmp_path / "shop", ignore=shutil.ignore_patterns(".northstar")))


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_funnel_where_counts_only_matching_events(shop: Path) -> None:
    out = _run("funnel", "checkout", "--where", "device = 'ios'", "--from", "2026-10-01", "--to", "2026-10-31",
               "-p", str(shop))  # fmt: skip
    ev = pd.read_csv(shop / "events.csv", parse_dates=["event_time"])
    ev = ev[ev["device"] == "ios"]
    entered = ev[
        (ev["event_name"] == "view_item")
        & ev["event_time"].between("2026-10-01", "2026-11-01", inclusive="left")
    ]
    step1 = next(line for line in out.splitlines() if "1. view_item" in line)
    assert step1.split("│")[2].strip() == f"{entered['user_id'].nunique():,}"  # the iOS viewers of October
    unfiltered = _run("funnel", "checkout", "--from", "2026-10-01", "--to", "2026-10-31", "-p", str(shop))
    assert next(line for line in unfiltered.splitlines() if "1. view_item" in line) != step1
    assert "only events where device = 'ios' count as steps" in " ".join(out.split())


def test_retention_where_and_its_errors(shop: Path) -> None:
    out = _run("retention", "buyers", "--where", "channel = 'ads'", "-p", str(shop))
    assert "channel = 'ads'" in " ".join(out.split())
    bad = CliRunner().invoke(app, ["retention", "buyers", "--where", "chanel = 'ads'", "-p", str(shop)])
    assert bad.exit_code == 1 and "did you mean 'channel'" in " ".join(bad.output.split())
    both = CliRunner().invoke(
        app, ["retention", "repeat_30d", "--repurchase", "--where", "channel = 'ads'", "-p", str(shop)]
    )
    assert both.exit_code != 0 and "repurchase curve" in both.output
