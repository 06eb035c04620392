"""``active_users`` metrics (DAU / WAU / MAU as KPIs) against a pandas oracle written from the
definition: distinct entities active on the local calendar days d−w+1 … d, read as of each
period's last day (cut at the range end)."""

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

from northstar.errors import QueryError, SpecError
from northstar.project import Project

TZ = "Europe/Berlin"  # 2026-03-29: clocks go forward


def events(seed: int = 4, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    utc = pd.Timestamp("2026-02-20", tz="UTC") + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), unit="min")
    return pd.DataFrame(
        {
            "user": [f"u{i}" for i in rng.integers(0, 300, n)],
            "event": rng.choice(["view", "buy", "ping"], n, p=[0.6, 0.1, 0.3]),
            "channel": rng.choice(["web", "app"], n),
            "ts": utc,
        }
    )


def write(tmp: Path, df: pd.DataFrame, metrics: dict[str, Any]) -> Project:
    frame = df.sample(frac=1.0, random_state=5)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp / "events.parquet")
    spec = {
        "project": {"name": "a", "timezone": TZ},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user"}},
        "dimensions": {"channel": {}},
        "activity": {"shoppers": {"source": "events", "event_column": "event", "event": ["view", "buy"]}},
        "metrics": {"n": {"type": "count", "source": "events"}, **metrics},
        "north_star": "n",
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


def oracle(
    df: pd.DataFrame, day: date, w: int, events_: list[str] | None, channel: str | None = None
) -> float:
    local = df["ts"].dt.tz_convert(TZ).dt.date
    first, last = local.min(), local.max()
    if not first <= day <= last:
        return float("nan")
    keep = local.between(day - timedelta(days=w - 1), day)
    if events_:
        keep &= df["event"].isin(events_)
    if channel is not None:
        keep &= df["channel"] == channel
    return float(df.loc[keep, "user"].nunique())


METRICS = {
    "dau": {"type": "active_users", "activity": "shoppers"},
    "wau": {"type": "active_users", "activity": "shoppers", "within": "7d"},
    "mau": {"type": "active_users", "activity": "shoppers", "within": "30d"},
    "wau_any": {"type": "active_users", "source": "events", "within": "7d"},
}
WINDOWS = {"dau": 1, "wau": 7, "mau": 30, "wau_any": 7}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, pd.DataFrame]:
    df = events()
    return write(tmp_path_factory.mktemp("active"), df, METRICS), df


def test_daily_values_across_dst(setup: tuple[Project, pd.DataFrame]) -> None:
    project, df = setup
    frame = project.query(list(METRICS), grain="day", start="2026-03-25", end="2026-04-02").frame
    for row in frame.itertuples():
        day = pd.Timestamp(row.period).date()
        for name, w in WINDOWS.items():
            events_ = None if name == "wau_any" else ["view", "buy"]
            assert getattr(row, name) == oracle(df, day, w, events_), (name, day)


def test_week_and_month_read_as_of_the_last_day(setup: tuple[Project, pd.DataFrame]) -> None:
    project, df = setup
    weekly = project.query(["wau", "mau"], grain="week", start="2026-03-02", end="2026-04-15").frame
    for row in weekly.itertuples():
        asof = min(pd.Timestamp(row.period).date() + timedelta(days=6), date(2026, 4, 15))
        assert row.wau == oracle(df, asof, 7, ["view", "buy"]) and row.mau == oracle(
            df, asof, 30, ["view", "buy"]
        )
    monthly = project.query("mau", grain="month", start="2026-03-01", end="2026-04-10").frame
    assert monthly["mau"].tolist() == [
        oracle(df, date(2026, 3, 31), 30, ["view", "buy"]),
        oracle(df, date(2026, 4, 10), 30, ["view", "buy"]),
    ]
    total = project.query("wau", start="2026-03-01", end="2026-04-10").frame
    assert total["wau"].iloc[0] == oracle(df, date(2026, 4, 10), 7, ["view", "buy"])


def test_by_dimension_and_where(setup: tuple[Project, pd.DataFrame]) -> None:
    project, df = setup
    frame = project.query("wau", grain="week", by=["channel"], start="2026-03-09", end="2026-03-22").frame
    for row in frame.itertuples():
        asof = pd.Timestamp(row.period).date() + timedelta(days=6)
        assert row.wau == oracle(df, asof, 7, ["view", "buy"], row.channel)
    web = project.query("wau", start="2026-03-01", end="2026-03-22", where="channel = 'web'").frame
    assert web["wau"].iloc[0] == oracle(df, date(2026, 3, 22), 7, ["view", "buy"], "web")


def test_outside_the_data_is_empty_not_zero(setup: tuple[Project, pd.DataFrame]) -> None:
    project, _ = setup
    frame = project.query("dau", grain="day", start="2026-02-17", end="2026-02-21").frame
    assert frame["dau"].isna().tolist()[:3] == [True, True, True]
    assert frame["dau"].iloc[-1] > 0


def test_errors(tmp_path: Path, setup: tuple[Project, pd.DataFrame]) -> None:
    project, _ = setup
    with pytest.raises(QueryError, match="counted per day"):
        project.query("dau", grain="hour", start="2026-03-01", end="2026-03-01")
    with pytest.raises(SpecError) as info:
        write(tmp_path, events(n=50), {"x": {"type": "active_users", "activity": "shopers"}})
    assert "unknown activity 'shopers'" in str(info.value.issues) and "shoppers" in str(info.value.issues)


@pytest.mark.spark
def test_same_on_spark(setup: tuple[Project, pd.DataFrame], spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    project, _ = setup
    kwargs: dict[str, Any] = {"grain": "week", "by": ["channel"], "start": "2026-03-02", "end": "2026-04-12"}
    duck = project.query(["dau", "wau", "mau"], **kwargs).frame
    spark = project.query(["dau", "wau", "mau"], engine=SparkEngine(session=spark_session), **kwargs).frame
    pd.testing.assert_frame_equal(duck, spark)


def test_filter_and_checks(tmp_path: Path) -> None:
    df = events(n=800)
    project = write(
        tmp_path,
        df,
        {
            "web_wau": {
                "type": "active_users",
                "source": "events",
                "within": "7d",
                "filter": "channel = 'web'",
            }
        },
    )
    got = project.query("web_wau", start="2026-03-01", end="2026-03-20").frame["web_wau"].iloc[0]
    assert got == oracle(df, date(2026, 3, 20), 7, None, "web")
    notes = project.query("web_wau", grain="day", start="2026-02-20", end="2026-02-28").notes
    assert any("count only the days since" in n for n in notes)
    for bad, text in (
        ({"type": "active_users", "source": "events", "within": "12h"}, "whole days"),
        ({"type": "active_users", "source": "events", "activity": "shoppers"}, "either activity"),
        ({"type": "conversion", "source": "events", "steps": ["view", "buy"], "step": 5}, "past the last"),
        ({"type": "conversion", "source": "events", "steps": ["view", "buy"], "step": 1}, "2 or more"),
    ):
        with pytest.raises(SpecError) as info:
            write(tmp_path, df, {"bad": bad})
        assert text in str(info.value.issues), bad
