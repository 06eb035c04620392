"""Root causes of a KPI change over several dimensions: which dimension-value combinations explain it.

The input is a **leaf table**: one row per combination of the dimension values (e.g. channel ×
region × device), already aggregated by the engine, with the KPI in the current period (``real``)
and in the baseline or forecast (``expected``). The caller does the GROUP BY; this module never
sees event rows. A missing or empty dimension value (None, NaN, ``""``) is a value of its own,
named ``(none)``.

**What is reported.** A *cause* is a combination of 1 to ``max_layer`` (attribute, value) pairs,
e.g. ``channel=ads & region=EU``; it covers the leaves that carry those values. For an additive KPI:

- ``real`` / ``expected``: the sums of the KPI over the leaves under the combination;
- ``change = real − expected``;
- ``share = change / (Σ real − Σ expected)``, the share of the total change it explains (it can
  exceed 1 or be negative when other slices moved the other way);
- ``RootCauses.explained`` = the change over the *union* of the causes' leaves / the total change
  (the sum of the shares when the causes do not overlap, which is what the search returns, as each
  cause is searched among the leaves the earlier ones left).

Causes are ranked by ``|share|`` (impact), never by how unusual a slice looks.

For a **derived KPI** ``num / den`` (``localize_ratio``; e.g. conversion = purchasers / visitors),
``real`` and ``expected`` of a cause are the ratio within the combination (Σnum / Σden over its
leaves, 0 when Σden is 0) and ``change`` their difference. Its *contribution* to the change of the
overall ratio is ``c(S) = (Δnum(S) − R_exp · Δden(S)) / Den_real``, where Δ is real − expected over
the leaves S, ``R_exp = Num_exp / Den_exp`` is the expected overall ratio and ``Den_real`` the real
overall denominator. ``c`` is additive over disjoint slices and sums over all leaves to exactly
``Num_real/Den_real − Num_exp/Den_exp``, so ``share = c(S) / total change`` keeps the meaning
above: a slice whose ratio fell explains the fall in proportion to its weight, and a slice that only
grew at the expected rate explains nothing. For the search, each leaf compares its real numerator
with what its real denominator would have brought at its expected ratio (``den_real ·
num_exp/den_exp``, the overall expected ratio where ``den_exp`` is 0), so the consistency check
of step 4 adds counts, not ratios.

**Method: RiskLoc** (Kalander, "RiskLoc: Localization of Multi-dimensional Root Causes by Weighted
Risk", 2022), which scored best on the Squeeze B0 benchmark among RiskLoc, Squeeze, AutoRoot,
HotSpot and Adtributor, with three changes marked *(ours)* below. Per leaf:

1. *Deviation* ``d = 2(expected − real) / (|expected| + |real|)`` (0 when both are 0), in [−2, 2],
   and the *explanatory power* ``ep = (real − expected) / total change`` (for a ratio:
   ``c(leaf) / total change``); an element's ep is the sum over its leaves.
2. *Partition* *(ours)*. The noise of the forecast is read on each side of 0: ``σ₋`` = median of
   ``|d|`` over the leaves with ``d < 0``, divided by 0.6745 (a robust standard deviation: the
   median of ``|x|`` for a normal x is 0.6745σ), and ``σ₊`` likewise over ``d > 0``. Anomalies on
   one side are judged against the noise seen on the other: the noise bound of a side is the
   smaller of ``NOISE_SIGMAS·σ`` and RiskLoc's bound, its ``N_OUTLIERS + 1``-th largest distinct
   ``|d|``; mirrored, these give the cutoffs ``t₊`` (anomalies above) and ``t₋`` (below). The side
   whose leaves beyond its cutoff carry more change (Σ|ep|) is the anomalous one (ties: the sign of
   the total change); its leaves beyond the cutoff are *abnormal*. If the abnormal leaves' ep sum
   is negative all ep are negated, so a cause always has positive ep. RiskLoc uses its bound alone
   and takes the side whose bound is farther out: that fails when the anomalous leaves share one
   deviation (a slice that fell to 0 has ``d = 2`` everywhere and counts as one distinct value),
   and the 6th extreme of tens of thousands of noisy leaves is far out in the tail, which hides
   mild anomalies. The three-sigma bound alone fails on sparse counts (a leaf with 0 or 1 events
   has ``|d|`` of 2 or near it so often that 3σ exceeds 2, the largest possible ``|d|``); the
   smaller of the two works in both regimes.
3. *Weight* (ripple effect): abnormal leaves weigh ``min(|d|, 1)``, normal ones ``min(|t − d|,
   1)``, leaves with real = expected = 0 weigh 0: a clearly abnormal leaf counts fully, a normal leaf
   near the cutoff hardly counts against an element.
4. *Risk* of an element (its leaves among those not yet explained) = ``high − low``, with
   ``high = W_abnormal / (W_abnormal + W_normal + 1)`` (mostly abnormal leaves) and
   ``low = Σ|d − d_E| / Σ|d|`` over its leaves with real or expected ≠ 0, where ``d_E`` is the
   deviation of the element's own totals *(ours)*. Under a root cause every leaf moves by about the
   same proportion (the ripple effect), so ``low`` is near 0; a parent that mixes moved and unmoved
   leaves gets ``low`` near 1. RiskLoc compares each leaf with the element's expected values scaled
   to its real total, over the leaves where both are non-zero; for a slice that fell to almost 0
   that leaves only its few tiny non-zero leaves, whose relative deviations are noise, and the
   cause is rejected. ``d − d_E`` is the same comparison to first order, and bounded.
5. *Search*, layer by layer (1, 2, …, ``max_layer`` attributes): in every cuboid (set of
   attributes) the elements with at least one abnormal leaf, ep above ``PEP_THRESHOLD`` × (ep sum
   of the abnormal leaves at the start) and ``risk ≥ RISK_THRESHOLD`` are candidates; the one with
   the highest ep in the lowest layer that has any is the next cause. Its leaves are removed, and
   the search repeats until the abnormal leaves left carry less than that ep threshold, nothing
   qualifies, or ``max_causes`` are found.
6. *Element pruning*: an attribute value whose leaves carry less positive ep than the threshold,
   or no abnormal leaf, cannot hold a cause; its leaves are dropped from every cuboid with that
   attribute (RiskLoc prunes at layer 1; values once pruned stay pruned). In each cuboid only the
   elements holding an abnormal leaf are counted.

**Parameters, fixed for every input (none is tuned per case or per benchmark setting):**

- ``N_OUTLIERS = 5``: RiskLoc's value; the few most extreme distinct deviations do not set the
  bound.
- ``NOISE_SIGMAS = 3``: the usual three-sigma rule; a normal leaf lands beyond it about once in
  700 under Gaussian noise, and such stray leaves weigh little (step 3). It was not searched for:
  2.5 and 3.5 are both worse (one B0 setting falls to 0.75 at 2.5; the generated cases to 0.939
  at 3.5), which the sensitivity table in ``benchmarks/README.md`` shows.
- ``RISK_THRESHOLD = 0.5``: RiskLoc's value; ``high`` > 0.5 needs more abnormal than normal weight
  under the element, and a consistent move keeps ``low`` small.
- ``PEP_THRESHOLD = 0.001`` *(ours; RiskLoc uses 0.02)*: a floor, not a filter of noise — the risk
  score is what separates causes from noise. At 2 % RiskLoc drops real causes that explain 0.4–3 %
  of a change that has several (4 of 88 on B0); a floor of 0.1 % only keeps rounding leftovers from
  becoming causes. B0 scores the same from 0.05 % to 0.2 %, and the generated cases 0.956–0.965
  (the sensitivity table in ``benchmarks/README.md``). Small causes rank last, by ``|share|``.
- ``MERGE_RATIO = 0.5``, ``MERGE_COVER = 0.5`` *(ours)*: after the search, causes that are pieces of
  one slice are replaced by the slice (:func:`_merge_pieces`): when the rest of their common parent
  moved at least half as much as they did, or they hold at least half of the parent and the rest
  moved the same way. On sparse data (a few orders per leaf) a slice's leaves pass the cutoff only
  in part, and the pieces came out instead of the slice. B0 and the generated cases score exactly
  the same with and without this step (it never fires there); the demo's traffic spike is found
  on its first day with it.
- ``max_layer = 3``: the issue asks for combinations of 1 to 3 attributes; ``max_causes = 10``
  caps the list a person reads.

**Wide data.** ``explain`` does not build a leaf table over tens of dimensions of thousands of
values: for metrics that add up row by row it runs the interaction search of
:mod:`northstar.analysis.wide_search` on margins, pair and triple tables the engine aggregates;
for other metrics, ``localize(..., slices=SliceSearch(...))`` replaces steps 2–6 and the merge of
pieces by the slice search of :mod:`northstar.analysis.slice_test` (a combination is a cause when
its aggregate log ratio differs from the rest's beyond Poisson noise and a measured wobble, at 1 %
family-wise; the largest ``|z|`` first; see :func:`northstar.analysis.explain_causes._leaves`).
The reported figures (real, expected, change, share, explained) are defined as above either way,
and ``risk`` then holds the cause's ``|z|`` (for a cause ``explain`` drilled down, that of the
slice it was drilled from).

**Cost.** With n leaves and m attributes, each step of the search makes one pass per cuboid over
the leaves it keeps after pruning (integer codes combined per cuboid, ``np.bincount`` over the
elements that hold an abnormal leaf): ``O(Σ_cuboids kept leaves)`` ≤ ``O(n · (m + C(m,2) +
C(m,3)))`` per cause found, plus one last full pass that finds nothing. A search stops at the
first layer with a cause, and a cuboid with an attribute whose values are all pruned is skipped.
Measured on this 2-core machine: a B0 case (21,600 leaves, 4 attributes, 14 cuboids) takes about
0.02 s; 30 attributes of up to 2,000 values over 40,000 leaves (4,525 cuboids) about 3 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from northstar.errors import QueryError
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.analysis.slice_test import SliceSearch

NONE_LABEL = "(none)"
NOISE_SIGMAS = 3.0
N_OUTLIERS = 5
MAD_TO_SIGMA = 0.6745  # the median of |x| for a standard normal x
RISK_THRESHOLD = 0.5
PEP_THRESHOLD = 0.001
_DIRECT_GROUPS = 1 << 22  # cuboids up to this many elements use a lookup table, larger ones np.isin


@dataclass(frozen=True)
class Cause:
    """One combination of dimension values and what it explains (see the module docstring)."""

    combination: tuple[tuple[str, str], ...]
    real: float
    expected: float
    change: float
    share: float
    risk: float
    layer: int

    def label(self) -> str:
        return " & ".join(f"{attr}={value}" for attr, value in self.combination)


@dataclass(frozen=True)
class RootCauses:
    """The causes of a KPI change, ranked by ``|share|``, and the totals they are shares of."""

    causes: tuple[Cause, ...]
    total_real: float
    total_expected: float
    total_change: float
    explained: float
    method: str
    method_zh: str = ""  # the method in Chinese (empty: as ``method``)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "cause": c.label(),
                "layer": c.layer,
                "real": c.real,
                "expected": c.expected,
                "change": c.change,
                "share": c.share,
                "risk": c.risk,
            }
            for c in self.causes
        ]
        columns = ["cause", "layer", "real", "expected", "change", "share", "risk"]
        return pd.DataFrame(rows, columns=columns)


def _method(max_layer: int) -> tuple[str, str]:
    return (
        f"RiskLoc (Kalander 2022); noise cutoff min({NOISE_SIGMAS:g} robust sigmas, {N_OUTLIERS + 1}th extreme), "
        f"risk >= {RISK_THRESHOLD}, explanatory power >= {PEP_THRESHOLD:.1%}, layers 1-{max_layer}",
        f"RiskLoc（Kalander 2022）；噪声阈值取 {NOISE_SIGMAS:g} 个稳健标准差与第 {N_OUTLIERS + 1} 个极值中的较小者，"
        f"风险 ≥ {RISK_THRESHOLD}，解释力 ≥ {PEP_THRESHOLD:.1%}，第 1–{max_layer} 层",
    )


def _check_columns(leaves: pd.DataFrame, dims: Sequence[str], measures: Sequence[str]) -> None:
    if len(dims) == 0:
        raise QueryError("root causes need at least one dimension", "根因分析至少需要一个维度")
    if len(set(dims)) != len(dims):
        raise QueryError(f"a dimension is listed twice: {list(dims)}", f"维度重复：{list(dims)}")
    columns = [str(c) for c in leaves.columns]
    for name in [*dims, *measures]:
        if name not in columns:
            raise QueryError(
                f"unknown column {name!r} in the leaf table" + did_you_mean(name, columns),
                f"叶子表中没有列 {name!r}" + did_you_mean(name, columns, "zh"),
            )
    for name in measures:
        if not pd.api.types.is_numeric_dtype(leaves[name]):
            raise QueryError(f"column {name!r} must be numeric", f"列 {name!r} 必须是数值")


def _encode(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes 0..k-1 and their labels; missing and empty values become ``(none)``."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    remap = np.arange(len(labels) + 1, dtype=np.int64)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, label in enumerate([*labels, NONE_LABEL]):
        name = NONE_LABEL if label == "" else label
        if name not in seen:
            seen[name] = len(names)
            names.append(name)
        remap[i] = seen[name]
    codes = np.where(codes < 0, len(labels), codes)
    return remap[codes], names


def _values(leaves: pd.DataFrame, name: str) -> np.ndarray:
    return np.nan_to_num(leaves[name].to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0)


def _deviation(real: np.ndarray, expected: np.ndarray) -> np.ndarray:
    scale = np.abs(expected) + np.abs(real)
    out = np.zeros_like(real)
    np.divide(2.0 * (expected - real), scale, out=out, where=scale != 0)
    return out


def _noise_bound(side: np.ndarray) -> float:
    return NOISE_SIGMAS * float(np.median(side)) / MAD_TO_SIGMA if len(side) else 0.0


def _extreme_bound(side: np.ndarray) -> float:
    distinct = np.unique(side)
    return float(distinct[max(len(distinct) - 1 - N_OUTLIERS, 0)]) if len(distinct) else 0.0


def _cutoff(dev: np.ndarray, mass: np.ndarray, falling: bool) -> tuple[float, bool]:
    """The deviation cutoff and whether abnormal leaves lie above it (step 2 of the docstring)."""
    below_zero, above_zero = -dev[dev < 0], dev[dev > 0]
    # The noise seen on each side, mirrored onto the other: NOISE_SIGMAS robust standard deviations,
    # or RiskLoc's bound (the N_OUTLIERS+1-th most extreme distinct deviation) when that is nearer 0.
    above = min(_noise_bound(below_zero), _extreme_bound(below_zero))
    below = -min(_noise_bound(above_zero), _extreme_bound(above_zero))
    mass_above, mass_below = mass[dev > above].sum(), mass[dev < below].sum()
    if mass_above > mass_below or (mass_above == mass_below and falling):
        return above, True
    return below, False


@dataclass
class _Leaves:
    codes: list[np.ndarray]
    names: list[list[str]]
    ep: np.ndarray  # explanatory power, oriented so that the abnormal part sums positive
    dev: np.ndarray
    abnormal: np.ndarray  # bool
    weight: np.ndarray
    real: np.ndarray  # the values the consistency (low risk) term compares
    expected: np.ndarray


def _prepare(
    codes: list[np.ndarray], names: list[list[str]], real: np.ndarray, expected: np.ndarray, ep: np.ndarray
) -> _Leaves:
    dev = _deviation(real, expected)
    t, right = _cutoff(dev, np.abs(ep), falling=bool(real.sum() < expected.sum()))
    abnormal = (dev > t) if right else (dev < t)
    weight = np.where(abnormal, np.abs(dev), np.abs(t - dev))
    weight = np.minimum(weight, 1.0)
    weight[(real == 0) & (expected == 0)] = 0.0
    if ep[abnormal].sum() < 0:
        ep = -ep
    return _Leaves(codes, names, ep, dev, abnormal, weight, real, expected)


def _abnormal_groups(
    codes: list[np.ndarray], sizes: list[int], idx: np.ndarray, abnormal: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cuboid's elements that hold an abnormal leaf among ``idx``: (their combined codes,
    the leaves of ``idx`` under them, each such leaf's element number 0..k-1)."""
    combined = np.zeros(len(idx), dtype=np.int64)
    for c, s in zip(codes, sizes, strict=True):
        combined = combined * s + c[idx]
    elements = np.unique(combined[abnormal[idx]])
    total = 1
    for s in sizes:
        total *= s
    if total <= _DIRECT_GROUPS:
        number = np.full(total, -1, dtype=np.int64)
        number[elements] = np.arange(len(elements))
        g = number[combined]
        inside = g >= 0
        return elements, idx[inside], g[inside]
    inside = np.isin(combined, elements)
    return elements, idx[inside], np.searchsorted(elements, combined[inside])


