"""``northstar demo``: a complete project for a believable cross-border online shop.

:func:`generate_demo` writes a folder holding ``northstar.yml`` (plus one metrics file per team)
and a few months of synthetic data — web and app events, orders, refunds, marketing spend,
wholesale leads and support tickets — with four incidents hidden in it and described in
``ground_truth.json``, so that every analysis Northstar offers has something to find.

The steps, each in its own module::

    demo_world     markets, channels, devices, calendar; plans the incidents
    demo_traffic   users → visits → funnel → events (vectorised NumPy)
    demo_commerce  orders, refunds, marketing spend
    demo_leads     messy CRM leads (phones from many countries, duplicates, junk)
    demo_tickets   support tickets
    demo_tables    arrays → Arrow tables → Parquet / CSV
    demo_spec      the YAML files and ground_truth.json

The same arguments give the same bytes. Each step draws from its own random stream spawned
from the seed, so changing one step does not reshuffle the others. The folder is generated
next to ``target`` and renamed into place at the end: a failure leaves nothing half-written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from northstar.errors import UserError
from northstar.scaffold import demo_tables as tables
from northstar.scaffold.demo_commerce import make_orders, make_refunds, make_spend
from northstar.scaffold.demo_leads import lead_ratings_table, leads_table
from northstar.scaffold.demo_spec import ground_truth, project_files
from northstar.scaffold.demo_tickets import tickets_table
from northstar.scaffold.demo_traffic import expand_events, simulate_sessions
from northstar.scaffold.demo_world import MIN_DAYS, MIN_USERS, Calendar, Incident, plan_incidents

Progress = Callable[[str, float], None]
_STREAMS = ("incidents", "visits", "events", "orders", "refunds", "spend", "leads", "tickets")


@dataclass(frozen=True)
class DemoInfo:
    """What :func:`generate_demo` wrote: where, which period, how many rows, which incidents."""

    path: Path
    days: int
    users: int
    seed: int
    start: date
    end: date
    visitors: int  # users with at least one visit
    sessions: int
    events: int
    orders: int
    refunds: int
    spend_rows: int
    leads: int
    tickets: int
    incidents: tuple[Incident, ...]


def generate_demo(
    target: Path,
    *,
    days: int = 120,
    users: int = 100_000,
    seed: int = 7,
    end: date = date(2026, 11, 26),
    progress: Progress | None = None,
    overwrite: bool = False,
) -> DemoInfo:
    """Write the demo project into ``target`` and describe what was written.

    ``days`` whole UTC days ending on ``end`` (inclusive); ``users`` people who may visit. Refuses
    to touch a non-empty ``target`` unless ``overwrite`` is true, in which case the old folder is
    replaced only once the new one is complete.
    """
    target = Path(target)
    if days < MIN_DAYS:
        raise UserError(f"the demo needs at least {MIN_DAYS} days of data to place its incidents, not {days}")
    if users < MIN_USERS:
        raise UserError(f"the demo needs at least {MIN_USERS} users, not {users}")
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} is a file; choose a folder for the demo project")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UserError(
            f"{target} is not empty: choose a new or empty directory, "
            "or allow replacing it (northstar demo --force)"
        )

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        work.chmod(0o755)
        info = _generate(work, Calendar(end, days), users, seed, progress or _quiet)
        _move_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress:
        progress("done", 1.0)
    return replace(info, path=target)


def _quiet(step: str, fraction: float) -> None:
    """The default progress callback: says nothing."""


def _generate(folder: Path, calendar: Calendar, users: int, seed: int, progress: Progress) -> DemoInfo:
    rng = dict(
        zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)), strict=True)
    )
    data = folder / "data"
    data.mkdir()

    progress("visits", 0.0)
    plan = plan_incidents(rng["incidents"], calendar)
    sessions = simulate_sessions(rng["visits"], calendar, users, plan)
    progress("events", 0.2)
    events = expand_events(rng["events"], sessions)
    progress("orders", 0.3)
    orders = make_orders(rng["orders"], sessions, events)
    refunds = make_refunds(rng["refunds"], calendar, orders)
    progress("write events", 0.4)
    events_table = tables.events_table(calendar, sessions, events, orders, refunds)
    n_events = events_table.num_rows
    tables.write_parquet(events_table, data / "events.parquet")
    del events_table, events
    progress("write orders", 0.75)
    tables.write_parquet(tables.orders_table(calendar, sessions, orders, refunds), data / "orders.parquet")
    tables.write_parquet(tables.refunds_table(calendar, sessions, orders, refunds), data / "refunds.parquet")
    progress("marketing spend", 0.8)
    spend = make_spend(rng["spend"], calendar, sessions, plan)
    tables.write_csv(tables.spend_table(calendar, spend), data / "marketing_spend.csv")
    progress("leads", 0.85)
    leads = leads_table(rng["leads"], calendar, users)
    tables.write_csv(leads, data / "leads.csv")
    ratings = lead_ratings_table(rng["leads"], leads, calendar)
    tables.write_csv(ratings, data / "lead_ratings.csv")
    progress("tickets", 0.9)
    user_ids = tables.user_ids(sessions)
    tickets = tickets_table(rng["tickets"], calendar, sessions, orders, plan, user_ids)
    tables.write_csv(tickets, data / "tickets.csv")

    progress("project files", 0.95)
    counts = {
        "events": n_events,
        "sessions": len(sessions),
        "orders": len(orders),
        "refunds": len(refunds),
        "marketing_spend": len(spend.day),
        "leads": leads.num_rows,
        "lead_ratings": ratings.num_rows,
        "tickets": tickets.num_rows,
    }
    for name, text in project_files(calendar, seed).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "ground_truth.json").write_text(ground_truth(plan, seed, counts), encoding="utf-8")
    return DemoInfo(
        path=folder,
        days=calendar.days,
        users=users,
        seed=seed,
        start=calendar.start,
        end=calendar.end,
        visitors=sessions.users_seen,
        sessions=len(sessions),
        events=n_events,
        orders=len(orders),
        refunds=len(refunds),
        spend_rows=len(spend.day),
        leads=leads.num_rows,
        tickets=tickets.num_rows,
        incidents=plan.all(),
    )


def _move_into_place(work: Path, target: Path) -> None:
    """Rename the finished folder to ``target``, replacing what is there only at the last moment."""
    if not target.exists():
        work.rename(target)
        return
    if not any(target.iterdir()):
        target.rmdir()
        work.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        work.rename(target)
    except OSError:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
