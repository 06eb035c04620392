"""The monthly review pack (``northstar review --period 2026-11``): what the KPI calibration meeting
reads, gathered into one frozen :class:`ReviewPack` and written as HTML or xlsx.

:func:`build_review` computes nothing new: it calls the analyses and keeps their results. For a
period P (a month, or a quarter) and the last day with data T (``through`` = min(P's end, T)):

1. **KPIs** — the north star, the ``supporting:`` KPIs, then every other KPI with targets (grouped
   by its team): its value over P up to ``through``; ``previous`` = the period before P over the
   same part of it when P is cut short (as ``northstar query --compare prev`` does), so the change
   is like for like; the bands of P from :func:`~northstar.analysis.bands.bands_for` (an additive
   KPI's bands prorated to the days with data); the status as a scorecard gives it; and the last
   6 periods of P's grain (value and target) for the sparkline. One engine query for all of them.
2. **Scorecards** — every card scored for P (:func:`~northstar.analysis.scorecards.run_scorecard`
   at P's grain) and for each ISO week that starts in P on or before ``through``, each with the
   weights in force then.
3. **OKRs** — the objectives whose period overlaps P (:func:`~northstar.analysis.okrs.run_okrs`:
   progress to the last day with data, key results, guardrails).
4. **Alerts** — from the alert store, when there is one: the alerts about a day in P or created
   during P (in the project's timezone), oldest first, with their state, the stored
   explanation's top 3 drivers (net contribution) and root causes, and the latest 5-Why review.
5. **Proposed targets** — for each KPI with targets, :func:`~northstar.analysis.targets.propose_targets`
   for the next 2 periods of the grain of its latest target (``per:`` when given; a yearly target
   is proposed per quarter, a daily one per week; when the history holds no complete period of
   that grain, the next finer grain: month, then week), no benchmark, with the target in force
   now for the first of them.
6. **Notes** — every note of the results above (provisional values, partial periods…), once each.

:func:`write_review` writes a pack to ``.html`` (:mod:`~northstar.export.review_html`) or
``.xlsx`` (:mod:`~northstar.export.review_xlsx`), atomically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from northstar.analysis.bands import Bands, bands_for, is_additive, length_dependent, target_entries
from northstar.analysis.okrs import OkrResult, run_okrs
from northstar.analysis.scorecards import ScorecardResult, item_status, run_scorecard, window_open
from northstar.errors import NorthstarError, QueryError, UserError
from northstar.spec.periods import Period, parse_period, period_of

if TYPE_CHECKING:
    from northstar.analysis.targets import TargetProposal
    from northstar.engine.base import Engine
    from northstar.project import Project
    from northstar.results import MetricInfo
    from northstar.watch.store import AlertStore, Review

__all__ = [
    "AlertLine",
    "CardReview",
    "KpiLine",
    "ProposalLine",
    "ReviewPack",
    "build_review",
    "review_period",
    "write_review",
]

HISTORY = 6  # periods in a KPI's sparkline, P included
PROPOSAL_STEPS = 2
TOP = 3  # drivers and root causes shown per alert
_FINER = ("quarter", "month", "week")  # a grain without enough complete periods falls back to the next
_PROPOSAL_GRAIN = {"day": "week", "week": "week", "month": "month", "quarter": "quarter", "year": "quarter"}


@dataclass(frozen=True)
class KpiLine:
    """One KPI over the period: value, previous, bands, status and its recent history."""

    metric: str
    role: str  # "north_star", "supporting" or "team"
    team: str | None
    value: float | None
    previous: float | None
    change: float | None
    pct: float | None
    bands: Bands | None
    status: str
    history: tuple[tuple[str, float | None, float | None], ...]  # (period, value, target), oldest first


@dataclass(frozen=True)
class CardReview:
    """A scorecard for the period and for the weeks that start in it."""

    name: str
    period: ScorecardResult
    weeks: tuple[ScorecardResult, ...]


@dataclass(frozen=True)
class AlertLine:
    """One alert as the meeting reads it."""

    id: str
    metric: str
    label: str
    label_zh: str
    about: str  # the day (or time) the alert is about
    created: datetime
    severity: str
    state: str
    summary: str
    summary_zh: str
    drivers: tuple[tuple[str, float | None, float | None], ...]  # (driver, contribution, share)
    causes: tuple[tuple[str, float | None], ...]  # ("country=DE, channel=app", share)
    review: Review | None


@dataclass(frozen=True)
class ProposalLine:
    """A KPI's proposed bands for its next periods, or why there is none."""

    metric: str
    grain: str  # of the proposal
    target_grain: str  # of the latest target (the proposal's grain is finer when history is short)
    proposal: TargetProposal | None
    current: Bands | None  # the bands in force now for the first proposed period
    error: str | None = None
    error_zh: str | None = None


