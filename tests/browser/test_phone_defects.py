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

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
CONSOLE = {"width": 1366, "height": 768}


def post(server: Any, url: str, body: dict[str, Any], as_: str) -> dict[str, Any]:
    response = httpx.post(server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                          timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def put(server: Any, url: str, body: dict[str, Any], as_: str) -> None:
    response = httpx.put(server.url + url, json=body, headers={"Authorization": f"Bearer {server.token(as_)}"},
                         timeout=10)
    assert response.status_code == 200, response.text


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
