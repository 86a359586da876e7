"""Results for organisers: one row per candidate, the per-unit summary, live progress, per-question
statistics, and the exports (xlsx with two sheets in openpyxl's write-only mode, csv, json).

Only the columns needed are selected (never the frozen papers), so 10,000 candidates export in
well under the 3 s budget. A candidate with several attempts is ranked by their best one.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from question_bank.formats.cells import csv_cell, csv_row, xlsx_cell, xlsx_row  # never a formula from a name
from question_bank.models import Question
from quiz.exams.grading import cents_text, from_cents
from quiz.exams.models import AttemptAnswer, Exam, ExamAttempt
from quiz.models import User
from quiz.timeutil import to_iso, to_local_text

NO_UNIT = "（未填单位）"
TOTAL = "合计"
ROW_HEADERS = ["姓名", "账号", "单位", "得分", "用时", "是否及格", "提交时间", "切屏次数"]
UNIT_HEADERS = ["单位", "应考人数", "参考人数", "参考率", "平均分", "及格人数", "及格率"]


def elapsed_text(ms: int) -> str:
    """12 分 5 秒 → "12分05秒"; over an hour "1小时02分03秒"."""
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}小时{minutes:02d}分{secs:02d}秒" if hours else f"{minutes}分{secs:02d}秒"


def passed_text(passed: bool | None) -> str:
    return "待阅卷" if passed is None else ("是" if passed else "否")


@dataclass
class CandidateRow:
    user_id: int
    name: str
    username: str
    unit: str
    role: str
    attempt_id: int
    score_cents: int
    max_cents: int
    elapsed_ms: int
    passed: bool | None
    submitted_ms: int
    blur_count: int
    attempts: int

    def as_json(self, tz: str) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, "username": self.username, "unit": self.unit,
                "attempt_id": self.attempt_id, "score": from_cents(self.score_cents),
                "max_score": from_cents(self.max_cents), "elapsed_ms": self.elapsed_ms,
                "elapsed": elapsed_text(self.elapsed_ms), "passed": self.passed, "final": self.passed is not None,
                "submitted_at": to_iso(self.submitted_ms, tz), "blur_count": self.blur_count,
                "attempts": self.attempts}


def candidate_rows(session: Session, exam: Exam) -> list[CandidateRow]:
    """Each candidate's best submitted attempt (highest score, then shortest time), sorted by unit then score."""
    query = select(ExamAttempt.id, ExamAttempt.user_id, ExamAttempt.score_cents, ExamAttempt.max_cents,
                   ExamAttempt.started_ms, ExamAttempt.submitted_ms, ExamAttempt.passed, ExamAttempt.blur_count,
                   ExamAttempt.unit, User.name, User.username, User.unit, User.role).join(
        User, User.id == ExamAttempt.user_id).where(ExamAttempt.exam_id == exam.id,
                                                     ExamAttempt.status == "submitted")
    best: dict[int, CandidateRow] = {}
    for (attempt_id, user_id, score, max_cents, started, submitted, passed, blur, attempt_unit, name, username,
         unit, role) in session.exec(query):
        row = CandidateRow(user_id, name, username, unit or attempt_unit or NO_UNIT, role, attempt_id, score,
                           max_cents, (submitted or started) - started, passed, submitted or started, blur, 1)
        held = best.get(user_id)
        if held is None:
            best[user_id] = row
            continue
        row.attempts = held.attempts + 1
        if (row.score_cents, -row.elapsed_ms) > (held.score_cents, -held.elapsed_ms):
            best[user_id] = row
        else:
            held.attempts = row.attempts
    return sorted(best.values(), key=lambda r: (r.unit, -r.score_cents, r.elapsed_ms, r.username))


def expected_by_unit(session: Session, exam: Exam, participants: Iterable[tuple[str, str]]) -> dict[str, int]:
    """应考人数: active members of the audience units (every unit when the audience is everyone), plus
    anyone of another role who took the test anyway. ``participants`` are (unit, role) pairs."""
    query = select(User.unit, func.count()).where(User.role == "member", User.active == True)  # noqa: E712
    if exam.audience_units:
        query = query.where(User.unit.in_(exam.audience_units))  # type: ignore[attr-defined]
    expected: dict[str, int] = defaultdict(int)
    for unit in exam.audience_units:
        expected[unit] = 0
    for unit, count in session.exec(query.group_by(User.unit)):
        expected[unit or NO_UNIT] += count
    for unit, role in participants:
        if role != "member":
            expected[unit] += 1
    return expected


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


