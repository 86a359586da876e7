"""Plain text pasted on the admin page (FORMATS.md section 5).

::

    一、单选题
    1. 中国共产党的根本宗旨是（ ）。
    A、全心全意为人民服务  B、实现共产主义
    【答案】A
    【解析】……

Questions are separated by a blank line or start with a number (``1.`` ``1、``); options are
``A、`` ``A．`` ``A.`` ``(A)``, several on one line allowed; ``【答案】``/``答案：`` gives the answer,
``【解析】`` the explanation (it may run over several lines), ``【难度】`` ``【标签】`` ``【分值】`` the rest.
The type comes from a ``【单选题】`` mark, a section heading such as ``一、多项选择题``, or the answer.
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

_TYPE_WORD = r"(单项选择题|多项选择题|不定项选择题|单选题|多选题|判断题|填空题|简答题|问答题|论述题|选择题|单选|多选|判断|填空|简答|问答|论述)"
SECTION_RE = re.compile(r"[一二三四五六七八九十]+\s*[、.．]\s*(.{1,40})")  # 一、单选题（每题 2 分）
TYPE_WORD_RE = re.compile(_TYPE_WORD)
TYPE_MARK_RE = re.compile(r"[【\[(（]\s*" + _TYPE_WORD + r"\s*[】\])）]\s*")
NUMBER_RE = re.compile(r"(\d{1,4})\s*(?:[.、．]|[)）])(?!\d)\s*(.*)", re.S)
_LABEL = r"(?:【\s*{w}\s*】|\[\s*{w}\s*\]|{w}\s*[:：])\s*[:：]?\s*(.*)"
FIELD_RES = {
    "answer": re.compile(_LABEL.format(w="(?:正确答案|参考答案|标准答案|答案)"), re.S),
    "explanation": re.compile(_LABEL.format(w="(?:答案解析|试题解析|解析)"), re.S),
    "difficulty": re.compile(_LABEL.format(w="难度"), re.S),
    "tags": re.compile(_LABEL.format(w="(?:标签|知识点|考点)"), re.S),
    "points": re.compile(_LABEL.format(w="(?:分值|分数)"), re.S),
}
OPTION_MARK_RE = re.compile(r"(?:^|(?<=\s))(?:[（(]\s*([A-HＡ-Ｈ])\s*[)）]|([A-HＡ-Ｈ])\s*[、.．:：)）])")


@dataclass
class _Pending:
    line: int
    type_text: str
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    last: str = "stem"  # where a continuation line goes


def parse_text(data: bytes) -> ParseResult:
    """Parse pasted questions; a question's row is the line where it starts."""
    text = decode_text(data)
    if text is None:
        return undecodable()
    questions: list[QuestionData] = []
    errors: list[RowError] = []
    section_type = ""
    current: _Pending | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            question, problems = _build(current)
            errors.extend(problems)
            if question is not None:
                questions.append(question)
        current = None

    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if current is not None and "answer" in current.fields:
                close()
            continue
        section = SECTION_RE.fullmatch(stripped)
        if section:  # a heading sets the type of the questions under it (or clears it)
            close()
            kind = TYPE_WORD_RE.search(section.group(1))
            section_type = kind.group(1) if kind else ""
            continue
        numbered = NUMBER_RE.fullmatch(stripped)
        answered = current is not None and "answer" in current.fields
        if numbered and (current is None or answered or current.options):
            close()
            current = _start(number, numbered.group(2), section_type)
            continue
        if current is not None and _add_field(current, stripped):
            continue
        if current is None or (answered and current.last != "explanation"):
            close()
            current = _start(number, stripped, section_type)
            continue
        options = _split_options(stripped, len(current.options))
        if options and current.last in ("stem", "options"):
            current.options.extend(options)
            current.last = "options"
        elif current.last == "stem":
            current.stem.append(stripped)
        elif current.last == "options":
            key, previous = current.options[-1]
            current.options[-1] = (key, f"{previous}\n{stripped}")
        else:
            current.fields[current.last] += "\n" + stripped
    close()
    return finish(questions, errors, [])


def _start(line: int, first: str, section_type: str) -> _Pending:
    mark = TYPE_MARK_RE.match(first)
    if mark:
        return _Pending(line=line, type_text=mark.group(1), stem=[first[mark.end():].strip()])
    return _Pending(line=line, type_text=section_type, stem=[first])


def _add_field(current: _Pending, line: str) -> bool:
    for name, pattern in FIELD_RES.items():
        match = pattern.fullmatch(line)
        if match:
            current.fields[name] = match.group(1).strip()
            current.last = name
            return True
    return False


def _split_options(line: str, already: int) -> list[tuple[str, str]]:
    """``A、北京  B、上海`` → [("A", "北京"), ("B", "上海")], if the letters continue the sequence."""
    marks = list(OPTION_MARK_RE.finditer(line))
    if not marks or marks[0].start() != 0:
        return []
    letters = [unicodedata.normalize("NFKC", m.group(1) or m.group(2)) for m in marks]
    expected = list(OPTION_KEYS[already:already + len(letters)])
    if letters[:1] != expected[:1]:
        return []
    # Only marks that continue the sequence split the line; others are part of an option's text.
    kept = [marks[0]]
    for mark, letter in zip(marks[1:], letters[1:], strict=True):
        if already + len(kept) < len(OPTION_KEYS) and letter == OPTION_KEYS[already + len(kept)]:
            kept.append(mark)
    options = []
    for index, mark in enumerate(kept):
        end = kept[index + 1].start() if index + 1 < len(kept) else len(line)
        options.append((OPTION_KEYS[already + index], line[mark.end():end].strip()))
    return options


def _build(pending: _Pending) -> tuple[QuestionData | None, list[RowError]]:
    if "answer" not in pending.fields:
        return None, [RowError(pending.line, "answer", "缺少答案（【答案】或 答案：）")]
    raw = RawQuestion(row=pending.line, stem="\n".join(pending.stem).strip(), answer_text=pending.fields["answer"],
                      type_text=pending.type_text, options=pending.options,
                      explanation=pending.fields.get("explanation", ""), tags_text=pending.fields.get("tags", ""),
                      difficulty_text=pending.fields.get("difficulty", ""),
                      points_text=pending.fields.get("points", ""))
    return build_question(raw)
