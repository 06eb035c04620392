"""Hand-built results for the export tests: weekly revenue and conversion by channel."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from northstar.results import MetricInfo, QueryResult

REVENUE = MetricInfo("revenue", "Revenue", "收入", "USD", "currency", 0, "higher")
CONVERSION = MetricInfo("conversion_rate", "Conversion rate", "转化率", None, "percent", 1, "higher")
REFUND = MetricInfo("refund_rate", "Refund rate", "退款率", None, "percent", 1, "lower")

WEEKS = [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15")]
CHANNELS = ["微信", "web", "抖音"]


def _frame(metrics: tuple[MetricInfo, ...]) -> pd.DataFrame:
    rows = []
    for w, week in enumerate(WEEKS):
        for c, channel in enumerate(CHANNELS):
            row: dict[str, object] = {"period": week, "channel": channel}
            values = {
                "revenue": 1000.0 * (c + 1) + 100 * w,
                "conversion_rate": 0.02 + 0.01 * c + 0.005 * w,
                "refund_rate": 0.05 - 0.01 * w,
            }
            for m in metrics:
                row[m.name] = values[m.name]
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.loc[(frame["channel"] == "抖音") & (frame["period"] == WEEKS[0]), "conversion_rate"] = math.nan
    for m in metrics:
        prev = frame.groupby("channel", sort=False)[m.name].shift(1)
        frame[f"{m.name}__prev"] = prev
        frame[f"{m.name}__prev_change"] = frame[m.name] - prev
        frame[f"{m.name}__prev_pct"] = (frame[m.name] - prev) / prev
    return frame


@pytest.fixture
def result() -> QueryResult:
    """Two metrics (one percent), a Chinese dimension, a prev comparison and some NaN."""
    metrics = (REVENUE, CONVERSION)
    return QueryResult(
        frame=_frame(metrics),
        metrics=metrics,
        dimensions=("channel",),
        grain="week",
        start=date(2024, 1, 1),
        end=date(2024, 1, 21),
        comparisons=("prev",),
        currency="USD",
        notes=("Week of 2024-01-15 is incomplete.",),
    )


@pytest.fixture
def result_lower() -> QueryResult:
    """Revenue and a lower-is-better refund rate, with prev comparisons."""
    metrics = (REVENUE, REFUND)
    return QueryResult(
        frame=_frame(metrics),
        metrics=metrics,
        dimensions=("channel",),
        grain="week",
        start=date(2024, 1, 1),
        end=date(2024, 1, 21),
        comparisons=("prev",),
        currency="USD",
    )


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The demo project (small: 2,000 people over 120 days to 2026-11-26), written once per run,
    for the scorecard and review-pack exports."""
    from northstar.scaffold.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo") / "shop", days=120, users=2000).path
