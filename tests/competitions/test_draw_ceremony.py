"""The big screen's draw ceremony of a grouped round: teams dealt one by one in the order the draw dealt
them, how it was drawn, for organisers only; in a real browser at 1920×1080 and 1280×720, nothing cut."""

from __future__ import annotations

import random
import re
from typing import Any

import httpx
import pytest

from quiz.competitions.ranking import dealing_order, random_groups, snake_groups
from tests.browser.conftest import browser, live_server, new_page, shot, wait_until  # noqa: F401


def test_the_dealing_order_is_the_order_the_draw_dealt() -> None:
    ranked = list(range(101, 124))  # 23 teams, best first
    for count in (1, 2, 4, 5):
        assert [t for _, t in dealing_order(snake_groups(ranked, count), "snake")] == ranked
        seed = random.Random(count).randrange(2**31)
        shuffled = sorted(ranked)
        random.Random(seed).shuffle(shuffled)
        assert [t for _, t in dealing_order(random_groups(ranked, count, seed), "random")] == shuffled
    assert dealing_order([[3, 1], [2]], "manual") == [(0, 3), (0, 1), (1, 2)]


def _grouped_round(api: Any, teams: int, groups: int, seeding: str = "random") -> tuple[dict[str, Any], int]:
    competition = api("POST", "/api/competitions", as_="org", json={"title": "全市党史知识竞赛"}).json()
    for i in range(teams):
        api("POST", f"/api/competitions/{competition['id']}/teams", as_="org",
            json={"name": f"第{i + 1}代表队（市直机关工委第{i + 1}党支部）", "unit": f"单位{i + 1}", "members": []})
    rnd = api("POST", f"/api/competitions/{competition['id']}/rounds", as_="org",
              json={"name": "复赛", "stage": "semifinal", "format": "live"}).json()
    drawn = api("PUT", f"/api/rounds/{rnd['id']}/groups", as_="org",
                json={"count": groups, "seeding": seeding, "seed": 20261207})
    assert drawn.status_code == 200, drawn.text
    return drawn.json(), rnd["id"]


def test_the_ceremony_page_deals_every_team_and_is_for_organisers(client: Any, api: Any, users: Any) -> None:
    drawn, round_id = _grouped_round(api, teams=10, groups=3)
    page = client.get(f"/screen/draw/{round_id}", headers={"Authorization": f"Bearer {users.tokens['org']}"})
    assert page.status_code == 200
    html = page.text
    assert "随机抽签" in html and "20261207" in html
    turns = [int(n) for n in re.findall(r'data-turn="(\d+)"', html)]
    assert sorted(turns) == list(range(1, 11))
    names = re.findall(r'class="draw-name">([^<]+)<', html)
    assert len(names) == 10 and len(set(names)) == 10
    assert client.get(f"/screen/draw/{round_id}", headers={"Authorization": f"Bearer {users.tokens['alice']}"},
                      follow_redirects=False).status_code in (302, 303, 403)


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}])
def test_the_ceremony_on_the_big_screen_deals_card_by_card_and_cuts_nothing(live_server: Any, new_page: Any,  # noqa: F811
                                                                            shot: Any, viewport: dict[str, int]) -> None:  # noqa: F811
    live_server.add_user("org", "organizer")
    headers = {"Authorization": f"Bearer {live_server.token('org')}"}
    base = live_server.url

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, base + path, headers=headers, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    competition = call("POST", "/api/competitions", json={"title": "学党史、知党情、跟党走 全市知识竞赛"})
    for i in range(32):
        call("POST", f"/api/competitions/{competition['id']}/teams",
             json={"name": f"市委组织部机关第{i + 1}党支部代表队", "unit": f"中共某某市委组织部第{i + 1}处", "members": []})
    rnd = call("POST", f"/api/competitions/{competition['id']}/rounds",
               json={"name": "复赛", "stage": "semifinal", "format": "live"})
    call("PUT", f"/api/rounds/{rnd['id']}/groups", json={"count": 4, "seeding": "random", "seed": 7})

    page = new_page(viewport)
    live_server.login(page.context, "org")
    page.goto(f"{base}/screen/draw/{rnd['id']}")
    page.wait_for_selector(".draw-live")
    assert page.locator(".draw-card.pending").count() == 32
    for _ in range(3):
        page.keyboard.press(" ")
    wait_until(page, "document.querySelectorAll('.draw-card:not(.pending)').length === 3")
    first = page.locator(".draw-card[data-turn='1']")
    assert "pending" not in (first.get_attribute("class") or "")
    assert "已抽 3 / 32" in page.inner_text("#draw-progress")
    shot(page, f"draw-ceremony-{viewport['width']}", full_page=False)
    for _ in range(29):
        page.keyboard.press(" ")
    wait_until(page, "document.getElementById('draw-progress').textContent === '抽签完成'")
    page.wait_for_timeout(600)  # the last card's transition
    boxes = ".draw-name, .draw-unit, .draw-group h2, .draw-head h1, .draw-foot span"
    cut = page.evaluate("""(boxes) => [...document.querySelectorAll(boxes)].filter((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1 + parseFloat(getComputedStyle(el).fontSize) / 3).map((el) => el.textContent)""", boxes)
    assert cut == []
    grid = page.evaluate("""() => { const g = document.getElementById('draw-grid'); const tv = document.getElementById('tv');
        const r = g.getBoundingClientRect(), t = tv.getBoundingClientRect();
        return [g.scrollHeight <= g.clientHeight + 1, r.bottom <= t.bottom + 1, r.right <= t.right + 1]; }""")
    assert grid == [True, True, True]
    name_px = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.draw-name')).fontSize)")
    assert name_px >= 28  # in stage pixels (the stage is scaled whole): 8 long names a group, readable across a hall
    shot(page, f"draw-ceremony-done-{viewport['width']}", full_page=False)
