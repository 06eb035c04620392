"""The API tests' project (``data/shop``: goals_shop's orders and goals, events for a funnel and a
retention, a lead set), copied to a temporary folder so the server may write ``.northstar/``."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette's TestClient warns that httpx is deprecated in its favour
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from northstar.serve.app import create_app
from northstar.watch.store import AlertStore

DATA = Path(__file__).parent / "data" / "shop"
BASE = "http://127.0.0.1:8765"


@pytest.fixture
def shop_copy(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns(".northstar"))
    return target


@pytest.fixture
def make_client(shop_copy: Path) -> Iterator[Callable[..., TestClient]]:
    """``make_client(tokens=False, headers=None)`` → a TestClient over a fresh copy of the shop."""
    clients: list[TestClient] = []

    def make(**kwargs: Any) -> TestClient:
        headers = kwargs.pop("headers", None)
        app = create_app(shop_copy, **kwargs)
        client = TestClient(app, base_url=BASE, raise_server_exceptions=False, headers=headers)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def store(shop_copy: Path) -> Iterator[AlertStore]:
    with AlertStore.open(shop_copy / ".northstar" / "alerts.db") as s:
        yield s


def assert_error(response: Any, status: int, code: str, *, en: str = "", zh: str = "") -> dict[str, Any]:
    """The one error shape, with ``en`` in the message and ``zh`` in the Chinese one."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"code", "message", "message_zh", "issues"}
    assert err["code"] == code, err
    assert en in err["message"], err
    assert zh in err["message_zh"], err
    assert "Traceback" not in response.text
    return err  # type: ignore[no-any-return]
