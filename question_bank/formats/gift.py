"""GIFT (Moodle's text format), FORMATS.md section 3.

Supported: multiple choice (``=`` right, ``~`` wrong), true/false, short answer (``{=a =b}`` → a
fill question with alternatives; when the answers follow a stem with no blank marker, `` _____`` is
appended), essay ``{}`` → short, ``//`` comments, ``::title::`` (ignored), ``$CATEGORY:`` → tag (the
last part of the path; the line stands alone, with or without a blank line after it), ``####``
general feedback → explanation (else the ``#`` feedback of the full-credit answers), ``[html]`` text
(tags removed). Numeric and matching questions and text without an answer block are reported as
unsupported (errors unless ``skip_unsupported``). A question's row is the line where its text starts.

Answer weights (``%50%``): a choice block without ``=`` is Moodle's several-answer question, and its
positive-weight answers are the right set (``{~%50%a ~%50%b ~%-100%c}`` → multiple A, B). Elsewhere
(a block with ``=``, a short answer) our questions have no partial credit: only full-credit answers
are right, and a question whose partial-credit answers were dropped is named in a warning.

Our own additions, which Moodle ignores or accepts: a comment line before a question may carry
``[tag:…]`` (Moodle's own convention), ``[difficulty:…]``, ``[points:…]`` and, for an essay,
``[answer:…]`` (the reference answer; without it, an essay's general feedback is taken as the
reference answer, and an essay with neither is an error). A fill question with several blanks
keeps its blank markers in the stem and has one ``{=…}`` block per blank after it; embedded blocks
(``a {=b} c {=d}``) become ``_____`` blanks. Moodle itself accepts one answer block per question.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from question_bank.formats.common import (
    OPTION_KEYS,
    ParseResult,
    QuestionData,
    RowError,
    decode_text,
    finish,
    undecodable,
)
from question_bank.formats.rules import check_question, count_blanks, parse_difficulty, parse_points

BLANK = "_____"
SPECIAL = "\\~=#{}:"
# Escaped characters are swapped for private-use stand-ins while the structure is parsed.
_STAND_IN = {ch: chr(0xE000 + i) for i, ch in enumerate(SPECIAL)}
_RESTORE = str.maketrans({v: k for k, v in _STAND_IN.items()})
_ESCAPE_RE = re.compile(r"\\(.)", re.S)
_META_RE = re.compile(r"\[(tag|difficulty|points|answer|id):((?:\\.|[^\]\\])*)\]")
_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
_TF_RE = re.compile(r"(T|TRUE|F|FALSE)\s*(?:#([^#]*))?(?:#(.*))?", re.I | re.S)
_CHOICE_RE = re.compile(r"([=~])\s*(?:%(-?\d+(?:\.\d+)?)%)?([^=~]*)", re.S)
T = TypeVar("T")
_KIND_NAMES = {"numeric": "数值题", "matching": "配对题", "description": "说明文字（没有答案块）"}


class _Choice(NamedTuple):
    percent: float  # its credit: 100 for a plain =, 0 for a plain ~
    text: str
    feedback: str

    @property
    def full(self) -> bool:  # full credit: right, and its feedback explains the answer
        return self.percent >= 100

    @property
    def partial(self) -> bool:
        return 0 < self.percent < 100


@dataclass
class _Chunk:
    line: int
    body: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class _Block:
    kind: str  # essay | numeric | truefalse | short | choice | matching | invalid
    start: int
    end: int
    general: str = ""
    choices: list[_Choice] = field(default_factory=list)
    several: bool = False  # a choice block without =: Moodle's several-answer question
    value: bool = False  # true/false answer
    feedback: tuple[str, str] = ("", "")


class _Parsed(NamedTuple):
    question: QuestionData
    dropped: bool  # some partial-credit answers were not kept as right answers


class _Unsupported(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _Invalid(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def escape(text: str) -> str:
    """Escape GIFT's special characters and line breaks for writing."""
    out = "".join("\\" + ch if ch in SPECIAL else ch for ch in text)
    return out.replace("\n", "\\n")


