"""HTTP endpoints of the bank (CONTRACT §3)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, or_
from sqlmodel import select
from starlette.responses import Response
from starlette.routing import Route

from question_bank import media, service
from question_bank.formats import UnsupportedFormat, dedup_key, export, parse
from question_bank.models import Bank, Question, QuestionTag
from quiz import audit
from quiz.errors import BadRequest, Invalid, NotFound
from quiz.i18n import t
from quiz.models import role_rank
from quiz.web import Ctx, JSONResponse, api

EXPORT_TYPES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json; charset=utf-8", "json"),
    "gift": ("text/plain; charset=utf-8", "gift"),
    "zip": ("application/zip", "zip"),
}


class BankIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)


def _bank_or_404(session: Any, bank_id: int) -> Bank:
    bank = session.get(Bank, bank_id)
    if bank is None:
        raise NotFound(t("bank_not_found"), code="bank_not_found")
    return bank


def _question_or_404(session: Any, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.deleted:
        raise NotFound(t("question_not_found"), code="question_not_found")
    return question


@api(role="organizer", status=201)
def create_bank(ctx: Ctx) -> Any:
    """Create a question bank."""
    data = ctx.parse(BankIn)
    with ctx.db.write() as session:
        bank = Bank(name=data.name.strip(), description=data.description, created_by=ctx.user.id if ctx.user else None,
                    created_ms=ctx.now_ms())
        session.add(bank)
        session.flush()
        return service.bank_summary(session, bank)


@api(role="member")
def list_banks(ctx: Ctx) -> Any:
    """All banks with their question counts."""
    limit, offset = ctx.page_args(100)
    with ctx.db.read() as session:
        banks = session.exec(select(Bank).order_by(Bank.id).offset(offset).limit(limit)).all()
        total = session.exec(select(func.count()).select_from(Bank)).one()
        return {"items": [service.bank_summary(session, b, with_counts=False) for b in banks], "total": total}


@api(role="member")
def get_bank(ctx: Ctx) -> Any:
    """One bank with counts by type and tag."""
    with ctx.db.read() as session:
        return service.bank_summary(session, _bank_or_404(session, ctx.path_int("bank_id")))


@api(role="organizer")
def update_bank(ctx: Ctx) -> Any:
    data = ctx.parse(BankIn)
    with ctx.db.write() as session:
        bank = _bank_or_404(session, ctx.path_int("bank_id"))
        bank.name, bank.description = data.name.strip(), data.description
        session.add(bank)
        return service.bank_summary(session, bank)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@api(role="organizer")
def import_questions(ctx: Ctx) -> Any:
    """Import a file of questions; all rows or none; ``?dry_run=1`` only checks."""
    bank_id = ctx.path_int("bank_id")
    filename, data = ctx.upload()
    fmt = ctx.query.get("format") or ctx.form.get("format") or None
    dry_run = _flag(ctx.query.get("dry_run")) or _flag(ctx.form.get("dry_run"))
    skip = _flag(ctx.query.get("skip_unsupported")) or _flag(ctx.form.get("skip_unsupported"))
    with ctx.db.read() as session:
        _bank_or_404(session, bank_id)
    # Parse before the write transaction: a large workbook takes seconds, and on SQLite every other
    # writer (practice answers, live games) would wait for the whole of it.
    try:
        result = service.check_limits(parse(data, filename, fmt, skip_unsupported=skip))
    except UnsupportedFormat as exc:
        raise BadRequest(str(exc), code="unsupported_format") from None
    imported, duplicates = 0, result.duplicates
    if not result.errors:
        try:
            with ctx.db.read() if dry_run else ctx.db.write() as session:
                _bank_or_404(session, bank_id)
                imported, duplicates = service.store_parsed(session, bank_id, result, dry_run=dry_run,
                                                            now_ms=ctx.now_ms())
                if not dry_run:
                    audit.record(session, ctx.user, "question.import", "bank", bank_id, {"file": filename, "imported": imported, "duplicates": duplicates})
        except media.MediaRefError as exc:  # rolled back: nothing written
            result.errors, imported = exc.errors, 0
    errors = [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors[:1000]]
    body = {"imported": imported, "duplicates": duplicates, "errors": errors, "warnings": result.warnings,
            "dry_run": dry_run, "total_rows": len(result.questions) + result.duplicates,
            "error_count": result.total_errors}  # errors: the first 1,000 (question_bank.formats.limits)
    if errors:
        body["error"] = {"code": "import_invalid", "message": t("import_invalid", count=result.total_errors),
                         "details": errors}
        body["imported"] = 0
        return JSONResponse(body, status_code=422)
    if dry_run:
        body["preview"] = [q.to_dict() for q in result.questions[:50]]
    return body


@api(role="member")
def list_questions(ctx: Ctx) -> Any:
    """Questions of a bank, filtered; members see them without answers."""
    limit, offset = ctx.page_args(50)
    bank_id = ctx.path_int("bank_id")
    q = ctx.query
    with ctx.db.read() as session:
        _bank_or_404(session, bank_id)
        query = select(Question).where(Question.bank_id == bank_id, Question.deleted == False)  # noqa: E712
        if q.get("type"):
            if q["type"] not in service.TYPES:
                message = f"题型 type 应为 {'、'.join(service.TYPES)} 之一"
                raise Invalid(message, details=[{"field": "type", "message": message}])
            query = query.where(Question.type == q["type"])
        difficulty = ctx.query_int("difficulty", 1, 5)
        if difficulty is not None:
            query = query.where(Question.difficulty == difficulty)
        if q.get("tag"):
            query = query.where(Question.id.in_(  # type: ignore[union-attr]
                select(QuestionTag.question_id).where(QuestionTag.tag == q["tag"], QuestionTag.bank_id == bank_id)))
        if q.get("q"):
            text = q["q"].strip()  # literal text: % and _ are not wildcards; case-insensitive on every database
            query = query.where(or_(Question.stem.icontains(text, autoescape=True),  # type: ignore[attr-defined]
                                    Question.explanation.icontains(text, autoescape=True)))  # type: ignore[attr-defined]
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(Question.id).offset(offset).limit(limit)).all()
    full = ctx.user is not None and role_rank(ctx.user.role) >= role_rank("organizer")
    return {"items": [r.full() if full else r.public() for r in rows], "total": total}


def _validated(ctx: Ctx, session: Any) -> Any:
    """Validate a question body with the JSON importer's rules; 422 with every error."""
    if not isinstance(ctx.body, dict):
        raise BadRequest(t("invalid_json"), code="invalid_json")
    raw = {k: ctx.body.get(k) for k in ("type", "stem", "options", "answer", "explanation", "tags", "difficulty",
                                          "points", "media") if ctx.body.get(k) is not None}
    result = service.check_limits(parse(json.dumps([raw], ensure_ascii=False).encode(), fmt="json"))
    if not result.errors and result.questions:
        try:  # each media url must name a stored file; its kind, size and variants come from the store
            media.attach(session, result, ctx.now_ms())
        except media.MediaRefError as exc:
            result.errors = exc.errors
    if result.errors or not result.questions:
        details = [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors]
        raise Invalid(details[0]["message"] if details else t("invalid"), details=details)
    return result.questions[0]


