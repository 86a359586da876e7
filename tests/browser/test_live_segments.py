"""The team segments played through the real pages: 必答 (required), 抢答 (buzzer), 风险 (risk) and 加赛 (tiebreak).

Each journey drives one round's game from the host console (/host/{id}, 1366×768: a laptop beside the stage) by
clicks, with the big screen (/screen/{pin}, 1920×1080) and one phone (/play/{pin}) per team, and looks at every
step (`Stage.step`): on the console, the controls of the current step (the action the host presses next, the
judgement of the team on turn, the risk values, the team table) are inside the 768 pixels without scrolling and no
text is cut; on the big screen, nothing is clipped (the checks of test_screen_fit). It checks what the screen shows
at the reveal (the right answer marked, and the reveal staying up until the host moves on) and that the console
tells no small lies (the next step named, the answer's label after the reveal, 下一题 after the last question).
Screenshots of the console and the screen at every step go to the `shot` folder.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, wait_until
from tests.browser.test_screen_fit import FAULTS_JS, SETTLE_JS

pytestmark = pytest.mark.browser

SCREEN = {"width": 1920, "height": 1080}
CONSOLE = {"width": 1366, "height": 768}
SMALL, LARGE = {"width": 1280, "height": 720}, {"width": 3840, "height": 2160}  # the screen's other projectors
TEAMS = [("财政局代表队", "市财政局", "张丽"), ("教育局代表队", "市教育局", "王强"), ("卫健委代表队", "市卫健委", "刘芳")]
# A real competition's longest names: the console and the screen must not cut them either.
LONG_TEAMS = [*TEAMS[:2], ("市卫生健康委员会机关代表队", "市卫生健康委员会", "刘芳")]


def call(server: Any, method: str, url: str, body: dict[str, Any], as_: str = "org") -> dict[str, Any]:
    response = httpx.request(method, server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                             timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json()) if response.content else {}


def team_game(server: Any, n_teams: int, segments: Any, names: list[tuple[str, str, str]] = TEAMS,
              questions: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], list[int]]:
    """A round with `n_teams` one-member teams (users p0, p1, ...) and its live game; returns (game, team ids).

    `segments` is the game's segment list, or a function of the team ids that returns it; `names` the teams'
    (name, unit, member); `questions` the bank's (default the sample bank)."""
    server.add_user("org", "organizer")
    members = [server.add_user(f"p{i}", "member", name=name, unit=unit) for i, (_, unit, name) in enumerate(names[:n_teams])]
    bank_id = server.seed_bank("竞赛题库", questions) if questions else server.seed_bank()
    competition = call(server, "POST", "/api/competitions", {"title": "党史知识竞赛"})
    teams = [call(server, "POST", f"/api/competitions/{competition['id']}/teams",
                  {"name": name, "unit": unit, "members": [uid]})["id"]
             for uid, (name, unit, _) in zip(members, names, strict=False)]
    final = call(server, "POST", f"/api/competitions/{competition['id']}/rounds",
                 {"name": "决赛", "stage": "final", "format": "live"})
    call(server, "PUT", f"/api/rounds/{final['id']}/teams", {"team_ids": teams})
    game = call(server, "POST", "/api/live", {"title": "决赛", "bank_id": bank_id, "round_id": final["id"],
                                              "segments": segments(teams) if callable(segments) else segments})
    return game, teams


def open_stage(server: Any, new_page: Any, game: dict[str, Any], n_phones: int,
               names: list[tuple[str, str, str]] = TEAMS) -> tuple[Any, Any, list[Any]]:
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
        assert names[i][0] in phone.inner_text(".who-team")
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


# The console at a step: each of `selectors` (what the host needs now) is shown inside the viewport at scroll
# 0, and no text anywhere on the page is cut (content wider or taller than a box that hides it, or running out
# of a button or a label) or runs off the side. Returns the faults as readable strings.
CONSOLE_FAULTS_JS = """(selectors) => {
  const out = [];
  const W = innerWidth, H = innerHeight;
  const tag = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} «${el.textContent.trim().slice(0, 20)}»`;
  if (scrollY > 0) out.push(`the console is scrolled to ${scrollY}`);
  if (document.documentElement.scrollWidth > W) out.push(`the console scrolls sideways: ${document.documentElement.scrollWidth}`);
  for (const sel of selectors) {
    const els = [...document.querySelectorAll(sel)];
    if (!els.length) out.push(`${sel}: not on the page`);
    for (const el of els) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) out.push(`${sel}: not shown`);
      else if (r.top < 0 || r.left < 0 || r.bottom > H + 0.5 || r.right > W + 0.5)
        out.push(`${sel} outside the ${W}×${H} view: ${[r.left, r.top, r.right, r.bottom].map(Math.round)}`);
    }
  }
  for (const el of document.querySelectorAll('#host-app *, .topbar *')) {
    if (!el.getClientRects().length || el.closest('[hidden], .visually-hidden')) continue;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (cs.visibility === 'hidden' || r.width <= 2 || r.height <= 2) continue;
    if (r.right > W + 1) out.push(`${tag(el)} runs off the side: ${Math.round(r.right)}`);
    const hides = ['hidden', 'clip'].includes(cs.overflowX) || ['hidden', 'clip'].includes(cs.overflowY);
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if ((hides || (ownText && cs.display !== 'inline')) && (el.scrollWidth > el.clientWidth + 1 || (hides && el.scrollHeight > el.clientHeight + 1)))
      out.push(`${tag(el)} cuts its content: ${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
  }
  return out;
}"""


