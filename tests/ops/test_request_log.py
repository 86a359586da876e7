"""One JSON log line per request (method, route template, status, ms, user id) and no secret in any of them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from quiz import logsetup

PASSWORD = "Pw-never-logged-7731"


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The server's log as `quiz serve` configures it (JSON lines), captured: ``log_lines()`` parses it so far."""
    stream = io.StringIO()
    handler = logsetup.configure("info", stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger = logging.getLogger("quiz")
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def requests(log_lines: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [line for line in log_lines() if line["msg"] == "request"]


def test_a_line_per_request_with_template_status_time_and_user(client: Any, users: Any, log_lines: Any) -> None:
    client.get("/api/me", headers=users.headers("alice"))
    client.get("/api/banks/999999", headers=users.headers("org"))
    client.get("/play/654321")
    client.get("/no/such/page/abc")
    got = requests(log_lines)
    assert len(got) == 4
    me, bank, play, unmatched = got
    assert me["method"] == "GET" and me["path"] == "/api/me" and me["status"] == 200
    assert me["user_id"] == users.ids["alice"] and isinstance(me["ms"], float) and me["level"] == "info"
    assert bank["path"] == "/api/banks/{bank_id}" and bank["status"] == 404 and bank["user_id"] == users.ids["org"]
    assert play["path"] == "/play/{pin}" and play["user_id"] is None
    assert unmatched["path"] == "(unmatched)" and unmatched["status"] == 404
    assert "654321" not in json.dumps(got)  # a game's PIN is not written to the log


def test_no_password_token_or_cookie_in_the_log(client: Any, users: Any, app: Any, log_lines: Any) -> None:
    from quiz.accounts import upsert_user

    with app.state.db.write() as session:
        upsert_user(session, username="carol", password=PASSWORD, name="carol", role="member", unit="",
                    now_ms=app.state.clock.now_ms(), overwrite=True)
    login = client.post("/api/auth/login", json={"username": "carol", "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    assert client.cookies.get("quiz_session")
    client.get("/api/me")  # by the session cookie
    client.get(f"/api/me?token={token}")
    client.get("/ws/live/123456?role=player&token=" + token)
    client.get("/api/me", headers={"Authorization": f"Bearer {token}", "Cookie": f"quiz_session={token}"})
    client.post("/api/auth/login", json={"username": "carol", "password": PASSWORD + "wrong"})
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in log_lines())
    assert len(requests(log_lines)) == 6
    for secret in (PASSWORD, token, token[:16], "quiz_session", "token=", "Bearer"):
        assert secret not in text, f"{secret!r} was logged"
    statuses = [(line["path"], line["status"]) for line in requests(log_lines)]
    assert statuses[0] == ("/api/auth/login", 200) and statuses[-1] == ("/api/auth/login", 401)


def test_nothing_is_logged_above_info(client: Any, users: Any) -> None:
    stream = io.StringIO()
    handler = logsetup.configure("warning", stream)
    try:
        client.get("/api/me", headers=users.headers("alice"))
    finally:
        logging.getLogger("quiz").removeHandler(handler)
        logging.getLogger("quiz").setLevel(logging.NOTSET)
        logging.getLogger("quiz").propagate = True
    assert stream.getvalue() == ""


def test_the_autosave_fast_path_is_logged_by_its_route_template(api: Any, app: Any, users: Any, clock: Any,
                                                               log_lines: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from quiz.exams.fastpath import AutosaveFastPath
    from tests.exams.conftest import exam_body, paper, right_answer, seed_bank

    served: list[Any] = []
    real = AutosaveFastPath._save

    async def spy(self: Any, scope: Any, match: Any, body: bytes) -> Any:
        served.append(await real(self, scope, match, body))
        return served[-1]

    monkeypatch.setattr(AutosaveFastPath, "_save", spy)
    body = exam_body(seed_bank(app), clock.now_ms(), duration_s=600)
    exam = api("POST", "/api/exams", as_="org", json=body).json()
    attempt = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").json()
    first, second = paper(app, attempt["id"])[:2]
    url = f"/api/attempts/{attempt['id']}/answers"
    fast = api("PUT", f"{url}/{first['qid']}", as_="alice", json={"answer": right_answer(first)})
    app.state.db._exam_caches["papers"].clear()  # the next save goes through the router (the fast path steps aside)
    slow = api("PUT", f"{url}/{second['qid']}", as_="alice", json={"answer": right_answer(second)})
    assert fast.status_code == slow.status_code == 200
    assert served[0] is not None and served[-1] is None  # the first served by the fast path, the second not
    saves = [line for line in requests(log_lines) if line["method"] == "PUT"]
    assert [line["path"] for line in saves] == ["/api/attempts/{attempt_id}/answers/{question_id}"] * 2
    assert saves[0]["status"] == 200 and saves[0]["user_id"] == users.ids["alice"]