def _best_in_cuboid(
    lv: _Leaves, cuboid: tuple[int, ...], idx: np.ndarray, floor: float
) -> tuple[float, float, tuple[int, ...]] | None:
    """The highest-ep element of a cuboid with risk >= threshold and ep > floor: (ep, risk, codes).

    Only elements with an abnormal leaf can qualify, so only their leaves are counted."""
    sizes = [len(lv.names[a]) for a in cuboid]
    elements, idx, g = _abnormal_groups([lv.codes[a] for a in cuboid], sizes, idx, lv.abnormal)
    k = len(elements)
    if k == 0:
        return None
    ep = np.bincount(g, lv.ep[idx], k)
    cand = ep > floor
    if not cand.any():
        return None
    w, abn = lv.weight[idx], lv.abnormal[idx]
    w_abn = np.bincount(g, w * abn, k)
    w_norm = np.bincount(g, w * ~abn, k)
    high = w_abn / (w_abn + w_norm + 1.0)
    real, expected, dev = lv.real[idx], lv.expected[idx], lv.dev[idx]
    nz = (real != 0) | (expected != 0)
    dev_elem = _deviation(np.bincount(g, real, k), np.bincount(g, expected, k))
    spread = np.bincount(g, np.abs(dev - dev_elem[g]) * nz, k)
    size = np.bincount(g, np.abs(dev) * nz, k)
    low = np.divide(spread, size, out=np.zeros(k), where=size != 0)
    risk = high - low
    ok = cand & (risk >= RISK_THRESHOLD)
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmax(ep[ok])])
    code = int(elements[best])
    parts = []
    for s in reversed(sizes):
        parts.append(code % s)
        code //= s
    return float(ep[best]), float(risk[best]), tuple(reversed(parts))


