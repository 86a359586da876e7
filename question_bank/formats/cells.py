"""Spreadsheet cells that never start a formula from someone's text, and never fail to be written.

OWASP's CSV-injection guidance: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return may be run as a formula by Excel or LibreOffice (``=HYPERLINK("http://…","点")``).
In a csv such a cell gets a leading ``'``, which spreadsheets read as "this is text"; in an xlsx
the cell is written as a string with Excel's own quote-prefix style, so it shows exactly as typed
and is still no formula. Numbers stay numbers. The full-width forms (＝ ＋ － ＠) are treated the
same, since an input method may give them to a spreadsheet that folds them.

Every text is also cleaned of what an xlsx cannot hold (control characters but tab, newline and CR;
lone surrogates): text stored before the input rules existed must not turn an export into a 500.
Every xlsx and csv the platform writes (rankings, test results, question banks) goes through here.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without control characters (but tab, LF, CR) and lone surrogates."""
    return _UNWRITABLE.sub("", text) if _UNWRITABLE.search(text) else text


def starts_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A value for ``csv.writer``: text cleaned and, if it could start a formula, prefixed with ``'``."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if starts_formula(text) else text


def csv_row(values: Any) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """A value for ``sheet.append`` (normal or write-only sheet): text cleaned; text that could start a
    formula becomes a string cell with the quote prefix. Anything else (numbers, cells) as given."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if not starts_formula(text):
        return text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl makes any text starting with = a formula; this one is text
    cell.quotePrefix = True
    return cell


def xlsx_row(sheet: Any, values: Any) -> list[Any]:
    return [xlsx_cell(sheet, v) for v in values]
