"""Checking answers against a question: one set of rules for practice, tests and live games.

``normalise_answer`` turns what a client sent into the canonical shape for the type (or
raises ``AnswerError`` with a Chinese reason); ``grade`` compares it with the key.
Fill answers ignore surrounding spaces, case and full-/half-width differences.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

_TRUE = {"true", "t", "1", "正确", "对", "是", "√", "✓", "y", "yes"}
_FALSE = {"false", "f", "0", "错误", "错", "否", "×", "✗", "x", "n", "no"}


class AnswerError(ValueError):
    """The answer does not have the shape its question type needs."""


def fold(text: str) -> str:
    """Compare-ready text: NFKC (full-width → half-width), no surrounding or inner runs of spaces, case folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _keys(question: dict[str, Any]) -> set[str]:
    return {str(o["key"]) for o in question.get("options") or []}


def normalise_answer(question: dict[str, Any], answer: Any) -> list[Any]:
    """The canonical answer list for ``question['type']``; raises AnswerError."""
    kind = question["type"]
    if kind in ("single", "multiple"):
        if isinstance(answer, str):
            answer = [c for c in unicodedata.normalize("NFKC", answer).upper() if c.isalpha()]
        if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            raise AnswerError("选择题答案应为选项字母列表，如 [\"A\"]")
        keys = sorted({unicodedata.normalize("NFKC", a).strip().upper() for a in answer})
        if not keys:
            raise AnswerError("没有选择任何选项")
        unknown = [k for k in keys if k not in _keys(question)]
        if unknown:
            raise AnswerError(f"选项 {'、'.join(unknown)} 不存在")
        if kind == "single" and len(keys) != 1:
            raise AnswerError("单选题只能选一个选项")
        return keys
    if kind == "judge":
        value = answer[0] if isinstance(answer, list) and len(answer) == 1 else answer
        if isinstance(value, bool):
            return [value]
        if isinstance(value, str) and fold(value) in _TRUE:
            return [True]
        if isinstance(value, str) and fold(value) in _FALSE:
            return [False]
        raise AnswerError("判断题答案应为 true 或 false")
    if kind == "fill":
        blanks = len(question.get("answer") or [])
        if isinstance(answer, str):
            answer = [answer]
        if not isinstance(answer, list):
            raise AnswerError("填空题答案应为每个空一项的列表")
        flat = [a[0] if isinstance(a, list) and len(a) == 1 else a for a in answer]
        if not all(isinstance(a, str) for a in flat):
            raise AnswerError("填空题每个空的答案应为文本")
        if blanks and len(flat) != blanks:
            raise AnswerError(f"本题有 {blanks} 个空，收到 {len(flat)} 个答案")
        return [a.strip() for a in flat]
    if kind == "short":
        if isinstance(answer, list) and len(answer) == 1:
            answer = answer[0]
        if not isinstance(answer, str):
            raise AnswerError("简答题答案应为文本")
        return [answer.strip()]
    raise AnswerError(f"未知题型 {kind}")


def fill_blank_correct(accepted: list[str], given: str) -> bool:
    target = fold(given)
    return any(fold(a) == target for a in accepted)


def grade(question: dict[str, Any], answer: list[Any]) -> bool | None:
    """True/False for an answer in canonical shape; None for a short answer (a person grades it)."""
    kind, key = question["type"], question.get("answer") or []
    if kind in ("single", "multiple"):
        return sorted(answer) == sorted(key)
    if kind == "judge":
        return bool(answer) and bool(key) and answer[0] is key[0]
    if kind == "fill":
        return len(answer) == len(key) and all(fill_blank_correct(acc, given) for acc, given in zip(key, answer, strict=True))
    return None


def multiple_partial_fraction(question: dict[str, Any], answer: list[Any]) -> Decimal:
    """Partial credit for a multiple choice: any wrong key → 0; otherwise the share of right keys found."""
    key = set(question.get("answer") or [])
    chosen = set(answer)
    if not key or chosen - key:
        return Decimal(0)
    return Decimal(len(chosen)) / Decimal(len(key))


def keyword_score(reference: str, keywords: list[str], answer: str) -> Decimal:
    """Share of keywords present in a short answer (a pre-score for the grader, not final)."""
    if not keywords:
        return Decimal(0)
    text = fold(answer)
    hits = sum(1 for k in keywords if fold(k) and fold(k) in text)
    return Decimal(hits) / Decimal(len(keywords))
