"""The review pack as one HTML document: self-contained (inline CSS, inline-SVG charts, no
network), printable, every heading and label in the pack's language (en or zh).

Sections, in the order of :mod:`northstar.export.review`: 1. the north star and supporting KPIs
(then the teams' KPIs with targets), each with a sparkline of its last 6 periods and the target
as a dashed line; 2. the scorecards, the period's card and a row per week; 3. OKRs; 4. alerts
with their drivers, root causes and 5-Why review; 5. proposed target updates; 6. notes. Each
section is a ``<section id="…">`` (``kpis``, ``scorecards``, ``okrs``, ``alerts``, ``proposals``,
``notes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from northstar.export.goal_words import word
from northstar.export.goals import card_html, display, pct
from northstar.export.html import bar, esc, page, row, sparkline, table

if TYPE_CHECKING:
    from northstar.analysis.okrs import OkrResult
    from northstar.export.review import AlertLine, CardReview, KpiLine, ProposalLine, ReviewPack

__all__ = ["review_html"]


def review_html(pack: ReviewPack) -> str:
    """The whole document for ``pack``."""
    lang = pack.lang
    p = pack.period
    title = word(lang, "review.title", project=pack.project, period=p.label)
    meta = word(
        lang,
        "review.meta",
        start=p.start.isoformat(),
        end=p.end.isoformat(),
        through=pack.through.isoformat() if pack.through else "—",
        generated=pack.generated.isoformat(timespec="minutes"),
    )
    sections = [
        ("kpis", "review.kpis", _kpis(pack)),
        ("scorecards", "review.scorecards", _cards(pack)),
        ("okrs", "review.okrs", _okrs(pack)),
        ("alerts", "review.alerts", _alerts(pack)),
        ("proposals", "review.proposals", _proposals(pack)),
        ("notes", "review.notes", _notes(pack)),
    ]
    toc = "".join(f'<li><a href="#{key}">{esc(word(lang, head))}</a></li>' for key, head, _ in sections)
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(meta)}</p>',
        f"<nav><strong>{esc(word(lang, 'review.contents'))}</strong><ul>{toc}</ul></nav>",
    ]
    body += [
        f'<section id="{key}">\n<h2>{esc(word(lang, head))}</h2>\n{html}\n</section>'
        for key, head, html in sections
    ]
    return page(title, "\n".join(body), lang)


def _label(pack: ReviewPack, metric: str) -> str:
    info = pack.info(metric)
    return info.label_zh if pack.lang == "zh" else info.label


def _kpis(pack: ReviewPack) -> str:
    lang = pack.lang
    heads = [
        word(lang, "kpi"),
        word(lang, "value"),
        word(lang, "previous"),
        word(lang, "change"),
        word(lang, "floor"),
        word(lang, "target"),
        word(lang, "stretch"),
        word(lang, "status"),
        word(lang, "last_periods", n=max((len(k.history) for k in pack.kpis), default=0)),
    ]
    numeric = [False, True, True, True, True, True, True, False, False]
    main = [k for k in pack.kpis if k.role != "team"]
    teams = [k for k in pack.kpis if k.role == "team"]
    out = [table(heads, [_kpi_row(pack, k) for k in main], numeric)] if main else []
    if teams:
        out.append(f"<h3>{esc(word(lang, 'review.team_kpis'))}</h3>")
        out.append(
            table(
                [word(lang, "team"), *heads], [_kpi_row(pack, k, team=True) for k in teams], [False, *numeric]
            )
        )
    return "\n".join(out)


def _kpi_row(pack: ReviewPack, k: KpiLine, *, team: bool = False) -> str:
    lang = pack.lang
    info = pack.info(k.metric)
    b = k.bands
    name = _label(pack, k.metric)
    if k.role in ("north_star", "supporting"):
        name += (
            f" ({word(lang, 'role.' + k.role)})" if lang != "zh" else f"（{word(lang, 'role.' + k.role)}）"
        )
    if info.format == "percent" and k.change is not None:
        change = f"{k.change * 100:+.{max(info.decimals, 1)}f} pp"
    else:
        change = "—" if k.pct is None else f"{k.pct * 100:+.1f}%"
    labels = [f"{q}: {display(info, v, pack.currency)}" for q, v, _ in k.history]
    spark = sparkline([v for _, v, _ in k.history], target=[t for _, _, t in k.history], labels=labels)
    status = f'<span class="status-{k.status}">{esc(word(lang, "status." + k.status))}</span>'
    target = display(info, b.target if b else None, pack.currency)
    if b is not None and b.derived:
        target += "*"
    cells = [
        name,
        display(info, k.value, pack.currency),
        display(info, k.previous, pack.currency),
        change,
        display(info, b.floor if b else None, pack.currency),
        target,
        display(info, b.stretch if b else None, pack.currency),
        status,
        spark,
    ]
    raw = [False] * 7 + [True, True]
    numeric = [False, True, True, True, True, True, True, False, False]
    if team:
        cells.insert(0, pack.team_label(k.team))
        raw.insert(0, False)
        numeric.insert(0, False)
    return row(cells, numeric=numeric, raw=raw)


def _cards(pack: ReviewPack) -> str:
    lang = pack.lang
    out = []
    for c in pack.scorecards:
        out.append(card_html(c.period, lang, pack.metrics, pack.currency, heading="h3"))
        if c.weeks:
            out.append(_weeks(pack, c))
    return "\n".join(out) or f'<p class="dim">{esc(word(lang, "no_weights"))}</p>'


def _weeks(pack: ReviewPack, c: CardReview) -> str:
    lang = pack.lang
    items = [i for i in c.period.items]
    heads = [word(lang, "week"), word(lang, "score")]
    heads += [
        f"{(i.label_zh if lang == 'zh' else i.label)} ({word(lang, 'weight')} / {word(lang, 'score')})"
        for i in items
    ]
    rows = []
    for w in c.weeks:
        by_item = {i.item: i for i in w.items}
        cells = [
            f"{w.period.label} ({w.period.start:%m-%d} – {w.period.end:%m-%d})",
            bar(w.score) + esc(pct(w.score)),
        ]
        for i in items:
            it = by_item.get(i.item)
            cells.append("—" if it is None else f"{pct(it.weight)} / {pct(it.score)}")
        rows.append(row(cells, numeric=[False] + [True] * (len(cells) - 1), raw=[False, True]))
    scores = [w.score for w in c.weeks]
    spark = sparkline(
        scores, target=[1.0] * len(scores), labels=[f"{w.period.label}: {pct(w.score)}" for w in c.weeks]
    )
    return table(heads, rows, [False] + [True] * (len(heads) - 1)) + f"<p>{spark}</p>"


def _okrs(pack: ReviewPack) -> str:
    lang = pack.lang
    if not pack.okrs:
        return f'<p class="dim">{esc(word(lang, "okr.none"))}</p>'
    return "\n".join(_okr(pack, r) for r in pack.okrs)


def _okr(pack: ReviewPack, r: OkrResult) -> str:
    lang = pack.lang
    objective = r.objective_zh if lang == "zh" else r.objective
    owner = f" · {word(lang, 'okr.owner', owner=r.owner)}" if r.owner else ""
    out = [
        f"<h3>{esc(objective)} · {esc(r.period.label)}{esc(owner)}</h3>",
        f'<p class="score">{bar(r.progress, cap=1.0)}{esc(word(lang, "okr.progress"))} {esc(pct(r.progress))}</p>',
    ]
    heads = [
        word(lang, "okr.key_result"),
        word(lang, "weight"),
        word(lang, "start"),
        word(lang, "target"),
        word(lang, "okr.now"),
        word(lang, "okr.progress"),
        word(lang, "okr.pace"),
    ]
    rows = []
    for kr in r.key_results:
        label = kr.label_zh if lang == "zh" else kr.label
        if kr.graded_by_hand or kr.metric is None:
            start = target = now = "—"
            pace = word(lang, "okr.by_hand")
        else:
            info = pack.info(kr.metric)
            start = display(info, kr.start, pack.currency)
            target = display(info, kr.target, pack.currency)
            now = display(info, kr.value, pack.currency)
            pace = ""
            if kr.pacing is not None and kr.pacing.on_track is not None:
                key = "okr.on_track" if kr.pacing.on_track else "okr.off_track"
                pace = word(lang, key, projected=display(info, kr.pacing.projected, pack.currency))
        rows.append(
            row(
                [
                    label,
                    f"{kr.weight:g}",
                    start,
                    target,
                    now,
                    bar(kr.progress, cap=1.0) + esc(pct(kr.progress)),
                    pace,
                ],
                numeric=[False, True, True, True, True, True, False],
                raw=[False] * 5 + [True],
            )
        )
    out.append(table(heads, rows, [False, True, True, True, True, True, False]))
    if r.guardrails:
        grows = []
        for g in r.guardrails:
            info = pack.info(g.metric)
            limits = []
            if g.floor is not None:
                limits.append("≥ " + display(info, g.floor, pack.currency))
            if g.ceiling is not None:
                limits.append("≤ " + display(info, g.ceiling, pack.currency))
            state = "—" if g.holds is None else word(lang, "okr.holds" if g.holds else "okr.breached")
            cls = (
                "status-no_data"
                if g.holds is None
                else ("status-on_target" if g.holds else "status-below_floor")
            )
            grows.append(
                row(
                    [
                        g.label_zh if lang == "zh" else g.label,
                        " ".join(limits),
                        display(info, g.value, pack.currency),
                        f'<span class="{cls}">{esc(state)}</span>',
                    ],
                    numeric=[False, True, True, False],
                    raw=[False, False, False, True],
                )
            )
        out.append(
            table(
                [
                    word(lang, "okr.guardrail"),
                    word(lang, "okr.limit"),
                    word(lang, "okr.now"),
                    word(lang, "status"),
                ],
                grows,
                [False, True, True, False],
            )
        )
    return "\n".join(out)


def _alerts(pack: ReviewPack) -> str:
    lang = pack.lang
    if pack.alerts is None:
        text = (
            word(lang, "alert.no_store", store=pack.store) if pack.store else word(lang, "alert.store_none")
        )
        return f'<p class="dim">{esc(text)}</p>'
    if not pack.alerts:
        return f'<p class="dim">{esc(word(lang, "alert.none"))}</p>'
    return "\n".join(_alert(pack, a) for a in pack.alerts)


def _alert(pack: ReviewPack, a: AlertLine) -> str:
    lang = pack.lang
    label = a.label_zh if lang == "zh" else a.label
    summary = (a.summary_zh or a.summary) if lang == "zh" else a.summary
    facts = table(
        [
            word(lang, "alert.metric"),
            word(lang, "alert.period"),
            word(lang, "alert.severity"),
            word(lang, "alert.state"),
            word(lang, "alert.summary"),
        ],
        [
            row(
                [
                    f"{label} ({a.metric})",
                    a.about,
                    word(lang, f"severity.{a.severity}"),
                    word(lang, f"state.{a.state}"),
                    summary,
                ]
            )
        ],
    )
    out = [f'<div class="card" id="alert-{esc(a.id)}"><h3>{esc(label)} · {esc(a.about)}</h3>', facts]
    if a.drivers:
        items = "".join(
            f"<li>{esc(name)}: {esc(_number(c))}{esc(_share(s))}</li>" for name, c, s in a.drivers
        )
        out.append(f"<p><strong>{esc(word(lang, 'alert.drivers'))}</strong></p><ul>{items}</ul>")
    if a.causes:
        items = "".join(f"<li>{esc(combo)}{esc(_share(s))}</li>" for combo, s in a.causes)
        out.append(f"<p><strong>{esc(word(lang, 'alert.causes'))}</strong></p><ul>{items}</ul>")
    out.append(f"<p><strong>{esc(word(lang, 'alert.review'))}</strong></p>")
    if a.review is None:
        out.append(f'<p class="dim">{esc(word(lang, "alert.no_review"))}</p>')
    else:
        rv = a.review
        whys = "".join(f"<li>{esc(w)}</li>" for w in rv.whys)
        actions = "".join(f"<li>{esc(x)}</li>" for x in rv.actions)
        out.append(f'<ol class="whys">{whys}</ol>')
        out.append(
            f"<p>{esc(word(lang, 'alert.owner'))}: {esc(rv.owner)} · {esc(word(lang, 'alert.due'))}: "
            f"{esc(rv.due.isoformat())}</p>"
        )
        if actions:
            out.append(f"<p><strong>{esc(word(lang, 'alert.actions'))}</strong></p><ul>{actions}</ul>")
    out.append("</div>")
    return "\n".join(out)


def _number(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:+,.2f}".rstrip("0").rstrip(".")


def _share(s: float | None) -> str:
    return "" if s is None else f" ({s * 100:.0f}%)"


def _proposals(pack: ReviewPack) -> str:
    lang = pack.lang
    if not pack.proposals:
        return f'<p class="dim">{esc(word(lang, "prop.none"))}</p>'
    heads = [
        word(lang, "prop.metric"),
        word(lang, "prop.now"),
        word(lang, "prop.period"),
        word(lang, "prop.current"),
        word(lang, "prop.proposal"),
        word(lang, "prop.p_target"),
        word(lang, "prop.why"),
    ]
    numeric = [False, True, False, True, True, True, False]
    return table(heads, [r for line in pack.proposals for r in _proposal_rows(pack, line)], numeric)


def _proposal_rows(pack: ReviewPack, line: ProposalLine) -> list[str]:
    lang = pack.lang
    info = pack.info(line.metric)
    name = _label(pack, line.metric)
    numeric = [False, True, False, True, True, True, False]
    if line.proposal is None:
        why = word(lang, "prop.failed", reason=(line.error_zh if lang == "zh" else line.error) or "")
        return [row([name, "—", "—", "—", "—", "—", why], numeric=numeric)]
    prop = line.proposal
    now = f"{display(info, prop.current, pack.currency)} ({prop.current_period})"
    finer = ""
    if line.grain != line.target_grain:
        finer = word(
            lang,
            "prop.finer",
            grain=word(lang, f"grain.{line.grain}"),
            target=word(lang, f"grain.{line.target_grain}"),
        )
    out = []
    for i, s in enumerate(prop.steps):
        current = "—"
        if i == 0 and line.current is not None:
            current = display(info, line.current.target, pack.currency)
        bands = " / ".join(display(info, v, pack.currency) for v in (s.floor, s.target, s.stretch))
        out.append(
            row(
                [
                    name if i == 0 else "",
                    now if i == 0 else "",
                    s.period,
                    current,
                    bands,
                    f"{s.p_target * 100:.0f}%",
                    (s.why_zh if lang == "zh" else s.why) + (f" ({finer})" if finer and i == 0 else ""),
                ],
                numeric=numeric,
            )
        )
    return out


def _notes(pack: ReviewPack) -> str:
    notes = pack.notes_zh if pack.lang == "zh" else pack.notes
    if not notes:
        return f'<p class="dim">{esc(word(pack.lang, "notes.none"))}</p>'
    return '<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"
