"""The live show in a real browser: phones, the big screen and the host console on one game.

A phone (360×740) joins by the game's link, answers, loses its network mid-question and gets its
answer through on reconnect, and sees its result; the big screen (1920×1080) shows the join
QR/PIN, the question with its countdown, the distribution and the scoreboard; the host drives
everything from the console page (buttons and keyboard shortcuts). Screenshots of every step go
to the `shot` folder (a temp dir, or $QUIZ_SCREENSHOTS).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, SAMPLE_QUESTIONS, wait_until
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

SCREEN = {"width": 1920, "height": 1080}
CONSOLE = {"width": 1366, "height": 900}


def post(server: Any, url: str, body: dict[str, Any], as_: str) -> dict[str, Any]:
    response = httpx.post(server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                          timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def put(server: Any, url: str, body: dict[str, Any], as_: str) -> None:
    response = httpx.put(server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                         timeout=10)
    assert response.status_code == 200, response.text


class Network:
    """A phone's network for the live socket: ``drop()`` cuts it (and refuses reconnects) until ``restore()``."""

    def __init__(self, page: Any) -> None:
        self.up = True
        self.pairs: list[tuple[Any, Any]] = []
        page.route_web_socket(re.compile(r".*/ws/live/.*"), self._route)

    def _route(self, ws: Any) -> None:
        if not self.up:
            ws.close(code=1011, reason="offline")
            return
        self.pairs.append((ws, ws.connect_to_server()))

    def drop(self) -> None:
        self.up = False
        for ws, server in self.pairs:
            server.close()
            ws.close(code=1011, reason="offline")
        self.pairs.clear()

    def restore(self) -> None:
        self.up = True


def px(page: Any, selector: str, prop: str = "font-size") -> float:
    return float(page.eval_on_selector(selector, f"e => parseFloat(getComputedStyle(e)['{prop}'])"))


