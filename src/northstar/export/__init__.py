"""Exports of a :class:`~northstar.results.QueryResult` to files people open elsewhere.

``write_result`` is the one entry point; the CLI's ``--format/--output`` calls it. Every format is
written atomically (a temporary file in the target directory, then ``os.replace``), so a failure
never leaves a half-written file behind. The modules, one stage each::

    atomic      the temp-file-then-rename protocol every writer goes through
    columns     which frame column is the period, a dimension, a metric or a comparison, and
                the order a person reads them in
    periods     period labels (2026-W48) and the periods the date range cuts short
    wording     every word a person reads in an export, in English and Chinese
    flat        csv (UTF-8 with BOM), json (meta + rows), parquet (with metadata)
    styles      Excel number formats, header labels, sheet names
    workbook    the xlsx file: Data and About sheets, and the order of all sheets
    trends      xlsx sheets of each metric over time, with native line charts
    changes     the xlsx Changes sheet: % change heatmap that respects each metric's direction
    frames      analysis tables (funnel steps, cohorts, lifecycle, aha candidates) by file suffix
    html        the pieces of a self-contained HTML page: CSS, tables, score bars, SVG sparklines
    goal_words  every word of the scorecard files and the review pack, in English and Chinese
    goals       a scorecard and its history → xlsx or one HTML page (``write_scorecard``)
    review      the monthly review pack: ``build_review`` → ``ReviewPack``, ``write_review``
    review_html the pack as one printable HTML document
    review_xlsx the pack as a workbook
"""

from __future__ import annotations

from northstar.export.writer import FORMATS, ExportFormat, write_result

__all__ = ["FORMATS", "ExportFormat", "write_result"]
