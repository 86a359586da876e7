"""The team segments played through the real pages: 必答 (required), 风险 (risk) and 加赛 (tiebreak).

Each journey drives one round's game from the host console (/host/{id}) by clicks, with the big screen
(/screen/{pin}) and two or three phones (/play/{pin}) of team members, and checks what the screen shows at
the reveal (the right answer marked, and the reveal staying up until the host moves on — in a risk segment
it is not replaced by "请 X队 选择分值" a second later) and what the console shows (the team on turn, the
judgement buttons, the risk values).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, wait_until

pytestmark = pytest.mark.browser

SCREEN = {"width": 1920, "height": 1080}
CONSOLE = {"width": 1366, "height": 900}
TEAMS = [("财政局代表队", "市财政局", "张丽"), ("教育局代表队", "市教育局", "王强"), ("卫健委代表队", "市卫健委", "刘芳")]


def call(server: Any, method: str, url: str, body: dict[str, Any], as_: str = "org") -> dict[str, Any]:
    response = httpx.request(method, server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                             timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json()) if response.content else {}


def team_game(server: Any, n_teams: int, segments: Any) -> tuple[dict[str, Any], list[int]]:
    """A round with `n_teams` one-member teams (users p0, p1, ...) and its live game; returns (game, team ids).

    `segments` is the game's segment list, or a function of the team ids that returns it."""
    server.add_user("org", "organizer")
    members = [server.add_user(f"p{i}", "member", name=name, unit=unit) for i, (_, unit, name) in enumerate(TEAMS[:n_teams])]
    bank_id = server.seed_bank()
    competition = call(server, "POST", "/api/competitions", {"title": "党史知识竞赛"})
    teams = [call(server, "POST", f"/api/competitions/{competition['id']}/teams",
                  {"name": name, "unit": unit, "members": [uid]})["id"]
             for uid, (name, unit, _) in zip(members, TEAMS, strict=False)]
    final = call(server, "POST", f"/api/competitions/{competition['id']}/rounds",
                 {"name": "决赛", "stage": "final", "format": "live"})
    call(server, "PUT", f"/api/rounds/{final['id']}/teams", {"team_ids": teams})
    game = call(server, "POST", "/api/live", {"title": "决赛", "bank_id": bank_id, "round_id": final["id"],
                                              "segments": segments(teams) if callable(segments) else segments})
    return game, teams


