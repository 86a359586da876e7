"""HTTP endpoints and pages of discipline tests (CONTRACT §5), and the deadline sweeper.

``startup`` submits, once, every attempt whose deadline passed while the server was down, then
keeps sweeping every second with the app's clock (``app.state.clock``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import anyio.to_thread
from sqlalchemy import func
from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from question_bank.models import Bank
from quiz import audit
from quiz.errors import BadRequest, Conflict, NotFound
from quiz.exams import autosave, marking, results, service
from quiz.exams.grading import from_cents
from quiz.exams.models import Exam, ExamAttempt
from quiz.exams.schemas import (
    REVIEW_NAMES,
    TYPE_NAMES,
    AnswerIn,
    EventIn,
    ExamIn,
    GradeIn,
    PreviewIn,
    exam_json,
)
from quiz.exams.views import attempt_json, result_json
from quiz.i18n import t
from quiz.models import User, role_rank
from quiz.timeutil import to_local_text
from quiz.web import Ctx, JSONResponse, api, page

log = logging.getLogger("quiz.exams")
SWEEP_INTERVAL_S = 1.0
# Threads of their own for a candidate's start, resume, reading and submit. In the shared pool they queued
# behind logins: an argon2 verify holds a thread ~25 ms of CPU (~100 ms on a busy machine), so while phones log
# in a resume waited seconds for a free thread. A few threads suffice: on SQLite the work is short and
# under the GIL, more threads would only contend with the event loop.
EXAM_THREADS = 4

T = TypeVar("T")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _tz(ctx: Ctx) -> str:
    return str(ctx.settings.timezone)


async def in_exam_thread(ctx: Ctx, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in the exam's own threads (the shared pool when the app did not start them)."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=getattr(ctx.app.state, "exam_threads", None))


def _organiser(user: User | None) -> bool:
    return user is not None and role_rank(user.role) >= role_rank("organizer")


# --- what a member sees of their tests ------------------------------------------------------------

def my_status(exam: Exam, attempts: list[ExamAttempt], now_ms: int) -> dict[str, Any]:
    """This member's standing in one test: attempts used and left, the open one, the best result."""
    open_attempt = next((a for a in attempts if a.status == "open" and a.deadline_ms > now_ms), None)
    done = [a for a in attempts if a.status == "submitted"]
    best = max(done, key=lambda a: (a.score_cents, -(a.submitted_ms or 0)), default=None)
    state = service.exam_state(exam, now_ms)
    if open_attempt:
        status = "in_progress"
    elif done:
        status = "submitted"
    else:
        status = "missed" if state == "closed" else "not_started"
    left = max(0, exam.max_attempts - len(attempts))
    return {
        "status": status, "attempts_used": len(attempts), "attempts_left": left,
        "can_start": state == "open" and (open_attempt is not None or left > 0),
        "open_attempt_id": open_attempt.id if open_attempt else None,
        "best": None if best is None else {
            "attempt_id": best.id, "score": from_cents(best.score_cents), "max_score": from_cents(best.max_cents),
            "passed": best.passed, "final": best.pending == 0},
    }


def my_exams(ctx: Ctx) -> list[dict[str, Any]]:
    assert ctx.user
    now = ctx.now_ms()
    service.sweep(ctx.db, now, user_id=ctx.user.id)
    with ctx.db.read() as session:
        exams = [e for e in session.exec(select(Exam).where(Exam.deleted == False)  # noqa: E712
                                         .order_by(Exam.opens_ms.desc())).all()  # type: ignore[attr-defined]
                 if service.in_audience(e, ctx.user)]
        attempts = session.exec(select(ExamAttempt).where(ExamAttempt.user_id == ctx.user.id)).all()
    by_exam: dict[int, list[ExamAttempt]] = {}
    for a in attempts:
        by_exam.setdefault(a.exam_id, []).append(a)
    order = {"open": 0, "upcoming": 1, "closed": 2}
    items = [{**exam_json(e, now, _tz(ctx), organiser=False), "my": my_status(e, by_exam.get(e.id or 0, []), now)}
             for e in exams]
    items.sort(key=lambda i: (order[i["state"]], i["opens_ms"] if i["state"] == "upcoming" else -i["closes_ms"]))
    return items


