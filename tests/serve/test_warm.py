"""Speed without a different answer: cached answers are the JSON FastAPI would send, they are not
held up by another request's computation, requests waiting for the same answer share one
computation, and the server warms the pages' default queries in the background."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import pytest

from northstar.serve import dashboard
from northstar.serve.app import create_app
from northstar.serve.auth import create_token
from northstar.serve.models import OverviewOut, ProjectOut, SeriesOut
from northstar.serve.read_routes import project_info
from northstar.serve.warm import Warmer, call, default_requests

BASE = "http://127.0.0.1:8765"


def _wait(condition: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_cached_json_is_what_the_response_model_gives(client: TestClient) -> None:
    ctx = client.app.state.northstar  # type: ignore[attr-defined]
    project = ctx.project()
    for path, expected in (
        ("/api/project", ProjectOut.model_validate(project_info(project))),
        ("/api/overview?grain=month", OverviewOut.model_validate(dashboard.overview(project, ctx.store, "month"))),
        ("/api/metrics/revenue/series?grain=week",
         SeriesOut.model_validate(dashboard.series(project, ctx.store, "revenue", grain="week", start=None, end=None, by=[],
                                          where=None, compare=[]))),
    ):  # fmt: skip
        for _ in range(2):  # computed, then from the cache
            answer = client.get(path)
            assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
            assert answer.json() == expected.model_dump(mode="json")
    missing = client.get("/api/metrics/nope/series")  # errors keep their shape and are not cached
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_name"


@pytest.mark.parametrize("tokens", [False, True])
def test_a_cached_answer_does_not_wait_for_a_computation(make_client: Any, tokens: bool) -> None:
    client = make_client(tokens=tokens)
    ctx = client.app.state.northstar
    if tokens:  # the token is looked up on the app database's second connection
        token, _ = create_token(ctx.store, "viewer", "reader")
        client.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/api/overview").status_code == 200  # cached now
    computing, done = threading.Event(), threading.Event()

    def long_computation() -> None:
        with ctx.lock:  # as a request computing an answer holds it
            computing.set()
            done.wait(30)

    worker = threading.Thread(target=long_computation)
    worker.start()
    try:
        computing.wait(10)
        started = time.monotonic()
        answer = client.get("/api/overview")
        assert answer.status_code == 200 and answer.json()["kpis"]
        assert time.monotonic() - started < 5  # did not wait for the 30 s computation
    finally:
        done.set()
        worker.join()


def test_requests_waiting_for_the_same_answer_share_one_computation(client: TestClient) -> None:
    ctx = client.app.state.northstar  # type: ignore[attr-defined]
    calls: list[int] = []

    def slow(project: Any) -> dict[str, int]:
        calls.append(1)
        time.sleep(0.3)
        return {"n": len(project.catalog.metrics)}

    answers: list[Any] = []
    threads = [
        threading.Thread(target=lambda: answers.append(ctx.cached_json("slow", {"a": 1}, slow)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({a.body for a in answers}) == 1 and len(answers) == 4


def test_the_server_warms_the_pages_default_queries(shop_copy: Path) -> None:
    app = create_app(shop_copy, warm=True)
    with TestClient(app, base_url=BASE) as client:
        warmer = app.state.warmer
        _wait(lambda: warmer.rounds >= 1)
        ctx = app.state.northstar
        expected = default_requests(client.get("/api/project").json())
        assert set(warmer.warmed) <= set(expected)
        # the shop's pages: overview and its trend, the KPI pages, heatmap, explain, the first
        # funnel, retention and scorecard, OKRs, the lead set's ratings
        assert {"/api/overview?grain=week", "/api/funnels/checkout", "/api/retention/buyers",
                "/api/scorecards/shop", "/api/okrs", "/api/leads/b2b/ratings",
                "/api/explain/revenue?vs=previous&grain=day"} <= set(warmer.warmed)  # fmt: skip
        assert {"/api/metrics/revenue/series?grain=week", "/api/metrics/orders/series?grain=day"} <= set(
            warmer.warmed
        )
        misses = ctx.cache.misses
        for url in warmer.warmed:  # what a browser asks now comes from the cache
            assert client.get(url).status_code == 200, url
        assert ctx.cache.misses == misses
    assert not warmer._thread.is_alive()  # stopped with the app


def test_the_warmer_warms_again_when_the_data_change(shop_copy: Path) -> None:
    app = create_app(shop_copy)
    with TestClient(app, base_url=BASE) as client:
        ctx = app.state.northstar
        warmer = Warmer(app, ctx, interval=0.05).start()
        try:
            _wait(lambda: warmer.rounds >= 1)
            time.sleep(0.3)
            assert warmer.rounds == 1  # nothing changed: nothing computed again
            with (shop_copy / "orders.csv").open("a") as f:
                f.write("z9,2026-11-20 10:00:00,c900,1000.00,paid,ads\r\n")
            _wait(lambda: warmer.rounds >= 2)
            misses = ctx.cache.misses
            assert client.get("/api/overview?grain=week").status_code == 200
            assert ctx.cache.misses == misses  # the new data's answer was warmed
        finally:
            warmer.stop()


def test_call_resolves_a_request_to_its_endpoint(client: TestClient) -> None:
    app, ctx = client.app, client.app.state.northstar  # type: ignore[attr-defined]
    direct = call(app, ctx, "/api/metrics/revenue/series?grain=week&from=2026-11-02&to=2026-11-15")  # type: ignore[arg-type]
    over_http = client.get(
        "/api/metrics/revenue/series", params={"grain": "week", "from": "2026-11-02", "to": "2026-11-15"}
    )
    assert direct.body == over_http.content
    assert (
        call(app, ctx, "/api/retention/buyers?periods=3").body
        == client.get(  # type: ignore[arg-type]
            "/api/retention/buyers", params={"periods": 3}
        ).content
    )
