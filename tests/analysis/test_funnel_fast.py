"""The DuckDB fast path of the ordered funnel against the portable ``funnel_expr`` and against a
brute-force pandas oracle written here, on random data with equal timestamps, repeated step
events, rows out of order (the file is shuffled), rows matching two steps, null breakdowns,
windows crossing the range end and entry periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northstar.analysis import funnel_fast, funnel_kernel
from northstar.analysis.funnel_fast import (
    StepRows,
    ordered_funnel_fast,
    plain_events,
    same_as_previous,
    step_rows,
)
from northstar.analysis.funnels import _by_column, _step_condition, funnel_expr, funnel_spec
from northstar.compile.request import range_bounds
from northstar.errors import UnsupportedOnEngine
from northstar.project import Project
from northstar.spec.models import parse_duration_days

ORIGIN = pd.Timestamp("2026-05-01")

# Step definitions: an event, or an event and a filter ("b@web": event b on the web channel,
# so a row of b on web matches both "b" and "b@web").
FUNNELS = [
    ["a", "b", "c"],
    ["a", "b"],
    ["b", "a", "x", "c"],
    ["a", "a", "b"],
    ["a", "b", "b@web"],
    ["a", "b", "b", "c"],
]


def _step(name: str) -> dict[str, str]:
    event, _, channel = name.partition("@")
    return {"event": event, "filter": f"channel = '{channel}'"} if channel else {"event": event}


def _matches(df: pd.DataFrame, name: str) -> pd.Series:
    event, _, channel = name.partition("@")
    hit = df["event"] == event
    return hit & (df["channel"] == channel) if channel else hit


def _truncate(ts: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "day":
        return ts.normalize()
    if grain == "week":
        return ts.normalize() - pd.Timedelta(days=ts.weekday())
    return pd.Timestamp(ts.year, ts.month, 1)


def _order_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Breakdown values compared as DuckDB sorts them: ascending, nulls last."""
    return tuple((v is None, "" if v is None else v) for v in values)


