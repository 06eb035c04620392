"""A scorer for the Numenta Anomaly Benchmark (NAB v1.1), written from NAB's definition.

It follows ``nab/sweeper.py`` and the runner's normalisation in numenta/NAB, line for line in
meaning, so a corpus score from here can be compared with NAB's scoreboard:

* **Probationary period**: the first ``min(floor(0.15 · n), 0.15 · 5000)`` rows of a file of
  ``n`` rows (at most 750) are not scored (neither as detections nor as windows).
* **Windows** (``labels/combined_windows.json``): a window is entered at the row whose timestamp
  equals its start and left after the row whose timestamp equals its end. For row ``i`` inside a
  window whose right edge is row ``r`` and whose width is ``w`` rows,
  ``position = −(r − i + 1) / w`` and the row is worth ``σ(position) · A_TP / σ(−1)``: exactly
  ``A_TP`` at the left edge, falling towards 0 at the right edge.
* **Outside windows** a detection costs ``σ(position) · A_FP`` with ``position = |r_prev − i| /
  (w_prev − 1)`` measured from the previous window's right edge ``r_prev`` (width ``w_prev``),
  so it is ≈ 0 just after a window and → −1 · A_FP farther away; before any window, or 3 or more
  widths past it, the weight is −A_FP.
* ``σ`` is NAB's scaled sigmoid: ``σ(x) = 2 / (1 + e^{5x}) − 1`` for ``x < 3``, ``−1`` otherwise.
* **Per file**: a row is a detection when its anomaly score ≥ the threshold. Every window
  scores the best (= earliest) detection in it, or −A_FN when it has none; every detection
  outside windows adds its FP weight. Windows that lie wholly in the probationary period are
  not scored.
* **Threshold**: one per profile for the whole corpus, the value (among the scores that occur,
  and 1.1 = detect nothing) that maximises the corpus total: NAB's ``calcScoreByThreshold``
  sweep, here vectorised (a running max per window, a running sum of FP weights).
* **Normalisation**: ``100 · (S − S_null) / (S_perfect − S_null)`` where ``S_perfect = A_TP ·
  number of windows`` and ``S_null`` is the score of the Null detector (a constant score, which
  the sweep turns into "detect nothing": −A_FN per scored window).

The profiles are NAB's ``config/profiles.json``: standard (A_TP 1, A_FP 0.11, A_FN 1),
reward_low_FP_rate (A_FP 0.22), reward_low_FN_rate (A_FN 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PROBATION_PERCENT = 0.15
NO_WINDOW = -1  # a row outside every window (a detection there is a false positive)
PROBATION = -2  # a row in the probationary period (never scored)


@dataclass(frozen=True)
class Profile:
    name: str
    tp: float
    fp: float
    fn: float


@dataclass(frozen=True)
class FileRows:
    """The per-row scoring facts of one file, independent of the detector and of the profile."""

    name: str
    window: np.ndarray  # window number within the file per row, NO_WINDOW or PROBATION
    tp_value: np.ndarray  # σ(position)/σ(−1) inside windows (times A_TP later), NaN elsewhere
    fp_value: np.ndarray  # σ(position past the previous window) outside windows (times A_FP)
    n_windows: int  # windows listed for the file
    scored_windows: int  # windows with at least one row after the probationary period


def scaled_sigmoid(x: float) -> float:
    """NAB's scaled sigmoid: 2·sigmoid(−5x) − 1, and −1 from x = 3 on."""
    if x >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def probation_length(n_rows: int, percent: float = PROBATION_PERCENT) -> int:
    """Rows not scored at the start of a file: min(floor(percent·n), percent·5000)."""
    return int(min(math.floor(percent * n_rows), percent * 5000))


