"""Bank operations shared by the API, the CLI and the demo: storing, importing, validating questions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from question_bank import media
from question_bank.formats import ParseResult, QuestionData, RowError, dedup_key, parse
from question_bank.models import Bank, Question, QuestionTag

TYPES = ("single", "multiple", "judge", "fill", "short")


def get_bank(session: Session, bank_id: int) -> Bank | None:
    return session.get(Bank, bank_id)


def bank_summary(session: Session, bank: Bank, with_counts: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"id": bank.id, "name": bank.name, "description": bank.description}
    alive = (Question.bank_id == bank.id) & (Question.deleted == False)  # noqa: E712
    total = session.exec(select(func.count()).select_from(Question).where(alive)).one()
    data["question_count"] = total
    if with_counts:
        by_type = dict(session.exec(select(Question.type, func.count()).where(alive).group_by(Question.type)).all())
        data["counts_by_type"] = {kind: by_type.get(kind, 0) for kind in TYPES}
        by_tag = session.exec(
            select(QuestionTag.tag, func.count()).join(Question, Question.id == QuestionTag.question_id)
            .where(QuestionTag.bank_id == bank.id, Question.deleted == False)  # noqa: E712
            .group_by(QuestionTag.tag).order_by(func.count().desc(), QuestionTag.tag)).all()
        data["counts_by_tag"] = {tag: count for tag, count in by_tag}
    return data


TAG_MAX = 100  # QuestionTag.tag is VARCHAR(100): longer is refused by PostgreSQL


def check_limits(result: ParseResult) -> ParseResult:
    """Add a row error for what the database cannot store (a tag longer than TAG_MAX characters);
    the parsers check content, this checks the columns. Returns ``result`` (errors sorted by row)."""
    for q in result.questions:
        for tag in q.tags:
            if len(tag) > TAG_MAX:
                result.errors.append(RowError(q.row, "tags", f"标签“{tag[:20]}…”过长（最多 {TAG_MAX} 个字）"))
    media.check_files(result)
    result.errors.sort(key=lambda e: e.row)
    return result


def existing_keys(session: Session, bank_id: int) -> set[str]:
    rows = session.connection().execute(select(Question.dedup_key).where(
        Question.bank_id == bank_id, Question.deleted == False)).scalars()  # noqa: E712
    return set(rows)


_QUESTION_COLUMNS = ("bank_id", "type", "stem", "options", "answer", "explanation", "tags", "difficulty", "points",
                     "dedup_key", "version", "deleted", "created_ms", "updated_ms", "media")


def insert_questions(session: Session, bank_id: int, questions: list[QuestionData], now_ms: int,
                     keys: list[str] | None = None) -> list[int]:
    """Bulk insert of questions and their tag rows; returns the new ids in the order of ``questions``.

    ``keys`` are the questions' dedup keys when the caller has them already (an import computes
    them to find duplicates; hashing 10,000 questions again costs a quarter of a second).
    SQLite takes SQLAlchemy's batched multi-row INSERT … RETURNING; on PostgreSQL psycopg's
    pipelined ``executemany`` is 3–4 times faster (psycopg re-parses a multi-row statement with
    14,000 placeholders for every batch), see docs/benchmarks.md.
    """
    if not questions:
        return []
    keys = keys if keys is not None else [dedup_key(q) for q in questions]
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _insert_postgresql(conn, bank_id, questions, now_ms, keys)
    rows = [{
        "bank_id": bank_id, "type": q.type, "stem": q.stem, "options": q.options, "answer": q.answer,
        "explanation": q.explanation or "", "tags": q.tags, "difficulty": q.difficulty, "points": q.points,
        "dedup_key": key, "version": 1, "deleted": False, "created_ms": now_ms, "updated_ms": now_ms,
        "media": q.media,
    } for q, key in zip(questions, keys, strict=True)]
    table = Question.__table__  # type: ignore[attr-defined]
    ids = list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    tag_rows = [{"question_id": qid, "tag": tag, "bank_id": bank_id}
                for qid, q in zip(ids, questions, strict=True) for tag in dict.fromkeys(q.tags)]
    if tag_rows:
        conn.execute(insert(QuestionTag.__table__), tag_rows)  # type: ignore[attr-defined]
    return ids


def _insert_postgresql(conn: Any, bank_id: int, questions: list[QuestionData], now_ms: int,
                       keys: list[str]) -> list[int]:
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    cursor = conn.connection.driver_connection.cursor()
    rows = [(bank_id, q.type, q.stem, dump(q.options), dump(q.answer), q.explanation or "", dump(q.tags),
             q.difficulty, q.points, key, 1, False, now_ms, now_ms, dump(q.media)) for q, key in zip(questions, keys, strict=True)]
    placeholders = ", ".join(["%s"] * len(_QUESTION_COLUMNS))
    cursor.executemany(f"INSERT INTO question ({', '.join(_QUESTION_COLUMNS)}) VALUES ({placeholders}) RETURNING id",
                       rows, returning=True)
    ids: list[int] = []
    while True:
        ids.append(cursor.fetchone()[0])
        if not cursor.nextset():
            break
    tag_rows = [(qid, tag, bank_id) for qid, q in zip(ids, questions, strict=True) for tag in dict.fromkeys(q.tags)]
    if tag_rows:
        cursor.executemany("INSERT INTO question_tag (question_id, tag, bank_id) VALUES (%s, %s, %s)", tag_rows)
    return ids


def store_parsed(session: Session, bank_id: int, result: ParseResult, *, dry_run: bool, now_ms: int,
                 progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Skip what the bank already holds and (unless ``dry_run``) insert the rest; returns (imported, duplicates).

    Only for a result without errors. ``progress(done, total)`` is called after each batch.
    """
    if not dry_run:
        media.attach(session, result, now_ms)  # files stored, names turned into /media/ urls
    else:
        media.verify_urls(session, result)
    known = existing_keys(session, bank_id)
    fresh: list[QuestionData] = []
    fresh_keys: list[str] = []
    duplicates = result.duplicates
    for q in result.questions:
        key = dedup_key(q)
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        fresh.append(q)
        fresh_keys.append(key)
    if not dry_run:
        step = 2000
        for start in range(0, len(fresh), step):
            insert_questions(session, bank_id, fresh[start:start + step], now_ms, fresh_keys[start:start + step])
            if progress is not None:
                progress(min(start + step, len(fresh)), len(fresh))
    return len(fresh), duplicates


def import_file(session: Session, bank_id: int, data: bytes, filename: str | None, fmt: str | None, *,
                dry_run: bool, now_ms: int, skip_unsupported: bool = False) -> tuple[ParseResult, int, int]:
    """Parse and (unless ``dry_run`` or any error) store; returns (parse result, imported, duplicates).

    Callers holding a write transaction should rather parse first and call :func:`store_parsed`:
    parsing a large workbook takes seconds, and SQLite has one writer.
    """
    result = check_limits(parse(data, filename, fmt, skip_unsupported=skip_unsupported))
    if result.errors:
        return result, 0, result.duplicates
    imported, duplicates = store_parsed(session, bank_id, result, dry_run=dry_run, now_ms=now_ms)
    return result, imported, duplicates


def set_tags(session: Session, question: Question) -> None:
    session.execute(delete(QuestionTag).where(QuestionTag.question_id == question.id))  # type: ignore[arg-type]
    for tag in dict.fromkeys(question.tags):
        session.add(QuestionTag(question_id=question.id or 0, tag=tag, bank_id=question.bank_id))
