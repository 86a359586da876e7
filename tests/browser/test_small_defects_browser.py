"""Issue 10 item 12 (an outside tester's small defects) and item 11, seen in a real browser at 360×740:

- a reload of a test is not 切屏, leaving the page is (the server counts ``blur_count``);
- 你的答案 is red in a test's review only when it is wrong;
- a date never wraps inside itself (“2027-” and “01-06” on two lines) on the test list and pages;
- a title breaks between phrases, never inside 《…》 or （…）;
- a host lands on /host after logging in, an organiser on /admin, a member on /practice;
- back to a page from the back-forward cache shows who is logged in now, not who was when it was drawn;
- 大字模式 is on every member page and axe-core finds no serious or critical violation on any of them.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from quiz.timeutil import to_iso
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PHONE, wait_until
from tests.exams.conftest import DAY, bank_questions

pytestmark = pytest.mark.browser

LONG_TITLE = "2026年下半年全市党员干部学习《中国共产党纪律处分条例》专题知识测试（第一期）"

# The lines a text is drawn on: for each character, the top of its box; a new top starts a new line.
LINES = """(el) => {
  const text = el.textContent;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const lines = [];
  let top = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i += 1) {
      if (!node.data[i].trim()) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (top === null || rect.top > top + 4) { lines.push(""); top = rect.top; }
      lines[lines.length - 1] += node.data[i];
    }
  }
  return lines;
}"""


def lines_of(page: Any, selector: str) -> list[str]:
    return list(page.locator(selector).first.evaluate(LINES))


def broken_inside(lines: list[str], pairs: tuple[str, ...] = ("《》", "（）", "()", "“”")) -> list[str]:
    """Lines that end inside a bracketed phrase which would have fitted on one line (a phrase longer
    than a line has to break somewhere)."""
    widest = max(len(line) for line in lines)
    text = "".join(lines)
    faults = []
    at = 0
    for line in lines[:-1]:
        at += len(line)
        for opening, closing in pairs:
            start = text.rfind(opening, 0, at)
            if start < 0 or text.rfind(closing, 0, at) > start:
                continue
            end = text.find(closing, at)
            if end >= 0 and end + 1 - start <= widest:
                faults.append(f"{line!r} ends inside {text[start:end + 1]}")
    return faults


DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}\s*\d{2}:\d{2}")


def dates_broken(lines: list[str]) -> list[str]:
    """Dates (“2027-01-06 09:00”) not drawn whole on one line."""
    whole = [m.group(0).replace(" ", "") for m in DATE_TIME.finditer("".join(lines))]
    return [d for d in whole if not any(d in line for line in lines)]


def _exam(server: Any, bank_id: int, title: str = LONG_TITLE, **overrides: Any) -> dict[str, Any]:
    now = server.app.state.clock.now_ms()
    body = {"title": title, "bank_id": bank_id, "duration_s": 1800,
            "opens_at": to_iso(now - 60_000), "closes_at": to_iso(now + 30 * DAY), "pass_score": 1,
            "review": "after_submit", "shuffle_questions": False,
            "rules": [{"type": "single", "count": 2, "points": 2}, {"type": "judge", "count": 1, "points": 1}],
            **overrides}
    response = httpx.post(f"{server.url}/api/exams", json=body,
                          headers={"Authorization": f"Bearer {server.token('org')}"}, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _attempt(server: Any, attempt_id: int, who: str = "alice") -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/attempts/{attempt_id}",
                         headers={"Authorization": f"Bearer {server.token(who)}"}, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def exam_server(live_server: Any) -> Any:
    live_server.add_user("alice", "member", unit="市财政局", name="张丽")
    live_server.add_user("org", "organizer", unit="市直机关工委")
    live_server.bank_id = live_server.seed_bank(questions=bank_questions())
    return live_server


def _start(page: Any, server: Any, exam: dict[str, Any]) -> int:
    page.goto(f"{server.url}/exams/{exam['id']}")
    page.wait_for_selector("#start:not([disabled])")
    page.click("#start")
    page.wait_for_selector("#paper-view:not([hidden]) #question .stem")
    return int(page.evaluate(f"fetch('/api/exams/{exam['id']}').then(r => r.json()).then(e => e.my.open_attempt_id)"))


def _hide_and_show(page: Any) -> None:
    """What a phone does when the member switches to another app and back (headless chromium never hides)."""
    page.evaluate("""() => {
      const set = (v) => Object.defineProperty(document, "visibilityState", { value: v, configurable: true });
      set("hidden"); document.dispatchEvent(new Event("visibilitychange"));
    }""")
    page.wait_for_timeout(1300)
    page.evaluate("""() => {
      Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }""")


# --- a. a reload is not 切屏 -----------------------------------------------------------------------------------

def test_reloading_a_test_is_not_leaving_it_but_switching_away_is(exam_server: Any, new_page: Any) -> None:
    exam = _exam(exam_server, exam_server.bank_id)
    page = new_page(PHONE)
    exam_server.login(page.context, "alice")
    attempt_id = _start(page, exam_server, exam)
    for _ in range(3):
        page.reload()
        page.wait_for_selector("#paper-view:not([hidden]) #question .stem")
        page.wait_for_timeout(300)
    page.wait_for_timeout(1200)  # past the second a hidden page waits before it reports
    assert _attempt(exam_server, attempt_id)["blur_count"] == 0, "a reload was counted as 切屏"
    _hide_and_show(page)
    page.wait_for_timeout(300)
    assert _attempt(exam_server, attempt_id)["blur_count"] == 1
    # Going to another page of the site and back is a navigation, like a reload: not counted either.
    page.goto(f"{exam_server.url}/exams")
    page.go_back()
    page.wait_for_selector("#paper-view:not([hidden]) #question .stem")
    page.wait_for_timeout(1300)
    assert _attempt(exam_server, attempt_id)["blur_count"] == 1


# --- b. 你的答案 red only when wrong ------------------------------------------------------------------------------

def test_your_answer_is_red_only_when_it_is_wrong(exam_server: Any, new_page: Any) -> None:
    exam = _exam(exam_server, exam_server.bank_id, rules=[{"type": "single", "count": 2, "points": 2}])
    page = new_page(PHONE)
    exam_server.login(page.context, "alice")
    attempt_id = _start(page, exam_server, exam)
    from tests.exams.conftest import paper, right_answer, wrong_answer

    items = paper(exam_server.app, attempt_id)
    headers = {"Authorization": f"Bearer {exam_server.token('alice')}"}
    for item, answer in zip(items, (right_answer(items[0]), wrong_answer(items[1])), strict=True):
        response = httpx.put(f"{exam_server.url}/api/attempts/{attempt_id}/answers/{item['qid']}", headers=headers,
                             json={"answer": answer}, timeout=10)
        assert response.status_code == 200, response.text
    page.reload()
    page.wait_for_selector("#paper-view:not([hidden])")
    page.click("#open-submit")
    page.click("#confirm-submit")
    page.wait_for_selector("#result-view:not([hidden]) .review-item")
    colours = page.evaluate("""() => [...document.querySelectorAll('.review-item')].map((item) => ({
      status: [...item.classList].find((c) => c.startsWith('status-')),
      mine: getComputedStyle(item.querySelector('.mine')).color,
      label: getComputedStyle(item.querySelector('.mine .label')).color,
      bad: getComputedStyle(document.documentElement).getPropertyValue('--bad').trim(),
    }))""")
    by_status = {c["status"]: c for c in colours}
    assert set(by_status) == {"status-correct", "status-wrong"}
    red = page.evaluate("(c) => { const d = document.createElement('i'); d.style.color = c; document.body.append(d);"
                        " const v = getComputedStyle(d).color; d.remove(); return v; }", colours[0]["bad"])
    assert by_status["status-wrong"]["mine"] == red and by_status["status-wrong"]["label"] == red
    assert by_status["status-correct"]["mine"] != red and by_status["status-correct"]["label"] != red


# --- d, e. dates and titles do not break inside --------------------------------------------------------------

@pytest.mark.parametrize("width,large", [(360, False), (360, True), (320, False)])
def test_dates_and_titles_do_not_break_inside_on_a_phone(exam_server: Any, new_page: Any, shot: Any, width: int,
                                                         large: bool) -> None:
    exam = _exam(exam_server, exam_server.bank_id)
    page = new_page({"width": width, "height": 740})
    exam_server.login(page.context, "alice")
    if large:
        page.add_init_script("localStorage.setItem('quiz.largeText', '1')")
    page.goto(f"{exam_server.url}/exams")
    card = f".exam-card[data-exam-id='{exam['id']}']"
    page.wait_for_selector(card)
    assert page.evaluate("document.documentElement.classList.contains('large-text')") is large
    shot(page, "exams")
    title = lines_of(page, f"{card} .exam-title")
    assert len(title) > 1 and not broken_inside(title), title
    meta = lines_of(page, f"{card} .exam-meta")
    assert len(DATE_TIME.findall("".join(meta))) == 2 and not dates_broken(meta), meta
    assert not any(line.endswith(("及", "满分", "限时")) for line in meta), meta
    page.goto(f"{exam_server.url}/exams/{exam['id']}")
    page.wait_for_selector("#start:not([disabled])")
    shot(page, "intro")
    heading = lines_of(page, "#exam-title")
    assert len(heading) > 1 and not broken_inside(heading), heading
    facts = lines_of(page, ".facts")
    assert len(DATE_TIME.findall("".join(facts))) == 2 and not dates_broken(facts), facts


def test_dates_do_not_break_inside_on_the_organisers_pages(exam_server: Any, new_page: Any) -> None:
    exam = _exam(exam_server, exam_server.bank_id)
    page = new_page({"width": 360, "height": 740})
    exam_server.login(page.context, "org")
    page.goto(f"{exam_server.url}/admin/exams")
    page.wait_for_selector(".exam-row small")
    listed = lines_of(page, ".exam-row small")
    assert len(DATE_TIME.findall("".join(listed))) == 2 and not dates_broken(listed), listed
    page.goto(f"{exam_server.url}/admin/exams/{exam['id']}")
    page.wait_for_selector("#kpis .kpi")
    facts = lines_of(page, "#exam-facts")
    assert len(DATE_TIME.findall("".join(facts))) == 2 and not dates_broken(facts), facts


# --- f. where a login lands ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,home", [("member", "/practice"), ("host", "/host"), ("organizer", "/admin"),
                                       ("admin", "/admin")])
def test_a_login_lands_on_the_roles_home(live_server: Any, new_page: Any, role: str, home: str) -> None:
    live_server.add_user("someone", role, name="王某")
    page = new_page(PHONE)
    page.goto(live_server.url + "/")
    page.fill("#username", "someone")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}{home}")
    # The entry page, logged in, offers the role's places too (a host's 主持).
    page.goto(live_server.url + "/")
    tiles = page.eval_on_selector_all(".tiles a", "(links) => links.map((a) => a.getAttribute('href'))")
    assert ("/host" in tiles) is (role != "member") and ("/admin" in tiles) is (role in ("organizer", "admin"))


# --- g. back from the back-forward cache shows the session as it is now ------------------------------------

def _browser_with_bfcache(browser: Any) -> Any:
    """Playwright turns the back-forward cache off; people's browsers have it on."""
    return browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                       ignore_default_args=["--disable-back-forward-cache"])


