"""A live game's phone says "请听大屏幕播放" (or 请看) for a question's sound or video, with a drawn speaker
(or film frame) in front: no emoji, which older phones show as a box."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import PHONE, browser, live_server, new_page, shot  # noqa: F401

pytestmark = pytest.mark.browser

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\ufe0f]")

RENDER = """async () => {
    const { stemMediaHtml } = await import('/static/js/media.js');
    const card = document.createElement('div');
    card.className = 'q-card';
    card.innerHTML = stemMediaHtml({ media: [
        { kind: 'audio', url: '/media/' + 'd'.repeat(32) + '.mp3', alt: '歌曲片段' },
        { kind: 'video', url: '/media/' + 'e'.repeat(32) + '.mp4', alt: '视频片段' }] }, { av: false });
    document.body.prepend(card);
    return [...card.querySelectorAll('.q-av-note')].map((note) => {
        const icon = note.querySelector('svg'), text = note.querySelector('span');
        const i = icon.getBoundingClientRect(), t = text.getBoundingClientRect();
        return { text: note.textContent, hidden: icon.getAttribute('aria-hidden'), players: card.querySelectorAll('audio, video').length,
                 icon: [i.left, i.right, i.top, i.bottom], label: [t.left, t.right, t.top, t.bottom],
                 color: getComputedStyle(icon).color === getComputedStyle(text).color,
                 scroll: document.documentElement.scrollWidth };
    });
}"""


def test_the_phone_draws_a_speaker_and_a_film_frame_instead_of_emoji(live_server: Any, new_page: Any, shot: Any) -> None:  # noqa: F811
    page = new_page(PHONE)
    page.goto(live_server.url + "/play")  # the phone's page, with its stylesheet
    audio, video = page.evaluate(RENDER)
    assert audio["text"] == "请听大屏幕播放" and video["text"] == "请看大屏幕播放"
    for note in (audio, video):
        assert not EMOJI.search(note["text"]) and note["hidden"] == "true" and note["players"] == 0
        left, right, top, bottom = note["icon"]
        text_left, _, text_top, text_bottom = note["label"]
        assert 12 <= right - left <= 40 and 12 <= bottom - top <= 40, f"the icon is {right - left}×{bottom - top}"
        assert right <= text_left, "the icon stands before the words"
        assert top < text_bottom and bottom > text_top, "the icon is on the words' line"
        assert note["color"] and note["scroll"] <= PHONE["width"]
    shot(page, "phone-av-note")
