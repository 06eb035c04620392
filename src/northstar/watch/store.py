"""The alert database: alerts, their state, their history, their review and the delivery outbox.

``AlertStore.open(target)`` opens (and creates when missing) the database:

- a file path or ``sqlite:///path`` → SQLite (stdlib ``sqlite3``), WAL journal with
  ``synchronous = FULL``, the file and its folder created; ``sqlite:///relative/x.db`` is relative, ``sqlite:////abs/x.db`` absolute;
- ``postgresql://…`` (or ``postgres://…``) → PostgreSQL through ``psycopg`` (the ``postgres`` extra).

Both hold the same tables, made by plain SQL (each driver's own parameter style, no ORM):

``northstar_meta``   (key, value) — ``schema_version`` = ``SCHEMA_VERSION``; a newer version is refused.
``alerts``           one row per alert id: every ``Alert`` field (slice, drivers and root causes as
                     JSON text, the period as ISO text: ``YYYY-MM-DD`` for a date, else a datetime),
                     ``explanation`` (``ExplainResult.to_dict()``; JSON text on SQLite, JSONB on
                     PostgreSQL), ``state``, ``close_reason``, ``created_at``, ``updated_at`` (UTC).
``alert_events``     the history: one row per change (``created``, ``transition``, ``review``) with
                     its time (UTC), actor, from/to state and note; never updated or deleted.
``alert_reviews``    every version of an alert's review (``version`` 1, 2, …): the 5-Why chain
                     (1–5 entries), owner, actions, due date; the latest version is the review.
``targets``          targets set in the app (``northstar targets set``): one row per setting, never
                     updated; the latest row of a (metric, period) is in force, earlier ones are its
                     history. ``floor_value`` / ``target_value`` / ``stretch_value`` may be NULL.
``lead_ratings``     sales' ratings of leads (``northstar leads rate``): one row per rating, never updated;
                     the latest row of a (lead_set, lead_id) is in force. A batch is one transaction.
``tokens``           API tokens of ``northstar serve`` (``northstar token create``): name, role (viewer or
                     editor), the token's SHA-256 (never the token), created_at, revoked_at (NULL: valid).
``alert_outbox``     failed deliveries, one row per (alert_id, channel), indexed on ``next_try``
                     (epoch seconds): the ``notify.deliver.Outbox`` protocol.

Semantics a user can check by hand:

- ``save(alert, explanation)`` inserts the alert with state ``open`` and a ``created`` event in one
  transaction, so a crash leaves the whole alert or nothing. The id is the key: saving an id that
  is already there changes nothing and returns ``created=False`` (also when two writers race).
- States move ``open → acknowledged → reviewed → closed``; ``open`` or ``acknowledged`` may also go
  straight to ``closed`` (a false alarm) when a note gives the reason. ``reviewed`` needs a review on
  file. Any other move, and any move out of ``closed``, is refused with a ``UserError`` (en/zh).
  A move is checked and written in one transaction (``UPDATE … WHERE state = <expected>``), so two
  people moving the same alert at once cannot both succeed.
- ``review(...)`` writes a new version of the review and a ``review`` event; it does not change
  the state.
- ``due(now)`` lists outbox entries with ``next_try <= now``, earliest first.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import math
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from northstar.errors import UserError
from northstar.notify.deliver import Pending
from northstar.notify.message import Alert, Cause, Driver
from northstar.spec.suggest import did_you_mean

SCHEMA_VERSION = 4  # 2: the targets table; 3: the lead_ratings table; 4: the tokens table

State = Literal["open", "acknowledged", "reviewed", "closed"]
STATES: tuple[State, ...] = ("open", "acknowledged", "reviewed", "closed")
STATE_ZH: dict[str, str] = {
    "open": "未处理",
    "acknowledged": "已确认",
    "reviewed": "已复盘",
    "closed": "已关闭",
}

# The moves allowed from each state. Closing from open/acknowledged is a false alarm: it needs a reason.
TRANSITIONS: dict[str, tuple[State, ...]] = {
    "open": ("acknowledged", "closed"),
    "acknowledged": ("reviewed", "closed"),
    "reviewed": ("closed",),
    "closed": (),
}
NEEDS_REASON = {("open", "closed"), ("acknowledged", "closed")}

MAX_WHYS = 5

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Review:
    """One version of an alert's review: the 5-Why chain, who owns the follow-up, what, by when."""

    whys: tuple[str, ...]
    owner: str
    actions: tuple[str, ...]
    due: date
    version: int
    at: datetime
    by: str


@dataclass(frozen=True)
class Event:
    """One change in an alert's history. ``kind`` is ``created``, ``transition`` or ``review``."""

    alert_id: str
    kind: str
    at: datetime
    actor: str
    from_state: str | None
    to_state: str | None
    note: str | None


