"""Picture questions for ``quiz demo`` (issue 12): the pictures are drawn here with Pillow (no outside
images, so nothing to license), stored through question_bank.media like any upload, in a bank of
their own so the main demo bank's counts stay as they are."""

from __future__ import annotations

import io
import math
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from question_bank import media
from question_bank.formats import QuestionData
from question_bank.models import Bank
from question_bank.service import insert_questions

BANK_NAME = "看图识史（演示）"
RED, GOLD, INK, PAPER = (200, 16, 46), (255, 222, 0), (40, 40, 40), (250, 246, 238)


def _font(size: int) -> Any:
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def timeline() -> bytes:
    """1921 — 1927 (?) — 1935 — 1949 on a line, wide enough to get a phone copy."""
    image = Image.new("RGB", (1600, 500), PAPER)
    draw = ImageDraw.Draw(image)
    draw.line((120, 260, 1480, 260), fill=INK, width=10)
    for i, label in enumerate(("1921", "1927.8.1", "1935", "1949")):
        x = 200 + i * 400
        draw.ellipse((x - 34, 226, x + 34, 294), fill=RED if i == 1 else INK)
        draw.text((x, 340), label, fill=INK, font=_font(56), anchor="ma")
        if i == 1:
            draw.text((x, 110), "?", fill=RED, font=_font(110), anchor="ma")
    return _png(image)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, turn: float = 0.0) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + turn + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=GOLD)


def flag(variant: str) -> bytes:
    """A 3:2 red flag: ``right`` the five stars as the national flag has them; the others wrong."""
    w, h = 480, 320
    image = Image.new("RGB", (w, h), RED)
    draw = ImageDraw.Draw(image)
    unit = w / 30
    if variant == "right":
        _star(draw, 5 * unit, 5 * unit, 3 * unit)
        for x, y in ((10, 2), (12, 4), (12, 7), (10, 9)):
            turn = math.atan2(5 - y, 5 - x) - math.pi / 2 + math.pi
            _star(draw, x * unit, y * unit, unit, turn)
    elif variant == "one":
        _star(draw, 5 * unit, 5 * unit, 3 * unit)
    elif variant == "row":
        for i in range(5):
            _star(draw, (4 + i * 5.5) * unit, 10 * unit, 1.6 * unit)
    else:  # the big star at the fly
        _star(draw, 25 * unit, 5 * unit, 3 * unit)
        for x, y in ((20, 2), (18, 4), (18, 7), (20, 9)):
            _star(draw, x * unit, y * unit, unit)
    return _png(image)


def route() -> bytes:
    """Three points joined by a path, the last one a star: a sketch of a march's route."""
    image = Image.new("RGB", (900, 600), PAPER)
    draw = ImageDraw.Draw(image)
    stops = [(160, 500), (380, 380), (560, 430), (700, 140)]
    draw.line(stops, fill=RED, width=8, joint="curve")
    for x, y in stops[:-1]:
        draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=INK)
    _star(draw, *stops[-1], 40)
    draw.text((160, 540), "1934.10", fill=INK, font=_font(36), anchor="ma")
    draw.text((700, 200), "1935.10", fill=INK, font=_font(36), anchor="ma")
    return _png(image)


def _ref(session: Any, data: bytes, alt: str, now_ms: int) -> dict[str, Any]:
    checked = media.check(data, "demo.png", media.max_bytes())
    return media.media_ref(session, media.store(session, checked, now_ms, data), alt)


def questions(session: Any, now_ms: int) -> list[QuestionData]:
    """The demo's picture questions, their pictures stored."""
    flags = {v: _ref(session, flag(v), f"旗帜图案{n}", now_ms)
             for n, v in enumerate(("one", "right", "row", "fly"), start=1)}
    return [
        QuestionData(type="single", stem="看图识史：时间轴上标“？”的1927年8月1日发生了什么？",
                     media=[_ref(session, timeline(), "一条时间轴：1921、1927.8.1（问号）、1935、1949", now_ms)],
                     options=[{"key": "A", "text": "南昌起义"}, {"key": "B", "text": "秋收起义"},
                              {"key": "C", "text": "遵义会议"}, {"key": "D", "text": "井冈山会师"}],
                     answer=["A"], explanation="1927年8月1日南昌起义，打响了武装反抗国民党反动派的第一枪。",
                     tags=["党史", "看图"], difficulty=2),
        QuestionData(type="single", stem="下列哪一幅是中华人民共和国国旗（五星红旗）的图案？",
                     options=[{"key": k, "text": "", "media": flags[v]}
                              for k, v in zip("ABCD", ("one", "right", "row", "fly"), strict=True)],
                     answer=["B"], explanation="国旗左上方缀黄色五角星五颗：一星较大，四星较小，环拱于大星之右。",
                     tags=["国旗", "看图"], difficulty=1),
        QuestionData(type="judge", stem="图中路线自1934年10月出发、1935年10月到达终点，表示的是中央红军长征。",
                     media=[_ref(session, route(), "一条从左下到右上的红色路线，终点是一颗星", now_ms)],
                     answer=[True], explanation="中央红军1934年10月从瑞金等地出发长征，1935年10月到达陕北吴起镇。",
                     tags=["党史", "看图"], difficulty=2),
    ]


def seed(session: Any, now_ms: int) -> int:
    """Add the picture bank (once); returns how many questions it holds."""
    from sqlmodel import select

    if session.exec(select(Bank).where(Bank.name == BANK_NAME)).first() is not None:
        return 0
    bank = Bank(name=BANK_NAME, description="图片题示例：图片由程序绘制（question_bank.media 存储）", created_ms=now_ms)
    session.add(bank)
    session.flush()
    items = questions(session, now_ms)
    insert_questions(session, bank.id or 0, items, now_ms)
    return len(items)
