"""Project.propose_targets: the history comes from the engine in the project's timezone (Europe/
Berlin, across both DST changes), complete periods only, and the proposal equals an independent
pandas/NumPy computation on the raw rows; the same on Spark."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from northstar.errors import DataError, QueryError
from northstar.project import Project

YAML = """\
project: {name: targets, timezone: Europe/Berlin}
sources:
  orders: {path: orders.csv, time: ordered_at, timezone: UTC}
metrics:
  orders: {type: count, source: orders}
  paid: {type: count, source: orders, filter: "status = 'paid'"}
  paid_share: {type: ratio, numerator: paid, denominator: orders}
north_star: orders
"""

# rows whose Berlin day differs from their UTC day, at month ends and on both DST changes
EDGES = [
    ("2024-09-30 22:30:00", "paid"),  # 2024-10-01 00:30 CEST: the first row, so October 2024 is complete
    ("2025-10-31 23:30:00", "paid"),  # 2025-11-01 00:30 CET: November
    ("2026-03-29 00:30:00", "paid"),  # 01:30 CET, before the clocks go forward: March
    ("2026-03-31 22:30:00", "open"),  # 2026-04-01 00:30 CEST: April
    ("2026-10-25 00:30:00", "paid"),  # 02:30 CEST, the hour that repeats: October
    ("2026-10-31 23:30:00", "paid"),  # 2026-11-01 00:30 CET: November (in progress)
]


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    days = pd.date_range("2024-10-01", "2026-11-15", freq="D")
    level = 20 * np.exp(0.0008 * np.arange(len(days)))
    counts = rng.poisson(level)
    stamps = np.repeat(days.values, counts) + rng.integers(3600, 22 * 3600, counts.sum()).astype(
        "timedelta64[s]"
    )
    local = pd.DatetimeIndex(stamps).tz_localize(
        "Europe/Berlin", ambiguous=False, nonexistent="shift_forward"
    )
    frame = pd.DataFrame(
        {
            "ordered_at": local.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S"),
            "status": rng.choice(["paid", "open"], counts.sum(), p=[0.7, 0.3]),
        }
    )
    edges = pd.DataFrame(EDGES, columns=["ordered_at", "status"])
    repeated = frame.iloc[:50]  # the same rows twice: equal timestamps, repeated events
    return pd.concat([frame, edges, repeated]).sample(frac=1.0, random_state=3)  # out of order


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("targets")
    rows = _rows()
    rows.to_csv(folder / "orders.csv", index=False)
    (folder / "northstar.yml").write_text(YAML, encoding="utf-8")
    return Project.load(folder), rows


def _monthly(rows: pd.DataFrame) -> pd.DataFrame:
    """Orders and paid orders per Berlin month, complete months only (pandas, from the raw rows)."""
    local = pd.to_datetime(rows["ordered_at"]).dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    month = local.dt.tz_localize(None).dt.to_period("M")
    table = (
        pd.DataFrame({"orders": 1, "paid": (rows["status"] == "paid").astype(int)})
        .groupby(pd.PeriodIndex(month))
        .sum()
    )
    last_day = local.max().tz_localize(None).normalize()
    return table[table.index.end_time.normalize() <= last_day]


def _oracle(values: np.ndarray, months: pd.PeriodIndex, target: pd.Period) -> tuple[float, float, float]:
    """Trend per period, forecast for ``target`` (on log values per unit) by OLS with month dummies."""
    t = np.array([m.ordinal - months[-1].ordinal for m in months], dtype=float)
    moy = np.array([m.month for m in months])
    x = np.column_stack([t] + [(moy == k).astype(float) for k in range(1, 13)])
    beta, *_ = np.linalg.lstsq(x, np.log(values), rcond=None)
    h = target.ordinal - months[-1].ordinal
    resid = np.log(values) - x @ beta
    sigma = math.sqrt(resid @ resid / (len(values) - 13))
    return float(beta[0]), float(beta[0] * h + beta[target.month]), sigma


def test_counts_per_berlin_month_and_their_forecast(project: tuple[Project, pd.DataFrame]) -> None:
    proj, rows = project
    expected = _monthly(rows)
    assert str(expected.index[0]) == "2024-10" and str(expected.index[-1]) == "2026-10"  # 25 months
    proposal = proj.propose_targets("orders", grain="month", steps=2)
    assert proposal.additive and proposal.history_periods == 25 and proposal.seasonality_estimated
    assert proposal.current == expected["orders"].iloc[-1] and proposal.current_period == "2026-10"
    first = proposal.steps[0]
    assert first.period == "2026-12" and first.horizon == 2  # November is in progress: skipped
    per_day = expected["orders"].to_numpy() / expected.index.days_in_month.to_numpy()
    trend, log_forecast, sigma = _oracle(per_day, expected.index, pd.Period("2026-12", "M"))
    assert proposal.trend == pytest.approx(math.exp(trend) - 1, rel=1e-9)
    assert proposal.volatility == pytest.approx(sigma, rel=1e-9)
    assert first.forecast == pytest.approx(math.exp(log_forecast) * 31, rel=1e-9)


def test_a_ratio_is_modelled_per_period_not_per_day(project: tuple[Project, pd.DataFrame]) -> None:
    proj, rows = project
    expected = _monthly(rows)
    share = (expected["paid"] / expected["orders"]).to_numpy()
    proposal = proj.propose_targets("paid_share", grain="month", steps=1, benchmark=0.8)
    assert not proposal.additive and proposal.rule == "benchmark"
    assert proposal.current == pytest.approx(share[-1], rel=1e-12)
    _, log_forecast, _ = _oracle(share, expected.index, pd.Period("2026-12", "M"))
    assert proposal.steps[0].forecast == pytest.approx(math.exp(log_forecast), rel=1e-9)
    assert proposal.steps[0].target >= proposal.steps[0].forecast


def test_unknown_names_and_empty_sources(project: tuple[Project, pd.DataFrame], tmp_path: Path) -> None:
    proj, _ = project
    with pytest.raises(QueryError) as metric:
        proj.propose_targets("order")
    assert "did you mean 'orders'" in str(metric.value) and "您是不是想写" in metric.value.zh
    with pytest.raises(QueryError) as grain:
        proj.propose_targets("orders", grain="day")
    assert "week, month or quarter" in str(grain.value)
    (tmp_path / "orders.csv").write_text("ordered_at,status\n", encoding="utf-8")
    (tmp_path / "northstar.yml").write_text(YAML, encoding="utf-8")
    with pytest.raises(DataError) as empty:
        Project.load(tmp_path).propose_targets("orders")
    assert "has no data" in str(empty.value) and "没有数据" in empty.value.zh


@pytest.mark.spark
def test_the_same_proposal_on_spark(project: tuple[Project, pd.DataFrame], spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    proj, _ = project
    spark = SparkEngine(session=spark_session)
    for metric, benchmark in [("orders", None), ("paid_share", 0.8)]:
        duck = proj.propose_targets(metric, benchmark=benchmark, grain="month").to_dict()
        other = proj.propose_targets(metric, benchmark=benchmark, grain="month", engine=spark).to_dict()
        assert _same(other, duck)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), (a, b)
        return True
    assert a == b
    return True
