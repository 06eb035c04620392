"""The detector's two novelty channels: a band of values never held, a short shape never seen.

``analysis/detector.py`` judges each point by its deviation from a forecast, and
``analysis/detector_channels.py`` by how unusual the recent deviations are and whether the value
leaves the month's range. Neither remembers *which values* a series has taken: a level that the
series has never held (a value in a gap of its history, not beyond its extremes) or a short
movement it has never made (up then down at heights it never combined) is ordinary next to a
forecast that follows it. These two channels look at the values themselves, as CAD OSE's
contexts do (Smirnov's contextual anomaly detector, NAB 69.9: discretised recent values, an
alert for a context never seen before), but binned against the range seen so far instead of the
file's minimum and maximum, which a stream does not know. Each scores in [0, 1] on the
detector's scale (``≥ 0.5`` = an alert); every quantity at row t uses rows ≤ t only.

**Bins**: lo_t / hi_t = the lowest / highest value of all rows **before** t (missing values
skipped); the width is ``hi_t − lo_t`` (1 when they are equal). A value v at row t falls in bin
``min(⌊BINS · (v − lo_t) / width⌋, BINS − 1)`` for lo_t ≤ v ≤ hi_t, in bin −1 below lo_t and in
bin ``BINS`` above hi_t (``BINS`` = 16 equal bands of the range seen so far).

**New band**: for a row t with lo_t ≤ v ≤ hi_t, its band is the bin it falls in, [lo_t + k·w,
lo_t + (k+1)·w) with w = width / ``BINS`` (the top one closed); the band is *new* when no
earlier value lies in it. From ``LEARN_ROWS`` (300, the context channels' warm-up) earlier values
on, such a row scores ``NEW_BAND_SCORE`` (0.6: an alert); other rows 0. The range channel sees a
jump past the month's extremes; this channel sees a value inside the range seen so far but at a
level the series has never held (between two regimes, in a gap of its history). The lowest and
highest bands hold lo_t and hi_t themselves, so they are never new; a value beyond the range is
the range channel's.

**New shape**: the *shape* at row t is the pair (bin of the mean of rows t−5…t−3, bin of the mean of
rows t−2…t) (``SHAPE_BLOCK`` = 3 rows per mean; none when one of the six values is missing), each
earlier row's pair binned against the range known at its own time (so a pair is compared with the
movements as they looked then: cheaper than re-binning the past, and what was measured). When the
pair never occurred at an earlier row, its distance d is the Chebyshev distance (in bins) to the
nearest pair that did; a row that repeats a pair has d = 0. From ``LEARN_ROWS`` earlier values on,
the row scores ``d / (d + SHAPE_BAND)`` (``SHAPE_BAND`` = 3: three bins away scores 0.5) when d
is larger than every d of the last ``SHAPE_REST`` (12 hours, in rows: round(12 h / Δ), at least
1), else 0: a new movement alerts once, not at each of its neighbouring new pairs.

Constants: ``BINS`` = 16 and ``SHAPE_BAND`` = 3 were chosen on NAB's corpus (8 and 32 bins, bands
2 and 4 were tried: see ``benchmarks/README.md``), and held when each category was left out of the
choice in turn; ``SHAPE_BLOCK`` = 3 averages out one row's noise and still sees a movement of a
few rows; 0.6 puts a new band just above the alert level, below a strong point deviation;
``SHAPE_REST`` = 12 hours is twice the detector's 6-hour mask.
"""

from __future__ import annotations

import bisect
import math

import numpy as np
import pandas as pd

from northstar.analysis import detector_channels as channels

BINS = 16
NEW_BAND_SCORE = 0.6
SHAPE_BLOCK = 3
SHAPE_BAND = 3.0
SHAPE_REST = pd.Timedelta(hours=12)


def bin_of(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The bin of each value against its row's range (−1 below, ``BINS`` above; −2 when unknown)."""
    width = np.where(hi > lo, hi - lo, 1.0)
    known = np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi)
    vv = np.where(known, v, 0.0)
    lo0 = np.where(known, lo, 0.0)
    hi0 = np.where(known, hi, 0.0)
    inside = np.minimum(np.floor(BINS * (vv - lo0) / width), BINS - 1)
    b = np.where(vv < lo0, -1.0, np.where(vv > hi0, float(BINS), inside))
    return np.where(known, b, -2.0).astype(np.int64)


def ranges(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi): the lowest and highest value of all rows before each row (NaN before any)."""
    before = pd.Series(y).shift(1)
    return before.expanding(min_periods=1).min().to_numpy(), before.expanding(min_periods=1).max().to_numpy()


def new_band(y: np.ndarray, history: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The new-band channel: (score, band start, band end) per row (NaN where no band is new).

    ``history``: earlier rows with a value. A loop over rows with the earlier values kept sorted
    (``bisect``): whether any earlier value lies in the row's band is one binary search.
    """
    n = len(y)
    score = np.zeros(n)
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    past: list[float] = []
    lo = hi = math.nan
    for t, v in enumerate(y.tolist()):
        if math.isnan(v):
            continue
        if history[t] >= channels.LEARN_ROWS and lo <= v <= hi:
            width = (hi - lo) / BINS if hi > lo else 1.0 / BINS
            k = min(math.floor((v - lo) / width), BINS - 1)
            a, b = lo + k * width, lo + (k + 1) * width
            j = bisect.bisect_left(past, a)
            last = k == BINS - 1  # the top band includes the highest value
            if not (j < len(past) and (past[j] < b or (last and past[j] <= b))):
                score[t], start[t], end[t] = NEW_BAND_SCORE, a, b
        bisect.insort(past, v)
        lo, hi = (v, v) if math.isnan(lo) else (min(lo, v), max(hi, v))
    return score, start, end


def new_shape(
    y: np.ndarray, history: np.ndarray, lo: np.ndarray, hi: np.ndarray, rest_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The new-shape channel: (score, d, first mean, second mean) per row."""
    n = len(y)
    late = pd.Series(y).rolling(SHAPE_BLOCK, min_periods=SHAPE_BLOCK).mean().to_numpy()
    early = np.r_[np.full(min(SHAPE_BLOCK, n), np.nan), late[: max(n - SHAPE_BLOCK, 0)]]
    pair = np.column_stack([bin_of(early, lo, hi), bin_of(late, lo, hi)])
    known = (pair > -2).all(axis=1)
    code = np.where(known, (pair[:, 0] + 2) * (BINS + 3) + (pair[:, 1] + 2), -1)
    first = np.flatnonzero(~pd.Series(code).duplicated().to_numpy() & known)
    d = np.zeros(n)
    for k in range(1, len(first)):
        i = first[k]
        d[i] = float(np.abs(pair[first[:k]] - pair[i]).max(axis=1).min())
    before = pd.Series(d).shift(1).rolling(max(1, rest_rows), min_periods=1).max().fillna(0.0).to_numpy()
    shown = np.where((d > before) & (history >= channels.LEARN_ROWS), d, 0.0)
    return shown / (shown + SHAPE_BAND), d, early, late