def _search(
    lv: _Leaves, max_layer: int, max_causes: int
) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """RiskLoc's iterative search (steps 5-6): [(attributes, value codes, risk)] in discovery order."""
    n_attr = len(lv.codes)
    alive = np.ones(len(lv.ep), dtype=bool)
    threshold = lv.ep[lv.abnormal].sum() * PEP_THRESHOLD
    ep_pos = np.maximum(lv.ep, 0.0)
    kept = [np.ones(len(names), dtype=bool) for names in lv.names]
    found: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
    while len(found) < max_causes:
        if threshold <= 0 or lv.ep[alive & lv.abnormal].sum() < threshold:
            break
        # Element pruning on the leaves still unexplained (values once pruned stay pruned).
        for a in range(n_attr):
            k = len(lv.names[a])
            live = alive & kept[a][lv.codes[a]]
            pos = np.bincount(lv.codes[a][live], ep_pos[live], k)
            abn = np.bincount(lv.codes[a][live & lv.abnormal], minlength=k)
            kept[a] &= (pos >= threshold) & (abn > 0)
        ok = [alive & kept[a][lv.codes[a]] for a in range(n_attr)]
        live_idx = [np.flatnonzero(m) for m in ok]
        choice = None
        for layer in range(1, min(max_layer, n_attr) + 1):
            floor = threshold
            for cuboid in combinations(range(n_attr), layer):
                sizes = [len(live_idx[a]) for a in cuboid]
                if min(sizes) == 0:
                    continue
                first = cuboid[int(np.argmin(sizes))]
                idx = live_idx[first]
                for a in cuboid:
                    if a != first:
                        idx = idx[ok[a][idx]]
                best = _best_in_cuboid(lv, cuboid, idx, floor)
                if best is not None:
                    floor = best[0]
                    choice = (cuboid, best[2], best[1])
            if choice is not None:
                break
        if choice is None:
            break
        found.append(choice)
        cuboid, values, _ = choice
        under = np.ones(len(alive), dtype=bool)
        for a, v in zip(cuboid, values, strict=True):
            under &= lv.codes[a] == v
        alive &= ~under
    return found