def fits_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_phone_screen_and_console_play_one_open_game(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank()
    game = post(live_server, "/api/live", {"title": "学党史知识竞赛", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10}]}, "host")
    pin, first = game["pin"], SAMPLE_QUESTIONS[0]

    # The big screen: the lobby with the join QR code and the PIN in huge digits.
    screen = new_page(SCREEN)
    screen.goto(f"{live_server.url}/screen/{pin}")
    screen.wait_for_selector(".qr svg")
    assert screen.inner_text(".pin-digits").replace("\n", "") == pin
    assert px(screen, ".pin-digits span") >= 120

    # The console, opened with the host token (which leaves the address bar at once).
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    assert "token" not in console.url
    assert console.is_enabled("[data-action=start]")
    assert console.is_disabled("[data-action=reveal]") and console.is_disabled("[data-action=next]")
    assert "primary" in (console.get_attribute("[data-action=start]", "class") or "")

    # A phone joins from the game's link (what the QR code holds) with a name.
    phone = new_page(PHONE)
    network = Network(phone)
    phone.goto(f"{live_server.url}/play/{pin}")
    shot(phone, "phone-join")
    phone.fill("#name", "王小明")
    phone.click("#join-go")
    phone.wait_for_selector(".lobby h1")
    wait_until(screen, "document.getElementById('joined-num').textContent === '1'")
    assert "王小明" in screen.inner_text("#name-cloud")
    wait_until(console, "document.getElementById('count-joined').textContent === '1'")
    shot(phone, "phone-lobby")
    shot(screen, "screen-lobby", full_page=False)

    # The host starts: the question is on the phone and the screen, never its answer.
    console.click("[data-action=start]")
    phone.wait_for_selector(".answer-tile[data-key=A]")
    screen.wait_for_selector(".q-stem")
    assert first["stem"] in screen.inner_text(".q-stem")
    assert px(screen, ".q-stem") >= 56, "question text must read from 20 m"
    wait_until(screen, "document.getElementById('ring-num').textContent !== ''")
    assert px(screen, ".ring-num") >= 120, "the countdown must read from 20 m"
    for page in (phone, screen):
        assert first["explanation"] not in page.content()
    assert 50 <= int(phone.inner_text("#timer-num")) <= 60
    assert fits_width(phone)
    console.wait_for_selector(".host-answer")
    assert "A" in console.inner_text(".host-answer")  # the host alone sees the answer
    shot(phone, "phone-question")
    assert not serious_violations(phone)  # the answer tiles: contrast, names, tap targets
    shot(screen, "screen-question", full_page=False)
    shot(console, "host-console")

    # The network drops; the answer is kept on the phone and goes through on reconnect.
    network.drop()
    phone.wait_for_selector("#net-banner:not([hidden])")
    phone.click(".answer-tile[data-key=A]")
    phone.wait_for_selector(".saved.wait")
    assert "恢复后自动提交" in phone.inner_text("#save-status")
    shot(phone, "phone-offline")
    network.restore()
    phone.wait_for_selector(".saved.ok")
    assert "答案已保存" in phone.inner_text("#save-status")
    phone.wait_for_selector("#net-banner", state="hidden")

    # A reload (a phone that went to sleep) comes back as the same player with the saved answer.
    phone.reload()
    phone.wait_for_selector(".saved.ok")
    assert "你的答案：A" in phone.inner_text("#save-status")
    assert phone.locator("#v-name").is_hidden()

    # Only player has answered: the question closes by itself; the host reveals with the keyboard.
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.keyboard.press("r")
    phone.wait_for_selector(".verdict-big.ok")
    assert "+10" in phone.inner_text(".verdict-big")
    assert first["explanation"] in phone.inner_text(".explain")
    assert fits_width(phone)
    screen.wait_for_selector(".dist-row.is-right")
    assert screen.inner_text(".dist-row.is-right .tv-key b") == "A"
    assert screen.inner_text(".dist-row.is-right .dist-count") == "1"
    assert screen.locator(".dist-row").count() == 4
    screen.wait_for_timeout(1600)  # the bars grow in
    shot(phone, "phone-result")
    shot(screen, "screen-distribution", full_page=False)

    # The scoreboard on the screen and the phone.
    console.wait_for_selector("[data-action=leaderboard]:not([disabled])")
    console.keyboard.press("l")
    screen.wait_for_selector(".board li.r1")
    assert "王小明" in screen.inner_text(".board")
    phone.wait_for_selector(".board-card")
    assert "第 1 名" in phone.inner_text(".my-place")
    screen.wait_for_timeout(1300)
    shot(screen, "screen-scoreboard", full_page=False)
    shot(phone, "phone-scoreboard")

    # Next question (judge), then the end: the podium.
    console.wait_for_selector("#phase-badge[data-phase=leaderboard]")
    console.keyboard.press("n")
    phone.wait_for_selector(".judge-btn[data-value=true]")
    phone.click(".judge-btn[data-value=false]")
    console.wait_for_selector("[data-action=reveal]:not([disabled])")
    console.keyboard.press("r")
    phone.wait_for_selector(".verdict-big.bad")
    # The console hears the reveal on its own socket: "f" is ignored until finishing is legal there.
    console.wait_for_selector("[data-action=finish]:not([disabled])")
    console.once("dialog", lambda dialog: dialog.accept())
    console.keyboard.press("f")
    screen.wait_for_selector(".podium .step-1")
    assert "王小明" in screen.inner_text(".podium")
    # The game ends with something to keep: the console shows the results and hands out the workbook.
    console.wait_for_selector("#results-panel:not([hidden]) table")
    assert "王小明" in console.inner_text("#results")
    with console.expect_download() as download:
        console.click("#results-download")
    assert download.value.suggested_filename.endswith("-成绩.xlsx")
    phone.wait_for_selector(".board-card.final")
    screen.wait_for_timeout(1500)
    shot(screen, "screen-podium", full_page=False)


