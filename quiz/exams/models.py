"""Tables of discipline tests: the test, each candidate's attempt (with its frozen paper) and one row
per question of an attempt (the saved answer, then its grade).

Scores are integers of hundredths of a point (``*_cents``): exact, identical on SQLite and
PostgreSQL, and summed by the database; the API shows them as numbers with at most two decimals.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exam"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    bank_id: int = Field(foreign_key="bank.id", index=True)
    # [{"type", "count", "tags", "difficulty": [lo, hi], "points_cents", "keywords"}]
    rules: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    duration_s: int = 1800
    opens_ms: int = 0
    closes_ms: int = 0
    max_attempts: int = 1
    shuffle_questions: bool = True
    shuffle_options: bool = True
    pass_cents: int = 0
    max_cents: int = 0
    question_count: int = 0
    multiple_partial: bool = False
    review: str = Field(default="after_submit", max_length=16)  # never | after_submit | after_close
    audience_units: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deleted: bool = False
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_ms: int = 0
    updated_ms: int = 0


class ExamAttempt(SQLModel, table=True):
    """One candidate's sitting: the paper drawn for them is frozen here (answers included, never sent)."""

    __tablename__ = "exam_attempt"
    __table_args__ = (
        UniqueConstraint("exam_id", "user_id", "number", name="uq_exam_attempt_number"),
        Index("ix_exam_attempt_due", "status", "deadline_ms"),
        Index("ix_exam_attempt_user", "user_id", "exam_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exam_id: int = Field(foreign_key="exam.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    number: int = 1  # 1 for the first attempt of this user at this test
    unit: str = Field(default="", max_length=200)  # the candidate's unit when they started
    status: str = Field(default="open", max_length=16)  # open | submitted
    started_ms: int = 0
    deadline_ms: int = 0
    last_saved_ms: int = 0
    submitted_ms: int | None = None
    submitted_by: str = Field(default="", max_length=16)  # candidate | auto
    # [{"qid", "version", "rule", "type", "stem", "options" (as shown), "answer" (in shown keys),
    #   "explanation", "points" (cents), "keywords", "option_map" {shown: original}, "tags", "difficulty"}]
    paper: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    score_cents: int = 0
    max_cents: int = 0
    correct: int = 0
    answered: int = 0
    total: int = 0
    pending: int = 0  # short answers waiting for a grader
    passed: bool | None = None  # None until the score is final
    blur_count: int = 0  # times the candidate left the page


class AttemptAnswer(SQLModel, table=True):
    """One question of one attempt: the saved answer (autosave upserts it) and, after submit, its grade."""

    __tablename__ = "attempt_answer"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id", name="uq_attempt_answer_once"),
        Index("ix_attempt_answer_exam", "exam_id", "grade_state"),
        Index("ix_attempt_answer_question", "exam_id", "question_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="exam_attempt.id")
    exam_id: int = Field(foreign_key="exam.id")
    question_id: int = Field(foreign_key="question.id")
    position: int = 0  # index in the candidate's paper
    answer: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True)))  # shown keys; NULL: unanswered
    saved_ms: int = 0
    # Set at submit: "" (not yet), auto (graded by rule), pending (short answer for a grader), manual.
    grade_state: str = Field(default="", max_length=16)
    correct: bool | None = None
    score_cents: int = 0
    points_cents: int = 0
    pre_score_cents: int | None = None  # keyword pre-score offered to the grader
    graded_by: int | None = Field(default=None, foreign_key="user.id")
    graded_ms: int | None = None
    comment: str = Field(default="", max_length=500)
