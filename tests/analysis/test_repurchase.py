"""Repurchase: ``repeat_rate`` with ``filter`` / ``repeat_filter`` / ``min_gap``, and the repurchase
curve, against a pandas oracle written from docs/spec.md (not from the compiler): random orders
with equal timestamps, split orders minutes apart, rows out of order, Berlin DST; plus backwards
compatibility, the CLI, validation messages and Spark parity."""

from __future__ import annotations

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
from northstar.errors import QueryError, SpecError
from northstar.project import Project

ORIGIN = pd.Timestamp("2026-03-25")  # UTC; crosses the 2026-03-29 DST change in Berlin
GAPS = {None: 0.0, "0s": 0.0, "30min": 1800.0, "2h": 7200.0, "20h": 72000.0}  # all < within


def local(ts: pd.Series, tz: str) -> pd.Series:
    return ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)


def first_mask(df: pd.DataFrame, paid_only: bool) -> pd.Series:
    return df["status"] == "paid" if paid_only else pd.Series(True, index=df.index)


def repeat_mask(df: pd.DataFrame, paid_only: bool, big_only: bool) -> pd.Series:
    if big_only:  # repeat_filter replaces filter for the repeat
        return df["amount"] > 5
    return first_mask(df, paid_only)


def gaps(df: pd.DataFrame, anchors: pd.DataFrame, rep: pd.Series, min_gap: float) -> dict[Any, float]:
    """Per anchor key: the smallest gap (seconds) to a repeat row that is another row than some
    first-purchase row at t0 and at least min_gap after t0; missing when none."""
    out = {}
    for key, a in anchors.groupby("key"):
        t0 = a["ts"].iloc[0]
        same = df[(df["customer"] == a["customer"].iloc[0]) & rep]
        best = None
        for _, b in same.iterrows():
            g = (b["ts"] - t0).total_seconds()
            if g < min_gap or g < 0:
                continue
            if any(b["id"] != x for x in a["id"]) and (best is None or g < best):
                best = g
        if best is not None:
            out[key] = best
    return out


def anchors_of(
    df: pd.DataFrame, mask: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp, grain: str | None
) -> pd.DataFrame:
    """The first-purchase rows (all rows tied at t0) per customer and period within [lo, hi)."""
    rows = df[mask & (df["ts"] >= lo) & (df["ts"] < hi)].copy()
    if grain == "day":
        rows["p"] = rows["ts"].dt.normalize()
    elif grain == "week":
        d = rows["ts"].dt.normalize()
        rows["p"] = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    else:
        rows["p"] = lo
    rows["t0"] = rows.groupby(["customer", "p"])["ts"].transform("min")
    firsts = rows[rows["ts"] == rows["t0"]].copy()
    firsts["key"] = list(zip(firsts["customer"], firsts["p"], strict=True))
    return firsts


