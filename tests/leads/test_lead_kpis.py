"""Lead-quality KPIs on ten hand-checked leads (tests/leads/data/b2b): a lead set is a source of
its own, so valid-lead rate, sales acceptance, cost per valid / accepted lead, lead-to-deal
conversion and sales-cycle length are ordinary metrics — by channel, on DuckDB and on Spark.

By hand: L02 is L01 again (same number written another way) and L07 is L05 again (same e-mail
in another case), so they are duplicates; L03 and L09 have no usable contact. Ratings (file):
L01 5, L02 2, L04 4, L05 3, L06 1, L10 3. Costs: social 10, search 40, email 2 per lead."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from northstar.errors import SpecError
from northstar.project import Project
from northstar.watch.store import LeadRating

B2B = Path(__file__).parent / "data" / "b2b"
KPIS = [
    "screened_leads",
    "valid_lead_rate",
    "acceptance_rate",
    "sales_acceptance_score",
    "cost_per_valid_lead",
    "cost_per_accepted_lead",
    "lead_to_deal",
    "sales_cycle_days",
]
BY_HAND = {  # channel → the KPIs above, worked out from the rows
    "social": [4, 3 / 4, 2 / 3, (5 + 1 + 3) / 3, 40 / 3, 40 / 2, 1 / 3, 10.0],
    "search": [4, 1 / 4, 1 / 2, (2 + 4) / 2, 160 / 1, 160 / 1, 0.0, None],
    "email": [2, 2 / 2, 1 / 1, 3.0, 4 / 2, 4 / 1, 1 / 2, 16.0],
}


@pytest.fixture
def b2b(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "b2b"
    shutil.copytree(B2B, folder, ignore=shutil.ignore_patterns(".northstar"))
    monkeypatch.delenv("NORTHSTAR_ALERT_STORE", raising=False)
    return folder


def _kpis(project: Project, engine: Any = None) -> dict[str, list[Any]]:
    frame = project.query(KPIS, by=["channel"], start="2026-10-01", end="2026-10-31", engine=engine).frame
    out = {}
    for row in frame.to_dict("records"):
        out[row["channel"]] = [None if v != v else v for v in (row[k] for k in KPIS)]  # NaN → None
    return out


def _same(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> None:
    assert set(got) == set(want)
    for channel, values in want.items():
        for name, g, w in zip(KPIS, got[channel], values, strict=True):
            assert (g is None) == (w is None) and (w is None or g == pytest.approx(w)), (channel, name, g, w)


def test_kpis_by_channel_equal_the_hand_count(b2b: Path) -> None:
    _same(_kpis(Project.load(b2b)), BY_HAND)


def test_the_screened_table_says_why(b2b: Path) -> None:
    import pandas as pd

    Project.load(b2b)
    t = pd.read_parquet(b2b / ".northstar" / "leads" / "b2b.parquet").set_index("lead_id")
    assert t.loc["L02", "duplicate_of"] == "L01" and t.loc["L07", "duplicate_of"] == "L05"
    assert t.loc["L01", "phone_e164"] == t.loc["L02", "phone_e164"] == "+8613971864253"
    assert t.loc["L03", "reject_reason"] and t.loc["L09", "reject_reason"]
    assert list(t.index[t["clean"]]) == ["L01", "L04", "L05", "L06", "L08", "L10"]
    assert t.loc["L01", "cycle_days"] == 10.0 and t.loc["L05", "cycle_days"] == 16.0


def test_an_app_rating_later_than_the_files_wins_and_the_table_is_rebuilt(b2b: Path) -> None:
    first = Project.load(b2b)
    table = b2b / ".northstar" / "leads" / "b2b.parquet"
    built = table.stat().st_mtime_ns
    Project.load(b2b)
    assert table.stat().st_mtime_ns == built  # nothing changed: not rebuilt
    later = datetime(2026, 10, 20, tzinfo=UTC)
    assert first.rate_leads(None, [LeadRating("", "L10", 4, "budget_confirmed", "mei", later)]) == 1
    with first.app_store() as store:
        store.rate_leads(
            [LeadRating("b2b", "L06", 5, "right_buyer", "anna", datetime(2026, 10, 1, tzinfo=UTC))]
        )
    social = _kpis(Project.load(b2b))["social"]
    assert table.stat().st_mtime_ns != built
    # L10: 3 (file, 10 Oct) → 4 (app, 20 Oct); L06 stays 1: the app's rating of 1 Oct is older than the file's
    assert social[KPIS.index("sales_acceptance_score")] == pytest.approx((5 + 1 + 4) / 3)
    assert social[KPIS.index("acceptance_rate")] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("line", "where", "zh"),
    [
        ("L04,7,budget_confirmed,tom,2026-10-04 09:00:00", "row 4, column score", "第 4 行，score 列"),
        (
            "L04,4,budget_confrmed,tom,2026-10-04 09:00:00",
            "row 4, column reason",
            "did you mean 'budget_confirmed'",
        ),
        ("L99,4,budget_confirmed,tom,2026-10-04 09:00:00", "row 4, column lead_id", "不是该线索集中的线索"),
    ],
)
def test_a_bad_rating_names_file_row_and_column(b2b: Path, line: str, where: str, zh: str) -> None:
    path = b2b / "ratings.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    rows[3] = line
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        Project.load(b2b)
    (issue,) = [i for i in info.value.issues if i.code == "lead-data"]
    assert "ratings.csv" in issue.message and where in issue.message
    assert zh in (issue.message_zh + issue.message)
    assert not (b2b / ".northstar" / "leads" / "b2b.parquet").exists()  # nothing half-written


def test_unknown_lead_source_and_clashing_name(b2b: Path) -> None:
    text = (b2b / "northstar.yml").read_text(encoding="utf-8")
    (b2b / "northstar.yml").write_text(
        text.replace("    source: leads\n", "    source: lead\n"), encoding="utf-8"
    )
    with pytest.raises(SpecError) as info:
        Project.load(b2b)
    issue = next(i for i in info.value.issues if i.code == "lead-unknown-source")
    assert issue.line and "leads" in issue.suggestions and "未定义" in issue.message_zh
    (b2b / "northstar.yml").write_text(
        text.replace("  b2b:\n", "  leads:\n").replace("source: b2b", "source: leads"), encoding="utf-8"
    )
    with pytest.raises(SpecError) as info:
        Project.load(b2b)
    assert any(i.code == "lead-set-name" for i in info.value.issues)


def test_the_same_kpis_on_spark(b2b: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    project = Project.load(b2b)
    _same(_kpis(project, SparkEngine(session=spark_session)), BY_HAND)
