"""``conversion`` metrics (inline steps, or a funnel of ``funnels:``) against the brute-force
funnel oracle, run per entry period on the rows of that period only; and their validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from northstar.errors import SpecError
from northstar.project import Project
from tests.analysis.test_funnel_modes import brute_force

ORIGIN = pd.Timestamp("2026-03-02")  # a Monday


def events(seed: int, n: int = 900) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "ts": ORIGIN + pd.to_timedelta(rng.integers(0, 35 * 24 * 4, n) * 15, unit="min"),
            "user": [f"u{i}" for i in rng.integers(0, 90, n)],
            "event": rng.choice(["cart", "buy", "view", "x"], n, p=[0.35, 0.2, 0.35, 0.1]),
            "channel": rng.choice(["ads", "seo"], n),
        }
    )
    df["local"] = df["ts"]
    return df


def write(
    tmp: Path, df: pd.DataFrame, metrics: dict[str, Any], funnels: dict[str, Any] | None = None
) -> Path:
    frame = df.sample(frac=1.0, random_state=2)[["user", "event", "channel", "ts"]]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp / "events.parquet")
    spec = {
        "project": {"name": "c", "timezone": "UTC"},
        "sources": {"events": {"path": "events.parquet", "time": "ts", "entity": "user"}},
        "dimensions": {"channel": {}},
        "metrics": {"n": {"type": "count", "source": "events"}, **metrics},
        "north_star": "n",
        "funnels": funnels or {},
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return tmp


def expected_weekly(df: pd.DataFrame, steps: list[str], hours: int, start: date, end: date, by: str | None):
    """Per ISO week: entities entering that week (step-1 rows of other weeks hidden), share reaching the end."""
    out = {}
    for monday in pd.date_range(
        pd.Timestamp(start) - pd.Timedelta(days=pd.Timestamp(start).weekday()), end, freq="7D"
    ):
        nxt = monday + pd.Timedelta(days=7)
        week = df[~((df["event"] == steps[0]) & ((df["ts"] < monday) | (df["ts"] >= nxt)))]
        first = max(monday, pd.Timestamp(start)).date()
        last = min(nxt - pd.Timedelta(days=1), pd.Timestamp(end)).date()
        exp = brute_force(week, steps, pd.Timedelta(hours=hours), first, last, by=by)
        groups = exp.groupby("b") if by else [(None, exp)]
        for value, g in groups:
            if len(g):
                out[(monday, value)] = float((g["level"] == len(steps)).mean())
    return out


def test_inline_conversion_by_week_and_channel(tmp_path: Path) -> None:
    df = events(1)
    metric = {
        "type": "conversion",
        "source": "events",
        "event_column": "event",
        "steps": ["cart", "buy"],
        "within": "2d",
    }
    project = Project.load(write(tmp_path, df, {"cart_to_buy": metric}))
    result = project.query("cart_to_buy", grain="week", by=["channel"], start="2026-03-02", end="2026-04-05")
    got = {
        (pd.Timestamp(r.period), r.channel): r.cart_to_buy
        for r in result.frame.itertuples()
        if not np.isnan(r.cart_to_buy)
    }
    expected = expected_weekly(df, ["cart", "buy"], 48, date(2026, 3, 2), date(2026, 4, 5), "channel")
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key


def test_funnel_reference_and_step(tmp_path: Path) -> None:
    df = events(2)
    funnels = {
        "f": {"source": "events", "event_column": "event", "within": "1d", "steps": ["view", "cart", "buy"]}
    }
    metrics = {
        "to_buy": {"type": "conversion", "funnel": "f"},
        "to_cart": {"type": "conversion", "funnel": "f", "step": 2},
        "to_buy_3d": {"type": "conversion", "funnel": "f", "within": "3d"},
    }
    project = Project.load(write(tmp_path, df, metrics, funnels))
    got = project.query(["to_buy", "to_cart", "to_buy_3d"], start="2026-03-05", end="2026-03-25").frame.iloc[
        0
    ]
    for name, level, hours in (("to_buy", 3, 24), ("to_cart", 2, 24), ("to_buy_3d", 3, 72)):
        exp = brute_force(
            df, ["view", "cart", "buy"], pd.Timedelta(hours=hours), date(2026, 3, 5), date(2026, 3, 25)
        )
        assert got[name] == pytest.approx(float((exp["level"] >= level).mean())), name
    # the funnel report and the metric agree
    report = project.funnel("f", start="2026-03-05", end="2026-03-25")
    assert got["to_cart"] == pytest.approx(report.steps.loc[1, "conversion"])


def test_metric_filter_and_where_restrict_every_step(tmp_path: Path) -> None:
    df = events(3)
    metric = {
        "type": "conversion",
        "source": "events",
        "event_column": "event",
        "steps": ["cart", "buy"],
        "within": "1d",
    }
    project = Project.load(
        write(tmp_path, df, {"c": metric, "c_ads": {**metric, "filter": "channel = 'ads'"}})
    )
    frame = project.query(["c", "c_ads"], start="2026-03-02", end="2026-03-31", where="channel = 'ads'").frame
    ads = df[df["channel"] == "ads"]
    exp = brute_force(ads, ["cart", "buy"], pd.Timedelta(hours=24), date(2026, 3, 2), date(2026, 3, 31))
    assert frame["c"].iloc[0] == pytest.approx(float((exp["level"] == 2).mean()))
    assert frame["c_ads"].iloc[0] == pytest.approx(frame["c"].iloc[0])


def test_validation(tmp_path: Path) -> None:
    df = events(4, 50)
    funnels = {"checkout": {"source": "events", "event_column": "event", "steps": ["view", "cart", "buy"]}}
    metrics = {
        "a": {"type": "conversion", "funnel": "checkuot"},
        "b": {"type": "conversion", "funnel": "checkout", "step": 5},
        "c": {"type": "conversion", "source": "events", "event_column": "event", "steps": ["cart"]},
        "d": {"type": "conversion", "source": "events"},
    }
    with pytest.raises(SpecError) as info:
        Project.load(write(tmp_path, df, metrics, funnels))
    text = "\n".join(str(i) for i in info.value.issues)
    assert "unknown funnel 'checkuot'" in text and "checkout" in text
    assert "has 3 steps" in text
    assert "at least two steps" in text
    assert "missing 'funnel' or 'steps'" in text or "funnel' or 'steps" in text


def test_unknown_event_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    df = events(5, 80)
    funnels = {"f": {"source": "events", "event_column": "event", "steps": ["view", "crat", "buy"]}}
    project = Project.load(
        write(
            tmp_path,
            df,
            {
                "m": {
                    "type": "conversion",
                    "source": "events",
                    "event_column": "event",
                    "steps": ["cart", "bye"],
                }
            },
            funnels,
        )
    )
    warnings = [i for i in project.issues if i.code == "funnel-unknown-event"]
    assert len(warnings) == 2
    assert {w.suggestions for w in warnings} == {("cart",), ("buy",)}
    assert "no row of source 'events' has event = 'crat'" in warnings[0].message + warnings[1].message


def test_a_conversion_over_a_missing_event_says_so_when_queried(tmp_path: Path) -> None:
    df = events(6, 120)
    metric = {"type": "conversion", "source": "events", "event_column": "event", "steps": ["cart", "bye"]}
    project = Project.load(write(tmp_path, df, {"m": metric}))
    warning = next(i for i in project.issues if i.code == "funnel-unknown-event")
    assert warning.message.startswith("metric 'm', step 2: no row of source 'events' has event = 'bye'")
    result = project.query("m", start="2026-03-02", end="2026-03-31")
    assert result.frame["m"].iloc[0] == 0
    assert any(n.startswith("m: metric 'm', step 2") for n in result.notes)
