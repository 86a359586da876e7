"""The value rules every format shares (FORMATS.md section 1): type names, answer conventions,
blanks, difficulty words, tags, and the checks a finished question must pass.

Formats that carry plain text cells (Excel, CSV, Aiken, pasted text) build a :class:`RawQuestion`
and call :func:`build_question`; formats with structured answers (JSON, GIFT) build a
:class:`QuestionData` themselves and call :func:`check_question`. Error fields are named through
``labels`` so a spreadsheet error names the column header the user wrote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from question_bank.formats.common import (
    CHOICE_TYPES,
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_KEYS,
    QuestionData,
    RowError,
)

Labels = Mapping[str, str]
CANONICAL: Labels = {"alt": "media", **{f"alt:{key}": "options" for key in OPTION_KEYS}}
"""Non-tabular formats name fields in English (type, stem, options, answer, ...); a media's alt text by
where the media is (JSON's ``media`` and ``options``)."""

_TYPE_WORDS = {
    "single": ("单选", "单选题", "单项选择", "单项选择题", "单择题", "single", "single_choice"),
    "multiple": ("多选", "多选题", "多项选择", "多项选择题", "不定项", "不定项选择", "不定项选择题",
                 "multiple", "multiple_choice"),
    "judge": ("判断", "判断题", "是非", "是非题", "对错题", "judge", "truefalse", "true/false", "tf", "boolean"),
    "fill": ("填空", "填空题", "fill", "blank"),
    "short": ("简答", "简答题", "问答", "问答题", "论述", "论述题", "short", "essay"),
    "choice": ("选择", "选择题", "choice"),  # single or multiple, decided by the answer
}
TYPE_BY_WORD = {word: kind for kind, words in _TYPE_WORDS.items() for word in words}
TYPE_NAMES = {"single": "单选", "multiple": "多选", "judge": "判断", "fill": "填空", "short": "简答"}

JUDGE_TRUE = frozenset({"正确", "对", "√", "✓", "✔", "是", "T", "TRUE", "Y", "YES", "对的", "正确的"})
JUDGE_FALSE = frozenset({"错误", "错", "×", "✗", "✘", "✕", "否", "F", "FALSE", "N", "NO", "错的", "错误的",
                         "不正确", "不对"})
DIFFICULTY_WORDS = {
    "易": 1, "容易": 1, "简单": 1, "较易": 2, "较容易": 2, "较简单": 2, "中": 3, "中等": 3, "一般": 3, "适中": 3,
    "较难": 4, "较困难": 4, "难": 5, "困难": 5, "easy": 2, "medium": 3, "hard": 4,
}
BLANK_RE = re.compile(r"[（(][ \t\u3000\xa0]*[）)]|[_＿]{2,}|【[ \t\u3000\xa0]*】")
_KEY_SEPARATORS = re.compile(r"[\s,，、|;；/.．]+")
_TAG_SEPARATORS = re.compile(r"[、,，;；/]")
_FILL_SEPARATORS = re.compile(r"[;；]")
_ALTERNATIVE_SEPARATORS = re.compile(r"[|｜]")


def parse_type(text: str) -> str | None:
    """单选/多选题/判断/... → single, multiple, judge, fill, short (or "choice"); None if unknown."""
    word = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    return TYPE_BY_WORD.get(word)


def parse_keys(text: str) -> list[str] | None:
    """``A``, ``ABC``, ``a,b``, ``A、C``, ``A|B``, ``A B``, ``ＡＢ`` → sorted keys; None if not letters."""
    letters = _KEY_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if not letters or not letters.isascii() or not letters.isalpha():
        return None
    return sorted(set(letters))


def parse_judge(text: str) -> bool | None:
    """正确/错误, 对/错, √/×, ✓/✗, 是/否, T/F, true/false, Y/N → True/False; None if none of those."""
    word = unicodedata.normalize("NFKC", text).strip().rstrip("。.!！").strip().upper()
    if word in JUDGE_TRUE:
        return True
    if word in JUDGE_FALSE:
        return False
    return None


def parse_difficulty(text: str) -> int:
    """1–5, or 易/较易/中/较难/难, or 简单/一般/困难; empty → 3. Raises ValueError with a message."""
    if not text:
        return 3
    word = unicodedata.normalize("NFKC", text).strip().lower()
    if not word:
        return 3
    if word in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[word]
    try:
        number = float(word)
    except ValueError:
        raise ValueError(f"难度“{text}”无法识别，应为 1–5 或 易/较易/中/较难/难") from None
    if not number.is_integer() or not 1 <= number <= 5:
        raise ValueError(f"难度 {text} 超出范围，应为 1–5 的整数")
    return int(number)


def parse_points(text: str) -> float | None:
    """An optional non-negative number (``2``, ``2.5``, ``2分``). Raises ValueError with a message."""
    if not text:
        return None
    word = unicodedata.normalize("NFKC", text).strip().removesuffix("分").strip()
    if not word:
        return None
    try:
        value = float(word)
    except ValueError:
        raise ValueError(f"分值“{text}”不是有效的数字") from None
    if value < 0 or value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"分值“{text}”不是有效的数字")
    return value


