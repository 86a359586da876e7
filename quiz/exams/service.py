"""Discipline tests: creating tests from rules, drawing papers, autosave, submitting and the deadline sweep.

The server's clock decides everything: ``deadline_ms = min(started + duration, closes)`` is stored
with the attempt; a save is checked against it inside the write transaction that stores it
(``autosave``: many saves a transaction, acknowledged after its commit), and
``sweep`` submits attempts whose deadline passed (also at start-up, for those that expired while
the server was down). Submitting is idempotent: the attempt row is locked and a second submit
returns the stored result.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from question_bank.drawing import (
    Candidate,
    DrawError,
    Rule,
    Shortage,
    arrange,
    check,
    draw,
    pools,
    shuffle_options,
)
from question_bank.grading import AnswerError
from question_bank.models import Bank, Question
from quiz.errors import Conflict, Forbidden, Invalid, NotFound
from quiz.exams import autosave
from quiz.exams.grading import from_cents, grade_item, normalise, to_cents
from quiz.exams.models import AttemptAnswer, Exam, ExamAttempt
from quiz.exams.schemas import TYPE_NAMES, ExamIn, PreviewIn, exam_state
from quiz.i18n import register, t
from quiz.models import User, role_rank
from quiz.timeutil import parse_iso, to_iso

log = logging.getLogger("quiz.exams")

OPEN, SUBMITTED = "open", "submitted"
BANK_CHECK_S = 1.0  # how often a cached bank is compared with the database (edits show up within this)

register("zh", {
    "exam_not_found": "测试不存在",
    "attempt_not_found": "答卷不存在",
    "not_in_audience": "本测试不面向您所在的单位",
    "exam_not_open": "不在测试开放时间内（{opens} 至 {closes}）",
    "attempts_exhausted": "作答次数已用完（最多 {max} 次）",
    "deadline_passed": "答题时间已到，答案未保存；试卷已自动提交",
    "attempt_submitted": "试卷已提交，不能再修改答案",
    "question_not_in_paper": "该题不在您的试卷中",
    "rule_unsatisfiable": "题库无法满足抽题规则",
    "rule_short": "第 {n} 条规则（{type}{tags}，难度 {low}–{high}）需要 {count} 题，题库中只有 {available} 题可选",
    "rule_short_overlap": "第 {n} 条规则（{type}{tags}）需要 {count} 题；与其他规则共用题目后只能抽到 {available} 题"
                          "（单独可选 {alone} 题）",
    "exam_already_open": "测试已开放或已有人作答，不能再修改",
    "exam_has_attempts": "已有人作答，不能删除",
    "window_invalid": "结束时间必须晚于开始时间",
    "pass_above_max": "及格分（{pass_score}）不能高于满分（{max_score}）",
    "time_invalid": "时间格式不正确，应为 ISO 8601，如 2026-05-01T09:00:00+08:00",
    "grade_not_found": "找不到该简答题",
    "grade_too_high": "得分不能超过本题分值 {points}",
    "exam_not_submitted": "试卷尚未提交，不能评分",
})
register("en", {
    "exam_not_found": "Test not found",
    "attempt_not_found": "Attempt not found",
    "not_in_audience": "This test is not open to your unit",
    "exam_not_open": "The test is not open now ({opens} to {closes})",
    "attempts_exhausted": "No attempts left (at most {max})",
    "deadline_passed": "Time is up; the answer was not saved and the paper was submitted",
    "attempt_submitted": "The paper was submitted; answers can no longer change",
    "question_not_in_paper": "This question is not in your paper",
    "rule_unsatisfiable": "The bank cannot satisfy the rules",
    "exam_already_open": "The test has opened or has attempts; it can no longer be edited",
    "exam_has_attempts": "The test has attempts and cannot be deleted",
    "window_invalid": "The closing time must be after the opening time",
    "time_invalid": "Invalid time; use ISO 8601",
})


# --- the bank's question index (cached briefly: thousands of candidates start within seconds) ----------

@dataclass
class _BankEntry:
    checked: float  # time.monotonic() of the last fingerprint check
    fingerprint: tuple[int, int, int]
    questions: list[Candidate]
    pools: dict[str, list[list[int]]]  # rules (as JSON) -> the ids each rule may draw from
    snapshots: dict[int, dict[str, Any]]  # question id -> snapshot at the fingerprint's state


def _caches(db: Any) -> dict[str, Any]:
    """Caches live on the Database object, so a new app (or test) never sees another's entries."""
    caches = getattr(db, "_exam_caches", None)
    if caches is None:
        caches = {"lock": threading.Lock(), "banks": {}, "papers": OrderedDict()}
        db._exam_caches = caches
    return caches


