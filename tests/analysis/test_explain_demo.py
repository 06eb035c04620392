"""``explain`` finds the demo's injected incidents (``ground_truth.json``): each incident's day,
metric and slice are read from the file, not written here."""

from __future__ import annotations

import json
from datetime import date

import pytest

from northstar.project import Project
from northstar.scaffold.demo import generate_demo

# incident id → how an analyst would ask: the metric, the baseline, the dimensions to search
QUESTIONS = {
    "payment_outage": ("orders", "previous", ["channel", "device", "country"]),
    "spend_spike": ("marketing_spend", "forecast", ["channel"]),
    "traffic_spike": ("conversion_rate", "forecast", ["channel", "device", "country"]),
    "checkout_bug": ("orders", "forecast", ["channel", "device", "country"]),
}
FOUND = {"payment_outage", "spend_spike"}
# not found yet (issue 4 stays open for them): the search judges leaf by leaf, and on a day of the
# demo a leaf (channel × device × country) holds 0-8 orders, so a slice whose leaves each move
# within the noise is not found as a whole (traffic_spike: pieces of channel=affiliate come out),
# and a slice that fell while the total rose is outweighed (checkout_bug on its first day)
MISSED = {
    "traffic_spike": "pieces of channel=affiliate come out instead of the slice",
    "checkout_bug": "DE fell while the day's total rose against the forecast",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, dict[str, object]]]:
    folder = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(folder, seed=7)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    return Project.load(folder), {i["id"]: i for i in truth["incidents"]}


@pytest.mark.parametrize("incident", sorted(QUESTIONS))
def test_the_injected_incident_is_the_top_root_cause(
    demo: tuple[Project, dict[str, dict[str, object]]], incident: str
) -> None:
    project, truth = demo
    case = truth[incident]
    metric, vs, by = QUESTIONS[incident]
    result = project.explain(metric, day=date.fromisoformat(str(case["start"])), vs=vs, by=by)
    assert result.causes is not None
    top = dict(result.causes.causes[0].combination) if result.causes.causes else {}
    if incident in MISSED and top != case["slice"]:
        pytest.xfail(f"{incident}: {MISSED[incident]} (top cause {top}, expected {case['slice']})")
    assert incident in FOUND, f"{incident} is found now: move it to FOUND"
    assert top == case["slice"]
    assert result.causes.causes[0].share > 0.5
