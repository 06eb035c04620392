"""The real thing: uvicorn on a free port answering over HTTP; schemathesis against /openapi.json
(no GET answers a 5xx, every answer matches its schema); the API on Spark answers as on DuckDB."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from northstar.serve.app import create_app
from northstar.serve.auth import create_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_uvicorn_serves_the_api_over_real_http(shop_copy: Path) -> None:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(shop_copy), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as http:
            overview = http.get("/api/overview")
            assert overview.status_code == 200 and overview.headers["content-type"] == "application/json"
            assert overview.headers["x-content-type-options"] == "nosniff"
            assert overview.json()["kpis"][0]["metric"] == "revenue"
            missing = http.get("/api/funnels/nope")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_name"
            saved = http.post("/api/targets", json={"metric": "orders", "period": "2026-12", "target": 700},
                              headers={"Origin": base})  # fmt: skip
            assert saved.status_code == 201
            assert http.get("/openapi.json").json()["info"]["title"] == "Northstar — Goal Shop"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_no_get_endpoint_answers_a_server_error(shop_copy: Path) -> None:
    """Schemathesis draws requests for every GET operation from /openapi.json (schemathesis'
    pytest plugin does not run on pytest 9, so its strategies are drawn here by hypothesis)."""
    app = create_app(shop_copy)
    token, _ = create_token(app.state.northstar.store, "viewer", "schemathesis")
    host = {"Host": "127.0.0.1:8765"}  # a token-less server answers only loopback names
    api = schemathesis.openapi.from_asgi("/openapi.json", app, headers=host).include(method="GET")
    known = {  # real names half of the time, so the analyses run, not only the 404s
        "name": ["revenue", "orders", "checkout", "buyers", "shop", "company"],
        "metric": ["revenue", "aov", "refund_rate", "buyers"],
        "lead_set": ["b2b"],
    }
    operations = [result.ok() for result in api.get_all_operations()]
    labels = {op.label for op in operations}
    mine = {"GET /api/me", "GET /api/leads/{lead_set}", "GET /api/leads/{lead_set}/channels"}
    assert mine <= labels and len(labels) >= 16  # the 13 of the API's first version, these, the pages'
    statuses: dict[str, set[int]] = {}

    @given(data=st.data())
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        for key in case.path_parameters or {}:
            if key in known and data.draw(st.booleans()):
                case.path_parameters[key] = data.draw(st.sampled_from(known[key]))
        case.headers = {**(case.headers or {}), **host, "Authorization": f"Bearer {token}"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = case.call()
        case.validate_response(response, checks=[not_a_server_error])
        statuses.setdefault(operation.label, set()).add(response.status_code)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["code"] and error["message"] and error["message_zh"]

    check()
    assert len(statuses) >= 10  # most operations were called


@pytest.mark.spark
def test_the_api_on_spark_answers_as_on_duckdb(shop_copy: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    # without the lead set: its derived Parquet has nanosecond timestamps, which Spark 4 refuses to read
    yml = shop_copy / "northstar.yml"
    text = yml.read_text()
    yml.write_text(text[: text.index("leads:\n  b2b:")] + text[text.index("targets:") :])
    params = {"grain": "week", "from": "2026-10-05", "to": "2026-11-01", "by": "channel", "compare": "prev"}
    answers = []
    for engine in (None, SparkEngine(session=spark_session)):
        with TestClient(create_app(shop_copy, engine=engine), base_url="http://127.0.0.1:8765") as client:
            answers.append(
                (client.get("/api/metrics/revenue/series", params=params).json(),
                 client.get("/api/overview").json())
            )  # fmt: skip
    (duck_series, duck_overview), (spark_series, spark_overview) = answers
    assert len(duck_series["points"]) == 12
    assert _close(duck_series, spark_series)
    assert _close(duck_overview, spark_overview)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (a, b)
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        return all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9)
        return True
    assert a == b
    return True
