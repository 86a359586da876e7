"""The organiser's question editor with media: upload a picture for the stem (with alt text) and for an
option, save, see it in the list; replace and remove; a refused file's error is shown beside the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, browser, live_server, new_page, shot, wait_until  # noqa: F401
from tests.media.helpers import jpeg, png

pytestmark = pytest.mark.browser


def _questions(server: Any, bank_id: int) -> list[dict[str, Any]]:
    import httpx

    response = httpx.get(f"{server.url}/api/banks/{bank_id}/questions",
                         headers={"Authorization": f"Bearer {server.token('org')}"}, timeout=10)
    return response.json()["items"]


def test_editor_uploads_replaces_and_removes_pictures(live_server: Any, new_page: Any, shot: Any,  # noqa: F811
                                                      tmp_path: Path) -> None:
    live_server.add_user("org", "organizer")
    bank_id = live_server.seed_bank("看图识史", [
        {"type": "single", "stem": "图中是哪处旧址？", "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "延安"}],
         "answer": ["A"], "explanation": "", "tags": [], "difficulty": 2}])
    (tmp_path / "site.jpg").write_bytes(jpeg(1200, 800, "teal"))
    (tmp_path / "flag.png").write_bytes(png(60, 40, "red"))
    (tmp_path / "other.png").write_bytes(png(80, 40, "blue"))
    (tmp_path / "evil.png").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    page = new_page(DESKTOP)
    live_server.login(page.context, "org")
    page.goto(f"{live_server.url}/admin/banks/{bank_id}")
    page.click("#questions [data-edit] >> nth=0")
    page.wait_for_selector("#editor-card:not([hidden])")

    page.set_input_files("#e-media-file", str(tmp_path / "evil.png"))
    page.wait_for_selector("#editor [data-error-for='media']:not([hidden])")
    assert "evil.png" in page.inner_text("#editor [data-error-for='media']")

    page.set_input_files("#e-media-file", str(tmp_path / "site.jpg"))
    page.wait_for_selector("#e-media .media-edit img")
    page.fill("#e-media .media-alt", "一座两层小楼")
    page.set_input_files("#e-options .option-edit >> nth=1 >> .opt-file", str(tmp_path / "flag.png"))
    page.wait_for_selector("#e-options .option-edit >> nth=1 >> img")
    shot(page, "editor")
    page.click("#e-save")
    page.wait_for_selector("#editor-card", state="hidden")
    page.wait_for_selector("#questions .q-media img")
    (question,) = _questions(live_server, bank_id)
    assert question["media"][0]["alt"] == "一座两层小楼" and question["media"][0]["width"] == 1200
    assert question["options"][1]["media"]["width"] == 60 and question["options"][1]["text"] == "延安"

    # Replace the option's picture, remove the stem's.
    page.click("#questions [data-edit] >> nth=0")
    page.wait_for_selector("#e-media .media-edit")
    page.set_input_files("#e-options .option-edit >> nth=1 >> .opt-file", str(tmp_path / "other.png"))
    wait_until(page, "document.querySelectorAll('#e-options .option-edit')[1].dataset.media?.includes('\"width\":80')")
    page.click("#e-media [data-remove-media]")
    page.click("#e-save")
    page.wait_for_selector("#editor-card", state="hidden")
    wait_until(page, "!document.querySelector('#questions .q-media')")
    (question,) = _questions(live_server, bank_id)
    assert "media" not in question and question["options"][1]["media"]["width"] == 80
    assert question["version"] == 3
