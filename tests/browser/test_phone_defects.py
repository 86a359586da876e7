"""The phone player's defects of issue 10 item 12, each reproduced at 360×740 (and 390×844) and pinned here.

- A closed team game (its rules admit only roster players) tells a guest at once on /play/{pin}: no name
  box, a message and a login link back to the game; a logged-in team member still joins.
- The six PIN dots (and six typed digits) fit the join page's box at 320, 360 and 390 px, also in 大字 mode.
- The same account on two phones: the second phone (and the first after the reveal) shows the player's
  answer under 你的答案, not an empty one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.browser.conftest import PASSWORD, PHONE, wait_until
from tests.browser.test_live_browser import post, put

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
CONSOLE = {"width": 1366, "height": 768}


def team_game(server: Any, segments: list[dict[str, Any]]) -> dict[str, Any]:
    """A round's live game with two teams (p0 in 财政局代表队, p1 in 教育局代表队): only roster players may join."""
    server.add_user("org", "organizer")
    ids = [server.add_user(f"p{i}", "member", name=name, unit=unit)
           for i, (name, unit) in enumerate([("张丽", "市财政局"), ("王强", "市教育局")])]
    bank_id = server.seed_bank()
    competition = post(server, "/api/competitions", {"title": "党史知识竞赛"}, "org")
    teams = [post(server, f"/api/competitions/{competition['id']}/teams", {"name": name, "unit": unit, "members": [uid]},
                  "org")
             for uid, (name, unit) in zip(ids, [("财政局代表队", "市财政局"), ("教育局代表队", "市教育局")], strict=True)]
    final = post(server, f"/api/competitions/{competition['id']}/rounds",
                 {"name": "决赛", "stage": "final", "format": "live"}, "org")
    put(server, f"/api/rounds/{final['id']}/teams", {"team_ids": [t["id"] for t in teams]}, "org")
    return post(server, "/api/live", {"title": "决赛", "bank_id": bank_id, "round_id": final["id"], "segments": segments},
                "org")


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# --- a. a closed team game and a guest ----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, PHONE_390], ids=["360", "390"])
def test_a_closed_team_game_tells_a_guest_at_once(live_server: Any, new_page: Any, shot: Any,
                                                  viewport: dict[str, int]) -> None:
    game = team_game(live_server, [{"kind": "all", "title": "全员答题", "question_ids": [1], "time_limit_s": 60,
                                    "points": 10}])
    pin = game["pin"]
    guest = new_page(viewport)
    guest.goto(f"{live_server.url}/play/{pin}")
    guest.wait_for_selector("#v-name:not([hidden])")
    shot(guest, "guest-closed")
    # No name box to fill in vain: the page says who may play, and how.
    assert guest.locator("#name").count() == 0
    assert guest.locator("#join-go").count() == 0
    text = guest.inner_text("#v-name")
    assert "只允许报名队员参加" in text and "请先登录" in text, text
    link = guest.locator("#v-name a[href*='next=']")
    assert link.count() == 1
    assert unquote(link.get_attribute("href") or "").endswith(f"next=/play/{pin}")
    box = link.bounding_box()
    assert box and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert no_horizontal_scroll(guest)
    # The link logs in and comes back to this game, where the member joins their team.
    link.click()
    guest.fill("#username", "p1")
    guest.fill("#password", PASSWORD)
    guest.click("#login-button")
    guest.wait_for_url(f"**/play/{pin}")
    guest.click("#join-me")
    guest.wait_for_selector(".lobby h1")
    assert "教育局代表队" in guest.inner_text(".who-team")

    # A team member, logged in, still joins for their team.
    member = new_page(viewport)
    live_server.login(member.context, "p0")
    member.goto(f"{live_server.url}/play/{pin}")
    member.click("#join-me")
    member.wait_for_selector(".lobby h1")
    assert "财政局代表队" in member.inner_text(".who-team")

    # A logged-in account that is on no team of this game is told so too, before trying.
    live_server.add_user("other", "member", name="赵敏")
    stranger = new_page(viewport)
    live_server.login(stranger.context, "other")
    stranger.goto(f"{live_server.url}/play/{pin}")
    stranger.wait_for_selector("#v-name:not([hidden])")
    assert stranger.locator("#join-me").count() == 0
    assert "不在本场比赛的参赛队员名单中" in stranger.inner_text("#v-name")
    shot(stranger, "stranger-closed")


