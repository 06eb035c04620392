"""The detector's two context channels and its alert mask (pure NumPy/pandas, causal).

``analysis/detector.py`` scores each point by its own deviation from a forecast (the *point*
channel). A point forecast does not see a change that no single point shows, such as noise that
grows, and it forgets what a series did weeks ago: a value can be ordinary next to its forecast
and still beyond every value of the last month. Two more channels look at these; each gives a score in [0, 1] on the same scale (``≥ 0.5`` = an alert), the detector
keeps the largest of the three, then masks repeats. Every quantity at row t uses rows ≤ t only.

**Likelihood** (Numenta's anomaly likelihood, Ahmad et al. 2017, applied to the point channel's
deviations instead of HTM's prediction errors):

1. raw score ``r_t = |z_t| / (|z_t| + LIKELIHOOD_BAND)`` (``LIKELIHOOD_BAND`` = 8; 0 while the
   point channel has no forecast);
2. short mean ``m_t`` = the mean of r over the last ``AVERAGE_ROWS`` (10) rows up to and
   including t;
3. its usual distribution: μ_t and σ²_t = the mean and the (population) variance of m over the
   ``HISTORY_ROWS`` (8,640; 30 days of 5-minute data) rows **before** t, once at least
   ``LEARN_ROWS`` (300) such rows exist (before that the channel scores 0); μ ≥ 0.03 and
   σ² ≥ 0.0003, Numenta's floors;
4. tail probability ``p_t = Q((m_t − μ_t) / σ_t)`` (the normal upper tail; ``p = 0.5`` when
   m_t ≤ μ_t);
5. score ``min(1, log10(1/p_t) / 10)``: p = 10⁻⁵ scores 0.5 and p ≤ 10⁻¹⁰ scores 1; a row
   whose p and the previous row's p are both ≤ 10⁻⁵ scores 0.3 (p = 10⁻³; Numenta's filter:
   the start of an unusual stretch alerts, not every row of it);
6. repeats: when this score (step 5) reached 0.5 at any of the ``REPEAT_SPAN`` (3 days, in rows:
   round(3 days / Δ)) rows before t, the row's score is × ``REPEAT_SCALE`` (0.8): a series that
   had an unusual stretch in the last 3 days needs p ≤ 10^−6.25 to alert again. Bursty series
   (tweets, CPU) have such stretches every few days; the first in 3 days still alerts at 10⁻⁵.
   3 days is the point channel's cooldown; 0.8 was chosen on NAB (0.9 and 0.8, 1 to 14 days
   were tried: ``benchmarks/README.md``).

**Range**: ``hi_t`` / ``lo_t`` = the highest / lowest value of the ``RANGE_DAYS`` (30 days, in
rows: round(30 days / Δ)) that end ``RANGE_LAG`` (6 hours, in rows: round(6 h / Δ), none for a
daily series) before t — rows t − lag − span … t − lag − 1 —, once at least ``LEARN_ROWS``
earlier rows have a value; the row is *out of range* when ``y_t > hi_t + RANGE_MARGIN · (hi_t −
lo_t)`` or ``y_t < lo_t − RANGE_MARGIN · (hi_t − lo_t)`` (``RANGE_MARGIN`` = 5 %). The first
row of an excursion (the previous row not out of range) scores ``0.5 + 0.5 · e / (e + hi_t −
lo_t)`` where e is how far beyond the bound it is; other rows score 0. A record is measured
against the previous records, so a drift that sets a new high by a little every day never
leaves the range: the channel sees a jump past the month's extremes, and, through the lag, a
movement of up to 6 hours that ends beyond them (a fall over a few hours to below the month's
lowest value: each row of it is only a little below the rows just before, so against a range
that includes them no row would leave it). 6 hours is the mask's length, the span of one
incident; NAB scores 75.35–75.49 for lags of 2–12 hours, 74.70 for 1 hour and 74.79 without
a lag (``benchmarks/README.md``).

**Mask**: after a row whose final score is ≥ ``ALERT`` (0.5), the next ``round(MASK / Δ)`` rows
(``MASK`` = 6 hours: 72 rows of 5-minute data, 6 of hourly data, none of daily data) score × 0.01:
one incident, one alert. A masked row does not start a new mask.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LIKELIHOOD_BAND = 8.0
AVERAGE_ROWS = 10
HISTORY_ROWS = 8640
LEARN_ROWS = 300
MEAN_FLOOR = 0.03
VARIANCE_FLOOR = 0.0003
RED = 1e-5  # a tail probability this small scores 0.5
YELLOW = 1e-3  # what a red row right after a red row is lowered to
RANGE_DAYS = pd.Timedelta(days=30)
RANGE_MARGIN = 0.05
RANGE_LAG = pd.Timedelta(hours=6)
REPEAT_SPAN = pd.Timedelta(days=3)
REPEAT_SCALE = 0.8
MASK = pd.Timedelta(hours=6)
MASK_FACTOR = 0.01
ALERT = 0.5

_erfc = np.vectorize(math.erfc, otypes=[float])


def log_score(p: np.ndarray) -> np.ndarray:
    """``min(1, log10(1/p) / 10)``: 10⁻⁵ → 0.5, 10⁻¹⁰ and below → 1, 1 → 0."""
    return np.minimum(1.0, np.log10(1.0 / np.fmax(p, 1e-300)) / 10.0)


def likelihood(az: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The likelihood channel from the point channel's |z| (``active``: rows with a forecast).

    Returns (score, p, m, μ) per row; p is NaN and the score 0 where the channel is not active.
    """
    raw = pd.Series(np.where(active, az / (az + LIKELIHOOD_BAND), 0.0))
    m = raw.rolling(AVERAGE_ROWS, min_periods=1).mean()
    before = m.shift(1).rolling(HISTORY_ROWS, min_periods=LEARN_ROWS)
    mu = np.maximum(before.mean().to_numpy(), MEAN_FLOOR)  # NaN (too little history) stays NaN
    var = np.maximum(before.var(ddof=0).to_numpy(), VARIANCE_FLOOR)
    m_now = m.to_numpy()
    known = np.isfinite(mu) & np.isfinite(var)
    dev = np.where(known, (m_now - np.where(known, mu, 0.0)) / np.sqrt(np.where(known, var, 1.0)), 0.0)
    p = np.where(known, 0.5 * _erfc(np.fmax(dev, 0.0) / math.sqrt(2.0)), np.nan)
    red = np.nan_to_num(p, nan=1.0) <= RED
    repeat = red & np.r_[False, red[:-1]]
    shown = np.where(repeat, YELLOW, p)
    score = np.where(known, log_score(np.nan_to_num(shown, nan=1.0)), 0.0)
    return score, p, m_now, np.where(known, mu, np.nan)


