"""The demo test for ``quiz demo``: an open 党规党纪 test of 10 questions from the demo bank, for 30 days."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from quiz.exams.models import Exam
from quiz.exams.schemas import ExamIn
from quiz.exams.service import apply_exam
from quiz.timeutil import to_iso

DAY_MS = 86_400_000
TITLE = "党规党纪知识测试（演示）"

DEMO_RULES = [
    {"type": "single", "count": 4, "tags": [], "difficulty": [1, 5], "points": 10},
    {"type": "multiple", "count": 2, "tags": [], "difficulty": [1, 5], "points": 15},
    {"type": "judge", "count": 3, "tags": [], "difficulty": [1, 5], "points": 6},
    {"type": "fill", "count": 1, "tags": [], "difficulty": [1, 5], "points": 12},
]


def seed_demo(db: Any, context: dict[str, Any]) -> None:
    """Create the demo test (open now, for 30 days, for everyone) and add its URL to the printed lines."""
    now = int(context["now_ms"])
    organiser = context["users"].get("organizer")
    data = ExamIn.model_validate({
        "title": TITLE,
        "description": "演示测试：10 道题，满分 100 分，60 分及格，限时 20 分钟，可作答 3 次，交卷后可查看答案与解析。",
        "bank_id": context["bank"].id,
        "rules": DEMO_RULES,
        "duration_s": 20 * 60,
        "opens_at": to_iso(now - 60_000),
        "closes_at": to_iso(now + 30 * DAY_MS),
        "max_attempts": 3,
        "pass_score": 60,
        "multiple_partial": True,
        "review": "after_submit",
    })
    with db.write() as session:
        exam = session.exec(select(Exam).where(Exam.title == TITLE, Exam.deleted == False)).first()  # noqa: E712
        if exam is None:  # seeding twice adds nothing
            exam = apply_exam(session, Exam(created_by=organiser.id if organiser else None, created_ms=now), data,
                              "Asia/Shanghai", now)
        exam_id = exam.id
    context["exam"] = exam  # the demo competition's prelim uses this test
    base = context["base_url"]
    context["lines"].append(f"  党规党纪测试（演示）：{base}/exams/{exam_id}   （成绩与进度 {base}/admin/exams/{exam_id}）")
