"""``northstar scorecard``, ``northstar okrs`` and ``northstar targets list|set``: tables (en/zh).

The commands are registered on the main app by :func:`register`; the numbers come from
:mod:`northstar.analysis.scorecards`, :mod:`northstar.analysis.okrs` and
:mod:`northstar.analysis.bands`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from northstar.cli.options import LangOpt, ProjectOpt, StoreOpt
from northstar.cli.options import fail as _fail
from northstar.cli.options import language as _language
from northstar.errors import NorthstarError, UserError

if TYPE_CHECKING:
    from northstar.analysis.bands import Bands, TargetSetting
    from northstar.analysis.okrs import OkrResult
    from northstar.analysis.scorecards import ScorecardResult
    from northstar.project import Project

console = Console()


STATUS = {
    "below_floor": ("below floor", "低于底线", "bold red"),
    "below_target": ("below target", "未达目标", "yellow"),
    "on_target": ("on target", "达标", "green"),
    "stretch": ("stretch met", "达成挑战目标", "bold green"),
    "no_target": ("no target", "无目标", "dim"),
    "no_data": ("no data", "无数据", "dim"),
    "provisional": ("provisional", "暂定", "cyan"),
}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


def _value(project: Project, metric: str, value: float | None) -> str:
    from northstar.cli.render import format_value

    if value is None:
        return "—"
    return format_value(value, project.metric_info(metric), project.spec.project.currency)


def scorecard_table(project: Project, result: ScorecardResult, lang: str) -> Group:
    zh = lang == "zh"
    label = result.label_zh if zh else result.label
    title = (
        f"{label} 计分卡 · {result.period.label}（{result.period.start} – {result.period.end}）"
        if zh
        else f"{label} scorecard · {result.period.label} ({result.period.start} – {result.period.end})"
    )
    table = Table(title=title, title_justify="left")
    heads = (
        ["指标", "权重", "数值", "目标（底线 – 挑战）", "状态", "得分"]
        if zh
        else ["KPI", "weight", "value", "target (floor – stretch)", "status", "score"]
    )
    for i, h in enumerate(heads):
        table.add_column(h, justify="left" if i in (0, 4) else "right", overflow="fold")
    for item in result.items:
        name = item.label_zh if zh else item.label
        en, zh_word, style = STATUS[item.status]
        if item.kind == "scorecard":
            value = _pct(item.value)
            bands = "100%"
        else:
            value = _value(project, item.item, item.value)
            bands = _bands_text(project, item.item, item.bands)
        table.add_row(
            name,
            _pct(item.weight),
            value,
            bands,
            Text(zh_word if zh else en, style=style),
            _pct(item.score),
        )
    total = Text(
        (f"总分 {_pct(result.score)}" if zh else f"Score {_pct(result.score)}")
        + (
            f"（已计分权重 {_pct(result.coverage)}）"
            if zh and result.coverage < 1
            else f" (over {_pct(result.coverage)} of the weight)"
            if result.coverage < 1
            else ""
        ),
        style="bold",
    )
    parts: list[Any] = [table, total]
    for item in result.items:
        if item.pacing is not None:
            name = item.label_zh if zh else item.label
            word = "节奏" if zh else "pace"
            parts.append(Text(f"{word} · {name}: {item.pacing.summary_zh if zh else item.pacing.summary}"))
    if any(i.bands is not None and i.bands.derived for i in result.items):
        parts.append(
            Text(
                "* 目标由其他周期的目标折算（求和类按天数比例，比率类按天加权）"
                if zh
                else "* target derived from other periods' targets (sums prorated by days, rates day-weighted)",
                style="dim",
            )
        )
    return Group(*parts)


def _bands_text(project: Project, metric: str, bands: Bands | None) -> str:
    """``1,919 (1,694 – 2,145)``, with a * when derived from other periods' targets."""
    if bands is None:
        return "—"
    target = _value(project, metric, bands.target) if bands.target is not None else "—"
    around = [_value(project, metric, v) if v is not None else "—" for v in (bands.floor, bands.stretch)]
    text = target if around == ["—", "—"] else f"{target} ({around[0]} – {around[1]})"
    return text + ("*" if bands.derived else "")


