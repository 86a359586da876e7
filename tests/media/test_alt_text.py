"""A picture's alt text (说明文字, CONTRACT §3's ``alt``) through the spreadsheet formats: the 图片说明 and
选项A图片说明 … columns of an xlsx or csv (alone or in a zip), a placed picture's own description (Excel's
替换文字), the template, and the row errors for alt texts that cannot be right."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from openpyxl import load_workbook

from tests.media.helpers import mp3, png
from tests.media.test_import_export import import_file, make_zip, new_bank, questions, sheet_bytes


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def with_descriptions(data: bytes, descriptions: list[str]) -> bytes:
    """The workbook with its pictures' descriptions set, in drawing order, as Excel writes them
    (openpyxl itself writes ``descr="Picture"`` for every picture)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/drawings/drawing"):
                text = content.decode()
                for description in descriptions:
                    escaped = description.replace("&", "&amp;").replace('"', "&quot;").replace("\n", "&#10;")
                    text = text.replace('descr="Picture"', f'descr="{escaped}"', 1)
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def alts(question: dict) -> tuple[list[str], dict[str, str]]:
    return ([m["alt"] for m in question.get("media", [])],
            {o["key"]: o["media"]["alt"] for o in question["options"] if "media" in o})


def test_xlsx_alt_columns_for_the_stem_and_each_option(api):
    bank_id = new_bank(api)
    header = ["题型", "题干", "选项A", "选项B", "选项C", "答案", "图片说明", "选项B图片说明"]
    data = sheet_bytes(
        [header,
         ["单选", "图中是哪处旧址？", "上海", "嘉兴", "遵义", "B", "南湖上的一艘游船；船头朝东", ""],
         ["单选", "哪一面是党旗？", "", "", "都不是", "B", "", "红底，左上角为金黄色镰刀锤头"],
         ["判断", "没有图片的题。", "", "", "", "正确", "", ""]],
        [(png(50, 40, "red"), "B2"), (png(30, 30, "green"), "C3"), (png(30, 30, "red"), "D3")])
    response = import_file(api, bank_id, "带说明.xlsx", data)
    assert response.status_code == 200, response.text
    first, second, third = questions(api, bank_id)
    assert alts(first) == (["南湖上的一艘游船；船头朝东"], {})  # one picture: the whole cell, ； and all
    assert alts(second) == ([], {"A": "", "B": "红底，左上角为金黄色镰刀锤头"})  # openpyxl's "Picture" is no alt
    assert "media" not in third


def test_csv_in_a_zip_several_media_take_one_alt_each_in_order(api):
    bank_id = new_bank(api)
    rows = [["题型", "题干", "图片", "图片说明", "选项A", "选项A图片", "选项A图片说明", "选项B", "答案"],
            ["单选", "先听后看：这首歌唱的是哪里？", "song.mp3;map.png", "《东方红》片段；陕北地图", "延安", "", "", "上海", "A"],
            ["单选", "三张图依次是？", "a.png;b.png;map.png", "第一张\n\n第三张；有分号", "甲", "a.png", "一面红旗",
             "乙", "A"]]
    files = {"题库.csv": csv_bytes(rows), "song.mp3": mp3(), "map.png": png(color="navy"), "a.png": png(color="red"),
             "b.png": png(color="white")}
    response = import_file(api, bank_id, "题库.zip", make_zip(files))
    assert response.status_code == 200, response.text
    first, second = questions(api, bank_id)
    assert alts(first) == (["《东方红》片段", "陕北地图"], {})
    assert [m["kind"] for m in first["media"]] == ["audio", "image"]
    assert alts(second) == (["第一张", "", "第三张；有分号"], {"A": "一面红旗"})  # a line each when there are lines


def test_a_placed_pictures_description_is_its_alt_unless_a_program_made_it_up(api):
    bank_id = new_bank(api)
    header = ["题型", "题干", "选项A", "选项B", "选项C", "答案", "图片说明"]
    data = sheet_bytes(
        [header,
         ["单选", "图中是哪处旧址？", "上海", "嘉兴", "遵义", "C", ""],
         ["单选", "哪一张是会址？", "", "", "", "A", ""],
         ["判断", "图为延安宝塔山。", "", "", "", "正确", "宝塔山（表格里写的说明优先）"]],
        [(png(50, 40, "red"), "B2"), (png(30, 30, "green"), "C3"), (png(30, 31, "blue"), "D3"),
         (png(30, 32, "gray"), "E3"), (png(30, 33, "white"), "B4")])
    data = with_descriptions(data, ["遵义会议会址，一座两层砖木结构楼房", "IMG_0012.JPG",
                                    "图片包含 建筑物, 户外\n\n描述已自动生成", "图片 3", "Excel 里写的替换文字"])
    response = import_file(api, bank_id, "替换文字.xlsx", data)
    assert response.status_code == 200, response.text
    first, second, third = questions(api, bank_id)
    assert alts(first) == (["遵义会议会址，一座两层砖木结构楼房"], {})
    assert alts(second) == ([], {"A": "", "B": "", "C": ""})
    assert alts(third) == (["宝塔山（表格里写的说明优先）"], {})


