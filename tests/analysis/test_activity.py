"""DAU/WAU/MAU, stickiness ratios and the stickiness distribution against a brute-force pandas
oracle (sets of entities per local day, written here from the definitions in the docstring of
``northstar.analysis.activity``), on random data with equal timestamps, repeated events, rows out
of order, gaps, entities active only before the range, and the Berlin DST change of 2026-03-29."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northstar.errors import QueryError
from northstar.project import Project

TZ = "Europe/Berlin"
ORIGIN = pd.Timestamp("2026-03-10")  # UTC; Berlin moves its clocks on 2026-03-29
ACTIVITIES: dict[str, dict[str, Any]] = {
    "events": {},  # the bare source: every row counts
    "ab": {"source": "events", "event": ["a", "b"]},
    "app_a": {"source": "events", "event": "a", "filter": "channel = 'app'"},
}


def make_project(tmp: Path, df: pd.DataFrame, tz: str = TZ) -> Project:
    """A project over ``df`` (user, event, channel, ts in UTC), rows shuffled on purpose."""
    schema = pa.schema(
        [("user", pa.string()), ("event", pa.string()), ("channel", pa.string()), ("ts", pa.timestamp("us"))]
    )
    shuffled = df.sample(frac=1.0, random_state=3) if len(df) else df
    frame = shuffled.assign(ts=shuffled["ts"].astype("datetime64[us]"))[["user", "event", "channel", "ts"]]
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), tmp / "events.parquet")
    activity = {
        name: {**spec, "event_column": "event"} if "event" in spec else spec
        for name, spec in ACTIVITIES.items()
        if spec
    }
    spec = {
        "project": {"name": "a", "timezone": tz},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user", "timezone": "UTC"}},
        "metrics": {"n": {"type": "count", "source": "events"}},
        "north_star": "n",
        "activity": activity,
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


def local_days(df: pd.DataFrame, tz: str = TZ) -> pd.Series:
    """Each row's calendar day in ``tz``."""
    ts = pd.to_datetime(df["ts"]).dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return ts.dt.normalize()


def matching(df: pd.DataFrame, activity: str) -> pd.DataFrame:
    spec = ACTIVITIES[activity]
    keep = pd.Series(True, index=df.index)
    if "event" in spec:
        events = [spec["event"]] if isinstance(spec["event"], str) else spec["event"]
        keep &= df["event"].isin(events)
    if "filter" in spec:
        keep &= df["channel"] == "app"
    return df[keep]


def oracle_daily(
    df: pd.DataFrame,
    activity: str,
    start: date,
    end: date,
    month_days: int,
    tz: str = TZ,
    channel: str | None = None,
) -> pd.DataFrame:
    """``channel``: only that channel's rows count (a breakdown value); the data's span stays the same."""
    rows = matching(df, activity)
    rows = rows if channel is None else rows[rows["channel"] == channel]
    days = local_days(rows, tz)
    users_on: dict[pd.Timestamp, set[str]] = {}
    for day, user in zip(days, rows["user"], strict=True):
        users_on.setdefault(day, set()).add(user)
    all_days = local_days(df, tz)
    first = all_days.min() if len(df) else None
    last = all_days.max() if len(df) else None
    out = []
    for day in pd.date_range(start, end, freq="D"):

        def union(n: int, day: pd.Timestamp = day) -> int:
            seen: set[str] = set()
            for back in range(n):
                seen |= users_on.get(day - pd.Timedelta(days=back), set())
            return len(seen)

        if first is None or day < first or day > last:
            out.append((day, np.nan, np.nan, np.nan))
        else:
            out.append((day, union(1), union(7), union(month_days)))
    return pd.DataFrame(out, columns=["day", "dau", "wau", "mau"])