@api(role="organizer", status=201)
def create_question(ctx: Ctx) -> Any:
    """Add one question to a bank."""
    bank_id = ctx.path_int("bank_id")
    with ctx.db.write() as session:
        _bank_or_404(session, bank_id)
        data = _validated(ctx, session)
        (qid,) = service.insert_questions(session, bank_id, [data], ctx.now_ms())
        audit.record(session, ctx.user, "question.create", "question", qid, {"bank_id": bank_id})
        return session.get(Question, qid).full()  # type: ignore[union-attr]


@api(role="member")
def get_question(ctx: Ctx) -> Any:
    with ctx.db.read() as session:
        question = _question_or_404(session, ctx.path_int("question_id"))
    full = ctx.user is not None and role_rank(ctx.user.role) >= role_rank("organizer")
    return question.full() if full else question.public()


@api(role="organizer")
def update_question(ctx: Ctx) -> Any:
    """Edit a question: a new version; papers and games keep the version they were given."""
    with ctx.db.write() as session:
        question = _question_or_404(session, ctx.path_int("question_id"))
        merged = {**question.full(), **(ctx.body if isinstance(ctx.body, dict) else {})}
        ctx.body = merged
        data = _validated(ctx, session)
        question.type, question.stem, question.options = data.type, data.stem, data.options
        question.answer, question.explanation, question.tags = data.answer, data.explanation, data.tags
        question.difficulty, question.points, question.media = data.difficulty, data.points, data.media
        question.dedup_key = dedup_key(data)
        question.version += 1
        question.updated_ms = ctx.now_ms()
        session.add(question)
        session.flush()
        service.set_tags(session, question)
        audit.record(session, ctx.user, "question.update", "question", question.id, {"bank_id": question.bank_id, "version": question.version})
        return question.full()