# --- tests ------------------------------------------------------------------------------------------

@api(role="organizer", status=201)
def create_exam(ctx: Ctx) -> Any:
    """Create a test from rules (422 naming any rule the bank cannot fill)."""
    assert ctx.user
    data = ctx.parse(ExamIn)
    now = ctx.now_ms()
    with ctx.db.write() as session:
        exam = service.apply_exam(session, Exam(created_by=ctx.user.id, created_ms=now), data, _tz(ctx), now)
        audit.record(session, ctx.user, "exam.create", "exam", exam.id, {"title": exam.title})
        return exam_json(exam, now, _tz(ctx), organiser=True)


@api(role="member")
def list_exams(ctx: Ctx) -> Any:
    """Organisers: every test. Members (or ``?mine=1``): the tests open to them, with their status."""
    if not _organiser(ctx.user) or ctx.query.get("mine") in ("1", "true"):
        items = my_exams(ctx)
        return {"items": items, "total": len(items)}
    limit, offset = ctx.page_args(100)
    now = ctx.now_ms()
    with ctx.db.read() as session:
        total = session.exec(select(func.count()).select_from(Exam).where(Exam.deleted == False)).one()  # noqa: E712
        exams = session.exec(select(Exam).where(Exam.deleted == False).order_by(  # noqa: E712
            Exam.id.desc()).offset(offset).limit(limit)).all()  # type: ignore[union-attr]
        ids = [e.id for e in exams]
        counts: dict[tuple[int, str], int] = {}
        if ids:
            for exam_id, status, count in session.exec(select(ExamAttempt.exam_id, ExamAttempt.status, func.count(
                    func.distinct(ExamAttempt.user_id))).where(ExamAttempt.exam_id.in_(ids)).group_by(  # type: ignore[attr-defined]
                    ExamAttempt.exam_id, ExamAttempt.status)):
                counts[(exam_id, status)] = count
    items = [{**exam_json(e, now, _tz(ctx), organiser=True),
              "submitted": counts.get((e.id or 0, "submitted"), 0),
              "in_progress": counts.get((e.id or 0, "open"), 0)} for e in exams]
    return {"items": items, "total": total}


@api(role="member")
def get_exam(ctx: Ctx) -> Any:
    """One test; members get their own status (attempts left, open attempt, best result)."""
    assert ctx.user
    now = ctx.now_ms()
    exam_id = ctx.path_int("exam_id")
    service.sweep(ctx.db, now, exam_id=exam_id, user_id=ctx.user.id)
    with ctx.db.read() as session:
        exam = service.visible_exam(session, exam_id, ctx.user)
        attempts = list(session.exec(select(ExamAttempt).where(ExamAttempt.exam_id == exam_id,
                                                               ExamAttempt.user_id == ctx.user.id)).all())
        data = exam_json(exam, now, _tz(ctx), organiser=_organiser(ctx.user))
        if _organiser(ctx.user):
            data["can_edit"] = service.can_edit(session, exam, now)
    data["my"] = my_status(exam, attempts, now)
    return data


@api(role="organizer")
def update_exam(ctx: Ctx) -> Any:
    """Edit a test before it opens (and before anyone started it); afterwards 409."""
    data = ctx.parse(ExamIn)
    now = ctx.now_ms()
    with ctx.db.write() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        if not service.can_edit(session, exam, now):
            raise Conflict(t("exam_already_open"), code="exam_already_open")
        service.apply_exam(session, exam, data, _tz(ctx), now)
        audit.record(session, ctx.user, "exam.update", "exam", exam.id, {"title": exam.title})
        return exam_json(exam, now, _tz(ctx), organiser=True)


