"""The shared dimension filter (``where``) on funnels and retention, against plain pandas on the
filtered rows: the funnel on the fast path and on the portable path, its conversion over time,
retention cohorts; and the errors a wrong filter gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from northstar.analysis.funnels import fast_path_applies, funnel_spec
from northstar.errors import ExpressionError
from northstar.project import Project
from tests.analysis.test_funnels import ORIGIN
from tests.analysis.test_funnels import _project as funnel_project
from tests.analysis.test_retention import ORIGIN as R_ORIGIN
from tests.analysis.test_retention import write_project

STEPS = ["a", "b", "c"]
START, END = date(2026, 5, 1), date(2026, 5, 10)


def pandas_funnel(
    df: pd.DataFrame, steps: list[str], within: pd.Timedelta, start: date, end: date
) -> list[int]:
    """A plain ordered funnel: per user, every step-1 row in [start, end] starts an attempt; each
    next step is the earliest later-or-equal row of that event within the window of the start;
    the user counts at the most steps any attempt reached. Entities per step."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    levels = []
    for _, g in df.groupby("user"):
        best = 0
        for s in g.loc[(g["event"] == steps[0]) & (g["ts"] >= lo) & (g["ts"] < hi), "ts"]:
            t, level = s, 1
            for k in range(1, len(steps)):
                later = g["ts"] > t if steps[k] == steps[k - 1] else g["ts"] >= t
                nxt = g.loc[(g["event"] == steps[k]) & later & (g["ts"] <= s + within), "ts"]
                if nxt.empty:
                    break
                t, level = nxt.min(), level + 1
            best = max(best, level)
        if best:
            levels.append(best)
    return [sum(lv >= k for lv in levels) for k in range(1, len(steps) + 1)]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    n = 2500
    return pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 12 * 24 * 60, n), unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 250, n)],
            "event": rng.choice(["a", "b", "c", "x"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "channel": rng.choice(["web", "app", "mini"], n),
        }
    )


@pytest.fixture(scope="module")
def project(events: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return funnel_project(tmp_path_factory.mktemp("fw"), events, STEPS, 24)


@pytest.mark.parametrize("portable", [False, True], ids=["fast", "portable"])
@pytest.mark.parametrize(
    ("where", "keep"),
    [
        ("channel = 'web'", lambda d: d["channel"] == "web"),
        ("channel in ('app', 'mini')", lambda d: d["channel"].isin(["app", "mini"])),
        ("channel <> 'web' and event <> 'x'", lambda d: (d["channel"] != "web") & (d["event"] != "x")),
    ],
)
def test_funnel_with_where_equals_pandas_on_the_filtered_events(
    project: Project,
    events: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    portable: bool,
    where: str,
    keep: Any,
) -> None:
    if portable:
        monkeypatch.setenv("NORTHSTAR_PORTABLE_FUNNEL", "1")
    assert fast_path_applies(project.engine, funnel_spec(project, "f")) is not portable
    got = project.funnel("f", start=START, end=END, where=where)
    expected = pandas_funnel(events[keep(events)], STEPS, pd.Timedelta(hours=24), START, END)
    assert got.steps["entities"].tolist() == expected
    unfiltered = pandas_funnel(events, STEPS, pd.Timedelta(hours=24), START, END)
    assert expected != unfiltered  # the filter matters on this data
    assert any(where in n for n in got.notes) and any(where in n for n in got.notes_zh)


def test_only_matching_events_count_as_steps(tmp_path: Path) -> None:
    """u1 adds to cart on the app after viewing on the web: under channel = 'web' it stops at step 1."""
    rows = [(0, "u1", "a", "web"), (1, "u1", "b", "app"), (2, "u1", "c", "web"),
            (0, "u2", "a", "web"), (1, "u2", "b", "web"), (2, "u2", "c", "web")]  # fmt: skip
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["h"], unit="h")
    p = funnel_project(tmp_path, df.drop(columns="h"), STEPS, 24)
    assert p.funnel("f", start="2026-05-01", end="2026-05-01").steps["entities"].tolist() == [2, 2, 2]
    web = p.funnel("f", start="2026-05-01", end="2026-05-01", where="channel = 'web'")
    assert web.steps["entities"].tolist() == [2, 1, 1]
    assert sorted(web.entities["entity"]) == ["u1", "u2"]
    assert p.funnel("f", start="2026-05-01", end="2026-05-01", where="channel = 'app'").steps[
        "entities"
    ].tolist() == [0, 0, 0]