def oracle(
    df: pd.DataFrame,
    steps: list[str],
    within: pd.Timedelta,
    start: date,
    end: date,
    by: list[str],
    grain: str | None = None,
    attribution: str = "first",
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Per entity [and entry period]: the best attempt, by brute force over every step-1 row.
    ``ts`` is UTC: it orders rows and measures windows; the wall-clock time in ``timezone``
    places rows in the date range and entry periods."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    df = df.assign(local=df["ts"].dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None))
    df = df[df["user"].notna() & (df["local"] >= lo) & (df["local"] < hi + within + pd.Timedelta(days=1))]
    df = df.astype(object).where(df.notna(), None)
    best: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for entity, g in df.groupby("user"):
        for _, row in g[_matches(g, steps[0]) & (g["local"] < hi)].iterrows():
            s = t = row["ts"]
            reached = [s]
            for k in range(1, len(steps)):
                later = g["ts"] > t if steps[k] == steps[k - 1] else g["ts"] >= t
                cand = g[_matches(g, steps[k]) & later & (g["ts"] <= s + within)]
                if cand.empty:
                    break
                t = cand["ts"].min()
                reached.append(t)
            if attribution == "first":
                values = tuple(row[c] for c in by)
            else:  # per column, the smallest value among rows of any step at the last step's time
                any_step = np.logical_or.reduce([_matches(g, x) for x in steps])
                at = g[any_step & (g["ts"] == t)]
                values = tuple(min((v for v in at[c] if v is not None), default=None) for c in by)
            key = (entity,) if grain is None else (entity, _truncate(row["local"], grain))
            rank = (-len(reached), s, _order_key(tuple(row[c] for c in by)))
            if key not in best or rank < best[key][0]:
                best[key] = (rank, len(reached), row["local"], reached, values)
    out = []
    for key, (rank, level, entered, reached, values) in best.items():
        s = rank[1]
        rec: dict[str, Any] = {"e": key[0], "level": level, "seconds": (reached[-1] - s).total_seconds()}
        rec["entered"] = entered
        for k in range(2, len(steps) + 1):
            rec[f"reach_{k}"] = (reached[k - 1] - s).total_seconds() if k <= level else np.nan
        if grain is not None:
            rec["period"] = key[1]
        rec.update({f"b{i}": v for i, v in enumerate(values)})
        out.append(rec)
    cols = ["e", "level", "seconds", "entered", *[f"reach_{k}" for k in range(2, len(steps) + 1)]]
    cols += ["period"] if grain else []
    cols += [f"b{i}" for i in range(len(by))]
    return pd.DataFrame(out, columns=cols)


def _project(
    tmp: Path,
    df: pd.DataFrame,
    steps: list[str],
    within: str,
    attribution: str = "first",
    timezone: str = "UTC",
    unit: str = "us",
    shuffle: bool = True,
) -> Project:
    shuffled = df.sample(frac=1.0, random_state=1) if shuffle else df  # rows out of order on purpose
    schema = pa.schema(
        [
            ("user", pa.int64() if pd.api.types.is_integer_dtype(df["user"]) else pa.string()),
            ("event", pa.string()),
            ("channel", pa.string()),
            ("device", pa.string()),
            ("ts", pa.timestamp(unit)),
        ]
    )
    frame = shuffled.assign(ts=shuffled["ts"].astype(f"datetime64[{unit}]"))[
        ["user", "event", "channel", "device", "ts"]
    ]
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), tmp / "events.parquet")
    funnel = {
        "source": "events",
        "event_column": "event",
        "within": within,
        "steps": [_step(s) for s in steps],
        "attribution": attribution,
    }
    spec = {
        "project": {"name": "f", "timezone": timezone},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user", "timezone": "UTC"}},
        "dimensions": {"channel": {}, "device": {}},
        "metrics": {"n": {"type": "count", "source": "events"}},
        "north_star": "n",
        "funnels": {"f": funnel},
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


def fast(
    project: Project, start: date, end: date, by: list[str], grain: str | None = None, plain_form: bool = True
) -> pd.DataFrame:
    """The fast path on the project's DuckDB engine, fed the way ``run_funnel`` would feed it
    (``plain_form=False``: the general form of the step query even where every step is a plain
    event)."""
    engine = project.engine
    spec = funnel_spec(project, "f")
    table = project.table(engine, spec.source)
    window = timedelta(days=parse_duration_days(spec.within))
    lo, hi = range_bounds(start, end)
    conds = [_step_condition(table, spec, i) for i in range(len(spec.steps))]
    by_cols = [_by_column(project, spec, table, b) for b in by]
    plain = plain_events(spec.steps, spec.event_column) if plain_form else None
    one_clock = engine.one_clock(spec.source)  # as run_funnel: UTC projects leave entry to the kernel
    rows = step_rows(table, "user", conds, lo, hi, window, by_cols, one_clock=one_clock, plain_events=plain)
    return ordered_funnel_fast(
        engine, rows, window, lo, hi, same_as_previous(spec.steps), grain, spec.attribution
    )


def portable(
    project: Project, start: date, end: date, by: list[str], grain: str | None = None
) -> pd.DataFrame:
    spec = funnel_spec(project, "f")
    return project.engine.execute(funnel_expr(project, project.engine, spec, start, end, by, grain))


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["e", "period"] if "period" in df.columns else ["e"]
    return df.sort_values(keys).reset_index(drop=True)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same rows, same columns, same dtypes (portable vs fast)."""
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected))


def assert_matches_oracle(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got, expected = _sorted(got), _sorted(expected)
    assert list(got.columns) == list(expected.columns)
    assert got["e"].tolist() == expected["e"].tolist()
    assert got["level"].tolist() == expected["level"].tolist()
    for c in ["seconds", *[c for c in got.columns if c.startswith("reach_")]]:
        np.testing.assert_array_equal(got[c].to_numpy(float), expected[c].to_numpy(float), err_msg=c)
    for c in ["entered", "period"]:
        if c in got.columns:
            assert list(pd.to_datetime(got[c])) == list(pd.to_datetime(expected[c])), c
    for c in [c for c in got.columns if c.startswith("b")]:
        assert [None if pd.isna(v) else v for v in got[c]] == [
            None if pd.isna(v) else v for v in expected[c]
        ], c


events = st.lists(
    st.tuples(
        st.integers(0, 12 * 24),  # hour offset: coarse, so equal timestamps are common
        st.sampled_from(["u1", "u2", "u3", "u4", "u5"]),
        st.sampled_from(["a", "b", "c", "x"]),
        st.sampled_from(["web", "app", None]),
        st.sampled_from(["ios", "android"]),
    ),
    min_size=0,
    max_size=60,
)


def _frame(rows: list[tuple[Any, ...]], origin: pd.Timestamp = ORIGIN) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel", "device"])
    df["ts"] = origin + pd.to_timedelta(df["h"].astype("int64"), unit="h")
    return df.drop(columns="h")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=events,
    within_h=st.sampled_from([1, 6, 24, 48]),
    start_off=st.integers(0, 6),
    length=st.integers(0, 6),
    by=st.sampled_from([[], ["channel"], ["channel", "device"]]),
    grain=st.sampled_from([None, None, "day", "week", "month"]),
    attribution=st.sampled_from(["first", "last"]),
    steps=st.sampled_from(FUNNELS),
    zone=st.sampled_from(["UTC", "Berlin DST"]),
)
def test_fast_path_matches_portable_and_oracle(
    tmp_path_factory: Any,
    rows: list[tuple[Any, ...]],
    within_h: int,
    start_off: int,
    length: int,
    by: list[str],
    grain: str | None,
    attribution: str,
    steps: list[str],
    zone: str,
) -> None:
    # "Berlin DST": Europe/Berlin, 12 days around the change to summer time on 2026-03-29
    origin, tz = (ORIGIN, "UTC") if zone == "UTC" else (pd.Timestamp("2026-03-25 00:30"), "Europe/Berlin")
    df = _frame(rows, origin)
    project = _project(tmp_path_factory.mktemp("fast"), df, steps, f"{within_h}h", attribution, tz)
    start = (origin + pd.Timedelta(days=start_off)).date()
    end = start + timedelta(days=length)
    got = fast(project, start, end, by, grain)
    assert_same(got, fast(project, start, end, by, grain, plain_form=False))  # the two step queries
    with patch.object(funnel_fast, "_SLICE_ROWS", 2), patch.object(funnel_fast, "_THREADS", 3):
        assert_same(got, fast(project, start, end, by, grain))  # rows grouped and walked in 3 threads
        with patch.object(funnel_fast, "_BATCH_ROWS", 3):  # DuckDB's result in chunks of 3 rows
            assert_same(got, fast(project, start, end, by, grain))
    if len(df):  # an empty source is answered before funnel_expr runs (run_funnel)
        assert_same(got, portable(project, start, end, by, grain))
    expected = oracle(df, steps, pd.Timedelta(hours=within_h), start, end, by, grain, attribution, tz)
    assert_matches_oracle(got, expected)


def test_no_rows_in_range(tmp_path: Path) -> None:
    df = _frame([(1, "u1", "a", "web", "ios")])
    project = _project(tmp_path, df, ["a", "b"], "1d")
    got = fast(project, date(2026, 6, 1), date(2026, 6, 3), ["channel"], "week")
    assert len(got) == 0
    assert_same(got, portable(project, date(2026, 6, 1), date(2026, 6, 3), ["channel"], "week"))


def test_empty_source(tmp_path: Path) -> None:
    project = _project(tmp_path, _frame([]), ["a", "b"], "1d")
    got = fast(project, date(2026, 5, 1), date(2026, 5, 3), ["channel"])
    assert list(got.columns) == ["e", "level", "seconds", "entered", "reach_2", "b0"]
    assert len(got) == 0


def test_one_entity_all_equal_timestamps(tmp_path: Path) -> None:
    """Every row at one instant: different steps chain at that instant, a repeated step cannot."""
    rows = [(5, "u1", ev, "web", "ios") for ev in ["c", "b", "a", "a"]]
    df = _frame(rows)
    start, end = date(2026, 5, 1), date(2026, 5, 1)
    for steps, level in ((["a", "b", "c"], 3), (["a", "a", "b"], 1), (["a", "b", "b"], 2)):
        folder = tmp_path / "_".join(steps)
        folder.mkdir()
        project = _project(folder, df, steps, "1h")
        got = fast(project, start, end, [])
        assert got["level"].tolist() == [level]
        assert got["seconds"].tolist() == [0.0]
        assert_same(got, portable(project, start, end, []))


def test_window_is_inclusive_and_crosses_the_range_end(tmp_path: Path) -> None:
    rows = [
        (23, "u1", "a", "web", "ios"),  # last hour of the range
        (47, "u1", "b", "web", "ios"),  # exactly 24 h later, after the range end: counts
        (23, "u2", "a", "app", "ios"),
        (48, "u2", "b", "app", "ios"),  # 25 h later: too late
        (24, "u3", "a", "app", "ios"),  # step 1 after the range: no attempt
        (25, "u3", "b", "app", "ios"),
    ]
    project = _project(tmp_path, _frame(rows), ["a", "b"], "1d")
    got = _sorted(fast(project, date(2026, 5, 1), date(2026, 5, 1), []))
    assert got["e"].tolist() == ["u1", "u2"]
    assert got["level"].tolist() == [2, 1]
    assert got["seconds"].tolist() == [86400.0, 0.0]


def test_null_entities_are_dropped(tmp_path: Path) -> None:
    rows = [(1, "u1", "a", "web", "ios"), (2, None, "a", "web", "ios"), (3, None, "b", "web", "ios")]
    project = _project(tmp_path, _frame(rows), ["a", "b"], "1d")
    got = fast(project, date(2026, 5, 1), date(2026, 5, 1), [])
    assert got["e"].tolist() == ["u1"]
    assert_same(got, portable(project, date(2026, 5, 1), date(2026, 5, 1), []))


def test_nanosecond_file_and_sub_second_ties(tmp_path: Path) -> None:
    """A file with ns times and ties at tenths of a second: the same answer as the portable path
    (whatever unit the engine reads the times in, windows and ties are compared in it)."""
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "user": [f"u{i}" for i in rng.integers(0, 30, n)],
            "event": rng.choice(["a", "b", "c"], n),
            "channel": rng.choice(["web", "app"], n),
            "device": "ios",
            "ts": ORIGIN
            + pd.to_timedelta(rng.integers(0, 3 * 86_400 * 10**9, n) // 10**8 * 10**8, unit="ns"),
        }
    )
    project = _project(tmp_path, df, ["a", "b", "c"], "6h", unit="ns")
    got = fast(project, date(2026, 5, 1), date(2026, 5, 2), ["channel"])
    assert_same(got, portable(project, date(2026, 5, 1), date(2026, 5, 2), ["channel"]))


def test_berlin_time_across_the_dst_change(tmp_path: Path) -> None:
    """Europe/Berlin skips 02:00–03:00 on 2026-03-29. Windows and seconds are real elapsed time
    (UTC); the date range, ``entered`` and the period are wall-clock times."""
    utc = [
        ("2026-03-29 00:30", "u1", "a"),  # 01:30 local (CET)
        ("2026-03-29 01:20", "u1", "b"),  # 03:20 local (CEST): 50 min later, 1 h 50 on the wall clock
        ("2026-03-28 23:10", "u2", "a"),  # 00:10 local
        ("2026-03-29 01:05", "u2", "b"),  # 03:05 local: 1 h 55 later (2 h 55 on the wall clock)
        ("2026-03-28 22:59", "u3", "a"),  # 23:59 local on the 28th: outside the range
        ("2026-03-29 05:00", "u3", "a"),  # 07:00 local
        ("2026-03-29 07:01", "u3", "b"),  # 2 h 1 min later: too late
    ]
    df = pd.DataFrame(utc, columns=["ts", "user", "event"]).assign(channel="web", device="ios")
    df["ts"] = pd.to_datetime(df["ts"])
    project = _project(tmp_path, df, ["a", "b"], "2h", timezone="Europe/Berlin")
    start = end = date(2026, 3, 29)
    got = fast(project, start, end, [], "day")
    assert_same(got, portable(project, start, end, [], "day"))
    expected = oracle(df, ["a", "b"], pd.Timedelta(hours=2), start, end, [], "day", timezone="Europe/Berlin")
    assert_matches_oracle(got, expected)
    got = _sorted(got)
    assert got["level"].tolist() == [2, 2, 1]
    assert got["seconds"].tolist() == [3000.0, 6900.0, 0.0]
    assert got["entered"].tolist() == [pd.Timestamp(f"2026-03-29 {hm}") for hm in ("01:30", "00:10", "07:00")]


@pytest.mark.parametrize("ids", ["text", "dense", "sparse"])
@pytest.mark.parametrize("broken_at", [None, 0, 200, 396])
def test_rows_stored_in_entity_time_order(
    tmp_path: Path, monkeypatch: Any, broken_at: int | None, ids: str
) -> None:
    """Rows stored by (entity, time) are used as read; one row out of order, first, in the
    middle or last, means the kernel groups them (a counting sort over the integer ids, or over
    dictionary codes for text or for ids too sparse to count over)."""

    rng = np.random.default_rng(4)
    n = 400
    numbers = rng.integers(0, 40, n)
    users = {"text": [f"u{i:02d}" for i in numbers], "dense": numbers, "sparse": numbers * 10**12}[ids]
    df = pd.DataFrame(
        {
            "user": users,
            "event": rng.choice(["a", "b", "c"], n),
            "channel": "web",
            "device": "ios",
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 4 * 24, n), unit="h"),
        }
    )
    df = df.sort_values(["user", "ts"]).reset_index(drop=True)
    if broken_at is not None:
        df.loc[broken_at, "ts"] = ORIGIN + pd.Timedelta(days=5)  # later than its neighbours
    project = _project(tmp_path, df, ["a", "b", "c"], "1d", shuffle=False)
    start, end = date(2026, 5, 1), date(2026, 5, 4)
    group = funnel_fast._scattered
    regrouped: list[int] = []

    def spy(bucket: Any, base: int, n_buckets: int, *args: Any, **kwargs: Any) -> Any:
        regrouped.append(n_buckets)
        return group(bucket, base, n_buckets, *args, **kwargs)

    monkeypatch.setattr(funnel_fast, "_scattered", spy)
    got = fast(project, start, end, [])
    assert len(regrouped) == (broken_at is not None)
    assert_same(got, portable(project, start, end, []))
    monkeypatch.setattr(funnel_fast, "_BATCH_ROWS", 37)  # in chunks: order checked across their edges
    assert_same(got, fast(project, start, end, []))
    assert len(regrouped) == 2 * (broken_at is not None)
    assert_matches_oracle(got, oracle(df, ["a", "b", "c"], pd.Timedelta(days=1), start, end, []))


def _walk_sorted(
    bucket: np.ndarray, t: np.ndarray, m: np.ndarray, period: np.ndarray, walk: Any, rows: bool = True
) -> Any:
    """The reference for the partitioned walk: NumPy's stable lexsort, then the walk over
    grouped rows (itself held to the portable funnel and the oracle above)."""
    order = np.lexsort((t, bucket))
    return funnel_fast._walk(
        [bucket[order]],
        [t[order]],
        m[order],
        period[order] if len(period) else period,
        walk,
        order,
        0,
        None,
        False,
        rows=rows,
    )


def _same_best(got: Any, expected: Any, rows: bool, offset: int = 0) -> None:
    """The same attempts; ``got``'s ids are ``offset`` more than ``expected``'s."""
    assert np.array_equal(got.key + got.offset, expected.key + expected.offset + offset)
    for name in ("start", "level", "seconds"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
    assert np.array_equal(got.reach, expected.reach, equal_nan=True)
    if rows:
        assert np.array_equal(got.rows, expected.rows)


@settings(max_examples=60, deadline=None)
@given(
    buckets=st.lists(st.integers(0, 6), max_size=120),
    times=st.lists(st.integers(-3, 3), min_size=120, max_size=120),
    flags=st.lists(st.integers(0, 7), min_size=120, max_size=120),
    with_periods=st.booleans(),
)
def test_partitioned_walk_equals_a_sort_then_the_walk(
    buckets: list[int], times: list[int], flags: list[int], with_periods: bool
) -> None:
    """Rows grouped and walked partition by partition (insertion sort within small buckets,
    merge sort within large ones, each thread's attempts moved down after the previous
    thread's) give what a stable sort by (bucket, time) then the walk gives: the same attempts,
    start rows included, for any number of threads; periods split an entity's attempts."""
    bucket = np.array(buckets, dtype=np.int64)
    t = np.array(times[: len(buckets)], dtype=np.int64) * 1_000_000
    m = np.array(flags[: len(buckets)], dtype=np.uint8)
    # a large bucket too: 300 rows of bucket 7, beyond the insertion-sort size
    assert funnel_kernel._SMALL < 300
    bucket = np.concatenate([bucket, np.full(300, 7)])
    t = np.concatenate([t, (np.arange(300)[::-1] % 5) * 1_000_000])
    m = np.concatenate([m, np.arange(300, dtype=np.uint8) % 8])
    period = (t // 2_000_000).astype(np.int64) if with_periods else np.zeros(0, dtype=np.int64)
    walk = funnel_fast._Walk(3, 2_000_000, np.array([False, False, True]), 1_000_000, (-(10**18), 10**18))
    expected = _walk_sorted(bucket, t, m, period, walk)
    without_rows = _walk_sorted(bucket, t, m, period, walk, rows=False)
    assert len(without_rows.rows) == 0
    _same_best(without_rows, expected, rows=False)  # the start times without the start rows
    for threads in (1, 2, 3, 8, 200):  # rows and partitions shared out among threads; more than rows
        got = funnel_fast._scattered([bucket + 5], 5, 8, [t], m, period, walk, True, 0, None, threads)
        assert got is not None
        _same_best(got, expected, rows=True)
        got = funnel_fast._scattered([bucket + 5], 5, 8, [t], m, period, walk, False, 5, None, threads)
        assert got is not None  # ids 5 more than their buckets; no row numbers but with periods
        _same_best(got, expected, rows=bool(with_periods), offset=5)
    with patch.object(funnel_fast, "_PACK_BUCKET", False):  # the bucket's bits in an array of their own
        got = funnel_fast._scattered([bucket + 5], 5, 8, [t], m, period, walk, True, 0, None, 2)
        assert got is not None
        _same_best(got, expected, rows=True)
    for cuts in ([0], [1, 50], [len(t) // 2, len(t) // 2, len(t) - 1]):  # chunks, empty ones too
        chunks = [np.split(a, cuts) for a in (bucket + 5, t)]
        for threads in (1, 2, 3):
            got = funnel_fast._scattered(chunks[0], 5, 8, chunks[1], m, period, walk, True, 0, None, threads)
            assert got is not None
            _same_best(got, expected, rows=True)


def test_partitioned_walk_with_many_buckets() -> None:
    """Buckets beyond the 1,024 partitions (low bits sorted in each partition), uneven sizes,
    equal times, 1 to 5 threads, with and without the start rows: the same as a sort then
    the walk."""
    rng = np.random.default_rng(8)
    n_buckets = 70_001
    bucket = np.concatenate([rng.integers(0, n_buckets, 30_000), np.full(50, 12_345), [n_buckets - 1]])
    t = rng.integers(0, 40, len(bucket)) * 3_600_000_000
    m = rng.integers(0, 32, len(bucket)).astype(np.uint8)
    walk = funnel_fast._Walk(
        5, 6 * 3_600_000_000, np.zeros(5, dtype=np.bool_), 1_000_000, (0, 30 * 3_600_000_000)
    )
    expected = _walk_sorted(bucket, t, m, np.zeros(0, dtype=np.int64), walk)
    with patch.object(funnel_fast, "_PACK_BUCKET", False):
        got = funnel_fast._scattered(
            [bucket], 0, n_buckets, [t], m, np.zeros(0, np.int64), walk, True, 0, None, 3
        )
        assert got is not None
        _same_best(got, expected, True)
    for threads in range(1, 6):
        for rows in (True, False):
            got = funnel_fast._scattered(
                [bucket], 0, n_buckets, [t], m, np.zeros(0, np.int64), walk, rows, 0, None, threads
            )
            assert got is not None
            _same_best(got, expected, rows)


def test_times_too_wide_to_pack_are_sorted_first() -> None:
    """Times and flags that do not fit in 64 bits together (nanoseconds over centuries, 8 step
    flags) take NumPy's sort, with the same answer."""
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 50, 500)
    t = rng.integers(0, 2**62, 500)
    m = rng.integers(0, 256, 500).astype(np.uint8)
    walk = funnel_fast._Walk(8, 2**60, np.zeros(8, dtype=np.bool_), 10**9, (-(2**63), 2**63 - 1))
    assert funnel_fast._scattered([ids], 0, 50, [t], m, np.zeros(0, np.int64), walk, True, 0, None) is None
    got = funnel_fast._best(
        None,
        np.split(ids, [100, 300]),
        np.split(t, [100, 300]),
        m,
        np.zeros(0, np.int64),
        walk,
        rows=True,
        runs=False,
    )
    _same_best(got, _walk_sorted(ids, t, m, np.zeros(0, np.int64), walk), rows=True)


def test_grouped_rows_are_recognised() -> None:
    """Rows grouped by entity, entities in any order, each in time order, need no sort; a
    bucket in two places or a time out of order within a bucket does."""
    bucket = np.array([7, 7, 3, 0, 0, 6, 1, 5, 2, 4])
    t = np.array([1, 2, 5, 0, 0, 9, 1, 1, 1, 1])
    assert funnel_kernel.grouped(bucket + 2, 2, 8, t)
    assert not funnel_kernel.grouped(np.concatenate([bucket, [7]]), 0, 8, np.concatenate([t, [3]]))
    assert not funnel_kernel.grouped(bucket, 0, 8, np.array([2, 1, 5, 0, 0, 9, 1, 1, 1, 1]))


def test_refuses_other_engines(tmp_path: Path) -> None:
    project = _project(tmp_path, _frame([(1, "u1", "a", "web", "ios")]), ["a", "b"], "1d")

    class Other:
        name = "spark"

    lo, hi = range_bounds(date(2026, 5, 1), date(2026, 5, 1))
    with pytest.raises(UnsupportedOnEngine, match="fast funnel is not supported on spark") as info:
        rows = StepRows(project.table(project.engine, "events"), "user", (True, True))
        ordered_funnel_fast(Other(), rows, timedelta(1), lo, hi, [False] * 2)  # type: ignore[arg-type]
    assert "DuckDB" in info.value.zh


@pytest.mark.spark
def test_fast_path_on_duckdb_equals_portable_on_spark(tmp_path: Path, spark_session: Any) -> None:
    """Spark cannot run the fast path (it refuses); its portable answer must still be the same."""
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(11)
    n = 2000
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 10 * 24 * 60, n), unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 200, n)],
            "event": rng.choice(["a", "b", "c", "x"], n, p=[0.4, 0.25, 0.15, 0.2]),
            "channel": rng.choice(["web", "app", "mini"], n),
            "device": "ios",
        }
    )
    project = _project(tmp_path, df, ["a", "b", "c"], "1d")
    start, end = date(2026, 5, 1), date(2026, 5, 8)
    spark = SparkEngine(session=spark_session)
    spec = funnel_spec(project, "f")
    on_spark = spark.execute(funnel_expr(project, spark, spec, start, end, ["channel"], "week"))
    got = fast(project, start, end, ["channel"], "week")
    on_spark["entered"] = on_spark["entered"].astype(got["entered"].dtype)
    on_spark["period"] = on_spark["period"].astype(got["period"].dtype)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(on_spark), check_dtype=False)


