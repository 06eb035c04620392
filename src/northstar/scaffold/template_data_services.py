"""Sample data for the ``saas-support``, ``education`` and ``content`` templates (see
:mod:`.template_data`)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from northstar.scaffold.template_data import (
    HOURS_LEISURE,
    HOURS_OFFICE,
    Tables,
    calendar,
    daily_counts,
    end_of_data,
    frame,
    pick,
    stamp,
    times_on,
)

# ---------------------------------------------------------------- saas-support

OFFICE_WEEK = (1.3, 1.12, 1.05, 1.0, 0.92, 0.42, 0.36)  # Monday backlog, quiet weekends
SUPPORT_CHANNELS = {"email": (0.45, -0.06), "chat": (0.35, 0.04), "phone": (0.2, 0.07)}
PLANS = {"free": 0.5, "pro": 0.35, "enterprise": 0.15}
# category: (weight, chance the first contact solves it)
TOPICS = {"how_to": (0.35, 0.84), "billing": (0.25, 0.76), "account": (0.15, 0.7), "bug": (0.25, 0.46)}


def saas_support(rng: np.random.Generator) -> Tables:
    """Support tickets: how often they are solved on first contact, how fast, and how it felt."""
    end = end_of_data()
    rows: list[dict[str, object]] = []
    channel_weights = {c: w for c, (w, _) in SUPPORT_CHANNELS.items()}
    topic_weights = {t: w for t, (w, _) in TOPICS.items()}
    for day, n in daily_counts(rng, 30, OFFICE_WEEK, trend=0.06):
        for ts in times_on(rng, day, n, HOURS_OFFICE):
            channel, topic, plan = pick(rng, channel_weights), pick(rng, topic_weights), pick(rng, PLANS)
            first_time = rng.random() < TOPICS[topic][1] + SUPPORT_CHANNELS[channel][1]
            contacts = 1 if first_time else 2 + int(rng.poisson(0.9))
            median_h = 2.5 if first_time else 9.0 * contacts
            hours = round(float(median_h * rng.lognormal(0, 0.9)), 2)
            resolved_at = ts + timedelta(seconds=round(hours * 3600))
            resolved = resolved_at < end and rng.random() > 0.01
            csat = None
            if resolved and rng.random() < 0.42:
                # customers forgive a slow answer far more readily than having to ask again
                mood = (0.9 if first_time else -0.5) - 0.12 * min(hours / 24, 3) + float(rng.normal(0, 0.9))
                csat = int(np.clip(np.round(3.6 + mood), 1, 5))
            rows.append(
                {
                    "ticket_id": f"T{len(rows) + 1:06d}",
                    "customer_id": f"A{int(rng.integers(1, 900)):04d}",
                    "created_at": stamp(ts),
                    "resolved_at": stamp(resolved_at) if resolved else None,
                    "status": "resolved" if resolved else "open",
                    "contacts": contacts if resolved else min(contacts, 1 + int(rng.integers(0, 2))),
                    "resolution_hours": hours if resolved else None,
                    "csat": csat,
                    "channel": channel,
                    "plan": plan,
                    "category": topic,
                }
            )
    return {"data/tickets.csv": frame(rows, list(rows[0]), ints=["csat"])}


# ---------------------------------------------------------------- education

PARENT_WEEK = (0.92, 0.9, 0.9, 0.93, 0.98, 1.25, 1.22)  # parents enquire at weekends
# channel: (leads per day, spend per lead CNY, share rated 4-5 by sales, win rate, median cycle days)
LEAD_CHANNELS = {
    "douyin": (9.0, 55.0, 0.18, 0.02, 24.0),
    "baidu_sem": (5.0, 170.0, 0.42, 0.07, 17.0),
    "wechat": (4.0, 120.0, 0.36, 0.05, 19.0),
    "referral": (1.6, 35.0, 0.7, 0.2, 9.0),
    "offline_event": (1.2, 260.0, 0.55, 0.12, 13.0),
}
CITIES = {"北京": 0.22, "上海": 0.22, "广州": 0.16, "深圳": 0.16, "杭州": 0.12, "成都": 0.12}
COURSES = {"雅思": 0.3, "少儿编程": 0.3, "考研英语": 0.25, "职场Excel": 0.15}


def education(rng: np.random.Generator) -> Tables:
    """Course enquiries (leads) with sales' rating and outcome, and daily ad spend per channel."""
    end = end_of_data()
    leads: list[dict[str, object]] = []
    spend: list[dict[str, object]] = []
    days = calendar()
    for channel, (per_day, cpl, good_share, win_rate, cycle) in LEAD_CHANNELS.items():
        for day, n in daily_counts(rng, per_day, PARENT_WEEK, days=days):
            budget = per_day * cpl * PARENT_WEEK[day.weekday()] * float(rng.lognormal(0, 0.12))
            spend.append({"date": day.isoformat(), "channel": channel, "spend": round(budget, 2)})
            for ts in times_on(rng, day, n, HOURS_LEISURE):
                good = rng.random() < good_share
                rating = int(
                    rng.choice([4, 5], p=[0.6, 0.4]) if good else rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3])
                )
                # good leads close far more often; scaled so the channel's overall win rate holds
                lift = (2.6 if good else 0.25) / (good_share * 2.6 + 0.25 * (1 - good_share))
                stage, closed_at = ("open" if (end - ts).days < 10 else "lost"), None
                if rng.random() < win_rate * lift:
                    closed_at = ts + timedelta(seconds=round(cycle * float(rng.lognormal(0, 0.5)) * 86400))
                    stage = "won" if closed_at < end else "open"
                won = stage == "won" and closed_at is not None
                leads.append(
                    {
                        "lead_id": "",
                        "created_at": stamp(ts),
                        "channel": channel,
                        "region": pick(rng, CITIES),
                        "course": pick(rng, COURSES),
                        "sales_rating": rating,
                        "stage": stage,
                        "closed_at": stamp(closed_at) if won else None,
                        "deal_amount": float(rng.choice([3980, 6800, 12800])) if won else None,
                        "cycle_days": round((closed_at - ts).total_seconds() / 86400, 3)
                        if won and closed_at
                        else None,
                    }
                )
    lead_frame = frame(leads, list(leads[0])).sort_values("created_at", kind="stable")
    lead_frame["lead_id"] = [f"L{i + 1:05d}" for i in range(len(lead_frame))]
    spend_frame = frame(spend, ["date", "channel", "spend"]).sort_values(["date", "channel"], kind="stable")
    return {"data/leads.csv": lead_frame, "data/spend.csv": spend_frame}


