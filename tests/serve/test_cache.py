"""Results are cached per (endpoint, parameters, data version); touching a source file or writing
to the app database gives a new version and a new answer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from northstar.serve.cache import ResultCache, normalise
from northstar.watch.store import AlertStore


def test_normalised_parameters() -> None:
    assert normalise({"b": " x ", "a": None, "c": "", "d": ["p", " q"]}) == (("b", "x"), ("d", ("p", "q")))
    assert normalise({"by": ["a", "b"]}) != normalise({"by": ["b", "a"]})


def test_the_cache_is_keyed_and_bounded() -> None:
    cache = ResultCache(max_entries=2)
    calls: list[int] = []

    def compute(n: int) -> Any:
        return lambda: calls.append(n) or n

    assert cache.get("e", {"a": 1}, "v1", compute(1)) == 1
    assert cache.get("e", {"a": 1}, "v1", compute(99)) == 1  # a hit
    assert cache.get("e", {"a": 1}, "v2", compute(2)) == 2  # a new version
    assert cache.get("e", {"a": 2}, "v2", compute(3)) == 3
    assert len(cache) == 2 and calls == [1, 2, 3] and (cache.hits, cache.misses) == (1, 3)


def _orders_line(day: str) -> str:
    return f"z1,{day} 10:00:00,c900,1000.00,paid,ads\r\n"


def test_a_touched_source_file_gives_a_new_answer(client: Any, shop_copy: Path) -> None:
    params = {"grain": "day", "from": "2026-11-20", "to": "2026-11-20"}
    first = client.get("/api/metrics/revenue/series", params=params).json()["points"][0]["value"]
    ctx = client.app.state.northstar
    misses = ctx.cache.misses
    assert client.get("/api/metrics/revenue/series", params=params).json()["points"][0]["value"] == first
    assert ctx.cache.misses == misses and ctx.cache.hits >= 1  # served from the cache
    orders = shop_copy / "orders.csv"
    with orders.open("a") as f:
        f.write(_orders_line("2026-11-20"))
    second = client.get("/api/metrics/revenue/series", params=params).json()["points"][0]["value"]
    assert second == first + 1000
    # the same size and content, only a new mtime: still a new version, recomputed
    stat = orders.stat()
    os.utime(orders, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    misses = ctx.cache.misses
    assert client.get("/api/metrics/revenue/series", params=params).json()["points"][0]["value"] == second
    assert ctx.cache.misses == misses + 1


def test_an_edited_project_file_is_loaded_again(client: Any, shop_copy: Path) -> None:
    assert client.get("/api/project").json()["metrics"][0]["label_zh"] == "订单数"
    yml = shop_copy / "northstar.yml"
    yml.write_text(yml.read_text().replace("zh: 订单数", "zh: 订单量"))
    assert client.get("/api/project").json()["metrics"][0]["label_zh"] == "订单量"
    yml.write_text(
        yml.read_text().replace("type: count, source: orders, label", "type: cnt, source: orders, label")
    )
    broken = client.get("/api/project")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_project"
    assert broken.json()["error"]["issues"]  # every validation issue, en and zh


def test_a_write_to_the_app_database_gives_a_new_answer(client: Any, store: AlertStore) -> None:
    before = client.get("/api/scorecards/ops", params={"period": "2026-W44"}).json()
    assert before["items"][0]["status"] == "no_target"
    store.set_target("orders", "2026-W44", set_by="cli", target=40)  # as `northstar targets set` would
    after = client.get("/api/scorecards/ops", params={"period": "2026-W44"}).json()
    assert after["items"][0]["target"] == 40 and after["items"][0]["status"] != "no_target"
