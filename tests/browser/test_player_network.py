"""A phone whose network dies without closing its socket, and a guest the host removes.

- Half-open: the route stops carrying frames both ways (no close, as on 4G after a cell change). The phone
  answers; within a few seconds (live_client: an unacknowledged answer probes the line, then reconnects)
  the offline banner is up, and once the network is back the answer goes through.
- Kick: the console's 移出 on a guest; the phone says it has left the game and does not join again.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

CONSOLE = {"width": 1366, "height": 768}


class Blackhole:
    """Frames between the phone and the server are carried while ``up``; dropped silently otherwise."""

    def __init__(self, page: Any) -> None:
        self.up = True
        page.route_web_socket(re.compile(r".*/ws/live/.*"), self._route)

    def _route(self, ws: Any) -> None:
        if not self.up:
            ws.close(code=1011, reason="offline")  # a new connection cannot get through a dead network
            return
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message) if self.up else None)
        server.on_message(lambda message: ws.send(message) if self.up else None)


def open_game(server: Any) -> dict[str, Any]:
    server.add_user("host", "host", name="李主持")
    bank_id = server.seed_bank()
    response = httpx.post(server.url + "/api/live", json={"title": "学党史知识竞赛", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1, 2], "time_limit_s": 60, "points": 10}]},
        headers={"Authorization": f"Bearer {server.token('host')}"}, timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def join(page: Any, server: Any, pin: str, name: str) -> None:
    page.goto(f"{server.url}/play/{pin}")
    page.fill("#name", name)
    page.click("#join-go")
    page.wait_for_selector(".lobby h1")


def test_a_silently_dead_network_shows_the_banner_within_seconds(live_server: Any, new_page: Any, shot: Any) -> None:
    game = open_game(live_server)
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phone = new_page(PHONE)
    line = Blackhole(phone)
    join(phone, live_server, game["pin"], "王小明")
    console.click("[data-action=start]")
    phone.wait_for_selector(".answer-tile[data-key=A]")

    line.up = False
    started = time.monotonic()
    phone.click(".answer-tile[data-key=A]")
    phone.wait_for_selector("#net-banner:not([hidden])", timeout=8000)
    waited = time.monotonic() - started
    assert waited < 6.5, f"the offline banner came after {waited:.1f} s"
    shot(phone, "half-open-banner")

    line.up = True
    phone.wait_for_selector("#net-banner[hidden]", state="attached", timeout=20_000)
    deadline = time.monotonic() + 20
    while "答案已保存" not in phone.inner_text("#save-status"):
        assert time.monotonic() < deadline, phone.inner_text("#save-status")
        phone.wait_for_timeout(100)


def test_the_host_removes_a_guest(live_server: Any, new_page: Any, shot: Any) -> None:
    game = open_game(live_server)
    console = new_page(CONSOLE)
    console.goto(f"{live_server.url}/host/{game['id']}?token={game['host_token']}")
    console.wait_for_selector("#conn[data-state=open]")
    phone = new_page(PHONE)
    join(phone, live_server, game["pin"], "捣乱的名字")
    console.click(".guests-panel summary")
    console.wait_for_selector("[data-kick]")
    console.once("dialog", lambda dialog: dialog.accept())
    console.click("[data-kick]")
    phone.wait_for_selector("#fatal-title:has-text('已离开比赛')", timeout=10_000)
    shot(phone, "kicked")
    console.wait_for_selector("#guests:has-text('还没有选手加入')")
    # The page does not come back into the game by itself (its resume token is forgotten).
    phone.reload()
    phone.wait_for_timeout(1500)
    assert not phone.is_visible(".lobby h1")