def test_same_as_previous_flags() -> None:
    from northstar.spec.models import FunnelStep

    steps = [
        FunnelStep(event="a"),
        FunnelStep(event="a", name="again"),
        FunnelStep(event="a", filter="x = 1"),
    ]
    assert same_as_previous(steps) == [False, True, False]


def test_entered_is_a_step_one_time(tmp_path: Path) -> None:
    """A sanity anchor written by hand: two attempts, the later one goes further and wins."""
    rows = [
        (0, "u1", "a", "web", "ios"),
        (30, "u1", "a", "app", "ios"),
        (31, "u1", "b", "app", "ios"),
        (32, "u1", "c", "web", "ios"),
    ]
    project = _project(tmp_path, _frame(rows), ["a", "b", "c"], "1d")
    got = fast(project, date(2026, 5, 1), date(2026, 5, 3), ["channel"])
    assert got.to_dict("records") == [
        {
            "e": "u1",
            "level": 3,
            "seconds": 7200.0,
            "entered": pd.Timestamp(datetime(2026, 5, 2, 6)),
            "reach_2": 3600.0,
            "reach_3": 7200.0,
            "b0": "app",
        }
    ]


def test_close_gaps_moves_each_threads_rows_down_in_pieces() -> None:
    """Three threads' outputs with gaps shorter and longer than their rows (copied in pieces
    no longer than the gap), in 1-D and 2-D columns; an empty column is left alone."""
    first, after = [0, 5, 20], [3, 14, 22]  # rows 0-2, 5-13 (gap 2 < 9 rows), 20-21
    flat = np.arange(25)
    wide = np.stack([np.arange(25), -np.arange(25)])
    empty = np.zeros(0)
    n = funnel_fast._close_gaps([flat, wide, empty], first, after)
    expected = [0, 1, 2, *range(5, 14), 20, 21]
    assert n == len(expected) == 14
    assert flat[:n].tolist() == expected
    assert wide[:, :n].tolist() == [expected, [-x for x in expected]]


