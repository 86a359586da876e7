"""The big screen plays a question's sound as the host says: started by `media`, kept playing (not restarted)
over the reveal's redraw, paused by `media`, silenced when the question goes. play() is recorded, not decoded."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.browser.conftest import browser, live_server, new_page, shot, wait_until  # noqa: F401
from tests.browser.test_screen_fit import FakeServer

pytestmark = pytest.mark.browser

RECORD_PLAY = """
window.__av = [];
Object.defineProperty(HTMLMediaElement.prototype, 'paused', { get() { return !this.__on; } });
HTMLMediaElement.prototype.play = function () { this.__on = true; window.__av.push('play'); return Promise.resolve(); };
HTMLMediaElement.prototype.pause = function () { if (this.__on) window.__av.push('pause'); this.__on = false; };
"""

SONG = {"kind": "audio", "url": "/media/" + "d" * 32 + ".mp3", "alt": "歌曲片段"}


def test_the_screen_plays_pauses_and_keeps_the_song_over_the_reveal(live_server: Any, new_page: Any, shot: Any) -> None:  # noqa: F811
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank()
    created = httpx.post(live_server.url + "/api/live", json={"title": "听音辨曲", "bank_id": bank_id, "segments": [
        {"kind": "all", "question_ids": [1], "time_limit_s": 30}]},
        headers={"Authorization": f"Bearer {live_server.token('host')}"}, timeout=10)
    assert created.status_code in (200, 201), created.text
    page = new_page({"width": 1920, "height": 1080})
    page.add_init_script(RECORD_PLAY)
    server = FakeServer.open(page, f"{live_server.url}/screen/{created.json()['pin']}")
    question = {"id": 7, "type": "single", "stem": "请听歌曲片段，这首歌的名字是？", "media": [SONG],
                "options": [{"key": "A", "text": "《南泥湾》"}, {"key": "B", "text": "《东方红》"}]}
    server.send({"type": "state", "phase": "question", "title": "听音辨曲", "segment": {"index": 1, "kind": "all"},
                 "scores": [], "question": question, "index": 1, "count": 1, "points": 10,
                 "deadline_ms": int(time.time() * 1000) + 60_000, "media": {"question": 7, "playing": False}})
    page.wait_for_selector("#q-main audio", state="attached")
    assert page.evaluate("window.__av") == [] and page.get_attribute("#q-main audio", "controls") is None
    page.evaluate("document.querySelector('#q-main audio').__mark = 1")
    server.send({"type": "media", "question": 7, "playing": True, "now_ms": 0})
    wait_until(page, "() => window.__av.length === 1")
    page.wait_for_selector("#q-main .tv-audio >> text=正在播放")
    shot(page, "screen-audio-playing", full_page=False)
    server.send({"type": "reveal", "answer": ["B"], "explanation": "《东方红》", "distribution": {"A": 3, "B": 9}})
    page.wait_for_selector("#q-main .tv-explain")
    assert page.evaluate("document.querySelector('#q-main audio').__mark") == 1  # the same player, not a new one
    assert page.evaluate("window.__av") == ["play"]  # not restarted
    server.send({"type": "media", "question": 7, "playing": False, "now_ms": 1})
    wait_until(page, "() => window.__av.length === 2")
    assert page.evaluate("window.__av") == ["play", "pause"]
    server.send({"type": "media", "question": 7, "playing": True, "now_ms": 2})
    wait_until(page, "() => window.__av.length === 3")
    server.send({"type": "leaderboard", "teams": [], "players": []})
    wait_until(page, "() => window.__av.length === 4")
    assert page.evaluate("window.__av")[-1] == "pause"  # the board is silent