def open_stage(server: Any, new_page: Any, game: dict[str, Any], n_phones: int) -> tuple[Any, Any, list[Any]]:
    """The big screen, the console (connected) and one phone per team, each joined as its member."""
    screen = new_page(SCREEN)
    screen.goto(f"{server.url}/screen/{game['pin']}")
    console = new_page(CONSOLE)
    console.goto(f"{server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phones = []
    for i in range(n_phones):
        phone = new_page(PHONE)
        server.login(phone.context, f"p{i}")
        phone.goto(f"{server.url}/play/{game['pin']}")
        phone.click("#join-me")
        phone.wait_for_selector(".lobby h1")
        assert TEAMS[i][0] in phone.inner_text(".who-team")
        phones.append(phone)
    wait_until(console, f"document.getElementById('count-joined').textContent === '{n_phones}'")
    return screen, console, phones


def team_row(console: Any, name: str) -> Any:
    return console.locator("#teams tbody tr", has_text=name)


def score_of(console: Any, name: str) -> str:
    return str(team_row(console, name).locator("td.num").inner_text()).strip()


def reveal_stays(screen: Any, key: str, seconds: float = 1.2) -> None:
    """The screen shows the revealed answer `key` marked right, and still shows it `seconds` later."""
    screen.wait_for_selector(".dist-row.is-right")
    assert screen.inner_text(".dist-row.is-right .tv-key b") == key
    screen.wait_for_timeout(int(seconds * 1000))
    assert screen.locator("#sc-question").is_visible(), "the reveal was taken down before the host moved on"
    assert screen.locator(".dist-row.is-right").count() == 1
    assert not screen.evaluate("[...document.querySelectorAll('.side-turn, .risk-turn')].some((e) => e.offsetParent !== null"
                               " && e.textContent.includes('选择分值'))"), "the reveal is replaced by the next pick"


def test_required_segment_turns_judgements_and_the_reveal(live_server: Any, new_page: Any, shot: Any) -> None:
    game, teams = team_game(live_server, 3, [
        {"kind": "required", "title": "必答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10,
         "wrong_points": -5}])
    screen, console, phones = open_stage(live_server, new_page, game, 3)
    first, second, third = phones

    console.click("[data-action=start]")
    # Question 1 goes to the first team: its phone answers, the others watch; the console names it.
    first.wait_for_selector(".answer-tile[data-key=A]")
    assert "轮到你的队伍作答" in first.inner_text(".turn-note")
    second.wait_for_selector(".turn-note")
    assert f"轮到 {TEAMS[0][0]} 作答" in second.inner_text(".turn-note")
    assert second.locator(".answer-tile").count() == 0
    console.wait_for_selector("#decide:not([hidden]) [data-judge]")
    assert f"作答队伍：{TEAMS[0][0]}" in console.inner_text(".turn-line")
    assert console.get_attribute("#decide [data-judge][data-correct='1']", "data-judge") == str(teams[0])
    assert "turn" in (team_row(console, TEAMS[0][0]).get_attribute("class") or "")
    assert team_row(console, TEAMS[1][0]).locator("[data-judge]").first.is_disabled()
    screen.wait_for_selector(".side-turn")
    assert TEAMS[0][0] in screen.inner_text(".side-turn")
    shot(console, "required-console-turn", full_page=False)

    first.click(".answer-tile[data-key=A]")  # right: the reveal grades it
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    assert "已提交答案" in console.inner_text(".team-answer")
    console.click("[data-action=reveal]")
    reveal_stays(screen, "A")
    first.wait_for_selector(".verdict-big.ok")
    wait_until(console, "document.getElementById('phase-badge').dataset.phase === 'revealed'")
    assert score_of(console, TEAMS[0][0]) == "10"
    shot(screen, "required-screen-reveal", full_page=False)

    # Question 2 goes to the second team, answered aloud: the host judges it wrong from the console.
    console.click("[data-action=next]")
    second.wait_for_selector(".judge-btn[data-value=true]")
    console.wait_for_selector(f"#decide [data-judge='{teams[1]}']")
    assert TEAMS[1][0] in console.inner_text("#decide")
    assert third.locator(".judge-btn").count() == 0
    console.click("#decide [data-judge][data-correct='0']")
    screen.wait_for_selector(".side-judged.bad")
    assert TEAMS[1][0] in screen.inner_text(".side-judged")
    console.wait_for_selector(".judged-line.bad")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.click("[data-action=reveal]")
    screen.wait_for_selector(".dist-row.is-right")
    assert screen.locator(".dist-row.is-right.opt-judge-true").count() == 1
    screen.wait_for_timeout(1200)
    assert screen.locator(".dist-row.is-right").count() == 1
    wait_until(console, f"[...document.querySelectorAll('#teams tbody tr')].some((r) => r.textContent.includes('{TEAMS[1][0]}')"
                        " && r.querySelector('td.num').textContent.trim() === '-5')")
    # The segment is over: 结束比赛 is what the console offers now.
    console.wait_for_selector("[data-action=finish].primary")


def test_risk_segment_picks_values_and_keeps_the_reveal(live_server: Any, new_page: Any, shot: Any) -> None:
    game, teams = team_game(live_server, 2, [
        {"kind": "risk", "title": "风险题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10,
         "risk_values": [10, 20, 30], "pick_order": "seat"}])
    screen, console, phones = open_stage(live_server, new_page, game, 2)
    first, second = phones

    console.click("[data-action=start]")
    # After the title card, the first team on turn picks: the console offers its values, the screen asks for them.
    console.wait_for_selector(f"#decide [data-risk='{teams[0]}'][data-points='20']", timeout=15_000)
    assert TEAMS[0][0] in console.inner_text("#decide")
    values = console.eval_on_selector_all("#decide [data-risk]", "els => els.map(e => e.dataset.points)")
    assert values == ["10", "20", "30", "0"]
    assert "轮到选分" in team_row(console, TEAMS[0][0]).inner_text()
    assert console.is_disabled("[data-action=next]")
    # The console's stage says what it waits for, not "排行榜" (issue 10 item 8).
    now = console.inner_text("#now")
    assert "排行榜" not in now and TEAMS[0][0] in now and "风险分值" in now
    screen.wait_for_selector(".risk-turn")
    assert TEAMS[0][0] in screen.inner_text(".risk-turn")
    shot(console, "risk-console-pick", full_page=False)

    console.click(f"#decide [data-risk='{teams[0]}'][data-points='20']")
    first.wait_for_selector(".answer-tile[data-key=A]")
    second.wait_for_selector(".turn-note")
    screen.wait_for_selector(".q-points")
    assert "20" in screen.inner_text(".q-points")
    console.wait_for_selector(f"#decide [data-judge='{teams[0]}']")
    first.click(".answer-tile[data-key=A]")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.click("[data-action=reveal]")
    # The reveal stays up: the next pick is asked for only when the host moves on.
    reveal_stays(screen, "A", seconds=1.5)
    shot(screen, "risk-screen-reveal", full_page=False)
    first.wait_for_selector(".verdict-big.ok")
    wait_until(console, f"[...document.querySelectorAll('#teams tbody tr')].some((r) => r.textContent.includes('{TEAMS[0][0]}')"
                        " && r.querySelector('td.num').textContent.trim() === '20')")
    assert "10 / 30" in team_row(console, TEAMS[0][0]).inner_text()  # the values this team has left
    console.wait_for_selector("[data-action=next].primary:not([disabled])")

    console.click("[data-action=next]")
    console.wait_for_selector(f"#decide [data-risk='{teams[1]}'][data-points='30']")
    assert "轮到选分" in team_row(console, TEAMS[1][0]).inner_text()
    # Now (the host moved on) the screen asks the next team for its pick.
    wait_until(screen, "(name) => [...document.querySelectorAll('.side-turn, .risk-turn')].some((e) => e.offsetParent !== null"
                       " && e.textContent.includes(name) && e.textContent.includes('选择分值'))", TEAMS[1][0])
    console.click(f"#decide [data-risk='{teams[1]}'][data-points='30']")
    second.wait_for_selector(".judge-btn[data-value=false]")
    second.click(".judge-btn[data-value=false]")  # wrong: the chosen value is taken off
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.click("[data-action=reveal]")
    screen.wait_for_selector(".dist-row.is-right.opt-judge-true")
    screen.wait_for_timeout(1200)
    assert screen.locator(".dist-row.is-right").count() == 1
    second.wait_for_selector(".verdict-big.bad")
    wait_until(console, f"[...document.querySelectorAll('#teams tbody tr')].some((r) => r.textContent.includes('{TEAMS[1][0]}')"
                        " && r.querySelector('td.num').textContent.trim() === '-30')")
    console.wait_for_selector("[data-action=finish].primary")


def test_tiebreak_sudden_death_between_the_tied_teams(live_server: Any, new_page: Any, shot: Any) -> None:
    # The first two teams are the tied ones; the third watches.
    game, teams = team_game(live_server, 3, lambda ids: [
        {"kind": "tiebreak", "title": "加赛", "question_ids": [1, 2], "time_limit_s": 30, "buzz_window_s": 30,
         "points": 10, "team_ids": ids[:2]}])
    screen, console, phones = open_stage(live_server, new_page, game, 3)
    first, second, third = phones

    console.click("[data-action=start]")
    first.wait_for_selector("#buzz[disabled]", timeout=15_000)  # the buzzer stays off until the host opens it
    third.wait_for_selector(".watch-note")
    assert "加赛在同分队伍之间进行" in third.inner_text(".watch-note")
    assert third.locator("#buzz").count() == 0
    console.wait_for_selector("[data-action=open_buzz].primary:not([disabled])")
    console.click("[data-action=open_buzz]")
    second.wait_for_selector(".buzz-zone.armed #buzz:not([disabled])")
    second.dispatch_event("#buzz", "pointerdown")
    screen.wait_for_selector(".flash-won:not([hidden])")
    assert TEAMS[1][0] in screen.inner_text("#flash")
    first.wait_for_selector(".buzz-lost")
    # The console: the buzz winner, and the judgement for that team alone.
    console.wait_for_selector(f"#decide [data-judge='{teams[1]}']")
    assert f"抢答成功：{TEAMS[1][0]}" in console.inner_text(".buzz-line")
    assert team_row(console, TEAMS[0][0]).locator("[data-judge]").first.is_disabled()
    shot(console, "tiebreak-console-judge", full_page=False)
    # Answered aloud and judged wrong: in sudden death the other team wins, the question closes.
    console.click("#decide [data-judge][data-correct='0']")
    screen.wait_for_selector(".side-judged.bad")
    second.wait_for_selector(".judged.bad")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.click("[data-action=reveal]")
    reveal_stays(screen, "A", seconds=1.2)
    shot(screen, "tiebreak-screen-reveal", full_page=False)
    assert screen.locator(".dist-row.is-right .tv-key b").inner_text() == "A"
    wait_until(console, "document.getElementById('phase-badge').dataset.phase === 'revealed'")
    assert "A" in console.inner_text(".host-answer")
    # The tie is settled: no second question, the game may finish; the board shows the winner first.
    console.wait_for_selector("[data-action=finish].primary")
    assert console.is_disabled("[data-action=next]")
    console.click("[data-action=leaderboard]")
    screen.wait_for_selector(".board li.r1")
    assert TEAMS[0][0] in screen.inner_text(".board li.r1")


def test_the_console_plays_and_pauses_a_questions_sound(live_server: Any, new_page: Any) -> None:
    live_server.add_user("host", "host")
    bank_id = live_server.seed_bank(questions=[
        {"type": "single", "stem": "听一段音乐，这首歌的名字是？", "media": [{"kind": "audio", "url": "/media/0123456789abcdef.mp3",
                                                                "alt": "歌曲片段"}],
         "options": [{"key": "A", "text": "歌唱祖国"}, {"key": "B", "text": "东方红"}], "answer": ["A"]},
        {"type": "judge", "stem": "没有声音的题。", "answer": [True]}])
    game = call(live_server, "POST", "/api/live", {"title": "音乐题", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10}]}, as_="host")
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    assert console.locator("#media-toggle").is_hidden()
    console.click("[data-action=start]")
    toggle = console.locator("#media-toggle")
    toggle.wait_for(state="visible", timeout=15_000)
    assert toggle.get_attribute("aria-pressed") == "false"
    assert "播放" in toggle.inner_text()
    toggle.click()  # the server answers `media` to the host (and the screen): the button follows it
    console.wait_for_selector("#media-toggle[aria-pressed=true]")
    assert "暂停" in toggle.inner_text()
    toggle.click()
    console.wait_for_selector("#media-toggle[aria-pressed=false]")
    # A reload comes back with the state's media; a question without sound or video has no button.
    toggle.click()
    console.wait_for_selector("#media-toggle[aria-pressed=true]")
    console.reload()
    console.wait_for_selector("#media-toggle[aria-pressed=true]")
    console.click("[data-action=close]")
    console.click("[data-action=reveal]")
    console.wait_for_selector("[data-action=next]:not([disabled])")
    console.click("[data-action=next]")
    console.wait_for_selector(".host-stem:has-text('没有声音的题')")
    assert console.locator("#media-toggle").is_hidden()
