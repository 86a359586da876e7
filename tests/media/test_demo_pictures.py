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
    from question_bank.grading import grade
    from quiz.demo import DEMO_BANK

    questions = json.loads(DEMO_BANK.read_text(encoding="utf-8"))["questions"]
    assert questions[13]["tags"] == ["党章"] and "党章第四十五条" in questions[13]["explanation"]
    assert "2024年修订的《纪律处分条例》第十条" in questions[17]["explanation"]
    assert "提拔职务" in questions[17]["stem"]  # the 2024 word; the 2018 条例 said 提升职务
    assert ("不得在党内提拔职务或者进一步使用，也不得向党外组织推荐担任高于其原任职务的党外职务或者进一步使用"
            in questions[17]["explanation"])
    assert "党章第五条规定：发展党员，必须把政治标准放在首位，经过党的支部，坚持个别吸收的原则" in questions[45]["explanation"]
    for index, answers in ((52, ["嘉兴市南湖", "嘉兴南湖"]), (53, ["遵义市", "遵义"]), (54, ["三湾改编", "三湾村", "三湾"])):
        for answer in answers:  # each accepted by the grading every mode uses
            assert grade(questions[index], [answer]) is True, (index, answer)
    assert "2024年修订的《纪律处分条例》第五条" in questions[69]["explanation"]
    assert "深化运用" in questions[69]["explanation"]
    reference = questions[69]["answer"][0]
    assert "及时进行谈话提醒、批评教育、责令检查、诫勉" in reference
    assert reference.endswith("严重违纪涉嫌犯罪追究刑事责任的成为极少数。")
    superseded = ("2018", "提升职务和", "党组织的特别注意", "一般违纪")
    for index in (17, 45, 69):
        assert not any(text in questions[index]["explanation"] for text in superseded), index