@dataclass(frozen=True)
class ReviewPack:
    """Everything the review document shows (module docstring); data only."""

    project: str
    period: Period
    through: date | None  # the last day counted (None: no data at all)
    lang: str
    currency: str | None
    generated: datetime
    metrics: Mapping[str, MetricInfo]
    kpis: tuple[KpiLine, ...]
    scorecards: tuple[CardReview, ...]
    okrs: tuple[OkrResult, ...]
    alerts: tuple[AlertLine, ...] | None  # None: no alert store
    store: str | None
    proposals: tuple[ProposalLine, ...]
    notes: tuple[str, ...] = field(default=())
    notes_zh: tuple[str, ...] = field(default=())
    teams: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # team → (label, label_zh)

    def info(self, metric: str) -> MetricInfo:
        return self.metrics[metric]

    def team_label(self, team: str | None) -> str:
        """The team's label in the pack's language (its name when it has none)."""
        if team is None:
            return "—"
        en, zh = self.teams.get(team, (team, team))
        return zh if self.lang == "zh" else en


def review_period(text: str | Period) -> Period:
    """A month (``2026-11``) or a quarter (``2026-Q4``); anything else is a ``QueryError`` (en/zh)."""
    if isinstance(text, Period):
        p = text
    else:
        try:
            p = parse_period(text)
        except ValueError as exc:
            raise QueryError(
                f"{exc}; a review is for a month (2026-11) or a quarter (2026-Q4)",
                f"{text!r} 不是有效的周期：复盘按月（2026-11）或季度（2026-Q4）进行",
            ) from None
    if p.grain not in ("month", "quarter"):
        raise QueryError(
            f"a review is for a month (2026-11) or a quarter (2026-Q4), not a {p.grain} ({p.label})",
            f"复盘按月（2026-11）或季度（2026-Q4）进行，而不是 {p.label}",
        )
    return p