class Stage:
    """The console, the big screen and the phones of one game, and `step`: look at both screens at one step."""

    def __init__(self, console: Any, screen: Any, phones: list[Any], shot: Any) -> None:
        self.console, self.screen, self.phones, self.shot = console, screen, phones, shot

    def step(self, name: str, controls: list[str], sizes: tuple[dict[str, int], ...] = ()) -> None:
        """At this step the console's `controls` are in view and nothing is cut on the console or the big screen
        (also at `sizes`, the screen's other viewports); both are shot as `name`."""
        self.console.wait_for_timeout(150)  # the console draws on the message; a transition settles
        faults = self.console.evaluate(CONSOLE_FAULTS_JS, controls)
        self.shot(self.console, f"{name}-console", full_page=False)
        assert not faults, f"console, {name}: {faults[:6]}"
        for viewport in (*sizes, SCREEN):
            self.screen.set_viewport_size(viewport)
            wait_until(self.screen, "(w) => Math.abs(document.getElementById('tv').getBoundingClientRect().width - w) < 2",
                       min(viewport["width"] / 1920, viewport["height"] / 1080) * 1920)
            self.screen.evaluate(SETTLE_JS)
            found = self.screen.evaluate(FAULTS_JS)
            assert not found, f"screen {viewport['width']}×{viewport['height']}, {name}: {found[:6]}"
        self.shot(self.screen, f"{name}-screen", full_page=False)

    def hint(self) -> str:
        return str(self.console.inner_text("#next-hint"))

    def primary(self) -> str:
        """The action the console highlights (what Space does)."""
        return str(self.console.evaluate("document.querySelector('#actions .act.primary')?.dataset.action || ''"))