@dataclass(frozen=True)
class StoredTarget:
    """Bands of a metric for a period, set in the app: who set them, when (UTC) and why."""

    metric: str
    period: str
    floor: float | None
    target: float | None
    stretch: float | None
    set_by: str
    why: str | None
    set_at: datetime
    per: str | None = None  # the bands hold for each part of this grain of the period


@dataclass(frozen=True)
class LeadRating:
    """Sales' rating of one lead: 1 (useless) to 5 (a real buyer), a reason code, who and when."""

    lead_set: str
    lead_id: str
    score: int
    reason: str
    rated_by: str
    rated_at: datetime | None = None  # None: now, when saved
    note: str | None = None


@dataclass(frozen=True)
class StoredToken:
    """An API token as stored: its id, name, role and times (UTC); the token itself is not kept."""

    id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class StoredAlert:
    """An alert as stored: the ``Alert`` (its fields also read directly: ``stored.metric``), its
    explanation, state, times (UTC) and latest review."""

    alert: Alert
    state: State
    created_at: datetime
    updated_at: datetime
    explanation: dict[str, Any] | None = None
    close_reason: str | None = None
    review: Review | None = field(default=None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.alert, name)


def _utc_now() -> datetime:
    return datetime.now(UTC)


_TABLES = """
CREATE TABLE IF NOT EXISTS northstar_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    metric TEXT NOT NULL,
    label_en TEXT NOT NULL,
    label_zh TEXT NOT NULL,
    slice TEXT NOT NULL,
    period TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    expected DOUBLE PRECISION NOT NULL,
    change_pct DOUBLE PRECISION,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    summary_en TEXT NOT NULL,
    summary_zh TEXT NOT NULL,
    drivers TEXT NOT NULL,
    root_causes TEXT NOT NULL,
    link TEXT,
    explanation {json},
    state TEXT NOT NULL,
    close_reason TEXT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state);
CREATE INDEX IF NOT EXISTS alerts_metric ON alerts (metric);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_at);
CREATE TABLE IF NOT EXISTS alert_events (
    id {serial},
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    kind TEXT NOT NULL,
    at {ts} NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    note TEXT
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events (alert_id, id);
CREATE TABLE IF NOT EXISTS alert_reviews (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    version INTEGER NOT NULL,
    whys TEXT NOT NULL,
    owner TEXT NOT NULL,
    actions TEXT NOT NULL,
    due {date} NOT NULL,
    at {ts} NOT NULL,
    written_by TEXT NOT NULL,
    PRIMARY KEY (alert_id, version)
);
CREATE TABLE IF NOT EXISTS alert_outbox (
    alert_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    error TEXT NOT NULL,
    next_try DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (alert_id, channel)
);
CREATE INDEX IF NOT EXISTS alert_outbox_next_try ON alert_outbox (next_try);
CREATE TABLE IF NOT EXISTS targets (
    id {serial},
    metric TEXT NOT NULL,
    period TEXT NOT NULL,
    per TEXT,
    floor_value DOUBLE PRECISION,
    target_value DOUBLE PRECISION,
    stretch_value DOUBLE PRECISION,
    set_by TEXT NOT NULL,
    why TEXT,
    set_at {ts} NOT NULL
);
CREATE INDEX IF NOT EXISTS targets_metric ON targets (metric, period, id);
CREATE TABLE IF NOT EXISTS lead_ratings (
    id {serial},
    lead_set TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    reason TEXT NOT NULL,
    note TEXT,
    rated_by TEXT NOT NULL,
    rated_at {ts} NOT NULL
);
CREATE INDEX IF NOT EXISTS lead_ratings_lead ON lead_ratings (lead_set, lead_id, id);
CREATE TABLE IF NOT EXISTS tokens (
    id {serial},
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at {ts} NOT NULL,
    revoked_at {ts}
);
"""

_ALERT_COLUMNS = (
    "id, metric, label_en, label_zh, slice, period, value, expected, change_pct, rule, severity,"
    " summary_en, summary_zh, drivers, root_causes, link, explanation, state, close_reason,"
    " created_at, updated_at"
)


