"""An empty export (a header, no rows) is a normal day for a small team: it checks and queries
cleanly, with empty values and a note — not a type error, not zeros."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from northstar.project import Project

YAML = """\
project: {name: empty}
sources:
  orders: {path: orders.csv, time: ordered_at, entity: customer}
metrics:
  revenue: {type: sum, source: orders, column: amount, filter: "status = 'paid'"}
  buyers: {type: count_distinct, source: orders}
  repeat: {type: repeat_rate, source: orders, within: 30d}
  aov: {type: formula, expr: "revenue / buyers"}
north_star: revenue
"""


def test_header_only_source(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("ordered_at,customer,status,amount\n", encoding="utf-8")
    (tmp_path / "northstar.yml").write_text(YAML, encoding="utf-8")
    project = Project.load(tmp_path)
    assert not [i for i in project.issues if i.level == "error"]
    result = project.query(
        ["revenue", "buyers", "repeat", "aov"], grain="day", start="2026-01-01", end="2026-01-03"
    )
    assert len(result.frame) == 3
    assert result.frame[["revenue", "buyers", "repeat", "aov"]].isna().all().all()
    assert "the metrics' sources have no rows" in result.notes
    total = project.query(["revenue"], start="2026-01-01", end="2026-01-31").frame
    assert total.empty or pd.isna(total["revenue"]).all()
