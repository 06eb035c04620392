"""``northstar leads clean`` as users see it (snapshots, en and zh), the files it writes, the
project mode (a lead set of tests/leads/data/b2b) and its errors (en/zh, "did you mean")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from northstar.cli.main import app
from tests.conftest import assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
DATA = Path(__file__).parents[1] / "leads" / "data"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(DATA / "leads_small.csv", tmp_path / "leads.csv")
    shutil.copytree(DATA / "b2b", tmp_path / "b2b", ignore=shutil.ignore_patterns(".northstar"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NORTHSTAR_ALERT_STORE", raising=False)
    return tmp_path


def _run(*args: str, width: int = 80) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})
    return result.exit_code, result.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_clean_a_file(here: Path, lang: str) -> None:
    code, out = _run(
        "leads", "clean", "leads.csv", "--map", "cost=cost_usd", "-o", "clean.xlsx", "--lang", lang
    )
    assert code == 0, out
    assert_snapshot(SNAPSHOTS / f"leads-clean.{lang}.txt", out)
    book = CalamineWorkbook.from_path(str(here / "clean.xlsx"))
    assert len(book.sheet_names) == 3


def test_default_output_and_options(here: Path) -> None:
    code, out = _run("leads", "clean", "leads.csv", "--region", "us", "--keep", "last", "--map", "cost=")
    assert code == 0, out
    assert (here / "leads-clean.xlsx").exists() and "wrote leads-clean.xlsx" in out
    assert "default region US" in out
    code, out = _run("leads", "clean", "leads.csv", "-o", "clean.csv")
    assert code == 0 and (here / "clean.csv").read_text(encoding="utf-8-sig").startswith("lead_id,")


def test_clean_a_projects_lead_set(here: Path) -> None:
    from northstar.leads.clean import clean_leads
    from northstar.project import Project

    code, out = _run("leads", "clean", "-p", "b2b")
    assert code == 0, out
    assert (here / "leads-b2b-clean.xlsx").exists()
    project = Project.load(here / "b2b")
    import pandas as pd

    frame = pd.read_csv(here / "b2b" / "leads.csv", dtype=str)
    direct = clean_leads(frame, project.spec.leads["b2b"], "created_at", workers=1)
    book = CalamineWorkbook.from_path(str(here / "leads-b2b-clean.xlsx"))
    clean_ids = [row[0] for row in book.get_sheet_by_name("Clean").to_python()[1:]]
    assert clean_ids == direct.clean["lead_id"].tolist()
    total = direct.summary.iloc[-1]
    assert f"{int(total['clean']):,} clean" in out


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (["leads.csv", "--map", "phnoe=phone"], "did you mean 'phone'", "您是不是想写 'phone'"),
        (["leads.csv", "--map", "phone=mobile"], "no column 'mobile'", "没有列 'mobile'"),
        (["leads.csv", "--time", "created"], "did you mean 'created_at'", "您是不是想写 'created_at'"),
        (["leads.csv", "--region", "China"], "not a region", "不是 phonenumbers 认识的地区"),
        (["leads.csv", "--keep", "middle"], "use first or last", "请用 first 或 last"),
        (["leads.csv", "-o", "clean.pdf"], "use an .xlsx file", "请使用 .xlsx"),
        (["missing.csv"], "does not exist", "不存在"),
        ([], "give a lead file", "请给出线索文件"),
        (["-p", "b2b", "--set", "b2c"], "did you mean 'b2b'", "您是不是想写 'b2b'"),
    ],
)
def test_errors_in_both_languages(here: Path, args: list[str], en: str, zh: str) -> None:
    code, out = _run("leads", "clean", *args, width=300)
    assert code == 1 and en in out, out
    code, out = _run("leads", "clean", *args, "--lang", "zh", width=300)
    assert code == 1 and zh in out, out
    assert not (here / "clean.pdf").exists()