def test_chunks_in_entity_time_order_across_their_edges() -> None:
    """DuckDB's result comes in chunks: rows are in (id, time) order only if each chunk is and
    each chunk starts no earlier than the previous one ends (empty chunks skipped); the ids'
    and times' ranges come with the answer."""
    ids = np.array([1, 1, 2, 2, 3, 3])
    t = np.array([5, 6, 1, 2, 0, 9])
    parts = [np.split(a, [2, 2, 4]) for a in (ids, t)]  # an empty chunk in the middle
    assert funnel_fast._sorted_by_entity(*parts) == (True, 1, 3, (0, 9))
    later = [np.split(a, [2, 4]) for a in (np.array([1, 1, 1, 2, 3, 3]), np.array([5, 6, 4, 2, 0, 9]))]
    assert funnel_fast._sorted_by_entity(*later) == (False, 1, 3, (0, 9))  # 1@4 after 1@6, across chunks
    assert funnel_fast._runs([3, 0, 5], 2) == [[(0, 0, 3), (2, 0, 1)], [(2, 1, 5)]]


def test_pieces_hold_whole_entities_across_chunks() -> None:
    """Rows stored by entity in chunks: each piece holds whole entities (an entity across three
    chunks, one ending on a chunk's edge, empty chunks), the pieces in order cover every row
    once, with their first row in the table; long pieces are cut between entities."""
    keys = np.array([1, 1, 2, 3, 3, 3, 3, 3, 4, 5, 5, 6])
    times = np.arange(len(keys)) * 10
    for cuts in ([3], [4, 6], [2, 2, 5, 7, 9, 9, 12], [0, 12]):
        for threads in (1, 2, 5):
            pieces = funnel_fast._pieces(np.split(keys, cuts), np.split(times, cuts), threads)
            assert np.concatenate([p[0] for p in pieces]).tolist() == keys.tolist()
            assert np.concatenate([p[1] for p in pieces]).tolist() == times.tolist()
            rows = 0
            for piece_keys, piece_times, first in pieces:
                assert first == rows and piece_times[0] == times[first] if len(piece_keys) else True
                rows += len(piece_keys)
            ends = [p[0][-1] for p in pieces[:-1] if len(p[0])]
            starts = [p[0][0] for p in pieces[1:] if len(p[0])]
            assert all(a != b for a, b in zip(ends, starts, strict=False))  # no entity split
