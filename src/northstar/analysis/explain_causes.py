"""Root causes for :mod:`northstar.analysis.explain`: the engine GROUP BYs and the searches.

``explain`` calls :func:`_causes` with the metric (its numerator and denominator for a ratio) and
the ``by`` dimensions:

- **Wide data** (more than :data:`MAX_LEAF_DIMS` dimensions or a dimension of more than
  :data:`MAX_VALUES` values) of metrics that add up row by row (``count`` / ``sum``, or a ratio
  of two on one source): the interaction search of :mod:`northstar.analysis.wide_search` on
  tables from :mod:`northstar.analysis.wide_tables` (margins, pairs of each dimension's largest
  values, triples where the pairs point), all aggregated by the engine (on DuckDB summed from
  the rows read once as integer codes: :mod:`northstar.analysis.wide_codes`).
- **Other wide data** (distinct counts and other metrics that do not add up over rows): one
  GROUP BY per dimension through ``Project.query``, the value test of
  :mod:`northstar.analysis.slice_test` choosing a leaf table, its slice search, and a drill-down
  of each cause (:mod:`northstar.analysis.drill`); see :func:`_leaves`.
- **Narrow tables** (B0, the generated cases, the demo): the leaf table over every dimension of
  ``by`` and RiskLoc (:func:`northstar.analysis.rootcause.localize`).

:func:`_pair` (a metric by dimensions in the period and the baseline, memoised per explanation) and
:func:`_by` also serve ``explain``'s parts and mix/rate split.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from northstar.analysis.rootcause import RootCauses
    from northstar.analysis.slice_test import SliceSearch, ValueTest
    from northstar.engine.base import Engine
    from northstar.project import Project


def _by(
    project: Project,
    engine: Engine,
    metrics: list[str],
    dims: list[str],
    periods: list[tuple[date, date]],
    where: str | None = None,
) -> pd.DataFrame:
    """``metrics`` grouped by ``dims`` by the engine over each period; over several periods (a
    forecast) the mean per combination, a combination absent from a period counting 0."""
    frames = []
    for s, e in periods:
        f = project.query(metrics, by=dims, start=s, end=e, engine=engine, where=where).frame
        frames.append(f[[*dims, *metrics]])
    frame = pd.concat(frames, ignore_index=True)
    for d in dims:
        frame[d] = frame[d].astype("object").where(frame[d].notna(), "(none)").astype(str)
    out = frame.groupby(dims, dropna=False)[metrics].sum(min_count=1).reset_index()
    out[metrics] = out[metrics].astype("float64").fillna(0.0) / len(periods)
    return out


def _causes(
    project: Project,
    engine: Engine,
    metric: str,
    num_den: tuple[str, str] | None,
    dims: tuple[str, ...],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    max_causes: int,
    notes: list[tuple[str, str]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> RootCauses | None:
    from northstar.analysis.rootcause import localize, localize_ratio
    from northstar.analysis.wide_tables import wide_root_causes

    kind = project.catalog.metrics[metric].kind
    measures = list(num_den) if num_den is not None else [metric]
    fast = wide_root_causes(project, engine, measures, dims, period, base, max_causes, memo, _is_wide, notes)
    if fast is not None:
        return fast
    if num_den is not None:
        num, den = num_den
        leaves, kept, slices = _leaves(
            project, engine, [num, den], dims, period, base, notes, memo, ratio=True
        )
        found = localize_ratio(
            leaves,
            kept,
            f"{num}_real",
            f"{num}_expected",
            f"{den}_real",
            f"{den}_expected",
            max_causes=max_causes,
            slices=slices,
        )
        if slices is None:
            return found
        den_real = float(leaves[f"{den}_real"].sum())
        return _drilled(project, engine, [num, den], dims, period, base, found, slices.phi, den_real)
    if kind in ("ratio", "formula"):
        notes.append(
            (
                f"root causes need an additive metric or a ratio; {metric} is a formula that is neither",
                f"根因定位需要可加指标或比率指标；{metric} 是其他形式的公式",
            )
        )
        return None
    if kind not in ("count", "sum"):
        notes.append(
            (
                f"{metric} ({kind}) does not add up over dimension values: root causes treat each slice's value as its part",
                f"{metric}（{kind}）按维度取值不可直接相加：根因定位把每个切片的值当作其组成部分",
            )
        )
    leaves, kept, slices = _leaves(project, engine, [metric], dims, period, base, notes, memo, ratio=False)
    found = localize(
        leaves, kept, f"{metric}_real", f"{metric}_expected", max_causes=max_causes, slices=slices
    )
    if slices is None:
        return found
    return _drilled(project, engine, [metric], dims, period, base, found, slices.phi, 0.0)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _drilled(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: tuple[str, ...],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    causes: RootCauses,
    phi: float,
    den_real: float,
) -> RootCauses:
    """Each cause drilled down (:func:`northstar.analysis.drill.drill`), its figures from the
    engine's totals under the drilled combination (``den_real``: a ratio's real denominator)."""
    from dataclasses import replace

    from northstar.analysis.drill import drill
    from northstar.analysis.rootcause import NONE_LABEL

    ratio = len(measures) == 2

    def condition(combo: dict[str, str] | tuple[tuple[str, str], ...]) -> str:
        return " and ".join(f"{a} = {_quote(v)}" for a, v in sorted(dict(combo).items()))

    def within(combo: dict[str, str], by: list[str], exclude: tuple[str, ...] = ()) -> pd.DataFrame:
        where = " and ".join([condition(combo), *(f"not ({x})" for x in exclude)])
        keys = by or sorted(combo)  # the totals: grouped by the combination's own (fixed) values
        after = _by(project, engine, measures, keys, [period], where)
        before = _by(project, engine, measures, keys, base, where)
        return after.merge(before, on=keys, how="outer", suffixes=("_real", "_expected")).fillna(0.0)

    def fetch(dim: str, combo: dict[str, str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        frame = within(combo, [dim], exclude)
        real, expected = _test_values(frame, measures, ratio)
        return [str(v) for v in frame[dim]], real, expected

    out, explained = [], causes.explained
    for c in causes.causes:
        # the other causes' rows are left out of the drill: their fall is theirs, not this slice's
        exclude = tuple(
            condition(o.combination)
            for o in causes.causes
            if o is not c and not any(v in (OTHER, NONE_LABEL) for _, v in o.combination)
        )
        combo = drill(dict(c.combination), list(dims), fetch, phi, c.change, blocked=(OTHER, NONE_LABEL))
        if combo == dict(c.combination):
            out.append(c)
            continue
        t = within(combo, [])
        if ratio:
            num, den = measures
            nr, ne = float(t[f"{num}_real"].sum()), float(t[f"{num}_expected"].sum())
            dr, de = float(t[f"{den}_real"].sum()), float(t[f"{den}_expected"].sum())
            real = nr / dr if dr else 0.0
            expected = ne / de if de else 0.0
            share = ((nr - ne) - causes.total_expected * (dr - de)) / den_real / causes.total_change
        else:
            real, expected = float(t[f"{measures[0]}_real"].sum()), float(t[f"{measures[0]}_expected"].sum())
            share = (real - expected) / causes.total_change
        explained += share - c.share
        combination = tuple(sorted(combo.items()))
        out.append(
            replace(
                c,
                combination=combination,
                real=real,
                expected=expected,
                change=real - expected,
                share=share,
                layer=len(combination),
            )
        )
    out.sort(key=lambda c: -abs(c.share))
    return replace(causes, causes=tuple(out), explained=explained)


MAX_LEAF_DIMS = 6  # dimensions the leaf table keeps: C(6,1)+C(6,2)+C(6,3) = 41 cuboids to search
MAX_VALUES = 50  # values kept per dimension; the others are pooled as "(other)"
OTHER = "(other)"


def _is_wide(labels: list[list[str]]) -> bool:
    """More than :data:`MAX_LEAF_DIMS` dimensions, or one of more than :data:`MAX_VALUES` values."""
    return len(labels) > MAX_LEAF_DIMS or any(len(v) > MAX_VALUES for v in labels)


def _leaves(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: tuple[str, ...],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    notes: list[tuple[str, str]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
    ratio: bool,
) -> tuple[pd.DataFrame, tuple[str, ...], SliceSearch | None]:
    """The leaf table the root-cause search reads, grouped by the engine: one row per combination
    of the kept dimensions' values, ``{measure}_real`` and ``{measure}_expected`` per measure.

    With many dimensions or values the table is kept small before any leaf is fetched: the engine
    first groups by each dimension alone, and each value gets its *signal*, the change it carries
    (for a ratio, its contribution to the ratio's change: Δnum − R_expected·Δden). A dimension
    keeps its :data:`MAX_VALUES` values of largest |signal| and pools the rest as ``(other)``;
    with more than :data:`MAX_LEAF_DIMS` dimensions, those whose values moved most clearly
    (:func:`_strength`) are kept. A root cause over kept values moves its values' totals by at least its own
    change, so it survives the cut unless the change is spread over more values than are kept.

    **Wide data** (more than :data:`MAX_LEAF_DIMS` dimensions, or one of more than
    :data:`MAX_VALUES` values): the same per-dimension GROUP BYs feed the value test of
    :mod:`northstar.analysis.slice_test` (each value's log ratio against its dimension's typical
    one, Poisson noise plus a wobble φ read from the data). If some values moved clearly, the leaf
    table is built over the dimensions holding them (at most :data:`MAX_LEAF_DIMS`, by their
    largest |z|), with those values and the rest pooled as ``(other)``; otherwise it is built as
    above. Either way the search on a wide table is the slice search (a combination is a cause
    when it moved unlike the rest of the leaves, at 1 % family-wise over every combination of the
    dimensions of ``by``), not RiskLoc's per-leaf rule: with thousands of values most leaves hold a
    handful of events, and per-leaf deviations are noise. Each cause found is then drilled down
    (:mod:`northstar.analysis.drill`: within the slice, one GROUP BY per other dimension, and a
    value that holds the slice's change joins it). Narrow tables keep RiskLoc, which B0 and the
    generated cases measure."""
    from northstar.analysis.slice_test import SliceSearch, value_test

    dims_l = list(dims)
    signal: dict[str, pd.Series] = {}
    strength: dict[str, float] = {}
    margins: dict[str, pd.DataFrame] = {}
    for d in dims_l:  # one small GROUP BY per dimension
        marg = margins[d] = _pair(project, engine, measures, [d], period, base, memo)
        signal[d] = _signal(marg, measures, ratio).set_axis(marg[d])
        strength[d] = _strength(marg, signal[d].to_numpy(), measures[0])
    wide = len(dims_l) > MAX_LEAF_DIMS or any(len(m) > MAX_VALUES for m in margins.values())
    test = value_test({d: _test_values(margins[d], measures, ratio) for d in dims_l})
    moved = [d for d in dims_l if test.significant(d).any()]
    if wide and moved:
        leaves, kept_dims = _significant_leaves(
            project, engine, measures, dims_l, moved, margins, test, period, base, notes, memo
        )
        return (
            leaves,
            kept_dims,
            SliceSearch(test.phi, OTHER, {d: len(margins[d]) for d in kept_dims}, len(dims_l)),
        )
    kept = dims_l
    if len(dims_l) > MAX_LEAF_DIMS:
        kept = sorted(dims_l, key=lambda d: -strength[d])[:MAX_LEAF_DIMS]
        kept = [d for d in dims_l if d in kept]  # the caller's order
        dropped = [d for d in dims_l if d not in kept]
        notes.append(
            (
                f"root causes searched over the {MAX_LEAF_DIMS} dimensions whose values moved most: {', '.join(kept)} "
                f"(not {', '.join(dropped)})",
                f"根因只在变化最大的 {MAX_LEAF_DIMS} 个维度中搜索：{', '.join(kept)}（未含 {', '.join(dropped)}）",
            )
        )
    leaves = _pair(project, engine, measures, kept, period, base, memo)
    pooled = []
    for d in kept:
        top = signal[d].abs().sort_values(ascending=False)
        if len(top) > MAX_VALUES:
            keep = set(top.index[:MAX_VALUES])
            leaves[d] = leaves[d].where(leaves[d].isin(keep), OTHER)
            pooled.append(d)
    if pooled:
        cols = [c for c in leaves.columns if c not in kept]
        leaves = leaves.groupby(kept, dropna=False)[cols].sum().reset_index()
        notes.append(
            (
                f"values beyond the {MAX_VALUES} that moved most are pooled as {OTHER} in: {', '.join(pooled)}",
                f"以下维度中变化最大的 {MAX_VALUES} 个取值之外的取值合并为 {OTHER}：{', '.join(pooled)}",
            )
        )
    merged = []
    while len(kept) > 1 and _leaf_noise(leaves, measures, ratio) > NOISY_LEAVES:
        weakest = min(kept, key=lambda d: strength[d])
        kept = [d for d in kept if d != weakest]
        merged.append(weakest)
        cols = [c for c in leaves.columns if c not in (*kept, weakest)]
        leaves = leaves.groupby(kept, dropna=False)[cols].sum().reset_index()
    if merged:
        notes.append(
            (
                f"too few rows per combination to judge each one: root causes searched over {', '.join(kept)} "
                f"(leaves merged over {', '.join(merged)}, the dimensions whose values moved least clearly)",
                f"每个组合的数据太少，无法逐一判断：根因只在 {', '.join(kept)} 上搜索"
                f"（已合并 {', '.join(merged)}，即取值变化最小的维度）",
            )
        )
    if not wide:
        return leaves, tuple(kept), None
    # Wide, and no single value moved clearly: the combinations are still judged by the slice test,
    # so that noise over thousands of leaves does not come out as causes.
    return leaves, tuple(kept), SliceSearch(test.phi, OTHER, {d: len(margins[d]) for d in kept}, len(dims_l))


def _test_values(frame: pd.DataFrame, measures: list[str], ratio: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per row (a dimension value): (real, expected) for the slice test; for a ratio num/den the
    real numerator and what the real denominator would have brought at the row's expected ratio
    (the overall expected ratio where the row had no expected denominator)."""
    if not ratio:
        m = measures[0]
        return frame[f"{m}_real"].to_numpy(dtype="float64"), frame[f"{m}_expected"].to_numpy(dtype="float64")
    num, den = measures
    ne, de = (
        frame[f"{num}_expected"].to_numpy(dtype="float64"),
        frame[f"{den}_expected"].to_numpy(dtype="float64"),
    )
    overall = float(ne.sum()) / float(de.sum()) if de.sum() else 0.0
    rate = np.divide(ne, de, out=np.full_like(ne, overall), where=de != 0)
    return frame[f"{num}_real"].to_numpy(dtype="float64"), frame[f"{den}_real"].to_numpy(
        dtype="float64"
    ) * rate


def _significant_leaves(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: list[str],
    moved: list[str],
    margins: dict[str, pd.DataFrame],
    test: ValueTest,
    period: tuple[date, date],
    base: list[tuple[date, date]],
    notes: list[tuple[str, str]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The leaf table when some single values moved unlike their siblings (the slice test,
    :mod:`northstar.analysis.slice_test`): the dimensions holding such values, at most
    :data:`MAX_LEAF_DIMS` of them by their largest |z|, each with its significant values (at most
    :data:`MAX_VALUES`, by |z|) and the rest pooled as ``(other)``; then one GROUP BY over them."""
    kept = sorted(moved, key=lambda d: -test.strength(d))[:MAX_LEAF_DIMS]
    kept = [d for d in dims if d in kept]  # the caller's order
    leaves = _pair(project, engine, measures, kept, period, base, memo)
    for d in kept:
        z = np.abs(test.z[d])
        order = np.argsort(-z)[: min(MAX_VALUES, int(test.significant(d).sum()))]
        keep = set(margins[d][d].iloc[order])
        if len(keep) < len(margins[d]):
            leaves[d] = leaves[d].where(leaves[d].isin(keep), OTHER)
    cols = [c for c in leaves.columns if c not in kept]
    leaves = leaves.groupby(kept, dropna=False)[cols].sum().reset_index()
    dropped = [d for d in dims if d not in kept]
    notes.append(
        (
            f"root causes searched over the values that moved unlike the other values of their dimension, "
            f"in {', '.join(kept)}; the other values are pooled as {OTHER}"
            + (f"; no such value in {', '.join(dropped)}" if dropped else ""),
            f"根因只在与同维度其他取值变化明显不同的取值中搜索，维度：{', '.join(kept)}；"
            f"其余取值合并为 {OTHER}" + (f"；{', '.join(dropped)} 中没有这样的取值" if dropped else ""),
        )
    )
    return leaves, tuple(kept)


# A typical leaf's relative deviation (robust sigma) beyond which leaves are merged: the search's
# cutoff is three sigmas, and at 3 × 0.5 = 1.5 (of the deviation's range, ±2) only a leaf that lost
# 86 % of its value, or grew sevenfold, would stand out, so a slice whose leaves each moved less is
# only seen as pieces; merging over the dimension that moved least makes the leaves big enough.
NOISY_LEAVES = 0.5


def _leaf_noise(leaves: pd.DataFrame, measures: list[str], ratio: bool) -> float:
    """The typical relative deviation of a leaf between the periods, as a robust sigma
    (median |d| / 0.6745, d = 2(expected − real) / (|expected| + |real|), the median weighted by
    the leaves' value |expected| + |real|, so that many tiny leaves do not outvote where the value
    is): the noise the root-cause search must see through, leaf by leaf. For a ratio, of its
    numerator and denominator, whichever is noisier."""
    from northstar.analysis.rootcause import _deviation

    noise = 0.0
    for m in measures:
        real = leaves[f"{m}_real"].to_numpy(dtype="float64")
        expected = leaves[f"{m}_expected"].to_numpy(dtype="float64")
        scale = np.abs(real) + np.abs(expected)
        some = scale > 0
        if not some.any():
            continue
        d = np.abs(_deviation(real[some], expected[some]))
        order = np.argsort(d)
        weight = np.cumsum(scale[some][order])
        median = float(d[order][np.searchsorted(weight, weight[-1] / 2)])  # half the value is noisier
        noise = max(noise, median / 0.6745)
    return noise


def _pair(
    project: Project,
    engine: Engine,
    measures: list[str],
    dims: list[str],
    period: tuple[date, date],
    base: list[tuple[date, date]],
    memo: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame],
) -> pd.DataFrame:
    """``measures`` by ``dims`` in the period (``_real``) and the baseline (``_expected``), each
    pair fetched once per explanation (``memo``: the parts, the mix/rate split and the root-cause
    search group by the same dimension alone)."""
    key = (tuple(measures), tuple(dims))
    if key not in memo:
        after = _by(project, engine, measures, dims, [period])
        before = _by(project, engine, measures, dims, base)
        memo[key] = after.merge(before, on=dims, how="outer", suffixes=("_real", "_expected")).fillna(0.0)
    return memo[key].copy()


def _strength(frame: pd.DataFrame, signal: np.ndarray, measure: str) -> float:
    """How clearly a dimension's values moved: the largest Δ² / (|real| + |expected|) over its
    values (Δ: the signal; for counts, Pearson's chi-square term of the value), so a small value
    that halved counts more than a big one that moved by its usual noise."""
    scale = frame[f"{measure}_real"].abs().to_numpy() + frame[f"{measure}_expected"].abs().to_numpy()
    if not len(signal):
        return 0.0
    terms = np.divide(signal**2, scale, out=np.zeros(len(signal)), where=scale > 0)
    return float(terms.max())


def _signal(frame: pd.DataFrame, measures: list[str], ratio: bool) -> pd.Series:
    """Per row: the change it carries (for a ratio num/den, Δnum − R_expected·Δden)."""
    if not ratio:
        m = measures[0]
        return (frame[f"{m}_real"] - frame[f"{m}_expected"]).reset_index(drop=True)
    num, den = measures
    den_exp = float(frame[f"{den}_expected"].sum())
    r_exp = float(frame[f"{num}_expected"].sum()) / den_exp if den_exp else 0.0
    d_num = frame[f"{num}_real"] - frame[f"{num}_expected"]
    d_den = frame[f"{den}_real"] - frame[f"{den}_expected"]
    return (d_num - r_exp * d_den).reset_index(drop=True)
