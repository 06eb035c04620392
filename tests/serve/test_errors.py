"""One error shape for every error, in English and Chinese, with the right status; the writes
(targets, alerts, reviews, lead ratings) through the API land in the app database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from northstar.watch.store import AlertStore
from tests.serve.conftest import assert_error
from tests.watch.alerts import make_alert

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "en", "zh"),
    [
        ("/api/metrics/revnue/series", "there is no metric 'revnue' (did you mean 'revenue'?)", "'revenue'"),
        ("/api/funnels/chekout", "no funnel 'chekout' (did you mean 'checkout'?)", "漏斗"),
        ("/api/retention/buyer", "no retention 'buyer' (did you mean 'buyers'?)", "留存定义"),
        ("/api/explain/aovv", "no metric 'aovv' (did you mean 'aov'?)", "指标"),
        ("/api/scorecards/shopp", "no scorecard 'shopp' (did you mean 'shop'?)", "计分卡"),
        ("/api/leads/b2c/ratings", "no lead set 'b2c' (did you mean 'b2b'?)", "线索集"),
        ("/api/alerts/nope", "no alert 'nope'", "告警"),
        ("/api/heatmap?metrics=orders,refunds_rate", "(did you mean 'refund_rate'", "您是不是想写"),
        ("/api/metrics/orders/series?by=chanel", "no dimension 'chanel' (did you mean 'channel'?)", "维度"),
        ("/api/okrs?names=grw", "no OKR 'grw' (did you mean 'grow'?)", "OKR"),
    ],
)
def test_unknown_names_are_404_with_did_you_mean(client: Any, path: str, en: str, zh: str) -> None:
    assert_error(client.get(path), 404, "unknown_name", en=en, zh=zh)


@pytest.mark.parametrize(
    ("path", "en", "zh"),
    [
        ("/api/metrics/orders/series?from=2026-13-01", "'2026-13-01' is not a date", "不是日期"),
        ("/api/metrics/orders/series?grain=fortnight", "unknown grain 'fortnight'", "未知的时间粒度"),
        (
            "/api/metrics/orders/series?compare=prevv",
            "no comparison 'prevv' (did you mean 'prev'?)",
            "对比方式",
        ),
        ("/api/metrics/orders/series?where=amount%20%3E%3E%201", "", ""),
        ("/api/overview?grain=hour", "grain 'hour' has no targets", "没有目标"),
        ("/api/heatmap?from=2026-11-20&to=2026-11-01", "starts (2026-11-20) after it ends", "晚于结束"),
        ("/api/alerts?state=opne", "unknown alert state 'opne'", "未知的告警状态"),
        ("/api/scorecards/shop?period=2026-M13", "", ""),
    ],
)
def test_bad_input_is_400_in_english_and_chinese(client: Any, path: str, en: str, zh: str) -> None:
    err = assert_error(client.get(path), 400, "bad_request", en=en, zh=zh)
    assert err["message"] and err["message_zh"]


def test_fastapis_own_errors_take_the_same_shape(client: Any) -> None:
    err = assert_error(
        client.get("/api/retention/buyers?periods=0"), 422, "invalid_request", zh="请求与此接口不符"
    )
    assert err["issues"][0]["loc"] == ["query", "periods"]
    assert_error(client.get("/api/no/such/thing"), 404, "not_found", zh="没有这个路径")
    assert_error(client.delete("/api/targets"), 405, "method_not_allowed", zh="不支持")
    bad = client.post("/api/targets", content="{not json", headers=JSON)
    assert_error(bad, 422, "invalid_request")
    err = assert_error(client.post("/api/targets", json={"metric": "orders"}), 422, "invalid_request")
    assert ["body", "period"] in [i["loc"] for i in err["issues"]]
    err = assert_error(
        client.post("/api/targets", json={"metric": "orders", "period": "2026-12", "bogus": 1}),
        422,
        "invalid_request",
    )
    assert ["body", "bogus"] in [i["loc"] for i in err["issues"]]


def test_a_bug_is_a_500_without_a_stack_trace(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from northstar.serve import dashboard

    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(dashboard, "overview", broken)
    response = client.get("/api/overview")
    err = assert_error(response, 500, "internal", zh="内部错误")
    assert "secret detail" not in response.text and "ZeroDivisionError" not in response.text
    assert err["issues"] == []


def test_targets_set_through_the_api_are_in_force(client: Any, store: AlertStore) -> None:
    body = {"metric": "revenue", "period": "2026-11", "floor": 9000, "target": "lots", "stretch": 11000}
    assert_error(client.post("/api/targets", json=body), 400, "bad_request")  # not a number
    body["target"] = 9500
    bad = {**body, "floor": 12000}
    assert_error(client.post("/api/targets", json=bad), 400, "bad_request", en="wrong way round", zh="相反")
    assert_error(
        client.post("/api/targets", json={**body, "metric": "revnue"}), 404, "unknown_name", en="'revenue'"
    )
    saved = client.post("/api/targets", json={**body, "why": "plan B"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["set_by"] == "local" and saved.json()["origin"] == "app"
    assert [(t.metric, t.period, t.target, t.why) for t in store.targets()] == [
        ("revenue", "2026-11", 9500.0, "plan B")
    ]
    listed = client.get("/api/targets", params={"metric": "revenue"}).json()
    nov = [t for t in listed["revenue"] if t["period"] == "2026-11"]
    assert len(nov) == 1 and nov[0]["target"] == 9500 and nov[0]["origin"] == "app"
    kpi = client.get("/api/overview").json()["kpis"][0]
    assert kpi["bands"]["target"] == pytest.approx(9500 * 5 / 30)  # the cached overview was recomputed


def test_alerts_list_detail_transition_and_review(client: Any, store: AlertStore) -> None:
    for i in range(3):
        store.save(make_alert(i), {"metric": "orders", "value": i})
    first = make_alert(0).id
    listed = client.get("/api/alerts").json()
    assert [a["id"] for a in listed] == [make_alert(i).id for i in (2, 1, 0)]
    assert client.get("/api/alerts", params={"state": "closed"}).json() == []
    detail = client.get(f"/api/alerts/{first}").json()
    assert detail["explanation"] == {"metric": "orders", "value": 0}
    assert [e["kind"] for e in detail["history"]] == ["created"]
    assert detail["value"] == make_alert(0).value and detail["summary_zh"] == make_alert(0).summary_zh

    moved = client.post(f"/api/alerts/{first}/transition", json={"to": "acknowledged", "by": "li.wei"})
    assert moved.status_code == 200 and moved.json()["state"] == "acknowledged"
    refused = client.post(f"/api/alerts/{first}/transition", json={"to": "reviewed"})
    assert_error(refused, 400, "bad_request", en="has no review yet", zh="还没有复盘记录")
    review = {"whys": ["a campaign ended", "no follow-up planned"], "owner": "maya", "actions": ["plan Q1"],
              "due": "2026-12-15"}  # fmt: skip
    assert_error(
        client.post(f"/api/alerts/{first}/review", json={**review, "whys": []}), 422, "invalid_request"
    )
    written = client.post(f"/api/alerts/{first}/review", json=review)
    assert written.status_code == 201 and written.json()["version"] == 1
    assert store.get(first).review.due == date(2026, 12, 15)  # type: ignore[union-attr]
    done = client.post(f"/api/alerts/{first}/transition", json={"to": "reviewed"}).json()
    assert done["state"] == "reviewed" and done["review"]["owner"] == "maya"
    assert [(e.kind, e.actor) for e in store.history(first)] == [
        ("created", "northstar"), ("transition", "li.wei"), ("review", "local"), ("transition", "local")
    ]  # fmt: skip
    assert_error(client.post("/api/alerts/nope/transition", json={"to": "closed"}), 404, "unknown_name")


def test_lead_ratings_all_or_none(client: Any, store: AlertStore) -> None:
    batch = {"ratings": [{"lead": "L001", "score": 4, "reason": "right_buyer"},
                         {"lead": "L999", "score": 2, "reason": "not_target"}]}  # fmt: skip
    err = assert_error(client.post("/api/leads/b2b/ratings", json=batch), 400, "bad_request", en="'L999'")
    assert err["message_zh"] != err["message"]
    assert store.lead_ratings("b2b") == []
    assert_error(
        client.post(
            "/api/leads/b2b/ratings", json={"ratings": [{"lead": "L001", "score": 6, "reason": "x"}]}
        ),
        422,
        "invalid_request",
    )
    batch["ratings"][1]["lead"] = "L002"
    saved = client.post("/api/leads/b2b/ratings", json={**batch, "by": "sam"})
    assert saved.status_code == 201 and saved.json() == {"saved": 2}
    got = client.get("/api/leads/b2b/ratings").json()["ratings"]  # from the lead set's rebuilt table
    assert {(r["lead"], r["score"], r["rated_by"]) for r in got} == {
        ("L001", 4, "sam"), ("L002", 2, "sam"), ("L003", 5, "crm")  # L003: the ratings file's
    }  # fmt: skip
    assert [r.score for r in store.lead_ratings("b2b")] == [4, 2]
    again = client.post(
        "/api/leads/b2b/ratings", json={"ratings": [{"lead": "L001", "score": 1, "reason": "x"}]}
    )
    assert_error(again, 400, "bad_request", en="'x'")  # not one of the set's reason codes
    client.post(
        "/api/leads/b2b/ratings", json={"ratings": [{"lead": "L001", "score": 1, "reason": "not_target"}]}
    )
    got = client.get("/api/leads/b2b/ratings").json()["ratings"]
    assert [(r["lead"], r["score"]) for r in got] == [
        ("L001", 1),
        ("L002", 2),
        ("L003", 5),
    ]  # latest per lead
    history = client.get("/api/leads/b2b/ratings", params={"history": "true"}).json()["ratings"]
    assert [(r["lead"], r["score"]) for r in history] == [("L001", 4), ("L002", 2), ("L001", 1)]


def test_messages_name_query_parameters_not_command_line_options(client: Any) -> None:
    body = client.get("/api/metrics/revenue/series", params={"from": "2026-13-45"}).json()["error"]
    assert "--from" not in body["message"] and "from" in body["message"]
    assert "--from" not in body["message_zh"]
    body = client.get("/api/metrics/revenue/series", params={"where": "chanel = 'ads'"}).json()["error"]
    assert "--where" not in body["message"] and "did you mean 'channel'" in body["message"]


def test_web_words_leaves_other_dashes_alone() -> None:
    from northstar.serve.errors import web_words

    assert web_words("swap --from and --to") == "swap from and to"
    assert web_words("see --vs previous; a-b --x --where-ish") == "see vs previous; a-b --x --where-ish"