@api(role="organizer")
def delete_exam(ctx: Ctx) -> Any:
    """Delete a test nobody has started."""
    with ctx.db.write() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        used = session.exec(select(func.count()).select_from(ExamAttempt).where(ExamAttempt.exam_id == exam.id)).one()
        if used:
            raise Conflict(t("exam_has_attempts"), code="exam_has_attempts")
        exam.deleted = True
        session.add(exam)
        audit.record(session, ctx.user, "exam.delete", "exam", exam.id, {"title": exam.title})
    return {"ok": True}


@api(role="organizer")
def preview_rules(ctx: Ctx) -> Any:
    """For the form: how many questions each rule can draw from, alone and together."""
    data = ctx.parse(PreviewIn)
    with ctx.db.read() as session:
        return service.preview(session, data)


@api(role="organizer")
def exam_rules_preview(ctx: Ctx) -> Any:
    """How many questions each rule of an existing test can draw from now."""
    with ctx.db.read() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        return service.preview_rules(service.load_candidates(session, exam.bank_id), exam.bank_id, exam.rules)


@api(role="organizer")
def units(ctx: Ctx) -> Any:
    """Units of the user table with their member counts (to choose a test's audience)."""
    with ctx.db.read() as session:
        rows = session.exec(select(User.unit, func.count()).where(User.role == "member", User.active == True)  # noqa: E712
                            .group_by(User.unit).order_by(User.unit)).all()
    return {"items": [{"unit": unit, "members": count} for unit, count in rows if unit], "total": len(rows)}


# --- attempts ---------------------------------------------------------------------------------------

def _attempt_response(ctx: Ctx, attempt_id: int, status: int = 200) -> Any:
    assert ctx.user
    now = ctx.now_ms()
    with ctx.db.read() as session:
        attempt = session.get(ExamAttempt, attempt_id)
        if attempt is None:
            raise NotFound(t("attempt_not_found"), code="attempt_not_found")
        exam = session.get(Exam, attempt.exam_id)
        assert exam is not None
        data = attempt_json(session, attempt, exam, now, _tz(ctx), full=attempt.user_id != ctx.user.id)
    return JSONResponse(data, status_code=status)


@api(role="member")
async def start_attempt(ctx: Ctx) -> Any:
    """Start the test (201 with a freshly drawn paper) or resume the open attempt (200, saved answers)."""

    def run() -> Any:
        assert ctx.user
        now = ctx.now_ms()
        attempt_id, created, exam = service.start_attempt(ctx.db, ctx.path_int("exam_id"), ctx.user, now,
                                                          str(ctx.settings.secret_key), _tz(ctx))
        if created is not None:
            return JSONResponse(attempt_json(None, created, exam, now, _tz(ctx)), status_code=201)
        return _attempt_response(ctx, attempt_id)

    return await in_exam_thread(ctx, run)


def _own_attempt(ctx: Ctx) -> int:
    """The attempt id if this user may read it (theirs, or any for organisers); submits it if overdue."""
    assert ctx.user
    attempt_id = ctx.path_int("attempt_id")
    with ctx.db.read() as session:
        row = session.exec(select(ExamAttempt.user_id, ExamAttempt.status, ExamAttempt.deadline_ms).where(
            ExamAttempt.id == attempt_id)).first()
    if row is None or (row[0] != ctx.user.id and not _organiser(ctx.user)):
        raise NotFound(t("attempt_not_found"), code="attempt_not_found")
    if row[1] == "open" and row[2] <= ctx.now_ms():
        service.submit(ctx.db, attempt_id, None, ctx.now_ms())
    return attempt_id


@api(role="member")
async def get_attempt(ctx: Ctx) -> Any:
    """The attempt: questions in this candidate's order, saved answers, deadline; the result once submitted."""
    return await in_exam_thread(ctx, lambda: _attempt_response(ctx, _own_attempt(ctx)))


