"""The history a target proposal is fitted on: a metric's complete periods, from the engine.

``run_propose_targets(project, engine, metric, …)`` runs ``Project.query([metric], grain=…)`` over
all of the metric's data (the engine aggregates; only one row per period reaches Python), keeps the
complete periods — the first period counts only when the data start on its first day, the last one
only when they reach its last day — and hands them to
:func:`northstar.analysis.targets.propose_targets`. The proposal starts with the first period that
has not begun on the last day with data (a quarter in progress is skipped: its target should have
been set before it started). ``count`` and ``sum`` metrics are additive (a period adds up from its
days); every other type is a ratio or an average of the period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from northstar.analysis.targets import PERIOD_FREQ, PERIODS_PER_YEAR, TargetProposal, propose_targets
from northstar.errors import DataError, QueryError
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine import Engine
    from northstar.project import Project

__all__ = ["ADDITIVE_TYPES", "metric_history", "run_propose_targets"]

ADDITIVE_TYPES = ("count", "sum")


def metric_history(project: Project, engine: Engine, metric: str, grain: str) -> tuple[pd.Series, pd.Period]:
    """The metric's value per complete period (indexed by period start) and the first period that
    had not started on the last day with data."""
    if metric not in project.catalog.metrics:
        raise QueryError(
            f"unknown metric {metric!r}" + did_you_mean(metric, project.catalog.metrics),
            f"未知的指标 {metric!r}" + did_you_mean(metric, project.catalog.metrics, "zh"),
        )
    if grain not in PERIODS_PER_YEAR:
        raise QueryError(
            f"targets are proposed per week, month or quarter, not {grain!r}"
            + did_you_mean(grain, PERIODS_PER_YEAR),
            f"目标按周、月或季度提出，不支持 {grain!r}" + did_you_mean(grain, PERIODS_PER_YEAR, "zh"),
        )
    span = project.span([metric], engine)
    if span is None:
        raise DataError(
            f"{metric!r} has no data: targets are proposed from its history",
            f"{metric!r} 没有数据：目标需要依据其历史提出",
        )
    first, last = pd.Timestamp(span[0]).normalize(), pd.Timestamp(span[1]).normalize()
    result = project.query([metric], grain=grain, start=first.date(), end=last.date(), engine=engine)
    frame = result.frame
    series = pd.Series(frame[metric].to_numpy(dtype="float64"), index=pd.DatetimeIndex(frame["period"]))
    periods = pd.DatetimeIndex(series.index).to_period(PERIOD_FREQ[grain])
    complete = (periods.start_time >= first) & (periods.end_time.normalize() <= last)
    return series[complete], pd.Period(last, freq=PERIOD_FREQ[grain]) + 1


def run_propose_targets(
    project: Project,
    engine: Engine,
    metric: str,
    *,
    benchmark: float | None = None,
    steps: int = 3,
    grain: str = "quarter",
) -> TargetProposal:
    """Targets for ``metric`` from its history (see :mod:`northstar.analysis.targets`)."""
    history, first_period = metric_history(project, engine, metric, grain)
    info = project.metric_info(metric)
    spec = project.catalog.metrics[metric].spec
    return propose_targets(
        history,
        grain=grain,  # type: ignore[arg-type]
        benchmark=benchmark,
        steps=steps,
        direction=info.direction,
        additive=spec.type in ADDITIVE_TYPES,
        first_period=first_period.start_time,
        percent=info.format == "percent",
        decimals=info.decimals,
        metric=metric,
    )
