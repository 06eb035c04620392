"""Cleaning 1M leads: ``clean_leads`` end to end (screening, de-duplication, summary).

    python benchmarks/leads.py                      # 1M leads, workers as clean_leads picks them
    python benchmarks/leads.py --leads 200K --workers 1
    python benchmarks/leads.py --naive 100K          # also the plain-loop baseline on a 100K sample

The leads are generated in memory with a fixed seed, in the mix of the demo's CRM export
(``northstar.scaffold.demo_leads``) but with people drawn from a large pool so that e-mails only
repeat for real duplicates: numbers from nine countries written in the ways people type them
(with and without the country code or ``00``, spaces, dashes, dots, brackets, ``(0)``, full-width
digits, extensions), 7 % junk (``11111111111``, ``n/a``, too short…), 3 % without a phone, 5 %
broken e-mails, and 10 % of leads a person signing up again through another channel, with the
number written another way.

The timed part is one call of :func:`northstar.leads.clean.clean_leads` on a pandas frame of
text columns (what ``northstar leads clean`` reads from a file), in this process; the peak
resident memory is reported for this process and for the largest worker process.

``--naive N`` times the obvious way on the first N leads: a plain Python loop calling
``phonenumbers.parse``, ``is_valid_number``, ``number_type``, ``region_code_for_number``,
``carrier.name_for_number`` and ``format_number`` for every row (phones only: no e-mails, flags or
de-duplication), extrapolated linearly to all leads — and checks that ``clean_leads`` gave the
same E.164 number, validity, type, region and carrier on every row of the sample.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from core_kpis import label, machine, parse_count, peak_rss_mb  # noqa: E402

from northstar.scaffold.demo_leads import INVALID_PHONES  # noqa: E402

COUNTRIES = ("CN", "US", "GB", "DE", "JP", "AU", "CA", "BR", "FR")
WEIGHTS = np.array([0.22, 0.26, 0.10, 0.10, 0.07, 0.06, 0.07, 0.06, 0.06])
CHANNELS = ("organic", "paid_search", "social", "email", "affiliate", "direct")
CHANNEL_W = np.array([0.22, 0.30, 0.16, 0.08, 0.10, 0.14])
COST = {"paid_search": 42.0, "social": 24.0, "email": 3.0, "affiliate": 30.0}
JUNK = (*INVALID_PHONES, "13800138000")  # the demo's junk, and the best-known test number
FULL_WIDTH = str.maketrans("0123456789+-() ", "０１２３４５６７８９＋－（）\u3000")
DOMAINS = (
    "qq.com",
    "163.com",
    "gmail.com",
    "outlook.com",
    "yahoo.co.jp",
    "web.de",
    "orange.fr",
    "uol.com.br",
)


def phone(country: str, d: str, style: int, mobile: bool) -> str:
    """A number of ``country`` from the 12 digits ``d``, written in style ``style``."""
    if country == "CN":
        n = "1" + "35789"[int(d[0]) % 5] + d[1:10]
        a, b, c = n[:3], n[3:7], n[7:]
        forms = [f"+86 {a} {b} {c}", f"{a} {b} {c}", n, f"+86-{a}-{b}-{c}", f"0086{n}", f"+86{n}"]
    elif country in ("US", "CA"):
        a, e, s = f"{2 + int(d[0]) % 8}{d[1:3]}", f"{2 + int(d[3]) % 8}{d[4:6]}", d[6:10]
        x = d[10:12].lstrip("0") or "1"
        forms = [
            f"({a}) {e}-{s}",
            f"{a}-{e}-{s}",
            f"+1 {a} {e} {s}",
            f"{a}{e}{s}",
            f"+1 ({a}) {e}-{s} ext. {x}",
            f"{a}.{e}.{s} x{x}",
            f"1-{a}-{e}-{s}",
        ]
    elif country == "GB":
        forms = (
            [f"+447{d[:3]} {d[3:9]}", f"07{d[:3]} {d[3:9]}", f"+44 7{d[:3]} {d[3:9]}"]
            if mobile
            else [f"+44 20 7{d[:3]} {d[3:7]}", f"020 7{d[:3]} {d[3:7]}", f"+44 (0)20 7{d[:3]} {d[3:7]}"]
        )
    elif country == "DE":
        m = ("15" + str(1 + int(d[0]) % 7) if mobile else "30") + d[1:9]
        k = len(m) - 8
        forms = [f"+49 {m[:k]} {m[k:]}", f"0{m[:k]} {m[k:]}", f"+49 (0){m[:k]}-{m[k : k + 4]} {m[k + 4 :]}"]
    elif country == "JP":
        m = ("90", "80", "70")[int(d[0]) % 3] if mobile else "3"
        a, b = d[1:5], d[5:9]
        forms = [f"+81 {m}-{a}-{b}", f"0{m}-{a}-{b}", f"0{m}{a}{b}", f"+81 {m} {a} {b}"]
    elif country == "AU":
        m = ("4" if mobile else "2") + d[:8]
        forms = [f"+61 {m[:3]} {m[3:6]} {m[6:]}", f"0{m[:3]} {m[3:6]} {m[6:]}", f"+61{m}"]
    elif country == "BR":
        a, b = d[:4], d[4:8]
        forms = [f"+55 11 9{a}-{b}", f"(11) 9{a}-{b}", f"+5511 9{a}{b}"]
    else:  # FR
        p = [d[i : i + 2] for i in range(0, 8, 2)]
        forms = [f"+33 6 {' '.join(p)}", f"06 {' '.join(p)}", f"+33 (0)6 {'.'.join(p)}", f"06{''.join(p)}"]
    return forms[style % len(forms)]


def generate(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` leads as text columns, like a CRM export (see the module docstring)."""
    rng = np.random.default_rng(seed)
    country = rng.choice(len(COUNTRIES), size=n, p=WEIGHTS)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_W)
    person = np.arange(n)
    again = (rng.random(n) < 0.10) & (person > 0)
    person[again] = (rng.random(again.sum()) * person[again]).astype(np.int64)
    person = _resolve(person)
    country = country[person]
    digits = rng.integers(0, 10**12, size=n)[person]
    mobile = (rng.random(n) < 0.7)[person]
    style = rng.integers(0, 8, size=n)
    roll = rng.random(n)
    junk_pick = rng.integers(0, len(JUNK), size=n)
    wide = rng.random(n) < 0.15
    mail_roll = rng.random(n)
    domain = rng.integers(0, len(DOMAINS), size=n)[person]
    phones: list[str | None] = []
    emails: list[str | None] = []
    for i in range(n):
        c = COUNTRIES[country[i]]
        if roll[i] < 0.03:
            phones.append(None)
        elif roll[i] < 0.10:
            phones.append(JUNK[junk_pick[i]])
        else:
            text = phone(c, f"{digits[i]:012d}", int(style[i]), bool(mobile[i]))
            phones.append(text.translate(FULL_WIDTH) if c in ("CN", "JP") and wide[i] else text)
        local = f"user{person[i]}"
        if mail_roll[i] < 0.04:
            emails.append(None)
        elif mail_roll[i] < 0.09:
            emails.append(f"{local}@{DOMAINS[domain[i]].split('.')[0]}")
        else:
            emails.append(
                f"{local}@{DOMAINS[domain[i]]}" if mail_roll[i] < 0.97 else f" {local.upper()}@X.COM "
            )
    start = np.datetime64("2026-01-01T00:00:00")
    created = start + np.sort(rng.integers(0, 300 * 86_400, size=n)).astype("timedelta64[s]")
    names = [CHANNELS[c] for c in channel]
    cost = np.array([COST.get(c, 0.0) for c in names]) * np.exp(rng.normal(0, 0.3, n))
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:07d}" for i in range(1, n + 1)],
            "phone": pd.Series(phones, dtype=object),
            "email": pd.Series(emails, dtype=object),
            "channel": names,
            "cost": np.round(cost, 2).astype(str),
            "created_at": pd.Series(created.astype(str)),
        }
    )