def build_review(
    project: Project,
    period: str | Period,
    *,
    store: AlertStore | None = None,
    store_name: str | None = None,
    lang: str | None = None,
    engine: Engine | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReviewPack:
    """The review pack of ``period`` (module docstring). ``progress`` is called with the name of
    each part as it starts (``kpis``, ``scorecards``, ``okrs``, ``alerts``, ``targets``)."""
    p = review_period(period)
    eng = engine or project.engine
    step = progress or (lambda _: None)
    entries = target_entries(project, store)
    notes: list[tuple[str, str]] = []

    step("kpis")
    kpis, through = _kpis(project, p, entries, eng, notes)
    step("scorecards")
    cards = _cards(project, p, through, store, eng, entries, notes)
    step("okrs")
    okrs = tuple(r for r in run_okrs(project, engine=eng) if r.period.overlap_days(p) > 0)
    for r in okrs:
        notes += [(f"{r.name}: {n}", f"{r.name}：{z}") for n, z in zip(r.notes, r.notes_zh, strict=False)]
    step("alerts")
    alerts = None if store is None else _alerts(project, store, p)
    step("targets")
    proposals = _proposals(project, entries, kpis, eng)
    seen: set[str] = set()
    unique = []
    for en, zh in notes:
        if en not in seen:
            seen.add(en)
            unique.append((en, zh))
    return ReviewPack(
        project.spec.project.name,
        p,
        through,
        lang or project.spec.project.language,
        project.spec.project.currency,
        datetime.now().astimezone(),
        {m: project.metric_info(m) for m in project.catalog.metrics},
        kpis,
        cards,
        okrs,
        alerts,
        store_name,
        proposals,
        tuple(en for en, _ in unique),
        tuple(zh for _, zh in unique),
        {t: _team_labels(t, team.label) for t, team in project.spec.teams.items()},
    )


def write_review(pack: ReviewPack, path: Path | str) -> Path:
    """Write ``pack`` to ``path``: ``.html`` or ``.xlsx`` (atomically; another suffix is refused)."""
    from northstar.export.atomic import atomic_path
    from northstar.export.goals import check_suffix

    target = Path(path)
    suffix = check_suffix(target, (".html", ".htm", ".xlsx"))
    try:
        with atomic_path(target) as tmp:
            if suffix == ".xlsx":
                from northstar.export.review_xlsx import review_workbook

                review_workbook(pack, tmp)
            else:
                from northstar.export.review_html import review_html

                tmp.write_text(review_html(pack), encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot write {target}: {exc.strerror or exc}", f"无法写入 {target}：{exc.strerror or exc}"
        ) from None
    return target


# -- the parts ------------------------------------------------------------------------------------


def kpi_roles(project: Project, entries: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """(metric, role, team): the north star, the supporting KPIs, then the others with targets."""
    spec = project.spec
    out: list[tuple[str, str, str | None]] = []
    team_of = {m: t for t, team in spec.teams.items() for m in team.metrics}

    def team(m: str) -> str | None:
        return project.catalog.metrics[m].spec.team or team_of.get(m)

    if spec.north_star:
        out.append((spec.north_star, "north_star", team(spec.north_star)))
    out += [(m, "supporting", team(m)) for m in spec.supporting if m != spec.north_star]
    done = {m for m, _, _ in out}
    others = [m for m in entries if m not in done and m in project.catalog.metrics]
    order = {t: i for i, t in enumerate(spec.teams)}
    others.sort(key=lambda m: (order.get(team(m) or "", len(order)), list(entries).index(m)))
    out += [(m, "team", team(m)) for m in others]
    return out


def _kpis(
    project: Project, p: Period, entries: Mapping[str, Any], eng: Engine, notes: list[tuple[str, str]]
) -> tuple[tuple[KpiLine, ...], date | None]:
    roles = kpi_roles(project, entries)
    metrics = [m for m, _, _ in roles]
    span = project.span(metrics, eng) if metrics else None
    if span is None:
        notes.append((f"no data for {p.label}", f"{p.label} 没有数据"))
        return tuple(KpiLine(m, r, t, None, None, None, None, None, "no_data", ()) for m, r, t in roles), None
    last = span[1].date()
    through = min(p.end, last)
    periods = [p]
    for _ in range(HISTORY - 1):
        periods.insert(0, periods[0].previous())
    if through < p.start:
        notes.append(
            (
                f"{p.label} has no data yet: the last day with data is {last.isoformat()}",
                f"{p.label} 尚无数据：最后一天数据为 {last.isoformat()}",
            )
        )
    elif through < p.end:
        notes.append(
            (
                f"{p.label} is not over: values run to {through.isoformat()} ({(through - p.start).days + 1} of"
                f" {p.days} days), compared with the same days of {p.previous().label}; sums and counts are"
                " compared with their targets prorated to those days",
                f"{p.label} 尚未结束：数值截至 {through.isoformat()}（共 {p.days} 天中的 {(through - p.start).days + 1} 天），"
                f"与 {p.previous().label} 的相同天数比较；求和与计数类指标与按天数折算后的目标比较",
            )
        )
    end = min(p.end, max(last, periods[0].start))
    result = project.query(
        metrics, grain=p.grain, start=periods[0].start, end=end, compare=["prev"], engine=eng
    )
    notes += list(zip(result.notes, result.notes_zh, strict=False))
    frame = result.frame
    by_label = {period_of(_day(ts), p.grain).label: i for i, ts in enumerate(frame["period"])}
    lines = []
    for m, role, team in roles:
        additive = is_additive(project, m)
        by_length = length_dependent(project, m)
        direction = project.catalog.metrics[m].spec.direction
        history = []
        for q in periods:
            i = by_label.get(q.label)
            value = _num(frame[m].iloc[i]) if i is not None and q.start <= through else None
            cut = through if q.start <= through < q.end else None
            b = bands_for(entries.get(m, []), q, additive=additive, length_dependent=by_length, elapsed=cut)
            history.append((q.label, value, b.target if b else None))
        i = by_label.get(p.label)
        value = history[-1][1]
        prev = _num(frame[f"{m}__prev"].iloc[i]) if i is not None and value is not None else None
        change = _num(frame[f"{m}__prev_change"].iloc[i]) if i is not None and value is not None else None
        pct = _num(frame[f"{m}__prev_pct"].iloc[i]) if i is not None and value is not None else None
        cut = through if p.start <= through < p.end else None
        b = bands_for(entries.get(m, []), p, additive=additive, length_dependent=by_length, elapsed=cut)
        if by_length and b is None and entries.get(m):
            notes.append(
                (
                    f"{m} counts distinct entities: its targets are set per {_grains(entries[m])}, not per"
                    f" {p.grain}, so it has no band for {p.label} (see its weeks in the scorecards)",
                    f"{m} 基于去重计数：其目标按{_grains(entries[m], 'zh')}设定，而不是按 {p.grain}，"
                    f"因此 {p.label} 没有目标区间（见计分卡中的各周）",
                )
            )
        status = item_status(value, b, direction)
        if value is not None and window_open(project, m, through, eng):
            status = "provisional"  # a repeat rate or conversion whose window is still open
        lines.append(KpiLine(m, role, team, value, prev, change, pct, b, status, tuple(history)))
    return tuple(lines), through


def _cards(
    project: Project,
    p: Period,
    through: date | None,
    store: AlertStore | None,
    eng: Engine,
    entries: Any,
    notes: list[tuple[str, str]],
) -> tuple[CardReview, ...]:
    out = []
    card_notes: dict[tuple[str, str], list[str]] = {}
    first_week = p.start + timedelta(days=(7 - p.start.weekday()) % 7)  # the first Monday in P
    mondays = []
    day = first_week
    while day <= p.end:
        mondays.append(day)
        day += timedelta(days=7)
    counted = [d for d in mondays if through is not None and d <= through]
    if len(counted) < len(mondays):
        skipped = ", ".join(period_of(d, "week").label for d in mondays[len(counted) :])
        notes.append(
            (
                f"weeks starting after the last day with data are left out of the scorecards: {skipped}",
                f"计分卡未包含在最后一天数据之后开始的周：{skipped}",
            )
        )
    for name in project.spec.scorecards or {}:
        try:
            whole = run_scorecard(project, name, p, store=store, engine=eng, _entries=entries)
        except QueryError as exc:  # no weights in force during P
            notes.append((f"{name}: {exc}", f"{name}：{getattr(exc, 'zh', exc)}"))
            continue
        for n, z in zip(whole.notes, whole.notes_zh, strict=False):
            card_notes.setdefault((n, z), []).append(name)
        weeks = []
        for monday in counted:
            try:
                weeks.append(
                    run_scorecard(
                        project, name, period_of(monday, "week"), store=store, engine=eng, _entries=entries
                    )
                )
            except QueryError:
                continue  # no weights in force that week
        out.append(CardReview(name, whole, tuple(weeks)))
    known = {en for en, _ in notes}
    for (n, z), names in card_notes.items():
        if n not in known:  # the same note on several cards is printed once, naming them
            notes.append((f"{', '.join(names)}: {n}", f"{'、'.join(names)}：{z}"))
    return tuple(out)


def _alerts(project: Project, store: AlertStore, p: Period) -> tuple[AlertLine, ...]:
    tz = ZoneInfo(project.spec.project.timezone or "UTC")
    # an alert about a day is created on or after that day: none of them before P starts
    since = datetime(p.start.year, p.start.month, p.start.day, tzinfo=tz)
    out = []
    for s in store.list(since=since):
        a = s.alert
        about = a.period.date() if isinstance(a.period, datetime) else a.period
        created = s.created_at.astimezone(tz)
        if not (p.contains(about) or p.contains(created.date())):
            continue
        out.append(
            AlertLine(
                a.id,
                a.metric,
                a.label_en,
                a.label_zh,
                a.period.isoformat() if isinstance(a.period, date) else str(a.period),
                created,
                a.severity,
                s.state,
                a.summary_en,
                a.summary_zh,
                _drivers(s.explanation, a.drivers),
                _causes(s.explanation, a.root_causes),
                s.review,
            )
        )
    return tuple(out)


def _drivers(
    explanation: Mapping[str, Any] | None, fallback: Any
) -> tuple[tuple[str, float | None, float | None], ...]:
    rows = (explanation or {}).get("net_by_driver")
    if isinstance(rows, list) and rows:
        picked = [
            (str(r.get("driver")), _num(r.get("contribution")), _num(r.get("share")))
            for r in rows
            if isinstance(r, Mapping)
        ]
    else:
        picked = [(d.name, _num(d.contribution), _num(d.share)) for d in fallback]
    picked.sort(key=lambda d: -abs(d[1] or 0.0))
    return tuple(picked[:TOP])


def _causes(explanation: Mapping[str, Any] | None, fallback: Any) -> tuple[tuple[str, float | None], ...]:
    found = (explanation or {}).get("root_causes")
    causes = found.get("causes") if isinstance(found, Mapping) else None
    if isinstance(causes, list) and causes:
        picked = [
            (_combination(c.get("combination")), _num(c.get("share")))
            for c in causes
            if isinstance(c, Mapping)
        ]
    else:
        picked = [(_combination(c.combination), _num(c.share)) for c in fallback]
    return tuple(picked[:TOP])


def _combination(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _proposals(
    project: Project, entries: Mapping[str, Any], kpis: tuple[KpiLine, ...], eng: Engine
) -> tuple[ProposalLine, ...]:
    out = []
    for line in kpis:
        mine = entries.get(line.metric)
        if not mine:
            continue
        latest = max(mine, key=lambda e: (e.period.end, e.period.start))
        asked = grain = _PROPOSAL_GRAIN[latest.per or latest.period.grain]
        proposal, failure = None, None
        for g in _FINER[_FINER.index(grain) :]:
            try:
                proposal = project.propose_targets(line.metric, steps=PROPOSAL_STEPS, grain=g, engine=eng)
            except NorthstarError as exc:
                failure = failure or exc  # the target's own grain says why
                continue
            grain = g
            break
        if proposal is None:
            assert failure is not None
            out.append(
                ProposalLine(
                    line.metric, asked, asked, None, None, str(failure), str(getattr(failure, "zh", failure))
                )
            )
            continue
        first = parse_period(proposal.steps[0].period)
        current = bands_for(
            mine,
            first,
            additive=is_additive(project, line.metric),
            length_dependent=length_dependent(project, line.metric),
        )
        out.append(ProposalLine(line.metric, grain, asked, proposal, current))
    return tuple(out)


def _team_labels(name: str, label: Any) -> tuple[str, str]:
    en = (label.en if label is not None and label.en else None) or name
    return en, (label.zh if label is not None and label.zh else None) or en


def _grains(entries: list[Any], lang: str = "en") -> str:
    words = {"day": "天", "week": "周", "month": "月", "quarter": "季度", "year": "年"}
    grains = dict.fromkeys(e.per or e.period.grain for e in entries)
    return ("、" if lang == "zh" else ", ").join(words[g] if lang == "zh" else g for g in grains)


def _day(ts: Any) -> date:
    return ts.date() if hasattr(ts, "date") else ts  # type: ignore[no-any-return]


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