@api(role="member")
async def save_answer(ctx: Ctx) -> Any:
    """Autosave one answer (409 after the deadline or after submit; nothing is stored then).

    The hottest path of a test window, so it runs on the event loop: the paper comes from the cache
    filled at start (a thread reads it otherwise), the save is checked and shaped here, and the
    autosave writer stores it with others in one transaction before this replies.
    """
    assert ctx.user
    data = ctx.parse(AnswerIn)
    attempt_id, question_id, now = ctx.path_int("attempt_id"), ctx.path_int("question_id"), ctx.now_ms()
    info = service.cached_paper(ctx.db, attempt_id)
    if info is None:
        info = await in_exam_thread(ctx, service.paper_info, ctx.db, attempt_id)
    save, reply = service.prepare_save(info, attempt_id, ctx.user, question_id, data.answer, now)
    if await autosave.save_async(ctx.db, save):
        return reply
    assert info is not None  # prepare_save refused a missing paper
    await in_exam_thread(ctx, service.refuse_save, ctx.db, attempt_id, info.deadline_ms, now)
    raise AssertionError("unreachable: refuse_save raises")


@api(role="member")
async def submit_attempt(ctx: Ctx) -> Any:
    """Submit: score, pass, details (with keys and explanations only once review is allowed)."""

    def run() -> Any:
        assert ctx.user
        now = ctx.now_ms()
        attempt, exam, graded = service.submit(ctx.db, ctx.path_int("attempt_id"), ctx.user, now)
        if graded is not None:
            return result_json(None, attempt, exam, now, _tz(ctx), rows=graded)
        with ctx.db.read() as session:
            return result_json(session, attempt, exam, now, _tz(ctx))

    return await in_exam_thread(ctx, run)


@api(role="member")
def attempt_event(ctx: Ctx) -> Any:
    """Record the candidate leaving the page (``{"type": "blur"}``); returns the count."""
    assert ctx.user
    data = ctx.parse(EventIn)
    return {"blur_count": service.record_event(ctx.db, ctx.path_int("attempt_id"), ctx.user, data.type)}


# --- organisers: results, progress, statistics, grading ----------------------------------------------

def _exam_for_results(ctx: Ctx) -> int:
    exam_id = ctx.path_int("exam_id")
    with ctx.db.read() as session:
        service.get_exam(session, exam_id)
    service.sweep(ctx.db, ctx.now_ms(), exam_id=exam_id)  # results include every overdue attempt
    return exam_id


def _download(data: bytes, media: str, name: str, ascii_name: str) -> Response:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


@api(role="organizer")
def exam_results(ctx: Ctx) -> Any:
    """One row per candidate and the per-unit summary: ``?format=json|xlsx|csv`` (csv: ``&sheet=units``)."""
    exam_id = _exam_for_results(ctx)
    fmt = ctx.query.get("format", "json")
    if fmt not in ("json", "xlsx", "csv"):
        raise BadRequest(t("unsupported_format", fmt=fmt), code="unsupported_format")
    with ctx.db.read() as session:
        exam = service.get_exam(session, exam_id)
        stamp = to_local_text(ctx.now_ms(), _tz(ctx))[:10]
        if fmt == "xlsx":
            return _download(results.results_xlsx(session, exam, _tz(ctx)), XLSX, f"{exam.title}-成绩-{stamp}.xlsx",
                             f"exam-{exam_id}-results.xlsx")
        if fmt == "csv":
            sheet = "units" if ctx.query.get("sheet") == "units" else "rows"
            label = "单位汇总" if sheet == "units" else "成绩"
            return _download(results.results_csv(session, exam, _tz(ctx), sheet), "text/csv; charset=utf-8",
                             f"{exam.title}-{label}-{stamp}.csv", f"exam-{exam_id}-{sheet}.csv")
        limit, offset = ctx.page_args(1000, 100_000)
        return results.results_json(session, exam, _tz(ctx), limit, offset)


@api(role="organizer")
def exam_progress(ctx: Ctx) -> Any:
    """Live: not started / in progress / submitted, per unit."""
    exam_id = _exam_for_results(ctx)
    with ctx.db.read() as session:
        return results.progress(session, service.get_exam(session, exam_id), ctx.now_ms())