def test_an_open_game_still_asks_a_guest_for_a_name(live_server: Any, new_page: Any) -> None:
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank()
    game = post(live_server, "/api/live", {"title": "学党史", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1], "time_limit_s": 60, "points": 10}]}, "host")
    page = new_page(PHONE)
    page.goto(f"{live_server.url}/play/{game['pin']}")
    page.wait_for_selector("#name")
    assert "只允许报名队员参加" not in page.inner_text("#v-name")


# --- b. the PIN dots ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
@pytest.mark.parametrize("width", [320, 360, 390])
def test_the_pin_entry_fits_the_phone(live_server: Any, new_page: Any, shot: Any, width: int, large: bool) -> None:
    page = new_page({"width": width, "height": 740})
    page.goto(live_server.url + "/play")
    if large:
        page.click("[data-large-text]")
        wait_until(page, "document.documentElement.classList.contains('large-text')")
    shot(page, "pin-empty", full_page=False)
    placeholder = page.get_attribute("#code", "placeholder") or ""
    assert len(placeholder) == 6
    for text in (placeholder, "888888"):
        # The value takes the placeholder's place in the same box and font: what the eye sees before typing.
        fit = page.evaluate("""(text) => {
          const input = document.getElementById('code');
          input.value = text;
          const r = input.getBoundingClientRect();
          return {left: r.left, right: r.right, scroll: input.scrollWidth, client: input.clientWidth}; }""", text)
        assert fit["left"] >= 0 and fit["right"] <= width, fit
        assert fit["scroll"] <= fit["client"], f"{text!r} is cut in the PIN box at {width} px: {fit}"
    shot(page, "pin-typed", full_page=False)
    go = page.locator("#code-go").bounding_box()
    assert go and go["x"] >= 0 and go["x"] + go["width"] <= width
    assert no_horizontal_scroll(page)


# --- c. the same account on two phones -----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, PHONE_390], ids=["360", "390"])
def test_the_same_account_on_two_phones_shows_its_answer_on_both(live_server: Any, new_page: Any, shot: Any,
                                                                 viewport: dict[str, int]) -> None:
    game = team_game(live_server, [{"kind": "all", "title": "全员答题", "question_ids": [1, 4], "time_limit_s": 60,
                                    "points": 10}])
    pin = game["pin"]
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phones = []
    for _ in range(2):  # one member, two phones (a phone and a tablet, or a second browser)
        phone = new_page(viewport)
        live_server.login(phone.context, "p0")
        phone.goto(f"{live_server.url}/play/{pin}")
        phone.click("#join-me")
        phone.wait_for_selector(".lobby h1")
        phones.append(phone)
    first, second = phones
    teammate = new_page(viewport)  # another player, so that one answer does not close the question
    live_server.login(teammate.context, "p1")
    teammate.goto(f"{live_server.url}/play/{pin}")
    teammate.click("#join-me")
    teammate.wait_for_selector(".lobby h1")

    # A single choice: answered on the first phone, the second shows the same answer, locked.
    console.click("[data-action=start]")
    for phone in phones:
        phone.wait_for_selector(".answer-tile[data-key=A]")
    first.click(".answer-tile[data-key=A]")
    for phone in phones:
        phone.wait_for_selector("#save-status .saved.ok")
        assert "你的答案：A" in phone.inner_text("#save-status"), phone.inner_text("#save-status")
    assert second.is_disabled(".answer-tile[data-key=B]")
    shot(second, "second-phone-saved")
    console.click("[data-action=close]")  # the other player does not answer
    console.wait_for_selector("[data-action=reveal]:not([disabled])")
    console.click("[data-action=reveal]")
    for phone in phones:
        phone.wait_for_selector(".verdict-big.ok")
        assert "我的选择" in phone.inner_text(".opt-readonly.result li.is-right"), phone.inner_text(".opt-readonly")
    shot(second, "second-phone-revealed")

    # A fill-in: typed on the second phone this time; after the reveal both show 你的答案 with the text.
    console.click("[data-action=next]")
    for phone in phones:
        phone.wait_for_selector("[data-blank='0']")
    second.fill("[data-blank='0']", "南湖")
    second.click("#submit")
    for phone in phones:
        phone.wait_for_selector("#save-status .saved.ok")
        assert "你的答案：南湖" in phone.inner_text("#save-status"), phone.inner_text("#save-status")
    console.click("[data-action=close]")  # the other player does not answer
    console.wait_for_selector("[data-action=reveal]:not([disabled])")
    console.click("[data-action=reveal]")
    for phone in phones:
        phone.wait_for_selector(".verdict-big.ok")
        assert "你的答案：南湖" in phone.inner_text(".mine-line"), phone.inner_text(".stage")
    shot(first, "first-phone-fill-revealed")

    # A reload of the second phone after the reveal (a snapshot, no local memory): the answer is still there.
    second.reload()
    second.wait_for_selector(".verdict-big.ok")
    assert "你的答案：南湖" in second.inner_text(".mine-line")


