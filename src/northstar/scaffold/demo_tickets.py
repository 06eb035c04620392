"""Support tickets: what goes wrong after people buy, and how fast support sorts it out.

Most tickets follow an order by a few days (where is my parcel, customs duties, wrong size);
some are account questions from any visitor; and the injected incidents leave their mark —
shoppers whose payment failed during the outage (or the checkout bug) write in the same day.

Each ticket has a support channel (``contact_channel``: email, chat, phone; a column of its own so
that ``channel`` always means the marketing channel), a first response, a number of contacts
until resolution (1 = solved on first contact), a resolution time and, for about six in ten
resolved tickets, a CSAT score from 1 to 5 that falls with slow or repeated contacts. Tickets
still open at the end of the period have no resolution time and no score.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from northstar.scaffold.demo_commerce import Orders
from northstar.scaffold.demo_tables import ids, pick, timestamps
from northstar.scaffold.demo_traffic import DAY_S, Sessions
from northstar.scaffold.demo_world import COUNTRIES, DEVICES, Calendar, IncidentPlan

SUPPORT_CHANNELS = ("email", "chat", "phone")
CATEGORIES = ("shipping", "customs_duties", "product", "refund", "payment", "account")
_ORDER_CATEGORY_US = np.array([0.40, 0.02, 0.25, 0.22, 0.06, 0.05])
_ORDER_CATEGORY_ABROAD = np.array([0.34, 0.18, 0.20, 0.18, 0.05, 0.05])
_FCR = np.array([0.56, 0.70, 0.74])  # first-contact resolution by support channel


def _failed_checkouts(
    rng: np.random.Generator, sessions: Sessions, plan: IncidentPlan, share: float
) -> np.ndarray:
    """Visits that hit an incident at checkout and whose shopper writes in about it."""
    out, bug = plan.outage, plan.checkout_bug
    failed = sessions.checkout & ~sessions.purchase
    at_outage = (sessions.device == DEVICES.index(out.where["device"])) & (sessions.day >= out.first_day)
    at_outage &= sessions.day <= out.last_day
    at_bug = (sessions.country == COUNTRIES.index(bug.where["country"])) & (sessions.day >= bug.first_day)
    at_bug &= sessions.day <= bug.last_day
    hit = np.flatnonzero(failed & (at_outage | at_bug))
    return hit[rng.random(hit.size) < share]


def tickets_table(
    rng: np.random.Generator,
    calendar: Calendar,
    sessions: Sessions,
    orders: Orders,
    plan: IncidentPlan,
    user_ids: pa.Array,
) -> pa.Table:
    end_s = calendar.days * DAY_S
    # After an order: a few days later, once the parcel is late, stuck in customs or the wrong size.
    after = np.flatnonzero(rng.random(len(orders)) < 0.10)
    a_time = orders.time_s[after] + (0.5 + rng.gamma(1.6, 2.2, after.size)) * DAY_S
    abroad = orders.country[after] != COUNTRIES.index("US")
    a_cat = np.where(
        abroad,
        rng.choice(len(CATEGORIES), size=after.size, p=_ORDER_CATEGORY_ABROAD),
        rng.choice(len(CATEGORIES), size=after.size, p=_ORDER_CATEGORY_US),
    )
    # Account questions from anyone who visited.
    k = round(0.012 * sessions.users_seen)
    b_user = rng.integers(0, sessions.users_seen, k)
    b_time = rng.random(k) * end_s
    b_cat = np.where(rng.random(k) < 0.7, CATEGORIES.index("account"), CATEGORIES.index("payment"))
    # Payment failures during the incidents.
    failed = _failed_checkouts(rng, sessions, plan, 0.35)
    c_time = sessions.start_s[failed] + rng.uniform(0.05, 3.0, failed.size) * 3600

    user = np.concatenate([orders.user[after], b_user, sessions.user[failed]])
    created = np.floor(np.concatenate([a_time, b_time, c_time]))
    category = np.concatenate([a_cat, b_cat, np.full(failed.size, CATEGORIES.index("payment"))])
    incident = np.concatenate([np.zeros(after.size + k, bool), np.ones(failed.size, bool)])
    keep = created < end_s
    order = np.argsort(created[keep], kind="stable")
    user, created = user[keep][order], created[keep][order]
    category, incident = category[keep][order], incident[keep][order]
    n = user.size

    channel = rng.choice(len(SUPPORT_CHANNELS), size=n, p=[0.45, 0.37, 0.18])
    channel[incident & (rng.random(n) < 0.5)] = SUPPORT_CHANNELS.index("chat")
    weekend = calendar.weekday()[(created // DAY_S).astype(np.int64)] >= 5
    first_h = np.select(
        [channel == 0, channel == 1],
        [
            np.exp(rng.normal(np.log(4.5), 0.8, n)) * np.where(weekend, 2.0, 1.0),
            np.exp(rng.normal(np.log(0.06), 0.6, n)),
        ],
        np.exp(rng.normal(np.log(0.01), 0.5, n)),
    )
    customs = category == CATEGORIES.index("customs_duties")
    fcr = rng.random(n) < _FCR[channel] * np.where(customs, 0.75, 1.0)
    contacts = np.where(fcr, 1, 1 + rng.geometric(0.6, n))
    work = np.select(
        [channel == 0, channel == 1], [np.exp(rng.normal(np.log(6.0), 0.7, n)), np.full(n, 0.4)], 0.15
    )
    work += (contacts - 1) * np.exp(rng.normal(np.log(16.0), 0.6, n))
    work += np.where(customs, np.exp(rng.normal(np.log(30.0), 0.5, n)), 0.0)
    resolution_h = np.round(first_h + work, 2)
    resolved = created + resolution_h * 3600 < end_s
    responded = created + first_h * 3600 < end_s

    score = 4.7 - 0.35 * (contacts - 1) - 0.35 * np.log1p(resolution_h / 24) - 0.5 * incident
    csat = np.clip(np.round(score + rng.normal(0, 0.6, n)), 1, 5).astype(np.int64)
    answered = resolved & (rng.random(n) < 0.62)
    return pa.table(
        {
            "ticket_id": ids("t", n, max(6, len(str(n)))),
            "customer_id": pick(user_ids, user),
            "created_at": timestamps(calendar, created, unit="s"),
            "first_response_at": _at(calendar, created + first_h * 3600, responded),
            "resolved_at": _at(calendar, created + resolution_h * 3600, resolved),
            "contacts": pa.array(contacts.astype(np.int64), mask=~resolved),
            "contact_channel": pick(SUPPORT_CHANNELS, channel),
            "category": pick(CATEGORIES, category),
            "csat": pa.array(csat, pa.int64(), mask=~answered),
            "resolution_hours": pa.array(resolution_h, pa.float64(), mask=~resolved),
        }
    )


def _at(calendar: Calendar, seconds: np.ndarray, present: np.ndarray) -> pa.Array:
    stamps = timestamps(calendar, np.floor(seconds), unit="s")
    return pc.if_else(pa.array(present), stamps, pa.scalar(None, stamps.type))
