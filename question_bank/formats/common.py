"""What every format shares: the parsed question, row errors, the parse result and duplicate keys.

Parsers never raise for bad content: every problem becomes a :class:`RowError` (row 0 for a
problem with the whole file) so the importer can show one complete report and write nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from question_bank.formats.limits import cap_errors

QUESTION_TYPES = ("single", "multiple", "judge", "fill", "short")
CHOICE_TYPES = ("single", "multiple")
OPTION_KEYS = "ABCDEFGH"
MIN_OPTIONS = 2
MAX_OPTIONS = len(OPTION_KEYS)


class UnsupportedFormat(ValueError):
    """The file's format cannot be read at all (unknown extension or format name).

    ``message`` is Chinese and meant for the person who uploaded the file.
    """

    def __init__(self, message: str, fmt: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fmt = fmt


@dataclass
class QuestionData:
    """One question as parsed from a file, in the contract's shape (CONTRACT.md section 3).

    ``row`` is where the question starts in its source (Excel row, CSV/text line, JSON item);
    it is not part of the question, so two questions compare equal whatever their rows.
    """

    type: str
    stem: str
    options: list[dict[str, str]] = field(default_factory=list)
    answer: list[Any] = field(default_factory=list)
    explanation: str = ""
    tags: list[str] = field(default_factory=list)
    difficulty: int = 3
    points: float | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    """The stem's media: ``{"url"|"file", "alt", …}`` (an option's own is ``option["media"]``)."""
    row: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The contract's question shape (without ``id`` and ``bank_id``)."""
        return {
            "type": self.type,
            "stem": self.stem,
            "options": [_option_dict(o) for o in self.options],
            "answer": list(self.answer),
            "explanation": self.explanation,
            "tags": list(self.tags),
            "difficulty": self.difficulty,
            "points": self.points,
            **({"media": [dict(m) for m in self.media]} if self.media else {}),
        }


def _option_dict(option: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"key": option["key"], "text": option["text"]}
    if option.get("media"):
        data["media"] = dict(option["media"])
    return data


def media_names(question: QuestionData | Mapping[str, Any]) -> list[str]:
    """The urls (or file names) of a question's media, stem first then options: part of its identity."""
    if isinstance(question, QuestionData):
        stem_media, options = question.media, question.options
    else:
        stem_media, options = question.get("media") or [], question.get("options") or []
    names = [str(m.get("url") or m.get("file") or "") for m in stem_media or [] if isinstance(m, Mapping)]
    for option in options:
        media = option.get("media") if isinstance(option, Mapping) else None
        if isinstance(media, Mapping):
            names.append(f"{option.get('key')}={media.get('url') or media.get('file') or ''}")
    return names


@dataclass(frozen=True)
class RowError:
    """One problem in the source: where (row, field as the user named it) and what, in Chinese."""

    row: int
    field: str
    message: str


@dataclass
class ParseResult:
    """Everything a parser found: valid questions (duplicates removed), errors and warnings."""

    questions: list[QuestionData] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: int = 0
    error_count: int = 0
    """How many errors there were; ``errors`` holds at most the first ``limits.MAX_ROW_ERRORS``."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Media files that came with the questions (a zip's files, an xlsx's pictures), by the name rows use."""
    checked: dict[str, Any] = field(default_factory=dict)
    """``files`` that passed question_bank.media's checks, ready to store."""

    @property
    def total_errors(self) -> int:
        return max(self.error_count, len(self.errors))


# Punctuation that NFKC leaves alone but people type either way.
_PUNCT_FOLD = {
    "“": '"', "”": '"', "„": '"', "‟": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "‘": "'", "’": "'", "。": ".", "【": "[", "】": "]", "〔": "(", "〕": ")", "〈": "<", "〉": ">",
    "—": "-", "–": "-",
}
_PUNCT_RE = re.compile("[" + "".join(_PUNCT_FOLD) + "]")  # a regex is much faster than str.translate here
_SPACE_RE = re.compile(r"\s+")


def normalise_for_key(text: str) -> str:
    """Fold full-width forms (NFKC), common CJK punctuation and remove all white space."""
    folded = _PUNCT_RE.sub(lambda m: _PUNCT_FOLD[m.group()], unicodedata.normalize("NFKC", text))
    return _SPACE_RE.sub("", folded)


def dedup_key(question: QuestionData | Mapping[str, Any]) -> str:
    """A 64-character hash of type, stem and option texts, equal for questions that differ only
    in white space and full-width/half-width punctuation or letters."""
    if isinstance(question, QuestionData):
        qtype, stem, options = question.type, question.stem, question.options
    else:
        qtype, stem, options = question.get("type", ""), question.get("stem", ""), question.get("options") or []
    texts = [str(o.get("text", "")) if isinstance(o, Mapping) else str(o) for o in options]
    # One normalisation of the joined text is much faster than one per part; NUL survives it.
    joined = normalise_for_key("\x00".join([str(stem), *texts]))
    names = media_names(question)  # 这是哪里？ with two different pictures is two questions
    if names:
        joined += "\x01" + "\x00".join(names)
    return hashlib.sha256(f"{qtype}\x00{joined}".encode()).hexdigest()


def finish(questions: Iterable[QuestionData], errors: list[RowError], warnings: list[str]) -> ParseResult:
    """Drop duplicates within the file (first one kept) and package the result."""
    seen: set[str] = set()
    kept: list[QuestionData] = []
    duplicates = 0
    for q in questions:
        key = dedup_key(q)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        kept.append(q)
    if not kept and not errors:
        errors = [RowError(0, "file", "文件中没有找到任何题目")]
    shown, count = cap_errors(sorted(errors, key=lambda e: e.row))
    return ParseResult(questions=kept, errors=shown, warnings=warnings, duplicates=duplicates, error_count=count)


def file_error(message: str, row: int = 0) -> ParseResult:
    """A result for a file that could not be read at all."""
    return ParseResult(errors=[RowError(row, "file", message)], error_count=1)


def decode_text(data: bytes) -> str | None:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else GBK/GB18030.

    Returns None when no encoding fits. Line endings become ``\\n``.
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8", data[len(codecs.BOM_UTF8):])]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, payload in candidates:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # a binary file that happened to decode
            return None
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return None


def undecodable() -> ParseResult:
    return file_error("无法识别文件的文字编码（支持 UTF-8 和 GBK），请另存为 UTF-8 后再导入")