def parse_gift(data: bytes, skip_unsupported: bool = False) -> ParseResult:
    """Parse a GIFT file; a question's row is the line where its text starts."""
    text = decode_text(data)
    if text is None:
        return undecodable()
    questions: list[QuestionData] = []
    errors: list[RowError] = []
    skipped: list[int] = []
    partial: list[int] = []
    category = ""
    for chunk in _chunks(text.split("\n")):
        body = "\n".join(chunk.body).strip()
        if body.startswith("$CATEGORY:"):
            category = body[len("$CATEGORY:"):].strip().split("\n")[0].rstrip("/").split("/")[-1].strip()
            continue
        try:
            question, dropped = _question(chunk, body, category)
        except _Unsupported as exc:
            if skip_unsupported:
                skipped.append(chunk.line)
            else:
                errors.append(RowError(chunk.line, "type", f"不支持的题型：{_KIND_NAMES[exc.kind]}"))
            continue
        except _Invalid as exc:
            errors.append(RowError(chunk.line, exc.field, exc.message))
            continue
        problems = check_question(question)
        errors.extend(problems)
        if not problems:
            questions.append(question)
            if dropped:
                partial.append(chunk.line)
    warnings = []
    if skipped:
        warnings.append(f"已跳过 {len(skipped)} 道不支持的题目（数值题、配对题或说明文字），位于第 {_lines(skipped)} 行")
    if partial:
        warnings.append(f"{len(partial)} 道题含部分得分的答案（如 %50%），本平台不支持部分得分，"
                        f"这些答案已按错误答案处理，只有满分答案算对，位于第 {_lines(partial)} 行")
    return finish(questions, errors, warnings)


def _lines(numbers: list[int]) -> str:
    return "、".join(str(n) for n in numbers)


def _chunks(lines: list[str]) -> list[_Chunk]:
    """Questions are separated by blank lines; ``//`` lines are comments of the next question.

    A ``$CATEGORY:`` line is a chunk of its own, even with a question right before or after it."""
    chunks: list[_Chunk] = []
    current = _Chunk(line=0)
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            if current.body:
                chunks.append(current)
            current = _Chunk(line=0)
        elif stripped.startswith("//"):
            current.comments.append(stripped[2:])
        elif stripped.startswith("$CATEGORY:"):
            if current.body:
                chunks.append(current)
                current = _Chunk(line=0)
            chunks.append(_Chunk(number, [stripped], current.comments))
            current = _Chunk(line=0)
        else:
            if not current.body:
                current.line = number
            current.body.append(stripped)
    if current.body:
        chunks.append(current)
    return chunks


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: "\n" if m.group(1) == "n" else _STAND_IN.get(m.group(1), m.group(0)), text)


def _plain(text: str, html_default: bool = False) -> str:
    """Restore escaped characters; drop a [format] marker, turning [html] text into plain text.

    Answers and feedback without their own marker share the question text's format."""
    marker = _FORMAT_RE.match(text)
    if marker:
        text = text[marker.end():]
    text_format = marker.group(1).lower() if marker else ("html" if html_default else "moodle")
    if text_format == "html":
        text = re.sub(r"<br\s*/?>|</p\s*>", "\n", text, flags=re.I)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
        text = re.sub(r"\n\s*\n+", "\n", text)
    return text.translate(_RESTORE).strip()


def _question(chunk: _Chunk, body: str, category: str) -> _Parsed:
    text = _protect(body)
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            text = text[end + 2:]
    marker = _FORMAT_RE.match(text)
    in_html = marker is not None and marker.group(1).lower() == "html"

    def plain(piece: str) -> str:
        return _plain(piece, in_html)

    blocks = [_block(text, start, end) for start, end in _braces(text)]
    if not blocks:
        raise _Unsupported("description")
    for block in blocks:
        if block.kind in ("numeric", "matching"):
            raise _Unsupported(block.kind)
        if block.kind == "invalid":
            raise _Invalid("answer", "答案块无法识别：应以 = 或 ~ 开头，或为 T/F、空 {}")
    trailing = _trailing_count(text, blocks)
    if len(blocks) > 1 and any(b.kind != "short" for b in blocks):
        raise _Invalid("answer", "一道题只能有一个答案块（只有填空题可以每空一个 {=…}）")
    if trailing == len(blocks):  # answers after the text: the stem keeps its own blank markers
        stem = plain(text[:blocks[0].start])
        if len(blocks) == 1 and blocks[0].kind == "short" and stem and count_blanks(stem) == 0:
            stem = f"{stem} {BLANK}" if stem[-1:].isascii() else stem + BLANK
    else:  # missing-word style: each block becomes a blank where it stands
        pieces, position = [], 0
        for block in blocks:
            pieces.extend([text[position:block.start], BLANK])
            position = block.end + 1
        pieces.append(text[position:])
        stem = plain("".join(pieces))
    meta = _meta(chunk.comments)
    tags = list(dict.fromkeys([t for t in [category, *meta["tag"]] if t]))
    difficulty = _meta_value(meta, "difficulty", parse_difficulty, 3)
    points = _meta_value(meta, "points", parse_points, None)

    def make(qtype: str, answer: list[object], explanation: str, options: list[dict[str, str]] | None = None,
             ) -> _Parsed:
        question = QuestionData(type=qtype, stem=stem, options=options or [], answer=answer,
                                explanation=explanation, tags=tags, difficulty=difficulty, points=points,
                                row=chunk.line)
        return _Parsed(question, any(c.partial and not _right(b, c) for b in blocks for c in b.choices))

    last = blocks[-1]
    general = plain(last.general)
    if last.kind == "essay":
        if meta["answer"]:
            return make("short", [meta["answer"][0].strip()], general)
        return make("short", [general], "")  # a plain Moodle essay: its general feedback is the model answer
    if last.kind == "truefalse":
        return make("judge", [last.value], general or plain(last.feedback[1]) or plain(last.feedback[0]))
    if last.kind == "short":
        if any(not any(c.full for c in b.choices) for b in blocks):
            raise _Invalid("answer", "没有满分答案：部分得分的答案（如 =%50%…）不算正确答案")
        answer: list[object] = [[plain(c.text) for c in b.choices if _right(b, c) and plain(c.text)] for b in blocks]
        return make("fill", answer, general or _feedback([c for b in blocks for c in b.choices], in_html))
    options = [{"key": OPTION_KEYS[i] if i < len(OPTION_KEYS) else f"#{i + 1}", "text": plain(c.text)}
               for i, c in enumerate(last.choices)]
    keys: list[object] = [o["key"] for o, c in zip(options, last.choices, strict=True) if _right(last, c)]
    if not keys:
        raise _Invalid("answer", "没有正确答案（用 = 标出正确选项）")
    qtype = "multiple" if last.several or len(keys) > 1 else "single"
    return make(qtype, keys, general or _feedback(last.choices, in_html), options)