def bank_fingerprint(session: Session, bank_id: int) -> tuple[int, int, int]:
    """Changes whenever a question of the bank is added, edited (version) or deleted."""
    row = session.exec(select(func.count(), func.coalesce(func.sum(Question.version), 0),
                              func.coalesce(func.max(Question.id), 0)).where(
        Question.bank_id == bank_id, Question.deleted == False)).one()  # noqa: E712
    return int(row[0]), int(row[1]), int(row[2])


def _bank_entry(db: Any, bank_id: int, fresh: bool = False) -> _BankEntry:
    """The bank as drawing sees it. Thousands of candidates start within minutes, so it is kept per
    process and checked against the bank's fingerprint at most every ``BANK_CHECK_S`` seconds."""
    caches = _caches(db)
    now = time.monotonic()
    with caches["lock"]:
        entry = caches["banks"].get(bank_id)
    if entry is not None and not fresh and now - entry.checked < BANK_CHECK_S:
        return entry
    with db.read() as session:
        fingerprint = bank_fingerprint(session, bank_id)
        if entry is not None and not fresh and entry.fingerprint == fingerprint:
            entry.checked = now
            return entry
        entry = _BankEntry(now, fingerprint, load_candidates(session, bank_id), {}, {})
    with caches["lock"]:
        caches["banks"][bank_id] = entry
    return entry


def bank_candidates(db: Any, bank_id: int, fresh: bool = False) -> list[Candidate]:
    """The bank's questions as drawing sees them (cached for a few seconds)."""
    return list(_bank_entry(db, bank_id, fresh).questions)


def load_candidates(session: Session, bank_id: int) -> list[Candidate]:
    rows = session.exec(select(Question.id, Question.type, Question.difficulty, Question.tags).where(
        Question.bank_id == bank_id, Question.deleted == False).order_by(Question.id)).all()  # noqa: E712
    return [Candidate(id=r[0], type=r[1], difficulty=r[2], tags=frozenset(r[3] or ())) for r in rows]


def rules_of(exam_rules: list[dict[str, Any]]) -> list[Rule]:
    return [Rule.from_dict(r) for r in exam_rules]


def shortage_details(shortages: list[Shortage]) -> list[dict[str, Any]]:
    details = []
    for s in shortages:
        tags = f"，标签：{'、'.join(s.rule.tags)}" if s.rule.tags else ""
        params = {"n": s.index + 1, "type": TYPE_NAMES.get(s.rule.type, s.rule.type), "tags": tags,
                  "low": s.rule.difficulty[0], "high": s.rule.difficulty[1], "count": s.rule.count,
                  "available": s.available, "alone": s.alone}
        message = t("rule_short", **params) if s.alone < s.rule.count else t("rule_short_overlap", **params)
        details.append({"field": f"rules.{s.index}", "index": s.index, "type": s.rule.type, "tags": list(s.rule.tags),
                        "difficulty": list(s.rule.difficulty), "count": s.rule.count, "available": s.available,
                        "matching": s.alone, "message": message})
    return details


def preview(session: Session, data: PreviewIn) -> dict[str, Any]:
    """How many questions each rule can draw from (alone and together with the other rules)."""
    if session.get(Bank, data.bank_id) is None:
        raise NotFound(t("bank_not_found"), code="bank_not_found")
    stored = [r.stored() for r in data.rules]
    return preview_rules(load_candidates(session, data.bank_id), data.bank_id, stored)


