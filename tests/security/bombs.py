"""Zip bombs built in memory in well under a second: the attacker's files of issue 9, item 2.

Deflating 400 MB takes seconds, so the big member is deflated once as a 1 MB block ended by a
full flush (which resets the compressor, so every repeat compresses to the same bytes) and the
compressed block is repeated. The zip itself is written by hand, so a member's declared size may
lie, as an attacker's would.
"""

from __future__ import annotations

import io
import struct
import zlib

from openpyxl import Workbook

SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"
MB = 1024 * 1024


def _inline_row(*texts: str) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{t}</t></is></c>' for t in texts)
    return f"<row>{cells}</row>".encode()


def _deflated_repeat(head: bytes, block: bytes, repeats: int, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + block * repeats + tail, its CRC-32 and size, without deflating it all."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return first + repeated * repeats + last, crc, len(head) + len(block) * repeats + len(tail)


def _write_zip(members: list[tuple[str, bytes, int, int, int, int]]) -> bytes:
    """members: (name, payload, method, crc, true size, declared size)."""
    out = io.BytesIO()
    central = []
    for name, payload, method, crc, _, declared in members:
        offset = out.tell()
        raw_name = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21, crc, len(payload), declared,
                              len(raw_name), 0) + raw_name + payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, method, 0, 0x21, crc,
                                   len(payload), declared, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _workbook_parts(header: list[str]) -> dict[str, bytes]:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    buffer = io.BytesIO()
    wb.save(buffer)
    import zipfile

    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xlsx_bomb(header: list[str], row: list[str], unpacked_bytes: int, *, declared_size: int | None = None,
              one_cell: bool = False) -> bytes:
    """An xlsx whose first sheet unpacks to about ``unpacked_bytes``: a header row, then ``row`` repeated
    (or, with ``one_cell``, a single cell holding all the bytes). ``declared_size`` makes the zip lie."""
    parts = _workbook_parts(header)
    head = SHEET_HEAD + _inline_row(*header)
    if one_cell:
        head += b'<row><c t="inlineStr"><is><t>'
        block, tail = b"A" * MB, b"</t></is></c></row>" + SHEET_TAIL
    else:
        one = _inline_row(*row)
        block, tail = one * (MB // len(one)), SHEET_TAIL
    payload, crc, size = _deflated_repeat(head, block, max(1, unpacked_bytes // len(block)), tail)
    members = []
    for name, data in parts.items():
        if name == "xl/worksheets/sheet1.xml":
            members.append((name, payload, 8, crc, size, size if declared_size is None else declared_size))
        else:
            members.append((name, data, 0, zlib.crc32(data), len(data), len(data)))
    return _write_zip(members)


def csv_rows(header: str, row: str, count: int) -> bytes:
    return (header + "\n" + (row + "\n") * count).encode()
