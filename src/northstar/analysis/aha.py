"""Aha moments: which early behaviours go with a better later outcome (correlation, not cause).

Everything is counted in whole **calendar days of the project timezone** (so a DST change never
stretches or shortens a day, and "day 0" is the day an analyst would name):

- **Day 0** of an entity is the local date of its first row in the source (of its first row with
  ``event_column = start_event`` when a start event is given). Rows with no entity are ignored.
- **Population**: the entities whose day 0 falls in [start, end] (inclusive dates) *and* whose
  outcome window is observable: the window's last day is on or before the last date with data.
  The others are *left out* and counted (``AhaResult.left_out``).
- **Behaviour** "E ≥ k within D days": at least ``k`` rows with ``event_column = E`` on days
  0 … D−1 (rows on day 0 before the start event count too). ``k`` runs over the ladder
  1, 2, 3, 5, 10, 20, 50, 100; a rung is a candidate when both the entities that did it and those
  that did not are at least ``min_support`` of the population, and it is not the same group of
  entities as the rung below it. Events done by fewer than ``min_support`` drop out this way.
- **Outcomes** (each starts on or after day D, so the behaviour never counts as its own outcome):
  ``retained_Nd`` — any row on days N … N+6 (active in the week starting on day N; N ≥ D);
  ``event:X`` — a row with event X on days D … H−1 (H = ``horizon``, default 30 days);
  ``converted:X`` — the entity's *first* X falls on days D … H−1; entities whose first X comes
  before day D (they had converted already) are left out of the population and counted in
  ``AhaResult.already_converted``.
- **Per candidate**: ``did`` entities (``support`` = did / population) of which ``did_outcome``
  reached the outcome, and ``did_not`` / ``did_not_outcome`` for the rest. ``rate_did`` and
  ``rate_did_not`` are the outcome rates; ``lift = rate_did / rate_did_not`` (null when
  rate_did_not is 0); ``difference = rate_did − rate_did_not``; ``share_of_outcome`` = the share
  of the entities reaching the outcome that did the behaviour (what "compass" reports call
  coverage). 95 % intervals: Katz's log interval for the lift, exp(ln lift ± 1.96·√(1/a − 1/n₁
  + 1/c − 1/n₀)), with 0.5 added to every cell of the 2×2 table when one is 0; Newcombe's hybrid
  score interval (his method 10, from two Wilson intervals) for the difference.
- **Ranking**: by the lower bound of the lift's interval (then lift, then support), so a small
  group with a lucky rate does not top a large one with a reliable lift.

The engine does the counting (Ibis, the same on DuckDB and Spark): day 0 per entity, the outcome
per entity, and one row per (event, count within D days capped at 100) with entities and outcomes.
Only those small tables come back to Python.

These are correlations among entities who chose to do these things: they show what to test with
an experiment, not what causes the outcome.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from northstar.engine.base import TS
from northstar.errors import QueryError
from northstar.spec.models import parse_duration_days
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

LADDER = (1, 2, 3, 5, 10, 20, 50, 100)
RETENTION_WEEK = 7  # retained_Nd looks at days N … N+6
DEFAULT_SPAN_DAYS = 30  # default population: entities starting in 30 days
LEFT_CENSORED_DAYS = 30  # a note when the population starts this close to the data's first day
Z95 = NormalDist().inv_cdf(0.975)
CORRELATION_NOTE = (
    "These are correlations among entities who chose to do these things, not causes: "
    "test a candidate with an experiment before building on it.",
    "以下是相关性，不是因果：这些行为是用户自己选择做的。请先用实验验证候选行为，再据此行动。",
)
COLUMNS = [
    "rank",
    "event",
    "at_least",
    "did",
    "support",
    "did_outcome",
    "did_not",
    "did_not_outcome",
    "rate_did",
    "rate_did_not",
    "lift",
    "lift_low",
    "lift_high",
    "difference",
    "difference_low",
    "difference_high",
    "share_of_outcome",
]


@dataclass(frozen=True)
class Outcome:
    """A parsed ``--outcome``: its kind, event (for event/converted) and window in days after day 0."""

    text: str
    kind: str  # retained | event | converted
    event: str | None
    first_day: int  # first day of the outcome window (days after day 0)
    last_day: int  # last day of the outcome window (inclusive)


@dataclass(frozen=True)
class AhaResult:
    """Candidate early behaviours ranked by how reliably they go with the outcome.

    ``candidates`` columns: see ``COLUMNS`` (one row per event and threshold, best first).
    """

    source: str
    event_column: str
    outcome: Outcome
    within_days: int
    start: date
    end: date
    start_event: str | None
    population: int
    with_outcome: int
    left_out: int  # started in [start, end] but the outcome window is not fully in the data
    already_converted: int  # converted:X only: did X before day `within_days`
    min_support: float
    candidates: pd.DataFrame
    notes: tuple[tuple[str, str], ...]

    @property
    def base_rate(self) -> float:
        return self.with_outcome / self.population if self.population else float("nan")

    def notes_in(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for en, zh in self.notes]

    def top(self, n: int) -> pd.DataFrame:
        return self.candidates.head(n).reset_index(drop=True)


# -- inputs -----------------------------------------------------------------------------------------
def whole_days(text: str, what: str) -> int:
    """``7d`` → 7, ``2w`` → 14; hours or fractions are refused (days are calendar days)."""
    try:
        days = parse_duration_days(text)
    except ValueError:
        raise QueryError(
            f"{what} {text!r} is not a duration: write e.g. 7d or 2w",
            f"{what} {text!r} 不是时长：请写成 7d 或 2w 这样的格式",
        ) from None
    if days < 1 or not float(days).is_integer():
        raise QueryError(
            f"{what} {text!r} must be whole days (at least 1d): days here are calendar days",
            f"{what} {text!r} 必须是整天数（至少 1d）：这里按自然日计算",
        )
    return int(days)


_RETAINED = re.compile(r"^retained_(\d+)d$")


def parse_outcome(text: str, within: int, horizon: int, events: list[str]) -> Outcome:
    """``retained_30d``, ``event:purchase`` or ``converted:purchase`` (see the module docstring)."""
    text = text.strip()
    m = _RETAINED.match(text)
    if m:
        n = int(m.group(1))
        if n < within:
            raise QueryError(
                f"outcome {text!r} starts on day {n}, inside the first {within} days: the outcome must "
                f"come after the behaviour, so use retained_{within}d or later, or a shorter --within",
                f"结果 {text!r} 从第 {n} 天开始，落在前 {within} 天之内：结果必须在行为之后，"
                f"请用 retained_{within}d 或更晚，或缩短 --within",
            )
        return Outcome(text, "retained", None, n, n + RETENTION_WEEK - 1)
    kind, _, event = text.partition(":")
    if kind in ("event", "converted") and event:
        if event not in events:
            raise QueryError(
                f"outcome {text!r}: no event {event!r} in the source" + did_you_mean(event, events),
                f"结果 {text!r}：数据源中没有事件 {event!r}" + did_you_mean(event, events, "zh"),
            )
        if horizon <= within:
            raise QueryError(
                f"--horizon ({horizon}d) must be longer than --within ({within}d): the outcome is "
                "counted between them",
                f"--horizon（{horizon}d）必须长于 --within（{within}d）：结果在两者之间统计",
            )
        return Outcome(text, kind, event, within, horizon - 1)
    known = [
        "retained_30d",
        "retained_7d",
        *(f"event:{e}" for e in events),
        *(f"converted:{e}" for e in events),
    ]
    raise QueryError(
        f"unknown outcome {text!r}: write retained_30d (any N), event:NAME or converted:NAME"
        + did_you_mean(text, known),
        f"未知的结果 {text!r}：请写 retained_30d（N 可任意）、event:事件名 或 converted:事件名"
        + did_you_mean(text, known, "zh"),
    )


def default_source(project: Project) -> str:
    """The source called ``events`` if it has an entity, else the only source with an entity."""
    with_entity = [n for n, s in project.spec.sources.items() if s.entity]
    if "events" in with_entity:
        return "events"
    if len(with_entity) == 1:
        return with_entity[0]
    names = ", ".join(with_entity) or "–"
    raise QueryError(
        f"choose the source with --source (sources with an entity: {names})",
        f"请用 --source 指定数据源（有实体列的数据源：{names}）",
    )


# -- statistics -------------------------------------------------------------------------------------
def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for the proportion x/n."""
    if n == 0:
        return float("nan"), float("nan")
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(x * (n - x) / n + z * z / 4) / (n + z * z)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(a: int, n1: int, c: int, n0: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for a/n1 − c/n0."""
    if n1 == 0 or n0 == 0:
        return float("nan"), float("nan")
    p1, p0 = a / n1, c / n0
    l1, u1 = wilson(a, n1, z)
    l0, u0 = wilson(c, n0, z)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def katz_ratio(a: int, n1: int, c: int, n0: int, z: float = Z95) -> tuple[float, float]:
    """Katz's log interval for (a/n1)/(c/n0); 0.5 is added to each 2×2 cell when one is zero."""
    if n1 == 0 or n0 == 0:
        return float("nan"), float("nan")
    fa, fn1, fc, fn0 = float(a), float(n1), float(c), float(n0)
    if a == 0 or c == 0 or a == n1 or c == n0:
        fa, fc, fn1, fn0 = fa + 0.5, fc + 0.5, fn1 + 1.0, fn0 + 1.0
    log_ratio = math.log((fa / fn1) / (fc / fn0))
    se = math.sqrt(1 / fa - 1 / fn1 + 1 / fc - 1 / fn0)
    return math.exp(log_ratio - z * se), math.exp(log_ratio + z * se)


# -- the analysis ----------------------------------------------------------------------------------
def run_aha(
    project: Project,
    engine: Engine,
    *,
    source: str | None = None,
    outcome: str = "retained_30d",
    within: str = "7d",
    horizon: str = "30d",
    start: date | None = None,
    end: date | None = None,
    start_event: str | None = None,
    event_column: str = "event_name",
    events: list[str] | None = None,
    min_support: float = 0.05,
) -> AhaResult:
    """Rank "did E at least k times in the first ``within`` days" by its lift in ``outcome``."""
    src = source or default_source(project)
    if src not in project.spec.sources:
        raise QueryError(
            f"unknown source {src!r}" + did_you_mean(src, project.spec.sources),
            f"未知的数据源 {src!r}" + did_you_mean(src, project.spec.sources, "zh"),
        )
    entity = project.spec.sources[src].entity
    if not entity:
        raise QueryError(
            f"source {src!r} has no entity: add `entity:` to it in northstar.yml",
            f"数据源 {src!r} 没有实体列：请在 northstar.yml 中为它加上 `entity:`",
        )
    if not 0 <= min_support < 0.5:
        raise QueryError(
            "--min-support must be at least 0 and below 0.5", "--min-support 必须不小于 0 且小于 0.5"
        )
    table = project.table(engine, src)
    if event_column not in table.columns:
        cols = [c for c in table.columns if c != TS]
        raise QueryError(
            f"source {src!r} has no column {event_column!r} (set --event-column)"
            + did_you_mean(event_column, cols),
            f"数据源 {src!r} 没有列 {event_column!r}（请用 --event-column 指定）"
            + did_you_mean(event_column, cols, "zh"),
        )
    d = whole_days(within, "--within")
    h = whole_days(horizon, "--horizon")
    names_frame = engine.execute(
        table.filter(table[event_column].notnull())
        .group_by(ev=table[event_column])
        .aggregate(n=ibis._.count())
    )
    names = sorted(str(v) for v in names_frame["ev"])
    out = parse_outcome(outcome, d, h, names)
    for name, what in [(start_event, "--start"), *((e, "--event") for e in events or [])]:
        if name is not None and name not in names:
            raise QueryError(
                f"{what}: no event {name!r} in source {src!r}" + did_you_mean(name, names),
                f"{what}：数据源 {src!r} 中没有事件 {name!r}" + did_you_mean(name, names, "zh"),
            )
    cov = project.coverage(engine, src)
    if cov is None:  # no rows: an empty result over the dates asked for (or today)
        end = end or start or date.today()
        cov = (datetime.combine(start or end, time()), datetime.combine(end, time()))
        has_rows = False
    else:
        has_rows = True
    first_day, last_day = cov[0].date(), cov[1].date()
    latest_start = last_day - timedelta(days=out.last_day)  # the last day 0 with a whole outcome window
    if end is None:
        end = latest_start
        if end < first_day:
            span = (last_day - first_day).days + 1
            raise QueryError(
                f"the data span {span} days, but {out.text} needs {out.last_day + 1} days after day 0",
                f"数据只覆盖 {span} 天，而 {out.text} 需要从第 0 天起 {out.last_day + 1} 天的数据",
            )
    if start is None:
        start = max(first_day, end - timedelta(days=DEFAULT_SPAN_DAYS - 1))
    if end < start:
        raise QueryError(
            f"the range ends ({end}) before it starts ({start})", f"结束日期（{end}）早于开始日期（{start}）"
        )
    notes = _notes(start, first_day, has_rows)
    empty = AhaResult(src, event_column, out, d, start, end, start_event, 0, 0, 0, 0, min_support,
                      pd.DataFrame(columns=COLUMNS), notes)  # fmt: skip
    if not has_rows:
        return empty
    people, hist = _per_entity(
        table, entity, event_column, out, d, start, end, latest_start, start_event, events
    )
    totals = engine.execute(people)
    row = {k: 0 if pd.isna(v) else int(v) for k, v in totals.iloc[0].items()}  # sums of nothing are null
    started, observable, converted_before = row["started"], row["observable"], row["converted_before"]
    population, reached = row["population"], row["reached"]
    counts = (
        engine.execute(hist)
        if population
        else pd.DataFrame({"ev": [], "n": [], "entities": [], "outcomes": []})
    )
    frame = candidates(counts, population, reached, min_support)
    return AhaResult(
        src, event_column, out, d, start, end, start_event, population, reached,
        started - observable, converted_before, min_support, frame, notes,
    )  # fmt: skip


def _per_entity(
    table: Any,
    entity: str,
    event_column: str,
    out: Outcome,
    within: int,
    start: date,
    end: date,
    latest_start: date,
    start_event: str | None,
    events: list[str] | None,
) -> tuple[Any, Any]:
    """Two expressions: the population's totals (one row) and the (event, count) histogram."""
    base = table.filter(table[entity].notnull()).select(
        e=table[entity], ev=table[event_column], d=table[TS].date()
    )
    starts = base if start_event is None else base.filter(base.ev == start_event)
    first = starts.group_by("e").aggregate(d0=starts.d.min())
    cohort = first.filter((first.d0 >= ibis.literal(start)) & (first.d0 <= ibis.literal(end)))
    cohort = cohort.mutate(obs=(cohort.d0 <= ibis.literal(latest_start)).cast("int64"))
    pop = cohort.filter(cohort.obs == 1).select("e", "d0")
    rows = base.join(pop, "e")
    offset = rows.d.delta(rows.d0, unit="day")
    rows = rows.mutate(off=offset)
    if out.kind == "retained":
        hit = rows.filter((rows.off >= out.first_day) & (rows.off <= out.last_day))
        reached = hit.select(e2=hit.e).distinct()
        before = None
    else:
        xs = rows.filter(rows.ev == out.event)
        if out.kind == "event":
            hit = xs.filter((xs.off >= out.first_day) & (xs.off <= out.last_day))
            reached = hit.select(e2=hit.e).distinct()
            before = None
        else:  # converted: the first X decides; X before day `within` means converted already
            fx = base.filter(base.ev == out.event).group_by("e").aggregate(fx=ibis._.d.min())
            fx = fx.join(pop, "e")
            fx = fx.mutate(foff=fx.fx.delta(fx.d0, unit="day"))
            reached = fx.filter((fx.foff >= out.first_day) & (fx.foff <= out.last_day)).select(e2=ibis._.e)
            before = fx.filter(fx.foff < out.first_day).select(e3=ibis._.e)
    flagged = pop.left_join(reached, pop.e == reached.e2)
    flagged = flagged.select("e", y=flagged.e2.notnull().cast("int64"))
    if before is not None:
        flagged = flagged.left_join(before, flagged.e == before.e3)
        flagged = flagged.select("e", "y", pre=flagged.e3.notnull().cast("int64"))
    else:
        flagged = flagged.mutate(pre=ibis.literal(0, "int64"))
    cohort_totals = cohort.aggregate(started=cohort.count(), observable=cohort.obs.sum())
    kept = flagged.filter(flagged.pre == 0)
    pop_totals = flagged.aggregate(
        population=(1 - flagged.pre).sum(),
        reached=(flagged.y * (1 - flagged.pre)).sum(),
        converted_before=flagged.pre.sum(),
    )
    totals = cohort_totals.cross_join(pop_totals)

    early = rows.filter((rows.off >= 0) & (rows.off < within) & rows.ev.notnull())
    if events:
        early = early.filter(early.ev.isin(events))
    per = early.group_by(["e", "ev"]).aggregate(n=ibis._.count())
    per = per.join(kept, "e")
    per = per.mutate(n=ibis.least(per.n, LADDER[-1]))
    hist = per.group_by(["ev", "n"]).aggregate(entities=per.count(), outcomes=per.y.sum())
    return totals, hist


def candidates(counts: pd.DataFrame, population: int, reached: int, min_support: float) -> pd.DataFrame:
    """Every (event, k) on the ladder that passes the support rule, with rates, lift and intervals,
    ranked. ``counts``: ev, n (capped count within D days, ≥ 1), entities, outcomes."""
    rows: list[dict[str, Any]] = []
    floor = min_support * population
    for ev, g in counts.groupby("ev", sort=True):
        n = g["n"].astype("int64").to_numpy()
        ent = g["entities"].astype("int64").to_numpy()
        hits = g["outcomes"].astype("int64").to_numpy()
        previous = None
        for k in LADDER:
            did = int(ent[n >= k].sum())
            if did == 0 or did < floor:
                break
            if did == previous:
                continue
            previous = did
            did_not = population - did
            if did_not == 0 or did_not < floor:
                continue
            a = int(hits[n >= k].sum())
            c = reached - a
            rows.append(_stats(str(ev), k, a, did, c, did_not, population, reached))
    frame = pd.DataFrame(rows, columns=COLUMNS[1:])
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = frame.sort_values(
        ["lift_low", "lift", "support", "event", "at_least"],
        ascending=[False, False, False, True, True],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def _stats(
    ev: str, k: int, a: int, n1: int, c: int, n0: int, population: int, reached: int
) -> dict[str, Any]:
    p1, p0 = a / n1, c / n0
    lift = p1 / p0 if p0 > 0 else float("nan")
    lift_low, lift_high = katz_ratio(a, n1, c, n0)
    diff_low, diff_high = newcombe_difference(a, n1, c, n0)
    return {
        "event": ev,
        "at_least": k,
        "did": n1,
        "support": n1 / population,
        "did_outcome": a,
        "did_not": n0,
        "did_not_outcome": c,
        "rate_did": p1,
        "rate_did_not": p0,
        "lift": lift,
        "lift_low": lift_low,
        "lift_high": lift_high,
        "difference": p1 - p0,
        "difference_low": diff_low,
        "difference_high": diff_high,
        "share_of_outcome": a / reached if reached else float("nan"),
    }


def _notes(start: date, first_day: date, has_rows: bool) -> tuple[tuple[str, str], ...]:
    if not has_rows:
        return (("the source has no rows", "数据源中没有数据"),)
    if (start - first_day).days < LEFT_CENSORED_DAYS:
        return (
            (
                f"the data start on {first_day}: entities first seen within {LEFT_CENSORED_DAYS} days of it "
                "may have been active before, so their day 0 may not be their real start",
                f"数据从 {first_day} 开始：在最初 {LEFT_CENSORED_DAYS} 天内首次出现的实体可能更早就活跃过，"
                "其第 0 天未必是真正的开始",
            ),
        )
    return ()