def preview_rules(questions: list[Candidate], bank_id: int, stored: list[dict[str, Any]]) -> dict[str, Any]:
    rules = rules_of(stored)
    counted = [(i, r) for i, r in enumerate(rules) if r.count > 0]
    matching = pools(rules, questions)
    shortages = {s.index: s for s in check([r for _, r in counted], questions)}
    short_by_rule = {counted[k][0]: s for k, s in shortages.items()}
    items = []
    for i, rule in enumerate(rules):
        short = short_by_rule.get(i)
        items.append({
            "index": i, "type": rule.type, "tags": list(rule.tags), "difficulty": list(rule.difficulty),
            "count": rule.count, "available": len(matching[i]),
            "drawable": short.available if short else rule.count, "ok": short is None,
            "points": from_cents(stored[i]["points_cents"]),
            "subtotal": from_cents(stored[i]["points_cents"] * rule.count),
        })
    problems = shortage_details([Shortage(i, s.rule, s.available, s.alone) for i, s in short_by_rule.items()])
    max_cents = sum(r["points_cents"] * r["count"] for r in stored)
    return {"bank_id": bank_id, "rules": items, "question_count": sum(r.count for r in rules),
            "max_score": from_cents(max_cents), "ok": not problems, "problems": problems,
            "bank_questions": len(questions)}


# --- tests ----------------------------------------------------------------------------------------

def _parse_time(value: str, field: str, tz: str) -> int:
    try:
        return parse_iso(value, tz)
    except (ValueError, OverflowError):
        raise Invalid(t("time_invalid"), code="time_invalid",
                      details=[{"field": field, "message": t("time_invalid")}]) from None


def apply_exam(session: Session, exam: Exam, data: ExamIn, tz: str, now_ms: int) -> Exam:
    """Validate ``data`` against the bank and copy it into ``exam`` (422 naming any rule the bank cannot fill)."""
    if session.get(Bank, data.bank_id) is None:
        raise Invalid(t("bank_not_found"), code="bank_not_found",
                      details=[{"field": "bank_id", "message": t("bank_not_found")}])
    opens, closes = _parse_time(data.opens_at, "opens_at", tz), _parse_time(data.closes_at, "closes_at", tz)
    if closes <= opens:
        raise Invalid(t("window_invalid"), code="window_invalid",
                      details=[{"field": "closes_at", "message": t("window_invalid")}])
    stored = [r.stored() for r in data.rules]
    shortages = check(rules_of(stored), load_candidates(session, data.bank_id))
    if shortages:
        details = shortage_details(shortages)
        raise Invalid(details[0]["message"], code="rule_unsatisfiable", details=details)
    max_cents = sum(r["points_cents"] * r["count"] for r in stored)
    pass_cents = to_cents(data.pass_score) if data.pass_score is not None else (max_cents * 60 + 99) // 100
    if pass_cents > max_cents:
        message = t("pass_above_max", pass_score=from_cents(pass_cents), max_score=from_cents(max_cents))
        raise Invalid(message, code="pass_above_max", details=[{"field": "pass_score", "message": message}])
    exam.title, exam.description, exam.bank_id = data.title.strip(), data.description, data.bank_id
    exam.rules, exam.duration_s, exam.opens_ms, exam.closes_ms = stored, data.duration_s, opens, closes
    exam.max_attempts, exam.shuffle_questions, exam.shuffle_options = (data.max_attempts, data.shuffle_questions,
                                                                       data.shuffle_options)
    exam.pass_cents, exam.max_cents, exam.question_count = pass_cents, max_cents, sum(r["count"] for r in stored)
    exam.multiple_partial, exam.review, exam.audience_units = data.multiple_partial, data.review, data.audience.units
    exam.updated_ms = now_ms
    session.add(exam)
    session.flush()
    return exam


def get_exam(session: Session, exam_id: int) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None or exam.deleted:
        raise NotFound(t("exam_not_found"), code="exam_not_found")
    return exam


def in_audience(exam: Exam, user: User) -> bool:
    return not exam.audience_units or user.unit in exam.audience_units


def visible_exam(session: Session, exam_id: int, user: User) -> Exam:
    """The test if this user may take it (organisers may see every test)."""
    exam = get_exam(session, exam_id)
    if role_rank(user.role) < role_rank("organizer") and not in_audience(exam, user):
        raise Forbidden(t("not_in_audience"), code="not_in_audience")
    return exam


def can_edit(session: Session, exam: Exam, now_ms: int) -> bool:
    attempts = session.exec(select(func.count()).select_from(ExamAttempt).where(ExamAttempt.exam_id == exam.id)).one()
    return now_ms < exam.opens_ms and attempts == 0


# --- papers ---------------------------------------------------------------------------------------

