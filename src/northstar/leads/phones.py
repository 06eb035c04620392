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

import phonenumbers
from phonenumbers import PhoneNumberType, carrier
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumberutil import _number_type_helper, national_significant_number

__all__ = [
    "REPEAT_RUN",
    "SEQUENCE_RUN",
    "TEST_NUMBERS",
    "PhoneFacts",
    "normalise_text",
    "phone_key",
    "read_numbers",
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
_TEST_RE = re.compile("|".join(f"(?:{p})" for p, _ in TEST_NUMBERS))
_REPEAT_RE = re.compile(rf"(\d)\1{{{REPEAT_RUN - 1}}}")
_UP, _DOWN = "0123456789", "9876543210"
_SEQUENCE_RE = re.compile(
    "|".join(s[i : i + SEQUENCE_RUN] for s in (_UP, _DOWN) for i in range(len(s) - SEQUENCE_RUN + 1))
)
_COMPACTABLE = re.compile(r"\+?[0-9 \-./()\[\]]+")
_SEPARATORS = re.compile(r"[ \-./()\[\]]")
_NON_DIGITS = re.compile(r"\D")
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

#: (e164, valid, type, region, carrier, extension, flags) for one key.
PhoneFacts = tuple[str | None, bool, str, str | None, str | None, str | None, str]
_UNREADABLE_TYPE = "unknown"


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


def read_numbers(keys: Sequence[str], regions: Sequence[str]) -> list[PhoneFacts]:
    """:func:`read_number` for each (key, region) pair; a top-level function for worker processes."""
    return [read_number(k, r) for k, r in zip(keys, regions, strict=True)]


def read_number(key: str, region: str) -> PhoneFacts:
    """What one number is (the tuple :data:`PhoneFacts`); ``key`` comes from :func:`phone_key`."""
    try:
        number = phonenumbers.parse(key, region)
    except phonenumbers.NumberParseException:
        return (None, False, _UNREADABLE_TYPE, None, None, None, _digit_flags(_NON_DIGITS.sub("", key)))
    nsn = national_significant_number(number)
    flags = _digit_flags(nsn)
    # is_valid_number and number_type both find the region, then match the national number
    # against its metadata; doing it once here gives the same answers (checked by a test).
    where = phonenumbers.region_code_for_number(number)
    metadata = (
        None
        if where is None
        else PhoneMetadata.metadata_for_region_or_calling_code(number.country_code or 0, where)
    )
    kind = PhoneNumberType.UNKNOWN if metadata is None else _number_type_helper(nsn, metadata)
    e164 = f"+{number.country_code}{nsn}"
    if _TEST_RE.fullmatch(e164):
        flags = f"{flags},test_number" if flags else "test_number"
    if kind == PhoneNumberType.UNKNOWN:
        return (None, False, _UNREADABLE_TYPE, None, None, None, flags)
    name = carrier.name_for_valid_number(number, "en") if kind in _CARRIER_TYPES else ""
    return (
        e164,
        True,
        _TYPES.get(kind, _UNREADABLE_TYPE),
        where if where != "001" else None,
        name or None,
        number.extension or None,
        flags,
    )


def _digit_flags(digits: str) -> str:
    flags = []
    if _REPEAT_RE.search(digits):
        flags.append("repeated_digits")
    if _SEQUENCE_RE.search(digits):
        flags.append("sequential_digits")
    return ",".join(flags)