def test_alt_texts_that_cannot_be_right_are_row_errors_and_nothing_is_written(api):
    bank_id = new_bank(api)
    rows = [["题型", "题干", "图片", "图片说明", "选项A", "选项A图片", "选项A图片说明", "选项B", "答案"],
            ["判断", "没有图片却写了说明。", "", "一张照片", "", "", "", "", "正确"],
            ["判断", "两个图片三段说明。", "a.png;b.png", "一；二；三", "", "", "", "", "正确"],
            ["单选", "选项没有图片却写了说明。", "", "", "甲", "", "红旗", "乙", "A"],
            ["判断", "说明过长。", "a.png", "长" * 501, "", "", "", "", "正确"],
            ["判断", "说明里有控制字符。", "a.png", "响\x07铃", "", "", "", "", "正确"],
            ["单选", "选项说明过长。", "", "", "甲", "a.png", "长" * 501, "乙", "A"],
            ["判断", "这一行没有问题。", "a.png", "红旗", "", "", "", "", "正确"]]
    files = {"题库.csv": csv_bytes(rows), "a.png": png(), "b.png": png(color="white")}
    response = import_file(api, bank_id, "题库.zip", make_zip(files))
    assert response.status_code == 422
    errors = [(e["row"], e["field"]) for e in response.json()["errors"]]
    assert errors == [(2, "图片说明"), (3, "图片说明"), (4, "选项A图片说明"), (5, "图片说明"), (6, "图片说明"),
                      (7, "选项A图片说明")]
    messages = [e["message"] for e in response.json()["errors"]]
    assert "没有图片" in messages[0] and "3 段" in messages[1] and "2 个" in messages[1]
    assert "最多 500 字" in messages[3] and "控制字符" in messages[4]
    assert questions(api, bank_id) == []
    # The same rules in a JSON file and in the question editor (which reads a question the JSON way).
    items = [{"type": "judge", "stem": "图为会址。", "answer": [True], "media": [{"file": "a.png", "alt": "响\x07铃"}]}]
    refused = import_file(api, bank_id, "q.zip", make_zip({"q.json": json.dumps(items).encode(), "a.png": png()}))
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["media"]
    url = api("POST", "/api/media", as_="org", files={"file": ("a.png", png(), "image/png")}).json()["url"]
    edited = api("POST", f"/api/banks/{bank_id}/questions", as_="org",
                 json={**items[0], "media": [{"url": url, "alt": "长" * 501}]})
    assert edited.status_code == 422 and edited.json()["error"]["details"][0]["field"] == "media"


def test_files_without_the_alt_columns_import_as_before(api):
    bank_id = new_bank(api)
    rows = [["题型", "题干", "图片", "选项A", "选项A图片", "选项B", "答案"],
            ["单选", "图中是哪处旧址？", "a.png;b.png", "", "a.png", "井冈山", "A"]]
    response = import_file(api, bank_id, "题库.zip", make_zip({"题库.csv": csv_bytes(rows), "a.png": png(),
                                                               "b.png": png(color="white")}))
    assert response.status_code == 200, response.text
    assert alts(questions(api, bank_id)[0]) == (["", ""], {"A": ""})


def test_the_template_shows_the_picture_and_alt_columns_and_still_imports(api):
    template = api("GET", "/api/banks/template.xlsx", as_="org").content
    workbook = load_workbook(io.BytesIO(template))
    header = [c.value for c in workbook["题库"][1]]
    assert header[-2:] == ["图片", "图片说明"]
    notes = {row[0]: row[1] for row in workbook["填写说明"].iter_rows(values_only=True)}
    assert "图片说明" in notes and "选项A图片说明" in notes["图片说明"] and "替换文字" in notes["图片说明"]
    bank_id = new_bank(api)
    assert import_file(api, bank_id, "模板.xlsx", template).json()["imported"] == 5
