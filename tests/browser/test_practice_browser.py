"""The practice page and the bank import in a real browser, on a phone-sized screen."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, SAMPLE_QUESTIONS, wait_until

pytestmark = pytest.mark.browser


def test_member_practises_three_questions_on_a_phone(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("alice", "member", unit="市财政局", name="张丽")
    bank_id = live_server.seed_bank()
    page = new_page(PHONE)
    practice_payloads: list[Any] = []

    def keep(response: Any) -> None:
        # Everything the practice API sent before an answer must be free of answers.
        if "/api/practice" in response.url and response.request.method in ("POST", "GET") \
                and "/answers" not in response.url:
            practice_payloads.append(response.json())

    page.on("response", keep)
    page.goto(live_server.url + "/")
    shot(page, "01-entry")
    page.fill("#username", "alice")
    page.fill("#password", "wrong-password")
    page.click("#login-button")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "账号或密码错误" in page.inner_text("#login-error")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/practice")

    page.wait_for_selector(f"#bank option[value='{bank_id}']", state="attached")
    page.wait_for_selector("#tags .chip[data-tag='党史']")
    assert "党史" in page.inner_text("#tags")
    shot(page, "02-setup")
    page.click("#start")
    page.wait_for_selector("#quiz-view:not([hidden]) .option")

    expected = SAMPLE_QUESTIONS[:3]  # sequential: single, judge, multiple
    for index, question in enumerate(expected):
        wait_until(page, "(stem) => document.querySelector('#question .stem')?.textContent.includes(stem)",
                   arg=question["stem"])
        html = page.content()
        assert question["explanation"] not in html, "the explanation was in the page before answering"
        assert "is-right" not in html
        assert page.locator("#feedback").is_hidden()
        # Pick: right for the single and the judge, wrong for the multiple.
        if question["type"] == "single":
            page.click("#question .option[data-key='A']")
        elif question["type"] == "judge":
            page.click("#question .option[data-value='true']")
        else:
            page.click("#question .option[data-key='A']")
            page.click("#question .option[data-key='D']")
        box = page.locator("#question .option").first.bounding_box()
        assert box and box["height"] >= 48, "option buttons must be at least 48 px high"
        shot(page, f"03-question-{index + 1}")
        page.click("#submit")
        page.wait_for_selector("#feedback:not([hidden])")
        feedback = page.inner_text("#feedback")
        assert ("答错了" if question["type"] == "multiple" else "答对了") in feedback
        assert "解析" in feedback and question["explanation"] in feedback
        assert page.locator("#question .option.is-right").count() == len(question["answer"])
        if question["type"] == "multiple":
            assert page.locator("#question .option.is-wrong").count() == 1
            assert page.locator("#question .option.is-missed").count() == 2
        page.wait_for_timeout(400)  # let the smooth scroll to the feedback settle
        shot(page, f"04-feedback-{index + 1}-screen", full_page=False)
        shot(page, f"04-feedback-{index + 1}")
        page.click("#next")

    assert practice_payloads, "the practice API was not called"
    for payload in practice_payloads:
        text = json.dumps(payload, ensure_ascii=False)
        assert '"answer"' not in text and '"explanation"' not in text
    assert "第 4 / 5 题" in page.inner_text("#progress-text")

    # End the practice; the unfinished set is offered again; then the wrong book and the stats.
    page.click("#quit")
    page.wait_for_selector("#resume-card:not([hidden])")
    assert "已答 3 / 5 题" in page.inner_text("#resume-card")
    page.click("#tab-wrong")
    page.wait_for_selector("#wb-practice")
    assert "四个意识" in page.inner_text("#wrong-book")
    shot(page, "05-wrong-book")
    page.click("#tab-stats")
    page.wait_for_selector("#stats .rate-row")
    assert "党章" in page.inner_text("#stats")
    shot(page, "06-stats")

    # Practise the wrong book: the one wrong question, answered right this time; then the summary.
    page.click("#tab-wrong")
    page.click("#wb-practice")
    page.wait_for_selector("#quiz-view:not([hidden]) .option")
    assert "四个意识" in page.inner_text("#question")
    for key in "ABC":
        page.click(f"#question .option[data-key='{key}']")
    page.click("#submit")
    page.wait_for_selector("#feedback:not([hidden])")
    assert "答对了" in page.inner_text("#feedback")
    page.click("#next")
    page.wait_for_selector("#summary-view:not([hidden])")
    assert "100%" in page.inner_text("#summary-view")
    shot(page, "07-summary")


def test_fill_and_short_questions(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("carol", "member")
    live_server.seed_bank(questions=[q for q in SAMPLE_QUESTIONS if q["type"] in ("fill", "short")])
    page = new_page(PHONE)
    live_server.login(page.context, "carol")
    page.goto(live_server.url + "/practice")
    page.click("#start:not([disabled])")
    page.wait_for_selector("#question .blank-input")
    assert page.locator("#submit").is_disabled()
    page.fill("#question .blank-input", "嘉兴南湖")
    page.click("#submit")
    page.wait_for_selector("#feedback:not([hidden])")
    assert "答对了" in page.inner_text("#feedback") and "南湖 或 嘉兴南湖" in page.inner_text("#feedback")
    page.click("#next")
    page.wait_for_selector("#short-answer")
    assert "坚持真理" not in page.content()
    page.fill("#short-answer", "坚持真理、坚守理想。")
    page.click("#submit")
    page.wait_for_selector("#feedback:not([hidden])")
    assert "参考答案" in page.inner_text("#feedback") and "坚持真理" in page.inner_text("#feedback")
    page.wait_for_timeout(400)
    shot(page, "short-feedback", full_page=False)
    page.click("#next")
    page.wait_for_selector("#summary-view:not([hidden])")
    assert "简答 1 题不计入正确率" in page.inner_text("#summary-view")


def test_anonymous_practice_goes_to_login_and_back(live_server: Any, new_page: Any) -> None:
    live_server.add_user("bob", "member")
    live_server.seed_bank()
    page = new_page(PHONE)
    page.goto(live_server.url + "/practice")
    page.wait_for_url("**/?next=/practice")
    page.fill("#username", "bob")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/practice")
    page.wait_for_selector("#start:not([disabled])")


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_organizer_imports_an_xlsx_after_a_dry_run(live_server: Any, new_page: Any, shot: Any, tmp_path: Any,
                                                   viewport: dict[str, int]) -> None:
    live_server.add_user("org", "organizer")
    bank_id = live_server.seed_bank("纪律条例题库", questions=[])
    bad = tmp_path / "有错误的题库.xlsx"
    bad.write_bytes(_xlsx([HEADER,
                           ["单选", "党的最高领导机关是？", "党的全国代表大会和它所产生的中央委员会", "国务院", "", "", "A",
                            "见党章第十条。", 2, "党章"],
                           ["单选", "缺少选项的题", "甲", "乙", "", "", "E", "", 3, "党章"]]))
    good = tmp_path / "纪律条例.xlsx"
    good.write_bytes(_xlsx([HEADER,
                            ["单选", "党的最高领导机关是？", "党的全国代表大会和它所产生的中央委员会", "国务院", "", "", "A",
                             "见党章第十条。", 2, "党章"],
                            ["判断", "党员可以不参加党的组织生活。", "", "", "", "", "错误", "党员必须参加组织生活。", 1, "纪律"],
                            ["多选", "党的纪律包括哪些？", "政治纪律", "组织纪律", "廉洁纪律", "财经纪律", "ABC",
                             "六项纪律：政治、组织、廉洁、群众、工作、生活纪律。", 3, "纪律"]]))
    page = new_page(viewport)
    live_server.login(page.context, "org")
    page.goto(live_server.url + "/admin")
    page.wait_for_selector(f"a.bank-row[href='/admin/banks/{bank_id}']")
    assert "纪律条例题库" in page.inner_text("#banks")
    shot(page, "01-banks")
    page.click(f"a.bank-row[href='/admin/banks/{bank_id}']")
    page.wait_for_url(f"**/admin/banks/{bank_id}")
    assert page.inner_text("#bank-total") == "0"

    page.set_input_files("#import-file", str(bad))
    page.click("#check-file")
    page.wait_for_selector("#import-report .report-box.bad")
    report = page.inner_text("#import-report")
    assert "第 3 行" in report and "未导入" in report
    shot(page, "02-report-errors")

    page.set_input_files("#import-file", str(good))
    page.click("#check-file")
    page.wait_for_selector("#confirm-import")
    report = page.inner_text("#import-report")
    assert "可导入 3 题" in report and "党的纪律包括哪些" in report
    assert page.inner_text("#bank-total") == "0", "a dry run writes nothing"
    shot(page, "03-dry-run")
    page.click("#confirm-import")
    page.wait_for_selector("#import-report .report-box.ok >> text=导入完成")
    wait_until(page, "document.getElementById('bank-total').textContent === '3'")
    page.wait_for_selector("#questions .qitem >> nth=2")
    shot(page, "04-imported")

    # Paste plain text: same check-then-confirm flow.
    page.fill("#import-text", "1. 中国共产党的最高理想和最终目标是什么？\nA、实现共产主义\nB、全面建成小康社会\n【答案】A\n【解析】见党章总纲。")
    page.click("#check-text")
    page.wait_for_selector("#confirm-import")
    assert "可导入 1 题" in page.inner_text("#import-report")
    page.click("#confirm-import")
    wait_until(page, "document.getElementById('bank-total').textContent === '4'")

    # Edit a question; a bad edit shows the field's error next to the form.
    page.click("#questions [data-edit] >> nth=0")
    page.wait_for_selector("#editor-card:not([hidden])")
    page.fill("#e-stem", "")
    page.click("#e-save")
    page.wait_for_selector("#editor [data-error-for='stem']:not([hidden])")
    shot(page, "05-edit-error")
    page.fill("#e-stem", "党的最高领导机关是什么？")
    page.click("#e-save")
    page.wait_for_selector("#editor-card", state="hidden")
    page.wait_for_selector("#questions >> text=党的最高领导机关是什么？")
