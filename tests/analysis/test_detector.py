"""The anomaly detector: causality, seasonality, robustness, reasons, edge cases, and its numbers
against a brute-force loop written from the module docstring."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from northstar.analysis import detector
from northstar.analysis.detector import COLUMNS, score


def weekly_hourly(weeks: int = 8, seed: int = 1) -> pd.Series:
    """Hourly values with a daily cycle and a weekly pattern: every Tuesday 10:00–16:59 is 40 % lower."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2026-01-05", periods=weeks * 7 * 24, freq="h")  # a Monday
    base = 1000 + 300 * np.sin(2 * np.pi * idx.hour / 24)
    tuesday_dip = (idx.day_of_week == 1) & (idx.hour >= 10) & (idx.hour <= 16)
    values = np.where(tuesday_dip, base * 0.6, base) + rng.normal(0, 10, len(idx))
    return pd.Series(values, index=idx)


def test_causal_prefix_equals_full() -> None:
    s = weekly_hourly(weeks=6)
    s.iloc[700] *= 3  # an anomaly, so the history rules have something to remember
    full = score(s)
    for k in (1, 5, 13, 21, 22, 60, 200, 701, 900):
        pd.testing.assert_frame_equal(score(s.iloc[:k]), full.iloc[:k], check_exact=True)


def test_causal_with_irregular_start() -> None:
    rng = np.random.default_rng(3)
    gaps = np.r_[rng.integers(1, 5, 30), np.ones(400, dtype=int)]
    idx = pd.Timestamp("2026-03-01") + pd.to_timedelta(np.cumsum(gaps), unit="h")
    s = pd.Series(rng.normal(50, 5, len(idx)), index=pd.DatetimeIndex(idx))
    full = score(s)
    for k in (10, 20, 21, 25, 100):
        pd.testing.assert_frame_equal(score(s.iloc[:k]), full.iloc[:k], check_exact=True)


def test_weekly_dip_on_tuesday_is_normal_but_on_wednesday_is_not() -> None:
    s = weekly_hourly()
    tuesday = pd.Timestamp("2026-02-24 14:00")  # the last Tuesday
    wednesday = pd.Timestamp("2026-02-25 14:00")
    s[wednesday] = s[wednesday] * 0.6
    out = score(s)
    normal_value = 1000 + 300 * math.sin(2 * math.pi * 14 / 24)
    assert out.loc[tuesday, "pattern"] == "weekly"
    assert out.loc[tuesday, "expected"] == pytest.approx(normal_value * 0.6, rel=0.03)
    assert out.loc[tuesday, "score"] < 0.3
    assert out.loc[wednesday, "expected"] == pytest.approx(normal_value, rel=0.03)
    assert out.loc[wednesday, "score"] > 0.7
    assert out.loc[wednesday, "z"] < -10
    assert out.loc[wednesday, "value"] < out.loc[wednesday, "lower"]
    assert "Tuesday 14:00 (weekly pattern)" in out.loc[tuesday, "reason"]
    assert "周二 14:00的预期值" in out.loc[tuesday, "reason_zh"]
    # on a Wednesday the daily and the weekly forecasts agree; the simpler one is named
    reason = out.loc[wednesday, "reason"]
    pct = round(abs(s[wednesday] / out.loc[wednesday, "expected"] - 1) * 100)
    assert 37 <= pct <= 43
    assert reason.startswith(f"{pct} % below the expected ")
    assert f"{out.loc[wednesday, 'pattern']} pattern" in reason and "14:00" in reason
    assert reason.endswith(f"{abs(out.loc[wednesday, 'z']):.1f} robust deviations")
    zh = out.loc[wednesday, "reason_zh"]
    assert "14:00 的预期值" in zh and f"低 {pct}%" in zh and "日模式" in zh and "稳健标准差" in zh
    # the only strong alert of the last week is the Wednesday
    last_week = out.loc["2026-02-23":]
    assert last_week["score"].idxmax() == wednesday
    assert (last_week["score"] > 0.5).sum() == 1


