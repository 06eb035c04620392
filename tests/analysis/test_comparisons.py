"""Comparisons against the previous period and last year, checked against plain range queries
(whose numbers the property test checks against pandas)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from northstar.project import Project


def total(shop: Project, metric: str, start: date, end: date, **kw: object) -> float:
    return float(shop.query([metric], start=start, end=end, **kw).frame[metric].iloc[0])


@pytest.mark.parametrize("metric", ["revenue", "refund_rate", "repurchase_30d", "median_amount"])
def test_partial_last_month_is_compared_with_the_same_days(shop: Project, metric: str) -> None:
    result = shop.query(
        [metric], grain="month", start="2026-09-01", end="2026-11-20", compare=["prev", "yoy"]
    )
    frame = result.frame.set_index("period")
    nov = frame.loc[pd.Timestamp("2026-11-01")]
    assert nov[metric] == pytest.approx(
        total(shop, metric, date(2026, 11, 1), date(2026, 11, 20)), nan_ok=True
    )
    assert nov[f"{metric}__prev"] == pytest.approx(
        total(shop, metric, date(2026, 10, 1), date(2026, 10, 20)), nan_ok=True
    )
    assert nov[f"{metric}__yoy"] == pytest.approx(
        total(shop, metric, date(2025, 11, 1), date(2025, 11, 20)), nan_ok=True
    )
    # whole months are compared with whole months
    octo = frame.loc[pd.Timestamp("2026-10-01")]
    assert octo[f"{metric}__prev"] == pytest.approx(
        total(shop, metric, date(2026, 9, 1), date(2026, 9, 30)), nan_ok=True
    )
    assert any("runs only to 2026-11-20" in n for n in result.notes)


def test_day_grain_prev_and_weekday_aligned_yoy(shop: Project) -> None:
    frame = shop.query(
        ["orders"], grain="day", start="2026-10-05", end="2026-10-11", compare=["prev", "yoy"]
    ).frame
    for row in frame.itertuples():
        day = row.period.date()
        assert row.orders__prev == total(shop, "orders", day - timedelta(days=1), day - timedelta(days=1))
        last_year = day - timedelta(days=364)
        assert last_year.weekday() == day.weekday()
        assert row.orders__yoy == total(shop, "orders", last_year, last_year)
        if row.orders__prev:
            assert row.orders__prev_pct == pytest.approx((row.orders - row.orders__prev) / row.orders__prev)
            assert row.orders__prev_change == row.orders - row.orders__prev


def test_no_grain_compares_with_the_same_length_just_before(shop: Project) -> None:
    frame = shop.query(
        ["revenue", "buyers"], start="2026-10-01", end="2026-10-30", compare=["prev", "yoy"]
    ).frame
    prev = total(shop, "revenue", date(2026, 9, 1), date(2026, 9, 30))
    assert frame["revenue__prev"].iloc[0] == pytest.approx(prev)
    # 30 days is not whole weeks: last year means the same calendar dates
    assert frame["buyers__yoy"].iloc[0] == pytest.approx(
        total(shop, "buyers", date(2025, 10, 1), date(2025, 10, 30))
    )
    assert frame["buyers__yoy"].iloc[0] > 0


def test_week_grain_starts_on_monday(shop: Project) -> None:
    result = shop.query(["orders"], grain="week", start="2026-03-04", end="2026-03-22")
    assert result.start == date(2026, 3, 2)
    assert [p.date() for p in result.frame["period"]] == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert result.frame["orders"].sum() == total(shop, "orders", date(2026, 3, 2), date(2026, 3, 22))


def test_zero_base_gives_empty_change_not_infinity(shop: Project) -> None:
    frame = shop.query(["refunds"], grain="day", start="2026-01-01", end="2026-02-28", compare=["prev"]).frame
    zero_base = frame[frame["refunds__prev"] == 0]
    assert len(zero_base) > 0
    assert zero_base["refunds__prev_pct"].isna().all()
    assert (zero_base["refunds__prev_change"] == zero_base["refunds"]).all()


def test_periods_outside_the_data_are_empty_not_zero(shop: Project) -> None:
    """The shop's data starts on 2025-09-01 (UTC) = 08:00 in the project timezone."""
    result = shop.query(
        ["orders", "revenue"], grain="day", start="2025-08-30", end="2025-09-02", compare=["prev"]
    )
    frame = result.frame.set_index("period")
    assert frame.loc["2025-08-30":"2025-08-31", ["orders", "revenue"]].isna().all().all()
    assert frame.loc["2025-09-01", "orders"] > 0
    assert pd.isna(frame.loc["2025-09-01", "orders__prev"])
    assert any("the data starts on 2025-09-01" in n for n in result.notes)
    later = shop.query(["orders"], start="2030-01-01", end="2030-01-31")
    assert later.frame["orders"].isna().all()
    assert any(n.startswith("no data in this range") for n in later.notes)