@api(role="organizer")
def delete_question(ctx: Ctx) -> Any:
    with ctx.db.write() as session:
        question = _question_or_404(session, ctx.path_int("question_id"))
        question.deleted = True
        audit.record(session, ctx.user, "question.delete", "question", question.id, {"bank_id": question.bank_id})
        question.updated_ms = ctx.now_ms()
        session.add(question)
    return {"ok": True, "id": question.id}


@api(role="organizer")
def export_bank(ctx: Ctx) -> Any:
    """Export a bank as xlsx, json or gift (import of the file gives the same questions)."""
    fmt = ctx.query.get("format", "xlsx")
    if fmt not in EXPORT_TYPES:
        raise BadRequest(t("unsupported_format", fmt=fmt), code="unsupported_format")
    from question_bank.formats import QuestionData

    with ctx.db.read() as session:
        bank = _bank_or_404(session, ctx.path_int("bank_id"))
        rows = session.exec(select(Question).where(Question.bank_id == bank.id, Question.deleted == False)  # noqa: E712
                            .order_by(Question.id)).all()
    items = [QuestionData(type=r.type, stem=r.stem, options=r.options, answer=r.answer, explanation=r.explanation,
                          tags=r.tags, difficulty=r.difficulty, points=r.points, media=r.media or []) for r in rows]
    content_type, ext = EXPORT_TYPES[fmt]
    from urllib.parse import quote

    filename = quote(f"{bank.name}.{ext}")
    if fmt == "zip":
        with ctx.db.read() as session:
            content = media.export_zip(session, items)
    elif fmt == "xlsx" and any(q.media or any(o.get("media") for o in q.options) for q in items):
        from question_bank.formats.export import export_xlsx

        with ctx.db.read() as session:
            content = export_xlsx(items, media.image_files(session, items))
    else:
        content = export(items, fmt)
    return Response(content, media_type=content_type,
                    headers={"Content-Disposition": f"attachment; filename=bank-{bank.id}.{ext}; filename*=UTF-8''{filename}"})


@api(role="organizer")
def template(ctx: Ctx) -> Any:
    """The empty Excel template with one example per type."""
    from question_bank.formats.template import template_xlsx

    return Response(template_xlsx(), media_type=EXPORT_TYPES["xlsx"][0],
                    headers={"Content-Disposition": "attachment; filename=question-template.xlsx; "
                             "filename*=UTF-8''%E9%A2%98%E5%BA%93%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"})


routes = [
    Route("/api/banks", create_bank, methods=["POST"]),
    Route("/api/banks", list_banks, methods=["GET"]),
    Route("/api/banks/template.xlsx", template, methods=["GET"]),
    Route("/api/banks/{bank_id:int}", get_bank, methods=["GET"]),
    Route("/api/banks/{bank_id:int}", update_bank, methods=["PUT"]),
    Route("/api/banks/{bank_id:int}/import", import_questions, methods=["POST"]),
    Route("/api/banks/{bank_id:int}/questions", list_questions, methods=["GET"]),
    Route("/api/banks/{bank_id:int}/questions", create_question, methods=["POST"]),
    Route("/api/banks/{bank_id:int}/export", export_bank, methods=["GET"]),
    Route("/api/questions/{question_id:int}", get_question, methods=["GET"]),
    Route("/api/questions/{question_id:int}", update_question, methods=["PUT"]),
    Route("/api/questions/{question_id:int}", delete_question, methods=["DELETE"]),
]
