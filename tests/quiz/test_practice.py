"""Practice through the API (CONTRACT §4): modes, no answer leaks, wrong book, statistics, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from quiz.models import PracticeRecord, WrongBookEntry

SECRET = "SECRETMARK"  # put in every answer text and explanation; never in what a member sees before answering

QUESTIONS: list[dict[str, Any]] = [
    {"type": "single", "stem": "中国共产党第一次全国代表大会在哪里召开？",
     "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}, {"key": "C", "text": "南昌"}],
     "answer": ["A"], "explanation": f"{SECRET}-E1 1921年7月在上海召开。", "tags": ["党史", "建党"], "difficulty": 2},
    {"type": "multiple", "stem": "“四个自信”包括哪些？",
     "options": [{"key": "A", "text": "道路自信"}, {"key": "B", "text": "理论自信"}, {"key": "C", "text": "制度自信"},
                 {"key": "D", "text": "武力自信"}],
     "answer": ["A", "B", "C"], "explanation": f"{SECRET}-E2 还有文化自信。", "tags": ["理论"], "difficulty": 3},
    {"type": "judge", "stem": "党的根本宗旨是全心全意为人民服务。", "answer": [True],
     "explanation": f"{SECRET}-E3", "tags": ["党章"], "difficulty": 1},
    {"type": "fill", "stem": "中共一大最后一天转至（）南湖召开。", "answer": [[f"{SECRET}嘉兴", "嘉兴"]],
     "explanation": f"{SECRET}-E4", "tags": ["党史"], "difficulty": 3},
    {"type": "short", "stem": "简述全面从严治党的意义。", "answer": [f"{SECRET}-参考答案：管党治党。"],
     "explanation": f"{SECRET}-E5", "tags": ["党建"], "difficulty": 4},
    {"type": "single", "stem": "党的最高领导机关是？",
     "options": [{"key": "A", "text": "党的全国代表大会和它所产生的中央委员会"}, {"key": "B", "text": "中央纪委"}],
     "answer": ["A"], "explanation": f"{SECRET}-E6", "tags": ["党章"], "difficulty": 2},
]
RIGHT = {"single": ["A"], "multiple": ["A", "B", "C"], "judge": [True], "fill": ["嘉兴"], "short": "管党治党"}
WRONG = {"single": ["B"], "multiple": ["A", "B"], "judge": [False], "fill": ["北京"]}


@pytest.fixture
def bank(api: Any) -> dict[str, Any]:
    """A bank with the six questions above; returns {"id", "questions": [full question dicts in id order]}."""
    response = api("POST", "/api/banks", as_="org", json={"name": "练习题库", "description": "测试"})
    assert response.status_code == 201, response.text
    bank_id = response.json()["id"]
    created = []
    for q in QUESTIONS:
        r = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json=q)
        assert r.status_code == 201, r.text
        created.append(r.json())
    return {"id": bank_id, "questions": created, "by_id": {q["id"]: q for q in created}}


def start(api: Any, bank: dict[str, Any], as_: str = "alice", **kwargs: Any) -> Any:
    return api("POST", "/api/practice", as_=as_, json={"bank_id": bank["id"], **kwargs})


def answer(api: Any, practice_id: int, question_id: int, value: Any, as_: str = "alice") -> Any:
    return api("POST", f"/api/practice/{practice_id}/answers", as_=as_,
               json={"question_id": question_id, "answer": value})


def right(question: dict[str, Any]) -> Any:
    return RIGHT[question["type"]]


def wrong(question: dict[str, Any]) -> Any:
    return WRONG[question["type"]]


def assert_no_secret(payload: Any) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    assert SECRET not in text, text
    if isinstance(payload, dict) and "question" in payload and payload["question"]:
        assert "answer" not in payload["question"] and "explanation" not in payload["question"]


def wrong_book_ids(api: Any, bank: dict[str, Any], as_: str = "alice") -> list[int]:
    body = api("GET", f"/api/me/wrong-book?bank_id={bank['id']}", as_=as_).json()
    assert body["total"] == len(body["items"])
    return sorted(item["id"] for item in body["items"])


def run_through(api: Any, bank: dict[str, Any], practice: dict[str, Any], choose: Any, as_: str = "alice") -> list[int]:
    """Answer every question of a session in the order served; returns the question ids seen."""
    seen = []
    question = practice["question"]
    while question is not None:
        assert_no_secret(question)
        seen.append(question["id"])
        r = answer(api, practice["id"], question["id"], choose(bank["by_id"][question["id"]]), as_=as_)
        assert r.status_code == 200, r.text
        assert_no_secret(r.json()["next"])
        question = r.json()["next"]
    return seen


# --- flows -------------------------------------------------------------------------------------


def test_sequential_flow_answers_explanations_progress(api, users, bank):
    ids = [q["id"] for q in bank["questions"]]
    r = start(api, bank, mode="sequential", count=20)
    assert r.status_code == 201, r.text
    practice = r.json()
    assert practice["total"] == 6 and practice["question"]["id"] == ids[0]
    assert_no_secret(practice)
    assert set(practice["question"]) >= {"id", "type", "stem", "options"}

    r = answer(api, practice["id"], ids[0], ["A"])
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["correct"] is True and body["answer"] == ["A"]
    assert body["explanation"].startswith(f"{SECRET}-E1")
    assert body["progress"] == {"done": 1, "correct": 1, "total": 6}
    assert body["next"]["id"] == ids[1]
    assert_no_secret(body["next"])

    r = answer(api, practice["id"], ids[1], ["A", "B"])  # missing C
    body = r.json()
    assert body["correct"] is False and body["answer"] == ["A", "B", "C"]
    assert body["progress"] == {"done": 2, "correct": 1, "total": 6}

    got = api("GET", f"/api/practice/{practice['id']}", as_="alice")
    assert got.status_code == 200
    assert got.json()["question"]["id"] == ids[2] and got.json()["progress"]["done"] == 2
    assert_no_secret(got.json())

    assert answer(api, practice["id"], ids[2], "正确").json()["correct"] is True
    assert answer(api, practice["id"], ids[3], ["  嘉兴 "]).json()["correct"] is True
    short = answer(api, practice["id"], ids[4], "管党治党").json()
    assert short["correct"] is None and short["graded"] is False
    assert short["answer"] == [f"{SECRET}-参考答案：管党治党。"]
    last = answer(api, practice["id"], ids[5], "a").json()
    assert last["correct"] is True and last["next"] is None
    assert last["progress"] == {"done": 6, "correct": 4, "total": 6}
    done = api("GET", f"/api/practice/{practice['id']}", as_="alice").json()
    assert done["question"] is None and done["progress"]["done"] == 6


def test_sequential_carries_on_where_the_member_stopped(api, users, bank):
    ids = [q["id"] for q in bank["questions"]]
    first = start(api, bank, mode="sequential", count=2).json()
    assert run_through(api, bank, first, right) == ids[:2]
    second = start(api, bank, mode="sequential", count=2).json()
    assert second["question"]["id"] == ids[2]
    assert run_through(api, bank, second, right) == ids[2:4]
    # another member starts at the beginning
    assert start(api, bank, as_="bob", mode="sequential", count=2).json()["question"]["id"] == ids[0]
    third = start(api, bank, mode="sequential", count=3).json()
    assert run_through(api, bank, third, right) == ids[4:6] + ids[:1]


def test_random_mode_draws_distinct_questions_of_the_bank(api, users, bank):
    ids = {q["id"] for q in bank["questions"]}
    practice = start(api, bank, mode="random", count=4).json()
    assert practice["total"] == 4
    seen = run_through(api, bank, practice, right)
    assert len(seen) == 4 and len(set(seen)) == 4 and set(seen) <= ids
    everything = start(api, bank, mode="random", count=50).json()
    assert everything["total"] == 6
    assert set(run_through(api, bank, everything, right)) == ids


def test_tags_filter(api, users, bank):
    practice = start(api, bank, mode="sequential", tags=["党史"]).json()
    expected = [q["id"] for q in bank["questions"] if "党史" in q["tags"]]
    assert practice["total"] == len(expected) == 2
    assert run_through(api, bank, practice, right) == expected
    r = start(api, bank, tags=["不存在的标签"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "practice_empty"


def test_wrong_answers_enter_the_wrong_book_and_wrong_book_mode(api, users, bank):
    ids = [q["id"] for q in bank["questions"]]
    r = start(api, bank, mode="wrong_book")
    assert r.status_code == 404 and r.json()["error"]["code"] == "practice_empty"

    practice = start(api, bank, mode="sequential").json()
    wrong_ids = {ids[0], ids[2], ids[3]}
    run_through(api, bank, practice, lambda q: wrong(q) if q["id"] in wrong_ids else right(q))
    assert wrong_book_ids(api, bank) == sorted(wrong_ids)
    book = api("GET", f"/api/me/wrong-book?bank_id={bank['id']}", as_="alice").json()["items"]
    assert {i["wrong_count"] for i in book} == {1}
    entry = next(i for i in book if i["id"] == ids[0])
    assert entry["last_answer"] == ["B"] and entry["answer"] == ["A"]
    # the short question (not graded) never enters the book; bob's book is his own
    assert wrong_book_ids(api, bank, as_="bob") == []

    review = start(api, bank, mode="wrong_book").json()
    assert review["total"] == 3
    assert sorted(run_through(api, bank, review, wrong)) == sorted(wrong_ids)
    book = api("GET", f"/api/me/wrong-book?bank_id={bank['id']}", as_="alice").json()["items"]
    assert {i["wrong_count"] for i in book} == {2}


def test_two_right_answers_in_a_row_take_a_question_out(api, users, bank):
    q1, q2 = bank["questions"][0], bank["questions"][1]
    first = start(api, bank, mode="sequential", count=2).json()
    run_through(api, bank, first, wrong)
    assert wrong_book_ids(api, bank) == sorted([q1["id"], q2["id"]])

    # q1: right, right (in two sessions) -> out. q2: right, wrong, right -> still in (the streak restarted).
    s = start(api, bank, mode="wrong_book").json()
    run_through(api, bank, s, right)
    assert wrong_book_ids(api, bank) == sorted([q1["id"], q2["id"]])
    s = start(api, bank, mode="wrong_book").json()
    run_through(api, bank, s, lambda q: right(q) if q["id"] == q1["id"] else wrong(q))
    assert wrong_book_ids(api, bank) == [q2["id"]]
    s = start(api, bank, mode="wrong_book").json()
    assert s["total"] == 1
    run_through(api, bank, s, right)
    assert wrong_book_ids(api, bank) == [q2["id"]]
    # right answers in sequential practice count too
    s = start(api, bank, mode="random", count=50).json()
    run_through(api, bank, s, right)
    assert wrong_book_ids(api, bank) == []
    assert start(api, bank, mode="wrong_book").status_code == 404
    # a new mistake puts a mastered question back
    s = start(api, bank, mode="sequential", count=1).json()
    assert s["question"]["id"] == q1["id"]
    run_through(api, bank, s, wrong)
    assert wrong_book_ids(api, bank) == [q1["id"]]


def test_stats_per_tag(api, users, bank):
    ids = [q["id"] for q in bank["questions"]]
    practice = start(api, bank, mode="sequential").json()
    wrong_ids = {ids[0], ids[1]}  # 党史+建党 and 理论 wrong
    run_through(api, bank, practice, lambda q: wrong(q) if q["id"] in wrong_ids else right(q))
    stats = api("GET", "/api/me/stats", as_="alice").json()
    per_tag = {row["tag"]: (row["answered"], row["correct"], row["rate"]) for row in stats["tags"]}
    assert per_tag["党史"] == (2, 1, 0.5)
    assert per_tag["建党"] == (1, 0, 0.0)
    assert per_tag["理论"] == (1, 0, 0.0)
    assert per_tag["党章"] == (2, 2, 1.0)
    assert "党建" not in per_tag  # only the short question has it: not graded, not counted
    assert (stats["answered"], stats["correct"], stats["rate"]) == (5, 3, 0.6)
    assert stats["wrong_book"] == 2
    # the wrong-book count follows the book: a deleted question leaves both
    assert api("DELETE", f"/api/questions/{ids[0]}", as_="org").status_code == 200
    assert api("GET", "/api/me/stats", as_="alice").json()["wrong_book"] == 1
    assert api("GET", f"/api/me/stats?bank_id={bank['id']}", as_="alice").json()["wrong_book"] == 1
    # bob has nothing; the filter by bank works
    assert api("GET", "/api/me/stats", as_="bob").json()["answered"] == 0
    assert api("GET", f"/api/me/stats?bank_id={bank['id'] + 1000}", as_="alice").json()["answered"] == 0


# --- refusals ------------------------------------------------------------------------------------


def test_answering_twice_is_409_and_nothing_changes(api, users, bank, app):
    q = bank["questions"][0]
    practice = start(api, bank, mode="sequential").json()
    assert answer(api, practice["id"], q["id"], ["B"]).status_code == 200
    r = answer(api, practice["id"], q["id"], ["A"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "practice_already_answered"
    got = api("GET", f"/api/practice/{practice['id']}", as_="alice").json()
    assert got["progress"] == {"done": 1, "correct": 0, "total": 6}
    with app.state.db.read() as session:
        assert session.exec(select(func.count()).select_from(PracticeRecord)).one() == 1
        entry = session.exec(select(WrongBookEntry)).one()
        assert entry.wrong_count == 1 and entry.right_streak == 0


def test_question_not_in_the_session_is_422(api, users, bank):
    ids = [q["id"] for q in bank["questions"]]
    practice = start(api, bank, mode="sequential", count=2).json()
    r = answer(api, practice["id"], ids[4], "x")
    assert r.status_code == 422 and r.json()["error"]["code"] == "practice_not_in_session"
    r = answer(api, practice["id"], 987654, ["A"])
    assert r.status_code == 422


def test_another_members_practice_is_404(api, users, bank):
    practice = start(api, bank, mode="sequential").json()
    qid = practice["question"]["id"]
    r = api("GET", f"/api/practice/{practice['id']}", as_="bob")
    assert r.status_code == 404 and r.json()["error"]["code"] == "practice_not_found"
    r = answer(api, practice["id"], qid, ["A"], as_="bob")
    assert r.status_code == 404
    assert api("GET", "/api/practice/999999", as_="alice").status_code == 404
    assert api("GET", f"/api/practice/{practice['id']}", as_="alice").json()["progress"]["done"] == 0


def test_start_refusals(api, users, bank):
    assert api("POST", "/api/practice", as_="alice", json={"bank_id": 99999}).json()["error"]["code"] == "bank_not_found"
    for body in ({}, {"bank_id": "x"}, {"bank_id": bank["id"], "mode": "exam"}, {"bank_id": bank["id"], "count": 0},
                 {"bank_id": bank["id"], "count": 100000}, {"bank_id": bank["id"], "tags": "党史"},
                 {"bank_id": 10**30}, {"bank_id": -1}):
        r = api("POST", "/api/practice", as_="alice", json=body)
        assert r.status_code in (404, 422), (body, r.status_code, r.text)
        assert "error" in r.json()
    assert api("POST", "/api/practice", as_="alice", json=[1]).status_code == 400
    assert api("POST", "/api/practice", json={"bank_id": bank["id"]}).status_code == 401


MALFORMED: dict[str, list[Any]] = {
    "single": [None, [], "", ["Z"], ["A", "B"], "AB", [1], [["A"]], {"key": "A"}, 3, True, ["é"], "x" * 10000],
    "multiple": [None, [], ["A", "Q"], [None], {"A": True}, 1.5, [["A", "B"]]],
    "judge": [None, [], "maybe", [1], ["true", "false"], {"v": True}, 0, [[True]]],
    "fill": [None, 5, [], ["a", "b"], [{"x": 1}], [["嘉兴", "上海"]], [None], {"0": "嘉兴"}],
    "short": [None, 7, ["a", "b"], {"text": "x"}, [[1]]],
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_answers_are_422_never_500(api, users, bank, kind):
    index = next(i for i, q in enumerate(bank["questions"]) if q["type"] == kind)
    question = bank["questions"][index]
    practice = start(api, bank, mode="sequential").json()
    for value in MALFORMED[kind]:
        r = answer(api, practice["id"], question["id"], value)
        assert r.status_code == 422, (kind, value, r.status_code, r.text)
        error = r.json()["error"]
        assert error["code"] == "answer_invalid" and error["details"][0]["field"] == "answer"
    # the question is still open: a proper answer is taken
    assert answer(api, practice["id"], question["id"], right(question)).status_code == 200


def test_malformed_answer_bodies(api, users, bank):
    practice = start(api, bank, mode="sequential").json()
    url = f"/api/practice/{practice['id']}/answers"
    for body in ({}, {"question_id": "abc", "answer": ["A"]}, {"question_id": None}, {"question_id": [1]},
                 {"question_id": 10**30, "answer": ["A"]}):
        r = api("POST", url, as_="alice", json=body)
        assert r.status_code == 422, (body, r.text)
    for raw in (b"[]", b"\"A\"", b"{bad json", "{\"question_id\": 1, \"answer\": \"\udcff\"}".encode("utf-8", "surrogatepass")):
        r = api("POST", url, as_="alice", content=raw, headers={"content-type": "application/json"})
        assert r.status_code in (400, 422), (raw, r.text)
    short = next(q for q in bank["questions"] if q["type"] == "short")
    for raw in (b'{"question_id": %d, "answer": "\\ud800"}' % short["id"],
                b'{"question_id": %d, "answer": ["\\udfff x"]}' % short["id"]):
        r = api("POST", url, as_="alice", content=raw, headers={"content-type": "application/json"})
        assert r.status_code in (400, 422), (raw, r.text)
    r = api("POST", "/api/practice/99999999999999999999999/answers", as_="alice", json={"question_id": 1, "answer": "A"})
    assert r.status_code == 404, r.text
    r = api("GET", "/api/practice/99999999999999999999999", as_="alice")
    assert r.status_code == 404, r.text
    r = api("GET", "/api/me/wrong-book?bank_id=99999999999999999999999", as_="alice")
    assert r.status_code in (200, 422), r.text
    r = api("GET", "/api/me/wrong-book?bank_id=abc", as_="alice")
    assert r.status_code == 422, r.text
    r = api("GET", "/api/me/wrong-book?offset=99999999999999999999999", as_="alice")
    assert r.status_code in (200, 400), r.text


def test_deleted_question_leaves_the_wrong_book_and_practice(api, users, bank):
    q = bank["questions"][0]
    practice = start(api, bank, mode="sequential", count=1).json()
    run_through(api, bank, practice, wrong)
    assert wrong_book_ids(api, bank) == [q["id"]]
    assert api("DELETE", f"/api/questions/{q['id']}", as_="org").status_code == 200
    assert wrong_book_ids(api, bank) == []
    again = start(api, bank, mode="sequential", count=50).json()
    assert q["id"] not in run_through(api, bank, again, right)


def test_members_never_get_answers_from_the_bank_endpoints(api, users, bank):
    listed = api("GET", f"/api/banks/{bank['id']}/questions?limit=100", as_="alice")
    assert listed.status_code == 200 and listed.json()["total"] == 6
    assert_no_secret(listed.json())
    for q in bank["questions"]:
        one = api("GET", f"/api/questions/{q['id']}", as_="alice")
        assert one.status_code == 200
        assert_no_secret(one.json())
    # the organizer does see them
    assert SECRET in api("GET", f"/api/banks/{bank['id']}/questions", as_="org").text
