"""Export to xlsx (the import template), json and gift; ``parse`` reads each back as the same questions.

Limits of the xlsx round trip (the template's cells are plain text): a fill answer containing
``;`` ``；`` or ``|`` would be split into more blanks or alternatives, a tag containing
``、 , ， ; ； /`` into several tags, and white space at either end of a cell is trimmed. A stem with
several pictures has their alt texts in one 图片说明 cell, ``；``-separated (one a line when one holds a
semicolon and neither the first nor the last is empty; otherwise its semicolons become ``，``); a line
break inside one becomes a space. Each picture also carries its own alt text as its description.
Control characters that Excel cannot store are dropped. JSON and GIFT have none of these limits.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from question_bank.formats.cells import clean_text, xlsx_cell
from question_bank.formats.common import CHOICE_TYPES, OPTION_KEYS, QuestionData, UnsupportedFormat
from question_bank.formats.gift import escape as gift_escape
from question_bank.formats.rules import TYPE_NAMES

EXPORT_FORMATS = ("xlsx", "json", "gift")
SHEET_NAME = "题库"
MIN_OPTION_COLUMNS = 4
_GIFT_LINE_STARTS = ("[", "//", "$")  # would read as a [format] mark, a comment or $CATEGORY


def export(questions: Sequence[QuestionData], fmt: str) -> bytes:
    """Write questions as ``xlsx``, ``json`` or ``gift``; raises UnsupportedFormat for other formats."""
    name = fmt.strip().lower().lstrip(".")
    if name == "xlsx":
        return export_xlsx(questions)
    if name == "json":
        return export_json(questions)
    if name == "gift":
        return export_gift(questions)
    raise UnsupportedFormat(f"不支持导出为“{fmt}”，可用：xlsx、json、gift", fmt)


def export_json(questions: Sequence[QuestionData]) -> bytes:
    """``{"questions": [...]}`` in the contract's shape, UTF-8, Chinese unescaped."""
    document = {"questions": [q.to_dict() for q in questions]}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


# --- xlsx -------------------------------------------------------------------------------------

def headers(option_count: int, picture_column: bool = False, alt_columns: Sequence[str] = ()) -> list[str]:
    """The canonical template headers with ``option_count`` option columns (and 图片 for the stem's pictures,
    then the alt-text columns: 图片说明, 选项A图片说明 …)."""
    names = ["题型", "题干", *[f"选项{k}" for k in OPTION_KEYS[:option_count]], "答案", "解析", "难度", "标签", "分值"]
    return [*names, "图片", *alt_columns] if picture_column else names


def answer_text(q: QuestionData) -> str:
    """The 答案 cell: letters, 正确/错误, blanks joined by ；with alternatives by |, or the reference."""
    if q.type in CHOICE_TYPES:
        return "".join(str(k) for k in q.answer)
    if q.type == "judge":
        return "正确" if q.answer and q.answer[0] is True else "错误"
    if q.type == "fill":
        return "；".join("|".join(str(a) for a in blank) for blank in q.answer)
    return str(q.answer[0]) if q.answer else ""


def question_row(q: QuestionData, option_count: int) -> list[Any]:
    """One template row for a question."""
    texts = [o["text"] for o in q.options] if q.type in CHOICE_TYPES else []
    options = texts + [""] * (option_count - len(texts))
    points: Any = q.points
    if isinstance(points, float) and points.is_integer():
        points = int(points)
    return [TYPE_NAMES.get(q.type, q.type), q.stem, *options, answer_text(q), q.explanation, q.difficulty,
            "、".join(q.tags), points]


