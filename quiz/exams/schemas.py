"""What clients send (pydantic models) and how a test is shown (``exam_json``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from quiz.exams.grading import from_cents, to_cents
from quiz.exams.models import Exam
from quiz.timeutil import to_iso

QuestionType = Literal["single", "multiple", "judge", "fill", "short"]
Review = Literal["never", "after_submit", "after_close"]


def _check_cents(value: Any) -> Any:
    if value is None:
        return value
    to_cents(value)  # raises ValueError("最多两位小数") for 1.005
    return value


class RuleIn(BaseModel):
    type: QuestionType
    count: int = Field(ge=1, le=500)
    tags: list[str] = Field(default_factory=list, max_length=50)
    difficulty: list[int] = Field(default_factory=lambda: [1, 5], min_length=2, max_length=2)
    points: Decimal = Field(default=Decimal(1), ge=0, le=1000)
    keywords: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("tags", "keywords")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in value if v and v.strip()))

    @field_validator("difficulty")
    @classmethod
    def _range(cls, value: list[int]) -> list[int]:
        low, high = value
        if not (1 <= low <= 5 and 1 <= high <= 5):
            raise ValueError("难度应在 1 到 5 之间")
        if low > high:
            raise ValueError("难度下限不能大于上限")
        return value

    @field_validator("points", mode="before")
    @classmethod
    def _points(cls, value: Any) -> Any:
        return _check_cents(value)

    def stored(self) -> dict[str, Any]:
        return {"type": self.type, "count": self.count, "tags": self.tags, "difficulty": list(self.difficulty),
                "points_cents": to_cents(self.points), "keywords": self.keywords if self.type == "short" else []}


class PreviewRuleIn(RuleIn):
    count: int = Field(default=0, ge=0, le=500)  # the form is being filled in: 0 is allowed here


class AudienceIn(BaseModel):
    units: list[str] = Field(default_factory=list, max_length=1000)

    @field_validator("units")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in value if v and v.strip()))


class ExamIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    bank_id: int
    rules: list[RuleIn] = Field(min_length=1, max_length=50)
    duration_s: int = Field(ge=30, le=7 * 86400)
    opens_at: str = Field(min_length=1, max_length=64)
    closes_at: str = Field(min_length=1, max_length=64)
    max_attempts: int = Field(default=1, ge=1, le=100)
    shuffle_questions: bool = True
    shuffle_options: bool = True
    pass_score: Decimal | None = Field(default=None, ge=0)
    multiple_partial: bool = False
    review: Review = "after_submit"
    audience: AudienceIn = Field(default_factory=AudienceIn)

    @field_validator("pass_score", mode="before")
    @classmethod
    def _pass(cls, value: Any) -> Any:
        return _check_cents(value)

    @model_validator(mode="after")
    def _totals(self) -> ExamIn:
        if sum(r.count for r in self.rules) > 500:
            raise ValueError("一份试卷最多 500 题")
        return self


class PreviewIn(BaseModel):
    bank_id: int
    rules: list[PreviewRuleIn] = Field(default_factory=list, max_length=50)


class AnswerIn(BaseModel):
    answer: Any = None


class EventIn(BaseModel):
    type: Literal["blur", "hidden", "focus", "visible"]


class GradeIn(BaseModel):
    score: Decimal = Field(ge=0)
    comment: str = Field(default="", max_length=500)

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any) -> Any:
        return _check_cents(value)


TYPE_NAMES = {"single": "单选题", "multiple": "多选题", "judge": "判断题", "fill": "填空题", "short": "简答题"}
REVIEW_NAMES = {"never": "不允许查看答案", "after_submit": "交卷后可查看答案", "after_close": "测试结束后可查看答案"}


def exam_state(exam: Exam, now_ms: int) -> str:
    """upcoming (before the window), open, or closed."""
    if now_ms < exam.opens_ms:
        return "upcoming"
    return "open" if now_ms < exam.closes_ms else "closed"


def rule_json(rule: dict[str, Any]) -> dict[str, Any]:
    return {"type": rule["type"], "count": rule["count"], "tags": rule.get("tags") or [],
            "difficulty": rule.get("difficulty") or [1, 5], "points": from_cents(rule.get("points_cents", 0)),
            "keywords": rule.get("keywords") or []}


def sections(exam: Exam) -> list[dict[str, Any]]:
    """What a candidate may know of the paper: how many questions of each type and their points."""
    return [{"type": r["type"], "type_name": TYPE_NAMES.get(r["type"], r["type"]), "count": r["count"],
             "points": from_cents(r.get("points_cents", 0))} for r in exam.rules]


def exam_json(exam: Exam, now_ms: int, tz: str, organiser: bool) -> dict[str, Any]:
    """A test as JSON; organisers also get the rules (tags, difficulty, keywords)."""
    data: dict[str, Any] = {
        "id": exam.id,
        "title": exam.title,
        "description": exam.description,
        "bank_id": exam.bank_id,
        "duration_s": exam.duration_s,
        "opens_at": to_iso(exam.opens_ms, tz),
        "closes_at": to_iso(exam.closes_ms, tz),
        "opens_ms": exam.opens_ms,
        "closes_ms": exam.closes_ms,
        "max_attempts": exam.max_attempts,
        "shuffle_questions": exam.shuffle_questions,
        "shuffle_options": exam.shuffle_options,
        "pass_score": from_cents(exam.pass_cents),
        "max_score": from_cents(exam.max_cents),
        "question_count": exam.question_count,
        "multiple_partial": exam.multiple_partial,
        "review": exam.review,
        "audience": {"units": list(exam.audience_units)},
        "state": exam_state(exam, now_ms),
        "sections": sections(exam),
        "now_ms": now_ms,
    }
    if organiser:
        data["rules"] = [rule_json(r) for r in exam.rules]
        data["created_at"] = to_iso(exam.created_ms, tz)
    return data