# --- d. the phone's whole journey, looked at ---------------------------------------------------------------------

# What a question of each type looks like on a phone, with a long stem and long options (the real banks have them).
JOURNEY_QUESTIONS: list[dict[str, Any]] = [
    {"type": "single", "stem": "《中国共产党章程》规定，党的最高领导机关是党的全国代表大会和它所产生的什么机构？",
     "options": [{"key": "A", "text": "中央委员会"}, {"key": "B", "text": "中央政治局及其常务委员会"},
                 {"key": "C", "text": "中央纪律检查委员会"}, {"key": "D", "text": "中央军事委员会和中央书记处"}],
     "answer": ["A"], "explanation": "党章第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。"},
    {"type": "judge", "stem": "中国共产党的根本宗旨是全心全意为人民服务。", "answer": [True],
     "explanation": "党章总纲明确规定了党的根本宗旨。"},
    {"type": "multiple", "stem": "下列属于“四个意识”的有哪些？",
     "options": [{"key": "A", "text": "政治意识"}, {"key": "B", "text": "大局意识"}, {"key": "C", "text": "核心意识"},
                 {"key": "D", "text": "市场意识"}, {"key": "E", "text": "看齐意识"}],
     "answer": ["A", "B", "C", "E"], "explanation": "四个意识：政治意识、大局意识、核心意识、看齐意识。"},
    {"type": "fill", "stem": "中共一大最后一天的会议转移到浙江嘉兴（）的游船上举行，（）年7月。",
     "answer": [["南湖", "嘉兴南湖"], ["1921"]], "explanation": "嘉兴南湖红船是中国共产党梦想起航的地方。"},
    {"type": "short", "stem": "简述伟大建党精神的内涵。", "answer": ["坚持真理、坚守理想，践行初心、担当使命，不怕牺牲、英勇斗争，对党忠诚、不负人民。"],
     "explanation": "2021年7月1日在庆祝中国共产党成立100周年大会上提出。"},
]


