"""DAU/WAU/MAU on the benchmark events: two ways to count distinct entities in rolling windows.

- ``spans`` (what Northstar runs, ``northstar.analysis.activity.rolling_expr``): one row per
  entity and active day with the previous active day (``lag``); each day adds a span of window
  days the previous one did not cover; a running sum of +1/−1 per day counts the spans.
- ``expand``: every (entity, active day) row is copied to the W days whose window it falls in
  (a join with the offsets 0 … W−1), then distinct (entity, day) pairs are counted per day.

Both run through Ibis on DuckDB over the same Parquet file as ``core_kpis.py``, for the 120 days,
windows 1, 7 and 30; the script checks that they agree and prints the median time of each.

    .venv/bin/python benchmarks/active_users.py --events 10M --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core_kpis import dataset, parse_count, write_project

from northstar.analysis.activity import (
    activity_rows,
    activity_spec,
    carry_forward,
    period_number,
    period_of,
    rolling_expr,
)
from northstar.compile.request import range_bounds
from northstar.project import Project

WINDOWS = (1, 7, 30)
FIRST, LAST = pd.Timestamp("2026-01-01").date(), pd.Timestamp("2026-04-30").date()


def expand_expr(rows: Any, w: int) -> Any:
    days = rows.select(e=rows.e, a=period_number(rows.t, "day")).distinct()
    offsets = ibis.memtable({"k": np.arange(w, dtype="int64")})
    covered = days.cross_join(offsets).select(e="e", d=days.a + offsets.k).distinct()
    return covered.group_by("d").aggregate(n=covered.count())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", default="1M")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = dataset(parse_count(args.events))
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.load(write_project(data, Path(tmp)))
        engine = project.engine
        spec = activity_spec(project, "events")
        lo, hi = range_bounds(FIRST, LAST)
        rows = activity_rows(project, engine, "events", spec, lo, hi)
        d0, d1 = period_of(FIRST, "day"), period_of(LAST, "day")

        def spans() -> dict[int, list[int]]:
            frame = engine.execute(rolling_expr(rows, WINDOWS))
            return {w: carry_forward(frame, w, d0, d1).tolist() for w in WINDOWS}

        def expand() -> dict[int, list[int]]:
            out = {}
            for w in WINDOWS:
                frame = engine.execute(expand_expr(rows, w)).set_index("d")["n"]
                out[w] = [int(frame.get(d, 0)) for d in range(d0, d1 + 1)]
            return out

        results = {}
        for name, run in (("spans", spans), ("expand", expand)):
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                results[name] = run()
                times.append(time.perf_counter() - t0)
            runs = ", ".join(f"{t:.2f}" for t in times)
            print(f"{name:7s} median {statistics.median(times):6.2f} s  (runs: {runs})")
        assert results["spans"] == results["expand"], "the two approaches disagree"
        mau = results["spans"][30]
        print(f"agree; DAU on the last day {results['spans'][1][-1]:,}, MAU {mau[-1]:,}")


if __name__ == "__main__":
    main()
