"""A causal, seasonality-aware anomaly detector for one KPI series (pure NumPy/pandas).

``score(series)`` takes a numeric ``pd.Series`` on a ``DatetimeIndex`` (daily, hourly or finer,
read in its order, as a stream) and returns one row per point with:

* ``value``: the input; ``expected``: the value forecast for the point from the rows
  **before** it only;
* ``lower`` / ``upper``: ``expected ∓ band · scale`` (outside it, |z| > ``band``);
* ``z``: ``(value − expected) / scale``, the deviation in robust standard deviations;
* ``score`` in [0, 1]: the largest of five channels, each on the same scale (``≥ 0.5`` = an
  alert), then × 0.01 within 6 hours after an alert (steps 7–9): the *point* channel
  ``|z| / (|z| + band)``, times 0.01 when a deviation at least as large occurred in the last
  ``COOLDOWN`` (3 days) (one incident, one alert), else times 0.5 when one occurred in the last
  ``MEMORY`` (50 days) (it is not the largest deviation in memory), else times 1; the
  *likelihood* channel (the last 10 deviations are unusually large for this series: Numenta's
  anomaly likelihood) and the *range* channel (the value leaves the range of the 30 days up to
  6 hours before it),
  both from ``analysis/detector_channels.py``, and the *new band* (a value in a sixteenth of the
  range seen so far that no earlier value reached) and *new shape* (the last 6 points move as
  they never did) channels from ``analysis/detector_novelty.py``, all four only after 300 rows
  of history;
* ``pattern``: which forecast was used (``weekly``, ``daily``, ``level``), and ``reason`` /
  ``reason_zh``: why, e.g. "38 % below the expected 1,204 for Tuesday 14:00 (weekly pattern),
  4.1 robust deviations"; each context channel that scores ≥ 0.3 adds its sentence ("; the
  last 10 points are further from their forecasts than usual (…: a chance of 3.2e-06)", "; above
  the highest value of the 30 days up to 6 hours ago (812) by 95, more than 5 % of that range",
  "; in a
  band of values no earlier point reached (40.2–43.1, 1/16 of the range so far)", "; the last 6
  points (mean 41.0, then 57.3) move as never before: the nearest earlier movement is 4 of 16
  bands away").

Exact semantics (every quantity at row t uses rows < t, and the value at t only for its own
residual, so the output for a prefix of the series equals the output of the whole series on
that prefix: the detector is causal and can run on a stream):

1. **Interval** Δ = the median gap between the first ``INTERVAL_ROWS`` (21) timestamps; it is
   fixed from the start, so later rows never change it.
2. **Level** L_t = median of the last ``level_rows`` values before t, where ``level_rows =
   clamp(1 day / Δ, 24, 288)``: one day of an intraday series (a whole daily cycle, so the
   median does not swing with the hour), 24 rows (3½ weeks) of a daily one. The median moves
   with a trend within half a window; an isolated outlier, however large, moves it by at most
   one neighbouring value.
3. **Seasonal forecasts**: for a period P (a day, a week) and the k-th previous period, the
   row at wall-clock time t − k·P (local time for a zone-aware index, so the same hour across a
   DST change; the last row at or before it, if within Δ/2) gives an offset
   y − L at that time; the forecast is L_t + the median of the offsets over the last ``K``
   periods (``DAILY_K`` = 7 days, ``WEEKLY_K`` = 4 weeks; at least 2 needed). The median over
   periods keeps one holiday or one incident from moving the profile; measuring the offsets
   from the level of their own time carries the pattern across a trend. The daily forecast
   needs P/Δ ≥ 4 rows per day (Δ ≤ 6 h); the weekly one Δ ≤ 1 day; neither is used before
   row 21, where Δ becomes known.
4. **Choice**: of ``level`` (L_t alone), ``daily`` and ``weekly``, the one with the smallest
   error at the same time of the previous ``WEEKLY_K`` weeks (the median absolute error at
   t − k weeks: a pattern that holds on Tuesdays only is judged on Tuesdays, and one bad week
   does not count), or, while no forecast has an error a week back, the smallest mean absolute
   error over the last ``level_rows`` rows (ties: the simpler one). The residual is the value
   minus the chosen forecast (a missing value counts as L_t there and scores 0).
5. **Scale**: 1.4826 × the median absolute residual over the last ``SCALE_WINDOWS ·
   level_rows`` rows before t (10 days of an intraday series, 240 days of a daily one: a
   robust standard deviation), at least half the mean absolute residual (so a series that is mostly constant still has a scale) and at least
   ``1e-9 · (1 + |L_t|)``; for counts (every value before t a non-negative integer) at least
   √expected, the Poisson noise of a count (a small slice going from 13 to 26 orders is not
   an incident).
6. **Warm-up**: rows with fewer than ``MIN_HISTORY`` (12) earlier rows get no forecast and
   score 0.
7. **Score**: ``s = |z| / (|z| + band)``; then the history of |z| over the rows before t:
   if some |z| ≥ this one lies within the rows of the last ``COOLDOWN`` (3 days: round(3 days /
   Δ) rows, at least 1), ``s × 0.01`` (the incident was already reported: an alert per
   incident, not per row); else if one lies within the last ``MEMORY`` (50 days, in rows
   likewise) and after the first ``SETTLE_ROWS`` (50) rows of the series, ``s × 0.5``; else
   ``s`` (the largest deviation in memory). This is the point channel.
8. **Context channels** (exact definitions in ``analysis/detector_channels.py``): the
   likelihood channel scores ``min(1, log10(1/p) / 10)`` where p is the normal tail probability
   of the mean of ``|z| / (|z| + 8)`` over the last 10 rows against the mean and variance of that
   10-row mean over the 8,640 rows before (at least 300 of them), 0.3 for the second and later
   rows of a run with p ≤ 10⁻⁵, × 0.8 when it reached 0.5 in the 3 days before; the range
   channel scores ``0.5 + 0.5 · e / (e + width)`` on the first row beyond the highest / lowest
   value of the 30 days that end 6 hours before it (``round(6 h / Δ)`` rows; no lag for a
   daily series) by more than 5 % of that range (e beyond the bound), once 300 earlier rows
   have a value: a jump, or a movement of a few hours, past the month's extremes. **Novelty channels** (``analysis/detector_novelty.py``; 16 equal
   bins of the range of all earlier values, once 300 earlier rows have a value): the new-band
   channel scores 0.6 on a row whose value falls in a bin (of the current range) that holds no
   earlier value; the
   new-shape channel scores ``d / (d + 3)`` on a row whose pair (bin of the mean of rows
   t−5…t−3, bin of the mean of rows t−2…t) never occurred before, d the distance in bins to
   the nearest pair that did, when d is larger than any of the last 12 hours. The row's score is
   the largest of the five; the reason adds the sentence of each context or novelty channel that
   scores at least 0.3 (a calm row scores 0.03 by likelihood: p = 0.5).
9. **Mask**: the ``round(6 hours / Δ)`` rows after a row whose score (after the mask) is ≥ 0.5
   score × 0.01 (no row for a daily series): a burst of alerts from several channels counts
   as one.

Parameters (the same for every series; none is fitted per series):

* ``band`` = 4: a point 4 robust deviations from its forecast scores 0.5 before the history
  rule; ``lower``/``upper`` are ``expected ∓ 4 · scale``. So a point-channel score ≥ 0.5 means:
  beyond the band, and the largest deviation in 50 days (a halved score stays below 0.5).
* ``SCALE_WINDOWS`` = 10: a long window for the scale, so a burst of noise or an incident does
  not widen the band at once (a narrow band follows the noise and misses the start of the
  next incident).
* ``COOLDOWN`` = 3 days: a level shift or an incident that lasts is reported when it starts,
  and again only when it grows.
* ``MEMORY`` = 50 days: a deviation larger than any in the last 50 days keeps its full score;
  ordinary ones are halved, so one threshold suits calm and noisy series alike.
* ``SETTLE_ROWS`` = 50: the memory forgets the deviations of the first 50 rows, measured against a
  scale of fewer than 40 residuals (12 rows of warm-up): an early, inflated z would otherwise
  halve every later deviation below it for 50 days (NAB: 68.90 → 69.66 on its own; 25 and 75
  rows score the same as 50). The cooldown still counts them.
* These values were chosen once for all series, by the NAB corpus score (see
  ``benchmarks/nab.py`` and ``benchmarks/README.md``); the factor 0.01 makes a repeat count
  as no alert at any useful threshold. The context channels' constants are Numenta's (10-row
  mean, 8,640-row history, floors, 10⁻⁵ / 10⁻³) except the raw band 8, the 300-row warm-up,
  the 30-day range with its 5 % margin (Numenta's detector uses 5 % over all values seen) and
  its 6-hour lag, the 6-hour mask, and the repeat factor 0.8 over 3 days; the novelty channels' constants are
  explained in ``analysis/detector_novelty.py``. NAB's corpus threshold then falls at 0.491
  (standard, low-FN) and 0.498 (low-FP), just below the alert level 0.5 that ``watch`` uses (a
  repeated likelihood alert of 0.61–0.62 scores 0.49–0.50 after the factor 0.8).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from northstar.analysis import detector_channels as channels
from northstar.analysis import detector_novelty as novelty

INTERVAL_ROWS = 21
MIN_HISTORY = 12
DAILY_K = 7
WEEKLY_K = 4
MAD_TO_SIGMA = 1.4826
SCALE_WINDOWS = 10
COOLDOWN = pd.Timedelta(days=3)
MEMORY = pd.Timedelta(days=50)
SETTLE_ROWS = 50
REPEAT_FACTOR = 0.01
ORDINARY_FACTOR = 0.5
REASON_LEVEL = 0.3  # a context channel's sentence is added from this score on
DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
COLUMNS = ["value", "expected", "lower", "upper", "z", "score", "pattern", "reason", "reason_zh"]

_DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_PATTERN_ZH = {"weekly": "周模式", "daily": "日模式", "level": "近期水平"}


def interval_of(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The sampling interval: the median positive gap between the first 21 timestamps."""
    head = index[:INTERVAL_ROWS].as_unit("ns")
    if len(head) < 2:
        return None
    gaps = np.diff(head.asi8)
    gaps = gaps[gaps > 0]
    if len(gaps) == 0:
        return None
    return pd.Timedelta(int(np.median(gaps)), unit="ns")