def _masks(
    codes: list[np.ndarray], found: list[tuple[tuple[int, ...], tuple[int, ...], float]]
) -> list[np.ndarray]:
    masks = []
    for cuboid, values, _ in found:
        m = np.ones(len(codes[0]), dtype=bool)
        for a, v in zip(cuboid, values, strict=True):
            m &= codes[a] == v
        masks.append(m)
    return masks


MERGE_RATIO = 0.5  # the rest of a parent moved at least half as much as its found children
MERGE_COVER = 0.5  # or its found children hold at least half of it and the rest moved the same way


def _aggregate_deviation(real: np.ndarray, expected: np.ndarray, mask: np.ndarray) -> float | None:
    r, e = float(real[mask].sum()), float(expected[mask].sum())
    scale = abs(r) + abs(e)
    return None if scale == 0 else 2.0 * (e - r) / scale


def _merge_pieces(
    found: list[tuple[tuple[int, ...], tuple[int, ...], float]],
    codes: list[np.ndarray],
    real: np.ndarray,
    expected: np.ndarray,
) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """Pieces of one slice become the slice *(ours)*. When two or more causes share a parent
    combination (``channel=affiliate & country=US``, ``channel=affiliate & country=CA`` …), the
    rest of the parent (its leaves under none of them) is compared as a whole with the outside
    (the leaves not under the parent), by the deviation of the aggregates. The parent replaces
    the children when the rest moved at least :data:`MERGE_RATIO` as much as the children did,
    or when the children hold at least :data:`MERGE_COVER` of the parent's expected value and the
    rest moved the same way: the whole slice moved, its leaves were just too small to pass the
    cutoff one by one. Two true causes under one parent leave its rest unmoved, and stay apart."""
    changed = True
    while changed and len(found) > 1:
        changed = False
        masks = _masks(codes, found)
        parents: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for i, (cuboid, values, _) in enumerate(found):
            pairs = tuple(zip(cuboid, values, strict=True))
            for k in range(1, len(pairs)):
                for sub in combinations(pairs, k):
                    parents.setdefault(sub, []).append(i)
        for sub, idx in sorted(parents.items(), key=lambda kv: (-len(kv[1]), len(kv[0]))):
            if len(idx) < 2:
                continue
            under = np.ones(len(real), dtype=bool)
            for a, v in sub:
                under &= codes[a] == v
            kids = np.logical_or.reduce([masks[i] for i in idx])
            d_kids = _aggregate_deviation(real, expected, kids)
            d_rest = _aggregate_deviation(real, expected, under & ~kids)
            d_out = _aggregate_deviation(real, expected, ~under)
            if d_kids is None or d_rest is None or d_out is None or d_kids == d_out:
                continue
            moved = (d_rest - d_out) / (d_kids - d_out)
            mass = float(np.abs(expected[under]).sum())
            cover = float(np.abs(expected[kids]).sum()) / mass if mass else 0.0
            if moved >= MERGE_RATIO or (cover >= MERGE_COVER and moved > 0):
                risk = max(found[i][2] for i in idx)
                parent = (tuple(a for a, _ in sub), tuple(v for _, v in sub), risk)
                found = [f for j, f in enumerate(found) if j not in idx] + [parent]
                changed = True
                break
    return found


