"""The demo test of ``quiz demo``: open now for 30 days, 10 questions from the demo bank, 100 points."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from question_bank.models import Bank
from quiz.demo import load_demo_bank
from quiz.exams.demo import TITLE, seed_demo
from quiz.models import User


def test_seed_demo_creates_an_open_test_members_can_take(app: Any, api: Any, users: Any, clock: Any) -> None:
    from question_bank.service import insert_questions

    info, questions = load_demo_bank()
    with app.state.db.write() as session:
        bank = Bank(name=info["name"], created_ms=clock.now_ms())
        session.add(bank)
        session.flush()
        insert_questions(session, bank.id or 0, questions, clock.now_ms())
        organiser = session.exec(select(User).where(User.username == "org")).one()
    context: dict[str, Any] = {"users": {"organizer": organiser}, "bank": bank, "now_ms": clock.now_ms(),
                               "base_url": "http://127.0.0.1:8000", "lines": [], "team_members": []}
    seed_demo(app.state.db, context)
    seed_demo(app.state.db, context)  # twice: still one test
    exams = api("GET", "/api/exams", as_="org").json()
    assert exams["total"] == 1
    exam = exams["items"][0]
    assert exam["title"] == TITLE and exam["state"] == "open"
    assert exam["question_count"] == 10 and exam["max_score"] == 100 and exam["pass_score"] == 60
    assert exam["closes_ms"] - clock.now_ms() >= 29 * 86_400_000
    assert context["exam"].id == exam["id"]
    assert any(f"/exams/{exam['id']}" in line for line in context["lines"])
    started = api("POST", f"/api/exams/{exam['id']}/attempts", as_="alice")
    assert started.status_code == 201 and len(started.json()["questions"]) == 10