@api(role="organizer")
def exam_stats(ctx: Ctx) -> Any:
    """Per question: correct rate, hardest first."""
    exam_id = _exam_for_results(ctx)
    with ctx.db.read() as session:
        items = results.question_stats(session, service.get_exam(session, exam_id))
    return {"items": items, "total": len(items)}


@api(role="organizer")
def grading_queue(ctx: Ctx) -> Any:
    """Short answers waiting for a grader (``?state=graded`` for those already graded)."""
    exam_id = _exam_for_results(ctx)
    limit, offset = ctx.page_args(50, 500)
    state = "graded" if ctx.query.get("state") == "graded" else "pending"
    with ctx.db.read() as session:
        return marking.queue(session, service.get_exam(session, exam_id), state, limit, offset, _tz(ctx))


@api(role="organizer")
def grade(ctx: Ctx) -> Any:
    """Grade one short answer ``{"score", "comment"}``; the attempt is final when none is left pending."""
    assert ctx.user
    data = ctx.parse(GradeIn)
    with ctx.db.write() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        return marking.grade_answer(session, exam, ctx.path_int("answer_id"), data.score, data.comment, ctx.user,
                                    ctx.now_ms())


@api(role="organizer")
def accept_prescores(ctx: Ctx) -> Any:
    """Accept the keyword pre-score of every pending short answer that has one."""
    assert ctx.user
    with ctx.db.read() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
    return {"graded": marking.accept_prescores(ctx.db, exam, ctx.user, ctx.now_ms())}


# --- pages ------------------------------------------------------------------------------------------

def _window_text(exam: dict[str, Any], tz: str) -> str:
    return f"{to_local_text(exam['opens_ms'], tz)[:16]} 至 {to_local_text(exam['closes_ms'], tz)[:16]}"