def test_required_segment_turns_judgements_and_the_reveal(live_server: Any, new_page: Any, shot: Any) -> None:
    game, teams = team_game(live_server, 3, [
        {"kind": "required", "title": "必答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10,
         "wrong_points": -5}])
    screen, console, phones = open_stage(live_server, new_page, game, 3)
    stage = Stage(console, screen, phones, shot)
    first, second, third = phones
    stage.step("required-lobby", ["#actions [data-action=start].primary", "#teams tbody tr"], sizes=(SMALL, LARGE))

    console.click("[data-action=start]")
    screen.wait_for_selector(".seg-card")
    # The title card: the console says so (not 比赛已结束), in words (not "segment"), the title once.
    assert "环节开场" in stage.hint() and console.inner_text("#phase-badge") == "环节开场"
    assert console.inner_text("#now").count("必答题") == 1
    stage.step("required-card", ["#next-hint", "#teams tbody tr"], sizes=(SMALL, LARGE))
    # Question 1 goes to the first team: its phone answers, the others watch; the console names it.
    first.wait_for_selector(".answer-tile[data-key=A]", timeout=15_000)
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
    # The team has not answered: the console waits for it (or for a judgement aloud), it does not offer 停止作答.
    assert f"等待 {TEAMS[0][0]} 作答" in stage.hint() and stage.primary() == ""
    stage.step("required-turn", ["#next-hint", "#decide.hot [data-judge]", ".turn-line", "#host-timer",
                                 "#teams tbody tr", "#teams tr.turn .judge-cell button"], sizes=(SMALL, LARGE))

    first.click(".answer-tile[data-key=A]")  # right: the reveal grades it
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    assert f"{TEAMS[0][0]} 已提交答案：A（与正确答案一致）" in console.inner_text(".team-answer")
    # The reveal grades a phone's answer to an objective question: the console does not ask for a judgement.
    assert "评判" not in stage.hint() and "公布答案" in stage.hint()
    assert "公布答案时自动计分" in console.inner_text("#decide.quiet")
    stage.step("required-answered", ["#actions [data-action=reveal].primary", ".team-answer", "#decide [data-judge]",
                                     "#teams tbody tr"])
    console.click("[data-action=reveal]")
    reveal_stays(screen, "A")
    first.wait_for_selector(".verdict-big.ok")
    wait_until(console, "document.getElementById('phase-badge').dataset.phase === 'revealed'")
    assert score_of(console, TEAMS[0][0]) == "10"
    assert "仅主持人可见" not in console.inner_text(".host-answer")
    stage.step("required-revealed", ["#actions [data-action=next].primary", "#teams tbody tr"], sizes=(SMALL, LARGE))

    # Question 2 goes to the second team, answered aloud: the host judges it wrong from the console.
    console.click("[data-action=next]")
    second.wait_for_selector(".judge-btn[data-value=true]")
    console.wait_for_selector(f"#decide [data-judge='{teams[1]}']")
    assert TEAMS[1][0] in console.inner_text("#decide")
    assert third.locator(".judge-btn").count() == 0
    stage.step("required-turn-2", ["#decide.hot [data-judge]", "#teams tr.turn .judge-cell button"])
    console.click("#decide [data-judge][data-correct='0']")
    screen.wait_for_selector(".side-judged.bad")
    assert TEAMS[1][0] in screen.inner_text(".side-judged")
    console.wait_for_selector(".judged-line.bad")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    stage.step("required-judged", ["#actions .act.primary", ".judged-line", "#teams tbody tr"])
    console.click("[data-action=reveal]")
    screen.wait_for_selector(".dist-row.is-right")
    assert screen.locator(".dist-row.is-right.opt-judge-true").count() == 1
    screen.wait_for_timeout(1200)
    assert screen.locator(".dist-row.is-right").count() == 1
    wait_until(console, f"[...document.querySelectorAll('#teams tbody tr')].some((r) => r.textContent.includes('{TEAMS[1][0]}')"
                        " && r.querySelector('td.num').textContent.trim() === '-5')")
    # The segment is over: 结束比赛 is what the console offers now, not 下一题.
    console.wait_for_selector("[data-action=finish].primary")
    assert console.is_disabled("[data-action=next]")
    stage.step("required-last-revealed", ["#actions [data-action=finish].primary", "#teams tbody tr"])
    # The ledger has both scores (below the fold: it is not what the host needs for the step).
    wait_until(console, "document.querySelectorAll('#ledger tbody tr').length === 2")
    console.click("[data-action=leaderboard]")
    screen.wait_for_selector(".board li.r1")
    assert TEAMS[0][0] in screen.inner_text(".board li.r1")
    stage.step("required-board", ["#actions [data-action=finish].primary", "#teams tbody tr"], sizes=(SMALL, LARGE))
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("[data-action=finish]")
    screen.wait_for_selector(".podium .step-1")
    screen.wait_for_timeout(4400)  # the podium rises: third, second, first
    stage.step("required-podium", ["#phase-badge[data-phase=finished]"], sizes=(SMALL, LARGE))


