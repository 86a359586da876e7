"""A ``.zip`` of one question file (xlsx, csv or json) and the media files its rows name (CONTRACT §3).

Rows name files by their name in the zip (``图片``/``题干图片``, ``选项A图片`` … columns; json
``"media": [{"file": "a.png"}]``); a name may include the folder it is in. The files themselves are
checked later (question_bank.media.check_files), where a missing or refused file becomes a row error.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath

from question_bank.formats import limits
from question_bank.formats.common import ParseResult, file_error

QUESTION_SUFFIXES = (".xlsx", ".csv", ".json")


def parse_zip(data: bytes, parse_inner: Callable[[bytes, str], ParseResult]) -> ParseResult:
    """Find the question file, parse it with ``parse_inner(data, name)`` and attach the other files."""
    limits.check_archive(data)  # a zip bomb is refused before anything is inflated
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return file_error("文件不是有效的 .zip 压缩包，或已损坏")
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
        questions = [m for m in members if m.filename.lower().endswith(QUESTION_SUFFIXES)]
        if len(questions) != 1:
            found = "、".join(m.filename for m in questions) or "没有"
            return file_error(f"压缩包中应有且只有一个题目文件（.xlsx、.csv 或 .json），现有：{found}")
        (question_file,) = questions
        files: dict[str, bytes] = {}
        try:
            inner = archive.read(question_file)
            for member in members:
                if member is question_file:
                    continue
                content = archive.read(member)
                files[member.filename] = content
                files.setdefault(PurePosixPath(member.filename).name, content)  # by bare name too
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            return file_error("压缩包已损坏，无法解压")
    result = parse_inner(inner, question_file.filename)
    result.files.update(files)
    return result


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)
