"""Shoppers and their visits: who arrives when, how often they come back, how far they get.

The simulation is vectorised end to end (no Python loop per user, visit or event):

1. **Users** get a country, an acquisition channel, a device, a visit rate (long-tailed, so a few
   loyal shoppers come often) and a purchase intent. Some were already shoppers before the period;
   the rest arrive over it, a little more each week as the shop grows. Everyone drifts away after
   a while (about two months on average), so the active base stays steady instead of piling up.
2. **Visits** are a thinned Poisson process per user: candidate days drawn uniformly in the user's
   window are kept with probability *trend × weekly rhythm of the device × daily noise*. Each visit
   gets a local hour from the device's daily profile, then is moved to UTC by the country's offset.
3. **Funnel**: each visit views items, adds to cart, checks out and pays with probabilities that
   depend on device, channel, country and intent — and on the injected incidents.
   The planted aha moment: new shoppers who will stay at least ``AHA_LIFETIME_DAYS`` add to cart
   ``AHA_CART_BOOST`` times as often in their first ``AHA_WINDOW_DAYS`` days, so "add_to_cart in
   the first week" goes with being retained on day 30 (``northstar aha`` should find it).
4. **Events** expand each visit into its ordered events with short random gaps, never crossing
   midnight UTC, so a visit's events all fall on the visit's day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from northstar.scaffold.demo_world import (
    CHANNEL_WEIGHTS,
    CHANNELS,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    DEVICE_WEIGHTS,
    DEVICES,
    HOURLY,
    RETURN_CHANNEL_WEIGHTS,
    UTC_OFFSET_HOURS,
    WEEKLY,
    Calendar,
    IncidentPlan,
)

CATALOG_SIZE = 800
LIFETIME_DAYS = 60.0  # mean time a shopper keeps coming back before drifting away
DAY_S = 86_400
AHA_LIFETIME_DAYS = 45  # new shoppers who will stay this long …
AHA_WINDOW_DAYS = 7  # … add to cart more often in their first week …
AHA_CART_BOOST = 6.0  # … by this factor
AHA_TRUTH = {  # for ground_truth.json
    "outcome": "retained_30d",
    "within_days": AHA_WINDOW_DAYS,
    "event": "add_to_cart",
    "how": f"new shoppers who stay at least {AHA_LIFETIME_DAYS} days add to cart {AHA_CART_BOOST:g}x as "
    f"often in their first {AHA_WINDOW_DAYS} days",
}

# Funnel step probabilities by device (desktop, mobile, tablet, app) and channel multipliers.
VIEW_ITEM = np.array([0.66, 0.57, 0.62, 0.74])
VIEW_ITEM_CH = np.array([1.0, 1.05, 0.82, 1.1, 0.95, 1.05])
ADD_TO_CART = np.array([0.12, 0.085, 0.10, 0.14])
ADD_TO_CART_CH = np.array([1.0, 0.95, 0.72, 1.2, 0.9, 1.1])
CHECKOUT = np.array([0.63, 0.50, 0.56, 0.66])
PURCHASE = np.array([0.74, 0.63, 0.67, 0.79])
PURCHASE_COUNTRY = np.array([1.0, 0.98, 0.97, 0.95, 0.96, 0.97, 0.99, 0.82])


@dataclass(frozen=True)
class Sessions:
    """One row per visit, sorted by start time. Codes index the tuples of :mod:`demo_world`."""

    user: np.ndarray  # user index, 0..users-1 (ranked by first visit)
    start_s: np.ndarray  # seconds since the first midnight of the period (UTC)
    day: np.ndarray  # UTC day index
    channel: np.ndarray
    device: np.ndarray
    country: np.ndarray
    item: np.ndarray  # the item the visit is about
    page_views: np.ndarray
    item_views: np.ndarray
    cart: np.ndarray  # bool: reached add_to_cart
    checkout: np.ndarray
    purchase: np.ndarray
    spike: np.ndarray  # bool: part of the injected traffic spike
    users_seen: int

    def __len__(self) -> int:
        return len(self.user)


@dataclass(frozen=True)
class Events:
    """The expanded events of all visits (not yet sorted across visits)."""

    session: np.ndarray  # index into Sessions
    code: np.ndarray  # index into EVENT_NAMES (0..4 here; refunds are added later)
    time_s: np.ndarray  # float seconds since the first midnight of the period
    item: np.ndarray


def _day_weights(rng: np.random.Generator, calendar: Calendar) -> np.ndarray:
    """Relative traffic of each device on local days -1..days (one extra day at each edge)."""
    d = np.arange(-1, calendar.days + 1)
    dow = (calendar.start.weekday() + d) % 7
    trend = 1.0 + 0.15 * d / calendar.days
    noise = np.exp(rng.normal(0.0, 0.04, d.size))
    return WEEKLY[:, dow] * (trend * noise)[None, :]


def _local_seconds(rng: np.random.Generator, device: np.ndarray) -> np.ndarray:
    """A local time of day (seconds) for each visit, from its device's hourly profile."""
    hour = np.empty(device.size, dtype=np.int64)
    for dev in range(len(DEVICES)):
        mask = device == dev
        p = HOURLY[dev] / HOURLY[dev].sum()
        hour[mask] = rng.choice(24, size=int(mask.sum()), p=p)
    return hour * 3600 + rng.integers(0, 3600, device.size)