RECORD_PAGESHOW = ("window.addEventListener('pageshow', (e) => sessionStorage.setItem('restored', String(e.persisted)));"
                   " sessionStorage.setItem('restored', 'no');")


def test_back_to_a_cached_page_shows_the_session_as_it_is_now(live_server: Any, browser: Any) -> None:
    live_server.add_user("alice", "member", name="张丽")
    bank_id = live_server.seed_bank()
    live_server.add_user("host", "host", name="李主持")
    made = httpx.post(live_server.url + "/api/live", json={"title": "学党史知识竞赛", "bank_id": bank_id, "segments": [
        {"kind": "all", "title": "全员答题", "question_ids": [1], "time_limit_s": 30, "points": 10}]},
        headers={"Authorization": f"Bearer {live_server.token('host')}"}, timeout=10).json()
    other = _browser_with_bfcache(browser)
    try:
        context = other.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10_000)
        page = context.new_page()
        # Logged in on 我的测试, to a game, the session ends elsewhere (logged out on another device), back.
        live_server.login(context, "alice")
        page.goto(live_server.url + "/exams")
        assert page.locator(".topnav [data-logout]").count() == 1
        page.evaluate(RECORD_PAGESHOW)
        page.goto(f"{live_server.url}/play/{made['pin']}")
        page.wait_for_selector("#play-app")
        response = httpx.post(live_server.url + "/api/auth/logout", timeout=10,
                              headers={"Authorization": f"Bearer {live_server.token('alice')}"})
        assert response.status_code == 200, response.text
        page.go_back(wait_until="commit")
        page.wait_for_selector("#login-form")  # drawn again: the session is gone, the page asks to log in
        assert page.evaluate("sessionStorage.getItem('restored')") == "true", "not restored from the cache"
        assert page.locator(".topnav [data-logout]").count() == 0
        assert page.locator(".topnav a[href='/']").inner_text() == "登录"

        # Logged out on the entry page, logged in (another tab), to a game, back: the header shows the login.
        page.goto(live_server.url + "/")
        page.evaluate(RECORD_PAGESHOW)
        page.goto(f"{live_server.url}/play/{made['pin']}")
        page.wait_for_selector("#play-app")
        live_server.add_user("alice", "member", name="张丽")  # a fresh token
        live_server.login(context, "alice")
        page.go_back(wait_until="commit")
        page.wait_for_selector(".topnav [data-logout]")
        page.wait_for_selector(".welcome")
        assert page.locator(".topnav a[href='/']").count() == 0 and page.locator("#login-form").count() == 0
    finally:
        other.close()