def likelihood_repeats(score: np.ndarray, rows: int) -> np.ndarray:
    """The likelihood score × ``REPEAT_SCALE`` where it reached ``ALERT`` in the ``rows`` rows before."""
    reached = pd.Series((score >= ALERT).astype(float)).shift(1).rolling(max(1, rows), min_periods=1).max()
    return np.where(reached.fillna(0.0).to_numpy() > 0, score * REPEAT_SCALE, score)


def out_of_range(
    y: np.ndarray, rows: int, history: np.ndarray, lag: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The range channel: (score, hi, lo) per row, hi/lo over the ``rows`` rows that end ``lag`` rows before each."""
    past = pd.Series(y).shift(1 + lag).rolling(rows, min_periods=1)
    hi = past.max().to_numpy()
    lo = past.min().to_numpy()
    width = hi - lo
    known = (history >= LEARN_ROWS) & np.isfinite(hi) & np.isfinite(lo) & np.isfinite(y)
    yy = np.where(known, y, 0.0)
    above = np.where(known, yy - (hi + RANGE_MARGIN * width), -1.0)
    below = np.where(known, (lo - RANGE_MARGIN * width) - yy, -1.0)
    out = (above > 0) | (below > 0)
    first = out & ~np.r_[False, out[:-1]]
    excess = np.fmax(above, below)
    span = np.where(known, width, 1.0)
    score = np.where(first, 0.5 + 0.5 * excess / np.where(excess + span > 0, excess + span, 1.0), 0.0)
    return score, hi, lo


def mask_after_alerts(score: np.ndarray, rows: int) -> np.ndarray:
    """Scores × ``MASK_FACTOR`` for the ``rows`` rows after each unmasked row ≥ ``ALERT``."""
    out = score.copy()
    if rows <= 0:
        return out
    until = -1
    for i in np.flatnonzero(score >= ALERT).tolist():
        if i <= until:
            continue
        out[i + 1 : i + 1 + rows] *= MASK_FACTOR
        until = i + rows
    return out
