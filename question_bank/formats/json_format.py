"""JSON: our own array (or ``{"questions": [...]}``) in the contract's shape, and the Open Trivia
Database shape ``{"results": [...]}`` (FORMATS.md section 2).

A question's row is its position in the array, counting from 1.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import unicodedata
from collections.abc import Callable
from functools import partial
from typing import Any

from question_bank.formats.common import (
    CHOICE_TYPES,
    OPTION_KEYS,
    ParseResult,
    QuestionData,
    RowError,
    decode_text,
    file_error,
    finish,
    undecodable,
)
from question_bank.formats.rules import (
    check_question,
    parse_difficulty,
    parse_judge,
    parse_keys,
    parse_points,
    parse_type,
    split_fill_answer,
    split_tags,
)

KNOWN_KEYS = frozenset({"type", "stem", "options", "answer", "explanation", "tags", "difficulty", "points",
                        "media", "id", "bank_id", "version"})
OPENTDB_DIFFICULTY = {"easy": 2, "medium": 3, "hard": 4}


class _Invalid(Exception):
    """One field of one item cannot be used; carries the field name and a Chinese message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class _InvalidItem(Exception):
    """Every unusable field of one item."""

    def __init__(self, problems: list[_Invalid]) -> None:
        super().__init__(problems)
        self.problems = problems


def parse_json(data: bytes) -> ParseResult:
    """Parse either JSON shape; every problem is a row error, never an exception."""
    text = decode_text(data)
    if text is None:
        return undecodable()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return file_error(f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}")
    except RecursionError:
        return file_error("JSON 嵌套层数过深，无法读取")
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return _parse_items(document["results"], opentdb_question)
    if isinstance(document, dict) and isinstance(document.get("questions"), list):
        document = document["questions"]
    if not isinstance(document, list):
        return file_error('JSON 的最外层应为题目数组，或 {"questions": [...]}，或 Open Trivia DB 的 {"results": [...]}')
    return _parse_items(document, contract_question)


def _parse_items(items: list[Any], convert: Callable[[dict[str, Any], int], QuestionData]) -> ParseResult:
    questions: list[QuestionData] = []
    errors: list[RowError] = []
    unknown: set[str] = set()
    for row, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(row, "question", "每道题应为一个 JSON 对象"))
            continue
        unknown.update(k for k in item if k not in KNOWN_KEYS)
        try:
            question = convert(item, row)
        except _Invalid as exc:
            errors.append(RowError(row, exc.field, exc.message))
            continue
        except _InvalidItem as exc:
            errors.extend(RowError(row, p.field, p.message) for p in exc.problems)
            continue
        problems = check_question(question)
        errors.extend(problems)
        if not problems:
            questions.append(question)
    warnings = []
    if unknown and convert is contract_question:
        warnings.append(f"已忽略无法识别的字段：{'、'.join(sorted(unknown))}")
    return finish(questions, errors, warnings)


def contract_question(item: dict[str, Any], row: int) -> QuestionData:
    """One item in the contract's shape (lenient about strings where lists are expected)."""
    problems: list[_Invalid] = []

    def attempt(convert: Callable[[], Any], default: Any) -> Any:
        try:
            return convert()
        except _Invalid as exc:
            problems.append(exc)
            return default

    type_text = _text(item.get("type"))
    qtype = parse_type(type_text) if type_text else None
    if qtype is None:
        problems.append(_Invalid("type", f"题型“{type_text}”无法识别" if type_text else "题型为空"))
    options = attempt(lambda: _options(item.get("options")), [])
    answer = attempt(partial(_answer, qtype, item.get("answer")), []) if qtype else []
    difficulty = attempt(lambda: _difficulty(item.get("difficulty")), 3)
    points = attempt(lambda: _points(item.get("points")), None)
    media = attempt(lambda: _media_list(item.get("media")), [])
    if problems or qtype is None:
        if not _text(item.get("stem")):
            problems.insert(0, _Invalid("stem", "题干为空"))
        raise _InvalidItem(problems)
    if qtype == "choice":
        qtype = "multiple" if len(answer) > 1 else "single"
    if qtype not in CHOICE_TYPES:
        options = []
    tags = item.get("tags")
    if isinstance(tags, list):
        tag_list = list(dict.fromkeys(_text(t) for t in tags if _text(t)))
    else:
        tag_list = split_tags(_text(tags))
    return QuestionData(type=qtype, stem=_text(item.get("stem")), options=options, answer=answer,
                        explanation=_text(item.get("explanation")), tags=tag_list, difficulty=difficulty,
                        points=points, media=media, row=row)


