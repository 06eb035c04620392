"""``northstar`` — the command line. Only this module and the server turn errors into messages."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from northstar.cli.options import LangOpt, ProjectOpt
from northstar.errors import NorthstarError, SpecError, UserError

app = typer.Typer(
    name="northstar",
    help="KPIs as code: validate, compute and explain the metrics defined in northstar.yml.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


def _fail(exc: NorthstarError, lang: str = "en") -> None:
    from northstar.cli.render import issue_text

    if isinstance(exc, SpecError):
        errors = [i for i in exc.issues if i.level == "error"]
        for issue in exc.issues:
            err.print(issue_text(issue, lang))
        word = "个错误" if lang == "zh" else " error(s)"
        err.print(f"[bold red]{len(errors)}{word}[/]")
    elif isinstance(exc, UserError):
        prefix = "错误" if lang == "zh" else "error"
        err.print(f"[bold red]{prefix}:[/] {escape(exc.zh if lang == 'zh' else str(exc))}")
    else:
        err.print(
            f"[bold red]internal error:[/] {escape(str(exc))} — please report this with the command you ran"
        )
    raise typer.Exit(2 if isinstance(exc, SpecError) else 1)


@app.command()
def check(
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """Validate the project against its data; print every problem; exit non-zero on errors."""
    from northstar.cli.render import issue_text
    from northstar.project import Project

    try:
        proj = Project.load(project, engine=engine)
    except NorthstarError as exc:
        _fail(exc, lang or _language(project))
        return
    lang = lang or proj.spec.project.language
    for issue in proj.issues:
        err.print(issue_text(issue, lang))
    if proj.spec.drivers:
        from northstar.analysis.drivers import check_identities
        from northstar.cli.explain import identity_line

        try:
            for identity in check_identities(proj):
                console.print(identity_line(identity, lang))
        except NorthstarError as exc:
            _fail(exc, lang)
            return
    n = len(proj.catalog.metrics)
    msg = (
        f"✓ {proj.path}: {n} 个指标、{len(proj.spec.sources)} 个数据源均有效"
        if lang == "zh"
        else f"✓ {proj.path}: {_plural(n, 'metric')} over {_plural(len(proj.spec.sources), 'source')} are valid"
    )
    console.print(f"[green]{msg}[/]")


@app.command()
def query(
    metrics: Annotated[list[str], typer.Argument(help="metric names (a tiered family gives all its tiers)")],
    by: Annotated[
        list[str] | None, typer.Option("--by", help="dimension to break down by (repeatable)")
    ] = None,
    grain: Annotated[str | None, typer.Option(help="hour, day, week, month, quarter or year")] = None,
    start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day (inclusive), YYYY-MM-DD")] = None,
    where: Annotated[
        str | None, typer.Option(help="filter on dimensions, e.g. \"channel = 'email'\"")
    ] = None,
    compare: Annotated[str, typer.Option(help="prev, yoy, both or none")] = "both",
    fmt: Annotated[
        str | None, typer.Option("--format", help="table (default), csv, json, parquet or xlsx")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (with --format)")
    ] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
    show_sql: Annotated[bool, typer.Option("--sql", help="print the SQL the engine runs")] = False,
) -> None:
    """Compute metrics by time grain and dimensions, with changes vs the previous period and last year."""
    from northstar.cli.render import result_tables, without_empty_comparisons
    from northstar.project import Project

    comps = {"both": ("prev", "yoy"), "none": (), "prev": ("prev",), "yoy": ("yoy",)}
    if compare not in comps:
        err.print(f"[bold red]error:[/] --compare must be one of {', '.join(comps)}")
        raise typer.Exit(2)
    language = lang or _language(project)
    try:
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        steps: list = []

        def on_step(step: object) -> None:
            steps.append(step)
            bar.update(task, description=getattr(step, "label", ""))

        with _progress() as bar:
            task = bar.add_task("query", total=None)
            result = proj.query(
                metrics,
                by=by or (),
                grain=grain,
                start=start,
                end=end,
                where=where,
                compare=comps[compare],  # type: ignore[arg-type]
                progress=on_step,
            )
        if show_sql:  # exactly the statements that ran, comparison periods included
            engine_ = proj.engine
            for step in steps:
                sql = engine_.sql(step.expr)
                console.print(f"-- {step.label}\n{sql};", markup=False, highlight=False)
        if output is not None and fmt not in (None, "table"):
            suffix = output.suffix.lower().lstrip(".")
            if suffix and suffix != fmt and not (fmt == "parquet" and suffix == "pq"):
                raise UserError(
                    f"--format {fmt} does not match the file name {output.name}: change one of them",
                    f"--format {fmt} 与文件名 {output.name} 不一致：请修改其中之一",
                )
        if fmt == "table" or (fmt is None and output is None):
            if output:
                raise UserError(
                    "--output needs --format csv, json, parquet or xlsx",
                    "--output 需要配合 --format csv、json、parquet 或 xlsx 使用",
                )
            title = f"{proj.spec.project.name} · {result.start} → {result.end}"
            shown, dropped = without_empty_comparisons(result, language)
            for table in result_tables(shown, language, title, console.width):
                console.print(table)
            _print_notes([*result.notes_in(language), *dropped], language)
            return
        from northstar.export import write_result

        target = output or Path(f"northstar-query.{fmt}")
        try:
            written = write_result(result, target, fmt, lang=language)  # type: ignore[arg-type]
        except OSError as exc:
            raise UserError(
                f"cannot write {target}: {exc.strerror or exc}", f"无法写入 {target}：{exc.strerror or exc}"
            ) from None
        console.print(f"wrote {escape(str(written))}")
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def funnel(
    name: Annotated[
        str | None, typer.Argument(help="a funnel defined under funnels: in northstar.yml (none: list them)")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="break down by a dimension or column (value at step 1, or as the funnel says)"
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="first day of step 1, YYYY-MM-DD")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="last day of step 1 (inclusive), YYYY-MM-DD")
    ] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
    dropped_at: Annotated[
        int | None, typer.Option("--dropped-at", help="write the entities that dropped at this step (2…N)")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="write the report (or --dropped-at's entities): .json/.xlsx hold every table, .csv/.parquet the steps",
        ),
    ] = None,
    grain: Annotated[
        str | None,
        typer.Option(
            help="also show conversion by the hour/day/week/month/quarter/year the funnel was entered"
        ),
    ] = None,
    where: Annotated[
        str | None,
        typer.Option(
            "--where", help="only events matching this filter count as steps, e.g. \"device = 'app'\""
        ),
    ] = None,
) -> None:
    """Run a funnel: entities per step, conversion, drop-off and time to convert."""
    from northstar.cli.render import funnel_histogram_table, funnel_over_time_table, funnel_table
    from northstar.project import Project

    language = lang or _language(project)
    try:
        from northstar.compile.request import GRAINS
        from northstar.export.frames import check_target
        from northstar.spec.suggest import did_you_mean

        check_target(output)
        if grain is not None and grain not in GRAINS:
            raise UserError(
                f"unknown grain {grain!r}: choose one of {', '.join(GRAINS)}" + did_you_mean(grain, GRAINS),
                f"未知的时间粒度 {grain!r}：可选 {', '.join(GRAINS)}" + did_you_mean(grain, GRAINS, "zh"),
            )
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        if name is None:  # which funnels there are, rather than click's "Missing argument"
            names = list(proj.spec.funnels)
            raise UserError(
                f"which funnel? this project has {', '.join(names)}: northstar funnel NAME"
                if names
                else "this project has no funnels: add one under funnels: in northstar.yml (docs/spec.md, Funnels)",
                f"要看哪个漏斗？本项目有 {'、'.join(names)}：northstar funnel 名称"
                if names
                else "本项目没有漏斗：请在 northstar.yml 的 funnels: 下添加（见 docs/spec.md 的 Funnels 一节）",
            )
        if dropped_at is not None:  # before the funnel runs: it may take a while
            from northstar.analysis.funnels import funnel_spec

            n_steps = len(funnel_spec(proj, name).steps)
            if not 2 <= dropped_at <= n_steps:
                raise UserError(
                    f"--dropped-at {dropped_at}: choose a step from 2 to {n_steps} (the entities that "
                    f"reached the step before it but not it)",
                    f"--dropped-at {dropped_at}：请选第 2 到第 {n_steps} 步（到达了上一步、没有到达这一步的对象）",
                )
        result = proj.funnel(name, start=start, end=end, by=by, where=where)
        console.print(funnel_table(result, language))
        if int(result.times["converted"].sum()):
            console.print(funnel_histogram_table(result, language))
        frames = {"steps": result.steps, "times": result.times, "histogram": result.histogram}
        if grain:
            frame = proj.funnel_over_time(name, grain, start=result.start, end=result.end, by=by, where=where)
            console.print(funnel_over_time_table(result, frame, grain, language))
            frames["over_time"] = frame
        frames["about"] = result.about(language)
        _print_notes(result.notes_in(language), language)
        from northstar.export.frames import write_frames

        if dropped_at is not None:
            target = output or Path(f"{name}-dropped-at-{dropped_at}.csv")
            lost = result.dropped_at(dropped_at)
            write_frames({"dropped": lost}, target)
            console.print(
                f"已把 {len(lost):,} 个对象写入 {escape(str(target))}"
                if language == "zh"
                else f"wrote {len(lost):,} entities to {escape(str(target))}"
            )
        elif output is not None:
            write_frames(frames, output)
            console.print(
                f"已写入 {escape(str(output))}" if language == "zh" else f"wrote {escape(str(output))}"
            )
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def retention(
    name: Annotated[
        str, typer.Argument(help="a retention under retention: (or, with --repurchase, a repeat_rate metric)")
    ],
    start: Annotated[str | None, typer.Option("--from", help="first cohort day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last cohort day (inclusive), YYYY-MM-DD")] = None,
    period: Annotated[str | None, typer.Option(help="day, week or month (default: the definition's)")] = None,
    periods: Annotated[int | None, typer.Option(help="show periods 0 … N")] = None,
    unbounded: Annotated[
        bool | None, typer.Option("--unbounded/--bounded", help="count returns in period N or later")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="break cohorts down by a dimension or column")
    ] = None,
    repurchase: Annotated[
        bool,
        typer.Option("--repurchase", help="NAME is a repeat_rate metric: share repurchased within K days"),
    ] = False,
    days: Annotated[int | None, typer.Option(help="--repurchase: K = 1 … days (default: its within)")] = None,
    where: Annotated[
        str | None,
        typer.Option(
            "--where", help="only rows matching this filter start or return, e.g. \"channel = 'ads'\""
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write .csv, .json or .xlsx")] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """Cohort retention (table and curve), or a repeat_rate metric's repurchase curve."""
    from northstar.cli.retention import cohort_table, curve_table, repurchase_table
    from northstar.export.frames import write_frames
    from northstar.project import Project

    language = lang or _language(project)
    try:
        from northstar.export.frames import check_target

        check_target(output)
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language

        def heading(dim: str | None) -> str | None:  # a dimension's label in the output language
            if dim is None or dim not in proj.spec.dimensions:
                return None
            return proj.dimension_labels(dim)[1 if language == "zh" else 0]

        if repurchase and where:
            raise UserError(
                "--where filters a retention, not a repurchase curve: filter the repeat_rate metric's"
                " definition (filter:) instead",
                "--where 用于留存分析，不用于复购曲线：请在复购率指标的定义中使用 filter:",
            )
        if repurchase:
            curve = proj.repurchase_curve(name, start=start, end=end, days=days, by=by)
            console.print(repurchase_table(curve, language, heading(by)))
            frames = {"curve": curve.curve}
        else:
            mode = None if unbounded is None else ("unbounded" if unbounded else "bounded")
            result = proj.retention(
                name, start=start, end=end, period=period, periods=periods, mode=mode, by=by, where=where
            )
            console.print(cohort_table(result, language, heading(result.by)))
            console.print(curve_table(result, language, heading(result.by)))
            _print_notes(result.notes_zh if language == "zh" else result.notes, language)
            frames = {"cohorts": result.cohorts, "curve": result.curve}
        if output is not None:
            console.print(f"wrote {escape(str(write_frames(frames, output)))}")
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def lifecycle(
    name: Annotated[str, typer.Argument(help="an entry of activity: in northstar.yml, or a source")],
    grain: Annotated[str, typer.Option(help="day, week or month")] = "week",
    start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day (inclusive), YYYY-MM-DD")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="also write the table (or, with --entities, the entities)"),
    ] = None,
    entities: Annotated[
        str | None,
        typer.Option(help="list who is new, returning, resurrecting or dormant in --period (else the last)"),
    ] = None,
    period: Annotated[str | None, typer.Option(help="a day of the period for --entities, YYYY-MM-DD")] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """New, returning, resurrecting and dormant entities per day, week or month."""
    from northstar.cli.lifecycle import lifecycle_check, lifecycle_table, wrote
    from northstar.export.frames import write_frames
    from northstar.project import Project

    language = lang or _language(project)
    try:
        from northstar.export.frames import check_target

        check_target(output)
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        result = proj.lifecycle(name, grain, start=start, end=end)
        console.print(lifecycle_table(result, language))
        console.print(lifecycle_check(result, language), highlight=False)
        _print_notes(result.notes_in(language), language)
        if entities is not None:
            who = proj.lifecycle_entities(name, entities, grain, period=period or result.end, end=result.end)
            target = output or Path(f"{name}-{entities}-{period or result.end}.csv")
            console.print(wrote(write_frames({"entities": who}, target), language) + f" ({len(who):,})")
        elif output is not None:
            console.print(wrote(write_frames({"lifecycle": result.frame}, output), language))
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def active(
    name: Annotated[str, typer.Argument(help="an entry of activity: in northstar.yml, or a source")],
    start: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day (inclusive), YYYY-MM-DD")] = None,
    mau_days: Annotated[int, typer.Option(help="MAU window in days: 30 (default) or 28 (four weeks)")] = 30,
    per: Annotated[str, typer.Option(help="stickiness distribution per week or month")] = "week",
    by: Annotated[
        str | None, typer.Option("--by", help="a dimension or column: each value counted on its own")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="write the daily table (.csv, .json, .parquet) and *-stickiness"),
    ] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """DAU, WAU, MAU and stickiness (DAU/WAU, DAU/MAU) per day, and days active per week or month."""
    from northstar.cli.lifecycle import active_table, stickiness_table, wrote
    from northstar.export.frames import write_frames
    from northstar.project import Project

    language = lang or _language(project)
    try:
        from northstar.export.frames import check_target

        check_target(output)
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        result = proj.active_users(name, start=start, end=end, month_days=mau_days, per=per, by=by)
        console.print(active_table(result, language))
        console.print(stickiness_table(result, language))
        _print_notes(result.notes_in(language), language)
        if output is not None:
            console.print(wrote(write_frames({"daily": result.daily}, output), language))
            sticky = output.with_name(f"{output.stem}-stickiness{output.suffix}")
            console.print(wrote(write_frames({"stickiness": result.stickiness}, sticky), language))
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def aha(
    outcome: Annotated[
        str, typer.Option(help="retained_30d (any N), event:NAME or converted:NAME")
    ] = "retained_30d",
    within: Annotated[str, typer.Option(help="the early window, whole days from day 0 (7d, 2w)")] = "7d",
    horizon: Annotated[str, typer.Option(help="end of the event:/converted: outcome window")] = "30d",
    source: Annotated[str | None, typer.Option(help="the event source (default: events)")] = None,
    start: Annotated[str | None, typer.Option("--from", help="first day 0, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day 0 (inclusive), YYYY-MM-DD")] = None,
    start_event: Annotated[
        str | None, typer.Option("--start", help="day 0 is the first day of this event (default: first row)")
    ] = None,
    event_column: Annotated[str, typer.Option(help="the column naming the event")] = "event_name",
    event: Annotated[
        list[str] | None, typer.Option("--event", help="only these events as behaviours (repeatable)")
    ] = None,
    min_support: Annotated[
        float, typer.Option(help="least share of the population that did (and did not do) a behaviour")
    ] = 0.05,
    top: Annotated[int, typer.Option(help="candidates to show")] = 15,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write every candidate to .csv, .json or .parquet")
    ] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """Find aha moments: early behaviours ranked by their lift in a later outcome (correlation)."""
    from northstar.cli.aha import aha_table, correlation_note, summary_lines, write_candidates
    from northstar.project import Project

    language = lang or _language(project)
    try:
        from northstar.export.frames import check_target

        check_target(output)
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        result = proj.aha(
            outcome,
            within=within,
            horizon=horizon,
            source=source,
            start=start,
            end=end,
            start_event=start_event,
            event_column=event_column,
            events=event,
            min_support=min_support,
        )
        for line in summary_lines(result, language):
            console.print(escape(line))
        console.print(aha_table(result, language, top))
        _print_notes(result.notes_in(language), language)
        console.print(f"[bold]{escape(correlation_note(language))}[/]")
        if output is not None:
            written = write_candidates(result, output)
            console.print(f"wrote {len(result.candidates):,} candidates to {escape(str(written))}")
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def metrics(
    name: Annotated[str | None, typer.Argument(help="a metric to describe in full")] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
) -> None:
    """List the project's metrics (north star first), or describe one: definition, owner, why."""
    from northstar.cli.render import metric_detail, metric_list
    from northstar.project import Project

    language = lang or _language(project)
    try:
        proj = Project.load(project, read_data=False)
        language = lang or proj.spec.project.language
        if name is None:
            console.print(metric_list(proj, language))
            return
        console.print(metric_detail(proj, name, language))
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def init(
    template: Annotated[
        str | None, typer.Option(help="ecommerce, saas-support, education, content or delivery")
    ] = None,
    target: Annotated[Path, typer.Argument(help="folder to create")] = Path("."),
    force: Annotated[bool, typer.Option(help="overwrite files in a non-empty folder")] = False,
    list_: Annotated[bool, typer.Option("--list", help="list the templates and exit")] = False,
    lang: LangOpt = None,
) -> None:
    """Write a commented starter project with a small sample dataset."""
    from rich.table import Table

    from northstar.scaffold.templates import TEMPLATES, init_project

    if list_ or template is None:
        table = Table("template", "north star", "what it is", header_style="bold")
        for info in TEMPLATES.values():
            table.add_row(info.name, info.north_star, f"{info.label(lang or 'en')}: {info.description}")
        console.print(table)
        if template is None and not list_:
            err.print("choose one with --template NAME")
            raise typer.Exit(2)
        return
    if template not in TEMPLATES:
        from northstar.spec.suggest import did_you_mean

        err.print(
            f"[bold red]error:[/] unknown template {template!r}{did_you_mean(template, TEMPLATES)}; "
            f"choose one of {', '.join(TEMPLATES)}"
        )
        raise typer.Exit(2)
    try:
        files = init_project(target, template, overwrite=force)
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(f"[green]✓[/] wrote {len(files)} files to {target}")
    console.print(
        f"next: [bold]cd {target} && northstar check && northstar query "
        f"{_first_metric(target)} --grain week[/]"
    )


