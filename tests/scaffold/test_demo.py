"""``northstar demo``: the folder it writes, its YAML, reproducibility and atomic writing.

The data itself (funnels, orders, incidents) is checked in ``test_demo_data.py``.
"""

from __future__ import annotations

import glob
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from northstar.errors import UserError
from northstar.scaffold import demo
from northstar.scaffold.demo import DemoInfo, generate_demo
from northstar.spec.expressions import parse, parse_formula
from northstar.spec.models import ProjectSpec

SMALL = {"days": 60, "users": 2000}
SCREENED = (
    "rating",
    "cycle_days",
    "clean",
    "rated",
    "accepted",
    "won",
)  # columns a lead set adds that metrics read
FILES = {
    "northstar.yml",
    "goals.yml",
    "ground_truth.json",
    "metrics/growth.yml",
    "metrics/marketing.yml",
    "metrics/sales.yml",
    "metrics/support.yml",
    "metrics/lead_quality.yml",
    "data/events.parquet",
    "data/orders.parquet",
    "data/refunds.parquet",
    "data/marketing_spend.csv",
    "data/leads.csv",
    "data/lead_ratings.csv",
    "data/tickets.csv",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> DemoInfo:
    return generate_demo(tmp_path_factory.mktemp("demo") / "shop", **SMALL)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _merged_spec(folder: Path) -> dict[str, Any]:
    """northstar.yml with its ``include:`` files merged in, as the loader would."""
    data = yaml.safe_load((folder / "northstar.yml").read_text(encoding="utf-8"))
    for pattern in data.pop("include", []):
        for path in sorted(glob.glob(str(folder / pattern))):
            extra = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            for section, entries in extra.items():
                assert not set(entries) & set(data.get(section, {})), f"{path} redefines {section}"
                data.setdefault(section, {}).update(entries)
    return data


def test_writes_every_file(small: DemoInfo) -> None:
    written = {str(p.relative_to(small.path)) for p in small.path.rglob("*") if p.is_file()}
    assert written == FILES
    assert not [p for p in small.path.parent.iterdir() if p.name.startswith(".")]  # no temp folders


def test_info_matches_the_files(small: DemoInfo) -> None:
    data = small.path / "data"
    assert (small.days, small.users, small.end) == (60, 2000, date(2026, 11, 26))
    assert small.start == date(2026, 9, 28)
    assert small.events == pq.read_metadata(data / "events.parquet").num_rows
    assert small.orders == pq.read_metadata(data / "orders.parquet").num_rows
    assert small.refunds == pq.read_metadata(data / "refunds.parquet").num_rows
    truth = json.loads((small.path / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["rows"]["leads"] == small.leads > 0
    assert truth["rows"]["tickets"] == small.tickets > 0
    assert [i["id"] for i in truth["incidents"]] == [i.id for i in small.incidents]
    assert {i["type"] for i in truth["incidents"]} == {
        "outage",
        "traffic_spike",
        "conversion_drop",
        "spend_spike",
    }
    metrics = _metric_names(small.path)
    for incident in truth["incidents"]:
        assert incident["metric"] in metrics, incident["metric"]  # a metric the demo defines
        assert incident["days"][0] == incident["start"] and incident["days"][-1] == incident["end"]
        assert small.start.isoformat() < incident["start"] <= incident["end"] < small.end.isoformat()


def _metric_names(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in (folder / "metrics").glob("*.yml"):
        names |= set(yaml.safe_load(path.read_text(encoding="utf-8"))["metrics"])
    return names


def test_parquet_schemas(small: DemoInfo) -> None:
    data = small.path / "data"
    naive_us = pa.timestamp("us")
    assert pq.read_schema(data / "events.parquet").remove_metadata() == pa.schema(
        [
            ("event_time", naive_us),
            ("user_id", pa.string()),
            ("session_id", pa.string()),
            ("event_name", pa.string()),
            ("channel", pa.string()),
            ("device", pa.string()),
            ("country", pa.string()),
            ("platform", pa.string()),
            ("item_id", pa.string()),
            ("value", pa.float64()),
            ("order_id", pa.string()),
        ]
    )
    assert pq.read_schema(data / "orders.parquet").remove_metadata() == pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("ordered_at", naive_us),
            ("channel", pa.string()),
            ("device", pa.string()),
            ("country", pa.string()),
            ("currency", pa.string()),
            ("amount", pa.float64()),
            ("amount_usd", pa.float64()),
            ("items", pa.int64()),
            ("status", pa.string()),
        ]
    )
    assert pq.read_schema(data / "refunds.parquet").names == [
        "refund_id",
        "order_id",
        "customer_id",
        "refunded_at",
        "amount_usd",
        "reason",
    ]


def test_csv_headers(small: DemoInfo) -> None:
    def header(name: str) -> str:
        with (small.path / "data" / name).open(encoding="utf-8") as f:
            return f.readline().strip()

    assert header("marketing_spend.csv") == "date,channel,spend_usd,impressions,clicks"
    assert header("leads.csv") == (
        "lead_id,name,phone,email,channel,campaign,cost_usd,created_at,owner,outcome,deal_value,closed_at,country"
    )
    assert header("lead_ratings.csv") == "lead_id,score,reason,rated_by,rated_at"
    assert header("tickets.csv") == (
        "ticket_id,customer_id,created_at,first_response_at,resolved_at,contacts,contact_channel,category,"
        "csat,resolution_hours"
    )


def test_same_seed_same_bytes(tmp_path: Path, small: DemoInfo) -> None:
    again = generate_demo(tmp_path / "again", **SMALL)
    assert _digest(again.path) == _digest(small.path)
    other = generate_demo(tmp_path / "other", seed=8, **SMALL)
    assert _digest(other.path)["data/events.parquet"] != _digest(small.path)["data/events.parquet"]


def test_yaml_validates_against_the_spec_models(small: DemoInfo) -> None:
    data = _merged_spec(small.path)
    spec = ProjectSpec.model_validate(data)
    assert spec.project.name == "Northstar Demo Shop"
    assert (spec.project.timezone, spec.project.currency, spec.project.language) == ("UTC", "USD", "en")
    assert spec.north_star == "repurchase_30d"
    assert spec.supporting == ["add_to_cart_conversion", "return_rate"]
    ns = spec.metrics["repurchase_30d"]
    assert (ns.type, ns.source, ns.within, ns.filter) == ("repeat_rate", "orders", "30d", "status = 'paid'")
    assert set(spec.sources) == {"events", "orders", "refunds", "spend", "leads", "deals", "tickets"}
    assert spec.sources["deals"].path == spec.sources["leads"].path  # the same leads, dated by close
    assert spec.sources["spend"].time == "date"
    assert {d: spec.dimensions[d].label.zh for d in spec.dimensions if spec.dimensions[d].label} == {
        "channel": "渠道",
        "contact_channel": "客服渠道",
        "device": "设备",
        "country": "国家/地区",
        "campaign": "营销活动",
    }
    assert set(spec.teams) == {"growth", "marketing", "sales", "support"}
    for name in (
        "revenue",
        "orders",
        "aov",
        "visitors",
        "purchasers",
        "conversion_rate",
        "marketing_spend",
        "cac",
        "roas",
        "leads",
        "cost_per_lead",
        "first_contact_resolution",
        "median_resolution_hours",
        "p90_resolution_hours",
        "csat",
    ):
        assert name in spec.metrics, name


def test_every_metric_is_described_and_consistent(small: DemoInfo) -> None:
    raw = _merged_spec(small.path)
    spec = ProjectSpec.model_validate(raw)
    columns = {
        "events": pq.read_schema(small.path / "data/events.parquet").names,
        "orders": pq.read_schema(small.path / "data/orders.parquet").names,
        "refunds": pq.read_schema(small.path / "data/refunds.parquet").names,
        "spend": ["date", "channel", "spend_usd", "impressions", "clicks"],
        "leads": [
            "lead_id",
            "name",
            "phone",
            "email",
            "channel",
            "campaign",
            "cost_usd",
            "created_at",
            "owner",
            "outcome",
            "deal_value",
            "closed_at",
            "country",
        ],
        "tickets": [
            "ticket_id",
            "customer_id",
            "created_at",
            "first_response_at",
            "resolved_at",
            "contacts",
            "contact_channel",
            "category",
            "csat",
            "resolution_hours",
        ],
    }
    columns["deals"] = columns["leads"]
    for name, source in spec.sources.items():
        assert source.time in columns[name] and (source.entity is None or source.entity in columns[name])
    for name, metric in spec.metrics.items():
        entry = raw["metrics"][name]
        assert metric.label and metric.label.en and metric.label.zh, name
        assert {"format", "direction", "owner", "team"} <= set(entry), name
        assert metric.team in spec.teams, name
        if metric.type in ("ratio", "repeat_rate"):
            assert metric.format == "percent", name
        if metric.unit == "USD":
            assert metric.format == "currency", name
        if metric.source in spec.leads:  # a lead set: the lead source's columns and the screening's
            assert metric.column is None or metric.column in (*columns["leads"], *SCREENED), name
        elif metric.source:
            assert metric.source in spec.sources, name
            assert metric.column is None or metric.column in columns[metric.source], name
        for ref in (metric.numerator, metric.denominator):
            assert ref is None or ref in spec.metrics, (name, ref)
        if metric.filter:
            known = (
                [*columns["leads"], *SCREENED]
                if metric.source in spec.leads
                else columns[metric.source or ""]
            )
            parse(metric.filter, known=known)
        if metric.type == "formula":
            parse_formula(metric.expr or "", known=spec.metrics)
    for name in [spec.north_star, *spec.supporting]:
        assert name is not None and len(spec.metrics[name].why) >= 3, name
    for team in spec.teams.values():
        assert set(team.metrics) <= set(spec.metrics)


def test_progress_is_reported_in_order(tmp_path: Path) -> None:
    calls: list[tuple[str, float]] = []
    generate_demo(tmp_path / "p", progress=lambda step, f: calls.append((step, f)), **SMALL)
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0
    assert calls[-1] == ("done", 1.0) and len(calls) >= 5


def test_refuses_a_non_empty_folder_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "shop"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="not empty"):
        generate_demo(target, **SMALL)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    generate_demo(target, overwrite=True, **SMALL)
    assert not (target / "notes.txt").exists() and (target / "northstar.yml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]


def test_an_empty_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    assert (generate_demo(tmp_path / "shop", **SMALL).path / "northstar.yml").exists()


def test_a_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "leads_table", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_demo(tmp_path / "shop", **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_overwrite_keeps_the_old_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "shop"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo, "tickets_table", broken)
    with pytest.raises(RuntimeError):
        generate_demo(target, overwrite=True, **SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 10}, "at least 42 days"),
        ({"users": 10}, "at least 500 users"),
    ],
)
def test_rejects_too_small_sizes(tmp_path: Path, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(UserError, match=message):
        generate_demo(tmp_path / "shop", **{**SMALL, **kwargs})
    assert not (tmp_path / "shop").exists()


def test_rejects_a_file_as_target(tmp_path: Path) -> None:
    (tmp_path / "shop").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="is a file"):
        generate_demo(tmp_path / "shop", **SMALL)