def opentdb_question(item: dict[str, Any], row: int) -> QuestionData:
    """One Open Trivia DB result: HTML entities decoded, options shuffled the same way every time."""
    stem = html.unescape(_text(item.get("question")))
    correct = html.unescape(_text(item.get("correct_answer")))
    incorrect = [html.unescape(_text(t)) for t in item.get("incorrect_answers") or []]
    category = html.unescape(_text(item.get("category")))
    common: dict[str, Any] = {"stem": stem, "explanation": "", "tags": [category] if category else [],
                              "difficulty": OPENTDB_DIFFICULTY.get(_text(item.get("difficulty")), 3), "row": row}
    kind = item.get("type")
    if kind == "boolean":
        value = parse_judge(correct)
        if value is None:
            raise _Invalid("answer", f"判断题答案“{correct}”无法识别")
        return QuestionData(type="judge", answer=[value], **common)
    if kind != "multiple":
        raise _Invalid("type", f"题型“{kind}”无法识别")
    texts = [correct, *incorrect]
    order = list(range(len(texts)))
    seed = int.from_bytes(hashlib.sha256(stem.encode("utf-8")).digest()[:8], "big")
    random.Random(seed).shuffle(order)
    keys = OPTION_KEYS if len(texts) <= len(OPTION_KEYS) else [f"#{n}" for n in range(1, len(texts) + 1)]
    options = [{"key": keys[i], "text": texts[j]} for i, j in enumerate(order)]
    return QuestionData(type="single", options=options, answer=[keys[order.index(0)]], **common)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


MEDIA_LIMIT = 10


def _media_entry(value: Any, field: str) -> dict[str, Any]:
    """``{"url": "/media/…"}`` (a stored file) or ``{"file": "a.png"}`` (a file in the imported zip), with ``alt``."""
    if not isinstance(value, dict):
        raise _Invalid(field, "媒体应为对象，如 {\"file\": \"a.png\"} 或 {\"url\": \"/media/…\"}")
    url, file = _text(value.get("url")), _text(value.get("file"))
    if not url and not file:
        raise _Invalid(field, "媒体缺少 file（压缩包中的文件名）或 url")
    entry: dict[str, Any] = {"url": url} if url else {"file": file}
    alt = _text(value.get("alt"))
    if len(alt) > 500:
        raise _Invalid(field, "媒体的说明文字 alt 过长（最多 500 字）")
    entry["alt"] = alt
    return entry


def _media_list(value: Any) -> list[dict[str, Any]]:
    if value is None or value == []:
        return []
    items = value if isinstance(value, list) else [value]
    if len(items) > MEDIA_LIMIT:
        raise _Invalid("media", f"题干媒体最多 {MEDIA_LIMIT} 个")
    return [_media_entry(v, "media") for v in items]


def _options(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid("options", "选项应为数组")
    options = []
    for index, entry in enumerate(value):
        if index >= len(OPTION_KEYS):
            raise _Invalid("options", f"选项最多 {len(OPTION_KEYS)} 个（A–{OPTION_KEYS[-1]}），本题有 {len(value)} 个")
        expected = OPTION_KEYS[index]
        media = None
        if isinstance(entry, dict):
            key = unicodedata.normalize("NFKC", _text(entry.get("key", entry.get("label", expected)))).upper()
            text = _text(entry.get("text", entry.get("content")))
            if entry.get("media"):
                media = _media_entry(entry["media"], "options")
        else:
            key, text = expected, _text(entry)
        if key != expected:
            raise _Invalid("options", f"第 {index + 1} 个选项的 key 应为 {expected}，实际为 {key}")
        if not text and media is None:
            raise _Invalid("options", f"选项{key}为空")
        options.append({"key": key, "text": text, "media": media} if media else {"key": key, "text": text})
    return options


def _answer(qtype: str, value: Any) -> list[Any]:
    if value is None or value == "" or value == []:
        raise _Invalid("answer", "答案为空")
    items = value if isinstance(value, list) else [value]
    if qtype in (*CHOICE_TYPES, "choice"):
        keys = parse_keys("".join(_text(v) for v in items))
        if keys is None:
            raise _Invalid("answer", f"答案“{_text(value)}”应为选项字母，如 [\"A\"] 或 [\"A\", \"C\"]")
        return keys
    if qtype == "judge":
        if len(items) == 1 and isinstance(items[0], bool):
            return [items[0]]
        judged = parse_judge(_text(items[0])) if len(items) == 1 else None
        if judged is None:
            raise _Invalid("answer", f"判断题答案“{_text(value)}”无法识别，应为 true 或 false")
        return [judged]
    if qtype == "fill":
        if isinstance(value, str):
            return split_fill_answer(value)
        blanks = []
        for blank in items:
            alternatives = blank if isinstance(blank, list) else [blank]
            blanks.append([_text(a) for a in alternatives if _text(a)])
        return blanks
    return ["\n".join(_text(v) for v in items if _text(v))]


def _difficulty(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("difficulty", f"难度“{value}”无法识别")
    try:
        return parse_difficulty(_text(value))
    except ValueError as exc:
        raise _Invalid("difficulty", str(exc)) from None


def _points(value: Any) -> float | None:
    if isinstance(value, bool):
        raise _Invalid("points", f"分值“{value}”不是有效的数字")
    try:
        return parse_points(_text(value))
    except ValueError as exc:
        raise _Invalid("points", str(exc)) from None
