"""A loaded project: its validated spec, its metric catalog, and the engine it runs on.

>>> project = Project.load("northstar.yml")                      # doctest: +SKIP
>>> project.query(["revenue"], by=["channel"], grain="week").frame  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from northstar.compile.catalog import Catalog
from northstar.compile.plan import Step
from northstar.compile.request import GRAINS, QueryRequest, parse_date
from northstar.engine import Engine, create_engine
from northstar.engine.base import TS
from northstar.errors import Issue, NorthstarError, QueryError, SpecError, UserError
from northstar.results import Comparison, MetricInfo, QueryResult
from northstar.spec.loader import Node, load_project_data
from northstar.spec.models import ProjectSpec
from northstar.spec.rules import (
    check_data,
    check_references,
    check_shape,
    check_source_locations,
    unlocatable_sources,
)
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from northstar.analysis.activity import ActiveUsersResult
    from northstar.analysis.aha import AhaResult
    from northstar.analysis.alignment import AlignmentMap
    from northstar.analysis.bands import TargetSetting
    from northstar.analysis.explain import ExplainResult
    from northstar.analysis.funnels import FunnelResult
    from northstar.analysis.lagged import Validation
    from northstar.analysis.lifecycle import LifecycleResult
    from northstar.analysis.okrs import OkrResult
    from northstar.analysis.repurchase import RepurchaseCurve
    from northstar.analysis.retention import RetentionResult
    from northstar.analysis.scorecards import ScorecardResult
    from northstar.analysis.targets import TargetProposal
    from northstar.export.review import ReviewPack

PROJECT_FILE = "northstar.yml"
_DEFAULT_FORMAT = {
    "ratio": "percent",
    "repeat_rate": "percent",
    "tiered": "percent",
    "conversion": "percent",
    "active_users": "integer",
}


def find_project_file(path: str | Path | None) -> Path:
    p = Path(path) if path else Path.cwd()
    if p.is_dir():
        yaml_twin = p / "northstar.yaml"
        p = p / PROJECT_FILE
        if not p.exists() and yaml_twin.exists():
            return yaml_twin
    return p


class Project:
    """A validated project bound to an engine (DuckDB unless told otherwise)."""

    def __init__(
        self, spec: ProjectSpec, path: Path, data: Node, issues: Sequence[Issue], engine: Engine | None = None
    ):
        self.spec = spec
        self.path = path
        self.base_dir = path.parent
        self.data = data
        self.issues = tuple(issues)
        self.catalog = Catalog(spec.metrics)
        self._engine = engine
        self._coverage: dict[tuple[int, str], tuple[datetime, datetime] | None] = {}

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(
        cls, path: str | Path | None = None, *, engine: Engine | str | None = None, read_data: bool = True
    ) -> Project:
        """Load and validate ``northstar.yml`` (a file or its folder). Raises :class:`SpecError`
        with every problem found; warnings stay available as ``project.issues``."""
        file = find_project_file(path)
        data, issues = load_project_data(file)
        spec, shape_issues = check_shape(data)
        issues += shape_issues
        if spec is None:
            raise SpecError(issues)
        eng = create_engine(engine) if isinstance(engine, str) else engine
        project = cls(spec, file, data, [], eng)
        issues += check_references(spec, data, project.catalog.names())
        issues += check_source_locations(spec, data, project.base_dir)
        if read_data and spec.leads and not any(i.level == "error" for i in issues):
            issues += project._build_lead_tables()
        if read_data:
            bad = unlocatable_sources(spec, project.base_dir)
            readable = [s for s in spec.sources if s not in bad]
            issues += check_data(
                ProjectSpec.model_construct(
                    **{**dict(spec), "sources": {k: spec.sources[k] for k in readable}}
                ),
                data,
                project.column_kinds,
                project.catalog.names(),
                lambda src: project.table(project.engine, src),
                lambda src: project.coverage(project.engine, src) is None,
            )
        issues.sort(key=lambda i: (i.file or "", i.line or 0, i.code))
        project.issues = tuple(issues)
        if any(i.level == "error" for i in issues):
            raise SpecError(issues)
        return project

    def _build_lead_tables(self) -> list[Issue]:
        """Write each lead set's screened table when stale (:mod:`northstar.leads.table`)."""
        from northstar.leads.table import build_lead_table
        from northstar.spec.messages import make_issue

        issues: list[Issue] = []
        store = self.app_store(create=False)
        try:
            for name in self.spec.leads:
                try:
                    build_lead_table(self, name, store)
                except NorthstarError as exc:
                    raw = self.data.get("leads") or {}
                    node = raw.get(name) if isinstance(raw, dict) else None
                    file = getattr(node, "file", None)
                    line = node.line if node is not None and hasattr(node, "line") else None
                    zh = exc.zh if isinstance(exc, UserError) else str(exc)
                    issues.append(
                        make_issue("lead-data", file, line, name=name, detail=str(exc), detail_zh=zh)
                    )
        finally:
            if store is not None:
                store.close()
        return issues

    def app_store(self, target: str | None = None, *, create: bool = True) -> Any:
        """The app database (alerts, targets, lead ratings): ``target``, else
        ``$NORTHSTAR_ALERT_STORE``, else ``.northstar/alerts.db`` beside ``northstar.yml``. With
        ``create=False``, None when that SQLite file does not exist yet."""
        from northstar.watch.store import AlertStore, _sqlite_path, app_store_target

        where = app_store_target(self.base_dir, target)
        path = _sqlite_path(where)
        if not create and path is not None and not path.exists():
            return None
        return AlertStore.open(where)

    # -- engine access --------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine("duckdb")
        return self._engine

    def table(self, engine: Engine, source: str) -> Any:
        engine.register(source, self.spec.sources[source], self.base_dir, self.spec.project.timezone)
        return engine.table(source)

    def column_kinds(self, source: str) -> dict[str, str]:
        self.table(self.engine, source)
        return self.engine.column_kinds(source)

    def coverage(self, engine: Engine, source: str) -> tuple[datetime, datetime] | None:
        """The first and last time in ``source`` (project-local), or None when it has no rows."""
        key = (id(engine), source)
        if key not in self._coverage:
            t = self.table(engine, source)
            frame: Any = engine.execute(t.aggregate(lo=t[TS].min(), hi=t[TS].max()))
            lo, hi = frame["lo"].iloc[0], frame["hi"].iloc[0]
            self._coverage[key] = None if lo is None or lo != lo else (_naive(lo), _naive(hi))
        return self._coverage[key]

    def span(self, names: Sequence[str], engine: Engine) -> tuple[datetime, datetime] | None:
        """The first and last time in the sources of metrics ``names`` (project-local), or None
        when none of them has rows."""
        spans = [c for c in (self.coverage(engine, s) for s in self.sources_of(names)) if c is not None]
        if not spans:
            return None
        return min(lo for lo, _ in spans), max(hi for _, hi in spans)

    def last_time(self, engine: Engine, source: str) -> datetime | None:
        cov = self.coverage(engine, source)
        return cov[1] if cov else None

    def sources_of(self, names: Sequence[str]) -> list[str]:
        """The sources the metrics ``names`` (and what they depend on) read."""
        found = {self.source_of(n) for n in self.catalog.closure(self.catalog.expand(names))}
        return sorted(s for s in found if s)

    def source_of(self, name: str) -> str | None:
        """The source metric ``name`` reads itself (a conversion of a funnel: the funnel's)."""
        spec = self.catalog.metrics[name].spec
        if spec.type == "conversion" and spec.funnel and spec.funnel in self.spec.funnels:
            return self.spec.funnels[spec.funnel].source
        if spec.type == "active_users" and spec.activity and spec.activity in self.spec.activity:
            return self.spec.activity[spec.activity].source
        return spec.source

    # -- metadata --------------------------------------------------------------------------
    def metric_info(self, name: str) -> MetricInfo:
        m = self.catalog.metrics[name]
        spec = m.spec
        fmt = (
            spec.format
            or _DEFAULT_FORMAT.get(spec.type)
            or ("integer" if spec.type in ("count", "count_distinct") else "number")
        )
        if spec.type == "relative" and spec.stat in ("share_ahead", "share_on_time", "share_late"):
            fmt = spec.format or "percent"
        decimals = spec.decimals if spec.decimals is not None else {"percent": 1, "integer": 0}.get(fmt, 2)
        label = spec.label.get("en", name) if spec.label else name
        label_zh = spec.label.get("zh", label) if spec.label else name
        if m.threshold is not None:
            t = int(m.threshold) if m.threshold.is_integer() else m.threshold
            label, label_zh = f"{label} ≥{t}{spec.suffix}", f"{label_zh} ≥{t}{spec.suffix}"
        return MetricInfo(name, label, label_zh, spec.unit, fmt, decimals, spec.direction)

    def dimension_labels(self, name: str) -> tuple[str, str]:
        label = self.spec.dimensions[name].label
        if label is None:
            return name, name
        return label.get("en", name), label.get("zh", name)

    # -- queries ---------------------------------------------------------------------------
    def query(
        self,
        metrics: str | Iterable[str],
        *,
        by: Iterable[str] = (),
        grain: str | None = None,
        start: str | date | None = None,
        end: str | date | None = None,
        where: str | None = None,
        compare: Iterable[Comparison] = (),
        engine: Engine | None = None,
        progress: Callable[[Step], None] | None = None,
    ) -> QueryResult:
        """Compute ``metrics`` over [start, end] (inclusive dates, project timezone).

        Without ``start``/``end`` the range ends on the last day with data in the metrics'
        sources and covers, by grain: 30 days (none, day), 2 days (hour), 12 weeks, 12 months,
        8 quarters or 5 years. With a grain the range starts where its first period starts."""
        from northstar.analysis.metrics import run_query

        names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        if grain is not None and grain not in GRAINS:
            raise QueryError(
                f"unknown grain {grain!r}: choose one of {', '.join(GRAINS)}" + did_you_mean(grain, GRAINS),
                f"未知的时间粒度 {grain!r}：可选 {', '.join(GRAINS)}" + did_you_mean(grain, GRAINS, "zh"),
            )
        eng = engine or self.engine
        s, e = self.default_range(names, eng, grain) if start is None or end is None else (None, None)
        request = QueryRequest(
            metrics=names,
            start=parse_date(start, "--from") if start is not None else s,  # type: ignore[arg-type]
            end=parse_date(end, "--to") if end is not None else e,  # type: ignore[arg-type]
            by=tuple(by),
            grain=grain,
            where=where,
            compare=tuple(compare),
        )
        return run_query(self, eng, request, progress)

    def funnel(
        self,
        name: str,
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        by: str | None = None,
        engine: Engine | None = None,
        where: str | None = None,
    ) -> FunnelResult:
        """Run funnel ``name`` (see :mod:`northstar.analysis.funnels`); dates default to the last
        30 days of the funnel's source. ``where`` (``channel = 'ads'``: dimensions and the source's
        columns) keeps only matching source rows: only matching events count as steps."""
        from northstar.analysis.funnels import run_funnel

        eng = engine or self.engine
        return run_funnel(self, eng, name, *self._funnel_range(name, start, end, eng), by, where)

    def funnel_over_time(
        self,
        name: str,
        grain: str = "week",
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        by: str | None = None,
        engine: Engine | None = None,
        where: str | None = None,
    ) -> pd.DataFrame:
        """Conversion of funnel ``name`` by the period it was entered (a DataFrame); ``where`` as
        in :meth:`funnel`."""
        from northstar.analysis.funnels import run_funnel_over_time

        eng = engine or self.engine
        first, last = self._funnel_range(name, start, end, eng)
        return run_funnel_over_time(self, eng, name, first, last, grain, by, where)

    def _funnel_range(
        self, name: str, start: str | date | None, end: str | date | None, engine: Engine
    ) -> tuple[date, date]:
        """The dates a funnel runs over; missing ones default to the last 30 days of its source."""
        from northstar.analysis.funnels import funnel_spec

        source = funnel_spec(self, name).source
        end_given = end is not None
        if end is None:
            cov = self.coverage(engine, source)
            end = cov[1].date() if cov else date.today()
        last = parse_date(end, "--to")
        first = parse_date(start, "--from") if start is not None else last - timedelta(days=29)
        if first > last and end_given:
            raise QueryError(
                f"the range starts ({first}) after it ends ({last}): swap the start and the end (--from, --to)",
                f"日期范围的开始（{first}）晚于结束（{last}）：请交换开始和结束日期（--from、--to）",
            )
        if first > last:
            raise QueryError(
                f"--from {first} is after the data ends ({last}): pick an earlier day, or give --to",
                f"--from {first} 晚于数据的最后一天（{last}）：请选更早的日期，或指定 --to",
            )
        return first, last

    def default_range(
        self, names: Sequence[str], engine: Engine, grain: str | None = None
    ) -> tuple[date, date]:
        span = self.span(names, engine)
        if span is None:
            raise QueryError(
                "the metrics' sources hold no rows with a time; pass --from and --to",
                "这些指标的数据源中没有带时间的行；请指定 --from 和 --to",
            )
        import pandas as pd

        end = pd.Timestamp(span[1]).date()
        first = pd.Timestamp(span[0]).date()
        return max(default_start(end, grain), first), end

    def aha(
        self,
        outcome: str = "retained_30d",
        *,
        within: str = "7d",
        horizon: str = "30d",
        source: str | None = None,
        start: str | date | None = None,
        end: str | date | None = None,
        start_event: str | None = None,
        event_column: str = "event_name",
        events: Sequence[str] | None = None,
        min_support: float = 0.05,
        engine: Engine | None = None,
    ) -> AhaResult:
        """Early behaviours ranked by lift in ``outcome`` (see :mod:`northstar.analysis.aha`);
        without dates, the 30 start days ending on the last one whose outcome is in the data."""
        from northstar.analysis.aha import run_aha

        return run_aha(
            self,
            engine or self.engine,
            source=source,
            outcome=outcome,
            within=within,
            horizon=horizon,
            start=parse_date(start, "--from") if start is not None else None,
            end=parse_date(end, "--to") if end is not None else None,
            start_event=start_event,
            event_column=event_column,
            events=list(events) if events else None,
            min_support=min_support,
        )

    def lifecycle(
        self,
        name: str,
        grain: str = "week",
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        engine: Engine | None = None,
    ) -> LifecycleResult:
        """New, returning, resurrecting and dormant entities per period of activity ``name`` (an
        ``activity:`` entry or a source; see :mod:`northstar.analysis.lifecycle`). Without dates,
        12 periods (30 days) ending on the source's last day with data."""
        from northstar.analysis.lifecycle import run_lifecycle

        return run_lifecycle(self, engine or self.engine, name, grain, start, end)

    def active_users(
        self,
        name: str,
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        month_days: int = 30,
        per: str = "week",
        by: str | None = None,
        engine: Engine | None = None,
    ) -> ActiveUsersResult:
        """DAU, WAU, MAU (last ``month_days`` days) and stickiness per day of activity ``name``, with
        the stickiness distribution per ``per`` (see :mod:`northstar.analysis.activity`); ``by``: a
        dimension or column, each value counted on its own. Without dates, the 30 days ending on
        the source's last day with data."""
        from northstar.analysis.activity import run_active_users

        return run_active_users(self, engine or self.engine, name, start, end, month_days, per, by)

    def lifecycle_entities(
        self,
        name: str,
        status: str,
        grain: str = "week",
        *,
        period: str | date | None = None,
        end: str | date | None = None,
        engine: Engine | None = None,
    ) -> pd.DataFrame:
        """The entities that are ``status`` (new, returning, resurrecting, dormant) in the period
        holding the day ``period`` (default: the last one), e.g. to re-target the dormant."""
        from northstar.analysis.lifecycle import run_lifecycle_entities

        return run_lifecycle_entities(self, engine or self.engine, name, status, grain, period, end)

    def retention(
        self,
        name: str,
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        period: str | None = None,
        periods: int | None = None,
        mode: str | None = None,
        by: str | None = None,
        engine: Engine | None = None,
        where: str | None = None,
    ) -> RetentionResult:
        """Cohort retention ``name`` (see :mod:`northstar.analysis.retention`); the range is widened
        to whole periods and defaults to the last ``periods + 1`` periods of the start source.
        ``where`` (``channel = 'ads'``) keeps only matching rows: cohort entries and returns both
        come from the filtered rows."""
        from northstar.analysis.retention import run_retention

        first = parse_date(start, "--from") if start is not None else None
        last = parse_date(end, "--to") if end is not None else None
        eng = engine or self.engine
        return run_retention(
            self, eng, name, first, last, period=period, periods=periods, mode=mode, by=by, where=where
        )

    def repurchase_curve(
        self,
        metric: str,
        *,
        start: str | date | None = None,
        end: str | date | None = None,
        days: int | None = None,
        by: str | None = None,
        engine: Engine | None = None,
    ) -> RepurchaseCurve:
        """Share repurchased within K days, K = 1 … ``days``, by the rules of repeat_rate metric
        ``metric`` (see :mod:`northstar.analysis.repurchase`); dates default to the 30 days that
        end ``days`` days before the data does, so every K of the curve is observable."""
        from northstar.analysis.repurchase import run_repurchase_curve

        return run_repurchase_curve(self, engine or self.engine, metric, start, end, days=days, by=by)

    def explain(
        self,
        metric: str,
        *,
        day: str | date | None = None,
        vs: str = "previous",
        grain: str = "day",
        by: Iterable[str] = (),
        engine: Engine | None = None,
        store: Any = None,
    ) -> ExplainResult:
        """Why ``metric`` changed in the ``grain`` period containing ``day`` (default: the last
        day with data) against ``vs`` (previous, last_year, forecast or target; ``store``: an app
        database whose targets replace the YAML's): the driver tree's exact
        split, the parts, mix and rate effects, and the root-cause combinations over ``by``
        (see :mod:`northstar.analysis.explain`)."""
        from northstar.analysis.explain import run_explain

        eng = engine or self.engine
        when = day if day is not None else self.default_range([metric], eng, "day")[1]
        return run_explain(self, metric, when, vs=vs, grain=grain, by=tuple(by), engine=eng, store=store)

    def scorecard(
        self, name: str, period: str | None = None, *, store: Any = None, engine: Engine | None = None
    ) -> ScorecardResult:
        """Scorecard ``name`` for ``period`` (``2026-W47``, ``2026-11``…; default: the card's grain's
        period holding the last day with data). ``store``: an ``AlertStore`` whose targets replace
        the YAML's (see :mod:`northstar.analysis.scorecards`)."""
        from northstar.analysis.scorecards import run_scorecard

        return run_scorecard(self, name, period, store=store, engine=engine)

    def okrs(self, names: Sequence[str] | None = None, *, engine: Engine | None = None) -> list[OkrResult]:
        """Progress of the OKRs ``names`` (default: all), see :mod:`northstar.analysis.okrs`."""
        from northstar.analysis.okrs import run_okrs

        return run_okrs(self, list(names) if names else None, engine=engine)

    def targets(self, *, store: Any = None) -> dict[str, list[TargetSetting]]:
        """Every metric's target settings: the YAML's, and the app database's latest per period."""
        from northstar.analysis.bands import target_entries

        return target_entries(self, store)

    def check_target(
        self,
        metric: str,
        period: str,
        *,
        floor: float | str | None = None,
        target: float | str | None = None,
        stretch: float | str | None = None,
        per: str | None = None,
    ) -> TargetSetting:
        """Bands for ``metric`` in ``period`` checked as ``targets:`` checks them (known metric, a
        period label, numbers or percentages, the order for the metric's direction); raises a
        ``UserError`` (en/zh) saying what is wrong."""
        from northstar.analysis.bands import check_target

        return check_target(self, metric, period, floor=floor, target=target, stretch=stretch, per=per)

    def rate_leads(self, lead_set: str | None, ratings: Sequence[Any], *, store: Any = None) -> int:
        """Save sales' ratings (``northstar.watch.store.LeadRating``: lead, score 1–5, reason, who)
        of lead set ``lead_set`` (None: the only one) after checking every one; all or none. The
        lead set's table is rebuilt on the next load (see :mod:`northstar.leads.ratings`)."""
        from northstar.leads.ratings import rate

        if store is not None:
            return rate(self, store, lead_set, ratings)
        with self.app_store() as db:
            return rate(self, db, lead_set, ratings)

    def propose_targets(
        self,
        metric: str,
        benchmark: float | None = None,
        steps: int = 3,
        grain: str = "quarter",
        *,
        engine: Engine | None = None,
    ) -> TargetProposal:
        """Floor / target / stretch for the next ``steps`` periods of ``metric`` from its history
        and an optional industry ``benchmark``, with the probability of reaching each (see
        :mod:`northstar.analysis.targets`)."""
        from northstar.analysis.target_history import run_propose_targets

        eng = engine or self.engine
        return run_propose_targets(self, eng, metric, benchmark=benchmark, steps=steps, grain=grain)

    def alignment(self) -> AlignmentMap:
        """Each team KPI's paths to the north star through the driver trees, definitions and
        ``influenced_by`` links, and the KPIs with none (see :mod:`northstar.analysis.alignment`)."""
        from northstar.analysis.alignment import alignment_map

        return alignment_map(self)

    def validate(
        self,
        metric: str,
        against: str | None = None,
        *,
        grain: str = "week",
        max_lag: int = 4,
        confidence: float = 0.95,
        engine: Engine | None = None,
    ) -> Validation:
        """Whether ``metric``'s period-over-period changes lead or accompany those of ``against``
        (default: the north star) on history: lagged correlations with intervals, a verdict and
        its caveats (see :mod:`northstar.analysis.lagged`)."""
        from northstar.analysis.lagged import validate

        return validate(
            self, metric, against, grain=grain, max_lag=max_lag, confidence=confidence, engine=engine
        )

    def review(
        self, period: str, store: Any = None, *, lang: str | None = None, engine: Engine | None = None
    ) -> ReviewPack:
        """The review pack of a month (``2026-11``) or quarter: KPIs against targets, scorecards,
        OKRs, the alerts in ``store`` (an ``AlertStore``) with their reviews, and proposed targets
        (see :mod:`northstar.export.review`; ``write_review`` writes it as HTML or xlsx)."""
        from northstar.export.review import build_review

        return build_review(self, period, store=store, lang=lang, engine=engine)


DEFAULT_SPAN = {None: 30, "day": 30, "hour": 2}


def default_start(end: date, grain: str | None) -> date:
    """The first day of the default range ending on ``end`` for ``grain``."""
    from dateutil.relativedelta import relativedelta

    if grain in DEFAULT_SPAN:
        return end - timedelta(days=DEFAULT_SPAN[grain] - 1)
    back = {
        "week": relativedelta(weeks=11),
        "month": relativedelta(months=11),
        "quarter": relativedelta(months=21),
        "year": relativedelta(years=4),
    }[grain or "day"]
    return end - back


def _naive(value: Any) -> datetime:
    import pandas as pd

    ts = pd.Timestamp(value)
    return (ts.tz_localize(None) if ts.tzinfo else ts).to_pydatetime()
