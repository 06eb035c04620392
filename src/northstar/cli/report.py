"""The north-star report ``northstar demo`` prints.

1. Each KPI over the last 30 days, against the 30 days before and the same days last year. A
   repeat-rate KPI (e.g. 30-day repurchase) is shown for the last 30 days whose window has fully
   elapsed, so an unfinished window is never mistaken for a fall.
2. The same KPIs week by week (whole ISO weeks), with the previous week for comparison.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console
from rich.markup import escape

from northstar.cli.render import result_table, without_empty_comparisons
from northstar.project import Project
from northstar.spec.models import parse_duration_days

TITLES = {
    "en": (
        "{name}: {start} → {end}",
        "{label}: customers first active {start} → {end} (the {within} window has closed for all of them)",
        "Week by week",
    ),
    "zh": (
        "{name}：{start} → {end}",
        "{label}：首次活跃于 {start} → {end} 的客户（{within} 观察期均已结束）",
        "按周趋势",
    ),
}


def north_star_report(project: Project, console: Console, lang: str = "en", weeks: int = 8) -> None:
    spec = project.spec
    titles = TITLES.get(lang, TITLES["en"])
    names = [n for n in [spec.north_star, *spec.supporting] if n] or list(spec.metrics)[:5]
    windowed = [n for n in names if project.catalog.metrics[n].kind == "repeat_rate"]
    plain = [n for n in names if n not in windowed]
    for name in windowed:
        m = project.catalog.metrics[name]
        last = project.last_time(project.engine, m.spec.source or "")
        if last is None:
            continue
        # the last whole day whose customers have all had the full window before the data ends
        end = (last - timedelta(days=parse_duration_days(m.spec.within or "30d"))).date() - timedelta(days=1)
        result, _ = without_empty_comparisons(
            project.query([name], start=end - timedelta(days=29), end=end, compare=("prev", "yoy")), lang
        )
        info = project.metric_info(name)
        label = info.label_zh if lang == "zh" else info.label
        console.print(
            result_table(
                result,
                lang,
                titles[1].format(label=label, start=result.start, end=result.end, within=m.spec.within),
            )
        )
    if plain:
        result, _ = without_empty_comparisons(project.query(plain, compare=("prev", "yoy")), lang)
        console.print(
            result_table(
                result, lang, titles[0].format(name=spec.project.name, start=result.start, end=result.end)
            )
        )
        end = result.end
    else:
        end = date.today()
    monday = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks - 1)
    weekly = project.query(names, grain="week", compare=("prev",), start=monday, end=end)
    console.print(result_table(weekly, lang, titles[2]))
    for note in weekly.notes_in(lang):
        console.print(f"[yellow]{'注' if lang == 'zh' else 'note'}:[/] {escape(note)}")
