"""The dashboard's pages: one HTML shell per page, drawn in the browser from the JSON API.

Every page is the same shell (``_SHELL``): the stylesheet, Apache ECharts (shipped in
``static/vendor``, no CDN: the dashboard works offline) and ``static/js/app.js``, which reads the
page's name from ``<main data-page>``, loads ``static/js/pages/<page>.js`` and draws it with data
from ``/api/…``. Filters (date range, grain, dimension values) and the language live in the URL's
query, so a link names exactly what it shows; ``js/core.js`` carries them from page to page.

The shell holds no data and nothing a user typed except the page's path parameter, which is
escaped; page scripts build the DOM with ``textContent`` (``core.js``'s ``h``), never ``innerHTML``
of data. The ``Content-Security-Policy`` allows scripts from this origin only.

Pages (path → script): ``/`` overview, ``/metric/{name}`` KPI detail, ``/heatmap`` anomaly
heatmap, ``/funnels`` funnel, ``/retention`` cohorts, ``/explain`` driver tree, ``/goals``
scorecards, targets and OKRs, ``/alerts`` inbox and 5-Why reviews, ``/leads`` lead rating.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["CSP", "PAGES", "STATIC", "router"]

STATIC = Path(__file__).parent / "static"

#: page name → path; the order of the navigation bar
PAGES: dict[str, str] = {
    "overview": "/",
    "heatmap": "/heatmap",
    "funnels": "/funnels",
    "retention": "/retention",
    "explain": "/explain",
    "goals": "/goals",
    "alerts": "/alerts",
    "leads": "/leads",
}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

_SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northstar</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/northstar.css">
{preload}<script src="/static/vendor/echarts.min.js"></script>
<script type="module" src="{script}"></script>
</head>
<body>
<header id="top"></header>
<nav id="filters" aria-label="filters"></nav>
<main id="page" data-page="{page}" data-arg="{arg}"></main>
<footer id="foot"></footer>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


def shell(page: str, arg: str = "", *, script: str = "/static/js/app.js") -> HTMLResponse:
    """The HTML of page ``page`` (``arg``: its path parameter, e.g. a metric's name; ``script``: the
    module that draws it, ``login.js`` for the sign-in page)."""
    body = _SHELL.format(
        page=html.escape(page, quote=True),
        arg=html.escape(arg, quote=True),
        script=html.escape(script, quote=True),
        preload=_preload(page, script),
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


def _preload(page: str, script: str) -> str:
    """``modulepreload`` links for the modules ``app.js`` imports and the page's own module, so the
    browser fetches them beside ECharts instead of one after the other (the first paint is sooner)."""
    if script != "/static/js/app.js":
        return ""
    modules = ["/static/js/core.js"]
    own = STATIC / "js" / "pages" / f"{page}.js"
    if own.exists():
        modules.append(f"/static/js/pages/{page}.js")
        if "../trend.js" in own.read_text(encoding="utf-8"):
            modules.append("/static/js/trend.js")
    return "".join(f'<link rel="modulepreload" href="{html.escape(m, quote=True)}">\n' for m in modules)


def _route(page: str) -> None:
    def handler() -> HTMLResponse:
        return shell(page)

    handler.__name__ = f"page_{page}"
    router.add_api_route(PAGES[page], handler, methods=["GET"], response_class=HTMLResponse)


for _page in PAGES:
    _route(_page)


@router.get("/metric/{name}", response_class=HTMLResponse)
def page_metric(name: str) -> HTMLResponse:
    return shell("metric", name)
