"""Excel (.xlsx) and CSV: one question a row under a header row (FORMATS.md section 1).

Rows are numbered as Excel shows them (the header usually being row 1); CSV rows by the line
where the record starts. Header cells are matched after removing ``*``, spaces and anything in
brackets, so ``题型(单选/多选/判断)``, ``*题干`` and ``答案(值:A~H)`` all work.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import string
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from question_bank.formats import limits
from question_bank.formats.common import (
    ParseResult,
    QuestionData,
    RowError,
    decode_text,
    file_error,
    finish,
    undecodable,
)
from question_bank.formats.rules import RawQuestion, build_question

PREFERRED_SHEET = "题库"
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common; look this far for it
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("题型", "题目类型", "试题类型", "type"),
    "stem": ("题干", "题目", "题目内容", "题干内容", "试题", "stem", "question"),
    "answer": ("答案", "正确答案", "标准答案", "参考答案", "answer"),
    "explanation": ("解析", "答案解析", "试题解析", "题目解析", "explanation"),
    "difficulty": ("难度", "难度等级", "难度系数", "difficulty"),
    "tags": ("标签", "知识点", "分类", "章节", "专题", "所属分类", "tags"),
    "points": ("分值", "分数", "默认分值", "points"),
    "options": ("选项", "options"),
    "media": ("图片", "题干图片", "媒体", "音频", "视频", "media"),
    "alt": ("图片说明", "题干图片说明", "图片说明文字", "媒体说明", "替代文字", "alt"),
}
CANONICAL_HEADERS = {"type": "题型", "stem": "题干", "answer": "答案", "explanation": "解析",
                     "difficulty": "难度", "tags": "标签", "points": "分值", "options": "选项",
                     "media": "图片", "alt": "图片说明"}
_FIELD_BY_HEADER = {alias.lower(): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_BRACKETED = re.compile(r"[(\[【<《][^)\]】>》]*[)\]】>》]")
_OPTION_HEADER = re.compile(r"(?:选项)?([a-h])")
_OPTION_MEDIA_HEADER = re.compile(r"(?:选项)?([a-h])(?:图片|媒体)")
_OPTION_ALT_HEADER = re.compile(r"(?:选项)?([a-h])(?:图片|媒体)说明(?:文字)?")
_ALT_SEPARATOR = re.compile(r"[;；]")
# What Office, WPS and openpyxl put in a picture's description when nobody wrote one: not alt text.
_MACHINE_ALT = re.compile(r"描述已自动生成|description automatically generated|^(?:picture|image|图片|name of file)\s*\d*$"
                          r"|\.(?:png|jpe?g|gif|webp|bmp|tiff?|emf|wmf)$", re.IGNORECASE)
_FILE_SEPARATOR = re.compile(r"[;；\n]")
_OPTION_PREFIX = re.compile(r"\s*([A-Za-z])\s*[.．、:：)）]\s*")
_OPTION_CELL_SEPARATOR = re.compile(r"[|｜]")


def normalise_header(text: str) -> str:
    """``*题型(单选/多选)`` → ``题型``; ``选项 A`` → ``选项a``."""
    folded = _BRACKETED.sub("", unicodedata.normalize("NFKC", text))
    return "".join(folded.replace("*", "").split()).lower()


def cell_text(value: Any) -> str:
    """A cell as trimmed text: ``1.0`` → ``1``, booleans → TRUE/FALSE, dates → ISO, CR LF → LF."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else f"{value:.15g}"
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def parse_xlsx(data: bytes) -> ParseResult:
    """Parse an .xlsx workbook: the sheet named 题库, else the first sheet."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return file_error("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入")
    if not data.startswith(b"PK\x03\x04"):
        return file_error("文件不是有效的 Excel（.xlsx）文件，请确认文件内容与扩展名一致")
    limits.check_archive(data)  # a zip bomb is refused (413) before openpyxl inflates anything
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or foreign zip: any failure means "not a workbook we can read"
        return file_error("文件不是有效的 Excel（.xlsx）文件，或文件已损坏")
    try:
        sheets = [s for s in workbook.worksheets if isinstance(s, ReadOnlyWorksheet)]
        if not sheets:
            return file_error("工作簿中没有工作表")
        sheet = next((s for s in sheets if s.title == PREFERRED_SHEET), sheets[0])
        sheet.reset_dimensions()  # the stored size is often wrong in files written by other programs
        rows = ((number, [cell_text(v) for v in values])
                for number, values in enumerate(limits.count_rows(sheet.iter_rows(values_only=True)), start=1))
        pictures, files = xlsx_pictures(data, sheet.title)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = parse_rows(rows, f"工作表“{sheet.title}”", pictures)
        result.files.update(files)
        return result
    except limits.ImportTooLarge:
        raise
    except Exception:  # damaged sheet XML surfaces only while reading rows
        return file_error("读取 Excel 文件时出错，文件可能已损坏")
    finally:
        workbook.close()


Placed = dict[tuple[int, int], list[dict[str, str]]]
"""Pictures placed in a sheet's cells by (Excel row, column index): ``{"file": name, "alt": description}``."""