def test_buzzer_segment_buzz_judge_rebuzz_and_the_reveal(live_server: Any, new_page: Any, shot: Any) -> None:
    game, teams = team_game(live_server, 3, [
        {"kind": "buzzer", "title": "抢答题", "question_ids": [1], "time_limit_s": 30, "buzz_window_s": 30, "points": 10,
         "wrong_points": -10, "rebuzz_after_wrong": True}], names=LONG_TEAMS)
    screen, console, phones = open_stage(live_server, new_page, game, 3, names=LONG_TEAMS)
    stage = Stage(console, screen, phones, shot)
    first, second, third = phones

    console.click("[data-action=start]")
    console.wait_for_selector("[data-action=open_buzz].primary:not([disabled])", timeout=15_000)
    screen.wait_for_selector(".side-big.wait")
    assert "开启抢答" in stage.hint()
    stage.step("buzzer-question", ["#actions [data-action=open_buzz].primary", ".buzz-line", "#teams tbody tr"],
               sizes=(SMALL, LARGE))
    console.click("[data-action=open_buzz]")
    second.wait_for_selector(".buzz-zone.armed #buzz:not([disabled])")
    screen.wait_for_selector(".side-big.go")
    # The teams buzz now: the console waits for them and does not push 停止作答.
    assert "等待各队抢答" in stage.hint() and stage.primary() == ""
    stage.step("buzzer-armed", ["#actions [data-action=close]", ".buzz-line .armed", "#host-timer", "#teams tbody tr"])
    second.dispatch_event("#buzz", "pointerdown")
    screen.wait_for_selector(".flash-won:not([hidden])")
    console.wait_for_selector(f"#decide [data-judge='{teams[1]}']")
    assert f"抢答成功：{LONG_TEAMS[1][0]}" in console.inner_text(".buzz-line")
    assert f"等待 {LONG_TEAMS[1][0]} 作答" in stage.hint()
    screen.wait_for_timeout(2800)  # the winner's flash goes; the side names the team
    screen.wait_for_selector(".side-turn.won")
    stage.step("buzzer-won", ["#decide [data-judge]", ".buzz-line .winner", "#teams tr.hot .judge-cell button",
                              "#teams tbody tr"], sizes=(SMALL, LARGE))
    # Answered aloud, judged wrong: the others may buzz again.
    console.click("#decide [data-judge][data-correct='0']")
    screen.wait_for_selector(".flash-wrong:not([hidden])")
    third.wait_for_selector(".buzz-zone.armed #buzz:not([disabled])")
    wait_until(console, "document.querySelector('.buzz-line')?.textContent.includes('已出局')")
    assert LONG_TEAMS[1][0] in console.inner_text(".buzz-line")
    # The verdict is not swept away by 抢答开始 at once: the hall sees it, then the buzzers open again, and
    # the side keeps the team that answered wrong.
    screen.wait_for_timeout(900)
    assert screen.locator(".flash-wrong:not([hidden])").count() == 1
    screen.wait_for_selector(".side-big.go")
    assert LONG_TEAMS[1][0] in screen.inner_text("#side-status")
    stage.step("buzzer-rebuzz", ["#actions [data-action=close]", ".buzz-line", "#teams tbody tr"])
    third.dispatch_event("#buzz", "pointerdown")
    # The winner's flash with the longest name: on two even lines inside the stage, not cut.
    screen.wait_for_selector(f".flash-won:not([hidden]):has-text('{LONG_TEAMS[2][0][:6]}')")
    screen.wait_for_timeout(700)  # grown in, not yet fading
    faults = screen.evaluate(FAULTS_JS)
    assert not faults, f"the buzz winner's flash: {faults[:4]}"
    shot(screen, "buzzer-flash-long-name-screen", full_page=False)
    console.wait_for_selector(f"#decide [data-judge='{teams[2]}']")
    third.wait_for_selector(".answer-tile[data-key=A]")
    third.click(".answer-tile[data-key=A]")  # right on the phone: the engine judges it
    console.wait_for_selector(".judged-line.ok")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    screen.wait_for_selector(".side-judged.ok")
    stage.step("buzzer-answered", ["#actions .act.primary", ".judged-line", "#teams tbody tr"])
    console.click("[data-action=reveal]")
    reveal_stays(screen, "A")
    wait_until(console, f"[...document.querySelectorAll('#teams tbody tr')].some((r) => r.textContent.includes('{LONG_TEAMS[2][0]}')"
                        " && r.querySelector('td.num').textContent.trim() === '10')")
    console.wait_for_selector("[data-action=finish].primary")
    assert console.is_disabled("[data-action=next]")
    stage.step("buzzer-revealed", ["#actions .act.primary", "#teams tbody tr"], sizes=(SMALL, LARGE))


