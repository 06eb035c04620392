"""The SQL an engine runs for a query — for ``northstar query --sql`` and per-engine snapshots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from northstar.compile.plan import plan_query
from northstar.compile.request import QueryRequest, parse_date

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project


def query_sql(
    project: Project,
    metrics: Iterable[str],
    *,
    start: str | date,
    end: str | date,
    by: Iterable[str] = (),
    grain: str | None = None,
    where: str | None = None,
    engine: Engine | None = None,
) -> list[str]:
    """One commented SQL statement per scan, in the engine's dialect."""
    eng = engine or project.engine
    request = QueryRequest(tuple(metrics), parse_date(start), parse_date(end), tuple(by), grain, where)
    order = project.catalog.closure(project.catalog.expand(request.metrics))
    steps = plan_query(project, eng, order, request, request.start, request.end)
    return [f"-- {step.label}\n{eng.sql(step.expr)};" for step in steps]