NOBODY = "—"  # an average or a pass rate of nobody is not 0: shown (and exported) as a dash


def _average(total_cents: int, count: int) -> int | float | None:
    if not count:
        return None
    cents = (Decimal(total_cents) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return from_cents(int(cents)) or 0


def unit_summary(session: Session, exam: Exam, rows: list[CandidateRow]) -> list[dict[str, Any]]:
    """Per unit: 应考人数, 参考人数, 参考率, 平均分, 及格人数, 及格率; the last entry is the total (合计).

    Where nobody has submitted, 平均分 and 及格率 are ``None`` (no average of nobody), not 0."""
    expected = expected_by_unit(session, exam, [(r.unit, r.role) for r in rows])
    by_unit: dict[str, list[CandidateRow]] = defaultdict(list)
    for r in rows:
        by_unit[r.unit].append(r)
    summary = []

    def entry(unit: str, members: list[CandidateRow], should: int) -> dict[str, Any]:
        passed = sum(1 for r in members if r.passed)
        return {"unit": unit, "expected": should, "participants": len(members),
                "participation_rate": _ratio(len(members), should),
                "average": _average(sum(r.score_cents for r in members), len(members)),
                "passed": passed, "pass_rate": _ratio(passed, len(members)) if members else None}

    for unit in sorted(set(expected) | set(by_unit)):
        members = by_unit.get(unit, [])
        summary.append(entry(unit, members, max(expected.get(unit, 0), len(members))))
    summary.append(entry(TOTAL, rows, sum(s["expected"] for s in summary)))
    return summary


def results_json(session: Session, exam: Exam, tz: str, limit: int, offset: int) -> dict[str, Any]:
    rows = candidate_rows(session, exam)
    return {"exam": {"id": exam.id, "title": exam.title, "max_score": from_cents(exam.max_cents),
                     "pass_score": from_cents(exam.pass_cents)},
            "items": [r.as_json(tz) for r in rows[offset:offset + limit]], "total": len(rows),
            "units": unit_summary(session, exam, rows)}


def _row_cells(r: CandidateRow, tz: str) -> list[Any]:
    return [r.name, r.username, r.unit, from_cents(r.score_cents), elapsed_text(r.elapsed_ms), passed_text(r.passed),
            to_local_text(r.submitted_ms, tz), r.blur_count]


def results_xlsx(session: Session, exam: Exam, tz: str) -> bytes:
    """Two sheets: 成绩明细 (one row per candidate) and 单位汇总 (per unit, with the total)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    rows = candidate_rows(session, exam)
    summary = unit_summary(session, exam, rows)
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("成绩明细")
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 22
    sheet.column_dimensions["G"].width = 20
    bold = Font(bold=True)

    def header(ws: Any, names: list[str]) -> None:
        cells = []
        for name in names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)

    header(sheet, ROW_HEADERS)
    for r in rows:
        sheet.append(xlsx_row(sheet, _row_cells(r, tz)))
    units = wb.create_sheet("单位汇总")
    units.column_dimensions["A"].width = 22
    header(units, UNIT_HEADERS)
    for s in summary:
        cells: list[Any] = [xlsx_cell(units, s["unit"]), s["expected"], s["participants"]]
        for value, fmt in ((s["participation_rate"], "0.00%"), (s["average"], "0.00"), (s["passed"], None),
                           (s["pass_rate"], "0.00%")):
            cell = WriteOnlyCell(units, value=NOBODY if value is None else value)
            if fmt and value is not None:
                cell.number_format = fmt
            cells.append(cell)
        units.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def results_csv(session: Session, exam: Exam, tz: str, sheet: str = "rows") -> bytes:
    """One table per file (UTF-8 with BOM, which Excel opens right): candidates, or ``sheet=units``."""
    rows = candidate_rows(session, exam)
    out = io.StringIO()
    writer = csv.writer(out)
    if sheet == "units":
        writer.writerow(UNIT_HEADERS)
        for s in unit_summary(session, exam, rows):
            pass_rate = NOBODY if s["pass_rate"] is None else f"{s['pass_rate'] * 100:.2f}%"
            writer.writerow([csv_cell(s["unit"]), s["expected"], s["participants"], f"{s['participation_rate'] * 100:.2f}%",
                             NOBODY if s["average"] is None else s["average"], s["passed"], pass_rate])
    else:
        writer.writerow(ROW_HEADERS)
        for r in rows:
            cells = _row_cells(r, tz)
            cells[3] = cents_text(r.score_cents)
            writer.writerow(csv_row(cells))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def progress(session: Session, exam: Exam, now_ms: int) -> dict[str, Any]:
    """Live: per unit, how many have not started, are answering, have submitted."""
    query = select(ExamAttempt.user_id, ExamAttempt.status, User.unit, User.role).join(
        User, User.id == ExamAttempt.user_id).where(ExamAttempt.exam_id == exam.id)
    state: dict[int, str] = {}
    who: dict[int, tuple[str, str]] = {}
    for user_id, status, unit, role in session.exec(query):
        who[user_id] = (unit or NO_UNIT, role)
        if status == "open":
            state[user_id] = "in_progress"
        else:
            state.setdefault(user_id, "submitted")
    expected = expected_by_unit(session, exam, who.values())
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"in_progress": 0, "submitted": 0})
    for user_id, s in state.items():
        counts[who[user_id][0]][s] += 1
    units = []
    totals = {"expected": 0, "not_started": 0, "in_progress": 0, "submitted": 0}
    for unit in sorted(set(expected) | set(counts)):
        c = counts.get(unit, {"in_progress": 0, "submitted": 0})
        should = max(expected.get(unit, 0), c["in_progress"] + c["submitted"])
        entry = {"unit": unit, "expected": should, "in_progress": c["in_progress"], "submitted": c["submitted"],
                 "not_started": should - c["in_progress"] - c["submitted"]}
        units.append(entry)
        for key in totals:
            totals[key] += entry[key]
    pending = session.exec(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.exam_id == exam.id, AttemptAnswer.grade_state == "pending")).one()
    return {"exam_id": exam.id, "now_ms": now_ms, "totals": totals, "units": units, "pending_grading": pending}


def question_stats(session: Session, exam: Exam) -> list[dict[str, Any]]:
    """Per question drawn in submitted papers: correct rate and score rate, hardest first."""
    graded = AttemptAnswer.grade_state != ""
    query = select(
        AttemptAnswer.question_id, func.count(),
        func.sum(case((AttemptAnswer.correct == True, 1), else_=0)),  # noqa: E712
        func.sum(case((AttemptAnswer.answer.is_not(None), 1), else_=0)),  # type: ignore[attr-defined]
        func.sum(case((AttemptAnswer.grade_state == "pending", 1), else_=0)),
        func.sum(AttemptAnswer.score_cents), func.sum(AttemptAnswer.points_cents),
    ).where(AttemptAnswer.exam_id == exam.id, graded).group_by(AttemptAnswer.question_id)
    rows = session.exec(query).all()
    questions = {q.id: q for q in session.exec(select(Question).where(
        Question.id.in_([r[0] for r in rows])))} if rows else {}  # type: ignore[union-attr]
    items = []
    for qid, appeared, correct, answered, pending, score, points in rows:
        q = questions.get(qid)
        items.append({"question_id": qid, "type": q.type if q else "", "stem": q.stem if q else "",
                      "tags": q.tags if q else [], "difficulty": q.difficulty if q else None,
                      "appeared": appeared, "answered": int(answered or 0), "correct": int(correct or 0),
                      "pending": int(pending or 0), "correct_rate": _ratio(int(correct or 0), appeared),
                      "score_rate": _ratio(int(score or 0), int(points or 0))})
    items.sort(key=lambda i: (i["correct_rate"], i["score_rate"], -i["appeared"], i["question_id"]))
    return items