def paper_rng(secret: str, exam_id: int, user_id: int, number: int) -> random.Random:
    """The candidate's own random stream: the same attempt always draws and shuffles the same way."""
    digest = hashlib.sha256(f"{secret}|exam={exam_id}|user={user_id}|attempt={number}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def make_item(snapshot: dict[str, Any], rule_index: int, rule: dict[str, Any], rng: random.Random,
              shuffle: bool) -> dict[str, Any]:
    """One frozen paper item: options relabelled A, B, … in the order shown and the key remapped to match."""
    options, answer, mapping = snapshot["options"], snapshot["answer"], {}
    if snapshot["type"] in ("single", "multiple") and options:
        options, answer, mapping = shuffle_options(options, answer, rng, shuffle)
    return {"qid": snapshot["id"], "version": snapshot.get("version", 1), "rule": rule_index,
            "type": snapshot["type"], "stem": snapshot["stem"], "options": options, "answer": answer,
            "explanation": snapshot.get("explanation", ""), "points": int(rule.get("points_cents", 0)),
            "keywords": list(rule.get("keywords") or snapshot.get("keywords") or []), "option_map": mapping,
            "tags": snapshot.get("tags", []), "difficulty": snapshot.get("difficulty", 3),
            **({"media": snapshot["media"]} if snapshot.get("media") else {})}


_SNAPSHOT_COLUMNS = (Question.id, Question.version, Question.type, Question.stem, Question.options, Question.answer,
                     Question.explanation, Question.tags, Question.difficulty, Question.deleted, Question.media)


