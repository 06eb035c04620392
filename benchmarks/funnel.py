"""The 5-step ordered funnel with a 7-day window: Northstar vs ClickHouse's windowFunnel and DuckDB SQL.

    python benchmarks/funnel.py --quick                 # 1M events, 1 timed run: a smoke test
    python benchmarks/funnel.py --events 10M            # sorted and shuffled rows, 3 timed runs
    python benchmarks/funnel.py --events 10M --only northstar,chdb --layouts sorted

Steps:

1. generate (fixed seed, vectorised NumPy, users in chunks, so 100M fits in ≈ 4 GB) N events
   over 30 days and write two Parquet copies, cached in ``benchmarks/.data/`` (git-ignored): rows
   sorted by (user_id, event_time), and the same rows shuffled (an out-of-core DuckDB sort);
2. run each approach on each copy in its own fresh subprocess: import, set up, one warm-up run,
   then ``--repeats`` timed runs; the child reports its timings and its own peak RSS (``VmHWM``);
3. check that every approach gives the same number of users at each step (the script stops
   with an error when they differ: a benchmark comparing different work is worthless);
4. print a table per layout: median seconds, × windowFunnel, peak RSS.

Every approach answers the same question: per user, the last step of the best attempt, then the
number of users who reached each step. See README.md for how the data are made so that
windowFunnel's rules and Northstar's give the same counts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from core_kpis import DATA_DIR, label, machine, median, parse_count, peak_rss_mb  # noqa: E402

SEED = 20260301
DATA_VERSION = 2  # bump when generate() changes (v1: all rows in memory, pyarrow shuffle)
USERS_PER_CHUNK = 250_000  # part of the data's definition: another value gives other rows
ROW_GROUP = 1_000_000
START = datetime(2026, 3, 1)
DAYS = 30
FIRST_DAY, LAST_DAY = START.date(), (START + timedelta(days=DAYS - 1)).date()
WINDOW_DAYS = 7

STEPS = ["view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase"]
# P(next step | this step) in one journey: 40 % of item views reach the cart, …
CONTINUE = [0.40, 0.55, 0.70, 0.75]
OTHER = ["app_open", "page_view", "search", "login", "share"]
OTHER_P = [0.25, 0.40, 0.20, 0.10, 0.05]
FUNNEL_SHARE = 0.40  # of all events, the ones written by funnel journeys
PLATFORMS = ["ios", "android", "web"]

APPROACHES = ["chdb", "duckdb", "northstar", "northstar_portable"]
LAYOUTS = ["sorted", "shuffled"]


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
def generate(n: int, sorted_path: Path, shuffled_path: Path, memory_limit: str = "3GB") -> None:
    """N events of ~N/12 users over DAYS days, in whole seconds (windowFunnel's resolution).

    Out of core: the users are taken USERS_PER_CHUNK at a time, each chunk's rows are sorted by
    (user_id, event_time) and appended to a temporary Parquet file as row groups of ROW_GROUP
    rows, so memory depends on the chunk, not on N. Only per-user and per-journey numbers (≈ 20
    bytes per user and per journey) are drawn up front: peak RSS 0.9 GB at 100M. DuckDB then
    writes the sorted copy (rows in stored order) and the shuffled one (hash order), with
    ``memory_limit`` and spilling to a temporary folder next to the files: peak RSS 3.7 GB at
    100M with 3GB. The same N, SEED and USERS_PER_CHUNK give the same files, byte for byte."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    n_users = max(n // 12, 1)
    weights = rng.lognormal(0.0, 1.0, n_users)  # heterogeneous activity
    share = weights / weights.sum()
    del weights
    platform = rng.integers(0, len(PLATFORMS), n_users).astype(np.int8)
    # funnel journeys: step 1, then each next step with probability CONTINUE[k]
    expected_per_journey = 1 + sum(np.cumprod(CONTINUE))
    n_journeys = max(int(n * FUNNEL_SHARE / expected_per_journey), 1)
    depth = np.ones(n_journeys, dtype=np.int8)
    alive = np.ones(n_journeys, dtype=bool)
    for p in CONTINUE:
        alive &= rng.random(n_journeys) < p
        depth += alive
    del alive
    n_other = max(n - int(depth.sum(dtype=np.int64)), 0)
    # journeys and other events per user, in proportion to the user's activity (journeys are
    # independent of their user, so handing them out in order changes nothing)
    journeys_of = rng.multinomial(n_journeys, share)
    others_of = rng.multinomial(n_other, share)
    del share
    journey_at = np.concatenate([[0], np.cumsum(journeys_of)])
    epoch_s = int((START - datetime(1970, 1, 1)).total_seconds())
    names = pa.array(STEPS + OTHER)
    platforms = pa.array(PLATFORMS)
    span = DAYS * 86_400

    def chunk(u0: int, u1: int) -> pa.Table:
        """The rows of users u0 … u1-1, sorted by (user_id, event_time)."""
        users = np.arange(u0, u1, dtype=np.int64)
        n_j = int(journey_at[u1] - journey_at[u0])
        d = depth[journey_at[u0] : journey_at[u1]]
        j_user = np.repeat(users, journeys_of[u0:u1])
        # gaps of minutes, sometimes days (past the 7-day window now and then), sometimes 0 s
        # (a tie with the step before)
        t = rng.integers(0, span, n_j)
        parts_t, parts_u, parts_k = [], [], []
        for k in range(len(STEPS)):
            on = d > k
            if k:
                gap = np.where(
                    rng.random(n_j) < 0.12,
                    rng.exponential(3.0 * 86_400, n_j),  # days later
                    rng.exponential(900.0, n_j),  # minutes later
                ).astype(np.int64)
                gap[rng.random(n_j) < 0.02] = 0
                t = t + gap
            parts_t.append(t[on])
            parts_u.append(j_user[on])
            parts_k.append(np.full(int(on.sum()), k, dtype=np.int8))
        # other events: at random times of the same users
        n_o = int(others_of[u0:u1].sum())
        parts_t.append(rng.integers(0, span, n_o))
        parts_u.append(np.repeat(users, others_of[u0:u1]))
        parts_k.append((len(STEPS) + rng.choice(len(OTHER), n_o, p=OTHER_P)).astype(np.int8))
        secs = np.concatenate(parts_t) % span  # journeys past the last day wrap round
        user = np.concatenate(parts_u)
        kind = np.concatenate(parts_k)
        order = np.lexsort((secs, user))  # stable: a tied step stays after the step before
        secs, user, kind = secs[order], user[order], kind[order]
        return pa.table(
            {
                "event_time": pa.array((secs + epoch_s) * 1_000_000, type=pa.timestamp("us")),
                "user_id": pa.array(user),
                "event_name": pa.DictionaryArray.from_arrays(pa.array(kind.astype(np.int32)), names).cast(
                    pa.string()
                ),
                "platform": pa.DictionaryArray.from_arrays(
                    pa.array(platform[user].astype(np.int32)), platforms
                ).cast(pa.string()),
            }
        )

    chunks = sorted_path.with_suffix(".chunks.tmp")
    writer: pq.ParquetWriter | None = None
    pending: list[pa.Table] = []  # rows not yet written: full row groups go out as they fill
    try:
        for u0 in range(0, n_users, USERS_PER_CHUNK):
            part = chunk(u0, min(u0 + USERS_PER_CHUNK, n_users))
            if writer is None:
                writer = pq.ParquetWriter(chunks, part.schema, compression="snappy")
            pending.append(part)
            rows = sum(len(x) for x in pending)
            if rows >= ROW_GROUP:
                whole = pa.concat_tables(pending)
                full = rows // ROW_GROUP * ROW_GROUP
                writer.write_table(whole.slice(0, full), row_group_size=ROW_GROUP)
                pending = [whole.slice(full)]
        rest = pa.concat_tables(pending) if pending else None
        if writer is not None and rest is not None and len(rest):
            writer.write_table(rest, row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()
    # Both copies are written by DuckDB, so that they differ in row order only: the Parquet
    # writer matters to windowFunnel (at 100M, sorted rows: 12.8 s from pyarrow's file, 7.6 s
    # from DuckDB's; DuckDB SQL and Northstar within noise)
    try:
        rewrite(chunks, sorted_path, None, memory_limit)
    finally:
        chunks.unlink(missing_ok=True)
    cols = "user_id, event_time, event_name, platform"
    rewrite(sorted_path, shuffled_path, f"hash({cols}, {SEED}), {cols}", memory_limit)


def rewrite(src: Path, dst: Path, order_by: str | None, memory_limit: str) -> None:
    """``dst``: the rows of ``src`` written by DuckDB, in stored order or ``ORDER BY order_by``
    (for the shuffled copy: a hash of every column and SEED, ties broken by the columns, an
    order that depends only on the rows), sorted out of core with a memory limit."""
    import duckdb

    spill = Path(tempfile.mkdtemp(prefix="spill-", dir=dst.parent))
    tmp = dst.with_suffix(".tmp")
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        order = f" ORDER BY {order_by}" if order_by else ""
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{src}'){order}) "
            f"TO '{tmp}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {ROW_GROUP})"
        )
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    os.replace(tmp, dst)


def datasets(n: int, memory_limit: str = "3GB") -> dict[str, Path]:
    """The two copies of N events, generated in a child process (which reports its peak RSS)
    unless cached."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    paths = {
        layout: DATA_DIR / f"funnel_{label(n)}_{layout}_seed{SEED}_v{DATA_VERSION}.parquet"
        for layout in LAYOUTS
    }
    if not all(p.exists() for p in paths.values()):
        t0 = time.perf_counter()
        print(f"generating {label(n)} funnel events ({mem_available_gb():.1f} GB available) …", flush=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--generate", str(n)]
        proc = subprocess.run([*cmd, "--shuffle-memory", memory_limit], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"generating failed:\n{proc.stderr}")
        peak = json.loads(proc.stdout.strip().splitlines()[-1])["peak_rss_mb"]
        sizes = ", ".join(f"{k} {p.stat().st_size / 2**20:.0f} MiB" for k, p in paths.items())
        print(f"  {time.perf_counter() - t0:.1f} s, peak RSS {peak:.0f} MB; {sizes}", flush=True)
    return paths


def mem_available_gb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return math.inf


def rss_gb(pid: int) -> float:
    """The current resident set size of process ``pid`` (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def run_watched(cmd: list[str], max_rss_gb: float, timeout_s: float) -> tuple[int, str, str, str]:
    """Run ``cmd``, killing it when its RSS passes ``max_rss_gb`` or it runs past ``timeout_s``:
    (return code, stdout, stderr, why it was killed or "")."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        t0, why, top = time.monotonic(), "", 0.0
        while proc.poll() is None:
            top = max(top, rss_gb(proc.pid))
            if top > max_rss_gb:
                why = f"aborted: RSS {top:.2f} GB > {max_rss_gb:.2f} GB"
            elif time.monotonic() - t0 > timeout_s:
                why = f"aborted: still running after {timeout_s:.0f} s"
            if why:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), why


def write_project(data: Path, folder: Path) -> Path:
    import yaml

    spec = {
        "project": {"name": "Northstar funnel benchmark", "timezone": "UTC"},
        "sources": {
            "events": {
                "path": str(data),
                "format": "parquet",
                "time": "event_time",
                "entity": "user_id",
                "timezone": "UTC",
            }
        },
        "dimensions": {"platform": {}},
        "metrics": {"events": {"type": "count", "source": "events"}},
        "north_star": "events",
        "funnels": {"checkout": {"source": "events", "within": f"{WINDOW_DAYS}d", "steps": STEPS}},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


# ---------------------------------------------------------------------------------------------
# The approaches: each ``setup_<name>(data, project_dir)`` returns a no-argument function whose
# result is the list of users who reached step 1, 2, … 5.
# ---------------------------------------------------------------------------------------------
def _ts(t: datetime) -> str:
    return f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}'"


CHDB_SQL = """
SELECT level, count() AS users
FROM (
    SELECT user_id, windowFunnel({window})(toDateTime(event_time), {conds}) AS level
    FROM file('{path}', Parquet)
    WHERE event_name IN ({names})
    GROUP BY user_id
)
WHERE level > 0
GROUP BY level
SETTINGS session_timezone = 'UTC'
"""


def _reached(levels: dict[int, int]) -> list[int]:
    """Users per last step reached → users who reached each step."""
    return [sum(c for lvl, c in levels.items() if lvl >= k) for k in range(1, len(STEPS) + 1)]


def setup_chdb(data: Path, project_dir: Path) -> Callable[[], list[int]]:
    import chdb

    sql = CHDB_SQL.format(
        window=WINDOW_DAYS * 86_400,
        conds=", ".join(f"event_name = '{s}'" for s in STEPS),
        names=", ".join(f"'{s}'" for s in STEPS),
        path=data,
    )

    def run() -> list[int]:
        df = chdb.query(sql, "DataFrame")
        return _reached({int(lvl): int(c) for lvl, c in zip(df["level"], df["users"], strict=True)})

    return run


def duckdb_sql(path: Path) -> str:
    """The natural SQL: one join per step from every attempt (a step-1 row) to the earliest next
    step in the window, then each user's highest step."""
    hi = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time())
    parts = [
        f"ev AS (SELECT user_id, event_time AS t, event_name FROM read_parquet('{path}') "
        f"WHERE event_time >= {_ts(START)} AND event_time < {_ts(hi + timedelta(days=WINDOW_DAYS))}"
        f" AND event_name IN ({', '.join(repr(s) for s in STEPS)}))",
        f"s1 AS (SELECT DISTINCT user_id, t AS s, t FROM ev WHERE event_name = '{STEPS[0]}' AND t < {_ts(hi)})",
    ]
    for k, step in enumerate(STEPS[1:], 2):
        parts.append(
            f"s{k} AS (SELECT a.user_id, a.s, min(e.t) AS t FROM s{k - 1} a JOIN ev e "
            f"ON e.user_id = a.user_id AND e.event_name = '{step}' AND e.t >= a.t "
            f"AND e.t <= a.s + INTERVAL {WINDOW_DAYS} DAY GROUP BY a.user_id, a.s)"
        )
    levels = " UNION ALL ".join(f"SELECT user_id, {k} AS level FROM s{k}" for k in range(1, len(STEPS) + 1))
    return (
        "WITH "
        + ",\n".join(parts)
        + f"\nSELECT level, count(*) AS users FROM (SELECT user_id, max(level) AS level FROM ({levels}) "
        "GROUP BY user_id) GROUP BY level"
    )


def setup_duckdb(data: Path, project_dir: Path) -> Callable[[], list[int]]:
    import duckdb

    con = duckdb.connect()
    sql = duckdb_sql(data)

    def run() -> list[int]:
        return _reached({int(lvl): int(c) for lvl, c in con.execute(sql).fetchall()})

    return run


def setup_northstar(data: Path, project_dir: Path) -> Callable[[], list[int]]:
    """``Project.funnel`` as users call it: on DuckDB a plain ordered funnel takes the fast path
    (``analysis/funnel_fast.py``)."""
    from northstar import Project
    from northstar.analysis.funnels import fast_path_applies, funnel_spec

    project = Project.load(project_dir)
    if not fast_path_applies(project.engine, funnel_spec(project, "checkout")):
        raise SystemExit("the fast path does not apply (is NORTHSTAR_PORTABLE_FUNNEL=1 set?)")

    def run() -> list[int]:
        result = project.funnel("checkout", start=FIRST_DAY, end=LAST_DAY)
        return [int(x) for x in result.steps["entities"]]

    return run


def setup_northstar_portable(data: Path, project_dir: Path) -> Callable[[], list[int]]:
    """The same call on the portable path (``funnel_expr``: one Ibis join per step), which also
    runs on Spark."""
    os.environ["NORTHSTAR_PORTABLE_FUNNEL"] = "1"
    from northstar import Project

    project = Project.load(project_dir)

    def run() -> list[int]:
        result = project.funnel("checkout", start=FIRST_DAY, end=LAST_DAY)
        return [int(x) for x in result.steps["entities"]]

    return run


SETUPS: dict[str, Callable[[Path, Path], Callable[[], list[int]]]] = {
    "chdb": setup_chdb,
    "duckdb": setup_duckdb,
    "northstar": setup_northstar,
    "northstar_portable": setup_northstar_portable,
}


def worker(approach: str, data: Path, project_dir: Path, repeats: int, slow_s: float) -> None:
    """Runs in a fresh child process; prints one JSON line with its timings and peak RSS. After a
    run (the warm-up included) longer than ``slow_s``, one more timed run at most."""
    import duckdb  # noqa: F401  the heavy imports every approach pays for are not timed
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    rss_start = peak_rss_mb()
    run = SETUPS[approach](data, project_dir)
    t0 = time.perf_counter()
    result = run()
    first_s = time.perf_counter() - t0
    times: list[float] = []
    for _ in range(repeats):
        if times and max(first_s, *times) > slow_s:
            break
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    out = {"approach": approach, "first_s": first_s, "times": sorted(times), "reached": result}
    print(json.dumps({**out, "rss_start_mb": rss_start, "peak_rss_mb": peak_rss_mb()}))


# ---------------------------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--events", default="10M", help="number of events: 1M, 10M, 100M, … (default 10M)")
    ap.add_argument(
        "--quick", action="store_true", help="1M events and 1 timed run (unless --repeats): a smoke test"
    )
    ap.add_argument("--repeats", type=int, help="timed runs after a warm-up (default 3)")
    ap.add_argument(
        "--only", default=",".join(APPROACHES), help=f"approaches (default {','.join(APPROACHES)})"
    )
    ap.add_argument("--layouts", default=",".join(LAYOUTS), help="sorted, shuffled or both (default both)")
    ap.add_argument(
        "--slow",
        type=float,
        default=60.0,
        help="after a run longer than this many seconds, one more timed run at most (default 60)",
    )
    ap.add_argument(
        "--max-rss-gb",
        type=float,
        default=11.0,
        help="abort an approach whose RSS passes this, or MemAvailable - 2 GB if less (default 11)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="abort an approach after this many seconds (default 1800)",
    )
    ap.add_argument(
        "--shuffle-memory", default="3GB", help="DuckDB memory_limit for the shuffled copy (default 3GB)"
    )
    ap.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--project", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, Path(args.data), Path(args.project), args.repeats, args.slow)
        return 0
    if args.generate:
        paths = {
            layout: DATA_DIR / f"funnel_{label(args.generate)}_{layout}_seed{SEED}_v{DATA_VERSION}.parquet"
            for layout in LAYOUTS
        }
        generate(args.generate, paths["sorted"], paths["shuffled"], args.shuffle_memory)
        print(json.dumps({"peak_rss_mb": peak_rss_mb()}))
        return 0

    if args.quick:
        args.events, args.repeats = "1M", args.repeats or 1
    args.repeats = args.repeats or 3
    only = [a.strip() for a in args.only.split(",") if a.strip()]
    layouts = [x.strip() for x in args.layouts.split(",") if x.strip()]
    bad = [a for a in only if a not in APPROACHES] + [x for x in layouts if x not in LAYOUTS]
    if bad:
        ap.error(
            f"unknown: {', '.join(bad)}; approaches {', '.join(APPROACHES)}; layouts {', '.join(LAYOUTS)}"
        )
    n = parse_count(args.events)
    paths = datasets(n, args.shuffle_memory)
    print(machine())
    print(
        f"{label(n)} events, {DAYS} days, funnel {' → '.join(STEPS)} within {WINDOW_DAYS} days; "
        f"{args.repeats} timed runs after 1 warm-up (1 after a run over {args.slow:.0f} s), "
        "each approach in a fresh process\n",
        flush=True,
    )
    load_before = os.getloadavg()
    reports: dict[tuple[str, str], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="northstar-funnel-bench-") as tmp:
        for layout in layouts:
            project_dir = write_project(paths[layout], Path(tmp) / layout)
            for approach in only:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", approach]
                cmd += [
                    "--data",
                    str(paths[layout]),
                    "--project",
                    str(project_dir),
                    "--repeats",
                    str(args.repeats),
                ]
                cmd += ["--slow", str(args.slow)]
                avail = mem_available_gb()
                limit = min(args.max_rss_gb, avail - 2.0)
                code, stdout, stderr, why = run_watched(cmd, limit, args.timeout)
                if why or code != 0:
                    tail = why or (stderr.strip().splitlines()[-1:] or ["?"])[0]
                    print(
                        f"  {layout:<8} {approach:<18} failed ({tail}; {avail:.1f} GB available at start)",
                        flush=True,
                    )
                    continue
                r = json.loads(stdout.strip().splitlines()[-1])
                reports[(layout, approach)] = r
                print(
                    f"  {layout:<8} {approach:<18} first {r['first_s']:.3f} s, median {median(r['times']):.3f} s "
                    f"of {len(r['times'])}, peak RSS {r['peak_rss_mb']:.0f} MB ({avail:.1f} GB available at "
                    f"start), users per step {r['reached']}",
                    flush=True,
                )
    load_after = os.getloadavg()
    print(
        f"\nload average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} CPUs"
    )

    answers = {tuple(r["reached"]) for r in reports.values()}
    print(f"check: users per step {'identical' if len(answers) == 1 else 'DIFFER'} across all runs")
    for layout in layouts:
        rows = {a: r for (lay, a), r in reports.items() if lay == layout}
        if not rows:
            continue
        ref = median(rows["chdb"]["times"]) if "chdb" in rows else math.nan
        print(f"\n{layout} rows:\n")
        print(
            "| approach | first run s | median s | min s | timed runs | × windowFunnel | peak RSS MB "
            "| RSS over imports MB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for approach, r in sorted(rows.items(), key=lambda kv: median(kv[1]["times"])):
            med = median(r["times"])
            print(
                f"| {approach} | {r['first_s']:.3f} | {med:.3f} | {min(r['times']):.3f} | {len(r['times'])} "
                f"| {med / ref:.2f} | "
                f"{r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] - r['rss_start_mb']:.0f} |"
            )
        if "northstar" in rows and "chdb" in rows:
            fast, ch = rows["northstar"], rows["chdb"]
            ratio = median(fast["times"]) / ref
            ok = ratio <= 0.5 and fast["peak_rss_mb"] <= ch["peak_rss_mb"]
            verdict = (  # 1M events take a few tens of milliseconds: too few to judge the goal by
                "a smoke test: no verdict under 10M events"
                if n < 10_000_000
                else f"goal ≤ 0.5× at no more memory: {'met' if ok else 'NOT met'}"
            )
            print(
                f"\nNorthstar fast path: {ratio:.2f}× windowFunnel's time, {fast['peak_rss_mb']:.0f} MB vs "
                f"{ch['peak_rss_mb']:.0f} MB peak ({verdict})"
            )
    if len(answers) > 1:
        print("\nERROR: the approaches disagree; the timings compare different work")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