def oracle_stickiness(
    df: pd.DataFrame,
    activity: str,
    start: date,
    end: date,
    per: str,
    tz: str = TZ,
    channel: str | None = None,
) -> dict[tuple[pd.Timestamp, int], int]:
    """{(period start, k): entities active on exactly k days of the period (up to ``end``)}."""
    rows = matching(df, activity)
    rows = rows if channel is None else rows[rows["channel"] == channel]
    rows = rows.assign(day=local_days(rows, tz))
    out: dict[tuple[pd.Timestamp, int], int] = {}
    first = pd.Timestamp(start)
    period = first - pd.Timedelta(days=first.weekday()) if per == "week" else first.replace(day=1)
    while period <= pd.Timestamp(end):
        nxt = period + (pd.Timedelta(days=7) if per == "week" else pd.DateOffset(months=1))
        inside = rows[(rows["day"] >= period) & (rows["day"] < nxt) & (rows["day"] <= pd.Timestamp(end))]
        for k in inside.groupby("user")["day"].nunique():
            out[(period, int(k))] = out.get((period, int(k)), 0) + 1
        period = nxt
    return out


events = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 // 5),  # 5-hour steps over 60 days: equal timestamps are common
        st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
        st.sampled_from(["a", "b", "x"]),
        st.sampled_from(["web", "app"]),
    ),
    min_size=0,
    max_size=50,
)


def frame_of(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["step", "user", "event", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["step"] * 5, unit="h")
    return df.drop(columns="step")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=events,
    activity=st.sampled_from(sorted(ACTIVITIES)),
    start_off=st.integers(-3, 55),
    length=st.integers(0, 20),
    month_days=st.sampled_from([28, 30]),
    per=st.sampled_from(["week", "month"]),
    by=st.sampled_from([None, "channel"]),
)
def test_active_users_match_oracle(
    tmp_path_factory: Any,
    rows: list,
    activity: str,
    start_off: int,
    length: int,
    month_days: int,
    per: str,
    by: str | None,
) -> None:
    df = frame_of(rows)
    project = make_project(tmp_path_factory.mktemp("active"), df)
    start = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = start + timedelta(days=length)
    result = project.active_users(activity, start=start, end=end, month_days=month_days, per=per, by=by)
    segments = [None] if by is None else ["app", "web"]
    for channel in segments:
        expected = oracle_daily(df, activity, start, end, month_days, channel=channel)
        got = result.daily if by is None else result.daily[result.daily[by] == channel]
        if by is not None and got.empty:  # a channel no one used in the windows is not listed
            assert not (expected[["dau", "wau", "mau"]].fillna(0) > 0).any().any()
            continue
        assert got["day"].tolist() == expected["day"].tolist()
        for col in ("dau", "wau", "mau"):
            assert got[col].astype("float64").tolist() == pytest.approx(expected[col].tolist(), nan_ok=True)
        ratio = (expected["dau"] / expected["mau"]).where(expected["mau"] > 0)
        assert got["dau_mau"].tolist() == pytest.approx(ratio.tolist(), nan_ok=True)
        ratio = (expected["dau"] / expected["wau"]).where(expected["wau"] > 0)
        assert got["dau_wau"].tolist() == pytest.approx(ratio.tolist(), nan_ok=True)
        summary = result.summary if by is None else result.summary[result.summary[by] == channel]
        seen = expected.dropna()
        assert summary["days"].iloc[0] == len(seen)
        if len(seen):
            assert summary["avg_mau"].iloc[0] == pytest.approx(seen["mau"].mean())
        sticky = oracle_stickiness(df, activity, start, end, per, channel=channel)
        frame = result.stickiness if by is None else result.stickiness[result.stickiness[by] == channel]
        assert {
            (pd.Timestamp(r.period), int(r.days_active)): int(r.entities)
            for r in frame.itertuples()
            if r.entities
        } == sticky
        for period, part in frame.groupby("period"):
            total = sum(n for (p, _), n in sticky.items() if p == period)
            assert part["at_least"].iloc[0] == total  # everyone active was active on ≥ 1 day


