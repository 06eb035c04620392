"""Alignment: each team KPI's paths to the north star, and ``check``'s warning when there is none.

The project in ``tests/data/alignment`` has one edge of each kind; the expected paths below are
read off its YAML by hand."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from northstar.analysis.alignment import Edge, alignment_map
from northstar.errors import SpecError
from northstar.project import Project
from northstar.spec.models import ProjectSpec
from tests.conftest import DATA

ALIGN = DATA / "alignment"


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(ALIGN)


def _spec(metrics: dict[str, Any], **sections: Any) -> ProjectSpec:
    return ProjectSpec.model_validate({"project": {"name": "t"}, "metrics": metrics, **sections})


def test_paths_follow_each_kind_of_edge(project: Project) -> None:
    amap = project.alignment()
    assert amap.north_star == "repeat_30d"
    assert [k.metric for k in amap.kpis] == [
        "revenue",
        "paid_orders",
        "aov",
        "csat",
        "tickets",
        "refund_count",
    ]
    paths = {k.metric: [[(e.source, e.kind, e.target) for e in p] for p in k.paths] for k in amap.kpis}
    assert paths["aov"] == [[("aov", "influence", "repeat_30d")]]
    assert paths["csat"] == [[("csat", "influence", "repeat_30d")]]
    # revenue is an input of aov's definition (revenue / orders)
    assert paths["revenue"] == [[("revenue", "definition", "aov"), ("aov", "influence", "repeat_30d")]]
    # paid_orders is orders with one more condition on channel's column: a slice of orders over channel
    assert paths["paid_orders"] == [
        [
            ("paid_orders", "over", "orders"),
            ("orders", "definition", "aov"),
            ("aov", "influence", "repeat_30d"),
        ]
    ]
    assert paths["tickets"] == [] and paths["refund_count"] == []
    assert amap.unlinked == ("tickets", "refund_count")
    assert not amap.kpi("revenue").by_identity
    assert amap.kpi("paid_orders").teams == ("growth",)
    assert Edge("orders", "revenue", "formula") in amap.edges


def test_no_path_is_one_warning_per_team_at_its_metrics_line(project: Project) -> None:
    warnings = [i for i in project.issues if i.code == "kpi-no-path"]
    # support's list has tickets (no path); refund_count joins it through its team: key
    assert [(Path(i.file or "").name, i.line, i.level) for i in warnings] == [
        ("northstar.yml", 24, "warning")
    ]
    assert (
        warnings[0]
        .render()
        .endswith(
            "warning: team 'support': 2 KPIs have no path to the north star 'repeat_30d': tickets, "
            "refund_count — add each to a driver formula or to influenced_by of a metric on the north "
            "star's tree, or drop it from the team's KPIs"
        )
    )
    zh = warnings[0].render("zh")
    assert (
        "警告: 团队 'support' 有 2 个指标与北极星指标 'repeat_30d' 之间没有任何路径：tickets、refund_count"
        in zh
    )
    assert "influenced_by" in (warnings[0].fix_zh or "")


def test_a_team_only_named_by_team_keys_is_located_there(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(ALIGN, folder)
    metrics = folder / "metrics.yml"
    metrics.write_text(
        metrics.read_text(encoding="utf-8").replace("team: support", "team: ops"), encoding="utf-8"
    )
    with pytest.raises(SpecError) as info:  # ops is not under teams: an error, and still a warning
        Project.load(folder)
    warning = next(i for i in info.value.issues if i.code == "kpi-no-path" and "'ops'" in i.message)
    assert (Path(warning.file or "").name, warning.line) == ("metrics.yml", 13)
    assert "1 KPI has no path" in warning.message and warning.message.endswith(": refund_count")


def test_identity_paths_come_first_and_are_the_shortest() -> None:
    metrics = {
        "a": {"type": "count", "source": "s"},
        "b": {"type": "count", "source": "s"},
        "c": {"type": "count", "source": "s"},
        "ns": {"type": "formula", "expr": "b * 2"},
    }
    drivers = {"b": "a + c", "ns": {"influenced_by": ["a"]}}
    amap = alignment_map(
        _spec(metrics, north_star="ns", teams={"t": {"metrics": ["a", "c"]}}, drivers=drivers)
    )
    # a → ns directly by influence (1 edge), but a → b → ns by identity (formula, definition) wins
    assert [(e.source, e.kind) for e in amap.kpi("a").paths[0]] == [("a", "formula"), ("b", "definition")]
    assert amap.kpi("a").by_identity and amap.kpi("c").by_identity
    only_influence = alignment_map(
        _spec(
            metrics,
            north_star="ns",
            teams={"t": {"metrics": ["c"]}},
            drivers={"ns": {"influenced_by": ["c"]}},
        )
    )
    assert not only_influence.kpi("c").by_identity and only_influence.kpi("c").linked


def test_slices_need_one_extra_condition_on_the_dimension_column() -> None:
    base = {"type": "sum", "source": "s", "column": "x", "filter": "ok = 1"}
    metrics = {
        "whole": base,
        "by_col": {**base, "filter": "(ok = 1) and region = 'eu'"},  # a slice (parentheses are fine)
        "other_col": {**base, "filter": "ok = 1 and device = 'ios'"},  # not the dimension's column
        "two_more": {**base, "filter": "ok = 1 and region = 'eu' and device = 'ios'"},
        "other_column": {**base, "column": "y", "filter": "ok = 1 and region = 'eu'"},
        "no_base_filter": {**base, "filter": "region = 'eu'"},
    }
    spec = _spec(
        metrics,
        north_star="whole",
        dimensions={"area": {"column": "region"}},
        drivers={"whole": {"over": "area"}},
        teams={"t": {"metrics": [m for m in metrics if m != "whole"]}},
    )
    amap = alignment_map(spec)
    assert amap.unlinked == ("other_col", "two_more", "other_column", "no_base_filter")
    assert [e.kind for e in amap.kpi("by_col").paths[0]] == ["over"]


def test_tiered_families_stand_for_each_tier() -> None:
    metrics = {
        "done": {"type": "tiered", "source": "s", "column": "secs", "thresholds": [3, 15], "suffix": "s"},
        "ns": {"type": "count", "source": "s"},
    }
    amap = alignment_map(
        _spec(
            metrics,
            north_star="ns",
            teams={"t": {"metrics": ["done"]}},
            drivers={"ns": {"influenced_by": ["done_3s"]}},
        )
    )
    assert [k.metric for k in amap.kpis] == ["done_3s", "done_15s"]
    assert amap.unlinked == ("done_15s",)


def test_without_a_north_star_nothing_is_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(ALIGN, folder)
    yml = folder / "northstar.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("north_star: repeat_30d", ""), encoding="utf-8")
    project = Project.load(folder)
    assert not [i for i in project.issues if i.code == "kpi-no-path"]
    assert all(not k.paths for k in project.alignment().kpis)


def test_influenced_by_names_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(ALIGN, folder)
    yml = folder / "northstar.yml"
    text = yml.read_text(encoding="utf-8").replace(
        "      - aov\n      - csat\n", "      - aov\n      - cstat\n      - repeat_30d\n"
    )
    yml.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        Project.load(folder)
    issues = {i.code: i for i in info.value.issues}
    unknown = issues["influence-unknown-metric"]
    assert (unknown.line, unknown.suggestions) == (34, ("csat",))
    assert unknown.render() == (
        f"{yml}:34: error: driver entry 'repeat_30d': influenced_by names 'cstat', which is not a metric "
        "(did you mean 'csat'?) — list metrics defined under 'metrics:'"
    )
    assert "（您是不是想写 'csat'？）" in unknown.render("zh") and "不是已定义的指标" in unknown.render("zh")
    self_ref = issues["influence-self"]
    assert (
        self_ref.line == 35 and "lists itself" in self_ref.message and "自己" in (self_ref.message_zh or "")
    )
    # csat lost its link, so it is flagged too
    flagged = next(i for i in info.value.issues if i.code == "kpi-no-path")
    assert flagged.message.endswith(": csat, tickets, refund_count")


def test_an_entry_with_only_influenced_by_is_valid(project: Project) -> None:
    entry = project.spec.drivers["repeat_30d"]
    assert (entry.formula, entry.over, entry.influenced_by) == (None, None, ["aov", "csat"])
    assert not [i for i in project.issues if i.level == "error"]


def test_to_dict_lists_every_path(project: Project) -> None:
    data = project.alignment().to_dict()
    assert data["north_star"] == "repeat_30d"
    revenue = next(k for k in data["kpis"] if k["metric"] == "revenue")
    assert revenue == {
        "metric": "revenue",
        "teams": ["growth"],
        "by_identity": False,
        "paths": [
            [
                {"from": "revenue", "to": "aov", "kind": "definition"},
                {"from": "aov", "to": "repeat_30d", "kind": "influence"},
            ]
        ],
    }