def xlsx_pictures(data: bytes, sheet_title: str) -> tuple[Placed, dict[str, bytes]]:
    """Pictures placed in a sheet's cells (with the description Excel's 替换文字 gives them), and the
    bytes by name.

    openpyxl's read-only mode skips drawings, so a workbook that holds pictures at all (``xl/media/``)
    is opened once more in full mode for them; a bank of text questions pays nothing."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not any(name.startswith("xl/media/") for name in archive.namelist()):
            return {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    pictures: Placed = {}
    files: dict[str, bytes] = {}
    try:
        sheet = workbook[sheet_title]
        for image in getattr(sheet, "_images", []):
            start = getattr(image.anchor, "_from", None)
            if start is None:
                continue
            row, column = start.row + 1, start.col
            name = f"单元格{_column_letter(column)}{row}-{len(files) + 1}.{(image.format or 'png').lower()}"
            files[name] = image._data()
            pictures.setdefault((row, column), []).append({"file": name, "alt": drawing_alt(image)})
    finally:
        workbook.close()
    return pictures, files


def drawing_alt(image: Any) -> str:
    """A picture's description (``descr`` of its non-visual properties: Excel's 替换文字), unless it is
    one a program made up (a file name, ``Picture 1``, Office's "描述已自动生成")."""
    picture = getattr(image.anchor, "pic", None)
    properties = getattr(getattr(picture, "nvPicPr", None), "cNvPr", None)
    text = cell_text(getattr(properties, "descr", None))
    return "" if _MACHINE_ALT.search(text) else text


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def parse_csv(data: bytes) -> ParseResult:
    """Parse a CSV file in UTF-8 (with or without BOM), UTF-16 or GBK; comma, tab or semicolon."""
    if data.startswith(b"PK\x03\x04"):
        result = parse_xlsx(data)
        result.warnings.insert(0, "文件内容是 Excel 工作簿，已按 .xlsx 读取")
        return result
    text = decode_text(data)
    if text is None:
        return undecodable()
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            yield start, [cell_text(v) for v in values]

    try:
        return parse_rows(limits.count_rows(records()), "文件")
    except csv.Error as exc:
        return file_error(f"CSV 格式错误：{exc}", row=reader.line_num)


def parse_rows(rows: Iterable[tuple[int, list[str]]], where: str, pictures: Placed | None = None) -> ParseResult:
    """The shared row logic: find the header, map the columns, build one question per row.

    ``pictures`` are an xlsx's images by (row, column index), as file names in the result's files."""
    iterator = iter(rows)
    header_row, header = _find_header(iterator)
    if header_row == 0:
        return file_error(f"{where}是空的，没有表头和题目")
    columns, labels, warnings_ = _map_columns(header)
    if header_row > 1:
        warnings_.insert(0, f"表头在第 {header_row} 行，之前的行已忽略")
    missing = [name for name in ("stem", "answer") if name not in columns]
    if missing:
        errors = [RowError(header_row, CANONICAL_HEADERS[name],
                           f"缺少“{CANONICAL_HEADERS[name]}”列（可用列名：{'、'.join(HEADER_ALIASES[name][:5])}）")
                  for name in missing]
        return ParseResult(errors=errors, warnings=warnings_, error_count=len(errors))
    questions: list[QuestionData] = []
    errors = []
    option_columns = [(key, columns[f"option:{key}"]) for key in string.ascii_uppercase[:8]
                      if f"option:{key}" in columns]
    joined_options = columns.get("options")
    known = sorted(set(columns.values()))
    media_columns = _MediaColumns(columns, labels, pictures or {})
    for number, cells in iterator:
        width = len(cells)
        # Blank rows, and rows filled only in ignored columns (a pre-numbered 序号 column), are skipped.
        if not any(cells[i] for i in known if i < width):
            continue
        stem_media, option_media, media_errors = media_columns.read(number, cells)
        errors.extend(media_errors)

        def get(name: str, cells: list[str] = cells, width: int = width) -> str:
            index = columns.get(name)
            return cells[index] if index is not None and index < width else ""

        options = [(key, cells[index] if index < width else "") for key, index in option_columns]
        if not options and joined_options is not None and joined_options < width:
            options = split_option_cell(cells[joined_options])
        raw = RawQuestion(row=number, stem=get("stem"), answer_text=get("answer"), type_text=get("type"),
                          options=options, explanation=get("explanation"), tags_text=get("tags"),
                          difficulty_text=get("difficulty"), points_text=get("points"),
                          media=stem_media, option_media=option_media)
        question, row_errors = build_question(raw, labels)
        errors.extend(row_errors)
        if question is not None and not media_errors:
            questions.append(question)
    return finish(questions, errors, warnings_)


class _MediaColumns:
    """A sheet's media in a row: file names in 图片 and 选项A图片 … columns, pictures placed in the stem's
    and options' cells, and their alt texts from 图片说明 and 选项A图片说明 … (a placed picture's own
    description, Excel's 替换文字, when the column says nothing)."""

    def __init__(self, columns: dict[str, int], labels: dict[str, str], pictures: Placed) -> None:
        keys = string.ascii_uppercase[:8]
        self.labels = labels
        self.stem, self.stem_alt = columns.get("media"), columns.get("alt")
        self.options = {key: columns[f"media:{key}"] for key in keys if f"media:{key}" in columns}
        self.option_alts = {key: columns[f"alt:{key}"] for key in keys if f"alt:{key}" in columns}
        self.stem_cells = {columns[name] for name in ("stem", "media") if name in columns}
        self.option_cells = {columns[f"option:{key}"]: key for key in keys if f"option:{key}" in columns}
        self.option_cells.update({index: key for key, index in self.options.items()})
        self.placed: dict[int, list[tuple[int, list[dict[str, str]]]]] = {}
        for (row, column), entries in sorted(pictures.items()):
            self.placed.setdefault(row, []).append((column, entries))

    def read(self, number: int, cells: list[str]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]],
                                                          list[RowError]]:
        """The stem's media, the options' media by key, and the row's errors about alt texts."""

        def cell(index: int | None) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        stem: list[dict[str, Any]] = [{"file": name, "alt": ""} for name in _file_names(cell(self.stem))]
        options: dict[str, dict[str, Any]] = {}
        for key, index in self.options.items():
            names = _file_names(cell(index))
            if names:
                options[key] = {"file": names[0], "alt": ""}
        for column, entries in self.placed.get(number, []):
            if column in self.stem_cells:
                stem.extend(dict(entry) for entry in entries)
            elif column in self.option_cells:
                options[self.option_cells[column]] = dict(entries[0])
        errors: list[RowError] = []
        text = cell(self.stem_alt)
        if text:
            alts = split_alts(text, len(stem))
            if not stem:
                errors.append(RowError(number, self.labels["alt"], "填写了图片说明，但本题没有图片（或音频、视频）"))
            elif alts is None:
                errors.append(RowError(number, self.labels["alt"],
                                       f"图片说明有 {len(_alt_parts(text))} 段，本题有 {len(stem)} 个图片（或音频、视频）："
                                       "多个说明每行一个或用;隔开，与图片的顺序一致"))
            else:
                for entry, alt in zip(stem, alts, strict=True):
                    if alt:
                        entry["alt"] = alt
        for key, index in self.option_alts.items():
            text = cell(index)
            if text and key not in options:
                errors.append(RowError(number, self.labels[f"alt:{key}"], f"填写了选项{key}的图片说明，但选项{key}没有图片"))
            elif text:
                options[key]["alt"] = text
        return stem, options, errors


