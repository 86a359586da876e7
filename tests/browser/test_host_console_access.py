"""The host console in a real browser for someone the server does not know as the game's host: the page
carries nothing of the game until the host token is given; then it shows the game and drives it, also
after a reload (issue 9 item 9: the anonymous page used to give away the PIN, title and segments)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import wait_until
from tests.browser.test_live_browser import CONSOLE, post

pytestmark = pytest.mark.browser


def test_a_console_opened_without_rights_unlocks_with_the_host_token(live_server: Any, new_page: Any,
                                                                    shot: Any) -> None:
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank()
    game = post(live_server, "/api/live", {"title": "机关党委知识竞赛", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10}]}, "host")
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}")
    console.wait_for_selector("#auth-box:not([hidden])")
    assert game["pin"] not in console.content() and "机关党委知识竞赛" not in console.content()
    assert console.is_hidden("#screen-link")
    # Nothing of a game it does not know: no team table saying "no teams", no 开始比赛 to look at.
    assert console.is_hidden("#host-grid") and console.is_hidden("[data-action=start]") and console.is_hidden("#phase-badge")
    shot(console, "locked")

    console.fill("#token-input", "not-the-token")
    console.click("#token-form button")
    wait_until(console, "document.querySelector('#auth-text').textContent.includes('不正确')")
    assert game["pin"] not in console.content()

    console.fill("#token-input", game["host_token"])
    console.click("#token-form button")
    console.wait_for_selector("#conn[data-state=open]")
    assert console.inner_text("#head-pin") == game["pin"]
    assert console.inner_text("#game-title") == "机关党委知识竞赛"
    assert console.get_attribute("#screen-link", "href", timeout=1000).endswith(f"/screen/{game['pin']}")
    assert console.is_hidden("#auth-box") and console.is_visible("#host-grid")
    console.click("[data-action=start]")
    console.wait_for_selector("#phase-badge[data-phase=question]")

    # A reload: the page is locked again for the server, the tab keeps the token and unlocks by itself.
    console.reload()
    console.wait_for_selector("#conn[data-state=open]")
    assert console.inner_text("#head-pin") == game["pin"]
    assert console.get_attribute("#phase-badge", "data-phase") == "question"
    shot(console, "unlocked")