def simulate_sessions(
    rng: np.random.Generator, calendar: Calendar, users: int, plan: IncidentPlan
) -> Sessions:
    days = calendar.days
    n_spike = max(20, users // 25)
    n_normal = users - n_spike
    spike_channel = CHANNELS.index(plan.spike.where["channel"])

    country = rng.choice(len(COUNTRY_WEIGHTS), size=users, p=COUNTRY_WEIGHTS)
    channel = rng.choice(len(CHANNELS), size=users, p=CHANNEL_WEIGHTS)
    device = rng.choice(len(DEVICES), size=users, p=DEVICE_WEIGHTS)
    channel[n_normal:] = spike_channel
    device[n_normal:] = rng.choice(len(DEVICES), size=n_spike, p=[0.18, 0.66, 0.04, 0.12])
    rate = rng.gamma(0.9, 0.16, users)  # visits per day; mean ~0.14, long tail
    intent = np.clip(np.exp(rng.normal(-0.1, 0.4, users)) * (rate / 0.14) ** 0.05, 0.3, 2.6)

    weights = _day_weights(rng, calendar)  # [device, local day + 1]
    wmax = weights.max(axis=1)
    n_ext = days + 2

    # Shoppers from before the period are as many as its first days' arrivals keep active (the
    # steady state); new ones arrive on a day, and all come back until they drift away.
    existing = rng.random(n_normal) < LIFETIME_DAYS / (LIFETIME_DAYS + 1.1 * days)
    new_users = np.flatnonzero(~existing)
    arrival = np.zeros(n_normal, dtype=np.int64)
    for dev in range(len(DEVICES)):
        who = new_users[device[new_users] == dev]
        p = weights[dev, 1 : days + 1] / weights[dev, 1 : days + 1].sum()
        arrival[who] = 1 + rng.choice(days, size=who.size, p=p)
    win_start = np.where(existing, 0, arrival + 1)
    win_end = np.minimum(n_ext, win_start + np.ceil(rng.exponential(LIFETIME_DAYS, n_normal)))
    win_len = np.maximum(win_end - win_start, 0).astype(np.int64)

    n_cand = rng.poisson(rate[:n_normal] * win_len * wmax[device[:n_normal]])
    cand_user = np.repeat(np.arange(n_normal), n_cand)
    cand_day = win_start[cand_user] + (rng.random(cand_user.size) * win_len[cand_user]).astype(np.int64)
    cand_dev = device[cand_user]
    keep = rng.random(cand_user.size) < weights[cand_dev, cand_day] / wmax[cand_dev]
    ret_user, ret_day = cand_user[keep], cand_day[keep]
    ret_channel = np.where(
        rng.random(ret_user.size) < 0.45,
        channel[ret_user],
        rng.choice(len(CHANNELS), size=ret_user.size, p=RETURN_CHANNEL_WEIGHTS),
    )
    s_user = np.concatenate([new_users, ret_user])
    s_local_day = np.concatenate([arrival[new_users], ret_day]) - 1
    s_channel = np.concatenate([channel[new_users], ret_channel])
    start = s_local_day * DAY_S + _local_seconds(rng, device[s_user])
    start -= UTC_OFFSET_HOURS[country[s_user]] * 3600
    hooked = np.zeros(users, dtype=bool)  # the planted aha: early visits of shoppers who will stay
    hooked[:n_normal] = ~existing & (win_len >= AHA_LIFETIME_DAYS)
    first_day = np.zeros(users, dtype=np.int64)
    first_day[:n_normal] = arrival - 1
    s_early = hooked[s_user] & (s_local_day - first_day[s_user] < AHA_WINDOW_DAYS)
    inside = (start >= 0) & (start < days * DAY_S)
    s_user, s_channel, start, s_early = s_user[inside], s_channel[inside], start[inside], s_early[inside]

    # The spike: extra one-off visits from the spike channel, twice its usual daily volume.
    usual = np.bincount(start[s_channel == spike_channel] // DAY_S, minlength=days)
    quiet = np.ones(days, dtype=bool)
    quiet[plan.spike.first_day : plan.spike.last_day + 1] = False
    per_day = max(10, round(2.0 * usual[quiet].mean()))
    spike_days = np.arange(plan.spike.first_day, plan.spike.last_day + 1)
    sp_user = rng.integers(n_normal, users, per_day * spike_days.size)
    sp_local = _local_seconds(rng, device[sp_user]) - UTC_OFFSET_HOURS[country[sp_user]] * 3600
    sp_start = np.repeat(spike_days, per_day) * DAY_S + sp_local % DAY_S

    s_user = np.concatenate([s_user, sp_user])
    s_channel = np.concatenate([s_channel, np.full(sp_user.size, spike_channel)])
    start = np.concatenate([start, sp_start])
    spike = np.zeros(s_user.size, dtype=bool)
    spike[-sp_user.size :] = True
    s_early = np.concatenate([s_early, np.zeros(sp_user.size, dtype=bool)])
    order = np.argsort(start, kind="stable")
    s_user, s_channel, start, spike = s_user[order], s_channel[order], start[order], spike[order]
    s_early = s_early[order]

    # Number users by first visit, like sign-up ids; users never seen get no id.
    first_seen = np.unique(s_user, return_index=True)
    rank = np.full(users, -1, dtype=np.int64)
    seen_users = first_seen[0][np.argsort(first_seen[1], kind="stable")]
    rank[seen_users] = np.arange(seen_users.size)
    return _funnel(
        rng,
        calendar,
        plan,
        s_user,
        rank,
        start,
        s_channel,
        spike,
        device[s_user],
        country[s_user],
        intent[s_user],
        s_early,
    )


def _funnel(
    rng: np.random.Generator,
    calendar: Calendar,
    plan: IncidentPlan,
    user: np.ndarray,
    rank: np.ndarray,
    start: np.ndarray,
    channel: np.ndarray,
    spike: np.ndarray,
    device: np.ndarray,
    country: np.ndarray,
    intent: np.ndarray,
    early: np.ndarray | None = None,
) -> Sessions:
    n = user.size
    day = start // DAY_S
    p_view = np.where(spike, 0.35, VIEW_ITEM[device] * VIEW_ITEM_CH[channel])
    view = rng.random(n) < np.clip(p_view, 0, 0.95)
    p_cart = ADD_TO_CART[device] * ADD_TO_CART_CH[channel] * intent * np.where(spike, 0.3, 1.0)
    if early is not None:
        p_cart = np.where(early, p_cart * AHA_CART_BOOST, p_cart)
    cart = view & (rng.random(n) < np.clip(p_cart, 0, 0.9))
    checkout = cart & (rng.random(n) < np.clip(CHECKOUT[device] * intent**0.4, 0, 0.92))
    p_buy = PURCHASE[device] * PURCHASE_COUNTRY[country]
    bug = plan.checkout_bug
    hit = (country == COUNTRIES.index(bug.where["country"])) & (day >= bug.first_day)
    p_buy = np.where(hit & (day <= bug.last_day), p_buy * 0.3, p_buy)
    out = plan.outage
    hit = (device == DEVICES.index(out.where["device"])) & (day >= out.first_day) & (day <= out.last_day)
    p_buy = np.where(hit, p_buy * 0.07, p_buy)
    purchase = checkout & (rng.random(n) < np.clip(p_buy, 0, 0.95))

    popularity = 1.0 / np.arange(1, CATALOG_SIZE + 1) ** 1.05
    item = rng.choice(CATALOG_SIZE, size=n, p=popularity / popularity.sum())
    page_views = 1 + rng.poisson(np.where(view, 1.4, 0.5))
    item_views = np.where(view, 1 + rng.poisson(1.1, n), 0)
    return Sessions(
        user=rank[user],
        start_s=start,
        day=day,
        channel=channel.astype(np.int8),
        device=device.astype(np.int8),
        country=country.astype(np.int8),
        item=item,
        page_views=page_views,
        item_views=item_views,
        cart=cart,
        checkout=checkout,
        purchase=purchase,
        spike=spike,
        users_seen=int((rank >= 0).sum()),
    )


def expand_events(rng: np.random.Generator, sessions: Sessions) -> Events:
    """Each visit's events in funnel order, a few seconds to minutes apart, within its UTC day."""
    c1 = sessions.page_views
    c2 = c1 + sessions.item_views
    c3 = c2 + sessions.cart
    c4 = c3 + sessions.checkout
    counts = c4 + sessions.purchase
    total = int(counts.sum())
    sess = np.repeat(np.arange(len(sessions)), counts)
    first = np.cumsum(counts) - counts
    pos = np.arange(total) - first[sess]
    code = (pos >= c1[sess]).astype(np.int8) + (pos >= c2[sess]) + (pos >= c3[sess]) + (pos >= c4[sess])

    gaps = rng.exponential(35.0, total) + 1.0
    gaps[first] = 0.0
    elapsed = np.cumsum(gaps)
    elapsed -= elapsed[first][sess]
    duration = elapsed[first + counts - 1]
    day_end = (sessions.day + 1) * DAY_S - 1
    session_start = np.minimum(sessions.start_s.astype(np.float64), day_end - np.ceil(duration))
    time_s = session_start[sess] + elapsed

    item = sessions.item[sess]
    browse = (code == 1) & (pos > c1[sess])  # later item views look at other items
    item[browse] = rng.integers(0, CATALOG_SIZE, int(browse.sum()))
    return Events(session=sess, code=code, time_s=time_s, item=item)