def split_alts(text: str, count: int) -> list[str] | None:
    """The 图片说明 cell for ``count`` media: one media takes the whole text; several take one line each
    (or, in a cell of one line, one part between ``;``/``；`` each), in the order of the media. None
    when the number of parts is not ``count``."""
    if count <= 1:
        return [text]
    parts = _alt_parts(text)
    while len(parts) > count and not parts[-1]:
        parts.pop()
    return parts if len(parts) == count else None


def _alt_parts(text: str) -> list[str]:
    return [part.strip() for part in (text.split("\n") if "\n" in text else _ALT_SEPARATOR.split(text))]


def _file_names(text: str) -> list[str]:
    return [part.strip() for part in _FILE_SEPARATOR.split(text) if part.strip()]


def split_option_cell(text: str) -> list[tuple[str, str]]:
    """One 选项 cell: ``上海|北京|南昌`` (or one option a line); ``A.`` prefixes are removed."""
    if not text:
        return []
    parts = _OPTION_CELL_SEPARATOR.split(text) if _OPTION_CELL_SEPARATOR.search(text) else text.split("\n")
    parts = [p.strip() for p in parts]
    while parts and not parts[-1]:
        parts.pop()
    options = []
    for index, part in enumerate(parts):
        key = string.ascii_uppercase[index] if index < 26 else f"#{index + 1}"
        prefix = _OPTION_PREFIX.match(part)
        if prefix and prefix.group(1).upper() == key:
            part = part[prefix.end():]
        options.append((key, part))
    return options