def load_snapshots(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """``Question.snapshot()`` of each id that is not deleted, read as plain rows (no ORM objects)."""
    rows = session.execute(select(*_SNAPSHOT_COLUMNS).where(Question.id.in_(ids)))  # type: ignore[union-attr]
    return {r.id: {"id": r.id, "version": r.version, "type": r.type, "stem": r.stem, "options": r.options,
                   "answer": r.answer, "explanation": r.explanation, "tags": r.tags, "difficulty": r.difficulty,
                   **({"media": r.media} if r.media else {})}
            for r in rows if not r.deleted}


def _snapshots(db: Any, entry: _BankEntry, ids: list[int]) -> dict[int, dict[str, Any]] | None:
    """Snapshots of ``ids`` as of the entry's fingerprint (None if one was deleted since)."""
    missing = [qid for qid in ids if qid not in entry.snapshots]
    if missing:
        with db.read() as session:
            entry.snapshots.update(load_snapshots(session, missing))
    found = {qid: entry.snapshots[qid] for qid in ids if qid in entry.snapshots}
    return found if len(found) == len(set(ids)) else None


def build_paper(db: Any, exam: Exam, rng: random.Random) -> list[dict[str, Any]]:
    """Draw this candidate's paper (422 naming the rule when the bank no longer has enough questions)."""
    rules = rules_of(exam.rules)
    key = json.dumps(exam.rules, sort_keys=True)
    for fresh in (False, True):
        entry = _bank_entry(db, exam.bank_id, fresh=fresh)
        rule_pools = entry.pools.get(key)
        if rule_pools is None:
            rule_pools = entry.pools[key] = pools(rules, entry.questions)
        try:
            picked = draw(rules, entry.questions, rng, rule_pools)
        except DrawError as exc:
            if not fresh:
                continue
            details = shortage_details(exc.shortages)
            raise Invalid(details[0]["message"], code="rule_unsatisfiable", details=details) from None
        found = _snapshots(db, entry, [qid for _, qid in picked])
        if found is not None:
            break
    else:  # pragma: no cover - the bank changed twice while drawing
        raise Conflict(t("conflict"))
    order = arrange(picked, rng, exam.shuffle_questions)
    return [make_item(found[qid], rule_index, exam.rules[rule_index], rng, exam.shuffle_options)
            for rule_index, qid in order]


def deadline_for(exam: Exam, started_ms: int) -> int:
    return min(started_ms + exam.duration_s * 1000, exam.closes_ms)


_INSERT_ATTEMPT = insert(ExamAttempt.__table__).returning(ExamAttempt.__table__.c.id)  # type: ignore[attr-defined]


def start_attempt(db: Any, exam_id: int, user: User, now_ms: int, secret: str,
                  tz: str) -> tuple[int, ExamAttempt | None, Exam]:
    """The open attempt of this user ``(id, None, exam)``, or a new one with a freshly drawn paper
    ``(id, attempt, exam)``."""
    with db.read() as session:
        exam = visible_exam(session, exam_id, user)
        attempts = session.exec(select(ExamAttempt.id, ExamAttempt.status, ExamAttempt.deadline_ms).where(
            ExamAttempt.exam_id == exam_id, ExamAttempt.user_id == user.id)).all()
    for attempt_id, status, deadline in attempts:
        if status == OPEN and deadline <= now_ms:
            submit(db, attempt_id, None, now_ms)
        elif status == OPEN:
            return attempt_id, None, exam
    if exam_state(exam, now_ms) != "open":
        raise Conflict(t("exam_not_open", opens=to_iso(exam.opens_ms, tz), closes=to_iso(exam.closes_ms, tz)),
                       code="exam_not_open", details=[{"opens_at": to_iso(exam.opens_ms, tz),
                                                       "closes_at": to_iso(exam.closes_ms, tz)}])
    if len(attempts) >= exam.max_attempts:
        raise Conflict(t("attempts_exhausted", max=exam.max_attempts), code="attempts_exhausted")
    paper = build_paper(db, exam, paper_rng(secret, exam.id or 0, user.id or 0, len(attempts) + 1))
    for _ in range(3):
        try:
            with db.write() as session:
                existing = session.exec(select(ExamAttempt.id, ExamAttempt.status, ExamAttempt.deadline_ms).where(
                    ExamAttempt.exam_id == exam_id, ExamAttempt.user_id == user.id)).all()
                current = [a for a in existing if a[1] == OPEN and a[2] > now_ms]
                if current:  # a parallel request of the same candidate got there first
                    return current[0][0] or 0, None, exam
                if len(existing) >= exam.max_attempts:
                    raise Conflict(t("attempts_exhausted", max=exam.max_attempts), code="attempts_exhausted")
                values: dict[str, Any] = {
                    "exam_id": exam_id, "user_id": user.id or 0, "number": len(existing) + 1, "unit": user.unit,
                    "status": OPEN, "started_ms": now_ms, "deadline_ms": deadline_for(exam, now_ms),
                    "last_saved_ms": now_ms, "submitted_ms": None, "submitted_by": "", "paper": paper,
                    "score_cents": 0, "max_cents": sum(i["points"] for i in paper), "correct": 0, "answered": 0,
                    "total": len(paper), "pending": 0, "passed": None, "blur_count": 0}
                # A prepared Core insert: the ORM's unit of work cost more than the rest of the start together.
                new_id = session.execute(_INSERT_ATTEMPT, values).scalar_one()
                attempt = ExamAttempt(id=new_id, **values)
            remember_paper(db, attempt.id or 0, attempt.user_id, attempt.exam_id, attempt.deadline_ms, paper)
            return attempt.id or 0, attempt, exam
        except IntegrityError:  # the same attempt number inserted concurrently (PostgreSQL): look again
            continue
    raise Conflict(t("conflict"))


# --- autosave -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaperInfo:
    """What a save needs to know of an attempt; immutable, so cached per process."""

    user_id: int
    exam_id: int
    deadline_ms: int
    # question id -> (position, type, option keys, blanks): plain atoms, which the garbage collector
    # stops tracking, so 10,000 cached papers do not lengthen its pauses
    items: dict[int, tuple[int, str, str, int]]

    def shape(self, question_id: int) -> tuple[int, dict[str, Any]] | None:
        """(position, the question as ``normalise_answer`` needs it) or None if not in the paper."""
        entry = self.items.get(question_id)
        if entry is None:
            return None
        position, kind, keys, blanks = entry
        return position, {"type": kind, "options": [{"key": k} for k in keys], "answer": [[]] * blanks}


PAPER_CACHE_SIZE = 50_000


def cached_paper(db: Any, attempt_id: int) -> PaperInfo | None:
    """What saves need to know of an attempt, if this process has it cached (no query: safe on the loop)."""
    caches = _caches(db)
    with caches["lock"]:
        hit = caches["papers"].get(attempt_id)
        if hit is not None:
            caches["papers"].move_to_end(attempt_id)
        return hit


def paper_info(db: Any, attempt_id: int) -> PaperInfo | None:
    hit = cached_paper(db, attempt_id)
    if hit is not None:
        return hit
    with db.read() as session:
        row = session.exec(select(ExamAttempt.user_id, ExamAttempt.exam_id, ExamAttempt.deadline_ms,
                                  ExamAttempt.paper).where(ExamAttempt.id == attempt_id)).first()
    if row is None:
        return None
    return remember_paper(db, attempt_id, row[0], row[1], row[2], row[3])


def remember_paper(db: Any, attempt_id: int, user_id: int, exam_id: int, deadline_ms: int,
                   paper: list[dict[str, Any]]) -> PaperInfo:
    """Cache what saves need to know of this attempt (done when it starts, so the first save reads nothing)."""
    items = {int(item["qid"]): (position, str(item["type"]), "".join(str(o["key"]) for o in item.get("options") or []),
                                len(item.get("answer") or []) if item["type"] == "fill" else 0)
             for position, item in enumerate(paper)}
    info = PaperInfo(user_id, exam_id, deadline_ms, items)
    caches = _caches(db)
    with caches["lock"]:
        caches["papers"][attempt_id] = info
        while len(caches["papers"]) > PAPER_CACHE_SIZE:
            caches["papers"].popitem(last=False)
    return info


def prepare_save(info: PaperInfo | None, attempt_id: int, user: User, question_id: int,
                 raw: Any, now_ms: int) -> tuple[autosave.Save, dict[str, Any]]:
    """Check a save against the paper (404/422) and shape it: (what the writer stores, the reply)."""
    if info is None or info.user_id != user.id:
        raise NotFound(t("attempt_not_found"), code="attempt_not_found")
    entry = info.shape(question_id)
    if entry is None:
        raise NotFound(t("question_not_in_paper"), code="question_not_in_paper")
    position, shape = entry
    try:
        answer = normalise(shape, raw)
    except AnswerError as exc:
        raise Invalid(t("answer_invalid", reason=str(exc)), code="answer_invalid",
                      details=[{"field": "answer", "message": str(exc)}]) from None
    stored = None if answer is None else json.dumps(answer, ensure_ascii=False)
    reply = {"question_id": question_id, "your_answer": answer, "saved_ms": now_ms, "now_ms": now_ms,
             "deadline_ms": info.deadline_ms}
    return (attempt_id, info.exam_id, question_id, position, stored, now_ms), reply


def refuse_save(db: Any, attempt_id: int, deadline_ms: int, now_ms: int) -> None:
    """A save the writer did not store: 409 for a submitted attempt, or submit an overdue one and 409."""
    with db.read() as session:
        status = session.exec(select(ExamAttempt.status).where(ExamAttempt.id == attempt_id)).one()
    if status == SUBMITTED:
        raise Conflict(t("attempt_submitted"), code="attempt_submitted")
    submit(db, attempt_id, None, now_ms)  # too late: it is submitted with what was saved
    raise Conflict(t("deadline_passed"), code="deadline_passed",
                   details=[{"deadline_ms": deadline_ms, "now_ms": now_ms}])


def record_event(db: Any, attempt_id: int, user: User, kind: str) -> int:
    """Count the candidate leaving the page (``blur``/``hidden``); returns the count so far."""
    info = paper_info(db, attempt_id)
    if info is None or info.user_id != user.id:
        raise NotFound(t("attempt_not_found"), code="attempt_not_found")
    if kind in ("blur", "hidden"):
        with db.write() as session:
            session.execute(update(ExamAttempt).where(
                ExamAttempt.id == attempt_id, ExamAttempt.status == OPEN,  # type: ignore[arg-type]
            ).values(blur_count=ExamAttempt.blur_count + 1).execution_options(synchronize_session=False))
    with db.read() as session:
        return int(session.exec(select(ExamAttempt.blur_count).where(ExamAttempt.id == attempt_id)).one())


# --- submitting -----------------------------------------------------------------------------------

def locked_attempt(session: Session, attempt_id: int) -> ExamAttempt | None:
    """The attempt row, locked for this transaction on PostgreSQL (SQLite's write lock covers it)."""
    return session.exec(select(ExamAttempt).where(ExamAttempt.id == attempt_id).with_for_update()).first()


_ANSWERS = AttemptAnswer.__table__  # type: ignore[attr-defined]
_GRADE_ROW = update(_ANSWERS).where(_ANSWERS.c.id == bindparam("row_id")).values(
    grade_state=bindparam("b_state"), correct=bindparam("b_correct"), score_cents=bindparam("b_score"),
    points_cents=bindparam("b_points"), pre_score_cents=bindparam("b_pre"))


@dataclass(frozen=True)
class GradedRow:
    """An attempt's row as graded at submit (what ``views.result_json`` shows)."""

    answer: Any
    grade_state: str
    correct: bool | None
    score_cents: int
    comment: str = ""


def finalize(session: Session, attempt: ExamAttempt, exam: Exam, now_ms: int) -> dict[int, GradedRow] | None:
    """Grade every item with what was saved and close the attempt; returns the graded rows by question
    id (None when it was already submitted).

    Rows are read and written with Core statements (one executemany each): a submit grades 30 or
    more rows and must stay cheap when thousands of candidates submit at the end of a window.
    """
    if attempt.status == SUBMITTED:
        return None
    graded: dict[int, GradedRow] = {}
    saved = {int(qid): (row_id, answer) for row_id, qid, answer in session.execute(
        select(_ANSWERS.c.id, _ANSWERS.c.question_id, _ANSWERS.c.answer).where(_ANSWERS.c.attempt_id == attempt.id))}
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    score = correct = answered = pending = 0
    for position, item in enumerate(attempt.paper):
        qid = int(item["qid"])
        row_id, answer = saved.get(qid, (None, None))
        outcome = grade_item(item, answer, exam.multiple_partial)
        graded[qid] = GradedRow(answer, outcome.state, outcome.correct, outcome.score_cents)
        if row_id is None:
            inserts.append({"attempt_id": attempt.id, "exam_id": attempt.exam_id, "question_id": qid,
                            "position": position, "answer": None, "saved_ms": 0, "grade_state": outcome.state,
                            "correct": outcome.correct, "score_cents": outcome.score_cents,
                            "points_cents": int(item["points"]), "pre_score_cents": outcome.pre_score_cents,
                            "comment": ""})
        else:
            updates.append({"row_id": row_id, "b_state": outcome.state, "b_correct": outcome.correct,
                            "b_score": outcome.score_cents, "b_points": int(item["points"]),
                            "b_pre": outcome.pre_score_cents})
        score += outcome.score_cents
        correct += int(outcome.correct is True)
        answered += int(answer is not None)
        pending += int(outcome.state == "pending")
    if updates:
        session.execute(_GRADE_ROW, updates)
    if inserts:
        session.execute(insert(_ANSWERS), inserts)
    attempt.status = SUBMITTED
    attempt.submitted_ms = min(now_ms, attempt.deadline_ms)
    attempt.submitted_by = "candidate" if now_ms < attempt.deadline_ms else "auto"
    attempt.score_cents, attempt.correct, attempt.answered, attempt.pending = score, correct, answered, pending
    attempt.total = len(attempt.paper)
    attempt.passed = None if pending else score >= exam.pass_cents
    session.add(attempt)
    return graded


def submit(db: Any, attempt_id: int, user: User | None,
           now_ms: int) -> tuple[ExamAttempt, Exam, dict[int, GradedRow] | None]:
    """Submit (idempotent). ``user`` None: the server submits it (deadline sweep).

    Returns the attempt, its test and, when this call graded it, the graded rows.
    """
    with db.write() as session:
        attempt = locked_attempt(session, attempt_id)
        if attempt is None or (user is not None and attempt.user_id != user.id):
            raise NotFound(t("attempt_not_found"), code="attempt_not_found")
        exam = session.get(Exam, attempt.exam_id)
        assert exam is not None
        graded = finalize(session, attempt, exam, now_ms) if attempt.status == OPEN else None
        return attempt, exam, graded


def sweep(db: Any, now_ms: int, exam_id: int | None = None, user_id: int | None = None, batch: int = 500) -> int:
    """Submit every open attempt whose deadline has passed; returns how many were submitted."""
    done = 0
    failed: set[int] = set()
    while True:
        query = select(ExamAttempt.id).where(ExamAttempt.status == OPEN, ExamAttempt.deadline_ms <= now_ms)
        if exam_id is not None:
            query = query.where(ExamAttempt.exam_id == exam_id)
        if user_id is not None:
            query = query.where(ExamAttempt.user_id == user_id)
        with db.read() as session:
            ids = [i for i in session.exec(query.order_by(ExamAttempt.deadline_ms).limit(batch + len(failed)))
                   if i not in failed]
        for attempt_id in ids:
            try:
                _, _, graded = submit(db, attempt_id, None, now_ms)
                done += int(graded is not None)
            except Exception:  # one broken attempt must not stop the others from being submitted
                log.exception("could not submit attempt %s at its deadline", attempt_id)
                failed.add(attempt_id)
        if len(ids) < batch:
            return done