def upload_picture(server: Any, as_: str) -> dict[str, Any]:
    """A 1200×800 photo-like PNG through POST /api/media: what a picture question carries."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (180, 40, 40))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1200, 60):
        draw.rectangle([i, 500, i + 40, 800], fill=(240, 200, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    response = httpx.post(server.url + "/api/media", files={"file": ("hall.png", buffer.getvalue(), "image/png")},
                          headers={"Authorization": f"Bearer {server.token(as_)}"}, timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def clipped(page: Any) -> list[str]:
    """Text on the phone that is cut: an element whose content is wider or taller than its box and hidden, or
    anything reaching outside the viewport (the names on the board are cut with an ellipsis on purpose)."""
    return list(page.evaluate("""() => {
      const out = [];
      const W = innerWidth;
      for (const el of document.querySelectorAll('#play-app *, .topbar *')) {
        if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
        const cs = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        if (r.width <= 2 || r.height <= 2) continue; // nothing, or read out only (visually hidden, zoomed in 大字)
        const tag = `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}#${el.id}`;
        if (r.left < -1 || r.right > W + 1) out.push(`${tag} outside the viewport: ${Math.round(r.left)}..${Math.round(r.right)}`);
        const hides = ['hidden', 'clip'].includes(cs.overflowX) || ['hidden', 'clip'].includes(cs.overflowY);
        if (hides && !el.classList.contains('b-name') && !el.classList.contains('chip-name')
            && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
          out.push(`${tag} cuts its content: ${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
        }
      }
      if (document.documentElement.scrollWidth > W) out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}`);
      // The bar: the PIN and the score chip end before the 大字 button begins; the score itself is whole.
      const button = document.querySelector('[data-large-text]').getBoundingClientRect();
      for (const part of document.querySelectorAll('.play-pin, .play-score:not([hidden])')) {
        const r = part.getBoundingClientRect();
        if (r.right > button.left + 0.5) out.push(`${part.className} runs under the 大字 button: ${r.right} > ${button.left}`);
      }
      // A short option (up to 6 characters) reads on one line, badge or not.
      for (const text of document.querySelectorAll('.opt-readonly .opt-text, .answer-tile .tile-text')) {
        const node = text.firstChild;
        if (!node || node.nodeType !== 3 || [...node.textContent].length > 6) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) out.push(`the option ${node.textContent} is broken over ${tops.size} lines`);
      }
      const score = document.querySelector('.play-score:not([hidden])');
      if (score && score.scrollWidth > score.clientWidth + 1) out.push(`the score chip is cut: ${score.scrollWidth} in ${score.clientWidth}`);
      return out; }"""))


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_the_phone_journey_at_360(live_server: Any, new_page: Any, shot: Any, large: bool) -> None:
    live_server.add_user("host", "host", name="李主持")
    live_server.add_user("org", "organizer")
    picture = upload_picture(live_server, "org")
    questions = [*JOURNEY_QUESTIONS, {
        "type": "single", "stem": "图中是哪一处革命纪念地？", "media": [{**picture, "alt": "纪念馆照片"}],
        "options": [{"key": "A", "text": "嘉兴南湖红船"}, {"key": "B", "text": "井冈山"}, {"key": "C", "text": "延安宝塔山"},
                    {"key": "D", "text": "西柏坡"}],
        "answer": ["A"], "explanation": "照片为示意。"}]
    bank_id = live_server.seed_bank(questions=questions)
    game = post(live_server, "/api/live", {"title": "庆祝建党一百周年“学党史、悟思想”知识竞赛（第一场）", "bank_id": bank_id,
                                           "segments": [{"kind": "all", "title": "全员答题", "question_ids": [1, 2, 3, 4, 5, 6],
                                                         "time_limit_s": 90, "points": 10}]}, "host")
    pin = game["pin"]
    problems: dict[str, list[str]] = {}

    def look(page: Any, name: str) -> None:
        page.wait_for_timeout(450)  # the verdict pops in (.35 s): look at it as it stays
        shot(page, name)
        shot(page, name + "-view", full_page=False)
        found = clipped(page)
        if found:
            problems[name] = found

    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phone = new_page(PHONE)
    phone.goto(f"{live_server.url}/play")
    if large:
        phone.click("[data-large-text]")
    look(phone, "01-code")
    phone.goto(f"{live_server.url}/play/{pin}")
    phone.wait_for_selector("#name")
    look(phone, "02-name")
    phone.fill("#name", "王小明")
    phone.click("#join-go")
    phone.wait_for_selector(".lobby h1")
    look(phone, "03-lobby")
    other = new_page(PHONE)  # a second player who does not answer, so each question waits for the host
    other.goto(f"{live_server.url}/play/{pin}")
    other.fill("#name", "欧阳春花")
    other.click("#join-go")
    other.wait_for_selector(".lobby h1")

    console.click("[data-action=start]")
    try:
        phone.wait_for_selector(".segment-card", timeout=3000)
        look(phone, "04-segment-card")
    except Exception:  # noqa: BLE001 - the card may already be gone
        pass

    def answer(index: int) -> None:
        if index == 1:
            phone.click(".answer-tile[data-key=A]")
        elif index == 2:
            phone.click(".judge-btn[data-value=false]")
        elif index == 3:
            for key in ("A", "B", "E"):
                phone.click(f".answer-tile[data-key={key}]")
            look(phone, "q3-multiple-chosen")
            phone.click("#submit")
        elif index == 4:
            phone.fill("[data-blank='0']", "南湖")
            phone.fill("[data-blank='1']", "1921")
            phone.click("#submit")
        elif index == 5:
            phone.fill("#short-answer", "坚持真理、坚守理想，践行初心、担当使命")
            phone.click("#submit")
        else:
            phone.click(".answer-tile[data-key=A]")

    for index, kind in enumerate(["single", "judge", "multiple", "fill", "short", "picture"], start=1):
        if index > 1:
            console.wait_for_selector("[data-action=next]:not([disabled])")
            console.click("[data-action=next]")
        phone.wait_for_selector(".q-card .q-stem")
        if kind == "picture":
            wait_until(phone, "(() => { const i = document.querySelector('.q-img'); return i && i.complete && i.naturalWidth > 0; })()")
            if not large:  # one thumb: the picture leaves the four answers above the fold
                last = phone.locator(".answer-tile").last.bounding_box()
                assert last and last["y"] + last["height"] <= PHONE["height"], last
        if kind == "fill":  # the stem's two blanks are numbered as the two boxes
            assert phone.locator(".q-stem .blank-slot").count() == 2
            assert phone.inner_text(".q-stem .blank-slot >> nth=1").startswith("2")
        look(phone, f"q{index}-{kind}")
        answer(index)
        phone.wait_for_selector("#save-status .saved.ok")
        look(phone, f"q{index}-{kind}-answered")
        console.click("[data-action=close]")
        phone.wait_for_selector(".closed-note")
        if index == 1:
            look(phone, "q1-closed")
            other.wait_for_selector(".closed-note")
            look(other, "q1-closed-unanswered")
        if kind == "short":
            console.click(".short-answers tr:has-text('王小明') [data-correct='1']")
            console.wait_for_selector(".short-answers tr.is-ok:has-text('王小明')")
        console.wait_for_selector("[data-action=reveal]:not([disabled])")
        console.click("[data-action=reveal]")
        phone.wait_for_selector(".verdict-big")
        look(phone, f"q{index}-{kind}-revealed")
        if kind == "picture":  # the reveal keeps the picture as a reminder, the verdict still in view above it
            picture = phone.locator(".q-media.at-result .q-img")
            assert picture.count() == 1 and picture.is_visible()
            verdict = phone.locator(".verdict-big").bounding_box()
            assert verdict and verdict["y"] + verdict["height"] <= PHONE["height"], verdict
        if index == 1:
            other.wait_for_selector(".verdict-big")
            look(other, "q1-revealed-unanswered")
        if index in (2, 6):
            console.wait_for_selector("[data-action=leaderboard]:not([disabled])")
            console.click("[data-action=leaderboard]")
            phone.wait_for_selector(".board-card")
            look(phone, f"q{index}-leaderboard")
    console.wait_for_selector("[data-action=finish]:not([disabled])")
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("[data-action=finish]")
    phone.wait_for_selector(".board-card.final")
    look(phone, "99-podium")
    other.wait_for_selector(".board-card.final")
    look(other, "99-podium-other")
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
