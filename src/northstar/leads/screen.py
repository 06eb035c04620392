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
import pyarrow as pa
from phonenumbers import PhoneNumberType

from northstar.leads.emails import email_facts
from northstar.leads.phones import (
    Parsed,
    carrier_type,
    classify,
    digit_flags,
    parse_keys,
    phone_key,
    test_numbers,
    type_name,
)
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
    for name in SCREEN_COLUMNS[:6]:
        out[name] = _series(facts[name], out.index)
    valid = facts["phone_valid"]

    emails = _column(frame, columns.email)
    email_norm, email_valid, throwaway = email_facts(emails)
    out["email_norm"] = _series(email_norm.to_numpy(dtype=object), out.index)
    out["email_valid"] = email_valid.to_numpy()

    e164 = pd.Series(facts["phone_e164"], dtype=object)
    counts = e164.map(e164.value_counts(dropna=True))
    flags = {name: facts[name] for name in ("repeated_digits", "sequential_digits", "test_number")}
    flags["shared_phone"] = (counts >= shared_leads).to_numpy(dtype=bool)
    flags["disposable_email"] = throwaway.to_numpy(dtype=bool)
    out["suspicious"] = _series(_join(flags, _FLAG_ORDER, n), out.index)

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
    out["reject_reason"] = _series(joined, out.index)
    if progress:
        progress("screen", 1.0)
    return out


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    """The column as text (None for missing and blank cells), or all None when not mapped."""
    if name is None or name not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    col = frame[name]
    if isinstance(col.dtype, pd.StringDtype):
        text = col.astype("string")
    else:  # numbers (a phone column Excel stored as numbers) or mixed objects
        text = col.map(_text, na_action="ignore").astype("string")
    blank = text.str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    out = text.astype(object).to_numpy(dtype=object, copy=True)
    out[blank] = None
    return pd.Series(out, index=frame.index, dtype=object)


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
) -> dict[str, np.ndarray]:
    """The phone columns and flags for every row, parsing each distinct (key, region) once."""
    n = len(phones)
    present = phones.notna().to_numpy()
    raw_codes, raw_uniques = pd.factorize(phones[present].to_numpy(dtype=object))
    keys = [phone_key(str(v)) for v in raw_uniques]
    key_codes, key_uniques = pd.factorize(pd.Series(keys, dtype=object))
    region_codes, region_uniques = pd.factorize(pd.Series(regions[present], dtype=object))
    pair = key_codes[raw_codes].astype(np.int64) * max(len(region_uniques), 1) + region_codes
    codes, unique_pairs = pd.factorize(pair)
    key_of = np.asarray(key_uniques, dtype=object)[unique_pairs // max(len(region_uniques), 1)]
    region_of = np.asarray(region_uniques, dtype=object)[unique_pairs % max(len(region_uniques), 1)]
    parsed = _parse_all(list(key_of), list(region_of), workers, progress)
    country = np.array([p[0] for p in parsed], dtype=np.int64)
    nsn = np.array([p[1] for p in parsed], dtype=object)
    kinds, where = classify(country, nsn)
    valid = kinds != PhoneNumberType.UNKNOWN
    e164 = np.array([f"+{c}{d}" if c else "" for c, d in zip(country, nsn, strict=True)], dtype=object)
    repeated, sequential = digit_flags(pa.array(nsn, pa.string()))
    carriers = np.array([p[3] or None for p in parsed], dtype=object)
    extensions = np.array([p[2] for p in parsed], dtype=object)
    per_key = {
        "phone_e164": _only(e164, valid),
        "phone_valid": valid,
        "phone_type": np.array([type_name(int(k)) for k in kinds], dtype=object),
        "phone_region": _only(where, valid & (where != "001")),
        "phone_carrier": _only(carriers, valid & carrier_type(kinds)),
        "phone_extension": _only(extensions, valid),
        "repeated_digits": repeated,
        "sequential_digits": sequential,
        "test_number": test_numbers(pa.array(e164, pa.string())) & (country > 0),
    }
    out: dict[str, np.ndarray] = {}
    for name, values in per_key.items():
        empty = False if values.dtype == bool else ("unknown" if name == "phone_type" else None)
        full = np.full(n, empty, dtype=values.dtype if values.dtype == bool else object)
        full[present] = values[codes] if len(codes) else values[:0]
        out[name] = full
    return out


def _parse_all(
    keys: list[str], regions: list[str], workers: int | None, progress: Progress | None
) -> list[Parsed]:
    total = len(keys)
    if workers is None:
        workers = min(_cores(), 4) if total > PARALLEL_FROM else 1
    chunks = [(keys[i : i + CHUNK], regions[i : i + CHUNK]) for i in range(0, total, CHUNK)]
    out: list[Parsed] = []
    if workers <= 1 or len(chunks) <= 1:
        for k, r in chunks:
            out += parse_keys(k, r)
            if progress:
                progress("phones", len(out) / total)
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for part in pool.map(parse_keys, *zip(*chunks, strict=True)):
            out += part
            if progress:
                progress("phones", len(out) / total)
    return out


def _series(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Text columns stay ``object`` so that missing values are None (not NaN); flags stay bool."""
    return pd.Series(values, index=index, dtype=bool if values.dtype == bool else object)


def _only(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[~keep] = None
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