def test_a_page_restored_with_the_same_session_is_left_alone(live_server: Any, browser: Any) -> None:
    live_server.add_user("alice", "member", name="张丽")
    other = _browser_with_bfcache(browser)
    try:
        context = other.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10_000)
        live_server.login(context, "alice")
        page = context.new_page()
        page.goto(live_server.url + "/exams")
        page.evaluate("window.kept = 'yes'; " + RECORD_PAGESHOW)
        page.goto(live_server.url + "/play")
        page.wait_for_selector("#play-app")
        page.go_back(wait_until="commit")
        wait_until(page, "sessionStorage.getItem('restored') === 'true'")
        page.wait_for_timeout(500)  # time for the session check
        assert page.evaluate("window.kept") == "yes", "the page was drawn again for nothing"
    finally:
        other.close()


# --- h. /favicon.ico ----------------------------------------------------------------------------------------

def test_the_browser_finds_the_icon(live_server: Any, new_page: Any) -> None:
    page = new_page(PHONE)
    response = page.goto(live_server.url + "/favicon.ico")
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    page.goto(live_server.url + "/")
    assert page.get_attribute("link[rel='icon']", "href") == "/static/favicon.svg"


# --- j. 大字模式 on every member page, and axe-core on every page -----------------------------------------

def serious_violations(page: Any) -> list[str]:
    from tests.browser.test_accessibility import serious_violations as axe_violations

    return axe_violations(page)