def test_daily_series_with_weekend_pattern() -> None:
    rng = np.random.default_rng(5)
    idx = pd.date_range("2026-01-05", periods=85, freq="D")  # ends on a Monday
    values = np.where(idx.day_of_week >= 5, 400.0, 1000.0) + rng.normal(0, 8, len(idx))
    s = pd.Series(values, index=idx)
    out = score(s)
    assert detector.interval_of(idx) == pd.Timedelta(days=1)
    weekend = out.index.day_of_week >= 5
    assert (out["pattern"][weekend].iloc[-6:] == "weekly").all()
    assert (out["score"].iloc[-28:] < 0.4).all()  # weekends are expected to be low
    s.iloc[-1] = 400.0  # a Monday as low as a weekend
    hit = score(s).iloc[-1]
    assert hit["score"] > 0.7
    # weekdays are all alike, so the recent level (the median of 24 days) is the forecast named
    assert hit["pattern"] == "level" and hit["expected"] == pytest.approx(1000, abs=10)
    assert hit["reason"].startswith("60 % below the expected ") and "(recent level)" in hit["reason"]
    assert "低 60%（近期水平）" in hit["reason_zh"]
    saturday = score(s).iloc[-3]
    assert saturday["pattern"] == "weekly" and "for Saturday (weekly pattern)" in saturday["reason"]
    assert "周六的预期值" in saturday["reason_zh"]


def test_outlier_does_not_move_the_baseline() -> None:
    s = weekly_hourly(seed=7)
    with_outlier = s.copy()
    k = len(s) - 200
    with_outlier.iloc[k] = s.iloc[k] * 20
    huge = s.copy()
    huge.iloc[k] = s.iloc[k] * 2000
    a, b, c = score(s), score(with_outlier), score(huge)
    assert b["score"].iloc[k] > 0.8
    after = slice(k + 1, k + 200)
    shift = (a["expected"].iloc[after] - b["expected"].iloc[after]).abs()
    # bounded influence: at most one step between neighbouring values of a day (the median of
    # a day's 24 hours moves to the next one), whatever the size of the outlier
    assert shift.max() < 0.05 * 1000
    pd.testing.assert_series_equal(b["expected"].iloc[after], c["expected"].iloc[after])
    assert (b["score"].iloc[after] < 0.5).all()  # and no false alarm after it
    # a holiday: one whole low day does not teach the weekly profile a low day
    holiday = s.copy()
    day = slice(len(s) - 24 * 8, len(s) - 24 * 7)
    holiday.iloc[day] = holiday.iloc[day] * 0.3
    d = score(holiday)
    week_later = slice(len(s) - 24, len(s))
    assert (a["expected"].iloc[week_later] - d["expected"].iloc[week_later]).abs().max() < 0.05 * 1300


