"""Lifecycle (new / returning / resurrecting / dormant) against a brute-force pandas oracle written
from the definitions (sets of entities per calendar period), on random data with equal timestamps,
repeated events, rows out of order, gaps of many periods, entities active only before the range,
and the Berlin DST change; plus the CLI in English and Chinese, and the demo project."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.errors import QueryError
from tests.analysis.test_activity import ORIGIN, events, frame_of, local_days, make_project, matching


def period_of(day: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "day":
        return day
    if grain == "week":
        return day - pd.Timedelta(days=day.weekday())
    return day.replace(day=1)


def step(period: pd.Timestamp, grain: str, n: int) -> pd.Timestamp:
    if grain == "month":
        return period + pd.DateOffset(months=n)
    return period + pd.Timedelta(days=n * (7 if grain == "week" else 1))


def oracle_sets(df: pd.DataFrame, activity: str, grain: str, period: pd.Timestamp, end: date) -> dict:
    """{status: the entities with that status in ``period``}, reading rows up to ``end``."""
    rows = matching(df, activity)
    rows = rows.assign(day=local_days(rows))
    rows = rows[rows["day"] <= pd.Timestamp(end)]
    rows = rows.assign(period=[period_of(d, grain) for d in rows["day"]])
    now = set(rows.loc[rows["period"] == period, "user"])
    before = set(rows.loc[rows["period"] == step(period, grain, -1), "user"])
    first_seen = rows.groupby("user")["period"].min().to_dict()
    return {
        "new": {u for u in now if first_seen[u] == period},
        "returning": now & before,
        "resurrecting": {u for u in now - before if first_seen[u] < period},
        "dormant": before - now,
    }


def oracle(df: pd.DataFrame, activity: str, grain: str, start: date, end: date) -> pd.DataFrame:
    rows = matching(df, activity)
    rows = rows.assign(day=local_days(rows))
    rows = rows[rows["day"] <= pd.Timestamp(end)]  # nothing after the range is read
    rows = rows.assign(period=[period_of(d, grain) for d in rows["day"]])
    active = rows.groupby("period")["user"].agg(set).to_dict()
    first_seen = rows.groupby("user")["period"].min().to_dict()
    all_days = local_days(df)
    out = []
    period = period_of(pd.Timestamp(start), grain)
    while period <= pd.Timestamp(end):
        now, before = active.get(period, set()), active.get(step(period, grain, -1), set())
        last_day = step(period, grain, 1) - pd.Timedelta(days=1)
        if len(df) == 0 or last_day < all_days.min() or period > all_days.max():
            out.append((period, *[np.nan] * 6))
        else:
            out.append(
                (
                    period,
                    sum(1 for u in now if first_seen[u] == period),
                    len(now & before),
                    sum(1 for u in now - before if first_seen[u] < period),
                    len(before - now),
                    len(now),
                    len(before),
                )
            )
        period = step(period, grain, 1)
    cols = ["period", "new", "returning", "resurrecting", "dormant", "active", "previous_active"]
    return pd.DataFrame(out, columns=cols)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=events,
    activity=st.sampled_from(["events", "ab", "app_a"]),
    grain=st.sampled_from(["day", "week", "month"]),
    start_off=st.integers(-3, 55),
    length=st.integers(0, 40),
    status=st.sampled_from(["new", "returning", "resurrecting", "dormant"]),
)
def test_lifecycle_matches_oracle(
    tmp_path_factory: Any, rows: list, activity: str, grain: str, start_off: int, length: int, status: str
) -> None:
    df = frame_of(rows)
    project = make_project(tmp_path_factory.mktemp("lifecycle"), df)
    start = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = start + timedelta(days=length)
    result = project.lifecycle(activity, grain, start=start, end=end)
    expected = oracle(df, activity, grain, start, end)
    got = result.frame
    assert got["period"].tolist() == expected["period"].tolist()
    for col in expected.columns[1:]:
        assert got[col].astype("float64").tolist() == pytest.approx(expected[col].tolist(), nan_ok=True), col
    assert result.mismatches().empty
    assert result.start == expected["period"].iloc[0].date()
    # who they are: the entities of one status in the last period (cut at the range end)
    if np.isnan(expected["new"].iloc[-1]):  # outside the data: nothing to list
        with pytest.raises(QueryError, match="outside the data"):
            project.lifecycle_entities(activity, status, grain, period=end, end=end)
    else:
        who = project.lifecycle_entities(activity, status, grain, period=end, end=end)
        want = oracle_sets(df, activity, grain, expected["period"].iloc[-1], end)[status]
        assert who["entity"].tolist() == sorted(want)


def test_gaps_history_before_the_range_and_partial_last_period(tmp_path: Path) -> None:
    """u1: new long ago, gone for months, back; u2: active only before the range; u3: every week."""
    rows = [
        ("2026-01-05 10:00", "u1"),
        ("2026-04-14 10:00", "u1"),  # resurrecting in W16 after 14 silent weeks
        ("2026-03-02 10:00", "u2"),  # before the range only: dormant in W11, which is outside
        *[(f"{d} 09:00", "u3") for d in ("2026-03-30", "2026-04-06", "2026-04-13", "2026-04-20")],
        ("2026-04-13 12:00", "u4"),
        ("2026-04-13 12:00", "u4"),  # the same row twice
        ("2026-04-22 08:00", "u5"),  # after --to: never read
    ]
    df = pd.DataFrame(rows, columns=["ts", "user"]).assign(event="a", channel="web")
    df["ts"] = pd.to_datetime(df["ts"])
    project = make_project(tmp_path, df)
    result = project.lifecycle("events", "week", start="2026-04-08", end="2026-04-21")
    f = result.frame.set_index("period")
    assert result.start == date(2026, 4, 6)  # the week of 8 April starts on Monday the 6th
    assert f.loc["2026-04-06", ["new", "returning", "resurrecting", "dormant"]].tolist() == [0, 1, 0, 0]
    assert f.loc["2026-04-13", ["new", "returning", "resurrecting", "dormant"]].tolist() == [1, 1, 1, 0]
    assert f.loc["2026-04-20", ["new", "returning", "resurrecting", "dormant"]].tolist() == [0, 1, 0, 2]
    assert f["partial"].tolist() == [False, False, True]
    assert f.loc["2026-04-13", "quick_ratio"] != f.loc["2026-04-13", "quick_ratio"]  # no one dormant: empty
    assert f.loc["2026-04-20", "quick_ratio"] == 0.0
    assert "cut short" in result.notes[-1] and "截止" in result.notes_zh[-1]


def test_months_across_the_dst_change_and_empty_periods(tmp_path: Path) -> None:
    rows = [
        ("2026-03-31 22:30", "u1"),  # 00:30 CEST on 1 April: April, not March
        ("2026-02-28 23:30", "u2"),  # 00:30 CET on 1 March
        ("2026-04-30 21:59", "u2"),  # 23:59 CEST on 30 April
    ]
    df = pd.DataFrame(rows, columns=["ts", "user"]).assign(event="a", channel="web")
    df["ts"] = pd.to_datetime(df["ts"])
    project = make_project(tmp_path, df)
    f = project.lifecycle("events", "month", start="2026-01-01", end="2026-06-30").frame
    # January, February and May onwards hold no data at all (May starts after the last row): empty
    assert f["new"].isna().tolist() == [True, True, False, False, True, True]
    march, april = f.iloc[2], f.iloc[3]
    assert (march["new"], march["active"], march["previous_active"]) == (1, 1, 0)
    assert (april["new"], april["returning"], april["dormant"], april["active"]) == (1, 1, 0, 2)


def test_empty_source(tmp_path: Path) -> None:
    empty = pd.DataFrame(
        {"ts": pd.Series([], dtype="datetime64[us]"), "user": [], "event": [], "channel": []}
    )
    result = make_project(tmp_path, empty).lifecycle("events", "day", start="2026-04-01", end="2026-04-02")
    assert result.frame["new"].isna().all() and len(result.frame) == 2
    assert result.mismatches().empty


def test_bad_grain_and_name(tmp_path: Path) -> None:
    project = make_project(tmp_path, frame_of([(0, "u1", "a", "web")]))
    with pytest.raises(QueryError, match="did you mean 'week'"):
        project.lifecycle("events", "weeks")
    with pytest.raises(QueryError, match=r"unknown activity 'event'.*did you mean 'events'"):
        project.lifecycle("event")


@pytest.mark.spark
def test_lifecycle_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(4)
    n = 2000
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 200, n)],
            "event": rng.choice(["a", "b", "x"], n),
            "channel": rng.choice(["web", "app"], n),
        }
    )
    project = make_project(tmp_path, df)
    spark_engine = SparkEngine(session=spark_session)
    for grain in ("day", "week", "month"):
        duck = project.lifecycle("app_a", grain, start="2026-03-20", end="2026-05-02")
        spark = project.lifecycle("app_a", grain, start="2026-03-20", end="2026-05-02", engine=spark_engine)
        pd.testing.assert_frame_equal(duck.frame, spark.frame)
    expected = oracle(df, "app_a", "month", date(2026, 3, 20), date(2026, 5, 2))
    assert duck.frame["new"].astype("float64").tolist() == expected["new"].tolist()


# -- CLI ---------------------------------------------------------------------------------------
@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "160")
    return CliRunner()


def test_cli_lifecycle_and_active_in_english_and_chinese(runner: CliRunner, tmp_path: Path) -> None:
    rows = [(h, f"u{h % 7}", "a", "web" if h % 2 else "app") for h in range(0, 30 * 24 // 5, 3)]
    make_project(tmp_path, frame_of(rows))
    base = ["--project", str(tmp_path), "--from", "2026-03-16", "--to", "2026-04-01"]
    out = runner.invoke(
        app, ["lifecycle", "events", "--grain", "week", *base, "-o", str(tmp_path / "lc.csv")]
    )
    assert out.exit_code == 0, out.output
    assert "Resurrecting" in out.output and "✓ every week" in out.output and "2026-W14 *" in out.output
    written = pd.read_csv(tmp_path / "lc.csv", encoding="utf-8-sig")
    assert list(written.columns[:5]) == ["period", "new", "returning", "resurrecting", "dormant"]
    zh = runner.invoke(app, ["lifecycle", "events", "--lang", "zh", *base])
    assert zh.exit_code == 0, zh.output
    assert "回流" in zh.output and "沉睡" in zh.output and "每个周都相符" in zh.output
    out = runner.invoke(app, ["active", "events", "--mau-days", "28", *base, "-o", str(tmp_path / "au.csv")])
    assert out.exit_code == 0, out.output
    assert "MAU (28d)" in out.output and "average" in out.output and "Days active" in out.output
    daily = pd.read_csv(tmp_path / "au.csv", encoding="utf-8-sig")
    assert len(daily) == 17 and (tmp_path / "au-stickiness.csv").exists()
    zh = runner.invoke(app, ["active", "events", "--lang", "zh", "--per", "month", *base])
    assert zh.exit_code == 0, zh.output
    assert "日活/月活" in zh.output and "平均" in zh.output and "活跃天数" in zh.output
    by = runner.invoke(app, ["active", "events", "--by", "channel", *base])
    assert by.exit_code == 0, by.output
    assert "│ app " in by.output and "│ web " in by.output and by.output.count("average") == 2
    only_app = runner.invoke(app, ["active", "app_a", "--by", "channel", *base])
    assert "│ app " in only_app.output and "│ web " not in only_app.output  # app_a counts app rows only
    bad = runner.invoke(app, ["active", "events", "--by", "chanel", *base])
    assert bad.exit_code == 1 and "did you mean 'channel'" in bad.output


def test_cli_lists_the_entities_of_a_status(runner: CliRunner, tmp_path: Path) -> None:
    rows = [
        ("2026-04-01 10:00", "u1"),
        ("2026-04-08 10:00", "u1"),
        ("2026-04-01 10:00", "u2"),  # dormant in the week of 6 April
        ("2026-04-02 10:00", "u3"),  # dormant too
        ("2026-04-09 10:00", "u4"),  # new
    ]
    df = pd.DataFrame(rows, columns=["ts", "user"]).assign(event="a", channel="web")
    df["ts"] = pd.to_datetime(df["ts"])
    make_project(tmp_path, df)
    target = tmp_path / "dormant.csv"
    args = ["lifecycle", "events", "--entities", "dormant", "--period", "2026-04-07", "-o", str(target)]
    out = runner.invoke(app, [*args, "--project", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "(2)" in out.output
    assert pd.read_csv(target, encoding="utf-8-sig")["entity"].tolist() == ["u2", "u3"]
    out = runner.invoke(app, ["lifecycle", "events", "--entities", "dormat", "--project", str(tmp_path)])
    assert out.exit_code == 1 and "did you mean 'dormant'" in out.output
    out = runner.invoke(
        app,
        ["lifecycle", "events", "--entities", "new", "--period", "2026-01-05", "--project", str(tmp_path)],
    )
    assert out.exit_code == 1 and "outside the data" in out.output


def test_cli_errors_in_english_and_chinese(runner: CliRunner, tmp_path: Path) -> None:
    make_project(tmp_path, frame_of([(0, "u1", "a", "web")]))
    out = runner.invoke(app, ["lifecycle", "evnts", "--project", str(tmp_path)])
    assert out.exit_code == 1 and "did you mean 'events'" in out.output
    out = runner.invoke(app, ["active", "evnts", "--project", str(tmp_path), "--lang", "zh"])
    assert out.exit_code == 1 and "未知的活跃定义" in out.output and "您是不是想写 'events'" in out.output
    out = runner.invoke(app, ["lifecycle", "events", "--grain", "year", "--project", str(tmp_path)])
    assert out.exit_code == 1 and "choose one of day, week, month" in out.output
    out = runner.invoke(app, ["active", "events", "--project", str(tmp_path), "-o", str(tmp_path / "x.txt")])
    assert out.exit_code == 1 and ".csv" in out.output


def test_bad_activity_sections_are_reported_in_both_languages(tmp_path: Path) -> None:
    import yaml

    from northstar.errors import SpecError
    from northstar.project import Project

    make_project(tmp_path, frame_of([(0, "u1", "a", "web")]))
    spec = yaml.safe_load((tmp_path / "northstar.yml").read_text(encoding="utf-8"))
    spec["activity"] = {
        "a": {"source": "event"},
        "b": {"source": "events", "event": "a", "event_column": "evnt"},
        "c": {"source": "events", "filter": "chanel = 'app'"},
        "d": {"source": "events", "evnt": "a"},
    }
    (tmp_path / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        Project.load(tmp_path)
    text = "\n".join(i.render("en") for i in info.value.issues)
    text_zh = "\n".join(i.render("zh") for i in info.value.issues)
    assert "activity 'a' reads source 'event'" in text and "did you mean 'events'" in text
    assert "activity 'b': column 'evnt' is not in source 'events'" in text
    assert "activity 'c'" in text and "'channel'" in text
    assert "unknown key 'evnt'" in text
    assert "活跃定义 'a' 引用的数据源 'event' 未定义" in text_zh
    assert "活跃定义 'b'：数据源 'events' 中没有列 'evnt'" in text_zh


def test_demo_project_lifecycle_and_active_users(runner: CliRunner, tmp_path: Path) -> None:
    """The demo's ``shoppers`` activity, against the oracle run on the demo's own events file."""
    from northstar.project import Project

    target = tmp_path / "demo"
    assert (
        runner.invoke(app, ["demo", str(target), "--users", "2000", "--days", "60", "--no-serve"]).exit_code
        == 0
    )
    out = runner.invoke(app, ["lifecycle", "shoppers", "--project", str(target)])
    assert out.exit_code == 0, out.output
    assert "✓ every week" in out.output
    project = Project.load(target)
    spec = project.spec.activity["shoppers"]
    events = pd.read_parquet(target / "data" / "events.parquet")
    result = project.lifecycle("shoppers", "week")
    rows = events[events["event_name"].isin(spec.event or [])]
    ts = pd.to_datetime(rows["event_time"])
    day = (ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz else ts).dt.normalize()  # the demo is UTC
    rows = rows.assign(day=day, week=day - pd.to_timedelta(day.dt.day_of_week, unit="D"))
    rows = rows[rows["day"] <= pd.Timestamp(result.end)]
    new = rows.groupby("user_id")["week"].min().value_counts()
    got = result.frame.set_index("period")["new"]
    assert [int(n) for n in got] == [int(new.get(week, 0)) for week in got.index]
    assert got.sum() > 0 and result.mismatches().empty
    au = project.active_users("shoppers")
    end = pd.Timestamp(au.end)
    week = rows[(rows["day"] > end - pd.Timedelta(days=7)) & (rows["day"] <= end)]
    assert au.daily["wau"].iloc[-1] == week["user_id"].nunique() > 0
    assert au.daily["dau"].iloc[-1] == rows.loc[rows["day"] == end, "user_id"].nunique()
