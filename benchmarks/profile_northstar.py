"""Where Northstar's time goes on the core benchmark query (see core_kpis.py).

    python benchmarks/profile_northstar.py --events 1M [--repeats 5] [--pyinstrument]

Wraps (in this process only; nothing in src/ changes) the steps of ``Project.query``: building
the Ibis expressions, compiling them to SQL, running the SQL in DuckDB, turning results into
pandas, and the pandas merging/derivation afterwards. Then it runs the very SQL Northstar
generated directly on DuckDB, for the engine-only floor, and, for comparison, the hand-written
SQL of core_kpis.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import core_kpis as ck

TIMES: dict[str, list[float]] = defaultdict(list)


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[name].append(time.perf_counter() - t0)

    return wrapper


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", default="1M")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pyinstrument", action="store_true", help="also print a pyinstrument call tree")
    args = ap.parse_args()

    import northstar.analysis.metrics as am
    from northstar import Project

    data = ck.dataset(ck.parse_count(args.events))
    folder = Path(tempfile.mkdtemp(prefix="northstar-prof-"))
    ck.write_project(data, folder)
    project = Project.load(folder)
    engine = project.engine
    start, end = ck.LO.date(), (ck.HI - timedelta(days=1)).date()

    def query() -> Any:
        return project.query(ck.METRICS, by=["channel"], grain="day", start=start, end=end)

    query()  # warm-up: registers the source, caches max(time)

    # What SQL does one query run, and where does execute() spend its time?
    sqls: list[str] = []
    backend = engine.backend
    orig_compile = backend.compile
    orig_relation = backend._to_duckdb_relation

    def compile_(expr: Any, *a: Any, **kw: Any) -> Any:
        sql = timed("  Ibis: compile expression to SQL", orig_compile)(expr, *a, **kw)
        sqls.append(sql)
        return sql

    class Relation:
        def __init__(self, rel: Any) -> None:
            self.rel = rel

        def to_arrow_table(self) -> Any:
            return timed("  DuckDB: run SQL, fetch Arrow", self.rel.to_arrow_table)()

    def relation(expr: Any, **kw: Any) -> Any:
        return Relation(timed("  Ibis: expr → DuckDB relation (incl. compile)", orig_relation)(expr, **kw))

    backend.compile = compile_
    backend._to_duckdb_relation = relation
    engine.execute = timed("engine.execute (all of it)", engine.execute)  # type: ignore[method-assign]
    # the module layout moves while src/ is being written: wrap whatever is there
    for name in ("plan_query", "scan", "repeat_rate"):
        if hasattr(am, name):
            setattr(am, name, timed(f"build Ibis exprs: plan.{name}", getattr(am, name)))
    for name in ("_normalise", "_merge", "_complete", "_incomplete_notes", "_compute"):
        if hasattr(am, name):
            setattr(am, name, timed(f"analysis.{name}", getattr(am, name)))

    totals = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        query()
        totals.append(time.perf_counter() - t0)
    n_queries = len(sqls) // args.repeats
    print(
        f"{ck.label(ck.parse_count(args.events))} events; {args.repeats} queries; median total "
        f"{statistics.median(totals):.3f} s; {n_queries} SQL statements per query\n"
    )
    print(f"{'step':<58} {'calls/query':>11} {'s/query (median)':>17}")
    for name, ts in TIMES.items():
        per = len(ts) // args.repeats
        chunks = [sum(ts[i * per : (i + 1) * per]) for i in range(args.repeats)] if per else [0.0]
        print(f"{name:<58} {per:>11} {statistics.median(chunks):>17.3f}")

    # The same SQL straight on DuckDB (engine-only floor), fetched as Arrow
    con = backend.con
    orig_raw = con.execute
    print("\nNorthstar's SQL run directly on DuckDB (fetch as pandas):")
    floor = 0.0
    for i, sql in enumerate(sqls[:n_queries]):
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            orig_raw(sql).df()
            runs.append(time.perf_counter() - t0)
        floor += statistics.median(runs)
        print(f"  statement {i + 1}: {statistics.median(runs):.3f} s  ({sql.splitlines()[0][:60]} …)")
    print(f"  sum: {floor:.3f} s")
    ahead = ck._ts(ck.HI + timedelta(days=ck.WITHIN_DAYS))
    hand = ck.DUCKDB_SQL.format(
        path=data, lo=ck._ts(ck.LO), hi=ck._ts(ck.HI), hi_ahead=ahead, within=ck.WITHIN_DAYS
    )
    for label, sql in (("hand-written DuckDB SQL (both parts)", hand),):
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            orig_raw(sql).df()
            runs.append(time.perf_counter() - t0)
        print(f"{label}: {statistics.median(runs):.3f} s")
    Path(folder / "northstar_sql.txt").write_text("\n;\n".join(sqls[:n_queries]))
    print(f"\nSQL written to {folder / 'northstar_sql.txt'}")

    if args.pyinstrument:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.001)
        prof.start()
        for _ in range(args.repeats):
            query()
        prof.stop()
        print(prof.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