@pytest.mark.parametrize("portable", [False, True], ids=["fast", "portable"])
def test_over_time_with_where_equals_the_funnel_on_the_filtered_data(
    project: Project,
    events: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    portable: bool,
) -> None:
    if portable:
        monkeypatch.setenv("NORTHSTAR_PORTABLE_FUNNEL", "1")
    got = project.funnel_over_time("f", "day", start=START, end=END, where="channel = 'app'")
    only = funnel_project(tmp_path, events[events["channel"] == "app"], STEPS, 24)
    expected = only.funnel_over_time("f", "day", start=START, end=END)
    pd.testing.assert_frame_equal(
        got.drop(columns="complete"), expected.drop(columns="complete"), check_dtype=False
    )
    # entered per day by hand: users with a step-1 app row that day (each period on its own)
    app = events[(events["channel"] == "app") & (events["event"] == "a")]
    app = app[(app["ts"] >= pd.Timestamp(START)) & (app["ts"] < pd.Timestamp(END) + pd.Timedelta(days=1))]
    by_day = app.groupby(app["ts"].dt.normalize())["user"].nunique()
    assert got.set_index("period")["entered"].tolist() == by_day.tolist()


def test_unknown_column_says_did_you_mean(project: Project) -> None:
    with pytest.raises(ExpressionError, match="did you mean 'channel'"):
        project.funnel("f", start=START, end=END, where="chanel = 'web'")
    with pytest.raises(ExpressionError, match="did you mean 'channel'"):
        project.funnel_over_time("f", "week", start=START, end=END, where="chanel = 'web'")
    with pytest.raises(ExpressionError):
        project.funnel("f", start=START, end=END, where="channel = 'web'; drop table x")


def test_a_dimension_mapped_to_another_column_filters_by_that_column(tmp_path: Path) -> None:
    rows = [(0, "u1", "a", "web"), (1, "u1", "b", "web"), (0, "u2", "a", "app")]
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["h"], unit="h")
    p = funnel_project(tmp_path, df.drop(columns="h"), ["a", "b"], 24)
    text = (tmp_path / "northstar.yml").read_text(encoding="utf-8")
    (tmp_path / "northstar.yml").write_text(
        text.replace("channel: {}", "platform: {column: channel}"), encoding="utf-8"
    )
    p = Project.load(tmp_path)
    got = p.funnel("f", start="2026-05-01", end="2026-05-01", where="platform = 'web'")
    assert got.steps["entities"].tolist() == [1, 1]


