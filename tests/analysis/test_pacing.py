"""Pacing of a cumulative KPI (analysis/pacing.py), checked on cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from northstar.analysis.pacing import pace
from northstar.errors import QueryError


def weekday_heavy(start: str, end: str) -> pd.Series:
    """1 a day on weekdays, 3 on Saturdays and Sundays."""
    days = pd.date_range(start, end, freq="D")
    return pd.Series(np.where(days.day_of_week >= 5, 3.0, 1.0), index=days)


def test_weekday_profile_by_hand() -> None:
    """November 2026 starts on a Sunday. Weights: weekdays 1, weekends 3 (from the 8 weeks
    before). Elapsed 1–10 Nov: Sun 1 (3), Mon–Fri 2–6 (5), Sat 7 (3), Sun 8 (3), Mon 9, Tue 10 (2)
    = 16; the month: 9 weekend days × 3 + 21 weekdays = 48. Expected share 16/48 = 1/3."""
    daily = weekday_heavy("2026-09-01", "2026-11-10")
    p = pace(daily, "2026-11-01", "2026-11-30", "2026-11-10", 80.0)
    assert p.profile == "weekday" and p.weekday_weights == (1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0)
    assert (p.days, p.days_elapsed, p.days_remaining) == (30, 10, 20)
    assert p.so_far == 16.0  # the same 16 as the weights: the month follows its usual week
    assert p.expected_share == pytest.approx(1 / 3)
    assert p.expected_so_far == pytest.approx(80 / 3)
    assert p.projected == pytest.approx(48.0)  # 16 / (1/3)
    assert p.share_of_target == pytest.approx(0.2) and p.projected_share == pytest.approx(0.6)
    assert p.on_track is False
    assert p.needed_per_day == pytest.approx((80 - 16) / 20)
    assert "projected 48.00: off track" in p.summary and "落后于计划" in p.summary_zh


def test_a_weekend_start_is_not_read_as_a_fast_month() -> None:
    """After the first Sunday alone the month is 3/48 done: 3 so far projects to exactly 48 —
    even pacing would have said 3 × 30 = 90."""
    daily = weekday_heavy("2026-09-01", "2026-11-01")
    p = pace(daily, "2026-11-01", "2026-11-30", "2026-11-01", 48.0)
    assert p.expected_share == pytest.approx(3 / 48)
    assert p.projected == pytest.approx(48.0) and p.on_track is True


def test_short_history_paces_evenly_and_counts_missing_days_as_zero() -> None:
    """20 days of history (< 28): every day weighs 1. Rows out of order, one day with two rows
    (summed), 3 Nov missing (0)."""
    days = pd.to_datetime(["2026-11-02", "2026-11-01", "2026-11-02", "2026-11-04", "2026-10-20"])
    daily = pd.Series([5.0, 10.0, 5.0, 20.0, 99.0], index=days)
    p = pace(daily, "2026-11-01", "2026-11-30", "2026-11-04", 300.0)
    assert p.profile == "even" and p.weekday_weights == (1.0,) * 7
    assert p.so_far == 40.0
    assert p.expected_share == pytest.approx(4 / 30)
    assert p.projected == pytest.approx(40 * 30 / 4)
    assert p.on_track is True
    assert p.needed_per_day == pytest.approx(260 / 26)


def test_lower_is_better_a_cost_cap() -> None:
    daily = pd.Series(100.0, index=pd.date_range("2026-11-01", "2026-11-15"))
    p = pace(daily, "2026-11-01", "2026-11-30", "2026-11-15", 2500.0, direction="lower")
    assert p.projected == pytest.approx(3000.0) and p.on_track is False  # 3000 spent > a 2500 cap
    assert p.needed_per_day == pytest.approx((2500 - 1500) / 15)  # may spend 66.67 a day from here
    assert "超出计划" in p.summary_zh


def test_before_and_after_the_period() -> None:
    daily = pd.Series(1.0, index=pd.date_range("2026-10-01", "2026-12-05"))
    before = pace(daily, "2026-11-01", "2026-11-30", "2026-10-31", 30.0)
    assert before.days_elapsed == 0 and before.so_far == 0.0
    assert math.isnan(before.projected) and before.on_track is None
    assert before.needed_per_day == pytest.approx(1.0)
    after = pace(daily, "2026-11-01", "2026-11-30", "2026-12-05", 30.0)
    assert after.days_elapsed == 30 and after.so_far == 30.0 and after.expected_share == 1.0
    assert after.on_track is True and math.isnan(after.needed_per_day)


def test_a_period_crossing_a_dst_change_counts_calendar_days() -> None:
    """Berlin's clocks go forward on 2026-03-29: the day has 23 hours but is one day of the week."""
    days = pd.date_range("2026-03-23", "2026-03-29", freq="D", tz="Europe/Berlin")
    daily = pd.Series(2.0, index=days)
    p = pace(daily, "2026-03-23", "2026-03-29", "2026-03-29", 14.0)
    assert (p.days, p.days_elapsed, p.so_far) == (7, 7, 14.0)
    assert p.on_track is True


def test_bad_periods_are_refused_in_both_languages() -> None:
    with pytest.raises(QueryError) as exc:
        pace(pd.Series(dtype=float), "2026-11-30", "2026-11-01", "2026-11-05", 1.0)
    assert "before it starts" in str(exc.value) and "早于" in exc.value.zh
