"""One phone number, as :mod:`phonenumbers` reads it: E.164, validity, type, region, carrier, flags.

This module holds the per-number work of :mod:`northstar.leads.screen`; it is the only place
that calls :mod:`phonenumbers`. Its functions take plain strings and return plain tuples, so
that they run unchanged in worker processes.

**Text first.** The raw text is normalised before parsing: Unicode NFKC (full-width digits,
``＋``, ``（）``, ``－`` and the ideographic space become their ASCII forms), then every other
Unicode decimal digit (Arabic-Indic, Devanagari…) becomes its ASCII digit, then the ends are
trimmed. Text that is only an optional ``+`` and digits separated by spaces, ``-``, ``.``,
``/``, ``()`` or ``[]`` is *compacted* to ``+`` and digits (``+44 (0)20 7946 0123`` →
``+4402079460123``): phonenumbers ignores that punctuation, so both parse to the same number
(a test holds them equal), and the compact form lets one parse serve every way of writing it.

**Reading.** ``phonenumbers.parse(text, region)`` with the lead's region (numbers written with
``+`` or an international prefix such as ``00`` carry their own country). A number is *valid*
when ``phonenumbers.is_valid_number`` says so (its length and prefix fit a range allocated in
its country). For a valid number: ``e164`` (``+8613800138000``), ``type`` (``mobile``,
``fixed_line``, ``fixed_line_or_mobile``, ``toll_free``, ``premium_rate``, ``shared_cost``,
``voip``, ``personal_number``, ``pager``, ``uan``, ``voicemail``), ``region`` (ISO 3166 code;
None for non-geographic numbers such as +800), ``carrier`` (the English name of the carrier
the range was allocated to, for mobile and pager numbers where phonenumbers knows it — a
ported number may have moved since) and ``extension`` (``ext. 12``, ``x12``, ``#12`` → ``12``).
An invalid or unreadable number has none of these and ``type`` ``unknown``.

**Flags** (on the national significant number; for text phonenumbers cannot read, on its
digits):

- ``repeated_digits``: a run of :data:`REPEAT_RUN` (6) or more identical digits
  (``138 8888 8888``, ``11111111111``);
- ``sequential_digits``: :data:`SEQUENCE_RUN` (6) or more consecutive digits counting up or
  down by one (``139 1234 5678``, ``987654``), no wrap-around;
- ``test_number``: the number phonenumbers read (valid or not: phonenumbers itself calls some of
  these ranges invalid, such as Ofcom's 07700 900xxx) is reserved for fiction or widely used as
  a placeholder, by the list :data:`TEST_NUMBERS`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberType, carrier
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    ValidationResult,
    _extract_country_code,
    _maybe_strip_national_prefix_carrier_code,
    _set_italian_leading_zeros_for_phone_number,
    _test_number_length,
    national_significant_number,
    region_code_for_country_code,
)

__all__ = [
    "REPEAT_RUN",
    "SEQUENCE_RUN",
    "TEST_NUMBERS",
    "Parsed",
    "classify",
    "digit_flags",
    "normalise_text",
    "parse_keys",
    "parse_plus",
    "phone_key",
    "read_number",
]

REPEAT_RUN = 6
SEQUENCE_RUN = 6

#: (pattern on E.164, what it is). Each is a range set aside so that films, books and examples
#: never ring a real person, or a number everyone types when they do not want to give theirs.
TEST_NUMBERS: tuple[tuple[str, str], ...] = (
    (r"\+8613800138000", "CN: China Mobile's service line, the usual fake mobile number"),
    (r"\+1[2-9]\d{2}55501\d{2}", "NANP (US, CA…): 555-0100 to 555-0199, reserved for fiction"),
    (r"\+447700900\d{3}", "GB: Ofcom drama mobile numbers 07700 900000–900999"),
    (r"\+442079460\d{3}", "GB: Ofcom drama numbers, London 020 7946 0000–0999"),
    (r"\+44(?:11[3-8]|121|131|141|151|161)4960\d{3}", "GB: Ofcom drama numbers 01xx 496 0000–0999"),
    (r"\+441632960\d{3}", "GB: Ofcom drama numbers 01632 960000–960999"),
    (r"\+33(?:19900|26191|35301|46571|53649|63998)\d{4}", "FR: ARCEP numbers for fiction, 06 39 98 xx xx…"),
    (r"\+61[2378](?:5550|7010)\d{4}", "AU: ACMA fictitious-use numbers 0x 5550 xxxx, 0x 7010 xxxx"),
)
_TEST_PATTERN = "^(?:" + "|".join(f"(?:{p})" for p, _ in TEST_NUMBERS) + ")$"
_REPEAT_PATTERN = "|".join(str(d) * REPEAT_RUN for d in range(10))  # no back-references in RE2
_UP, _DOWN = "0123456789", "9876543210"
_SEQUENCE_PATTERN = "|".join(
    s[i : i + SEQUENCE_RUN] for s in (_UP, _DOWN) for i in range(len(s) - SEQUENCE_RUN + 1)
)
_COMPACTABLE = re.compile(r"\+?[0-9 \-./()\[\]]+")
_SEPARATORS = re.compile(r"[ \-./()\[\]]")
_NON_DIGITS = re.compile(r"\D")
_PLUS_DIGITS = re.compile(r"\+[0-9]{3,}")
# parse keeps the national prefix when stripping it leaves a number of these lengths
_KEEP_PREFIX = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
_TYPES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
_CARRIER_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER)

#: (country calling code or 0 when the text is not a number, national significant number — or
#: the text's digits when it is not —, extension or None, carrier name or '') for one key.
Parsed = tuple[int, str, str | None, str]
_CARRIER_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER)
# _number_type_helper's order: the first description a number matches gives its type.
_TYPE_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)


def normalise_text(text: str) -> str:
    """NFKC, other Unicode decimal digits as ASCII, ends trimmed (see the module docstring)."""
    if text.isascii():
        return text.strip()
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in text)
    return text.strip()


def phone_key(text: str) -> str:
    """The text phonenumbers is given: normalised, and compacted when it is only a number."""
    text = normalise_text(text)
    if _COMPACTABLE.fullmatch(text):
        return _SEPARATORS.sub("", text)
    return text


def parse_keys(keys: Sequence[str], regions: Sequence[str]) -> list[Parsed]:
    """``phonenumbers.parse`` of each (key, region) pair, and the carrier of the number's range.

    A top-level function of plain values, so that worker processes can run it. Validity and type
    come later, for all numbers at once (:func:`classify`).
    """
    out: list[Parsed] = []
    for key, region in zip(keys, regions, strict=True):
        number = parse_plus(key) if _PLUS_DIGITS.fullmatch(key) else None
        if number is None:
            try:
                number = phonenumbers.parse(key, region)
            except phonenumbers.NumberParseException:
                out.append((0, _NON_DIGITS.sub("", key), None, ""))
                continue
        # the carrier of the range (mobile and pager ranges only); classify keeps it for valid numbers
        name = carrier.name_for_valid_number(number, "en")
        out.append(
            (number.country_code or 0, national_significant_number(number), number.extension or None, name)
        )
    return out


def parse_plus(key: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse`` of ``+`` and ASCII digits, without the text handling it does not
    need (finding the number in the text, extensions, digit normalisation): the country calling
    code, then the national prefix stripped on phonenumbers' own condition. None when the text is
    not plain enough for that (no known calling code, too short or long): then ``parse`` decides.
    A test holds the answers equal to ``parse``'s.
    """
    digits = key[1:]
    code, national = _extract_country_code(digits)
    if code == 0 or len(key) > 250:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region_code_for_country_code(code))
    if metadata is None or len(national) < 2:
        return None
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, metadata)
    if _test_number_length(stripped, metadata) not in _KEEP_PREFIX:
        national = stripped
    if not 2 <= len(national) <= 17:
        return None
    number = phonenumbers.PhoneNumber(country_code=code)
    _set_italian_leading_zeros_for_phone_number(national, number)
    number.national_number = int(national)
    return number


