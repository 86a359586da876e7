"""The importers on the real question banks in ../shared/data (see its README.md).

The two Chinese banks come in their own JSON shapes; each test converts its bank into our Excel
template with openpyxl, as an organiser would, and imports that workbook. The expected counts were
worked out with a separate script that applies the duplicate rule (same type, stem and option
texts after NFKC, CJK punctuation folding and removing white space) without this package.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from question_bank.formats import QuestionData, parse
from tests.conftest import SHARED_DATA, shared_file

DATA = SHARED_DATA


def data_file(name: str) -> Path:
    return shared_file(name)


def template_workbook(rows: list[list[Any]], option_count: int) -> bytes:
    """Our Excel template (sheet 题库) filled with rows, as an organiser would make it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append(["题型", "题干", *[f"选项{k}" for k in "ABCDEFGH"[:option_count]], "答案", "解析"])
    for row in rows:
        sheet.append([None if value == "" else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def by_type(questions: list[QuestionData]) -> Counter[str]:
    return Counter(q.type for q in questions)


# --- maogai: 304 Chinese questions -------------------------------------------------------------

def blank_digits(stem: str, marks: set[str]) -> str:
    """``最大优势是1。`` → ``最大优势是（）。`` for the blank numbers in ``marks`` (other numbers stay)."""
    return re.sub(r"(?<!\d)(\d+)(?!\d)", lambda m: "（）" if m.group(1) in marks else m.group(1), stem)


def maogai_rows() -> list[list[Any]]:
    """One template row per question: fill blanks (digits in the stem) become （）."""
    rows = []
    for item in json.loads(data_file("maogai_exams_questions.json").read_text("utf-8")):
        stem, answer = item["question"], item["answer"]
        options = [o["content"] for o in item["options"]]
        if item["type"] == "填空题":
            stem = blank_digits(stem, {a["index"] for a in answer})
            answer = "；".join(a["text"] for a in sorted(answer, key=lambda a: int(a["index"])))
        rows.append([item["type"], stem, *options, *[""] * (6 - len(options)), answer, ""])
    return rows


def test_maogai_bank_imports_from_the_excel_template() -> None:
    result = parse(template_workbook(maogai_rows(), 6), "毛概题库.xlsx")

    assert result.errors == []
    assert result.warnings == []
    assert by_type(result.questions) == {"single": 131, "multiple": 112, "judge": 31, "fill": 30}
    assert result.duplicates == 0
    assert [q.row for q in result.questions[:3]] == [2, 3, 4]


def test_maogai_judge_options_and_fill_blanks_are_interpreted() -> None:
    questions = parse(template_workbook(maogai_rows(), 6), "毛概题库.xlsx").questions
    judges = [q for q in questions if q.type == "judge"]
    # The first 判断题 (id 244) has options 是/否 and answer B: false, and no options are kept.
    assert judges[0].stem.startswith("新时代新征程，中国共产党的中心任务")
    assert judges[0].answer == [False] and judges[0].options == []
    assert judges[1].answer == [True]
    fills = {q.stem: q.answer for q in questions if q.type == "fill"}
    assert fills["党的领导必须是（）、（）、整体的，必须体现到经济建设、政治建设、文化建设、社会建设、生态文明建设等各方面。"] == [
        ["全面的"], ["系统的"]]
    multiple = next(q for q in questions if q.type == "multiple")
    assert multiple.answer == ["A", "B", "C", "D"]  # "A B C D" in the source


# --- xxqg: 9,370 学习强国 questions ---------------------------------------------------------------

def xxqg_rows() -> list[list[Any]]:
    """Blanks (runs of no-break spaces) become （）; answers given as option text become letters;
    questions whose options are exactly 正确/错误 become 判断 rows."""
    rows = []
    bank = json.loads(data_file("xxqg_mondayfirst_tiku_sorted.json").read_text("utf-8"))
    for key, answer in bank.items():
        stem, *options = key.split("|")
        stem = re.sub("\xa0{2,}", "（）", stem)
        if sorted(options) == ["正确", "错误"]:
            rows.append(["判断", stem, "", "", "", "", answer])
        else:
            rows.append(["单选", stem, *options, *[""] * (4 - len(options)), "ABCD"[options.index(answer)]])
    return rows


def test_xxqg_bank_imports_fast_with_exact_counts() -> None:
    rows = xxqg_rows()
    assert len(rows) == 9370
    workbook = template_workbook(rows, 4)

    started = time.perf_counter()
    result = parse(workbook, "学习强国题库.xlsx")
    elapsed = time.perf_counter() - started
    print(f"\nparsed {len(rows)} Excel rows in {elapsed:.3f} s")

    assert result.errors == []
    assert by_type(result.questions) == {"single": 8180, "judge": 1168}
    assert len(result.questions) == 9348
    assert result.duplicates == 22
    assert result.questions[-1].row <= 9371


def test_xxqg_blanks_and_text_answers_survive_the_conversion() -> None:
    questions = parse(template_workbook(xxqg_rows(), 4), "学习强国题库.xlsx").questions
    first = questions[0]
    assert first.stem == ("根据《中华人民共和国土壤污染防治法》，未达到土壤污染风险评估报告确定的风险管控、修复目标的"
                          "建设用地地块，禁止开工建设任何与（）无关的项目。")
    assert first.answer == ["D"] and first.options[3]["text"] == "风险管控、修复"
    numeric = next(q for q in questions if q.stem.startswith("太阳是巨大的恒星"))
    assert [o["text"] for o in numeric.options] == ["100", "1000", "40", "400"]  # numbers stay text
    assert numeric.answer == ["D"]


# --- Open Trivia DB: 5,250 English questions -----------------------------------------------------

def test_opentdb_json_imports_directly() -> None:
    result = parse(data_file("opentdb_kickturn_opentdb.json").read_bytes(), "opentdb.json")

    assert result.errors == []
    # One multiple-choice question appears twice (same stem and options): skipped as a duplicate.
    assert by_type(result.questions) == {"single": 4466, "judge": 783}
    assert result.duplicates == 1
    assert len({tag for q in result.questions for tag in q.tags}) == 24
    assert Counter(q.difficulty for q in result.questions).keys() == {2, 3, 4}


def test_opentdb_entities_are_decoded_and_shuffling_is_deterministic() -> None:
    raw = data_file("opentdb_kickturn_opentdb.json").read_bytes()
    first, second = parse(raw, "opentdb.json"), parse(raw, "opentdb.json")
    assert first.questions == second.questions
    texts = [q.stem for q in first.questions] + [o["text"] for q in first.questions for o in q.options]
    assert not [t for t in texts if re.search(r"&(?:quot|amp|#0?39|lt|gt|eacute|rsquo);", t)]
    duran = next(q for q in first.questions if "Girls on Film" in q.stem)
    assert duran.stem == 'Which band released songs suchs as "Rio", "Girls on Film", and "The Reflex"?'
    assert {o["text"] for o in duran.options} == {"Duran Duran", "The Cure", "New Order", "Depeche Mode"}
    right = next(o["text"] for o in duran.options if o["key"] == duran.answer[0])
    assert right == "Duran Duran"
    assert duran.tags == ["Entertainment: Music"] and duran.difficulty == 2
    # The right answer is not always first: the shuffle moves it around.
    assert len({q.answer[0] for q in first.questions if q.type == "single"}) == 4
    panic = first.questions[0]
    assert panic.type == "judge" and panic.answer == [False] and panic.difficulty == 3


# --- Moodle's GIFT examples -------------------------------------------------------------------------

EXPECTED_TYPES = {"MC": ("single", "multiple"), "TF": ("judge",), "Short": ("fill",)}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def expected_gift() -> list[dict[str, Any]]:
    return json.loads(data_file("gift_fuhrmanator_giftFormatPhpExamples.expected.json").read_text("utf-8"))


def test_gift_examples_match_the_reference_parser() -> None:
    raw = data_file("gift_fuhrmanator_giftFormatPhpExamples.gift").read_bytes()
    result = parse(raw, "examples.gift", skip_unsupported=True)
    supported = [e for e in expected_gift() if e["type"] in EXPECTED_TYPES]
    assert len(supported) == 7

    assert result.errors == []
    # Two of the reference's MC questions are the same question (one with feedback): one is a duplicate.
    assert result.duplicates == 1
    assert len(result.questions) == 6
    unique = [e for i, e in enumerate(supported) if i != 4]  # the second "Grant is _____ in Grant's tomb."
    for question, reference in zip(result.questions, unique, strict=True):
        assert question.type in EXPECTED_TYPES[reference["type"]]
        # The reference stem has no blank when the answers follow the text; ours gets one, as a fill needs it.
        stem = question.stem.removesuffix(" _____") if reference["type"] == "Short" else question.stem
        assert squeeze(stem) == squeeze(reference["stem"]["text"])
        if reference["type"] == "TF":
            assert question.answer == [reference["isTrue"]]
        elif reference["type"] == "Short":
            # Only the full-credit answers are accepted (we have no partial credit): not =%75% or =%25%.
            assert question.answer == [[c["text"]["text"] for c in reference["choices"] if full_credit(c)]]
        else:
            assert [o["text"] for o in question.options] == [c["text"]["text"] for c in reference["choices"]]
            several = not any(c["isCorrect"] for c in reference["choices"])  # Moodle: no = answer
            right = [o["key"] for o, c in zip(question.options, reference["choices"], strict=True)
                     if ((c["weight"] or 0) > 0 if several else full_credit(c))]
            assert question.answer == right
    # "Difficult multiple choice question" has a = answer: one answer is chosen, its ~%50% answer is not right.
    assert [q.type for q in result.questions] == ["single", "single", "judge", "fill", "single", "fill"]
    assert result.warnings == [
        "已跳过 3 道不支持的题目（数值题、配对题或说明文字），位于第 13、15、40 行",
        "2 道题含部分得分的答案（如 %50%），本平台不支持部分得分，这些答案已按错误答案处理，只有满分答案算对，"
        "位于第 28、33 行",
    ]


def full_credit(choice: dict[str, Any]) -> bool:
    return bool(choice["isCorrect"]) and (choice["weight"] is None or choice["weight"] >= 100)


def test_gift_examples_report_unsupported_questions_by_line() -> None:
    raw = data_file("gift_fuhrmanator_giftFormatPhpExamples.gift").read_bytes()
    result = parse(raw, "examples.gift")
    unsupported = [e for e in expected_gift() if e["type"] not in EXPECTED_TYPES]

    assert [e["type"] for e in unsupported] == ["Numerical", "Matching", "Numerical"]
    assert [(e.row, e.field, e.message) for e in result.errors] == [
        (13, "type", "不支持的题型：数值题"),
        (15, "type", "不支持的题型：配对题"),
        (40, "type", "不支持的题型：数值题"),
    ]
    assert len(result.questions) == 6  # the rest are still parsed and shown in the report
