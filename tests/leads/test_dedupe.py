"""De-duplication against a brute-force oracle (every pair of leads compared, components by
search), on hypothesis-generated leads with shared and repeated contacts, equal times, missing
times and rows in any order; and hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northstar.errors import DataError, UserError
from northstar.leads.dedupe import dedupe


def _leads(rows: list[tuple]) -> pd.DataFrame:
    """rows: (id, created, phone or None, email or None[, suspicious])."""
    return pd.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "created_at": [r[1] for r in rows],
            "phone_e164": [r[2] for r in rows],
            "phone_valid": [r[2] is not None for r in rows],
            "email_norm": [r[3] for r in rows],
            "email_valid": [r[3] is not None for r in rows],
            "suspicious": [r[4] if len(r) > 4 else "" for r in rows],
        }
    )


def oracle(frame: pd.DataFrame, keep: str) -> dict[str, str | None]:
    """id → the kept lead's id (None for kept leads), by comparing every pair."""
    n = len(frame)
    recs = frame.to_dict("records")

    def keys(r: dict) -> set[tuple[str, str]]:
        out = set()
        if r["phone_valid"] and r["phone_e164"] is not None and "test_number" not in r["suspicious"]:
            out.add(("phone", r["phone_e164"]))
        if r["email_valid"] and r["email_norm"] is not None and "disposable_email" not in r["suspicious"]:
            out.add(("email", r["email_norm"]))
        return out

    ks = [keys(r) for r in recs]
    seen: set[int] = set()
    answer: dict[str, str | None] = {}
    for start in range(n):
        if start in seen:
            continue
        group, todo = [], [start]
        seen.add(start)
        while todo:
            i = todo.pop()
            group.append(i)
            for j in range(n):
                if j not in seen and ks[i] & ks[j]:
                    seen.add(j)
                    todo.append(j)

        def order(i: int) -> tuple:
            t = pd.Timestamp(recs[i]["created_at"]) if recs[i]["created_at"] is not None else None
            missing = t is None or pd.isna(t)
            return (
                missing,
                t.tz_convert("UTC").value if not missing and t.tzinfo else (t.value if not missing else 0),
                str(recs[i]["lead_id"]),
            )

        ranked = sorted(group, key=order)
        kept = ranked[0] if keep == "first" else ranked[-1]
        for i in group:
            answer[recs[i]["lead_id"]] = None if i == kept else recs[kept]["lead_id"]
    return answer


def _check(frame: pd.DataFrame, keep: str) -> pd.DataFrame:
    out = dedupe(frame, keep, "created_at", "lead_id")
    expected = oracle(frame, keep)
    assert dict(zip(out["lead_id"], out["duplicate_of"], strict=True)) == expected
    assert out["kept"].tolist() == [expected[i] is None for i in out["lead_id"]]
    return out


TIMES = [None, "2026-03-29 01:30:00", "2026-03-29 03:30:00", "2026-03-29 03:30:00", "2026-10-25 02:30:00"]


@st.composite
def lead_sets(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    rows = []
    ids = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n, unique=True))
    for i in ids:
        rows.append(
            (
                f"L{i:03d}",
                draw(st.sampled_from(TIMES)),
                draw(
                    st.sampled_from(
                        [None, "+8613957172048", "+8613162084957", "+12127365000", "+441134960000"]
                    )
                ),
                draw(st.sampled_from([None, "a@b.co", "li@163.com", "x@y.de", "z@mailinator.com"])),
                draw(
                    st.sampled_from(
                        ["", "", "test_number", "disposable_email", "repeated_digits,shared_phone"]
                    )
                ),
            )
        )
    frame = _leads(rows)
    # some contacts given but not valid: they must join nobody
    valid = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    frame["phone_valid"] = frame["phone_valid"].to_numpy(dtype=bool) & np.array(valid, dtype=bool)
    return frame


@settings(max_examples=150, deadline=None)
@given(frame=lead_sets(), keep=st.sampled_from(["first", "last"]))
def test_dedupe_matches_the_oracle(frame: pd.DataFrame, keep: str) -> None:
    _check(frame, keep)
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    a = dedupe(frame, keep, "created_at").set_index("lead_id")["duplicate_of"].to_dict()
    b = dedupe(shuffled, keep, "created_at").set_index("lead_id")["duplicate_of"].to_dict()
    assert a == b  # the order of the rows does not matter


def test_transitive_through_phone_then_email_across_channels() -> None:
    frame = _leads(
        [
            ("L3", "2026-11-03 09:00", None, "wei@163.com"),  # C: e-mail of B
            ("L1", "2026-11-01 09:00", "+8613957172048", None),  # A
            ("L2", "2026-11-02 09:00", "+8613957172048", "wei@163.com"),  # B: phone of A
            ("L4", "2026-11-04 09:00", "+8613162084957", None),  # someone else
        ]
    )
    frame["channel"] = ["social", "paid_search", "email", "organic"]
    first = _check(frame, "first")
    assert first["duplicate_of"].tolist() == ["L1", None, "L1", None]
    last = _check(frame, "last")
    assert last["duplicate_of"].tolist() == [None, "L3", "L3", None]
    assert first["channel"].tolist() == frame["channel"].tolist()  # nothing else changes


def test_equal_times_are_decided_by_id_and_missing_times_come_last() -> None:
    frame = _leads(
        [
            ("L10", "2026-11-01 09:00", "+8613957172048", None),
            ("L09", "2026-11-01 09:00", "+8613957172048", None),
            ("L01", None, "+8613957172048", None),
        ]
    )
    assert _check(frame, "first")["duplicate_of"].tolist() == ["L09", None, "L09"]
    assert _check(frame, "last")["duplicate_of"].tolist() == ["L01", "L01", None]


def test_the_instant_orders_times_across_the_dst_change() -> None:
    # Europe/Berlin, 25 Oct 2026: 02:30+02:00 (00:30 UTC) comes before 02:15+01:00 (01:15 UTC)
    frame = _leads(
        [
            ("A", "2026-10-25 02:15:00+01:00", "+4915120417733", None),
            ("B", "2026-10-25 02:30:00+02:00", "+4915120417733", None),
        ]
    )
    assert _check(frame, "first")["duplicate_of"].tolist() == ["B", None]
    aware = frame.assign(
        created_at=pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert("Europe/Berlin")
    )
    assert dedupe(aware, "first", "created_at")["duplicate_of"].tolist() == ["B", None]


def test_test_numbers_and_throwaway_inboxes_join_nobody() -> None:
    frame = _leads(
        [
            ("L1", "2026-11-01", "+8613800138000", "a@mailinator.com", "test_number,disposable_email"),
            ("L2", "2026-11-02", "+8613800138000", "a@mailinator.com", "test_number,disposable_email"),
        ]
    )
    assert _check(frame, "first")["kept"].tolist() == [True, True]


def test_empty_and_bad_input() -> None:
    empty = _leads([])
    out = dedupe(empty, "first", "created_at")
    assert len(out) == 0 and {"kept", "duplicate_of"} <= set(out.columns)
    frame = _leads([("L1", "2026-11-01", None, None)])
    with pytest.raises(DataError) as e:
        dedupe(frame, "first", "created")
    assert "did you mean 'created_at'" in str(e.value) and "您是不是想写" in e.value.zh
    with pytest.raises(UserError):
        dedupe(frame, "middle", "created_at")  # type: ignore[arg-type]
    with pytest.raises(DataError) as e:
        dedupe(_leads([("L1", "yesterday-ish", None, None)]), "first", "created_at")
    assert "'yesterday-ish' is not a date" in str(e.value)
