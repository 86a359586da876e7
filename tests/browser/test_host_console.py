"""The host console at 1366×768: what the current step needs is on one screen, and teams keep their seats.

A 必答 (required) segment with six teams: when a team is on turn, the actions, the judgement and every
team's row with its ✓/✗ are inside the first 768 pixels; after a judgement scores a team, the rows keep
their order (seat order), so the buttons do not move under the host's cursor. In an open game the players
score at the reveal without a `score` message each: the console's 计分记录 lists them then, by name.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import wait_until

pytestmark = pytest.mark.browser

CONSOLE = {"width": 1366, "height": 768}
# A final of six teams, one of them with a long name.
TEAMS = [("市委组织部代表队", "市委组织部"), ("财政局代表队", "市财政局"), ("教育局代表队", "市教育局"), ("卫健委代表队", "市卫健委"),
         ("市卫生健康委员会机关代表队", "市卫生健康委员会"), ("公安局代表队", "市公安局")]


def call(server: Any, method: str, url: str, body: dict[str, Any], as_: str) -> dict[str, Any]:
    response = httpx.request(method, server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                             timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json()) if response.content else {}


def team_order(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#teams tbody tr td:first-child b", "els => els.map(e => e.textContent)"))


def inside_viewport(page: Any, selector: str) -> bool:
    return bool(page.eval_on_selector_all(selector, """els => els.length > 0 && els.every((e) => {
      const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; })"""))


def test_the_console_fits_1366x768_and_keeps_seat_order(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("org", "organizer")
    ids = [live_server.add_user(f"p{i}", "member", name=f"队员{i}", unit=unit) for i, (_, unit) in enumerate(TEAMS)]
    bank_id = live_server.seed_bank()
    competition = call(live_server, "POST", "/api/competitions", {"title": "党史知识竞赛"}, "org")
    teams = [call(live_server, "POST", f"/api/competitions/{competition['id']}/teams",
                  {"name": name, "unit": unit, "members": [uid]}, "org") for uid, (name, unit) in zip(ids, TEAMS, strict=True)]
    final = call(live_server, "POST", f"/api/competitions/{competition['id']}/rounds",
                 {"name": "决赛", "stage": "final", "format": "live"}, "org")
    call(live_server, "PUT", f"/api/rounds/{final['id']}/teams", {"team_ids": [t["id"] for t in teams]}, "org")
    game = call(live_server, "POST", "/api/live", {"title": "决赛", "bank_id": bank_id, "round_id": final["id"], "segments": [
        {"kind": "required", "title": "必答题", "question_ids": [1, 2, 3, 4, 5], "time_limit_s": 60,
         "points": 10}]}, "org")

    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    wait_until(console, "document.querySelectorAll('#teams tbody tr').length === 6")  # the state follows the open
    seats = team_order(console)
    assert sorted(seats) == sorted(name for name, _ in TEAMS)
    console.click("[data-action=start]")
    console.wait_for_selector("#decide:not([hidden]) [data-judge]", timeout=15_000)
    shot(console, "required-turn", full_page=False)
    # One screen: the actions, the judgement, and every team's ✓/✗.
    assert inside_viewport(console, "#actions .act")
    assert inside_viewport(console, "#decide [data-judge]")
    assert inside_viewport(console, "#teams tbody tr .judge-cell button")
    assert inside_viewport(console, "#teams tbody tr")
    assert console.evaluate("scrollY") == 0

    on_turn = console.get_attribute("#decide [data-judge][data-correct='1']", "data-judge")
    console.click("#decide [data-judge][data-correct='1']")
    wait_until(console, "[...document.querySelectorAll('#teams td.num')].some((td) => td.textContent.trim() === '10')")
    assert team_order(console) == seats, "the team rows re-sorted after a score"
    console.wait_for_timeout(600)  # the next action lights up (a transition)
    shot(console, "after-judgement", full_page=False)
    assert on_turn is not None


# A guest on a plain socket (the phone page is tested elsewhere): joins, answers the question when it comes.
GUEST_JS = """([pin, name, key]) => { window.acks = [...(window.acks || []), new Promise((resolve, reject) => {
  const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws/live/${pin}?role=player`);
  ws.onopen = () => ws.send(JSON.stringify({ type: 'join', name }));
  ws.onerror = () => reject(new Error('socket error'));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === 'question') ws.send(JSON.stringify({ type: 'answer', id: `${name}-1`, question: msg.question.id, answer: key }));
    if (msg.type === 'ack') resolve(msg.accepted);
  };
  window.guests = [...(window.guests || []), ws];
})]; }"""


def test_an_open_games_ledger_lists_the_players_points_after_the_reveal(live_server: Any, new_page: Any) -> None:
    live_server.add_user("host", "host")
    bank_id = live_server.seed_bank()
    game = call(live_server, "POST", "/api/live", {"title": "开放竞答", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10}]}, "host")
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    guest = new_page(CONSOLE)
    guest.goto(f"{live_server.url}/")
    for name, key in (("王小明", "A"), ("李华", "B")):
        guest.evaluate(GUEST_JS, [game["pin"], name, key])
    wait_until(console, "document.getElementById('count-joined').textContent === '2'")
    console.click("[data-action=start]")
    wait_until(console, "document.getElementById('count-answered').textContent === '2'", timeout_s=15)
    assert guest.evaluate("Promise.all(window.acks)") == [True, True]
    console.click("[data-action=reveal]")
    # No reload: the console's 计分记录 has the right answer's points at once (not 暂无记录).
    wait_until(console, "document.querySelectorAll('#ledger tbody tr').length === 1")
    row = console.inner_text("#ledger tbody tr")
    assert "王小明" in row and "+10" in row and "选手" in console.inner_text("#ledger thead")
