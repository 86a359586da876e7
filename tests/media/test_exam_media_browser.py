"""A picture question in a test on a 360×740 phone: the stem's photo (its phone copy) and picture options
fit the screen, and a picture option is chosen and saved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quiz.timeutil import to_iso
from tests.browser.conftest import PHONE, browser, live_server, new_page, shot, wait_until  # noqa: F401
from tests.exams.conftest import DAY
from tests.media.test_media_browser import _jpeg, _stored

pytestmark = pytest.mark.browser


def test_picture_question_in_a_test_on_a_phone(live_server: Any, new_page: Any, shot: Any) -> None:  # noqa: F811
    app = live_server.app
    photo = _stored(app, _jpeg(2000, 1400, "sienna"), "会址外景")
    flags = [_stored(app, _jpeg(480, 320, c), f"图{n}") for n, c in enumerate(("red", "navy", "olive"), start=1)]
    live_server.add_user("alice", "member")
    live_server.add_user("org", "organizer")
    bank_id = live_server.seed_bank("看图识史", [
        {"type": "single", "stem": "图中是哪处革命旧址？", "media": [photo],
         "options": [{"key": k, "text": "", "media": f} for k, f in zip("ABC", flags, strict=True)],
         "answer": ["C"], "explanation": "", "tags": [], "difficulty": 2}])
    now = app.state.clock.now_ms()
    exam = httpx.post(f"{live_server.url}/api/exams", json={
        "title": "看图识史测试", "bank_id": bank_id, "duration_s": 600, "opens_at": to_iso(now - 60_000),
        "closes_at": to_iso(now + DAY), "pass_score": 1, "rules": [{"type": "single", "count": 1, "points": 2}]},
        headers={"Authorization": f"Bearer {live_server.token('org')}"}, timeout=10).json()
    page = new_page(PHONE)
    live_server.login(page.context, "alice")
    page.goto(f"{live_server.url}/exams/{exam['id']}")
    page.wait_for_selector("#start:not([disabled])")
    page.click("#start")
    page.wait_for_selector("#paper-view:not([hidden]) #question .q-media img")
    wait_until(page, "[...document.querySelectorAll('#question img')].every((i) => i.complete && i.naturalWidth > 0)")
    boxes = page.evaluate("""() => ({scroll: document.documentElement.scrollWidth,
        images: [...document.querySelectorAll('#question img')].map((i) => {
          const r = i.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width, src: i.currentSrc}; })})""")
    assert boxes["scroll"] <= PHONE["width"], "the test page scrolls sideways"
    assert all(b["left"] >= 0 and b["right"] <= PHONE["width"] for b in boxes["images"])
    assert boxes["images"][0]["src"].endswith(photo["variants"][0]["url"]) and boxes["images"][0]["width"] > 250
    assert len(boxes["images"]) == 4
    shot(page, "exam-picture")
    page.locator("#question .option").nth(1).click()
    wait_until(page, "document.querySelector('#save-status').dataset.kind === 'ok'")
    shown = {src.split("/media/")[1] for src in [b["src"] for b in boxes["images"][1:]]}
    assert shown == {f["url"].split("/media/")[1] for f in flags}  # the options' own pictures, in any order
