"""A scorecard and its history to a file: ``.xlsx`` (a workbook) or ``.html`` (one page).

``write_scorecard(project, results, path, lang)`` takes the results of
:func:`northstar.analysis.scorecards.run_scorecard`, the first for the period asked for and the
rest for earlier periods, newest first (what ``northstar scorecard --history N -o …`` passes).
Nothing is computed here: every number is a field of a result.

- **xlsx**: one sheet per result (KPI, weight, value, floor, target, stretch, status, score,
  contribution; values and bands in the metric's number format, weights and scores as %), the
  card's score, the weight share scored and the notes under the table; then a **Score history**
  sheet: one row per period, oldest first, with the card's score and each item's score.
- **html**: one self-contained page (inline CSS, inline-SVG sparkline of the score history, no
  network): the card for the period asked for with a bar per score, the weights in force, the
  history table and the notes; labels in ``lang`` (en or zh).

A target marked ``*`` was derived from other periods' targets. The file is written atomically
(:mod:`northstar.export.atomic`): a failure leaves no file, or the old one, behind. Another suffix
is refused with a :class:`~northstar.errors.UserError` before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from northstar.errors import UserError
from northstar.export.atomic import atomic_path
from northstar.export.goal_words import word
from northstar.export.html import bar, esc, page, row, sparkline, table
from northstar.export.styles import Formats, SheetNames, number_format, write_cell

if TYPE_CHECKING:
    from northstar.analysis.scorecards import ItemScore, ScorecardResult
    from northstar.project import Project
    from northstar.results import MetricInfo

#: The metric's display information by name (``Project.metric_info`` for every metric).
Infos = Mapping[str, "MetricInfo"]

__all__ = [
    "SCORECARD_SUFFIXES",
    "card_html",
    "check_suffix",
    "display",
    "write_card_sheet",
    "write_scorecard",
]

SCORECARD_SUFFIXES = (".xlsx", ".html", ".htm")
PCT = "0%"
COLUMNS = ("kpi", "weight", "value", "floor", "target", "stretch", "status", "score", "contribution")


def check_suffix(path: Path, suffixes: Sequence[str] = SCORECARD_SUFFIXES) -> str:
    """The lower-case suffix of ``path``, or a ``UserError`` (en/zh) naming the ones accepted."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        listed = " or ".join([", ".join(suffixes[:-1]), suffixes[-1]] if len(suffixes) > 1 else suffixes)
        listed_zh = " 或 ".join(["、".join(suffixes[:-1]), suffixes[-1]] if len(suffixes) > 1 else suffixes)
        raise UserError(
            f"cannot write {path.name}: use a {listed} file",
            f"无法写入 {path.name}：请使用 {listed_zh} 文件",
        )
    return suffix


def display(info: MetricInfo, value: float | None, currency: str | None = None) -> str:
    """A metric's value as the CLI prints it (``$11.83``, ``8.5%``), ``—`` when missing."""
    from northstar.cli.render import format_value

    if value is None:
        return "—"
    return format_value(value, info, currency)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


def write_scorecard(
    project: Project, results: Sequence[ScorecardResult], path: Path | str, lang: str
) -> Path:
    """Write ``results`` (the period asked for first, then earlier periods, newest first) to
    ``path`` (module docstring)."""
    target = Path(path)
    suffix = check_suffix(target)
    if not results:
        raise UserError(f"no scorecard to write to {target.name}", f"没有可写入 {target.name} 的计分卡")
    infos = {m: project.metric_info(m) for r in results for m in _metrics(r)}
    currency = project.spec.project.currency
    try:
        with atomic_path(target) as tmp:
            if suffix == ".xlsx":
                _xlsx(results, tmp, lang, infos, currency)
            else:
                tmp.write_text(
                    scorecard_html(results, lang, infos, currency, project.spec.project.name),
                    encoding="utf-8",
                )
    except OSError as exc:
        raise UserError(
            f"cannot write {target}: {exc.strerror or exc}", f"无法写入 {target}：{exc.strerror or exc}"
        ) from None
    return target


# -- xlsx ---------------------------------------------------------------------------------------


def _metrics(result: ScorecardResult) -> list[str]:
    return [i.item for i in result.items if i.kind == "metric"]


