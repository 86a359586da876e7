"""The server's clock decides: saves before the deadline are stored, after it 409 and not stored; the
server submits overdue attempts (the sweeper, a lazy read, and the sweep at start-up after a restart)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from quiz.app import create_app
from quiz.exams import service
from quiz.exams.models import AttemptAnswer, ExamAttempt
from quiz.timeutil import FakeClock
from tests.exams.conftest import MINUTE, paper, right_answer


def _stored_answers(app: Any, attempt_id: int) -> dict[int, Any]:
    from sqlmodel import select

    with app.state.db.read() as session:
        rows = session.exec(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
        return {r.question_id: r.answer for r in rows if r.answer is not None}


def _attempt(app: Any, attempt_id: int) -> ExamAttempt:
    with app.state.db.read() as session:
        attempt = session.get(ExamAttempt, attempt_id)
        assert attempt is not None
        return attempt


def _start(api: Any, exam_id: int, who: str = "alice") -> dict[str, Any]:
    response = api("POST", f"/api/exams/{exam_id}/attempts", as_=who)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_save_before_the_deadline_is_stored_after_it_is_refused(api: Any, make_exam: Any, app: Any,
                                                                clock: FakeClock) -> None:
    exam = make_exam(duration_s=600)
    data = _start(api, exam["id"])
    items = paper(app, data["id"])
    first, second = items[0], items[1]
    clock.advance(600_000 - 1)  # the last millisecond before the deadline
    ok = api("PUT", f"/api/attempts/{data['id']}/answers/{first['qid']}", as_="alice",
             json={"answer": right_answer(first)})
    assert ok.status_code == 200
    clock.advance(1)  # now == deadline: too late
    late = api("PUT", f"/api/attempts/{data['id']}/answers/{second['qid']}", as_="alice",
               json={"answer": right_answer(second)})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "deadline_passed"
    assert set(_stored_answers(app, data["id"])) == {first["qid"]}
    # Changing an already saved answer after the deadline is refused too, and leaves it unchanged.
    again = api("PUT", f"/api/attempts/{data['id']}/answers/{first['qid']}", as_="alice", json={"answer": None})
    assert again.status_code == 409
    assert _stored_answers(app, data["id"])[first["qid"]] is not None
    # The refused save submitted the attempt with what was saved.
    attempt = _attempt(app, data["id"])
    assert attempt.status == "submitted" and attempt.submitted_by == "auto"
    assert attempt.submitted_ms == data["deadline_ms"]
    assert attempt.score_cents == first["points"]


def test_the_sweeper_submits_at_the_deadline_with_what_was_saved(api: Any, make_exam: Any, app: Any,
                                                                 clock: FakeClock) -> None:
    exam = make_exam(duration_s=300)
    data = _start(api, exam["id"])
    items = paper(app, data["id"])
    for item in items[:3]:
        api("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", as_="alice", json={"answer": right_answer(item)})
    assert service.sweep(app.state.db, clock.now_ms()) == 0
    clock.advance(300_000 - 1)
    assert service.sweep(app.state.db, clock.now_ms()) == 0
    assert _attempt(app, data["id"]).status == "open"
    clock.advance(1)
    assert service.sweep(app.state.db, clock.now_ms()) == 1
    attempt = _attempt(app, data["id"])
    assert attempt.status == "submitted" and attempt.submitted_by == "auto"
    assert attempt.answered == 3 and attempt.correct == 3
    assert attempt.score_cents == sum(i["points"] for i in items[:3])
    assert service.sweep(app.state.db, clock.now_ms()) == 0  # nothing left; a second pass is harmless
    result = api("GET", f"/api/attempts/{data['id']}", as_="alice").json()["result"]
    assert result["submitted_by"] == "auto" and result["answered"] == 3
    assert result["elapsed_ms"] == 300_000


def test_the_background_sweeper_runs_with_the_app_clock(api: Any, make_exam: Any, app: Any, clock: FakeClock) -> None:
    import time

    exam = make_exam(duration_s=60)
    data = _start(api, exam["id"])
    clock.advance(61_000)
    deadline = time.monotonic() + 10
    while _attempt(app, data["id"]).status != "submitted":
        assert time.monotonic() < deadline, "the background sweeper did not submit the overdue attempt"
        time.sleep(0.1)


def test_reading_an_overdue_attempt_submits_it_first(api: Any, make_exam: Any, app: Any, clock: FakeClock) -> None:
    exam = make_exam(duration_s=60)
    data = _start(api, exam["id"])
    clock.advance(60_000)
    read = api("GET", f"/api/attempts/{data['id']}", as_="alice").json()
    assert read["status"] == "submitted" and read["result"]["submitted_by"] == "auto"


def test_submit_twice_returns_the_same_result(api: Any, make_exam: Any, app: Any, clock: FakeClock) -> None:
    exam = make_exam()
    data = _start(api, exam["id"])
    item = paper(app, data["id"])[0]
    api("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", as_="alice", json={"answer": right_answer(item)})
    clock.advance(MINUTE)
    first = api("POST", f"/api/attempts/{data['id']}/submit", as_="alice")
    clock.advance(MINUTE)
    second = api("POST", f"/api/attempts/{data['id']}/submit", as_="alice")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["submitted_by"] == "candidate" and first.json()["elapsed_ms"] == MINUTE
    after = api("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", as_="alice", json={"answer": None})
    assert after.status_code == 409 and after.json()["error"]["code"] == "attempt_submitted"


def test_attempts_that_expired_while_the_server_was_down_are_submitted_at_start_up(
        api: Any, make_exam: Any, app: Any, clock: FakeClock, settings: Any) -> None:
    exam = make_exam(duration_s=120)
    data = _start(api, exam["id"])
    items = paper(app, data["id"])
    api("PUT", f"/api/attempts/{data['id']}/answers/{items[0]['qid']}", as_="alice",
        json={"answer": right_answer(items[0])})
    # "Stop" the server: a new app on the same database, started only after the deadline passed.
    later = FakeClock(clock.now_ms() + 10 * MINUTE)
    restarted = create_app(settings, clock=later)
    assert _attempt(app, data["id"]).status == "open"
    with TestClient(restarted):
        attempt = _attempt(restarted, data["id"])
        assert attempt.status == "submitted"
        assert attempt.submitted_by == "auto" and attempt.submitted_ms == data["deadline_ms"]
        assert attempt.answered == 1


def test_a_new_attempt_is_refused_outside_the_window(api: Any, make_exam: Any, clock: FakeClock) -> None:
    from quiz.timeutil import to_iso

    exam = make_exam(opens_at=to_iso(clock.now_ms() + MINUTE), closes_at=to_iso(clock.now_ms() + 60 * MINUTE),
                     max_attempts=3)
    early = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert early.status_code == 409 and early.json()["error"]["code"] == "exam_not_open"
    clock.advance(MINUTE)
    assert api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").status_code == 201
    clock.advance(59 * MINUTE)
    late = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert late.status_code == 409 and late.json()["error"]["code"] == "exam_not_open"


def test_saves_racing_a_submit_are_either_counted_or_refused(api: Any, make_exam: Any, app: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    exam = make_exam(rules=[{"type": "judge", "count": 6, "points": 1}, {"type": "single", "count": 8, "points": 1}],
                     pass_score=1)
    data = _start(api, exam["id"])
    items = paper(app, data["id"])
    url = f"/api/attempts/{data['id']}"

    def save(item: dict[str, Any]) -> tuple[int, int]:
        response = api("PUT", f"{url}/answers/{item['qid']}", as_="alice", json={"answer": right_answer(item)})
        return item["qid"], response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        saves = [pool.submit(save, item) for item in items[:10]]
        submitted = pool.submit(lambda: api("POST", f"{url}/submit", as_="alice"))
        saves += [pool.submit(save, item) for item in items[10:]]
        outcomes = dict(f.result() for f in saves)
        result = submitted.result().json()
    assert set(outcomes.values()) <= {200, 409}
    accepted = {qid for qid, status in outcomes.items() if status == 200}
    # Every acknowledged answer is stored and counted in the result; every refused one is absent.
    assert set(_stored_answers(app, data["id"])) == accepted
    assert result["answered"] == len(accepted) and result["score"] == len(accepted)
    assert api("POST", f"{url}/submit", as_="alice").json()["score"] == result["score"]


def test_a_batch_of_saves_checks_each_against_its_own_attempt(api: Any, make_exam: Any, app: Any,
                                                              clock: FakeClock) -> None:
    from quiz.exams import autosave

    exam = make_exam(duration_s=600)
    alice, bob = _start(api, exam["id"], "alice"), _start(api, exam["id"], "bob")
    api("POST", f"/api/attempts/{bob['id']}/submit", as_="bob")
    first, second = paper(app, alice["id"])[:2]
    now, deadline = clock.now_ms(), alice["deadline_ms"]
    bob_item = paper(app, bob["id"])[0]
    saves = [
        (alice["id"], exam["id"], first["qid"], 0, '["A"]', now),
        (alice["id"], exam["id"], first["qid"], 0, '["B"]', now + 1),  # the later save of the same question wins
        (alice["id"], exam["id"], second["qid"], 1, '["C"]', deadline),  # at the deadline: refused
        (bob["id"], exam["id"], bob_item["qid"], 0, '["A"]', now),  # submitted: refused
        (999_999, exam["id"], first["qid"], 0, '["A"]', now),  # no such attempt: refused
    ]
    with app.state.db.write() as session:
        assert autosave.store(session.connection(), saves) == [True, True, False, False, False]
    assert _stored_answers(app, alice["id"]) == {first["qid"]: ["B"]}
    assert _stored_answers(app, bob["id"]) == {}
