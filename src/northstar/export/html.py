"""The pieces of a self-contained HTML report: page, CSS (screen and print), tables, score bars
and inline-SVG sparklines.

Everything a page needs is inside the file: the CSS is inline, the charts are SVG elements, and
nothing is fetched from the network (no ``src`` or ``href`` to another site), so a report can be
mailed, archived or printed as it is. Every text a caller passes is HTML-escaped here.

>>> sparkline([1.0, None, 3.0], width=40, height=10).count("<circle")
2
>>> '<td class="num">1 &lt; 2</td>' in row(["1 < 2"], numeric=[True])
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = ["CSS", "bar", "esc", "page", "row", "sparkline", "table"]

CSS = """
:root { --ink: #1f2328; --dim: #59636e; --line: #d1d9e0; --good: #1a7f37; --warn: #9a6700;
        --bad: #cf222e; --bar: #0969da; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei",
       sans-serif; color: var(--ink); margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
p.meta, .dim { color: var(--dim); }
table { border-collapse: collapse; margin: .4rem 0 .8rem; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status-below_floor { color: var(--bad); font-weight: 600; }
.status-below_target { color: var(--warn); }
.status-on_target { color: var(--good); }
.status-stretch { color: var(--good); font-weight: 600; }
.status-no_target, .status-no_data, .status-provisional { color: var(--dim); }
.bar { display: inline-block; width: 90px; height: .7rem; background: var(--head);
       border: 1px solid var(--line); vertical-align: middle; margin-right: .3rem; }
.bar > span { display: block; height: 100%; background: var(--bar); }
.score { font-size: 1.3rem; font-weight: 700; }
ul.notes li, ol.whys li { margin: .15rem 0; }
section { page-break-inside: auto; }
svg.spark { vertical-align: middle; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { page-break-before: auto; page-break-after: avoid; }
  tr, svg, .card { page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def esc(value: object) -> str:
    """``value`` as HTML text (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str, lang: str) -> str:
    """A whole HTML document: ``lang`` set for the browser's fonts and hyphenation."""
    code = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def row(
    cells: Sequence[str], *, numeric: Sequence[bool] = (), raw: Sequence[bool] = (), head: bool = False
) -> str:
    """One table row; a cell is escaped unless ``raw`` says it is already HTML."""
    tag = "th" if head else "td"
    out = []
    for i, cell in enumerate(cells):
        cls = ' class="num"' if i < len(numeric) and numeric[i] else ""
        text = cell if i < len(raw) and raw[i] else esc(cell)
        out.append(f"<{tag}{cls}>{text}</{tag}>")
    return "<tr>" + "".join(out) + "</tr>"


def table(heads: Sequence[str], rows: Sequence[str], numeric: Sequence[bool] = ()) -> str:
    """A table with a header row and ``rows`` made by :func:`row`."""
    return (
        "<table>\n<thead>"
        + row(heads, numeric=numeric, head=True)
        + "</thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def bar(share: float | None, *, cap: float = 1.5) -> str:
    """A horizontal bar for a score (1 = 100 % fills two thirds of it with the default cap)."""
    if share is None or not math.isfinite(share):
        return '<span class="bar"></span>'
    width = max(0.0, min(share, cap)) / cap * 100
    return f'<span class="bar" title="{share * 100:.0f}%"><span style="width:{width:.1f}%"></span></span>'


def sparkline(
    values: Sequence[float | None],
    *,
    target: Sequence[float | None] = (),
    width: int = 120,
    height: int = 28,
    labels: Sequence[str] = (),
) -> str:
    """An inline SVG line of ``values`` (None: a gap, no point), a dot per value, and an optional
    dashed ``target`` line on the same scale; ``labels`` become the points' tooltips."""
    finite = [v for v in [*values, *target] if v is not None and math.isfinite(v)]
    n = len(values)
    if not finite or n == 0:
        return f'<svg class="spark" width="{width}" height="{height}" role="img"></svg>'
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = 3.0

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * (v - lo) / (hi - lo)
        return x, y

    def path(series: Sequence[float | None]) -> str:
        parts: list[str] = []
        pen_up = True
        for i, v in enumerate(series):
            if v is None or not math.isfinite(v):
                pen_up = True
                continue
            x, y = xy(i, v)
            parts.append(f"{'M' if pen_up else 'L'}{x:.1f},{y:.1f}")
            pen_up = False
        return " ".join(parts)

    out = [f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    if any(t is not None for t in target):
        out.append(
            f'<path d="{path(target)}" fill="none" stroke="#9a6700" stroke-width="1" stroke-dasharray="3,2"/>'
        )
    out.append(f'<path d="{path(values)}" fill="none" stroke="#0969da" stroke-width="1.5"/>')
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            continue
        x, y = xy(i, v)
        tip = f"<title>{esc(labels[i])}</title>" if i < len(labels) else ""
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="#0969da">{tip}</circle>')
    out.append("</svg>")
    return "".join(out)
