"""De-duplication: leads that share a phone number or an e-mail address are one person.

The rule, for the screened leads of :func:`northstar.leads.screen.screen`:

1. **Keys.** A lead's keys are its *usable* contacts: ``phone_e164`` when the number is valid
   and not flagged ``test_number``, and ``email_norm`` when the address is valid and not flagged
   ``disposable_email``. Invalid numbers, test numbers (thousands of people type 13800138000)
   and throw-away inboxes join nobody. A lead with no usable key is a person of its own.
2. **People.** Two leads are the same person when they share a key — and transitively: if A
   and B share a phone and B and C share an e-mail, A, B and C are one person, even across
   channels (union-find over both keys, so the groups do not depend on the order of the rows).
3. **Kept lead.** The leads of a person are ordered by created time (the instant: times written
   with UTC offsets are compared in UTC, so 02:15+01:00 comes after 02:30+02:00 on the night
   clocks go back), then by id (text order);
   a lead without a created time comes after all that have one. ``keep="first"`` keeps the
   first in that order (first touch: the channel that brought the person in gets the credit);
   ``keep="last"`` keeps the last one (last touch).

:func:`dedupe` adds ``kept`` (bool) and ``duplicate_of`` (the kept lead's id for the others,
None for kept leads) and changes nothing else.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numba import njit

from northstar.errors import DataError, UserError

__all__ = ["dedupe", "person_of", "sort_times"]


def dedupe(
    screened: pd.DataFrame,
    keep: Literal["first", "last"] = "first",
    time_column: str = "created_at",
    id_column: str = "lead_id",
) -> pd.DataFrame:
    """``screened`` plus ``kept`` and ``duplicate_of`` (rule in the module docstring)."""
    if keep not in ("first", "last"):
        raise UserError(
            f"keep must be 'first' or 'last', not {keep!r}", f"keep 只能是 'first' 或 'last'，不能是 {keep!r}"
        )
    for name in (time_column, id_column):
        if name not in screened.columns:
            from northstar.spec.suggest import did_you_mean

            raise DataError(
                f"the leads have no column {name!r}{did_you_mean(name, map(str, screened.columns))}",
                f"线索中没有列 {name!r}{did_you_mean(name, map(str, screened.columns), 'zh')}",
            )
    out = screened.copy()
    n = len(out)
    if n == 0:
        out["duplicate_of"] = pd.Series([], dtype=object)
        out["kept"] = pd.Series([], dtype=bool)
        return out
    root = person_of(screened)
    times = sort_times(screened[time_column], time_column)
    ids = screened[id_column].astype(object)
    id_codes, _ = pd.factorize(ids.astype(str), sort=True)
    order = np.lexsort((id_codes, times))  # by time (missing last), then id
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    groups = pd.Series(rank).groupby(root)
    chosen = (groups.transform("min") if keep == "first" else groups.transform("max")).to_numpy()
    kept = rank == chosen
    kept_row = order[chosen]  # the row holding each person's kept lead
    kept_ids = ids.to_numpy()[kept_row]
    duplicate_of = kept_ids.astype(object)
    duplicate_of[kept] = None
    out["duplicate_of"] = pd.Series(duplicate_of, index=out.index, dtype=object)  # None, not NaN
    out["kept"] = kept
    return out


def person_of(screened: pd.DataFrame) -> np.ndarray:
    """For each lead, the row number of a representative lead of its person (step 2)."""
    flags = screened["suspicious"].astype(str)
    phone_ok = screened["phone_valid"].to_numpy(dtype=bool) & ~flags.str.contains("test_number", regex=False)
    email_ok = screened["email_valid"].to_numpy(dtype=bool) & ~flags.str.contains(
        "disposable_email", regex=False
    )
    phone_codes, phone_keys = pd.factorize(screened["phone_e164"].where(phone_ok, None))
    email_codes, email_keys = pd.factorize(screened["email_norm"].where(email_ok, None))
    return _components(
        phone_codes.astype(np.int64), email_codes.astype(np.int64), len(phone_keys), len(email_keys)
    )


def sort_times(values: pd.Series, name: str) -> np.ndarray:
    """Created times as int64 nanoseconds for ordering; missing times sort after all others."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values, utc=isinstance(values.dtype, pd.DatetimeTZDtype))
    else:
        # utc=True: texts with different UTC offsets (a DST change) are ordered by their instant
        parsed = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
        bad = parsed.isna() & values.notna() & (values.astype(str).str.strip() != "")
        if bad.any():
            at = int(np.flatnonzero(bad.to_numpy())[0])
            value = values.iloc[at]
            raise DataError(
                f"lead {at + 1}: {name} {value!r} is not a date or time",
                f"第 {at + 1} 条线索：{name} 的值 {value!r} 不是日期或时间",
            )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = parsed.astype("datetime64[ns]").to_numpy().astype(np.int64)
    return np.where(parsed.isna().to_numpy(), np.iinfo(np.int64).max, ns)


@njit(cache=True)
def _find(parent: Any, i: int) -> int:  # pragma: no cover - compiled
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        parent[i], i = root, parent[i]
    return root


@njit(cache=True)
def _components(phone: Any, email: Any, n_phone: int, n_email: int) -> Any:  # pragma: no cover - compiled
    n = len(phone)
    parent = np.arange(n)
    for codes, size in ((phone, n_phone), (email, n_email)):
        first = np.full(size, -1)
        for i in range(n):
            c = codes[i]
            if c < 0:
                continue
            if first[c] < 0:
                first[c] = i
                continue
            a, b = _find(parent, i), _find(parent, first[c])
            if a != b:
                parent[max(a, b)] = min(a, b)
    for i in range(n):
        parent[i] = _find(parent, i)
    return parent