def split_tags(text: str) -> list[str]:
    """Tags separated by 、 , ， ; ； or / (duplicates and empty ones dropped)."""
    return list(dict.fromkeys(t.strip() for t in _TAG_SEPARATORS.split(text) if t.strip()))


def count_blanks(stem: str) -> int:
    """Blanks marked by （）, (), two or more underscores, or 【】."""
    return len(BLANK_RE.findall(stem))


def split_fill_answer(text: str) -> list[list[str]]:
    """``北京|北平；上海`` → [["北京", "北平"], ["上海"]] (an empty blank stays an empty list)."""
    blanks = _FILL_SEPARATORS.split(text)
    return [[a.strip() for a in _ALTERNATIVE_SEPARATORS.split(b) if a.strip()] for b in blanks]


def is_judge_pair(texts: list[str]) -> bool:
    """Two options that are a true word and a false word (正确/错误, 对/错, 是/否 ...)."""
    if len(texts) != 2:
        return False
    values = {parse_judge(t) for t in texts}
    return values == {True, False}


@dataclass
class RawQuestion:
    """A question as text cells, before interpretation. ``options`` are (key, text) in key order,
    empty texts included so gaps can be reported."""

    row: int
    stem: str
    answer_text: str
    type_text: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    explanation: str = ""
    tags_text: str = ""
    difficulty_text: str = ""
    points_text: str = ""
    extra_tags: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    """The stem's media (``{"file": name}`` from a zip's 图片 column or an xlsx picture)."""
    option_media: dict[str, dict[str, Any]] = field(default_factory=dict)
    """An option's media by key: an option may be a picture alone (its text cell empty)."""


def build_question(raw: RawQuestion, labels: Labels = CANONICAL) -> tuple[QuestionData | None, list[RowError]]:
    """Interpret one text question; returns the question (None if unusable) and its errors."""
    errors: list[RowError] = []

    def fail(name: str, message: str) -> None:
        errors.append(RowError(raw.row, labels.get(name, name), message))

    if not raw.stem:
        fail("stem", "题干为空")
    qtype: str | None = None
    if raw.type_text:
        qtype = parse_type(raw.type_text)
        if qtype is None:
            fail("type", f"题型“{raw.type_text}”无法识别（可用：单选、多选、判断、填空、简答）")
    options: list[dict[str, Any]] = list(_options(raw, fail))
    answer_text = raw.answer_text.strip()
    if not answer_text:
        fail("answer", "答案为空")
    try:
        difficulty = parse_difficulty(raw.difficulty_text)
    except ValueError as exc:
        fail("difficulty", str(exc))
        difficulty = 3
    try:
        points = parse_points(raw.points_text)
    except ValueError as exc:
        fail("points", str(exc))
        points = None
    tags = list(dict.fromkeys([*raw.extra_tags, *split_tags(raw.tags_text)]))
    if not answer_text or (raw.type_text and qtype is None):
        return None, errors
    if qtype is None or qtype == "choice":
        qtype = _infer_type(raw.stem, options, answer_text, choice_only=qtype == "choice")
        if qtype is None:
            fail("options", f"答案“{answer_text}”是选项字母，但这一行没有选项")
            return None, errors

    answer: list[object]
    if qtype in CHOICE_TYPES:
        keys = parse_keys(answer_text)
        if keys is None:
            fail("answer", f"答案“{answer_text}”应为选项字母，如 A 或 ABC")
            return None, errors
        answer = list(keys)
    elif qtype == "judge":
        value = parse_judge(answer_text)
        keys = parse_keys(answer_text) if value is None else None
        if keys and len(keys) == 1:  # A/B when the options themselves are 正确/错误, 是/否 ...
            value = parse_judge(next((o["text"] for o in options if o["key"] == keys[0]), ""))
        if value is None:
            fail("answer", f"判断题答案“{answer_text}”无法识别，应为 正确/错误、对/错、√/×、是/否、T/F 等")
            return None, errors
        answer, options = [value], []
    elif qtype == "fill":
        blanks = split_fill_answer(answer_text)
        answer, options = list(blanks), []
    else:
        answer, options = [answer_text], []
    question = QuestionData(type=qtype, stem=raw.stem, options=options, answer=answer,
                            explanation=raw.explanation, tags=tags, difficulty=difficulty, points=points,
                            media=list(raw.media), row=raw.row)
    errors.extend(e for e in check_question(question, labels) if e not in errors)
    return (None if errors else question), errors