def level_rows_for(interval: pd.Timedelta | None) -> int:
    if interval is None:
        return 24
    return int(min(max(round(DAY / interval), 24), 288))


def _rows_in(span: pd.Timedelta, interval: pd.Timedelta | None) -> int:
    """Rows in a span of time (at least 1); without an interval, one row per day."""
    return max(1, round(span / (interval if interval is not None else DAY)))


def _past(values: pd.Series, rows: int, how: str) -> np.ndarray:
    """A statistic of the ``rows`` values strictly before each row (at least 3 of them)."""
    rolled = values.shift(1).rolling(rows, min_periods=3)
    out = rolled.median() if how == "median" else rolled.mean()
    return out.to_numpy(dtype=float)


def _lagged_median(
    t: np.ndarray, x: np.ndarray, period: pd.Timedelta, k_max: int, interval: pd.Timedelta, need: int
) -> np.ndarray:
    """Median over k ≤ k_max of x at the row at t − k·period (NaN when fewer than ``need``)."""
    n = len(t)
    lagged = np.full((n, k_max), np.nan)
    half = pd.Timedelta(interval).as_unit("ns").value // 2
    step = pd.Timedelta(period).as_unit("ns").value
    for k in range(1, k_max + 1):
        target = t - k * step
        j = np.searchsorted(t, target, side="right") - 1
        jj = np.clip(j, 0, None)
        ok = (j >= 0) & (t[jj] >= target - half)
        lagged[:, k - 1] = np.where(ok, x[jj], np.nan)
    enough = np.isfinite(lagged).sum(axis=1) >= need
    med = np.full(n, np.nan)
    if enough.any():
        med[enough] = np.nanmedian(lagged[enough], axis=1)
    return med


