"""The summary's quantiles against NumPy's ``np.quantile`` (linear interpolation), bit for bit,
on values with ties, negative numbers, signed zeros, one value, and buckets of many close
values (where NumPy's own partial sort takes over)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from northstar.analysis.quantiles import order_statistics, quantiles

QS = [0.0, 0.1, 0.5, 0.9, 0.99, 1.0]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64)
        | st.sampled_from([0.0, -0.0, 1.0, 3600.0]),
        min_size=1,
        max_size=300,
    ),
    q=st.lists(st.floats(0, 1), min_size=1, max_size=4),
)
def test_equal_to_numpy(values: list[float], q: list[float]) -> None:
    v = np.array(values, dtype=np.float64)
    expected = np.quantile(v, q)
    got = quantiles(v, q)
    assert got == expected.tolist()


def test_large_arrays_and_crowded_buckets() -> None:
    rng = np.random.default_rng(5)
    cases = [
        np.round(rng.exponential(3600, 300_000)),  # seconds to convert: spread over many buckets
        1024 + rng.random(200_000),  # all in one bucket: NumPy's partial sort takes over
        np.zeros(50_000),
        np.concatenate([np.zeros(10_000), rng.normal(0, 1, 10_000)]),
    ]
    for v in cases:
        for q in ([0.5, 0.9], [0.25], [0.0, 1.0]):
            assert quantiles(v, q) == np.quantile(v, q).tolist()


def test_order_statistics() -> None:
    rng = np.random.default_rng(6)
    v = rng.normal(0, 100, 20_001)
    ranks = np.array([0, 1, 10_000, 18_000, 20_000])
    assert order_statistics(v, ranks).tolist() == np.sort(v)[ranks].tolist()


def test_gaps_and_bin_counts() -> None:
    """The summary's passes against NumPy: step-to-step seconds of the entities at level k or
    more (NaN left out), and np.histogram's counts (last bin closed, values outside ignored)."""
    from northstar.analysis.summary_kernel import bin_counts, gaps

    rng = np.random.default_rng(7)
    level = rng.integers(1, 5, 1000).astype(np.int8)
    earlier = rng.exponential(100, 1000)
    later = earlier + rng.exponential(50, 1000)
    later[::17] = np.nan
    for k, before in ((2, np.zeros(0)), (3, earlier)):
        expected = (later - (before if len(before) else 0.0))[level >= k]
        assert gaps(later, before, level, k).tolist() == expected[~np.isnan(expected)].tolist()
    edges = np.array([0.0, 10, 60, 300, 3600, 86400.0])
    values = np.concatenate([rng.exponential(3000, 5000), [0.0, 10, 86400, 86401, -1, np.nan]])
    finite = values[~np.isnan(values)]
    assert bin_counts(values, edges).tolist() == np.histogram(finite, bins=edges)[0].tolist()


@settings(max_examples=50, deadline=None)
@given(levels=st.lists(st.integers(-3, 9), max_size=200), n=st.integers(1, 6))
def test_level_counts(levels: list[int], n: int) -> None:
    """Entities per level, out-of-range levels clipped: NumPy's bincount of the clipped levels."""
    from northstar.analysis.summary_kernel import level_counts

    level = np.array(levels, dtype=np.int8)
    expected = np.bincount(np.clip(level, 0, n).astype(np.int64), minlength=n + 1)
    assert level_counts(level, n).tolist() == expected.tolist()
