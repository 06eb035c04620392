"""A GA4 export as a project source, end to end: YAML → flatten → metrics, on both file formats."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from northstar.project import Project
from tests.sources.ga4_export import write_jsonl, write_parquet


def _events(path: Path) -> pd.DataFrame:
    """The raw export read independently: one row per event, params as a dict."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    for r in rows:
        params = {p["key"]: p["value"] for p in r["event_params"] or []}
        value = params.get("value", {})
        out.append(
            {
                "name": r["event_name"],
                "user": r["user_pseudo_id"],
                "value": value.get("double_value") if value else None,
                "ts": pd.to_datetime(int(r["event_timestamp"]), unit="us"),
            }
        )
    return pd.DataFrame(out)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_ga4_metrics(tmp_path: Path, fmt: str) -> None:
    jsonl = write_jsonl(tmp_path / "export.jsonl")
    path = jsonl if fmt == "jsonl" else write_parquet(tmp_path / "export.parquet")
    spec = {
        "project": {"name": "ga4", "timezone": "UTC"},
        "sources": {
            "ga4": {
                "path": path.name,
                "format": "ga4",
                "time": "event_timestamp",
                "entity": "user_pseudo_id",
                "ga4": {"params": {"value": "double"}},
            }
        },
        "metrics": {
            "events": {"type": "count", "source": "ga4"},
            "users": {"type": "count_distinct", "source": "ga4"},
            "purchases": {"type": "count", "source": "ga4", "filter": "event_name = 'purchase'"},
            "value": {"type": "sum", "source": "ga4", "column": "value"},
        },
        "north_star": "users",
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    project = Project.load(tmp_path)
    raw = _events(jsonl)
    day = raw["ts"].min().date()
    result = project.query(["events", "users", "purchases", "value"], start=day, end=raw["ts"].max().date())
    row = result.frame.iloc[0]
    assert row["events"] == len(raw)
    assert row["users"] == raw["user"].nunique()
    assert row["purchases"] == (raw["name"] == "purchase").sum()
    assert row["value"] == pytest.approx(raw["value"].dropna().sum())
