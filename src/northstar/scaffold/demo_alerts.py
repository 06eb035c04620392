"""Alerts for the demo's inbox: the demo's watch rules run on each of its last days, as
``northstar watch`` would have run every morning, storing what fired (nobody is notified).

>>> seed_alerts(Path("northstar-demo"))          # doctest: +SKIP
11
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

__all__ = ["WATCHED_DAYS", "seed_alerts"]

#: how many days back the demo's watch runs: four weeks, so weekly rules fire too
WATCHED_DAYS = 28


def seed_alerts(
    target: Path,
    *,
    end: date | None = None,
    days: int = WATCHED_DAYS,
    progress: Callable[[str, float], None] | None = None,
) -> int:
    """Run the watch of the project in ``target`` on each of the ``days`` days ending on ``end``
    (default: the last day with data), without notifications; returns the number of alerts stored.
    Alerts already stored are not stored twice (the store de-duplicates on the alert's id)."""
    from northstar.project import Project
    from northstar.watch.run import run_watch

    project = Project.load(target)
    if end is None:
        span = project.span(list(project.catalog.names()), project.engine)
        if span is None:
            return 0
        end = span[1].date()
    with project.app_store() as store:
        for i in range(days):
            day = end - timedelta(days=days - 1 - i)
            if progress is not None:
                progress(f"watching {day}", i / days)
            run_watch(project, store, day=day, channels={})
        return len(store.list())