def write_project(tmp: Path, df: pd.DataFrame, metrics: dict[str, Any], tz: str = "UTC") -> Project:
    df.sample(frac=1.0, random_state=2).drop(columns="id").to_csv(tmp / "orders.csv", index=False)
    spec = {
        "project": {"name": "rp", "timezone": tz},
        "sources": {"orders": {"path": "orders.csv", "time": "ts", "entity": "customer", "timezone": "UTC"}},
        "dimensions": {"channel": {}},
        "metrics": metrics,
        "north_star": next(iter(metrics)),
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return Project.load(tmp)


def orders(rows: list[tuple[int, str, str, float, str]]) -> pd.DataFrame:
    """(minutes after ORIGIN, customer, status, amount, channel) → a frame with UTC ``ts`` and an id."""
    df = pd.DataFrame(rows, columns=["m", "customer", "status", "amount", "channel"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["m"], unit="min")
    df["id"] = range(len(df))
    return df.drop(columns="m")


order_rows = st.lists(
    st.tuples(
        st.integers(0, 12 * 24 * 4).map(lambda q: q * 15),  # quarter hours over 12 days: many ties
        st.sampled_from(["c1", "c2", "c3", "c4"]),
        st.sampled_from(["paid", "paid", "refunded"]),
        st.sampled_from([1.0, 5.0, 9.0]),
        st.sampled_from(["web", "app"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=order_rows,
    paid_only=st.booleans(),
    big_only=st.booleans(),
    min_gap=st.sampled_from(list(GAPS)),
    within_days=st.sampled_from([1, 3]),
    grain=st.sampled_from([None, "day", "week"]),
    tz=st.sampled_from(["UTC", "Europe/Berlin"]),
    start_off=st.integers(0, 5),
    length=st.integers(0, 6),
)
def test_repeat_rate_options_match_oracle(
    tmp_path_factory: Any,
    rows: list,
    paid_only: bool,
    big_only: bool,
    min_gap: str | None,
    within_days: int,
    grain: str | None,
    tz: str,
    start_off: int,
    length: int,
) -> None:
    df = orders(rows)
    metric: dict[str, Any] = {"type": "repeat_rate", "source": "orders", "within": f"{within_days}d"}
    if paid_only:
        metric["filter"] = "status = 'paid'"
    if big_only:
        metric["repeat_filter"] = "amount > 5"
    if min_gap is not None:
        metric["min_gap"] = min_gap
    plain = {k: v for k, v in metric.items() if k not in ("min_gap", "repeat_filter")}
    project = write_project(tmp_path_factory.mktemp("rp"), df, {"rr": metric, "plain": plain}, tz)
    start = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = (ORIGIN + pd.Timedelta(days=start_off + length)).date()
    got = project.query(["rr", "plain"], grain=grain, start=start, end=end, compare=[]).frame
    loc = df.assign(ts=local(df["ts"], tz))
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    if grain == "week":
        lo = lo - pd.Timedelta(days=lo.day_of_week)  # a weekly query covers whole weeks
    anchors = anchors_of(loc, first_mask(loc, paid_only), lo, hi, grain)
    found = gaps(loc, anchors, repeat_mask(loc, paid_only, big_only), GAPS[min_gap])
    per_key = {k: found.get(k, np.inf) <= within_days * 86400 for k in set(anchors["key"])}
    expected: dict[Any, list[bool]] = {}
    for (_, p), hit in per_key.items():
        expected.setdefault(p, []).append(hit)
    if grain is None:
        value = got["rr"].iloc[0]
        if expected:
            assert value == pytest.approx(np.mean(next(iter(expected.values()))))
        else:
            assert pd.isna(value)
    else:
        values = dict(zip(got["period"], got["rr"], strict=True))
        for p, hits in expected.items():
            assert values[p] == pytest.approx(np.mean(hits)), p
        assert all(pd.isna(v) for p, v in values.items() if p not in expected)
    if min_gap in (None, "0s") and not big_only:  # the options path agrees with the original plan
        pd.testing.assert_series_equal(got["rr"], got["plain"], check_names=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=order_rows,
    big_only=st.booleans(),
    min_gap=st.sampled_from(list(GAPS)),
    tz=st.sampled_from(["UTC", "Europe/Berlin"]),
    by=st.sampled_from([None, "channel"]),
)
def test_repurchase_curve_matches_oracle(
    tmp_path_factory: Any, rows: list, big_only: bool, min_gap: str | None, tz: str, by: str | None
) -> None:
    df = orders(rows)
    metric: dict[str, Any] = {
        "type": "repeat_rate",
        "source": "orders",
        "within": "4d",
        "filter": "status = 'paid'",
    }
    if big_only:
        metric["repeat_filter"] = "amount > 5"
    if min_gap is not None:
        metric["min_gap"] = min_gap
    project = write_project(tmp_path_factory.mktemp("rc"), df, {"rr": metric}, tz)
    start, end = ORIGIN.date(), (ORIGIN + pd.Timedelta(days=5)).date()
    curve = project.repurchase_curve("rr", start=start, end=end, by=by)
    loc = df.assign(ts=local(df["ts"], tz))
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    anchors = anchors_of(loc, first_mask(loc, True), lo, hi, None)
    found = gaps(loc, anchors, repeat_mask(loc, True, big_only), GAPS[min_gap])
    last = loc["ts"].max()
    people = []
    for key, a in anchors.groupby("key"):
        b = min(a["channel"]) if by else None
        people.append((b, a["ts"].iloc[0], found.get(key, np.inf)))
    assert curve.days == 4
    for k in range(1, 5):
        for b in {p[0] for p in people}:
            mine = [p for p in people if p[0] == b and p[1] + pd.Timedelta(days=k) <= last]
            row = curve.curve[curve.curve["days"] == k]
            if by:
                row = row[row[by] == b]
            assert int(row["entities"].iloc[0]) == len(mine)
            assert int(row["repurchased"].iloc[0]) == sum(g <= k * 86400 for _, _, g in mine)


def test_split_order_is_not_a_repurchase_with_min_gap(tmp_path: Path) -> None:
    """c1 places two orders five minutes apart (a split basket), then nothing: a repurchase without
    min_gap, not with min_gap: 1h. c2 comes back two days later: a repurchase either way."""
    df = orders(
        [
            (0, "c1", "paid", 5.0, "web"),
            (5, "c1", "paid", 5.0, "web"),
            (0, "c2", "paid", 5.0, "web"),
            (2 * 1440, "c2", "paid", 5.0, "web"),
            (9 * 1440, "c3", "paid", 5.0, "web"),
        ]
    )
    base = {"type": "repeat_rate", "source": "orders", "within": "7d"}
    project = write_project(tmp_path, df, {"plain": base, "gap": {**base, "min_gap": "1h"}})
    frame = project.query(["plain", "gap"], start=ORIGIN.date(), end=ORIGIN.date(), compare=[]).frame
    assert frame[["plain", "gap"]].iloc[0].tolist() == [1.0, 0.5]
    curve = project.repurchase_curve("gap", start=ORIGIN.date(), end=ORIGIN.date()).curve
    assert curve["repurchased"].tolist() == [0, 1, 1, 1, 1, 1, 1]
    assert curve["entities"].tolist() == [2] * 7


def test_validation_messages(tmp_path: Path) -> None:
    df = orders([(0, "c1", "paid", 5.0, "web")])
    bad = {
        "rr": {"type": "repeat_rate", "source": "orders", "within": "1d", "min_gap": "2d"},
        "n": {"type": "count", "source": "orders", "repeat_filter": "amount > 1"},
        "rf": {"type": "repeat_rate", "source": "orders", "within": "1d", "repeat_filter": "amont > 1"},
        "g": {"type": "repeat_rate", "source": "orders", "within": "1d", "min_gap": "5m"},
    }
    with pytest.raises(SpecError) as exc:
        write_project(tmp_path, df, bad)
    text = {i.code: (i.message, i.message_zh) for i in exc.value.issues}
    assert "min_gap (2d) must be shorter than within (1d)" in text["repeat-gap"][0]
    assert "只适用于 repeat_rate" in text["repeat-option"][1]
    assert "amount" in str(exc.value)  # did you mean 'amount'
    assert "10min" in text["bad-value"][0]  # '5m' is not a duration: write e.g. … 10min


def test_cli_repurchase_curve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    df = orders(
        [
            (0, "c1", "paid", 5.0, "web"),
            (1440 + 60, "c1", "paid", 5.0, "web"),
            (0, "c2", "paid", 5.0, "app"),
            (6 * 1440, "c3", "paid", 1.0, "app"),
        ]
    )
    write_project(tmp_path, df, {"rr": {"type": "repeat_rate", "source": "orders", "within": "3d"}})
    runner = CliRunner()
    for lang, heading in (("en", "Repurchased"), ("zh", "复购人数")):
        res = runner.invoke(
            app,
            [
                "retention",
                "rr",
                "--repurchase",
                "-p",
                str(tmp_path),
                "--from",
                str(ORIGIN.date()),
                "--to",
                str(ORIGIN.date()),
                "--lang",
                lang,
            ],
        )
        assert res.exit_code == 0, res.output
        assert heading in res.output
        lines = [
            [c.strip() for c in line.strip("│ ").split("│")]
            for line in res.output.splitlines()
            if line.startswith("│")
        ]
        assert ["1", "2", "0", "0.0%"] in lines and ["2", "2", "1", "50.0%"] in lines
    res = runner.invoke(app, ["retention", "r", "--repurchase", "-p", str(tmp_path)])
    assert res.exit_code == 1 and "did you mean 'rr'" in res.output
    with pytest.raises(QueryError, match="not a repeat_rate metric"):
        Project.load(tmp_path).repurchase_curve("nope")


@pytest.mark.spark
def test_repurchase_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    rng = np.random.default_rng(4)
    n = 1500
    df = pd.DataFrame(
        {
            "m": rng.integers(0, 30 * 24 * 4, n) * 15,
            "customer": [f"c{i}" for i in rng.integers(0, 150, n)],
            "status": rng.choice(["paid", "refunded"], n, p=[0.8, 0.2]),
            "amount": rng.choice([1.0, 5.0, 9.0], n),
            "channel": rng.choice(["web", "app"], n),
        }
    )
    df = orders(list(df.itertuples(index=False, name=None)))
    metric = {
        "type": "repeat_rate",
        "source": "orders",
        "within": "7d",
        "filter": "status = 'paid'",
        "min_gap": "2h",
        "repeat_filter": "amount > 1",
    }
    project = write_project(tmp_path, df, {"rr": metric}, "Europe/Berlin")
    spark = SparkEngine(session=spark_session)
    kw: dict[str, Any] = {
        "grain": "week",
        "by": ["channel"],
        "start": "2026-03-25",
        "end": "2026-04-15",
        "compare": [],
    }
    pd.testing.assert_frame_equal(
        project.query(["rr"], **kw).frame, project.query(["rr"], engine=spark, **kw).frame
    )
    duck = project.repurchase_curve("rr", start="2026-03-25", end="2026-04-10", by="channel")
    other = project.repurchase_curve("rr", start="2026-03-25", end="2026-04-10", by="channel", engine=spark)
    pd.testing.assert_frame_equal(duck.curve, other.curve)
