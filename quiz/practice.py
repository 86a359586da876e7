"""Practice (CONTRACT §4): sequential, random and wrong-book sessions, instant feedback, statistics."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.routing import Route

from question_bank.grading import AnswerError, grade, normalise_answer
from question_bank.models import Bank, Question, QuestionTag
from quiz.errors import Conflict, Invalid, NotFound
from quiz.i18n import t
from quiz.models import PracticeRecord, PracticeSession, User, WrongBookEntry
from quiz.web import Ctx, Id, api

MASTERED_AFTER = 2  # right answers in a row that take a question out of the wrong book


class PracticeIn(BaseModel):
    bank_id: Id
    mode: Literal["sequential", "random", "wrong_book"] = "sequential"
    tags: list[str] = Field(default_factory=list, max_length=50)
    count: int = Field(default=20, ge=1, le=500)


class AnswerIn(BaseModel):
    question_id: Id
    answer: Any = None


def _candidate_ids(session: Session, user: User, data: PracticeIn) -> list[int]:
    alive = (Question.bank_id == data.bank_id) & (Question.deleted == False)  # noqa: E712
    query = select(Question.id).where(alive)
    if data.tags:
        query = query.where(Question.id.in_(  # type: ignore[union-attr]
            select(QuestionTag.question_id).where(QuestionTag.bank_id == data.bank_id,
                                                  QuestionTag.tag.in_(data.tags))))  # type: ignore[attr-defined]
    if data.mode == "wrong_book":
        query = query.where(Question.id.in_(select(WrongBookEntry.question_id).where(  # type: ignore[union-attr]
            WrongBookEntry.user_id == user.id, WrongBookEntry.bank_id == data.bank_id,
            WrongBookEntry.mastered == False)))  # noqa: E712
    ids = list(session.exec(query.order_by(Question.id)).all())
    if data.mode == "random":
        return random.sample(ids, min(data.count, len(ids)))
    if data.mode == "sequential" and ids:
        # Carry on after the last question this member practised in this bank: sequential means "the next ones".
        last = session.exec(select(func.max(PracticeRecord.question_id)).where(
            PracticeRecord.user_id == user.id, PracticeRecord.bank_id == data.bank_id,
            PracticeRecord.question_id.in_(ids))).one()  # type: ignore[attr-defined]
        if last is not None and last < ids[-1]:
            start = next(i for i, qid in enumerate(ids) if qid > last)
            ids = ids[start:] + ids[:start]
    return ids[: data.count]


def _public(session: Session, question_id: int | None) -> dict[str, Any] | None:
    if question_id is None:
        return None
    question = session.get(Question, question_id)
    return question.public() if question else None


def _session_or_404(session: Session, ctx: Ctx) -> PracticeSession:
    practice = session.get(PracticeSession, ctx.path_int("practice_id"))
    if practice is None or ctx.user is None or practice.user_id != ctx.user.id:
        raise NotFound(t("practice_not_found"), code="practice_not_found")
    return practice


def _next_id(practice: PracticeSession, answered: set[int]) -> int | None:
    return next((qid for qid in practice.question_ids if qid not in answered), None)


def _progress(practice: PracticeSession) -> dict[str, int]:
    return {"done": practice.done, "correct": practice.correct, "total": len(practice.question_ids)}


@api(role="member", status=201)
def start(ctx: Ctx) -> Any:
    """Start a practice session; the first question comes without its answer."""
    assert ctx.user
    data = ctx.parse(PracticeIn)
    with ctx.db.write() as session:
        if session.get(Bank, data.bank_id) is None:
            raise NotFound(t("bank_not_found"), code="bank_not_found")
        ids = _candidate_ids(session, ctx.user, data)
        if not ids:
            raise NotFound(t("practice_empty"), code="practice_empty")
        practice = PracticeSession(user_id=ctx.user.id or 0, bank_id=data.bank_id, mode=data.mode, tags=data.tags,
                                   question_ids=ids, created_ms=ctx.now_ms())
        session.add(practice)
        session.flush()
        return {"id": practice.id, "total": len(ids), "mode": data.mode, "question": _public(session, ids[0]),
                "progress": _progress(practice)}


@api(role="member")
def get_practice(ctx: Ctx) -> Any:
    """Where a practice session stands: the next question (without answer) and progress."""
    with ctx.db.read() as session:
        practice = _session_or_404(session, ctx)
        answered = set(session.exec(select(PracticeRecord.question_id).where(
            PracticeRecord.session_id == practice.id)).all())
        return {"id": practice.id, "total": len(practice.question_ids), "mode": practice.mode,
                "question": _public(session, _next_id(practice, answered)), "progress": _progress(practice)}


def update_wrong_book(session: Session, user_id: int, bank_id: int, question_id: int, correct: bool,
                      answer: Any, now_ms: int) -> None:
    entry = session.exec(select(WrongBookEntry).where(WrongBookEntry.user_id == user_id,
                                                      WrongBookEntry.question_id == question_id)).first()
    if correct:
        if entry is None or entry.mastered:
            return
        entry.right_streak += 1
        entry.mastered = entry.right_streak >= MASTERED_AFTER
    else:
        if entry is None:
            entry = WrongBookEntry(user_id=user_id, bank_id=bank_id, question_id=question_id)
        entry.wrong_count += 1
        entry.right_streak = 0
        entry.mastered = False
        entry.last_answer = answer
    entry.updated_ms = now_ms
    session.add(entry)


@api(role="member")
def answer(ctx: Ctx) -> Any:
    """Answer the current question: correct or not, the answer, the explanation, and the next question."""
    assert ctx.user
    data = ctx.parse(AnswerIn)
    now = ctx.now_ms()
    with ctx.db.write() as session:
        practice = _session_or_404(session, ctx)
        if data.question_id not in practice.question_ids:
            raise Invalid(t("practice_not_in_session"), code="practice_not_in_session")
        question = session.get(Question, data.question_id)
        if question is None:
            raise NotFound(t("question_not_found"), code="question_not_found")
        snapshot = question.snapshot()
        try:
            given = normalise_answer(snapshot, data.answer)
        except AnswerError as exc:
            raise Invalid(t("answer_invalid", reason=str(exc)), code="answer_invalid",
                          details=[{"field": "answer", "message": str(exc)}]) from None
        verdict = grade(snapshot, given)
        correct = bool(verdict)
        answered = set(session.exec(select(PracticeRecord.question_id).where(
            PracticeRecord.session_id == practice.id)).all())
        if data.question_id in answered:
            raise Conflict(t("practice_already_answered"), code="practice_already_answered")
        session.add(PracticeRecord(session_id=practice.id or 0, user_id=ctx.user.id or 0, bank_id=practice.bank_id,
                                   question_id=data.question_id, answer=given, correct=correct, tags=question.tags,
                                   created_ms=now))
        practice.done += 1
        practice.correct += int(correct)
        session.add(practice)
        if verdict is not None:
            update_wrong_book(session, ctx.user.id or 0, practice.bank_id, data.question_id, correct, given, now)
        answered.add(data.question_id)
        return {
            "correct": correct if verdict is not None else None,
            "answer": question.answer,
            "explanation": question.explanation,
            "your_answer": given,
            "graded": verdict is not None,
            "next": _public(session, _next_id(practice, answered)),
            "progress": _progress(practice),
        }


@api(role="member")
def wrong_book(ctx: Ctx) -> Any:
    """Questions answered wrong and not yet mastered (with answers: the member has seen them)."""
    assert ctx.user
    limit, offset = ctx.page_args(100)
    query = select(WrongBookEntry, Question).join(Question, Question.id == WrongBookEntry.question_id).where(
        WrongBookEntry.user_id == ctx.user.id, WrongBookEntry.mastered == False, Question.deleted == False)  # noqa: E712
    bank_id = ctx.query_int("bank_id")
    if bank_id is not None:
        query = query.where(WrongBookEntry.bank_id == bank_id)
    with ctx.db.read() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(WrongBookEntry.updated_ms.desc()).offset(offset).limit(limit)).all()  # type: ignore[attr-defined]
    items = [{**q.full(), "wrong_count": e.wrong_count, "right_streak": e.right_streak, "last_answer": e.last_answer}
             for e, q in rows]
    return {"items": items, "total": total}


@api(role="member")
def stats(ctx: Ctx) -> Any:
    """Per tag: answered, correct and rate; with overall totals."""
    assert ctx.user
    query = select(PracticeRecord.tags, PracticeRecord.correct).where(PracticeRecord.user_id == ctx.user.id)
    bank_id = ctx.query_int("bank_id")
    if bank_id is not None:
        query = query.where(PracticeRecord.bank_id == bank_id)
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    answered = correct = 0
    with ctx.db.read() as session:
        for tags, right in session.exec(query):
            answered += 1
            correct += int(right)
            for tag in tags or ["未分类"]:
                per_tag[tag][0] += 1
                per_tag[tag][1] += int(right)
        wrong_open = session.exec(select(func.count()).select_from(WrongBookEntry).where(
            WrongBookEntry.user_id == ctx.user.id, WrongBookEntry.mastered == False)).one()  # noqa: E712
    tags = [{"tag": tag, "answered": a, "correct": c, "rate": round(c / a, 4) if a else 0.0}
            for tag, (a, c) in sorted(per_tag.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    return {"answered": answered, "correct": correct, "rate": round(correct / answered, 4) if answered else 0.0,
            "wrong_book": wrong_open, "tags": tags}


routes = [
    Route("/api/practice", start, methods=["POST"]),
    Route("/api/practice/{practice_id:int}", get_practice, methods=["GET"]),
    Route("/api/practice/{practice_id:int}/answers", answer, methods=["POST"]),
    Route("/api/me/wrong-book", wrong_book, methods=["GET"]),
    Route("/api/me/stats", stats, methods=["GET"]),
]