def export_xlsx(questions: Sequence[QuestionData], files: Mapping[str, bytes] | None = None) -> bytes:
    """The canonical template (sheet 题库) holding the questions.

    ``files`` (media url → bytes): pictures are placed in their cells — the stem's in a 图片 column, an
    option's in its 选项 column — so the file imports again with them (sound and video need format=zip)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    count = _option_count(questions)
    files = files or {}
    pictures = bool(files) and any(_pictured(q, files) for q in questions)
    placed = [_placed(q, files, count) for q in questions] if pictures else []
    alt_columns = [name for name in ["图片说明", *[f"选项{k}图片说明" for k in OPTION_KEYS[:count]]]
                   if any(alts.get(name) for _, alts in placed)]
    rows = [question_row(q, count) + ([""] if pictures else []) for q in questions]
    for row, (_, alts) in zip(rows, placed, strict=False):
        row.extend(alts.get(name, "") for name in alt_columns)
    write_sheet(sheet, rows, count, picture_column=pictures, alt_columns=alt_columns)
    if pictures:
        _place_pictures(sheet, placed, files, count)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _pictured(q: QuestionData, files: Mapping[str, bytes]) -> bool:
    return any(m.get("url") in files for m in q.media if m.get("kind") == "image") or any(
        (o.get("media") or {}).get("url") in files for o in q.options)


PICTURE_HEIGHT_PX = 90  # how large a picture shows in its cell; the file inside keeps every pixel

Placed = list[tuple[int | None, Mapping[str, Any]]]
"""The pictures of one row: (option index, or None for the stem; the media object)."""


def _placed(q: QuestionData, files: Mapping[str, bytes], option_count: int) -> tuple[Placed, dict[str, str]]:
    """The question's pictures that go in its cells, and their alt texts by alt column header."""
    stem = [m for m in q.media if m.get("kind") == "image" and m.get("url") in files]
    placed: Placed = [(None, m) for m in stem]
    alts: dict[str, str] = {}
    texts = [str(m.get("alt") or "") for m in stem]
    if any(texts) and len(texts) == 1:
        alts["图片说明"] = texts[0]
    elif any(texts):  # one a line if a text holds a ;, else ；-separated (the cell's ends are trimmed on import)
        texts = [" ".join(t.split("\n")) for t in texts]
        lines = any(";" in t or "；" in t for t in texts) and bool(texts[0] and texts[-1])
        if not lines:
            texts = [t.replace(";", "，").replace("；", "，") for t in texts]
        alts["图片说明"] = ("\n" if lines else "；").join(texts)
    for index, option in enumerate(q.options[:option_count]):
        m = option.get("media") or {}
        if m.get("url") in files and m.get("kind", "image") == "image":
            placed.append((index, m))
            if m.get("alt"):
                alts[f"选项{option['key']}图片说明"] = str(m["alt"])
    return placed, alts


def _place_pictures(sheet: WriteOnlyWorksheet, placed: Sequence[tuple[Placed, dict[str, str]]],
                    files: Mapping[str, bytes], option_count: int) -> None:
    """Each picture anchored at its cell, its alt text as the drawing's description (Excel's 替换文字)."""
    from openpyxl.drawing.image import Image as XlImage

    picture_column = len(headers(option_count))  # 0-based index of 图片, the column after 分值
    count = 0
    for number, (pictures, _) in enumerate(placed, start=1):  # row 0 is the header
        for option_index, m in pictures:
            count += 1
            image = XlImage(io.BytesIO(files[str(m["url"])]))
            width, height = m.get("width"), m.get("height")
            if width and height:
                image.height, image.width = PICTURE_HEIGHT_PX, max(1, round(width * PICTURE_HEIGHT_PX / height))
            column = picture_column if option_index is None else 2 + option_index
            image.anchor = _anchor(column, number, image, str(m.get("alt") or ""), count)
            sheet.add_image(image)


def _anchor(column: int, row: int, image: Any, alt: str, number: int) -> Any:
    """A one-cell anchor at (column, row), 0-based, holding the picture frame openpyxl would write, with
    ``alt`` as its description (openpyxl writes "Picture" for every picture it anchors itself)."""
    from openpyxl.drawing.fill import Blip
    from openpyxl.drawing.geometry import PresetGeometry2D
    from openpyxl.drawing.picture import PictureFrame
    from openpyxl.drawing.spreadsheet_drawing import OneCellAnchor
    from openpyxl.drawing.xdr import XDRPositiveSize2D
    from openpyxl.utils.units import pixels_to_EMU

    anchor = OneCellAnchor()
    anchor._from.col, anchor._from.row = column, row
    anchor.ext = XDRPositiveSize2D(pixels_to_EMU(image.width), pixels_to_EMU(image.height))
    frame = PictureFrame()
    frame.nvPicPr.cNvPr.id, frame.nvPicPr.cNvPr.name = number, f"Image {number}"
    frame.nvPicPr.cNvPr.descr = clean_text(alt)
    frame.blipFill.blip = Blip(cstate="print")  # its embed (the relationship id) is set when written
    frame.spPr.prstGeom = PresetGeometry2D(prst="rect")
    frame.spPr.ln = None
    anchor.pic = frame
    return anchor


