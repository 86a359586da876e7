"""The bank through the API (CONTRACT §3, FORMATS.md): banks, import of every format, real banks,
every kind of bad file, export → import identity, question CRUD and filters."""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import re
import select as selectmod
import socket
import threading
import time
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import select

from question_bank.models import Bank, Question, QuestionTag
from tests.conftest import shared_file

KEYS = "ABCDEFGH"
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]


# --- helpers -------------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = HEADER, sheet: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if sheet:
        ws.title = sheet
    if header:
        ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode(encoding)


def question_count(app: Any) -> int:
    with app.state.db.read() as session:
        return session.exec(select(func.count()).select_from(Question)).one()


def tag_count(app: Any) -> int:
    with app.state.db.read() as session:
        return session.exec(select(func.count()).select_from(QuestionTag)).one()


def new_bank(api: Any, name: str = "测试题库") -> int:
    response = api("POST", "/api/banks", as_="org", json={"name": name, "description": "说明"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def upload(api: Any, bank_id: int, filename: str, data: bytes, as_: str = "org", **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api("POST", f"/api/banks/{bank_id}/import" + (f"?{query}" if query else ""), as_=as_,
               files={"file": (filename, data)})


def bank_questions(api: Any, bank_id: int) -> list[dict[str, Any]]:
    """Every question of a bank (full, as an organizer sees them), paging through the list."""
    items: list[dict[str, Any]] = []
    while True:
        body = api("GET", f"/api/banks/{bank_id}/questions?limit=500&offset={len(items)}", as_="org").json()
        items.extend(body["items"])
        if len(items) >= body["total"]:
            return items


def content(question: dict[str, Any]) -> dict[str, Any]:
    """A question without what the server assigns (id, bank, version)."""
    return {k: v for k, v in question.items() if k not in ("id", "bank_id", "version")}


def assert_import_refused(response: Any, rows: list[tuple[int, str]] | None = None) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "import_invalid" and body["imported"] == 0
    errors = body["errors"]
    assert errors and errors == body["error"]["details"]
    assert all(set(e) >= {"row", "field", "message"} and e["message"] for e in errors)
    if rows is not None:
        assert [(e["row"], e["field"]) for e in errors] == rows, errors
    return errors


# Five questions of every type in the contract's shape (what the API returns, minus ids).
FIVE = [
    {"type": "single", "stem": "中国共产党第一次全国代表大会在哪里召开？",
     "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}, {"key": "C", "text": "南昌"},
                 {"key": "D", "text": "延安"}],
     "answer": ["A"], "explanation": "1921年7月在上海召开，最后一天转至嘉兴南湖。", "tags": ["党史", "建党"],
     "difficulty": 2, "points": None},
    {"type": "multiple", "stem": "“四个自信”包括（ ）。",
     "options": [{"key": "A", "text": "道路自信"}, {"key": "B", "text": "理论自信"}, {"key": "C", "text": "制度自信"},
                 {"key": "D", "text": "文化自信"}],
     "answer": ["A", "B", "C", "D"], "explanation": "", "tags": ["理论"], "difficulty": 3, "points": None},
    {"type": "judge", "stem": "党的根本宗旨是全心全意为人民服务。", "options": [], "answer": [True],
     "explanation": "党章总纲。", "tags": ["党章"], "difficulty": 1, "points": None},
    {"type": "fill", "stem": "中共一大最后一天转至（）南湖召开，时间是（）年。", "options": [],
     "answer": [["嘉兴", "浙江嘉兴"], ["1921"]], "explanation": "", "tags": ["党史"], "difficulty": 4, "points": None},
    {"type": "short", "stem": "简述全面从严治党的重大意义。", "options": [], "answer": ["管党治党、治国理政。"],
     "explanation": "", "tags": ["党建"], "difficulty": 5, "points": None},
]
FIVE_ROWS = [
    ["单选", FIVE[0]["stem"], "上海", "北京", "南昌", "延安", "A", FIVE[0]["explanation"], 2, "党史、建党"],
    ["多选题", FIVE[1]["stem"], "道路自信", "理论自信", "制度自信", "文化自信", "A,B,C,D", "", "中", "理论"],
    ["判断", FIVE[2]["stem"], "", "", "", "", "√", "党章总纲。", "易", "党章"],
    ["填空", FIVE[3]["stem"], "", "", "", "", "嘉兴|浙江嘉兴；1921", "", 4, "党史"],
    ["简答", FIVE[4]["stem"], "", "", "", "", "管党治党、治国理政。", "", "难", "党建"],
]


# --- banks ---------------------------------------------------------------------------------------


def test_create_list_get_bank_with_counts_by_type_and_tag(api, users):
    response = api("POST", "/api/banks", as_="org", json={"name": "  党史题库 ", "description": "百年党史"})
    assert response.status_code == 201, response.text
    bank = response.json()
    assert bank["name"] == "党史题库" and bank["description"] == "百年党史" and bank["question_count"] == 0
    assert bank["counts_by_type"] == {"single": 0, "multiple": 0, "judge": 0, "fill": 0, "short": 0}
    other = new_bank(api, "另一个题库")
    for q in FIVE:
        assert api("POST", f"/api/banks/{bank['id']}/questions", as_="org", json=q).status_code == 201
    assert api("POST", f"/api/banks/{other}/questions", as_="org", json=FIVE[0]).status_code == 201

    got = api("GET", f"/api/banks/{bank['id']}", as_="alice").json()
    assert got["question_count"] == 5
    assert got["counts_by_type"] == {"single": 1, "multiple": 1, "judge": 1, "fill": 1, "short": 1}
    assert got["counts_by_tag"] == {"党史": 2, "建党": 1, "理论": 1, "党章": 1, "党建": 1}
    listed = api("GET", "/api/banks", as_="alice").json()
    assert listed["total"] == 2
    assert [(b["name"], b["question_count"]) for b in listed["items"]] == [("党史题库", 5), ("另一个题库", 1)]
    assert api("GET", "/api/banks?limit=1&offset=1", as_="alice").json()["items"][0]["id"] == other
    # a deleted question no longer counts
    first = bank_questions(api, bank["id"])[0]
    assert api("DELETE", f"/api/questions/{first['id']}", as_="org").status_code == 200
    got = api("GET", f"/api/banks/{bank['id']}", as_="org").json()
    assert got["question_count"] == 4 and got["counts_by_type"]["single"] == 0 and "建党" not in got["counts_by_tag"]


def test_bank_validation_update_and_404(api, users):
    response = api("POST", "/api/banks", as_="org", json={"name": ""})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "name"
    assert api("POST", "/api/banks", as_="org", json={"description": "x"}).status_code == 422
    bank_id = new_bank(api)
    response = api("PUT", f"/api/banks/{bank_id}", as_="org", json={"name": "新名字", "description": "新说明"})
    assert response.status_code == 200 and response.json()["name"] == "新名字"
    for url in ("/api/banks/9999", "/api/banks/9999/questions", "/api/banks/99999999999999999999"):
        response = api("GET", url, as_="org")
        assert response.status_code == 404, (url, response.text)
    assert api("GET", "/api/banks/9999", as_="org").json()["error"]["code"] == "bank_not_found"
    assert upload(api, 9999, "a.json", json.dumps(FIVE).encode()).status_code == 404


# --- import of every format ----------------------------------------------------------------------

SMALL_FILES: dict[str, tuple[str, bytes, list[dict[str, Any]]]] = {
    "xlsx": ("题库.xlsx", xlsx_bytes(FIVE_ROWS), FIVE),
    "csv": ("题库.csv", csv_bytes(FIVE_ROWS), FIVE),
    "csv-gbk": ("题库.csv", csv_bytes(FIVE_ROWS, "gbk"), FIVE),
    "json": ("题库.json", json.dumps(FIVE, ensure_ascii=False).encode(), FIVE),
    "json-object": ("q.json", json.dumps({"questions": FIVE}).encode(), FIVE),
    "gift": ("题库.gift", """// 党史
$CATEGORY: 党史

::一大:: 中共一大在哪里召开？ {=上海 ~北京 ~南昌}

党的根本宗旨是全心全意为人民服务。{T}

下列哪些是“四个自信”？ {~%50%道路自信 ~%50%理论自信 ~%-100%武力自信}

中共一大最后一天转至{=嘉兴 =嘉兴南湖}南湖召开。
""".encode(), [
        {"type": "single", "stem": "中共一大在哪里召开？", "options": [
            {"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}, {"key": "C", "text": "南昌"}],
         "answer": ["A"], "explanation": "", "tags": ["党史"], "difficulty": 3, "points": None},
        {"type": "judge", "stem": "党的根本宗旨是全心全意为人民服务。", "options": [], "answer": [True],
         "explanation": "", "tags": ["党史"], "difficulty": 3, "points": None},
        {"type": "multiple", "stem": "下列哪些是“四个自信”？", "options": [
            {"key": "A", "text": "道路自信"}, {"key": "B", "text": "理论自信"}, {"key": "C", "text": "武力自信"}],
         "answer": ["A", "B"], "explanation": "", "tags": ["党史"], "difficulty": 3, "points": None},
        {"type": "fill", "stem": "中共一大最后一天转至_____南湖召开。", "options": [], "answer": [["嘉兴", "嘉兴南湖"]],
         "explanation": "", "tags": ["党史"], "difficulty": 3, "points": None},
    ]),
    "aiken": ("题库.txt", """中国共产党的根本宗旨是什么？
A. 全心全意为人民服务
B. 实现共产主义
ANSWER: A

下列属于“四个意识”的有哪些？
A、政治意识
B、大局意识
C、核心意识
D、看齐意识
答案：ABCD
""".encode(), [
        {"type": "single", "stem": "中国共产党的根本宗旨是什么？", "options": [
            {"key": "A", "text": "全心全意为人民服务"}, {"key": "B", "text": "实现共产主义"}],
         "answer": ["A"], "explanation": "", "tags": [], "difficulty": 3, "points": None},
        {"type": "multiple", "stem": "下列属于“四个意识”的有哪些？", "options": [
            {"key": "A", "text": "政治意识"}, {"key": "B", "text": "大局意识"}, {"key": "C", "text": "核心意识"},
            {"key": "D", "text": "看齐意识"}],
         "answer": ["A", "B", "C", "D"], "explanation": "", "tags": [], "difficulty": 3, "points": None},
    ]),
    "text": ("粘贴.txt", """1. 党的最高领导机关是（ ）。
A、党的全国代表大会和它所产生的中央委员会
B、中央政治局
【答案】A
【解析】见党章第十条。

2、中国共产党成立于1921年。
【答案】正确

3. 中共一大最后一天转至（）南湖召开。
【答案】嘉兴
""".encode(), [
        {"type": "single", "stem": "党的最高领导机关是（ ）。", "options": [
            {"key": "A", "text": "党的全国代表大会和它所产生的中央委员会"}, {"key": "B", "text": "中央政治局"}],
         "answer": ["A"], "explanation": "见党章第十条。", "tags": [], "difficulty": 3, "points": None},
        {"type": "judge", "stem": "中国共产党成立于1921年。", "options": [], "answer": [True], "explanation": "",
         "tags": [], "difficulty": 3, "points": None},
        {"type": "fill", "stem": "中共一大最后一天转至（）南湖召开。", "options": [], "answer": [["嘉兴"]],
         "explanation": "", "tags": [], "difficulty": 3, "points": None},
    ]),
}


@pytest.mark.parametrize("kind", list(SMALL_FILES))
def test_import_every_format(api, users, app, kind):
    filename, data, expected = SMALL_FILES[kind]
    bank_id = new_bank(api)
    before = question_count(app)
    response = upload(api, bank_id, filename, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["duplicates"], body["errors"]) == (len(expected), 0, [])
    assert question_count(app) == before + len(expected)
    got = [content(q) for q in bank_questions(api, bank_id)]
    assert got == expected
    assert all(q["version"] == 1 for q in bank_questions(api, bank_id))


@pytest.mark.parametrize("fmt,filename", [("text", "paste"), ("aiken", "x.bin"), ("csv", "upload")])
def test_format_param_overrides_the_file_name(api, users, fmt, filename):
    bank_id = new_bank(api)
    _, data, expected = SMALL_FILES[fmt]
    response = upload(api, bank_id, filename, data, format=fmt)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == len(expected)


def test_dry_run_writes_nothing_and_reports_the_same(api, users, app):
    bank_id = new_bank(api)
    before, tags_before = question_count(app), tag_count(app)
    response = upload(api, bank_id, "题库.xlsx", xlsx_bytes(FIVE_ROWS), dry_run=1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["duplicates"], body["errors"], body["dry_run"]) == (5, 0, [], True)
    assert [ {k: v for k, v in q.items() if k != "row"} for q in body["preview"]] == FIVE
    assert question_count(app) == before and tag_count(app) == tags_before
    # a dry run of a bad file reports the errors, and also writes nothing
    bad = upload(api, bank_id, "题库.xlsx", xlsx_bytes([*FIVE_ROWS, ["单选", "", "a", "b", "", "", "A", "", "", ""]]),
                 dry_run="true")
    assert_import_refused(bad, [(7, "题干")])
    assert question_count(app) == before
    # the real import then gives what the dry run promised
    assert upload(api, bank_id, "题库.xlsx", xlsx_bytes(FIVE_ROWS)).json()["imported"] == 5
    assert question_count(app) == before + 5


def test_duplicates_within_the_file_and_against_the_bank(api, users, app):
    bank_id = new_bank(api)
    variant = list(FIVE_ROWS[0])
    variant[1] = " 中国共产党第一次全国代表大会在哪里召开? "  # half-width ? and spaces: the same question
    variant[2] = "上 海"
    rows = [*FIVE_ROWS, variant, FIVE_ROWS[2]]
    response = upload(api, bank_id, "题库.xlsx", xlsx_bytes(rows))
    assert (response.json()["imported"], response.json()["duplicates"]) == (5, 2), response.text
    again = upload(api, bank_id, "题库.csv", csv_bytes([*FIVE_ROWS, ["判断", "新的一题。", "", "", "", "", "错", "", "", ""]]))
    assert (again.json()["imported"], again.json()["duplicates"]) == (1, 5), again.text
    dry = upload(api, bank_id, "题库.csv", csv_bytes(FIVE_ROWS), dry_run=1)
    assert (dry.json()["imported"], dry.json()["duplicates"]) == (0, 5)
    assert question_count(app) == 6
    # another bank has its own duplicates
    other = new_bank(api, "别的题库")
    assert upload(api, other, "题库.csv", csv_bytes(FIVE_ROWS)).json()["imported"] == 5
    # a deleted question may be imported again
    single = next(q for q in bank_questions(api, bank_id) if q["type"] == "single")
    api("DELETE", f"/api/questions/{single['id']}", as_="org")
    assert upload(api, bank_id, "题库.csv", csv_bytes(FIVE_ROWS)).json()["imported"] == 1


# --- the real banks ---------------------------------------------------------------------------------
# As an organiser would bring them in: converted into our Excel template with openpyxl.

MAOGAI_TYPES = {"单选题": "单选", "多选题": "多选", "判断题": "判断", "填空题": "填空"}
TEMPLATE_HEADER = ["题型", "题干", *[f"选项{k}" for k in KEYS], "答案", "解析", "难度", "标签"]


def template_xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("题库")
    ws.append(TEMPLATE_HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def maogai_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    """maogai: options as {label, content}; choice answers "A B C"; 判断 options 是/否 with a letter;
    填空 blanks marked by their number in the stem, answers [{index, text}]."""
    rows = []
    for item in items:
        kind = MAOGAI_TYPES[item["type"]]
        stem = item["question"]
        options = [o["content"] for o in item["options"]]
        if kind == "填空":
            for blank in item["answer"]:
                assert blank["index"] in stem
                stem = stem.replace(blank["index"], "（）", 1)
            answer = "；".join(b["text"] for b in item["answer"])
        else:
            answer = item["answer"]
        rows.append([kind, stem, *options, *[""] * (8 - len(options)), answer, "", "", "毛概"])
    return rows


def xxqg_rows(items: dict[str, str]) -> list[list[Any]]:
    """学习强国: {"stem|option|option…": "answer text"}; blanks are runs of 8 no-break spaces; the answer
    is an option's text; options 正确/错误 make a 判断."""
    rows = []
    for key, answer in items.items():
        stem, *options = key.split("|")
        stem = stem.replace("\xa0" * 8, "（）").replace("\xa0", " ").strip()
        if sorted(options) == ["正确", "错误"]:
            rows.append(["判断", stem, *[""] * 8, answer, "", "", "学习强国"])
        else:
            letter = KEYS[options.index(answer)]
            rows.append(["单选", stem, *options, *[""] * (8 - len(options)), letter, "", "", "学习强国"])
    return rows


def independent_duplicates(rows: list[list[Any]]) -> int:
    """Duplicates by FORMATS.md's rule, computed here without the importer's code: same type, stem and
    options after removing white space and folding full-width forms (NFKC) and dashes/quotes."""
    fold = str.maketrans({"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "。": "."})

    def norm(text: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).translate(fold))

    seen, duplicates = set(), 0
    for row in rows:
        key = (row[0], norm(row[1]), tuple(norm(o) for o in row[2:10] if o))
        duplicates += key in seen
        seen.add(key)
    return duplicates


def test_real_maogai_bank_304_questions(api, users, app):
    items = json.loads(shared_file("maogai_exams_questions.json").read_text(encoding="utf-8"))
    rows = maogai_rows(items)
    assert len(rows) == 304 and independent_duplicates(rows) == 0
    data = template_xlsx(rows)
    bank_id = new_bank(api, "毛概")
    dry = upload(api, bank_id, "毛概.xlsx", data, dry_run=1).json()
    assert (dry["imported"], dry["duplicates"], dry["errors"]) == (304, 0, [])
    assert question_count(app) == 0
    body = upload(api, bank_id, "毛概.xlsx", data).json()
    assert (body["imported"], body["duplicates"], body["errors"]) == (304, 0, [])
    bank = api("GET", f"/api/banks/{bank_id}", as_="org").json()
    assert bank["counts_by_type"] == {"single": 131, "multiple": 112, "judge": 31, "fill": 30, "short": 0}
    assert bank["counts_by_tag"] == {"毛概": 304}
    questions = bank_questions(api, bank_id)
    by_stem = {q["stem"]: q for q in questions}
    six = next(q for q in questions if len(q["options"]) == 6)
    assert six["type"] == "multiple"
    judge = by_stem[items[243]["question"]]  # 是/否 options with the answer B
    assert judge["type"] == "judge" and judge["answer"] == [False] and judge["options"] == []
    fill = next(q for q in questions if q["stem"] == "反腐倡廉的核心是（）和（）。")
    assert fill["answer"] == [["制度制约"], ["监督权力"]]
    # the same file again: everything is a duplicate, nothing is written
    again = upload(api, bank_id, "毛概.xlsx", data).json()
    assert (again["imported"], again["duplicates"]) == (0, 304)
    assert question_count(app) == 304


def test_real_xxqg_bank_9370_questions(api, users, app):
    items = json.loads(shared_file("xxqg_mondayfirst_tiku_sorted.json").read_text(encoding="utf-8"))
    rows = xxqg_rows(items)
    assert len(rows) == 9370
    assert independent_duplicates(rows) == 22
    data = template_xlsx(rows)
    bank_id = new_bank(api, "学习强国")
    body = upload(api, bank_id, "学习强国.xlsx", data).json()
    assert (body["imported"], body["duplicates"], body["errors"]) == (9348, 22, [])
    assert question_count(app) == 9348
    bank = api("GET", f"/api/banks/{bank_id}", as_="org").json()
    assert bank["counts_by_type"] == {"single": 8180, "multiple": 0, "judge": 1168, "fill": 0, "short": 0}
    assert bank["counts_by_tag"] == {"学习强国": 9348}
    found = api("GET", f"/api/banks/{bank_id}/questions?q=扑救火灾最有利的阶段", as_="org").json()
    assert found["total"] == 1
    q = found["items"][0]
    assert q["stem"] == "扑救火灾最有利的阶段是（）。"
    assert [o["text"] for o in q["options"]] == ["火灾初起阶段", "火灾发展阶段", "火灾猛烈燃烧阶段"]
    assert q["answer"] == ["A"]


def test_real_opentdb_json(api, users, app):
    data = shared_file("opentdb_kickturn_opentdb.json").read_bytes()
    raw = json.loads(data)["results"]
    bank_id = new_bank(api, "Open Trivia")
    body = upload(api, bank_id, "opentdb.json", data).json()
    assert (body["imported"], body["duplicates"], body["errors"]) == (5249, 1, [])
    bank = api("GET", f"/api/banks/{bank_id}", as_="org").json()
    assert bank["counts_by_type"]["single"] + bank["counts_by_type"]["judge"] == 5249
    assert bank["counts_by_type"]["judge"] == sum(1 for r in raw if r["type"] == "boolean")
    assert len(bank["counts_by_tag"]) == len({r["category"] for r in raw})
    questions = bank_questions(api, bank_id)
    assert not any("&quot;" in q["stem"] or "&#039;" in q["stem"] for q in questions)  # entities decoded
    assert {q["difficulty"] for q in questions} == {2, 3, 4}
    # every question carries its own category as tag (ids and tag rows line up across insert batches)
    categories: dict[str, set[str]] = {}
    for r in raw:
        categories.setdefault(html.unescape(r["question"]).strip(), set()).add(html.unescape(r["category"]).strip())
    checked = 0
    for q in questions:
        if len(categories.get(q["stem"], ())) == 1:
            assert q["tags"] == list(categories[q["stem"]]), q
            checked += 1
    assert checked > 5000
    by_tag = api("GET", f"/api/banks/{bank_id}/questions?tag={questions[-1]['tags'][0]}&limit=500", as_="org").json()
    assert by_tag["total"] == bank["counts_by_tag"][questions[-1]["tags"][0]]
    assert all(q["tags"] == questions[-1]["tags"] for q in by_tag["items"])


def test_real_gift_file_unsupported_then_skipped(api, users, app):
    data = shared_file("gift_fuhrmanator_giftFormatPhpExamples.gift").read_bytes()
    bank_id = new_bank(api, "GIFT")
    errors = assert_import_refused(upload(api, bank_id, "examples.gift", data))
    assert [e["row"] for e in errors] == [13, 15, 40]  # numeric, matching, numeric: where each question starts
    assert question_count(app) == 0
    body = upload(api, bank_id, "examples.gift", data, skip_unsupported=1).json()
    assert (body["imported"], body["duplicates"], body["errors"]) == (6, 1, [])
    assert body["warnings"]
    kinds = sorted(q["type"] for q in bank_questions(api, bank_id))
    # "Difficult multiple choice question" has a = answer: one answer is chosen, its ~%50% answer is not right.
    assert kinds == ["fill", "fill", "judge", "single", "single", "single"]


# --- every bad input: the right row, and nothing written ----------------------------------------

GOOD = ["单选", "好的一题？", "甲", "乙", "丙", "丁", "A", "", "", ""]
BAD_ROWS = {
    "unknown type": (["论文题", "题干", "", "", "", "", "A", "", "", ""], "题型"),
    "missing stem": (["单选", "", "甲", "乙", "", "", "A", "", "", ""], "题干"),
    "answer with no option": (["单选", "题干？", "甲", "乙", "", "", "C", "", "", ""], "答案"),
    "multiple answer with no option": (["多选", "题干？", "甲", "乙", "丙", "", "ABD", "", "", ""], "答案"),
    "blank count mismatch": (["填空", "（）和（）是什么？", "", "", "", "", "甲", "", "", ""], "答案"),
    "bad difficulty": (["单选", "题干？", "甲", "乙", "", "", "A", "", "9", ""], "难度"),
    "empty answer": (["单选", "题干？", "甲", "乙", "", "", "", "", "", ""], "答案"),
    "bad judge": (["判断", "题干。", "", "", "", "", "也许", "", "", ""], "答案"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_bad_row_is_reported_by_row_and_nothing_is_written(api, users, app, case, kind):
    bad, field = BAD_ROWS[case]
    bank_id = new_bank(api)
    upload(api, bank_id, "seed.json", json.dumps(FIVE[:1]).encode())
    before, tags_before = question_count(app), tag_count(app)
    rows = [GOOD, [*GOOD[:1], "第二题？", *GOOD[2:]], bad, [*GOOD[:1], "第四题？", *GOOD[2:]]]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows)
    errors = assert_import_refused(upload(api, bank_id, f"bad.{kind}", data))
    assert [(e["row"], e["field"]) for e in errors][:1] == [(4, field)]  # header is row 1: the bad row is row 4
    assert {e["row"] for e in errors} == {4}
    assert question_count(app) == before and tag_count(app) == tags_before


def test_every_error_of_a_file_is_reported_at_once(api, users, app):
    bank_id = new_bank(api)
    rows = [GOOD, *[row for row, _ in BAD_ROWS.values()]]
    errors = assert_import_refused(upload(api, bank_id, "bad.xlsx", xlsx_bytes(rows)))
    assert sorted({e["row"] for e in errors}) == list(range(3, 3 + len(BAD_ROWS)))
    assert question_count(app) == 0


def test_values_too_long_for_their_columns_are_row_errors(api, users, app):
    """A tag longer than the column (100) is a row error, on every database (PostgreSQL would refuse it)."""
    bank_id = new_bank(api)
    rows = [GOOD, ["判断", "标签太长。", "", "", "", "", "对", "", "", "标" * 101]]
    errors = assert_import_refused(upload(api, bank_id, "bad.xlsx", xlsx_bytes(rows)))
    assert [(e["row"], e["field"]) for e in errors] == [(3, "tags")]
    response = api("POST", f"/api/banks/{bank_id}/questions", as_="org",
                   json={"type": "judge", "stem": "x", "answer": [True], "tags": ["标" * 101]})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "tags"
    assert question_count(app) == 0


def test_bad_json_items_are_reported_by_item(api, users, app):
    bank_id = new_bank(api)
    items = [FIVE[0], {**FIVE[0], "stem": ""}, {**FIVE[0], "stem": "另一题", "answer": ["E"]},
             {**FIVE[3], "stem": "只有一个空（）", "answer": [["a"], ["b"]]}, {"stem": "没有题型和答案"}]
    errors = assert_import_refused(upload(api, bank_id, "q.json", json.dumps(items).encode()))
    assert {e["row"] for e in errors} == {2, 3, 4, 5}
    assert question_count(app) == 0


@pytest.mark.parametrize("name,data", [
    ("not-excel.xlsx", "题型,题干\n单选,这其实是 CSV\n".encode()),
    ("zip-not-excel.xlsx", b"PK\x03\x04" + b"\x00" * 100),
    ("random.xlsx", bytes(range(256)) * 40),
    ("empty.xlsx", b""),
    ("empty-sheet.xlsx", xlsx_bytes([], header=None)),
    ("header-only.xlsx", xlsx_bytes([])),
    ("no-stem-column.xlsx", xlsx_bytes([["单选", "甲", "A"]], header=["题型", "选项A", "答案"])),
    ("empty.csv", b""),
    ("broken.json", b'{"questions": [ {"type": '),
    ("wrong-shape.json", b'{"items": 3}'),
    ("empty.gift", b"// only a comment\n"),
    ("binary.csv", b"\x00\x01\x02\xff\xfe" * 50),
])
def test_unreadable_or_empty_files_are_422_and_write_nothing(api, users, app, name, data):
    bank_id = new_bank(api)
    before = question_count(app)
    errors = assert_import_refused(upload(api, bank_id, name, data))
    assert errors[0]["row"] in (0, 1), errors
    assert question_count(app) == before


def test_format_errors(api, users, app):
    bank_id = new_bank(api)
    for filename, params in (("题库.docx", {}), ("题库.xls", {}), ("noext", {}), ("题库.xlsx", {"format": "docx"})):
        response = upload(api, bank_id, filename, xlsx_bytes(FIVE_ROWS), **params)
        assert response.status_code == 400, (filename, response.text)
        assert response.json()["error"]["code"] == "unsupported_format"
    # a real format that does not match the content: the file's errors, nothing written
    assert_import_refused(upload(api, bank_id, "题库.xlsx", xlsx_bytes(FIVE_ROWS), format="json"))
    assert_import_refused(upload(api, bank_id, "题库.json", json.dumps(FIVE).encode(), format="xlsx"))
    # no file at all
    response = api("POST", f"/api/banks/{bank_id}/import", as_="org", data={"format": "xlsx"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_file"
    assert question_count(app) == 0


def test_oversized_upload_is_413(api, users, app, settings):
    assert settings.max_upload_mb == 2
    bank_id = new_bank(api)
    big = b"x" * (settings.max_upload_bytes + 1)
    response = upload(api, bank_id, "big.csv", big)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"
    assert question_count(app) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(app: Any) -> Iterator[int]:
    """The app on a real uvicorn server in a thread; yields its port."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def _read_status(sock: socket.socket, timeout: float = 5.0) -> str:
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def test_oversized_upload_is_refused_before_it_is_read_whole(users, settings, clock):
    """Over a real socket: a declared 100 MB body gets 413 at once, and a chunked body without a
    declared length is cut off at the limit, long before the client has sent it all."""
    from quiz.app import create_app

    app = create_app(settings, clock=clock)
    token = users.tokens["org"]
    with served(app) as port:
        head = (f"POST /api/banks/1/import HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary=b\r\n")
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall((head + f"Content-Length: {100 * 1024 * 1024}\r\n\r\n").encode() + b"--b\r\n")
            started = time.monotonic()
            assert _read_status(sock).startswith("HTTP/1.1 413")
            assert time.monotonic() - started < 3

        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            chunk = b"x" * 65536
            sent, status = 0, ""
            while sent < 50 * 1024 * 1024:
                readable, _, _ = selectmod.select([sock], [], [], 0)
                if readable:
                    status = _read_status(sock)
                    break
                try:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:
                    status = _read_status(sock)
                    break
                sent += len(chunk)
            assert status.startswith("HTTP/1.1 413"), status
            assert sent < settings.max_upload_bytes + 8 * 1024 * 1024


# --- export → import ---------------------------------------------------------------------------

TRICKY = [
    {"type": "single", "stem": "=SUM(A1) 开头是等号，含{花括号}、~波浪号、#井号、:冒号 和 \"引号\"？",
     "options": [{"key": "A", "text": "a=b"}, {"key": "B", "text": "~非"}, {"key": "C", "text": "#3"},
                 {"key": "D", "text": "{x}"}, {"key": "E", "text": "第五个"}, {"key": "F", "text": "第六个"}],
     "answer": ["F"], "explanation": "解析里有\n换行。", "tags": ["特殊字符"], "difficulty": 5, "points": 2.5},
    {"type": "multiple", "stem": "多行题干：\n第二行", "options": [
        {"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}, {"key": "C", "text": "丙"}],
     "answer": ["A", "C"], "explanation": "", "tags": [], "difficulty": 3, "points": 1.0},
    {"type": "judge", "stem": "判断：1 + 1 = 2。", "options": [], "answer": [False], "explanation": "其实是对的，考个错的。",
     "tags": ["算术", "测试"], "difficulty": 2, "points": None},
    {"type": "fill", "stem": "____ 是首都，____ 是直辖市。", "options": [], "answer": [["北京", "北平"], ["上海"]],
     "explanation": "", "tags": [], "difficulty": 3, "points": None},
    {"type": "short", "stem": "谈谈你对“两个确立”的理解。", "options": [], "answer": ["两个确立：核心地位与指导地位。"],
     "explanation": "评分要点见文件。", "tags": ["理论"], "difficulty": 4, "points": 10.0},
]


@pytest.mark.parametrize("fmt", ["xlsx", "json", "gift"])
def test_export_then_import_is_the_identity(api, users, app, fmt):
    source = new_bank(api, "源题库")
    for q in [*FIVE, *TRICKY]:
        r = api("POST", f"/api/banks/{source}/questions", as_="org", json=q)
        assert r.status_code == 201, r.text
    original = [content(q) for q in bank_questions(api, source)]
    assert len(original) == 10
    exported = api("GET", f"/api/banks/{source}/export?format={fmt}", as_="org")
    assert exported.status_code == 200, exported.text
    assert "attachment" in exported.headers["content-disposition"]
    target = new_bank(api, "目标题库")
    response = upload(api, target, f"导出.{fmt}", exported.content)
    assert response.status_code == 200, response.text
    assert (response.json()["imported"], response.json()["duplicates"]) == (10, 0)
    assert [content(q) for q in bank_questions(api, target)] == original
    # and importing the same file into the source bank finds only duplicates
    assert upload(api, source, f"导出.{fmt}", exported.content).json()["duplicates"] == 10


def test_export_refusals(api, users):
    bank_id = new_bank(api)
    assert api("GET", f"/api/banks/{bank_id}/export?format=csv", as_="org").status_code == 400
    assert api("GET", "/api/banks/4242/export?format=json", as_="org").status_code == 404
    empty = api("GET", f"/api/banks/{bank_id}/export?format=json", as_="org")
    assert empty.status_code == 200 and json.loads(empty.content) == {"questions": []}


def test_template_download_imports_one_question_of_each_type(api, users, app):
    template = api("GET", "/api/banks/template.xlsx", as_="org")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    bank_id = new_bank(api)
    body = upload(api, bank_id, "模板.xlsx", template.content, dry_run=1).json()
    assert body["errors"] == [] and {q["type"] for q in body["preview"]} == {"single", "multiple", "judge", "fill", "short"}


# --- questions: CRUD, validation, versions, filters -------------------------------------------------


def test_question_crud_and_versions(api, users, app):
    bank_id = new_bank(api)
    created = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json=FIVE[0])
    assert created.status_code == 201, created.text
    q = created.json()
    assert content(q) == FIVE[0] and q["version"] == 1 and q["bank_id"] == bank_id
    assert api("GET", f"/api/questions/{q['id']}", as_="org").json() == q

    edited = api("PUT", f"/api/questions/{q['id']}", as_="org", json={"stem": "改过的题干？", "tags": ["新标签"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["stem"] == "改过的题干？"
    assert edited.json()["options"] == FIVE[0]["options"] and edited.json()["answer"] == ["A"]
    bank = api("GET", f"/api/banks/{bank_id}", as_="org").json()
    assert bank["counts_by_tag"] == {"新标签": 1}
    assert api("GET", f"/api/banks/{bank_id}/questions?tag=党史", as_="org").json()["total"] == 0
    # change the type entirely
    edited = api("PUT", f"/api/questions/{q['id']}", as_="org", json={**FIVE[2], "options": []})
    assert edited.status_code == 200 and edited.json()["type"] == "judge" and edited.json()["version"] == 3
    # an invalid edit changes nothing
    bad = api("PUT", f"/api/questions/{q['id']}", as_="org", json={"type": "single", "answer": ["Z"]})
    assert bad.status_code == 422, bad.text
    assert api("GET", f"/api/questions/{q['id']}", as_="org").json()["version"] == 3

    assert api("DELETE", f"/api/questions/{q['id']}", as_="org").status_code == 200
    assert api("GET", f"/api/questions/{q['id']}", as_="org").status_code == 404
    assert api("PUT", f"/api/questions/{q['id']}", as_="org", json={"stem": "x"}).status_code == 404
    assert api("DELETE", f"/api/questions/{q['id']}", as_="org").status_code == 404
    assert api("GET", f"/api/banks/{bank_id}/questions", as_="org").json()["total"] == 0
    with app.state.db.read() as session:  # kept for records that point at it, hidden
        assert session.get(Question, q["id"]).deleted is True  # type: ignore[union-attr]


@pytest.mark.parametrize("body,field", [
    ({"type": "single", "stem": "x", "options": [{"key": "A", "text": "a"}, {"key": "B", "text": "b"}],
      "answer": ["C"]}, "answer"),
    ({"type": "single", "stem": "", "options": [{"key": "A", "text": "a"}, {"key": "B", "text": "b"}],
      "answer": ["A"]}, "stem"),
    ({"type": "single", "stem": "x", "options": [{"key": "A", "text": "a"}], "answer": ["A"]}, "options"),
    ({"type": "fill", "stem": "（）和（）", "answer": [["a"]]}, "answer"),
    ({"type": "judge", "stem": "x", "answer": ["maybe"]}, "answer"),
    ({"type": "论文", "stem": "x", "answer": ["a"]}, "type"),
    ({"type": "single", "stem": "x", "options": [{"key": "A", "text": "a"}, {"key": "B", "text": "b"}],
      "answer": ["A"], "difficulty": 9}, "difficulty"),
])
def test_question_validation_422_with_field_details(api, users, app, body, field):
    bank_id = new_bank(api)
    response = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert field in {d["field"] for d in error["details"]}, error
    assert question_count(app) == 0


@pytest.mark.parametrize("raw", [b"[]", b"\"x\"", b"{bad", b"null", b'{"stem": "\\ud800"}', b'{"difficulty": NaN}',
                                 b'{"points": 1e999}', b"[" * 100000])
def test_question_bodies_that_are_not_objects_are_refused(api, users, app, raw):
    bank_id = new_bank(api)
    response = api("POST", f"/api/banks/{bank_id}/questions", as_="org", content=raw,
                   headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert question_count(app) == 0


def test_filters_and_paging(api, users, app):
    bank_id = new_bank(api)
    upload(api, bank_id, "q.json", json.dumps([*FIVE, *TRICKY]).encode())

    def ids(query: str) -> tuple[int, list[str]]:
        body = api("GET", f"/api/banks/{bank_id}/questions?{query}", as_="org").json()
        return body["total"], [q["stem"][:6] for q in body["items"]]


    assert ids("type=single")[0] == 2
    assert ids("type=fill")[0] == 2
    nonsense = api("GET", f"/api/banks/{bank_id}/questions?type=nonsense", as_="org")
    assert nonsense.status_code == 422 and nonsense.json()["error"]["details"][0]["field"] == "type"
    assert ids("tag=党史")[0] == 2
    assert ids("tag=党史&type=fill") == (1, [FIVE[3]["stem"][:6]])
    assert ids("difficulty=5")[0] == 2
    assert ids("difficulty=4&tag=理论")[0] == 1
    assert ids("q=南湖")[0] == 2  # in the stem of one, the explanation of another
    assert ids("q=%25")[0] == 0  # a literal %, not a wildcard
    assert ids("q=首_")[0] == 0  # _ is not a wildcard either (首都 is in a stem)
    assert ids("q=sum(a1)")[0] == 1  # case does not matter, on SQLite and PostgreSQL alike
    total, first = ids("limit=3&offset=0")
    _, second = ids("limit=3&offset=3")
    _, everything = ids("limit=100")
    assert total == 10 and everything[:6] == first + second and len(everything) == 10
    assert ids("limit=3&offset=9")[1] == everything[9:]
    assert ids("offset=100")[1] == []
    for bad in ("difficulty=abc", "difficulty=9", "limit=x", "offset=-", "difficulty=99999999999999999999"):
        response = api("GET", f"/api/banks/{bank_id}/questions?{bad}", as_="org")
        assert response.status_code in (400, 422), (bad, response.text)
    assert api("GET", f"/api/banks/{bank_id}/questions?offset=99999999999999999999", as_="org").status_code in (200, 400)
    # members get the same filters, without answers
    member = api("GET", f"/api/banks/{bank_id}/questions?type=judge", as_="alice").json()
    assert member["total"] == 2 and all("answer" not in q and "explanation" not in q for q in member["items"])


def test_a_failure_while_writing_rolls_the_whole_import_back(api, users, app, monkeypatch):
    """A failure while writing (after parsing succeeded) leaves nothing behind: one transaction."""
    from question_bank import service

    bank_id = new_bank(api)
    original = service.insert_questions

    def failing(*args: Any, **kwargs: Any) -> list[int]:
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "insert_questions", failing)
    with pytest.raises(RuntimeError, match="disk full"):  # the TestClient re-raises what became a 500
        upload(api, bank_id, "q.json", json.dumps(FIVE).encode())
    assert question_count(app) == 0 and tag_count(app) == 0
    with app.state.db.read() as session:
        assert session.get(Bank, bank_id) is not None
