"""Funnels against a brute-force pandas oracle (written separately), on random data with equal
timestamps, repeated step events, rows out of order and windows that cross the range end."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northstar.analysis import funnels
from northstar.project import Project

ORIGIN = pd.Timestamp("2026-05-01")


def oracle(
    df: pd.DataFrame, steps: list[str], within_h: int, start: date, end: date, by: str | None
) -> pd.DataFrame:
    """Per entity: best attempt (most steps, then earliest start, then smallest breakdown value)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    window = pd.Timedelta(hours=within_h)
    out = []
    for entity, g in df.groupby("user"):
        starts = g[(g["event"] == steps[0]) & (g["ts"] >= lo) & (g["ts"] < hi)]
        best = None
        for _, s in starts.iterrows():
            t, level, reached = s["ts"], 1, [0.0]
            for k, step in enumerate(steps[1:], 1):
                later = g["ts"] > t if step == steps[k - 1] else g["ts"] >= t  # a row counts for one step
                cand = g[(g["event"] == step) & later & (g["ts"] <= s["ts"] + window)]
                if cand.empty:
                    break
                t, level = cand["ts"].min(), level + 1
                reached.append((t - s["ts"]).total_seconds())
            key = (-level, s["ts"], s[by] if by else "")
            if best is None or key < best[0]:
                best = (key, level, (t - s["ts"]).total_seconds(), s[by] if by else None, reached)
        if best is not None:
            out.append({"e": entity, "level": best[1], "seconds": best[2], "b": best[3], "reached": best[4]})
    return pd.DataFrame(out, columns=["e", "level", "seconds", "b", "reached"])


def _project(tmp: Path, df: pd.DataFrame, steps: list[str], within_h: int) -> Project:
    shuffled = df.sample(frac=1.0, random_state=1)  # rows out of order on purpose
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [("user", pa.string()), ("event", pa.string()), ("channel", pa.string()), ("ts", pa.timestamp("us"))]
    )
    frame = shuffled.assign(ts=shuffled["ts"].astype("datetime64[us]"))[["user", "event", "channel", "ts"]]
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), tmp / "events.parquet")
    spec = {
        "project": {"name": "f", "timezone": "UTC"},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user"}},
        "dimensions": {"channel": {}},
        "metrics": {"n": {"type": "count", "source": "events"}},
        "north_star": "n",
        "funnels": {
            "f": {"source": "events", "event_column": "event", "within": f"{within_h}h", "steps": steps}
        },
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


event = st.tuples(
    st.integers(0, 12 * 24),  # hour offset: coarse, so equal timestamps are common
    st.sampled_from(["u1", "u2", "u3", "u4", "u5"]),
    st.sampled_from(["a", "b", "c", "x"]),
    st.sampled_from(["web", "app"]),
)
events = st.lists(event, min_size=0, max_size=120)
dense_events = st.lists(event, min_size=40, max_size=120)  # entities that reach the later steps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.one_of(events, dense_events),
    within_h=st.sampled_from([1, 6, 24, 48]),
    start_off=st.integers(0, 6),
    length=st.integers(0, 6),
    by=st.sampled_from([None, "channel"]),
    steps=st.sampled_from([["a", "b", "c"], ["a", "b"], ["b", "a", "x", "c"], ["a", "a", "b"]]),
)
def test_funnel_matches_oracle(
    tmp_path_factory: Any,
    rows: list,
    within_h: int,
    start_off: int,
    length: int,
    by: str | None,
    steps: list[str],
) -> None:
    tmp = tmp_path_factory.mktemp("funnel")
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["h"], unit="h")
    df = df.drop(columns="h")
    project = _project(tmp, df, steps, within_h)
    start = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = start + timedelta(days=length)
    with patch.object(funnels, "_THREADED_ENTITIES", 0 if start_off % 2 else 100_000):  # both ways
        result = project.funnel("f", start=start, end=end, by=by)
    expected = oracle(df, steps, within_h, start, end, by)
    groups = [(None, expected)] if by is None else list(expected.groupby("b"))
    got = result.steps
    for value, g in groups:
        mine = got if by is None else got[got[by] == value]
        assert list(mine["entities"]) == [int((g["level"] >= k).sum()) for k in range(1, len(steps) + 1)]
        for k in range(2, len(steps) + 1):  # the time from step k-1 to step k, where reached
            step_gaps = [r[k - 1] - r[k - 2] for r in g.loc[g["level"] >= k, "reached"]]
            at = mine[mine["step"] == k]
            if step_gaps:
                assert at["median_seconds"].iloc[0] == pytest.approx(float(np.quantile(step_gaps, 0.5)))
                assert at["p90_seconds"].iloc[0] == pytest.approx(float(np.quantile(step_gaps, 0.9)))
            else:
                assert np.isnan(at["median_seconds"].iloc[0])
        done = g.loc[g["level"] == len(steps), "seconds"]
        times = result.times if by is None else result.times[result.times[by] == value]
        if len(done):
            assert times["median_seconds"].iloc[0] == pytest.approx(float(np.quantile(done, 0.5)))
            assert times["p90_seconds"].iloc[0] == pytest.approx(float(np.quantile(done, 0.9)))
    if by is not None:
        assert set(got[by].dropna()) == set(expected["b"].dropna())