def _options(raw: RawQuestion, fail: Callable[[str, str], None]) -> list[dict[str, Any]]:
    """Options up to the last non-empty one; an empty option before it is reported."""
    texts = [(key, text.strip()) for key, text in raw.options]
    pictured = raw.option_media
    while texts and not texts[-1][1] and texts[-1][0] not in pictured:
        texts.pop()
    for key, text in texts:
        if not text and key not in pictured:
            fail(f"option:{key}", f"选项{key}为空，但后面还有选项")
    options: list[dict[str, Any]] = []
    for key, text in texts:
        if key in pictured:
            options.append({"key": key, "text": text, "media": dict(pictured[key])})
        elif text:
            options.append({"key": key, "text": text})
    return options


def _infer_type(stem: str, options: list[dict[str, str]], answer: str, choice_only: bool) -> str | None:
    """The type an empty 题型 cell means (FORMATS.md section 1)."""
    texts = [o["text"] for o in options]
    keys = parse_keys(answer)
    if choice_only:
        return "multiple" if keys and len(keys) > 1 else "single"
    if texts:
        if is_judge_pair(texts) and (parse_judge(answer) is not None or (keys and len(keys) == 1)):
            return "judge"
        if keys:
            return "single" if len(keys) == 1 else "multiple"
        return "judge" if parse_judge(answer) is not None else "single"
    if parse_judge(answer) is not None:
        return "judge"
    if count_blanks(stem):
        return "fill"
    if keys and all(k in OPTION_KEYS for k in keys) and len(answer.strip()) <= 2 * len(OPTION_KEYS):
        return None
    return "short"


TEXT_LIMITS = {"stem": 10_000, "options": 2_000, "explanation": 10_000, "answer": 5_000, "tags": 1_000, "alt": 500}
"""Longest text of each part of a question, in characters (CONTRACT §0: every text field is bounded)."""
UNTYPEABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
"""What no typed text holds: control characters but tab and newline, lone surrogates (CR is a newline)."""


def _texts(q: QuestionData) -> Iterator[tuple[str, str, int]]:
    yield "stem", q.stem.replace("\r", ""), TEXT_LIMITS["stem"]
    yield "explanation", q.explanation.replace("\r", ""), TEXT_LIMITS["explanation"]
    for option in q.options:
        yield "options", str(option.get("text", "")).replace("\r", ""), TEXT_LIMITS["options"]
    for tag in q.tags:
        yield "tags", tag, TEXT_LIMITS["tags"]
    for item in q.answer:
        for text in (item if isinstance(item, list) else [item]):
            if isinstance(text, str):
                yield "answer", text.replace("\r", ""), TEXT_LIMITS["answer"]
    for entry in q.media:  # a media's alt text (说明文字) is read aloud by screen readers: text like any other
        yield "alt", str(entry.get("alt") or "").replace("\r", ""), TEXT_LIMITS["alt"]
    for option in q.options:
        entry = option.get("media")
        if isinstance(entry, Mapping):
            yield f"alt:{option['key']}", str(entry.get("alt") or "").replace("\r", ""), TEXT_LIMITS["alt"]


def check_question(q: QuestionData, labels: Labels = CANONICAL) -> list[RowError]:
    """Structural checks every finished question must pass, whatever its format."""
    errors: list[RowError] = []

    def fail(name: str, message: str) -> None:
        errors.append(RowError(q.row, labels.get(name, name), message))

    if not q.stem.strip():
        fail("stem", "题干为空")
    for name, text, limit in _texts(q):
        if len(text) > limit:
            fail(name, f"内容过长（{len(text)} 字，最多 {limit} 字）")
        elif UNTYPEABLE.search(text):
            fail(name, "含有控制字符或无效字符，请删除后再导入")
    if not 1 <= q.difficulty <= 5:
        fail("difficulty", f"难度 {q.difficulty} 超出范围，应为 1–5 的整数")
    if q.type in CHOICE_TYPES:
        count = len(q.options)
        if count < MIN_OPTIONS:
            fail("options", f"选项只有 {count} 个，选择题至少需要 {MIN_OPTIONS} 个")
        elif count > MAX_OPTIONS:
            fail("options", f"选项有 {count} 个，最多 {MAX_OPTIONS} 个（A–H）")
        keys = [o["key"] for o in q.options]
        for key in q.answer:
            if key not in keys:
                fail("answer", f"答案 {key} 没有对应的选项")
        if not q.answer:
            fail("answer", "答案为空")
        elif q.type == "single" and len(q.answer) > 1:
            fail("answer", f"单选题只能有一个答案，实际为 {''.join(q.answer)}")
    elif q.type == "judge":
        if q.answer not in ([True], [False]):
            fail("answer", "判断题答案应为 正确 或 错误")
    elif q.type == "fill":
        for number, alternatives in enumerate(q.answer, start=1):
            if not alternatives:
                fail("answer", f"第 {number} 空的答案为空")
        blanks = count_blanks(q.stem)
        if blanks != len(q.answer):
            fail("answer", f"填空数量({blanks})与答案数量({len(q.answer)})不一致")
    elif q.type == "short":
        if not q.answer or not str(q.answer[0]).strip():
            fail("answer", "简答题缺少参考答案")
    return errors