def _xlsx(
    results: Sequence[ScorecardResult], path: Path, lang: str, infos: Infos, currency: str | None
) -> None:
    workbook = Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        names = SheetNames()
        formats = Formats(workbook)
        for result in results:
            label = result.label_zh if lang == "zh" else result.label
            sheet = workbook.add_worksheet(names.add(f"{label} {result.period.label}"))
            write_card_sheet(sheet, result, lang, formats, infos, currency)
        history = workbook.add_worksheet(names.add(word(lang, "sheet.history")))
        _history_sheet(history, results, lang, formats)
    finally:
        workbook.close()


def write_card_sheet(
    sheet: Worksheet,
    result: ScorecardResult,
    lang: str,
    formats: Formats,
    infos: Infos,
    currency: str | None,
    top: int = 0,
) -> int:
    """One card as a block of rows from row ``top``; returns the next free row."""
    label = result.label_zh if lang == "zh" else result.label
    p = result.period
    sheet.write_string(
        top,
        0,
        word(lang, "scorecard.title", card=label, period=p.label, start=p.start, end=p.end),
        formats.title,
    )
    r = top + 2
    for c, key in enumerate(COLUMNS):
        sheet.write_string(r, c, word(lang, key), formats.header)
    pct_fmt = formats.number(PCT)
    derived = False
    for item in result.items:
        r += 1
        b = item.bands
        value_fmt = (
            pct_fmt if item.kind == "scorecard" else formats.number(number_format(infos[item.item], currency))
        )
        target_text = b.target if b else None
        derived = derived or bool(b is not None and b.derived)
        cells: list[tuple[object, object]] = [
            (
                (item.label_zh if lang == "zh" else item.label)
                + ("*" if b is not None and b.derived else ""),
                None,
            ),
            (item.weight, pct_fmt),
            (item.value, value_fmt),
            (b.floor if b else None, value_fmt),
            (target_text, value_fmt),
            (b.stretch if b else None, value_fmt),
            (word(lang, f"status.{item.status}"), None),
            (item.score, pct_fmt),
            (item.contribution, pct_fmt),
        ]
        for c, (value, fmt) in enumerate(cells):
            write_cell(sheet, r, c, value, fmt)  # type: ignore[arg-type]
    r += 2
    sheet.write_string(r, 0, word(lang, "score"), formats.bold)
    write_cell(sheet, r, 1, result.score, formats.get(num_format=PCT, bold=True))
    r += 1
    sheet.write_string(r, 0, word(lang, "coverage"), formats.bold)
    write_cell(sheet, r, 1, result.coverage, pct_fmt)
    r += 1
    sheet.write_string(r, 0, word(lang, "through"), formats.bold)
    write_cell(sheet, r, 1, result.through, formats.number("yyyy-mm-dd"))
    notes = list(result.notes_zh if lang == "zh" else result.notes)
    if derived:
        notes.append(word(lang, "derived"))
    for i, note in enumerate(notes):
        r += 1
        sheet.write_string(r, 0, word(lang, "notes") if i == 0 else "", formats.bold)
        sheet.write_string(r, 1, note, formats.note)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, len(COLUMNS) - 1, 13)
    return r + 2


def _history_sheet(sheet: Worksheet, results: Sequence[ScorecardResult], lang: str, formats: Formats) -> None:
    ordered = list(reversed(results))  # oldest first, as a chart reads
    items: list[ItemScore] = []
    seen: set[str] = set()
    for result in ordered:
        for it in result.items:
            if it.item not in seen:
                seen.add(it.item)
                items.append(it)
    heads = [
        word(lang, "period"),
        word(lang, "start"),
        word(lang, "end"),
        word(lang, "score"),
        word(lang, "coverage"),
    ] + [(it.label_zh if lang == "zh" else it.label) for it in items]
    for c, h in enumerate(heads):
        sheet.write_string(0, c, h, formats.header)
    pct_fmt = formats.number(PCT)
    date_fmt = formats.number("yyyy-mm-dd")
    for r, result in enumerate(ordered, start=1):
        by_item = {it.item: it.score for it in result.items}
        write_cell(sheet, r, 0, result.period.label)
        write_cell(sheet, r, 1, result.period.start, date_fmt)
        write_cell(sheet, r, 2, result.period.end, date_fmt)
        write_cell(sheet, r, 3, result.score, pct_fmt)
        write_cell(sheet, r, 4, result.coverage, pct_fmt)
        for c, it in enumerate(items, start=5):
            write_cell(sheet, r, c, by_item.get(it.item), pct_fmt)
    sheet.set_column(0, 2, 12)
    sheet.set_column(3, len(heads) - 1, 16)
    sheet.freeze_panes(1, 1)


