"""The competition admin pages in a real browser: create, import teams, a tie at the cut settled
by a recorded tie-break, advancing, entering final scores and seeing the prizes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import DESKTOP, PHONE, browser, live_server, new_page, shot  # noqa: F401
from tests.competitions.conftest import ROSTER_HEADER, roster_rows, xlsx_bytes

pytestmark = pytest.mark.browser


def test_organiser_runs_a_competition_in_the_browser(live_server: Any, new_page: Any, shot: Any,  # noqa: F811
                                                      tmp_path: Any) -> None:
    live_server.add_user("org", "organizer", unit="市直机关工委", name="王组织")
    page = new_page(DESKTOP)
    live_server.login(page.context, "org")
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(live_server.url + "/admin/competitions")
    page.wait_for_selector("#competitions .muted")
    page.fill("#competition-title", "学党史、知党情、跟党走 知识竞赛")
    page.click("#create-competition button[type=submit]")
    page.wait_for_url("**/admin/competitions/*")
    cid = int(page.url.rstrip("/").split("/")[-1].split("#")[0])

    # A bad roster shows its row errors; a good one fills the team table.
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([ROSTER_HEADER, ["一队", "市财政局", "", "13900000001"]]))
    page.set_input_files("#team-file", str(bad))
    page.click("#team-import-form button[type=submit]")
    page.wait_for_selector("#team-report .error-table")
    assert "姓名不能为空" in page.inner_text("#team-report")
    good = tmp_path / "teams.xlsx"
    good.write_bytes(xlsx_bytes(roster_rows(4)))
    page.set_input_files("#team-file", str(good))
    page.click("#team-import-form button[type=submit]")
    page.wait_for_selector("#team-report .report-box.ok")
    assert page.locator("#teams-table tbody tr").count() == 4

    # A prelim round, top 2 advance; scores put teams 2 and 3 level at the cut.
    page.click("#show-round-form")
    page.select_option("#r-format", "live")
    page.select_option("#r-advance-kind", "top")
    page.fill("#r-advance-value", "2")
    page.click("#round-submit")
    page.wait_for_selector("#round-view .rank-table")
    headers = {"Authorization": f"Bearer {live_server.token('org')}"}
    detail = httpx.get(f"{live_server.url}/api/competitions/{cid}", headers=headers).json()
    ids = [t["id"] for t in detail["teams"]]
    round_id = detail["rounds"][0]["id"]
    scores = {"teams": [{"team_id": ids[0], "score": 90, "time_ms": 1000}, {"team_id": ids[1], "score": 80, "time_ms": 5000},
                        {"team_id": ids[2], "score": 80, "time_ms": 5000}, {"team_id": ids[3], "score": 10, "time_ms": 0}]}
    assert httpx.put(f"{live_server.url}/api/rounds/{round_id}/scores", json=scores, headers=headers).status_code == 200
    page.reload()
    page.wait_for_selector(".tie-box")
    assert page.locator(".rank-table tr.is-tied").count() == 2
    assert "待加赛" in page.inner_text("#round-view")
    shot(page, "01-tie-at-the-cut")

    # Advancing now is refused; the tie-break puts the third team first.
    page.click("#advance")
    page.wait_for_selector("#toast:not([hidden])")
    assert "并列" in page.inner_text("#toast")
    page.click(".tie-order li:nth-child(1) [data-move='1']")
    page.click("[data-save-tie]")
    page.wait_for_selector(".flag.tb")
    assert page.locator(".tie-box").count() == 0
    names = page.locator(".rank-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names[:3] == ["队01", "队03", "队02"]
    page.click("#advance")
    page.locator("#round-tabs .chip").nth(1).wait_for()  # locators, not wait_for_function: the CSP forbids eval
    page.wait_for_selector("#round-view .rank-table")
    assert "复赛" in page.inner_text("#round-tabs [aria-pressed=true]")
    assert page.locator(".rank-table tbody tr").count() == 2

    # The next round as a final with prizes; scores entered on the page; prizes shown and fixed.
    page.click("#edit-round")
    page.select_option("#r-stage", "final")
    page.fill("#r-prizes", "一等奖 1，二等奖 1")
    page.click("#round-submit")
    page.locator("#round-view", has_text="奖项：一等奖 1").wait_for()
    assert "决赛" in page.inner_text("#round-tabs [aria-pressed=true]")  # the default name follows the stage
    page.click("#edit-scores")
    page.fill(f"[data-score='{ids[2]}']", "120")
    page.fill(f"[data-score='{ids[0]}']", "100")
    page.click("#save-scores")
    page.wait_for_selector(".prize.p0")
    rows = page.locator(".rank-table tbody tr").all_inner_texts()
    assert "队03" in rows[0] and "一等奖" in rows[0] and "二等奖" in rows[1]
    page.click("#award")
    page.locator("#round-view", has_text="已颁奖").wait_for()
    shot(page, "02-final-awarded")

    phone = new_page(PHONE)
    live_server.login(phone.context, "org")
    phone.goto(f"{live_server.url}/admin/competitions/{cid}#round-{round_id}")
    phone.wait_for_selector("#round-view .rank-table")
    shot(phone, "03-phone")


def test_a_semifinal_in_groups_one_button_at_a_time(live_server: Any, new_page: Any, shot: Any) -> None:  # noqa: F811
    """10 teams in a live semifinal with top_per_group: the next step draws the groups (snake), the page shows
    each group with its game's state; the groups are the server's."""
    live_server.add_user("org", "organizer", unit="市直机关工委", name="王组织")
    headers = {"Authorization": f"Bearer {live_server.token('org')}"}
    base = live_server.url
    comp = httpx.post(f"{base}/api/competitions", json={"title": "分组赛演练"}, headers=headers).json()
    imported = httpx.post(f"{base}/api/competitions/{comp['id']}/teams/import", headers=headers,
                          files={"file": ("t.xlsx", xlsx_bytes(roster_rows(10)))})
    assert imported.status_code == 200, imported.text
    rnd = httpx.post(f"{base}/api/competitions/{comp['id']}/rounds", headers=headers, json={
        "stage": "semifinal", "format": "live", "advance": {"top_per_group": 2}}).json()
    page = new_page(DESKTOP)
    live_server.login(page.context, "org")
    page.goto(f"{base}/admin/competitions/{comp['id']}#round-{rnd['id']}")
    page.wait_for_selector(".next-step #draw-groups")
    assert "蛇形" in page.inner_text(".next-step")
    page.click(".next-step #draw-groups")
    page.locator(".group-card").nth(1).wait_for()
    assert page.locator(".group-card").count() == 2
    groups = httpx.get(f"{base}/api/rounds/{rnd['id']}", headers=headers).json()["groups"]
    assert [g["name"] for g in groups] == ["第一组", "第二组"] and sum(len(g["team_ids"]) for g in groups) == 10
    cards = page.locator(".group-card").all_inner_texts()
    assert "第一组" in cards[0] and "未创建" in cards[0] and "第二组" in cards[1]
    assert page.locator(".next-step #create-game").get_attribute("data-group") == "第一组"
    shot(page, "competition-groups")