def _find(
    codes: list[np.ndarray],
    names: list[list[str]],
    real: np.ndarray,
    expected: np.ndarray,
    ep: np.ndarray,
    max_layer: int,
    max_causes: int,
    dims: Sequence[str],
    slices: SliceSearch | None,
) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """RiskLoc and the merge of pieces, or, with ``slices``, the slice search."""
    if slices is None:
        lv = _prepare(codes, names, real, expected, ep)
        return _merge_pieces(_search(lv, max_layer, max_causes), codes, real, expected)
    from northstar.analysis.slice_test import slice_search

    skip = [n.index(slices.pooled) if slices.pooled in n else None for n in names]
    sizes = [max(slices.cardinalities.get(str(d), len(n)), len(n)) for d, n in zip(dims, names, strict=True)]
    return slice_search(
        codes, skip, sizes, slices.dimensions, real, expected, slices.phi, max_layer, max_causes
    )


def _slice_method(max_layer: int, phi: float) -> tuple[str, str]:
    from northstar.analysis.slice_test import FAMILY_ALPHA

    return (
        f"slice test: each combination's log ratio against the rest's, Poisson noise + {phi:.1%} wobble, "
        f"largest |z| first while p < {FAMILY_ALPHA:g} (Bonferroni), layers 1-{max_layer}",
        f"切片检验：每个组合的对数比与其余部分相比，泊松噪声加 {phi:.1%} 的波动，"
        f"按 |z| 从大到小，直到 p ≥ {FAMILY_ALPHA:g}（Bonferroni 校正），第 1–{max_layer} 层",
    )


