"""Schemathesis over every GET and POST operation of ``/openapi.json``: no answer is a server error
(5xx), and every answer conforms to the schema the OpenAPI document gives for its status (the
analyses' models, and ``ErrorBody`` for the errors).

Schemathesis' pytest plugin does not run on pytest 9 (``-p no:schemathesis`` in pyproject), so its
strategies are drawn here by hypothesis through its Python API. Half of the time a path parameter
or a body field is set to a name the test project knows (a metric, a funnel, a stored alert, a
lead), so the analyses and the writes run, not only their 404s. The examples are bounded and
derandomised: the run takes well under a minute and is the same every time.
"""

from __future__ import annotations

import csv
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from northstar.serve.app import create_app
from northstar.serve.auth import create_token
from northstar.watch.store import AlertStore
from tests.watch.alerts import make_alert

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error, response_schema_conformance

HOST = {"Host": "127.0.0.1:8765"}  # a token-less server answers only loopback names
CHECKS = [not_a_server_error, response_schema_conformance]


def test_no_operation_answers_a_server_error_or_off_its_schema(shop_copy: Path) -> None:
    with AlertStore.open(shop_copy / ".northstar" / "alerts.db") as store:
        for i in range(3):
            store.save(make_alert(i, "orders"), {"metric": "orders", "value": i})
    with (shop_copy / "leads.csv").open(newline="") as f:
        leads = [row["lead_id"] for row in csv.DictReader(f)][:5]
    app = create_app(shop_copy)
    token, _ = create_token(app.state.northstar.store, "editor", "schemathesis")
    auth = {**HOST, "Authorization": f"Bearer {token}"}  # an editor: the writes are made
    api = schemathesis.openapi.from_asgi("/openapi.json", app, headers=HOST).include(method=["GET", "POST"])
    operations = [result.ok() for result in api.get_all_operations()]
    methods = {op.method.upper() for op in operations}
    assert methods == {"GET", "POST"} and len(operations) >= 20
    names = {"metrics": ["revenue", "orders", "aov"], "funnels": ["checkout"], "retention": ["buyers"],
             "scorecards": ["shop", "company"]}  # fmt: skip
    known_path = {
        "metric": ["revenue", "aov", "refund_rate", "orders"],
        "lead_set": ["b2b"],
        "alert_id": [make_alert(i, "orders").id for i in range(3)],
    }
    known_query: dict[str, list[Any]] = {
        "from": ["2026-10-01", "2026-11-01"],
        "to": ["2026-11-20", "2026-11-30"],
        "grain": ["day", "week", "month"],
        "by": ["channel"],
        "period": ["2026-W46", "2026-11"],
        "compare": ["prev", "yoy,prev"],
        "metrics": ["revenue,orders", "refund_rate"],
        "state": ["open", "closed"],
    }
    known_body: dict[str, list[Any]] = {
        "metric": ["revenue", "orders", "refund_rate"],
        "period": ["2026-11", "2026-W47", "2026-Q4", "2026", "2026-11-27"],
        "to": ["acknowledged", "reviewed", "closed"],
        "lead": leads,
        "due": ["2026-12-01"],
        "floor": [None, 50],
        "target": [100],
        "stretch": [None, 200],
        "per": [None],
        "score": [1, 4],
    }
    statuses: dict[str, set[int]] = {}

    def known(data: st.DataObject, value: Any) -> Any:
        """``value`` with some of its fields (nested too) set to known names, half of the time."""
        if isinstance(value, dict):
            return {
                k: data.draw(st.sampled_from(known_body[k]))
                if k in known_body and known_body[k] and data.draw(st.booleans())
                else known(data, v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [known(data, v) for v in value]
        return value

    @given(data=st.data())
    @settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        for key in case.path_parameters or {}:
            choices = (
                names.get(operation.path.split("/")[2], []) if key == "name" else known_path.get(key, [])
            )
            if choices and data.draw(st.booleans()):
                case.path_parameters[key] = data.draw(st.sampled_from(choices))
        for key in case.query or {}:
            if key in known_query and data.draw(st.booleans()):
                case.query[key] = data.draw(st.sampled_from(known_query[key]))
        if operation.method.upper() == "POST" and isinstance(case.body, dict | list):
            case.body = known(data, case.body)
        case.headers = {**(case.headers or {}), **auth}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = case.call()
        case.validate_response(response, checks=CHECKS)
        statuses.setdefault(operation.label, set()).add(response.status_code)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["code"] and error["message"] and error["message_zh"]

    # the writes as the pages make them (random bodies seldom get every field right): saved, and
    # answered in their documented shape
    alert = make_alert(0, "orders").id
    writes = [
        ("/api/targets", {}, {"metric": "orders", "period": "2026-12", "floor": 600, "target": 700}),
        ("/api/alerts/{alert_id}/transition", {"alert_id": alert}, {"to": "acknowledged", "by": "li"}),
        ("/api/alerts/{alert_id}/review", {"alert_id": alert},
         {"whys": ["a slow payment page"], "owner": "li", "actions": ["fix it"], "due": "2026-12-01"}),
        ("/api/leads/{lead_set}/ratings", {"lead_set": "b2b"},
         {"ratings": [{"lead": leads[0], "score": 4, "reason": "right_buyer"}], "by": "sam"}),
    ]  # fmt: skip
    for path, parameters, body in writes:
        case = api[path]["POST"].Case(path_parameters=parameters, body=body, headers=dict(auth))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = case.call()
        assert response.status_code in (200, 201), (path, response.text)
        case.validate_response(response, checks=CHECKS)

    started = time.monotonic()
    check()
    assert time.monotonic() - started < 90
    assert len(statuses) >= len(operations) - 2  # (nearly) every operation was called
    succeeded = {label for label, codes in statuses.items() if codes & {200, 201}}
    for label in ("GET /api/overview", "GET /api/metrics/{name}/series", "GET /api/funnels/{name}",
                  "GET /api/retention/{name}", "GET /api/scorecards/{name}", "GET /api/alerts/{alert_id}"):  # fmt: skip
        assert label in succeeded, (label, statuses.get(label))


@pytest.mark.parametrize(
    ("path", "names"), [("/api/metrics/{name}/series", {"name": "revenue"}), ("/api/overview", {})]
)
def test_the_documented_schema_is_the_answer_of_a_cached_endpoint(
    shop_copy: Path, path: str, names: dict[str, str]
) -> None:
    """A cached answer is sent as bytes: it still matches the endpoint's response model."""
    app = create_app(shop_copy)
    api = schemathesis.openapi.from_asgi("/openapi.json", app, headers=HOST)
    operation = api[path]["GET"]
    for _ in range(2):  # computed, then from the cache
        case = operation.Case(headers=dict(HOST), path_parameters=names, query={})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = case.call()
        assert response.status_code == 200
        case.validate_response(response, checks=CHECKS)
