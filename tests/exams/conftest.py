"""Fixtures for discipline tests: a bank with every type (answers carry markers that must never leak),
a test built from rules, and helpers to read a candidate's frozen paper from the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from quiz.timeutil import to_iso
from tests.browser.conftest import browser, live_server, new_page, shot  # noqa: F401  (browser fixtures, shared)

MINUTE = 60_000
DAY = 86_400_000
OPTS = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]


def bank_questions() -> list[dict[str, Any]]:
    """8 single, 6 multiple, 6 judge, 4 fill, 3 short; explanations and text answers carry MARK markers."""
    questions: list[dict[str, Any]] = []
    for i in range(8):
        questions.append({"type": "single", "stem": f"单选题{i}", "options": OPTS, "answer": ["ABCD"[i % 4]],
                          "explanation": f"EXPLMARK-single-{i}", "tags": ["党章" if i < 4 else "纪律"],
                          "difficulty": 1 + i % 4})
    for i in range(6):
        questions.append({"type": "multiple", "stem": f"多选题{i}", "options": OPTS,
                          "answer": ["A", "B", "C"] if i % 2 == 0 else ["B", "D"],
                          "explanation": f"EXPLMARK-multiple-{i}", "tags": ["纪律"], "difficulty": 3})
    for i in range(6):
        questions.append({"type": "judge", "stem": f"判断题{i}", "answer": [i % 2 == 0],
                          "explanation": f"EXPLMARK-judge-{i}", "tags": ["党章"], "difficulty": 2})
    for i in range(4):
        questions.append({"type": "fill", "stem": f"填空题{i}：会议在（）召开，代号（）",
                          "answer": [["嘉兴南湖", "南湖"], [f"FILLMARK{i}"]],
                          "explanation": f"EXPLMARK-fill-{i}", "tags": ["党史"], "difficulty": 2})
    for i in range(3):
        questions.append({"type": "short", "stem": f"简答题{i}", "answer": [f"SHORTMARK{i} 坚持真理 坚守理想"],
                          "explanation": f"EXPLMARK-short-{i}", "tags": ["党史"], "difficulty": 4})
    return questions


def seed_bank(app: Any, questions: list[dict[str, Any]] | None = None, name: str = "测试题库") -> int:
    from question_bank.formats import QuestionData
    from question_bank.models import Bank
    from question_bank.service import insert_questions

    now = app.state.clock.now_ms()
    items = [QuestionData(**{"options": [], **q}) for q in (bank_questions() if questions is None else questions)]
    with app.state.db.write() as session:
        bank = Bank(name=name, created_ms=now)
        session.add(bank)
        session.flush()
        insert_questions(session, bank.id or 0, items, now)
        return bank.id or 0


@pytest.fixture
def bank_id(app: Any, client: Any) -> int:
    return seed_bank(app)


def exam_body(bank_id: int, now_ms: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "2026年上半年党规党纪测试", "bank_id": bank_id,
        "rules": [{"type": "single", "count": 4, "tags": [], "difficulty": [1, 5], "points": 2},
                  {"type": "multiple", "count": 2, "tags": ["纪律"], "points": 3},
                  {"type": "judge", "count": 2, "points": 1.5},
                  {"type": "fill", "count": 1, "points": 4}],
        "duration_s": 1800, "opens_at": to_iso(now_ms), "closes_at": to_iso(now_ms + DAY),
        "max_attempts": 1, "shuffle_questions": True, "shuffle_options": True, "pass_score": 12,
        "multiple_partial": False, "review": "after_submit", "audience": {"units": []},
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_exam(api: Callable[..., Any], bank_id: int, clock: Any) -> Callable[..., dict[str, Any]]:
    """``make_exam(**overrides)`` creates a test as the organiser and returns its JSON."""

    def make(**overrides: Any) -> dict[str, Any]:
        response = api("POST", "/api/exams", as_="org", json=exam_body(bank_id, clock.now_ms(), **overrides))
        assert response.status_code == 201, response.text
        return response.json()

    return make


def paper(app: Any, attempt_id: int) -> list[dict[str, Any]]:
    """The frozen paper (keys in the labels the candidate saw), straight from the database."""
    from quiz.exams.models import ExamAttempt

    with app.state.db.read() as session:
        attempt = session.get(ExamAttempt, attempt_id)
        assert attempt is not None
        return attempt.paper


def right_answer(item: dict[str, Any]) -> Any:
    """What a candidate would send to get ``item`` right."""
    if item["type"] == "fill":
        return [alternatives[0] for alternatives in item["answer"]]
    if item["type"] == "short":
        return "坚持真理"
    return item["answer"]


def wrong_answer(item: dict[str, Any]) -> Any:
    if item["type"] in ("single", "multiple"):
        keys = [o["key"] for o in item["options"] if o["key"] not in item["answer"]]
        return keys[:1]
    if item["type"] == "judge":
        return [not item["answer"][0]]
    if item["type"] == "fill":
        return ["错" for _ in item["answer"]]
    return "不知道"
