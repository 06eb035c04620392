"""Drilling a root cause down: is a found slice's change held by one value of another dimension?

On wide data the leaf table only holds the dimension values that moved clearly on their own
(:mod:`northstar.analysis.slice_test`). A cause on ``d07=d07_1 & d09=d09_6`` takes a few per cent
of ``d07_1``, which its wobble hides, so only ``d09=d09_6`` may be found. :func:`drill` asks the
engine, within the found slice, for one GROUP BY per other dimension of ``by`` (the rows under
the slice only, ``where`` built from its values, leaving out the rows of the other causes found,
whose change is theirs), and applies the value test there: each value's
log ratio against the slice's typical one (the value-weighted median), with Poisson noise and the
wobble φ already measured, ``z = (l − typical) / √(1/(r + ½) + 1/(e + ½) + φ²)``. The value with the
smallest p-value joins the slice when ``p · Σk < FAMILY_ALPHA`` (1 %, Bonferroni over the Σk values
of the dimensions tested) and moved the same way as the slice; this repeats until the slice has
``max_layer`` values or nothing passes. Within a true cause every value moved alike, so nothing
passes and the cause stays as found.

Cost: two engine queries (period and baseline) per other dimension of ``by`` and step, for each
cause. ``explain`` drills this way only for metrics that do not add up row by row (distinct counts
…); counts, sums and their ratios take :mod:`northstar.analysis.wide_search`, whose drills are one
GROUP BY per dimension for all causes at once.

Slices holding a pooled value (``(other)``) or a missing one (``(none)``) are not drilled: no
filter names them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from northstar.analysis.slice_test import FAMILY_ALPHA, _log, _log_p, _weighted_median

# (dimension, the slice's values) -> (the dimension's values within the slice, real, expected)
Fetch = Callable[[str, dict[str, str]], tuple[list[str], np.ndarray, np.ndarray]]


def _best_value(
    fetched: list[tuple[str, list[str], np.ndarray, np.ndarray]], phi: float, direction: float
) -> tuple[str, str] | None:
    tests = sum(len(labels) for _, labels, _, _ in fetched)
    best: tuple[float, str, str] | None = None
    for dim, labels, r, e in fetched:
        w = np.abs(r) + np.abs(e)
        if len(labels) < 2 or w.sum() <= 0:
            continue
        log, var = _log(r, e)
        z = (log - _weighted_median(log, w)) / np.sqrt(var + phi**2)
        z = np.where(np.sign(z) == np.sign(direction), z, 0.0)
        i = int(np.argmax(np.abs(z)))
        score = _log_p(abs(float(z[i]))) + np.log(max(tests, 1))
        if score < np.log(FAMILY_ALPHA) and (best is None or score < best[0]):
            best = (score, dim, labels[i])
    return None if best is None else (best[1], best[2])


def drill(
    combination: dict[str, str],
    dims: list[str],
    fetch: Fetch,
    phi: float,
    direction: float,
    max_layer: int = 3,
    blocked: tuple[str, ...] = (),
) -> dict[str, str]:
    """The slice ``combination`` drilled down as the module docstring says (``direction``: the
    sign of the slice's change; ``blocked``: labels that no filter can name)."""
    combo = dict(combination)
    while len(combo) < max_layer and not any(v in blocked for v in combo.values()):
        others = [d for d in dims if d not in combo]
        if not others:
            break
        fetched = [(d, *fetch(d, combo)) for d in others]
        found = _best_value(fetched, phi, direction)
        if found is None or found[1] in blocked:
            break
        combo[found[0]] = found[1]
    return combo