def _seasonal(
    t: np.ndarray, y: np.ndarray, level: np.ndarray, period: pd.Timedelta, k_max: int, interval: pd.Timedelta
) -> np.ndarray:
    """L_t + median over k ≤ k_max of (y − L) at t − k·period (NaN when fewer than 2 exist)."""
    return level + _lagged_median(t, y - level, period, k_max, interval, need=2)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.3g}"


def _reasons(
    index: pd.DatetimeIndex,
    y: np.ndarray,
    expected: np.ndarray,
    z: np.ndarray,
    pattern: np.ndarray,
    intraday: bool,
    history: np.ndarray,
    fmt: Callable[[float], str] = _fmt,
) -> tuple[list[str], list[str]]:
    en: list[str] = []
    zh: list[str] = []
    for i in range(len(y)):
        if not math.isfinite(expected[i]):
            en.append(f"not enough history ({history[i]} earlier points)")
            zh.append(f"历史数据不足（之前只有 {history[i]} 个点）")
            continue
        ts = index[i]
        hm = f" {ts:%H:%M}" if intraday else ""
        p = str(pattern[i])
        if p == "weekly":
            when_en, when_zh = f" for {_DAYS_EN[ts.day_of_week]}{hm}", f"{_DAYS_ZH[ts.day_of_week]}{hm}的"
        elif p == "daily":
            when_en, when_zh = f" for{hm}", f"{hm.strip()} 的"
        else:
            when_en, when_zh = "", ""
        e = expected[i]
        diff = y[i] - e
        if e != 0:
            pct = abs(diff) / abs(e) * 100
            size_en, size_zh = f"{pct:.0f} % ", f" {pct:.0f}%"
        else:
            size_en, size_zh = f"{fmt(abs(diff))} ", f" {fmt(abs(diff))}"
        word_en, word_zh = ("above", "高") if diff > 0 else ("below", "低")
        pat_en = "recent level" if p == "level" else f"{p} pattern"
        en.append(
            f"{size_en}{word_en} the expected {fmt(e)}{when_en} ({pat_en}), {abs(z[i]):.1f} robust deviations"
        )
        zh.append(
            f"比{when_zh}预期值 {fmt(e)} {word_zh}{size_zh}（{_PATTERN_ZH[p]}），偏离 {abs(z[i]):.1f} 个稳健标准差"
        )
    return en, zh


