"""Issue 9, items 7 and 14 from the attacker's side: a name with ``\\x07`` or a lone surrogate was
accepted (and broke the exports), and a 5-million-character stem was stored. Now text people type
is refused at the edge with 422 naming the field, importers report it as a row error, and nothing
is written (CONTRACT §0)."""

from __future__ import annotations

import json
from typing import Any

import pytest

BAD_TEXTS = ["响\x07铃", "x\x00", "esc\x1b[31m", "del\x7f"]


def _post_raw(client: Any, url: str, body: str, headers: dict[str, str]) -> Any:
    return client.post(url, content=body.encode(), headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("bad", BAD_TEXTS)
def test_control_characters_are_refused_naming_the_field(client: Any, users: Any, bad: str) -> None:
    response = client.post("/api/users", headers=users.headers("admin"), json={
        "username": "eve", "password": "secret123", "name": bad, "role": "member", "unit": ""})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "name"
    assert client.post("/api/auth/login", json={"username": "eve", "password": "secret123"}).status_code == 401


def test_a_lone_surrogate_is_refused_naming_the_field(client: Any, users: Any) -> None:
    body = '{"title": "杯\\ud800"}'  # what the probe sent: valid JSON, text that cannot be stored
    response = _post_raw(client, "/api/competitions", body, users.headers("org"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "title"
    assert client.get("/api/competitions", headers=users.headers("org")).json()["total"] == 0


def test_nested_fields_are_named_and_tab_newline_pass(client: Any, users: Any) -> None:
    competition = client.post("/api/competitions", json={"title": "杯"}, headers=users.headers("org")).json()["id"]
    bad = client.post(f"/api/competitions/{competition}/teams", headers=users.headers("org"),
                      json={"name": "一队", "members": [{"username": "zhang", "name": "张\x07三"}]})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "members.0.name"
    good = client.post("/api/banks", headers=users.headers("org"), json={"name": "题库", "description": "甲\t乙\r\n丙"})
    assert good.status_code == 201, good.text


def test_unbounded_text_is_refused(client: Any, users: Any) -> None:
    bank = client.post("/api/banks", json={"name": "题库"}, headers=users.headers("org")).json()["id"]
    question = {"type": "single", "options": [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}], "answer": ["A"]}
    for stem in ("x" * 1_000_000, "长" * 15_000):  # past any string's limit (within the upload limit); past a stem's
        response = client.post(f"/api/banks/{bank}/questions", headers=users.headers("org"),
                               json={**question, "stem": stem})
        assert response.status_code == 422, response.text[:300]
        assert "stem" in json.dumps(response.json()["error"], ensure_ascii=False) or "题干" in response.text
    assert client.get(f"/api/banks/{bank}/questions", headers=users.headers("org")).json()["total"] == 0


def test_question_import_reports_bad_text_as_row_errors(client: Any, users: Any) -> None:
    bank = client.post("/api/banks", json={"name": "题库"}, headers=users.headers("org")).json()["id"]
    data = ("题型,题干,答案,选项A,选项B\nsingle,好题,A,甲,乙\nsingle,坏\x07题,A,甲,乙\n"
            f"single,{'长' * 10_001},A,甲,乙\n").encode()
    response = client.post(f"/api/banks/{bank}/import", headers=users.headers("org"), files={"file": ("q.csv", data)})
    assert response.status_code == 422
    assert sorted(e["row"] for e in response.json()["errors"]) == [3, 4]
    assert client.get(f"/api/banks/{bank}/questions", headers=users.headers("org")).json()["total"] == 0


def test_roster_cells_are_cleaned_and_exports_still_work(client: Any, users: Any) -> None:
    data = "姓名,账号\n响\x07铃,bell01\n".encode()
    response = client.post("/api/users/import", headers=users.headers("admin"), files={"file": ("u.csv", data)})
    assert response.status_code == 200, response.text
    listing = client.get("/api/users?limit=500", headers=users.headers("admin")).json()["items"]
    assert [u["name"] for u in listing if u["username"] == "bell01"] == ["响铃"]
