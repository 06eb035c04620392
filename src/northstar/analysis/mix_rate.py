"""Mix and rate: a ratio KPI R = Σ num / Σ den over a dimension's segments is
R = Σ_i w_i r_i with weight w_i = den_i / Σ den and rate r_i = num_i / den_i. Its change is
split per segment into a mix effect Δw_i × (r_i0 + r_i1)/2 (traffic moving between segments) and a
rate effect (w_i0 + w_i1)/2 × Δr_i (a segment's own rate moving) — the two-factor Shapley split —
and Σ_i (mix_i + rate_i) = R1 - R0 exactly. A segment absent from one period (den 0 there) has no
rate in that period; its rate from the other period is used, so its whole effect is mix (its
weight moved from or to 0) and its rate effect is 0; the identity still holds because its weight
in that period is 0.

Pure pandas/NumPy on one row per segment; the engine groups the rows (``northstar explain``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from northstar.errors import DataError, QueryError

_WHEN_EN = {"before": "in the earlier period", "after": "in the later period"}


def mix_rate(segments: pd.DataFrame, num: str, den: str, segment: str) -> pd.DataFrame:
    """Split the change of R = Σ num / Σ den into a mix and a rate effect per segment.

    ``segments`` has one row per segment value (repeated values are summed) and the columns
    ``segment``, ``{num}_before``, ``{num}_after``, ``{den}_before``, ``{den}_after``; a missing
    number (a segment absent from a period, say after an outer join) counts as 0.

    Returns one row per segment: segment, den_before, den_after, weight_before, weight_after,
    rate_before, rate_after (null where den is 0), mix, rate, effect (= mix + rate) and note
    (``new``: den 0 before; ``gone``: den 0 after; empty otherwise). Σ effect = R1 - R0.
    """
    need = [segment, f"{num}_before", f"{num}_after", f"{den}_before", f"{den}_after"]
    missing = [c for c in need if c not in segments.columns]
    if missing:
        raise QueryError(
            f"mix/rate split: missing columns {', '.join(missing)}",
            f"结构/比率拆分：缺少列 {', '.join(missing)}",
        )
    frame = segments[need].copy()
    for c in need[1:]:
        frame[c] = pd.to_numeric(frame[c], errors="raise").astype("float64").fillna(0.0)
    frame = frame.groupby(segment, sort=False, dropna=False).sum().reset_index()
    n0, n1 = frame[f"{num}_before"].to_numpy(), frame[f"{num}_after"].to_numpy()
    d0, d1 = frame[f"{den}_before"].to_numpy(), frame[f"{den}_after"].to_numpy()
    for dens, nums, when in ((d0, n0, "before"), (d1, n1, "after")):
        zh = "基期" if when == "before" else "当期"
        if not np.isfinite(dens).all() or not np.isfinite(nums).all():
            raise DataError(
                f"mix/rate split: {num} or {den} is not a finite number {_WHEN_EN[when]}",
                f"结构/比率拆分：{num} 或 {den} 在{zh}不是有限数值",
            )
        if (dens < 0).any():
            raise DataError(
                f"mix/rate split: {den} is negative {_WHEN_EN[when]}", f"结构/比率拆分：{den} 在{zh}为负数"
            )
        bad = frame.loc[(dens == 0) & (nums != 0), segment].tolist()
        if bad:
            raise DataError(
                f"mix/rate split: {num} is not 0 where {den} is 0 {_WHEN_EN[when]} ({', '.join(map(str, bad))}); "
                f"the ratio of the totals is then not a weighted mean of the segments' ratios",
                f"结构/比率拆分：{zh} {', '.join(map(str, bad))} 的 {den} 为 0 而 {num} 不为 0；"
                "总比率因此不是各分组比率的加权平均",
            )
        if dens.sum() == 0:
            raise DataError(
                f"mix/rate split: {den} is 0 in every segment {_WHEN_EN[when]}, so the ratio has no value",
                f"结构/比率拆分：{den} 在{zh}所有分组中都为 0，比率没有值",
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = np.where(d0 > 0, n0 / d0, np.nan)
        r1 = np.where(d1 > 0, n1 / d1, np.nan)
    w0, w1 = d0 / d0.sum(), d1 / d1.sum()
    # the rate of a period without den is taken from the other period (its weight there is 0)
    r0_used = np.where(d0 > 0, r0, np.where(d1 > 0, r1, 0.0))
    r1_used = np.where(d1 > 0, r1, r0_used)
    mix = (w1 - w0) * (r0_used + r1_used) / 2
    rate = (w0 + w1) / 2 * (r1_used - r0_used)
    note = np.where(d0 == 0, np.where(d1 == 0, "empty", "new"), np.where(d1 == 0, "gone", ""))
    return pd.DataFrame(
        {
            segment: frame[segment],
            "den_before": d0,
            "den_after": d1,
            "weight_before": w0,
            "weight_after": w1,
            "rate_before": r0,
            "rate_after": r1,
            "mix": mix,
            "rate": rate,
            "effect": mix + rate,
            "note": note,
        }
    )