def test_every_member_page_has_the_large_text_toggle_and_passes_axe(exam_server: Any, new_page: Any,
                                                                     shot: Any) -> None:
    exam = _exam(exam_server, exam_server.bank_id)
    page = new_page(PHONE)
    exam_server.login(page.context, "alice")
    faults: dict[str, list[str]] = {}
    missing = []

    def check(name: str) -> None:
        page.wait_for_timeout(300)  # the page's module has drawn what it loads
        if page.locator("[data-large-text]").count() != 1:
            missing.append(name)
        for large in (False, True):
            found = serious_violations(page)
            if found:
                faults[f"{name}{' (大字)' if large else ''}"] = found
                shot(page, f"axe-{name}")
            if not large:
                page.click("[data-large-text]")
                assert page.evaluate("document.documentElement.classList.contains('large-text')")
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        page.click("[data-large-text]")  # back to standard for the next page: the next one opens as it was left
        assert not page.evaluate("document.documentElement.classList.contains('large-text')")

    for name, path, ready in [("entry", "/", ".welcome"), ("practice", "/practice", "main"),
                              ("exams", "/exams", ".exam-card"), ("not-found", "/exams/999999", "main"),
                              ("exam-intro", f"/exams/{exam['id']}", "#start:not([disabled])")]:
        page.goto(exam_server.url + path)
        page.wait_for_selector(ready)
        check(name)
    # Remembered: on, then the next page opens large.
    page.click("[data-large-text]")
    page.goto(exam_server.url + "/exams")
    wait_until(page, "document.documentElement.classList.contains('large-text')")
    assert page.get_attribute("[data-large-text]", "aria-pressed") == "true"
    page.click("[data-large-text]")
    # The paper and the result with its review.
    page.goto(f"{exam_server.url}/exams/{exam['id']}")
    page.wait_for_selector("#start:not([disabled])")
    page.click("#start")
    page.wait_for_selector("#paper-view:not([hidden]) #question .stem")
    check("exam-paper")
    page.click("#open-submit")
    page.wait_for_selector("#confirm:not([hidden])")
    found = serious_violations(page)
    if found:
        faults["exam-confirm"] = found
    page.click("#confirm-submit")
    page.wait_for_selector("#result-view:not([hidden]) .review-item")
    check("exam-result")
    assert not missing, f"no 大字 toggle on {missing}"
    assert not faults, "\n".join(f"{name}: {fault}" for name, found in faults.items() for fault in found)


