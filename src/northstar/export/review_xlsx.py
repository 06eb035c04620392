"""The review pack as an xlsx workbook, the same look as the query workbook
(:mod:`northstar.export.styles`): one sheet per section, headers in the pack's language, values in
each metric's number format.

Sheets: **KPIs** (a row per KPI: role, team, value, previous, change, % change, bands, status,
then the value and the target of each of the last 6 periods), **Scorecards** (each card for the
period, then a row per week: score and each item's weight and score), **OKRs** (a row per key
result and per guardrail), **Alerts** (a row per alert: drivers, root causes and the 5 whys as
text), **Target proposals** (a row per proposed period) and **Notes**.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from northstar.export.goal_words import word
from northstar.export.goals import PCT, write_card_sheet
from northstar.export.styles import Formats, SheetNames, number_format, write_cell

if TYPE_CHECKING:
    from xlsxwriter.format import Format

    from northstar.export.review import ReviewPack

__all__ = ["review_workbook"]


def review_workbook(pack: ReviewPack, path: Path) -> None:
    """Write the workbook described in the module docstring to ``path``."""
    workbook = Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        names = SheetNames()
        f = Formats(workbook)
        lang = pack.lang
        _kpis(workbook.add_worksheet(names.add(word(lang, "sheet.kpis"))), pack, f)
        _cards(workbook.add_worksheet(names.add(word(lang, "sheet.scorecards"))), pack, f)
        _okrs(workbook.add_worksheet(names.add(word(lang, "sheet.okrs"))), pack, f)
        _alerts(workbook.add_worksheet(names.add(word(lang, "sheet.alerts"))), pack, f)
        _proposals(workbook.add_worksheet(names.add(word(lang, "sheet.proposals"))), pack, f)
        _notes(workbook.add_worksheet(names.add(word(lang, "sheet.notes"))), pack, f)
    finally:
        workbook.close()


def _heads(sheet: Worksheet, row: int, heads: list[str], f: Formats) -> None:
    for c, h in enumerate(heads):
        sheet.write_string(row, c, h, f.header)


def _fmt(pack: ReviewPack, metric: str, f: Formats) -> Format | None:
    return f.number(number_format(pack.info(metric), pack.currency))


def _label(pack: ReviewPack, metric: str) -> str:
    info = pack.info(metric)
    return info.label_zh if pack.lang == "zh" else info.label


def _kpis(sheet: Worksheet, pack: ReviewPack, f: Formats) -> None:
    lang = pack.lang
    title = word(lang, "review.title", project=pack.project, period=pack.period.label)
    sheet.write_string(0, 0, title, f.title)
    periods = [q for q, _, _ in pack.kpis[0].history] if pack.kpis else []
    heads = [
        word(lang, "kpi"),
        "metric",
        word(lang, "role"),
        word(lang, "team"),
        word(lang, "value"),
        word(lang, "previous"),
        word(lang, "change"),
        word(lang, "pct"),
        word(lang, "floor"),
        word(lang, "target"),
        word(lang, "stretch"),
        word(lang, "status"),
    ]
    heads += [f"{q} {word(lang, 'value')}" for q in periods] + [
        f"{q} {word(lang, 'target')}" for q in periods
    ]
    _heads(sheet, 2, heads, f)
    pct_change = f.number("+0.0%;-0.0%;0.0%")
    for r, k in enumerate(pack.kpis, start=3):
        fmt = _fmt(pack, k.metric, f)
        b = k.bands
        role = word(lang, "role." + k.role) if k.role != "team" else ""
        cells: list[tuple[Any, Format | None]] = [
            (_label(pack, k.metric), None),
            (k.metric, None),
            (role, None),
            (pack.team_label(k.team) if k.team else None, None),
            (k.value, fmt),
            (k.previous, fmt),
            (k.change, fmt),
            (k.pct, pct_change),
            (b.floor if b else None, fmt),
            (b.target if b else None, fmt),
            (b.stretch if b else None, fmt),
            (word(lang, "status." + k.status), None),
        ]
        cells += [(v, fmt) for _, v, _ in k.history] + [(t, fmt) for _, _, t in k.history]
        for c, (value, cf) in enumerate(cells):
            write_cell(sheet, r, c, value, cf)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 3, 14)
    sheet.set_column(4, len(heads) - 1, 13)
    sheet.freeze_panes(3, 1)


def _cards(sheet: Worksheet, pack: ReviewPack, f: Formats) -> None:
    lang = pack.lang
    top = 0
    pct_fmt = f.number(PCT)
    for c in pack.scorecards:
        top = write_card_sheet(sheet, c.period, lang, f, pack.metrics, pack.currency, top)
        if not c.weeks:
            continue
        items = list(c.period.items)
        heads = [word(lang, "week"), word(lang, "start"), word(lang, "end"), word(lang, "score")]
        for i in items:
            label = i.label_zh if lang == "zh" else i.label
            heads += [f"{label} {word(lang, 'weight')}", f"{label} {word(lang, 'score')}"]
        _heads(sheet, top, heads, f)
        for w in c.weeks:
            top += 1
            by_item = {i.item: i for i in w.items}
            write_cell(sheet, top, 0, w.period.label)
            write_cell(sheet, top, 1, w.period.start, f.number("yyyy-mm-dd"))
            write_cell(sheet, top, 2, w.period.end, f.number("yyyy-mm-dd"))
            write_cell(sheet, top, 3, w.score, pct_fmt)
            for n, i in enumerate(items):
                it = by_item.get(i.item)
                write_cell(sheet, top, 4 + 2 * n, it.weight if it else None, pct_fmt)
                write_cell(sheet, top, 5 + 2 * n, it.score if it else None, pct_fmt)
        top += 3


def _okrs(sheet: Worksheet, pack: ReviewPack, f: Formats) -> None:
    lang = pack.lang
    heads = [
        word(lang, "objective"),
        word(lang, "period"),
        word(lang, "okr.progress"),
        word(lang, "kind"),
        word(lang, "okr.key_result"),
        word(lang, "weight"),
        word(lang, "start"),
        word(lang, "target"),
        word(lang, "okr.now"),
        word(lang, "okr.progress"),
        word(lang, "status"),
    ]
    _heads(sheet, 0, heads, f)
    pct_fmt = f.number(PCT)
    r = 0
    for o in pack.okrs:
        objective = o.objective_zh if lang == "zh" else o.objective
        for kr in o.key_results:
            r += 1
            fmt = _fmt(pack, kr.metric, f) if kr.metric else None
            cells: list[tuple[Any, Format | None]] = [
                (objective, None),
                (o.period.label, None),
                (o.progress, pct_fmt),
                (word(lang, "okr.key_result"), None),
                (kr.label_zh if lang == "zh" else kr.label, None),
                (kr.weight, None),
                (kr.start, fmt),
                (kr.target, fmt),
                (kr.value, fmt),
                (kr.progress, pct_fmt),
                (word(lang, "okr.by_hand") if kr.graded_by_hand else None, None),
            ]
            for c, (value, cf) in enumerate(cells):
                write_cell(sheet, r, c, value, cf)
        for g in o.guardrails:
            r += 1
            fmt = _fmt(pack, g.metric, f)
            state = None if g.holds is None else word(lang, "okr.holds" if g.holds else "okr.breached")
            cells = [
                (objective, None),
                (o.period.label, None),
                (o.progress, pct_fmt),
                (word(lang, "okr.guardrail"), None),
                (g.label_zh if lang == "zh" else g.label, None),
                (None, None),
                (g.floor, fmt),
                (g.ceiling, fmt),
                (g.value, fmt),
                (None, None),
                (state, None),
            ]
            for c, (value, cf) in enumerate(cells):
                write_cell(sheet, r, c, value, cf)
    sheet.set_column(0, 0, 34)
    sheet.set_column(4, 4, 30)
    sheet.set_column(1, len(heads) - 1, 13)


def _alerts(sheet: Worksheet, pack: ReviewPack, f: Formats) -> None:
    lang = pack.lang
    if pack.alerts is None or not pack.alerts:
        if pack.alerts is None:
            text = (
                word(lang, "alert.no_store", store=pack.store)
                if pack.store
                else word(lang, "alert.store_none")
            )
        else:
            text = word(lang, "alert.none")
        sheet.write_string(0, 0, text, f.note)
        sheet.set_column(0, 0, 80)
        return
    heads = [
        "id",
        word(lang, "alert.metric"),
        word(lang, "alert.period"),
        word(lang, "alert.severity"),
        word(lang, "alert.state"),
        word(lang, "alert.summary"),
        word(lang, "alert.drivers"),
        word(lang, "alert.causes"),
        word(lang, "whys"),
        word(lang, "alert.owner"),
        word(lang, "alert.actions"),
        word(lang, "alert.due"),
    ]
    _heads(sheet, 0, heads, f)
    wrap = f.get(text_wrap=True, valign="top")
    for r, a in enumerate(pack.alerts, start=1):
        rv = a.review
        drivers = "\n".join(
            f"{n}: {'' if c is None else f'{c:+,.2f}'}{'' if s is None else f' ({s * 100:.0f}%)'}"
            for n, c, s in a.drivers
        )
        causes = "\n".join(f"{combo}{'' if s is None else f' ({s * 100:.0f}%)'}" for combo, s in a.causes)
        cells: list[Any] = [
            a.id,
            a.label_zh if lang == "zh" else a.label,
            a.about,
            word(lang, f"severity.{a.severity}"),
            word(lang, f"state.{a.state}"),
            (a.summary_zh or a.summary) if lang == "zh" else a.summary,
            drivers,
            causes,
            "\n".join(f"{i}. {w}" for i, w in enumerate(rv.whys, start=1)) if rv else None,
            rv.owner if rv else None,
            "\n".join(rv.actions) if rv else None,
            rv.due if rv else None,
        ]
        for c, value in enumerate(cells):
            write_cell(sheet, r, c, value, f.number("yyyy-mm-dd") if c == 11 else wrap)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 4, 14)
    sheet.set_column(5, 10, 36)
    sheet.set_column(11, 11, 12)


def _proposals(sheet: Worksheet, pack: ReviewPack, f: Formats) -> None:
    lang = pack.lang
    heads = [
        word(lang, "prop.metric"),
        "metric",
        word(lang, "prop.now"),
        word(lang, "period"),
        word(lang, "prop.period"),
        word(lang, "prop.current"),
        word(lang, "floor"),
        word(lang, "target"),
        word(lang, "stretch"),
        word(lang, "prop.p_target"),
        word(lang, "prop.why"),
    ]
    _heads(sheet, 0, heads, f)
    r = 0
    for line in pack.proposals:
        fmt = _fmt(pack, line.metric, f)
        if line.proposal is None:
            r += 1
            write_cell(sheet, r, 0, _label(pack, line.metric))
            write_cell(sheet, r, 1, line.metric)
            why = word(lang, "prop.failed", reason=(line.error_zh if lang == "zh" else line.error) or "")
            write_cell(sheet, r, 10, why)
            continue
        prop = line.proposal
        finer = ""
        if line.grain != line.target_grain:
            finer = (
                " ("
                + word(
                    lang,
                    "prop.finer",
                    grain=word(lang, f"grain.{line.grain}"),
                    target=word(lang, f"grain.{line.target_grain}"),
                )
                + ")"
            )
        for i, s in enumerate(prop.steps):
            r += 1
            cells: list[tuple[Any, Format | None]] = [
                (_label(pack, line.metric), None),
                (line.metric, None),
                (prop.current, fmt),
                (prop.current_period, None),
                (s.period, None),
                (line.current.target if i == 0 and line.current else None, fmt),
                (s.floor, fmt),
                (s.target, fmt),
                (s.stretch, fmt),
                (s.p_target, f.number(PCT)),
                ((s.why_zh if lang == "zh" else s.why) + (finer if i == 0 else ""), None),
            ]
            for c, (value, cf) in enumerate(cells):
                write_cell(sheet, r, c, value, cf)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 9, 13)
    sheet.set_column(10, 10, 80)


def _notes(sheet: Worksheet, pack: ReviewPack, f: Formats) -> None:
    notes = pack.notes_zh if pack.lang == "zh" else pack.notes
    sheet.write_string(0, 0, word(pack.lang, "review.notes"), f.title)
    for r, n in enumerate(notes or [word(pack.lang, "notes.none")], start=2):
        sheet.write_string(r, 0, n, f.note)
    sheet.set_column(0, 0, 120)
