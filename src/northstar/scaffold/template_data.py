"""Sample data for the starter templates of ``northstar init``.

Each template gets a small, believable data set of its own: about 90 days ending on
:data:`END_DAY`, a few hundred to a few thousand rows per file, with the weekly rhythm of its
business (shoppers buy at weekends, support tickets pile up on Mondays, parents enquire about
courses at weekends, people order dinner on Fridays). Everything is drawn from one
``numpy.random.Generator`` seeded by the caller, so the same seed always gives the same bytes.

The generators live in :mod:`northstar.scaffold.template_data_commerce` (ecommerce, delivery)
and :mod:`northstar.scaffold.template_data_services` (saas-support, education, content); this
module holds the calendar they share and the registry :data:`GENERATORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

END_DAY = date(2026, 11, 26)
"""The last day of every sample data set (inclusive)."""
DAYS = 90
"""How many days of data each template generates."""
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""Timestamps are written without an offset: they are read in the source's or project's timezone."""

Tables = dict[str, pd.DataFrame]
"""Generated files: path relative to the project (``data/orders.csv``) → rows."""
Generator = Callable[[np.random.Generator], Tables]

# Relative weight of each hour of the day (index 0 = midnight).
HOURS_RETAIL = (
    1,
    0.6,
    0.3,
    0.2,
    0.2,
    0.3,
    0.6,
    1,
    1.5,
    2,
    2.2,
    2.4,
    2.6,
    2.4,
    2.2,
    2.2,
    2.3,
    2.5,
    2.8,
    3.2,
    3.6,
    3.8,
    3.2,
    2,
)
HOURS_OFFICE = (
    0,
    0,
    0,
    0,
    0,
    0,
    0.2,
    0.6,
    2,
    3.2,
    3.5,
    3.3,
    2.4,
    3,
    3.2,
    3,
    2.6,
    1.8,
    1,
    0.7,
    0.5,
    0.4,
    0.3,
    0.1,
)
HOURS_LEISURE = (
    1.2,
    0.6,
    0.3,
    0.2,
    0.2,
    0.3,
    0.6,
    1.2,
    1.6,
    1.4,
    1.3,
    1.5,
    2.2,
    2,
    1.5,
    1.4,
    1.5,
    1.8,
    2.4,
    3,
    3.6,
    3.8,
    3.2,
    2.2,
)
HOURS_MEALS = (
    0.3,
    0.1,
    0,
    0,
    0,
    0,
    0.2,
    0.8,
    1.2,
    1.2,
    1.8,
    4.5,
    5.5,
    3.5,
    1.5,
    1.2,
    1.6,
    3,
    5,
    6,
    4.5,
    2.5,
    1.4,
    0.7,
)


def calendar(days: int = DAYS, end: date = END_DAY) -> list[date]:
    """The ``days`` consecutive days ending on ``end``, oldest first."""
    return [end - timedelta(days=days - 1 - i) for i in range(days)]


def daily_counts(
    rng: np.random.Generator,
    base: float,
    weekly: Sequence[float],
    *,
    trend: float = 0.0,
    days: Sequence[date] | None = None,
) -> list[tuple[date, int]]:
    """How many rows each day gets: Poisson around ``base`` × weekday factor × a gentle trend.

    ``weekly`` has seven factors, Monday first. ``trend`` is the relative growth over the whole
    period (0.1 = the last day is 10% busier than the first).
    """
    days = list(days or calendar())
    out = []
    for i, day in enumerate(days):
        mean = base * weekly[day.weekday()] * (1 + trend * i / max(len(days) - 1, 1))
        out.append((day, int(rng.poisson(mean))))
    return out


def times_on(rng: np.random.Generator, day: date, n: int, hours: Sequence[float]) -> list[datetime]:
    """``n`` sorted timestamps on ``day`` (whole seconds), drawn from an hourly profile."""
    weights = np.asarray(hours, dtype=float)
    picked = rng.choice(24, size=n, p=weights / weights.sum())
    seconds = rng.integers(0, 3600, size=n)
    start = datetime(day.year, day.month, day.day)
    pairs = zip(picked, seconds, strict=True)
    return sorted(start + timedelta(hours=int(h), seconds=int(s)) for h, s in pairs)


def pick(rng: np.random.Generator, options: dict[str, float]) -> str:
    """One key of ``options``, drawn with the values as relative weights."""
    keys = list(options)
    weights = np.asarray(list(options.values()), dtype=float)
    return str(keys[int(rng.choice(len(keys), p=weights / weights.sum()))])


def end_of_data() -> datetime:
    """The first instant after the sample period: nothing may happen at or after it."""
    return datetime(END_DAY.year, END_DAY.month, END_DAY.day) + timedelta(days=1)


def stamp(value: datetime | None) -> str | None:
    """A timestamp as written to CSV (``None`` stays empty)."""
    return None if value is None else value.strftime(TIME_FORMAT)


def frame(rows: list[dict[str, object]], columns: Sequence[str], *, ints: Sequence[str] = ()) -> pd.DataFrame:
    """Rows → a DataFrame with the given column order; ``ints`` become nullable integers."""
    df = pd.DataFrame(rows, columns=list(columns))
    for col in ints:
        df[col] = df[col].astype("Int64")
    return df


def _generators() -> dict[str, Generator]:
    from northstar.scaffold import template_data_commerce as commerce
    from northstar.scaffold import template_data_services as services

    return {
        "ecommerce": commerce.ecommerce,
        "saas-support": services.saas_support,
        "education": services.education,
        "content": services.content,
        "delivery": commerce.delivery,
    }


def generate(template: str, seed: int = 1) -> Tables:
    """The sample files of ``template`` for ``seed``: relative path → rows."""
    generators = _generators()
    if template not in generators:
        raise KeyError(template)
    return generators[template](np.random.default_rng(seed))


def write_tables(tables: Tables, root: Path) -> list[Path]:
    """Write each table as UTF-8 CSV under ``root``; returns the paths written."""
    written = []
    for rel, df in tables.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    return written
