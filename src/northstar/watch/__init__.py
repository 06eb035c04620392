"""Watching metrics: the alert database (``store.py``: ``AlertStore`` on SQLite or PostgreSQL,
alert states and their history, reviews, and the delivery outbox)."""

from northstar.watch.store import STATES, TRANSITIONS, AlertStore, Event, Review, StoredAlert

__all__ = ["STATES", "TRANSITIONS", "AlertStore", "Event", "Review", "StoredAlert"]