def _context_reasons(
    en: list[str],
    zh: list[str],
    unusual: np.ndarray,
    new_range: np.ndarray,
    p: np.ndarray,
    m: np.ndarray,
    mu: np.ndarray,
    y: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
    lag_rows: int,
    fmt: Callable[[float], str] = _fmt,
) -> None:
    """Append the sentence of each context channel that scores ≥ ``REASON_LEVEL`` (in place)."""
    days = channels.RANGE_DAYS.days
    if lag_rows > 0:  # the range ends RANGE_LAG before the row
        hours = f"{channels.RANGE_LAG / pd.Timedelta(hours=1):g}"
        span_en, span_zh = f"the {days} days up to {hours} hours ago", f"截至 {hours} 小时前的 {days} 天"
    else:
        span_en, span_zh = f"the last {days} days", f"近 {days} 天"
    k = channels.AVERAGE_ROWS
    for i in np.flatnonzero(unusual | new_range).tolist():
        if unusual[i]:
            en[i] += (
                f"; the last {k} points are further from their forecasts than usual (mean deviation"
                f" score {m[i]:.2f}, usually {mu[i]:.2f}: a chance of {p[i]:.1e})"
            )
            zh[i] += (
                f"；最近 {k} 个点偏离预测的程度高于平常（平均偏离分 {m[i]:.2f}，平常为 {mu[i]:.2f}，"
                f"出现概率 {p[i]:.1e}）"
            )
        if new_range[i]:
            up = y[i] > hi[i]
            edge = hi[i] if up else lo[i]
            by = fmt(abs(y[i] - edge))
            word_en, word_zh = ("above the highest", "高于") if up else ("below the lowest", "低于")
            most_zh = "最高值" if up else "最低值"
            pct = round(channels.RANGE_MARGIN * 100)
            en[i] += f"; {word_en} value of {span_en} ({fmt(edge)}) by {by}, more than {pct} % of that range"
            zh[i] += f"；{word_zh}{span_zh}的{most_zh} {fmt(edge)}，超出 {by}（超过该范围的 {pct}%）"