@pytest.mark.spark
def test_funnel_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(5)
    n = 3000
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 20 * 24 * 60, n), unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 300, n)],
            "event": rng.choice(["a", "b", "c", "x"], n, p=[0.4, 0.25, 0.15, 0.2]),
            "channel": rng.choice(["web", "app", "mini"], n),
        }
    )
    project = _project(tmp_path, df, ["a", "b", "c"], 24)
    duck = project.funnel("f", start="2026-05-01", end="2026-05-15", by="channel")
    spark = project.funnel(
        "f", start="2026-05-01", end="2026-05-15", by="channel", engine=SparkEngine(session=spark_session)
    )
    pd.testing.assert_frame_equal(duck.steps, spark.steps)
    pd.testing.assert_frame_equal(duck.times, spark.times)
    expected = oracle(df, ["a", "b", "c"], 24, date(2026, 5, 1), date(2026, 5, 15), "channel")
    assert duck.steps.groupby("step")["entities"].sum().tolist() == [
        int((expected["level"] >= k).sum()) for k in (1, 2, 3)
    ]


def test_dropped_entities_for_retargeting(tmp_path: Path) -> None:
    rows = [
        (0, "u1", "a", "web"),
        (1, "u1", "b", "web"),
        (2, "u1", "c", "web"),  # converts
        (0, "u2", "a", "app"),
        (3, "u2", "b", "app"),  # drops at step 3
        (0, "u3", "a", "web"),  # drops at step 2
        (0, "u4", "b", "web"),  # never enters
    ]
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["h"], unit="h")
    project = _project(tmp_path, df.drop(columns="h"), ["a", "b", "c"], 24)
    result = project.funnel("f", start="2026-05-01", end="2026-05-01", by="channel")
    assert result.dropped_at(2)["entity"].tolist() == ["u3"]
    assert result.dropped_at(3)["entity"].tolist() == ["u2"]
    assert result.dropped_at(3)["channel"].tolist() == ["app"]
    with pytest.raises(Exception, match="between 2 and 3"):
        result.dropped_at(1)


def test_conversion_over_time_by_entry_week(tmp_path: Path) -> None:
    """Each week's attempts on their own: the oracle runs on the step-1 rows of that week only."""
    rng = np.random.default_rng(9)
    n = 800
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 28 * 24, n), unit="h"),
            "user": [f"u{i}" for i in rng.integers(0, 120, n)],
            "event": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
            "channel": "web",
        }
    )
    project = _project(tmp_path, df, ["a", "b", "c"], 48)
    weekly = project.funnel_over_time("f", "week", start="2026-05-01", end="2026-05-28")
    rows = []
    for monday in pd.date_range("2026-04-27", "2026-05-25", freq="7D"):
        first = max(monday, pd.Timestamp("2026-05-01"))
        last = min(monday + pd.Timedelta(days=6), pd.Timestamp("2026-05-28"))
        # step-1 rows outside the week are hidden; later steps stay visible
        week = df[
            ~((df["event"] == "a") & ((df["ts"] < monday) | (df["ts"] >= monday + pd.Timedelta(days=7))))
        ]
        exp = oracle(week, ["a", "b", "c"], 48, first.date(), last.date(), None)
        if len(exp):
            rows.append((monday, len(exp), int((exp["level"] == 3).sum())))
    assert [
        (p.to_pydatetime().date(), e, c)
        for p, e, c in zip(weekly["period"], weekly["entered"], weekly["converted"], strict=True)
    ] == [(m.date(), e, c) for m, e, c in rows]