# ---------------------------------------------------------------- content

LEISURE_WEEK = (0.9, 0.88, 0.9, 0.92, 1.02, 1.25, 1.3)
# category: (weight, median video length s, share skipped in the first 3 s, median scroll depth)
GENRES = {
    "news": (0.25, 60, 0.3, 0.45),
    "comedy": (0.25, 35, 0.22, 0.6),
    "food": (0.2, 90, 0.24, 0.65),
    "tech": (0.15, 120, 0.34, 0.55),
    "travel": (0.15, 75, 0.26, 0.6),
}
CONTENT_DEVICES = {"ios": 0.42, "android": 0.46, "web": 0.12}
TRAFFIC = {"feed": 0.6, "search": 0.15, "share": 0.15, "follow": 0.1}


def content(rng: np.random.Generator) -> Tables:
    """Video plays (how long people watched) and article views (how far they scrolled)."""
    genre_weights = {g: w for g, (w, _, _, _) in GENRES.items()}
    plays: list[dict[str, object]] = []
    views: list[dict[str, object]] = []
    for day, n in daily_counts(rng, 34, LEISURE_WEEK, trend=0.1):
        for ts in times_on(rng, day, n, HOURS_LEISURE):
            genre = pick(rng, genre_weights)
            _, length, skip, _ = GENRES[genre]
            duration = int(np.clip(length * rng.lognormal(0, 0.4), 8, 600))
            source = pick(rng, TRAFFIC)
            if rng.random() < skip * (0.6 if source in ("share", "follow") else 1.0):
                watched = float(rng.uniform(0.3, 3.0))
            else:
                watched = duration * float(rng.beta(1.3, 1.6))
            plays.append(
                {
                    "play_id": f"P{len(plays) + 1:06d}",
                    "user_id": f"V{int(rng.integers(1, 2500)):05d}",
                    "started_at": stamp(ts),
                    "video_id": f"{genre}-{int(rng.integers(1, 40)):03d}",
                    "duration_seconds": duration,
                    "watched_seconds": round(min(watched, duration), 1),
                    "category": genre,
                    "device": pick(rng, CONTENT_DEVICES),
                    "traffic_source": source,
                }
            )
    for day, n in daily_counts(rng, 20, LEISURE_WEEK, trend=0.1):
        for ts in times_on(rng, day, n, HOURS_LEISURE):
            genre = pick(rng, genre_weights)
            depth_median = GENRES[genre][3]
            device = pick(rng, CONTENT_DEVICES)
            a = 4 * depth_median + (0.6 if device == "web" else 0)
            depth = float(rng.beta(a, 4 * (1 - depth_median) + 0.4))
            views.append(
                {
                    "view_id": f"A{len(views) + 1:06d}",
                    "user_id": f"V{int(rng.integers(1, 2500)):05d}",
                    "viewed_at": stamp(ts),
                    "article_id": f"{genre}-a{int(rng.integers(1, 60)):03d}",
                    "max_scroll_depth": round(depth, 3),
                    "read_seconds": int(20 + depth * rng.gamma(2, 60)),
                    "category": genre,
                    "device": device,
                    "traffic_source": pick(rng, TRAFFIC),
                }
            )
    return {
        "data/plays.csv": frame(plays, list(plays[0])),
        "data/article_views.csv": frame(views, list(views[0])),
    }
