"""Bank operations shared by the API, the CLI and the demo: storing, importing, validating questions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from question_bank.formats import ParseResult, QuestionData, dedup_key, parse
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


def existing_keys(session: Session, bank_id: int) -> set[str]:
    rows = session.exec(select(Question.dedup_key).where(Question.bank_id == bank_id,
                                                        Question.deleted == False)).all()  # noqa: E712
    return set(rows)


def insert_questions(session: Session, bank_id: int, questions: list[QuestionData], now_ms: int) -> list[int]:
    """Bulk insert (one statement for all rows, ids returned) plus their tag rows."""
    if not questions:
        return []
    rows = [{
        "bank_id": bank_id, "type": q.type, "stem": q.stem, "options": q.options, "answer": q.answer,
        "explanation": q.explanation or "", "tags": q.tags, "difficulty": q.difficulty, "points": q.points,
        "dedup_key": dedup_key(q), "version": 1, "deleted": False, "created_ms": now_ms, "updated_ms": now_ms,
    } for q in questions]
    ids = list(session.scalars(insert(Question).returning(Question.id), rows))
    tag_rows = [{"question_id": qid, "tag": tag, "bank_id": bank_id}
                for qid, q in zip(ids, questions, strict=True) for tag in dict.fromkeys(q.tags)]
    if tag_rows:
        session.execute(insert(QuestionTag), tag_rows)
    return ids


def import_file(session: Session, bank_id: int, data: bytes, filename: str | None, fmt: str | None, *,
                dry_run: bool, now_ms: int, skip_unsupported: bool = False) -> tuple[ParseResult, int, int]:
    """Parse and (unless ``dry_run`` or any error) store; returns (parse result, imported, duplicates)."""
    result = parse(data, filename, fmt, skip_unsupported=skip_unsupported)
    if result.errors:
        return result, 0, result.duplicates
    known = existing_keys(session, bank_id)
    fresh: list[QuestionData] = []
    duplicates = result.duplicates
    for q in result.questions:
        key = dedup_key(q)
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        fresh.append(q)
    if not dry_run:
        insert_questions(session, bank_id, fresh, now_ms)
    return result, len(fresh), duplicates


def set_tags(session: Session, question: Question) -> None:
    session.execute(delete(QuestionTag).where(QuestionTag.question_id == question.id))  # type: ignore[arg-type]
    for tag in dict.fromkeys(question.tags):
        session.add(QuestionTag(question_id=question.id or 0, tag=tag, bank_id=question.bank_id))
