"""Competition and team operations leave their audit entries (issue 9, "Operations": who, what, on what), made
through the API as organisers do; a refused operation leaves none. Each test fails if its ``audit.record`` goes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from tests.competitions.conftest import check, roster_rows, xlsx_bytes

Api = Callable[..., Any]


def entries(api: Api, action: str) -> list[dict[str, Any]]:
    return list(check(api("GET", f"/api/audit?action={action}&limit=500", as_="admin"))["items"])


def only(api: Api, action: str) -> dict[str, Any]:
    found = entries(api, action)
    assert len(found) == 1, (action, found)
    return found[0]


def new_competition(api: Api, teams: int = 0) -> int:
    comp = check(api("POST", "/api/competitions", as_="org", json={"title": "党史知识竞赛", "description": "初赛"}), 201)
    if teams:
        check(api("POST", f"/api/competitions/{comp['id']}/teams/import", as_="org",
                  files={"file": ("teams.xlsx", xlsx_bytes(roster_rows(teams, 3)))}))
    return int(comp["id"])


def team_ids(api: Api, cid: int) -> list[int]:
    return [t["id"] for t in check(api("GET", f"/api/competitions/{cid}", as_="org"))["teams"]]


def test_a_competition_created_and_renamed(api: Api, users: Any) -> None:
    cid = new_competition(api)
    made = only(api, "competition.create")
    assert (made["actor"], made["target_type"], made["target_id"]) == ("org", "competition", cid)
    assert made["details"] == {"title": "党史知识竞赛", "description": "初赛"} and made["action_name"] == "新建竞赛"
    check(api("PATCH", f"/api/competitions/{cid}", as_="admin", json={"title": "党史知识竞赛（决赛）"}))
    changed = only(api, "competition.update")
    assert changed["actor"] == "admin" and changed["target_id"] == cid
    assert changed["details"] == {"title": {"from": "党史知识竞赛", "to": "党史知识竞赛（决赛）"}}
    assert api("PATCH", f"/api/competitions/{cid}", as_="alice", json={"title": "x"}).status_code == 403
    assert len(entries(api, "competition")) == 2  # a refused change (a member) leaves nothing


def test_a_team_created_by_hand(api: Api, users: Any) -> None:
    cid = new_competition(api)
    team = check(api("POST", f"/api/competitions/{cid}/teams", as_="org", json={
        "name": "财政一队", "unit": "市财政局", "members": [users.ids["alice"], {"name": "王五", "username": "13800001234"}]}),
        201)
    entry = only(api, "team.create")
    assert (entry["actor"], entry["target_type"], entry["target_name"], entry["target_id"]) == (
        "org", "team", "队伍", team["id"])
    assert entry["details"]["competition_id"] == cid and entry["details"]["name"] == "财政一队"
    assert [m["username"] for m in entry["details"]["members"]] == ["alice", "13800001234"]
    refused = api("POST", f"/api/competitions/{cid}/teams", as_="org",
                  json={"name": "二队", "members": [users.ids["alice"]]})  # alice is in a team already
    assert refused.status_code == 409 and len(entries(api, "team.create")) == 1


def test_teams_imported_from_a_roster(api: Api, users: Any) -> None:
    cid = new_competition(api, teams=3)
    entry = only(api, "team.import")
    assert entry["actor"] == "org" and entry["target_type"] == "competition" and entry["target_id"] == cid
    assert entry["details"]["file"] == "teams.xlsx" and entry["details"]["members"] == 9
    assert [t["team_id"] for t in entry["details"]["teams"]] == team_ids(api, cid)
    assert [t["name"] for t in entry["details"]["teams"]] == ["队01", "队02", "队03"]
    assert entry["details"]["created_users"] == 9
    bad = roster_rows(1, 2, prefix="新队")
    bad[2][3] = bad[1][3]  # one account twice: the whole file is refused
    refused = api("POST", f"/api/competitions/{cid}/teams/import", as_="org", files={"file": ("bad.xlsx", xlsx_bytes(bad))})
    assert refused.status_code == 422 and len(entries(api, "team.import")) == 1


def test_a_substitute_between_rounds(api: Api, users: Any) -> None:
    cid = new_competition(api, teams=2)
    first = check(api("GET", f"/api/competitions/{cid}", as_="org"))["teams"][0]
    kept = [m["user_id"] for m in first["members"][:2]]
    gone = first["members"][2]["user_id"]
    changed = check(api("PUT", f"/api/competitions/{cid}/teams/{first['id']}", as_="org",
                        json={"members": [*kept, {"username": "13999990001", "name": "替补甲"}]}))
    substitute = changed["members"][2]["user_id"]
    entry = only(api, "team.members")
    assert (entry["actor"], entry["target_type"], entry["target_id"]) == ("org", "team", first["id"])
    assert entry["details"]["added"] == [substitute] and entry["details"]["removed"] == [gone]
    assert entry["details"]["members"] == [*kept, substitute] and entry["action_name"] == "更换队员（替补）"


def test_a_rounds_creation_teams_and_groups(api: Api, users: Any) -> None:
    cid = new_competition(api, teams=4)
    a, b, c, d = team_ids(api, cid)
    check(api("POST", f"/api/competitions/{cid}/rounds", as_="org", json={"stage": "prelim", "format": "exam"}), 201)
    semi = check(api("POST", f"/api/competitions/{cid}/rounds", as_="org",
                     json={"stage": "semifinal", "format": "live"}), 201)
    created = [e for e in entries(api, "round.create") if e["target_id"] == semi["id"]]
    assert len(created) == 1 and created[0]["details"]["stage"] == "semifinal"
    assert created[0]["details"]["competition_id"] == cid and len(entries(api, "round.create")) == 2

    check(api("PUT", f"/api/rounds/{semi['id']}/teams", as_="org", json={"team_ids": [a, b, c]}))
    check(api("PUT", f"/api/rounds/{semi['id']}/teams", as_="org", json={"team_ids": [a, b, d]}))
    second, first = entries(api, "round.teams")  # newest first
    assert first["target_id"] == semi["id"] and first["details"]["added"] == [a, b, c]
    assert second["details"] == {"team_ids": [a, b, d], "added": [d], "removed": [c]}
    assert api("PUT", f"/api/rounds/{semi['id']}/teams", as_="org", json={"team_ids": [99999]}).status_code == 422
    assert len(entries(api, "round.teams")) == 2

    check(api("PUT", f"/api/rounds/{semi['id']}/groups", as_="org", json={"count": 2, "seeding": "random", "seed": 7}))
    drawn = only(api, "round.groups")
    assert drawn["target_id"] == semi["id"] and [g["name"] for g in drawn["details"]["groups"]] == ["第一组", "第二组"]
    assert sorted(t for g in drawn["details"]["groups"] for t in g["team_ids"]) == sorted([a, b, d])
    assert {(g["seeding"], g["seed"]) for g in drawn["details"]["groups"]} == {("random", 7)}
    assert all("pin" not in g for g in drawn["details"]["groups"])


def test_the_audit_page_and_its_export_name_them(client: Any, api: Api, users: Any) -> None:
    cid = new_competition(api, teams=1)
    page = client.get("/admin/audit", headers=users.headers("org"))
    assert page.status_code == 200
    for name in ("新建竞赛", "新增队伍", "导入队伍名单", "更换队员（替补）", "设置轮次参赛队伍", "设置轮次分组"):
        assert name in page.text
    # ... and the filter offers them as categories, as it does questions or tests.
    assert '<option value="team">队伍与队员（全部）</option>' in page.text
    assert '<option value="competition">竞赛（全部）</option>' in page.text
    exported = api("GET", "/api/audit/export?format=csv&action=team", as_="org")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1][2:6] == ["导入队伍名单", "team.import", "竞赛", str(cid)]
