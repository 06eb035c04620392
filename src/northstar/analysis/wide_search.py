"""Root causes on wide data from tables the engine aggregated: margins, pairs, a few triples.

With tens of dimensions of thousands of values, a leaf table (one row per combination of every
dimension's values) is as long as the event table, and a cause's values often move less on their
own than their day-to-day wobble: a cause on ``d03=d03_2 & d07=d07_1`` takes a few per cent of
each value. What separates a cause from that wobble is an *interaction*: the combination moved
unlike the product of its values' own moves. So this search reads, all aggregated by the engine
(:mod:`northstar.analysis.wide_tables`):

1. **Margins**: every value of every dimension, period and baseline.
2. **Pair tables**: every pair of dimensions over each dimension's :data:`TOP_VALUES` largest
   values (by baseline) and the values the value test found (below), the rest pooled as
   "other".
3. **Triples**, only where the pairs point: within each pair accepted in a first pass, one GROUP
   BY per other dimension (a *drill*), and the :data:`TRIPLE_TABLES` triples of dimensions whose
   pair cells add up to the strongest evidence ``(z_ab + z_ac + z_bc)/√3``.

**Tests.** Every slice has ``r`` (period) and ``e`` (baseline; for a ratio num/den the real
numerator and what the real denominator would have brought at the slice's expected ratio, as in
:mod:`northstar.analysis.slice_test`), and ``l = ln((r + ½)/(e + ½))``.

- A *value* is compared with its dimension's typical ``l`` (the value-weighted median), with
  Poisson noise and the wobble φ₁ that :func:`northstar.analysis.slice_test.value_test` reads from
  the data: ``z = (l − typical) / √(1/(r+½) + 1/(e+½) + φ₁²)``.
- A *combination* of k values is compared with the product of its values' own moves (a
  log-linear model with main effects only): ``z = (l − Σ lᵥ + (k − 1)·l₀) / √(1/(r+½) + 1/(e+½) +
  φ₂²)``, ``l₀`` the total's log ratio. A wobble of each value cancels out (it moves every
  combination holding the value alike), so φ₂ is read from the pair cells the same way as φ₁ (the
  smallest φ₂ at which the weighted median of ``|z|`` is 0.6745) and is near 0 when values move
  independently.
- Bonferroni at :data:`FAMILY_ALPHA` = 1 % per layer, over the slices that layer could test:
  every value of every dimension (layer 1), every pair (2) and every triple (3) of coded values.

**Search** (greedy, like RiskLoc and Squeeze remove what a cause explains): among the slices that
passed their layer's bound, the one with the smallest p-value × tests becomes a cause; every other
candidate is then re-tested on its rows *outside* the causes found so far (inclusion–exclusion
over the causes it overlaps), and with its values' own moves and the total's also taken outside them, so a
piece of a cause (its rows are the cause's), a parent mixing it with unmoved rows, and a sibling
whose values' moves the cause dragged down all fall below their bound. The search stops when
nothing passes or at ``max_causes``. It runs twice: on values and pairs (whose accepted pairs are
drilled), then on everything fetched.

Counts of combinations no table holds (e.g. a pair with a tail value, or a four-way overlap in the
exclusion) are estimated from the tables that do, assuming conditional independence: an overlap
of a slice P and a cause Q as ``n(P)·n(Q)/n(P ∩ Q)`` (so the cause's own move stays in it), other
triples by Kirkwood's ``N·n(ab)·n(ac)·n(bc) / (n(a)·n(b)·n(c))``; only exclusions use them, never a
reported figure.

**Parameters** (fixed; none was set per case): :data:`FAMILY_ALPHA` = 1 % as in
:mod:`northstar.analysis.slice_test`; :data:`TOP_VALUES` = 15 values per dimension in the pair
tables (4-bit codes, 16 × 16 cells per pair of dimensions): a cost bound, not a fit — the values
the value test found come first, and beyond the 15 largest a value rarely holds enough rows for a
combination with other values to stand out from Poisson noise; :data:`TRIPLE_TABLES` = 10
triples of dimensions fetched on pair evidence (each one more engine GROUP BY: the time they cost).
The time is in reading the tables: for 20 dimensions over 1M rows on a shared 2-core machine
about 0.7 s on DuckDB (:mod:`northstar.analysis.wide_codes`: two queries, then compiled passes)
and 2–3 s through engine GROUP BYs (:mod:`northstar.analysis.wide_tables`, other engines); the
search itself takes under 0.1 s (``benchmarks/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from math import sqrt

import numpy as np

from northstar.analysis.slice_test import _log_p, _weighted_median, _z_bound

FAMILY_ALPHA = 0.01
TOP_VALUES = 15
TRIPLE_TABLES = 10
MEDIAN_ABS_Z = 0.6745
_PHI_MAX = 4.0

Key = tuple[tuple[int, int], ...]  # ((dimension, label index), ...) sorted by dimension


@dataclass
class Tables:
    """What the engine aggregated. Each array's first axis holds the measures as ``[m0 real, m0
    expected, m1 real, m1 expected, …]`` (one measure, or a ratio's numerator and denominator).

    ``margins[d]``: (2M, k_d) per value of ``labels[d]``; ``top[d]``: the label indices the pair
    tables code as 0..T_d−1 (T_d is "other"); ``pairs[(i, j)]``: (2M, T_i+1, T_j+1);
    ``triples[(i, j, k)]``: (2M, T_i+1, T_j+1, T_k+1); ``cells``: exact vectors of combinations a
    drill fetched."""

    dims: list[str]
    labels: list[list[str]]
    margins: list[np.ndarray]
    top: list[list[int]]
    pairs: dict[tuple[int, int], np.ndarray]
    ratio: bool
    triples: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict)
    cells: dict[Key, np.ndarray] = field(default_factory=dict)


# (tables, slices to drill, dimension triples) -> ({slice + one more value: vector}, {triple: array})
Fetch = Callable[
    [Tables, list[Key], list[tuple[int, int, int]]],
    tuple[dict[Key, np.ndarray], dict[tuple[int, int, int], np.ndarray]],
]


@dataclass(frozen=True)
class Found:
    """A cause: its combination, its exact vector (as in :class:`Tables`) and its ``|z|``."""

    key: Key
    vector: np.ndarray
    z: float


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b != 0)


class _Counts:
    """Vectors of combinations: exact from the tables, else estimated (see the module docstring)."""

    def __init__(self, t: Tables) -> None:
        self.t = t
        self.total = t.margins[0].sum(axis=1)
        self.code = [{v: c for c, v in enumerate(top)} for top in t.top]
        self.memo: dict[Key, np.ndarray] = {}

    def exact(self, key: Key) -> np.ndarray | None:
        t = self.t
        if len(key) == 0:
            return self.total
        if len(key) == 1:
            ((d, v),) = key
            return t.margins[d][:, v]
        if key in t.cells:
            return t.cells[key]
        codes = [self.code[d].get(v) for d, v in key]
        if any(c is None for c in codes):
            return None
        if len(key) == 2:
            (i, _), (j, _) = key
            return t.pairs[(i, j)][:, codes[0], codes[1]]
        if len(key) == 3:
            dims = (key[0][0], key[1][0], key[2][0])
            if dims in t.triples:
                return t.triples[dims][:, codes[0], codes[1], codes[2]]
        return None

    def joint(self, parts: tuple[Key, ...], union: Key) -> np.ndarray:
        """The vector of the rows under every one of ``parts`` (whose union is ``union``): exact
        when a table holds it, else built part by part, each new part's rows taken as
        independent of the earlier parts given what they share:
        n(P ∪ Q) ≈ n(P)·n(Q)/n(P ∩ Q). A cause's own move thus stays in the estimate."""
        got = self.exact(union)
        if got is not None:
            return got
        cur_key, cur = parts[0], self.vec(parts[0])
        for q in parts[1:]:
            shared = tuple(x for x in cur_key if x in q)
            cur = _div(cur * self.vec(q), self.vec(shared))
            cur_key = _union(cur_key, q) or cur_key
        return cur

    def vec(self, key: Key) -> np.ndarray:
        if key in self.memo:
            return self.memo[key]
        got = self.exact(key)
        if got is None:
            if len(key) == 2:
                got = _div(self.vec(key[:1]) * self.vec(key[1:]), self.total)
            elif len(key) == 3:
                a, b, c = ((k,) for k in key)
                num = self.total * self.vec(key[:2]) * self.vec((key[0], key[2])) * self.vec(key[1:])
                got = _div(num, self.vec(a) * self.vec(b) * self.vec(c))
            else:
                last, first = key[-1], key[0]
                got = _div(self.vec(key[:-1]) * self.vec((first, last)), self.vec((first,)))
        self.memo[key] = got
        return got


def _union(a: Key, b: Key) -> Key | None:
    """The combination holding both, or None when they name two values of one dimension."""
    merged = dict(a)
    for d, v in b:
        if merged.get(d, v) != v:
            return None
        merged[d] = v
    return tuple(sorted(merged.items()))


def test_values(vector: np.ndarray, ratio: bool, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(r, e) of the module docstring from vectors (first axis as in :class:`Tables`); ``rate``:
    the overall expected ratio, for slices without an expected denominator."""
    if not ratio:
        return vector[0], vector[1]
    den_e = vector[3]
    slice_rate = np.divide(
        vector[1], den_e, out=np.full_like(den_e, rate, dtype=np.float64), where=den_e != 0
    )
    return vector[0], vector[2] * slice_rate


def _log(r: np.ndarray | float, e: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    r, e = np.maximum(r, 0.0), np.maximum(e, 0.0)
    return np.log((r + 0.5) / (e + 0.5)), 1.0 / (r + 0.5) + 1.0 / (e + 0.5)


def _wobble(logs: np.ndarray, poisson: np.ndarray, w: np.ndarray) -> float:
    """The smallest φ ≥ 0 at which the w-weighted median of |logs|/√(poisson + φ²) is 0.6745."""
    if not len(logs) or w.sum() <= 0:
        return 0.0

    def median_abs_z(phi: float) -> float:
        return _weighted_median(np.abs(logs) / np.sqrt(poisson + phi**2), w)

    if median_abs_z(0.0) <= MEDIAN_ABS_Z:
        return 0.0
    lo, hi = 0.0, _PHI_MAX
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if median_abs_z(mid) > MEDIAN_ABS_Z else (lo, mid)
    return hi


class _Search:
    def __init__(self, t: Tables, phi1: float) -> None:
        self.t = t
        self.n = _Counts(t)
        total = self.n.total
        self.rate = float(total[1] / total[3]) if t.ratio and total[3] else 0.0
        self.phi1 = phi1
        self.typical: list[float] = []
        for m in t.margins:
            r, e = test_values(m, t.ratio, self.rate)
            log, _ = _log(r, e)
            w = np.abs(r) + np.abs(e)
            self.typical.append(_weighted_median(log, w) if w.sum() > 0 else 0.0)
        sizes = [len(top) for top in t.top]
        self.tests = {
            1: sum(len(lb) for lb in t.labels),
            2: sum(a * b for a, b in combinations(sizes, 2)),
            3: sum(a * b * c for a, b, c in combinations(sizes, 3)),
        }
        self.l0 = float(_log(*self.rv(total))[0])
        self.phi2 = 0.0
        self.pair_z: dict[tuple[int, int], np.ndarray] = {}
        self.outside_memo: dict[tuple[Key, tuple[Key, ...]], np.ndarray] = {}

    def rv(self, vector: np.ndarray) -> tuple[float, float]:
        r, e = test_values(vector[:, None], self.t.ratio, self.rate)
        return float(r[0]), float(e[0])

    def outside(self, key: Key, accepted: list[Key]) -> np.ndarray:
        """The vector of ``key`` on its rows outside the accepted causes (inclusion–exclusion
        over the accepted causes it is consistent with); memoised until the tables change (every
        candidate's test in a round of :meth:`greedy` reads the total's and its values')."""
        memo_key = (key, tuple(accepted))
        got = self.outside_memo.get(memo_key)
        if got is None:
            got = self.outside_memo[memo_key] = self._outside(key, accepted)
        return got

    def _outside(self, key: Key, accepted: list[Key]) -> np.ndarray:
        keyset = set(key)
        if any(keyset.issuperset(a) for a in accepted):
            return np.zeros_like(self.n.total)
        v = np.zeros_like(self.n.total)

        def add(parts: tuple[Key, ...], union: Key, rest: list[Key], sign: float) -> None:
            nonlocal v
            v = v + sign * self.n.joint(parts, union)
            for i, a in enumerate(rest):
                u = _union(union, a)
                if u is not None:
                    add((*parts, a), u, rest[i + 1 :], -sign)

        add((key,), key, accepted, 1.0)
        return np.maximum(v, 0.0)

    def z(self, key: Key, accepted: list[Key]) -> float:
        r, e = self.rv(self.outside(key, accepted))
        if r + e <= 0:
            return 0.0
        log, var = _log(r, e)
        l0 = float(_log(*self.rv(self.outside((), accepted)))[0])
        if len(key) == 1:  # the dimension's typical move, shifted as the total's outside the causes
            ref = self.typical[key[0][0]] - self.l0 + l0
            return float((log - ref) / sqrt(var + self.phi1**2))
        ref = -(len(key) - 1) * l0
        for part in key:
            ref += float(_log(*self.rv(self.outside((part,), accepted)))[0])
        return float((log - ref) / sqrt(var + self.phi2**2))

    def score(self, key: Key, z: float) -> float:
        return _log_p(abs(z)) + float(np.log(self.tests[min(len(key), 3)]))

    # -- tables → candidates ------------------------------------------------------------------

    def value_candidates(self) -> list[Key]:
        bound = _z_bound(FAMILY_ALPHA, self.tests[1])
        out: list[Key] = []
        for d, m in enumerate(self.t.margins):
            r, e = test_values(m, self.t.ratio, self.rate)
            log, var = _log(r, e)
            z = (log - self.typical[d]) / np.sqrt(var + self.phi1**2)
            out += [((d, int(v)),) for v in np.flatnonzero(np.abs(z) >= bound)]
        return out

    def _main(self, d: int) -> np.ndarray:
        """Log ratio of each coded value of d, and 0 for "other" (never a candidate)."""
        m = self.t.margins[d][:, self.t.top[d]]
        log, _ = _log(*test_values(m, self.t.ratio, self.rate))
        return np.append(log, 0.0)

    def pair_candidates(self) -> list[Key]:
        t = self.t
        l0 = float(_log(*self.rv(self.n.total))[0])
        main = [self._main(d) for d in range(len(t.dims))]
        parts = {}
        for (i, j), arr in t.pairs.items():
            r, e = test_values(arr, t.ratio, self.rate)
            log, var = _log(r, e)
            parts[(i, j)] = (log - main[i][:, None] - main[j][None, :] + l0, var, np.abs(r) + np.abs(e))
        coded = [
            (x[:-1, :-1].ravel(), v[:-1, :-1].ravel(), w[:-1, :-1].ravel()) for x, v, w in parts.values()
        ]
        if coded:
            self.phi2 = _wobble(*(np.concatenate(c) for c in zip(*coded, strict=True)))
        bound = _z_bound(FAMILY_ALPHA, self.tests[2])
        out: list[Key] = []
        for (i, j), (x, v, _) in parts.items():
            z = x / np.sqrt(v + self.phi2**2)
            z[-1, :] = 0.0
            z[:, -1] = 0.0
            self.pair_z[(i, j)] = z
            for a, b in zip(*np.nonzero(np.abs(z) >= bound), strict=True):
                out.append(((i, t.top[i][a]), (j, t.top[j][b])))
        return out

    def triple_candidates(self, drilled: dict[Key, np.ndarray]) -> list[Key]:
        """Combinations of 3 that pass layer 3's bound before any exclusion: among the drilled
        ones and in every fetched triple table (vectorised)."""
        t = self.t
        bound = _z_bound(FAMILY_ALPHA, self.tests[3])
        out: list[Key] = [k for k in drilled if len(k) == 3 and abs(self.z(k, [])) >= bound]
        l0 = float(_log(*self.rv(self.n.total))[0])
        for (i, j, k), arr in t.triples.items():
            r, e = test_values(arr, t.ratio, self.rate)
            log, var = _log(r, e)
            mi, mj, mk = self._main(i), self._main(j), self._main(k)
            x = log - mi[:, None, None] - mj[None, :, None] - mk[None, None, :] + 2 * l0
            z = x / np.sqrt(var + self.phi2**2)
            z[-1], z[:, -1], z[:, :, -1] = 0.0, 0.0, 0.0
            for a, b, c in zip(*np.nonzero(np.abs(z) >= bound), strict=True):
                out.append(((i, t.top[i][a]), (j, t.top[j][b]), (k, t.top[k][c])))
        return out

    def evidence(self, accepted: list[Key], budget: int) -> list[tuple[int, int, int]]:
        """The dimension triples whose pair cells add up to the strongest evidence, cells holding
        a value of an accepted cause left out (their move is that cause's)."""
        t = self.t
        z = {k: v.copy() for k, v in self.pair_z.items()}
        for a in accepted:
            for d, v in a:
                code = self.n.code[d].get(v)
                if code is None:
                    continue
                for (i, j), arr in z.items():
                    if i == d:
                        arr[code, :] = 0.0
                    elif j == d:
                        arr[:, code] = 0.0
        best: list[tuple[float, tuple[int, int, int]]] = []
        for i, j, k in combinations(range(len(t.dims)), 3):
            if (i, j, k) in t.triples:
                continue
            s = z[(i, j)][:, :, None] + z[(i, k)][:, None, :] + z[(j, k)][None, :, :]
            best.append((float(np.abs(s).max()) / sqrt(3.0), (i, j, k)))
        best.sort(reverse=True)
        return [k for _, k in best[:budget]]

    def greedy(self, candidates: list[Key], max_causes: int) -> list[tuple[Key, float]]:
        accepted: list[Key] = []
        zs: list[float] = []
        pool = list(dict.fromkeys(candidates))
        while len(accepted) < max_causes and pool:
            scored = [(self.score(k, z), k, z) for k in pool for z in (self.z(k, accepted),)]
            s, key, z = min(scored, key=lambda x: x[0])
            if s >= np.log(FAMILY_ALPHA):
                break
            accepted.append(key)
            zs.append(z)
            pool.remove(key)
        return list(zip(accepted, zs, strict=True))


def search(t: Tables, phi1: float, fetch: Fetch, max_causes: int = 10) -> list[Found]:
    """The causes, in the order found (see the module docstring)."""
    s = _Search(t, phi1)
    values = s.value_candidates()
    pairs = s.pair_candidates()
    first = s.greedy(values + pairs, max_causes)
    drills: list[Key] = [
        key for key, _ in first if len(key) == 2 or (len(key) == 1 and key[0][1] not in s.n.code[key[0][0]])
    ]
    wanted = s.evidence([k for k, _ in first], TRIPLE_TABLES)
    fetched, triples = fetch(t, drills, wanted)
    t.cells.update(fetched)
    t.triples.update(triples)
    s.n.memo.clear()
    s.outside_memo.clear()
    drilled_pairs = [k for k in fetched if len(k) == 2]
    candidates = values + pairs + drilled_pairs + s.triple_candidates(fetched)
    final = s.greedy(candidates, max_causes)
    return [Found(k, s.n.vec(k), abs(z)) for k, z in final]
