"""Retention cohorts against a brute-force pandas oracle (written separately from the code under
test, from docs/spec.md *Retention*), on random data with equal timestamps, repeated events, rows
out of order, month ends and a DST change in Europe/Berlin; plus hand-checked cases, empty data,
errors, Spark parity, the CLI in English and Chinese, and the demo project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.errors import QueryError
from northstar.project import Project

ORIGIN = pd.Timestamp("2026-03-20")  # UTC; the data runs over the 2026-03-29 DST change and month ends


# -- the oracle --------------------------------------------------------------------------------
def local(ts: pd.Series, tz: str) -> pd.Series:
    return ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)


def start_of(ts: pd.Timestamp, period: str) -> pd.Timestamp:
    day = ts.normalize()
    if period == "day":
        return day
    if period == "week":
        return day - pd.Timedelta(days=day.weekday())
    return day.replace(day=1)


def number_of(ts: pd.Timestamp, period: str) -> int:
    """Consecutive calendar periods get consecutive numbers."""
    if period == "month":
        return ts.year * 12 + ts.month
    days = (start_of(ts, period) - pd.Timestamp("2000-01-03")).days  # a Monday
    return days // 7 if period == "week" else days


def plus(ts: pd.Timestamp, period: str, n: int) -> pd.Timestamp:
    if period == "month":
        y, m = divmod(ts.month - 1 + n, 12)
        return ts.replace(year=ts.year + y, month=m + 1)
    return ts + pd.Timedelta(days=n * (7 if period == "week" else 1))


def oracle(
    df: pd.DataFrame,
    *,
    start_event: str | None,
    return_event: str | None,
    period: str,
    periods: int,
    unbounded: bool,
    first: pd.Timestamp,
    stop: pd.Timestamp,
    by: str | None,
    measure: str | None,
) -> pd.DataFrame:
    """Per cohort, breakdown value and period N: size, retained, measure, complete. ``df`` holds
    local times in ``ts``; [first, stop) are the cohort periods."""
    observed = df["ts"].max().normalize() + pd.Timedelta(days=1)
    starts = df if start_event is None else df[df["event"] == start_event]
    returns = df if return_event is None else df[df["event"] == return_event]
    members: dict[tuple[Any, Any], list[tuple[str, pd.Timestamp]]] = {}
    for user, g in starts.groupby("user"):
        t0 = g["ts"].min()
        if not first <= t0 < stop:
            continue
        values = [v for v in g.loc[g["ts"] == t0, "channel"] if isinstance(v, str)]
        b = (min(values) if values else None) if by else None
        members.setdefault((start_of(t0, period), b), []).append((str(user), t0))
    out = []
    for (cohort, b), people in members.items():
        for n in range(periods + 1):
            retained, total = 0, 0.0
            for user, t0 in people:
                mine = returns[(returns["user"] == user) & (returns["ts"] >= t0)]
                ns = np.array([number_of(t, period) - number_of(t0, period) for t in mine["ts"]], dtype=int)
                hit = ns >= n if unbounded else ns == n
                retained += bool(hit.any())
                if measure == "count":
                    total += float(hit.sum())
                elif measure == "sum":
                    total += float(mine["amount"].to_numpy()[hit].sum())
            done = plus(cohort, period, n + 1) <= observed
            out.append((cohort, b, n, len(people), retained, total, done))
    return pd.DataFrame(out, columns=["cohort", "b", "n", "size", "retained", "measure", "complete"])


def _null(value: Any) -> Any:
    return None if value is None or value != value else value


# -- projects ------------------------------------------------------------------------------------
def write_project(
    tmp: Path, df: pd.DataFrame, retention: dict[str, Any], tz: str = "UTC", extra: dict | None = None
) -> Project:
    """``df`` in UTC (column ts), written shuffled (rows out of order on purpose)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = df.sample(frac=1.0, random_state=3).assign(ts=df["ts"].astype("datetime64[us]"))
    schema = pa.schema(
        [
            ("user", pa.string()),
            ("event", pa.string()),
            ("channel", pa.string()),
            ("amount", pa.float64()),
            ("ts", pa.timestamp("us")),
        ]
    )
    table = pa.Table.from_pandas(
        frame[["user", "event", "channel", "amount", "ts"]], schema=schema, preserve_index=False
    )
    pq.write_table(table, tmp / "events.parquet")
    spec = {
        "project": {"name": "r", "timezone": tz},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user", "timezone": "UTC"}},
        "dimensions": {"channel": {}},
        "metrics": {"n": {"type": "count", "source": "events"}},
        "north_star": "n",
        "retention": {"r": {"source": "events", "event_column": "event", **retention}},
        **(extra or {}),
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return Project.load(tmp)


def frame(rows: list[tuple[int, str, str, str | None, float]]) -> pd.DataFrame:
    """(hours after ORIGIN, user, event, channel, amount) → a frame with UTC ``ts``."""
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel", "amount"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["h"], unit="h")
    return df.drop(columns="h")


events = st.lists(
    st.tuples(
        st.integers(0, 75 * 24),  # hours: coarse, so equal timestamps are common
        st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
        st.sampled_from(["a", "b", "x"]),
        st.sampled_from(["web", "app", None]),
        st.integers(0, 9).map(float),
    ),
    min_size=1,
    max_size=50,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=events,
    period=st.sampled_from(["day", "week", "month"]),
    periods=st.integers(1, 4),
    unbounded=st.booleans(),
    by=st.sampled_from([None, "channel"]),
    events_=st.sampled_from([("a", "b"), ("a", "a"), (None, None), (None, "b")]),
    measure=st.sampled_from([None, "count", "sum"]),
    tz=st.sampled_from(["UTC", "Europe/Berlin"]),
    start_off=st.integers(0, 40),
    length=st.integers(0, 30),
)
def test_retention_matches_oracle(
    tmp_path_factory: Any,
    rows: list,
    period: str,
    periods: int,
    unbounded: bool,
    by: str | None,
    events_: tuple[str | None, str | None],
    measure: str | None,
    tz: str,
    start_off: int,
    length: int,
) -> None:
    df = frame(rows)
    start_event, return_event = events_
    spec: dict[str, Any] = {"period": period, "periods": periods}
    if start_event:
        spec["start"] = start_event
    if return_event:
        spec["return"] = {"event": return_event}
    if measure:
        spec["measure"] = {"type": measure, **({"column": "amount"} if measure == "sum" else {})}
    project = write_project(tmp_path_factory.mktemp("ret"), df, spec, tz)
    begin = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = (ORIGIN + pd.Timedelta(days=start_off + length)).date()
    result = project.retention("r", start=begin, end=end, mode="unbounded" if unbounded else "bounded", by=by)
    first = start_of(pd.Timestamp(begin), period)
    stop = plus(start_of(pd.Timestamp(end), period), period, 1)
    assert (pd.Timestamp(result.start), pd.Timestamp(result.end) + pd.Timedelta(days=1)) == (first, stop)
    loc = df.assign(ts=local(df["ts"], tz))
    expected = oracle(
        loc,
        start_event=start_event,
        return_event=return_event,
        period=period,
        periods=periods,
        unbounded=unbounded,
        first=first,
        stop=stop,
        by=by,
        measure=measure,
    )
    got = result.cohorts
    key = ["cohort", by] if by else ["cohort"]
    exp_keys = sorted(
        {(c, _null(b)) if by else (c,) for c, b in zip(expected["cohort"], expected["b"], strict=True)},
        key=str,
    )
    got_keys = sorted({tuple(_null(v) for v in k) for k in got[key].itertuples(index=False)}, key=str)
    assert got_keys == exp_keys, (got_keys, exp_keys)
    for e in expected.itertuples():
        mask = (got["cohort"] == e.cohort) & (got["period_n"] == e.n)
        if by:
            mask &= got[by].isna() if _null(e.b) is None else got[by] == e.b
        row = got[mask]
        assert len(row) == 1
        r = row.iloc[0]
        assert (int(r["entities"]), bool(r["complete"])) == (e.size, e.complete)
        if e.complete:
            assert int(r["retained"]) == e.retained
            assert r["rate"] == pytest.approx(e.retained / e.size)
            if measure:
                assert r["measure"] == pytest.approx(e.measure)
        else:
            assert pd.isna(r["retained"]) and pd.isna(r["rate"])
    # the curve: totals over the complete cells
    done = expected[expected["complete"].astype(bool)]
    for n in range(periods + 1):
        for b in {None} if not by else {_null(v) for v in expected["b"]}:
            part = done[(done["n"] == n) & ((done["b"].isna()) if b is None else (done["b"] == b))]
            c = result.curve[result.curve["period_n"] == n]
            if by:
                c = c[c[by].isna()] if b is None else c[c[by] == b]
            if not len(c):
                assert part.empty
                continue
            assert int(c["entities"].iloc[0]) == int(part["size"].sum())
            assert int(c["retained"].iloc[0]) == int(part["retained"].sum())
            if len(part):
                assert c["rate"].iloc[0] == pytest.approx(part["retained"].sum() / part["size"].sum())
            else:
                assert pd.isna(c["rate"].iloc[0])


# -- hand-checked cases --------------------------------------------------------------------------
def test_month_periods_period_zero_and_blank_cells(tmp_path: Path) -> None:
    """u1 enters on 31 Jan and returns on 1 Feb (month 1) and 2 Mar (month 2); u2 enters on 1 Feb
    after a purchase on 31 Jan (before its entry: ignored). Data ends 2 Mar, so February's month
    1 (March) is not over: blank."""
    rows = [
        ("2026-01-31 10:00", "u1", "a", "web", 0.0),
        ("2026-01-31 10:00", "u1", "b", "web", 5.0),  # same moment as the entry: counts (period 0)
        ("2026-02-01 09:00", "u1", "b", "web", 7.0),
        ("2026-03-02 09:00", "u1", "b", "web", 1.0),
        ("2026-01-31 08:00", "u2", "b", "app", 9.0),
        ("2026-02-01 12:00", "u2", "a", "app", 0.0),
        ("2026-02-01 12:00", "u2", "a", "app", 0.0),  # repeated entry row
        ("2026-02-20 12:00", "u2", "b", "app", 2.0),
    ]
    df = pd.DataFrame(rows, columns=["ts", "user", "event", "channel", "amount"])
    df["ts"] = pd.to_datetime(df["ts"])
    spec = {
        "start": "a",
        "return": "b",
        "period": "month",
        "periods": 2,
        "measure": {"type": "sum", "column": "amount"},
    }
    project = write_project(tmp_path, df, spec)
    result = project.retention("r", start="2026-01-01", end="2026-02-28")
    table = result.cohorts.set_index(["cohort", "period_n"])
    jan, feb = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")
    assert table.loc[(jan, 0), ["entities", "retained", "measure"]].tolist() == [1, 1, 5.0]
    assert table.loc[(jan, 1), ["retained", "measure"]].tolist() == [1, 7.0]
    assert not table.loc[(jan, 2), "complete"]  # March is not over (data ends 2 March)
    assert table.loc[(feb, 0), ["entities", "retained", "measure"]].tolist() == [1, 1, 2.0]
    assert pd.isna(table.loc[(feb, 1), "retained"]) and not table.loc[(feb, 1), "complete"]
    assert result.observed_until == pd.Timestamp("2026-03-03").to_pydatetime()
    assert table.loc[(jan, 1), "measure_vs_0"] == pytest.approx(7.0 / 5.0)
    curve = result.curve.set_index("period_n")
    assert curve.loc[0, ["cohorts", "entities", "retained"]].tolist() == [2, 2, 2]
    assert curve.loc[1, ["cohorts", "entities", "retained"]].tolist() == [1, 1, 1]
    assert pd.isna(curve.loc[2, "rate"])
    wide = result.table()
    assert wide.columns.tolist() == ["cohort", "entities", 0, 1, 2]


def test_weeks_across_the_dst_change_in_berlin(tmp_path: Path) -> None:
    """Sunday 29 March 2026 23:30 in Berlin (21:30 UTC, after the switch to CEST) is still ISO week
    13; Monday 00:30 (22:30 UTC) is week 14. A UTC reading would put both on Sunday."""
    rows = [
        ("2026-03-23 09:00", "u1", "a", "web", 0.0),
        ("2026-03-29 21:30", "u1", "b", "web", 0.0),  # Sunday 23:30 local: week 0
        ("2026-03-23 09:00", "u2", "a", "web", 0.0),
        ("2026-03-29 22:30", "u2", "b", "web", 0.0),  # Monday 00:30 local: week 1
        ("2026-04-20 09:00", "u3", "x", "web", 0.0),  # the data runs on
    ]
    df = pd.DataFrame(rows, columns=["ts", "user", "event", "channel", "amount"])
    df["ts"] = pd.to_datetime(df["ts"])
    project = write_project(
        tmp_path, df, {"start": "a", "return": "b", "period": "week", "periods": 2}, "Europe/Berlin"
    )
    cells = project.retention("r", start="2026-03-23", end="2026-03-29").cohorts.set_index("period_n")
    assert cells["retained"].tolist() == [1, 1, 0]
    (tmp_path / "utc").mkdir()
    utc = write_project(tmp_path / "utc", df, {"start": "a", "return": "b", "period": "week", "periods": 2})
    assert utc.retention("r", start="2026-03-23", end="2026-03-29").cohorts["retained"].tolist() == [2, 0, 0]


def test_returns_from_another_source(tmp_path: Path) -> None:
    """Cohorts from sign-ups in events, returns from paid orders (another source and entity column)."""
    df = frame(
        [
            (0, "u1", "sign_up", "web", 0.0),
            (1, "u2", "sign_up", "app", 0.0),
            (2, "u3", "sign_up", "app", 0.0),
            (24 * 20, "u3", "x", "app", 0.0),
        ]
    )
    orders = pd.DataFrame(
        {
            "customer": ["u1", "u1", "u2", "u9"],
            "at": ORIGIN + pd.to_timedelta([5, 24 * 8, 24 * 9, 3], unit="h"),
            "status": ["paid", "paid", "refunded", "paid"],
            "total": [10.0, 20.0, 30.0, 40.0],
        }
    )
    orders.to_csv(tmp_path / "orders.csv", index=False)
    extra = {
        "sources": {
            "events": {"path": "events.parquet", "time": "ts", "entity": "user", "timezone": "UTC"},
            "orders": {"path": "orders.csv", "time": "at", "entity": "customer", "timezone": "UTC"},
        }
    }
    spec = {
        "start": "sign_up",
        "return": {"source": "orders", "filter": "status = 'paid'"},
        "period": "week",
        "periods": 2,
        "measure": {"type": "sum", "column": "total"},
    }
    project = write_project(tmp_path, df, spec, extra=extra)
    result = project.retention("r", start="2026-03-16", end="2026-03-22", by="channel")
    got = result.cohorts.set_index(["channel", "period_n"])
    assert got.loc[("web", 0), ["entities", "retained", "measure"]].tolist() == [1, 1, 10.0]
    assert got.loc[("web", 1), ["retained", "measure"]].tolist() == [1, 20.0]
    assert got.loc[("app", 1), ["entities", "retained"]].tolist() == [2, 0]  # u2's order was refunded


def test_empty_source_gives_empty_frames(tmp_path: Path) -> None:
    df = frame([(0, "u1", "a", "web", 1.0)]).iloc[0:0]
    project = write_project(tmp_path, df, {"start": "a"})
    result = project.retention("r", start="2026-03-01", end="2026-03-31")
    assert result.cohorts.empty and result.curve.empty and result.observed_until is None


def test_errors_say_what_is_wrong_in_both_languages(tmp_path: Path) -> None:
    project = write_project(tmp_path, frame([(0, "u1", "a", "web", 1.0)]), {"start": "a"})
    with pytest.raises(QueryError) as exc:
        project.retention("rr")
    assert "did you mean 'r'" in str(exc.value) and "未知的留存定义" in exc.value.zh
    with pytest.raises(QueryError, match="did you mean 'channel'"):
        project.retention("r", by="chanel")
    with pytest.raises(QueryError, match="choose one of day, week, month"):
        project.retention("r", period="quarter")


# -- Spark ---------------------------------------------------------------------------------------
@pytest.mark.spark
def test_retention_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(11)
    n = 2000
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 200, n)],
            "event": rng.choice(["a", "b", "x"], n, p=[0.3, 0.4, 0.3]),
            "channel": rng.choice(["web", "app", "mini"], n),
            "amount": rng.integers(1, 50, n).astype(float),
        }
    )
    spec = {
        "start": "a",
        "return": "b",
        "period": "week",
        "periods": 4,
        "measure": {"type": "sum", "column": "amount"},
    }
    project = write_project(tmp_path, df, spec, "Europe/Berlin")
    spark = SparkEngine(session=spark_session)
    for mode in ("bounded", "unbounded"):
        duck = project.retention("r", start="2026-03-20", end="2026-04-20", mode=mode, by="channel")
        other = project.retention(
            "r", start="2026-03-20", end="2026-04-20", mode=mode, by="channel", engine=spark
        )
        pd.testing.assert_frame_equal(duck.cohorts, other.cohorts)
        pd.testing.assert_frame_equal(duck.curve, other.curve)
    day = project.retention("r", start="2026-04-01", end="2026-04-03", period="month", periods=1)
    assert day.cohorts.equals(
        project.retention(
            "r", start="2026-04-01", end="2026-04-03", period="month", periods=1, engine=spark
        ).cohorts
    )


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def _cli_project(tmp: Path) -> Project:
    rows = [
        (0, "u1", "a", "web", 3.0),
        (24 * 7, "u1", "a", "web", 4.0),
        (1, "u2", "a", "app", 5.0),
        (24 * 15, "u2", "a", "app", 6.0),
        (2, "u3", "a", "web", 1.0),
        (24 * 8, "u4", "a", "web", 2.0),
        (24 * 30, "u5", "x", "web", 0.0),
    ]
    return write_project(tmp, frame(rows), {"start": "a", "return": "a", "period": "week", "periods": 3})


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cli_prints_the_cohort_table_and_curve(tmp_path: Path, runner: CliRunner, lang: str) -> None:
    project = _cli_project(tmp_path)
    expected = project.retention("r", start="2026-03-16", end="2026-03-29")
    res = runner.invoke(
        app,
        ["retention", "r", "-p", str(tmp_path), "--from", "2026-03-16", "--to", "2026-03-29", "--lang", lang],
    )
    assert res.exit_code == 0, res.output
    # cohort 2026-W12 (u1, u2, u3): week 1 u1 → 33.3%, week 2 u2 → 33.3%, week 3 nobody → 0.0%
    w12 = next(line for line in res.output.splitlines() if "2026-W12" in line)
    assert [c.strip() for c in w12.strip("│ ").split("│")][1:6] == ["3", "100.0%", "33.3%", "33.3%", "0.0%"]
    first = expected.cohorts.iloc[0]
    assert first["entities"] == 3
    heading = ("同期群", "第 0 周") if lang == "zh" else ("Cohort", "Week 0")
    assert all(h in res.output for h in heading)
    # the curve for week 1: cohorts W12 (1 of 3) and W13 (u4: 0 of 1) → 25.0%
    assert "25.0%" in res.output
    assert expected.curve.set_index("period_n").loc[1, "rate"] == pytest.approx(0.25)


