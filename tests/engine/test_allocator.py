"""glibc's malloc thresholds, set by the DuckDB engine (engine/allocator.py)."""

from __future__ import annotations

import ctypes
import os
import platform

import pytest

from northstar.engine import allocator
from northstar.engine.duckdb import DuckDBEngine


def test_the_users_own_tuning_wins() -> None:
    assert allocator.wanted({})
    assert allocator.wanted({"GLIBC_TUNABLES": "glibc.rtld.nns=2"})
    assert not allocator.wanted({"NORTHSTAR_MALLOC": "default"})
    assert not allocator.wanted({"NORTHSTAR_MALLOC": "DEFAULT"})
    assert not allocator.wanted({"MALLOC_ARENA_MAX": "2"})
    assert not allocator.wanted({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"})


def test_trim_threshold_is_an_eighth_of_memory_within_bounds() -> None:
    assert allocator.trim_threshold(4 << 30) == 512 << 20
    assert allocator.trim_threshold(64 << 30) == 1 << 30
    assert allocator.trim_threshold(256 << 20) == 64 << 20


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only"
)
def test_freed_blocks_stay_in_the_heap_for_the_next_query() -> None:
    """Three 30 MB blocks (under the 32 MB threshold) come from the heap, not mapped one by one,
    and the heap keeps them when they are freed together: glibc's defaults map such blocks
    (until a freed one raises its threshold) and give back any free top over 64 MB at most."""
    if not allocator.wanted(os.environ):
        pytest.skip("malloc tuned by the environment")
    DuckDBEngine()
    assert allocator.keep_freed_memory()
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = _Mallinfo2
    size = 30 << 20
    before = libc.mallinfo2()
    blocks = [libc.malloc(size) for _ in range(3)]
    during = libc.mallinfo2()
    assert during.hblkhd - before.hblkhd < size  # not mapped block by block
    assert during.uordblks - before.uordblks >= 3 * size  # from the heap (new, or reused free space)
    for block in reversed(blocks):
        libc.free(block)
    after = libc.mallinfo2()
    assert after.arena >= during.arena - (2 << 20)  # nothing handed back to the OS
    assert after.fordblks >= during.fordblks + 3 * size - (2 << 20)  # free to reuse
