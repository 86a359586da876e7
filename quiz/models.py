"""Tables of accounts and practice. Other areas keep theirs beside their code
(``question_bank/models.py``, ``quiz/exams/models.py``, ``live/store.py``);
``quiz/models_all.py`` imports them all for Alembic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

ROLES = ("member", "host", "organizer", "admin")


def role_rank(role: str) -> int:
    """member 0 < host 1 < organizer 2 < admin 3; unknown roles rank below members."""
    return ROLES.index(role) if role in ROLES else -1


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True, index=True)
    name: str = Field(default="", max_length=100)
    role: str = Field(default="member", max_length=16)
    unit: str = Field(default="", max_length=200, index=True)
    password_hash: str = Field(default="", max_length=255)
    active: bool = True
    created_ms: int = 0

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "name": self.name, "role": self.role, "unit": self.unit}


class AuthToken(SQLModel, table=True):
    """A login: the cookie and the Bearer token are the same secret; only its SHA-256 is stored."""

    __tablename__ = "auth_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_ms: int = 0
    expires_ms: int = 0


class PracticeSession(SQLModel, table=True):
    __tablename__ = "practice_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    bank_id: int = Field(foreign_key="bank.id")
    mode: str = Field(max_length=16)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    question_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    done: int = 0
    correct: int = 0
    created_ms: int = 0


class PracticeRecord(SQLModel, table=True):
    """One answer given in practice (the source of personal statistics)."""

    __tablename__ = "practice_record"
    __table_args__ = (
        UniqueConstraint("session_id", "question_id", name="uq_practice_record_once"),
        Index("ix_practice_record_user", "user_id", "bank_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="practice_session.id")
    user_id: int = Field(foreign_key="user.id")
    bank_id: int = Field(foreign_key="bank.id")
    question_id: int = Field(foreign_key="question.id")
    answer: Any = Field(default=None, sa_column=Column(JSON))
    correct: bool = False
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_ms: int = 0


class WrongBookEntry(SQLModel, table=True):
    """A question the member got wrong; it leaves the book after two right answers in a row."""

    __tablename__ = "wrong_book"
    __table_args__ = (UniqueConstraint("user_id", "question_id", name="uq_wrong_book_user_question"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    bank_id: int = Field(foreign_key="bank.id")
    question_id: int = Field(foreign_key="question.id")
    wrong_count: int = 0
    right_streak: int = 0
    mastered: bool = False
    last_answer: Any = Field(default=None, sa_column=Column(JSON))
    updated_ms: int = 0
