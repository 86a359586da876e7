"""The phone in a round's team game (issue 10, "the show"): 必答, 抢答, 风险 and 加赛, looked at on two phones.

Two teams of one member each play every team segment through the real phone page (/play/{pin}), one phone at
390×844 in WeChat's in-app browser, the other at 360×740 in 大字; the host drives the game through its WebSocket (what the console sends),
so the test does not depend on the console's layout. At every step both phones are photographed (``shot``),
checked for cut or overlapping text (``clipped``, from the open game's journey) and for what each says for its
role: the team on turn has the answer pad, the other phone names the team answering; after the reveal the team on
turn sees its verdict, every phone the right answer (and, not on turn, how the answering team did); in 风险 the
team on turn is told it picks, both phones see the value picked.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.browser.conftest import PHONE, wait_until
from tests.browser.test_live_segments import TEAMS, team_game
from tests.browser.test_phone_defects import JOURNEY_QUESTIONS, clipped

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
WECHAT = ("Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
          "Chrome/86.0.4240.99 XWEB/4317 MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/1234 "
          "MicroMessenger/8.0.28.2240(0x28001C57) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64")

# Long stems and options, as the real banks have them; the right answers are A, 正确, C, A, 正确, B.
QUESTIONS: list[dict[str, Any]] = [
    *JOURNEY_QUESTIONS[:2],  # the open journey's long single choice and judge
    {"type": "single", "stem": "党的二十大报告提出，从现在起，中国共产党的中心任务是团结带领全国各族人民全面建成什么？",
     "options": [{"key": "A", "text": "小康社会"}, {"key": "B", "text": "现代化经济体系"},
                 {"key": "C", "text": "社会主义现代化强国"}, {"key": "D", "text": "创新型国家"}],
     "answer": ["C"], "explanation": "全面建成社会主义现代化强国、实现第二个百年奋斗目标，以中国式现代化全面推进中华民族伟大复兴。"},
    {"type": "single", "stem": "中国共产党第一次全国代表大会在哪里召开？",
     "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}, {"key": "C", "text": "南昌"},
                 {"key": "D", "text": "延安"}],
     "answer": ["A"], "explanation": "1921年7月在上海召开，最后一天转至嘉兴南湖。"},
    {"type": "judge", "stem": "遵义会议是党的历史上一个生死攸关的转折点。", "answer": [True],
     "explanation": "遵义会议在最危急关头挽救了党、挽救了红军、挽救了中国革命。"},
    {"type": "single", "stem": "“两个确立”的决定性意义写入了哪一次全会的历史决议？",
     "options": [{"key": "A", "text": "十九届五中全会"}, {"key": "B", "text": "十九届六中全会"},
                 {"key": "C", "text": "二十届一中全会"}, {"key": "D", "text": "二十届二中全会"}],
     "answer": ["B"], "explanation": "党的十九届六中全会通过的历史决议。"},
]

SEGMENTS = lambda ids: [  # noqa: E731 - the team ids are known only once the round exists
    {"kind": "required", "title": "必答题", "question_ids": [1, 2], "time_limit_s": 90, "points": 10},
    {"kind": "buzzer", "title": "抢答题", "question_ids": [3], "time_limit_s": 90, "buzz_window_s": 60, "points": 10,
     "foul_policy": "lose_turn"},
    {"kind": "risk", "title": "风险题", "question_ids": [4, 5], "time_limit_s": 90, "points": 10,
     "risk_values": [10, 20, 30], "pick_order": "seat"},
    {"kind": "tiebreak", "title": "加赛", "question_ids": [6], "time_limit_s": 90, "buzz_window_s": 60, "points": 10,
     "team_ids": ids},
]


class Socket:
    """A WebSocket to the game (the host's, or a player's second connection), reading in a thread."""

    def __init__(self, server: Any, pin: str, role: str, token: str) -> None:
        self.ws = connect(f"{server.url.replace('http', 'ws')}/ws/live/{pin}?role={role}&token={token}",
                          open_timeout=10)
        self.messages: list[dict[str, Any]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.messages.append(json.loads(raw))
        except Exception:  # noqa: BLE001 - the socket closes at the end of the test
            pass

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def wait(self, type_: str, since: int = 0, timeout_s: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in self.messages[since:]:
                if message.get("type") == type_:
                    return message
            time.sleep(0.02)
        raise AssertionError(f"no {type_!r} in {self.messages[since:]}")

    def close(self) -> None:
        self.ws.close()


class Host(Socket):
    def do(self, action: str, **params: Any) -> None:
        """One host action; an `error` in answer fails the test."""
        since = len(self.messages)
        self.send({"type": "host", "action": action, **params})
        deadline = time.monotonic() + 5
        while len(self.messages) == since and time.monotonic() < deadline:  # every action is answered with events
            time.sleep(0.01)
        time.sleep(0.03)
        errors = [m for m in self.messages[since:] if m.get("type") == "error"]
        assert not errors, f"host {action} {params}: {errors}"


def text(page: Any, selector: str = "#v-stage") -> str:
    return " ".join(str(page.inner_text(selector)).split())


def widows(page: Any) -> list[str]:
    """Text of the phone whose last line is one character (会 alone under 十九届五中全): a character starts a new line
    when it begins left of the one before it and lower down."""
    return list(page.evaluate("""() => {
      const out = [];
      const parts = '.seg-rule, .q-stem, .opt-text, .tile-text, .turn-note, .judged, .closed-note span, .buzz-state b, .buzz-state small,'
        + ' .pick-card h1, .pick-hint, .explain p, .saved small, .right-line, .mine-line';
      for (const el of document.querySelectorAll(`#v-stage :is(${parts.split(',').join(',')})`)) {
        if (!el.offsetParent) continue;
        const lines = [];
        let prev = null;
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (let i = 0; i < node.textContent.length; i++) {
            if (/\\s/.test(node.textContent[i])) continue;
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const r = range.getClientRects()[0];
            if (!r || !r.width) continue;
            if (!prev || (r.left < prev.left - 1 && r.top > prev.top + 2)) lines.push([]);
            lines[lines.length - 1].push(node.textContent[i]);
            prev = r;
          }
        }
        if (lines.length > 1 && lines[lines.length - 1].length === 1) {
          out.push(`${el.className || el.tagName}: "${lines[lines.length - 1][0]}" alone on the last line of "${el.textContent.trim()}"`);
        }
      }
      // A phrase (static/js/player.js phrases()) is broken only when it is wider than its line.
      for (const el of document.querySelectorAll('#v-stage .phrase')) {
        const range = document.createRange();
        range.selectNodeContents(el);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1 && el.scrollWidth < el.parentElement.clientWidth) out.push(`the phrase ${el.textContent} is broken`);
      }
      return out; }"""))


# The pop-ins have ended (the countdown's transition and the buzzer's throb run on: they are not waited for).
SETTLED = ("document.getAnimations().every((a) => !(a instanceof CSSAnimation) || a.playState !== 'running'"
           " || a.effect.getComputedTiming().endTime === Infinity)")


def in_view(page: Any, selector: str) -> bool:
    """The element is in sight (the phone scrolls it there when it changes: 大字 on a short phone); waits for it."""
    return bool(wait_until(page, "(sel) => { const r = document.querySelector(sel).getBoundingClientRect();"
                                 " const bar = document.querySelector('.topbar').getBoundingClientRect();"
                                 " return r.top >= bar.bottom && r.bottom <= innerHeight; }", selector, timeout_s=3))


def above(page: Any, first: str, second: str) -> bool:
    one, two = page.locator(first).first.bounding_box(), page.locator(second).first.bounding_box()
    return bool(one and two) and one["y"] + one["height"] <= two["y"] + 1


def test_the_team_phone_journey(live_server: Any, new_page: Any, shot: Any) -> None:
    """Team A's phone is a 390×844 one in WeChat's browser, team B's a 360×740 one in 大字 mode (older eyes): each
    phone is on turn and not on turn in turn. (The standard size at 360 px is the open game's journey.)"""
    game, teams = team_game(live_server, 2, SEGMENTS, questions=QUESTIONS)
    a_id, b_id = teams
    a_name, b_name = TEAMS[0][0], TEAMS[1][0]
    problems: dict[str, list[str]] = {}
    phones = []
    for i, (viewport, agent) in enumerate([(PHONE_390, WECHAT), (PHONE, None)]):
        phone = new_page(viewport, **({"user_agent": agent} if agent else {}))
        live_server.login(phone.context, f"p{i}")
        phone.goto(f"{live_server.url}/play/{game['pin']}")
        phone.click("#join-me")
        phone.wait_for_selector(".lobby h1")
        if i == 1:
            phone.click("[data-large-text]")
            wait_until(phone, "document.documentElement.classList.contains('large-text')")
        phones.append(phone)
    a, b = phones
    host = Host(live_server, game["pin"], "host", game["host_token"])
    host.wait("state")

    def look(step: str) -> None:
        for who, page in (("a", a), ("b", b)):
            wait_until(page, SETTLED)  # the pop-ins (.3 s) done: look at what stays
            shot(page, f"{step}-{who}")
            found = clipped(page) + widows(page)
            if found:
                problems[f"{step}-{who}"] = found

    try:
        # --- 必答: question 1 goes to team A, question 2 to team B ---------------------------------------
        host.do("start")
        for page in phones:
            page.wait_for_selector(".q-card .q-stem", timeout=15_000)
        a.wait_for_selector(".answer-tile[data-key=A]")
        assert "轮到你的队伍作答" in text(a, ".turn-note")
        assert f"轮到 {a_name} 作答" in text(b, ".turn-note") and b.locator(".answer-tile").count() == 0
        look("01-required-q1")
        a.click(".answer-tile[data-key=A]")
        a.wait_for_selector("#save-status .saved.ok")
        b.wait_for_selector(".closed-note")
        # The team's answer is the team's; the phone says to wait once, not twice; the other phone says who answered.
        assert "本队答案：A" in text(a, "#save-status")
        wait_until(a, "document.querySelector('.closed-note') !== null")
        assert text(a).count("公布答案") == 1, text(a)
        assert f"{a_name} 已作答" in text(b, ".closed-note")
        look("02-required-q1-answered")
        host.do("reveal")
        a.wait_for_selector(".verdict-big.ok")
        b.wait_for_selector(".turn-result.ok")
        assert "+10 分" in text(a, ".verdict-big") and "本队选择" in text(a, ".is-right")
        assert text(b, ".turn-result") == f"{a_name} 回答正确 +10"  # the verdict of the team on turn, for all
        for page in phones:
            assert page.inner_text(".opt-readonly.result .is-right .tile-key b") == "A"
        look("03-required-q1-revealed")

        host.do("next")
        b.wait_for_selector(".judge-btn[data-value=false]")
        a.wait_for_selector(".turn-note")
        assert f"轮到 {b_name} 作答" in text(a, ".turn-note") and a.locator(".judge-btn").count() == 0
        look("04-required-q2")
        b.click(".judge-btn[data-value=false]")  # wrong
        b.wait_for_selector("#save-status .saved.ok")
        host.do("reveal")
        b.wait_for_selector(".verdict-big.bad")
        a.wait_for_selector(".turn-result.bad")
        assert "0 分" in text(b, ".verdict-points") and "+0" not in text(b, ".verdict-big")
        assert text(a, ".turn-result") == f"{b_name} 回答错误"
        for page in phones:
            assert "正确答案：正确" in text(page, ".right-line")
        assert "本队答案：错误" in text(b, ".mine-line")
        look("05-required-q2-revealed")

        # --- 抢答: B fouls (a buzz before the buzzer opens, from its second connection), A buzzes and answers ---
        host.do("next")
        for page in phones:  # the segment's title card (2 s): looked at while it is up
            page.wait_for_selector(".segment-card")
        assert "抢答题" in text(a, ".segment-card") and "提前按下算犯规" in text(a, ".seg-rule")  # how it is played
        look("06a-buzzer-card")
        for page in phones:
            page.wait_for_selector("#buzz[disabled]", timeout=15_000)
            assert "等待主持人开启抢答" in text(page, ".buzz-state")
        look("06b-buzzer-wait")
        second = Socket(live_server, game["pin"], "player", live_server.token("p1"))
        try:
            question = second.wait("state")["question"]["id"]
            second.send({"type": "buzz", "question": question})
            b.wait_for_selector(".buzz-foul")
        finally:
            second.close()
        assert "犯规" in text(b, ".buzz-state") and "等待主持人开启抢答" in text(a, ".buzz-state")
        look("07-buzzer-foul")
        host.do("open_buzz")
        a.wait_for_selector(".buzz-zone.armed #buzz:not([disabled])")
        wait_until(b, "document.querySelector('.buzz-state').textContent.includes('本题不能再抢答')")
        assert b.is_disabled("#buzz")
        for page in phones:  # the button and the line under it, without scrolling
            assert in_view(page, "#buzz-state"), page.locator("#buzz-state").bounding_box()
        look("08-buzzer-open")
        a.dispatch_event("#buzz", "pointerdown")
        a.wait_for_selector(".answer-tile[data-key=C]")
        wait_until(b, f"document.querySelector('.buzz-state').textContent.includes('{a_name} 抢到了')")
        assert "抢答成功" in text(a, ".turn-note") and "不能再抢答" in text(b, ".buzz-state")
        assert in_view(b, "#buzz-state")
        look("09-buzzer-won")
        a.click(".answer-tile[data-key=C]")  # right: the server judges it at once, every phone hears
        for page in phones:
            page.wait_for_selector(".judged.ok")
            assert text(page, ".judged") == f"{a_name} 回答正确 +10"
            assert above(page, ".judged", ".closed-note")  # the news first
        assert text(a).count("公布答案") == 1, text(a)
        look("10-buzzer-answered")
        host.do("reveal")
        a.wait_for_selector(".verdict-big.ok")
        b.wait_for_selector(".q-card .q-stem.small")
        assert text(b, ".judged") == f"{a_name} 回答正确 +10"
        for page in phones:
            assert page.inner_text(".opt-readonly.result .is-right .tile-key b") == "C"
        look("11-buzzer-revealed")

        # --- 风险: A picks 20 and answers right, B picks 30 and answers wrong ------------------------------
        host.do("next")
        a.wait_for_selector(".pick-card.mine", timeout=15_000)
        b.wait_for_selector(".pick-card:not(.mine)")
        assert a.eval_on_selector_all(".pick-values b", "els => els.map(e => e.textContent)") == ["10", "20", "30"]
        assert "轮到你的队伍选择风险分值" in text(a, ".pick-card") and "请向主持人报出" in text(a, ".pick-card")
        assert f"{a_name} 选择风险分值" in text(b, ".pick-card h1") and b.locator(".pick-values").count() == 0
        assert a.locator(".pick-board .board li").count() == 2
        b.reload()  # a phone back during the pick (its snapshot: phase picking, no question yet) shows the pick too
        b.wait_for_selector(".pick-card:not(.mine)")
        look("12-risk-pick-a")
        host.do("risk", team_id=a_id, points=20)
        a.wait_for_selector(".answer-tile[data-key=A]")
        b.wait_for_selector(".turn-note")
        for page in phones:  # the value picked, on every phone
            assert text(page, ".turn-note .stake") == "风险分值 20 分"
        look("13-risk-q-a")
        a.click(".answer-tile[data-key=A]")
        a.wait_for_selector("#save-status .saved.ok")
        host.do("reveal")
        a.wait_for_selector(".verdict-big.ok")
        b.wait_for_selector(".turn-result.ok")
        assert "+20 分" in text(a, ".verdict-big")
        assert text(b, ".turn-result") == f"{a_name} 回答正确 +20"
        look("14-risk-revealed-a")
        host.do("next")
        b.wait_for_selector(".pick-card.mine")
        a.wait_for_selector(".pick-card:not(.mine)")
        assert f"{b_name} 选择风险分值" in text(a, ".pick-card h1")
        a.reload()  # back during the second pick (its snapshot still carries the revealed question): the pick
        a.wait_for_selector(".pick-card:not(.mine)")
        look("15-risk-pick-b")
        host.do("risk", team_id=b_id, points=30)
        b.wait_for_selector(".judge-btn[data-value=false]")
        a.wait_for_selector(".turn-note")
        for page in phones:
            assert text(page, ".turn-note .stake") == "风险分值 30 分"
        look("16-risk-q-b")
        b.click(".judge-btn[data-value=false]")
        b.wait_for_selector("#save-status .saved.ok")
        host.do("reveal")
        b.wait_for_selector(".verdict-big.bad")
        a.wait_for_selector(".turn-result.bad")
        assert "-30 分" in text(b, ".verdict-big")
        wait_until(a, "document.getElementById('turn-points').textContent.trim() === '-30'")  # the score follows
        assert text(a, ".turn-result") == f"{b_name} 回答错误 -30"
        look("17-risk-revealed-b")

        # --- 加赛: sudden death between the two teams; B buzzes first and answers right ------------------------
        host.do("next")
        for page in phones:
            page.wait_for_selector("#buzz[disabled]", timeout=15_000)
        host.do("open_buzz")
        b.wait_for_selector(".buzz-zone.armed #buzz:not([disabled])")
        b.dispatch_event("#buzz", "pointerdown")
        b.wait_for_selector(".answer-tile[data-key=B]")
        a.wait_for_selector(".buzz-lost")
        assert f"{b_name} 抢到了" in text(a, ".buzz-state") and in_view(a, "#buzz-state")
        look("18-tiebreak-won")
        b.click(".answer-tile[data-key=B]")
        for page in phones:
            page.wait_for_selector(".judged.ok")
            assert text(page, ".judged") == f"{b_name} 回答正确"  # a tiebreak has no points: no "0"
        look("19-tiebreak-answered")
        host.do("reveal")
        b.wait_for_selector(".verdict-big.ok")
        a.wait_for_selector(".q-card .q-stem.small")
        assert text(b, ".verdict-points") == "加赛胜出" and "分" not in text(b, ".verdict-big")  # places, not points
        look("20-tiebreak-revealed")
        host.do("finish")
        for page in phones:
            page.wait_for_selector(".board-card.final")
        look("21-final")
    finally:
        host.close()
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