def test_buzzer_round_driven_from_the_console(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("org", "organizer")
    live_server.add_user("host", "host")
    ids = [live_server.add_user(f"p{i}", "member", name=name, unit=unit)
           for i, (name, unit) in enumerate([("张丽", "市财政局"), ("王强", "市教育局")])]
    bank_id = live_server.seed_bank()
    competition = post(live_server, "/api/competitions", {"title": "党史知识竞赛"}, "org")
    teams = [post(live_server, f"/api/competitions/{competition['id']}/teams",
                  {"name": name, "unit": unit, "members": [uid]}, "org")
             for uid, (name, unit) in zip(ids, [("财政局代表队", "市财政局"), ("教育局代表队", "市教育局")], strict=True)]
    final = post(live_server, f"/api/competitions/{competition['id']}/rounds",
                 {"name": "决赛", "stage": "final", "format": "live"}, "org")
    put(live_server, f"/api/rounds/{final['id']}/teams", {"team_ids": [t["id"] for t in teams]}, "org")
    game = post(live_server, "/api/live", {"title": "决赛", "bank_id": bank_id, "round_id": final["id"], "segments": [
        {"kind": "buzzer", "title": "抢答题", "question_ids": [1], "buzz_window_s": 30, "time_limit_s": 30,
         "points": 10, "wrong_points": -10}]}, "org")
    pin = game["pin"]

    screen = new_page(SCREEN)
    screen.goto(f"{live_server.url}/screen/{pin}")
    console = new_page(CONSOLE)
    # A round's game is an organizer's: the host who runs the show gets its console link with the host token.
    live_server.login(console.context, "host")
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phones = []
    for i in range(2):
        phone = new_page(PHONE)
        live_server.login(phone.context, f"p{i}")
        phone.goto(f"{live_server.url}/play/{pin}")
        phone.click("#join-me")  # a team member joins as themself, for their team
        phone.wait_for_selector(".lobby h1")
        assert ["财政局代表队", "教育局代表队"][i] in phone.inner_text(".who-team")
        phones.append(phone)

    console.keyboard.press(" ")
    first, second = phones
    first.wait_for_selector("#buzz[disabled]")  # the buzzer stays off until the host opens it
    console.wait_for_selector("[data-action=open_buzz].primary")
    console.keyboard.press("b")
    first.wait_for_selector(".buzz-zone.armed #buzz:not([disabled])")
    shot(first, "phone-buzzer")
    first.dispatch_event("#buzz", "pointerdown")
    screen.wait_for_selector(".flash-won:not([hidden])")
    assert "财政局代表队" in screen.inner_text("#flash")
    shot(screen, "screen-buzz-winner", full_page=False)
    second.wait_for_selector(".buzz-lost")
    assert "财政局代表队" in second.inner_text(".buzz-state")

    # The winner's team answers on the phone; the console shows the decision and judges it by key.
    first.wait_for_selector(".answer-tile[data-key=A]")
    console.wait_for_selector("#decide:not([hidden])")
    assert "财政局代表队" in console.inner_text("#decide")
    shot(console, "host-console-judge")
    first.click(".answer-tile[data-key=A]")  # right: the engine judges an objective answer itself
    screen.wait_for_selector(".side-judged.ok")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.keyboard.press("r")
    console.wait_for_selector("#phase-badge[data-phase=revealed]")
    console.keyboard.press("l")
    screen.wait_for_selector(".board li.r1")
    assert "财政局代表队" in screen.inner_text(".board li.r1")
    wait_until(console, "document.querySelector('#ledger table') !== null")
    assert "答对" in console.inner_text("#ledger")

    # A correction needs a reason; it lands in the ledger and on the scoreboard.
    console.select_option("#adjust-team", str(teams[1]["id"]))
    console.fill("#adjust-delta", "5")
    console.click("#adjust-go")
    assert "原因" in console.inner_text("#adjust-error")
    console.fill("#adjust-reason", "评委复核")
    console.click("#adjust-go")
    wait_until(console, "document.getElementById('ledger').textContent.includes('评委复核')")
    shot(console, "host-console-ledger")


def test_the_host_judges_everyones_short_answers_from_the_console(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank(questions=[
        {"type": "short", "stem": "简述中国共产党的根本宗旨。", "answer": ["全心全意为人民服务"],
         "explanation": "党章总纲。", "tags": ["党章"]}])
    game = post(live_server, "/api/live", {"title": "简答测试", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1], "time_limit_s": 60, "points": 10}]}, "host")
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phones = []
    for name, text in (("王小明", "全心全意为人民服务"), ("赵小红", "为人民服务吧")):
        phone = new_page(PHONE)
        phone.goto(f"{live_server.url}/play/{game['pin']}")
        phone.fill("#name", name)
        phone.click("#join-go")
        phone.wait_for_selector(".lobby h1")
        phones.append((phone, text))
    console.click("[data-action=start]")
    for phone, text in phones:
        phone.wait_for_selector("#short-answer")
        phone.fill("#short-answer", text)
        phone.click("#submit")
    wait_until(console, "document.querySelectorAll('.short-answers tbody tr').length === 2")
    rows = console.inner_text(".short-answers")
    assert "王小明" in rows and "全心全意为人民服务" in rows and "为人民服务吧" in rows and "待评判 2 份" in rows
    assert "为人民服务吧" not in phones[0][0].content()  # a phone never sees another player's answer
    console.click(".short-answers tr:has-text('王小明') [data-correct='1']")
    console.click(".short-answers tr:has-text('赵小红') [data-correct='0']")
    console.wait_for_selector(".short-answers tr.is-ok:has-text('王小明')")
    console.wait_for_selector(".short-answers tr.is-bad:has-text('赵小红')")
    assert "待评判 0 份" in console.inner_text(".short-answers")
    shot(console, "host-short-answers")
    console.click("[data-action=reveal]")
    phones[0][0].wait_for_selector(".verdict-big.ok")  # judged right: the phone shows it at the reveal
    phones[1][0].wait_for_selector(".verdict-big.bad")
    shot(phones[0][0], "phone-short-judged")
