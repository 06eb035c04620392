"""Property-based check: random data × random metric specs, Northstar vs an independent pandas oracle."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northstar.project import Project
from tests.oracle import aggregate, period_of, repeat_rate

ORIGIN = pd.Timestamp("2026-03-01")
FILTERS = {
    None: lambda d: pd.Series(True, index=d.index),
    "status = 'a'": lambda d: d["status"] == "a",
    "amount > 10": lambda d: d["amount"] > 10,
    "channel in ('x', 'y') or amount is null": lambda d: d["channel"].isin(["x", "y"]) | d["amount"].isna(),
    # SQL's three-valued logic: NOT (TRUE AND NULL) is NULL, so the row is left out
    "not (status = 'b' and amount between 5 and 50)": lambda d: (
        ~((d["status"] == "b") & (d["amount"].between(5, 50) | d["amount"].isna()))
    ),
}

rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 70 * 24 * 3600),  # seconds after ORIGIN
        st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),  # entity
        st.sampled_from(["x", "y", "z"]),  # channel
        st.one_of(st.none(), st.floats(-20, 200, allow_nan=False).map(lambda v: round(v, 2))),
        st.sampled_from(["a", "b"]),  # status
    ),
    min_size=0,
    max_size=60,
)
metric_strategy = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["count", "count_distinct"])}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["sum", "avg", "min", "max", "median"]), "column": st.just("amount")}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("percentile"),
            "column": st.just("amount"),
            "percentile": st.sampled_from([0.1, 0.25, 0.9, 0.99]),
        }
    ),
    st.fixed_dictionaries({"type": st.just("repeat_rate"), "within": st.sampled_from(["1d", "7d", "30d"])}),
)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["secs", "user", "channel", "amount", "status"])
    df["ts"] = ORIGIN + pd.to_timedelta(df["secs"], unit="s")
    df["amount"] = df["amount"].astype("float64")
    return df.drop(columns="secs")


def _write_project(tmp: Path, df: pd.DataFrame, metric: dict, flt: str | None) -> None:
    import pyarrow as pa

    schema = pa.schema(
        [
            ("user", pa.string()),
            ("channel", pa.string()),
            ("amount", pa.float64()),
            ("status", pa.string()),
            ("ts", pa.timestamp("us")),
        ]
    )
    table = pa.Table.from_pandas(
        df.assign(ts=df["ts"].astype("datetime64[us]")), schema=schema, preserve_index=False
    )
    import pyarrow.parquet as pq

    pq.write_table(table, tmp / "rows.parquet")
    spec = {"source": "rows", **metric}
    if flt:
        spec["filter"] = flt
    project = {
        "project": {"name": "p", "timezone": "UTC"},
        "sources": {"rows": {"path": "rows.parquet", "time": "ts", "entity": "user"}},
        "dimensions": {"channel": {}},
        "metrics": {
            "m": spec,
            "n": {"type": "count", "source": "rows"},
            "r": {"type": "ratio", "numerator": "m", "denominator": "n"},
        },
        "north_star": "m",
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(project), encoding="utf-8")


def _expected(
    df: pd.DataFrame,
    metric: dict,
    flt: str | None,
    grain: str | None,
    by: list[str],
    start: date,
    end: date,
    where_fn=None,
) -> pd.DataFrame:
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    if grain:  # with a grain the range starts where its first period starts
        lo = period_of(pd.Series([lo]), grain).iloc[0]
    base = df if where_fn is None else df[where_fn(df)]
    in_range = base[(base["ts"] >= lo) & (base["ts"] < hi)].copy()
    in_range["period"] = period_of(in_range["ts"], grain)
    mask_all = FILTERS[flt](base)
    out = []
    keys = (["period"] if grain else []) + by
    groups = in_range.groupby(keys, sort=True) if keys else [((), in_range)]
    if metric["type"] == "repeat_rate":
        # an entity belongs to the slice of its first qualifying row in the period (ties: by slice)
        qualifying = in_range[FILTERS[flt](in_range)].sort_values(["ts", *by], kind="stable")
        per = ["period"] if grain else []
        firsts = qualifying.groupby([*per, "user"], sort=False).head(1)
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        m_mask = FILTERS[flt](g)
        if metric["type"] == "repeat_rate":
            days = {"1d": 1, "7d": 7, "30d": 30}[metric["within"]]
            mine = firsts
            for k, v in zip(keys, key, strict=True):
                mine = mine[mine[k] == v]
            value = repeat_rate(mine, base, mask_all, "user", days, hi)
        else:
            value = aggregate(g, metric, m_mask, "user")
        n = float(len(g))
        row = dict(zip(keys, key, strict=True))
        row.update(m=value, n=n)
        out.append(row)
    frame = pd.DataFrame(out, columns=[*keys, "m", "n"])
    if grain:
        frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[us]")
    return frame


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=rows_strategy,
    metric=metric_strategy,
    flt=st.sampled_from(list(FILTERS)),
    grain=st.sampled_from([None, "hour", "day", "week", "month", "quarter"]),
    by=st.sampled_from([[], ["channel"]]),
    start_off=st.integers(0, 30),
    length=st.integers(0, 40),
)
def test_metrics_match_pandas(tmp_path_factory, rows, metric, flt, grain, by, start_off, length):
    tmp = tmp_path_factory.mktemp("prop")
    df = _frame(rows)
    _write_project(tmp, df, metric, flt)
    project = Project.load(tmp)
    start = (ORIGIN + pd.Timedelta(days=start_off)).date()
    end = start + timedelta(days=length)
    result = project.query(["m", "r"], by=by, grain=grain, start=start, end=end).frame
    expected = _expected(df, metric, flt, grain, by, start, end)
    keys = (["period"] if grain else []) + by
    expected = expected.rename(columns={"m": "m_exp", "n": "n_exp"})
    merged = result.merge(expected, on=keys, how="left") if keys else pd.concat([result, expected], axis=1)
    assert len(merged) == len(result)
    for _, row in merged.iterrows():
        exp_m = row["m_exp"]
        covered = _covered(df, grain, row.get("period"), start, end)
        if pd.isna(exp_m) and metric["type"] in ("count", "count_distinct", "sum") and covered:
            exp_m = 0.0  # additive metrics are 0 where nothing matched within the data; others stay empty
        if not covered and metric["type"] in ("count", "count_distinct", "sum"):
            exp_m = np.nan  # outside the data's time span nothing is known
        _close(row["m"], exp_m)
        exp_n = (0.0 if pd.isna(row["n_exp"]) else row["n_exp"]) if covered else np.nan
        exp_r = exp_m / exp_n if exp_n and not pd.isna(exp_m) else np.nan
        _close(row["r"], exp_r)
    # every row the oracle found is present in Northstar's answer
    if keys and not expected.empty:
        assert len(expected.merge(result[keys], on=keys)) == len(expected)


def _covered(df: pd.DataFrame, grain: str | None, period: object, start: date, end: date) -> bool:
    """Whether a result row lies within the time span of the source's rows (all of them)."""
    if df.empty:
        return False
    lo, hi = df["ts"].min(), df["ts"].max()
    if grain:
        first = period_of(pd.Series([lo]), grain).iloc[0]
        return bool(first <= pd.Timestamp(period) <= hi)
    return bool(pd.Timestamp(start) <= hi and pd.Timestamp(end) + pd.Timedelta(days=1) > lo)


def _close(actual: float, expected: float) -> None:
    if pd.isna(expected):
        assert pd.isna(actual), (actual, expected)
    else:
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9)
