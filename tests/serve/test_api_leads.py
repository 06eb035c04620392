"""GET /api/leads/{set} (clean leads, search, paging) and /api/leads/{set}/channels (sales' ratings
by channel), checked against plain pandas over the test project's leads.csv and ratings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.serve.conftest import DATA, assert_error

RATINGS = [
    {"lead": "L001", "score": 4, "reason": "right_buyer"},
    {"lead": "L002", "score": 2, "reason": "no_budget", "note": "call back in Q1"},
    {"lead": "L004", "score": 5, "reason": "budget_confirmed"},
    {"lead": "L005", "score": 1, "reason": "spam"},
    {"lead": "L003", "score": 3, "reason": "needs_nurturing"},  # replaces the file's 5
]


def _clean_ids(shop: Path) -> set[str]:
    table = pd.read_parquet(shop / ".northstar" / "leads" / "b2b.parquet")
    return set(table.loc[table["clean"], "lead_id"])


def _expected(shop: Path) -> pd.DataFrame:
    """Each lead of leads.csv with its rating in force: the latest of the file's and the app's."""
    leads = pd.read_csv(DATA / "leads.csv", dtype=str)
    file = pd.read_csv(DATA / "ratings.csv", dtype=str)[["lead_id", "score"]]
    app = pd.DataFrame({"lead_id": [r["lead"] for r in RATINGS], "score": [str(r["score"]) for r in RATINGS]})
    latest = pd.concat([file, app]).groupby("lead_id").tail(1)  # the app's are later
    out = leads.merge(latest, on="lead_id", how="left")
    out["score"] = pd.to_numeric(out["score"])
    return out[out["lead_id"].isin(_clean_ids(shop))]


@pytest.fixture
def rated(client: Any) -> Any:
    saved = client.post("/api/leads/b2b/ratings", json={"ratings": RATINGS, "by": "sam"})
    assert saved.status_code == 201, saved.text
    return client


def test_leads_list_newest_first_with_the_rating_in_force(rated: Any, shop_copy: Path) -> None:
    body = rated.get("/api/leads/b2b", params={"limit": 500}).json()
    expected = _expected(shop_copy)
    assert body["total"] == len(expected) == len(body["leads"])
    assert body["accepted"] == 3 and body["label_zh"] == "企业线索"
    assert {"code": "spam", "label": "Spam or fake", "label_zh": "垃圾或虚假线索"} in body["reasons"]
    order = expected.assign(t=pd.to_datetime(expected["created_at"])).sort_values(
        ["t", "lead_id"], ascending=[False, True]
    )
    assert [r["lead"] for r in body["leads"]] == list(order["lead_id"])
    got = {r["lead"]: r for r in body["leads"]}
    for row in expected.itertuples():
        lead = got[row.lead_id]
        assert (lead["name"], lead["channel"], lead["campaign"], lead["owner"]) == (
            row.name, row.channel, row.campaign, row.owner
        )  # fmt: skip
        assert lead["created_at"] == pd.Timestamp(row.created_at).isoformat()
        assert lead["rating"] == (None if pd.isna(row.score) else int(row.score))
        assert lead["country"] == "CN"  # 138… numbers read as Chinese: the phone's region
        assert "phone" not in lead and "email" not in lead
    assert got["L002"]["rating_reason"] == "no_budget" and got["L002"]["rated_by"] == "sam"


def test_leads_search_and_paging(rated: Any, shop_copy: Path) -> None:
    expected = _expected(shop_copy)
    hits = rated.get("/api/leads/b2b", params={"q": " LEAD 1"}).json()
    want = expected[expected["name"].str.lower().str.contains("lead 1")]
    assert hits["total"] == len(want) == 11 and hits["q"] == "LEAD 1"
    assert {r["lead"] for r in hits["leads"]} == set(want["lead_id"])
    assert rated.get("/api/leads/b2b", params={"q": "l004"}).json()["total"] == 1
    nobody = rated.get("/api/leads/b2b", params={"q": "nobody"}).json()
    assert nobody["total"] == 0 and nobody["leads"] == []
    every = [r["lead"] for r in rated.get("/api/leads/b2b", params={"limit": 500}).json()["leads"]]
    pages = [
        rated.get("/api/leads/b2b", params={"limit": 7, "offset": o}).json() for o in range(0, len(every), 7)
    ]
    assert [r["lead"] for p in pages for r in p["leads"]] == every
    assert all(p["total"] == len(every) and p["limit"] == 7 for p in pages)


def test_quality_by_channel_equals_pandas(rated: Any, shop_copy: Path) -> None:
    body = rated.get("/api/leads/b2b/channels").json()
    expected = _expected(shop_copy)
    want = (
        expected.groupby("channel")
        .agg(leads=("lead_id", "size"), rated=("score", "count"), avg_rating=("score", "mean"),
             accepted=("score", lambda s: int((s >= 3).sum())))
        .reset_index()
    )  # fmt: skip
    got = pd.DataFrame(body["channels"])
    assert list(got["channel"]) == list(want.sort_values("leads", ascending=False)["channel"])
    merged = got.merge(want, on="channel", suffixes=("", "_want"))
    assert len(merged) == len(want)
    for col in ("leads", "rated", "accepted"):
        assert list(merged[col]) == list(merged[f"{col}_want"]), col
    assert (
        merged["avg_rating"].fillna(-1).round(12).tolist()
        == merged["avg_rating_want"].fillna(-1).round(12).tolist()
    )
    share = (merged["accepted_want"] / merged["rated_want"]).where(merged["rated_want"] > 0)
    assert merged["accepted_share"].fillna(-1).round(12).tolist() == share.fillna(-1).round(12).tolist()


def test_leads_unknown_set_and_bad_paging(client: Any) -> None:
    assert_error(client.get("/api/leads/b2c"), 404, "unknown_name", en="'b2b'", zh="线索集")
    assert_error(client.get("/api/leads/b2c/channels"), 404, "unknown_name")
    assert_error(client.get("/api/leads/b2b", params={"limit": 0}), 422, "invalid_request")
    assert_error(client.get("/api/leads/b2b", params={"limit": 501}), 422, "invalid_request")
    assert_error(client.get("/api/leads/b2b", params={"offset": -1}), 422, "invalid_request")


def test_alert_detail_lists_every_review_version(client: Any, store: Any) -> None:
    from tests.watch.alerts import make_alert

    alert = make_alert(0)
    store.save(alert)
    review = {"whys": ["a spike", "a promo"], "owner": "li", "actions": ["check"], "due": "2026-12-01"}
    assert client.post(f"/api/alerts/{alert.id}/review", json=review).status_code == 201
    again = {**review, "whys": ["a spike", "a promo", "email blast"]}
    assert client.post(f"/api/alerts/{alert.id}/review", json=again).status_code == 201
    detail = client.get(f"/api/alerts/{alert.id}").json()
    assert [r["version"] for r in detail["reviews"]] == [1, 2]
    assert detail["reviews"][0]["whys"] == ["a spike", "a promo"]
    assert detail["review"] == detail["reviews"][-1]
    assert [r.version for r in store.reviews(alert.id)] == [1, 2]


def test_ratings_in_force_carry_the_note_typed_with_them(rated: Any) -> None:
    body = rated.get("/api/leads/b2b/ratings").json()
    notes = {r["lead"]: r["note"] for r in body["ratings"]}
    assert notes["L002"] == "call back in Q1"
    assert notes["L001"] is None
    # a later rating without a note replaces the note too
    rated.post("/api/leads/b2b/ratings", json={"ratings": [{"lead": "L002", "score": 3, "reason": "right_buyer"}],
                                               "by": "ana"})  # fmt: skip
    after = {r["lead"]: r for r in rated.get("/api/leads/b2b/ratings").json()["ratings"]}
    assert after["L002"]["score"] == 3 and after["L002"]["note"] is None
