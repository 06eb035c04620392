"""An independent pandas computation of metric values, written separately from Northstar's
compiler, to check its numbers. Input: a frame with a naive local ``ts`` column."""

from __future__ import annotations

import numpy as np
import pandas as pd


def period_of(ts: pd.Series, grain: str | None) -> pd.Series:
    if grain is None:
        return pd.Series(pd.Timestamp("1970-01-01"), index=ts.index)
    if grain == "hour":
        return ts.dt.floor("h")
    if grain == "day":
        return ts.dt.floor("D")
    if grain == "week":
        d = ts.dt.floor("D")
        return d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    if grain == "month":
        return ts.dt.to_period("M").dt.start_time
    if grain == "quarter":
        return ts.dt.to_period("Q").dt.start_time
    return ts.dt.to_period("Y").dt.start_time


def aggregate(rows: pd.DataFrame, spec: dict, mask: pd.Series, entity: str) -> float:
    kind = spec["type"]
    sel = rows[mask]
    if kind == "count":
        return float(len(sel))
    if kind == "count_distinct":
        return float(sel[spec.get("column", entity)].dropna().nunique())
    values = sel[spec["column"]].dropna().astype(float)
    if kind == "sum":
        return float(values.sum()) if len(values) else np.nan
    if len(values) == 0:
        return np.nan
    if kind == "avg":
        return float(values.mean())
    if kind == "min":
        return float(values.min())
    if kind == "max":
        return float(values.max())
    if kind == "median":
        return float(np.percentile(values, 50))
    if kind == "percentile":
        return float(np.percentile(values, spec["percentile"] * 100))
    raise ValueError(kind)


def repeat_rate(
    rows: pd.DataFrame,
    all_rows: pd.DataFrame,
    mask_all: pd.Series,
    entity: str,
    within_days: float,
    end_excl: pd.Timestamp,
) -> float:
    """rows: the group's qualifying rows in the period; all_rows/mask_all: every qualifying row."""
    if rows.empty:
        return np.nan
    later = all_rows[mask_all & (all_rows["ts"] < end_excl + pd.Timedelta(days=within_days))]
    hits = 0
    firsts = rows.sort_values("ts").groupby(entity, sort=False).head(1)
    for _, first in firsts.iterrows():
        same = later[later[entity] == first[entity]]
        n_in_window = (
            (same["ts"] >= first["ts"]) & (same["ts"] <= first["ts"] + pd.Timedelta(days=within_days))
        ).sum()
        hits += n_in_window >= 2  # the first row itself plus at least one other
    return hits / len(firsts)
