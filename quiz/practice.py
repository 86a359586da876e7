"""Practice (CONTRACT §4): sequential, random and wrong-book sessions, instant feedback, statistics."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, bindparam, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from starlette.routing import Route

from question_bank.grading import AnswerError, grade, normalise_answer
from question_bank.models import Bank, Question, QuestionTag
from quiz.errors import Conflict, Invalid, NotFound
from quiz.i18n import t
from quiz.models import PracticeRecord, PracticeSession, WrongBookEntry
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


def _alive(bank_id: int, tags: list[str]) -> Any:
    """Ids of the bank's live questions (with any of ``tags``), as a Core select."""
    query = select(Question.id).where(Question.bank_id == bank_id, Question.deleted == False)  # noqa: E712
    if tags:
        query = query.where(Question.id.in_(  # type: ignore[union-attr]
            select(QuestionTag.question_id).where(QuestionTag.bank_id == bank_id,
                                                  QuestionTag.tag.in_(tags))))  # type: ignore[attr-defined]
    return query


def _candidate_ids(conn: Connection, user_id: int, data: PracticeIn) -> list[int]:
    """The questions of a new session, chosen in SQL (a bank may hold tens of thousands)."""
    query = _alive(data.bank_id, data.tags)
    if data.mode == "wrong_book":
        query = query.where(Question.id.in_(select(WrongBookEntry.question_id).where(  # type: ignore[union-attr]
            WrongBookEntry.user_id == user_id, WrongBookEntry.bank_id == data.bank_id,
            WrongBookEntry.mastered == False)))  # noqa: E712
    if data.mode == "random":
        return list(conn.execute(query.order_by(func.random()).limit(data.count)).scalars())
    if data.mode == "wrong_book":
        return list(conn.execute(query.order_by(Question.id).limit(data.count)).scalars())
    # Sequential carries on after the last question this member practised here, then wraps around.
    last = conn.execute(select(func.max(PracticeRecord.question_id)).where(
        PracticeRecord.user_id == user_id, PracticeRecord.bank_id == data.bank_id,
        PracticeRecord.question_id.in_(query))).scalar()  # type: ignore[attr-defined]
    if last is None:
        return list(conn.execute(query.order_by(Question.id).limit(data.count)).scalars())
    ids = list(conn.execute(query.where(Question.id > last).order_by(Question.id).limit(data.count)).scalars())
    if len(ids) < data.count:
        ids += conn.execute(query.where(Question.id <= last).order_by(Question.id)
                            .limit(data.count - len(ids))).scalars()
    return ids


_PUBLIC_COLUMNS = (Question.id, Question.bank_id, Question.type, Question.stem, Question.options, Question.tags,
                   Question.difficulty)
_ANSWER_COLUMNS = (Question.answer, Question.explanation, Question.version)


def _public_row(row: Any) -> dict[str, Any]:
    """The same shape as ``Question.public()``, from a Core row."""
    return {"id": row.id, "bank_id": row.bank_id, "type": row.type, "stem": row.stem, "options": row.options,
            "tags": row.tags, "difficulty": row.difficulty}


def _public(conn: Connection, question_id: int | None) -> dict[str, Any] | None:
    if question_id is None:
        return None
    row = conn.execute(select(*_PUBLIC_COLUMNS).where(Question.id == question_id)).first()
    return _public_row(row) if row else None


def _not_found() -> NotFound:
    return NotFound(t("practice_not_found"), code="practice_not_found")


def _next_id(question_ids: list[int], answered: set[int]) -> int | None:
    return next((qid for qid in question_ids if qid not in answered), None)


def _answered(conn: Connection, practice_id: int) -> set[int]:
    return set(conn.execute(select(PracticeRecord.question_id).where(
        PracticeRecord.session_id == practice_id)).scalars())