def test_risk_segment_picks_values_and_keeps_the_reveal(live_server: Any, new_page: Any, shot: Any) -> None:
    game, teams = team_game(live_server, 2, [
        {"kind": "risk", "title": "风险题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10,
         "risk_values": [10, 20, 30], "pick_order": "seat"}])
    screen, console, phones = open_stage(live_server, new_page, game, 2)
    stage = Stage(console, screen, phones, shot)
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
    stage.step("risk-pick", ["#decide [data-risk]", "#teams tr.hot .risk-cell button", "#teams tbody tr"],
               sizes=(SMALL, LARGE))

    console.click(f"#decide [data-risk='{teams[0]}'][data-points='20']")
    first.wait_for_selector(".answer-tile[data-key=A]")
    second.wait_for_selector(".turn-note")
    screen.wait_for_selector(".q-points")
    assert "20" in screen.inner_text(".q-points")
    console.wait_for_selector(f"#decide [data-judge='{teams[0]}']")
    stage.step("risk-question", ["#decide [data-judge]", ".turn-line", "#teams tr.turn .judge-cell button", "#teams tbody tr"])
    first.click(".answer-tile[data-key=A]")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    console.click("[data-action=reveal]")
    # The reveal stays up: the next pick is asked for only when the host moves on.
    reveal_stays(screen, "A", seconds=1.5)
    first.wait_for_selector(".verdict-big.ok")
    wait_until(console, f"[...document.querySelectorAll('#teams tbody tr')].some((r) => r.textContent.includes('{TEAMS[0][0]}')"
                        " && r.querySelector('td.num').textContent.trim() === '20')")
    assert "10 / 30" in team_row(console, TEAMS[0][0]).inner_text()  # the values this team has left
    console.wait_for_selector("[data-action=next].primary:not([disabled])")
    stage.step("risk-revealed", ["#actions [data-action=next].primary", "#teams tbody tr"], sizes=(SMALL, LARGE))

    console.click("[data-action=next]")
    console.wait_for_selector(f"#decide [data-risk='{teams[1]}'][data-points='30']")
    assert "轮到选分" in team_row(console, TEAMS[1][0]).inner_text()
    # Now (the host moved on) the screen asks the next team for its pick.
    wait_until(screen, "(name) => [...document.querySelectorAll('.side-turn, .risk-turn')].some((e) => e.offsetParent !== null"
                       " && e.textContent.includes(name) && e.textContent.includes('选择分值'))", TEAMS[1][0])
    # A console and a screen reloaded while a team picks still offer (ask for) its values.
    screen.reload()
    screen.wait_for_selector(f".risk-turn:has-text('{TEAMS[1][0]}')")
    assert screen.locator(".risk-values span").count() == 3
    console.reload()
    console.wait_for_selector(f"#decide [data-risk='{teams[1]}'][data-points='30']")
    assert "选择风险分值" in console.inner_text("#phase-badge")
    stage.step("risk-pick-2", ["#decide [data-risk]", "#teams tr.hot .risk-cell button", "#teams tbody tr"])
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
    stage.step("risk-last-revealed", ["#actions [data-action=finish].primary", "#teams tbody tr"])


def test_tiebreak_sudden_death_between_the_tied_teams(live_server: Any, new_page: Any, shot: Any) -> None:
    # The first two teams are the tied ones; the third watches.
    game, teams = team_game(live_server, 3, lambda ids: [
        {"kind": "tiebreak", "title": "加赛", "question_ids": [1, 2], "time_limit_s": 30, "buzz_window_s": 30,
         "points": 10, "team_ids": ids[:2]}])
    screen, console, phones = open_stage(live_server, new_page, game, 3)
    stage = Stage(console, screen, phones, shot)
    first, second, third = phones

    console.click("[data-action=start]")
    screen.wait_for_selector(".seg-card")
    stage.step("tiebreak-card", ["#teams tbody tr"], sizes=(SMALL, LARGE))
    first.wait_for_selector("#buzz[disabled]", timeout=15_000)  # the buzzer stays off until the host opens it
    third.wait_for_selector(".watch-note")
    assert "加赛在同分队伍之间进行" in third.inner_text(".watch-note")
    assert third.locator("#buzz").count() == 0
    console.wait_for_selector("[data-action=open_buzz].primary:not([disabled])")
    stage.step("tiebreak-question", ["#actions [data-action=open_buzz].primary", "#teams tbody tr"])
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
    stage.step("tiebreak-judge", ["#decide [data-judge]", ".buzz-line .winner", "#teams tr.hot .judge-cell button",
                                  "#teams tbody tr"])
    # Answered aloud and judged wrong: in sudden death the other team wins, the question closes.
    console.click("#decide [data-judge][data-correct='0']")
    screen.wait_for_selector(".side-judged.bad")
    second.wait_for_selector(".judged.bad")
    console.wait_for_selector("[data-action=reveal].primary:not([disabled])")
    stage.step("tiebreak-judged", ["#actions [data-action=reveal].primary", ".judged-line", "#teams tbody tr"])
    console.click("[data-action=reveal]")
    reveal_stays(screen, "A", seconds=1.2)
    assert screen.locator(".dist-row.is-right .tv-key b").inner_text() == "A"
    # The hall is told the result: the team that answered wrong, and the team that won the tiebreak.
    assert TEAMS[1][0] in screen.inner_text(".side-judged.bad")
    assert TEAMS[0][0] in screen.inner_text(".tie-won") and "加赛胜出" in screen.inner_text(".tie-won")
    wait_until(console, "document.getElementById('phase-badge').dataset.phase === 'revealed'")
    assert "A" in console.inner_text(".host-answer")
    # The tie is settled: no second question, the game may finish; the board shows the winner first.
    console.wait_for_selector("[data-action=finish].primary")
    assert console.is_disabled("[data-action=next]")
    stage.step("tiebreak-revealed", ["#actions [data-action=finish].primary", "#teams tbody tr"], sizes=(SMALL, LARGE))
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
