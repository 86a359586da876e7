"""Autosave's group commit as the server runs it: saves handled on the event loop, gathered into one
transaction (SQLite: stored from the loop's own thread), and handed to the writer thread when
another writer holds the database; every acknowledged save stored, every refused one absent."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from quiz.exams import autosave
from tests.exams.conftest import paper, right_answer
from tests.exams.test_exam_deadlines import _start, _stored_answers


def _concurrently(client: Any, app: Any, requests: list[tuple[str, dict[str, str], Any]]) -> list[httpx.Response]:
    """PUT every ``(url, headers, json)`` at once, on the app's own event loop."""

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return list(await asyncio.gather(*(http.put(url, headers=headers, json=body)
                                               for url, headers, body in requests)))

    return client.portal.call(burst)


def test_concurrent_saves_share_a_transaction_and_all_are_stored(api: Any, make_exam: Any, app: Any, client: Any,
                                                                 users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[int] = []
    real = autosave.store_with

    def counting(execute: Any, postgres: bool, saves: list[Any]) -> list[bool]:
        batches.append(len(saves))
        return real(execute, postgres, saves)

    monkeypatch.setattr(autosave, "store_with", counting)
    exam = make_exam(duration_s=600)
    alice, bob = _start(api, exam["id"], "alice"), _start(api, exam["id"], "bob")
    requests = []
    for who, attempt in (("alice", alice), ("bob", bob)):
        for item in paper(app, attempt["id"]):
            requests.append((f"/api/attempts/{attempt['id']}/answers/{item['qid']}", users.headers(who),
                             {"answer": right_answer(item)}))
    responses = _concurrently(client, app, requests)
    assert [r.status_code for r in responses] == [200] * len(requests)
    assert len(_stored_answers(app, alice["id"])) == len(paper(app, alice["id"]))
    assert len(_stored_answers(app, bob["id"])) == len(paper(app, bob["id"]))
    assert sum(batches) == len(requests)
    assert len(batches) < len(requests), batches  # gathered: fewer transactions than saves
    if app.state.db.is_sqlite:
        assert getattr(app.state.db, "_exam_loop_writer", None) is not None  # stored from the event loop


def test_a_save_waits_for_another_writer_and_is_stored(api: Any, make_exam: Any, app: Any) -> None:
    """Another writer holding the database longer than the loop writer waits: the batch goes to the
    writer thread, which stores it once the lock is free; the save is acknowledged only then."""
    exam = make_exam(duration_s=600)
    data = _start(api, exam["id"])
    item = paper(app, data["id"])[0]
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.state.db.write():
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    threading.Timer(0.3, release.set).start()
    began = time.monotonic()
    response = api("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", as_="alice",
                   json={"answer": right_answer(item)})
    holder.join()
    assert response.status_code == 200, response.text
    assert time.monotonic() - began >= 0.25  # it waited for the other writer's commit
    assert set(_stored_answers(app, data["id"])) == {item["qid"]}


def test_saves_racing_a_submit_are_either_stored_and_counted_or_refused(api: Any, make_exam: Any, app: Any,
                                                                       client: Any, users: Any) -> None:
    exam = make_exam(duration_s=600)
    data = _start(api, exam["id"])
    items = paper(app, data["id"])
    url = f"/api/attempts/{data['id']}"
    requests = [(f"{url}/answers/{item['qid']}", users.headers("alice"), {"answer": right_answer(item)})
                for item in items]

    async def race() -> tuple[list[httpx.Response], httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            saves = [asyncio.ensure_future(http.put(u, headers=h, json=b)) for u, h, b in requests]
            await asyncio.sleep(0)
            submit = await http.post(f"{url}/submit", headers=users.headers("alice"))
            return list(await asyncio.gather(*saves)), submit

    saves, submit = client.portal.call(race)
    assert submit.status_code == 200
    accepted = {item["qid"] for item, r in zip(items, saves, strict=True) if r.status_code == 200}
    refused = [r for r in saves if r.status_code != 200]
    assert all(r.status_code == 409 and r.json()["error"]["code"] == "attempt_submitted" for r in refused)
    assert set(_stored_answers(app, data["id"])) == accepted
    assert submit.json()["answered"] == len(accepted)  # the result counts exactly the stored answers
    assert api("GET", url, as_="alice").json()["result"]["answered"] == len(accepted)


@pytest.fixture
def fast_replies(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the autosave fast path answered for each save it saw (None: handed to the full app)."""
    from quiz.exams.fastpath import AutosaveFastPath

    seen: list[Any] = []
    real = AutosaveFastPath._save

    async def spy(self: Any, scope: Any, match: Any, body: bytes) -> Any:
        reply = await real(self, scope, match, body)
        seen.append(reply)
        return reply

    monkeypatch.setattr(AutosaveFastPath, "_save", spy)
    return seen


def test_the_fast_path_serves_a_plain_save_exactly_as_the_endpoint(api: Any, make_exam: Any, app: Any, client: Any,
                                                                   users: Any, fast_replies: list[Any]) -> None:
    exam = make_exam(duration_s=600)
    data = _start(api, exam["id"])
    first, second = paper(app, data["id"])[:2]
    url = f"/api/attempts/{data['id']}/answers"
    fast = api("PUT", f"{url}/{first['qid']}", as_="alice", json={"answer": right_answer(first)})
    assert fast.status_code == 200 and fast.headers["content-type"] == "application/json"
    assert fast_replies == [fast.json()]  # answered by the fast path, not the full app
    # The same save through the full app (the paper cache emptied, so the fast path steps aside) answers alike.
    app.state.db._exam_caches["papers"].clear()
    slow = api("PUT", f"{url}/{second['qid']}", as_="alice", json={"answer": right_answer(second)})
    assert fast_replies[-1] is None and slow.status_code == 200
    assert set(slow.json()) == set(fast.json())
    assert slow.json()["your_answer"] == right_answer(second) and fast.json()["your_answer"] == right_answer(first)
    # A session cookie works as the Bearer token does.
    client.cookies.set("quiz_session", users.tokens["alice"])
    by_cookie = client.put(f"{url}/{first['qid']}", json={"answer": None})
    client.cookies.clear()
    assert by_cookie.status_code == 200 and fast_replies[-1] == by_cookie.json()
    assert _stored_answers(app, data["id"]) == {second["qid"]: right_answer(second)}


def test_the_fast_path_leaves_every_error_to_the_full_app(api: Any, make_exam: Any, app: Any, client: Any,
                                                         fast_replies: list[Any]) -> None:
    exam = make_exam(duration_s=600)
    data = _start(api, exam["id"])
    bob = _start(api, exam["id"], "bob")
    item = paper(app, data["id"])[0]
    url = f"/api/attempts/{data['id']}/answers/{item['qid']}"
    cases = [
        (api("PUT", url, json={"answer": ["A"]}), 401, "not_logged_in"),
        (api("PUT", url, as_="bob", json={"answer": ["A"]}), 404, "attempt_not_found"),
        (api("PUT", f"/api/attempts/{data['id']}/answers/999999", as_="alice", json={"answer": ["A"]}), 404,
         "question_not_in_paper"),
        (api("PUT", url, as_="alice", content=b"{not json", headers={"content-type": "application/json"}), 400,
         "invalid_json"),
        (api("PUT", url, as_="alice", json={"answer": {"no": "shape"}}), 422, "answer_invalid"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert api("POST", f"/api/attempts/{bob['id']}/submit", as_="bob").status_code == 200
    bob_item = paper(app, bob["id"])[0]
    late = api("PUT", f"/api/attempts/{bob['id']}/answers/{bob_item['qid']}", as_="bob",
               json={"answer": right_answer(bob_item)})
    assert late.status_code == 409 and late.json()["error"]["code"] == "attempt_submitted"
    assert all(reply is None for reply in fast_replies)  # none of them was answered by the fast path
    assert _stored_answers(app, data["id"]) == {} and _stored_answers(app, bob["id"]) == {}
