"""Every page passes axe-core (no serious or critical violation), and 大字模式 is one remembered toggle.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0) and injected through the DevTools
protocol, which the app's Content-Security-Policy does not govern, so CI needs no npm. The pages are
checked as their users see them: members at 360×740 (also in 大字模式), organisers and hosts at 1366×768,
the big screen at 1920×1080.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, wait_until

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 768}
SCREEN = {"width": 1920, "height": 1080}
RUN_AXE = """async () => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
                                           resultTypes: ["violations"] });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}"""


def serious_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text("utf-8"))
    return list(page.evaluate(RUN_AXE))


def game(server: Any) -> dict[str, Any]:
    bank_id = server.seed_bank()
    response = httpx.post(server.url + "/api/live", json={"title": "学党史知识竞赛", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1, 2], "time_limit_s": 30, "points": 10}]},
        headers={"Authorization": f"Bearer {server.token('host')}"}, timeout=10)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def test_every_page_has_no_serious_axe_violation(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("member", name="王老师")
    live_server.add_user("host", "host", name="李主持")
    live_server.add_user("org", "organizer", name="赵组织")
    made = game(live_server)
    pin = made["pin"]
    pages = [
        ("login", None, PHONE, "/", "form"),
        ("practice", "member", PHONE, "/practice", "main"),
        ("exams", "member", PHONE, "/exams", "main"),
        ("play-code", None, PHONE, "/play", "main"),
        ("play-lobby", None, PHONE, f"/play/{pin}", "main"),
        ("host-index", "host", LAPTOP, "/host", "main"),
        ("host-console", None, LAPTOP, f"/host/{made['id']}?token={made['host_token']}", "#actions"),
        ("admin", "org", LAPTOP, "/admin", "main"),
        ("screen", None, SCREEN, f"/screen/{pin}", ".qr svg"),
    ]
    faults: dict[str, list[str]] = {}
    for name, user, viewport, path, ready in pages:
        page = new_page(viewport)
        if user:
            live_server.login(page.context, user)
        page.goto(live_server.url + path)
        page.wait_for_selector(ready)
        page.wait_for_timeout(300)  # the page's module has drawn what it loads
        found = serious_violations(page)
        if found:
            faults[name] = found
            shot(page, f"axe-{name}")
    assert not faults, faults
    # The check can fail: a button without a name is a critical violation it must see.
    page.evaluate("document.body.append(Object.assign(document.createElement('button'), {id: 'nameless'}))")
    assert any(v.startswith("button-name") for v in serious_violations(page))


def test_large_text_mode_is_one_remembered_toggle(live_server: Any, new_page: Any, shot: Any) -> None:
    live_server.add_user("member", name="王老师")
    page = new_page(PHONE)
    live_server.login(page.context, "member")
    page.goto(live_server.url + "/practice")
    page.wait_for_selector("[data-large-text]")
    before = page.evaluate("document.querySelector('main').getBoundingClientRect().height")
    assert page.get_attribute("[data-large-text]", "aria-pressed") == "false"
    page.click("[data-large-text]")
    assert page.get_attribute("[data-large-text]", "aria-pressed") == "true"
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    # Remembered: another page of the site opens large, and nothing is wider than the phone.
    page.goto(live_server.url + "/exams")
    wait_until(page, "document.documentElement.classList.contains('large-text')")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "large-text-exams")
    page.goto(live_server.url + "/practice")
    wait_until(page, "document.documentElement.classList.contains('large-text')")
    after = page.evaluate("document.querySelector('main').getBoundingClientRect().height")
    assert after > before * 1.1, (before, after)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not serious_violations(page)
    shot(page, "large-text-practice")
    page.click("[data-large-text]")
    page.reload()
    page.wait_for_selector("[data-large-text]")
    assert not page.evaluate("document.documentElement.classList.contains('large-text')")
