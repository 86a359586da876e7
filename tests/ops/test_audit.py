"""The audit log itself: written in the action's transaction, secrets left out, filters and pages, the admin page,
the xlsx/csv export (no formula from anyone's text), and the host's score corrections copied from the game logs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from quiz import audit
from quiz.models import User


def add(app: Any, actor: str | None, action: str, target_type: str = "exam", target_id: int | None = 1,
        details: dict[str, Any] | None = None, at_ms: int | None = None) -> None:
    with app.state.db.write() as session:
        user = None
        if actor is not None:
            from sqlmodel import select

            user = session.exec(select(User).where(User.username == actor)).one()
        audit.record(session, user, action, target_type, target_id, details or {}, now_ms=at_ms)


def test_an_entry_is_committed_with_its_action_or_not_at_all(app: Any, users: Any, api: Any) -> None:
    add(app, "org", "exam.create", details={"title": "测试一", "password": "p4ss", "host_token": "tok"})
    with pytest.raises(RuntimeError):
        with app.state.db.write() as session:
            audit.record(session, None, "exam.delete", "exam", 1, {})
            raise RuntimeError("the action failed")
    body = api("GET", "/api/audit", as_="org").json()
    assert body["total"] == 1
    (entry,) = body["items"]
    assert entry["action"] == "exam.create" and entry["action_name"] == "新建测试"
    assert entry["actor"] == "org" and entry["actor_id"] == users.ids["org"]
    assert entry["details"] == {"title": "测试一"}  # no password, no token
    assert entry["at"].endswith("+08:00")


def test_filters_and_pages(app: Any, users: Any, api: Any) -> None:
    day = 86_400_000
    base = 1_800_000_000_000  # 2027-01-15 08:00 +08:00
    for i in range(7):
        add(app, "org", "question.update", "question", 100 + i, at_ms=base + i)
    add(app, "admin", "user.role", "user", users.ids["bob"], {"role": {"from": "member", "to": "host"}},
        at_ms=base + day)
    add(app, "admin", "user.create", "user", 99, at_ms=base + 2 * day)

    def get(query: str) -> dict[str, Any]:
        response = api("GET", f"/api/audit?{query}", as_="org")
        assert response.status_code == 200, response.text
        return response.json()

    assert get("")["total"] == 9
    newest = get("limit=3")
    assert [e["action"] for e in newest["items"]] == ["user.create", "user.role", "question.update"]
    page2 = get("action=question.update&limit=3&offset=3")
    assert page2["total"] == 7 and [e["target_id"] for e in page2["items"]] == [103, 102, 101]
    assert get("action=user")["total"] == 2  # a group: user.*
    assert get("actor=ADMIN")["total"] == 2
    assert get(f"target_type=user&target_id={users.ids['bob']}")["items"][0]["details"]["role"]["to"] == "host"
    assert get("from=2027-01-16&to=2027-01-16")["total"] == 1
    assert get("to=2027-01-15")["total"] == 7
    bad = api("GET", "/api/audit?from=yesterday", as_="org")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "from"
    assert api("GET", "/api/audit?target_id=x", as_="org").status_code == 422


def test_only_organisers_see_it(client: Any, users: Any, api: Any) -> None:
    assert client.get("/api/audit").status_code == 401
    assert api("GET", "/api/audit", as_="host").status_code == 403
    assert api("GET", "/api/audit/export", as_="alice").status_code == 403
    assert api("GET", "/api/audit", as_="admin").status_code == 200
    page = api("GET", "/admin/audit", as_="org")
    assert page.status_code == 200 and "操作日志" in page.text and "/static/js/admin_audit.js" in page.text
    assert 'href="/admin/audit"' in api("GET", "/admin", as_="org").text  # in the admin navigation
    assert api("GET", "/admin/audit", as_="host").status_code == 403
    assert client.get("/admin/audit", follow_redirects=False).status_code == 303


def test_export_xlsx_and_csv_never_start_a_formula(app: Any, users: Any, api: Any) -> None:
    users.add("=HYPERLINK(\"http://evil\",\"点\")", "organizer")
    add(app, "=HYPERLINK(\"http://evil\",\"点\")", "round.award", "round", 5, {"note": "=1+1"})
    add(app, "org", "exam.update", "exam", 7, {"title": "党规测试"})
    sheet = api("GET", "/api/audit/export?format=xlsx", as_="org")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows())
    assert [c.value for c in rows[0]] == audit.EXPORT_HEADERS
    assert len(rows) == 3
    for row in rows[1:]:
        for cell in row:
            assert cell.data_type != "f" and not str(cell.value or "").startswith(("=", "+", "-", "@"))
    assert rows[2][2].value == "确定奖项" and rows[2][5].value == 5  # numbers stay numbers
    assert "HYPERLINK" in str(rows[2][1].value)
    only_exams = api("GET", "/api/audit/export?format=csv&action=exam", as_="org")
    assert only_exams.status_code == 200 and only_exams.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(only_exams.content.decode("utf-8-sig"))))
    assert table[0] == audit.EXPORT_HEADERS and len(table) == 2 and table[1][2] == "修改测试"
    every = list(csv.reader(io.StringIO(api("GET", "/api/audit/export?format=csv", as_="org").content
                                        .decode("utf-8-sig"))))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in every for cell in row)
    assert api("GET", "/api/audit/export?format=pdf", as_="org").status_code == 422


def test_host_score_corrections_are_copied_from_the_game_log(app: Any, users: Any, api: Any) -> None:
    from live.messages import HostAction
    from live.store import LiveCommand, LiveGame, encode_command

    with app.state.db.write() as session:
        game = LiveGame(pin="246810", title="决赛", host_token_hash="h" * 64, created_by=users.ids["host"],
                        config={}, created_ms=1, seq=3)
        session.add(game)
        session.flush()
        game_id = game.id
        session.add(LiveCommand(game_id=game_id, seq=1, now_ms=1_800_000_000_000,
                                command={"command": "host", "action": "start", "params": {}}))
        session.add(LiveCommand(game_id=game_id, seq=2, now_ms=1_800_000_001_000,
                                command={"command": "answer", "player_id": 1, "client_id": "a",
                                         "question": 1, "answer": "adjust"}))
    # As the live runner writes its log: compact JSON through its own encoder.
    with app.state.db.engine.begin() as conn:
        conn.execute(text("INSERT INTO live_command (game_id, seq, now_ms, command) VALUES (:g, 3, :t, :c)"),
                     {"g": game_id, "t": 1_800_000_002_000,
                      "c": encode_command(HostAction("adjust", {"team_id": 2, "delta": -5, "reason": "违规提示"}))})
    first = api("GET", "/api/audit?action=live", as_="org").json()
    assert first["total"] == 1
    (entry,) = first["items"]
    assert entry["action"] == "live.adjust" and entry["target_type"] == "live_game" and entry["target_id"] == game_id
    assert entry["actor"] == "host" and entry["at_ms"] == 1_800_000_002_000
    assert entry["details"]["delta"] == -5 and entry["details"]["reason"] == "违规提示"
    # Reading again copies nothing twice; a later reversal is copied once it is logged.
    with app.state.db.write() as session:
        session.add(LiveCommand(game_id=game_id, seq=4, now_ms=1_800_000_003_000,
                                command={"command": "host", "action": "reverse", "params": {"entry_id": 1}}))
        stored = session.get(LiveGame, game_id)
        stored.seq = 4
        session.add(stored)
    assert api("GET", "/api/audit?action=live", as_="org").json()["total"] == 2
    assert audit.sync_live(app.state.db) == 0
    assert [e["action"] for e in api("GET", "/api/audit", as_="org").json()["items"]] == ["live.reverse",
                                                                                          "live.adjust"]
