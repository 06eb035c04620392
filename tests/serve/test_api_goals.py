"""What the goals page reads beyond the analyses: where each target setting comes from (``where``:
file:line of a YAML entry, null for one set in the app), and the refusal of bands out of order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from northstar.watch.store import AlertStore
from tests.serve.conftest import assert_error


def _yaml_lines(project_file: Path) -> dict[tuple[str, str], int]:
    """(metric, period) → the line of its entry under ``targets:``, found in the text itself."""
    lines = project_file.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("targets:"))
    found: dict[tuple[str, str], int] = {}
    metric = ""
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line and not line.startswith(" "):
            break
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            metric = line.strip()[:-1]
        elif line.strip().startswith("- {"):
            entry = yaml.safe_load(line.strip()[2:])
            found[(metric, str(entry["period"]))] = i + 1
    return found


def test_targets_say_where_each_setting_comes_from(client: Any, shop_copy: Path) -> None:
    lines = _yaml_lines(shop_copy / "northstar.yml")
    body = client.get("/api/targets").json()
    got = {(s["metric"], s["period"]): s["where"] for settings in body.values() for s in settings}
    assert got == {key: f"northstar.yml:{line}" for key, line in lines.items()}
    assert got[("revenue", "2026-10")] == "northstar.yml:46"

    saved = client.post(
        "/api/targets", json={"metric": "aov", "period": "2026-Q4", "floor": 37, "target": 43}
    )
    assert saved.status_code == 201
    assert (saved.json()["origin"], saved.json()["where"]) == ("app", None)
    aov = {s["period"]: s for s in client.get("/api/targets", params={"metric": "aov"}).json()["aov"]}
    assert (aov["2026-Q4"]["origin"], aov["2026-Q4"]["where"], aov["2026-Q4"]["target"]) == ("app", None, 43)
    assert (aov["2026-Q3"]["origin"], aov["2026-Q3"]["where"]) == (
        "yaml",
        f"northstar.yml:{lines[('aov', '2026-Q3')]}",
    )


def test_bands_out_of_order_are_refused_in_both_languages(client: Any, store: AlertStore) -> None:
    bad = client.post(
        "/api/targets", json={"metric": "revenue", "period": "2026-12", "floor": 9000, "stretch": 8000}
    )
    err = assert_error(bad, 400, "bad_request")
    assert "floor" in err["message"] and err["message_zh"] != err["message"]
    assert store.targets() == []