def _novelty_reasons(
    en: list[str],
    zh: list[str],
    band: np.ndarray,
    shape: np.ndarray,
    band_start: np.ndarray,
    band_end: np.ndarray,
    dist: np.ndarray,
    early: np.ndarray,
    late: np.ndarray,
    fmt: Callable[[float], str] = _fmt,
) -> None:
    """Append the sentence of each novelty channel that scores ≥ ``REASON_LEVEL`` (in place)."""
    k = novelty.BINS
    rows = 2 * novelty.SHAPE_BLOCK
    for i in np.flatnonzero(band | shape).tolist():
        if band[i]:
            a, b = fmt(band_start[i]), fmt(band_end[i])
            en[i] += f"; in a band of values no earlier point reached ({a}–{b}, 1/{k} of the range so far)"
            zh[i] += f"；落在此前从未出现过的取值区间（{a}–{b}，为已见范围的 1/{k}）"
        if shape[i]:
            d = int(dist[i])
            en[i] += (
                f"; the last {rows} points (mean {fmt(early[i])}, then {fmt(late[i])}) move as never before:"
                f" the nearest earlier movement is {d} of {k} bands away"
            )
            zh[i] += (
                f"；最近 {rows} 个点（均值 {fmt(early[i])}，随后 {fmt(late[i])}）的走势此前从未出现，"
                f"与最接近的历史走势相差 {d} 个区间（共 {k} 个）"
            )