@api(role="member", status=201)
def start(ctx: Ctx) -> Any:
    """Start a practice session; the first question comes without its answer."""
    assert ctx.user
    data = ctx.parse(PracticeIn)
    user_id = ctx.user.id or 0
    # Choosing the questions only reads: it runs outside the write transaction (SQLite has one writer).
    with ctx.db.read() as session:
        conn = session.connection()
        if conn.execute(select(Bank.id).where(Bank.id == data.bank_id)).first() is None:
            raise NotFound(t("bank_not_found"), code="bank_not_found")
        ids = _candidate_ids(conn, user_id, data)
        if not ids:
            raise NotFound(t("practice_empty"), code="practice_empty")
        first = _public(conn, ids[0])
    with ctx.db.write() as session:
        practice_id = session.connection().execute(insert(PracticeSession).values(
            user_id=user_id, bank_id=data.bank_id, mode=data.mode, tags=data.tags, question_ids=ids, done=0,
            correct=0, created_ms=ctx.now_ms()).returning(PracticeSession.id)).scalar_one()
    return {"id": practice_id, "total": len(ids), "mode": data.mode, "question": first,
            "progress": {"done": 0, "correct": 0, "total": len(ids)}}


_SESSION_COLUMNS = (PracticeSession.id, PracticeSession.user_id, PracticeSession.bank_id, PracticeSession.mode,
                    PracticeSession.question_ids, PracticeSession.done, PracticeSession.correct)


@api(role="member")
def get_practice(ctx: Ctx) -> Any:
    """Where a practice session stands: the next question (without answer) and progress."""
    assert ctx.user
    practice_id = ctx.path_int("practice_id")
    with ctx.db.read() as session:
        conn = session.connection()
        row = conn.execute(select(*_SESSION_COLUMNS).where(PracticeSession.id == practice_id)).first()
        if row is None or row.user_id != ctx.user.id:
            raise _not_found()
        question = _public(conn, _next_id(row.question_ids, _answered(conn, practice_id)))
    return {"id": row.id, "total": len(row.question_ids), "mode": row.mode, "question": question,
            "progress": {"done": row.done, "correct": row.correct, "total": len(row.question_ids)}}


# The answer path's statements, built once: constructing SQLAlchemy expressions per request cost more
# CPU than SQLite itself (bench/practice_wrk.py). Parameters are bound at execution.
_SESSIONS = PracticeSession.__table__  # type: ignore[attr-defined]
_RECORDS = PracticeRecord.__table__  # type: ignore[attr-defined]
_BOOK = WrongBookEntry.__table__  # type: ignore[attr-defined]
_LOCK_SESSION = select(*_SESSION_COLUMNS).where(PracticeSession.id == bindparam("pid")).with_for_update()
_ANSWERED = select(PracticeRecord.question_id).where(PracticeRecord.session_id == bindparam("pid"))
_QUESTIONS = select(*_PUBLIC_COLUMNS, *_ANSWER_COLUMNS).where(
    Question.id.in_(bindparam("ids", expanding=True)))  # type: ignore[union-attr]
_INSERT_RECORD = insert(_RECORDS)
_COUNT_ANSWER = update(_SESSIONS).where(_SESSIONS.c.id == bindparam("pid")).values(
    done=_SESSIONS.c.done + 1, correct=_SESSIONS.c.correct + bindparam("inc"))
_STREAK = _BOOK.c.right_streak + 1
_BOOK_RIGHT = update(_BOOK).where(
    _BOOK.c.user_id == bindparam("uid"), _BOOK.c.question_id == bindparam("qid"), _BOOK.c.mastered == False  # noqa: E712
).values(right_streak=_STREAK, mastered=_STREAK >= MASTERED_AFTER, updated_ms=bindparam("now"))


def _book_wrong(dialect_insert: Any) -> Any:
    statement = dialect_insert(_BOOK)
    return statement.on_conflict_do_update(
        index_elements=[_BOOK.c.user_id, _BOOK.c.question_id],
        set_={"wrong_count": _BOOK.c.wrong_count + 1, "right_streak": 0, "mastered": False,
              "last_answer": statement.excluded.last_answer, "updated_ms": statement.excluded.updated_ms})


_BOOK_WRONG = {"postgresql": _book_wrong(pg_insert), "sqlite": _book_wrong(sqlite_insert)}


def update_wrong_book(conn: Connection, user_id: int, bank_id: int, question_id: int, correct: bool,
                      answer: Any, now_ms: int) -> None:
    """One atomic statement either way, so answers arriving at once (two sessions, two workers) all count."""
    if correct:
        conn.execute(_BOOK_RIGHT, {"uid": user_id, "qid": question_id, "now": now_ms})
        return
    conn.execute(_BOOK_WRONG[conn.dialect.name], {
        "user_id": user_id, "bank_id": bank_id, "question_id": question_id, "wrong_count": 1, "right_streak": 0,
        "mastered": False, "last_answer": answer, "updated_ms": now_ms})


