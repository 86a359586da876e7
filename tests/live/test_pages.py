"""The live pages (CONTRACT §8) as HTML: who may open them, what they carry, and what they never carry."""

from __future__ import annotations

from typing import Any

from tests.live.conftest import SECRET_EXPLANATION


def test_play_asks_for_a_code_and_goes_to_the_games_address(client: Any) -> None:
    page = client.get("/play")
    assert page.status_code == 200
    assert 'inputmode="numeric"' in page.text
    # A form without JavaScript lands on the game's own address, as the QR code does (full-width digits too).
    moved = client.get("/play?pin=１２３４５６", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/play/123456"


def test_an_unknown_code_is_asked_again_with_a_reason(client: Any) -> None:
    page = client.get("/play/000000")
    assert page.status_code == 200
    assert "没有找到竞赛码 000000" in page.text
    assert client.get("/play/12ab").status_code == 200  # never a 500 for a mistyped code
    assert client.get("/screen/000000").status_code == 404


def test_the_pages_of_a_game_carry_no_answer_and_no_host_token(client: Any, make_game: Any, users: Any) -> None:
    game = make_game()
    pin = game["pin"]
    play = client.get(f"/play/{pin}")
    assert play.status_code == 200 and "党史知识竞赛" in play.text and "/static/js/player.js" in play.text
    screen = client.get(f"/screen/{pin}")
    assert screen.status_code == 200
    assert "<svg" in screen.text and f"/play/{pin}" in screen.text  # the join QR code, inline
    host = client.get(f"/host/{game['id']}", headers=users.headers("host"))
    assert host.status_code == 200 and pin in host.text
    for page in (play, screen, host):
        assert SECRET_EXPLANATION not in page.text
        assert game["host_token"] not in page.text
    assert client.get("/host/999999").status_code == 404


def test_the_host_list_needs_a_host(client: Any, users: Any) -> None:
    assert client.get("/host", follow_redirects=False).status_code == 303
    assert client.get("/host", headers=users.headers("alice")).status_code == 403
    page = client.get("/host", headers=users.headers("host"))
    assert page.status_code == 200 and "快速竞答" in page.text


def test_the_console_page_shows_the_game_only_to_who_may_host_it(client: Any, make_game: Any, users: Any) -> None:
    """Issue 9 item 9: an anonymous GET /host/{id} gave away the PIN, title and segments of any game."""
    game = make_game(title="内部决赛彩排")
    pin, path = game["pin"], f"/host/{game['id']}"
    users.add("otherhost", role="host")
    users.add("boss", role="organizer")

    def shows_game(page: Any) -> bool:
        assert page.status_code == 200
        return f'data-pin="{pin}"' in page.text or "内部决赛彩排" in page.text or f">{pin}<" in page.text

    for page in (client.get(path), client.get(path, headers=users.headers("otherhost")),
                 client.get(path, headers=users.headers("alice")), client.get(f"{path}?token=wrong-token")):
        assert not shows_game(page)
        assert 'data-locked="1"' in page.text and 'data-segments="[]"' in page.text and "主持令牌" in page.text
    for page in (client.get(path, headers=users.headers("host")), client.get(path, headers=users.headers("boss")),
                 client.get(f"{path}?token={game['host_token']}")):
        assert shows_game(page) and 'data-locked="0"' in page.text
        assert game["host_token"] not in page.text.replace(f"token={game['host_token']}", "")

    # The locked console unlocks with the host token alone, through the API (no login).
    bearer = {"Authorization": f"Bearer {game['host_token']}"}
    shown = client.get(f"/api/live/{game['id']}", headers=bearer)
    assert shown.status_code == 200 and shown.json()["pin"] == pin and shown.json()["segments"]
    assert client.get(f"/api/live/{game['id']}", headers={"Authorization": "Bearer nope"}).status_code in (401, 403)
    assert client.get(f"/api/live/{game['id']}").status_code == 401
    assert client.get(f"/api/live/{game['id']}", headers=users.headers("otherhost")).status_code == 403
