"""Practice (CONTRACT §4): sequential, random and wrong-book sessions, instant feedback, statistics."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, func, insert
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
                   Question.difficulty, Question.media)


def _public_row(row: Any) -> dict[str, Any]:
    """The same shape as ``Question.public()``, from a Core row."""
    data = {"id": row.id, "bank_id": row.bank_id, "type": row.type, "stem": row.stem, "options": row.options,
            "tags": row.tags, "difficulty": row.difficulty}
    if row.media:
        data["media"] = row.media
    return data


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


# The answer path runs on the DB-API connection under the session's transaction: it is the busiest
# endpoint (every tap of every member), and SQLAlchemy's per-statement work cost three times what
# SQLite itself does (bench/practice_wrk.py, docs/benchmarks.md). Plain SQL that SQLite and
# PostgreSQL both read; ``%s`` placeholders become ``?`` for sqlite3.
_ANSWER_SQL = {
    "lock": "SELECT user_id, bank_id, question_ids, done, correct FROM practice_session WHERE id = %s",
    "answered": "SELECT question_id FROM practice_record WHERE session_id = %s",
    "questions": "SELECT id, bank_id, type, stem, options, tags, difficulty, answer, explanation, media FROM question "
                 "WHERE id IN (%s, %s)",
    "record": "INSERT INTO practice_record (session_id, user_id, bank_id, question_id, answer, correct, tags, "
              "created_ms) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
    "count": "UPDATE practice_session SET done = done + 1, correct = correct + %s WHERE id = %s",
    "book_right": "UPDATE wrong_book SET right_streak = right_streak + 1, mastered = (right_streak + 1 >= %s), "
                  "updated_ms = %s WHERE user_id = %s AND question_id = %s AND mastered = %s",
    "book_wrong": "INSERT INTO wrong_book (user_id, bank_id, question_id, wrong_count, right_streak, mastered, "
                  "last_answer, updated_ms) VALUES (%s, %s, %s, 1, 0, %s, %s, %s) "
                  "ON CONFLICT (user_id, question_id) DO UPDATE SET wrong_count = wrong_book.wrong_count + 1, "
                  "right_streak = 0, mastered = %s, last_answer = excluded.last_answer, "
                  "updated_ms = excluded.updated_ms",
}
_SQL_BY_DIALECT = {
    "postgresql": {**_ANSWER_SQL, "lock": _ANSWER_SQL["lock"] + " FOR UPDATE"},
    "sqlite": {name: sql.replace("%s", "?") for name, sql in _ANSWER_SQL.items()},
}


class _Statements:
    """Runs the answer path's SQL on a DB-API cursor; JSON columns are text on SQLite, decoded on PostgreSQL."""

    def __init__(self, conn: Connection) -> None:
        dialect = conn.dialect.name
        if dialect not in _SQL_BY_DIALECT:
            raise RuntimeError(f"practice answers need SQLite or PostgreSQL, not {dialect}")
        self.sql = _SQL_BY_DIALECT[dialect]
        self.text_json = dialect == "sqlite"
        self.cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def rows(self, name: str, *params: Any) -> list[Any]:
        self.cursor.execute(self.sql[name], params)
        return list(self.cursor.fetchall())

    def run(self, name: str, *params: Any) -> None:
        self.cursor.execute(self.sql[name], params)

    def load(self, value: Any) -> Any:
        return json.loads(value) if self.text_json and isinstance(value, str) else value

    @staticmethod
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)


def update_wrong_book(db: _Statements, user_id: int, bank_id: int, question_id: int, correct: bool,
                      answer: Any, now_ms: int) -> None:
    """One atomic statement either way, so answers arriving at once (two sessions, two workers) all count."""
    if correct:
        db.run("book_right", MASTERED_AFTER, now_ms, user_id, question_id, False)
    else:
        db.run("book_wrong", user_id, bank_id, question_id, False, db.dump(answer), now_ms, False)


def _public_tuple(db: _Statements, row: Any) -> dict[str, Any]:
    data = {"id": row[0], "bank_id": row[1], "type": row[2], "stem": row[3], "options": db.load(row[4]),
            "tags": db.load(row[5]), "difficulty": row[6]}
    media = db.load(row[9])
    if media:
        data["media"] = media
    return data


@api(role="member")
def answer(ctx: Ctx) -> Any:
    """Answer a question of the session: correct or not, the answer, the explanation, and the next question.

    The session row is locked first (FOR UPDATE on PostgreSQL; SQLite has one writer), so two taps
    on one question give one answer and one 409.
    """
    assert ctx.user
    data = ctx.parse(AnswerIn)
    practice_id = ctx.path_int("practice_id")
    user_id = ctx.user.id or 0
    now = ctx.now_ms()
    with ctx.db.write() as session:
        db = _Statements(session.connection())
        found = db.rows("lock", practice_id)
        if not found or found[0][0] != user_id:
            raise _not_found()
        _, bank_id, question_ids, done, correct_so_far = found[0]
        question_ids = db.load(question_ids)
        if data.question_id not in question_ids:
            raise Invalid(t("practice_not_in_session"), code="practice_not_in_session")
        answered = {r[0] for r in db.rows("answered", practice_id)}
        next_id = _next_id(question_ids, answered | {data.question_id})
        rows = {r[0]: r for r in db.rows("questions", data.question_id,
                                         data.question_id if next_id is None else next_id)}
        question = rows.get(data.question_id)
        if question is None:
            raise NotFound(t("question_not_found"), code="question_not_found")
        key = db.load(question[7])
        snapshot = {"type": question[2], "options": db.load(question[4]), "answer": key}
        try:
            given = normalise_answer(snapshot, data.answer)
        except AnswerError as exc:
            raise Invalid(t("answer_invalid", reason=str(exc)), code="answer_invalid",
                          details=[{"field": "answer", "message": str(exc)}]) from None
        if data.question_id in answered:
            raise Conflict(t("practice_already_answered"), code="practice_already_answered")
        verdict = grade(snapshot, given)
        correct = bool(verdict)
        db.run("record", practice_id, user_id, bank_id, data.question_id, db.dump(given), correct,
               db.dump(db.load(question[5])), now)
        db.run("count", int(correct), practice_id)
        if verdict is not None:
            update_wrong_book(db, user_id, bank_id, data.question_id, correct, given, now)
        following = rows.get(next_id) if next_id is not None else None
        next_question = _public_tuple(db, following) if following is not None else None
    return {
        "correct": correct if verdict is not None else None,
        "answer": key,
        "explanation": question[8],
        "your_answer": given,
        "graded": verdict is not None,
        "next": next_question,
        "progress": {"done": done + 1, "correct": correct_so_far + int(correct), "total": len(question_ids)},
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
