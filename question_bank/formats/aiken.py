"""Aiken (FORMATS.md section 4): a stem, options ``A.`` ``A)`` ``A、`` ``A．``, then ``ANSWER: A``
(or ``答案：A``). Questions are separated by blank lines; the answer line ends a question.

Several answer letters make a multiple-choice question (plain Aiken only knows one). A question's
row is the line of its stem.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from question_bank.formats.common import (
    OPTION_KEYS,
    ParseResult,
    QuestionData,
    RowError,
    decode_text,
    finish,
    undecodable,
)
from question_bank.formats.rules import RawQuestion, build_question

OPTION_RE = re.compile(r"([A-Za-zＡ-Ｚａ-ｚ])\s*[.)、．）]\s*(.*)", re.S)
ANSWER_RE = re.compile(r"(?:ANSWER|答案)\s*[:：]\s*(.*)", re.I | re.S)


@dataclass
class _Pending:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)


def parse_aiken(data: bytes) -> ParseResult:
    """Parse an Aiken file; every problem becomes a row error at the question's first line."""
    text = decode_text(data)
    if text is None:
        return undecodable()
    questions: list[QuestionData] = []
    errors: list[RowError] = []
    current: _Pending | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if current is not None and current.options:
                errors.append(RowError(current.line, "answer", "缺少答案行（ANSWER: 或 答案：）"))
                current = None
            continue
        if current is None:
            current = _Pending(line=number, stem=[stripped])
            continue
        answer = ANSWER_RE.fullmatch(stripped)
        if answer:
            raw = RawQuestion(row=current.line, stem="\n".join(current.stem), answer_text=answer.group(1).strip(),
                              options=current.options)
            question, problems = build_question(raw)
            if not current.options and question is not None and question.type in ("fill", "short"):
                problems.append(RowError(current.line, "options", "Aiken 题目必须有选项（A. B. …）"))
                question = None
            errors.extend(problems)
            if question is not None:
                questions.append(question)
            current = None
            continue
        option = OPTION_RE.fullmatch(stripped)
        expected = OPTION_KEYS[len(current.options)] if len(current.options) < len(OPTION_KEYS) else ""
        if option and unicodedata.normalize("NFKC", option.group(1)).upper() == expected:
            current.options.append((expected, option.group(2).strip()))
        elif current.options:  # a wrapped option line
            key, previous = current.options[-1]
            current.options[-1] = (key, f"{previous}\n{stripped}")
        else:
            current.stem.append(stripped)
    if current is not None:
        errors.append(RowError(current.line, "answer", "缺少答案行（ANSWER: 或 答案：）"))
    return finish(questions, errors, [])