def load_profiles(nab_dir: Path) -> list[Profile]:
    raw = json.loads((nab_dir / "config" / "profiles.json").read_text())
    return [
        Profile(
            name,
            float(c["CostMatrix"]["tpWeight"]),
            float(c["CostMatrix"]["fpWeight"]),
            float(c["CostMatrix"]["fnWeight"]),
        )
        for name, c in raw.items()
    ]


def load_windows(nab_dir: Path) -> dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    raw = json.loads((nab_dir / "labels" / "combined_windows.json").read_text())
    return {name: [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in spans] for name, spans in raw.items()}


def file_rows(
    name: str,
    timestamps: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    windows: Sequence[tuple[pd.Timestamp, pd.Timestamp]],
) -> FileRows:
    """Walk the rows as NAB's ``calcSweepScore`` does and record each row's window and weights."""
    ts = timestamps if isinstance(timestamps, pd.DatetimeIndex) else pd.DatetimeIndex(list(timestamps))
    n = len(ts)
    position = {t: i for i, t in enumerate(ts)}
    probation = probation_length(n)
    max_tp = scaled_sigmoid(-1.0)
    window = np.full(n, NO_WINDOW, dtype=np.int64)
    tp_value = np.full(n, np.nan)
    fp_value = np.full(n, np.nan)
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        if start not in position or end not in position:
            raise ValueError(f"{name}: window {start}..{end} does not start and end on rows of the file")
        spans.append((position[start], position[end]))
    pending = list(spans)
    current: tuple[int, int] | None = None
    prev_right: int | None = None
    prev_width = 0.0
    number = -1
    for i in range(n):
        if pending and i == pending[0][0]:
            current = pending.pop(0)
            number += 1
        if current is not None:
            width = float(current[1] - current[0] + 1)
            tp_value[i] = scaled_sigmoid(-(current[1] - i + 1) / width) / max_tp
            window[i] = number
        else:
            past = 3.0 if prev_right is None else abs(prev_right - i) / (prev_width - 1.0)
            fp_value[i] = scaled_sigmoid(past)
        if current is not None and i == current[1]:
            prev_right, prev_width = i, float(current[1] - current[0] + 1)
            current = None
    window[:probation] = PROBATION
    scored = len({int(w) for w in window if w >= 0})
    return FileRows(name, window, tp_value, fp_value, len(spans), scored)


def file_raw_score(rows: FileRows, detected: np.ndarray, profile: Profile) -> float:
    """The raw score of one file for a boolean detection per row (the definition, unvectorised)."""
    total = 0.0
    for w in {int(x) for x in rows.window if x >= 0}:
        hits = np.flatnonzero((rows.window == w) & detected)
        total += profile.tp * rows.tp_value[hits[0]] if len(hits) else -profile.fn
    fps = (rows.window == NO_WINDOW) & detected
    return total + profile.fp * float(rows.fp_value[fps].sum())


@dataclass(frozen=True)
class Sweep:
    thresholds: np.ndarray  # candidate thresholds, descending, starting with 1.1
    totals: np.ndarray  # corpus raw score at each threshold

    @property
    def best(self) -> tuple[float, float]:
        k = int(np.argmax(self.totals))  # the first maximum: the highest such threshold
        return float(self.thresholds[k]), float(self.totals[k])


