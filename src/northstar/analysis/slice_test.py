"""Slices that moved unlike the rest: the test the root-cause search uses on wide data.

``explain`` uses the slice search below for metrics that do not add up row by row (distinct
counts …); counts, sums and their ratios take :mod:`northstar.analysis.wide_search`, which reuses
:func:`value_test`'s wobble φ for single values.

A *slice* is a dimension value (``d03=d03_2``) or a combination of 1–3 of them. Its totals in the
period are ``r`` (real) and in the baseline ``e`` (expected); for a ratio num/den, ``r`` is its
real numerator and ``e`` what its real denominator would have brought at its expected ratio, as in
:func:`northstar.analysis.rootcause.localize_ratio`, so both are counts or sums that add up.

**The test.** A slice's log ratio is ``l = ln((r + ½)/(e + ½))``, compared with a *reference* log
ratio (below), with the noise ``var = 1/(r + ½) + 1/(e + ½) + φ²``: Poisson counts on each side
(the variance of a log count is about 1/count) plus a common relative wobble φ that every slice
has beyond counting noise (big values move by a few per cent from day to day, which Poisson noise
alone would call significant). ``z = (l − reference) / √var``.

**φ is read from the data, not set** (:func:`value_test`): the smallest φ ≥ 0 at which the
value-weighted median of ``|z|`` over all values of all dimensions is :data:`MEDIAN_ABS_Z` =
0.6745, that of a standard normal. The weights are ``r + e``, so each dimension weighs its total
and the long tails of tiny values (where Poisson noise is all there is) do not decide; a few
causes hold far less than half the weight, so they do not set it.

**1. Values** (:func:`value_test`, on one GROUP BY per dimension the engine ran): the reference
is the dimension's typical log ratio, the value-weighted median of its values' ``l`` (a cause
that takes one value down does not move it, as it would move a total). A value is *significant*
when its two-sided p-value is below :data:`SCREEN_ALPHA` / k for a dimension of k values
(Bonferroni within the dimension: ``|z| ≥ Φ⁻¹(1 − 0.025/k)``, about 2.9 for 5 values, 4.1 for
1,000): on pure noise about one dimension in 20 holds one chance value, which step 2 then rejects.

**2. Combinations** (:func:`slice_search`, on the leaf table over the dimensions that hold a
significant value, each with those values and the rest pooled as ``(other)``): every
combination of 1 to ``max_layer`` values (never ``(other)``) among the leaves not yet explained is
tested against the rest of those leaves (reference: the log ratio of their totals outside the
combination). The one with the largest ``|z|`` is a cause when ``|z|`` passes Bonferroni at
:data:`FAMILY_ALPHA` = 1 % over the combinations tested in that round; its leaves are removed and
the search repeats, up to ``max_causes``. The largest ``|z|`` picks the right level: a piece of a
cause has the same ratio on less data (smaller ``|z|``), a parent mixes it with unmoved leaves
(a ratio nearer the rest's).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb
from statistics import NormalDist

import numpy as np

MEDIAN_ABS_Z = 0.6745  # the median of |z| for a standard normal z
SCREEN_ALPHA = 0.05  # a value is kept when p < SCREEN_ALPHA / (its dimension's number of values)
FAMILY_ALPHA = 0.01  # a combination is a cause when p < FAMILY_ALPHA / (combinations tested)
_PHI_MAX = 4.0  # the bisection's upper end for φ (a relative wobble of e⁴ is not data)


def _z_bound(alpha: float, tests: int) -> float:
    """|z| beyond which a two-sided p-value is below alpha / tests."""
    return NormalDist().inv_cdf(1 - alpha / 2 / max(tests, 1))


@dataclass(frozen=True)
class ValueTest:
    """Per dimension, the z of each value (in the order given), and the wobble φ."""

    z: dict[str, np.ndarray]
    phi: float

    def strength(self, dim: str) -> float:
        """The largest |z| among the dimension's values (0 when it has none)."""
        z = self.z[dim]
        return float(np.abs(z).max()) if len(z) else 0.0

    def bound(self, dim: str) -> float:
        return _z_bound(SCREEN_ALPHA, len(self.z[dim]))

    def significant(self, dim: str) -> np.ndarray:
        return np.abs(self.z[dim]) >= self.bound(dim)


