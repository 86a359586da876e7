"""JSON, GIFT, Aiken and pasted text: shapes, conventions and errors; duplicate keys; .txt sniffing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from question_bank.formats import ParseResult, QuestionData, dedup_key, parse, sniff_text_format


def errors(result: ParseResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in result.errors]


def as_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# --- JSON -----------------------------------------------------------------------------------------------

def test_json_array_and_questions_object_in_the_contract_shape() -> None:
    item: dict[str, Any] = {"id": 17, "bank_id": 2, "type": "single", "stem": "中国共产党第一次全国代表大会在哪里召开？",
            "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}], "answer": ["A"],
            "explanation": "嘉兴南湖", "tags": ["党史"], "difficulty": 2}
    expected = QuestionData("single", item["stem"], item["options"], ["A"], "嘉兴南湖", ["党史"], 2, None)
    assert parse(as_json([item]), "b.json").questions == [expected]
    assert parse(as_json({"questions": [item]}), "b.json").questions == [expected]


def test_json_is_lenient_about_strings_where_lists_are_expected() -> None:
    items = [
        {"type": "多选", "stem": "题一", "options": ["甲", "乙", "丙"], "answer": "A,C", "tags": "甲、乙"},
        {"type": "judge", "stem": "题二", "answer": True},
        {"type": "判断", "stem": "题三", "answer": "错"},
        {"type": "fill", "stem": "（）和（）", "answer": ["甲", ["乙", "乙乙"]], "difficulty": "较难"},
        {"type": "fill", "stem": "（）与（）", "answer": "甲|甲甲；乙", "points": "2"},
        {"type": "short", "stem": "题六", "answer": "参考答案"},
    ]
    result = parse(as_json(items), "b.json")
    assert result.errors == []
    assert [(q.type, q.answer) for q in result.questions] == [
        ("multiple", ["A", "C"]), ("judge", [True]), ("judge", [False]), ("fill", [["甲"], ["乙", "乙乙"]]),
        ("fill", [["甲", "甲甲"], ["乙"]]), ("short", ["参考答案"])]
    assert result.questions[0].tags == ["甲", "乙"] and result.questions[3].difficulty == 4
    assert result.questions[4].points == 2.0


def test_json_errors_name_the_item_and_field() -> None:
    items = [
        {"type": "连线", "stem": "题一", "answer": ["A"]},
        {"type": "single", "stem": "", "options": ["甲", "乙"], "answer": ["C"]},
        {"type": "single", "stem": "题三", "options": [{"key": "B", "text": "甲"}], "answer": ["B"]},
        "不是对象",
        {"type": "fill", "stem": "（）", "answer": [["甲"], ["乙"]], "difficulty": 9},
        {"type": "judge", "stem": "题六", "answer": "也许", "points": "很多"},
    ]
    assert errors(parse(as_json(items), "b.json")) == [
        (1, "type", "题型“连线”无法识别"),
        (2, "stem", "题干为空"),
        (2, "answer", "答案 C 没有对应的选项"),
        (3, "options", "第 1 个选项的 key 应为 A，实际为 B"),
        (4, "question", "每道题应为一个 JSON 对象"),
        (5, "difficulty", "难度 9 超出范围，应为 1–5 的整数"),
        (6, "answer", "判断题答案“也许”无法识别，应为 true 或 false"),
        (6, "points", "分值“很多”不是有效的数字"),
    ]


def test_json_whole_file_problems() -> None:
    assert errors(parse(b'{"questions": [', "b.json"))[0][:2] == (0, "file")
    assert errors(parse(b'{"a": 1}', "b.json")) == [
        (0, "file", 'JSON 的最外层应为题目数组，或 {"questions": [...]}，或 Open Trivia DB 的 {"results": [...]}')]
    assert errors(parse(b"[]", "b.json")) == [(0, "file", "文件中没有找到任何题目")]


def test_json_unknown_fields_are_a_warning() -> None:
    result = parse(as_json([{"type": "judge", "stem": "题", "answer": [True], "author": "张三"}]), "b.json")
    assert result.warnings == ["已忽略无法识别的字段：author"]


def test_opentdb_shape() -> None:
    document = {"results": [
        {"type": "boolean", "difficulty": "hard", "category": "Science &amp; Nature",
         "question": "&quot;H&quot; is hydrogen.", "correct_answer": "True", "incorrect_answers": ["False"]},
        {"type": "multiple", "difficulty": "easy", "category": "History", "question": "Rome&#039;s founder?",
         "correct_answer": "Romulus", "incorrect_answers": ["Remus", "Caesar", "Nero"]},
        {"type": "matching", "question": "?", "correct_answer": "x", "incorrect_answers": []},
    ]}
    result = parse(as_json(document), "trivia.json")
    judge, single = result.questions
    assert judge == QuestionData("judge", '"H" is hydrogen.', [], [True], "", ["Science & Nature"], 4)
    assert single.stem == "Rome's founder?" and single.difficulty == 2 and single.tags == ["History"]
    assert sorted(o["text"] for o in single.options) == ["Caesar", "Nero", "Remus", "Romulus"]
    assert single.options[ord(single.answer[0]) - 65]["text"] == "Romulus"
    assert errors(result) == [(3, "type", "题型“matching”无法识别")]


# --- GIFT -------------------------------------------------------------------------------------------------

def test_gift_categories_titles_feedback_and_meta_comments() -> None:
    text = """$CATEGORY: $course$/top/党史

