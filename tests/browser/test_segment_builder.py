"""Building a live game on /host without JSON (issue 10, item 9).

An organiser applies the 标准决赛 template, adds a 全员答题 segment whose questions are found by searching
the bank's stems, reorders, sees a 422 from the server next to the segment it is about, and creates the
game: the game has exactly the segments and questions chosen. The form is checked at 1366×768 and 360×740.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, wait_until
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
TEAMS = [("市委组织部代表队", "市委组织部"), ("财政局代表队", "市财政局")]
# Enough single-choice questions for the final's rules, and three about 红船 to find by search.
RED_BOAT = ["“红船精神”是在哪里诞生的？", "红船精神的内涵不包括下列哪一项？", "红船现停泊在哪个湖中？"]


def single(stem: str, tags: list[str]) -> dict[str, Any]:
    return {"type": "single", "stem": stem, "options": [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}],
            "answer": ["A"], "tags": tags, "difficulty": 2}


QUESTIONS = [single(f"党史单选题第 {n} 题：下列说法正确的是？", ["党史"]) for n in range(1, 31)] + [
    single(stem, ["红船精神"]) for stem in RED_BOAT]


def call(server: Any, method: str, url: str, body: dict[str, Any] | None, as_: str) -> Any:
    response = httpx.request(method, server.url + url, json=body, timeout=10,
                             headers={"Authorization": f"Bearer {server.token(as_)}"})
    assert response.status_code in (200, 201), response.text
    return response.json()


def a_round(server: Any) -> int:
    ids = [server.add_user(f"p{i}", "member", name=f"队员{i}", unit=unit) for i, (_, unit) in enumerate(TEAMS)]
    competition = call(server, "POST", "/api/competitions", {"title": "党史知识竞赛"}, "org")
    teams = [call(server, "POST", f"/api/competitions/{competition['id']}/teams",
                  {"name": name, "unit": unit, "members": [uid]}, "org") for uid, (name, unit) in zip(ids, TEAMS, strict=True)]
    final = call(server, "POST", f"/api/competitions/{competition['id']}/rounds",
                 {"name": "决赛", "stage": "final", "format": "live"}, "org")
    call(server, "PUT", f"/api/rounds/{final['id']}/teams", {"team_ids": [t["id"] for t in teams]}, "org")
    return int(final["id"])


def finish(server: Any, game_id: int, title: str) -> None:
    """Mark a game finished with a long title, as the game list then shows it."""
    from live import store

    with server.app.state.db.write() as session:
        row = session.get(store.LiveGame, game_id)
        row.status, row.title = "finished", title
        session.add(row)


def status_on_one_line(page: Any) -> bool:
    return bool(page.evaluate("""[...document.querySelectorAll('.status-chip')].every((c) => c.getClientRects().length === 1
      && c.getBoundingClientRect().height < 30)"""))


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def segment(page: Any, index: int) -> Any:
    return page.locator(f"#sb-segments [data-seg='{index}']")


def test_a_game_built_with_the_form_has_the_segments_and_questions_chosen(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("org", "organizer", name="赵组织")
    bank_id = live_server.seed_bank(questions=QUESTIONS)
    round_id = a_round(live_server)
    red_ids = [q["id"] for q in call(live_server, "GET", f"/api/banks/{bank_id}/questions?q=红船", None, "org")["items"]]
    assert len(red_ids) == 3

    page = new_page(LAPTOP)
    live_server.login(page.context, "org")
    page.goto(live_server.url + "/host")
    wait_until(page, f"document.getElementById('custom-bank').value === '{bank_id}'")
    page.fill("#custom-round", str(round_id))
    page.press("#custom-round", "Tab")  # an organizer may read the round: its two teams set the team count
    wait_until(page, "document.getElementById('custom-teams').value === '2'")

    page.fill("#custom-base", "100")
    page.click("[data-template=final]")
    assert page.locator("#sb-segments [data-seg]").count() == 4
    assert segment(page, 0).locator("[data-rule=count]").input_value() == "6", "必答 3 题/队 × 2 teams"

    # One more segment, its questions found by searching the stems.
    page.click("[data-add=all]")
    extra = segment(page, 4)
    extra.locator("[data-field=title]").fill("观众同答")
    extra.locator("[data-field=time_limit_s]").fill("25")
    extra.locator("[data-pick]").click()
    page.fill("#sb-search", "红船")
    page.press("#sb-search", "Enter")
    wait_until(page, "document.querySelectorAll('#sb-results [data-toggle-q]').length === 3")
    assert page.locator("#sb-result-status").inner_text().startswith("找到 3 题")
    for qid in red_ids[:2]:
        page.click(f"#sb-results [data-toggle-q='{qid}']")
    assert page.locator(f"#sb-results [data-toggle-q='{red_ids[0]}']").get_attribute("aria-pressed") == "true"
    shot(page, "laptop-picker", full_page=False)
    assert serious_violations(page) == [], "the picker"
    page.click("#sb-picker-done")
    stems = extra.locator(".sb-qlist .sb-stem").all_inner_texts()
    assert stems == RED_BOAT[:2], stems
    # Reorder by keyboard: the second question first, then the segment before the tiebreak.
    extra.locator("[data-q='1'] [data-q-move='-1']").focus()
    page.keyboard.press("Enter")
    assert segment(page, 4).locator(".sb-qlist .sb-stem").all_inner_texts() == [RED_BOAT[1], RED_BOAT[0]]
    segment(page, 4).locator("[data-move='-1']").focus()
    page.keyboard.press("Enter")
    assert segment(page, 3).locator("[data-field=title]").input_value() == "观众同答"
    assert page.evaluate("document.activeElement.closest('[data-seg]').dataset.seg") == "3", "focus follows the moved segment"

    preview = page.locator("#sb-preview").inner_text()
    assert "观众同答" in preview and "共 4 个环节、20 道题" in preview, preview  # 6 + 10 + 2 + 2; the tiebreak aside

    # The advanced editor shows the same data, and an edit there shows in the form.
    page.click(".sb-json summary")
    shown = page.evaluate("JSON.parse(document.getElementById('custom-segments').value)")
    assert [s["kind"] for s in shown] == ["required", "buzzer", "risk", "all", "tiebreak"]
    assert shown[3]["question_ids"] == [red_ids[1], red_ids[0]]
    shown[4]["title"] = "决胜加赛"
    page.fill("#custom-segments", __import__("json").dumps(shown, ensure_ascii=False))
    assert segment(page, 4).locator("[data-field=title]").input_value() == "决胜加赛"

    # Asking for more than the bank has: the server's 422, in Chinese, beside the buzzer segment.
    segment(page, 1).locator("[data-rule=count]").fill("400")
    page.click("#custom-go")
    errors = segment(page, 1).locator(".sb-seg-errors")
    errors.wait_for(state="visible")
    assert "只能找到" in errors.inner_text(), errors.inner_text()
    assert page.locator("#custom-error").is_visible()
    shot(page, "laptop-error", full_page=False)
    assert serious_violations(page) == [], "the form with every kind of segment and errors shown"
    segment(page, 1).locator("[data-rule=count]").fill("10")
    assert not errors.is_visible(), "an edit clears what the server said about the data sent"
    shot(page, "laptop-form")
    assert no_sideways_scroll(page)

    page.click("#custom-go")
    page.wait_for_url("**/host/*")
    game_id = int(page.url.rstrip("/").split("/")[-1])
    game = call(live_server, "GET", f"/api/live/{game_id}", None, "org")
    assert game["round_id"] == round_id
    assert [(s["kind"], s["title"], s["questions"]) for s in game["segments"]] == [
        ("required", "必答题", 6), ("buzzer", "抢答题", 10), ("risk", "风险题", 2), ("all", "观众同答", 2),
        ("tiebreak", "决胜加赛", 3)]
    from live import store

    row = store.find_game(live_server.app.state.db, game_id=game_id)
    assert row.config["base_score"] == 100
    chosen = row.config["segments"][3]
    assert [q["id"] for q in chosen["questions"]] == [red_ids[1], red_ids[0]], "the picked questions, in the order set"
    assert chosen["time_limit_s"] == 25 and chosen["speed_bonus"] is True
    drawn = [q["id"] for s in row.config["segments"] for q in s["questions"]]
    assert len(drawn) == len(set(drawn)), "no question twice"

    # The game list on /host: 已结束 never breaks inside, even after a long title.
    finish(live_server, game_id, "学党史、知党情、跟党走——市直机关党史知识竞赛决赛（第一场）")
    page.goto(live_server.url + "/host")
    page.wait_for_selector(".status-chip.finished")
    assert status_on_one_line(page)
    shot(page, "laptop-games", full_page=False)


def test_the_form_at_360_px_and_an_open_game(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank(questions=QUESTIONS)
    page = new_page(PHONE)
    live_server.login(page.context, "host")
    page.goto(live_server.url + "/host")
    wait_until(page, f"document.getElementById('custom-bank').value === '{bank_id}'")
    page.click("[data-template=final]")
    # An open game has no teams: the form says so before sending anything.
    page.click("#custom-go")
    segment(page, 0).locator(".sb-seg-errors").wait_for(state="visible")
    assert "比赛轮次" in segment(page, 0).locator(".sb-seg-errors").inner_text()
    page.locator("[data-seg] [data-remove]").first.click()
    page.locator("[data-seg] [data-remove]").first.click()
    page.locator("[data-seg] [data-remove]").first.click()
    assert page.locator("#sb-segments [data-seg]").count() == 1  # the tiebreak is left
    page.click("[data-add=all]")
    segment(page, 1).locator("[data-pick]").click()
    page.select_option("#sb-filter-tag", "红船精神")
    wait_until(page, "document.querySelectorAll('#sb-results [data-toggle-q]').length === 3")
    page.locator("#sb-results [data-toggle-q]").first.click()
    shot(page, "phone-picker", full_page=False)
    page.click("#sb-picker-done")
    segment(page, 1).locator("[data-move='-1']").click()
    assert no_sideways_scroll(page)
    shot(page, "phone-form")
    page.click("#custom-go")
    page.wait_for_url("**/host/*")
    game_id = int(page.url.rstrip("/").split("/")[-1])
    game = call(live_server, "GET", f"/api/live/{game_id}", None, "host")
    assert [(s["kind"], s["questions"]) for s in game["segments"]] == [("all", 1), ("tiebreak", 3)]
    finish(live_server, game_id, "学党史、知党情、跟党走——市直机关党史知识竞赛")
    page.goto(live_server.url + "/host")
    page.wait_for_selector(".status-chip.finished")
    assert status_on_one_line(page)
    shot(page, "phone-games", full_page=False)