def write_sheet(sheet: WriteOnlyWorksheet, rows: list[list[Any]], option_count: int,
                picture_column: bool = False, alt_columns: Sequence[str] = ()) -> None:
    """Header (bold, frozen, with a type drop-down below it), column widths and the rows."""
    names = headers(option_count, picture_column, alt_columns)
    widths = {"题型": 8, "题干": 60, "答案": 14, "解析": 40, "难度": 6, "标签": 16, "分值": 6, "图片": 24,
              "图片说明": 30}
    for index, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(name, 18)
    sheet.freeze_panes = "A2"
    choices = DataValidation(type="list", formula1='"单选,多选,判断,填空,简答"', allow_blank=True)
    choices.add(f"A2:A{max(len(rows) + 1, 1000)}")
    sheet.data_validations.append(choices)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header_cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = bold, fill
        header_cells.append(cell)
    sheet.append(header_cells)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([_cell(sheet, value, wrap) for value in row])


def _cell(sheet: WriteOnlyWorksheet, value: Any, wrap: Alignment) -> Any:
    """Text as written and never a formula (cells.xlsx_cell: the quote prefix leaves the text itself
    unchanged, so the file imports again to the same question); multi-line text wrapped."""
    cell = xlsx_cell(sheet, value)
    if isinstance(cell, str) and "\n" in cell:
        cell = WriteOnlyCell(sheet, value=cell)
    if not isinstance(cell, str) and isinstance(value, str) and "\n" in value:
        cell.alignment = wrap
    return cell


def _option_count(questions: Sequence[QuestionData]) -> int:
    counts = [len(q.options) for q in questions if q.type in CHOICE_TYPES]
    return min(max([MIN_OPTION_COLUMNS, *counts]), len(OPTION_KEYS))


# --- gift -------------------------------------------------------------------------------------

def export_gift(questions: Sequence[QuestionData]) -> bytes:
    """GIFT that Moodle imports; tags, difficulty, points and a short answer's reference go in a
    comment line (``// [tag:…] [difficulty:…] [points:…] [answer:…]``) that Moodle ignores."""
    parts = ["// 题库导出（GIFT 格式，可导入 Moodle）", ""]
    for q in questions:
        meta = [f"[tag:{_meta(tag)}]" for tag in q.tags]
        if q.difficulty != 3:
            meta.append(f"[difficulty:{q.difficulty}]")
        if q.points is not None:
            meta.append(f"[points:{_number(q.points)}]")
        if q.type == "short":
            meta.append(f"[answer:{_meta(str(q.answer[0]) if q.answer else '')}]")
        if meta:
            parts.append("// " + " ".join(meta))
        parts.extend([_gift_question(q), ""])
    return "\n".join(parts).encode("utf-8")


def _gift_question(q: QuestionData) -> str:
    stem = _gift_text(q.stem)
    general = f"####{_gift_text(q.explanation)}" if q.explanation else ""
    if q.type in CHOICE_TYPES:
        right = set(q.answer)
        if q.type == "single":
            marks = {o["key"]: ("=" if o["key"] in right else "~") for o in q.options}
        else:
            weight = _number(round(100 / max(len(right), 1), 5))
            marks = {o["key"]: (f"~%{weight}%" if o["key"] in right else "~%-100%") for o in q.options}
        lines = [f"\t{marks[o['key']]}{_gift_text(o['text'])}" for o in q.options]
        if general:
            lines.append(f"\t{general}")
        return stem + " {\n" + "\n".join(lines) + "\n}"
    if q.type == "judge":
        return f"{stem} {{{'TRUE' if q.answer and q.answer[0] is True else 'FALSE'}{general}}}"
    if q.type == "fill" and q.answer:
        blocks = ["{" + " ".join(f"={_gift_text(str(a))}" for a in blank) for blank in q.answer]
        blocks[-1] += f" {general}" if general else ""
        return stem + " " + "".join(b + "}" for b in blocks)
    return f"{stem} {{{general}}}"


def _gift_text(text: str) -> str:
    escaped = gift_escape(text)
    if escaped.startswith(_GIFT_LINE_STARTS):
        escaped = "[moodle]" + escaped  # an explicit format mark keeps the rest literal
    return escaped


def _meta(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