def _combination(
    dims: Sequence[str], names: list[list[str]], cuboid: tuple[int, ...], values: tuple[int, ...]
) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(dims[a]), names[a][v]) for a, v in zip(cuboid, values, strict=True)))


def localize(
    leaves: pd.DataFrame,
    dims: Sequence[str],
    real: str = "real",
    expected: str = "expected",
    *,
    max_layer: int = 3,
    max_causes: int = 10,
    slices: SliceSearch | None = None,
) -> RootCauses:
    """Root causes of the change of an additive KPI (the sum of ``real`` vs of ``expected``).
    With ``slices`` (how the leaf table was cut), the slice search of
    :mod:`northstar.analysis.slice_test` replaces RiskLoc."""
    dims = list(dims)
    _check_columns(leaves, dims, [real, expected])
    v, f = _values(leaves, real), _values(leaves, expected)
    total_real, total_expected = float(v.sum()), float(f.sum())
    total_change = total_real - total_expected
    method, method_zh = _method(max_layer) if slices is None else _slice_method(max_layer, slices.phi)
    if len(leaves) == 0 or total_change == 0:
        return RootCauses((), total_real, total_expected, total_change, 0.0, method, method_zh)
    encoded = [_encode(leaves[d]) for d in dims]
    codes, names = [c for c, _ in encoded], [n for _, n in encoded]
    found = _find(codes, names, v, f, (v - f) / total_change, max_layer, max_causes, dims, slices)
    masks = _masks(codes, found)
    causes = []
    for (cuboid, values, risk), m in zip(found, masks, strict=True):
        r, e = float(v[m].sum()), float(f[m].sum())
        causes.append(
            Cause(
                _combination(dims, names, cuboid, values),
                r,
                e,
                r - e,
                (r - e) / total_change,
                risk,
                len(cuboid),
            )
        )
    union = np.logical_or.reduce(masks) if masks else np.zeros(len(v), dtype=bool)
    explained = float((v[union] - f[union]).sum()) / total_change
    causes.sort(key=lambda c: -abs(c.share))
    return RootCauses(tuple(causes), total_real, total_expected, total_change, explained, method, method_zh)


