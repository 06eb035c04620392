"""The world of the demo shop: its markets, channels and devices, its calendar, and its incidents.

Everything the simulation steps share lives here as plain constants, so the numbers that shape
the data (who comes from where, on what device, what they pay in which currency) can be read
in one place. Categorical values are held as small integer codes into these tuples until the
tables are written.

The four injected incidents are planned by :func:`plan_incidents` from the seed and the number
of days only, so they are fixed for a given generation and can be written to
``ground_truth.json`` before any row exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

EVENT_NAMES = ("page_view", "view_item", "add_to_cart", "begin_checkout", "purchase", "refund")
CHANNELS = ("organic", "paid_search", "social", "email", "affiliate", "direct")
DEVICES = ("desktop", "mobile", "tablet", "app")
PLATFORMS = ("web", "app")
COUNTRIES = ("US", "GB", "DE", "FR", "JP", "AU", "CA", "BR")

COUNTRY_WEIGHTS = np.array([0.36, 0.12, 0.11, 0.08, 0.08, 0.07, 0.10, 0.08])
CHANNEL_WEIGHTS = np.array([0.27, 0.24, 0.16, 0.06, 0.09, 0.18])  # how users were acquired
DEVICE_WEIGHTS = np.array([0.31, 0.41, 0.06, 0.22])
RETURN_CHANNEL_WEIGHTS = np.array([0.20, 0.10, 0.06, 0.26, 0.03, 0.35])  # how they come back

# Per country: UTC offset of its shoppers (standard time, rough), currency, USD → local rate.
UTC_OFFSET_HOURS = np.array([-6, 0, 1, 1, 9, 10, -5, -3])
CURRENCIES = ("USD", "GBP", "EUR", "EUR", "JPY", "AUD", "CAD", "BRL")
FX_PER_USD = np.array([1.0, 0.79, 0.92, 0.92, 151.0, 1.53, 1.38, 5.05])
BASKET_FACTOR = np.array([1.0, 0.95, 0.97, 0.93, 1.12, 1.08, 0.98, 0.78])

# Weekly rhythm (Monday first) of each device: desktop is a weekday, work-hours thing; phones and
# the app peak at the weekend.
WEEKLY = np.array(
    [
        [1.10, 1.12, 1.10, 1.06, 0.98, 0.80, 0.84],  # desktop
        [0.90, 0.91, 0.93, 0.96, 1.06, 1.23, 1.21],  # mobile
        [0.94, 0.94, 0.95, 0.97, 1.02, 1.10, 1.12],  # tablet
        [0.89, 0.90, 0.92, 0.95, 1.05, 1.25, 1.24],  # app
    ]
)
# Local hour-of-day profile (index 0 = midnight) of each device.
HOURLY = np.array(
    [
        [
            0.3,
            0.2,
            0.1,
            0.1,
            0.1,
            0.2,
            0.5,
            1.2,
            2.2,
            3.0,
            3.2,
            3.1,
            2.8,
            3.0,
            3.1,
            3.0,
            2.8,
            2.4,
            1.9,
            1.8,
            1.9,
            1.7,
            1.2,
            0.6,
        ],
        [
            1.0,
            0.6,
            0.3,
            0.2,
            0.2,
            0.3,
            0.8,
            1.5,
            1.8,
            1.7,
            1.6,
            1.8,
            2.4,
            2.0,
            1.7,
            1.7,
            1.9,
            2.3,
            2.8,
            3.3,
            3.7,
            3.8,
            3.1,
            2.0,
        ],
        [
            0.6,
            0.3,
            0.2,
            0.1,
            0.1,
            0.2,
            0.5,
            1.0,
            1.2,
            1.2,
            1.2,
            1.3,
            1.6,
            1.5,
            1.4,
            1.5,
            1.7,
            2.1,
            2.8,
            3.4,
            3.8,
            3.6,
            2.6,
            1.3,
        ],
        [
            1.1,
            0.6,
            0.3,
            0.2,
            0.2,
            0.3,
            0.8,
            1.6,
            1.9,
            1.6,
            1.5,
            1.8,
            2.5,
            2.0,
            1.7,
            1.7,
            1.9,
            2.4,
            3.0,
            3.5,
            3.9,
            3.9,
            3.2,
            2.1,
        ],
    ]
)

MIN_DAYS = 42
_SPIKE_CAUSE = {"social": "A viral post", "affiliate": "A coupon site featuring the shop"}
MIN_USERS = 500


@dataclass(frozen=True)
class Calendar:
    """The simulated period: ``days`` whole UTC days ending on ``end`` (inclusive)."""

    end: date
    days: int

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def weekday(self) -> np.ndarray:
        """Day of week (0 = Monday) of every day index."""
        return (self.start.weekday() + np.arange(self.days)) % 7

    @property
    def start_epoch_s(self) -> int:
        """Seconds from 1970-01-01 to the first midnight of the period."""
        return (self.start - date(1970, 1, 1)).days * 86_400


@dataclass(frozen=True)
class Incident:
    """One injected anomaly: what broke, on which days, for which slice, and what it does."""

    id: str
    type: str
    start: date
    end: date  # inclusive
    first_day: int  # the same days as indexes into the calendar
    last_day: int
    where: dict[str, str]
    metric: str
    expected_change: float  # relative change of ``metric`` in the slice on the incident days
    description: str
    unaffected: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        days = [
            (self.start + timedelta(days=d)).isoformat() for d in range(self.last_day - self.first_day + 1)
        ]
        return {
            "id": self.id,
            "type": self.type,
            "start": days[0],
            "end": days[-1],
            "days": days,
            "slice": dict(self.where),
            "metric": self.metric,
            "expected_change": self.expected_change,
            "unaffected": list(self.unaffected),
            "description": self.description,
        }


@dataclass(frozen=True)
class IncidentPlan:
    calendar: Calendar
    outage: Incident
    spike: Incident
    checkout_bug: Incident
    spend_spike: Incident

    def all(self) -> tuple[Incident, ...]:
        return (self.checkout_bug, self.spike, self.outage, self.spend_spike)


def plan_incidents(rng: np.random.Generator, calendar: Calendar) -> IncidentPlan:
    """Place the four incidents in disjoint parts of the period, away from its edges."""
    days = calendar.days

    def pick(lo: float, hi: float) -> int:
        return int(rng.integers(round(lo * days), round(hi * days) + 1))

    def days_from(first: int, length: int) -> dict[str, Any]:
        last = first + length - 1
        return {"start": calendar.day(first), "end": calendar.day(last), "first_day": first, "last_day": last}

    bug_day, spike_day, outage_day, spend_day = (
        pick(0.12, 0.22),
        pick(0.4, 0.48),
        pick(0.58, 0.7),
        pick(0.8, 0.88),
    )
    device = str(rng.choice(["app", "mobile"]))
    channel = str(rng.choice(["social", "affiliate"]))
    country = str(rng.choice(["GB", "DE", "CA"]))
    return IncidentPlan(
        calendar=calendar,
        checkout_bug=Incident(
            id="checkout_bug",
            type="conversion_drop",
            **days_from(bug_day, 7),
            where={"country": country},
            metric="orders",
            expected_change=-0.7,
            unaffected=("add_to_cart", "begin_checkout"),
            description=f"A checkout bug for {country} addresses: for a week most {country} checkouts "
            "fail after begin_checkout; add_to_cart and begin_checkout are unaffected.",
        ),
        spike=Incident(
            id="traffic_spike",
            type="traffic_spike",
            **days_from(spike_day, 2),
            where={"channel": channel},
            metric="sessions",
            expected_change=2.0,
            unaffected=("marketing_spend",),
            description=f"{_SPIKE_CAUSE[channel]} sends a burst of low-intent {channel} visitors for two "
            f"days: sessions from {channel} triple while its conversion rate falls; spend is unchanged.",
        ),
        outage=Incident(
            id="payment_outage",
            type="outage",
            **days_from(outage_day, 1),
            where={"device": device},
            metric="orders",
            expected_change=-0.93,
            unaffected=("add_to_cart", "begin_checkout"),
            description=f"The payment provider fails on {device} for a day: purchases on {device} drop "
            "by about 90 % while add_to_cart and begin_checkout carry on; payment tickets jump.",
        ),
        spend_spike=Incident(
            id="spend_spike",
            type="spend_spike",
            **days_from(spend_day, 2),
            where={"channel": "paid_search"},
            metric="marketing_spend",
            expected_change=2.5,
            unaffected=("clicks", "impressions", "sessions"),
            description="A bidding misconfiguration: paid_search spend is 3.5x normal for two days while "
            "impressions, clicks and sessions stay flat, so the cost per purchaser jumps.",
        ),
    )