def brute_force(values: list[float], band: float, rows: int) -> pd.DataFrame:
    """Level-only forecast (no seasonality yet), loops, straight from the docstring."""
    n = len(values)
    y = np.array(values, dtype=float)
    level = np.full(n, np.nan)
    for t in range(n):
        past = y[max(0, t - rows) : t]
        if len(past) >= 3:
            level[t] = float(np.median(past))
    resid = y - level
    expected = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    z = np.zeros(n)
    for t in range(n):
        window = resid[max(0, t - 10 * rows) : t]
        window = np.abs(window[~np.isnan(window)])
        parts = [1e-9 * (1 + abs(level[t])) if not np.isnan(level[t]) else 1e-9]
        if len(window) >= 3:
            parts += [1.4826 * float(np.median(window)), 0.5 * float(np.mean(window))]
        scale[t] = max(parts)
        if t >= 12:
            expected[t] = level[t]
            z[t] = (y[t] - level[t]) / scale[t]
    s = np.zeros(n)
    for t in range(n):
        az = abs(z[t])
        raw = az / (az + band)
        recent = max(np.abs(z[max(0, t - 3) : t]), default=0.0)  # 3 days of a daily series
        # 50 days, without the first 50 rows (SETTLE_ROWS)
        longest = max(np.abs(z[max(50, t - 50) : t]), default=0.0)
        s[t] = raw * (0.01 if az <= recent else 0.5 if az <= longest else 1.0)
    return pd.DataFrame({"expected": expected, "z": z, "score": s, "lower": expected - band * scale})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numbers_match_a_brute_force_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = list(np.round(rng.normal(100, 15, 20), 1))
    values[15] = 300.0  # an anomaly
    values[6] = values[5]  # repeated values
    idx = pd.date_range("2026-03-20", periods=20, freq="D", tz="Europe/Berlin")  # crosses DST
    out = score(pd.Series(values, index=idx))
    ref = brute_force(values, band=4.0, rows=24)
    for col in ("expected", "z", "score", "lower"):
        np.testing.assert_allclose(out[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, atol=1e-12)
    assert out["score"].iloc[15] == pytest.approx(ref["score"].iloc[15]) and out["score"].iloc[15] > 0.5


def test_empty_short_constant_and_missing() -> None:
    empty = score(pd.Series([], index=pd.DatetimeIndex([]), dtype=float))
    assert list(empty.columns) == COLUMNS and len(empty) == 0
    short = score(pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2026-01-01", periods=3, freq="D")))
    assert short["expected"].isna().all() and (short["score"] == 0).all()
    assert short["reason"].iloc[2] == "not enough history (2 earlier points)"
    assert short["reason_zh"].iloc[2] == "历史数据不足（之前只有 2 个点）"
    flat = pd.Series(5.5, index=pd.date_range("2026-01-01", periods=100, freq="h"))
    out = score(flat)
    assert (out["score"] == 0).all() and (out["expected"].iloc[12:] == 5.5).all()
    flat.iloc[80] = 6.5
    assert score(flat)["score"].iloc[80] > 0.9
    gaps = flat.copy()
    gaps.iloc[40:45] = np.nan
    out = score(gaps)
    assert (out["score"].iloc[40:45] == 0).all() and out["score"].iloc[80] > 0.9
    with pytest.raises(TypeError):
        score(pd.Series([1.0, 2.0]))


def test_equal_and_late_timestamps_are_taken_as_a_stream() -> None:
    idx = list(pd.date_range("2026-01-01", periods=200, freq="h"))
    idx[100] = idx[99]  # an equal timestamp
    idx[150] = idx[140]  # a late one
    rng = np.random.default_rng(9)
    s = pd.Series(rng.normal(10, 1, 200), index=pd.DatetimeIndex(idx))
    out = score(s)
    assert len(out) == 200 and out["score"].between(0, 1).all()
    pd.testing.assert_frame_equal(score(s.iloc[:151]), out.iloc[:151], check_exact=True)


def test_counts_have_at_least_poisson_noise() -> None:
    counts = pd.Series(100.0, index=pd.date_range("2026-01-01", periods=60, freq="D"))
    counts.iloc[50] = 130.0  # 3 × √100 above: ordinary for a count
    counts.iloc[55] = 150.0  # 5 × √100
    out = score(counts)
    assert out["z"].iloc[50] == pytest.approx(3.0) and out["score"].iloc[50] < 0.5
    assert out["z"].iloc[55] == pytest.approx(5.0) and out["score"].iloc[55] == pytest.approx(5 / 9)
    measured = counts + 0.5  # not counts: the same jump is far outside a constant series
    assert score(measured)["score"].iloc[50] > 0.9


@pytest.mark.parametrize(
    ("start", "end", "change"),
    [("2026-03-01", "2026-04-20", "2026-03-29"), ("2026-10-01", "2026-11-20", "2026-10-25")],
)
def test_dst_change_keeps_the_daily_pattern_on_wall_clock_hours(start: str, end: str, change: str) -> None:
    idx = pd.date_range(start, end, freq="h", tz="Europe/Berlin")  # 23- and 25-hour days
    rng = np.random.default_rng(0)
    values = 1000 + 500 * np.sin(2 * np.pi * idx.hour / 24) + rng.normal(0, 10, len(idx))
    out = score(pd.Series(values, index=idx))
    after = out.loc[f"{pd.Timestamp(change) + pd.Timedelta(days=1):%Y-%m-%d}" :]  # from the next midnight
    truth = 1000 + 500 * np.sin(2 * np.pi * after.index.hour / 24)
    assert (after["score"] < 0.5).all()  # a day back is the same wall-clock hour, not an hour off
    assert np.abs(after["expected"] - truth).max() < 0.05 * 1500  # 5 % of the peak
    # on the day itself the median of the last 24 rows covers 23 or 25 hours: a few points near 5
    assert out.loc[change]["z"].abs().max() < 6


def test_one_alert_per_incident_but_a_later_incident_alerts_again() -> None:
    rng = np.random.default_rng(11)
    idx = pd.date_range("2026-01-01", periods=120, freq="D")
    s = pd.Series(500 + rng.normal(0, 5, len(idx)), index=idx)
    s.iloc[60:62] -= 200  # a two-day incident
    s.iloc[75] -= 120  # a smaller one 15 days later
    out = score(s)
    assert out["score"].iloc[60] > 0.8
    assert out["score"].iloc[61] < 0.05  # the same incident, its second day: × 0.01
    assert out["score"].iloc[75] > 0.8 * 0.5  # not the largest in 50 days: halved, still an alert
    z75 = abs(out["z"].iloc[75])
    assert out["score"].iloc[75] == pytest.approx(0.5 * z75 / (z75 + 4))


# --- the context channels (analysis/detector_channels.py) and the mask, against loops written
# from that module's docstring -------------------------------------------------------------------


def point_channel(z: np.ndarray, cooldown_rows: int, memory_rows: int, band: float = 4.0) -> np.ndarray:
    """Step 7 of the detector's docstring, as a loop over rows."""
    az = np.abs(z)
    out = np.zeros(len(z))
    for t in range(len(z)):
        raw = az[t] / (az[t] + band)
        recent = max(az[max(0, t - cooldown_rows) : t], default=0.0)
        longest = max(az[max(50, t - memory_rows) : t], default=0.0)  # not the first 50 rows
        out[t] = raw * (0.01 if az[t] <= recent else 0.5 if az[t] <= longest else 1.0)
    return out


def channels_by_loops(
    y: np.ndarray, z: np.ndarray, interval: pd.Timedelta, history_rows: int = 8640
) -> np.ndarray:
    """The final score from z and the values: point, likelihood, range, max, then the mask."""
    n = len(y)
    rows = lambda span: max(1, round(span / interval))  # noqa: E731
    point = point_channel(z, rows(pd.Timedelta(days=3)), rows(pd.Timedelta(days=50)))
    az = np.abs(z)
    r = az / (az + 8.0)
    m = np.array([r[max(0, t - 9) : t + 1].mean() for t in range(n)])
    p = np.full(n, np.nan)
    lk = np.zeros(n)
    for t in range(n):
        past = m[max(0, t - history_rows) : t]
        if len(past) < 300:
            continue
        mu = max(past.mean(), 0.03)
        sd = math.sqrt(max(past.var(), 0.0003))
        p[t] = 0.5 * math.erfc(max((m[t] - mu) / sd, 0.0) / math.sqrt(2))
    for t in range(n):
        if math.isnan(p[t]):
            continue
        shown = 1e-3 if p[t] <= 1e-5 and t > 0 and not math.isnan(p[t - 1]) and p[t - 1] <= 1e-5 else p[t]
        lk[t] = min(1.0, math.log10(1.0 / max(shown, 1e-300)) / 10.0)
    repeat = rows(pd.Timedelta(days=3))
    lk = np.array([lk[t] * (0.8 if (lk[max(0, t - repeat) : t] >= 0.5).any() else 1.0) for t in range(n)])
    rg = np.zeros(n)
    span = rows(pd.Timedelta(days=30))
    lag = round(pd.Timedelta(hours=6) / interval)  # the 30 days end 6 hours before the row
    was_out = False
    for t in range(n):
        past = y[max(0, t - lag - span) : max(0, t - lag)]
        past = past[~np.isnan(past)]
        earlier = int((~np.isnan(y[:t])).sum())
        is_out = False
        if earlier >= 300 and len(past) and not math.isnan(y[t]):
            hi, lo = past.max(), past.min()
            e = max(y[t] - (hi + 0.05 * (hi - lo)), (lo - 0.05 * (hi - lo)) - y[t])
            is_out = e > 0
            if is_out and not was_out:
                rg[t] = 0.5 + 0.5 * e / (e + hi - lo)
        was_out = is_out
    band, shape = novelty_by_loops(y, rows(pd.Timedelta(hours=12)))
    final = np.maximum.reduce([point, lk, rg, band, shape])
    mask = round(pd.Timedelta(hours=6) / interval)
    last_alert = -(10**9)
    for t in range(n):
        if t - last_alert <= mask:
            final[t] *= 0.01
        elif final[t] >= 0.5:
            last_alert = t
    return final


def bin_loop(v: float, lo: float, hi: float) -> int | None:
    if math.isnan(v) or math.isnan(lo):
        return None
    if v < lo:
        return -1
    if v > hi:
        return 16
    return min(math.floor(16 * (v - lo) / ((hi - lo) if hi > lo else 1.0)), 15)


def novelty_by_loops(y: np.ndarray, rest: int) -> tuple[np.ndarray, np.ndarray]:
    """The new-band and new-shape channels, loops from detector_novelty's docstring."""
    n = len(y)
    band = np.zeros(n)
    shape = np.zeros(n)
    d = np.zeros(n)
    seen_pairs: list[tuple[int, int]] = []
    for t in range(n):
        past = y[:t][~np.isnan(y[:t])]
        lo, hi = (past.min(), past.max()) if len(past) else (math.nan, math.nan)
        enough = len(past) >= 300
        b = bin_loop(y[t], lo, hi)
        if enough and b is not None and 0 <= b < 16:
            step = (hi - lo) / 16 if hi > lo else 1 / 16
            in_band = (past >= lo + b * step) & ((past < lo + (b + 1) * step) | ((b == 15) & (past <= hi)))
            band[t] = 0.0 if in_band.any() else 0.6
        if t >= 5:
            a1, a2 = bin_loop(y[t - 5 : t - 2].mean(), lo, hi), bin_loop(y[t - 2 : t + 1].mean(), lo, hi)
            if a1 is not None and a2 is not None and (a1, a2) not in seen_pairs:
                if seen_pairs:
                    d[t] = min(max(abs(a1 - p1), abs(a2 - p2)) for p1, p2 in seen_pairs)
                seen_pairs.append((a1, a2))
        if enough and d[t] > max(d[max(0, t - rest) : t], default=0.0):
            shape[t] = d[t] / (d[t] + 3.0)
    return band, shape


def five_minute_series(
    n: int, seed: int, start: str = "2026-10-22", tz: str | None = "Europe/Berlin"
) -> pd.Series:
    """5-minute values with a daily cycle, noise, and the events the channels are for."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="5min", tz=tz)  # crosses 2026-10-25 (DST ends)
    minutes = (idx.hour * 60 + idx.minute).to_numpy()
    values = 100 + 20 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 2, n)
    values = np.round(values, 1)  # repeated values
    values[1300:1320] += 18 * (-1.0) ** np.arange(20)  # 100 minutes of swings of ±2.5 deviations
    values[1700] = values[1699]  # a repeated value
    values[1500] += 30  # a spike
    values[1512] += 45  # a larger one an hour later (masked)
    values[1800:] += 100 + np.linspace(0, 50, n - 1800)  # a step out of the range, then a drift
    return pd.Series(values, index=idx)


@pytest.mark.parametrize(("seed", "history_rows"), [(0, 8640), (1, 8640), (2, 400)])
def test_channels_and_mask_match_loops(seed: int, history_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from northstar.analysis import detector_channels

    monkeypatch.setattr(detector_channels, "HISTORY_ROWS", history_rows)
    s = five_minute_series(2300, seed)
    out = score(s)
    ref = channels_by_loops(s.to_numpy(), out["z"].to_numpy(), pd.Timedelta(minutes=5), history_rows)
    np.testing.assert_allclose(out["score"].to_numpy(), ref, rtol=1e-9, atol=1e-12)
    assert (out["score"] >= 0.5).sum() >= 2


def test_rows_out_of_order_and_equal_timestamps_with_the_channels() -> None:
    s = five_minute_series(2100, 4, tz=None)
    idx = s.index.to_list()
    idx[1400] = idx[1399]  # an equal timestamp
    idx[1600] = idx[1590]  # a late row
    s.index = pd.DatetimeIndex(idx)
    out = score(s)
    ref = channels_by_loops(s.to_numpy(), out["z"].to_numpy(), pd.Timedelta(minutes=5))
    np.testing.assert_allclose(out["score"].to_numpy(), ref, rtol=1e-9, atol=1e-12)
    for k in (299, 300, 301, 1310, 1513, 1601, 2013):
        pd.testing.assert_frame_equal(score(s.iloc[:k]), out.iloc[:k], check_exact=True)


def test_a_burst_of_noise_alerts_by_likelihood_with_its_reason() -> None:
    rng = np.random.default_rng(5)
    idx = pd.date_range("2026-03-27", periods=1500, freq="5min", tz="Europe/Berlin")  # DST on 03-29
    values = 100 + rng.normal(0, 2, len(idx))
    values[1000:1020] += 6 * (-1.0) ** np.arange(20)  # 100 minutes of swings of about ±3 deviations
    out = score(pd.Series(values, index=idx))
    burst = out.iloc[1000:1020]
    alert = burst[burst["score"] >= 0.5]
    assert len(alert) >= 1
    first = alert.iloc[0]
    assert (
        "; the last 10 points are further from their forecasts than usual (mean deviation score"
        in first["reason"]
    )
    assert (
        "；最近 10 个点偏离预测的程度高于平常（平均偏离分" in first["reason_zh"]
        and "出现概率" in first["reason_zh"]
    )
    # before it, the only alerts are new records of the noise itself, by the range channel, a
    # little above 0.5 (a new extreme of the 30 days up to 6 hours before, beyond the 5 % margin,
    # is an alert by definition): the range channel's score from those 30 days
    before = out.iloc[300:1000]
    records = before[before["score"] >= 0.5]
    assert records["reason"].str.contains("value of the 30 days up to 6 hours ago").all()
    for when in records.index:
        t = out.index.get_loc(when)
        past = values[max(0, t - 72 - 8640) : t - 72]
        hi, lo = past.max(), past.min()
        e = max(values[t] - (hi + 0.05 * (hi - lo)), (lo - 0.05 * (hi - lo)) - values[t])
        assert out["score"].iloc[t] == pytest.approx(0.5 + 0.5 * e / (e + hi - lo)) and e > 0
        assert out["score"].iloc[t] < 0.55
    assert not before["reason"].str.contains("further from their forecasts").any()
    assert abs(first["z"]) < 4  # the point alone is within the band: the stretch is what alerts
    calm = out.iloc[700:1000]
    assert not calm["reason"].str.contains("; ").any()  # a calm row names no context channel


def test_a_step_out_of_the_range_alerts_by_range_then_the_mask_holds() -> None:
    s = five_minute_series(2300, 6)
    out = score(s)
    drift = out.iloc[1800:]
    hits = drift.index[
        drift["reason"].str.contains("above the highest value of the 30 days up to 6 hours ago")
    ]
    assert len(hits) >= 1
    t = out.index.get_loc(hits[0])
    past = s.iloc[max(0, t - 72 - 8640) : t - 72]  # the 30 days that end 6 hours (72 rows) before
    hi, lo = past.max(), past.min()
    e = s.iloc[t] - (hi + 0.05 * (hi - lo))
    assert out["score"].iloc[t] >= 0.5 + 0.5 * e / (e + hi - lo) - 1e-12  # the range's score, or more
    assert "高于截至 6 小时前的 30 天的最高值 " in out["reason_zh"].iloc[t]
    # the larger spike an hour after an alert is masked: × 0.01
    assert out["score"].iloc[1500] >= 0.5 and out["score"].iloc[1512] < 0.01
    assert abs(out["z"].iloc[1512]) > abs(out["z"].iloc[1500])
    alerts = np.flatnonzero(out["score"].to_numpy() >= 0.5)
    gaps = np.diff(alerts)
    assert (gaps > 72).all()  # no two alerts within 6 hours (72 rows of 5 minutes)


def test_the_mask_and_the_channels_leave_daily_series_alone() -> None:
    rng = np.random.default_rng(8)
    idx = pd.date_range("2025-01-01", periods=400, freq="D")
    s = pd.Series(500 + rng.normal(0, 5, len(idx)), index=idx)
    s.iloc[350] += 100
    s.iloc[351] += 200  # the next day, larger: no mask for a daily series
    out = score(s)
    assert out["score"].iloc[350] > 0.5 and out["score"].iloc[351] > 0.5


def test_a_value_in_a_band_never_reached_alerts_with_its_reason() -> None:
    rng = np.random.default_rng(12)
    idx = pd.date_range("2026-05-01", periods=700, freq="5min")
    square = np.where((np.arange(700) // 50) % 2 == 0, 10.0, 90.0)  # two levels, 50 rows each
    s = pd.Series(square + rng.normal(0, 1, 700), index=idx)
    s.iloc[620] = 50.0  # between the two levels: inside the range, in a band no earlier value reached
    out = score(s)
    row = out.iloc[620]
    assert row["score"] >= 0.5
    assert (
        "; in a band of values no earlier point reached (" in row["reason"]
        and "1/16 of the range" in row["reason"]
    )
    assert "；落在此前从未出现过的取值区间（" in row["reason_zh"]
    ref = channels_by_loops(s.to_numpy(), out["z"].to_numpy(), pd.Timedelta(minutes=5))
    np.testing.assert_allclose(out["score"].to_numpy(), ref, rtol=1e-9, atol=1e-12)
    band, _ = novelty_by_loops(s.to_numpy(), 144)
    assert band[620] == 0.6  # the new band itself, not only the point channel


def test_a_movement_never_seen_alerts_by_shape_with_its_reason() -> None:
    rng = np.random.default_rng(13)
    idx = pd.date_range("2026-05-01", periods=700, freq="5min")
    wave = 50 + 40 * np.sin(2 * np.pi * np.arange(700) / 200)  # slow: neighbouring bands only
    values = wave + rng.normal(0, 0.5, 700)
    low = int(np.argmin(wave[550:650])) + 550
    values[low : low + 3] = 85.0  # a jump from the bottom to a height the wave reaches slowly
    out = score(pd.Series(values, index=idx))
    ref = channels_by_loops(values, out["z"].to_numpy(), pd.Timedelta(minutes=5))
    np.testing.assert_allclose(out["score"].to_numpy(), ref, rtol=1e-9, atol=1e-12)
    _, shape = novelty_by_loops(values, 144)
    assert shape[low : low + 3].max() >= 0.5
    hits = out.iloc[low : low + 3]
    shaped = hits[hits["reason"].str.contains("move as never before")]
    assert len(shaped) >= 1 and shaped["score"].max() >= 0.5
    assert (
        "；最近 6 个点（均值" in shaped["reason_zh"].iloc[0]
        and "的走势此前从未出现" in shaped["reason_zh"].iloc[0]
    )


def test_a_fall_over_a_few_hours_past_the_months_low_leaves_the_lagged_range() -> None:
    from northstar.analysis import detector_channels

    rng = np.random.default_rng(11)
    y = np.r_[rng.uniform(0.0, 1.0, 400), 0.5 - 0.02 * np.arange(1, 61)]  # then down 0.02 a row to −0.7
    history = np.arange(len(y))
    # against the 30 days up to the row before, each row is only 0.02 below the last one, less
    # than the 5 % margin (0.05): a fall of a few hours never leaves that range
    plain, _, _ = detector_channels.out_of_range(y, 8640, history)
    assert (plain == 0).all()
    # against the range that ends 12 rows (an hour) before, the fall leaves it once, on the first
    # row below lo − 5 % of the range, with the range channel's score
    lagged, hi, lo = detector_channels.out_of_range(y, 8640, history, lag=12)
    (t,) = np.flatnonzero(lagged)
    past = y[: t - 12]
    assert hi[t] == past.max() and lo[t] == past.min()
    e = (lo[t] - 0.05 * (hi[t] - lo[t])) - y[t]
    assert e > 0 and y[t - 1] >= lo[t] - 0.05 * (hi[t] - lo[t])
    assert lagged[t] == pytest.approx(0.5 + 0.5 * e / (e + hi[t] - lo[t]))


def test_reasons_write_values_in_the_given_format() -> None:
    """``fmt`` (the metric's format) writes every value in the reasons — a rate as 62.3 %, not
    0.623 — and leaves the scores alone; a missing value still reads '-'."""
    rng = np.random.default_rng(12)
    idx = pd.date_range("2026-05-01", periods=700, freq="5min")
    square = np.where((np.arange(700) // 50) % 2 == 0, 0.10, 0.90)
    s = pd.Series(square + rng.normal(0, 0.01, 700), index=idx)
    s.iloc[620] = 0.50
    plain, pct = score(s), score(s, fmt=lambda v: f"{v * 100:.1f} %")
    np.testing.assert_array_equal(plain["score"].to_numpy(), pct["score"].to_numpy())
    row = pct.iloc[620]
    assert f"the expected {row['expected'] * 100:.1f} %" in row["reason"]
    assert f"预期值 {row['expected'] * 100:.1f} %" in row["reason_zh"]
    assert re.search(r"no earlier point reached \(\d+\.\d %–\d+\.\d %, 1/16", row["reason"])  # the band
    assert re.search(r"\(mean \d+\.\d %, then \d+\.\d %\)", row["reason"])  # the movement's means
    assert f"the expected {plain.iloc[620]['expected']:.3g} " in plain.iloc[620]["reason"]  # default: 0.497
