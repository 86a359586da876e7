"""Creating tests from rules, the rule preview, editing, listing, starting and resuming attempts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from quiz.timeutil import to_iso
from tests.exams.conftest import DAY, MINUTE, exam_body, paper


def test_create_returns_the_test_with_its_totals(make_exam: Any) -> None:
    exam = make_exam()
    assert exam["question_count"] == 9
    assert exam["max_score"] == 4 * 2 + 2 * 3 + 2 * 1.5 + 4
    assert exam["pass_score"] == 12
    assert exam["state"] == "open"
    assert exam["rules"][2]["points"] == 1.5
    assert exam["opens_at"].endswith("+08:00")


def test_a_rule_the_bank_cannot_fill_is_named_with_what_is_available(api: Any, bank_id: int, clock: Any) -> None:
    body = exam_body(bank_id, clock.now_ms(), rules=[
        {"type": "single", "count": 2, "points": 1},
        {"type": "multiple", "count": 9, "tags": ["纪律"], "points": 2},
    ])
    response = api("POST", "/api/exams", as_="org", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "rule_unsatisfiable"
    detail = error["details"][0]
    assert (detail["index"], detail["type"], detail["tags"], detail["count"], detail["available"]) == (
        1, "multiple", ["纪律"], 9, 6)
    assert "第 2 条规则" in error["message"] and "6" in error["message"]
    assert api("GET", "/api/exams", as_="org").json()["total"] == 0


def test_invalid_bodies_get_422_with_field_details(api: Any, bank_id: int, clock: Any) -> None:
    now = clock.now_ms()
    cases = [
        {"closes_at": to_iso(now - DAY)},
        {"opens_at": "not a time"},
        {"rules": [{"type": "single", "count": 1, "points": 1.005}]},
        {"rules": [{"type": "essay", "count": 1}]},
        {"rules": [{"type": "single", "count": 1, "difficulty": [4, 2]}]},
        {"pass_score": 999},
        {"rules": []},
    ]
    for override in cases:
        response = api("POST", "/api/exams", as_="org", json=exam_body(bank_id, now, **override))
        assert response.status_code == 422, (override, response.text)
        assert response.json()["error"]["message"]
    missing = api("POST", "/api/exams", as_="org", json=exam_body(bank_id + 99, now))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "bank_not_found"


def test_preview_counts_what_each_rule_can_draw(api: Any, bank_id: int) -> None:
    body = {"bank_id": bank_id, "rules": [
        {"type": "single", "count": 3, "tags": ["党章"], "difficulty": [1, 2], "points": 2},
        {"type": "single", "count": 10, "tags": [], "points": 1},
        {"type": "short", "count": 0, "points": 5},
    ]}
    data = api("POST", "/api/exams/preview", as_="org", json=body).json()
    rules = data["rules"]
    assert [r["available"] for r in rules] == [2, 8, 3]
    assert [r["ok"] for r in rules] == [False, False, True]
    assert rules[1]["drawable"] == 6  # two of its eight are taken by rule 1
    assert data["ok"] is False and len(data["problems"]) == 2
    assert data["max_score"] == 3 * 2 + 10 and data["question_count"] == 13
    assert api("POST", "/api/exams/preview", as_="alice", json=body).status_code == 403


def test_rules_preview_of_an_existing_test(api: Any, make_exam: Any) -> None:
    exam = make_exam()
    data = api("GET", f"/api/exams/{exam['id']}/rules-preview", as_="org").json()
    assert [r["available"] for r in data["rules"]] == [8, 6, 6, 4]
    assert data["ok"] is True


def test_edit_before_it_opens_then_409(api: Any, make_exam: Any, clock: Any, bank_id: int) -> None:
    exam = make_exam(opens_at=to_iso(clock.now_ms() + DAY), closes_at=to_iso(clock.now_ms() + 2 * DAY))
    assert exam["state"] == "upcoming"
    body = exam_body(bank_id, clock.now_ms() + DAY, title="改过的标题", closes_at=to_iso(clock.now_ms() + 3 * DAY))
    response = api("PUT", f"/api/exams/{exam['id']}", as_="org", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "改过的标题"
    clock.advance(DAY + 1)
    again = api("PUT", f"/api/exams/{exam['id']}", as_="org", json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "exam_already_open"


def test_members_list_their_tests_with_status(api: Any, make_exam: Any, clock: Any, users: Any) -> None:
    mine = make_exam(title="财政局专场", audience={"units": ["市财政局"]})
    other = make_exam(title="教育局专场", audience={"units": ["市教育局"]})
    everyone = make_exam(title="全体")
    listed = api("GET", "/api/exams", as_="alice").json()
    assert {i["id"] for i in listed["items"]} == {mine["id"], everyone["id"]}
    assert all(i["my"]["status"] == "not_started" and i["my"]["can_start"] for i in listed["items"])
    assert "rules" not in listed["items"][0]
    assert api("GET", f"/api/exams/{other['id']}", as_="alice").status_code == 403
    assert api("POST", f"/api/exams/{other['id']}/attempts", as_="alice").status_code == 403
    assert api("GET", "/api/exams", as_="org").json()["total"] == 3


def test_start_resume_and_stable_paper(api: Any, make_exam: Any, app: Any, clock: Any) -> None:
    exam = make_exam()
    first = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert first.status_code == 201
    data = first.json()
    assert data["deadline_ms"] == clock.now_ms() + 1800 * 1000 and data["now_ms"] == clock.now_ms()
    assert data["deadline"].endswith("+08:00") and data["answers"] == {}
    assert Counter(q["type"] for q in data["questions"]) == {"single": 4, "multiple": 2, "judge": 2, "fill": 1}
    for q in data["questions"]:
        if q["options"]:
            assert [o["key"] for o in q["options"]] == ["A", "B", "C", "D"]
    fill = next(q for q in data["questions"] if q["type"] == "fill")
    assert fill["blanks"] == 2
    question = data["questions"][0]
    answer = ["A"] if question["type"] in ("single", "multiple") else [True] if question["type"] == "judge" else None
    assert api("PUT", f"/api/attempts/{data['id']}/answers/{question['id']}", as_="alice",
               json={"answer": answer}).status_code == 200
    clock.advance(5 * MINUTE)
    again = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert again.status_code == 200
    resumed = again.json()
    assert resumed["id"] == data["id"]
    assert resumed["questions"] == data["questions"]
    assert resumed["answers"] == {str(question["id"]): answer}
    assert resumed["deadline_ms"] == data["deadline_ms"]
    assert api("GET", f"/api/attempts/{data['id']}", as_="alice").json()["questions"] == data["questions"]
    # Bob's paper has the same mix but (almost surely) another order or other options.
    bob = api("POST", f"/api/exams/{exam['id']}/attempts", as_="bob").json()
    assert Counter(q["type"] for q in bob["questions"]) == Counter(q["type"] for q in data["questions"])
    assert [(q["id"], q["options"]) for q in bob["questions"]] != [(q["id"], q["options"]) for q in data["questions"]]
    assert [i["qid"] for i in paper(app, data["id"])] == [q["id"] for q in data["questions"]]


def test_deadline_is_capped_by_the_closing_time(api: Any, make_exam: Any, clock: Any) -> None:
    exam = make_exam(closes_at=to_iso(clock.now_ms() + 10 * MINUTE))
    data = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").json()
    assert data["deadline_ms"] == exam["closes_ms"]


def test_answers_are_validated_and_questions_must_be_in_the_paper(api: Any, make_exam: Any) -> None:
    exam = make_exam()
    data = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").json()
    in_paper = {q["id"] for q in data["questions"]}
    outside = next(i for i in range(1, 100) if i not in in_paper)
    url = f"/api/attempts/{data['id']}/answers"
    assert api("PUT", f"{url}/{outside}", as_="alice", json={"answer": ["A"]}).status_code == 404
    single = next(q for q in data["questions"] if q["type"] == "single")
    assert api("PUT", f"{url}/{single['id']}", as_="alice", json={"answer": ["Z"]}).status_code == 422
    assert api("PUT", f"{url}/{single['id']}", as_="alice", json={"answer": ["A", "B"]}).status_code == 422
    assert api("PUT", f"{url}/{single['id']}", as_="alice", json={"answer": "b"}).json()["your_answer"] == ["B"]
    cleared = api("PUT", f"{url}/{single['id']}", as_="alice", json={"answer": []})
    assert cleared.status_code == 200 and cleared.json()["your_answer"] is None
    assert str(single["id"]) not in api("GET", f"/api/attempts/{data['id']}", as_="alice").json()["answers"]


def test_tab_switches_are_counted(api: Any, make_exam: Any, users: Any) -> None:
    exam = make_exam()
    data = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").json()
    url = f"/api/attempts/{data['id']}/events"
    assert api("POST", url, as_="alice", json={"type": "blur"}).json() == {"blur_count": 1}
    assert api("POST", url, as_="alice", json={"type": "focus"}).json() == {"blur_count": 1}
    assert api("POST", url, as_="alice", json={"type": "hidden"}).json() == {"blur_count": 2}
    assert api("POST", url, as_="alice", json={"type": "weird"}).status_code == 422
    assert api("POST", url, as_="bob", json={"type": "blur"}).status_code == 404
    api("POST", f"/api/attempts/{data['id']}/submit", as_="alice")
    rows = api("GET", f"/api/exams/{exam['id']}/results", as_="org").json()["items"]
    assert rows[0]["blur_count"] == 2


def test_delete_only_without_attempts(api: Any, make_exam: Any) -> None:
    unused, used = make_exam(), make_exam()
    api("POST", f"/api/exams/{used['id']}/attempts", as_="alice")
    assert api("DELETE", f"/api/exams/{used['id']}", as_="org").status_code == 409
    assert api("DELETE", f"/api/exams/{unused['id']}", as_="org").status_code == 200
    assert api("GET", f"/api/exams/{unused['id']}", as_="org").status_code == 404


def test_papers_keep_their_version_and_new_papers_get_the_edited_question(api: Any, app: Any, clock: Any,
                                                                          monkeypatch: Any) -> None:
    from quiz.exams import service
    from tests.exams.conftest import seed_bank

    monkeypatch.setattr(service, "BANK_CHECK_S", 0.0)  # edits are seen at the next start, not within a second

    bank = seed_bank(app, [{"type": "judge", "stem": "原来的题干", "answer": [True], "tags": [], "difficulty": 3},
                           {"type": "judge", "stem": "另一题", "answer": [False], "tags": [], "difficulty": 3}])
    exam = api("POST", "/api/exams", as_="org", json=exam_body(
        bank, clock.now_ms(), rules=[{"type": "judge", "count": 2, "points": 1}], pass_score=1, max_attempts=2)).json()
    alice = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice").json()
    question = next(q for q in alice["questions"] if q["stem"] == "原来的题干")
    edited = api("PUT", f"/api/questions/{question['id']}", as_="org",
                 json={"type": "judge", "stem": "改过的题干", "answer": [False], "tags": [], "difficulty": 3})
    assert edited.status_code == 200, edited.text
    bob = api("POST", f"/api/exams/{exam['id']}/attempts", as_="bob").json()
    assert "改过的题干" in [q["stem"] for q in bob["questions"]]
    again = api("GET", f"/api/attempts/{alice['id']}", as_="alice").json()
    assert "原来的题干" in [q["stem"] for q in again["questions"]]
    # Alice is graded on the version she was given (answer true), Bob on the new one (false).
    for who, attempt, answer in (("alice", alice, [True]), ("bob", bob, [False])):
        api("PUT", f"/api/attempts/{attempt['id']}/answers/{question['id']}", as_=who, json={"answer": answer})
        result = api("POST", f"/api/attempts/{attempt['id']}/submit", as_=who).json()
        assert result["correct"] == 1
    # A deleted question is not drawn any more.
    assert api("DELETE", f"/api/questions/{question['id']}", as_="org").status_code in (200, 204)
    short = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert short.status_code == 422 and short.json()["error"]["code"] == "rule_unsatisfiable"
