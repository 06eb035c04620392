"""The north-star report ``northstar demo`` prints: the north star and its supporting KPIs over the
last 30 days against the 30 days before and last year, then the same KPIs week by week."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console

from northstar.cli.render import result_table
from northstar.project import Project

TITLES = {
    "en": ("{name}: north star and supporting KPIs, {start} → {end}", "Week by week"),
    "zh": ("{name}：北极星指标与辅助指标，{start} → {end}", "按周趋势"),
}


def north_star_report(project: Project, console: Console, lang: str = "en", weeks: int = 8) -> None:
    spec = project.spec
    titles = TITLES.get(lang, TITLES["en"])
    names = [n for n in [spec.north_star, *spec.supporting] if n] or list(spec.metrics)[:5]
    result = project.query(names, compare=("prev", "yoy"))
    console.print(
        result_table(
            result, lang, titles[0].format(name=spec.project.name, start=result.start, end=result.end)
        )
    )
    weekly = project.query(
        names, grain="week", compare=("prev",), start=_weeks_back(result.end, weeks), end=result.end
    )
    console.print(result_table(weekly, lang, titles[1]))
    for note in dict.fromkeys([*result.notes, *weekly.notes]):
        console.print(f"[yellow]note:[/] {note}")


def _weeks_back(end: date, weeks: int) -> date:
    return end - timedelta(weeks=weeks)