def _resolve(person: np.ndarray) -> np.ndarray:
    """Follow ``person`` links to the first sign-up (a repeat of a repeat is the same person)."""
    while True:
        nxt = person[person]
        if (nxt == person).all():
            return person
        person = nxt


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _chunk_peak(keys: list[str], regions: list[str]) -> float:
    from northstar.leads.phones import parse_keys

    parse_keys(keys, regions)
    return peak_rss_mb()


def worker_peak_mb(frame: pd.DataFrame, region: str) -> float:
    """Peak memory of a fresh worker process (as clean_leads starts them) parsing one chunk."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from northstar.leads.phones import phone_key
    from northstar.leads.screen import CHUNK

    keys = [phone_key(p) for p in frame["phone"].dropna().head(CHUNK)]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_chunk_peak, keys, [region] * len(keys)).result()


def naive(frame: pd.DataFrame, region: str) -> tuple[float, pd.DataFrame]:
    import phonenumbers
    from phonenumbers import carrier

    names = {
        getattr(phonenumbers.PhoneNumberType, k): k.lower()
        for k in dir(phonenumbers.PhoneNumberType)
        if k.isupper()
    }
    rows = []
    t0 = time.perf_counter()
    for raw in frame["phone"]:
        e164 = kind = where = name = None
        valid = False
        if raw is not None:
            try:
                n = phonenumbers.parse(raw, region)
                valid = phonenumbers.is_valid_number(n)
                if valid:
                    kind = names[phonenumbers.number_type(n)]
                    where = phonenumbers.region_code_for_number(n)
                    name = carrier.name_for_number(n, "en") or None
                    e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                pass
        rows.append((e164, valid, kind or "unknown", where, name))
    seconds = time.perf_counter() - t0
    return seconds, pd.DataFrame(
        rows, columns=["phone_e164", "phone_valid", "phone_type", "phone_region", "phone_carrier"]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leads", default="1M", help="how many leads (1M, 200K…)")
    ap.add_argument(
        "--workers", type=int, default=None, help="phone-parsing processes (default: clean_leads picks)"
    )
    ap.add_argument("--naive", default=None, help="also time the plain loop on this many leads (100K)")
    ap.add_argument("--region", default="CN")
    args = ap.parse_args()
    n = parse_count(args.leads)

    from northstar.leads.clean import clean_leads
    from northstar.spec.leads import LeadSet

    t0 = time.perf_counter()
    frame = generate(n)
    print(
        f"generated {label(n)} leads in {time.perf_counter() - t0:.1f} s ({frame['phone'].nunique():,} distinct phone texts)"
    )
    lead_set = LeadSet(source="leads", region=args.region, columns={"cost": "cost"})
    clean_leads(frame.head(2_000), lead_set, "created_at", workers=1)  # compile the Numba pass once
    load = os.getloadavg()[0]
    rss_before = peak_rss_mb()
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    result = clean_leads(frame, lead_set, "created_at", workers=args.workers)
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    children = worker_peak_mb(frame, args.region)
    total = result.summary.iloc[-1]
    print(machine())
    print(
        f"clean_leads on {label(n)} leads: {seconds:.1f} s wall ({n / seconds:,.0f} leads/s), "
        f"{cpu:.1f} s CPU in this process and its workers; load average before: {load:.1f}; "
        f"peak RSS {peak_rss_mb():.0f} MB in this process (before the call: {rss_before:.0f} MB), "
        f"a worker parsing one chunk: {children:.0f} MB"
    )
    print(
        f"clean {int(total['clean']):,}, rejected {int(total['rejected']):,}, duplicates {int(total['duplicates']):,}, "
        f"valid phones {total['valid_phone_pct']:.1%}, valid e-mails {total['valid_email_pct']:.1%}"
    )
    print(result.summary.to_string(index=False))
    if args.naive:
        m = min(parse_count(args.naive), n)
        loop, expected = naive(frame.head(m), args.region)
        got = result.leads.head(m)
        mismatches = 0
        for name in expected.columns:
            ours = [None if pd.isna(v) else v for v in got[name].tolist()]
            theirs = [None if pd.isna(v) else v for v in expected[name].tolist()]
            mismatches += sum(a != b for a, b in zip(ours, theirs, strict=True))
        per_lead = loop / m
        print(
            f"naive loop on {label(m)} leads: {loop:.1f} s, {per_lead * 1e6:.0f} µs per lead → "
            f"{per_lead * n:.0f} s for {label(n)} (extrapolated linearly, phones only); "
            f"clean_leads is {per_lead * n / seconds:.1f}x faster; values that differ: {mismatches}"
        )
        if mismatches:
            raise SystemExit("clean_leads and the naive loop disagree")


if __name__ == "__main__":
    main()