def _ratio(num: float, den: float) -> float:
    return num / den if den != 0 else 0.0


def localize_ratio(
    leaves: pd.DataFrame,
    dims: Sequence[str],
    num_real: str,
    num_expected: str,
    den_real: str,
    den_expected: str,
    *,
    max_layer: int = 3,
    max_causes: int = 10,
    slices: SliceSearch | None = None,
) -> RootCauses:
    """Root causes of the change of a derived KPI Σnum / Σden (contribution as in the docstring;
    ``slices`` as for :func:`localize`)."""
    dims = list(dims)
    _check_columns(leaves, dims, [num_real, num_expected, den_real, den_expected])
    nr, ne = _values(leaves, num_real), _values(leaves, num_expected)
    dr, de = _values(leaves, den_real), _values(leaves, den_expected)
    total_real = _ratio(float(nr.sum()), float(dr.sum()))
    total_expected = _ratio(float(ne.sum()), float(de.sum()))
    total_change = total_real - total_expected
    method, method_zh = _method(max_layer) if slices is None else _slice_method(max_layer, slices.phi)
    method, method_zh = method + "; derived measure num/den", method_zh + "；派生指标（分子/分母）"
    den_total = float(dr.sum())
    if len(leaves) == 0 or total_change == 0 or den_total == 0:
        return RootCauses((), total_real, total_expected, total_change, 0.0, method, method_zh)
    contribution = ((nr - ne) - total_expected * (dr - de)) / den_total
    scale = float(contribution.sum())
    if scale == 0:
        return RootCauses((), total_real, total_expected, total_change, 0.0, method, method_zh)
    # Each leaf's numerator against what its real denominator would have brought at its expected
    # ratio (the overall expected ratio where the leaf had no expected denominator).
    leaf_rate = np.divide(ne, de, out=np.full_like(ne, total_expected), where=de != 0)
    leaf_expected = dr * leaf_rate
    encoded = [_encode(leaves[d]) for d in dims]
    codes, names = [c for c, _ in encoded], [n for _, n in encoded]
    found = _find(codes, names, nr, leaf_expected, contribution / scale, max_layer, max_causes, dims, slices)
    masks = _masks(codes, found)
    causes = []
    for (cuboid, values, risk), m in zip(found, masks, strict=True):
        r = _ratio(float(nr[m].sum()), float(dr[m].sum()))
        e = _ratio(float(ne[m].sum()), float(de[m].sum()))
        share = float(contribution[m].sum()) / total_change
        causes.append(Cause(_combination(dims, names, cuboid, values), r, e, r - e, share, risk, len(cuboid)))
    union = np.logical_or.reduce(masks) if masks else np.zeros(len(nr), dtype=bool)
    explained = float(contribution[union].sum()) / total_change
    causes.sort(key=lambda c: -abs(c.share))
    return RootCauses(tuple(causes), total_real, total_expected, total_change, explained, method, method_zh)
