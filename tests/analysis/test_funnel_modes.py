"""Funnel order modes, exclusions, per-step windows and last-step attribution against a
brute-force oracle that walks every path (it does not assume the earliest row is the best one).

The oracle is written from the definitions in docs/spec.md (*Funnels*), separately from
northstar.analysis.funnels.
"""

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

from northstar.project import Project

ORIGIN = pd.Timestamp("2026-05-01")


def brute_force(
    df: pd.DataFrame,
    steps: list[str],
    within: pd.Timedelta,
    start: date,
    end: date,
    *,
    order: str = "ordered",
    step_within: dict[int, pd.Timedelta] | None = None,
    exclude: list[tuple[str, int, int]] = (),  # type: ignore[assignment]
    by: str | None = None,
    attribution: str = "first",
) -> pd.DataFrame:
    """Per entity: level, seconds (entry → last step), reach_k (entry → earliest time at step k),
    breakdown value. ``df`` has user, event, channel, ts (UTC instants), local (wall clock)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    step_within = step_within or {}
    n = len(steps)
    out = []
    for user, g in df.groupby("user"):
        g = g.sort_values("ts", kind="stable")
        recs = list(g.itertuples(index=False))
        in_range = [r for r in recs if lo <= r.local < hi]
        best: tuple | None = None
        for r0 in in_range:
            if order == "any":
                if r0.event not in steps:
                    continue
                firsts = {}
                for k, st_ in enumerate(steps):
                    ts = [r.ts for r in recs if r.event == st_ and r0.ts <= r.ts <= r0.ts + within]
                    if ts:
                        firsts[k] = min(ts)
                level = len(firsts)
                tlast = max(firsts.values())
                reach = {}
            else:
                if r0.event != steps[0]:
                    continue
                earliest: dict[int, pd.Timestamp] = {0: r0.ts}
                stack = [(1, r0)]  # every path, depth first: (index of the next step, row of the step before)
                while stack:
                    k, prev = stack.pop()
                    if k == n:
                        continue
                    for r in recs:
                        if not _may_follow(r, prev, r0, k, recs, steps, within, order, step_within, exclude):
                            continue
                        if k not in earliest or r.ts < earliest[k]:
                            earliest[k] = r.ts
                        stack.append((k + 1, r))
                level = max(earliest) + 1
                tlast = earliest[level - 1]
                reach = {k + 1: (t - r0.ts).total_seconds() for k, t in earliest.items() if k > 0}
            b0 = getattr(r0, by) if by else ""
            key = (-level, r0.ts, b0)
            if best is None or key < best[0]:
                best = (key, level, tlast, r0, reach)
        if best is None:
            continue
        _, level, tlast, r0, reach = best
        value = getattr(r0, by) if by else None
        if by and attribution == "last":
            value = min(getattr(r, by) for r in recs if r.ts == tlast and r.event in steps)
        row = {"entity": user, "level": level, "seconds": (tlast - r0.ts).total_seconds(), "b": value}
        row.update({f"reach_{k}": reach.get(k, np.nan) for k in range(2, n + 1)})
        out.append(row)
    cols = ["entity", "level", "seconds", "b", *[f"reach_{k}" for k in range(2, n + 1)]]
    return pd.DataFrame(out, columns=cols)


def _may_follow(
    r: Any,
    prev: Any,
    r0: Any,
    k: int,
    recs: list,
    steps: list[str],
    within: pd.Timedelta,
    order: str,
    step_within: dict[int, pd.Timedelta],
    exclude: Any,
) -> bool:
    """Row ``r`` can be step k+1 (0-based ``k``) after row ``prev`` in the attempt started by ``r0``."""
    if r.event != steps[k] or r.ts > r0.ts + within or r.ts < prev.ts:
        return False
    if steps[k] == steps[k - 1] and not r.ts > prev.ts:
        return False
    if k in step_within and r.ts > prev.ts + step_within[k]:
        return False
    if order == "strict" and any(prev.ts < x.ts < r.ts for x in recs):
        return False
    # exclusion between steps a and b (1-based) guards the moves from step k (1-based) with a <= k < b
    return not any(
        a <= k < b and x.event == ev and prev.ts <= x.ts <= r.ts for ev, a, b in exclude for x in recs
    )


def make_project(tmp: Path, df: pd.DataFrame, funnel: dict[str, Any], tz: str = "UTC") -> Project:
    frame = df.sample(frac=1.0, random_state=3)[["user", "event", "channel", "ts"]]  # out of order
    schema = pa.schema(
        [
            ("user", pa.string()),
            ("event", pa.string()),
            ("channel", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
        ]
    )
    frame = frame.assign(ts=frame["ts"].dt.tz_localize("UTC"))
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), tmp / "events.parquet")
    spec = {
        "project": {"name": "f", "timezone": tz},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user"}},
        "dimensions": {"channel": {}},
        "metrics": {"n": {"type": "count", "source": "events"}},
        "north_star": "n",
        "funnels": {"f": {"source": "events", "event_column": "event", **funnel}},
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


events = st.lists(
    st.tuples(
        st.integers(0, 10 * 24),  # hours: coarse, so equal timestamps are common
        st.sampled_from(["u1", "u2", "u3", "u4"]),
        st.sampled_from(["a", "b", "c", "x", "z"]),
        st.sampled_from(["web", "app", "mini"]),
    ),
    max_size=45,
)


def frame_of(rows: list, tz: str = "UTC") -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["h", "user", "event", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["h"], unit="h")
    df["local"] = df["ts"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return df.drop(columns="h")


def compare(result: Any, expected: pd.DataFrame, n: int, by: str | None) -> None:
    got = result.entities.rename(columns={by: "b"} if by else {}).sort_values("entity").reset_index(drop=True)
    exp = expected.sort_values("entity").reset_index(drop=True)
    assert got["entity"].tolist() == exp["entity"].tolist()
    assert got["level"].astype(int).tolist() == exp["level"].tolist()
    np.testing.assert_allclose(got["seconds_to_last_step"].astype(float), exp["seconds"].astype(float))
    if by:
        assert got["b"].tolist() == exp["b"].tolist()
    for k in range(2, n + 1):
        if f"reach_{k}" in exp and not np.isnan(exp[f"reach_{k}"].astype(float)).all():
            np.testing.assert_allclose(got[f"reach_{k}"].astype(float), exp[f"reach_{k}"].astype(float))


CASES = [
    {"order": "strict"},
    {"order": "any"},
    {"exclude": [("x", 1, 3)]},
    {"exclude": [("x", 2, 3)]},
    {"exclude": [("x", 1, 2), ("z", 2, 3)]},
    {"step_within": {1: pd.Timedelta(hours=3)}},
    {"step_within": {2: pd.Timedelta(hours=2)}, "order": "strict"},
    {"attribution": "last"},
    {"order": "ordered"},
]


def funnel_yaml(steps: list[str], within_h: int, case: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"within": f"{within_h}h", "steps": [{"event": s} for s in steps]}
    for k, w in case.get("step_within", {}).items():
        out["steps"][k]["within"] = f"{int(w / pd.Timedelta(hours=1))}h"
    if case.get("order"):
        out["order"] = case["order"]
    if case.get("exclude"):
        out["exclude"] = [{"event": e, "between": [a, b]} for e, a, b in case["exclude"]]
    if case.get("attribution"):
        out["attribution"] = case["attribution"]
    return out


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=events,
    within_h=st.sampled_from([2, 6, 24, 72]),
    start_off=st.integers(0, 4),
    length=st.integers(0, 5),
    case=st.sampled_from(CASES),
    by=st.sampled_from([None, "channel"]),
    steps=st.sampled_from([["a", "b", "c"], ["a", "a", "b"], ["b", "a", "c"]]),
)
def test_modes_match_brute_force(
    tmp_path_factory: Any,
    rows: list,
    within_h: int,
    start_off: int,
    length: int,
    case: dict[str, Any],
    by: str | None,
    steps: list[str],
) -> None:
    if case.get("order") == "any" and len(set(steps)) < len(steps):
        steps = ["a", "b", "c"]  # repeated steps make no sense without an order
    tmp = tmp_path_factory.mktemp("modes")
    df = frame_of(rows)
    project = make_project(tmp, df, funnel_yaml(steps, within_h, case))
    start = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = start + timedelta(days=length)
    result = project.funnel("f", start=start, end=end, by=by)
    expected = brute_force(
        df,
        steps,
        pd.Timedelta(hours=within_h),
        start,
        end,
        order=case.get("order", "ordered"),
        step_within=case.get("step_within"),
        exclude=case.get("exclude", []),
        by=by,
        attribution=case.get("attribution", "first"),
    )
    compare(result, expected, len(steps), by)


def test_windows_use_elapsed_time_across_dst(tmp_path: Path) -> None:
    """Berlin, 2026-10-25: clocks go back at 03:00. Events 30 real minutes apart around the change
    keep their order, and a 1-hour window is one real hour."""
    utc = pd.to_datetime(
        [
            "2026-10-25 00:40",  # 02:40 CEST  u1 a
            "2026-10-25 01:10",  # 02:10 CET   u1 b: earlier on the wall clock, 30 minutes later in reality
            "2026-10-25 00:50",  # 02:50 CEST  u2 a
            "2026-10-25 01:55",  # 02:55 CET   u2 b: 65 real minutes later (5 on the wall clock): outside 1h
        ]
    )
    df = pd.DataFrame(
        {"user": ["u1", "u1", "u2", "u2"], "event": ["a", "b", "a", "b"], "channel": "web", "ts": utc}
    )
    project = make_project(tmp_path, df, {"within": "1h", "steps": ["a", "b"]}, tz="Europe/Berlin")
    result = project.funnel("f", start="2026-10-25", end="2026-10-25")
    ents = result.entities.set_index("entity")
    assert ents.loc["u1", "level"] == 2 and ents.loc["u1", "seconds_to_last_step"] == 1800
    assert ents.loc["u2", "level"] == 1
    assert str(ents.loc["u1", "entered"]) == "2026-10-25 02:40:00"  # shown on the local wall clock


def test_histogram_and_step_times(tmp_path: Path) -> None:
    rows = [(0, "u1", "a", "web"), (1, "u1", "b", "web"), (3, "u1", "c", "web")]
    rows += [(0, "u2", "a", "web"), (2, "u2", "b", "web"), (30, "u2", "c", "web")]
    rows += [(0, "u3", "a", "web"), (5, "u3", "b", "web")]
    df = frame_of(rows)
    project = make_project(tmp_path, df, {"within": "2d", "steps": ["a", "b", "c"]})
    result = project.funnel("f", start="2026-05-01", end="2026-05-01")
    steps = result.steps.set_index("step")
    # a → b: 1 h, 2 h, 5 h; b → c: 2 h, 28 h (numpy's linear quantiles)
    assert steps.loc[2, "median_seconds"] == 2 * 3600
    assert steps.loc[2, "p90_seconds"] == pytest.approx(np.quantile([1, 2, 5], 0.9) * 3600)
    assert steps.loc[3, "median_seconds"] == pytest.approx(np.quantile([2, 28], 0.5) * 3600)
    hist = result.histogram
    assert hist["entities"].sum() == 2
    # 3 h falls in [2 h, 6 h), 30 h in [1 d, 2 d]
    assert hist.loc[hist["lower_seconds"] == 7200, "entities"].item() == 1
    assert hist.loc[hist["lower_seconds"] == 86400, "entities"].item() == 1
    assert hist["upper_seconds"].max() == 2 * 86400


def test_last_step_attribution_changes_the_breakdown(tmp_path: Path) -> None:
    rows = [(0, "u1", "a", "ads"), (1, "u1", "b", "email"), (2, "u1", "c", "email")]
    df = frame_of(rows)
    first = make_project(tmp_path, df, {"within": "1d", "steps": ["a", "b", "c"]})
    assert first.funnel("f", start="2026-05-01", end="2026-05-01", by="channel").entities[
        "channel"
    ].tolist() == ["ads"]
    last = make_project(tmp_path, df, {"within": "1d", "steps": ["a", "b", "c"], "attribution": "last"})
    assert last.funnel("f", start="2026-05-01", end="2026-05-01", by="channel").entities[
        "channel"
    ].tolist() == ["email"]


@pytest.mark.spark
def test_modes_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(11)
    n = 1500
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 10 * 24 * 4, n) * 15, unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 150, n)],
            "event": rng.choice(["a", "b", "c", "x"], n, p=[0.35, 0.3, 0.2, 0.15]),
            "channel": rng.choice(["web", "app"], n),
        }
    )
    spark = SparkEngine(session=spark_session)
    for i, case in enumerate([{"order": "strict"}, {"order": "any"}, {"exclude": [("x", 1, 3)]}]):
        tmp = tmp_path / str(i)
        tmp.mkdir()
        df["local"] = df["ts"].dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        project = make_project(tmp, df, funnel_yaml(["a", "b", "c"], 24, case), tz="Asia/Shanghai")
        duck = project.funnel("f", start="2026-05-02", end="2026-05-08", by="channel")
        other = project.funnel("f", start="2026-05-02", end="2026-05-08", by="channel", engine=spark)
        pd.testing.assert_frame_equal(duck.steps, other.steps)
        expected = brute_force(
            df,
            ["a", "b", "c"],
            pd.Timedelta(hours=24),
            date(2026, 5, 2),
            date(2026, 5, 8),
            order=case.get("order", "ordered"),
            exclude=case.get("exclude", []),
            by="channel",
        )
        compare(duck, expected, 3, "channel")


GREEDY_TRAPS = [
    # taking the earliest b would lose: x lies between it and c, and b→c may not contain x
    ([(0, "a"), (1, "b"), (2, "x"), (3, "b"), (4, "c")], {"exclude": [("x", 2, 3)]}),
    # the earliest b is too early for c's 1-hour window after b
    ([(0, "a"), (1, "b"), (5, "b"), (6, "c")], {"step_within": {2: pd.Timedelta(hours=1)}}),
    # strict: b at the same time as a leads nowhere; the b one hour later reaches c
    ([(0, "a"), (0, "b"), (1, "b"), (2, "c")], {"order": "strict"}),
]


@pytest.mark.parametrize(("rows", "case"), GREEDY_TRAPS)
def test_paths_where_the_earliest_row_is_not_best(tmp_path: Path, rows: list, case: dict[str, Any]) -> None:
    df = frame_of([(h, "u1", e, "web") for h, e in rows])
    project = make_project(tmp_path, df, funnel_yaml(["a", "b", "c"], 24, case))
    result = project.funnel("f", start="2026-05-01", end="2026-05-01")
    assert result.entities["level"].tolist() == [3]
    expected = brute_force(
        df,
        ["a", "b", "c"],
        pd.Timedelta(hours=24),
        date(2026, 5, 1),
        date(2026, 5, 1),
        order=case.get("order", "ordered"),
        step_within=case.get("step_within"),
        exclude=case.get("exclude", []),
    )
    compare(result, expected, 3, None)


def test_cli_writes_the_report_and_the_dropped(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from northstar.cli.main import app

    rows = [(0, "u1", "a", "web"), (1, "u1", "b", "web"), (2, "u1", "c", "web"), (0, "u2", "a", "app")]
    make_project(tmp_path, frame_of(rows), {"within": "1d", "steps": ["a", "b", "c"]})
    runner = CliRunner()
    out = tmp_path / "report.xlsx"
    res = runner.invoke(
        app,
        [
            "funnel",
            "f",
            "-p",
            str(tmp_path),
            "--from",
            "2026-05-01",
            "--to",
            "2026-05-01",
            "--grain",
            "day",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    book = pd.read_excel(out, sheet_name=None, engine="calamine")
    assert list(book) == ["steps", "times", "histogram", "over_time", "about"]
    about = dict(zip(book["about"]["key"], book["about"]["value"], strict=False))
    assert about["funnel"] == "f" and about["within"] == "1d" and about["from"] == "2026-05-01"
    assert book["steps"]["entities"].tolist() == [2, 1, 1]
    lost = tmp_path / "lost.csv"
    res = runner.invoke(
        app,
        [
            "funnel",
            "f",
            "-p",
            str(tmp_path),
            "--from",
            "2026-05-01",
            "--to",
            "2026-05-01",
            "--dropped-at",
            "2",
            "-o",
            str(lost),
            "--lang",
            "zh",
        ],
    )
    assert res.exit_code == 0 and "已把 1 个对象写入" in res.output
    assert pd.read_csv(lost)["entity"].tolist() == ["u2"]


@pytest.mark.parametrize("order", ["ordered", "strict"])  # the fast path and the portable one
def test_a_missing_breakdown_value_does_not_stop_the_funnel(tmp_path: Path, order: str) -> None:
    rows = [(0, "u1", "a", None), (1, "u1", "b", None), (2, "u1", "c", None), (0, "u2", "a", "web")]
    result = make_project(
        tmp_path, frame_of(rows), {"within": "1d", "order": order, "steps": ["a", "b", "c"]}
    ).funnel("f", start="2026-05-01", end="2026-05-01", by="channel")
    ents = result.entities.set_index("entity")
    assert ents.loc["u1", "level"] == 3 and pd.isna(ents.loc["u1", "channel"])
    missing = result.steps[result.steps["channel"].isna()]
    assert missing["entities"].tolist() == [1, 1, 1]


def test_the_title_states_windows_and_exclusions(tmp_path: Path) -> None:
    from northstar.cli.render import funnel_table

    funnel = {
        "within": "1d",
        "steps": ["a", {"event": "b", "within": "2h"}, "c"],
        "exclude": [{"event": "x", "between": [2, 3]}],
    }
    result = make_project(tmp_path, frame_of(ROWS_FOR_TITLE), funnel).funnel(
        "f", start="2026-05-01", end="2026-05-01"
    )
    assert result.rules[0] == "step 2 within 2h of step 1; excluding x between steps 2 and 3"
    assert "第 2–3 步之间出现 x 即流失" in str(funnel_table(result, "zh").title)


ROWS_FOR_TITLE = [(0, "u1", "a", "web"), (1, "u1", "b", "web"), (2, "u1", "c", "web")]


def test_histogram_bins_are_numpys() -> None:
    """The histogram's bins (lower ≤ x < upper, the last one closed at the window) equal
    np.histogram's on random values, every edge itself, NaN and values outside the window."""
    from northstar.analysis.funnels import HISTOGRAM_EDGES, histogram

    rng = np.random.default_rng(1)
    for within in (60, 3600, 86400, 7 * 86400):
        edges = [e for e in HISTOGRAM_EDGES if e < within] + [within]
        values = np.concatenate(
            [rng.uniform(0, within, 500), np.asarray(edges, float), [np.nan, -1, within + 1]]
        )
        expected, _ = np.histogram(values[~np.isnan(values)], bins=np.asarray(edges, float))
        assert histogram(values, within)["entities"].tolist() == expected.tolist()