def test_windows_around_the_berlin_dst_change(tmp_path: Path) -> None:
    """22:30 UTC on 28 March is 23:30 in Berlin (28th); 22:30 UTC on 29 March is 00:30 on the 30th."""
    rows = [
        ("2026-03-28 22:30", "u1"),
        ("2026-03-29 22:30", "u2"),
        ("2026-03-29 21:30", "u3"),  # 23:30 CEST on the 29th
        ("2026-03-22 23:30", "u4"),  # 00:30 CET on 23 March: WAU on the 29th includes it
        ("2026-03-22 22:59", "u5"),  # 23:59 on 22 March: one day too early for WAU on the 29th
    ]
    df = pd.DataFrame(rows, columns=["ts", "user"]).assign(event="a", channel="web")
    df["ts"] = pd.to_datetime(df["ts"])
    project = make_project(tmp_path, df)
    daily = project.active_users("events", start="2026-03-28", end="2026-03-30").daily.set_index("day")
    assert daily["dau"].tolist() == [1, 1, 1]
    assert daily.loc["2026-03-29", "wau"] == 3  # u1 (28th), u3 (29th), u4 (23rd)
    assert daily.loc["2026-03-30", "wau"] == 3  # u1, u3, u2; u4 dropped out
    assert daily.loc["2026-03-30", "mau"] == 5


def test_empty_source_and_no_matching_rows(tmp_path: Path) -> None:
    empty = pd.DataFrame(
        {"ts": pd.Series([], dtype="datetime64[us]"), "user": [], "event": [], "channel": []}
    )
    project = make_project(tmp_path, empty)
    result = project.active_users("events", start="2026-04-01", end="2026-04-03")
    assert result.daily["dau"].isna().all() and result.summary["days"].iloc[0] == 0
    assert result.stickiness["entities"].sum() == 0
    assert "no rows" in result.notes[0] and "没有数据" in result.notes_zh[0]
    other = tmp_path / "x"
    other.mkdir()
    df = pd.DataFrame(
        {"ts": [pd.Timestamp("2026-04-02 10:00")], "user": ["u1"], "event": ["x"], "channel": ["web"]}
    )
    result = make_project(other, df).active_users("ab", start="2026-04-02", end="2026-04-02")
    assert result.daily["dau"].tolist() == [0]  # data, but no one matched: zero, not empty
    assert np.isnan(result.daily["dau_mau"].iloc[0])


def test_bad_names_and_options(tmp_path: Path) -> None:
    df = frame_of([(0, "u1", "a", "web")])
    project = make_project(tmp_path, df)
    with pytest.raises(QueryError, match="did you mean 'app_a'") as info:
        project.active_users("app_b")
    assert "您是不是想写" in info.value.zh
    with pytest.raises(QueryError, match="month_days"):
        project.active_users("events", month_days=7)
    with pytest.raises(QueryError, match=r"unknown grain 'weak'.*did you mean 'week'"):
        project.active_users("events", per="weak")
    with pytest.raises(QueryError, match="is after"):
        project.active_users("events", start="2026-03-10", end="2026-03-01")


@pytest.mark.spark
def test_active_users_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(11)
    n = 2000
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 50 * 24 * 60, n), unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 150, n)],
            "event": rng.choice(["a", "b", "x"], n),
            "channel": rng.choice(["web", "app"], n),
        }
    )
    project = make_project(tmp_path, df)
    args = {"start": "2026-03-25", "end": "2026-04-20", "per": "month"}
    duck = project.active_users("ab", **args)
    spark = project.active_users("ab", engine=SparkEngine(session=spark_session), **args)
    pd.testing.assert_frame_equal(duck.daily, spark.daily)
    pd.testing.assert_frame_equal(duck.stickiness, spark.stickiness)
    expected = oracle_daily(df, "ab", date(2026, 3, 25), date(2026, 4, 20), 30)
    assert duck.daily["mau"].astype("float64").tolist() == expected["mau"].tolist()
    duck = project.active_users("ab", by="channel", **args)
    spark = project.active_users("ab", by="channel", engine=SparkEngine(session=spark_session), **args)
    pd.testing.assert_frame_equal(duck.daily, spark.daily)
    pd.testing.assert_frame_equal(duck.summary, spark.summary)
    pd.testing.assert_frame_equal(duck.stickiness, spark.stickiness)
    expected = oracle_daily(df, "ab", date(2026, 3, 25), date(2026, 4, 20), 30, channel="app")
    app = duck.daily[duck.daily["channel"] == "app"]
    assert app["wau"].astype("float64").tolist() == expected["wau"].tolist()