def score(
    series: pd.Series,
    *,
    band: float = 4.0,
    reasons: bool = True,
    fmt: Callable[[float], str] | None = None,
) -> pd.DataFrame:
    """Score every point of ``series`` from its past only; see the module docstring.

    ``series``: numeric values on a ``DatetimeIndex``, taken in the given order as a stream (a
    timestamp earlier than one before it counts as the latest seen; NaN values score 0). ``reasons=False`` skips the text columns (they are then empty strings).
    ``fmt``: how the reasons write the series' values (the metric's own format, 8.2 % or
    $1,204.50); default: three significant digits, thousands separated.
    """
    if not isinstance(series.index, pd.DatetimeIndex):
        raise TypeError("score() needs a series on a DatetimeIndex")
    index = series.index
    n = len(series)
    if n == 0:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=object if c in ("pattern", "reason", "reason_zh") else float)
                for c in COLUMNS
            },
            index=index,
        )
    raw = pd.to_numeric(series, errors="coerce").astype(float)
    y = raw.to_numpy()
    interval = interval_of(index)
    rows = level_rows_for(interval)
    hist = raw.shift(1).notna().cumsum().to_numpy()  # earlier points with a value
    # the level and the seasonal forecasts skip missing values: fill them with the level so far
    level = _past(raw, rows, "median")
    filled = np.where(np.isfinite(y), y, level)
    # lags in wall-clock time (a day back is the same hour across a DST change); a stream: a
    # timestamp earlier than one before it counts as the latest seen
    wall = index.tz_localize(None) if index.tz is not None else index
    t = np.maximum.accumulate(wall.as_unit("ns").asi8)
    candidates = {"level": level}
    if interval is not None and interval <= DAY / 4:
        candidates["daily"] = _seasonal(t, filled, level, DAY, DAILY_K, interval)
    if interval is not None and interval <= DAY:
        candidates["weekly"] = _seasonal(t, filled, level, WEEK, WEEKLY_K, interval)
    for name in ("daily", "weekly"):
        if name in candidates:
            candidates[name][:INTERVAL_ROWS] = np.nan  # the interval is known from row 21 on
    names = list(candidates)
    errors = np.full((n, len(names)), np.inf)
    for c, name in enumerate(names):
        f = candidates[name]
        err = np.abs(filled - f)
        mae = pd.Series(err).shift(1).rolling(rows, min_periods=1).mean().to_numpy()
        if interval is not None and interval <= DAY:
            # how this forecast did at the same time of the previous weeks (robust: a median)
            same_slot = _lagged_median(t, err, WEEK, WEEKLY_K, interval, need=1)
            mae = np.where(np.isfinite(same_slot), same_slot, mae)
        errors[:, c] = np.where(np.isfinite(f) & np.isfinite(mae), mae, np.inf)
    # the level is the fallback; a seasonal forecast must exist at t and have a track record
    choice = np.argmin(errors, axis=1)
    forecasts = np.column_stack([candidates[name] for name in names])
    expected = forecasts[np.arange(n), choice]
    missing = ~np.isfinite(expected)
    expected = np.where(missing, level, expected)
    choice = np.where(missing, 0, choice)
    pattern = np.array(names, dtype=object)[choice]
    resid = pd.Series(filled - expected)
    abs_r = resid.abs()
    mad = MAD_TO_SIGMA * _past(abs_r, SCALE_WINDOWS * rows, "median")
    mean_abs = _past(abs_r, SCALE_WINDOWS * rows, "mean")
    scale = np.fmax(np.fmax(mad, 0.5 * mean_abs), 1e-9 * (1.0 + np.abs(np.nan_to_num(level))))
    # counts (every earlier value a non-negative integer) vary at least as Poisson counts do
    not_count = np.isfinite(y) & ((y < 0) | (y != np.round(y)))
    counts = np.cumsum(not_count) - not_count == 0
    scale = np.where(counts, np.fmax(scale, np.sqrt(np.fmax(np.nan_to_num(expected), 0.0))), scale)
    ok = (hist >= MIN_HISTORY) & np.isfinite(expected) & np.isfinite(y) & np.isfinite(scale)
    z = np.where(ok, (y - expected) / np.where(ok, scale, 1.0), 0.0)
    expected = np.where(hist >= MIN_HISTORY, expected, np.nan)
    az = np.abs(z)
    s = az / (az + band)
    before = pd.Series(az).shift(1)
    recent = before.rolling(_rows_in(COOLDOWN, interval), min_periods=1).max().fillna(0.0).to_numpy()
    # the memory skips the deviations of the first SETTLE_ROWS rows: their scale rests on few residuals
    settled = pd.Series(np.where(np.arange(n) < SETTLE_ROWS, 0.0, az)).shift(1)
    longest = settled.rolling(_rows_in(MEMORY, interval), min_periods=1).max().fillna(0.0).to_numpy()
    s = np.where(az <= recent, s * REPEAT_FACTOR, np.where(az <= longest, s * ORDINARY_FACTOR, s))
    # the context channels (detector_channels.py): an unusual stretch of deviations, a new range
    lk, p, m, mu = channels.likelihood(az, ok)
    lk = channels.likelihood_repeats(lk, _rows_in(channels.REPEAT_SPAN, interval))
    lag_rows = round(channels.RANGE_LAG / interval) if interval is not None else 0  # none for daily series
    rg, hi, lo = channels.out_of_range(y, _rows_in(channels.RANGE_DAYS, interval), hist, lag_rows)
    # the novelty channels (detector_novelty.py): a band of values no earlier point reached, a shape never seen
    all_lo, all_hi = novelty.ranges(y)
    nb, band_start, band_end = novelty.new_band(y, hist)
    shape, dist, early, late = novelty.new_shape(
        y, hist, all_lo, all_hi, _rows_in(novelty.SHAPE_REST, interval)
    )
    combined = np.fmax(np.fmax(np.fmax(s, lk), rg), np.fmax(nb, shape))
    mask_rows = round(channels.MASK / interval) if interval is not None else 0
    s = channels.mask_after_alerts(combined, mask_rows)
    lower = expected - band * scale
    upper = expected + band * scale
    if reasons:
        out = _fmt if fmt is None else (lambda v: fmt(v) if math.isfinite(v) else "-")
        en, zh = _reasons(index, y, expected, z, pattern, interval is not None and interval < DAY, hist, out)
        _context_reasons(en, zh, lk >= REASON_LEVEL, rg >= REASON_LEVEL, p, m, mu, y, hi, lo, lag_rows, out)
        _novelty_reasons(
            en, zh, nb >= REASON_LEVEL, shape >= REASON_LEVEL, band_start, band_end, dist, early, late, out
        )
    else:
        en, zh = [""] * n, [""] * n
    return pd.DataFrame(
        {
            "value": y,
            "expected": expected,
            "lower": lower,
            "upper": upper,
            "z": z,
            "score": s,
            "pattern": pattern,
            "reason": en,
            "reason_zh": zh,
        },
        index=index,
    )
