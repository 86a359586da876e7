"""A picture question on a 360×740 phone in practice: the picture loads (the phone copy of a large
photo), fits the screen without sideways scrolling, and picture options can be chosen."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import PHONE, browser, live_server, new_page, shot, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


def _stored(app: Any, data: bytes, alt: str) -> dict[str, Any]:
    from question_bank import media

    with app.state.db.write() as session:
        return media.media_ref(session, media.store(session, media.check(data, "x", 10 << 20), 0, data), alt)


def _jpeg(width: int, height: int, color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


def test_picture_question_fits_a_phone_in_practice(live_server: Any, new_page: Any, shot: Any) -> None:  # noqa: F811
    app = live_server.app
    photo = _stored(app, _jpeg(2400, 1600, "teal"), "一座小楼")
    flags = [_stored(app, _jpeg(480, 320, color), f"旗{n}") for n, color in enumerate(("red", "navy"), start=1)]
    live_server.add_user("alice", "member")
    live_server.seed_bank("看图识史", [
        {"type": "single", "stem": "图中是哪处革命旧址？", "media": [photo],
         "options": [{"key": "A", "text": "", "media": flags[0]}, {"key": "B", "text": "", "media": flags[1]}],
         "answer": ["B"], "explanation": "", "tags": ["党史"], "difficulty": 2}])
    page = new_page(PHONE)
    live_server.login(page.context, "alice")
    page.goto(live_server.url + "/practice")
    page.wait_for_selector("#start")
    page.click("#start")
    page.wait_for_selector("#question .q-img")
    wait_until(page, "[...document.querySelectorAll('#question img')].every((i) => i.complete && i.naturalWidth > 0)")
    stem = page.evaluate("""() => {
        const img = document.querySelector('#question .q-media img');
        const box = img.getBoundingClientRect();
        return {src: img.currentSrc, left: box.left, right: box.right, width: box.width, height: box.height,
                natural: img.naturalWidth, scroll: document.documentElement.scrollWidth};
    }""")
    assert stem["scroll"] <= PHONE["width"], "the page scrolls sideways"
    assert stem["left"] >= 0 and stem["right"] <= PHONE["width"]
    assert stem["width"] > 200 and stem["height"] > 100  # large enough to see
    assert stem["src"].endswith(photo["variants"][0]["url"]), f"the phone loaded {stem['src']}, not the 720 px copy"
    assert page.locator("#question .option .opt-media img").count() == 2
    shot(page, "picture-question")
    page.click("#question .option[data-key='B']")
    page.click("#submit")
    page.wait_for_selector("#feedback:not([hidden])")
