"""The NAB scorer (benchmarks/nab_score.py) on hand-made cases computed by hand, against a
row-by-row reference written here from NAB's sweeper, and on the Null / Perfect anchors."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import nab_score as ns

NAB = Path(__file__).resolve().parents[3] / "shared" / "data" / "nab"
STANDARD = ns.Profile("standard", 1.0, 0.11, 1.0)
LOW_FN = ns.Profile("reward_low_FN_rate", 1.0, 0.11, 2.0)
SIG_LEFT = 2 / (1 + math.exp(-5)) - 1  # σ(−1) = 0.98661...


def hand_file(n: int = 100, windows: tuple[tuple[int, int], ...] = ((40, 49),)) -> ns.FileRows:
    ts = pd.date_range("2026-01-01", periods=n, freq="5min")
    return ns.file_rows("hand", ts, [(ts[a], ts[b]) for a, b in windows])


def raw(rows: ns.FileRows, detected_rows: list[int], profile: ns.Profile = STANDARD) -> float:
    d = np.zeros(len(rows.window), dtype=bool)
    d[detected_rows] = True
    return ns.file_raw_score(rows, d, profile)


def test_hand_made_cases() -> None:
    f = hand_file()  # 100 rows: probation 15 rows; one window of 10 rows, 40..49
    assert ns.probation_length(100) == 15 and ns.probation_length(10_000) == 750
    assert raw(f, [40]) == pytest.approx(1.0)  # the left edge: exactly A_TP
    assert raw(f, [45]) == pytest.approx((2 / (1 + math.exp(-2.5)) - 1) / SIG_LEFT)
    last = (2 / (1 + math.exp(-0.5)) - 1) / SIG_LEFT  # the right edge: position −1/10
    assert raw(f, [49]) == pytest.approx(last)
    assert raw(f, [45, 42, 48]) == pytest.approx((2 / (1 + math.exp(-4)) - 1) / SIG_LEFT)  # earliest
    assert raw(f, []) == -1.0  # a miss costs A_FN
    assert raw(f, [], LOW_FN) == -2.0
    assert raw(f, [99]) == pytest.approx(-1.0 - 0.11)  # an FP ≥ 3 widths after the window: −A_FP
    just_after = 2 / (1 + math.exp(5 * (1 / 9))) - 1  # row 50: |49 − 50| / (10 − 1)
    assert raw(f, [40, 50]) == pytest.approx(1.0 + 0.11 * just_after)
    assert raw(f, [40, 20]) == pytest.approx(1.0 - 0.11)  # before any window: −A_FP
    assert raw(f, [5, 14]) == -1.0  # the probationary period is ignored
    early = hand_file(windows=((5, 10), (40, 49)))  # a window inside the probationary period
    assert early.scored_windows == 1 and early.n_windows == 2
    assert raw(early, [5]) == -1.0
    assert raw(early, [12]) == -1.0  # still probation
    # after the probation, 6 rows past the first window (width 6): position 6 / 5
    assert raw(early, [16]) == pytest.approx(-1.0 + 0.11 * (2 / (1 + math.exp(5 * 6 / 5)) - 1))


def reference_total(files: list[ns.FileRows], scores: list[np.ndarray], p: ns.Profile, th: float) -> float:
    """NAB's per-threshold total, row by row: best TP per window, −A_FN if none, plus every FP."""
    total = 0.0
    for f, s in zip(files, scores, strict=True):
        best: dict[int, float] = {}
        for i, (w, v) in enumerate(zip(f.window, s, strict=True)):
            if w == ns.PROBATION:
                continue
            if w >= 0:
                best.setdefault(int(w), -p.fn)
                if v >= th:
                    best[int(w)] = max(best[int(w)], p.tp * f.tp_value[i])
            elif v >= th:
                total += p.fp * f.fp_value[i]
        total += sum(best.values())
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sweep_equals_the_row_by_row_total_at_every_threshold(seed: int) -> None:
    rng = np.random.default_rng(seed)
    files = [hand_file(120, ((30, 41), (70, 80))), hand_file(90, ((50, 60),)), hand_file(60, ())]
    scores = [np.round(rng.random(len(f.window)), 1) for f in files]  # many equal scores
    for p in (STANDARD, LOW_FN):
        sw = ns.sweep(files, scores, p)
        assert sw.thresholds[0] == 1.1 and sw.totals[0] == -p.fn * 3
        assert (
            len(sw.thresholds)
            == len(
                np.unique(
                    np.concatenate([s[f.window != ns.PROBATION] for f, s in zip(files, scores, strict=True)])
                )
            )
            + 1
        )
        for th, total in zip(sw.thresholds, sw.totals, strict=True):
            assert total == pytest.approx(reference_total(files, scores, p, th))
        th, best = sw.best
        assert best == pytest.approx(
            max(reference_total(files, scores, p, t) for t in np.r_[1.1, np.unique(np.concatenate(scores))])
        )
        assert sum(ns.raw_at(files, scores, p, th)) == pytest.approx(best)


def nab_files(names: list[str]) -> list[ns.FileRows]:
    if not NAB.exists():
        pytest.skip("NAB data not present")
    windows = ns.load_windows(NAB)
    out = []
    for name in names:
        ts = pd.read_csv(NAB / "data" / name, usecols=["timestamp"], parse_dates=["timestamp"])["timestamp"]
        out.append(ns.file_rows(name, pd.DatetimeIndex(ts), windows[name]))
    return out


def test_null_and_perfect_anchors_on_real_files() -> None:
    names = [
        "realKnownCause/nyc_taxi.csv",
        "realTweets/Twitter_volume_AAPL.csv",
        "artificialWithAnomaly/art_daily_jumpsup.csv",
    ]
    files = nab_files(names)
    assert [f.n_windows for f in files] == [5, 4, 1]
    profiles = ns.load_profiles(NAB)
    assert [(p.name, p.tp, p.fp, p.fn) for p in profiles] == [
        ("standard", 1.0, 0.11, 1.0),
        ("reward_low_FP_rate", 1.0, 0.22, 1.0),
        ("reward_low_FN_rate", 1.0, 0.11, 2.0),
    ]
    cats = {n: n.split("/")[0] for n in names}
    null = ns.corpus_score(files, [np.full(len(f.window), 0.5) for f in files], profiles, cats)
    perfect = ns.corpus_score(files, [ns.perfect_scores(f) for f in files], profiles, cats)
    for p in profiles:
        assert null[p.name]["corpus"] == 0.0 and null[p.name]["threshold"] == 1.1
        assert perfect[p.name]["corpus"] == pytest.approx(100.0)
        assert perfect[p.name]["realTweets"] == pytest.approx(100.0)
    # one detection at the left edge of every window but one of nyc_taxi's: 9 of 10 windows
    half = [ns.perfect_scores(f) for f in files]
    first = np.flatnonzero(half[0])[0]
    half[0][first] = 0.0
    got = ns.corpus_score(files, half, profiles[:1], cats)["standard"]["corpus"]
    assert got == pytest.approx(100 * (9 - 1 - (-10)) / (10 - (-10)))