def test_cli_writes_files_and_reports_errors(tmp_path: Path, runner: CliRunner) -> None:
    _cli_project(tmp_path)
    out = tmp_path / "cohorts.csv"
    res = runner.invoke(
        app,
        ["retention", "r", "-p", str(tmp_path), "--from", "2026-03-16", "--to", "2026-03-29", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out)
    assert written.columns.tolist()[:4] == ["cohort", "period_n", "entities", "retained"]
    assert written["retained"].iloc[:4].tolist() == [3, 1, 1, 0]
    js = tmp_path / "r.json"
    assert (
        runner.invoke(app, ["retention", "r", "-p", str(tmp_path), "--unbounded", "-o", str(js)]).exit_code
        == 0
    )
    assert set(json.loads(js.read_text(encoding="utf-8"))) == {"cohorts", "curve"}
    bad = runner.invoke(app, ["retention", "rr", "-p", str(tmp_path), "--lang", "zh"])
    assert bad.exit_code == 1 and "未知的留存定义" in bad.output and "'r'" in bad.output


# -- the demo ------------------------------------------------------------------------------------
def test_demo_buyers_retention(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo's weekly buyer retention, checked against pandas on the demo's own orders."""
    from northstar.scaffold.demo import generate_demo

    target = tmp_path_factory.mktemp("demo") / "shop"
    generate_demo(target, days=60, users=2000, seed=7)
    project = Project.load(target)
    result = project.retention("buyers")
    orders = pd.read_parquet(target / "data" / "orders.parquet")
    orders = orders[orders["status"] == "paid"]
    orders["ts"] = pd.to_datetime(orders["ordered_at"], utc=True).dt.tz_localize(None)  # the demo is in UTC
    firsts = orders.groupby("customer_id")["ts"].min()
    week = firsts.dt.normalize() - pd.to_timedelta(firsts.dt.day_of_week, unit="D")
    cohort = pd.Timestamp(result.start)
    members = firsts[week == cohort].index
    assert int(result.cohorts.query("period_n == 0 and cohort == @cohort")["entities"].sum()) == len(members)
    mine = orders[orders["customer_id"].isin(members)]
    later = mine.merge(firsts.rename("t0"), left_on="customer_id", right_index=True)
    n = (
        (later["ts"].dt.normalize() - pd.to_timedelta(later["ts"].dt.day_of_week, unit="D")) - cohort
    ).dt.days // 7
    back = later[n == 1]["customer_id"].nunique()
    cell = result.cohorts.query("period_n == 1 and cohort == @cohort")
    assert int(cell["retained"].sum()) == back
    assert result.curve["rate"].iloc[0] == pytest.approx(1.0)
