"""Parsing and export of question files, with no database and no web (FORMATS.md).

``parse(data, filename)`` reads Excel, CSV, JSON, GIFT, Aiken or pasted text into
:class:`QuestionData` and reports every problem as a :class:`RowError`; ``export(questions, fmt)``
writes xlsx, json or gift that ``parse`` reads back as the same questions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath

from question_bank.formats import limits
from question_bank.formats.aiken import parse_aiken
from question_bank.formats.common import (
    ParseResult,
    QuestionData,
    RowError,
    UnsupportedFormat,
    decode_text,
    dedup_key,
)
from question_bank.formats.export import EXPORT_FORMATS, export
from question_bank.formats.gift import parse_gift
from question_bank.formats.json_format import parse_json
from question_bank.formats.tabular import parse_csv, parse_xlsx
from question_bank.formats.text import parse_text
from question_bank.formats.zipped import parse_zip

__all__ = ["EXPORT_FORMATS", "FORMATS", "ParseResult", "QuestionData", "RowError", "UnsupportedFormat",
           "dedup_key", "detect_format", "export", "parse", "sniff_text_format"]

FORMATS = ("xlsx", "csv", "json", "gift", "aiken", "text", "zip")
EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".json": "json", ".gift": "gift",
              ".aiken": "aiken", ".txt": "txt", ".zip": "zip"}
ALIASES = {"txt": "txt", "excel": "xlsx", "xlsm": "xlsx", "moodle": "gift", "paste": "text"}
_SUPPORTED = "xlsx、csv、json、gift、aiken、txt、zip"
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*:", re.M)
_GIFT_BLOCK = re.compile(r"(?<!\\)\{[^{}]*(?<!\\)\}")


def detect_format(filename: str | None = None, fmt: str | None = None) -> str:
    """The format to read: ``fmt`` if given, else from the file name's extension.

    Returns one of FORMATS or ``"txt"`` (a .txt file, told apart by its content).
    Raises UnsupportedFormat (with a Chinese message) for anything else.
    """
    if fmt:
        name = fmt.strip().lower().lstrip(".")
        name = ALIASES.get(name, name)
        if name in FORMATS or name == "txt":
            return name
        raise UnsupportedFormat(f"不支持的格式“{fmt}”，可用：{_SUPPORTED}", fmt)
    if not filename:
        raise UnsupportedFormat(f"无法判断文件格式：请提供文件名或指定格式（{_SUPPORTED}）")
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xls":
        raise UnsupportedFormat("不支持旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入", suffix)
    if suffix not in EXTENSIONS:
        shown = suffix or "（无扩展名）"
        raise UnsupportedFormat(f"不支持的文件类型“{shown}”，可用：{_SUPPORTED}", suffix)
    return EXTENSIONS[suffix]


def sniff_text_format(data: bytes) -> str:
    """A .txt file: GIFT if it has ``{…}`` answer blocks, Aiken if it has ``ANSWER:`` lines, else pasted text."""
    text = decode_text(data)
    if text is None:
        return "text"
    if _AIKEN_ANSWER.search(text):
        return "aiken"
    body = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("//"))
    return "gift" if _GIFT_BLOCK.search(body) else "text"


def parse(data: bytes, filename: str | None = None, fmt: str | None = None, *,
          skip_unsupported: bool = False) -> ParseResult:
    """Read a question file. Content problems are in ``ParseResult.errors``, never raised;
    only an unknown format raises UnsupportedFormat, and a file past the limits ImportTooLarge."""
    name = detect_format(filename, fmt)
    if name == "txt":
        name = sniff_text_format(data)
    if name == "zip":
        return parse_zip(data, lambda inner, inner_name: parse(inner, inner_name))
    if name == "gift":
        result = parse_gift(data, skip_unsupported=skip_unsupported)
    else:
        result = _PARSERS[name](data)
    limits.check_row_count(len(result.questions) + result.duplicates)  # formats read whole (json, gift, …)
    return result


_PARSERS: dict[str, Callable[[bytes], ParseResult]] = {
    "xlsx": parse_xlsx, "csv": parse_csv, "json": parse_json, "aiken": parse_aiken, "text": parse_text,
}
