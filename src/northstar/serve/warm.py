"""Warming the cache: the pages' default queries computed in a background thread.

``northstar serve`` starts :class:`Warmer` with the app (``create_app(..., warm=True)``), so the
first visitor of a page finds its answers cached instead of waiting for them. It computes, one
after the other and each under the engine lock like any request (a request that needs the same
answer waits for it and is then served from the cache), the requests the dashboard's pages make
when opened without parameters (:func:`default_requests`): the project, the overview and its
trend, each headline KPI's page, the heatmap, the first funnel, retention and scorecard, the north
star's explanation, the OKRs and the lead sets' first page, channels and ratings. Afterwards it looks at the data version
every ``interval`` seconds and warms again when it changed (a source file, the YAML or the app
database), until the app stops.

Each request is resolved by the app's router (``/api/overview?grain=week`` → ``get_overview``)
and its endpoint called directly with the query's values, so the cache key is the one a browser's
request gets; authentication is not involved (nothing is sent anywhere). A request that fails is
skipped: it fails the same way for the visitor, who sees its error then.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, get_type_hints
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from starlette.routing import Match

if TYPE_CHECKING:
    from fastapi import FastAPI

    from northstar.serve.context import ServerContext

__all__ = ["Warmer", "call", "default_requests"]

log = logging.getLogger("northstar.serve")


def explain_default(project_info: dict[str, Any]) -> str | None:
    """The metric the explain page opens on (``static/js/pages/explain.js`` picks the same): the
    north star when it has a driver tree, else the first headline KPI, then the first metric,
    that has one, else the north star (or the first metric)."""
    metrics = project_info.get("metrics") or []
    star = project_info.get("north_star")
    order = [m for m in [star, *project_info.get("supporting", [])] if m] + [m["name"] for m in metrics]
    with_tree = {m["name"] for m in metrics if m.get("drivers")}
    return next((m for m in order if m in with_tree), star or (metrics[0]["name"] if metrics else None))


def default_requests(project_info: dict[str, Any]) -> list[str]:
    """The GET requests the pages make when opened as they are linked from the navigation, for a
    project described by ``/api/project``'s answer."""

    def q(path: str, **params: Any) -> str:
        given = {k: v for k, v in params.items() if v not in (None, "")}
        return f"/api/{path}" + (f"?{urlencode(given)}" if given else "")

    def name(text: str) -> str:
        return quote(text, safe="")

    star = project_info.get("north_star")
    kpis = [m for m in [star, *project_info.get("supporting", [])] if m]
    out = [q("project"), q("overview", grain="week")]
    if kpis:  # overview.js: the lead KPI's weekly trend beside the overview
        out.append(q(f"metrics/{name(kpis[0])}/series", grain="week"))
    out += [q(f"metrics/{name(m)}/series", grain="day") for m in kpis]  # metric.js, from the KPI cards
    if kpis:
        out.append(q("heatmap", metrics=",".join(dict.fromkeys(kpis))))  # heatmap.js: the headline KPIs
    explained = explain_default(project_info)
    if explained:
        out.append(q(f"explain/{name(explained)}", vs="previous", grain="day"))  # explain.js
    for key, path in (("funnels", "funnels"), ("retention", "retention"), ("scorecards", "scorecards")):
        first = project_info.get(key) or []
        if first:
            out.append(q(f"{path}/{name(first[0]['name'])}"))
            if key == "funnels":
                out.append(q(f"funnels/{name(first[0]['name'])}/over-time", grain="week"))
    out.append(q("okrs"))
    for s in project_info.get("lead_sets", []):  # leads.js: the first page, the channels, the ratings
        out += [q(f"leads/{name(s['name'])}", limit=50, offset=0), q(f"leads/{name(s['name'])}/channels"),
                q(f"leads/{name(s['name'])}/ratings")]  # fmt: skip
    return out


def call(app: FastAPI, ctx: ServerContext, url: str) -> Any:
    """The answer of the GET endpoint ``url`` (path and query) is routed to, called directly:
    path and query values converted to its parameters' types, the others at their defaults."""
    parts = urlsplit(url)
    scope = {"type": "http", "method": "GET", "path": parts.path, "root_path": "", "query_string": b""}
    for route in _api_routes(app.router.routes):
        if route.matches(scope)[0] == Match.FULL:
            break
    else:
        raise LookupError(f"no GET route for {url}")
    given = {**route.matches(scope)[1]["path_params"], **dict(parse_qsl(parts.query))}
    try:
        types = get_type_hints(route.endpoint)
    except NameError:  # an annotation only imported for type checking: the values stay text
        types = {}
    kwargs: dict[str, Any] = {}
    for pname, p in inspect.signature(route.endpoint).parameters.items():
        default = p.default
        if isinstance(default, FieldInfo):
            key = default.alias or pname
            if key in given:
                kwargs[pname] = TypeAdapter(types.get(pname, str)).validate_python(given[key])
            elif default.default is not PydanticUndefined:
                kwargs[pname] = default.default
            continue
        if pname in given:
            kwargs[pname] = TypeAdapter(types.get(pname, str)).validate_python(given[pname])
        elif hasattr(default, "dependency"):  # Depends(context): the server context
            kwargs[pname] = ctx
        elif default is not inspect.Parameter.empty:
            kwargs[pname] = default
    return route.endpoint(**kwargs)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """The endpoints under ``routes``, included routers' too (FastAPI wraps each one)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(inner.routes)


class Warmer:
    """The background thread that warms the cache (module docstring); ``stop()`` ends it."""

    def __init__(self, app: FastAPI, ctx: ServerContext, *, interval: float = 5.0) -> None:
        self.app = app
        self.ctx = ctx
        self.interval = interval
        self.warmed: list[str] = []  # the requests answered in the last round
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="northstar-warm", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        warmed_for = None
        while not self._stop.is_set():
            try:
                version = self.ctx.current()[1]
                if version != warmed_for:
                    self.warm()
                    warmed_for = version
            except Exception:  # the project does not load: nothing to warm until it does
                log.debug("warming the cache failed", exc_info=True)
            self._stop.wait(self.interval)

    def warm(self) -> None:
        """One round: every default request, until stopped."""
        import json

        def answer(url: str) -> Any:
            got = call(self.app, self.ctx, url)
            return json.loads(got.body) if hasattr(got, "body") else got

        warmed: list[str] = []
        for url in default_requests(answer("/api/project")):
            if self._stop.is_set():
                return
            try:
                answer(url)
                warmed.append(url)
            except Exception:  # the visitor gets this error from the request itself
                log.debug("warming %s failed", url, exc_info=True)
        self.warmed = warmed
        self.rounds += 1
