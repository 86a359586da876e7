"""Banks and questions.

A question's content may be edited; papers and games snapshot the content they use
(``Question.snapshot``), and ``version`` counts edits, so nothing already drawn changes.
Deleting a question hides it (``deleted``) so records that point at it stay whole.
The model family follows SQLModel's pattern: ``QuestionPublic`` has no answer field,
so an answer cannot leak through it by accident.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel


class Bank(SQLModel, table=True):
    __tablename__ = "bank"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_ms: int = 0


class Question(SQLModel, table=True):
    __tablename__ = "question"
    __table_args__ = (Index("ix_question_bank_dedup", "bank_id", "dedup_key"),)

    id: int | None = Field(default=None, primary_key=True)
    bank_id: int = Field(foreign_key="bank.id", index=True)
    type: str = Field(max_length=16)
    stem: str = Field(sa_column=Column(Text, nullable=False))
    options: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The stem's pictures, sound and video (question_bank.media); an option's own is in its dict.
    media: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    answer: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    difficulty: int = 3
    points: float | None = None
    dedup_key: str = Field(default="", max_length=64)
    version: int = 1
    deleted: bool = Field(default=False, index=True)
    created_ms: int = 0
    updated_ms: int = 0

    def public(self) -> dict[str, Any]:
        """What someone who must not know the answer yet may see."""
        data = {
            "id": self.id,
            "bank_id": self.bank_id,
            "type": self.type,
            "stem": self.stem,
            "options": self.options,
            "tags": self.tags,
            "difficulty": self.difficulty,
        }
        if self.media:  # a text question's shape stays as it was
            data["media"] = self.media
        return data

    def full(self) -> dict[str, Any]:
        """The contract's whole question, answer and explanation included."""
        data = self.public()
        data.update(answer=self.answer, explanation=self.explanation, points=self.points, version=self.version)
        return data

    def snapshot(self) -> dict[str, Any]:
        """The frozen copy a paper or a game keeps (later edits do not touch it)."""
        data = {
            "id": self.id,
            "version": self.version,
            "type": self.type,
            "stem": self.stem,
            "options": self.options,
            "answer": self.answer,
            "explanation": self.explanation,
            "tags": self.tags,
            "difficulty": self.difficulty,
        }
        if self.media:  # frozen with the rest: a later edit of the question does not change it
            data["media"] = self.media
        return data


class QuestionTag(SQLModel, table=True):
    """One row per (question, tag): filtering by tag the same way on SQLite and PostgreSQL."""

    __tablename__ = "question_tag"
    __table_args__ = (Index("ix_question_tag_tag", "tag", "question_id"),)

    question_id: int = Field(foreign_key="question.id", primary_key=True)
    tag: str = Field(max_length=100, primary_key=True)
    bank_id: int = Field(foreign_key="bank.id", index=True)
