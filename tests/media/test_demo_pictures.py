"""``quiz demo``'s picture questions: drawn pictures stored as media, served, and on the right questions;
and the demo bank's corrected texts (issue 12)."""

from __future__ import annotations

import json

from sqlmodel import select

from question_bank.models import Bank, Question


def test_demo_seeds_a_picture_bank(app, client) -> None:
    from quiz import demo

    text = demo.seed(app.state.db, "http://testserver")
    assert "3 道图片题" in text
    with app.state.db.read() as session:
        bank = session.exec(select(Bank).where(Bank.name == "看图识史（演示）")).one()
        rows = session.exec(select(Question).where(Question.bank_id == bank.id).order_by(Question.id)).all()
    timeline, flags, route = rows
    assert timeline.media[0]["width"] == 1600 and timeline.media[0]["variants"][0]["width"] == 720
    urls = [o["media"]["url"] for o in flags.options]
    assert len(set(urls)) == 4 and all(o["text"] == "" for o in flags.options)
    for url in [timeline.media[0]["url"], route.media[0]["url"], *urls]:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"


def test_demo_bank_corrections() -> None:
    from quiz.demo import DEMO_BANK

    questions = json.loads(DEMO_BANK.read_text(encoding="utf-8"))["questions"]
    assert questions[13]["tags"] == ["党章"] and "第四十五条" in questions[13]["explanation"]
    assert "不得在党内提拔职务或者进一步使用" in questions[17]["explanation"]
    assert "必须把政治标准放在首位" in questions[45]["explanation"]
    assert "嘉兴市南湖" in questions[52]["answer"][0]
    assert "遵义市" in questions[53]["answer"][0]
    assert {"三湾改编", "三湾村"} <= set(questions[54]["answer"][0])
    assert "严重违纪涉嫌犯罪追究刑事责任的成为极少数" in questions[69]["answer"][0]