# -- retention ---------------------------------------------------------------------------------
def pandas_cohorts(
    df: pd.DataFrame,
    observed: pd.Timestamp,
    weeks: int,
    start: str | None = "a",
    back_to: str | None = "b",
    user: str = "user",
    ts: str = "ts",
) -> pd.DataFrame:
    """Weekly bounded retention by hand: cohort = Monday of the user's first ``start`` row (any
    row: None); retained in week n when a ``back_to`` row (any: None) at or after that first row
    falls n ISO weeks later; complete cells only (the week ends by ``observed``)."""
    df = df.rename(columns={user: "user", ts: "ts"})
    rows = []
    starts = df if start is None else df[df["event"] == start]
    returns = df if back_to is None else df[df["event"] == back_to]
    for who, g in starts.groupby("user"):
        t0 = g["ts"].min()
        monday = t0.normalize() - pd.Timedelta(days=t0.weekday())
        back = returns[(returns["user"] == who) & (returns["ts"] >= t0)]
        ns = {((t.normalize() - pd.Timedelta(days=t.weekday())) - monday).days // 7 for t in back["ts"]}
        for n in range(weeks + 1):
            rows.append((monday, n, who, n in ns))
    out = pd.DataFrame(rows, columns=["cohort", "period_n", "user", "hit"])
    cells = out.groupby(["cohort", "period_n"]).agg(entities=("user", "size"), retained=("hit", "sum"))
    cells = cells.reset_index()
    ends = cells["cohort"] + pd.to_timedelta(7 * (cells["period_n"] + 1), unit="D")
    return cells[ends <= observed].reset_index(drop=True)


def test_retention_with_where_equals_pandas_cohorts_on_the_filtered_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(23)
    n = 1500
    df = pd.DataFrame(
        {
            "ts": R_ORIGIN + pd.to_timedelta(rng.integers(0, 60 * 24, n), unit="h"),
            "user": [f"u{i}" for i in rng.integers(0, 120, n)],
            "event": rng.choice(["a", "b", "x"], n, p=[0.3, 0.5, 0.2]),
            "channel": rng.choice(["web", "app"], n),
            "amount": 1.0,
        }
    )
    p = write_project(tmp_path, df, {"start": "a", "return": {"event": "b"}, "period": "week", "periods": 4})
    observed = df["ts"].max().normalize() + pd.Timedelta(days=1)  # the whole source's last day
    got = p.retention("r", start="2026-03-16", end="2026-05-17", where="channel = 'web'")
    assert got.where == "channel = 'web'" and "channel = 'web'" in got.notes[0]
    done = got.cohorts[got.cohorts["complete"]][["cohort", "period_n", "entities", "retained"]]
    expected = pandas_cohorts(df[df["channel"] == "web"], observed, 4)
    pd.testing.assert_frame_equal(
        done.reset_index(drop=True).astype({"retained": "int64"}),
        expected.astype({"entities": "int64", "retained": "int64"}),
        check_dtype=False,
    )
    everyone = p.retention("r", start="2026-03-16", end="2026-05-17")
    assert everyone.cohorts["entities"].sum() != got.cohorts["entities"].sum()
    with pytest.raises(ExpressionError, match="did you mean 'channel'"):
        p.retention("r", where="chanel = 'web'")


def test_retention_returns_from_a_source_without_the_column_are_not_filtered(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "user": ["u1", "u2"],
            "event": ["sign_up", "sign_up"],
            "channel": ["web", "app"],
            "amount": 0.0,
            "ts": [R_ORIGIN, R_ORIGIN + pd.Timedelta(hours=1)],
        }
    )
    orders = pd.DataFrame(
        {  # u9 is nobody's cohort: its late order makes week 1 complete
            "customer": ["u1", "u2", "u9"],
            "at": R_ORIGIN + pd.to_timedelta([24 * 8, 24 * 8, 24 * 20], unit="h"),
            "total": 1.0,
        }
    )
    orders.to_csv(tmp_path / "orders.csv", index=False)
    extra = {
        "sources": {
            "events": {"path": "events.parquet", "time": "ts", "entity": "user", "timezone": "UTC"},
            "orders": {"path": "orders.csv", "time": "at", "entity": "customer", "timezone": "UTC"},
        }
    }
    spec = {"start": "sign_up", "return": {"source": "orders"}, "period": "week", "periods": 1}
    p = write_project(tmp_path, df, spec, extra=extra)
    got = p.retention("r", start="2026-03-16", end="2026-03-22", where="channel = 'web'")
    assert got.cohorts[["period_n", "entities", "retained"]].values.tolist() == [[0, 1, 0], [1, 1, 1]]
    assert any("orders" in n for n in got.notes)


@pytest.mark.spark
def test_where_same_on_spark(project: Project, events: pd.DataFrame, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    spark = SparkEngine(session=spark_session)
    where = "channel in ('app', 'mini')"
    duck = project.funnel("f", start=START, end=END, by="channel", where=where)
    other = project.funnel("f", start=START, end=END, by="channel", where=where, engine=spark)
    pd.testing.assert_frame_equal(duck.steps, other.steps)
    assert duck.notes == other.notes
