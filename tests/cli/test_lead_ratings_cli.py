"""``northstar leads rate`` / ``leads ratings`` on the ten hand-checked leads (tests/leads/data/b2b):
one rating, a file saved whole or not at all, clear errors (en/zh), the ratings in force."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.project import Project
from tests.conftest import assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
B2B = Path(__file__).parents[1] / "leads" / "data" / "b2b"


@pytest.fixture
def b2b(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "b2b"
    shutil.copytree(B2B, folder, ignore=shutil.ignore_patterns(".northstar"))
    monkeypatch.delenv("NORTHSTAR_ALERT_STORE", raising=False)
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})
    return result.exit_code, result.output


def test_rate_one_then_a_file_then_list(b2b: Path) -> None:
    code, out = _run(
        "leads", "rate", "L08", "--score", "4", "--reason", "right_buyer", "--by", "mei", "-p", str(b2b)
    )
    assert code == 0 and "saved 1 rating(s)" in out and "replaces" not in out  # L08 was not rated
    code, out = _run(
        "leads", "rate", "L01", "--score", "3", "--reason", "no_budget", "--by", "tom", "-p", str(b2b)
    )
    assert code == 0 and "L01: replaces sarah's 5 of 2026-10-02 (the history is kept)" in " ".join(
        out.split()
    )
    batch = b2b / "batch.csv"
    batch.write_text("lead_id,score,reason,note\nL03,1,spam,bot\nL09,1,spam,\n", encoding="utf-8")
    code, out = _run("leads", "rate", "--file", str(batch), "--by", "tom", "-p", str(b2b))
    assert code == 0 and "saved 2 rating(s)" in out, out
    code, out = _run("leads", "ratings", "-p", str(b2b), "--json")
    rows = {r["lead_id"]: (r["rating"], r["rating_reason"], r["rated_by"]) for r in json.loads(out)}
    assert rows["L08"] == (4, "right_buyer", "mei") and rows["L03"] == (1, "spam", "tom") and len(rows) == 9
    with Project.load(b2b).app_store() as store:
        notes = {r.lead_id: r.note for r in store.lead_ratings("b2b")}
    assert notes == {"L08": None, "L01": None, "L03": "bot", "L09": None}


def test_ratings_table_in_chinese(b2b: Path) -> None:
    batch = b2b / "batch.csv"
    batch.write_text("lead_id,score,reason,rated_at\nL08,4,right_buyer,2026-10-08 10:00\n", encoding="utf-8")
    assert _run("leads", "rate", "--file", str(batch), "--by", "mei", "-p", str(b2b))[0] == 0
    code, out = _run("leads", "ratings", "-p", str(b2b), "--lang", "zh")
    assert code == 0
    assert_snapshot(SNAPSHOTS / "lead-ratings.zh.txt", out)


def test_a_bad_row_saves_nothing(b2b: Path) -> None:
    batch = b2b / "batch.csv"
    batch.write_text(
        "lead_id,score,reason\nL03,1,spam\nL09,6,spam\nL99,4,spma\nL03,2,spam\n", encoding="utf-8"
    )
    code, out = _run("leads", "rate", "--file", str(batch), "--by", "tom", "-p", str(b2b))
    said = " ".join(out.split())
    assert code != 0 and "batch.csv: 4 problem(s): row 3, column score" in said  # every problem at once
    assert "row 4, column lead_id: 'L99'" in said and "row 4, column reason: 'spma'" in said
    assert "row 5, column lead_id: L03 is rated again" in said
    assert (
        not (b2b / ".northstar" / "alerts.db").exists()
        or Project.load(b2b).app_store().lead_ratings("b2b") == []
    )


@pytest.mark.parametrize(
    ("args", "en"),
    [
        (["L77", "--score", "4", "--reason", "right_buyer", "--by", "x"], "'L77' is not a lead of 'b2b'"),
        (["L01", "--score", "0", "--reason", "right_buyer", "--by", "x"], "0 is not a score from 1 to 5"),
        (["L01", "--score", "4", "--reason", "right_buyr", "--by", "x"], "did you mean 'right_buyer'"),
        (["L01", "--score", "4"], "northstar leads rate L00012 --score 4"),
        (
            ["L01", "--score", "4", "--reason", "spam", "--by", "x", "--set", "b2c"],
            "there is no lead set 'b2c'",
        ),
    ],
)
def test_bad_ratings_are_refused(b2b: Path, args: list[str], en: str) -> None:
    code, out = _run("leads", "rate", *args, "-p", str(b2b))
    assert code != 0 and en in " ".join(out.split())