def _find_header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first non-empty row, unless a later one among the first few names the stem/answer columns."""
    candidates: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if not any(cells):
            continue
        names = {_FIELD_BY_HEADER.get(normalise_header(c)) for c in cells}
        if "stem" in names or "answer" in names:
            return number, cells
        candidates.append((number, cells))
        if len(candidates) >= HEADER_SEARCH_ROWS:
            break
    if not candidates:
        return 0, []
    # No recognisable header: the first non-empty row is the header (and errors will say what is missing).
    return candidates[0]


def _map_columns(header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Column index and user-written label per field; warnings for unknown and repeated columns."""
    columns: dict[str, int] = {}
    labels: dict[str, str] = dict(CANONICAL_HEADERS)
    unknown: list[str] = []
    repeated: list[str] = []
    for index, text in enumerate(header):
        if not text:
            continue
        name = normalise_header(text)
        option = _OPTION_HEADER.fullmatch(name)
        option_media = _OPTION_MEDIA_HEADER.fullmatch(name)
        option_alt = _OPTION_ALT_HEADER.fullmatch(name)
        field_name = (f"option:{option.group(1).upper()}" if option else
                      f"media:{option_media.group(1).upper()}" if option_media else
                      f"alt:{option_alt.group(1).upper()}" if option_alt else _FIELD_BY_HEADER.get(name))
        if field_name is None:
            unknown.append(text)
        elif field_name in columns:
            repeated.append(text)
        else:
            columns[field_name] = index
            labels[field_name] = " ".join(text.split())
    option_labels = [labels[k] for k in sorted(labels) if k.startswith("option:")]
    for key in string.ascii_uppercase[:8]:
        labels.setdefault(f"media:{key}", f"选项{key}图片")
        labels.setdefault(f"alt:{key}", f"选项{key}图片说明")
    if option_labels:
        labels["options"] = option_labels[0]
    elif "options" in columns:
        for key in string.ascii_uppercase:
            labels[f"option:{key}"] = labels["options"]
    notes = []
    if unknown:
        notes.append(f"已忽略无法识别的列：{'、'.join(unknown)}")
    if repeated:
        notes.append(f"这些列与前面的列重复，已忽略：{'、'.join(repeated)}")
    return columns, labels, notes
