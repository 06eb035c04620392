"""``northstar validate`` and ``check``'s alignment warnings on the demo, as users see them
(snapshots, en and zh)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.project import Project
from northstar.scaffold.demo import generate_demo
from tests.conftest import assert_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
# The demo's team KPIs with a path to repurchase_30d: support quality, returns, add-to-cart and
# checkout (influenced_by in the demo's drivers:) and what their definitions are made of. The rest
# (the revenue tree, marketing, the wholesale leads and deals, ticket volume) has none; see
# docs/goals.md, "Alignment".
LINKED = {
    "add_to_cart_conversion",
    "item_viewers",
    "cart_users",
    "checkout_conversion",
    "return_rate",
    "refunds",
    "orders",
    "csat",
    "first_contact_resolution",
    "first_contact_tickets",
    "resolved_tickets",
    "median_resolution_hours",
    "p90_resolution_hours",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("validate") / "shop", days=120, users=4000).path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validate_one_pair(demo: Path, lang: str) -> None:
    code, out = _run(
        "first_contact_resolution", "--against", "csat", "--grain", "day", "-p", str(demo), "--lang", lang
    )
    assert code == 0, out
    assert_snapshot(SNAPSHOTS / f"validate-fcr-csat.{lang}.txt", out)


def test_default_against_is_the_north_star_and_json_agrees(demo: Path) -> None:
    code, out = _run("csat", "-p", str(demo), "--json")
    assert code == 0, out
    data = json.loads(out)
    v = Project.load(demo).validate("csat")
    assert data["against"] == "repurchase_30d" and data["grain"] == "week"
    assert data["periods"] == [p.isoformat() for p in v.periods]
    assert [lag["r"] for lag in data["lags"]] == pytest.approx([lag.r for lag in v.lags], nan_ok=True)
    assert data["verdict"] == v.verdict() and len(data["caveats"]) == 4


def test_check_flags_the_demo_kpis_with_no_path(demo: Path) -> None:
    result = CliRunner().invoke(app, ["check", "-p", str(demo)])
    assert result.exit_code == 0, result.output
    project = Project.load(demo)
    warnings = [i for i in project.issues if i.code == "kpi-no-path"]
    flagged = {name for i in warnings for name in i.message.rsplit(": ", 1)[1].split(", ")}
    kpis = {k.metric for k in project.alignment().kpis}
    assert flagged == kpis - LINKED == set(project.alignment().unlinked)
    assert kpis >= LINKED
    assert {"revenue", "roas", "won_deal_value", "tickets"} <= flagged
    assert sorted(i.message.split("'")[1] for i in warnings) == ["growth", "marketing", "sales", "support"]
    assert "have no path to the north star 'repurchase_30d'" in " ".join(result.output.split())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_all_kpis_one_line_each(demo: Path, lang: str) -> None:
    code, out = _run("--all", "-p", str(demo), "--lang", lang)
    assert code == 0, out
    assert_snapshot(SNAPSHOTS / f"validate-all.{lang}.txt", out)


def test_all_as_json(demo: Path) -> None:
    code, out = _run("--all", "-p", str(demo), "--json")
    assert code == 0, out
    data = json.loads(out)
    kpis = {k["metric"]: k for k in data["kpis"]}
    assert {m for m, k in kpis.items() if k["paths"]} == LINKED
    assert kpis["csat"]["paths"] == [[{"from": "csat", "to": "repurchase_30d", "kind": "influence"}]]
    assert kpis["resolved_tickets"]["paths"][0][0]["kind"] == "definition"
    assert all(k["validation"]["against"] == "repurchase_30d" for k in kpis.values())


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (["cast"], "unknown metric 'cast' (did you mean 'csat'?)", "没有指标'cast'（您是不是想写'csat'？）"),
        ([], "name one metric, or pass --all", "请指定一个指标"),
        (["csat", "--all"], "name one metric, or pass --all", "请指定一个指标"),
        (["csat", "--grain", "hour"], "validate works by day, week, month", "只支持"),
    ],
)
def test_bad_input(demo: Path, args: list[str], en: str, zh: str) -> None:
    code, out = _run(*args, "-p", str(demo))
    assert code == 1 and en in " ".join(out.split())
    code, out = _run(*args, "-p", str(demo), "--lang", "zh")
    assert code == 1 and zh in "".join(out.split())