def okr_table(project: Project, result: OkrResult, lang: str) -> Group:
    zh = lang == "zh"
    objective = result.objective_zh if zh else result.objective
    owner = f" · {result.owner}" if result.owner else ""
    title = (
        f"{objective} · {result.period.label}{owner} · 进度 {_pct(result.progress)}"
        if zh
        else f"{objective} · {result.period.label}{owner} · progress {_pct(result.progress)}"
    )
    table = Table(title=title, title_justify="left")
    heads = (
        ["关键结果", "权重", "起点", "目标", "当前", "进度", "节奏"]
        if zh
        else ["key result", "weight", "start", "target", "now", "progress", "pace"]
    )
    for i, h in enumerate(heads):
        table.add_column(h, justify="left" if i in (0, 6) else "right", overflow="fold")
    for kr in result.key_results:
        label = kr.label_zh if zh else kr.label
        if kr.graded_by_hand:
            start = target = now = "—"
            pace = "手工评分" if zh else "graded by hand"
        else:
            assert kr.metric is not None
            start = _value(project, kr.metric, kr.start)
            target = _value(project, kr.metric, kr.target)
            now = _value(project, kr.metric, kr.value)
            pace = ""
            if kr.pacing is not None:
                p = kr.pacing
                verdict = {True: ("按计划", "on track"), False: ("落后", "off track"), None: ("—", "—")}[
                    p.on_track
                ]
                proj = _value(project, kr.metric, p.projected)
                pace = f"{verdict[0]}，预计 {proj}" if zh else f"{verdict[1]}, projected {proj}"
        table.add_row(label, f"{kr.weight:g}", start, target, now, _pct(kr.progress), pace)
    parts: list[Any] = [table]
    for g in result.guardrails:
        label = g.label_zh if zh else g.label
        limits = []
        if g.floor is not None:
            limits.append(("≥ " if not zh else "不低于 ") + _value(project, g.metric, g.floor))
        if g.ceiling is not None:
            limits.append(("≤ " if not zh else "不高于 ") + _value(project, g.metric, g.ceiling))
        state = {
            True: ("守住", "holds", "green"),
            False: ("被突破", "breached", "bold red"),
            None: ("无数据", "no data", "dim"),
        }[g.holds]
        word = "护栏" if zh else "guardrail"
        parts.append(
            Text.assemble(
                f"{word}: {label} {' '.join(limits)}: {_value(project, g.metric, g.value)} ",
                (state[0] if zh else state[1], state[2]),
                (
                    f"（每日由监控规则 {g.rule} 检查）" if zh else f" (checked daily by watch rule {g.rule})",
                    "dim",
                ),
            )
        )
    return Group(*parts)


def targets_table(project: Project, entries: dict[str, list[TargetSetting]], lang: str) -> Table:
    zh = lang == "zh"
    table = Table(title="目标" if zh else "Targets", title_justify="left")
    heads = (
        ["指标", "周期", "底线", "目标", "挑战", "设定人", "来源", "原因"]
        if zh
        else ["metric", "period", "floor", "target", "stretch", "set by", "from", "why"]
    )
    for i, h in enumerate(heads):
        table.add_column(h, justify="right" if i in (2, 3, 4) else "left", overflow="fold")
    for metric in sorted(entries):
        for e in entries[metric]:
            period = e.period.label + (
                f" (per {e.per})" if e.per and not zh else f"（每{_GRAIN_ZH[e.per]}）" if e.per else ""
            )
            origin = ((e.where or "northstar.yml") if e.origin == "yaml" else ("应用" if zh else "app")) + (
                f" {e.set_at:%Y-%m-%d}" if e.set_at else ""
            )
            table.add_row(
                metric,
                period,
                _value(project, metric, e.floor),
                _value(project, metric, e.target),
                _value(project, metric, e.stretch),
                e.set_by or "—",
                origin,
                e.why or "",
            )
    return table


_GRAIN_ZH = {"day": "天", "week": "周", "month": "月", "quarter": "季度"}


def _notes(notes: tuple[str, ...], lang: str) -> None:
    for n in notes:
        console.print(Text(("注：" if lang == "zh" else "note: ") + n, style="dim"))


