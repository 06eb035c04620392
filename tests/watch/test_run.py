"""``northstar watch``: new alerts stored once with their explanation, notified once on a real
HTTP receiver, failures kept in the outbox and retried by the next run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.errors import SpecError
from northstar.project import Project
from northstar.watch.run import alert_id, run_watch
from northstar.watch.store import AlertStore
from tests.notify.conftest import Receiver, receiver  # noqa: F401  (the fixture)
from tests.watch.test_rules import DROP, _orders

NO_WAIT = {"sleep": lambda s: None}


def _project(tmp: Path, url: str) -> Project:
    _orders().to_csv(tmp / "orders.csv", index=False)
    spec = {
        "project": {"name": "w", "timezone": "UTC"},
        "sources": {"orders": {"path": "orders.csv", "time": "ts"}},
        "dimensions": {"channel": {}},
        "metrics": {"orders": {"type": "count", "source": "orders"}},
        "north_star": "orders",
        "notify": {"ops": {"type": "webhook", "url": url + "/hook", "lang": "zh"}},
        "watch": {
            "drop": {
                "metric": "orders",
                "by": "channel",
                "direction": "down",
                "threshold": "50%",
                "min_volume": 10,
                "notify": ["ops"],
            }
        },
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return Project.load(tmp)


def test_a_run_stores_explains_and_notifies_once(tmp_path: Path, receiver: Receiver) -> None:  # noqa: F811
    project = _project(tmp_path, receiver.url)
    with AlertStore.open(tmp_path / "alerts.db") as store:
        first = run_watch(project, store, day=DROP, deliver_options=NO_WAIT)
        assert [f.slice for f in first.firings] == [(("channel", "web"),)]
        assert first.created == (alert_id(first.firings[0]),) and not first.known
        assert [d.ok for d in first.deliveries] == [True]
        second = run_watch(project, store, day=DROP, deliver_options=NO_WAIT)
        assert second.created == () and second.known == first.created and second.deliveries == ()
        stored = store.get(first.created[0])
        assert stored is not None and stored.state == "open"
        assert stored.explanation is not None and stored.explanation["metric"] == "orders"
        top = stored.explanation["root_causes"]["causes"][0]["combination"]
        assert top == {"channel": "web"}
    assert len(receiver.requests) == 1  # notified once
    body = receiver.requests[0].json()
    assert isinstance(body, dict) and body["id"] == first.created[0]


def test_a_failed_delivery_is_kept_and_retried(tmp_path: Path, receiver: Receiver) -> None:  # noqa: F811
    project = _project(tmp_path, receiver.url)
    receiver.default = (500, b"down", {})
    with AlertStore.open(tmp_path / "alerts.db") as store:
        run = run_watch(project, store, day=DROP, deliver_options=NO_WAIT)
        assert [d.ok for d in run.deliveries] == [False]
        assert [p.alert_id for p in store.due(float("inf"))] == list(run.created)
        receiver.default = (200, b"ok", {})
        later = time.time() + 3600  # past the outbox's next try
        again = run_watch(project, store, day=DROP, deliver_options=NO_WAIT, now=later)
        assert again.created == () and [r.ok for r in again.retried] == [True]
        assert store.due(float("inf")) == []


def test_cli_run_is_idempotent_and_cron_friendly(tmp_path: Path, receiver: Receiver) -> None:  # noqa: F811
    _project(tmp_path, receiver.url)
    db = tmp_path / "state" / "alerts.db"
    args = ["watch", "-p", str(tmp_path), "--date", DROP.isoformat(), "--store", str(db), "--fail-on-alert"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 3, first.output
    assert "1 new alert(s), 0 already stored; 1 notification(s) sent" in first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output  # nothing new: cron stays quiet
    assert "0 new alert(s), 1 already stored" in second.output
    dry = CliRunner().invoke(
        app, ["watch", "-p", str(tmp_path), "--date", DROP.isoformat(), "--dry-run", "--json"]
    )
    assert json.loads(dry.stdout)[0]["slice"] == {"channel": "web"}
    assert len(receiver.requests) == 1


def test_unknown_channel_and_bad_entry(tmp_path: Path) -> None:
    _orders().to_csv(tmp_path / "orders.csv", index=False)
    spec = {
        "project": {"name": "w", "timezone": "UTC"},
        "sources": {"orders": {"path": "orders.csv", "time": "ts"}},
        "metrics": {"orders": {"type": "count", "source": "orders"}},
        "north_star": "orders",
        "notify": {"ops": {"type": "feishu"}},
        "watch": {"drop": {"metric": "orders", "notify": ["opz"]}},
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        Project.load(tmp_path)
    codes = {i.code: i for i in info.value.issues}
    assert "ops" in codes["watch-unknown-channel"].suggestions
    assert "url" in codes["notify-entry"].message


def test_alerts_cli_acknowledge_review_close(tmp_path: Path, receiver: Receiver) -> None:  # noqa: F811
    _project(tmp_path, receiver.url)
    db = str(tmp_path / "alerts.db")
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["watch", "-p", str(tmp_path), "--date", DROP.isoformat(), "--store", db]
        ).exit_code
        == 0
    )
    listed = runner.invoke(app, ["alerts", "list", "-p", str(tmp_path), "--store", db])
    assert listed.exit_code == 0 and "channel=web" in listed.output
    with AlertStore.open(db) as store:
        (alert,) = store.list()
    short = alert.id[:8]
    base = ["-p", str(tmp_path), "--store", db]
    assert runner.invoke(app, ["alerts", "ack", short, "--by", "maya", *base]).exit_code == 0
    review = [
        "alerts",
        "review",
        short,
        "--why",
        "web checkout failed",
        "--why",
        "a deploy broke the payment form",
        "--owner",
        "maya",
        "--action",
        "add a checkout smoke test",
        "--due",
        "2026-05-10",
        *base,
    ]
    assert runner.invoke(app, review).exit_code == 0, runner.invoke(app, review).output
    assert runner.invoke(app, ["alerts", "close", short, "--by", "maya", *base]).exit_code == 0
    with AlertStore.open(db) as store:
        done = store.get(alert.id)
        assert done is not None and done.state == "closed"
        assert done.review is not None and done.review.whys == (
            "web checkout failed",
            "a deploy broke the payment form",
        )
        assert [e.to_state for e in store.history(alert.id) if e.kind == "transition"] == [
            "acknowledged",
            "reviewed",
            "closed",
        ]
    bad = runner.invoke(app, ["alerts", "ack", "zzzzzz", "--by", "x", *base])
    assert bad.exit_code == 1 and "no alert 'zzzzzz'" in bad.output


def test_a_rule_without_by_explains_over_every_dimension(tmp_path: Path, receiver: Receiver) -> None:  # noqa: F811
    project = _project(tmp_path, receiver.url)
    rules = {"total": {"metric": "orders", "direction": "down", "threshold": "20%"}}
    spec = yaml.safe_load((tmp_path / "northstar.yml").read_text(encoding="utf-8"))
    spec["watch"] = rules
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    project = Project.load(tmp_path)
    with AlertStore.open(tmp_path / "alerts.db") as store:
        run = run_watch(project, store, day=DROP, deliver_options=NO_WAIT)
        (alert,) = store.list()
    assert run.created == (alert.id,) and alert.slice == {}
    assert alert.explanation is not None and alert.explanation["dimensions"] == ["channel"]
    assert alert.root_causes[0].combination == {"channel": "web"}