@api(role="member")
def answer(ctx: Ctx) -> Any:
    """Answer a question of the session: correct or not, the answer, the explanation, and the next question.

    The hot path of practice: prepared Core statements only, the session row locked (FOR UPDATE on
    PostgreSQL; SQLite has one writer), so two taps on one question give one answer and one 409.
    """
    assert ctx.user
    data = ctx.parse(AnswerIn)
    practice_id = ctx.path_int("practice_id")
    user_id = ctx.user.id or 0
    now = ctx.now_ms()
    with ctx.db.write() as session:
        conn = session.connection()
        row = conn.execute(_LOCK_SESSION, {"pid": practice_id}).first()
        if row is None or row.user_id != user_id:
            raise _not_found()
        if data.question_id not in row.question_ids:
            raise Invalid(t("practice_not_in_session"), code="practice_not_in_session")
        answered = set(conn.execute(_ANSWERED, {"pid": practice_id}).scalars())
        next_id = _next_id(row.question_ids, answered | {data.question_id})
        wanted = [data.question_id] if next_id is None else [data.question_id, next_id]
        rows = {r.id: r for r in conn.execute(_QUESTIONS, {"ids": wanted})}
        question = rows.get(data.question_id)
        if question is None:
            raise NotFound(t("question_not_found"), code="question_not_found")
        snapshot = {"type": question.type, "options": question.options, "answer": question.answer}
        try:
            given = normalise_answer(snapshot, data.answer)
        except AnswerError as exc:
            raise Invalid(t("answer_invalid", reason=str(exc)), code="answer_invalid",
                          details=[{"field": "answer", "message": str(exc)}]) from None
        if data.question_id in answered:
            raise Conflict(t("practice_already_answered"), code="practice_already_answered")
        verdict = grade(snapshot, given)
        correct = bool(verdict)
        conn.execute(_INSERT_RECORD, {
            "session_id": practice_id, "user_id": user_id, "bank_id": row.bank_id, "question_id": data.question_id,
            "answer": given, "correct": correct, "tags": question.tags, "created_ms": now})
        conn.execute(_COUNT_ANSWER, {"pid": practice_id, "inc": int(correct)})
        if verdict is not None:
            update_wrong_book(conn, user_id, row.bank_id, data.question_id, correct, given, now)
    following = rows.get(next_id) if next_id is not None else None
    return {
        "correct": correct if verdict is not None else None,
        "answer": question.answer,
        "explanation": question.explanation,
        "your_answer": given,
        "graded": verdict is not None,
        "next": _public_row(following) if following is not None else None,
        "progress": {"done": row.done + 1, "correct": row.correct + int(correct), "total": len(row.question_ids)},
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
    """Per tag: answered, correct and rate; with overall totals (``?bank_id=`` for one bank).

    Short answers are not counted: practice does not grade them, and counting them as wrong would
    pull every rate down. ``wrong_book`` counts what ``/api/me/wrong-book`` lists.
    """
    assert ctx.user
    bank_id = ctx.query_int("bank_id")
    query = select(PracticeRecord.tags, PracticeRecord.correct).join(
        Question, Question.id == PracticeRecord.question_id).where(
        PracticeRecord.user_id == ctx.user.id, Question.type != "short")
    book = select(func.count()).select_from(WrongBookEntry).join(
        Question, Question.id == WrongBookEntry.question_id).where(
        WrongBookEntry.user_id == ctx.user.id, WrongBookEntry.mastered == False,  # noqa: E712
        Question.deleted == False)  # noqa: E712
    if bank_id is not None:
        query = query.where(PracticeRecord.bank_id == bank_id)
        book = book.where(WrongBookEntry.bank_id == bank_id)
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    answered = correct = 0
    with ctx.db.read() as session:
        conn = session.connection()
        for tags, right in conn.execute(query):
            answered += 1
            correct += int(right)
            for tag in tags or ["未分类"]:
                per_tag[tag][0] += 1
                per_tag[tag][1] += int(right)
        wrong_open = conn.execute(book).scalar_one()
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
