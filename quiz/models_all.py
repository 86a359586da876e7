"""Imports every table so that ``SQLModel.metadata`` knows them all (used by Alembic and tests)."""

from __future__ import annotations

import importlib

import question_bank.media  # noqa: F401
import question_bank.models  # noqa: F401
import quiz.models  # noqa: F401

# Areas that may not exist yet in every checkout are imported when present.
for _name in ("quiz.exams.models", "quiz.competitions.models", "live.store", "quiz.audit"):
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if not exc.name or not _name.startswith(exc.name):
            raise
