"""'Did you mean …' for near names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def near(name: str, candidates: Iterable[str], n: int = 3) -> tuple[str, ...]:
    pool = sorted(set(candidates))
    cutoff = 0.5 if len(name) <= 3 else 0.6  # short names (收入, aov) differ by a larger share
    found = difflib.get_close_matches(name, pool, n=n, cutoff=cutoff)
    if not found:
        lowered = {c.lower(): c for c in pool}
        found = [
            lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=cutoff)
        ]
    return tuple(found)


def did_you_mean(name: str, candidates: Iterable[str], lang: str = "en") -> str:
    found = near(name, candidates)
    if not found:
        return ""
    names = ", ".join(repr(f) for f in found)
    return f"（您是不是想写 {names}？）" if lang == "zh" else f" (did you mean {names}?)"
