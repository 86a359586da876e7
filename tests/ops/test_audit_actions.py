"""Every organiser action leaves its audit entry (who, what, on what), made through the API as organisers do."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from tests.competitions.conftest import check, roster_rows, xlsx_bytes
from tests.exams.conftest import exam_body, seed_bank


def entries(api: Callable[..., Any], action: str) -> list[dict[str, Any]]:
    body = check(api("GET", f"/api/audit?action={action}&limit=500", as_="admin"))
    return body["items"]


def only(api: Callable[..., Any], action: str) -> dict[str, Any]:
    found = entries(api, action)
    assert len(found) == 1, (action, found)
    return found[0]


def test_question_import_and_edits(api: Callable[..., Any], users: Any) -> None:
    bank = check(api("POST", "/api/banks", as_="org", json={"name": "党章题库"}), 201)
    questions = [{"type": "judge", "stem": f"判断{i}", "answer": [True], "tags": ["党章"], "difficulty": 1}
                 for i in range(3)]
    upload = {"file": ("bank.json", json.dumps({"questions": questions}, ensure_ascii=False).encode())}
    assert check(api("POST", f"/api/banks/{bank['id']}/import?dry_run=1", as_="org", files=upload))["imported"] == 3
    assert entries(api, "question.import") == []  # a dry run changes nothing, so it is no action
    assert check(api("POST", f"/api/banks/{bank['id']}/import", as_="org", files=upload))["imported"] == 3
    entry = only(api, "question.import")
    assert entry["actor"] == "org" and entry["target_type"] == "bank" and entry["target_id"] == bank["id"]
    assert entry["details"]["imported"] == 3 and entry["details"]["file"] == "bank.json"

    made = check(api("POST", f"/api/banks/{bank['id']}/questions", as_="org",
                     json={"type": "single", "stem": "一大在哪里召开？", "answer": ["A"],
                           "options": [{"key": "A", "text": "上海"}, {"key": "B", "text": "北京"}]}), 201)
    assert only(api, "question.create")["target_id"] == made["id"]
    check(api("PUT", f"/api/questions/{made['id']}", as_="org", json={"stem": "中共一大在哪里召开？"}))
    edit = only(api, "question.update")
    assert edit["target_id"] == made["id"] and edit["details"]["version"] == 2
    check(api("DELETE", f"/api/questions/{made['id']}", as_="org"))
    assert only(api, "question.delete")["target_id"] == made["id"]
    # A refused edit (a member) leaves nothing.
    assert api("PUT", f"/api/questions/{made['id']}", as_="alice", json={"stem": "x"}).status_code == 403
    assert len(entries(api, "question")) == 4


def test_exam_create_change_delete(app: Any, api: Callable[..., Any], users: Any, clock: Any) -> None:
    bank_id = seed_bank(app)
    exam = check(api("POST", "/api/exams", as_="org", json=exam_body(bank_id, clock.now_ms() + 3_600_000)), 201)
    assert only(api, "exam.create")["target_id"] == exam["id"]
    changed = exam_body(bank_id, clock.now_ms() + 3_600_000, title="改名后的测试")
    check(api("PUT", f"/api/exams/{exam['id']}", as_="org", json=changed))
    assert only(api, "exam.update")["details"]["title"] == "改名后的测试"
    check(api("DELETE", f"/api/exams/{exam['id']}", as_="admin"))
    deleted = only(api, "exam.delete")
    assert deleted["actor"] == "admin" and deleted["target_id"] == exam["id"]


def competition(api: Callable[..., Any], teams: int) -> tuple[int, list[int]]:
    comp = check(api("POST", "/api/competitions", as_="org", json={"title": "知识竞赛"}), 201)
    check(api("POST", f"/api/competitions/{comp['id']}/teams/import", as_="org",
              files={"file": ("teams.xlsx", xlsx_bytes(roster_rows(teams, 1)))}))
    detail = check(api("GET", f"/api/competitions/{comp['id']}", as_="org"))
    return comp["id"], [t["id"] for t in detail["teams"]]


def test_round_settings_scores_tiebreak_advance_and_prizes(api: Callable[..., Any], users: Any) -> None:
    cid, (a, b, c, d) = competition(api, 4)
    rnd = check(api("POST", f"/api/competitions/{cid}/rounds", as_="org",
                    json={"stage": "prelim", "format": "live", "advance": {"top": 2}}), 201)
    check(api("PATCH", f"/api/rounds/{rnd['id']}", as_="org", json={"name": "线上初赛"}))
    assert only(api, "round.update")["details"] == {"name": "线上初赛"}
    body = {"teams": [{"team_id": t, "score": s, "time_ms": 1000} for t, s in ((a, 90), (b, 80), (c, 80), (d, 10))]}
    check(api("PUT", f"/api/rounds/{rnd['id']}/scores", as_="org", json=body))
    (scores,) = entries(api, "round.scores")
    assert scores["target_id"] == rnd["id"] and {t["team_id"] for t in scores["details"]["teams"]} == {a, b, c, d}
    check(api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org", json={"team_ids": [c, b], "note": "加赛一题"}),
          201)
    tiebreak = only(api, "round.tiebreak")
    assert tiebreak["details"]["team_ids"] == [c, b] and tiebreak["details"]["note"] == "加赛一题"
    advanced = check(api("POST", f"/api/rounds/{rnd['id']}/advance", as_="org"))
    entry = only(api, "round.advance")
    assert entry["details"]["team_ids"] == [a, c] and entry["details"]["next_round_id"] == advanced["next_round_id"]

    final = {"id": advanced["next_round_id"]}  # the semifinal, created by the advance
    check(api("PATCH", f"/api/rounds/{final['id']}", as_="org", json={"prizes": [{"name": "一等奖", "count": 1}]}))
    assert len(entries(api, "round.update")) == 2
    check(api("PUT", f"/api/rounds/{final['id']}/scores", as_="org",
              json={"teams": [{"team_id": a, "score": 50, "time_ms": 0}, {"team_id": c, "score": 60, "time_ms": 0}]}))
    check(api("POST", f"/api/rounds/{final['id']}/prizes", as_="org"))
    award = only(api, "round.award")
    assert award["target_id"] == final["id"] and award["details"]["awards"] == [{"team_id": c, "prize": "一等奖"}]
    # Refused (a tie-break after advancing: 409): no entry.
    assert api("POST", f"/api/rounds/{rnd['id']}/tiebreak", as_="org", json={"team_ids": [b, c]}).status_code == 409
    assert len(entries(api, "round.tiebreak")) == 1


def test_a_rounds_live_game_bound_and_replaced(app: Any, api: Callable[..., Any], users: Any) -> None:
    from quiz import audit

    cid, _ = competition(api, 2)
    rnd = check(api("POST", f"/api/competitions/{cid}/rounds", as_="org", json={"stage": "final", "format": "live"}),
                201)
    bank_id = seed_bank(app)
    game = api("POST", "/api/live", as_="org", json={"title": "决赛", "round_id": rnd["id"], "bank_id": bank_id,
                                                      "segments": [{"kind": "all", "rule": {"type": "single", "count": 1}}]})
    assert game.status_code == 201, game.text
    bound = only(api, "round.game_bound")
    assert bound["target_id"] == rnd["id"] and bound["details"]["live_id"] == game.json()["id"]
    assert bound["actor"] == "org"
    # Replacing it (however the live API asks for that) is recorded as such, naming the game replaced.
    with app.state.db.write() as session:
        audit.record_game_binding(session, users.ids["admin"], rnd["id"], game.json()["id"] + 100)
    replaced = only(api, "round.game_replaced")
    assert replaced["details"]["replaced_live_id"] == game.json()["id"] and replaced["actor"] == "admin"


def test_user_and_role_changes(api: Callable[..., Any], users: Any) -> None:
    made = check(api("POST", "/api/users", as_="org", json={"username": "13900001111", "password": "secret123",
                                                            "name": "张三", "role": "member", "unit": "市财政局"}), 201)
    created = only(api, "user.create")
    assert created["target_id"] == made["id"] and created["details"]["role"] == "member"
    check(api("PATCH", f"/api/users/{made['id']}", as_="org", json={"unit": "市教育局", "password": "another123"}))
    update = only(api, "user.update")
    assert update["details"]["unit"] == {"from": "市财政局", "to": "市教育局"}
    assert update["details"]["changed"] == ["password"] and "another123" not in json.dumps(update)
    check(api("PATCH", f"/api/users/{made['id']}", as_="admin", json={"role": "host"}))
    role = only(api, "user.role")
    assert role["actor"] == "admin" and role["details"]["role"] == {"from": "member", "to": "host"}

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "账号", "单位"])
    sheet.append(["李四", "13900002222", "市教育局"])
    buffer = io.BytesIO()
    book.save(buffer)
    check(api("POST", "/api/users/import", as_="org", files={"file": ("名单.xlsx", buffer.getvalue())}))
    imported = only(api, "user.import")
    assert imported["details"] == {"file": "名单.xlsx", "created": 1, "updated": 0}
    assert len(entries(api, "user")) == 4
