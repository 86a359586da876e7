"""Manual grading of short answers: the queue, a grade, accepting keyword pre-scores.

An attempt with short answers waiting stays provisional (``passed`` is null, ``pending`` > 0);
the last grade makes it final. A grade may be changed later; the attempt's totals are recomputed
from its rows each time, under the attempt's row lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from quiz.errors import Conflict, Invalid, NotFound
from quiz.exams.grading import MANUAL, PENDING, from_cents, to_cents
from quiz.exams.models import AttemptAnswer, Exam, ExamAttempt
from quiz.exams.service import locked_attempt
from quiz.i18n import t
from quiz.models import User
from quiz.timeutil import to_iso


def recompute(session: Session, attempt: ExamAttempt, exam: Exam) -> None:
    rows = session.exec(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)).all()
    attempt.score_cents = sum(r.score_cents for r in rows)
    attempt.correct = sum(1 for r in rows if r.correct)
    attempt.pending = sum(1 for r in rows if r.grade_state == PENDING)
    attempt.passed = None if attempt.pending else attempt.score_cents >= exam.pass_cents
    session.add(attempt)


def queue(session: Session, exam: Exam, state: str, limit: int, offset: int, tz: str) -> dict[str, Any]:
    """Short answers to grade (``state=pending``) or already graded (``state=graded``), oldest first."""
    states = [PENDING] if state == "pending" else [MANUAL]
    where = (AttemptAnswer.exam_id == exam.id) & AttemptAnswer.grade_state.in_(states)  # type: ignore[attr-defined]
    total = session.exec(select(func.count()).select_from(AttemptAnswer).where(where)).one()
    rows = session.exec(select(AttemptAnswer, User.name, User.username, User.unit).join(
        ExamAttempt, ExamAttempt.id == AttemptAnswer.attempt_id).join(User, User.id == ExamAttempt.user_id)
        .where(where).order_by(AttemptAnswer.id).offset(offset).limit(limit)).all()
    papers: dict[int, dict[int, dict[str, Any]]] = {}
    attempt_ids = list({r[0].attempt_id for r in rows})
    if attempt_ids:
        for attempt_id, paper in session.exec(select(ExamAttempt.id, ExamAttempt.paper).where(
                ExamAttempt.id.in_(attempt_ids))):  # type: ignore[union-attr]
            papers[attempt_id or 0] = {int(i["qid"]): i for i in paper}
    items = []
    for row, name, username, unit in rows:
        item = papers.get(row.attempt_id, {}).get(row.question_id, {})
        reference = item.get("answer") or []
        items.append({
            "id": row.id, "attempt_id": row.attempt_id, "question_id": row.question_id,
            "candidate": {"name": name, "username": username, "unit": unit},
            "stem": item.get("stem", ""), "reference": "；".join(str(r) for r in reference),
            "keywords": item.get("keywords", []), "answer": (row.answer or [""])[0],
            "points": from_cents(row.points_cents), "pre_score": from_cents(row.pre_score_cents),
            "score": from_cents(row.score_cents) if row.grade_state == MANUAL else None,
            "comment": row.comment, "state": row.grade_state, "graded_at": to_iso(row.graded_ms, tz),
        })
    return {"items": items, "total": total}


def _answer_row(session: Session, exam: Exam, answer_id: int) -> AttemptAnswer:
    row = session.get(AttemptAnswer, answer_id)
    if row is None or row.exam_id != exam.id or row.grade_state not in (PENDING, MANUAL):
        raise NotFound(t("grade_not_found"), code="grade_not_found")
    return row


def grade_answer(session: Session, exam: Exam, answer_id: int, score: Any, comment: str, grader: User,
                 now_ms: int) -> dict[str, Any]:
    """Give (or change) the score of one short answer; returns the attempt's new totals."""
    row = _answer_row(session, exam, answer_id)
    attempt = locked_attempt(session, row.attempt_id)
    if attempt is None or attempt.status != "submitted":
        raise Conflict(t("exam_not_submitted"), code="exam_not_submitted")
    session.refresh(row)
    cents = to_cents(score)
    if cents > row.points_cents:
        message = t("grade_too_high", points=from_cents(row.points_cents))
        raise Invalid(message, code="grade_too_high", details=[{"field": "score", "message": message}])
    row.grade_state, row.score_cents, row.correct = MANUAL, cents, cents == row.points_cents
    row.comment, row.graded_by, row.graded_ms = comment, grader.id, now_ms
    session.add(row)
    session.flush()
    recompute(session, attempt, exam)
    return {"id": row.id, "score": from_cents(cents), "attempt": {
        "id": attempt.id, "score": from_cents(attempt.score_cents), "pending": attempt.pending,
        "passed": attempt.passed, "final": attempt.pending == 0}}


def accept_prescores(db: Any, exam: Exam, grader: User, now_ms: int) -> int:
    """Grade every pending short answer that has a keyword pre-score with that pre-score."""
    with db.read() as session:
        ids = list(session.exec(select(AttemptAnswer.id).where(
            AttemptAnswer.exam_id == exam.id, AttemptAnswer.grade_state == PENDING,
            AttemptAnswer.pre_score_cents.is_not(None))).all())  # type: ignore[union-attr]
    done = 0
    for answer_id in ids:
        with db.write() as session:
            row = session.get(AttemptAnswer, answer_id)
            if row is None or row.grade_state != PENDING or row.pre_score_cents is None:
                continue
            grade_answer(session, exam, answer_id, from_cents(row.pre_score_cents), "按关键词评分", grader, now_ms)
            done += 1
    return done
