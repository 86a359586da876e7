"""`/healthz` and `/readyz` (CONTRACT §0): no login; ready only when the database (and Redis, if set) answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from quiz.app import create_app
from quiz.settings import Settings
from quiz.timeutil import FakeClock


def closed_port() -> int:
    """A local port nobody listens on (connecting to it is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def started(settings: Settings) -> Iterator[Any]:
    def start(**overrides: Any) -> TestClient:
        values = {**settings.__dict__, **overrides}
        return TestClient(create_app(Settings(**values), clock=FakeClock()))

    yield start


def test_both_answer_without_login(client: TestClient) -> None:
    live = client.get("/healthz")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok"}
    assert ready.headers["cache-control"] == "no-store"


def test_readyz_is_503_when_the_database_is_gone(client: TestClient, app: Any, tmp_path: Path) -> None:
    from quiz.db import Database

    assert client.get("/readyz").status_code == 200
    # The app's database replaced by one that cannot be opened (a file in a folder that does not exist).
    app.state.db.dispose()
    app.state.db = Database(f"sqlite:///{tmp_path / 'gone' / 'quiz.db'}")
    ready = client.get("/readyz")
    assert ready.status_code == 503, ready.text
    error = ready.json()["error"]
    assert error["code"] == "not_ready" and "database" in error["message"]
    assert {"check": "database", "result": "error: OperationalError"} in error["details"]
    assert str(tmp_path) not in ready.text  # nothing about the setup reaches an anonymous caller
    assert client.get("/healthz").status_code == 200  # alive, just not ready


@pytest.mark.postgres
def test_readyz_is_503_for_an_unreachable_postgres(started: Any, settings: Settings) -> None:
    # The app starts (and migrates) on the test database, then points at a server that is not there.
    with started() as client:
        from quiz.db import Database

        client.app.state.db.dispose()
        client.app.state.db = Database(f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing")
        began = time.monotonic()
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert time.monotonic() - began < 3
        assert "127.0.0.1" not in ready.text  # nothing about the setup reaches an anonymous caller


def test_readyz_checks_redis_when_set(started: Any, redis_url: str) -> None:
    with started(redis_url=redis_url) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_for_an_unreachable_redis(started: Any) -> None:
    # Started without Redis (the live hub would connect to it at start-up), then pointed at a dead one.
    with started() as client:
        client.app.state.settings = Settings(**{**client.app.state.settings.__dict__,
                                                "redis_url": f"redis://127.0.0.1:{closed_port()}/15"})
        began = time.monotonic()
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert time.monotonic() - began < 3
        details = {d["check"]: d["result"] for d in ready.json()["error"]["details"]}
        assert details["database"] == "ok" and details["redis"].startswith("error: ")
        assert "redis" in ready.json()["error"]["message"]
