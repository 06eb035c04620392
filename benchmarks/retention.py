"""Daily retention over the funnel benchmark's events: Northstar vs hand-written DuckDB SQL.

    python benchmarks/retention.py --events 10M          # 3 timed runs each, sorted copy
    python benchmarks/retention.py --quick                # 1M events, 1 timed run

Cohorts: each user's first ``view_item`` ever, by day, for the cohorts of 2026-03-01 … 03-20;
retained on day N (N = 0 … 14) when the user has any event on the N-th calendar day after
the cohort day, at or after the entry time (bounded retention). The data end on 2026-03-30, so
the cells whose day N ends after that are incomplete (no value). Both approaches run in a fresh
subprocess on the same Parquet file (``benchmarks/funnel.py`` writes it); the script checks that
every complete cell has the same cohort size and retained count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from core_kpis import label, machine, median, parse_count, peak_rss_mb  # noqa: E402
from funnel import START, datasets  # noqa: E402

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 20)  # cohort days
PERIODS = 14
APPROACHES = ["northstar", "duckdb"]


def write_project(data: Path, folder: Path) -> Path:
    import yaml

    spec = {
        "project": {"name": "Northstar retention benchmark", "timezone": "UTC"},
        "sources": {
            "events": {"path": str(data), "format": "parquet", "time": "event_time", "entity": "user_id"}
        },
        "metrics": {"events": {"type": "count", "source": "events"}},
        "north_star": "events",
        "retention": {
            "viewers": {"source": "events", "start": "view_item", "period": "day", "periods": PERIODS}
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


Cells = list[tuple[str, int, int, int]]  # (cohort day, N, cohort size, retained), complete cells


def setup_northstar(data: Path, project_dir: Path) -> Callable[[], Cells]:
    from northstar import Project

    project = Project.load(project_dir)

    def run() -> Cells:
        result = project.retention("viewers", start=FIRST, end=LAST)
        c = result.cohorts
        c = c[c["complete"]]
        return sorted(
            (str(pd_date(x)), int(n), int(e), int(r))
            for x, n, e, r in zip(c["cohort"], c["period_n"], c["entities"], c["retained"], strict=True)
        )

    return run


def pd_date(value: Any) -> date:
    import pandas as pd

    return pd.Timestamp(value).date()


DUCKDB_SQL = """
WITH ev AS (SELECT user_id, event_time AS t, event_name FROM read_parquet('{path}')),
entry AS (
    SELECT user_id, min(t) AS t0 FROM ev WHERE event_name = 'view_item' GROUP BY user_id
),
cohort AS (
    SELECT user_id, t0, date_trunc('day', t0) AS day FROM entry
    WHERE t0 >= TIMESTAMP '{first}' AND t0 < TIMESTAMP '{after}'
),
sizes AS (SELECT day, count(*) AS entities FROM cohort GROUP BY day),
returns AS (
    SELECT DISTINCT c.day, c.user_id, date_diff('day', c.day, date_trunc('day', e.t)) AS n
    FROM cohort c JOIN ev e ON e.user_id = c.user_id AND e.t >= c.t0
    WHERE e.t < c.day + INTERVAL {horizon} DAY
),
observed AS (SELECT date_trunc('day', max(t)) + INTERVAL 1 DAY AS until FROM ev)
SELECT s.day, g.n, s.entities, count(r.user_id) AS retained
FROM sizes s CROSS JOIN range(0, {periods} + 1) g(n)
LEFT JOIN returns r ON r.day = s.day AND r.n = g.n
WHERE s.day + to_days(CAST(g.n + 1 AS INTEGER)) <= (SELECT until FROM observed)
GROUP BY ALL
"""


def setup_duckdb(data: Path, project_dir: Path) -> Callable[[], Cells]:
    import duckdb

    con = duckdb.connect()
    sql = DUCKDB_SQL.format(
        path=data, first=FIRST, after=LAST + timedelta(days=1), horizon=PERIODS + 1, periods=PERIODS
    )

    def run() -> Cells:
        return sorted((str(pd_date(d)), int(n), int(e), int(r)) for d, n, e, r in con.execute(sql).fetchall())

    return run


SETUPS: dict[str, Callable[[Path, Path], Callable[[], Cells]]] = {
    "northstar": setup_northstar,
    "duckdb": setup_duckdb,
}


def worker(approach: str, data: Path, project_dir: Path, repeats: int, out: Path) -> None:
    import duckdb  # noqa: F401  the heavy imports every approach pays for are not timed
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    rss_start = peak_rss_mb()
    run = SETUPS[approach](data, project_dir)
    t0 = time.perf_counter()
    cells = run()
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cells = run()
        times.append(time.perf_counter() - t0)
    out.write_text(json.dumps(cells))
    print(
        json.dumps(
            {
                "first_s": first_s,
                "times": sorted(times),
                "rss_start_mb": rss_start,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--events", default="10M")
    ap.add_argument("--quick", action="store_true", help="1M events, 1 timed run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--project", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, Path(args.data), Path(args.project), args.repeats, Path(args.out))
        return 0
    if args.quick:
        args.events, args.repeats = "1M", 1
    n = parse_count(args.events)
    data = datasets(n)["sorted"]
    print(machine())
    print(
        f"{label(n)} events from {START:%Y-%m-%d}, daily cohorts {FIRST} … {LAST} by first view_item, days 0 … {PERIODS}\n"
    )
    load_before = os.getloadavg()
    reports: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="northstar-retention-bench-") as tmp:
        project_dir = write_project(data, Path(tmp) / "project")
        for approach in APPROACHES:
            out = Path(tmp) / f"{approach}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", approach, "--data", str(data)]
            cmd += ["--project", str(project_dir), "--repeats", str(args.repeats), "--out", str(out)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"  {approach}: failed ({(proc.stderr.strip().splitlines() or ['?'])[-1]})")
                return 1
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["cells"] = json.loads(out.read_text())
            reports[approach] = r
            print(
                f"  {approach:<10} first {r['first_s']:.3f} s, median {median(r['times']):.3f} s, peak RSS {r['peak_rss_mb']:.0f} MB"
            )
    load_after = os.getloadavg()
    print(
        f"\nload average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} CPUs"
    )
    same = reports["northstar"]["cells"] == reports["duckdb"]["cells"]
    cells = reports["northstar"]["cells"]
    print(
        f"check: {len(cells)} complete cells, {'identical' if same else 'DIFFER'} (cohort size and retained)"
    )
    ref = median(reports["duckdb"]["times"])
    print("\n| approach | first run s | median s | × hand-written SQL | peak RSS MB | RSS over imports MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for approach, r in reports.items():
        med = median(r["times"])
        print(
            f"| {approach} | {r['first_s']:.3f} | {med:.3f} | {med / ref:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['peak_rss_mb'] - r['rss_start_mb']:.0f} |"
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
