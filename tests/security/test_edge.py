"""Issue 9, items 3, 4 and 10 from the attacker's side: bodies read before the caller is known,
cross-site writes with the session cookie, text/plain bodies parsed as JSON, and missing security
headers (CONTRACT §0)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from quiz.security import carries_session_cookie, is_cross_site

MB = 1024 * 1024


# --- item 3: authenticate before reading a body ----------------------------------------------------

def _stream_post(app: Any, path: str, *, total: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST a body of ``total`` bytes in 64 KiB chunks straight to the ASGI app; (status, bytes it read)."""
    chunk = b"x" * 65536
    sent = 0
    result: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent >= total:
            await asyncio.sleep(3600)
        sent += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": sent < total}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result["status"] = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "server": ("t", 80),
             "client": ("127.0.0.1", 5), "headers": [(b"host", b"testserver"), *headers], "app": app}

    async def go() -> None:
        await asyncio.wait_for(app(scope, receive, send), timeout=30)

    asyncio.run(go())
    return result["status"], sent


def test_an_anonymous_upload_gets_401_without_being_read(client: Any, users: Any) -> None:
    bank = client.post("/api/banks", json={"name": "题库"}, headers=users.headers("org")).json()["id"]
    status, read = _stream_post(client.app, f"/api/banks/{bank}/import", total=19 * MB, headers=[
        (b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", str(19 * MB).encode())])
    assert status == 401
    assert read <= 65536  # at most the first chunk the server was offered; never the 19 MiB


def test_a_member_upload_to_an_organizer_endpoint_gets_403_unread(client: Any, users: Any) -> None:
    status, read = _stream_post(client.app, "/api/users/import", total=19 * MB, headers=[
        (b"content-type", b"multipart/form-data; boundary=x"),
        (b"authorization", f"Bearer {users.tokens['alice']}".encode())])
    assert status == 403
    assert read <= 65536


def test_an_allowed_upload_is_still_read_and_limited(client: Any, users: Any) -> None:
    status, read = _stream_post(client.app, "/api/users/import", total=19 * MB, headers=[
        (b"content-type", b"multipart/form-data; boundary=x"),
        (b"authorization", f"Bearer {users.tokens['admin']}".encode())])
    assert status == 413  # the test settings allow 2 MB
    assert read < 3 * MB


# --- item 4: cross-site writes -----------------------------------------------------------------------

def _cookie_client(client: Any, username: str = "admin") -> Any:
    response = client.post("/api/auth/login", json={"username": username, "password": "secret123"})
    assert response.status_code == 200, response.text
    assert client.cookies.get("quiz_session")
    return client


NEW_ADMIN = {"username": "mallory", "password": "secret123", "name": "M", "role": "admin", "unit": ""}


def _users_named(client: Any, users: Any, name: str) -> int:
    listing = client.get("/api/users?limit=500", headers=users.headers("admin")).json()
    return sum(1 for u in listing["items"] if u["username"] == name)


@pytest.mark.parametrize("header", [
    {"Origin": "http://testserver:8081"},             # another port of the same host (the probe's page)
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/page.html"},
])
def test_a_cookie_write_from_another_site_is_refused(client: Any, users: Any, header: dict[str, str]) -> None:
    _cookie_client(client)
    response = client.post("/api/users", json=NEW_ADMIN, headers=header)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "cross_site"
    client.cookies.clear()
    assert _users_named(client, users, "mallory") == 0


def test_the_same_site_and_bearer_tokens_still_write(client: Any, users: Any) -> None:
    _cookie_client(client)
    assert client.post("/api/users", json=NEW_ADMIN, headers={"Origin": "http://testserver"}).status_code == 201
    assert client.post("/api/users", json={**NEW_ADMIN, "username": "m2"}).status_code == 201  # no Origin: a script
    client.cookies.clear()
    response = client.post("/api/users", json={**NEW_ADMIN, "username": "m3"},
                           headers={**users.headers("admin"), "Origin": "https://evil.example"})
    assert response.status_code == 201  # a Bearer token is not sent by a browser on its own
    # reading is never refused (no change), so a cross-site GET only gets what CORS lets it read: nothing
    assert client.get("/api/me", headers={**users.headers("admin"), "Origin": "https://evil.example"}).status_code == 200


def test_text_plain_json_is_no_longer_parsed(client: Any, users: Any) -> None:
    import json

    _cookie_client(client)
    response = client.post("/api/users", content=json.dumps(NEW_ADMIN).encode(),
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"
    form = client.post("/api/users", data={"username": "x"}, headers={"Origin": "http://testserver"})
    assert form.status_code == 415
    client.cookies.clear()
    assert _users_named(client, users, "mallory") == 0


def test_the_autosave_fast_path_also_takes_json_only(client: Any, users: Any) -> None:
    response = client.put("/api/attempts/1/answers/1", content=b'{"answer": ["A"]}',
                          headers={**users.headers("alice"), "Content-Type": "text/plain"})
    assert response.status_code in (404, 415)  # never stored: the full app answers (no such attempt, or 415)
    assert response.status_code != 200


def test_origin_rule_for_the_socket_layer() -> None:
    own = {"host": "quiz.example:8000"}
    assert not is_cross_site({**own, "origin": "http://quiz.example:8000"})
    assert is_cross_site({**own, "origin": "http://quiz.example:8001"})
    assert is_cross_site({**own, "origin": "http://evil.example:8000"})
    assert not is_cross_site(own)  # no Origin or Referer: not a page
    assert not is_cross_site({"host": "quiz.example", "origin": "https://quiz.example"})  # behind a TLS proxy
    assert is_cross_site({"host": "quiz.example", "origin": "https://quiz.example"},
                         base_url="https://other.example")
    assert not is_cross_site({"host": "10.0.0.5:8000", "origin": "https://quiz.example"},
                             base_url="https://quiz.example/")
    assert carries_session_cookie({"cookie": "a=1; quiz_session=abc"})
    assert not carries_session_cookie({"cookie": "quiz_session=abc", "authorization": "Bearer t"})


# --- item 10: security headers --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/play", "/api/me", "/api/openapi.json", "/no-such-page"])
def test_every_response_carries_the_security_headers(client: Any, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert "frame-ancestors 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]


def test_responses_with_tokens_are_not_stored(client: Any, users: Any) -> None:
    login = client.post("/api/auth/login", json={"username": "admin", "password": "secret123"})
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
    assert client.get("/api/me").headers["cache-control"] == "no-store"


def test_no_template_has_an_inline_script() -> None:
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "quiz" / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    offenders = [p.name for p in templates.glob("*.html") if inline.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