def _right(block: _Block, choice: _Choice) -> bool:
    """A right answer: any positive weight in a several-answer block, else full credit only."""
    return choice.percent > 0 if block.several else choice.full


def _feedback(choices: list[_Choice], in_html: bool) -> str:
    """The feedback of the full-credit answers, as the explanation when there is no general feedback."""
    texts = [_plain(c.feedback, in_html) for c in choices if c.full]
    return "\n".join(dict.fromkeys(t for t in texts if t))


def _braces(text: str) -> list[tuple[int, int]]:
    """Positions of each answer block's braces; unbalanced or nested braces are an error."""
    spans, position = [], 0
    while True:
        start = text.find("{", position)
        if start < 0:
            break
        end = text.find("}", start)
        if end < 0 or "{" in text[start + 1:end]:
            raise _Invalid("answer", "大括号不成对：答案块缺少 }（文字中的 { } 需写成 \\{ \\}）")
        spans.append((start, end))
        position = end + 1
    if "}" in text[position:]:
        raise _Invalid("answer", "大括号不成对：多了一个 }（文字中的 { } 需写成 \\{ \\}）")
    return spans


def _trailing_count(text: str, blocks: list[_Block]) -> int:
    """How many blocks stand after all the question's text (only white space after and between)."""
    count, end = 0, len(text)
    for block in reversed(blocks):
        if text[block.end + 1:end].strip():
            break
        count, end = count + 1, block.start
    return count


def _block(text: str, start: int, end: int) -> _Block:
    content, _, general = text[start + 1:end].partition("####")
    inner = content.strip()
    block = _Block(kind="invalid", start=start, end=end, general=general)
    if not inner:
        block.kind = "essay"
    elif inner.startswith("#"):
        block.kind = "numeric"
    elif (tf := _TF_RE.fullmatch(inner)) is not None:
        block.kind, block.value = "truefalse", tf.group(1).upper().startswith("T")
        block.feedback = (tf.group(2) or "", tf.group(3) or "")  # (if answered wrongly, if answered rightly)
    elif inner[0] in "=~":
        marks = set()
        for mark, weight, raw in _CHOICE_RE.findall(inner):
            answer, _, feedback = raw.partition("#")
            percent = float(weight) if weight else (100.0 if mark == "=" else 0.0)
            block.choices.append(_Choice(percent, answer, feedback))
            marks.add(mark)
        if marks == {"="} and all("->" in c.text for c in block.choices):
            block.kind = "matching"
        elif marks == {"="}:
            block.kind = "short"
        else:
            block.kind = "choice"
            block.several = "=" not in marks
    return block


def _meta(comments: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"tag": [], "difficulty": [], "points": [], "answer": [], "id": []}
    for name, raw in _META_RE.findall("\n".join(comments)):
        value = _ESCAPE_RE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), raw)
        found[name].append(value if name == "answer" else value.strip())
    return found


def _meta_value(meta: dict[str, list[str]], name: str, convert: Callable[[str], T], default: T) -> T:
    if not meta[name]:
        return default
    try:
        return convert(meta[name][0])
    except ValueError as exc:
        raise _Invalid(name, str(exc)) from None