// [tag:建党] [difficulty:2] [points:3]
::Q1:: 中国共产党成立于哪一年？ {
  =1921年 # 对
  ~1949年 # 错
  ####1921年7月
}

::Q2::[html]<p>地球是<b>圆</b>的&amp;自转</p>{T#答错时#答对时}

Moodle 的问答题{}

Moodle 的问答题二 {####参考：这样答}
"""
    result = parse(text.encode(), "b.gift")
    assert errors(result) == [(12, "answer", "简答题缺少参考答案")]
    first, second, essay = result.questions
    assert first == QuestionData("single", "中国共产党成立于哪一年？", [{"key": "A", "text": "1921年"},
                                 {"key": "B", "text": "1949年"}], ["A"], "1921年7月", ["党史", "建党"], 2, 3.0)
    assert first.row == 4
    assert second == QuestionData("judge", "地球是圆的&自转", [], [True], "答对时", ["党史"])
    assert essay == QuestionData("short", "Moodle 的问答题二", [], ["参考：这样答"], "", ["党史"])


def test_gift_as_moodle_exports_it_in_html() -> None:
    text = """// question: 12  name: 首都
::首都::[html]<p dir\\="ltr" style\\="text-align\\: left;">中国的首都是<b>哪里</b>？</p>{
	=<p>北京</p>#<p>对&nbsp;了</p>
	~<p>上海</p>
}
"""
    question = parse(text.encode(), "moodle.gift").questions[0]
    assert question.stem == "中国的首都是哪里？"
    assert [o["text"] for o in question.options] == ["北京", "上海"]
    assert question.explanation == "对\xa0了"


def test_gift_missing_word_cloze_and_blank_appending() -> None:
    text = """水分子由 {=2 =两} 个氢原子和 {=1 =一} 个氧原子组成。

中国的首都是？ {=北京 =北平}

What is the capital of France? {=Paris}

（）是中国的首都。{=北京}
"""
    stems_answers = [(q.stem, q.answer) for q in parse(text.encode(), "b.gift").questions]
    assert stems_answers == [
        ("水分子由 _____ 个氢原子和 _____ 个氧原子组成。", [["2", "两"], ["1", "一"]]),
        ("中国的首都是？_____", [["北京", "北平"]]),
        ("What is the capital of France? _____", [["Paris"]]),
        ("（）是中国的首都。", [["北京"]]),
    ]


def test_gift_category_line_right_before_or_after_a_question() -> None:
    text = """// 分类前的注释属于分类 [tag:不要]
$CATEGORY: $course$/top/党史
// [tag:建党]
中国共产党成立于哪一年？ {=1921年 ~1949年}
$CATEGORY: 地理/
中国的首都是？ {=北京}

$CATEGORY: 常识
地球是圆的 {T}
"""
    result = parse(text.encode(), "b.gift")
    assert errors(result) == [] and result.warnings == []
    assert [(q.row, q.stem, q.tags) for q in result.questions] == [
        (4, "中国共产党成立于哪一年？", ["党史", "建党"]),
        (6, "中国的首都是？_____", ["地理"]),
        (9, "地球是圆的", ["常识"]),
    ]


def test_gift_partial_credit_is_multiple_choice() -> None:
    text = "下列是直辖市的有 {~%50%北京 ~%50%上海 ~%-100%广州 ~%-100%深圳}\n"
    result = parse(text.encode(), "b.gift")
    question = result.questions[0]
    assert question.type == "multiple" and question.answer == ["A", "B"]
    assert result.warnings == []  # the positive weights are exactly the right set: nothing is lost


def test_gift_partial_credit_answers_are_not_right_and_are_reported() -> None:
    text = """中国的首都是？ {=北京 =%50%北平 #旧称}

中国的首都是哪座城市？ {=北京 ~%50%北平 ~上海}

水分子由 {=2 =两} 个氢原子和 {=1 =%33.3%一个} 个氧原子组成。

明朝的首都是？ {=%100%南京 =%0%西安}
"""
    result = parse(text.encode(), "b.gift")
    assert errors(result) == []
    fill, single, cloze, zero = result.questions
    assert fill.type == "fill" and fill.answer == [["北京"]]
    assert single.type == "single" and single.answer == ["A"]  # a block with = : one answer, the full-credit one
    assert cloze.answer == [["2", "两"], ["1"]]
    assert zero.answer == [["南京"]]  # a 0% answer is simply wrong, as in Moodle: no warning for it
    assert result.warnings == ["3 道题含部分得分的答案（如 %50%），本平台不支持部分得分，这些答案已按错误答案处理，"
                               "只有满分答案算对，位于第 1、3、5 行"]


def test_gift_short_answer_with_only_partial_credit_is_an_error() -> None:
    result = parse("中国的首都是？ {=%50%北平}\n".encode(), "b.gift")
    assert errors(result) == [(1, "answer", "没有满分答案：部分得分的答案（如 =%50%…）不算正确答案")]
    assert result.warnings == []


def test_gift_errors_by_line() -> None:
    text = """// 第一题
缺少右括号 {=甲 ~乙

没有正确答案 {~甲 ~乙}

两个选择块 {=甲 ~乙} 和 {=丙 ~丁}

说明文字，没有答案块

怪块 {甲}
"""
    assert errors(parse(text.encode(), "b.gift")) == [
        (2, "answer", "大括号不成对：答案块缺少 }（文字中的 { } 需写成 \\{ \\}）"),
        (4, "answer", "没有正确答案（用 = 标出正确选项）"),
        (6, "answer", "一道题只能有一个答案块（只有填空题可以每空一个 {=…}）"),
        (8, "type", "不支持的题型：说明文字（没有答案块）"),
        (10, "answer", "答案块无法识别：应以 = 或 ~ 开头，或为 T/F、空 {}"),
    ]


# --- Aiken ------------------------------------------------------------------------------------------------

AIKEN = """中国共产党的根本宗旨是什么？
A. 全心全意为人民服务
B. 实现共产主义
ANSWER: A

下列属于“四个意识”的有
A) 政治意识
B) 大局意识
C、核心意识
D．看齐意识
答案：ABCD

缺答案的题
A. 甲
B. 乙

What is 2+2?
A. 3
B. 4
ANSWER: E
"""


def test_aiken() -> None:
    result = parse(AIKEN.encode(), "quiz.aiken")
    single, multiple = result.questions
    assert single == QuestionData("single", "中国共产党的根本宗旨是什么？",
                                  [{"key": "A", "text": "全心全意为人民服务"}, {"key": "B", "text": "实现共产主义"}], ["A"])
    assert multiple.type == "multiple" and [o["text"] for o in multiple.options][2:] == ["核心意识", "看齐意识"]
    assert (single.row, multiple.row) == (1, 6)
    assert errors(result) == [(13, "answer", "缺少答案行（ANSWER: 或 答案：）"), (17, "answer", "答案 E 没有对应的选项")]


def test_aiken_needs_options() -> None:
    assert errors(parse("没有选项的题\nANSWER: 北京\n".encode(), "q.aiken")) == [
        (1, "options", "Aiken 题目必须有选项（A. B. …）")]


# --- pasted text -----------------------------------------------------------------------------------------

PASTE = """一、单项选择题（每题 2 分）
1. 中国共产党第一次全国代表大会在哪里召开？
A、上海  B、北京  C、南昌  D、延安
【答案】A
【解析】1921年7月在上海召开，
最后一天转至嘉兴南湖。
2、下列说法正确的是：
1. 甲
2. 乙
(A)只有1 (B)1和2
答案：B

二、多选题
3．“四个意识”包括（ ）。
A．政治意识
B．大局意识
C．核心意识
D．看齐意识
【答案】ABCD

三、其他
【判断题】中国共产党的根本宗旨是全心全意为人民服务。
【答案】√

中国共产党成立于（）年。
答案：1921
【难度】易
【标签】党史、建党

请简述“两个确立”。
答案：确立……
"""


def test_pasted_text() -> None:
    result = parse(PASTE.encode(), "paste.txt")
    assert result.errors == []
    got = [(q.row, q.type, q.answer) for q in result.questions]
    assert got == [(2, "single", ["A"]), (7, "single", ["B"]), (14, "multiple", ["A", "B", "C", "D"]),
                   (22, "judge", [True]), (25, "fill", [["1921"]]), (30, "short", ["确立……"])]
    first, second = result.questions[:2]
    assert [o["text"] for o in first.options] == ["上海", "北京", "南昌", "延安"]
    assert first.explanation == "1921年7月在上海召开，\n最后一天转至嘉兴南湖。"
    assert second.stem == "下列说法正确的是：\n1. 甲\n2. 乙"
    assert result.questions[4].tags == ["党史", "建党"] and result.questions[4].difficulty == 1


def test_pasted_text_errors() -> None:
    text = "1. 没有答案的题\nA. 甲\nB. 乙\n2. 下一题\nA. 甲\nB. 乙\n答案：C\n"
    assert errors(parse(text.encode(), "paste.txt", fmt="text")) == [
        (1, "answer", "缺少答案（【答案】或 答案：）"), (4, "answer", "答案 C 没有对应的选项")]


def test_txt_files_are_told_apart_by_content() -> None:
    assert sniff_text_format(b"Who? {=nobody}\n") == "gift"
    assert sniff_text_format(AIKEN.encode()) == "aiken"
    assert sniff_text_format(PASTE.encode()) == "text"
    assert sniff_text_format("// 注释 {不是答案}\n1. 题\n答案：A\n".encode()) == "text"


# --- duplicate keys -----------------------------------------------------------------------------------------

def test_dedup_key_ignores_white_space_and_full_width_forms() -> None:
    a = QuestionData("single", "中国的首都是（ ）？", [{"key": "A", "text": "北京 "}, {"key": "B", "text": "ABC"}], ["A"])
    b = QuestionData("single", "中国的首都是 ()?", [{"key": "A", "text": "北京"}, {"key": "B", "text": "ＡＢＣ"}], ["B"],
                     explanation="不同的解析", difficulty=5)
    assert dedup_key(a) == dedup_key(b)
    assert len(dedup_key(a)) == 64
    assert dedup_key(a) == dedup_key(a.to_dict())  # also works on the contract's dict
    assert dedup_key(a) != dedup_key(QuestionData("multiple", a.stem, a.options, ["A"]))
    assert dedup_key(a) != dedup_key(QuestionData("single", a.stem, list(reversed(a.options)), ["A"]))
    assert dedup_key(a) != dedup_key(QuestionData("single", "中国的首都是哪里？", a.options, ["A"]))


def test_undecodable_text_formats() -> None:
    binary = b"\x00\x01\x02\xff\xfe\x00garbage"
    for name in ("b.gift", "b.aiken", "b.txt", "b.json"):
        assert errors(parse(binary, name)) == [
            (0, "file", "无法识别文件的文字编码（支持 UTF-8 和 GBK），请另存为 UTF-8 后再导入")], name


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_text_formats_accept_bom_and_gbk(encoding: str) -> None:
    assert parse(AIKEN.encode(encoding), "q.aiken").questions[0].stem == "中国共产党的根本宗旨是什么？"
    assert parse("地球是圆的 {T}\n".encode(encoding), "q.gift").questions[0].answer == [True]
