"""The canonical scenario end to end through the API: 63 teams of 3 → prelim (a test) → semifinal → final
with 8 teams → 2 一等奖, 3 二等奖, 3 三等奖, and the exports organisers hand out."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from quiz.competitions.models import Round
from quiz.models import User
from tests.competitions.conftest import check, roster_rows, xlsx_bytes

PRIZES = [{"name": "一等奖", "count": 2}, {"name": "二等奖", "count": 3}, {"name": "三等奖", "count": 3}]


def count(app: Any, model: Any) -> int:
    with app.state.db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_canonical_scenario(app: Any, api: Callable[..., Any], exam_rows: Callable[..., int]) -> None:
    users_before = count(app, User)
    comp = check(api("POST", "/api/competitions", as_="org", json={"title": "学党史、知党情、跟党走 知识竞赛"}), 201)
    cid = comp["id"]

    # 63 teams of 3 from an xlsx: 189 new member accounts.
    imported = check(api("POST", f"/api/competitions/{cid}/teams/import", as_="org",
                         files={"file": ("报名表.xlsx", xlsx_bytes(roster_rows(63)))}))
    assert imported == {"teams": 63, "members": 189, "created_users": 189, "errors": []}
    assert count(app, User) == users_before + 189
    teams = check(api("GET", f"/api/competitions/{cid}/teams", as_="org"))
    assert teams["total"] == 63 and all(len(t["members"]) == 3 for t in teams["items"])
    assert [m["seat"] for m in teams["items"][0]["members"]] == [1, 2, 3]
    team_of = {t["name"]: t for t in teams["items"]}
    # A new member logs in with the default password: the account's last six characters.
    login = api("POST", "/api/auth/login", json={"username": "13900010001", "password": "010001"})
    assert login.status_code == 200, login.text

    # Prelim: a test every player takes. Team i's players score 100 - i (one player of the last team is absent).
    attempts: dict[int, list[tuple[float, int]]] = {}
    for i in range(1, 64):
        for seat, member in enumerate(team_of[f"队{i:02d}"]["members"], start=1):
            if i == 63 and seat == 3:
                continue
            attempts[member["user_id"]] = [(100 - i - 10, 700_000), (100 - i, 600_000 + seat * 1000)]
    exam_id = exam_rows(attempts)
    prelim = check(api("POST", f"/api/competitions/{cid}/rounds", as_="org", json={
        "name": "初赛", "stage": "prelim", "format": "exam", "exam_id": exam_id, "team_score": "sum",
        "advance": {"top": 16}}), 201)
    assert prelim["team_count"] == 63 and prelim["advance"] == {"top": 16}

    ranking = check(api("GET", f"/api/rounds/{prelim['id']}/ranking", as_="org"))
    assert len(ranking["teams"]) == 63 and len(ranking["players"]) == 189
    assert [r["rank"] for r in ranking["teams"]] == list(range(1, 64))
    first = ranking["teams"][0]
    assert first["name"] == "队01" and first["score"] == 3 * 99 and first["time_ms"] == 3 * 600_000 + 6000
    assert first["unit"] == "市直单位01" and first["members"] == ["队员01-1", "队员01-2", "队员01-3"]
    last = ranking["teams"][-1]
    assert last["name"] == "队63" and last["score"] == 2 * 37  # the absent player counts 0
    assert [r["advanced"] for r in ranking["teams"]] == [True] * 16 + [False] * 47
    assert ranking["ties"] == [] and not any(r["tied"] for r in ranking["teams"])
    absent = [p for p in ranking["players"] if p["rank"] is None]
    assert [p["name"] for p in absent] == ["队员63-3"] and absent[0]["score"] is None

    # Top 16 go to the semifinal, which is created; doing it again changes nothing.
    advanced = check(api("POST", f"/api/rounds/{prelim['id']}/advance", as_="org"))
    top16 = [r["team_id"] for r in ranking["teams"][:16]]
    assert advanced["team_ids"] == top16 and advanced["created"] is True
    again = check(api("POST", f"/api/rounds/{prelim['id']}/advance", as_="org"))
    assert (again["next_round_id"], again["team_ids"]) == (advanced["next_round_id"], top16)
    assert count(app, Round) == 2
    semi = check(api("GET", f"/api/rounds/{advanced['next_round_id']}", as_="org"))
    assert semi["stage"] == "semifinal" and semi["name"] == "复赛" and sorted(semi["team_ids"]) == sorted(top16)

    # Semifinal played live offline: the organiser enters the scores; the top 8 reach the final.
    check(api("PATCH", f"/api/rounds/{semi['id']}", as_="org", json={"advance": {"top": 8}}))
    scores = [{"team_id": tid, "score": 200 + n * 10, "time_ms": 0} for n, tid in enumerate(top16)]
    semi_ranking = check(api("PUT", f"/api/rounds/{semi['id']}/scores", as_="org", json={"teams": scores}))
    assert len(semi_ranking["teams"]) == 16 and semi_ranking["teams"][0]["team_id"] == top16[-1]
    assert all(r["source"] == "manual" for r in semi_ranking["teams"])
    to_final = check(api("POST", f"/api/rounds/{semi['id']}/advance", as_="org"))
    finalists = list(reversed(top16))[:8]
    assert to_final["team_ids"] == finalists and to_final["created"] is True
    final = check(api("GET", f"/api/rounds/{to_final['next_round_id']}", as_="org"))
    assert final["stage"] == "final" and final["team_count"] == 8

    # The final: scores entered, prizes from the ranking: 2 一等奖, 3 二等奖, 3 三等奖.
    check(api("PATCH", f"/api/rounds/{final['id']}", as_="org", json={"prizes": PRIZES}))
    final_scores = [{"team_id": tid, "score": 100 + n, "time_ms": 60_000} for n, tid in enumerate(finalists)]
    final_ranking = check(api("PUT", f"/api/rounds/{final['id']}/scores", as_="org", json={"teams": final_scores}))
    prizes = [r["prize"] for r in final_ranking["teams"]]
    assert prizes == ["一等奖"] * 2 + ["二等奖"] * 3 + ["三等奖"] * 3
    assert final_ranking["teams"][0]["team_id"] == finalists[-1]
    awarded = check(api("POST", f"/api/rounds/{final['id']}/prizes", as_="org"))
    assert [a["prize"] for a in awarded["awards"]] == prizes
    assert check(api("POST", f"/api/rounds/{final['id']}/prizes", as_="org")) == awarded
    # Awarded results are fixed.
    locked = api("PUT", f"/api/rounds/{final['id']}/scores", as_="org", json={"teams": final_scores[:1]})
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "round_locked"

    # Exports: the JSON, an xlsx with a summary and one sheet per round, a csv with a BOM.
    data = check(api("GET", f"/api/competitions/{cid}/rankings?format=json", as_="org"))
    assert [r["round"]["stage"] for r in data["rounds"]] == ["prelim", "semifinal", "final"]
    response = api("GET", f"/api/competitions/{cid}/rankings?format=xlsx", as_="org")
    assert response.status_code == 200 and "spreadsheetml" in response.headers["content-type"]
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "初赛", "复赛", "决赛"]
    for sheet, r in zip(wb.sheetnames[1:], data["rounds"], strict=True):
        rows = list(wb[sheet].iter_rows(values_only=True))
        assert rows[0][:6] == ("名次", "队伍", "单位", "队员", "得分", "用时(秒)")
        team_rows = rows[1:1 + len(r["teams"])]
        assert [(row[0], row[1], row[2], row[4], row[5]) for row in team_rows] == [
            (t["rank"], t["name"], t["unit"], t["score"], t["time_ms"] / 1000) for t in r["teams"]]
        assert [row[7] or None for row in team_rows] == [t["prize"] for t in r["teams"]]
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert len(summary) == 1 + 63 and summary[0][-1] == "奖项"
    assert [row[-1] for row in summary[1:9]] == prizes and summary[1][0] == final_ranking["teams"][0]["name"]
    assert list(wb["初赛"].iter_rows(values_only=True))[65][0] == "个人成绩"

    response = api("GET", f"/api/competitions/{cid}/rankings?format=csv&round={final['id']}", as_="org")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["轮次", "名次", "队伍"] and len(rows) == 9
    assert [row[8] for row in rows[1:]] == prizes and rows[1][0] == "决赛"
