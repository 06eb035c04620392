"""The alert store on SQLite and on a real PostgreSQL server: saving (idempotent, crash-safe,
concurrent), states and their history, reviews, listing and the delivery outbox.

Every test that takes ``target`` runs on both databases; the PostgreSQL runs are marked
``postgres`` and use a private server (see ``conftest.py``), emptied before each test.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from northstar.errors import UserError
from northstar.notify.deliver import MemoryOutbox, Outbox, Pending
from northstar.watch.store import SCHEMA_VERSION, AlertStore, StoredAlert
from tests.watch.alerts import make_alert, make_explanation

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("tokens", "alert_outbox", "alert_reviews", "alert_events", "alerts", "northstar_meta")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh, empty store lives: a SQLite file in a folder that does not exist yet, or the
    test PostgreSQL database with the store's tables dropped."""
    if request.param == "sqlite":
        return str(tmp_path / "not" / "yet" / "alerts.db")
    url: str = request.getfixturevalue("postgres_url")
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS " + ", ".join(TABLES) + " CASCADE")
    return url


class Clock:
    """A clock that ticks one second per reading, from 2026-11-27 09:00 UTC."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(target: str, clock: Clock) -> Iterator[AlertStore]:
    with AlertStore.open(target, clock=clock) as s:
        yield s


def errors(excinfo: pytest.ExceptionInfo[UserError]) -> tuple[str, str]:
    return str(excinfo.value), excinfo.value.zh


# -- saving -----------------------------------------------------------------------------------------


def test_save_keeps_every_field(store: AlertStore, clock: Clock) -> None:
    for i in range(6):  # date and aware-datetime periods, change_pct None, link None, slice orders
        alert, explanation = make_alert(i), make_explanation(i)
        stored, created = store.save(alert, explanation)
        assert created
        got = store.get(alert.id)
        assert got == stored
        assert got is not None
        assert got.alert == alert
        assert list(got.alert.slice) == list(alert.slice)  # key order kept
        assert type(got.alert.period) is type(alert.period)
        assert got.explanation == explanation
        assert got.state == "open" and got.review is None and got.close_reason is None
        assert got.created_at == got.updated_at == clock.now
        assert got.metric == alert.metric and got.id == alert.id  # fields read through
    stored, _ = store.save(make_alert(10, metric="revenue"))
    assert stored.explanation is None
    assert store.get("no such id") is None


def test_save_is_idempotent(store: AlertStore) -> None:
    alert = make_alert(2)
    first, created = store.save(alert, make_explanation(2))
    assert created
    # The same id again, even with other numbers and another explanation: nothing changes.
    changed = make_alert(5)
    object.__setattr__(changed, "id", alert.id)
    for again in (alert, changed):
        second, created = store.save(again, {"other": True})
        assert not created
        assert second == first
    assert [s.id for s in store.list()] == [alert.id]
    assert [e.kind for e in store.history(alert.id)] == ["created"]


def test_save_refuses_numbers_json_cannot_hold(store: AlertStore) -> None:
    alert = make_alert(0)
    object.__setattr__(alert, "value", float("nan"))
    with pytest.raises(ValueError, match="finite"):
        store.save(alert)
    with pytest.raises(ValueError):
        store.save(make_alert(1), {"x": float("inf")})
    assert store.list() == []  # nothing half-written


def test_reopening_keeps_everything(target: str, clock: Clock) -> None:
    with AlertStore.open(target, clock=clock) as s:
        stored, _ = s.save(make_alert(0), make_explanation(0))
        s.transition(stored.id, "acknowledged", by="li.wei")
        s.record_failure(stored.id, "slack", "HTTP 500", 100.0)
        assert s.schema_version() == SCHEMA_VERSION == 4
    with AlertStore.open(target, clock=clock) as s:
        got = s.get(stored.id)
        assert got is not None and got.state == "acknowledged" and got.alert == stored.alert
        assert s.due(100.0) == [Pending(stored.id, "slack", "HTTP 500", 100.0)]
        assert s.schema_version() == SCHEMA_VERSION == 4


def test_a_version_1_database_gains_the_targets_table(target: str, clock: Clock) -> None:
    with AlertStore.open(target, clock=clock) as s:
        stored, _ = s.save(make_alert(0))
    _sql(target, "DROP TABLE targets")
    _sql(target, "DROP TABLE lead_ratings")
    _sql(target, "DROP TABLE tokens")
    _sql(target, "UPDATE northstar_meta SET value = '1' WHERE key = 'schema_version'")
    with AlertStore.open(target, clock=clock) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.get(stored.id) is not None  # the alerts are still there
        s.set_target("orders", "2026-11", set_by="li.wei", target=1000)
        assert [t.target for t in s.targets()] == [1000.0]


def test_a_version_3_database_gains_the_tokens_table(target: str, clock: Clock) -> None:
    with AlertStore.open(target, clock=clock) as s:
        stored, _ = s.save(make_alert(0))
        s.set_target("orders", "2026-11", set_by="li.wei", target=1000)
    _sql(target, "DROP TABLE tokens")
    _sql(target, "UPDATE northstar_meta SET value = '3' WHERE key = 'schema_version'")
    with AlertStore.open(target, clock=clock) as s:
        assert s.schema_version() == SCHEMA_VERSION == 4
        assert s.get(stored.id) is not None and [t.target for t in s.targets()] == [1000.0]
        token = s.add_token("ci", "viewer", "ab" * 32)
        assert s.token_by_hash("ab" * 32) == token and token.revoked_at is None
        assert [t.name for t in s.revoke_token("ci")] == ["ci"]
        assert s.tokens() == [] and s.tokens(revoked=True)[0].revoked_at is not None
        with pytest.raises(UserError, match="no valid token 'ci'"):
            s.revoke_token("ci")
        with pytest.raises(UserError, match="did you mean 'viewer'"):
            s.add_token("x", "veiwer", "cd" * 32)


def test_targets_keep_their_history_and_the_latest_is_in_force(target: str, clock: Clock) -> None:
    with AlertStore.open(target, clock=clock) as s:
        s.set_target(
            "conversion_rate", "2026-Q4", set_by="maya", floor=0.018, target=0.021, why="step 1 of 3"
        )
        s.set_target("orders", "2026-11", set_by="li.wei", target=900)
        s.set_target(
            "conversion_rate", "2026-Q4", set_by="leo", target=0.022, stretch=0.025, why="benchmark moved"
        )
        with pytest.raises(UserError, match="at least one"):
            s.set_target("orders", "2026-12", set_by="li.wei")
    with AlertStore.open(target, clock=clock) as s:
        now = s.targets()
        assert [(t.metric, t.period, t.floor, t.target, t.stretch, t.set_by) for t in now] == [
            ("conversion_rate", "2026-Q4", None, 0.022, 0.025, "leo"),
            ("orders", "2026-11", None, 900.0, None, "li.wei"),
        ]
        history = s.targets("conversion_rate", history=True)
        assert [t.set_by for t in history] == ["maya", "leo"]
        assert history[0].why == "step 1 of 3" and history[0].set_at.tzinfo is not None


def test_lead_ratings_batch_is_all_or_nothing_and_latest_wins(target: str, clock: Clock) -> None:
    from northstar.watch.store import LeadRating

    with AlertStore.open(target, clock=clock) as s:
        assert (
            s.rate_leads(
                [
                    LeadRating("b2b", "L1", 4, "right_buyer", "sarah"),
                    LeadRating("b2b", "L2", 2, "no_budget", "sarah"),
                ]
            )
            == 2
        )
        with pytest.raises(UserError, match="1 to 5"):
            s.rate_leads(
                [LeadRating("b2b", "L3", 3, "right_buyer", "tom"), LeadRating("b2b", "L4", 9, "spam", "tom")]
            )
        assert {r.lead_id for r in s.lead_ratings("b2b")} == {"L1", "L2"}  # L3 was not kept either
        s.rate_leads([LeadRating("b2b", "L1", 5, "budget_confirmed", "mei", note="signed")])
        first = s.ratings_fingerprint("b2b")
    with AlertStore.open(target, clock=clock) as s:
        now = {r.lead_id: (r.score, r.reason, r.rated_by, r.note) for r in s.lead_ratings("b2b")}
        assert now == {"L1": (5, "budget_confirmed", "mei", "signed"), "L2": (2, "no_budget", "sarah", None)}
        assert [r.score for r in s.lead_ratings("b2b", history=True)] == [4, 2, 5]
        assert s.ratings_fingerprint("b2b") == first and first[0] == 3
        assert s.lead_ratings("other") == []


def _sql(target: str, statement: str) -> None:
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as con:
            con.execute(statement)
    else:
        lite = sqlite3.connect(target)
        with lite:
            lite.execute(statement)
        lite.close()


def test_a_newer_schema_is_refused(target: str) -> None:
    AlertStore.open(target).close()
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as con:
            con.execute("UPDATE northstar_meta SET value = '99' WHERE key = 'schema_version'")
    else:
        lite = sqlite3.connect(target)
        with lite:
            lite.execute("UPDATE northstar_meta SET value = '99' WHERE key = 'schema_version'")
        lite.close()
    with pytest.raises(UserError, match="schema version 99") as excinfo:
        AlertStore.open(target)
    assert "升级" in excinfo.value.zh


def test_sqlite_file_url_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "alerts.db"
    with AlertStore.open(f"sqlite:///{path}") as s:
        assert s.kind == "sqlite"
        s.save(make_alert(0))
    assert path.is_file()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1
    con.close()
    with AlertStore.open(path) as s:  # a Path works too
        assert len(s.list()) == 1


def test_unknown_database_scheme() -> None:
    with pytest.raises(UserError, match="mysql://") as excinfo:
        AlertStore.open("mysql://x@y/z")
    assert "不支持" in excinfo.value.zh


# -- states and history -----------------------------------------------------------------------------


def test_the_whole_life_of_an_alert(store: AlertStore, clock: Clock) -> None:
    alert_id = store.save(make_alert(0))[0].id
    created = clock.now
    acked = store.transition(alert_id, "acknowledged", by="li.wei", note="looking")
    assert acked.state == "acknowledged" and acked.updated_at == clock.now and acked.created_at == created
    with pytest.raises(UserError, match="no review yet") as excinfo:
        store.transition(alert_id, "reviewed", by="li.wei")
    assert "复盘" in excinfo.value.zh
    store.review(alert_id, ["app release broke checkout"], "li.wei", ["roll back"], date(2026, 12, 1))
    assert store.transition(alert_id, "reviewed", by="li.wei").state == "reviewed"
    closed = store.transition(alert_id, "closed", by="ops", note="fixed in 4.2.1")
    assert closed.state == "closed" and closed.close_reason == "fixed in 4.2.1"
    events = store.history(alert_id)
    assert [(e.kind, e.from_state, e.to_state, e.actor) for e in events] == [
        ("created", None, "open", "northstar"),
        ("transition", "open", "acknowledged", "li.wei"),
        ("review", None, None, "li.wei"),
        ("transition", "acknowledged", "reviewed", "li.wei"),
        ("transition", "reviewed", "closed", "ops"),
    ]
    assert events[1].note == "looking" and events[-1].note == "fixed in 4.2.1"
    times = [e.at for e in events]
    assert times == sorted(times) and len(set(times)) == len(times) and times[-1] == clock.now
    assert all(e.alert_id == alert_id for e in events)


ILLEGAL = [
    ([], "reviewed"),
    ([], "open"),
    (["acknowledged"], "open"),
    (["acknowledged"], "acknowledged"),
    (["acknowledged", "reviewed"], "acknowledged"),
    (["acknowledged", "reviewed"], "open"),
    (["closed"], "open"),
    (["closed"], "acknowledged"),
    (["closed"], "closed"),
]


def test_illegal_moves_are_refused_in_both_languages(store: AlertStore) -> None:
    for n, (path, to) in enumerate(ILLEGAL):
        alert_id = store.save(make_alert(n))[0].id
        for step in path:
            if step == "reviewed":
                store.review(alert_id, ["why"], "o", [], date(2026, 12, 1))
            store.transition(alert_id, step, by="a", note="false alarm: holiday")
        before = store.get(alert_id)
        events = store.history(alert_id)
        assert before is not None
        with pytest.raises(UserError, match=f"cannot go from {before.state} to {to}") as excinfo:
            store.transition(alert_id, to, by="b", note="x")
        en, zh = errors(excinfo)
        assert "不能从" in zh and zh != en
        assert store.get(alert_id) == before and store.history(alert_id) == events  # nothing changed
    closed = store.list(state="closed")
    assert closed
    with pytest.raises(UserError, match="a closed alert is final"):
        store.transition(closed[0].id, "reviewed", "x")


def test_false_alarm_needs_a_reason(store: AlertStore) -> None:
    a = store.save(make_alert(0))[0].id
    b = store.save(make_alert(1))[0].id
    store.transition(b, "acknowledged", by="x")
    for alert_id in (a, b):
        for note in (None, "", "   "):
            with pytest.raises(UserError, match="false alarm") as excinfo:
                store.transition(alert_id, "closed", by="x", note=note)
            assert "误报" in excinfo.value.zh
        got = store.transition(alert_id, "closed", by="x", note="data late, not a drop")
        assert got.state == "closed" and got.close_reason == "data late, not a drop"
        assert store.history(alert_id)[-1].note == "data late, not a drop"


def test_unknown_state_and_unknown_alert(store: AlertStore) -> None:
    alert_id = store.save(make_alert(0))[0].id
    with pytest.raises(UserError, match="did you mean 'acknowledged'") as excinfo:
        store.transition(alert_id, "acknowleged", by="x")
    assert "您是不是想写" in excinfo.value.zh
    with pytest.raises(UserError, match="no alert 'drop:orders:country=DE,channel=app:9'") as excinfo:
        store.transition(alert_id[:-1] + "9", "acknowledged", by="x")
    assert "did you mean" in str(excinfo.value) and "没有告警" in excinfo.value.zh
    with pytest.raises(UserError, match="no alert"):
        store.review("nope", ["w"], "o", [], date(2026, 12, 1))
    with pytest.raises(UserError, match="no alert"):
        store.load_alert("nope")
    with pytest.raises(UserError, match="who"):
        store.transition(alert_id, "acknowledged", by=" ")
    with pytest.raises(UserError, match="unknown alert state"):
        store.list(state="shut")


def test_two_people_moving_one_alert_at_once(target: str) -> None:
    """Eight sessions acknowledge the same alert together: exactly one succeeds."""
    with AlertStore.open(target) as s:
        alert_id = s.save(make_alert(0))[0].id
    results: list[str] = []
    barrier = threading.Barrier(8)

    def move(k: int) -> None:
        with AlertStore.open(target) as s:
            barrier.wait()
            try:
                s.transition(alert_id, "acknowledged", by=f"user{k}")
                results.append("ok")
            except UserError:
                results.append("refused")

    run_threads(move, 8)
    assert sorted(results) == ["ok"] + ["refused"] * 7
    with AlertStore.open(target) as s:
        assert [e.kind for e in s.history(alert_id)] == ["created", "transition"]


# -- reviews ----------------------------------------------------------------------------------------


def test_reviews_are_versioned(store: AlertStore) -> None:
    alert_id = store.save(make_alert(0))[0].id
    whys = ["orders fell", "app checkout failed", "payment SDK update", "no canary", "release checklist"]
    first = store.review(alert_id, whys, "li.wei", ["add canary", "SDK pin"], date(2026, 12, 15))
    assert first.version == 1 and first.whys == tuple(whys) and first.by == "li.wei"
    assert first.actions == ("add canary", "SDK pin") and first.due == date(2026, 12, 15)
    second = store.review(alert_id, ["其实是数据延迟"], "王芳", [], date(2027, 1, 4), by="ops")
    assert second.version == 2 and second.by == "ops" and second.owner == "王芳"
    got = store.get(alert_id)
    assert got is not None and got.review == second
    assert store.reviews(alert_id) == [first, second]
    assert [e.kind for e in store.history(alert_id)] == ["created", "review", "review"]
    assert store.list()[0].review == second


def test_bad_reviews_are_refused(store: AlertStore) -> None:
    alert_id = store.save(make_alert(0))[0].id
    due = date(2026, 12, 1)
    bad: list[tuple[dict[str, object], str]] = [
        ({"whys": []}, "1 to 5"),
        ({"whys": ["a"] * 6}, "1 to 5"),
        ({"whys": ["a", " "]}, "1 to 5"),
        ({"whys": "one string"}, "1 to 5"),
        ({"owner": " "}, "owner"),
        ({"actions": ["ok", ""]}, "actions"),
        ({"due": "2026-12-01"}, "due date"),
        ({"due": datetime(2026, 12, 1, 9)}, "due date"),
    ]
    for change, message in bad:
        args: dict[str, object] = {"whys": ["w"], "owner": "o", "actions": ["a"], "due": due, **change}
        with pytest.raises(UserError, match=message) as excinfo:
            store.review(alert_id, **args)  # type: ignore[arg-type]
        assert excinfo.value.zh != str(excinfo.value)
    assert store.reviews(alert_id) == []


# -- listing ----------------------------------------------------------------------------------------


def test_list_filters(store: AlertStore, clock: Clock) -> None:
    saved: list[StoredAlert] = []
    for i in range(6):
        saved.append(store.save(make_alert(i, metric="orders" if i % 2 else "revenue"))[0])
    store.transition(saved[1].id, "acknowledged", by="x")
    store.transition(saved[4].id, "closed", by="x", note="false alarm")
    # independent expectations from what was saved
    assert [s.id for s in store.list()] == [s.id for s in saved]
    assert [s.id for s in store.list(metric="orders")] == [s.id for s in saved if s.metric == "orders"]
    assert [s.id for s in store.list(state="open")] == [saved[i].id for i in (0, 2, 3, 5)]
    assert [s.id for s in store.list(state="open", metric="revenue")] == [saved[i].id for i in (0, 2)]
    since = saved[3].created_at
    assert [s.id for s in store.list(since=since)] == [s.id for s in saved[3:]]
    naive = since.replace(tzinfo=None)  # naive = UTC
    assert [s.id for s in store.list(since=naive)] == [s.id for s in saved[3:]]
    assert store.list(since=date(2026, 11, 28)) == []
    assert len(store.list(since=date(2026, 11, 27))) == 6
    assert store.list(metric="nothing") == []


# -- the outbox ---------------------------------------------------------------------------------------


def test_outbox_matches_the_memory_outbox(store: AlertStore) -> None:
    """The same calls on the store and on ``MemoryOutbox`` (the reference) give the same ``due``."""
    reference = MemoryOutbox()
    outboxes: list[Outbox] = [store, reference]
    calls: list[tuple[str, tuple[object, ...]]] = [
        ("record_failure", ("a1", "slack", "HTTP 500", 1000.0)),
        ("record_failure", ("a1", "email", "timeout", 900.5)),
        ("record_failure", ("a2", "slack", "HTTP 429", 1200.0)),
        ("record_failure", ("a1", "slack", "HTTP 503 again", 1500.0)),  # replaces
        ("record_success", ("a1", "email")),
        ("record_success", ("a9", "email")),  # nothing to remove
        ("record_failure", ("a3", "feishu", "飞书 错误码 9499", 1100.0)),
    ]
    for name, args in calls:
        for box in outboxes:
            getattr(box, name)(*args)
        for now in (0.0, 1000.0, 1100.0, 1199.9, 1200.0, 1500.0, 1e12):
            assert store.due(now) == reference.due(now)
    assert store.due(1e12) == [
        Pending("a3", "feishu", "飞书 错误码 9499", 1100.0),
        Pending("a2", "slack", "HTTP 429", 1200.0),
        Pending("a1", "slack", "HTTP 503 again", 1500.0),
    ]
    for p in store.due(1e12):
        store.record_success(p.alert_id, p.channel)
    assert store.due(1e12) == []


def test_load_alert_for_retry(store: AlertStore) -> None:
    alert = make_alert(3)
    store.save(alert)
    assert store.load_alert(alert.id) == alert


# -- concurrency and crashes ------------------------------------------------------------------------


def run_threads(work: Callable[[int], None], n: int) -> None:
    failures: list[BaseException] = []

    def wrapped(k: int) -> None:
        try:
            work(k)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=wrapped, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures


def test_concurrent_writers_make_one_row(target: str) -> None:
    """Eight sessions (threads, each its own connection) save the same 20 alerts at once."""
    created: list[tuple[int, str]] = []
    barrier = threading.Barrier(8)

    def save_all(k: int) -> None:
        with AlertStore.open(target) as s:
            barrier.wait()
            for i in range(20):
                _, new = s.save(make_alert(i), make_explanation(i, size=5))
                if new:
                    created.append((k, make_alert(i).id))

    run_threads(save_all, 8)
    assert sorted(a for _, a in created) == sorted(make_alert(i).id for i in range(20))
    with AlertStore.open(target) as s:
        stored = s.list()
        assert sorted(x.id for x in stored) == sorted(make_alert(i).id for i in range(20))
        for x in stored:
            assert [e.kind for e in s.history(x.id)] == ["created"]


def worker(target: str, n: int, pause_at: int | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.watch.crash_worker", target, str(n)]
    if pause_at is not None:
        argv.append(str(pause_at))
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_processes_make_one_row(tmp_path: Path) -> None:
    target = str(tmp_path / "alerts.db")
    procs = [worker(target, 30) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    created = [line for out, _ in outputs for line in out.splitlines() if line.endswith(" 1")]
    assert sorted(created) == sorted(f"saved {i} 1" for i in range(30))  # each alert created once
    with AlertStore.open(target) as s:
        assert len(s.list()) == 30


def check_complete(target: str, expected: set[int]) -> None:
    with AlertStore.open(target) as s:
        stored = s.list()
        assert {x.id for x in stored} == {make_alert(i).id for i in expected}
        by_id = {make_alert(i).id: i for i in expected}
        for x in stored:
            i = by_id[x.id]
            assert x.alert == make_alert(i)
            assert x.explanation == make_explanation(i)
            assert x.state == "open"
            assert [e.kind for e in s.history(x.id)] == ["created"]


def test_killed_mid_save_leaves_only_whole_alerts(target: str) -> None:
    """SIGKILL inside alert 7's transaction (its row written, its event not, no commit): alerts
    0–6 are whole, 7 is absent, and running the batch again completes it."""
    AlertStore.open(target).close()  # the schema exists before the race
    proc = worker(target, 12, pause_at=7)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.strip() == "inside 7":
            break
    assert lines[-1] == "inside 7", (lines, proc.stderr.read() if proc.stderr else "")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    check_complete(target, set(range(7)))
    rerun = worker(target, 12)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert [line for line in out.splitlines() if line.endswith(" 1")] == [
        f"saved {i} 1" for i in range(7, 12)
    ]
    check_complete(target, set(range(12)))


def test_killed_at_a_random_moment_leaves_only_whole_alerts(tmp_path: Path) -> None:
    """SIGKILL without a pause, while saves with large explanations are running."""
    target = str(tmp_path / "alerts.db")
    AlertStore.open(target).close()
    for seen in (3, 17):
        proc = worker(target, 400)
        assert proc.stdout is not None
        count = 0
        for line in proc.stdout:
            if line.startswith("saved"):
                count += 1
            if count >= seen:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        with AlertStore.open(target) as s:
            n = len(s.list())
        assert n >= seen
        check_complete(target, set(range(n)))  # saved in order, so 0..n-1, each whole
    rerun = worker(target, 40)
    assert rerun.communicate(timeout=120)[0].endswith("done\n")
    check_complete(target, set(range(max(n, 40))))
