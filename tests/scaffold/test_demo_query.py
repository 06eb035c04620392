"""The demo's injected incidents, seen through Northstar's own queries (not pandas)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from northstar.project import Project
from northstar.scaffold.demo import generate_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict]:
    target = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(target, days=90, users=20_000, seed=7)
    truth = json.loads((target / "ground_truth.json").read_text(encoding="utf-8"))
    return Project.load(target), truth


def _incident(truth: dict, kind: str) -> dict:
    return next(i for i in truth["incidents"] if i["id"] == kind)


def test_payment_outage_shows_in_orders_by_device(demo: tuple[Project, dict]) -> None:
    project, truth = demo
    outage = _incident(truth, "payment_outage")
    day = date.fromisoformat(outage["days"][0])
    device = outage["slice"]["device"]
    frame = project.query(
        ["orders"],
        by=["device"],
        grain="day",
        start=day - timedelta(days=7),
        end=day + timedelta(days=7),
        where=f"device = '{device}'",
    ).frame.set_index("period")["orders"]
    others = frame.drop(index=frame.index[frame.index.date == day])
    value = float(frame[frame.index.date == day].iloc[0])
    assert value < 0.3 * others.mean()


def test_traffic_spike_shows_in_visitors_by_channel(demo: tuple[Project, dict]) -> None:
    project, truth = demo
    spike = _incident(truth, "traffic_spike")
    days = [date.fromisoformat(d) for d in spike["days"]]
    channel = spike["slice"]["channel"]
    frame = project.query(
        ["visitors"],
        grain="day",
        start=days[0] - timedelta(days=10),
        end=days[-1] + timedelta(days=10),
        where=f"channel = '{channel}'",
    ).frame
    during = frame[frame["period"].dt.date.isin(days)]["visitors"].mean()
    before = frame[frame["period"].dt.date < days[0]]["visitors"].mean()
    assert during > 1.8 * before


def test_support_channel_is_its_own_dimension(demo: tuple[Project, dict]) -> None:
    """``channel`` is the marketing channel only; tickets are sliced by ``contact_channel``."""
    project, _ = demo
    tickets = project.query(["tickets"], by=["contact_channel"]).frame
    assert set(tickets["contact_channel"]) == {"email", "chat", "phone"}
    assert project.spec.dimensions["contact_channel"].label.en == "Support channel"
    orders = project.query(["orders"], by=["channel"]).frame
    assert "chat" not in set(orders["channel"]) and "phone" not in set(orders["channel"])
