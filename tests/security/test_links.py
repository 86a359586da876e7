"""Issue 9, item 11 from the attacker's side: ``Host: evil.example`` gave a publicly cached QR code for
``http://evil.example/play/…``. Links and QR codes come from QUIZ_BASE_URL when set, else from a
trusted host, and a QR code built from a request's Host is never cached publicly (CONTRACT §0)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from typing import Any

import pytest
import segno
from starlette.testclient import TestClient

from quiz.app import create_app
from tests.conftest import Users
from tests.live.conftest import seed_live_bank


def _qr(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=2, xmldecl=False)
    return buffer.getvalue()


@pytest.fixture
def make_client(settings: Any, clock: Any) -> Iterator[Any]:
    opened: list[TestClient] = []

    def make(**changes: Any) -> tuple[TestClient, dict[str, Any]]:
        app = create_app(dataclasses.replace(settings, **changes), clock=clock)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        users = Users(app, client)
        users.add("host", "host")
        bank_id, _ = seed_live_bank(app)
        game = client.post("/api/live/quick", headers=users.headers("host"), json={"bank_id": bank_id, "count": 2})
        assert game.status_code == 201, game.text
        return client, game.json()

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def test_a_forged_host_never_reaches_a_public_qr_code(make_client: Any) -> None:
    client, game = make_client()
    qr = client.get(f"/api/live/{game['pin']}/qr.svg", headers={"Host": "evil.example"})
    assert qr.status_code == 200
    assert "public" not in qr.headers["cache-control"] and "no-store" in qr.headers["cache-control"]


def test_base_url_decides_every_link_and_may_be_cached(make_client: Any) -> None:
    client, game = make_client(base_url="https://quiz.example.org")
    assert game["join_url"] == f"https://quiz.example.org/play/{game['pin']}"
    qr = client.get(f"/api/live/{game['pin']}/qr.svg", headers={"Host": "evil.example"})
    assert qr.content == _qr(f"https://quiz.example.org/play/{game['pin']}")
    assert qr.headers["cache-control"].startswith("public")
    page = client.get(f"/screen/{game['pin']}", headers={"Host": "evil.example"})
    assert "evil.example" not in page.text and "quiz.example.org" in page.text


def test_trusted_hosts_replace_an_unknown_host(make_client: Any) -> None:
    client, game = make_client(trusted_hosts="quiz.local:8000, 10.0.0.5:8000")
    qr = client.get(f"/api/live/{game['pin']}/qr.svg", headers={"Host": "evil.example"})
    assert qr.content == _qr(f"http://quiz.local:8000/play/{game['pin']}")
    own = client.get(f"/api/live/{game['pin']}/qr.svg", headers={"Host": "10.0.0.5:8000"})
    assert own.content == _qr(f"http://10.0.0.5:8000/play/{game['pin']}")
    assert "public" not in own.headers["cache-control"]
