"""A picture question on the big screen (1920×1080, and 1280×720): the picture is large, whole and inside
the screen, and no text is clipped or overflowing (the show's overflow check), before and after the reveal."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.browser.conftest import browser, live_server, new_page, shot  # noqa: F401
from tests.browser.test_screen_fit import FakeServer, assert_fits

pytestmark = pytest.mark.browser

VIEWPORTS = [{"width": 1280, "height": 720}, {"width": 1920, "height": 1080}]

# Every image: loaded, inside the viewport and inside every box that clips it; returns its size.
IMAGES_JS = """() => [...document.querySelectorAll('#tv img')].map((img) => {
  const r = img.getBoundingClientRect(), vw = innerWidth, vh = innerHeight;
  let clipped = '';
  for (let a = img.parentElement; a && a.id !== 'tv-frame'; a = a.parentElement) {
    if (getComputedStyle(a).overflow === 'visible') continue;
    const b = a.getBoundingClientRect();
    if (r.left < b.left - 1 || r.top < b.top - 1 || r.right > b.right + 1 || r.bottom > b.bottom + 1) { clipped = a.className; break; }
  }
  return {loaded: img.complete && img.naturalWidth > 0, inside: r.left >= -1 && r.top >= -1 && r.right <= vw + 1 && r.bottom <= vh + 1,
          clipped, width: r.width, height: r.height, vw, vh};
})"""


def _ref(app: Any, width: int, height: int, color: str) -> dict[str, Any]:
    from question_bank import media

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    with app.state.db.write() as session:
        checked = media.check(out.getvalue(), "x.jpg", 10 << 20)
        return media.media_ref(session, media.store(session, checked, 0), "")


def _check_images(page: Any, case: str, min_share: float) -> None:
    images = page.evaluate(IMAGES_JS)
    assert images, f"{case}: no picture on the screen"
    for image in images:
        assert image["loaded"] and image["inside"] and not image["clipped"], f"{case}: {image}"
    largest = max(images, key=lambda i: i["width"] * i["height"])
    assert largest["height"] >= min_share * largest["vh"], f"{case}: the picture is too small to read from afar: {largest}"


def test_the_big_screen_shows_a_picture_question_whole(live_server: Any, new_page: Any, shot: Any) -> None:  # noqa: F811
    app = live_server.app
    live_server.add_user("host", "host", name="李主持")
    bank_id = live_server.seed_bank()
    created = httpx.post(live_server.url + "/api/live", json={"title": "看图识史", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1], "time_limit_s": 30, "points": 10}]},
        headers={"Authorization": f"Bearer {live_server.token('host')}"}, timeout=10)
    assert created.status_code in (200, 201), created.text
    photo = _ref(app, 1600, 1000, "teal")
    flags = [_ref(app, 480, 320, c) for c in ("red", "navy", "olive", "maroon")]
    cases = [
        ("stem-picture", {"type": "single", "stem": "图中是哪处革命旧址？请仔细观察建筑的样式和周围的环境。", "media": [photo],
                          "options": [{"key": k, "text": t} for k, t in zip("ABCD", ("上海中共一大会址", "嘉兴南湖红船",
                                                                                       "遵义会议会址", "延安宝塔山"), strict=True)]},
         ["A"], 0.3),
        ("picture-options", {"type": "single", "stem": "下列哪一幅是中华人民共和国国旗的图案？",
                             "options": [{"key": k, "text": "", "media": f} for k, f in zip("ABCD", flags, strict=True)]},
         ["B"], 0.1),
    ]
    page = new_page(VIEWPORTS[1])
    server = FakeServer.open(page, f"{live_server.url}/screen/{created.json()['pin']}")
    segment = {"index": 1, "kind": "all", "title": "全员答题"}
    teams = [{"team_id": 1, "name": "财政局代表队", "score": 0}, {"team_id": 2, "name": "组织部代表队", "score": 0}]
    for index, (case, question, right, share) in enumerate(cases, start=1):
        server.send({"type": "state", "phase": "question", "title": "看图识史", "segment": segment, "scores": teams,
                     "counts": {"joined": 120}, "question": {"id": index, **question}, "index": index, "count": 2,
                     "points": 10, "deadline_ms": int(time.time() * 1000) + 60_000})
        page.wait_for_selector(f"#q-main .q-stem >> text={question['stem'][:8]}")
        page.wait_for_selector("#tv img")
        for viewport in VIEWPORTS:
            assert_fits(page, case, "question", viewport)
            _check_images(page, case, share)
        shot(page, f"{case}-question", full_page=False)
        server.send({"type": "reveal", "answer": right, "explanation": "说明。",
                     "distribution": {o["key"]: 10 + i for i, o in enumerate(question["options"])}})
        page.wait_for_selector("#q-main .tv-explain")
        for viewport in VIEWPORTS:
            assert_fits(page, case, "revealed", viewport)
        shot(page, f"{case}-revealed", full_page=False)