def register(app: typer.Typer) -> None:
    """Add ``scorecard``, ``okrs`` and ``targets`` to the main app."""

    @app.command()
    def scorecard(
        name: Annotated[str, typer.Argument(help="the scorecard (usually a team's name), or 'company'")],
        week: Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47")] = None,
        period: Annotated[
            str | None,
            typer.Option("--period", help="2026-11, 2026-Q4, 2026 … (default: the card's grain, last data)"),
        ] = None,
        weeks: Annotated[
            int, typer.Option("--history", help="also show the score of this many earlier periods")
        ] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="write an .xlsx or .html file")
        ] = None,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """A team's scorecard for a week (or any period): each KPI against its target, weighted."""
        from northstar.analysis.scorecards import run_scorecard
        from northstar.project import Project

        language = lang or _language(project)
        try:
            if week and period:
                raise UserError("give --week or --period, not both", "--week 与 --period 只能二选一")
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            db = proj.app_store(store, create=False)
            result = run_scorecard(proj, name, week or period, store=db)
            history = []
            p = result.period
            for _ in range(max(0, weeks)):
                p = p.previous()
                try:
                    history.append(run_scorecard(proj, name, p, store=db))
                except UserError:
                    break
            if as_json:
                data = result.to_dict()
                data["history"] = [{"period": h.period.label, "score": h.score} for h in history]
                print(json.dumps(data, ensure_ascii=False, indent=2))
            else:
                console.print(scorecard_table(proj, result, language))
                if history:
                    line = ", ".join(f"{h.period.label} {_pct(h.score)}" for h in reversed(history))
                    console.print(("此前：" if language == "zh" else "before: ") + line)
                _notes(result.notes_zh if language == "zh" else result.notes, language)
            if output is not None:
                from northstar.export.goals import write_scorecard

                write_scorecard(proj, [result, *history], output, language)
                if not as_json:
                    console.print(
                        f"已写入 {escape(str(output))}"
                        if language == "zh"
                        else f"wrote {escape(str(output))}"
                    )
        except NorthstarError as exc:
            _fail(exc, language)

    @app.command()
    def okrs(
        names: Annotated[list[str] | None, typer.Argument(help="OKRs to show (default: all)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
        project: ProjectOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Objectives and key results: progress from the data, pacing, and guardrails."""
        from northstar.analysis.okrs import run_okrs
        from northstar.project import Project

        language = lang or _language(project)
        try:
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            results = run_okrs(proj, names or None)
            if as_json:
                print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
                return
            if not results:
                console.print("没有定义 OKR（okrs:）" if language == "zh" else "no OKRs defined (okrs:)")
            for r in results:
                console.print(okr_table(proj, r, language))
                _notes(r.notes_zh if language == "zh" else r.notes, language)
        except NorthstarError as exc:
            _fail(exc, language)

    targets_app = typer.Typer(
        help="Targets: list those in force, or set one in the app database.", no_args_is_help=True
    )

    @targets_app.command("list")
    def targets_list(
        metric: Annotated[str | None, typer.Argument(help="only this metric")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Targets in force: northstar.yml's, with those set in the app replacing the same period's."""
        from northstar.analysis.bands import target_entries
        from northstar.project import Project
        from northstar.spec.suggest import did_you_mean

        language = lang or _language(project)
        try:
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            if metric is not None and metric not in proj.catalog.metrics:
                raise UserError(
                    f"there is no metric {metric!r}" + did_you_mean(metric, proj.catalog.metrics),
                    f"没有名为 {metric!r} 的指标" + did_you_mean(metric, proj.catalog.metrics, "zh"),
                )
            entries = target_entries(proj, proj.app_store(store, create=False))
            if metric is not None:
                entries = {metric: entries.get(metric, [])}
            if as_json:
                print(
                    json.dumps(
                        {m: [e.to_dict() for e in v] for m, v in entries.items()},
                        ensure_ascii=False,
                        indent=2,
                    )
                )
                return
            console.print(targets_table(proj, entries, language))
        except NorthstarError as exc:
            _fail(exc, language)

    @targets_app.command("set")
    def targets_set(
        metric: Annotated[str, typer.Argument(help="the metric")],
        period: Annotated[str, typer.Option("--period", help="2026-Q4, 2026-11, 2026-W47, 2026 …")],
        by: Annotated[str, typer.Option("--by", help="who sets it (name or e-mail)")],
        target: Annotated[str | None, typer.Option("--target", help="e.g. 2.2% or 450000")] = None,
        floor: Annotated[str | None, typer.Option("--floor", help="below it: a problem")] = None,
        stretch: Annotated[str | None, typer.Option("--stretch", help="a breakthrough")] = None,
        per: Annotated[
            str | None, typer.Option("--per", help="bands for each week/month… of the period")
        ] = None,
        why: Annotated[str | None, typer.Option("--why", help="the reasoning, kept with the target")] = None,
        project: ProjectOpt = None,
        store: StoreOpt = None,
        lang: LangOpt = None,
    ) -> None:
        """Set a metric's bands for a period in the app database (who and why are kept)."""
        from northstar.project import Project

        language = lang or _language(project)
        try:
            proj = Project.load(project)
            language = lang or proj.spec.project.language
            entry = proj.check_target(metric, period, floor=floor, target=target, stretch=stretch, per=per)
            with proj.app_store(store) as db:
                db.set_target(
                    metric,
                    entry.period.label,
                    per=entry.per,
                    floor=entry.floor,
                    target=entry.target,
                    stretch=entry.stretch,
                    set_by=by,
                    why=why,
                )
            bands = ", ".join(
                f"{n} {_value(proj, metric, v)}"
                for n, v in (("floor", entry.floor), ("target", entry.target), ("stretch", entry.stretch))
                if v is not None
            )
            console.print(
                f"已设定 {metric} 在 {entry.period.label} 的目标：{bands}（{by}）"
                if language == "zh"
                else f"set {metric} for {entry.period.label}: {bands} (by {by})"
            )
        except NorthstarError as exc:
            _fail(exc, language)

    app.add_typer(targets_app, name="targets")
