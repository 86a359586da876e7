"""export → parse gives the same questions, for every type, in xlsx, json and gift; the template."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from question_bank.formats import QuestionData, UnsupportedFormat, export, parse
from question_bank.formats.template import template_xlsx


def options(*texts: str) -> list[dict[str, str]]:
    return [{"key": "ABCDEFGH"[i], "text": text} for i, text in enumerate(texts)]


# Every type, with the awkward cases: GIFT's special characters, line breaks, text that looks like
# a formula, a GIFT comment, title, category or format mark, eight options, one-key multiple choice,
# every blank marker, numbers as text, tags, points and every difficulty.
QUESTIONS = [
    QuestionData("single", "中国共产党第一次全国代表大会在哪里召开？", options("上海", "北京", "南昌", "延安"), ["A"],
                 "1921年7月在上海召开，最后一天转至嘉兴南湖。", ["党史", "建党"], 2, 2.0),
    QuestionData("single", "=SUM(A1) 以等号开头？", options("~波浪 = 等号", "#井号 {大括号}", "冒号: 与反斜杠 \\", "多行\n选项"),
                 ["B"], "解析含 #### 和 // 和 ::", ["special"], 1, 2.5),
    QuestionData("single", "[html]<b>不是</b> HTML", options("[moodle]x", "//不是注释", "1921", "0.5"), ["D"]),
    QuestionData("multiple", "::不是标题:: 多选\n\n空行之后的第二段", options(*"一二三四五六七八"), ["A", "C", "H"],
                 "", [], 5, 10.0),
    QuestionData("multiple", "只有一个正确答案的多选题", options("甲", "乙"), ["B"], "", [], 4),
    QuestionData("multiple", "三个正确答案", options("甲", "乙", "丙", "丁", "戊"), ["A", "B", "E"]),
    QuestionData("judge", "// 以双斜杠开头的判断题", [], [False], "错。", ["判断"], 4, 1.0),
    QuestionData("judge", "T", [], [True]),
    QuestionData("fill", "北京是（ ）的首都，____是上海的简称，【】和()", [],
                 [["中国", "中华人民共和国"], ["沪"], ["a=b"], ["{x}"]], "", ["填空"], 3),
    QuestionData("fill", "中国共产党成立于（）年。", [], [["1921"]], "建党", [], 1, 1.0),
    QuestionData("fill", "Who is buried in Grant's tomb? _____", [], [["no one", "nobody"]], "Nobody is.", []),
    QuestionData("short", "$CATEGORY: 不是分类", [], ["参考答案第一行\n第二行 [方括号] \\ 反斜杠"], "解析", ["简答"]),
    QuestionData("short", "请简述“两个确立”的内容。", [], ["确立……"], "", [], 4, 10.0),
]


@pytest.mark.parametrize("fmt", ["xlsx", "json", "gift"])
def test_export_then_parse_is_the_identity(fmt: str) -> None:
    result = parse(export(QUESTIONS, fmt), f"bank.{fmt}")
    assert result.errors == []
    assert result.warnings == []
    assert result.duplicates == 0
    assert result.questions == QUESTIONS


@pytest.mark.parametrize("fmt", ["xlsx", "json", "gift"])
def test_each_type_alone_round_trips(fmt: str) -> None:
    for question in QUESTIONS:
        assert parse(export([question], fmt), f"one.{fmt}").questions == [question], question


def test_rows_point_at_the_exported_lines() -> None:
    assert [q.row for q in parse(export(QUESTIONS[:3], "xlsx"), "b.xlsx").questions] == [2, 3, 4]
    assert [q.row for q in parse(export(QUESTIONS[:3], "json"), "b.json").questions] == [1, 2, 3]
    lines = export(QUESTIONS[:2], "gift").decode().split("\n")
    rows = [q.row for q in parse(export(QUESTIONS[:2], "gift"), "b.gift").questions]
    assert lines[rows[0] - 1].startswith("中国共产党第一次")
    assert lines[rows[1] - 1].startswith("\\=SUM(A1)")


def test_xlsx_export_is_the_canonical_template() -> None:
    workbook = load_workbook(io.BytesIO(export(QUESTIONS, "xlsx")), read_only=True)
    sheet = workbook["题库"]
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()
    assert rows[0] == ("题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "选项G", "选项H",
                       "答案", "解析", "难度", "标签", "分值")
    assert rows[1] == ("单选", "中国共产党第一次全国代表大会在哪里召开？", "上海", "北京", "南昌", "延安", None, None,
                       None, None, "A", "1921年7月在上海召开，最后一天转至嘉兴南湖。", 2, "党史、建党", 2)
    by_stem = {row[1]: row for row in rows[1:]}
    assert by_stem["三个正确答案"][10] == "ABE"
    assert by_stem["// 以双斜杠开头的判断题"][0] == "判断" and by_stem["// 以双斜杠开头的判断题"][10] == "错误"
    assert by_stem["北京是（ ）的首都，____是上海的简称，【】和()"][10] == "中国|中华人民共和国；沪；a=b；{x}"
    assert by_stem["=SUM(A1) 以等号开头？"][0] == "单选"  # stored as text, not as a formula


def test_xlsx_export_has_at_least_four_option_columns() -> None:
    judge = [QuestionData("judge", "地球是圆的", [], [True])]
    workbook = load_workbook(io.BytesIO(export(judge, "xlsx")), read_only=True)
    header = next(workbook["题库"].iter_rows(values_only=True))
    workbook.close()
    assert header == ("题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签", "分值")


def test_fill_answers_with_separators_only_round_trip_in_json_and_gift() -> None:
    # A documented limit of the spreadsheet: ; and | inside a fill answer split it.
    question = QuestionData("fill", "分隔符是（）", [], [["a|b;c"]])
    assert parse(export([question], "json"), "b.json").questions == [question]
    assert parse(export([question], "gift"), "b.gift").questions == [question]
    assert parse(export([question], "xlsx"), "b.xlsx").errors[0].message == "填空数量(1)与答案数量(2)不一致"


def test_json_export_shape() -> None:
    document = json.loads(export(QUESTIONS[:1], "json"))
    assert document == {"questions": [{
        "type": "single", "stem": "中国共产党第一次全国代表大会在哪里召开？",
        "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}, {"key": "C", "text": "南昌"},
                    {"key": "D", "text": "延安"}],
        "answer": ["A"], "explanation": "1921年7月在上海召开，最后一天转至嘉兴南湖。", "tags": ["党史", "建党"],
        "difficulty": 2, "points": 2.0}]}
    assert "中国共产党" in export(QUESTIONS[:1], "json").decode("utf-8")  # not \\u-escaped


def test_gift_export_writes_moodle_syntax() -> None:
    text = export(QUESTIONS, "gift").decode("utf-8")
    assert "// [tag:党史] [tag:建党] [difficulty:2] [points:2]\n中国共产党第一次全国代表大会在哪里召开？ {\n\t=上海\n\t~北京" in text
    assert "\\=SUM(A1) 以等号开头？ {\n\t~\\~波浪 \\= 等号\n\t=\\#井号 \\{大括号\\}" in text
    assert "\t####解析含 \\#\\#\\#\\# 和 // 和 \\:\\:\n}" in text
    assert "三个正确答案 {\n\t~%33.33333%甲\n\t~%33.33333%乙\n\t~%-100%丙" in text
    assert "[moodle]// 以双斜杠开头的判断题 {FALSE####错。}" in text
    assert "中国共产党成立于（）年。 {=1921 ####建党}" in text
    # A short answer question is an essay: {} (its reference answer rides in the comment line).
    assert "// [difficulty:4] [points:10] [answer:确立……]\n请简述“两个确立”的内容。 {}" in text
    assert "\n\n\n" not in text  # a blank line inside a question would split it


def test_unknown_export_format() -> None:
    with pytest.raises(UnsupportedFormat, match="不支持导出为“csv”"):
        export(QUESTIONS, "csv")


def test_template_has_the_headers_and_one_example_per_type() -> None:
    data = template_xlsx()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["题库", "填写说明"]
    header = next(workbook["题库"].iter_rows(values_only=True))
    workbook.close()
    assert header == ("题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签", "分值",
                      "图片", "图片说明")
    result = parse(data, "题库导入模板.xlsx")
    assert result.errors == [] and result.warnings == []
    assert [q.type for q in result.questions] == ["single", "multiple", "judge", "fill", "short"]
    fill = result.questions[3]
    assert fill.answer == [["1921"], ["嘉兴", "浙江嘉兴"]]