def _first_metric(target: Path) -> str:
    try:
        from northstar.project import Project

        proj = Project.load(target, read_data=False)
        return proj.spec.north_star or next(iter(proj.spec.metrics))
    except Exception:
        return "<metric>"


@app.command()
def demo(
    target: Annotated[Path, typer.Argument(help="folder for the demo project")] = Path("northstar-demo"),
    days: Annotated[int, typer.Option(help="days of history")] = 120,
    users: Annotated[int, typer.Option(help="number of users (size of the company)")] = 100_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    force: Annotated[bool, typer.Option(help="regenerate even if the folder exists")] = False,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="then serve its dashboard (--no-serve: only the report)"),
    ] = True,
    host: Annotated[str, typer.Option("--host", help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to serve on")] = 8765,
    lang: LangOpt = None,
) -> None:
    """Generate a realistic e-commerce company, print its report and serve its dashboard.

    After the north-star report, the dashboard is served as by ``northstar serve <folder>``: its
    address is printed (http://127.0.0.1:8765 by default) and Ctrl-C stops it. Before serving an
    app database with no alerts, the demo's watch rules run on each of the last 28 days (as if
    ``northstar watch`` had run every morning; nobody is notified), so the alerts inbox has some.
    ``--no-serve`` only prints the report."""
    from northstar.cli.report import north_star_report
    from northstar.project import Project
    from northstar.scaffold.demo import generate_demo

    try:
        if force or not (target / "northstar.yml").exists():
            with _progress() as bar:
                task = bar.add_task("generating demo data", total=1.0)
                generate_demo(
                    target,
                    days=days,
                    users=users,
                    seed=seed,
                    overwrite=force,
                    progress=lambda step, frac: bar.update(task, description=step, completed=frac),
                )
        proj = Project.load(target)
        north_star_report(proj, console, lang or proj.spec.project.language)
        if serve:
            with proj.app_store() as store:
                empty = not store.list()
            if empty:  # the inbox: the watch as if it had run each morning (nobody notified)
                from northstar.scaffold.demo_alerts import WATCHED_DAYS, seed_alerts

                with _progress() as bar:
                    task = bar.add_task(f"watching the last {WATCHED_DAYS} days", total=1.0)
                    seed_alerts(
                        target, progress=lambda step, frac: bar.update(task, description=step, completed=frac)
                    )
    except NorthstarError as exc:
        _fail(exc, lang or _language(target))
        return
    if serve:
        from northstar.cli.serve import serve_project

        serve_project(target, host=host, port=port, lang=lang)


@app.command()
def explain(
    metric: Annotated[str, typer.Argument(help="the metric whose change to explain")],
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="a day in the period to explain, YYYY-MM-DD (default: the last day with data)"
        ),
    ] = None,
    vs: Annotated[str, typer.Option("--vs", help="previous, last_year, forecast or target")] = "previous",
    grain: Annotated[str, typer.Option(help="day, week or month")] = "day",
    by: Annotated[
        str | None, typer.Option("--by", help="dimensions to search for root causes, comma-separated")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the result as JSON")] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """Explain a change: the driver tree's exact split, mix and rate effects, and the root causes."""
    import json

    from northstar.cli.explain import explain_report
    from northstar.project import Project

    language = lang or _language(project)
    try:
        if output is not None and output.suffix.lower() != ".json":
            raise UserError(
                f"explain writes JSON: name the file *.json, not {output.name!r}",
                f"explain 只能写 JSON 文件：文件名请以 .json 结尾，而不是 {output.name!r}",
            )
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        dims = [d.strip() for d in by.split(",") if d.strip()] if by else []
        app_db = None
        if vs == "target":
            app_db = proj.app_store(create=False)
        result = proj.explain(metric, day=day, vs=vs, grain=grain, by=dims, store=app_db)
        data = result.to_dict()
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            console.print(explain_report(result, language))
            _print_notes(result.notes_zh if language == "zh" else result.notes, language)
        if output is not None:
            tmp = output.with_name(output.name + ".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            tmp.replace(output)
            if not as_json:
                console.print(
                    f"已写入 {escape(str(output))}" if language == "zh" else f"wrote {escape(str(output))}"
                )
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def watch(
    backtest: Annotated[
        str | None,
        typer.Option("--backtest", help="show when each rule would have fired over this many days, e.g. 90d"),
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="evaluate this day (default: the last complete one)")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="only this rule (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the firings as JSON")] = False,
    fail_on_alert: Annotated[
        bool, typer.Option("--fail-on-alert", help="exit with 3 when a rule fires (for cron and CI)")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only show what fires: store nothing, notify no one")
    ] = False,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="alert database: a SQLite file or postgresql://… (default: $NORTHSTAR_ALERT_STORE, "
            "else .northstar/alerts.db next to northstar.yml)",
        ),
    ] = None,
    every: Annotated[
        str | None, typer.Option("--every", help="keep running: evaluate again every 1h, 15min, 1d …")
    ] = None,
    project: ProjectOpt = None,
    lang: LangOpt = None,
) -> None:
    """Evaluate the watch rules on the last complete period, store new alerts and notify (or --backtest)."""
    import json
    from datetime import timedelta

    from northstar.cli.watch import backtest_summary, firings_table
    from northstar.compile.request import parse_date
    from northstar.project import Project
    from northstar.spec.models import parse_duration_days
    from northstar.spec.suggest import did_you_mean
    from northstar.watch.rules import evaluate, last_complete_period

    language = lang or _language(project)
    try:
        proj = Project.load(project)
        language = lang or proj.spec.project.language
        known = sorted(proj.spec.watch or {})
        if not known:
            raise UserError(
                "the project has no watch rules: add a 'watch:' section (see docs/spec.md, Watch rules)",
                "项目中没有监控规则：请添加 'watch:' 部分（见 docs/spec.md 的 Watch rules）",
            )
        names = rule or known
        for name in names:
            if name not in known:
                raise UserError(
                    f"no watch rule {name!r}" + did_you_mean(name, known),
                    f"没有监控规则 {name!r}" + did_you_mean(name, known, "zh"),
                )
        if not backtest and not dry_run:
            _watch_and_store(proj, names, day, store, every, fail_on_alert, language)
            return
        firings = []
        days = int(parse_duration_days(backtest)) if backtest else 0
        for name in names:
            end = parse_date(day, "--date") if day else last_complete_period(proj, name).date()
            start = end - timedelta(days=days - 1) if days else end
            firings += evaluate(proj, name, start, end)
        firings.sort(key=lambda f: (f.period, f.rule, f.slice))
        if as_json:
            print(
                json.dumps(
                    [
                        {
                            "key": f.key,
                            "rule": f.rule,
                            "metric": f.metric,
                            "check": f.check,
                            "slice": dict(f.slice),
                            "period": f.period.isoformat(),
                            "value": f.value,
                            "baseline": f.baseline,
                            "change_pct": f.change_pct,
                            "severity": f.severity,
                            "reason": f.reason,
                            "reason_zh": f.reason_zh,
                        }
                        for f in firings
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        elif backtest:
            console.print(backtest_summary(firings, names, days, language))
            if firings:
                console.print(firings_table(firings, language))
        elif firings:
            console.print(firings_table(firings, language))
        else:
            console.print("[green]✓[/] " + ("没有规则触发" if language == "zh" else "no rule fired"))
        if fail_on_alert and firings and not backtest:
            raise typer.Exit(3)
    except NorthstarError as exc:
        _fail(exc, language)


def _watch_and_store(
    proj: Any,
    names: list[str],
    day: str | None,
    store: str | None,
    every: str | None,
    fail: bool,
    language: str,
) -> None:
    """``watch`` without --dry-run: store and notify, once or --every N."""
    import time

    from northstar.cli.watch import firings_table
    from northstar.compile.request import parse_date
    from northstar.spec.models import parse_duration_days
    from northstar.watch.run import run_watch
    from northstar.watch.store import AlertStore, app_store_target

    target = app_store_target(proj.base_dir, store)
    when = parse_date(day, "--date") if day else None
    pause = parse_duration_days(every) * 86400 if every else 0.0
    zh = language == "zh"
    while True:
        with AlertStore.open(target) as db:
            run = run_watch(proj, db, day=when, rules=names)
        if run.firings:
            console.print(firings_table(run.firings, language))
        sent = sum(1 for d in run.deliveries if d.ok)
        failed = len(run.deliveries) - sent
        console.print(
            (
                f"{len(run.firings)} 次触发：新告警 {len(run.created)} 条，已存在 {len(run.known)} 条；"
                f"通知成功 {sent} 次、失败 {failed} 次（已记录，稍后重试）；告警库 {escape(_redact(target))}"
            )
            if zh
            else (
                f"{len(run.firings)} firing(s): {len(run.created)} new alert(s), {len(run.known)} already stored; "
                f"{sent} notification(s) sent, {failed} failed (kept for retry); store {escape(_redact(target))}"
            )
        )
        _print_notes(run.notes, language)
        if not pause:
            if fail and run.created:
                raise typer.Exit(3)
            return
        time.sleep(pause)


def _redact(target: str) -> str:
    """A database URL without its password."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", target)


def _add_alerts() -> None:
    from northstar.cli.alerts import app as alerts_app

    app.add_typer(alerts_app, name="alerts")


_add_alerts()


def _add_goals() -> None:
    from northstar.cli.goals import register

    register(app)


_add_goals()


def _add_leads() -> None:
    from northstar.cli.lead_ratings import register as add_ratings
    from northstar.cli.leads import app as leads_app
    from northstar.cli.leads import register

    add_ratings(leads_app)  # leads rate, leads ratings
    register(app)


_add_leads()


def _add_review() -> None:
    from northstar.cli.review import register

    register(app)


_add_review()


def _add_serve() -> None:
    from northstar.cli.serve import register

    register(app)


_add_serve()


def _language(project: Path | None) -> str:
    """The project's language for messages, read leniently so that a broken project still gets it."""
    import yaml

    from northstar.project import find_project_file

    try:
        data = yaml.safe_load(find_project_file(project).read_text(encoding="utf-8-sig"))
        lang = data["project"]["language"]
    except Exception:
        return "en"
    return lang if lang in ("en", "zh") else "en"


def _print_notes(notes: Iterable[str], language: str) -> None:
    """A result's notes (partial periods, data coverage, provisional values) on stderr."""
    for note in notes:
        err.print(f"[yellow]{'注' if language == 'zh' else 'note'}:[/] {escape(note)}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@app.command()
def target(
    metric: Annotated[str, typer.Argument(help="the metric to propose targets for")],
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", help="the industry's level to step toward: 0.03 or 3%")
    ] = None,
    steps: Annotated[int, typer.Option("--steps", help="how many periods to propose")] = 3,
    grain: Annotated[str, typer.Option("--grain", help="quarter, month or week")] = "quarter",
    as_json: Annotated[bool, typer.Option("--json", help="print the proposal as JSON")] = False,
    as_yaml: Annotated[
        bool, typer.Option("--yaml", help="print the targets: snippet for northstar.yml")
    ] = False,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """Propose floor / target / stretch per period from the metric's history and a benchmark."""
    import json

    from northstar.cli.targets import parse_benchmark, target_report, yaml_snippet
    from northstar.project import Project

    language = lang or _language(project)
    try:
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        info = proj.metric_info(metric) if metric in proj.catalog.metrics else None
        level = parse_benchmark(benchmark, info) if info is not None else None
        proposal = proj.propose_targets(metric, benchmark=level, steps=steps, grain=grain)
        info = proj.metric_info(metric)
        if as_json:
            print(json.dumps(proposal.to_dict(), ensure_ascii=False, indent=2))
        elif as_yaml:
            print(yaml_snippet(proposal, metric, info, language), end="")
        else:
            console.print(target_report(proposal, info, language))
        if not as_json:
            _print_notes(proposal.notes_zh if language == "zh" else proposal.notes, language)
    except NorthstarError as exc:
        _fail(exc, language)


@app.command()
def validate(
    metric: Annotated[str | None, typer.Argument(help="the KPI to test against the north star")] = None,
    against: Annotated[
        str | None, typer.Option("--against", help="the metric to test against (default: the north star)")
    ] = None,
    grain: Annotated[str, typer.Option(help="day, week or month")] = "week",
    max_lag: Annotated[int, typer.Option("--max-lag", help="test lags from -N to +N periods")] = 4,
    all_kpis: Annotated[
        bool, typer.Option("--all", help="every team KPI against the north star, one line each")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    project: ProjectOpt = None,
    lang: LangOpt = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
) -> None:
    """Does a KPI lead or move with the north star on history? Lagged correlations with intervals."""
    import json

    from northstar.cli.alignment import alignment_table, caveat_lines, validation_report
    from northstar.project import Project

    language = lang or _language(project)
    try:
        if (metric is None) == (not all_kpis):
            raise UserError(
                "name one metric, or pass --all for every team KPI",
                "请指定一个指标，或用 --all 检验所有团队指标",
            )
        proj = Project.load(project, engine=engine)
        language = lang or proj.spec.project.language
        if metric is not None:
            result = proj.validate(metric, against, grain=grain, max_lag=max_lag)
            if as_json:
                print(json.dumps(result.to_dict(language), ensure_ascii=False, indent=2))
            else:
                console.print(validation_report(result, language))
                _print_notes(result.notes_in(language), language)
            return
        amap = proj.alignment()
        results = [
            proj.validate(k.metric, against, grain=grain, max_lag=max_lag) if k.metric != against else None
            for k in amap.kpis
        ]
        if as_json:
            rows = [
                {**k.to_dict(), "validation": v.to_dict(language) if v else None}
                for k, v in zip(amap.kpis, results, strict=True)
            ]
            print(json.dumps({"north_star": amap.north_star, "kpis": rows}, ensure_ascii=False, indent=2))
            return
        console.print(alignment_table(amap, results, language))
        for line in caveat_lines([v for v in results if v is not None], language):
            console.print(line)
    except NorthstarError as exc:
        _fail(exc, language)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
