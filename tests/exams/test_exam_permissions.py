"""Who may do what, and that answers never reach a candidate before review is allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.exams.conftest import DAY, exam_body, paper

MARKERS = ("EXPLMARK", "FILLMARK", "SHORTMARK", '"explanation"')
PUBLIC_DETAIL_KEYS = {"index", "question_id", "type", "points", "answered"}


def _assert_no_answers(payload: Any, where: str) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for marker in MARKERS:
        assert marker not in text, f"{marker} leaked in {where}: {text[:300]}"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "stem" in node or "question_id" in node:  # a question or a detail line
                assert "answer" not in node and "correct" not in node and "status" not in node, (where, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)


@pytest.mark.parametrize("review", ["never", "after_close", "after_submit"])
def test_no_answer_in_any_response_before_review_is_allowed(api: Any, app: Any, bank_id: int, clock: Any,
                                                            review: str) -> None:
    rules = [{"type": t, "count": c, "points": 2} for t, c in
             (("single", 3), ("multiple", 2), ("judge", 2), ("fill", 2), ("short", 1))]
    body = exam_body(bank_id, clock.now_ms(), rules=rules, review=review, pass_score=1)
    exam = api("POST", "/api/exams", as_="org", json=body).json()
    seen: list[tuple[str, Any]] = []

    def call(method: str, url: str, **kwargs: Any) -> Any:
        response = api(method, url, as_="alice", **kwargs)
        assert response.status_code < 500
        payload = response.json()
        seen.append((f"{method} {url}", payload))
        return payload

    call("GET", "/api/exams")
    call("GET", f"/api/exams/{exam['id']}")
    data = call("POST", f"/api/exams/{exam['id']}/attempts")
    call("POST", f"/api/exams/{exam['id']}/attempts")
    for item in paper(app, data["id"]):
        answer = {"single": ["A"], "multiple": ["A", "B"], "judge": [True], "fill": ["甲", "乙"],
                  "short": "我的回答"}[item["type"]]
        call("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", json={"answer": answer})
    call("POST", f"/api/attempts/{data['id']}/events", json={"type": "blur"})
    call("GET", f"/api/attempts/{data['id']}")
    submitted = call("POST", f"/api/attempts/{data['id']}/submit")
    after = call("GET", f"/api/attempts/{data['id']}")
    call("GET", "/api/exams")
    for where, payload in seen:
        if review == "after_submit" and (where.endswith("/submit") or payload is after):
            continue
        _assert_no_answers(payload, where)
    if review == "after_submit":
        assert "EXPLMARK" in json.dumps(submitted, ensure_ascii=False)
        assert all("answer" in d for d in submitted["details"])
    else:
        assert all(set(d) == PUBLIC_DETAIL_KEYS for d in submitted["details"])
        assert submitted["review"]["allowed"] is False
    clock.advance(2 * DAY)  # the window has closed
    later = api("GET", f"/api/attempts/{data['id']}", as_="alice").json()
    if review == "never":
        _assert_no_answers(later, "after close, review never")
    else:
        assert "EXPLMARK" in json.dumps(later, ensure_ascii=False)
        assert later["result"]["review"]["allowed"] is True


def test_another_members_attempt_is_not_found(api: Any, make_exam: Any, app: Any) -> None:
    exam = make_exam()
    data = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").json()
    item = paper(app, data["id"])[0]
    base = f"/api/attempts/{data['id']}"
    assert api("GET", base, as_="bob").status_code == 404
    assert api("PUT", f"{base}/answers/{item['qid']}", as_="bob", json={"answer": ["A"]}).status_code == 404
    assert api("POST", f"{base}/submit", as_="bob").status_code == 404
    assert api("POST", f"{base}/events", as_="bob", json={"type": "blur"}).status_code == 404
    assert api("GET", "/api/attempts/999999", as_="alice").status_code == 404
    # Bob's attempts did not touch Alice's paper.
    assert api("GET", base, as_="alice").json()["answers"] == {}
    # The organiser may read it, with the keys.
    assert "answer" in json.dumps(api("GET", base, as_="org").json())


def test_attempts_beyond_the_limit_are_refused(api: Any, make_exam: Any) -> None:
    once = make_exam()
    data = api("POST", f"/api/exams/{once['id']}/attempts", as_="alice").json()
    api("POST", f"/api/attempts/{data['id']}/submit", as_="alice")
    refused = api("POST", f"/api/exams/{once['id']}/attempts", as_="alice")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "attempts_exhausted"
    twice = make_exam(max_attempts=2)
    for _ in range(2):
        started = api("POST", f"/api/exams/{twice['id']}/attempts", as_="alice")
        assert started.status_code == 201
        api("POST", f"/api/attempts/{started.json()['id']}/submit", as_="alice")
    assert api("POST", f"/api/exams/{twice['id']}/attempts", as_="alice").status_code == 409
    assert api("GET", f"/api/exams/{twice['id']}", as_="alice").json()["my"]["attempts_left"] == 0


def test_outside_the_window_is_refused(api: Any, make_exam: Any, clock: Any) -> None:
    from quiz.timeutil import to_iso

    exam = make_exam(opens_at=to_iso(clock.now_ms() + DAY), closes_at=to_iso(clock.now_ms() + 2 * DAY))
    response = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert response.status_code == 409 and response.json()["error"]["code"] == "exam_not_open"
    clock.advance(3 * DAY)
    assert api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").status_code == 409


ORGANISER_ONLY = [
    ("POST", "/api/exams", True),
    ("POST", "/api/exams/preview", True),
    ("GET", "/api/exams/units", False),
    ("PUT", "/api/exams/{id}", True),
    ("DELETE", "/api/exams/{id}", False),
    ("GET", "/api/exams/{id}/rules-preview", False),
    ("GET", "/api/exams/{id}/results", False),
    ("GET", "/api/exams/{id}/results?format=xlsx", False),
    ("GET", "/api/exams/{id}/progress", False),
    ("GET", "/api/exams/{id}/stats", False),
    ("GET", "/api/exams/{id}/grading", False),
    ("PUT", "/api/exams/{id}/grading/1", True),
    ("POST", "/api/exams/{id}/grading/accept-prescores", False),
]


def test_members_cannot_organise_and_anonymous_must_log_in(api: Any, make_exam: Any, bank_id: int,
                                                          clock: Any) -> None:
    exam = make_exam()
    body = exam_body(bank_id, clock.now_ms())
    for method, url, with_body in ORGANISER_ONLY:
        path = url.replace("{id}", str(exam["id"]))
        kwargs = {"json": body} if with_body else {}
        member = api(method, path, as_="alice", **kwargs)
        assert member.status_code == 403, (method, path, member.text)
        assert member.json()["error"]["code"] == "forbidden"
        host = api(method, path, as_="host", **kwargs)
        assert host.status_code == 403, (method, path)
        anonymous = api(method, path, **kwargs)
        assert anonymous.status_code == 401, (method, path)
    for method, path in (("GET", "/api/exams"), ("GET", f"/api/exams/{exam['id']}"),
                         ("POST", f"/api/exams/{exam['id']}/attempts"), ("GET", "/api/attempts/1"),
                         ("PUT", "/api/attempts/1/answers/1"), ("POST", "/api/attempts/1/submit")):
        assert api(method, path, json={"answer": ["A"]}).status_code == 401, path
    assert api("GET", "/api/exams", as_="alice").json()["total"] == 1
    assert api("GET", f"/api/exams/{exam['id']}", as_="org").status_code == 200


def test_pages_need_the_right_role(api: Any, make_exam: Any) -> None:
    exam = make_exam()
    assert api("GET", "/exams", follow_redirects=False).status_code == 303
    assert api("GET", "/exams", as_="alice").status_code == 200
    assert api("GET", f"/exams/{exam['id']}", as_="alice").status_code == 200
    assert api("GET", "/admin/exams", as_="alice").status_code == 403
    for path in ("/admin/exams", "/admin/exams/new", f"/admin/exams/{exam['id']}", f"/admin/exams/{exam['id']}/edit",
                 f"/admin/exams/{exam['id']}/grading"):
        assert api("GET", path, as_="org").status_code == 200, path
