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
