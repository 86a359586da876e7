"""Grading a paper: one item at a time with the bank's rules (``question_bank.grading``), in cents.

A paper item carries its own key in the labels the candidate saw, so grading never needs the
bank again; the outcome of an item is ``(state, correct, score_cents, pre_score_cents)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from question_bank.grading import (
    AnswerError,
    grade,
    keyword_score,
    multiple_partial_fraction,
    normalise_answer,
)

AUTO, PENDING, MANUAL = "auto", "pending", "manual"
CENT = Decimal("0.01")


def to_cents(value: Any) -> int:
    """1.5 → 150; raises ValueError for anything that is not a number with at most two decimals."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError("应为数字") from None
    if not number.is_finite():
        raise ValueError("应为数字")
    if number != number.quantize(CENT):
        raise ValueError("最多两位小数")
    return int(number * 100)


def from_cents(cents: int | None) -> int | float | None:
    """150 → 1.5, 200 → 2: scores in JSON are numbers with at most two decimals."""
    if cents is None:
        return None
    return cents // 100 if cents % 100 == 0 else float(Decimal(cents) / 100)


def cents_text(cents: int | None) -> str:
    """For spreadsheets and pages: 150 → "1.5", 200 → "2"."""
    if cents is None:
        return ""
    return str(from_cents(cents))


def _share(points_cents: int, fraction: Decimal) -> int:
    return int((Decimal(points_cents) * fraction).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Outcome:
    state: str  # auto | pending
    correct: bool | None
    score_cents: int
    pre_score_cents: int | None = None


def is_blank(answer: Any) -> bool:
    """An answer that means "not answered" (cleared selection, empty text in every blank)."""
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, list):
        return all(is_blank(a) for a in answer)
    return False


def normalise(item: dict[str, Any], answer: Any) -> list[Any] | None:
    """The canonical saved form of ``answer`` for this item (None: cleared). Raises AnswerError."""
    if is_blank(answer):
        return None
    return normalise_answer(item, answer)


def grade_item(item: dict[str, Any], answer: Any, multiple_partial: bool) -> Outcome:
    """Grade one paper item against the saved answer (None or canonical)."""
    points = int(item.get("points", 0))
    if answer is None:
        return Outcome(AUTO, False, 0)
    try:
        given = normalise_answer(item, answer)
    except AnswerError:  # a stored answer always passed this check; be safe anyway
        return Outcome(AUTO, False, 0)
    verdict = grade(item, given)
    if verdict is None:  # short answer: a person decides; keywords give a suggestion
        keywords = item.get("keywords") or []
        pre = _share(points, keyword_score(str(item.get("answer") or ""), keywords, given[0])) if keywords else None
        return Outcome(PENDING, None, 0, pre)
    if verdict:
        return Outcome(AUTO, True, points)
    if item["type"] == "multiple" and multiple_partial:
        return Outcome(AUTO, False, _share(points, multiple_partial_fraction(item, given)))
    return Outcome(AUTO, False, 0)
