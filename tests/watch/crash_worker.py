"""A process that saves alerts 0..n-1 into a store, for the crash-safety test.

    python -m tests.watch.crash_worker TARGET N [PAUSE_AT]

It prints ``saved I CREATED`` after each save. With PAUSE_AT it prints ``inside PAUSE_AT`` from
*inside* that alert's transaction (after the alert row is written, before its event row and the
commit) and then sleeps, so the parent can kill it there.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from northstar.watch.store import AlertStore
from tests.watch.alerts import make_alert, make_explanation


def main() -> None:
    target, n = sys.argv[1], int(sys.argv[2])
    pause_at = int(sys.argv[3]) if len(sys.argv) > 3 else None
    store = AlertStore.open(target)
    original = AlertStore._event

    def event(self: AlertStore, tx: Any, alert_id: str, *args: Any) -> None:
        original(self, tx, alert_id, *args)
        if pause_at is not None and alert_id == make_alert(pause_at).id:
            print(f"inside {pause_at}", flush=True)
            time.sleep(120)

    AlertStore._event = event  # type: ignore[method-assign,assignment]
    for i in range(n):
        _, created = store.save(make_alert(i), make_explanation(i))
        print(f"saved {i} {int(created)}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
