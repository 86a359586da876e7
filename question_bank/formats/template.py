"""The Excel template organisers download: the canonical headers (with the 图片 and 图片说明 columns,
left empty), one example row per type, and a second sheet explaining how to fill it in. Importing it
unchanged gives five questions.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from question_bank.formats.common import QuestionData
from question_bank.formats.export import MIN_OPTION_COLUMNS, SHEET_NAME, question_row, write_sheet

EXAMPLES = [
    QuestionData(type="single", stem="中国共产党第一次全国代表大会在哪里召开？",
                 options=[{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"},
                          {"key": "C", "text": "南昌"}, {"key": "D", "text": "延安"}],
                 answer=["A"], explanation="1921年7月在上海召开，最后一天转至嘉兴南湖。",
                 tags=["党史", "建党"], difficulty=2, points=2.0),
    QuestionData(type="multiple", stem="“四个意识”包括（ ）。",
                 options=[{"key": "A", "text": "政治意识"}, {"key": "B", "text": "大局意识"},
                          {"key": "C", "text": "核心意识"}, {"key": "D", "text": "看齐意识"}],
                 answer=["A", "B", "C", "D"], explanation="增强政治意识、大局意识、核心意识、看齐意识。",
                 tags=["党的建设"], difficulty=3, points=3.0),
    QuestionData(type="judge", stem="中国共产党的根本宗旨是全心全意为人民服务。", answer=[True],
                 explanation="", tags=["党章"], difficulty=1, points=1.0),
    QuestionData(type="fill", stem="中国共产党第一次全国代表大会于（ ）年召开，会议最后一天转至（ ）南湖举行。",
                 answer=[["1921"], ["嘉兴", "浙江嘉兴"]], explanation="多个空的答案用；隔开，同一空的多个正确答案用|隔开。",
                 tags=["党史"], difficulty=2, points=2.0),
    QuestionData(type="short", stem="请简述“两个确立”的内容。",
                 answer=["确立习近平同志党中央的核心、全党的核心地位，确立习近平新时代中国特色社会主义思想的指导地位。"],
                 explanation="简答题的答案填写参考答案，由阅卷人或按关键词评分。", tags=["理论学习"], difficulty=4,
                 points=10.0),
]

INSTRUCTIONS = [
    ("列", "填写说明"),
    ("题型", "单选、多选、判断、填空、简答（也可写 单选题、多项选择题、是非题 等）；留空时按答案推断。"),
    ("题干", "必填。填空题用（ ）、()、____ 或【】标出每个空。"),
    ("选项A–选项H", "选择题至少 2 个、最多 8 个选项，从选项A起连续填写；判断、填空、简答题不填。"),
    ("答案", "单选填一个字母，如 A；多选填 ABD（也可写 A,B,D 或 A、B、D）；判断填 正确/错误（或 对/错、√/×、T/F）；"
             "填空题多个空用；隔开，同一空的多个可接受答案用|隔开；简答题填参考答案。"),
    ("解析", "选填。"),
    ("难度", "1–5，或 易/较易/中/较难/难；留空为 3。"),
    ("标签", "选填，多个标签用、隔开，如 党史、建党。"),
    ("分值", "选填，该题的默认分值。"),
    ("图片", "选填。题干的图片：把图片插入本行的“题干”或“图片”格；或把本文件和图片、音频、视频一起打成 .zip，"
             "在这一格写文件名（多个用;隔开）。选项的图片：插入该选项的格子，或加“选项A图片”等列写文件名，选项可只有图片。"
             "支持 PNG、JPEG、GIF、WebP、MP3、M4A、OGG、MP4、WebM，每个文件最大 10 MB。"),
    ("图片说明", "选填，每段最多 500 字。说明图片画的是什么（如“遵义会议会址，一座两层楼房”），供读屏软件朗读、图片加载不出时显示；"
                 "不要写出答案。题干有一个图片时整格就是它的说明；有几个图片（或音频、视频）时，每行写一个（Alt+Enter 换行）"
                 "或用;隔开，顺序与图片相同，某个不写就留空（如“;第二张的说明”）。选项的图片说明：加“选项A图片说明”等列。"
                 "插入 Excel 的图片也可以在图片上右键“编辑替换文字”写说明，表格里写了的以表格为准。"),
    ("其他", "第一行为表头；可以删除示例行；名为“题库”的工作表优先读取，否则读取第一个工作表。"),
]


def template_xlsx() -> bytes:
    """An .xlsx workbook: sheet 题库 with the headers and five examples, sheet 填写说明 with the rules."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    write_sheet(sheet, [[*question_row(q, MIN_OPTION_COLUMNS), "", ""] for q in EXAMPLES], MIN_OPTION_COLUMNS,
                picture_column=True, alt_columns=["图片说明"])
    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 100
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for index, (column, text) in enumerate(INSTRUCTIONS):
        cells = [WriteOnlyCell(notes, value=column), WriteOnlyCell(notes, value=text)]
        for cell in cells:
            cell.alignment = wrap
            if index == 0:
                cell.font = bold
        notes.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
