"""Importing questions with media (xlsx pictures in cells, a zip of a question file and media files)
and exporting them again (format=zip) to the same questions with the same media."""

from __future__ import annotations

import io
import json
import zipfile

from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlImage

from tests.media.helpers import jpeg, mp3, png


def new_bank(api, name: str = "图片题库") -> int:
    return api("POST", "/api/banks", as_="org", json={"name": name}).json()["id"]


def import_file(api, bank_id: int, name: str, data: bytes):
    return api("POST", f"/api/banks/{bank_id}/import", as_="org", files={"file": (name, data, "application/octet-stream")})


def questions(api, bank_id: int) -> list[dict]:
    return api("GET", f"/api/banks/{bank_id}/questions", as_="org").json()["items"]


def make_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def sheet_bytes(rows: list[list[str]], pictures: list[tuple[bytes, str]] = ()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for data, cell in pictures:
        sheet.add_image(XlImage(io.BytesIO(data)), cell)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "答案"]


def test_xlsx_with_pictures_in_stem_and_option_cells(api):
    bank_id = new_bank(api)
    data = sheet_bytes(
        [HEADER, ["单选", "图中是哪处旧址？", "上海", "嘉兴", "遵义", "A"],
         ["单选", "哪一张是南湖红船？", "", "", "文字选项", "B"],
         ["判断", "没有图片的题。", "", "", "", "正确"]],
        [(png(50, 40, "red"), "B2"), (png(30, 30, "green"), "C3"), (png(30, 30, "blue"), "D3")])
    response = import_file(api, bank_id, "带图.xlsx", data)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 3
    first, second, third = questions(api, bank_id)
    assert first["media"][0]["kind"] == "image" and (first["media"][0]["width"], first["media"][0]["height"]) == (50, 40)
    assert "media" not in second
    assert [o["text"] for o in second["options"]] == ["", "", "文字选项"]
    assert second["options"][0]["media"]["url"] != second["options"][1]["media"]["url"]
    assert "media" not in second["options"][2]
    assert "media" not in third


def test_zip_with_images_audio_and_a_missing_file(api):
    bank_id = new_bank(api)
    rows = [["题型", "题干", "图片", "选项A", "选项A图片", "选项B", "答案"],
            ["单选", "听音辨曲：这是哪首歌？", "song.mp3", "东方红", "", "国际歌", "A"],
            ["单选", "图中是哪处旧址？", "pics/site.jpg", "", "flag.png", "井冈山", "A"],
            ["判断", "这张照片摄于延安。", "missing.png", "", "", "", "正确"]]
    files = {"题库.xlsx": sheet_bytes(rows), "song.mp3": mp3(), "pics/site.jpg": jpeg(), "flag.png": png()}
    refused = import_file(api, bank_id, "题库.zip", make_zip(files))
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(4, "图片")] and "missing.png" in errors[0]["message"]
    assert questions(api, bank_id) == []  # nothing written
    rows[3][2] = "site.jpg"  # by bare name
    response = import_file(api, bank_id, "题库.zip", make_zip({**files, "题库.xlsx": sheet_bytes(rows)}))
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 3
    song, site, photo = questions(api, bank_id)
    assert song["media"][0]["kind"] == "audio" and song["media"][0]["url"].endswith(".mp3")
    assert site["media"][0]["kind"] == "image" and site["options"][0]["media"]["kind"] == "image"
    assert site["options"][0]["text"] == ""
    assert photo["media"][0]["url"] == site["media"][0]["url"]  # the same bytes: one file


def test_json_in_zip_and_a_broken_file_is_a_row_error(api):
    bank_id = new_bank(api)
    items = [{"type": "single", "stem": "哪一张是天安门？", "answer": ["B"],
              "options": [{"key": "A", "text": "", "media": {"file": "a.png"}},
                          {"key": "B", "text": "", "media": {"file": "b.png", "alt": "城楼"}}]},
             {"type": "judge", "stem": "图为遵义会议会址。", "answer": [True], "media": [{"file": "bad.jpg"}]}]
    files = {"q.json": json.dumps(items, ensure_ascii=False).encode(), "a.png": png(color="red"),
             "b.png": png(color="white"), "bad.jpg": jpeg()[:200]}
    refused = import_file(api, bank_id, "bank.zip", make_zip(files))
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "图片")]
    files["bad.jpg"] = jpeg()
    response = import_file(api, bank_id, "bank.zip", make_zip(files))
    assert response.status_code == 200, response.text
    first = questions(api, bank_id)[0]
    assert first["options"][1]["media"]["alt"] == "城楼"


