"""Screening: hand-checked numbers from 12 countries (tests/leads/data/numbers.yml), e-mails, flags
and the reject rule; the fast paths held equal to phonenumbers' own answers."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pytest
import yaml

from northstar.errors import UserError
from northstar.leads import screen as screen_module
from northstar.leads.phones import classify, normalise_text, parse_plus, phone_key
from northstar.leads.screen import SCREEN_COLUMNS, screen
from northstar.spec.leads import LeadColumns

CASES = yaml.safe_load((Path(__file__).parent / "data" / "numbers.yml").read_text(encoding="utf-8"))
COLUMNS = LeadColumns(region="country")


def _frame(phones: list[str | None], emails: list[str | None] | None = None, **extra: list) -> pd.DataFrame:
    n = len(phones)
    return pd.DataFrame(
        {"lead_id": [f"L{i:03d}" for i in range(n)], "phone": phones, "email": emails or [None] * n, **extra}
    )


def test_the_cases_cover_many_countries_and_formats() -> None:
    assert len(CASES) >= 30
    assert len({c["where"] for c in CASES if c["where"]}) >= 9
    texts = [c["text"] for c in CASES]
    assert any(t.startswith("00") for t in texts) and any("x12" in t or "ext." in t for t in texts)
    assert any(not t.isascii() for t in texts) and any("(0)" in t for t in texts)


def test_hand_checked_numbers_with_a_region_per_lead() -> None:
    frame = _frame([c["text"] for c in CASES], country=[c["region"] for c in CASES])
    out = screen(frame, COLUMNS, "CN", shared_leads=100, workers=1)
    for case, (_, row) in zip(CASES, out.iterrows(), strict=True):
        got = {
            "e164": row["phone_e164"],
            "type": row["phone_type"],
            "where": row["phone_region"],
            "extension": row["phone_extension"],
            "flags": row["suspicious"],
        }
        expected = {
            "e164": case["e164"],
            "type": case["type"],
            "where": case["where"],
            "extension": case.get("extension"),
            "flags": case.get("flags", ""),
        }
        assert got == expected, case["text"]
        assert row["phone_valid"] == (case["e164"] is not None), case["text"]
        if "carrier" in case:
            assert row["phone_carrier"] == case["carrier"], case["text"]


def test_the_leads_region_decides_numbers_without_a_country_code() -> None:
    frame = _frame(["020 7946 0123"] * 4, country=["GB", None, "XX", " gb "])
    out = screen(frame, COLUMNS, "CN", workers=1)
    # London's drama number for GB leads; Guangzhou 020 under the default CN (unknown XX, empty)
    assert out["phone_e164"].tolist() == ["+442079460123", "+862079460123", "+862079460123", "+442079460123"]
    assert out["phone_region"].tolist() == ["GB", "CN", "CN", "GB"]


def test_no_region_column_uses_the_default() -> None:
    out = screen(_frame(["(212) 736-5000"]), LeadColumns(), "US", workers=1)
    assert out["phone_e164"].iloc[0] == "+12127365000"
    out = screen(_frame(["(212) 736-5000"]), LeadColumns(), "CN", workers=1)
    # read as Chinese it is Shanghai (021) 2736 5000: the region matters
    assert (out["phone_e164"].iloc[0], out["phone_type"].iloc[0]) == ("+862127365000", "fixed_line")


@pytest.mark.parametrize(
    "raw", [c["text"] for c in CASES] + ["+44 (0)20-7946.0123", "[010] 6552/9988", "-", "+"]
)
def test_compacting_the_text_does_not_change_the_reading(raw: str) -> None:
    def read(text: str, region: str) -> object:
        try:
            return phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException as e:
            return e.error_type

    for region in ("CN", "US", "GB", "DE"):
        assert read(phone_key(raw), region) == read(normalise_text(raw), region), (raw, region)


def _corpus() -> list[phonenumbers.PhoneNumber]:
    """phonenumbers' example number of every type in every region and non-geographic code, each
    also with its last digit changed, one digit dropped and one added (mostly invalid)."""
    numbers = []
    types = [
        getattr(phonenumbers.PhoneNumberType, t) for t in dir(phonenumbers.PhoneNumberType) if t.isupper()
    ]
    examples = [
        phonenumbers.example_number_for_type(r, t)
        for r in sorted(phonenumbers.SUPPORTED_REGIONS)
        for t in types
    ]
    examples += [
        phonenumbers.example_number_for_non_geo_entity(c)
        for c in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
    ]
    for ex in filter(None, examples):
        nsn = phonenumbers.national_significant_number(ex)
        for variant in (nsn, nsn[:-1] + str((int(nsn[-1]) + 3) % 10), nsn[:-1], nsn + "7"):
            with contextlib.suppress(phonenumbers.NumberParseException):
                numbers.append(phonenumbers.parse(f"+{ex.country_code}{variant}"))
    return numbers


def test_classify_equals_phonenumbers_on_every_region_and_type() -> None:
    numbers = _corpus()
    assert len(numbers) > 3000
    country = np.array([n.country_code for n in numbers], dtype=np.int64)
    nsn = np.array([phonenumbers.national_significant_number(n) for n in numbers], dtype=object)
    kinds, where = classify(country, nsn)
    for n, kind, region in zip(numbers, kinds, where, strict=True):
        assert kind == phonenumbers.number_type(n), n
        assert (kind != phonenumbers.PhoneNumberType.UNKNOWN) == phonenumbers.is_valid_number(n), n
        assert region == phonenumbers.region_code_for_number(n), n


def test_the_plus_fast_path_equals_parse() -> None:
    rng = np.random.default_rng(11)
    keys = []
    for n in _corpus():
        nsn = phonenumbers.national_significant_number(n)
        keys += [f"+{n.country_code}{nsn}", f"+{n.country_code}0{nsn}", f"+{n.country_code}00{nsn}"]
    keys += [f"+{''.join(map(str, rng.integers(0, 10, rng.integers(3, 20))))}" for _ in range(3000)]
    keys += ["+000", "+123", "+1", "+99999", "+8613800138000", "+39" + "0" * 12, "+" + "1" * 30]
    fast = 0
    for key in keys:
        got = parse_plus(key) if len(key) > 3 else None
        if got is None:
            continue
        fast += 1
        for region in ("CN", "US"):
            assert got == phonenumbers.parse(key, region), key
    assert fast > 0.8 * len(keys)


@pytest.mark.parametrize(
    ("raw", "norm", "valid"),
    [
        ("  Li.Wei@163.COM ", "li.wei@163.com", True),
        ("ｌｉ＠１６３.ｃｏｍ", "li@163.com", True),
        ("li+tag@gmail.com", "li+tag@gmail.com", True),
        ("o'brien@example.ie", "o'brien@example.ie", True),
        ("li@xn--fiqs8s.cn", "li@xn--fiqs8s.cn", True),
        ("a@b.co", "a@b.co", True),
        ("li@163", "li@163", False),
        ("li@@163.com", "li@@163.com", False),
        ("li @163.com", "li @163.com", False),
        ("li@163.com.", "li@163.com.", False),
        ("li.163.com", "li.163.com", False),
        (".li@163.com", ".li@163.com", False),
        ("li..wei@163.com", "li..wei@163.com", False),
        ("li@-163.com", "li@-163.com", False),
        ("li@163.c", "li@163.c", False),
        ("张三@例子.中国", "张三@例子.中国", False),
        ("x" * 65 + "@163.com", "x" * 65 + "@163.com", False),
        ("   ", None, False),
    ],
)
def test_emails(raw: str, norm: str | None, valid: bool) -> None:
    out = screen(_frame([None], [raw]), LeadColumns(), "CN", workers=1)
    assert out["email_norm"].iloc[0] == norm
    assert bool(out["email_valid"].iloc[0]) is valid


def test_reject_reasons_and_flags() -> None:
    rows = [
        # phone, e-mail → reject reason, flags
        ("139 5717 2048", None, None, ""),
        ("n/a", "li@163.com", None, ""),  # a usable e-mail keeps the lead
        ("n/a", None, "invalid phone", ""),
        ("n/a", "li@163", "invalid phone, invalid email", ""),
        (None, "li@163", "invalid email", ""),
        (None, None, "no contact", ""),
        ("", "  ", "no contact", ""),
        ("13800138000", None, "test number", "test_number"),
        ("13800138000", "wei@163.com", None, "test_number"),
        ("+44 7700 900123", "x@y", "test number, invalid email", "test_number"),
        (None, "a@mailinator.com", "disposable email", "disposable_email"),
        ("139 1234 5678", "a@sub.mailinator.com", None, "sequential_digits,disposable_email"),
        ("11111111111", None, "invalid phone", "repeated_digits"),
    ]
    out = screen(_frame([r[0] for r in rows], [r[1] for r in rows]), LeadColumns(), "CN", workers=1)
    assert out["reject_reason"].tolist() == [r[2] for r in rows]
    assert out["suspicious"].tolist() == [r[3] for r in rows]


def test_one_number_on_five_leads_is_flagged_on_each() -> None:
    phones = [
        "139 5717 2048",
        "+86 139 5717 2048",
        "13957172048",
        "0086-139-5717-2048",
        "１３９５７１７２０４８",
    ]
    phones += ["131 6208 4957"] * 4 + ["n/a"] * 6
    out = screen(_frame(phones), LeadColumns(), "CN", workers=1)
    assert out["suspicious"].tolist() == ["shared_phone"] * 5 + [""] * 10
    assert (
        screen(_frame(phones), LeadColumns(), "CN", shared_leads=4, workers=1)["suspicious"].tolist()[5:9]
        == ["shared_phone"] * 4
    )


def test_input_is_kept_and_not_changed() -> None:
    frame = _frame(["139 5717 2048", None], ["a@b.co", None], country=["CN", "GB"])
    before = frame.copy()
    out = screen(frame, COLUMNS, "CN", workers=1)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == list(frame.columns) + list(SCREEN_COLUMNS)
    pd.testing.assert_frame_equal(out[frame.columns], frame)


def test_numbers_stored_as_numbers() -> None:
    frame = pd.DataFrame({"lead_id": [1, 2], "phone": [13957172048, 13162084957.0]})
    out = screen(frame, LeadColumns(), "CN", workers=1)
    assert out["phone_e164"].tolist() == ["+8613957172048", "+8613162084957"]


def test_empty_and_unmapped() -> None:
    out = screen(_frame([]), LeadColumns(), "CN", workers=1)
    assert len(out) == 0 and list(out.columns)[-len(SCREEN_COLUMNS) :] == list(SCREEN_COLUMNS)
    only_mail = pd.DataFrame({"lead_id": ["a"], "mail": ["a@b.co"]})
    out = screen(only_mail, LeadColumns(phone=None, email="mail"), "CN", workers=1)
    assert out["reject_reason"].tolist() == [None] and out["phone_type"].tolist() == ["unknown"]


def test_unknown_region_is_refused_in_both_languages() -> None:
    with pytest.raises(UserError) as e:
        screen(_frame(["1"]), LeadColumns(), "China", workers=1)
    assert "ISO code" in str(e.value) and "ISO 代码" in e.value.zh


def test_worker_processes_give_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    phones = [
        f"+86 1{rng.integers(30, 99)} {rng.integers(1000, 9999)} {rng.integers(1000, 9999)}"
        for _ in range(900)
    ]
    phones += [
        f"({rng.integers(201, 989)}) {rng.integers(201, 999)}-{rng.integers(1000, 9999)}" for _ in range(300)
    ]
    frame = _frame(phones, country=["CN"] * 900 + ["US"] * 300)
    alone = screen(frame, COLUMNS, "CN", workers=1)
    monkeypatch.setattr(screen_module, "CHUNK", 200)
    seen: list[float] = []
    together = screen(frame, COLUMNS, "CN", workers=2, progress=lambda stage, f: seen.append(f))
    pd.testing.assert_frame_equal(alone, together)
    assert seen[-1] == 1.0 and len(seen) >= 6