def _log_p(z: float) -> float:
    """ln of the two-sided normal p-value of |z| (the tail's asymptotic series beyond z = 8,
    where 1 − Φ(z) is below double precision's step)."""
    if z < 8.0:
        return float(np.log(max(2.0 * (1.0 - NormalDist().cdf(z)), 1e-300)))
    return float(np.log(2.0) - z * z / 2 - np.log(z * np.sqrt(2 * np.pi)))


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def _log(r: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The log ratio and its Poisson variance."""
    r, e = np.maximum(r, 0.0), np.maximum(e, 0.0)
    return np.log((r + 0.5) / (e + 0.5)), 1.0 / (r + 0.5) + 1.0 / (e + 0.5)


def value_test(values: dict[str, tuple[np.ndarray, np.ndarray]]) -> ValueTest:
    """Step 1 of the module docstring; ``values``: dimension → (real, expected) per value."""
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    weights: dict[str, np.ndarray] = {}
    for d, (r, e) in values.items():
        log, var = _log(r, e)
        w = np.abs(r) + np.abs(e)
        typical = _weighted_median(log, w) if w.sum() > 0 else 0.0
        parts[d], weights[d] = (log - typical, var), w
    logs = np.concatenate([p[0] for p in parts.values()]) if parts else np.zeros(0)
    poisson = np.concatenate([p[1] for p in parts.values()]) if parts else np.zeros(0)
    w = np.concatenate(list(weights.values())) if weights else np.zeros(0)
    phi = 0.0
    if len(logs) and w.sum() > 0:

        def median_abs_z(phi: float) -> float:
            return _weighted_median(np.abs(logs) / np.sqrt(poisson + phi**2), w)

        if median_abs_z(0.0) > MEDIAN_ABS_Z:
            lo, hi = 0.0, _PHI_MAX
            for _ in range(50):  # |z| falls as φ grows: bisection
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if median_abs_z(mid) > MEDIAN_ABS_Z else (lo, mid)
            phi = hi
    return ValueTest({d: log / np.sqrt(var + phi**2) for d, (log, var) in parts.items()}, phi)


@dataclass(frozen=True)
class SliceSearch:
    """How the leaf table was cut for :func:`slice_search`: the wobble φ of :func:`value_test`,
    the label of the pooled values (never part of a cause) and, per leaf-table dimension, how
    many values it had before pooling (the combinations the pre-pass looked at)."""

    phi: float
    pooled: str
    cardinalities: dict[str, int]
    dimensions: int  # how many dimensions the pre-pass tested (all of ``by``)


def slice_search(
    codes: list[np.ndarray],
    skip: list[int | None],
    cardinalities: list[int],
    dimensions: int,
    real: np.ndarray,
    expected: np.ndarray,
    phi: float,
    max_layer: int,
    max_causes: int,
) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """Step 2 of the module docstring over integer-coded leaves (``skip[a]``: the code of
    attribute a's pooled ``(other)`` value, never part of a cause; ``cardinalities[a]``: its
    number of values before pooling; ``dimensions``: how many the pre-pass tested): [(attributes,
    value codes, |z|)] in the order found."""
    n_attr = len(codes)
    sizes = [int(c.max()) + 1 if len(c) else 0 for c in codes]
    cuboids = [
        c for layer in range(1, min(max_layer, n_attr) + 1) for c in combinations(range(n_attr), layer)
    ]
    family = max(
        dimensions, n_attr
    )  # the pre-pass tested every dimension, so every cuboid of them stands for its tests
    layers = min(max_layer, family)
    alive = np.ones(len(real), dtype=bool)
    found: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
    while len(found) < max_causes and alive.any():
        total_r, total_e = float(real[alive].sum()), float(expected[alive].sum())
        best: tuple[float, float, tuple[int, ...], tuple[int, ...]] | None = None
        for layer in range(1, min(max_layer, n_attr) + 1):
            for cuboid in (c for c in cuboids if len(c) == layer):
                idx = alive.copy()
                for a in cuboid:
                    if skip[a] is not None:
                        idx &= codes[a] != skip[a]
                leaf = np.flatnonzero(idx)
                if not len(leaf):
                    continue
                combined = np.zeros(len(leaf), dtype=np.int64)
                for a in cuboid:
                    combined = combined * sizes[a] + codes[a][leaf]
                elements, g = np.unique(combined, return_inverse=True)
                r = np.bincount(g, real[leaf], len(elements))
                e = np.bincount(g, expected[leaf], len(elements))
                log, var = _log(r, e)
                rest, _ = _log(total_r - r, total_e - e)
                z = (log - rest) / np.sqrt(var + phi**2)
                i = int(np.argmax(np.abs(z)))
                tests = layers * comb(family, layer) * float(np.prod([cardinalities[a] for a in cuboid]))
                # The two-sided p-value times the tests its cuboid stands for, on a log scale.
                score = _log_p(abs(float(z[i]))) + np.log(tests)
                if best is None or score < best[0]:
                    code, parts = int(elements[i]), []
                    for a in reversed(cuboid):
                        parts.append(code % sizes[a])
                        code //= sizes[a]
                    best = (score, abs(float(z[i])), cuboid, tuple(reversed(parts)))
        if best is None or best[0] > np.log(FAMILY_ALPHA):
            break
        _, z_best, cuboid, values = best
        found.append((cuboid, values, z_best))
        under = np.ones(len(real), dtype=bool)
        for a, v in zip(cuboid, values, strict=True):
            under &= codes[a] == v
        alive &= ~under
    return found
