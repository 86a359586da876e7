"""Grading every type: single, multiple (all-or-nothing and partial), judge, fill (alternatives,
spaces, full-width), short (pending until an organiser grades it, keyword pre-scores)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from quiz.exams.grading import from_cents, grade_item, to_cents
from tests.exams.conftest import exam_body, paper, seed_bank

SINGLE = {"type": "single", "options": [{"key": k} for k in "ABCD"], "answer": ["B"], "points": 200}
MULTIPLE = {"type": "multiple", "options": [{"key": k} for k in "ABCD"], "answer": ["A", "B", "C"], "points": 300}
JUDGE = {"type": "judge", "options": [], "answer": [False], "points": 150}
FILL = {"type": "fill", "options": [], "answer": [["嘉兴南湖", "南湖"], ["1921"]], "points": 400}
SHORT = {"type": "short", "options": [], "answer": ["坚持真理、坚守理想"], "points": 1000,
         "keywords": ["坚持真理", "坚守理想", "践行初心", "担当使命"]}


@pytest.mark.parametrize(("item", "answer", "score", "correct"), [
    (SINGLE, ["B"], 200, True),
    (SINGLE, ["A"], 0, False),
    (SINGLE, None, 0, False),
    (MULTIPLE, ["C", "A", "B"], 300, True),
    (MULTIPLE, ["A", "B"], 0, False),
    (MULTIPLE, ["A", "B", "C", "D"], 0, False),
    (JUDGE, [False], 150, True),
    (JUDGE, [True], 0, False),
    (FILL, ["南湖", "1921"], 400, True),
    (FILL, ["  嘉兴南湖 ", "１９２１"], 400, True),  # surrounding spaces, full-width digits
    (FILL, ["嘉兴", "1921"], 0, False),
    (FILL, ["南湖", ""], 0, False),
])
def test_automatic_grading(item: dict[str, Any], answer: Any, score: int, correct: bool) -> None:
    outcome = grade_item(item, answer, multiple_partial=False)
    assert (outcome.state, outcome.score_cents, outcome.correct) == ("auto", score, correct)


@pytest.mark.parametrize(("answer", "score"), [
    (["A", "B", "C"], 300), (["A", "B"], 200), (["C"], 100), (["A", "D"], 0), (["A", "B", "C", "D"], 0)])
def test_multiple_choice_partial_credit(answer: list[str], score: int) -> None:
    outcome = grade_item(MULTIPLE, answer, multiple_partial=True)
    assert outcome.score_cents == score
    assert outcome.correct is (score == 300)


def test_partial_credit_rounds_to_cents() -> None:
    item = {**MULTIPLE, "points": 100}  # 1 point, 1 of 3 keys: 0.33
    assert grade_item(item, ["A"], multiple_partial=True).score_cents == 33
    assert grade_item(item, ["A", "B"], multiple_partial=True).score_cents == 67


def test_short_answers_are_pending_with_a_keyword_pre_score() -> None:
    outcome = grade_item(SHORT, ["我们要坚持真理，践行初心"], multiple_partial=False)
    assert (outcome.state, outcome.correct, outcome.score_cents, outcome.pre_score_cents) == ("pending", None, 0, 500)
    assert grade_item({**SHORT, "keywords": []}, ["x"], False).pre_score_cents is None
    assert grade_item(SHORT, None, False).state == "auto"  # unanswered: 0, nothing to grade


def test_cents() -> None:
    assert to_cents(1.5) == 150 and to_cents("2") == 200 and to_cents(Decimal("0.01")) == 1
    assert from_cents(150) == 1.5 and from_cents(200) == 2 and isinstance(from_cents(200), int)
    with pytest.raises(ValueError):
        to_cents(1.005)
    with pytest.raises(ValueError):
        to_cents("abc")


def _take(api: Any, app: Any, exam_id: int, who: str, answers: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = api("POST", f"/api/exams/{exam_id}/attempts", as_=who).json()
    items = paper(app, data["id"])
    for item in items:
        answer = answers(item)
        if answer is not None:
            response = api("PUT", f"/api/attempts/{data['id']}/answers/{item['qid']}", as_=who, json={"answer": answer})
            assert response.status_code == 200, response.text
    result = api("POST", f"/api/attempts/{data['id']}/submit", as_=who)
    assert result.status_code == 200
    return result.json(), items


def test_partial_credit_through_the_api(api: Any, app: Any, bank_id: int, clock: Any) -> None:
    body = exam_body(bank_id, clock.now_ms(), rules=[{"type": "multiple", "count": 4, "points": 2.5}],
                     multiple_partial=True, pass_score=5)
    exam = api("POST", "/api/exams", as_="org", json=body).json()
    result, items = _take(api, app, exam["id"], "alice", lambda item: item["answer"][:1])
    # One right key of two or three: 2.5 × 1/2 = 1.25 or 2.5 × 1/3 = 0.83.
    expected = sum(125 if len(i["answer"]) == 2 else 83 for i in items)
    assert result["score"] == from_cents(expected)
    assert result["correct"] == 0 and result["passed"] is (expected >= 500)
    assert {d["status"] for d in result["details"]} == {"partial"}


def test_fill_alternatives_and_full_width_through_the_api(api: Any, app: Any, bank_id: int, clock: Any) -> None:
    body = exam_body(bank_id, clock.now_ms(), rules=[{"type": "fill", "count": 4, "points": 1}], pass_score=4)
    exam = api("POST", "/api/exams", as_="org", json=body).json()

    def answer(item: dict[str, Any]) -> list[str]:
        # The second alternative for blank 1, full-width letters with spaces for blank 2.
        code = item["answer"][1][0].replace("FILLMARK", "ＦＩＬＬＭＡＲＫ")
        return ["  南湖 ", f" {code} "]

    result, _ = _take(api, app, exam["id"], "alice", answer)
    assert result["score"] == 4 and result["passed"] is True


def test_short_answers_pending_until_graded(api: Any, app: Any, bank_id: int, clock: Any) -> None:
    body = exam_body(bank_id, clock.now_ms(), pass_score=10, rules=[
        {"type": "judge", "count": 2, "points": 5},
        {"type": "short", "count": 2, "points": 10, "keywords": ["坚持真理", "坚守理想"]},
    ])
    exam = api("POST", "/api/exams", as_="org", json=body).json()

    def answer(item: dict[str, Any]) -> Any:
        return item["answer"] if item["type"] == "judge" else "要坚持真理"

    result, items = _take(api, app, exam["id"], "alice", answer)
    assert result["score"] == 10 and result["pending"] == 2
    assert result["final"] is False and result["passed"] is None
    queue = api("GET", f"/api/exams/{exam['id']}/grading", as_="org").json()
    assert queue["total"] == 2
    first, second = queue["items"]
    assert first["answer"] == "要坚持真理" and first["pre_score"] == 5 and first["points"] == 10
    assert first["candidate"]["username"] == "alice" and "坚持真理" in first["reference"]
    url = f"/api/exams/{exam['id']}/grading"
    too_high = api("PUT", f"{url}/{first['id']}", as_="org", json={"score": 11})
    assert too_high.status_code == 422
    assert api("PUT", f"{url}/{first['id']}", as_="alice", json={"score": 1}).status_code == 403
    graded = api("PUT", f"{url}/{first['id']}", as_="org", json={"score": 7.5, "comment": "要点不全"}).json()
    assert graded["attempt"]["pending"] == 1 and graded["attempt"]["passed"] is None
    assert api("GET", f"/api/attempts/{result['attempt_id']}", as_="alice").json()["result"]["final"] is False
    # The rest by accepting the keyword pre-score: the result becomes final.
    assert api("POST", f"{url}/accept-prescores", as_="org").json() == {"graded": 1}
    final = api("GET", f"/api/attempts/{result['attempt_id']}", as_="alice").json()["result"]
    assert final["final"] is True and final["score"] == 10 + 7.5 + 5 and final["passed"] is True
    short = [d for d in final["details"] if d["type"] == "short"]
    assert sorted(d["score"] for d in short) == [5, 7.5]
    assert "要点不全" in [d["comment"] for d in short]
    assert api("GET", f"{url}?state=graded", as_="org").json()["total"] == 2
    results = api("GET", f"/api/exams/{exam['id']}/results", as_="org").json()
    assert results["items"][0]["score"] == 22.5 and results["items"][0]["final"] is True
    # A grade can be changed; totals follow.
    api("PUT", f"{url}/{second['id']}", as_="org", json={"score": 0})
    changed = api("GET", f"/api/attempts/{result['attempt_id']}", as_="alice").json()["result"]
    assert changed["score"] == 17.5 and changed["passed"] is True


def test_unanswered_short_answers_need_no_grading(api: Any, app: Any, clock: Any) -> None:
    bank = seed_bank(app, [{"type": "short", "stem": "简述", "answer": ["参考"], "tags": [], "difficulty": 3},
                           {"type": "judge", "stem": "判断", "answer": [True], "tags": [], "difficulty": 3}])
    body = exam_body(bank, clock.now_ms(), pass_score=1, rules=[{"type": "short", "count": 1, "points": 5},
                                                                {"type": "judge", "count": 1, "points": 1}])
    exam = api("POST", "/api/exams", as_="org", json=body).json()
    result, _ = _take(api, app, exam["id"], "alice", lambda item: [True] if item["type"] == "judge" else None)
    assert result["final"] is True and result["pending"] == 0 and result["passed"] is True and result["score"] == 1
