"""``northstar leads clean``: screen and de-duplicate a lead file (or a project's lead set), print
the per-channel quality summary (en/zh) and write the cleaned leads.

The work is :func:`northstar.leads.clean.clean_leads` and :func:`~northstar.leads.clean.write_clean`;
this module reads the options and the file, shows progress and renders the summary. ``app`` is
the ``leads`` sub-command group, added to the main app by :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from northstar.errors import NorthstarError, UserError

if TYPE_CHECKING:
    import pandas as pd

    from northstar.leads.clean import CleanResult
    from northstar.spec.leads import LeadSet

app = typer.Typer(
    help="Leads: screen contacts, de-duplicate people, write the cleaned list.", no_args_is_help=True
)
console = Console()

STAGES = {
    "read": ("reading leads", "读取线索"),
    "phones": ("screening phone numbers", "筛查电话号码"),
    "screen": ("checking e-mails and flags", "检查邮箱与可疑标记"),
    "dedupe": ("de-duplicating", "去重"),
    "write": ("writing", "写入文件"),
}


def register(main_app: typer.Typer) -> None:
    """Add the ``leads`` group to the main app."""
    main_app.add_typer(app, name="leads")


@app.command("clean")
def clean(
    file: Annotated[
        Path | None,
        typer.Argument(help="the leads: a .csv or .xlsx file (or use --project)", show_default=False),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="region of numbers written without a country code (default: CN, or the lead set's)",
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            help="of duplicates keep the first touch or the last (default: first, or the lead set's)",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="the cleaned leads: .xlsx (clean, rejected, summary) or .csv (clean only)"
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="field=column, e.g. --map phone=mobile --map cost=cost_usd (repeatable)"),
    ] = None,
    time_column: Annotated[
        str | None,
        typer.Option("--time", help="the created-time column (default: created_at, or the source's time)"),
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="the Excel sheet (default: the first)")] = None,
    project: Annotated[
        Path | None,
        typer.Option("--project", "-p", help="read a lead set of this project (northstar.yml or its folder)"),
    ] = None,
    lead_set_name: Annotated[
        str | None, typer.Option("--set", help="the lead set (default: the project's only one)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="processes parsing phone numbers (default: by input size)")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="en or zh (default: the project's language)")
    ] = None,
) -> None:
    """Screen leads (phone numbers with phonenumbers, e-mail syntax, suspicious patterns), keep one
    lead per person, and write the clean leads, the rejected ones with their reasons and a
    per-channel quality summary."""
    from northstar.cli.main import _fail, _language, err

    language = lang or (_language(project) if project else "en")
    zh = language == "zh"
    try:
        if keep is not None and keep not in ("first", "last"):
            raise UserError(f"--keep {keep!r}: use first or last", f"--keep {keep!r}：请用 first 或 last")
        if (file is None) == (project is None):
            raise UserError(
                "give a lead file (northstar leads clean leads.xlsx) or --project, not both",
                "请给出线索文件（northstar leads clean leads.xlsx）或 --project，二者择一",
            )
        with _ProgressBar(language) as step:
            step("read", 0.0)
            if file is not None:
                frame, lead_set, time_name = _from_file(file, sheet, mapping or [], region, keep, time_column)
                target = output or file.with_name(f"{file.stem}-clean.xlsx")
            else:
                assert project is not None
                frame, lead_set, time_name, set_name = _from_project(
                    project, lead_set_name, mapping or [], region, keep, time_column
                )
                target = output or Path(f"leads-{set_name}-clean.xlsx")
            from northstar.leads.clean import clean_leads, write_clean

            _check_suffix(target)
            result = clean_leads(frame, lead_set, time_name, workers=workers, progress=step)
            step("write", 0.0)
            write_clean(result, target, language)
    except NorthstarError as exc:
        _fail(exc, language)
        return
    console.print(summary_table(result, language, lead_set.region))
    clean_n, rejected_n = len(result.clean), len(result.rejected)
    duplicates = int(result.summary["duplicates"].iloc[-1])
    if zh:
        err.print(
            f"已写入 {escape(str(target))}：有效 {clean_n:,} 条，剔除 {rejected_n:,} 条（其中重复 {duplicates:,} 条）"
        )
    else:
        err.print(
            f"wrote {escape(str(target))}: {clean_n:,} clean, {rejected_n:,} rejected ({duplicates:,} duplicates)"
        )


def _check_suffix(target: Path) -> None:
    if target.suffix.lower() not in (".xlsx", ".csv"):
        raise UserError(
            f"cannot write {target.name}: use an .xlsx file (clean, rejected and summary sheets) or a .csv file",
            f"无法写入 {target.name}：请使用 .xlsx 文件（有效、剔除与汇总三个工作表）或 .csv 文件",
        )


def _from_file(
    file: Path,
    sheet: str | None,
    mapping: list[str],
    region: str | None,
    keep: str | None,
    time_column: str | None,
) -> tuple[pd.DataFrame, LeadSet, str]:
    from northstar.leads.reader import lead_columns, read_leads
    from northstar.spec.leads import LeadSet

    frame = read_leads(file, sheet)
    time_pairs = [m for m in mapping if m.partition("=")[0].strip() in ("created", "time")]
    rest = [m for m in mapping if m not in time_pairs]
    time_name = time_column or (time_pairs[-1].partition("=")[2].strip() if time_pairs else "created_at")
    columns = lead_columns(rest, [str(c) for c in frame.columns])
    lead_set = _lead_set(LeadSet(source=str(file), columns=columns), region, keep)
    return frame, lead_set, time_name


def _from_project(
    project_path: Path,
    name: str | None,
    mapping: list[str],
    region: str | None,
    keep: str | None,
    time_column: str | None,
) -> tuple[pd.DataFrame, LeadSet, str, str]:
    from northstar.engine.base import HIDDEN
    from northstar.leads.reader import lead_columns
    from northstar.project import Project
    from northstar.spec.suggest import did_you_mean

    project = Project.load(project_path)
    sets = project.spec.leads
    if not sets:
        raise UserError(
            "the project has no lead sets: add one under leads: in northstar.yml (see docs/leads.md)",
            "项目没有线索集：请在 northstar.yml 的 leads: 下添加（见 docs/leads.md）",
        )
    if name is None:
        if len(sets) > 1:
            raise UserError(
                f"the project has {len(sets)} lead sets ({', '.join(sets)}): choose one with --set",
                f"项目有 {len(sets)} 个线索集（{', '.join(sets)}）：请用 --set 选择一个",
            )
        name = next(iter(sets))
    if name not in sets:
        raise UserError(
            f"no lead set {name!r}{did_you_mean(name, sets)}; the lead sets are {', '.join(sets)}",
            f"没有线索集 {name!r}{did_you_mean(name, sets, 'zh')}；现有线索集：{', '.join(sets)}",
        )
    lead_set = sets[name]
    table = project.table(project.engine, lead_set.source)
    frame = project.engine.execute(table.select([c for c in table.columns if c not in HIDDEN]))
    source = project.spec.sources[lead_set.source]
    columns = lead_columns(mapping, [str(c) for c in frame.columns], lead_set.columns)
    chosen = lead_set.model_copy(update={"columns": columns})
    return frame, _lead_set(chosen, region, keep), time_column or source.time, name


def _lead_set(lead_set: LeadSet, region: str | None, keep: str | None) -> LeadSet:
    from pydantic import ValidationError

    from northstar.spec.leads import LeadSet

    data = lead_set.model_dump()
    if region is not None:
        data["region"] = region
    if keep is not None:
        data["keep"] = keep
    try:
        return LeadSet(**data)
    except ValidationError:
        raise UserError(
            f"--region {region!r} is not a region phonenumbers knows: write an ISO code such as CN, US, GB",
            f"--region {region!r} 不是 phonenumbers 认识的地区：请写 ISO 代码，例如 CN、US、GB",
        ) from None


def summary_table(result: CleanResult, lang: str, region: str) -> Table:
    """The per-channel quality summary as a Rich table (en/zh), without the total cost column (it
    is in the written file) so that it fits 80 columns."""
    from northstar.leads.clean import localise_summary
    from northstar.leads.words import TABLE_WORDS

    zh = lang == "zh"
    title = (
        f"线索质量（按渠道，默认地区 {region}）"
        if zh
        else f"Lead quality by channel (default region {region})"
    )
    summary = localise_summary(result.summary, lang)
    rows = [
        [
            str(row["channel"]),
            f"{int(row['leads']):,}",
            _pct(row["valid_phone_pct"]),
            _pct(row["valid_email_pct"]),
            f"{int(row['suspicious_leads']):,}",
            f"{int(row['duplicates']):,}",
            f"{int(row['rejected']):,}",
            f"{int(row['clean']):,}",
            _money(row["cost_per_clean_lead"], 2),
        ]
        for row in summary.to_dict("records")
    ]
    # cells never wrap (each column is as wide as its widest cell); headers wrap when narrow
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0))
    shown = [c for c in summary.columns if c != "cost"]  # the total cost is in the file's summary
    for j, name in enumerate(shown):
        en, zh_word = TABLE_WORDS[str(name)]
        width = max(cell_len(r[j]) for r in rows)
        table.add_column(
            zh_word if zh else en,
            justify="left" if name == "channel" else "right",
            min_width=width,
            overflow="fold",
        )
    last = len(rows) - 1
    for i, cells in enumerate(rows):
        table.add_row(
            *[escape(c) for c in cells], style="bold" if i == last else None, end_section=i == last - 1
        )
    return table


def _pct(value: object) -> str:
    return "—" if not isinstance(value, (int, float)) or value != value else f"{value * 100:.1f}%"


def _money(value: object, digits: int) -> str:
    return "—" if not isinstance(value, (int, float)) or value != value else f"{value:,.{digits}f}"


class _ProgressBar:
    """A Rich progress bar on stderr for the stages of :data:`STAGES` (hidden when not a terminal)."""

    def __init__(self, lang: str) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        from northstar.cli.main import err

        self.zh = lang == "zh"
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.task = self.progress.add_task(self._words("read"), total=1.0)

    def _words(self, stage: str) -> str:
        en, zh = STAGES.get(stage, (stage, stage))
        return zh if self.zh else en

    def __enter__(self) -> Callable[[str, float], None]:
        self.progress.__enter__()
        return self.step

    def step(self, stage: str, fraction: float) -> None:
        self.progress.update(self.task, description=self._words(stage), completed=fraction)

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)