def test_every_organiser_page_passes_axe(exam_server: Any, new_page: Any, shot: Any) -> None:
    exam = _exam(exam_server, exam_server.bank_id, rules=[{"type": "short", "count": 1, "points": 5}])
    headers = {"Authorization": f"Bearer {exam_server.token('alice')}"}
    attempt = httpx.post(f"{exam_server.url}/api/exams/{exam['id']}/attempts", headers=headers, timeout=10).json()
    httpx.put(f"{exam_server.url}/api/attempts/{attempt['id']}/answers/{attempt['questions'][0]['id']}",
              headers=headers, json={"answer": "坚持真理"}, timeout=10)
    httpx.post(f"{exam_server.url}/api/attempts/{attempt['id']}/submit", headers=headers, timeout=10)
    competition = httpx.post(f"{exam_server.url}/api/competitions", json={"title": "全市党史知识竞赛"},
                             headers={"Authorization": f"Bearer {exam_server.token('org')}"}, timeout=10)
    page = new_page({"width": 1366, "height": 768})
    exam_server.login(page.context, "org")
    pages = [("banks", "/admin", "main"), ("bank", f"/admin/banks/{exam_server.bank_id}", "main"),
             ("exams-admin", "/admin/exams", ".exam-row"), ("exam-new", "/admin/exams/new", "#title"),
             ("exam-detail", f"/admin/exams/{exam['id']}", "#kpis .kpi"),
             ("exam-grading", f"/admin/exams/{exam['id']}/grading", ".grade-item"),
             ("competitions", "/admin/competitions", "main"), ("audit", "/admin/audit", "main")]
    if competition.status_code in (200, 201):
        pages.append(("competition", f"/admin/competitions/{competition.json()['id']}", "main"))
    faults: dict[str, list[str]] = {}
    for name, path, ready in pages:
        page.goto(exam_server.url + path)
        page.wait_for_selector(ready)
        page.wait_for_timeout(400)
        found = serious_violations(page)
        if found:
            faults[name] = found
            shot(page, f"axe-{name}")
    assert not faults, "\n".join(f"{name}: {fault}" for name, found in faults.items() for fault in found)
