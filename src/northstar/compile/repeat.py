"""Repurchase with options: the first qualifying row of each entity and the gap to its repeat.

Used by ``repeat_rate`` metrics that set ``min_gap`` or ``repeat_filter`` (without them the
single-window plan in :func:`northstar.compile.plan.repeat_rate` runs, unchanged), and by the
repurchase curve (:mod:`northstar.analysis.repurchase`).

Definitions, for one entity and one period (or the whole range):

- its *first purchase* is its earliest row matching ``filter`` in the period, at ``t0``;
- a *repeat* is a row matching ``repeat_filter`` (default: ``filter``) that is **another row**
  than a first-purchase row at ``t0``, with ``min_gap <= time - t0 <= within`` (local clock,
  in seconds). With ``min_gap`` 0 a second row at the very same moment counts, as before;
- the entity *repeats within W* when such a row exists for ``within = W``. ``gap`` below is the
  smallest W for which it does (null: never, within the look-ahead).

"Another row" without row ids: count the repeat rows in the window, then take one away when
every first-purchase row at ``t0`` is itself a repeat row (it would otherwise count itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import ibis

from northstar.engine.base import TS

PERIOD_KEY = "period"


def anchored_repeats(
    rows: Any,
    entity: str,
    first: Any,
    repeat: Any,
    keys: Mapping[str, Any],
    end: datetime,
    min_gap_s: float,
    within_s: float,
) -> Any:
    """One row per entity and period (``keys["period"]`` when given) whose first purchase is
    before ``end``: ``__e``, ``__ts`` (t0), ``__k_<key>`` (read from the first-purchase row;
    smallest value on ties), ``__g`` (seconds to the repeat, or null).

    ``rows`` must already hold every row that may count (time window, ``--where``); ``first`` and
    ``repeat`` are conditions on ``rows`` (None: every row).
    """
    true = ibis.literal(True)
    r = rows.select(
        __ts=rows[TS],
        __e=rows[entity],
        __f=true if first is None else first,
        __r=true if repeat is None else repeat.fill_null(False),
        **{f"__k_{k}": v for k, v in keys.items()},
    )
    r = r.filter(r.__e.notnull())
    firsts = r.filter(r.__f)
    slices = [firsts[f"__k_{k}"] for k in keys if k != PERIOD_KEY]
    window = ibis.window(group_by=firsts.__e, order_by=[firsts.__ts, *slices])
    is_first = firsts.__ts.lag().over(window).isnull()
    if PERIOD_KEY in keys:
        period = firsts[f"__k_{PERIOD_KEY}"]
        is_first = is_first | (period.lag().over(window) != period)
    # every first-purchase row at t0 is itself a repeat row: it must not count as its own repeat
    self_rep = firsts.__r.cast("int64").min().over(ibis.window(group_by=[firsts.__e, firsts.__ts]))
    anchors = firsts.mutate(__first=is_first, __s=self_rep)
    anchors = anchors.filter(anchors.__first & (anchors.__ts < end)).drop("__first", "__f", "__r")
    reps = r.filter(r.__r).select(__e2=r.__e, __t2=r.__ts)
    j = anchors.left_join(
        reps,
        [
            anchors.__e == reps.__e2,
            reps.__t2 >= anchors.__ts,
            reps.__t2 <= anchors.__ts + ibis.interval(seconds=math.ceil(within_s) + 1),
        ],
    )
    gap = j.__t2.epoch_seconds() - j.__ts.epoch_seconds()
    ok = j.__t2.notnull() & (gap >= min_gap_s) & (gap <= within_s)
    group = ["__e", "__ts", "__s", *(f"__k_{k}" for k in keys)]
    per = j.group_by(group).aggregate(
        __c0=j.__t2.count(where=ok & (gap == 0)), __gpos=gap.min(where=ok & (gap > 0))
    )
    g = ibis.ifelse(per.__c0 - per.__s >= 1, ibis.literal(0, "int64"), per.__gpos.cast("int64"))
    return per.mutate(__g=g).drop("__c0", "__gpos", "__s")


def repeat_rate_with_options(
    rows: Any, m: Any, entity: str, keys: Mapping[str, Any], end: datetime, within_s: float
) -> Any:
    """A ``repeat_rate`` metric with ``min_gap`` / ``repeat_filter``: per period and slice, the
    share of entities whose first purchase has a repeat (see the module docstring)."""
    from northstar.compile.plan import metric_filter
    from northstar.spec.retention import parse_gap_seconds

    spec = m.spec
    first = metric_filter(rows, spec.filter, f"metric {m.name!r} filter")
    repeat = metric_filter(rows, spec.repeat_filter or spec.filter, f"metric {m.name!r} repeat_filter")
    gap = parse_gap_seconds(spec.min_gap) if spec.min_gap is not None else 0.0
    a = anchored_repeats(rows, entity, first, repeat, keys, end, gap, within_s)
    a = a.mutate(__rep=ibis.ifelse(a.__g.notnull(), 1, 0).cast("float64"))
    group = {k: a[f"__k_{k}"] for k in keys}
    agg = {m.name: a.__rep.mean()}
    return a.group_by(**group).aggregate(**agg) if group else a.aggregate(**agg)
