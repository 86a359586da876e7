"""How much an uploaded file may unpack to, and how much of an import is reported (CONTRACT §0).

An xlsx is a zip: 1.6 MB of it can unpack to 400 MB of sheet XML and millions of rows. Every
importer (questions, user rosters, team rosters) therefore passes its upload through
:func:`check_archive` before anything parses it, counts its rows with :func:`count_rows`, and
reports row errors through :func:`cap_errors`. Past a limit :class:`ImportTooLarge` is raised; the
web layer answers it with 413. This module knows nothing of the web or the database.

The limits come from ``QUIZ_MAX_UNPACKED_MB`` (default 200) and ``QUIZ_MAX_IMPORT_ROWS`` (default
100,000), or from :func:`configure` (the app calls it with its settings).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

MAX_ROW_ERRORS = 1000
"""An import reports at most this many row errors (and how many there were in all)."""

MAX_ARCHIVE_MEMBERS = 10_000  # a workbook has tens of parts; a zip of a bank's media a few thousand
_CHUNK = 1 << 20
_SHEETS = "xl/worksheets/"

T = TypeVar("T")


@dataclass(frozen=True)
class ImportLimits:
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_rows: int = 100_000

    @classmethod
    def from_env(cls) -> ImportLimits:
        mb = os.environ.get("QUIZ_MAX_UNPACKED_MB", "").strip()
        rows = os.environ.get("QUIZ_MAX_IMPORT_ROWS", "").strip()
        default = cls()
        return cls(max_unpacked_bytes=int(float(mb) * 1024 * 1024) if mb else default.max_unpacked_bytes,
                   max_rows=int(rows) if rows else default.max_rows)


_active = ImportLimits.from_env()


def configure(limits: ImportLimits) -> None:
    """Set the limits every importer applies (the app does this with its settings at creation)."""
    global _active
    _active = limits


def active() -> ImportLimits:
    return _active


class ImportTooLarge(Exception):  # noqa: N818 — named for what the client is told (413 too large)
    """The upload unpacks to more bytes, or holds more rows, than allowed. ``message`` is Chinese.

    Deliberately not a ValueError: parsers that turn damaged files into row errors must not swallow it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_many_bytes(limit: int) -> ImportTooLarge:
    return ImportTooLarge(f"文件解压后超过 {limit / 1024 / 1024:g} MB 的上限，请拆分后再导入")


def _too_many_rows(limit: int) -> ImportTooLarge:
    return ImportTooLarge(f"文件超过 {limit} 行的上限，请拆分后再导入")


def is_archive(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def check_archive(data: bytes, limits: ImportLimits | None = None) -> None:
    """Refuse a zip (xlsx) that unpacks to more than the limit, within seconds and with bounded memory.

    First the sizes the zip declares (free to read); then every member is inflated in 1 MB chunks
    and the bytes counted, since declared sizes can lie; a sheet's ``<row`` tags are counted on the
    way (past the row limit: refused before any parsing). Nothing unpacked is kept. A file that is
    not a readable zip is left to the parser, which reports it as a damaged file.
    """
    if not is_archive(data):
        return
    limit = (limits or _active).max_unpacked_bytes
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise ImportTooLarge(f"压缩文件中的文件过多（超过 {MAX_ARCHIVE_MEMBERS} 个）")
        if sum(m.file_size for m in members) > limit:
            raise _too_many_bytes(limit)
        total = 0
        max_rows = (limits or _active).max_rows
        for member in members:
            is_sheet = member.filename.startswith(_SHEETS)
            rows, carry = 0, b""
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise _too_many_bytes(limit)
                        if is_sheet:  # rows counted in the XML: a sheet of a million rows is refused before parsing
                            rows += (carry + chunk).count(b"<row")
                            carry = chunk[-4:]
                            if rows > max_rows:
                                raise _too_many_rows(max_rows)
            except ImportTooLarge:
                raise
            except Exception:  # noqa: BLE001 — a damaged member: the parser reports the file as broken
                return


def count_rows(rows: Iterable[T], limits: ImportLimits | None = None) -> Iterator[T]:
    """``rows`` as they come, refusing (ImportTooLarge) the one past the row limit."""
    limit = (limits or _active).max_rows
    for index, row in enumerate(rows, start=1):
        if index > limit:
            raise _too_many_rows(limit)
        yield row


def check_row_count(count: int, limits: ImportLimits | None = None) -> None:
    """For formats read whole (json, gift, aiken, text): refuse more items than the row limit."""
    limit = (limits or _active).max_rows
    if count > limit:
        raise ImportTooLarge(f"文件超过 {limit} 道题（行）的上限，请拆分后再导入")


def cap_errors(errors: list[T]) -> tuple[list[T], int]:
    """The first :data:`MAX_ROW_ERRORS` errors and how many there were."""
    return errors[:MAX_ROW_ERRORS], len(errors)