def _duration_text(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if rest:
        return f"{minutes} 分 {rest} 秒" if minutes else f"{rest} 秒"
    return f"{minutes} 分钟"


@page("exams.html", role="member")
def exams_page(ctx: Ctx) -> Any:
    items = my_exams(ctx)
    for item in items:
        item["window_text"] = _window_text(item, _tz(ctx))
        item["duration_text"] = _duration_text(item["duration_s"])
    groups: dict[str, list[dict[str, Any]]] = {"open": [], "upcoming": [], "done": []}
    for item in items:
        if item["state"] == "upcoming":
            groups["upcoming"].append(item)
        elif item["state"] == "open" and (item["my"]["can_start"] or item["my"]["status"] == "in_progress"):
            groups["open"].append(item)
        else:
            groups["done"].append(item)
    return {"groups": groups, "type_names": TYPE_NAMES, "active": "exams"}


@page("exams_take.html", role="member")
def exam_take_page(ctx: Ctx) -> Any:
    assert ctx.user
    with ctx.db.read() as session:
        exam = service.visible_exam(session, ctx.path_int("exam_id"), ctx.user)
        data = exam_json(exam, ctx.now_ms(), _tz(ctx), organiser=False)
    return {"exam": data, "review_names": REVIEW_NAMES, "active": "exams",
            "window_text": _window_text(data, _tz(ctx)), "duration_text": _duration_text(exam.duration_s)}


@page("admin_exams.html", role="organizer")
def admin_exams_page(ctx: Ctx) -> Any:
    return {"active": "exams_admin"}


@page("admin_exams_form.html", role="organizer")
def admin_exam_new_page(ctx: Ctx) -> Any:
    with ctx.db.read() as session:
        banks = [{"id": b.id, "name": b.name} for b in session.exec(select(Bank).order_by(Bank.id)).all()]
    return {"banks": banks, "exam_id": None, "active": "exams_admin"}


@page("admin_exams_form.html", role="organizer")
def admin_exam_edit_page(ctx: Ctx) -> Any:
    with ctx.db.read() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        banks = [{"id": b.id, "name": b.name} for b in session.exec(select(Bank).order_by(Bank.id)).all()]
    return {"banks": banks, "exam_id": exam.id, "active": "exams_admin"}


@page("admin_exams_detail.html", role="organizer")
def admin_exam_detail_page(ctx: Ctx) -> Any:
    with ctx.db.read() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        return {"exam": exam_json(exam, ctx.now_ms(), _tz(ctx), organiser=True), "active": "exams_admin"}


@page("admin_exams_grading.html", role="organizer")
def admin_exam_grading_page(ctx: Ctx) -> Any:
    with ctx.db.read() as session:
        exam = service.get_exam(session, ctx.path_int("exam_id"))
        return {"exam": exam_json(exam, ctx.now_ms(), _tz(ctx), organiser=True), "active": "exams_admin"}


# --- the deadline sweeper -------------------------------------------------------------------------

async def _sweep_forever(app: Any) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            await run_in_threadpool(service.sweep, app.state.db, app.state.clock.now_ms())
        except Exception:  # keep sweeping; the next pass retries
            log.exception("exam deadline sweep failed")


async def startup(app: Any) -> None:
    """Start the exam's threads; submit what expired while the server was down, then keep sweeping."""
    app.state.exam_threads = anyio.CapacityLimiter(EXAM_THREADS)
    count = await run_in_threadpool(service.sweep, app.state.db, app.state.clock.now_ms())
    if count:
        log.info("submitted %d overdue exam attempts at start-up", count)
    app.state.exam_sweeper = asyncio.create_task(_sweep_forever(app))


async def shutdown(app: Any) -> None:
    task = getattr(app.state, "exam_sweeper", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    autosave.close_loop_writer(app.state.db)
    await run_in_threadpool(autosave.stop, app.state.db)


A = "/api/exams"
routes = [
    # The hot paths of a test window first: Starlette tries routes in order.
    Route("/api/attempts/{attempt_id:int}/answers/{question_id:int}", save_answer, methods=["PUT"]),
    Route("/api/attempts/{attempt_id:int}", get_attempt, methods=["GET"]),
    Route(A + "/{exam_id:int}/attempts", start_attempt, methods=["POST"]),
    Route("/api/attempts/{attempt_id:int}/submit", submit_attempt, methods=["POST"]),
    Route("/api/attempts/{attempt_id:int}/events", attempt_event, methods=["POST"]),
    Route(A, create_exam, methods=["POST"]),
    Route(A, list_exams, methods=["GET"]),
    Route(f"{A}/preview", preview_rules, methods=["POST"]),
    Route(f"{A}/units", units, methods=["GET"]),
    Route(A + "/{exam_id:int}", get_exam, methods=["GET"]),
    Route(A + "/{exam_id:int}", update_exam, methods=["PUT"]),
    Route(A + "/{exam_id:int}", delete_exam, methods=["DELETE"]),
    Route(A + "/{exam_id:int}/rules-preview", exam_rules_preview, methods=["GET"]),
    Route(A + "/{exam_id:int}/results", exam_results, methods=["GET"]),
    Route(A + "/{exam_id:int}/progress", exam_progress, methods=["GET"]),
    Route(A + "/{exam_id:int}/stats", exam_stats, methods=["GET"]),
    Route(A + "/{exam_id:int}/grading", grading_queue, methods=["GET"]),
    Route(A + "/{exam_id:int}/grading/accept-prescores", accept_prescores, methods=["POST"]),
    Route(A + "/{exam_id:int}/grading/{answer_id:int}", grade, methods=["PUT"]),
    Route("/exams", exams_page, methods=["GET"]),
    Route("/exams/{exam_id:int}", exam_take_page, methods=["GET"]),
    Route("/admin/exams", admin_exams_page, methods=["GET"]),
    Route("/admin/exams/new", admin_exam_new_page, methods=["GET"]),
    Route("/admin/exams/{exam_id:int}", admin_exam_detail_page, methods=["GET"]),
    Route("/admin/exams/{exam_id:int}/edit", admin_exam_edit_page, methods=["GET"]),
    Route("/admin/exams/{exam_id:int}/grading", admin_exam_grading_page, methods=["GET"]),
]
