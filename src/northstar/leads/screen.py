"""Screening leads: what each lead's phone number and e-mail address are worth, offline.

:func:`screen` takes the leads as they were imported and adds these columns (pure: pandas in,
pandas out; the input frame is not changed):

``phone_e164``, ``phone_valid``, ``phone_type``, ``phone_region``, ``phone_carrier``,
``phone_extension``
    The phone number read with :mod:`phonenumbers` in the lead's region — the ``region`` column
    of the lead set when it holds a region phonenumbers knows, else the default ``region``. The
    exact rules (text normalisation, validity, type, carrier) are in
    :mod:`northstar.leads.phones`. Only valid numbers get an E.164 form, region and carrier.
``email_norm``, ``email_valid``
    The address normalised and checked by the syntax rule of :mod:`northstar.leads.emails`.
``suspicious``
    Comma-separated flags, in this order, or ``''``: ``repeated_digits``, ``sequential_digits``,
    ``test_number`` (see :mod:`~northstar.leads.phones`), ``shared_phone`` — the same valid
    number is on :data:`SHARED_LEADS` (5) or more leads of the frame, ``disposable_email``
    (see :mod:`~northstar.leads.emails`). Flags warn; only ``test_number`` and
    ``disposable_email`` also make a contact unusable (below).
``reject_reason``
    None when the lead can be reached: it has a *usable phone* (valid and not a test number) or
    a *usable e-mail* (valid and not disposable). Otherwise the reasons, joined by ``", "`` in
    this order: ``test number`` (the phone is a test number, valid or not), ``invalid phone`` (a
    phone was given but is not a valid number, nor a test number), ``disposable email``, ``invalid email`` (an
    address was given but fails the syntax rule), or ``no contact`` when neither a phone nor an
    address was given. A lead with a usable e-mail and a junk phone is kept (the phone is not
    usable, the lead is).

**Speed.** Phone numbers are parsed once per distinct (compacted text, region) pair, and all the
rest is vectorised with pandas. With ``workers`` > 1 (by default, when there are more than
:data:`PARALLEL_FROM` distinct numbers and more than one core) the distinct numbers are parsed by
that many processes in chunks of :data:`CHUNK` numbers.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd
import phonenumbers

from northstar.leads.emails import email_facts
from northstar.leads.phones import PhoneFacts, phone_key, read_numbers
from northstar.spec.leads import LeadColumns

__all__ = ["CHUNK", "PARALLEL_FROM", "SCREEN_COLUMNS", "SHARED_LEADS", "Progress", "screen"]

SHARED_LEADS = 5
PARALLEL_FROM = 40_000
CHUNK = 25_000
SCREEN_COLUMNS = (
    "phone_e164",
    "phone_valid",
    "phone_type",
    "phone_region",
    "phone_carrier",
    "phone_extension",
    "email_norm",
    "email_valid",
    "suspicious",
    "reject_reason",
)
_FLAG_ORDER = ("repeated_digits", "sequential_digits", "test_number", "shared_phone", "disposable_email")

#: progress(stage, done fraction 0…1)
Progress = Callable[[str, float], None]


def screen(
    frame: pd.DataFrame,
    columns: LeadColumns,
    region: str,
    *,
    shared_leads: int = SHARED_LEADS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """The leads of ``frame`` with the columns of the module docstring added."""
    region = region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        from northstar.errors import UserError

        raise UserError(
            f"{region!r} is not a region phonenumbers knows: write an ISO code such as CN, US, GB",
            f"phonenumbers 不认识地区 {region!r}：请写 ISO 代码，例如 CN、US、GB",
        )
    n = len(frame)
    out = frame.copy()
    phones = _column(frame, columns.phone)
    facts = _phone_facts(phones, _regions(frame, columns.region, region), workers, progress)
    e164, valid, kind, where, carrier, extension, phone_flags = facts
    out["phone_e164"] = e164
    out["phone_valid"] = valid
    out["phone_type"] = kind
    out["phone_region"] = where
    out["phone_carrier"] = carrier
    out["phone_extension"] = extension

    emails = _column(frame, columns.email)
    email_norm, email_valid, throwaway = email_facts(emails)
    out["email_norm"] = email_norm.to_numpy()
    out["email_valid"] = email_valid.to_numpy()

    e164_s = pd.Series(e164, dtype=object)
    counts = e164_s.map(e164_s.value_counts(dropna=True))
    shared = (counts >= shared_leads).to_numpy(dtype=bool)
    flags = {name: np.zeros(n, dtype=bool) for name in _FLAG_ORDER}
    for name in ("repeated_digits", "sequential_digits", "test_number"):
        flags[name] = (
            pd.Series(phone_flags, dtype=object).str.contains(name, regex=False).to_numpy(dtype=bool)
        )
    flags["shared_phone"] = shared
    flags["disposable_email"] = throwaway.to_numpy(dtype=bool)
    out["suspicious"] = _join(flags, _FLAG_ORDER, n)

    test = flags["test_number"]
    usable = (valid & ~test) | (email_valid.to_numpy() & ~flags["disposable_email"])
    has_phone = phones.notna().to_numpy() & (phones.astype(str).str.strip() != "").to_numpy()
    has_email = email_norm.notna().to_numpy()
    reasons = {
        "test number": test,
        "invalid phone": has_phone & ~valid & ~test,
        "disposable email": flags["disposable_email"],
        "invalid email": has_email & ~email_valid.to_numpy(),
        "no contact": ~has_phone & ~has_email,
    }
    joined = _join({k: v & ~usable for k, v in reasons.items()}, tuple(reasons), n, sep=", ")
    joined[usable] = None
    out["reject_reason"] = joined
    if progress:
        progress("screen", 1.0)
    return out


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    """The column as text (None for missing and blank cells), or all None when not mapped."""
    if name is None or name not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    col = frame[name]
    text = col.map(_text, na_action="ignore").astype(object)
    return text.where(col.notna(), None)


def _text(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone column read as numbers
    out = str(value)
    return out if out.strip() else None


def _regions(frame: pd.DataFrame, column: str | None, default: str) -> np.ndarray:
    if column is None or column not in frame.columns:
        return np.full(len(frame), default, dtype=object)
    given = frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip().str.upper()
    known = given.isin(phonenumbers.SUPPORTED_REGIONS)
    return np.where(known, given, default).astype(object)


def _phone_facts(
    phones: pd.Series, regions: np.ndarray, workers: int | None, progress: Progress | None
) -> tuple[np.ndarray, ...]:
    """The seven :data:`PhoneFacts` columns for every row, parsing each distinct key once."""
    n = len(phones)
    present = phones.notna().to_numpy()
    keys = np.full(n, None, dtype=object)
    raw_codes, raw_uniques = pd.factorize(phones[present].to_numpy(dtype=object))
    raw_keys = np.array([phone_key(str(v)) for v in raw_uniques], dtype=object)
    keys[present] = raw_keys[raw_codes] if len(raw_keys) else np.array([], dtype=object)
    pairs = pd.Series(keys[present]) + "\x00" + pd.Series(regions[present])
    codes, uniques = pd.factorize(pairs.to_numpy(dtype=object))
    split = [u.split("\x00") for u in uniques]
    facts = _parse_all([k for k, _ in split], [r for _, r in split], workers, progress)
    columns: list[np.ndarray] = []
    blank: PhoneFacts = (None, False, "unknown", None, None, None, "")
    for j, empty in enumerate(blank):
        values = np.array([f[j] for f in facts] + [empty], dtype=bool if j == 1 else object)
        full = np.full(n, empty, dtype=bool if j == 1 else object)
        full[present] = values[codes] if len(codes) else values[:0]
        columns.append(full)
    return tuple(columns)


def _parse_all(
    keys: list[str], regions: list[str], workers: int | None, progress: Progress | None
) -> list[PhoneFacts]:
    total = len(keys)
    if workers is None:
        workers = min(_cores(), 4) if total > PARALLEL_FROM else 1
    chunks = [(keys[i : i + CHUNK], regions[i : i + CHUNK]) for i in range(0, total, CHUNK)]
    out: list[PhoneFacts] = []
    if workers <= 1 or len(chunks) <= 1:
        for k, r in chunks:
            out += read_numbers(k, r)
            if progress:
                progress("phones", len(out) / total)
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for part in pool.map(read_numbers, *zip(*chunks, strict=True)):
            out += part
            if progress:
                progress("phones", len(out) / total)
    return out


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _join(flags: dict[str, np.ndarray], order: tuple[str, ...], n: int, sep: str = ",") -> np.ndarray:
    """Per row, the names whose mask is set, in ``order``, joined by ``sep`` ('' when none)."""
    out = np.full(n, "", dtype=object)
    for name in order:
        mask = flags[name]
        if not mask.any():
            continue
        prefix = np.where(out[mask] == "", "", sep)
        out[mask] = out[mask] + prefix + name
    return out
