"""Helpers for competition tests: spreadsheets, a competition with teams, exam attempts written directly."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

ROSTER_HEADER = ["队伍", "单位", "姓名", "账号"]


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def roster_rows(teams: int, size: int = 3, prefix: str = "队") -> list[list[Any]]:
    """``teams`` teams of ``size``: team i from unit ``单位{i % 60}``, accounts like phone numbers."""
    rows: list[list[Any]] = [ROSTER_HEADER]
    for i in range(1, teams + 1):
        for seat in range(1, size + 1):
            rows.append([f"{prefix}{i:02d}", f"市直单位{(i - 1) % 60 + 1:02d}", f"队员{i:02d}-{seat}",
                         f"139{i:04d}{seat:04d}"])
    return rows


def check(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def competition(api: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """``competition(teams=4)``: a competition with teams imported (3 players each); returns its detail."""

    def make(teams: int = 4, size: int = 3, title: str = "学党史、知党情、跟党走 知识竞赛") -> dict[str, Any]:
        comp = check(api("POST", "/api/competitions", as_="org", json={"title": title}), 201)
        if teams:
            content = xlsx_bytes(roster_rows(teams, size))
            check(api("POST", f"/api/competitions/{comp['id']}/teams/import", as_="org",
                      files={"file": ("teams.xlsx", content)}))
        return check(api("GET", f"/api/competitions/{comp['id']}", as_="org"))

    return make


@pytest.fixture
def exam_rows(app: Any) -> Callable[..., int]:
    """``exam_rows({user_id: [(score, used_ms), ...]})``: a test with submitted attempts; returns its id."""

    def make(attempts: dict[int, list[tuple[float, int]]], *, open_attempts: list[int] = ()) -> int:
        from question_bank.models import Bank
        from quiz.exams.models import Exam, ExamAttempt

        start = 1_800_000_000_000
        with app.state.db.write() as session:
            bank = Bank(name="竞赛题库")
            session.add(bank)
            session.flush()
            exam = Exam(title="初赛测试", bank_id=bank.id or 0, duration_s=1800, opens_ms=start,
                        closes_ms=start + 86_400_000, max_attempts=3)
            session.add(exam)
            session.flush()
            for user_id, results in attempts.items():
                for number, (score, used_ms) in enumerate(results, start=1):
                    session.add(ExamAttempt(exam_id=exam.id or 0, user_id=user_id, number=number, status="submitted",
                                            started_ms=start, deadline_ms=start + 1_800_000,
                                            submitted_ms=start + used_ms, score_cents=round(score * 100)))
            for user_id in open_attempts:
                session.add(ExamAttempt(exam_id=exam.id or 0, user_id=user_id, number=9, status="open",
                                        started_ms=start, deadline_ms=start + 1_800_000, score_cents=10_000))
            return exam.id or 0

    return make