def test_export_zip_imports_again_to_the_same_questions_and_media(api):
    bank_id = new_bank(api)
    items = [{"type": "single", "stem": "图中是哪处旧址？", "answer": ["A"], "media": [{"file": "site.jpg", "alt": "小楼"}],
              "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "", "media": {"file": "b.png", "alt": "红旗"}}]},
             {"type": "judge", "stem": "听：这是《东方红》。", "answer": [True], "media": [{"file": "s.mp3"}]}]
    files = {"q.json": json.dumps(items, ensure_ascii=False).encode(), "site.jpg": jpeg(1200, 800, "navy"),
             "b.png": png(), "s.mp3": mp3()}
    assert import_file(api, bank_id, "bank.zip", make_zip(files)).status_code == 200
    exported = api("GET", f"/api/banks/{bank_id}/export?format=zip", as_="org")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    again = new_bank(api, "再导入")
    response = import_file(api, again, "export.zip", exported.content)
    assert response.status_code == 200, response.text

    def shape(q: dict) -> dict:
        return {k: v for k, v in q.items() if k not in ("id", "bank_id")}

    assert [shape(q) for q in questions(api, again)] == [shape(q) for q in questions(api, bank_id)]


def test_export_xlsx_carries_pictures_in_their_cells_and_imports_again(api):
    bank_id = new_bank(api)
    items = [{"type": "single", "stem": "图中是哪处旧址？", "answer": ["A"], "media": [{"file": "site.jpg", "alt": "一座两层小楼；门前有树"}],
              "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "", "media": {"file": "b.png", "alt": "白旗"}}]},
             {"type": "single", "stem": "两张图中哪张更早？", "answer": ["A"],
              "media": [{"file": "site.jpg", "alt": "会址；1921"}, {"file": "b.png", "alt": ""}, {"file": "c.png", "alt": "船"}],
              "options": [{"key": "A", "text": "第一张"}, {"key": "B", "text": "第三张"}]},
             {"type": "judge", "stem": "没有图片。", "answer": [False]}]
    files = {"q.json": json.dumps(items, ensure_ascii=False).encode(), "site.jpg": jpeg(1200, 800, "navy"),
             "b.png": png(color="white"), "c.png": png(color="green")}
    assert import_file(api, bank_id, "bank.zip", make_zip(files)).status_code == 200
    exported = api("GET", f"/api/banks/{bank_id}/export?format=xlsx", as_="org")
    assert exported.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exported.content))["题库"]
    header = [c.value for c in sheet[1]]
    assert header[-3:] == ["图片", "图片说明", "选项B图片说明"] and len(sheet._images) == 5
    assert sheet.cell(2, len(header) - 1).value == "一座两层小楼；门前有树"  # one picture: the whole text
    assert sheet.cell(3, len(header) - 1).value == "会址；1921\n\n船"  # several: one a line
    # Each picture also carries its alt text as Excel's 替换文字 (the drawing's description).
    descriptions = sorted(image.anchor.pic.nvPicPr.cNvPr.descr or "" for image in sheet._images)
    assert descriptions == sorted(["", "会址；1921", "一座两层小楼；门前有树", "白旗", "船"])
    again = new_bank(api, "再导入")
    response = import_file(api, again, "export.xlsx", exported.content)
    assert response.status_code == 200, response.text

    def shape(q: dict) -> dict:
        return {k: v for k, v in q.items() if k not in ("id", "bank_id")}

    assert [shape(q) for q in questions(api, again)] == [shape(q) for q in questions(api, bank_id)]


def test_export_json_names_media_by_url_and_imports_again_on_this_server(api):
    bank_id = new_bank(api)
    items = [{"type": "single", "stem": "图中是哪处旧址？", "answer": ["A"], "media": [{"file": "s.jpg", "alt": "会址"}],
              "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "", "media": {"file": "b.png"}}]}]
    files = {"q.json": json.dumps(items, ensure_ascii=False).encode(), "s.jpg": jpeg(), "b.png": png()}
    assert import_file(api, bank_id, "bank.zip", make_zip(files)).status_code == 200
    exported = api("GET", f"/api/banks/{bank_id}/export?format=json", as_="org").content
    again = new_bank(api, "再导入")
    assert import_file(api, again, "bank.json", exported).status_code == 200
    (first,), (second,) = questions(api, bank_id), questions(api, again)
    assert second["media"] == first["media"] and second["options"] == first["options"]
    # A url this server does not hold is a row error, nothing written.
    missing = json.dumps([{"type": "judge", "stem": "图为会址。", "answer": [True],
                           "media": [{"url": "/media/" + "e" * 32 + ".png"}]}]).encode()
    third = new_bank(api, "缺图")
    response = import_file(api, third, "bank.json", missing)
    assert response.status_code == 422 and questions(api, third) == []
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "图片")]
    dry = api("POST", f"/api/banks/{third}/import?dry_run=1", as_="org",
              files={"file": ("bank.json", missing, "application/json")})
    assert dry.status_code == 422 and dry.json()["errors"][0]["field"] == "图片"