class _Backend:
    """What differs between SQLite and PostgreSQL: connecting, transactions, types."""

    kind: str

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def execute(self, tx: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def json_param(self, value: dict[str, Any] | None) -> Any:
        raise NotImplementedError

    def json_value(self, raw: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    def ts_param(self, value: datetime) -> Any:
        raise NotImplementedError

    def ts_value(self, raw: Any) -> datetime:
        raise NotImplementedError

    def date_param(self, value: date) -> Any:
        raise NotImplementedError

    def date_value(self, raw: Any) -> date:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _SQLite(_Backend):
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a write transaction takes the
        # write lock at its start and two writers queue (busy timeout) instead of failing mid-way.
        self.con = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA busy_timeout = 30000")
        self.con.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed alert survives a power cut too (NORMAL in WAL mode may lose the last
        # commits), so an alert already notified is never created, and notified, again.
        self.con.execute("PRAGMA synchronous = FULL")
        self.con.execute("PRAGMA foreign_keys = ON")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def execute(self, tx: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return tx.execute(sql, tuple(params))

    def json_param(self, value: dict[str, Any] | None) -> Any:
        return None if value is None else _dumps(value)

    def json_value(self, raw: Any) -> dict[str, Any] | None:
        return None if raw is None else json.loads(raw)

    def ts_param(self, value: datetime) -> str:
        # Fixed-width UTC text, so text order is time order (used by ``list(since=...)``).
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

    def ts_value(self, raw: Any) -> datetime:
        return datetime.fromisoformat(raw)

    def date_param(self, value: date) -> str:
        return value.isoformat()

    def date_value(self, raw: Any) -> date:
        return date.fromisoformat(raw)

    def close(self) -> None:
        self.con.close()


class _Postgres(_Backend):
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:  # pragma: no cover - the postgres extra is installed in tests
            raise UserError(
                "PostgreSQL needs psycopg: pip install 'northstar[postgres]'",
                "使用 PostgreSQL 需要 psycopg：pip install 'northstar[postgres]'",
            ) from None
        try:
            self.con = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise UserError(
                f"cannot connect to the alert database {_redact(url)}: {exc}",
                f"无法连接告警数据库 {_redact(url)}：{exc}",
            ) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.con.transaction(), self.con.cursor() as cur:
            yield cur

    def execute(self, tx: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        tx.execute(sql.replace("?", "%s"), tuple(params))
        return tx

    def json_param(self, value: dict[str, Any] | None) -> Any:
        from psycopg.types.json import Jsonb

        return None if value is None else Jsonb(value, dumps=_dumps)

    def json_value(self, raw: Any) -> dict[str, Any] | None:
        return None if raw is None else raw if isinstance(raw, dict) else json.loads(raw)

    def ts_param(self, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def ts_value(self, raw: Any) -> datetime:
        return raw.astimezone(UTC)

    def date_param(self, value: date) -> date:
        return value

    def date_value(self, raw: Any) -> date:
        return raw if isinstance(raw, date) else date.fromisoformat(raw)

    def close(self) -> None:
        self.con.close()


def _dumps(value: Any) -> str:
    """JSON text; NaN and infinity are refused (PostgreSQL's JSONB has no such numbers)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def app_store_target(project_dir: Path, target: str | None = None) -> str:
    """Where the app database is: ``target`` if given, else ``$NORTHSTAR_ALERT_STORE``, else
    ``.northstar/alerts.db`` in the project's folder."""
    import os

    return target or os.environ.get("NORTHSTAR_ALERT_STORE") or str(project_dir / ".northstar" / "alerts.db")


def _sqlite_path(target: str | Path) -> Path | None:
    if isinstance(target, Path):
        return target
    if target.startswith("sqlite:///"):
        return Path(target[len("sqlite:///") :])
    if "://" in target:
        return None
    return Path(target)


class AlertStore:
    """The alert database (see the module docstring). Open with ``AlertStore.open(target)``; one
    store per thread or process; close it (or use ``with``)."""

    def __init__(self, backend: _Backend, clock: Clock = _utc_now) -> None:
        self._db = backend
        self._clock = clock
        self._create_schema()

    @classmethod
    def open(cls, target: str | Path, *, clock: Clock = _utc_now) -> AlertStore:
        """A path or ``sqlite:///path`` → SQLite; ``postgresql://…`` → PostgreSQL."""
        text = str(target)
        if text.startswith(("postgresql://", "postgres://")):
            return cls(_Postgres(text), clock)
        path = _sqlite_path(target)
        if path is None:
            scheme = text.split("://", 1)[0]
            raise UserError(
                f"unknown alert database {scheme + '://'!r}: use a file path, sqlite:///path or"
                " postgresql://user@host/db",
                f"不支持的告警数据库 {scheme + '://'!r}：请使用文件路径、sqlite:///path 或"
                " postgresql://user@host/db",
            )
        return cls(_SQLite(path), clock)

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.kind

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------

    def _create_schema(self) -> None:
        pg = self._db.kind == "postgresql"
        ddl = _TABLES.format(
            json="JSONB" if pg else "TEXT",
            ts="TIMESTAMPTZ" if pg else "TEXT",
            date="DATE" if pg else "TEXT",
            serial="BIGSERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT",
        )
        with self._db.transaction() as tx:
            if pg:  # CREATE TABLE IF NOT EXISTS races between two sessions on PostgreSQL
                self._db.execute(tx, "SELECT pg_advisory_xact_lock(7311001)")
            for statement in ddl.split(";"):
                if statement.strip():
                    self._db.execute(tx, statement)
            self._db.execute(
                tx,
                "INSERT INTO northstar_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )
            row = self._db.execute(
                tx, "SELECT value FROM northstar_meta WHERE key = 'schema_version'"
            ).fetchone()
            if int(row[0]) < SCHEMA_VERSION:  # the tables a newer version adds were created above
                self._db.execute(
                    tx,
                    "UPDATE northstar_meta SET value = ? WHERE key = 'schema_version'",
                    (str(SCHEMA_VERSION),),
                )
                row = (SCHEMA_VERSION,)
        version = int(row[0])
        if version > SCHEMA_VERSION:
            raise UserError(
                f"the alert database has schema version {version}, newer than this Northstar's"
                f" {SCHEMA_VERSION}; upgrade Northstar",
                f"告警数据库的结构版本为 {version}，比当前 Northstar 支持的 {SCHEMA_VERSION} 更新；请升级 Northstar",
            )

    def schema_version(self) -> int:
        with self._db.transaction() as tx:
            row = self._db.execute(
                tx, "SELECT value FROM northstar_meta WHERE key = 'schema_version'"
            ).fetchone()
        return int(row[0])

    # -- alerts ---------------------------------------------------------------------------------

    def save(
        self, alert: Alert, explanation: Mapping[str, Any] | None = None, *, actor: str = "northstar"
    ) -> tuple[StoredAlert, bool]:
        """Store ``alert`` (state ``open``) with its explanation; ``(stored, created)``. An id that is
        already stored is left exactly as it is and ``created`` is False."""
        for name in ("value", "expected"):
            if not math.isfinite(getattr(alert, name)):
                raise ValueError(f"alert {alert.id!r}: {name} must be a finite number")
        if alert.change_pct is not None and not math.isfinite(alert.change_pct):
            raise ValueError(f"alert {alert.id!r}: change_pct must be finite or None")
        now = self._db.ts_param(self._clock())
        row = (
            alert.id,
            alert.metric,
            alert.label_en,
            alert.label_zh,
            _dumps(dict(alert.slice)),
            alert.period.isoformat(),
            float(alert.value),
            float(alert.expected),
            None if alert.change_pct is None else float(alert.change_pct),
            alert.rule,
            alert.severity,
            alert.summary_en,
            alert.summary_zh,
            _dumps([list(d) for d in alert.drivers]),
            _dumps([[dict(c.combination), c.share] for c in alert.root_causes]),
            alert.link,
            self._db.json_param(None if explanation is None else dict(explanation)),
            "open",
            None,
            now,
            now,
        )
        marks = ", ".join("?" * len(row))
        with self._db.transaction() as tx:
            cur = self._db.execute(
                tx,
                f"INSERT INTO alerts ({_ALERT_COLUMNS}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING",
                row,
            )
            created = cur.rowcount == 1
            if created:
                self._event(tx, alert.id, "created", actor, None, "open", None, now)
            stored = self._get(tx, alert.id)
        assert stored is not None
        return stored, created

    def _event(
        self,
        tx: Any,
        alert_id: str,
        kind: str,
        actor: str,
        from_state: str | None,
        to_state: str | None,
        note: str | None,
        at: Any,
    ) -> None:
        self._db.execute(
            tx,
            "INSERT INTO alert_events (alert_id, kind, at, actor, from_state, to_state, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (alert_id, kind, at, actor, from_state, to_state, note),
        )

    def get(self, alert_id: str) -> StoredAlert | None:
        """The stored alert, or None."""
        with self._db.transaction() as tx:
            return self._get(tx, alert_id)

    def load_alert(self, alert_id: str) -> Alert:
        """The ``Alert`` of a stored id (for ``notify.retry_due``); a ``UserError`` when unknown."""
        stored = self.get(alert_id)
        if stored is None:
            raise self._unknown(alert_id)
        return stored.alert

    def list(
        self,
        state: str | None = None,
        metric: str | None = None,
        since: date | datetime | None = None,
    ) -> builtins.list[StoredAlert]:
        """Alerts in ``state``, of ``metric``, created at or after ``since`` (a date means its
        midnight UTC; a naive datetime is read as UTC), oldest first."""
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if state is not None:
            where.append("state = ?")
            params.append(_check_state(state))
        if metric is not None:
            where.append("metric = ?")
            params.append(metric)
        if since is not None:
            if not isinstance(since, datetime):
                since = datetime(since.year, since.month, since.day, tzinfo=UTC)
            elif since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            where.append("created_at >= ?")
            params.append(self._db.ts_param(since))
        sql = f"SELECT {_ALERT_COLUMNS} FROM alerts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, id"
        with self._db.transaction() as tx:
            rows = self._db.execute(tx, sql, params).fetchall()
            reviews = self._latest_reviews(tx, [r[0] for r in rows])
        return [self._stored(r, reviews.get(r[0])) for r in rows]

    def _get(self, tx: Any, alert_id: str) -> StoredAlert | None:
        row = self._db.execute(
            tx, f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)
        ).fetchone()
        if row is None:
            return None
        return self._stored(row, self._latest_reviews(tx, [alert_id]).get(alert_id))

    def _stored(self, row: Sequence[Any], review: Review | None) -> StoredAlert:
        (id_, metric, label_en, label_zh, slice_, period, value, expected, change_pct, rule, severity,
         summary_en, summary_zh, drivers, causes, link, explanation, state, close_reason,
         created_at, updated_at) = row  # fmt: skip
        alert = Alert(
            id=id_,
            metric=metric,
            label_en=label_en,
            label_zh=label_zh,
            slice=json.loads(slice_),
            period=date.fromisoformat(period) if len(period) == 10 else datetime.fromisoformat(period),
            value=value,
            expected=expected,
            change_pct=change_pct,
            rule=rule,
            severity=severity,
            summary_en=summary_en,
            summary_zh=summary_zh,
            drivers=tuple(Driver(*d) for d in json.loads(drivers)),
            root_causes=tuple(Cause(c[0], c[1]) for c in json.loads(causes)),
            link=link,
        )
        return StoredAlert(
            alert=alert,
            state=state,
            created_at=self._db.ts_value(created_at),
            updated_at=self._db.ts_value(updated_at),
            explanation=self._db.json_value(explanation),
            close_reason=close_reason,
            review=review,
        )

    # -- states ---------------------------------------------------------------------------------

    def transition(self, alert_id: str, to: str, by: str, note: str | None = None) -> StoredAlert:
        """Move the alert to state ``to`` (see the module docstring for the allowed moves)."""
        target = _check_state(to)
        if not by.strip():
            raise UserError("say who makes the change (by)", "请说明由谁修改（by）")
        with self._db.transaction() as tx:
            current = self._get(tx, alert_id)
            if current is None:
                raise self._unknown(alert_id, tx)
            source = current.state
            if target not in TRANSITIONS[source]:
                allowed = TRANSITIONS[source]
                en_next = ", ".join(allowed) if allowed else "none: a closed alert is final"
                zh_next = "、".join(STATE_ZH[s] for s in allowed) if allowed else "无：已关闭的告警不能再变"
                raise UserError(
                    f"alert {alert_id!r} cannot go from {source} to {target} (from {source}: {en_next})",
                    f"告警 {alert_id!r} 不能从“{STATE_ZH[source]}”变为“{STATE_ZH[target]}”"
                    f"（“{STATE_ZH[source]}”之后可以：{zh_next}）",
                )
            if (source, target) in NEEDS_REASON and not (note and note.strip()):
                raise UserError(
                    f"closing alert {alert_id!r} from {source} marks it a false alarm: give the reason"
                    " as the note",
                    f"从“{STATE_ZH[source]}”直接关闭告警 {alert_id!r} 表示误报：请在备注中写明原因",
                )
            if target == "reviewed" and current.review is None:
                raise UserError(
                    f"alert {alert_id!r} has no review yet: write one (5 whys, owner, actions, due)"
                    " before marking it reviewed",
                    f"告警 {alert_id!r} 还没有复盘记录：请先填写（5 个为什么、负责人、行动项、截止日期）",
                )
            now = self._db.ts_param(self._clock())
            reason = note if target == "closed" else None
            cur = self._db.execute(
                tx,
                "UPDATE alerts SET state = ?, updated_at = ?, close_reason = ? WHERE id = ? AND state = ?",
                (target, now, reason, alert_id, source),
            )
            if cur.rowcount != 1:  # pragma: no cover - the row is locked by this transaction
                raise UserError(
                    f"alert {alert_id!r} changed meanwhile; try again",
                    f"告警 {alert_id!r} 刚被他人修改，请重试",
                )
            self._event(tx, alert_id, "transition", by, source, target, note, now)
            stored = self._get(tx, alert_id)
        assert stored is not None
        return stored

    def history(self, alert_id: str) -> builtins.list[Event]:
        """Every change of the alert, oldest first."""
        with self._db.transaction() as tx:
            rows = self._db.execute(
                tx,
                "SELECT alert_id, kind, at, actor, from_state, to_state, note FROM alert_events"
                " WHERE alert_id = ? ORDER BY id",
                (alert_id,),
            ).fetchall()
        return [Event(r[0], r[1], self._db.ts_value(r[2]), r[3], r[4], r[5], r[6]) for r in rows]

    # -- reviews --------------------------------------------------------------------------------

    def review(
        self,
        alert_id: str,
        whys: Sequence[str],
        owner: str,
        actions: Sequence[str],
        due: date,
        *,
        by: str | None = None,
    ) -> Review:
        """Write (a new version of) the alert's review; ``by`` defaults to ``owner``."""
        whys_t = tuple(str(w).strip() for w in whys)
        actions_t = tuple(str(a).strip() for a in actions)
        if isinstance(whys, str) or not 1 <= len(whys_t) <= MAX_WHYS or not all(whys_t):
            raise UserError(
                f"a review's 5-Why chain has 1 to {MAX_WHYS} non-empty entries, not {len(whys_t)}",
                f"复盘的“5 个为什么”需要 1 到 {MAX_WHYS} 条非空内容，而不是 {len(whys_t)} 条",
            )
        if isinstance(actions, str) or not all(actions_t):
            raise UserError(
                "a review's actions must be a list of non-empty texts", "复盘的行动项必须是非空文本列表"
            )
        if not owner.strip():
            raise UserError("a review needs an owner", "复盘需要一位负责人")
        if isinstance(due, datetime) or not isinstance(due, date):
            raise UserError(
                f"a review's due date must be a date, not {due!r}",
                f"复盘的截止日期必须是日期，而不是 {due!r}",
            )
        actor = by or owner
        with self._db.transaction() as tx:
            if self._get(tx, alert_id) is None:
                raise self._unknown(alert_id, tx)
            row = self._db.execute(
                tx, "SELECT MAX(version) FROM alert_reviews WHERE alert_id = ?", (alert_id,)
            ).fetchone()
            version = (row[0] or 0) + 1
            at = self._clock()
            self._db.execute(
                tx,
                "INSERT INTO alert_reviews (alert_id, version, whys, owner, actions, due, at, written_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    alert_id,
                    version,
                    _dumps(list(whys_t)),
                    owner,
                    _dumps(list(actions_t)),
                    self._db.date_param(due),
                    self._db.ts_param(at),
                    actor,
                ),
            )
            self._event(
                tx, alert_id, "review", actor, None, None, f"review v{version}", self._db.ts_param(at)
            )
            review = self._reviews(tx, alert_id)[-1]
        return review

    def reviews(self, alert_id: str) -> builtins.list[Review]:
        """Every version of the alert's review, oldest first."""
        with self._db.transaction() as tx:
            return self._reviews(tx, alert_id)

    def _reviews(self, tx: Any, alert_id: str) -> builtins.list[Review]:
        rows = self._db.execute(
            tx,
            "SELECT whys, owner, actions, due, version, at, written_by FROM alert_reviews WHERE alert_id = ?"
            " ORDER BY version",
            (alert_id,),
        ).fetchall()
        return [self._review(r) for r in rows]

    def _review(self, r: Sequence[Any]) -> Review:
        return Review(
            whys=tuple(json.loads(r[0])),
            owner=r[1],
            actions=tuple(json.loads(r[2])),
            due=self._db.date_value(r[3]),
            version=int(r[4]),
            at=self._db.ts_value(r[5]),
            by=r[6],
        )

    def _latest_reviews(self, tx: Any, ids: Sequence[str]) -> dict[str, Review]:
        if not ids:
            return {}
        found: dict[str, Review] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute(
                tx,
                "SELECT r.alert_id, r.whys, r.owner, r.actions, r.due, r.version, r.at, r.written_by"
                " FROM alert_reviews r WHERE r.alert_id IN (" + marks + ") AND r.version ="
                " (SELECT MAX(version) FROM alert_reviews m WHERE m.alert_id = r.alert_id)",
                chunk,
            ).fetchall()
            found.update({r[0]: self._review(r[1:]) for r in rows})
        return found

    # -- the Outbox protocol --------------------------------------------------------------------

    def record_failure(self, alert_id: str, channel: str, error: str, next_try: float) -> None:
        """Insert or replace the pending delivery of (alert_id, channel)."""
        with self._db.transaction() as tx:
            self._db.execute(
                tx,
                "INSERT INTO alert_outbox (alert_id, channel, error, next_try) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (alert_id, channel) DO UPDATE SET error = excluded.error,"
                " next_try = excluded.next_try",
                (alert_id, channel, error, float(next_try)),
            )

    def record_success(self, alert_id: str, channel: str) -> None:
        """Remove the pending delivery of (alert_id, channel), if any."""
        with self._db.transaction() as tx:
            self._db.execute(
                tx, "DELETE FROM alert_outbox WHERE alert_id = ? AND channel = ?", (alert_id, channel)
            )

    def due(self, now: float) -> builtins.list[Pending]:
        """Pending deliveries with ``next_try <= now``, earliest first."""
        with self._db.transaction() as tx:
            rows = self._db.execute(
                tx,
                "SELECT alert_id, channel, error, next_try FROM alert_outbox WHERE next_try <= ?"
                " ORDER BY next_try, alert_id, channel",
                (float(now),),
            ).fetchall()
        return [Pending(r[0], r[1], r[2], float(r[3])) for r in rows]

    # -- errors ---------------------------------------------------------------------------------

    # -- targets --------------------------------------------------------------------------------

    def set_target(
        self,
        metric: str,
        period: str,
        *,
        set_by: str,
        floor: float | None = None,
        target: float | None = None,
        stretch: float | None = None,
        why: str | None = None,
        per: str | None = None,
    ) -> StoredTarget:
        """Record bands for ``metric`` in ``period`` (a label: 2026-Q4, 2026-11, 2026-W47…). The
        caller checks the metric and the bands (``Project.set_target`` does)."""
        if floor is None and target is None and stretch is None:
            raise UserError(
                "give at least one of floor, target, stretch", "请至少给出 floor、target、stretch 之一"
            )
        at = self._clock()
        with self._db.transaction() as tx:
            self._db.execute(
                tx,
                "INSERT INTO targets (metric, period, per, floor_value, target_value, stretch_value, set_by,"
                " why, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (metric, period, per, floor, target, stretch, set_by, why, self._db.ts_param(at)),
            )
        return StoredTarget(metric, period, floor, target, stretch, set_by, why, at, per)

    def targets(self, metric: str | None = None, *, history: bool = False) -> builtins.list[StoredTarget]:
        """The targets in force (the latest setting per metric and period), or with ``history``
        every setting, oldest first."""
        sql = (
            "SELECT metric, period, floor_value, target_value, stretch_value, set_by, why, set_at, per"
            " FROM targets"
        )
        params: builtins.list[Any] = []
        if metric is not None:
            sql += " WHERE metric = ?"
            params.append(metric)
        sql += " ORDER BY id"
        with self._db.transaction() as tx:
            rows = self._db.execute(tx, sql, params).fetchall()
        out = [
            StoredTarget(
                r[0],
                r[1],
                None if r[2] is None else float(r[2]),
                None if r[3] is None else float(r[3]),
                None if r[4] is None else float(r[4]),
                r[5],
                r[6],
                self._db.ts_value(r[7]),
                r[8],
            )
            for r in rows
        ]
        if history:
            return out
        latest = {(t.metric, t.period, t.per): t for t in out}
        return sorted(latest.values(), key=lambda t: (t.metric, t.period))

    # -- lead ratings -----------------------------------------------------------------------------

    def rate_leads(self, ratings: Sequence[LeadRating]) -> int:
        """Save ``ratings`` in one transaction (all or none); the caller has checked them
        (:func:`northstar.leads.ratings.check_ratings`). Returns how many were saved."""
        now = self._clock()
        with self._db.transaction() as tx:
            for r in ratings:
                if not 1 <= int(r.score) <= 5:
                    raise UserError(
                        f"lead {r.lead_id}: a score is 1 to 5, not {r.score}",
                        f"线索 {r.lead_id}：评分须为 1 到 5，而不是 {r.score}",
                    )
                at = r.rated_at or now
                if at.tzinfo is None:
                    at = at.replace(tzinfo=UTC)
                self._db.execute(
                    tx,
                    "INSERT INTO lead_ratings (lead_set, lead_id, score, reason, note, rated_by, rated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.lead_set,
                        r.lead_id,
                        int(r.score),
                        r.reason,
                        r.note,
                        r.rated_by,
                        self._db.ts_param(at),
                    ),
                )
        return len(ratings)

    def lead_ratings(self, lead_set: str, *, history: bool = False) -> builtins.list[LeadRating]:
        """The ratings in force for ``lead_set`` (the latest per lead), or every one, oldest first."""
        with self._db.transaction() as tx:
            rows = self._db.execute(
                tx,
                "SELECT lead_set, lead_id, score, reason, rated_by, rated_at, note FROM lead_ratings"
                " WHERE lead_set = ? ORDER BY id",
                (lead_set,),
            ).fetchall()
        out = [LeadRating(r[0], r[1], int(r[2]), r[3], r[4], self._db.ts_value(r[5]), r[6]) for r in rows]
        if history:
            return out
        return list({r.lead_id: r for r in out}.values())

    def ratings_fingerprint(self, lead_set: str) -> tuple[int, int]:
        """(count, largest id) of ``lead_set``'s ratings: changes whenever a rating is added."""
        with self._db.transaction() as tx:
            row = self._db.execute(
                tx, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM lead_ratings WHERE lead_set = ?", (lead_set,)
            ).fetchone()
        return int(row[0]), int(row[1])

    # -- API tokens (northstar serve) --------------------------------------------------------------

    def add_token(self, name: str, role: str, token_hash: str) -> StoredToken:
        """Store a token's SHA-256 hex digest with its name and role (``viewer`` or ``editor``)."""
        if role not in ("viewer", "editor"):
            raise UserError(
                f"a token's role is viewer or editor, not {role!r}"
                + did_you_mean(role, ("viewer", "editor")),
                f"令牌的角色只能是 viewer 或 editor，而不是 {role!r}"
                + did_you_mean(role, ("viewer", "editor"), "zh"),
            )
        at = self._clock()
        with self._db.transaction() as tx:
            self._db.execute(
                tx,
                "INSERT INTO tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role, token_hash, self._db.ts_param(at)),
            )
            row = self._db.execute(tx, "SELECT id FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return StoredToken(int(row[0]), name, role, at)

    def tokens(self, *, revoked: bool = False) -> builtins.list[StoredToken]:
        """The valid tokens (with ``revoked``: every token), oldest first."""
        sql = "SELECT id, name, role, created_at, revoked_at FROM tokens"
        if not revoked:
            sql += " WHERE revoked_at IS NULL"
        with self._db.transaction() as tx:
            rows = self._db.execute(tx, sql + " ORDER BY id").fetchall()
        return [self._token(r) for r in rows]

    def token_by_hash(self, token_hash: str) -> StoredToken | None:
        """The token with this SHA-256 hex digest (revoked ones too), or None."""
        with self._db.transaction() as tx:
            row = self._db.execute(
                tx,
                "SELECT id, name, role, created_at, revoked_at FROM tokens WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
        return None if row is None else self._token(row)

    def revoke_token(self, key: str | int) -> builtins.list[StoredToken]:
        """Revoke the valid tokens with id or name ``key``; the revoked ones. Unknown: a UserError."""
        at = self._db.ts_param(self._clock())
        with self._db.transaction() as tx:
            rows = self._db.execute(
                tx, "SELECT id, name, role, created_at, revoked_at FROM tokens WHERE revoked_at IS NULL"
            ).fetchall()
            hit = [r for r in rows if str(r[0]) == str(key) or r[1] == str(key)]
            if not hit:
                names = [r[1] for r in rows]
                raise UserError(
                    f"no valid token {key!r} (give its id or name)" + did_you_mean(str(key), names),
                    f"没有有效的令牌 {key!r}（请给出编号或名称）" + did_you_mean(str(key), names, "zh"),
                )
            for r in hit:
                self._db.execute(tx, "UPDATE tokens SET revoked_at = ? WHERE id = ?", (at, r[0]))
            out = self._db.execute(
                tx,
                "SELECT id, name, role, created_at, revoked_at FROM tokens WHERE id IN ("
                + ", ".join("?" * len(hit))
                + ") ORDER BY id",
                [r[0] for r in hit],
            ).fetchall()
        return [self._token(r) for r in out]

    def _token(self, r: Sequence[Any]) -> StoredToken:
        return StoredToken(
            int(r[0]), r[1], r[2], self._db.ts_value(r[3]), None if r[4] is None else self._db.ts_value(r[4])
        )

    def data_version(self) -> tuple[int, ...]:
        """Counts and largest ids of what the app writes (alerts and their events, targets, lead
        ratings): any write changes it, so results cached under it are recomputed."""
        with self._db.transaction() as tx:
            row = self._db.execute(
                tx,
                "SELECT (SELECT COUNT(*) FROM alerts), (SELECT COALESCE(MAX(id), 0) FROM alert_events),"
                " (SELECT COALESCE(MAX(id), 0) FROM targets), (SELECT COALESCE(MAX(id), 0) FROM lead_ratings)",
            ).fetchone()
        return tuple(int(x) for x in row)

    def _unknown(self, alert_id: str, tx: Any = None) -> UserError:
        ids: builtins.list[str] = []
        if tx is not None:
            ids = [r[0] for r in self._db.execute(tx, "SELECT id FROM alerts").fetchall()]
        hint_en, hint_zh = did_you_mean(alert_id, ids), did_you_mean(alert_id, ids, "zh")
        return UserError(
            f"no alert {alert_id!r} in the alert database{hint_en}",
            f"告警数据库中没有告警 {alert_id!r}{hint_zh}",
        )


def _check_state(state: str) -> State:
    if state in STATES:
        return state  # type: ignore[return-value]
    hint_en, hint_zh = did_you_mean(state, STATES), did_you_mean(state, STATES, "zh")
    raise UserError(
        f"unknown alert state {state!r}: one of {', '.join(STATES)}{hint_en}",
        f"未知的告警状态 {state!r}：可选 {'、'.join(STATES)}{hint_zh}",
    )