def sweep(files: Sequence[FileRows], scores: Sequence[np.ndarray], profile: Profile) -> Sweep:
    """NAB's threshold sweep over the whole corpus: the raw total at every candidate threshold.

    Rows sorted by score (descending); a threshold's total includes every row with a score ≥ it.
    Each window contributes −A_FN until its first row is included, then the running max of its
    included rows' TP weights; each included row outside windows adds its FP weight.
    """
    parts_s, parts_w, parts_v, parts_fp = [], [], [], []
    offset = 0
    for rows, s in zip(files, scores, strict=True):
        keep = rows.window != PROBATION
        w = rows.window[keep]
        parts_s.append(np.asarray(s, dtype=float)[keep])
        parts_w.append(np.where(w >= 0, w + offset, NO_WINDOW))
        parts_v.append(np.where(w >= 0, profile.tp * rows.tp_value[keep], 0.0))
        parts_fp.append(np.where(w == NO_WINDOW, profile.fp * rows.fp_value[keep], 0.0))
        offset += rows.n_windows
    s_all = np.concatenate(parts_s)
    order = np.argsort(-s_all, kind="stable")
    s_all = s_all[order]
    w_all = np.concatenate(parts_w)[order]
    v_all = np.concatenate(parts_v)[order]
    fp_all = np.concatenate(parts_fp)[order]
    n_scored = len(np.unique(w_all[w_all >= 0]))
    # per window: running max of the included TP weights, floored at −A_FN; its increments
    delta = np.zeros(len(s_all))
    in_win = w_all >= 0
    if in_win.any():
        frame = pd.DataFrame({"w": w_all[in_win], "v": v_all[in_win]})
        best = frame.groupby("w")["v"].cummax().clip(lower=-profile.fn).to_numpy()
        prev = frame.assign(b=best).groupby("w")["b"].shift(1).fillna(-profile.fn).to_numpy()
        delta[in_win] = best - prev
    running = -profile.fn * n_scored + np.cumsum(delta + fp_all)
    # the total at a threshold is the running total after the last row with that score
    last_of_value = np.r_[s_all[1:] != s_all[:-1], True] if len(s_all) else np.zeros(0, dtype=bool)
    thresholds = np.r_[1.1, s_all[last_of_value]]
    totals = np.r_[-profile.fn * n_scored, running[last_of_value]]
    return Sweep(thresholds, totals)


def raw_at(
    files: Sequence[FileRows], scores: Sequence[np.ndarray], profile: Profile, threshold: float
) -> list[float]:
    """Per-file raw scores at a threshold (detection = score ≥ threshold)."""
    return [
        file_raw_score(r, np.asarray(s) >= threshold, profile) for r, s in zip(files, scores, strict=True)
    ]


def anchors(files: Sequence[FileRows], profile: Profile) -> tuple[float, float]:
    """(S_null, S_perfect) for these files: −A_FN and A_TP per window (scored windows for Null)."""
    return -profile.fn * sum(r.scored_windows for r in files), profile.tp * sum(r.n_windows for r in files)


def normalise(raw: float, null: float, perfect: float) -> float:
    return 100.0 * (raw - null) / (perfect - null)


def perfect_scores(rows: FileRows) -> np.ndarray:
    """The Perfect detector: 1 at the first row of each window, 0 elsewhere."""
    s = np.zeros(len(rows.window))
    w = rows.window
    starts = np.flatnonzero((w >= 0) & np.r_[True, w[1:] != w[:-1]])
    s[starts] = 1.0
    return s


def corpus_score(
    files: Sequence[FileRows],
    scores: Sequence[np.ndarray],
    profiles: Sequence[Profile],
    categories: Mapping[str, str],
) -> dict[str, dict[str, float]]:
    """Normalised corpus score per profile, and per category at the corpus threshold.

    Keys: ``result[profile]["corpus"]``, ``result[profile]["threshold"]`` and
    ``result[profile][category]`` (a category normalised against its own Null and Perfect).
    """
    out: dict[str, dict[str, float]] = {}
    for p in profiles:
        threshold, total = sweep(files, scores, p).best
        null, perfect = anchors(files, p)
        row = {"threshold": threshold, "corpus": normalise(total, null, perfect)}
        per_file = raw_at(files, scores, p, threshold)
        for cat in sorted(set(categories.values())):
            idx = [i for i, f in enumerate(files) if categories[f.name] == cat]
            sub = [files[i] for i in idx]
            c_null, c_perfect = anchors(sub, p)
            if c_perfect - c_null > 0:
                row[cat] = normalise(sum(per_file[i] for i in idx), c_null, c_perfect)
        out[p.name] = row
    return out
