"""Wholesale leads for the sales team — deliberately messy, as CRM exports are.

Phone numbers come from eight countries in the formats people really type: with and without
the country code, with spaces, dashes, dots and brackets, in full-width digits, with extensions;
some are junk (``11111111111``, too short, ``n/a``) and some people sign up twice through
different channels with the same number written another way. Some emails are invalid too.

There are a few thousand rows, so the text is formatted in plain Python from numbers drawn
with the vectorised generator; the result is still fully determined by the seed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from northstar.scaffold.demo_tables import ids, timestamps
from northstar.scaffold.demo_world import CHANNELS, Calendar

LEAD_COUNTRIES = ("CN", "US", "GB", "DE", "JP", "AU", "CA", "BR", "FR")
_COUNTRY_W = np.array([0.22, 0.26, 0.10, 0.10, 0.07, 0.06, 0.07, 0.06, 0.06])
_UTC_OFFSET = np.array([8, -6, 0, 1, 9, 10, -5, -3, 1])
_CHANNEL_W = np.array([0.22, 0.30, 0.16, 0.08, 0.10, 0.14])
_CAMPAIGNS: dict[str, tuple[str | None, ...]] = {
    "organic": ("seo_wholesale_guide", "seo_blog"),
    "paid_search": ("search_wholesale_q4", "search_brand", "search_dropship"),
    "social": ("li_b2b_buyers", "fb_lookalike_q4"),
    "email": ("newsletter_b2b", "reactivation_q4"),
    "affiliate": ("partner_marketplaces", "partner_trade_show"),
    "direct": (None,),
}
_COST = {"paid_search": (42.0, 0.35), "social": (24.0, 0.4), "email": (3.0, 0.3), "affiliate": (30.0, 0.3)}
_OWNERS = {
    "apac": ("mei.lin@northstar-demo.shop", "kenji.sato@northstar-demo.shop"),
    "emea": ("anna.weber@northstar-demo.shop", "tom.hughes@northstar-demo.shop"),
    "americas": ("sarah.kim@northstar-demo.shop", "diego.alves@northstar-demo.shop"),
}
_REGION = {"CN": "apac", "JP": "apac", "AU": "apac", "GB": "emea", "DE": "emea", "FR": "emea"}
OUTCOMES = ("new", "contacted", "qualified", "won", "lost")

_WESTERN_FIRST = ("James", "Emma", "Olivia", "Noah", "Liam", "Ava", "Mia", "Lucas", "Grace", "Ethan")
_WESTERN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Martin", "Clark", "Lewis", "Walker")
# (written name, romanised) pairs; the romanised form makes the email address.
_NAMES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "CN": (
        (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang")),
        (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei")),
    ),
    "JP": (
        (("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka")),
        (("結衣", "yui"), ("翔", "sho"), ("健", "ken"), ("美咲", "misaki"), ("蓮", "ren")),
    ),
    "DE": (
        (("Müller", "mueller"), ("Schmidt", "schmidt"), ("Schneider", "schneider"), ("Fischer", "fischer")),
        (("Lukas", "lukas"), ("Anna", "anna"), ("Jonas", "jonas"), ("Lea", "lea"), ("Felix", "felix")),
    ),
    "FR": (
        (("Martin", "martin"), ("Bernard", "bernard"), ("Dubois", "dubois"), ("Lefèvre", "lefevre")),
        (("Camille", "camille"), ("Hugo", "hugo"), ("Léa", "lea"), ("Louis", "louis"), ("Chloé", "chloe")),
    ),
    "BR": (
        (("Silva", "silva"), ("Santos", "santos"), ("Oliveira", "oliveira"), ("Souza", "souza")),
        (("João", "joao"), ("Maria", "maria"), ("Pedro", "pedro"), ("Ana", "ana"), ("Gabriel", "gabriel")),
    ),
}
_DOMAINS = {
    "CN": ("qq.com", "163.com", "126.com"),
    "JP": ("yahoo.co.jp", "gmail.com"),
    "DE": ("web.de", "gmx.de"),
    "FR": ("orange.fr", "gmail.com"),
    "BR": ("uol.com.br", "gmail.com"),
    "GB": ("btinternet.com", "gmail.com"),
}
INVALID_PHONES = (  # what people type that is no phone number (the benchmark reuses them)
    "11111111111",
    "00000000",
    "12345",
    "138 0013 800",
    "+1 555",
    "n/a",
    "1234567890123456",
    "8888 8888 8888",
    "asdf",
    "+86 000 0000 0000",
    "555-5555",
    "-",
)
_FULL_WIDTH = str.maketrans("0123456789+-() ", "０１２３４５６７８９＋－（）\u3000")


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


_AREA_CODES = {
    "US": (
        212,
        213,
        310,
        312,
        415,
        512,
        602,
        617,
        646,
        702,
        713,
        718,
        773,
        786,
        808,
        818,
        917,
        949,
        972,
        206,
        303,
        404,
        503,
        615,
    ),
    "CA": (416, 604, 514, 403, 613, 647, 778, 905, 587, 780),
}


def _phone(digits: np.random.Generator, country: str, style: int) -> str:
    """A valid number of ``country`` written in one of its common styles.

    The number itself comes from ``digits`` only, so the same generator state gives the same
    number in every ``style``.
    """
    mobile = digits.random() < 0.7
    if country == "CN":
        n = "1" + "35789"[int(digits.integers(5))] + _digits(digits, 9)
        a, b, c = n[:3], n[3:7], n[7:]
        forms = [f"+86 {a} {b} {c}", f"{a} {b} {c}", n, f"+86-{a}-{b}-{c}", f"0086{n}", f"+86{n}"]
    elif country in ("US", "CA"):
        codes = _AREA_CODES[country]  # area codes in service: a random one is often unassigned
        a, e = str(codes[int(digits.integers(len(codes)))]), str(int(digits.integers(201, 999)))
        s, x = _digits(digits, 4), str(int(digits.integers(10, 400)))
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
        t = _digits(digits, 3)
        forms = (
            [f"+447700900{t}", f"07700 900{t}", f"+44 7700 900{t}"]
            if mobile
            else [f"+44 20 7946 0{t}", f"020 7946 0{t}", f"+44 (0)20 7946 0{t}"]
        )
    elif country == "DE":
        m = ("15" + str(int(digits.integers(1, 8))) if mobile else "30") + _digits(digits, 8)
        k = len(m) - 8
        forms = [f"+49 {m[:k]} {m[k:]}", f"0{m[:k]} {m[k:]}", f"+49 (0){m[:k]}-{m[k : k + 4]} {m[k + 4 :]}"]
    elif country == "JP":
        m = ("90", "80", "70")[int(digits.integers(3))] if mobile else "3"
        a, b = _digits(digits, 4), _digits(digits, 4)
        forms = [f"+81 {m}-{a}-{b}", f"0{m}-{a}-{b}", f"0{m}{a}{b}", f"+81 {m} {a} {b}"]
    elif country == "AU":
        m = ("4" if mobile else "2") + _digits(digits, 8)
        forms = [f"+61 {m[:3]} {m[3:6]} {m[6:]}", f"0{m[:3]} {m[3:6]} {m[6:]}", f"+61{m}"]
    elif country == "BR":
        a, b = _digits(digits, 4), _digits(digits, 4)
        forms = [f"+55 11 9{a}-{b}", f"(11) 9{a}-{b}", f"+5511 9{a}{b}"]
    else:  # FR
        p = [_digits(digits, 2) for _ in range(4)]
        forms = [f"+33 6 {' '.join(p)}", f"06 {' '.join(p)}", f"+33 (0)6 {'.'.join(p)}", f"06{''.join(p)}"]
    return forms[style % len(forms)]


def _person(rng: np.random.Generator, country: str) -> tuple[str, str]:
    """A (display name, email local part) for someone from ``country``."""
    if country in _NAMES:
        lasts, firsts = _NAMES[country]
        (last, last_r), (first, first_r) = lasts[rng.integers(len(lasts))], firsts[rng.integers(len(firsts))]
        name = f"{last}{first}" if country in ("CN", "JP") else f"{first} {last}"
    else:
        first = _WESTERN_FIRST[rng.integers(len(_WESTERN_FIRST))]
        last = _WESTERN_LAST[rng.integers(len(_WESTERN_LAST))]
        name, first_r, last_r = f"{first} {last}", first.lower(), last.lower()
    local = (f"{first_r}.{last_r}", f"{first_r}{last_r}{rng.integers(1, 99)}", f"{first_r[0]}{last_r}")
    return name, local[int(rng.integers(3))]


def _email(rng: np.random.Generator, country: str, local: str) -> str | None:
    domain_pool = _DOMAINS.get(country, ("gmail.com", "outlook.com", "yahoo.com"))
    domain = domain_pool[int(rng.integers(len(domain_pool)))]
    roll = rng.random()
    if roll < 0.04:
        return None
    if roll < 0.10:
        broken = (
            f"{local}@{domain.split('.')[0]}",
            f"{local}.{domain}",
            f"{local}@@{domain}",
            f"{local} @{domain}",
            f"{local}@{domain}.",
        )
        return broken[int(rng.integers(len(broken)))]
    return f"{local}@{domain}"


def _outcomes(
    rng: np.random.Generator,
    calendar: Calendar,
    created: np.ndarray,
    channel: np.ndarray,
    phones: list[str | None],
) -> tuple[np.ndarray, np.ndarray]:
    """Where each lead stands at the end of the period, and the deal value of won ones."""
    age = calendar.days - created / 86_400
    p = np.where(
        (age < 3)[:, None],
        [0.60, 0.35, 0.05, 0.0, 0.0],
        np.where((age < 14)[:, None], [0.10, 0.35, 0.25, 0.08, 0.22], [0.03, 0.12, 0.15, 0.20, 0.50]),
    )
    warm = np.isin(channel, [CHANNELS.index(c) for c in ("email", "direct", "organic")])
    p[:, 3] *= np.where(warm, 1.3, np.where(channel == CHANNELS.index("social"), 0.7, 1.0))
    unreachable = np.array([ph is None or ph in INVALID_PHONES for ph in phones])
    p[unreachable, 3] *= 0.2
    p /= p.sum(axis=1, keepdims=True)
    outcome = (rng.random(created.size)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    outcome = np.minimum(outcome, len(OUTCOMES) - 1)
    deal = np.round(np.exp(rng.normal(np.log(3500.0), 0.8, created.size)), -1)
    return outcome, np.where(outcome == OUTCOMES.index("won"), deal, np.nan)


def _distinct_emails(emails: list[str | None], dup_of: np.ndarray) -> list[str | None]:
    """Two different people do not share an inbox: when a generated address (common names make
    ``lsmith@gmail.com`` often) is already someone else's, a number goes after the name, as mail
    providers make people do. A person signing up again keeps their address. No random draw, so
    the other columns do not change."""
    person = np.arange(len(emails))
    for i, d in enumerate(dup_of):
        if d >= 0:
            person[i] = person[d]
    owner: dict[str, int] = {}
    out: list[str | None] = []
    for i, e in enumerate(emails):
        if e is None or e.count("@") != 1:
            out.append(e)
            continue
        key = e.strip().lower()
        if owner.setdefault(key, int(person[i])) != person[i]:
            local, domain = e.split("@")
            e = f"{local}{int(person[i]) % 9973}@{domain}"
            owner.setdefault(e.strip().lower(), int(person[i]))
        out.append(e)
    return out


def leads_table(rng: np.random.Generator, calendar: Calendar, users: int) -> pa.Table:
    n = max(60, round(users * 0.04))
    days = calendar.days
    country = rng.choice(len(LEAD_COUNTRIES), size=n, p=_COUNTRY_W)
    channel = rng.choice(len(CHANNELS), size=n, p=_CHANNEL_W)
    d = np.arange(days)
    w = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.35, 0.25])[calendar.weekday()] * (1 + 0.3 * d / days)
    day = np.sort(rng.choice(days, size=n, p=w / w.sum()))
    local_s = rng.normal(13.0, 2.6, n).clip(7, 21) * 3600
    created = day * 86_400 + local_s - _UTC_OFFSET[country] * 3600
    created += np.where(created < 0, 86_400, np.where(created >= days * 86_400, -86_400, 0))
    created = np.floor(np.sort(created))

    # Some people sign up again through another channel: same number, written another way.
    dup_of = np.where(rng.random(n) < 0.07, rng.integers(0, n, n), -1)
    dup_of[dup_of >= np.arange(n)] = -1
    names: list[str] = []
    phones: list[str | None] = []
    emails: list[str | None] = []
    people: list[tuple[str, int, str, int]] = []  # name, country, email local part, phone seed
    for i in range(n):
        if dup_of[i] >= 0:
            name, c, local, phone_seed = people[dup_of[i]]
            country[i] = c
            channel[i] = (channel[dup_of[i]] + 1 + rng.integers(len(CHANNELS) - 1)) % len(CHANNELS)
        else:
            c = int(country[i])
            name, local = _person(rng, LEAD_COUNTRIES[c])
            phone_seed = int(rng.integers(2**32))
        people.append((name, c, local, phone_seed))
        names.append(name)
        roll = rng.random()
        if roll < 0.03 and dup_of[i] < 0:
            phones.append(None)
        elif roll < 0.10 and dup_of[i] < 0:
            phones.append(INVALID_PHONES[int(rng.integers(len(INVALID_PHONES)))])
        else:
            # The digits come from the person's own seed, so a duplicate has the same number.
            text = _phone(np.random.default_rng(phone_seed), LEAD_COUNTRIES[c], int(rng.integers(8)))
            if LEAD_COUNTRIES[c] in ("CN", "JP") and rng.random() < 0.15:
                text = text.translate(_FULL_WIDTH)
            phones.append(text)
        emails.append(_email(rng, LEAD_COUNTRIES[c], local))

    emails = _distinct_emails(emails, dup_of)
    campaign: list[str | None] = []
    cost = np.zeros(n)
    for i, ch in enumerate(channel):
        name = CHANNELS[ch]
        options = _CAMPAIGNS[name]
        campaign.append(options[int(rng.integers(len(options)))])
        if name in _COST:
            median, sigma = _COST[name]
            cost[i] = round(float(median * np.exp(rng.normal(0, sigma))), 2)
    owner = [_OWNERS[_REGION.get(LEAD_COUNTRIES[c], "americas")][int(rng.integers(2))] for c in country]
    outcome, deal = _outcomes(rng, calendar, created, channel, phones)
    # A won or lost lead was closed some days after it came in (drawn after everything else, so
    # the columns above do not depend on it): a sales cycle of about 12 days, never past the end.
    cycle = np.exp(rng.normal(np.log(12.0), 0.6, n)) * 86_400
    closed = np.minimum(created + cycle, days * 86_400 - 1)
    done = np.isin(outcome, [OUTCOMES.index("won"), OUTCOMES.index("lost")])
    closed_at = timestamps(calendar, np.floor(np.where(done, closed, created)), unit="s")
    closed_at = pa.array(closed_at.to_pylist(), closed_at.type, mask=~done)
    return pa.table(
        {
            "lead_id": ids("L", n, 5),
            "name": pa.array(names, pa.string()),
            "phone": pa.array(phones, pa.string()),
            "email": pa.array(emails, pa.string()),
            "channel": pa.array([CHANNELS[c] for c in channel], pa.string()),
            "campaign": pa.array(campaign, pa.string()),
            "cost_usd": pa.array(cost, pa.float64()),
            "created_at": timestamps(calendar, created, unit="s"),
            "owner": pa.array(owner, pa.string()),
            "outcome": pa.array([OUTCOMES[o] for o in outcome], pa.string()),
            "deal_value": pa.array(deal, pa.float64(), mask=np.isnan(deal)),
            "closed_at": closed_at,
            "country": pa.array([LEAD_COUNTRIES[c] for c in country], pa.string()),  # as the CRM has it
        }
    )


# Sales' ratings: (score weights 1–5, reason codes) by what became of the lead.
_RATING = {
    "won": ((0.0, 0.0, 0.05, 0.35, 0.60), ("right_buyer", "budget_confirmed")),
    "qualified": ((0.0, 0.05, 0.25, 0.50, 0.20), ("right_buyer", "budget_confirmed", "needs_nurturing")),
    "contacted": ((0.10, 0.20, 0.40, 0.25, 0.05), ("needs_nurturing", "no_budget", "not_target")),
    "lost": ((0.25, 0.40, 0.25, 0.10, 0.0), ("no_budget", "not_target", "competitor")),
}


def lead_ratings_table(rng: np.random.Generator, leads: pa.Table, calendar: Calendar) -> pa.Table:
    """Sales' ratings of the leads they worked (``data/lead_ratings.csv``): a score from 1 to 5 and
    a reason, a day or two after the lead came in. New leads are not rated yet; a lead whose number
    is junk gets 1 (wrong contact); paid social's cheap leads are rated a notch lower (the seed's
    quarrel between marketing and sales)."""
    outcome = leads.column("outcome").to_pylist()
    phone = leads.column("phone").to_pylist()
    channel = leads.column("channel").to_pylist()
    created = leads.column("created_at").cast(pa.int64()).to_numpy() - calendar.start_epoch_s
    owner = leads.column("owner").to_pylist()
    ids_ = leads.column("lead_id").to_pylist()
    rows: dict[str, list[object]] = {k: [] for k in ("lead_id", "score", "reason", "rated_by", "rated_at")}
    end = calendar.days * 86_400
    for i, state in enumerate(outcome):
        if state == "new" or rng.random() > 0.85:
            continue
        if phone[i] is None or phone[i] in INVALID_PHONES:
            score, reason = 1, "wrong_contact"
        else:
            weights, reasons = _RATING[state]
            score = int(rng.choice(5, p=weights)) + 1
            if channel[i] == "social" and score > 1 and rng.random() < 0.5:
                score -= 1
            reason = reasons[int(rng.integers(len(reasons)))]
            if score <= 2 and state not in ("lost",):
                reason = ("not_target", "no_budget", "spam")[int(rng.integers(3))]
        offset = float(rng.uniform(0.2, 2.5)) * 86_400
        at = float(created[i]) + offset
        rows["lead_id"].append(ids_[i])
        rows["score"].append(score)
        rows["reason"].append(reason)
        rows["rated_by"].append(owner[i])
        rows["rated_at"].append(min(at, end - 1))
    return pa.table(
        {
            "lead_id": pa.array(rows["lead_id"], pa.string()),
            "score": pa.array(rows["score"], pa.int64()),
            "reason": pa.array(rows["reason"], pa.string()),
            "rated_by": pa.array(rows["rated_by"], pa.string()),
            "rated_at": timestamps(calendar, np.floor(np.array(rows["rated_at"], dtype=float)), unit="s"),
        }
    )
