"""HTTP tests of the pages: who sees what, redirects, and no answer ever in a member's page."""

from __future__ import annotations

from typing import Any

import pytest

MARKER_ANSWER = "答案标记甲乙丙丁"
MARKER_EXPLANATION = "解析标记戊己庚辛"


def make_bank(api: Any, name: str = "党史题库") -> int:
    response = api("POST", "/api/banks", as_="org", json={"name": name, "description": "测试用"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def add_question(api: Any, bank_id: int, **fields: Any) -> dict[str, Any]:
    body = {"type": "single", "stem": "中共一大在哪里召开？",
            "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}],
            "answer": ["A"], "explanation": "1921年在上海召开。", "tags": ["党史"], "difficulty": 2, **fields}
    response = api("POST", f"/api/banks/{bank_id}/questions", as_="org", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_entry_page_shows_login_and_join_to_anonymous(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert 'id="login-form"' in html and 'id="join-form"' in html
    assert "/static/js/index.js" in html
    assert 'lang="zh-CN"' in html


def test_entry_page_keeps_a_local_next_and_drops_another_site(client: Any) -> None:
    assert 'data-next="/practice"' in client.get("/?next=/practice").text
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"):
        html = client.get("/", params={"next": bad}).text
        assert 'data-next=""' in html, bad
        assert "evil.example" not in html


def test_entry_page_shows_shortcuts_when_logged_in(client: Any, users: Any) -> None:
    member = client.get("/", headers=users.headers("alice")).text
    assert 'id="login-form"' not in member
    assert 'href="/practice"' in member and 'href="/exams"' in member
    assert "市财政局" in member
    assert 'class="tile" href="/admin"' not in member
    organizer = client.get("/", headers=users.headers("org")).text
    assert 'class="tile" href="/admin"' in organizer


def test_cookie_login_then_pages_open(client: Any, users: Any) -> None:
    response = client.post("/api/auth/login", json={"username": "alice", "password": "secret123"})
    assert response.status_code == 200
    page = client.get("/practice")
    assert page.status_code == 200
    assert 'id="practice-app"' in page.text


@pytest.mark.parametrize("path", ["/practice", "/admin", "/admin/banks/1"])
def test_anonymous_is_sent_to_the_entry_with_next(client: Any, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/?next={path}"


def test_member_gets_a_forbidden_page_for_admin(client: Any, users: Any, api: Any) -> None:
    bank_id = make_bank(api)
    for path in ("/admin", f"/admin/banks/{bank_id}"):
        response = client.get(path, headers=users.headers("alice"))
        assert response.status_code == 403, path
        assert "text/html" in response.headers["content-type"]
        assert "没有权限" in response.text


def test_host_is_not_an_organizer(client: Any, users: Any) -> None:
    assert client.get("/admin", headers=users.headers("host")).status_code == 403


def test_pages_for_their_roles(client: Any, users: Any, api: Any) -> None:
    bank_id = make_bank(api, "纪律条例题库")
    add_question(api, bank_id)
    assert client.get("/practice", headers=users.headers("alice")).status_code == 200
    assert client.get("/practice", headers=users.headers("org")).status_code == 200
    admin = client.get("/admin", headers=users.headers("org"))
    assert admin.status_code == 200
    assert 'href="/admin/exams"' in admin.text and 'href="/admin/competitions"' in admin.text
    assert "/api/banks/template.xlsx" in admin.text
    bank = client.get(f"/admin/banks/{bank_id}", headers=users.headers("admin"))
    assert bank.status_code == 200
    assert "纪律条例题库" in bank.text
    assert f'data-bank-id="{bank_id}"' in bank.text
    assert f"/api/banks/{bank_id}/export?format=gift" in bank.text
    assert 'id="bank-total">1<' in bank.text
    assert client.get("/admin/banks", headers=users.headers("org"), follow_redirects=False).headers[
        "location"] == "/admin"


def test_unknown_bank_page_is_404(client: Any, users: Any) -> None:
    response = client.get("/admin/banks/9999", headers=users.headers("org"))
    assert response.status_code == 404
    assert "题库不存在" in response.text


def test_bank_names_are_escaped(client: Any, users: Any, api: Any) -> None:
    bank_id = make_bank(api, "<script>alert(1)</script>")
    html = client.get(f"/admin/banks/{bank_id}", headers=users.headers("org")).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_practice_page_carries_no_answer(client: Any, users: Any, api: Any) -> None:
    bank_id = make_bank(api)
    add_question(api, bank_id, type="fill", stem="党的一大在（）召开。", options=[],
                 answer=[[MARKER_ANSWER]], explanation=MARKER_EXPLANATION, tags=["建党"])
    add_question(api, bank_id, type="short", stem="简述建党精神。", options=[],
                 answer=[MARKER_ANSWER + "简答"], explanation=MARKER_EXPLANATION + "简答")
    html = client.get("/practice", headers=users.headers("alice")).text
    assert MARKER_ANSWER not in html
    assert MARKER_EXPLANATION not in html
    # Nor in what the page loads before an answer: the bank summary and the first practice question.
    for response in (api("GET", f"/api/banks/{bank_id}", as_="alice"),
                     api("POST", "/api/practice", as_="alice", json={"bank_id": bank_id, "count": 5}),
                     api("GET", f"/api/banks/{bank_id}/questions", as_="alice")):
        assert response.status_code in (200, 201)
        assert MARKER_ANSWER not in response.text
        assert MARKER_EXPLANATION not in response.text


@pytest.mark.parametrize("path", ["/static/js/common.js", "/static/js/index.js", "/static/js/practice.js",
                                  "/static/js/admin.js", "/static/css/app.css"])
def test_static_assets_are_served(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert len(response.content) > 200


def test_no_external_resources_in_pages(client: Any, users: Any, api: Any) -> None:
    bank_id = make_bank(api)
    for path, who in (("/", None), ("/practice", "alice"), ("/admin", "org"), (f"/admin/banks/{bank_id}", "org")):
        html = client.get(path, headers=users.headers(who) if who else {}).text
        assert "http://" not in html and "https://" not in html, path