def classify(country: np.ndarray, nsn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(type code, region or None) per number, as ``phonenumbers.number_type`` and
    ``region_code_for_number`` give them; type ``UNKNOWN`` (99) means not valid.

    The same rules as phonenumbers (``_number_type_helper``: the general description first, then
    premium rate, toll free … voicemail, then fixed line / mobile; for a calling code shared by
    several regions, the first region whose leading digits or patterns fit), evaluated for all
    numbers of a calling code at once with Arrow's regular expressions (RE2, which libphonenumber's
    C++ version uses too). A test holds the answers equal to phonenumbers' own.
    """
    n = len(country)
    kinds = np.full(n, int(PhoneNumberType.UNKNOWN), dtype=np.int64)
    where = np.full(n, None, dtype=object)
    for code in np.unique(country):
        rows = np.flatnonzero(country == code)
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(code))
        if not regions:
            continue
        numbers = pa.array(nsn[rows], pa.string())
        found = np.full(len(rows), None, dtype=object)
        if len(regions) == 1:
            found[:] = regions[0]
        else:
            for region in regions:
                metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
                if metadata is None:
                    continue
                open_ = found == None  # noqa: E711 - element-wise
                if not open_.any():
                    break
                if metadata.leading_digits is not None:
                    hit = _regex(numbers, f"^(?:{metadata.leading_digits})")
                else:
                    hit = _type_codes(numbers, metadata) != PhoneNumberType.UNKNOWN
                found[open_ & hit] = region
        where[rows] = found
        for region in {r for r in found if r is not None}:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(int(code), region)
            if metadata is None:
                continue
            sub = np.flatnonzero(found == region)
            kinds[rows[sub]] = _type_codes(pa.array(nsn[rows[sub]], pa.string()), metadata)
    return kinds, where


def _type_codes(numbers: pa.Array, metadata: Any) -> np.ndarray:
    """``_number_type_helper`` for an array of national numbers of one region."""
    kinds = np.full(len(numbers), int(PhoneNumberType.UNKNOWN), dtype=np.int64)
    open_ = _matches(numbers, metadata.general_desc)
    for attr, kind in _TYPE_ORDER:
        hit = open_ & _matches(numbers, getattr(metadata, attr))
        kinds[hit] = kind
        open_ &= ~hit
    fixed = open_ & _matches(numbers, metadata.fixed_line)
    if metadata.same_mobile_and_fixed_line_pattern:
        kinds[fixed] = PhoneNumberType.FIXED_LINE_OR_MOBILE
    else:
        mobile = _matches(numbers, metadata.mobile)
        kinds[fixed & mobile] = PhoneNumberType.FIXED_LINE_OR_MOBILE
        kinds[fixed & ~mobile] = PhoneNumberType.FIXED_LINE
        kinds[open_ & ~fixed & mobile] = PhoneNumberType.MOBILE
    return kinds


def _matches(numbers: pa.Array, desc: PhoneNumberDesc | None) -> np.ndarray:
    """``_is_number_matching_desc`` for an array: a possible length, and the whole pattern."""
    if desc is None or not desc.national_number_pattern:
        return np.zeros(len(numbers), dtype=bool)
    hit = _regex(numbers, f"^(?:{desc.national_number_pattern})$")
    if desc.possible_length:
        lengths = pc.utf8_length(numbers).to_numpy(zero_copy_only=False)
        hit &= np.isin(lengths, list(desc.possible_length))
    return hit


def _regex(numbers: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(numbers, pattern).fill_null(False).to_numpy(zero_copy_only=False)


def digit_flags(digits: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(``repeated_digits``, ``sequential_digits``) for an array of digit strings."""
    return _regex(digits, _REPEAT_PATTERN), _regex(digits, _SEQUENCE_PATTERN)


def test_numbers(e164: pa.Array) -> np.ndarray:
    """``test_number`` for an array of ``+``-prefixed numbers."""
    return _regex(e164, _TEST_PATTERN)


def carrier_type(kinds: np.ndarray) -> np.ndarray:
    """Types whose ranges have a carrier (mobile, fixed line or mobile, pager)."""
    return np.isin(kinds, _CARRIER_TYPES)


def type_name(kind: int) -> str:
    return _TYPES.get(kind, "unknown")


def read_number(text: str, region: str) -> dict[str, Any]:
    """Everything screening says about one number (for people and tests; :func:`screen` does
    the same for many numbers at once)."""
    import pandas as pd

    from northstar.leads.screen import screen
    from northstar.spec.leads import LeadColumns

    frame = pd.DataFrame({"lead_id": ["1"], "phone": [text]})
    row = screen(frame, LeadColumns(email=None), region, workers=1).iloc[0]
    return {k: row[k] for k in row.index if k.startswith("phone_")} | {"suspicious": row["suspicious"]}
