"""Excel and CSV import: every bad input is a row error naming the row as Excel shows it and the
column as the user wrote it; every accepted convention of FORMATS.md section 1."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from question_bank.formats import ParseResult, QuestionData, RowError, UnsupportedFormat, parse

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]


def xlsx(*rows: list[Any], sheet: str = "题库", before: list[str] | None = None) -> bytes:
    """A workbook whose sheet ``sheet`` holds ``rows`` (the first is the header)."""
    workbook = Workbook()
    first = workbook.active
    if before:
        first.title = before[0]
        first.append(["这张表不是题库"])
        target = workbook.create_sheet(sheet)
    else:
        first.title = sheet
        target = first
    for row in rows:
        target.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def one(result: ParseResult) -> QuestionData:
    assert result.errors == [], result.errors
    assert len(result.questions) == 1
    return result.questions[0]


def errors(result: ParseResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in result.errors]


# --- row errors -----------------------------------------------------------------------------------

def test_unknown_type_names_row_and_column() -> None:
    result = parse(xlsx(HEADER, ["单选", "题一", "甲", "乙", "", "", "A"], ["连线题", "题二", "甲", "乙", "", "", "A"]),
                   "bank.xlsx")
    assert errors(result) == [(3, "题型", "题型“连线题”无法识别（可用：单选、多选、判断、填空、简答）")]
    assert len(result.questions) == 1


def test_missing_stem() -> None:
    result = parse(xlsx(HEADER, ["单选", None, "甲", "乙", None, None, "A"]), "bank.xlsx")
    assert errors(result) == [(2, "题干", "题干为空")]


def test_missing_answer() -> None:
    result = parse(xlsx(HEADER, ["单选", "题一", "甲", "乙", None, None, None]), "bank.xlsx")
    assert errors(result) == [(2, "答案", "答案为空")]


def test_answer_key_without_option_text() -> None:
    result = parse(xlsx(HEADER, ["多选", "题一", "甲", "乙", "丙", "丁", "ADE"]), "bank.xlsx")
    assert errors(result) == [(2, "答案", "答案 E 没有对应的选项")]


def test_single_choice_with_several_keys() -> None:
    result = parse(xlsx(HEADER, ["单选", "题一", "甲", "乙", "丙", "丁", "AB"]), "bank.xlsx")
    assert errors(result) == [(2, "答案", "单选题只能有一个答案，实际为 AB")]


def test_choice_answer_that_is_not_letters() -> None:
    result = parse(xlsx(HEADER, ["单选", "题一", "甲", "乙", "丙", "丁", "甲"]), "bank.xlsx")
    assert errors(result) == [(2, "答案", "答案“甲”应为选项字母，如 A 或 ABC")]


def test_too_few_and_too_many_options() -> None:
    header = ["题型", "题干", "选项", "答案"]
    result = parse(xlsx(header, ["单选", "只有一个选项", "甲", "A"],
                        ["多选", "九个选项", "1|2|3|4|5|6|7|8|9", "AB"]), "bank.xlsx")
    assert errors(result) == [(2, "选项", "选项只有 1 个，选择题至少需要 2 个"),
                              (3, "选项", "选项有 9 个，最多 8 个（A–H）")]


def test_gap_in_options_names_the_empty_column() -> None:
    result = parse(xlsx(HEADER, ["单选", "题一", "甲", None, "丙", None, "A"]), "bank.xlsx")
    assert errors(result) == [(2, "选项B", "选项B为空，但后面还有选项")]


def test_fill_blank_count_must_match_answers() -> None:
    result = parse(xlsx(HEADER, ["填空", "（）是中国的首都，（）是上海的简称。", None, None, None, None, "北京"]),
                   "bank.xlsx")
    assert errors(result) == [(2, "答案", "填空数量(2)与答案数量(1)不一致")]


def test_fill_with_an_empty_blank_answer() -> None:
    result = parse(xlsx(HEADER, ["填空", "（）和（）", None, None, None, None, "甲；；"]), "bank.xlsx")
    assert (2, "答案", "第 2 空的答案为空") in errors(result)


def test_judge_answer_unrecognisable() -> None:
    result = parse(xlsx(HEADER, ["判断", "地球是圆的", None, None, None, None, "也许"]), "bank.xlsx")
    assert errors(result) == [(2, "答案", "判断题答案“也许”无法识别，应为 正确/错误、对/错、√/×、是/否、T/F 等")]


@pytest.mark.parametrize(("value", "message"), [
    ("6", "难度 6 超出范围，应为 1–5 的整数"),
    ("2.5", "难度 2.5 超出范围，应为 1–5 的整数"),
    ("很难", "难度“很难”无法识别，应为 1–5 或 易/较易/中/较难/难"),
])
def test_difficulty_out_of_range_or_unparseable(value: str, message: str) -> None:
    result = parse(xlsx(HEADER, ["判断", "地球是圆的", None, None, None, None, "对", None, value]), "bank.xlsx")
    assert errors(result) == [(2, "难度", message)]


def test_every_error_of_a_row_is_reported_and_rows_follow_blank_lines() -> None:
    result = parse(xlsx(HEADER, [], ["单选", None, "甲", "乙", None, None, "C", None, "极难"]), "bank.xlsx")
    assert errors(result) == [(3, "题干", "题干为空"),
                              (3, "难度", "难度“极难”无法识别，应为 1–5 或 易/较易/中/较难/难"),
                              (3, "答案", "答案 C 没有对应的选项")]


def test_letter_answer_on_a_row_without_options_or_type() -> None:
    result = parse(xlsx(HEADER, [None, "题一", None, None, None, None, "B"]), "bank.xlsx")
    assert errors(result) == [(2, "选项A", "答案“B”是选项字母，但这一行没有选项")]


# --- whole-file problems ----------------------------------------------------------------------------

def test_not_an_excel_file_named_xlsx() -> None:
    result = parse("题型,题干\n单选,题一".encode(), "bank.xlsx")
    assert errors(result) == [(0, "file", "文件不是有效的 Excel（.xlsx）文件，请确认文件内容与扩展名一致")]
    assert result.questions == []


def test_damaged_zip_and_old_xls() -> None:
    assert errors(parse(b"PK\x03\x04 not really a zip", "bank.xlsx")) == [
        (0, "file", "文件不是有效的 Excel（.xlsx）文件，或文件已损坏")]
    old = parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "bank.xlsx")
    assert errors(old) == [(0, "file", "这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 后再导入")]


def test_empty_sheet() -> None:
    assert errors(parse(xlsx(), "bank.xlsx")) == [(0, "file", "工作表“题库”是空的，没有表头和题目")]


def test_header_without_questions() -> None:
    assert errors(parse(xlsx(HEADER), "bank.xlsx")) == [(0, "file", "文件中没有找到任何题目")]


def test_missing_answer_column() -> None:
    result = parse(xlsx(["题型", "题干", "选项A", "选项B"], ["单选", "题一", "甲", "乙"]), "bank.xlsx")
    assert errors(result) == [(1, "答案", "缺少“答案”列（可用列名：答案、正确答案、标准答案、参考答案、answer）")]


def test_missing_stem_and_answer_columns() -> None:
    result = parse(xlsx(["序号", "内容"], [1, "题一"]), "bank.xlsx")
    assert [(e.row, e.field) for e in result.errors] == [(1, "题干"), (1, "答案")]


def test_unsupported_formats_raise_with_a_chinese_message() -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        parse(b"x", "bank.docx")
    assert caught.value.message == "不支持的文件类型“.docx”，可用：xlsx、csv、json、gift、aiken、txt、zip"
    with pytest.raises(UnsupportedFormat, match="旧版 Excel"):
        parse(b"x", "bank.xls")
    with pytest.raises(UnsupportedFormat, match="无法判断文件格式"):
        parse(b"x")
    with pytest.raises(UnsupportedFormat, match="不支持的格式“pdf”"):
        parse(b"x", "bank.xlsx", fmt="pdf")


def test_format_argument_overrides_the_extension() -> None:
    data = "题干,答案\n地球是圆的,对\n".encode()
    assert one(parse(data, "upload.bin", fmt="csv")).answer == [True]


# --- headers ------------------------------------------------------------------------------------------

def test_bracketed_starred_and_spaced_headers() -> None:
    header = ["题型(单选/多选/判断)", "*题干", "选项 A", "选项 B", "选项 C", "答案(值:A~H)", "难度（1-5）", "知识点"]
    result = parse(xlsx(header, ["单选题", "题一", "甲", "乙", "丙", "B", "2", "党史、党章"],
                        ["多选题", "题二", "甲", "乙", "丙", "AD"]), "bank.xlsx")
    assert result.questions[0] == QuestionData(
        type="single", stem="题一", options=[{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"},
                                            {"key": "C", "text": "丙"}],
        answer=["B"], tags=["党史", "党章"], difficulty=2)
    # Errors name the column exactly as the user wrote its header.
    assert errors(result) == [(3, "答案(值:A~H)", "答案 D 没有对应的选项")]


@pytest.mark.parametrize(("headers", "values"), [
    (["题目类型", "题目", "A", "B", "正确答案", "答案解析", "难度等级", "分类", "分数"],
     ["单项选择题", "题一", "甲", "乙", "a", "因为", "较难", "时政", "2"]),
    (["试题类型", "题目内容", "选项a", "选项b", "标准答案", "试题解析", "难度系数", "章节", "默认分值"],
     ["单选", "题一", "甲", "乙", "Ａ", "因为", "4", "时政", "2.0"]),
    (["type", "question", "选项", "answer", "explanation", "difficulty", "tags", "points"],
     ["single", "题一", "A.甲|B.乙", "A", "因为", "4", "时政", 2]),
])
def test_header_aliases(headers: list[str], values: list[Any]) -> None:
    question = one(parse(xlsx(headers, values), "bank.xlsx"))
    assert question == QuestionData(type="single", stem="题一",
                                    options=[{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}],
                                    answer=["A"], explanation="因为", tags=["时政"], difficulty=4, points=2.0)


def test_unknown_columns_are_ignored_with_a_warning() -> None:
    result = parse(xlsx(["序号", "题干", "答案", "出题人"], [1, "地球是圆的", "对", "张三"]), "bank.xlsx")
    assert one(result).type == "judge"
    assert result.warnings == ["已忽略无法识别的列：序号、出题人"]


def test_rows_filled_only_in_ignored_columns_are_skipped() -> None:
    result = parse(xlsx(["序号", "题干", "答案"], [1, "地球是圆的", "对"], [2, None, None], [3, None, None]), "b.xlsx")
    assert one(result).row == 2


def test_title_rows_above_the_header() -> None:
    result = parse(xlsx(["2024 年党史知识竞赛题库"], [], HEADER, ["判断", "地球是圆的", None, None, None, None, "对"],
                        ["判断", "太阳是方的", None, None, None, None, "X"]), "bank.xlsx")
    assert result.warnings == ["表头在第 3 行，之前的行已忽略"]
    assert result.questions[0].row == 4
    assert [(e.row, e.field) for e in result.errors] == [(5, "答案")]


def test_sheet_named_tiku_is_preferred() -> None:
    data = xlsx(["题干", "答案"], ["地球是圆的", "对"], before=["说明"])
    assert one(parse(data, "bank.xlsx")).stem == "地球是圆的"


# --- values ---------------------------------------------------------------------------------------------

JUDGE_WORDS = [("正确", True), ("错误", False), ("对", True), ("错", False), ("√", True), ("×", False),
               ("✓", True), ("✗", False), ("是", True), ("否", False), ("T", True), ("F", False),
               ("true", True), ("FALSE", False), ("Y", True), ("n", False), ("Ｔ", True)]


@pytest.mark.parametrize(("word", "value"), JUDGE_WORDS)
def test_judge_answer_words(word: str, value: bool) -> None:
    question = one(parse(xlsx(HEADER, ["判断", "地球是圆的", None, None, None, None, word]), "bank.xlsx"))
    assert question.answer == [value]
    assert question.options == []


@pytest.mark.parametrize(("options", "answer", "value"), [
    (("正确", "错误"), "A", True), (("正确", "错误"), "B", False), (("错误", "正确"), "A", False),
    (("是", "否"), "b", False), (("对", "错"), "A", True),
])
def test_judge_answer_as_a_letter_of_true_false_options(options: tuple[str, str], answer: str, value: bool) -> None:
    question = one(parse(xlsx(HEADER, ["判断", "地球是圆的", *options, None, None, answer]), "bank.xlsx"))
    assert question.answer == [value] and question.options == []


def test_excel_boolean_cell_as_judge_answer() -> None:
    assert one(parse(xlsx(HEADER, ["判断", "地球是圆的", None, None, None, None, True]), "b.xlsx")).answer == [True]


@pytest.mark.parametrize(("answer", "keys"), [
    ("A", ["A"]), ("ABC", ["A", "B", "C"]), ("A,B", ["A", "B"]), ("A、C", ["A", "C"]), ("A|B", ["A", "B"]),
    ("A B", ["A", "B"]), ("cab", ["A", "B", "C"]), ("ＢＡ", ["A", "B"]), ("D，A", ["A", "D"]), ("A;B", ["A", "B"]),
])
def test_choice_answer_conventions(answer: str, keys: list[str]) -> None:
    question = one(parse(xlsx(HEADER, ["多选", "题一", "甲", "乙", "丙", "丁", answer]), "bank.xlsx"))
    assert question.answer == keys


@pytest.mark.parametrize(("word", "level"), [
    ("易", 1), ("较易", 2), ("中", 3), ("较难", 4), ("难", 5), ("简单", 1), ("一般", 3), ("困难", 5),
    ("1", 1), ("5", 5), (None, 3), (4, 4), (2.0, 2),
])
def test_difficulty_words_and_numbers(word: Any, level: int) -> None:
    question = one(parse(xlsx(HEADER, ["判断", "地球是圆的", None, None, None, None, "对", None, word]), "b.xlsx"))
    assert question.difficulty == level


def test_numeric_cells_become_plain_text() -> None:
    header = ["题型", "题干", "选项A", "选项B", "答案", "难度", "分值"]
    result = parse(xlsx(header, ["填空", "中国共产党成立于（）年", None, None, 1921.0, 2.0, 2.0],
                        ["单选", 3.14, 1.0, 2.5, "A", None, 1.5],
                        ["简答", 42, None, None, 7, None, None]), "b.xlsx")
    assert result.errors == []
    fill, single, short = result.questions
    assert fill.answer == [["1921"]] and fill.difficulty == 2 and fill.points == 2.0
    assert single.stem == "3.14" and [o["text"] for o in single.options] == ["1", "2.5"] and single.points == 1.5
    assert short.stem == "42" and short.answer == ["7"]


def test_fill_blank_markers_and_alternatives() -> None:
    stem = "（）、( )、____、【】和（  ）"
    question = one(parse(xlsx(HEADER, ["填空", stem, None, None, None, None, "甲|甲甲；乙;丙｜丙丙；丁；戊"]), "b.xlsx"))
    assert question.stem == stem
    assert question.answer == [["甲", "甲甲"], ["乙"], ["丙", "丙丙"], ["丁"], ["戊"]]


def test_type_inferred_when_empty() -> None:
    result = parse(xlsx(HEADER, [None, "单选题", "甲", "乙", None, None, "B"],
                        [None, "多选题", "甲", "乙", None, None, "AB"],
                        [None, "判断题", None, None, None, None, "错"],
                        [None, "判断题二", "正确", "错误", None, None, "A"],
                        [None, "填空题（）", None, None, None, None, "答"],
                        [None, "简答题", None, None, None, None, "参考答案\n第二行"]), "b.xlsx")
    assert result.errors == []
    assert [q.type for q in result.questions] == ["single", "multiple", "judge", "judge", "fill", "short"]
    assert result.questions[-1].answer == ["参考答案\n第二行"]


def test_type_names() -> None:
    names = ["单选", "单选题", "单项选择题", "多选", "多选题", "多项选择题", "不定项", "判断", "判断题", "是非题",
             "填空", "填空题", "简答", "简答题", "问答", "论述"]
    rows = []
    for name in names:
        if "选" in name or "不定项" in name:
            rows.append([name, f"{name}？", "甲", "乙", None, None, "A"])
        elif name.startswith(("判断", "是非")):
            rows.append([name, f"{name}？", None, None, None, None, "对"])
        elif name.startswith("填空"):
            rows.append([name, f"{name}（）", None, None, None, None, "答"])
        else:
            rows.append([name, f"{name}？", None, None, None, None, "答"])
    result = parse(xlsx(HEADER, *rows), "b.xlsx")
    assert result.errors == []
    assert [q.type for q in result.questions] == ["single"] * 3 + ["multiple"] * 4 + ["judge"] * 3 + \
        ["fill"] * 2 + ["short"] * 4


def test_text_is_trimmed_and_keeps_inner_line_breaks_and_chinese_punctuation() -> None:
    question = one(parse(xlsx(HEADER, ["简答", "  第一行，\r\n第二行：“引号”  ", None, None, None, None, " 答 "]),
                         "b.xlsx"))
    assert question.stem == "第一行，\n第二行：“引号”" and question.answer == ["答"]


def test_tags_separators() -> None:
    question = one(parse(xlsx(HEADER, ["判断", "题", None, None, None, None, "对", None, None, "甲、乙,丙，丁;戊；己/庚、甲"]),
                         "b.xlsx"))
    assert question.tags == ["甲", "乙", "丙", "丁", "戊", "己", "庚"]


def test_duplicates_in_the_file_are_skipped_and_counted() -> None:
    result = parse(xlsx(HEADER, ["单选", "中国的首都是？", "北京", "上海", None, None, "A"],
                        ["单选", "中国的首都是?", " 北京", "上海 ", None, None, "B"],
                        ["多选", "中国的首都是？", "北京", "上海", None, None, "A"]), "b.xlsx")
    assert result.duplicates == 1
    assert [(q.type, q.row) for q in result.questions] == [("single", 2), ("multiple", 4)]


# --- CSV ---------------------------------------------------------------------------------------------------

CSV_TEXT = "题型,题干,选项A,选项B,答案\n单选,中国的首都是？,北京,上海,A\n判断,\"多行\n题干\",,,对\n连线,题三,甲,乙,A\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings_and_line_numbers(encoding: str) -> None:
    result = parse(CSV_TEXT.encode(encoding), "bank.csv")
    assert [q.stem for q in result.questions] == ["中国的首都是？", "多行\n题干"]
    assert [q.row for q in result.questions] == [2, 3]
    # The multi-line record occupies lines 3–4, so the bad record starts on line 5.
    assert result.errors == [RowError(5, "题型", "题型“连线”无法识别（可用：单选、多选、判断、填空、简答）")]


def test_csv_with_tabs_or_semicolons() -> None:
    for delimiter in ("\t", ";"):
        data = delimiter.join(["题干", "答案"]) + "\n" + delimiter.join(["地球是圆的", "对"]) + "\n"
        assert one(parse(data.encode("gbk"), "b.csv")).answer == [True]


def test_undecodable_csv() -> None:
    assert errors(parse(b"\x81\x30\xff\xfe\x00\x00garbage\x80", "bank.csv")) == [
        (0, "file", "无法识别文件的文字编码（支持 UTF-8 和 GBK），请另存为 UTF-8 后再导入")]


def test_excel_file_named_csv_is_read_as_excel() -> None:
    result = parse(xlsx(["题干", "答案"], ["地球是圆的", "对"]), "bank.csv")
    assert one(result).answer == [True]
    assert result.warnings == ["文件内容是 Excel 工作簿，已按 .xlsx 读取"]
