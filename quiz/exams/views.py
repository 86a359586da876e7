"""How an attempt is shown. The candidate's view is built from a whitelist of fields, so the key and
the explanation frozen in the paper can only appear in ``details`` once review is allowed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from quiz.exams.grading import from_cents
from quiz.exams.models import AttemptAnswer, Exam, ExamAttempt
from quiz.timeutil import to_iso


def public_item(item: dict[str, Any], index: int) -> dict[str, Any]:
    """A paper item as the candidate sees it while answering: no key, no explanation."""
    data: dict[str, Any] = {"id": int(item["qid"]), "index": index, "type": item["type"], "stem": item["stem"],
                            "options": [_shown_option(o) for o in item.get("options") or []],
                            "points": from_cents(int(item.get("points", 0)))}
    if item.get("media"):
        data["media"] = item["media"]
    if item["type"] == "fill":
        data["blanks"] = max(1, len(item.get("answer") or []))
    return data


def _shown_option(option: dict[str, Any]) -> dict[str, Any]:
    shown = {"key": option["key"], "text": option.get("text", "")}
    if option.get("media"):
        shown["media"] = option["media"]  # named by content hash: says nothing of the key
    return shown


def review_allowed(exam: Exam, attempt: ExamAttempt, now_ms: int) -> bool:
    if attempt.status != "submitted" or exam.review == "never":
        return False
    return exam.review == "after_submit" or now_ms >= exam.closes_ms


def review_info(exam: Exam, attempt: ExamAttempt, now_ms: int, tz: str) -> dict[str, Any]:
    available = None
    if exam.review == "after_close":
        available = to_iso(exam.closes_ms, tz)
    return {"mode": exam.review, "allowed": review_allowed(exam, attempt, now_ms), "available_at": available}


def saved_answers(session: Session, attempt_id: int) -> dict[int, Any]:
    """The attempt's rows by question id (plain rows: answer, grade_state, correct, score_cents, comment)."""
    table = AttemptAnswer.__table__  # type: ignore[attr-defined]
    rows = session.execute(select(table.c.question_id, table.c.answer, table.c.grade_state, table.c.correct,
                                  table.c.score_cents, table.c.comment).where(table.c.attempt_id == attempt_id))
    return {int(r.question_id): r for r in rows}


def _status(row: Any) -> str:
    if row is None or row.answer is None:
        return "unanswered"
    if row.grade_state == "pending":
        return "pending"
    if row.correct:
        return "correct"
    return "partial" if row.score_cents > 0 else "wrong"


def result_json(session: Session | None, attempt: ExamAttempt, exam: Exam, now_ms: int, tz: str,
                full: bool = False, rows: dict[int, Any] | None = None) -> dict[str, Any]:
    """The submitted attempt's result; ``details`` carry keys and explanations only when review is allowed
    (or ``full``, for organisers). ``rows``: the graded rows when the caller has them already."""
    allowed = full or review_allowed(exam, attempt, now_ms)
    if rows is None:
        assert session is not None
        rows = saved_answers(session, attempt.id or 0)
    details = []
    for position, item in enumerate(attempt.paper):
        row = rows.get(int(item["qid"]))
        answered = row is not None and row.answer is not None
        entry: dict[str, Any] = {"index": position + 1, "question_id": int(item["qid"]), "type": item["type"],
                                 "points": from_cents(int(item.get("points", 0))), "answered": answered}
        if allowed:
            entry.update(public_item(item, position + 1))
            entry.pop("id", None)
            entry.update({
                "your_answer": row.answer if row else None,
                "score": from_cents(row.score_cents if row else 0),
                "correct": row.correct if row else False,
                "status": _status(row),
                "answer": item.get("answer"),
                "explanation": item.get("explanation", ""),
                "comment": row.comment if row else "",
            })
        details.append(entry)
    return {
        "attempt_id": attempt.id,
        "exam_id": attempt.exam_id,
        "status": attempt.status,
        "score": from_cents(attempt.score_cents),
        "max_score": from_cents(attempt.max_cents),
        "pass_score": from_cents(exam.pass_cents),
        "passed": attempt.passed,
        "final": attempt.pending == 0,
        "pending": attempt.pending,
        "correct": attempt.correct,
        "answered": attempt.answered,
        "total": attempt.total,
        "submitted_at": to_iso(attempt.submitted_ms, tz),
        "submitted_ms": attempt.submitted_ms,
        "submitted_by": attempt.submitted_by,
        "elapsed_ms": (attempt.submitted_ms or attempt.started_ms) - attempt.started_ms,
        "blur_count": attempt.blur_count,
        "review": review_info(exam, attempt, now_ms, tz),
        "details": details,
    }


def attempt_json(session: Session | None, attempt: ExamAttempt, exam: Exam, now_ms: int, tz: str,
                 full: bool = False) -> dict[str, Any]:
    """The attempt for the page: questions in this candidate's order, saved answers, the server's clock.

    ``session`` None: a new attempt, with nothing saved yet (spares a query when thousands start).
    """
    rows = saved_answers(session, attempt.id or 0) if session is not None else {}
    data: dict[str, Any] = {
        "id": attempt.id,
        "exam_id": attempt.exam_id,
        "number": attempt.number,
        "status": attempt.status,
        "exam": {"id": exam.id, "title": exam.title, "duration_s": exam.duration_s,
                 "question_count": attempt.total, "max_score": from_cents(attempt.max_cents),
                 "pass_score": from_cents(exam.pass_cents), "review": exam.review,
                 "closes_at": to_iso(exam.closes_ms, tz)},
        "started_at": to_iso(attempt.started_ms, tz),
        "deadline": to_iso(attempt.deadline_ms, tz),
        "deadline_ms": attempt.deadline_ms,
        "now_ms": now_ms,
        "remaining_ms": max(0, attempt.deadline_ms - now_ms) if attempt.status == "open" else 0,
        "questions": [public_item(item, i + 1) for i, item in enumerate(attempt.paper)],
        "answers": {str(qid): r.answer for qid, r in rows.items() if r.answer is not None},
        "blur_count": attempt.blur_count,
    }
    if attempt.status == "submitted" and session is not None:
        data["result"] = result_json(session, attempt, exam, now_ms, tz, full=full)
    return data
