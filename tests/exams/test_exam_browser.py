"""Taking a test on a 360×740 phone in a real browser: start, answer, lose the network, reload mid-test,
find the answers still there, submit, see the score and the review."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from quiz.timeutil import to_iso
from tests.browser.conftest import PHONE, wait_until
from tests.exams.conftest import DAY, bank_questions

pytestmark = pytest.mark.browser


def _create_exam(server: Any, bank_id: int) -> dict[str, Any]:
    now = server.app.state.clock.now_ms()
    body = {"title": "党规党纪测试（手机）", "bank_id": bank_id, "duration_s": 1800,
            "opens_at": to_iso(now - 60_000), "closes_at": to_iso(now + DAY), "pass_score": 1,
            "rules": [{"type": "single", "count": 2, "points": 2}, {"type": "multiple", "count": 1, "points": 3},
                      {"type": "judge", "count": 1, "points": 1}, {"type": "fill", "count": 1, "points": 2}]}
    response = httpx.post(f"{server.url}/api/exams", json=body,
                          headers={"Authorization": f"Bearer {server.token('org')}"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _attempt(server: Any, attempt_id: int) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/attempts/{attempt_id}",
                         headers={"Authorization": f"Bearer {server.token('alice')}"}, timeout=10)
    return response.json()


def _answer_current(page: Any) -> None:
    """Give some answer to the question on screen."""
    if page.locator("#question .blank-input").count():
        for i in range(page.locator("#question .blank-input").count()):
            page.locator("#question .blank-input").nth(i).fill("南湖")
        page.locator("#question .blank-input").last.press("Tab")
    else:
        page.locator("#question .option").first.click()


def _wait_saved(page: Any) -> None:
    wait_until(page, "document.querySelector('#save-status').dataset.kind === 'ok'")


def test_take_a_test_on_a_phone_with_reload_and_network_loss(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("alice", "member", unit="市财政局", name="张丽")
    live_server.add_user("org", "organizer", unit="市直机关工委")
    bank_id = live_server.seed_bank(questions=bank_questions())
    exam = _create_exam(live_server, bank_id)
    page = new_page(PHONE)
    live_server.login(page.context, "alice")

    page.goto(f"{live_server.url}/exams")
    page.wait_for_selector(f".exam-card[data-exam-id='{exam['id']}']")
    shot(page, "01-my-tests")
    page.click(f".exam-card[data-exam-id='{exam['id']}'] a.btn")
    page.wait_for_url(f"**/exams/{exam['id']}")
    page.wait_for_selector("#start:not([disabled])")
    shot(page, "02-intro")
    page.click("#start")
    page.wait_for_selector("#paper-view:not([hidden]) #question .stem")
    assert page.inner_text("#countdown").startswith(("30:00", "29:5"))
    assert "第 1 / 5 题" in page.inner_text("#question")

    # Answer the first three questions, each saved as it is given.
    for _ in range(3):
        _answer_current(page)
        _wait_saved(page)
        page.click("#next")
    shot(page, "03-answering", full_page=False)
    assert page.inner_text("#answered-count") == "已答 3 / 5"

    # The network drops: the fourth answer cannot be saved; a clear notice with a retry appears.
    page.context.set_offline(True)
    _answer_current(page)
    page.wait_for_selector("#save-alert:not([hidden])")
    assert "未保存" in page.inner_text("#save-status")
    shot(page, "04-offline", full_page=False)
    page.click("#retry-save")  # still offline: the notice stays
    assert page.locator("#save-alert").is_visible()
    # Back online: the waiting answer is sent again by itself (the "online" event, or the timed retry).
    page.context.set_offline(False)
    _wait_saved(page)
    assert page.locator("#save-alert").is_hidden()

    # Reload mid-test: the open attempt resumes with every answer.
    page.reload()
    page.wait_for_selector("#paper-view:not([hidden]) #question .stem")
    assert page.inner_text("#answered-count") == "已答 4 / 5"
    page.click("#navigator .nav-item[data-index='0']")
    assert page.locator("#question .option[aria-pressed='true'], #question .blank-input").count() >= 1
    answered = page.locator("#navigator .nav-item.answered").count()
    assert answered == 4
    attempt_id = page.evaluate(f"fetch('/api/exams/{exam['id']}').then(r => r.json()).then(e => e.my.open_attempt_id)")
    saved = _attempt(live_server, attempt_id)
    assert len(saved["answers"]) == 4 and saved["status"] == "open"

    # Submit with one question left: the confirmation says so.
    page.click("#open-submit")
    page.wait_for_selector("#confirm:not([hidden])")
    assert "1" in page.inner_text("#confirm-text") and "未作答" in page.inner_text("#confirm-text")
    shot(page, "05-confirm", full_page=False)
    page.click("#confirm-submit")
    page.wait_for_selector("#result-view:not([hidden])")
    page.wait_for_selector("#review .review-item")
    assert page.locator("#review .review-item").count() == 5
    result = _attempt(live_server, attempt_id)["result"]
    assert result["answered"] == 4 and result["submitted_by"] == "candidate"
    assert page.inner_text("#result-score") == str(result["score"])
    shot(page, "06-result")

    # Coming back later shows the result, not a new attempt (one attempt allowed).
    page.goto(f"{live_server.url}/exams/{exam['id']}")
    page.wait_for_selector("#result-view:not([hidden])")
    assert page.locator("#again").is_hidden()


def test_organiser_builds_a_test_from_rules_and_grades_in_the_browser(live_server: Any, new_page: Any,
                                                                     shot: Any) -> None:
    from tests.browser.conftest import DESKTOP

    live_server.add_user("org", "organizer", unit="市直机关工委")
    live_server.add_user("alice", "member", unit="市财政局", name="张丽")
    live_server.add_user("bob", "member", unit="市教育局", name="李强")
    live_server.seed_bank(questions=bank_questions())
    page = new_page(DESKTOP)
    live_server.login(page.context, "org")
    page.goto(f"{live_server.url}/admin/exams/new")
    page.wait_for_selector(".rule-row[data-index='1'] .rule-avail:not(.idle)")
    # The default asks for 10 single questions; this bank has 8: the rule says so at once.
    assert "只有 8 题" in page.inner_text(".rule-row[data-index='0'] .rule-avail")
    page.fill("#title", "浏览器里组的卷")
    page.fill(".rule-row[data-index='0'] [data-field='count']", "3")
    wait_until(page, "!document.querySelector(\".rule-row[data-index='0'] .rule-avail\").classList.contains('short')")
    assert "可从 8 道" in page.inner_text(".rule-row[data-index='0'] .rule-avail")
    page.fill(".rule-row[data-index='1'] [data-field='count']", "2")
    page.click("#add-rule")
    page.select_option(".rule-row[data-index='2'] [data-field='type']", "short")
    page.fill(".rule-row[data-index='2'] [data-field='count']", "1")
    page.fill(".rule-row[data-index='2'] [data-field='keywords']", "坚持真理，坚守理想")
    page.click(".rule-row[data-index='0'] .chip[data-tag='党章']")
    wait_until(page, "document.querySelector('#total').textContent.includes('共 6 题')")
    opens = page.evaluate("(() => { const d = new Date(Date.now() - 3600e3); const p = n => String(n).padStart(2, '0');"
                          " return `${d.getFullYear()}-${p(d.getMonth()+1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`; })()")
    page.fill("#opens", opens)
    page.fill("#pass-score", "5")
    page.wait_for_selector("#units .chip[data-unit='市财政局']")
    page.click("#units .chip[data-unit='市财政局']")
    shot(page, "10-form")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/admin/exams/\d+$"))
    exam_id = int(page.url.rstrip("/").split("/")[-1])
    page.wait_for_selector("#kpis .kpi")
    assert "范围：市财政局" in page.inner_text("#exam-facts")

    # Alice takes it (through the API) with a short answer; the organiser grades it in the queue.
    headers = {"Authorization": f"Bearer {live_server.token('alice')}"}
    attempt = httpx.post(f"{live_server.url}/api/exams/{exam_id}/attempts", headers=headers, timeout=10).json()
    short = next(q for q in attempt["questions"] if q["type"] == "short")
    httpx.put(f"{live_server.url}/api/attempts/{attempt['id']}/answers/{short['id']}", headers=headers,
              json={"answer": "坚持真理"}, timeout=10)
    httpx.post(f"{live_server.url}/api/attempts/{attempt['id']}/submit", headers=headers, timeout=10)
    page.reload()
    page.wait_for_selector("#rows-table td")
    wait_until(page, "document.querySelector('#rows-table').textContent.includes('张丽')")
    assert "待阅卷" in page.inner_text("#rows-table")
    shot(page, "11-detail")
    page.goto(f"{live_server.url}/admin/exams/{exam_id}/grading")
    page.wait_for_selector(".grade-item")
    assert "坚持真理" in page.inner_text(".grade-item .grade-answer")
    page.fill(".grade-item input[name='score']", "2")
    page.click(".grade-item button[type='submit']")
    page.wait_for_selector(".grade-item", state="detached")
    shot(page, "12-graded")
    result = httpx.get(f"{live_server.url}/api/attempts/{attempt['id']}", headers=headers, timeout=10).json()["result"]
    assert result["final"] is True and result["pending"] == 0