# -- html ---------------------------------------------------------------------------------------


def card_html(
    result: ScorecardResult, lang: str, infos: Infos, currency: str | None, *, heading: str = "h2"
) -> str:
    """One card as an HTML block: title, table with score bars, total and notes."""
    label = result.label_zh if lang == "zh" else result.label
    p = result.period
    title = word(lang, "scorecard.title", card=label, period=p.label, start=p.start, end=p.end)
    numeric = [False, True, True, True, True, True, False, True, True]
    rows = []
    derived = False
    for item in result.items:
        b = item.bands
        if item.kind == "scorecard":
            value = pct(item.value)
            floor = target = stretch = "—"
        else:
            value = display(infos[item.item], item.value, currency)
            floor = display(infos[item.item], b.floor if b else None, currency)
            target = display(infos[item.item], b.target if b else None, currency)
            stretch = display(infos[item.item], b.stretch if b else None, currency)
            if b is not None and b.derived:
                target += "*"
                derived = True
        status = f'<span class="status-{item.status}">{esc(word(lang, f"status.{item.status}"))}</span>'
        rows.append(
            row(
                [
                    item.label_zh if lang == "zh" else item.label,
                    pct(item.weight),
                    value,
                    floor,
                    target,
                    stretch,
                    status,
                    bar(item.score) + esc(pct(item.score)),
                    pct(item.contribution),
                ],
                numeric=numeric,
                raw=[False] * 6 + [True, True],
            )
        )
    total = word(lang, "scorecard.score", score=pct(result.score))
    if result.coverage < 1:
        total += word(lang, "scorecard.coverage", coverage=pct(result.coverage))
    out = [
        f'<div class="card"><{heading}>{esc(title)}</{heading}>',
        table([word(lang, k) for k in COLUMNS], rows, numeric),
        f'<p class="score">{bar(result.score)}{esc(total)}</p>',
    ]
    notes = list(result.notes_zh if lang == "zh" else result.notes)
    if derived:
        notes.append(word(lang, "derived"))
    if notes:
        out.append('<ul class="notes dim">' + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    out.append("</div>")
    return "\n".join(out)


def scorecard_html(
    results: Sequence[ScorecardResult], lang: str, infos: Infos, currency: str | None, project: str
) -> str:
    """The whole page for ``write_scorecard`` (module docstring)."""
    current = results[0]
    label = current.label_zh if lang == "zh" else current.label
    p = current.period
    title = word(lang, "scorecard.title", card=label, period=p.label, start=p.start, end=p.end)
    generated = datetime.now().astimezone().isoformat(timespec="seconds")
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(project)} · {esc(word(lang, "through"))} '
        f"{esc(current.through.isoformat())} · {esc(generated)}</p>",
        card_html(current, lang, infos, currency),
    ]
    if current.weight_sets:
        sets = "; ".join(
            word(lang, "scorecard.weights_from", start=s.isoformat(), days=d) for s, d in current.weight_sets
        )
        body.append(f'<p class="dim">{esc(word(lang, "scorecard.weights"))}: {esc(sets)}</p>')
    ordered = list(reversed(results))
    if len(ordered) > 1:
        scores = [r.score for r in ordered]
        labels = [f"{r.period.label}: {pct(r.score)}" for r in ordered]
        body.append(f"<h2>{esc(word(lang, 'scorecard.history'))}</h2>")
        body.append(
            f"<p>{sparkline(scores, target=[1.0] * len(scores), width=240, height=48, labels=labels)}</p>"
        )
        rows = [
            row(
                [
                    r.period.label,
                    f"{r.period.start} – {r.period.end}",
                    bar(r.score) + esc(pct(r.score)),
                    pct(r.coverage),
                ],
                numeric=[False, False, True, True],
                raw=[False, False, True],
            )
            for r in ordered
        ]
        body.append(
            table(
                [
                    word(lang, "period"),
                    word(lang, "start") + " – " + word(lang, "end"),
                    word(lang, "score"),
                    word(lang, "coverage"),
                ],
                rows,
                [False, False, True, True],
            )
        )
    return page(title, "\n".join(body), lang)
